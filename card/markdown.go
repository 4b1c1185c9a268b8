package card

import (
	"html"
	"strings"
)

// markdown renders a subset of CommonMark with GitHub's pipe tables to
// HTML. Every piece of text is escaped, raw HTML included (it shows as
// text), and a link keeps its target only when the scheme is http, https
// or mailto (or the target is relative), so nothing in a card's Markdown
// can inject markup or script.
//
// Blocks: ATX headings (# to ######), paragraphs, fenced code (```),
// thematic breaks (---), block quotes (>), bullet (-, *, +) and ordered
// (1.) lists, nested by indentation, and pipe tables. Inlines: code spans,
// **strong**, *emphasis* (and the _ forms), [links](url), backslash
// escapes and hard line breaks (two trailing spaces).
func markdown(src string) string {
	var b strings.Builder
	blocks(&b, strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n"))
	return b.String()
}

func blank(l string) bool { return strings.TrimSpace(l) == "" }

// listItem reports whether l starts a list item, its kind ("ul" or
// "ol") and the width of its marker.
func listItem(l string) (kind string, width int, ok bool) {
	if width, ok := bullet(l); ok && !rule(l) {
		return "ul", width, true
	}
	if width, ok := ordered(l); ok {
		return "ol", width, true
	}
	return "", 0, false
}

// startsBlock reports whether l interrupts a paragraph.
func startsBlock(l string) bool {
	_, _, isHeading := heading(l)
	_, _, isFence := fence(l)
	_, _, isItem := listItem(l)
	return isHeading || isFence || rule(l) || strings.HasPrefix(strings.TrimLeft(l, " "), ">") || isItem
}

func blocks(b *strings.Builder, lines []string) {
	for i := 0; i < len(lines); {
		l := lines[i]
		fenceMarks, lang, isFence := fence(l)
		marks, text, isHeading := heading(l)
		switch {
		case blank(l):
			i++
		case isFence:
			i++
			var code []string
			for i < len(lines) && !strings.HasPrefix(strings.TrimLeft(lines[i], " "), fenceMarks) {
				code = append(code, lines[i])
				i++
			}
			i++ // the closing fence
			b.WriteString("<pre><code")
			if lang != "" {
				b.WriteString(` class="language-` + html.EscapeString(lang) + `"`)
			}
			b.WriteString(">")
			for _, c := range code {
				b.WriteString(html.EscapeString(c) + "\n")
			}
			b.WriteString("</code></pre>\n")
		case isHeading:
			n := string(rune('0' + len(marks)))
			b.WriteString("<h" + n + ">" + inline(text) + "</h" + n + ">\n")
			i++
		case rule(l):
			b.WriteString("<hr>\n")
			i++
		case strings.HasPrefix(strings.TrimLeft(l, " "), ">"):
			var quote []string
			for i < len(lines) && !blank(lines[i]) {
				q := strings.TrimLeft(lines[i], " ")
				q = strings.TrimPrefix(q, ">")
				quote = append(quote, strings.TrimPrefix(q, " "))
				i++
			}
			b.WriteString("<blockquote>\n")
			blocks(b, quote)
			b.WriteString("</blockquote>\n")
		case isTable(lines, i):
			i = writeTable(b, lines, i)
		default:
			if kind, _, ok := listItem(l); ok {
				i = writeList(b, lines, i, kind)
				continue
			}
			var para []string
			for i < len(lines) && !blank(lines[i]) && (len(para) == 0 || !startsBlock(lines[i])) && !isTable(lines, i) {
				para = append(para, lines[i])
				i++
			}
			b.WriteString("<p>" + inlineLines(para) + "</p>\n")
		}
	}
}

// writeList writes the list starting at lines[i] and returns the index
// after it. An item's following lines belong to it while they are
// indented (or blank between indented ones).
func writeList(b *strings.Builder, lines []string, i int, kind string) int {
	b.WriteString("<" + kind + ">\n")
	for i < len(lines) {
		k, width, ok := listItem(lines[i])
		if !ok || k != kind {
			break
		}
		body := []string{lines[i][width:]}
		i++
		loose := false
		for i < len(lines) {
			l := lines[i]
			if blank(l) {
				if i+1 < len(lines) && indent(lines[i+1]) >= 2 {
					body = append(body, "")
					loose = true
					i++
					continue
				}
				break
			}
			if indent(l) >= 2 {
				body = append(body, strings.TrimPrefix(l, strings.Repeat(" ", min(indent(l), width))))
				i++
				continue
			}
			if startsBlock(l) {
				break
			}
			body = append(body, l) // a lazy continuation
			i++
		}
		b.WriteString("<li>")
		if !loose && !hasBlock(body[1:]) {
			b.WriteString(inlineLines(body))
		} else {
			b.WriteString("\n")
			blocks(b, body)
		}
		b.WriteString("</li>\n")
		// A blank line between items of the same list keeps the list.
		if i+1 < len(lines) && blank(lines[i]) {
			if k, _, ok := listItem(lines[i+1]); ok && k == kind {
				i++
			}
		}
	}
	b.WriteString("</" + kind + ">\n")
	return i
}

func hasBlock(lines []string) bool {
	for _, l := range lines {
		if startsBlock(l) {
			return true
		}
	}
	return false
}

func indent(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }

// isTable reports whether a pipe table starts at lines[i]: a row with a
// '|' followed by a delimiter row.
func isTable(lines []string, i int) bool {
	return i+1 < len(lines) && strings.Contains(lines[i], "|") && delimiterRow(lines[i+1]) &&
		strings.Contains(lines[i+1], "-")
}

func cells(l string) []string {
	l = strings.TrimSpace(l)
	l = strings.TrimPrefix(l, "|")
	if strings.HasSuffix(l, "|") && !strings.HasSuffix(l, `\|`) {
		l = l[:len(l)-1]
	}
	var out []string
	var cur strings.Builder
	for j := 0; j < len(l); j++ {
		switch {
		case l[j] == '\\' && j+1 < len(l) && l[j+1] == '|':
			cur.WriteByte('|')
			j++
		case l[j] == '|':
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(l[j])
		}
	}
	return append(out, strings.TrimSpace(cur.String()))
}

func writeTable(b *strings.Builder, lines []string, i int) int {
	head := cells(lines[i])
	var align []string
	for _, d := range cells(lines[i+1]) {
		switch l, r := strings.HasPrefix(d, ":"), strings.HasSuffix(d, ":"); {
		case l && r:
			align = append(align, "center")
		case r:
			align = append(align, "right")
		default:
			align = append(align, "")
		}
	}
	cell := func(tag string, j int, text string) {
		b.WriteString("<" + tag)
		if j < len(align) && align[j] != "" {
			b.WriteString(` class="` + align[j] + `"`)
		}
		b.WriteString(">" + inline(text) + "</" + tag + ">")
	}
	b.WriteString("<table>\n<thead><tr>")
	for j, h := range head {
		cell("th", j, h)
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for i += 2; i < len(lines) && !blank(lines[i]) && strings.Contains(lines[i], "|"); i++ {
		b.WriteString("<tr>")
		row := cells(lines[i])
		for j := range head {
			text := ""
			if j < len(row) {
				text = row[j]
			}
			cell("td", j, text)
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
	return i
}

// inlineLines renders the lines of a paragraph: a line ending in two
// spaces (or a backslash) breaks the line.
func inlineLines(lines []string) string {
	var b strings.Builder
	for j, l := range lines {
		l = strings.TrimLeft(l, " ")
		brk := false
		if j < len(lines)-1 {
			if strings.HasSuffix(l, "  ") {
				brk = true
			} else if strings.HasSuffix(l, `\`) {
				brk, l = true, l[:len(l)-1]
			}
		}
		b.WriteString(inline(strings.TrimRight(l, " ")))
		if j < len(lines)-1 {
			if brk {
				b.WriteString("<br>")
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

const punct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// inline renders inline Markdown, escaping all text.
func inline(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && strings.IndexByte(punct, s[i+1]) >= 0:
			b.WriteString(html.EscapeString(s[i+1 : i+2]))
			i += 2
		case c == '`':
			n := run(s[i:], '`')
			fence := s[i : i+n]
			if end := strings.Index(s[i+n:], fence); end >= 0 {
				code := s[i+n : i+n+end]
				if t := strings.TrimSpace(code); t != "" && len(code) >= 2 && code[0] == ' ' && code[len(code)-1] == ' ' {
					code = code[1 : len(code)-1]
				}
				b.WriteString("<code>" + html.EscapeString(code) + "</code>")
				i += n + end + n
			} else {
				b.WriteString(fence)
				i += n
			}
		case c == '*' || c == '_':
			n := min(run(s[i:], c), 2)
			delim := s[i : i+n]
			end := closing(s, i+n, delim)
			if end < 0 && n == 2 {
				n, delim = 1, delim[:1]
				end = closing(s, i+1, delim)
			}
			if end < 0 {
				b.WriteString(html.EscapeString(s[i : i+n]))
				i += n
				continue
			}
			tag := "em"
			if n == 2 {
				tag = "strong"
			}
			b.WriteString("<" + tag + ">" + inline(s[i+n:end]) + "</" + tag + ">")
			i = end + n
		case c == '[' || (c == '!' && i+1 < len(s) && s[i+1] == '['):
			start := i
			if c == '!' {
				start++
			}
			text, url, next, ok := link(s, start)
			if !ok {
				b.WriteString(html.EscapeString(s[i : start+1]))
				i = start + 1
				continue
			}
			if u, safe := safeURL(url); safe {
				b.WriteString(`<a href="` + html.EscapeString(u) + `" rel="noopener noreferrer">` + inline(text) + "</a>")
			} else {
				b.WriteString(inline(text))
			}
			i = next
		default:
			j := i + 1
			for j < len(s) && strings.IndexByte("\\`*_[!", s[j]) < 0 {
				j++
			}
			b.WriteString(html.EscapeString(s[i:j]))
			i = j
		}
	}
	return b.String()
}

// run counts the leading bytes of s equal to c.
func run(s string, c byte) int {
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	return n
}

// closing finds the delimiter closing an emphasis opened before from: not
// preceded by a space, with non-empty content.
func closing(s string, from int, delim string) int {
	if from >= len(s) || s[from] == ' ' {
		return -1
	}
	for j := from + 1; j+len(delim) <= len(s); j++ {
		if s[j] == '`' { // skip code spans
			if k := strings.IndexByte(s[j+1:], '`'); k >= 0 {
				j += k + 1
				continue
			}
		}
		if strings.HasPrefix(s[j:], delim) && s[j-1] != ' ' && s[j-1] != '\\' &&
			(len(delim) == 2 || j+1 >= len(s) || s[j+1] != delim[0]) {
			return j
		}
	}
	return -1
}

// link parses [text](url) at s[i] == '['.
func link(s string, i int) (text, url string, next int, ok bool) {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				if j+1 >= len(s) || s[j+1] != '(' {
					return "", "", 0, false
				}
				end := strings.IndexByte(s[j+2:], ')')
				if end < 0 {
					return "", "", 0, false
				}
				target := strings.TrimSpace(s[j+2 : j+2+end])
				if k := strings.IndexAny(target, " \t"); k >= 0 {
					target = target[:k] // drop a title
				}
				return s[i+1 : j], strings.Trim(target, "<>"), j + 3 + end, true
			}
		}
	}
	return "", "", 0, false
}

// safeURL keeps http, https and mailto URLs and relative ones.
func safeURL(u string) (string, bool) {
	lower := strings.ToLower(u)
	for _, scheme := range []string{"http://", "https://", "mailto:"} {
		if strings.HasPrefix(lower, scheme) {
			return u, true
		}
	}
	colon := strings.IndexByte(u, ':')
	if colon < 0 || (strings.IndexAny(u, "/?#") >= 0 && strings.IndexAny(u, "/?#") < colon) {
		return u, u != ""
	}
	return "", false
}
