package card

import "strings"

// The matchers of Markdown's block syntax, one per kind of line. They are
// written by hand rather than as regular expressions because every flow
// binary links this package and every local task starts one: package
// regexp would bring unicode's tables and their initialisation to every
// task start. Each matcher gives the results of the regular expression in
// its comment (blocksyntax_test.go checks them against it) on a line
// without its newline.

// leadingSpaces returns the number of spaces l starts with.
func leadingSpaces(l string) int {
	n := 0
	for n < len(l) && l[n] == ' ' {
		n++
	}
	return n
}

// spaceOrTab reports whether c is a space or a tab.
func spaceOrTab(c byte) bool { return c == ' ' || c == '\t' }

// blanks returns the number of spaces and tabs s starts with.
func blanks(s string) int {
	n := 0
	for n < len(s) && spaceOrTab(s[n]) {
		n++
	}
	return n
}

// heading matches an ATX heading,
//
//	^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$
//
// and returns its marks (its level is their number) and its text, without
// the closing sequence of #s.
func heading(l string) (marks, text string, ok bool) {
	if strings.IndexByte(l, '\n') >= 0 {
		return "", "", false
	}
	i := leadingSpaces(l)
	n := run(l[min(i, len(l)):], '#')
	if i > 3 || n < 1 || n > 6 {
		return "", "", false
	}
	marks, rest := l[i:i+n], l[i+n:]
	if rest == "" {
		return marks, "", true
	}
	if !spaceOrTab(rest[0]) {
		return "", "", false
	}
	s := rest[blanks(rest):]
	// The text is the shortest prefix of s whose rest is blank, or is a
	// closing sequence: blanks, #s and blanks.
	end := len(strings.TrimRight(s, " \t"))
	if h := len(strings.TrimRight(s[:end], "#")); h < end && h > 0 && spaceOrTab(s[h-1]) {
		end = len(strings.TrimRight(s[:h], " \t"))
	}
	return marks, s[:end], true
}

// rule matches a thematic break,
//
//	^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$
func rule(l string) bool {
	i := leadingSpaces(l)
	if i > 3 || i == len(l) {
		return false
	}
	c := l[i]
	if c != '-' && c != '*' && c != '_' {
		return false
	}
	n := 0
	for j := i; j < len(l); j++ {
		switch {
		case l[j] == c:
			n++
		case !spaceOrTab(l[j]):
			return false
		}
	}
	return n >= 3
}

// bullet matches the marker of a bullet list item,
//
//	^( {0,3})([-*+])([ \t]+|$)
//
// and returns its width: indentation, marker and the blanks after it.
func bullet(l string) (width int, ok bool) {
	i := leadingSpaces(l)
	if i > 3 || i == len(l) || (l[i] != '-' && l[i] != '*' && l[i] != '+') {
		return 0, false
	}
	return markerEnd(l, i+1)
}

// ordered matches the marker of an ordered list item,
//
//	^( {0,3})(\d{1,9})([.)])([ \t]+|$)
//
// and returns its width: indentation, number, delimiter and the blanks
// after it.
func ordered(l string) (width int, ok bool) {
	i := leadingSpaces(l)
	j := i
	for j < len(l) && '0' <= l[j] && l[j] <= '9' {
		j++
	}
	if i > 3 || j == i || j-i > 9 || j == len(l) || (l[j] != '.' && l[j] != ')') {
		return 0, false
	}
	return markerEnd(l, j+1)
}

// markerEnd returns the end of a list marker ending before l[i]: after the
// blanks at l[i:], of which there must be some, or at the end of l.
func markerEnd(l string, i int) (int, bool) {
	if i == len(l) {
		return i, true
	}
	n := blanks(l[i:])
	return i + n, n > 0
}

// fence matches the opening of a fenced code block,
//
//	^ {0,3}(```+|~~~+)[ \t]*([^`\s]*)
//
// and returns its fence and the first word of its info string (the
// language of the code).
func fence(l string) (marks, info string, ok bool) {
	i := leadingSpaces(l)
	if i > 3 || i == len(l) || (l[i] != '`' && l[i] != '~') {
		return "", "", false
	}
	n := run(l[i:], l[i])
	if n < 3 {
		return "", "", false
	}
	marks = l[i : i+n]
	s := l[i+n:]
	s = s[blanks(s):]
	if end := strings.IndexAny(s, "` \t\n\f\r"); end >= 0 {
		s = s[:end]
	}
	return marks, s, true
}

// delimiterRow matches the delimiter row of a pipe table,
//
//	^ *\|? *:?-+:? *(\| *:?-+:? *)*\|? *$
//
// cells of dashes, each with an optional colon at either end, separated by
// pipes, with optional pipes at either end of the row.
func delimiterRow(l string) bool {
	i := leadingSpaces(l)
	if i < len(l) && l[i] == '|' {
		i++
		i += leadingSpaces(l[i:])
	}
	for {
		// A cell: :?-+:? *
		if i < len(l) && l[i] == ':' {
			i++
		}
		n := run(l[i:], '-')
		if n == 0 {
			return false
		}
		i += n
		if i < len(l) && l[i] == ':' {
			i++
		}
		i += leadingSpaces(l[i:])
		if i == len(l) {
			return true
		}
		if l[i] != '|' {
			return false
		}
		// A pipe: before another cell, or the last one of the row.
		i++
		i += leadingSpaces(l[i:])
		if i == len(l) {
			return true
		}
	}
}
