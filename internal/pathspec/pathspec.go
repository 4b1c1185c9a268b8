// Package pathspec names runs, steps and tasks: the pathspec run/step/task
// and the deterministic task id derived from a task's foreach position.
package pathspec

import (
	"fmt"
	"strconv"
	"strings"
)

// Pathspec names a run, a step of a run, or a task of a step. Fields to the
// right of the first empty one are empty.
type Pathspec struct {
	Run  string
	Step string
	Task string
}

// String renders the pathspec as run[/step[/task]].
func (p Pathspec) String() string {
	s := p.Run
	if p.Step != "" {
		s += "/" + p.Step
		if p.Task != "" {
			s += "/" + p.Task
		}
	}
	return s
}

// Task returns the pathspec of a task.
func Task(run, step, task string) Pathspec { return Pathspec{Run: run, Step: step, Task: task} }

// Parse reads run, run/step or run/step/task. want is the number of parts
// required (1..3), or 0 for any.
func Parse(s string, want int) (Pathspec, error) {
	parts := strings.Split(s, "/")
	forms := [...]string{"", "RUN", "RUN/STEP", "RUN/STEP/TASK"}
	if s == "" || len(parts) > 3 || (want > 0 && len(parts) != want) {
		form := "RUN, RUN/STEP or RUN/STEP/TASK"
		if want > 0 {
			form = forms[want]
		}
		return Pathspec{}, fmt.Errorf("pathspec %q is malformed; write %s (e.g. %s)", s, form,
			strings.Join([]string{"20261127-101500-ab12", "train", "3"}[:max(want, 1)], "/"))
	}
	for _, p := range parts {
		if p == "" || p == "." || p == ".." {
			return Pathspec{}, fmt.Errorf("pathspec %q is malformed: empty or relative part; write RUN/STEP/TASK", s)
		}
		if err := CheckPart(p); err != nil {
			return Pathspec{}, fmt.Errorf("pathspec %q is malformed: %v", short(s), err)
		}
	}
	var ps Pathspec
	ps.Run = parts[0]
	if len(parts) > 1 {
		ps.Step = parts[1]
	}
	if len(parts) > 2 {
		ps.Task = parts[2]
	}
	return ps, nil
}

// MaxPart is the longest run id, step name or task id a pathspec may
// hold: a file name (255 bytes on common filesystems) with room to spare,
// and far beyond any id Stepflow makes (a run id is 22 characters; a task
// id of 40 nested foreach indices is under 200).
const MaxPart = 200

// CheckPart rejects a pathspec part that no stored run, step or task can
// have: longer than MaxPart, or holding a backslash, a NUL or another
// control character, or starting with '.'.
func CheckPart(p string) error {
	switch {
	case len(p) > MaxPart:
		return fmt.Errorf("part %q is %d bytes long, more than %d", short(p), len(p), MaxPart)
	case strings.HasPrefix(p, "."):
		return fmt.Errorf("part %q starts with '.'", p)
	case strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }):
		return fmt.Errorf("part %q holds a backslash or a control character", p)
	}
	return nil
}

// short elides the middle of a long string for a message.
func short(s string) string {
	if len(s) <= 60 {
		return s
	}
	return s[:30] + "…" + s[len(s)-20:]
}

// TaskID returns the deterministic id of the task at a foreach position:
// "0" outside any foreach, else the indices joined by "-" ("3-1-2").
func TaskID(indices []int) string {
	if len(indices) == 0 {
		return "0"
	}
	var b strings.Builder
	for i, x := range indices {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(strconv.Itoa(x))
	}
	return b.String()
}

// Indices parses a task id back into its foreach position; depth is the
// number of enclosing foreaches of the task's step.
func Indices(taskID string, depth int) ([]int, error) {
	if depth == 0 {
		if taskID != "0" {
			return nil, fmt.Errorf("task id %q is not valid for a step outside any foreach; it is always 0", taskID)
		}
		return nil, nil
	}
	if len(taskID) > MaxPart {
		return nil, fmt.Errorf("task id %q is %d bytes long, more than %d", short(taskID), len(taskID), MaxPart)
	}
	parts := strings.Split(taskID, "-")
	if len(parts) != depth {
		return nil, fmt.Errorf("task id %q is not valid for a step inside %d foreach(es); write %d index(es) joined by -", taskID, depth, depth)
	}
	out := make([]int, depth)
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || strconv.Itoa(n) != p {
			return nil, fmt.Errorf("task id %q is not valid: %q is not an index", taskID, p)
		}
		out[i] = n
	}
	return out, nil
}

// ParseIndices parses a comma-separated index stack ("3,0,2"; "" is empty).
func ParseIndices(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > MaxPart {
		return nil, fmt.Errorf("index stack %q is longer than %d bytes", short(s), MaxPart)
	}
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("index stack %q is not a comma-separated list of indices", s)
		}
		out = append(out, n)
	}
	return out, nil
}
