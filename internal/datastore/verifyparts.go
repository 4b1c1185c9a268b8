package datastore

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The kinds of Damage to a run's views rather than to its records: a
// finished attempt missing from the run's attempt index (views of the run
// miss it; Repair writes the entry from the record), and a gap in the log
// parts of an attempt that has no final log (its output after the gap is
// lost; nothing can rebuild it).
const (
	MissingAttemptEntry = "missing attempt index entry"
	MissingLogPart      = "missing log part"
)

// attemptEntries collects, from the names of a run's objects (rest: the
// name after the run's folder), the attempts its index lists as finished,
// as "step/task/attempt".
func attemptEntries(rests []string) map[string]bool {
	out := map[string]bool{}
	for _, rest := range rests {
		e, ok := parseIndexEntry(strings.TrimPrefix(rest, indexDir))
		if strings.HasPrefix(rest, indexDir) && ok && e.Status != StatusRunning {
			out[fmt.Sprintf("%s/%s/%d", e.Step, e.Task, e.Attempt)] = true
		}
	}
	return out
}

// missingEntry is the Damage of attempt a, whose record the run's index
// lacks; its Key is the entry to write.
func (s *Store) missingEntry(dir string, a Attempt) Damage {
	return Damage{Key: dir + indexDir + indexEntryOf(a).name(), Kind: MissingAttemptEntry,
		Err: fmt.Errorf("attempt %d of %s/%s finished (its record is whole), but the run's attempt index does not list it, so views of the run miss it", a.Attempt, a.Step, a.Task)}
}

// logGaps reports, for each attempt folder (adir, ending in "/") with log
// parts and no final log of a stream, the first missing part when the
// parts are not numbered 1, 2, ... without a gap: Logs.Open reads the
// parts up to the gap, so the output after it is lost.
func logGaps(files map[string][]string) []Damage {
	var out []Damage
	for _, adir := range slices.Sorted(maps.Keys(files)) {
		for _, stream := range []string{"stdout", "stderr"} {
			nums := map[int]bool{}
			final := false
			for _, f := range files[adir] {
				if f == stream+".log" {
					final = true
				}
				if n, ok := logPartNumber(f); ok && strings.HasPrefix(f, stream+".") {
					nums[n] = true
				}
			}
			if final || len(nums) == 0 {
				continue
			}
			for n := 1; n <= slices.Max(slices.Collect(maps.Keys(nums))); n++ {
				if !nums[n] {
					out = append(out, Damage{Key: adir + logPartName(stream, n), Kind: MissingLogPart,
						Err: fmt.Errorf("the attempt has no final %s log and its parts stop at part %d of %d: the output after it is lost", stream, n-1, slices.Max(slices.Collect(maps.Keys(nums))))})
					break
				}
			}
		}
	}
	return out
}
