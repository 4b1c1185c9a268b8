package jobdef

import "strings"

// Quote returns s as one POSIX shell word: single-quoted, with every single
// quote written as '\”. Nothing inside single quotes is special to sh ($,
// backquotes, backslashes, newlines all stay literal), so the result is
// safe to interpolate into a script whatever s holds.
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
