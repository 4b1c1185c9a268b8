package datastore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AttemptIndexVersion is the version of the attempt index that Runs.Put
// records in Run.AttemptIndex: a run recorded with it has an index entry
// for every attempt stored through this package.
const AttemptIndexVersion = 1

// indexDir is the folder of a run's attempt index. It holds a hyphen, so
// no step (named [a-z][a-z0-9_]*) has its name.
const indexDir = "attempt-index/"

// StatusRunning is the status of an index entry written when an attempt
// starts; the attempt's finished entry supersedes it.
const StatusRunning = "running"

// IndexEntry is one entry of a run's attempt index: what a view of a run
// needs of an attempt, held in the entry's name so that one listing gives
// every attempt of a run without reading a record. Entries are written
// once and never rewritten: an attempt has a "running" entry when it
// started under a supervisor, and a finished one once its record exists.
//
// An entry's name is "<run>/attempt-index/<step>.<task>.<attempt>.<status>.
// <start>.<end>.<width>[.<origin run>[.<cached run>]]", times in Unix nanoseconds (end 0
// while running), step, task and origin run with "%" and "." escaped as
// "%25" and "%2E". The entries of all steps share one folder, so a new
// step costs its first task no directory (a directory is a new inode,
// the dearest thing a task makes on ext4). Binaries before this layout
// wrote "<run>/attempt-index/<step>/<task>.<attempt>...", one folder per
// step; readers accept both.
type IndexEntry struct {
	Step         string
	Task         string
	Attempt      int
	Status       string // StatusSucceeded, StatusFailed or StatusRunning
	Start        time.Time
	End          time.Time // zero while running
	ForeachWidth int
	// OriginRun is the run a resumed task was reused from, or "".
	OriginRun string
	// CachedRun is the run a task found in the step cache was reused
	// from, or "" (the origin run field is then empty when not resumed).
	CachedRun string
}

// escapeIndex escapes a step name, task id or run id for an entry's name:
// "%" as "%25" and "." as "%2E".
func escapeIndex(s string) string {
	n := strings.Count(s, "%") + strings.Count(s, ".")
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := range len(s) {
		switch s[i] {
		case '%':
			b = append(b, "%25"...)
		case '.':
			b = append(b, "%2E"...)
		default:
			b = append(b, s[i])
		}
	}
	return string(b)
}

// unescapeIndex undoes escapeIndex: it replaces "%25" and "%2E", from left
// to right, and leaves any other "%" as it is.
func unescapeIndex(s string) string {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s
	}
	b := append(make([]byte, 0, len(s)), s[:i]...)
	for ; i < len(s); i++ {
		switch {
		case s[i] != '%':
			b = append(b, s[i])
			continue
		case strings.HasPrefix(s[i:], "%25"):
			b = append(b, '%')
		case strings.HasPrefix(s[i:], "%2E"):
			b = append(b, '.')
		default:
			b = append(b, '%')
			continue
		}
		i += 2
	}
	return string(b)
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNano(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// name is the entry's object name element, the step first.
func (e IndexEntry) name() string {
	b := make([]byte, 0, 96)
	b = append(b, escapeIndex(e.Step)...)
	b = append(b, '.')
	b = append(b, escapeIndex(e.Task)...)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(e.Attempt), 10)
	b = append(b, '.')
	b = append(b, e.Status...)
	b = append(b, '.')
	b = strconv.AppendInt(b, unixNano(e.Start), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, unixNano(e.End), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(e.ForeachWidth), 10)
	if e.OriginRun != "" || e.CachedRun != "" {
		b = append(b, '.')
		b = append(b, escapeIndex(e.OriginRun)...)
	}
	if e.CachedRun != "" {
		b = append(b, '.')
		b = append(b, escapeIndex(e.CachedRun)...)
	}
	return string(b)
}

// parseIndexEntry reads an entry from its name, "<step>.<task>..." (see
// IndexEntry), or "<step>/<task>..." as binaries before the flat index
// wrote it; ok is false for any other name.
func parseIndexEntry(rel string) (e IndexEntry, ok bool) {
	var f []string
	if step, name, nested := strings.Cut(rel, "/"); nested {
		if step == "" || strings.Contains(name, "/") {
			return IndexEntry{}, false
		}
		f = append([]string{step}, strings.Split(name, ".")...)
	} else {
		f = strings.Split(rel, ".")
		f[0] = unescapeIndex(f[0])
	}
	if len(f) < 7 || len(f) > 9 || f[0] == "" {
		return IndexEntry{}, false
	}
	e = IndexEntry{Step: f[0]}
	f = f[1:]
	e.Task, e.Status = unescapeIndex(f[0]), f[2]
	var err error
	var start, end int64
	if e.Attempt, err = strconv.Atoi(f[1]); err != nil || e.Attempt < 0 {
		return IndexEntry{}, false
	}
	if start, err = strconv.ParseInt(f[3], 10, 64); err != nil {
		return IndexEntry{}, false
	}
	if end, err = strconv.ParseInt(f[4], 10, 64); err != nil {
		return IndexEntry{}, false
	}
	if e.ForeachWidth, err = strconv.Atoi(f[5]); err != nil {
		return IndexEntry{}, false
	}
	if len(f) >= 7 {
		e.OriginRun = unescapeIndex(f[6])
	}
	if len(f) == 8 {
		if e.CachedRun = unescapeIndex(f[7]); e.CachedRun == "" {
			return IndexEntry{}, false
		}
	}
	e.Start, e.End = fromNano(start), fromNano(end)
	switch e.Status {
	case StatusSucceeded, StatusFailed, StatusRunning:
		return e, true
	}
	return IndexEntry{}, false
}

// indexEntryOf is the finished entry of attempt a.
func indexEntryOf(a Attempt) IndexEntry {
	e := IndexEntry{Step: a.Step, Task: a.Task, Attempt: a.Attempt, Status: a.Status, Start: a.Start, End: a.End,
		ForeachWidth: a.ForeachWidth}
	if a.Origin != "" {
		e.OriginRun, _, _ = strings.Cut(a.Origin, "/")
	}
	if a.CachedFrom != "" {
		e.CachedRun, _, _ = strings.Cut(a.CachedFrom, "/")
	}
	return e
}

// putIndexEntry saves an empty object named for e.
func (at *Attempts) putIndexEntry(ctx context.Context, run string, e IndexEntry) error {
	dir, err := at.runDir(run)
	if err != nil {
		return err
	}
	if err := checkElem("step name", e.Step); err != nil {
		return err
	}
	if err := checkElem("task id", e.Task); err != nil {
		return err
	}
	key := dir + indexDir + e.name()
	if err := at.b.Save(ctx, key, strings.NewReader("")); err != nil {
		return fmt.Errorf("put index entry: %w", err)
	}
	return nil
}

// PutStarted writes the index entry saying an attempt started, so
// that a view of the run counts it as running before it stores anything
// else. The supervisor of an attempt writes it.
func (at *Attempts) PutStarted(ctx context.Context, run, step, task string, attempt int, start time.Time) error {
	return at.putIndexEntry(ctx, run, IndexEntry{Step: step, Task: task, Attempt: attempt, Status: StatusRunning, Start: start})
}

// Index returns every entry of a run's attempt index, in one listing,
// ordered by step, then as Tasks orders tasks, then by attempt,
// a running entry before its attempt's finished one. It is complete only
// for runs whose record has AttemptIndex set (see Run.AttemptIndex).
func (at *Attempts) Index(ctx context.Context, run string) ([]IndexEntry, error) {
	dir, err := at.runDir(run)
	if err != nil {
		return nil, fmt.Errorf("list attempt index: %w", err)
	}
	dir += indexDir
	var out []IndexEntry
	err = at.b.List(ctx, dir, func(name string, _ int64) error {
		if e, ok := parseIndexEntry(strings.TrimPrefix(name, dir)); ok {
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list attempt index of %s: %w", dir, err)
	}
	sortIndex(out)
	return out, nil
}

func sortIndex(es []IndexEntry) {
	rank := func(st string) int {
		if st == StatusRunning {
			return 0
		}
		return 1
	}
	slices.SortFunc(es, func(a, b IndexEntry) int {
		if c := strings.Compare(a.Step, b.Step); c != 0 {
			return c
		}
		if c := CompareTaskIDs(a.Task, b.Task); c != 0 {
			return c
		}
		if a.Attempt != b.Attempt {
			return a.Attempt - b.Attempt
		}
		return rank(a.Status) - rank(b.Status)
	})
}
