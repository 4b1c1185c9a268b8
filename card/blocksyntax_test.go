package card

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The regular expressions the block matchers of blocksyntax.go stand for:
// Markdown's block syntax as this package has always matched it.
var (
	headingRE = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	ruleRE    = regexp.MustCompile(`^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$`)
	bulletRE  = regexp.MustCompile(`^( {0,3})([-*+])([ \t]+|$)`)
	orderedRE = regexp.MustCompile(`^( {0,3})(\d{1,9})([.)])([ \t]+|$)`)
	fenceRE   = regexp.MustCompile("^ {0,3}(```+|~~~+)[ \t]*([^`\\s]*)")
	delimRE   = regexp.MustCompile(`^ *\|? *:?-+:? *(\| *:?-+:? *)*\|? *$`)
)

// markerGroups returns the groups of bulletRE or orderedRE for a list
// marker of the given width: the whole marker, its indentation, its
// bullet or number, [its delimiter,] and the blanks after it.
func markerGroups(l string, width int, ordered bool) []string {
	m := l[:width]
	i := leadingSpaces(m)
	j := i + 1
	if ordered {
		j = i + strings.IndexAny(m[i:], ".)")
		return []string{m, m[:i], m[i:j], m[j : j+1], m[j+1:]}
	}
	return []string{m, m[:i], m[i:j], m[j:]}
}

// checkLine checks every block matcher against its regular expression on
// the line l.
func checkLine(t *testing.T, l string) {
	t.Helper()
	var want []string
	if m := headingRE.FindStringSubmatch(l); m != nil {
		want = m[1:]
	}
	if marks, text, ok := heading(l); ok != (want != nil) || ok && !slices.Equal([]string{marks, text}, want) {
		t.Errorf("heading(%q) = %q, %q, %v; the regexp gives %q", l, marks, text, ok, want)
	}
	if got, want := rule(l), ruleRE.MatchString(l); got != want {
		t.Errorf("rule(%q) = %v; the regexp says %v", l, got, want)
	}
	for _, tc := range []struct {
		re      *regexp.Regexp
		match   func(string) (int, bool)
		ordered bool
	}{{bulletRE, bullet, false}, {orderedRE, ordered, true}} {
		want := tc.re.FindStringSubmatch(l)
		width, ok := tc.match(l)
		var got []string
		if ok {
			got = markerGroups(l, width, tc.ordered)
		}
		if ok != (want != nil) || !slices.Equal(got, want) {
			t.Errorf("list marker (ordered %v) of %q: %q, %v; the regexp gives %q", tc.ordered, l, got, ok, want)
		}
	}
	want = nil
	if m := fenceRE.FindStringSubmatch(l); m != nil {
		want = m[1:]
	}
	if marks, info, ok := fence(l); ok != (want != nil) || ok && !slices.Equal([]string{marks, info}, want) {
		t.Errorf("fence(%q) = %q, %q, %v; the regexp gives %q", l, marks, info, ok, want)
	}
	if got, want := delimiterRow(l), delimRE.MatchString(l); got != want {
		t.Errorf("delimiterRow(%q) = %v; the regexp says %v", l, got, want)
	}
}

// edgeLines are lines at the edges of the block syntax: every indentation
// from none to four spaces (and tabs) before every kind of marker,
// followed by text, blanks, closing #s, Unicode, invalid UTF-8 and
// newlines.
func edgeLines() []string {
	indents := []string{"", " ", "  ", "   ", "    ", "\t", " \t"}
	markers := []string{
		"", "#", "##", "######", "#######", "#\t", "-", "*", "+", "_", "--", "---", "- - -", "*\t*\t*", "_ _ _ _", "-*-",
		"1.", "1)", "123456789.", "1234567890.", "0)", "1", "1:", "```", "``", "````", "~~~", "~~", "~~~~", "`~`",
		"|", "|-", "-|", ":-:", "|:--|--:|", "| --- | :-: |", "|-|-", "-:|:-", "::", ":-", "-:-", "|:-|:", "| - |  |",
	}
	tails := []string{
		"", " ", "\t", "  ", " x", "\tx", "x", " x #", " x ##  ", " x#", " # x", " #", " ##", " # #", " \t#\t", " x \\#",
		" x # y", " ë 日本 #", "\x80\xff", " \x80 #", "\n", " x\n", " go extra", "\tgo`x", " go\fx", " go\rx", " ~",
		" |", " | -", "-", "|", ":", " :", "|-|", " | x",
	}
	var lines []string
	for _, i := range indents {
		for _, m := range markers {
			for _, t := range tails {
				lines = append(lines, i+m+t)
			}
		}
	}
	return lines
}

func TestBlockSyntax(t *testing.T) {
	lines := edgeLines()
	for _, l := range lines {
		checkLine(t, l)
	}
	// Each matcher accepts some of the lines and rejects others.
	for name, match := range map[string]func(string) bool{
		"heading": func(l string) bool { _, _, ok := heading(l); return ok },
		"rule":    rule,
		"bullet":  func(l string) bool { _, ok := bullet(l); return ok },
		"ordered": func(l string) bool { _, ok := ordered(l); return ok },
		"fence":   func(l string) bool { _, _, ok := fence(l); return ok },
		"delim":   delimiterRow,
	} {
		n := 0
		for _, l := range lines {
			if match(l) {
				n++
			}
		}
		if n == 0 || n == len(lines) {
			t.Errorf("%s matches %d of the %d lines: the edge cases do not exercise it", name, n, len(lines))
		}
	}
}

func FuzzMarkdownLines(f *testing.F) {
	for _, l := range []string{
		"# T", "  ## T ##  ", "####### no", "# #", "---", " * * *", "- item", "   10. ten", "1234567890) x",
		"```go", "~~~~ py x", "| a | b |", "|:--|--:|", "- -", "\t# x", "", " ë日本 #\x80",
	} {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for l := range strings.SplitSeq(s, "\n") {
			checkLine(t, l)
		}
		checkLine(t, s) // newlines included
		markdown(s)     // and the whole renders without a panic
	})
}
