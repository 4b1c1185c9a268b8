package datastore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Damage is one problem VerifyRun found.
type Damage struct {
	// Key is the object's name (for a blob, its key under blobs/).
	Key string
	// Kind says what is wrong: DamagedRecord, DamagedBlob, MissingBlob,
	// MissingRecord or Crashed.
	Kind string
	// Hash is the blob's hash for blob damage, else "".
	Hash string
	Err  error
}

func (d Damage) String() string { return fmt.Sprintf("%s %s: %v", d.Kind, d.Key, d.Err) }

// The kinds of Damage.
const (
	DamagedRecord = "damaged record"
	DamagedBlob   = "damaged blob"
	MissingBlob   = "missing blob"
	MissingRecord = "missing record"
	Crashed       = "crashed run"
)

// Repairable reports whether Repair can remove the damaged object so that
// a resume recomputes it: a damaged blob, a damaged attempt record (the
// attempt then counts as unfinished) or a damaged lease; or restore it: a
// run's missing index entry. A damaged run or
// end record cannot be rebuilt; a missing blob needs no removal (a resume
// recomputes it).
func (d Damage) Repairable() bool {
	switch d.Kind {
	case DamagedBlob:
		return d.Hash != ""
	case DamagedRecord:
		return strings.HasSuffix(d.Key, "/attempt.json") || strings.HasSuffix(d.Key, "/heartbeat.json") || strings.Contains(d.Key, "/resumes/") ||
			strings.HasSuffix(d.Key, "/tags.json") // the run's tags fall back to those it started with
	case MissingIndex, MissingAttemptEntry:
		return true
	}
	return false
}

// Verified counts what VerifyRun checked.
type Verified struct {
	Records int
	Blobs   int
	Damage  []Damage
}

// VerifyRun checks every record of run (run, end, heartbeat, resume
// claims and every attempt) against its checksum, and every blob they
// refer to (artifacts and frozen configs) in full: header, length and
// SHA-256, streamed. blobsSeen, when not nil, holds blobs verified
// already (by hash, with their damage or nil) and is filled, so that a
// blob shared by many runs is read once. Damage is reported in Verified;
// the error is for a datastore that cannot be read.
func (s *Store) VerifyRun(ctx context.Context, run string, blobsSeen map[string]*Damage) (Verified, error) {
	var v Verified
	dir, err := s.runDir(run)
	if err != nil {
		return v, fmt.Errorf("verify: %w", err)
	}
	if blobsSeen == nil {
		blobsSeen = map[string]*Damage{}
	}
	var names []string
	if err := s.b.List(ctx, dir, func(name string, _ int64) error {
		names = append(names, name)
		return nil
	}); err != nil {
		return v, fmt.Errorf("verify run %s: %w", run, err)
	}
	record := func(key string, into any) bool {
		v.Records++
		err := s.getJSON(ctx, key, into)
		switch {
		case err == nil:
			return true
		case errors.Is(err, ErrCorrupt):
			v.Damage = append(v.Damage, Damage{Key: key, Kind: DamagedRecord, Err: err})
		case errors.Is(err, ErrNotFound):
			v.Damage = append(v.Damage, Damage{Key: key, Kind: MissingRecord, Err: err})
		default:
			v.Damage = append(v.Damage, Damage{Key: key, Kind: DamagedRecord, Err: err})
		}
		return false
	}
	if d, err := s.runs.checkIndexed(ctx, run); err != nil {
		return v, err
	} else if d != nil {
		v.Damage = append(v.Damage, *d)
	}
	blobs := map[string]string{} // hash -> who refers to it
	var r Run
	runOK := record(dir+"run.json", &r)
	if runOK {
		for name, h := range r.Configs {
			blobs[h] = "config " + name + " of run " + run
		}
	}
	var end *RunEnd
	finished := map[string]bool{} // attempt dirs with a record
	hasTask := map[string]bool{}  // step/task with a record
	inputs := map[string]string{} // step/task input -> the task that read it
	attemptDirs := map[string]bool{}
	files := map[string][]string{} // attempt dir -> its files
	var rests []string
	var attempts []Attempt // the records that read
	for _, name := range names {
		rest := strings.TrimPrefix(name, dir)
		rests = append(rests, rest)
		parts := strings.Split(rest, "/")
		switch {
		case rest == "run.json":
		case rest == "tags.json":
			var t RunTags
			record(name, &t)
		case rest == "end.json":
			var e RunEnd
			if record(name, &e) {
				end = &e
			}
		case rest == "hook.json":
			var h HookRecord
			record(name, &h)
		case rest == "heartbeat.json" || (len(parts) == 2 && parts[0] == "resumes"):
			var l Lease
			record(name, &l)
		case len(parts) == 4:
			adir := strings.TrimSuffix(name, parts[3])
			attemptDirs[adir] = true
			files[adir] = append(files[adir], parts[3])
			if parts[3] != "attempt.json" {
				continue
			}
			finished[adir] = true
			hasTask[parts[0]+"/"+parts[1]] = true
			var a Attempt
			if record(name, &a) {
				attempts = append(attempts, a)
				for field, ref := range a.Artifacts {
					blobs[ref.Hash] = fmt.Sprintf("artifact %s of %s/%s/%s attempt %s", field, run, parts[0], parts[1], parts[2])
				}
				if a.Card != "" {
					blobs[a.Card] = fmt.Sprintf("card of %s/%s/%s attempt %s", run, parts[0], parts[1], parts[2])
				}
				if a.Status == StatusSucceeded {
					for _, in := range a.Inputs {
						inputs[strings.TrimPrefix(in, run+"/")] = parts[0] + "/" + parts[1]
					}
				}
			}
		}
	}
	// A run that succeeded finished every attempt it started: an attempt
	// directory without its record lost it.
	// So did every task a successful task read, and the end step.
	if end != nil && end.Status == StatusSucceeded {
		for _, adir := range slices.Sorted(maps.Keys(attemptDirs)) {
			if !finished[adir] {
				v.Damage = append(v.Damage, Damage{Key: adir + "attempt.json", Kind: MissingRecord,
					Err: fmt.Errorf("the run succeeded, but this attempt has logs and no record")})
			}
		}
		if endStep := endStepOf(r); endStep != "" {
			inputs[endStep+"/0"] = "the run's success"
		}
		for _, in := range slices.Sorted(maps.Keys(inputs)) {
			if !hasTask[in] && !strings.Contains(in, "/..") {
				v.Damage = append(v.Damage, Damage{Key: dir + in + "/", Kind: MissingRecord,
					Err: fmt.Errorf("task has no attempt record, but %s needs it", inputs[in])})
			}
		}
	}
	// Views of an indexed run read its attempt index: every finished
	// attempt must be in it.
	if runOK && r.AttemptIndex >= AttemptIndexVersion {
		listed := attemptEntries(rests)
		for _, a := range attempts {
			if !listed[fmt.Sprintf("%s/%s/%d", a.Step, a.Task, a.Attempt)] {
				v.Damage = append(v.Damage, s.missingEntry(dir, a))
			}
		}
	}
	v.Damage = append(v.Damage, logGaps(files)...)
	if runOK && end == nil && !slices.ContainsFunc(v.Damage, func(d Damage) bool { return strings.HasSuffix(d.Key, "/end.json") }) {
		if hb, err := s.leases.Heartbeat(ctx, run); err == nil && !hb.Alive(time.Now()) {
			v.Damage = append(v.Damage, Damage{Key: dir + "end.json", Kind: Crashed,
				Err: fmt.Errorf("no end record and the runtime is gone (%s); resume the run", hb)})
		}
	}
	for _, h := range slices.Sorted(maps.Keys(blobs)) {
		if d, ok := blobsSeen[h]; ok {
			if d != nil {
				v.Damage = append(v.Damage, *d)
			}
			continue
		}
		v.Blobs++
		var d *Damage
		if err := checkHash(h); err != nil {
			d = &Damage{Key: h, Kind: DamagedBlob, Err: fmt.Errorf("%s: %w", blobs[h], err)}
		} else if err := s.blobs.Verify(ctx, h); errors.Is(err, ErrNotFound) {
			d = &Damage{Key: s.blobKey(h), Kind: MissingBlob, Hash: h, Err: fmt.Errorf("%s: %w", blobs[h], err)}
		} else if errors.Is(err, ErrCorrupt) {
			d = &Damage{Key: s.blobKey(h), Kind: DamagedBlob, Hash: h, Err: fmt.Errorf("%s: %w", blobs[h], err)}
		} else if err != nil {
			return v, fmt.Errorf("verify run %s: %w", run, err)
		}
		blobsSeen[h] = d
		if d != nil {
			v.Damage = append(v.Damage, *d)
		}
	}
	return v, nil
}

// Repair removes the damaged object d names, when d.Repairable, so that a
// resume recomputes it (a removed blob is missing, a removed attempt
// record leaves the attempt unfinished), or writes a missing index entry.
func (s *Store) Repair(ctx context.Context, d Damage) error {
	if !d.Repairable() {
		return fmt.Errorf("repair %s: a %s cannot be repaired", d.Key, d.Kind)
	}
	if d.Kind == DamagedBlob && d.Hash != "" {
		return s.blobs.Remove(ctx, d.Hash)
	}
	if d.Kind == MissingAttemptEntry {
		rest, ok := strings.CutPrefix(d.Key, s.flow+"/runs/")
		run, entry, _ := strings.Cut(rest, "/"+indexDir)
		if _, valid := parseIndexEntry(entry); !ok || !valid || checkElem("run id", run) != nil || strings.Contains(entry, "/") {
			return fmt.Errorf("repair %s: not an attempt index entry of flow %s", d.Key, s.flow)
		}
		if err := s.b.Save(ctx, d.Key, strings.NewReader("")); err != nil {
			return fmt.Errorf("repair: restore %s: %w", d.Key, err)
		}
		return nil
	}
	if d.Kind == MissingIndex {
		run, ok := strings.CutPrefix(d.Key, s.flow+"/index/")
		if !ok || checkElem("run id", run) != nil {
			return fmt.Errorf("repair %s: not an index entry of flow %s", d.Key, s.flow)
		}
		mark := "" // with the tags mark when the run's tags changed
		if _, err := s.b.Stat(ctx, s.flow+"/runs/"+run+"/tags.json"); err == nil {
			mark = tagsMark
		}
		if err := s.b.Save(ctx, d.Key, strings.NewReader(mark)); err != nil {
			return fmt.Errorf("repair: restore %s: %w", d.Key, err)
		}
		return nil
	}
	if !strings.HasPrefix(d.Key, s.flow+"/runs/") {
		return fmt.Errorf("repair %s: not a record of flow %s", d.Key, s.flow)
	}
	if err := s.b.Remove(ctx, d.Key); err != nil {
		return fmt.Errorf("repair: %w", err)
	}
	return nil
}

// endStepOf returns the end step of the run's recorded graph, or "".
func endStepOf(r Run) string {
	var g struct {
		Steps []struct {
			Name string `json:"name"`
			Kind string `json:"kind"`
		} `json:"steps"`
	}
	if json.Unmarshal(r.Graph, &g) != nil {
		return ""
	}
	for _, st := range g.Steps {
		if st.Kind == "end" {
			return st.Name
		}
	}
	return ""
}
