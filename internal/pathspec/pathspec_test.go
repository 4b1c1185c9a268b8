package pathspec

import (
	"slices"
	"strings"
	"testing"
)

func TestTaskIDRoundTrip(t *testing.T) {
	for _, idx := range [][]int{nil, {0}, {3}, {3, 1, 2}, {10, 0}} {
		id := TaskID(idx)
		back, err := Indices(id, len(idx))
		if err != nil || !slices.Equal(back, idx) {
			t.Errorf("TaskID(%v) = %q -> %v, %v", idx, id, back, err)
		}
	}
	if TaskID(nil) != "0" || TaskID([]int{3, 1, 2}) != "3-1-2" {
		t.Error("task id format changed")
	}
}

func TestIndicesErrors(t *testing.T) {
	for _, c := range []struct {
		id    string
		depth int
		want  string
	}{
		{"1", 0, "always 0"},
		{"1-2", 1, "inside 1 foreach"},
		{"a", 1, `"a" is not an index`},
		{"01", 1, `"01" is not an index`},
		{"-1", 1, "inside 1 foreach"},
	} {
		if _, err := Indices(c.id, c.depth); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Indices(%q, %d) = %v, want an error containing %q", c.id, c.depth, err, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	p, err := Parse("r1/train/3-1", 3)
	if err != nil || p != (Pathspec{"r1", "train", "3-1"}) || p.String() != "r1/train/3-1" {
		t.Fatalf("Parse = %+v, %v", p, err)
	}
	for _, bad := range []string{"", "r1/train", "r1//3", "r1/../x", "a/b/c/d"} {
		if _, err := Parse(bad, 3); err == nil || !strings.Contains(err.Error(), "malformed") {
			t.Errorf("Parse(%q) = %v, want malformed", bad, err)
		}
	}
	if p, err := Parse("r1", 0); err != nil || p.String() != "r1" {
		t.Errorf("Parse(r1, 0) = %v, %v", p, err)
	}
}

func TestParseIndices(t *testing.T) {
	if got, err := ParseIndices("3, 0,2"); err != nil || !slices.Equal(got, []int{3, 0, 2}) {
		t.Errorf("ParseIndices = %v, %v", got, err)
	}
	if _, err := ParseIndices("3,x"); err == nil {
		t.Error("bad index accepted")
	}
}
