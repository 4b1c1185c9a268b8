package pathspec

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics; what it accepts has 1..3 parts, none
// empty, relative, over-long or holding a separator, and prints back as
// its input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "r", "r/s", "r/s/t", "r/s/t/u", "/", "a//b", "../x", "r/./t", "latest/train/3-1",
		strings.Repeat("a", MaxPart+1), "r/s\x00/t", "r/s\\t", ".hidden/x", "r/s/\u00e9"} {
		f.Add(s, 0)
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, want int) {
		want = ((want % 4) + 4) % 4
		ps, err := Parse(s, want)
		if err != nil {
			if !strings.Contains(err.Error(), "pathspec") {
				t.Fatalf("error does not say what was wrong: %v", err)
			}
			return
		}
		parts := []string{ps.Run, ps.Step, ps.Task}
		n := 0
		for _, p := range parts {
			if p == "" {
				break
			}
			n++
			if p == "." || p == ".." || len(p) > MaxPart || strings.ContainsAny(p, "/\\\x00") || strings.HasPrefix(p, ".") {
				t.Fatalf("Parse(%q) accepted part %q", s, p)
			}
		}
		if n == 0 || (want > 0 && n != want) {
			t.Fatalf("Parse(%q, %d) = %+v", s, want, ps)
		}
		if ps.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, ps.String())
		}
	})
}

// FuzzIndices: task ids and index lists never panic, and every accepted
// one round-trips through TaskID.
func FuzzIndices(f *testing.F) {
	for _, s := range []string{"", "0", "3-1-2", "3,1,2", "-1", "01", "1--2", "9223372036854775807", "9223372036854775808", " 1, 2", "a"} {
		f.Add(s, 1)
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, depth int) {
		depth = ((depth % 8) + 8) % 8
		if idx, err := Indices(s, depth); err == nil {
			if len(idx) != depth || TaskID(idx) != s && !(depth == 0 && s == "0") {
				t.Fatalf("Indices(%q, %d) = %v, TaskID back %q", s, depth, idx, TaskID(idx))
			}
		}
		if idx, err := ParseIndices(s); err == nil {
			for _, x := range idx {
				if x < 0 {
					t.Fatalf("ParseIndices(%q) = %v: negative index", s, idx)
				}
			}
			back, err := Indices(TaskID(idx), len(idx))
			if err != nil || !slices.Equal(back, idx) {
				t.Fatalf("ParseIndices(%q) = %v does not round-trip: %v %v", s, idx, back, err)
			}
		}
	})
}
