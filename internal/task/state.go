package task

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/usage"
)

// taskState is the flow state a step runs on, with where it came from.
type taskState struct {
	state     reflect.Value                    // *T
	inputs    []any                            // joins: the parents' states (*T), in split order
	inherited map[string]datastore.ArtifactRef // field -> ref the value was loaded from
	snaps     map[string]artifact.Snapshot     // field -> its value as loaded
	item      any
	hasItem   bool
	// conflicts are the fields a join's inputs disagree on: the join
	// starts with them at their zero value.
	conflicts []string
	// scratch is the Context the step ran with: a file of a File field
	// under its scratch directory is removed once stored.
	scratch *flow.Context
}

// loader reads states from the datastore, streaming each artifact from
// its blob into its field (a lazy field: only when the step asks).
type loader struct {
	attempts *datastore.Attempts
	blobs    *datastore.Blobs
	flow     *flow.Flow
	// shared holds decoded values by blob hash and type, for join inputs:
	// inputs that carry the same artifact share one decoded value, so a
	// join over 10,000 tasks holds one copy of what they inherited.
	shared map[sharedKey]reflect.Value
	// hit, when set, returns the record of a task a state machine found
	// in the step cache and nobody recorded yet (Executor.cachedInput).
	hit func(context.Context, pathspec.Pathspec) (*datastore.Attempt, error)
}

type sharedKey struct {
	hash string
	typ  reflect.Type
}

// succeeded returns the latest attempt of a task if it succeeded, or nil.
func (l *loader) succeeded(ctx context.Context, p pathspec.Pathspec) (*datastore.Attempt, error) {
	a, ok, err := l.attempts.Succeeded(ctx, p.Run, p.Step, p.Task)
	if err == nil && !ok && l.hit != nil {
		return l.hit(ctx, p)
	}
	if !ok {
		return nil, err
	}
	return &a, nil
}

// load decodes the state of a finished task into a new *T. With shared,
// artifact values are shared with other states loaded the same way (join
// inputs, which are read-only).
func (l *loader) load(ctx context.Context, ps string, shared bool) (reflect.Value, *datastore.Attempt, error) {
	p, err := pathspec.Parse(ps, 3)
	if err != nil {
		return reflect.Value{}, nil, usage.Wrap(err)
	}
	rec, err := l.succeeded(ctx, p)
	if err != nil {
		return reflect.Value{}, nil, fmt.Errorf("load input %s: %w", ps, err)
	}
	if rec == nil {
		return reflect.Value{}, nil, badInput("input %s has no successful attempt in the datastore", ps)
	}
	state := reflect.New(l.flow.StateType)
	for _, sf := range l.flow.Fields() {
		ref, ok := rec.Artifacts[sf.Name]
		if !ok {
			continue
		}
		field := state.Elem().FieldByIndex(sf.Index)
		var err error
		if shared {
			err = l.decodeShared(ctx, ref, field)
		} else {
			err = l.decode(ctx, ref, field)
		}
		if err != nil {
			return reflect.Value{}, nil, fmt.Errorf("load artifact %s of %s: %w", sf.Name, ps, err)
		}
	}
	return state, rec, nil
}

// decodeShared sets field to the value decoded for the same blob before,
// decoding it on first use.
func (l *loader) decodeShared(ctx context.Context, ref datastore.ArtifactRef, field reflect.Value) error {
	k := sharedKey{ref.Hash + "/" + ref.Encoding, field.Type()}
	if v, ok := l.shared[k]; ok {
		field.Set(v)
		return nil
	}
	if err := l.decode(ctx, ref, field); err != nil {
		return err
	}
	if l.shared == nil {
		l.shared = map[sharedKey]reflect.Value{}
	}
	l.shared[k] = field
	return nil
}

// decode reads the artifact of ref into field: straight from the blob's
// stream, or for a lazy field, only a note of where the value is.
func (l *loader) decode(ctx context.Context, ref datastore.ArtifactRef, field reflect.Value) error {
	if storedZero(ref, field.Type()) {
		field.SetZero()
		return nil
	}
	return DecodeField(ctx, l.blobs, ref, field)
}

// storedZero reports whether ref is the zero value of t, a type of plain
// scalars (see scalarOnly), by its hash: blobs are named by the SHA-256 of
// their bytes, so a ref with the hash of t's zero encoding holds exactly
// that, and nothing needs to be read. Fields a step has not set yet are
// zero, and every task inherited them from its parent as a blob to open,
// read and verify; the hash of each type's zero encoding is computed once
// per process.
func storedZero(ref datastore.ArtifactRef, t reflect.Type) bool {
	if ref.Encoding != artifact.Binary || ref.Size > maxZeroSize {
		return false
	}
	h, ok := zeroHashes.Load(t)
	if !ok {
		h, _ = zeroHashes.LoadOrStore(t, zeroHash(t))
	}
	zero := h.(string)
	return zero != "" && zero == ref.Hash
}

// zeroHashes memoizes zeroHash by reflect.Type: a pure function of the
// type, cached for the process as encoding/json caches its type
// encoders, so that the tasks of an in-process run (an Executor each)
// compute it once.
var zeroHashes sync.Map

// zeroHash is the blob hash of t's zero value, or "" for a type that is
// not scalarOnly.
func zeroHash(t reflect.Type) string {
	if !scalarOnly(t, 0) {
		return ""
	}
	enc, err := artifact.Marshal(reflect.Zero(t))
	if err != nil || enc.Encoding != artifact.Binary || enc.Size > maxZeroSize {
		return ""
	}
	return datastore.BlobHash(enc.Bytes())
}

// maxZeroSize bounds the encoding of a zero value storedZero recognises.
const maxZeroSize = 256

// scalarOnly reports whether t is made of booleans, numbers and strings
// only (in structs and arrays), whose zero value decodes to exactly the
// zero value: a nil and an empty slice or map encode alike, so types
// holding them are always read.
func scalarOnly(t reflect.Type, depth int) bool {
	if depth > 4 {
		return false
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		return true
	case reflect.Array:
		return t.Len() <= 16 && scalarOnly(t.Elem(), depth+1)
	case reflect.Struct:
		if t.NumField() > 16 || artifact.IsLazy(t) || artifact.IsFile(t) {
			return false
		}
		for i := range t.NumField() {
			if !t.Field(i).IsExported() || !scalarOnly(t.Field(i).Type, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// DecodeField sets field (addressable) to the artifact of ref, streamed
// from blobs; a lazy field only learns where its value is.
func DecodeField(ctx context.Context, blobs *datastore.Blobs, ref datastore.ArtifactRef, field reflect.Value) error {
	if lz, ok := artifact.LazyOf(field.Addr().Interface()); ok && artifact.IsLazy(field.Type()) {
		artifact.SetLazySource(lz, LazySource(blobs, ref))
		return nil
	}
	if ff, ok := artifact.FileOf(field.Addr().Interface()); ok && artifact.IsFile(field.Type()) {
		if ref.Encoding != artifact.File {
			return fmt.Errorf("cannot load a %q-encoded artifact into %s: it was not stored as a file", ref.Encoding, field.Type())
		}
		artifact.SetFileSource(ff, &artifact.Source{Ref: ref, Size: ref.Size, Open: func() (io.ReadCloser, int64, error) {
			return blobs.OpenFile(context.Background(), ref.Hash)
		}})
		return nil
	}
	return DecodeArtifact(ctx, blobs, ref, field.Addr())
}

// DecodeArtifact streams the artifact of ref from blobs into ptr.
func DecodeArtifact(ctx context.Context, blobs *datastore.Blobs, ref datastore.ArtifactRef, ptr reflect.Value) error {
	rc, size, err := blobs.Open(ctx, ref.Hash)
	if err != nil {
		return err
	}
	defer rc.Close()
	return artifact.Unmarshal(rc, size, ref.Encoding, ptr)
}

// LazySource returns the source of a lazy field stored as ref.
func LazySource(blobs *datastore.Blobs, ref datastore.ArtifactRef) *artifact.Source {
	return &artifact.Source{Ref: ref, Load: func(ptr reflect.Value) error {
		if err := DecodeArtifact(context.Background(), blobs, ref, ptr); err != nil {
			return fmt.Errorf("load lazy artifact %s: %w", ref.Hash[:12], err)
		}
		return nil
	}}
}

// prepare resolves the inputs and builds the state the step runs on.
func (e *Executor) prepare(ctx context.Context, l *loader, node *graph.Node, spec *Spec, rec *datastore.Attempt) (*taskState, error) {
	if spec.Inputs == nil {
		in, err := e.deriveInputs(ctx, l, node, spec)
		if err != nil {
			return nil, err
		}
		spec.Inputs = in
	}
	rec.Inputs = spec.Inputs
	st := &taskState{inherited: map[string]datastore.ArtifactRef{}}
	switch {
	case node.Name == e.Graph.Start:
		if len(spec.Inputs) != 0 {
			return nil, badInput("the start step takes no inputs, got %v", spec.Inputs)
		}
		st.state = reflect.New(e.Flow.StateType)
		if err := e.applyRun(ctx, l, spec, st.state); err != nil {
			return nil, err
		}
	case node.Kind == graph.Join && len(spec.Inputs) == 0:
		// A foreach over an empty slice: the join has nothing to join and
		// continues from the foreach task's state.
		split := pathspec.Task(spec.RunID, node.Split(), pathspec.TaskID(spec.Indices)).String()
		s, r, err := l.load(ctx, split, false)
		if err != nil {
			return nil, err
		}
		st.state = s
		for k, v := range r.Artifacts {
			st.inherited[k] = v
		}
		// Dropped fields start at zero whatever the number of inputs.
		for _, name := range node.Step.Options.Drop {
			if sf, ok := e.Flow.Field(name); ok {
				st.state.Elem().FieldByIndex(sf.Index).SetZero()
				delete(st.inherited, name)
			}
		}
	case node.Kind == graph.Join:
		st.state = reflect.New(e.Flow.StateType)
		refs := make([]map[string]datastore.ArtifactRef, len(spec.Inputs))
		for i, ps := range spec.Inputs {
			s, r, err := l.load(ctx, ps, true)
			if err != nil {
				return nil, err
			}
			st.inputs = append(st.inputs, s.Interface())
			refs[i] = r.Artifacts
		}
		// A join starts with every artifact its inputs agree on, except
		// the dropped ones: those start at zero whatever the number of
		// inputs, and whether or not they agree.
		for _, sf := range e.Flow.Fields() {
			if slices.Contains(node.Step.Options.Drop, sf.Name) {
				continue
			}
			ref, ok := agreed(refs, sf.Name)
			if !ok {
				st.conflicts = append(st.conflicts, sf.Name)
				continue
			}
			if err := l.decode(ctx, ref, st.state.Elem().FieldByIndex(sf.Index)); err != nil {
				return nil, fmt.Errorf("load artifact %s: %w", sf.Name, err)
			}
			st.inherited[sf.Name] = ref
		}
	default:
		if len(spec.Inputs) != 1 {
			return nil, badInput("step %s takes exactly one input, got %d (%v)", node.Name, len(spec.Inputs), spec.Inputs)
		}
		s, r, snaps, err := e.loadParent(ctx, l, spec.Inputs[0])
		if err != nil {
			return nil, err
		}
		st.state, st.snaps = s, snaps
		for k, v := range r.Artifacts {
			st.inherited[k] = v
		}
	}
	if st.snaps == nil {
		st.snaps = map[string]artifact.Snapshot{}
	}
	for name := range st.inherited {
		if _, ok := st.snaps[name]; ok {
			continue // taken once for every task sharing the parent
		}
		fv := st.state.Elem().FieldByName(name)
		if artifact.IsLazy(fv.Type()) || artifact.IsFile(fv.Type()) {
			continue
		}
		if snap, ok := artifact.Snap(fv); ok {
			st.snaps[name] = snap
		}
	}
	if fe := e.Graph.ForeachParents(node); len(fe) > 0 {
		f := e.Graph.Node(fe[len(fe)-1])
		items := st.state.Elem().FieldByName(f.Step.Transition.Field)
		if i := spec.Indices[len(spec.Indices)-1]; items.IsValid() && i < items.Len() {
			st.item, st.hasItem = items.Index(i).Interface(), true
		}
	}
	return st, nil
}

// checkJoin fails a join that left a field its inputs disagree on at the
// zero value without declaring it dropped: a join never zeroes an
// artifact silently.
func (e *Executor) checkJoin(node *graph.Node, st *taskState) error {
	var unresolved []string
	for _, name := range st.conflicts {
		if slices.Contains(node.Step.Options.Drop, name) {
			continue
		}
		if st.state.Elem().FieldByName(name).IsZero() {
			unresolved = append(unresolved, name)
		}
	}
	if len(unresolved) == 0 {
		return nil
	}
	quoted := make([]string, len(unresolved))
	for i, f := range unresolved {
		quoted[i] = strconv.Quote(f)
	}
	f := unresolved[0]
	return fmt.Errorf("join %s: its inputs disagree on %s, which the join neither set nor dropped, so the join's value would silently be zero; "+
		"for each, set it in the join from its inputs (f.%s = a sum, a maximum, ... of in[i].%s), keep one input's value (f.%s = in[0].%s), "+
		"or drop it on purpose: stepflow.Drop(%s) on the join", node.Name, strings.Join(unresolved, ", "), f, f, f, f, strings.Join(quoted, ", "))
}

// agreed returns the ref of field when every input has the same one.
func agreed(refs []map[string]datastore.ArtifactRef, field string) (datastore.ArtifactRef, bool) {
	if len(refs) == 0 {
		return datastore.ArtifactRef{}, false
	}
	first, ok := refs[0][field]
	if !ok {
		return first, false
	}
	for _, r := range refs[1:] {
		if x, ok := r[field]; !ok || x.Hash != first.Hash || x.Encoding != first.Encoding {
			return first, false
		}
	}
	return first, true
}

// applyRun sets the parameters and configs of the run on the start state,
// creating the run record first when it does not exist (a cloud run).
func (e *Executor) applyRun(ctx context.Context, l *loader, spec *Spec, state reflect.Value) error {
	run, _, err := e.Store.Runs().Get(ctx, spec.RunID)
	if err != nil {
		if !datastore.IsNotFound(err) || spec.Params == nil {
			return fmt.Errorf("run %s: %w", spec.RunID, err)
		}
		for _, c := range e.Flow.Configs {
			if _, ok := spec.Configs[c.Name]; !ok {
				return badInput("config %s has no frozen value (STEPFLOW_CONFIGS names %d of the flow's %d configs); deploy the flow again with step-functions create", c.Name, len(spec.Configs), len(e.Flow.Configs))
			}
		}
		var tags []string
		for _, t := range append(append([]string(nil), e.Flow.Tags...), spec.Tags...) {
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
		run = datastore.Run{Flow: e.Flow.Name, ID: spec.RunID, Start: e.now(), Params: spec.Params, Configs: spec.Configs,
			Trigger: spec.Trigger, Tags: tags, Runtime: "step-functions", Graph: e.Graph.ShapeJSON()}
		if err := e.Store.Runs().Put(ctx, run); err != nil {
			return err
		}
	}
	for _, p := range e.Flow.Params {
		fv := state.Elem().FieldByName(p.Field)
		s, ok := run.Params[p.Name]
		if p.Kind == flow.File {
			if err := fileParam(ctx, l.blobs, p, s, ok, fv); err != nil {
				return err
			}
			continue
		}
		switch {
		case ok:
			v, err := p.Parse(s)
			if err != nil {
				return usage.Wrap(err)
			}
			fv.Set(reflect.ValueOf(v))
		case p.Required:
			return badInput("parameter %s is required; give it with --%s", p.Name, p.Name)
		case p.Default != nil:
			fv.Set(reflect.ValueOf(p.Default))
		}
	}
	for _, c := range e.Flow.Configs {
		h, ok := run.Configs[c.Name]
		if !ok {
			continue
		}
		if err := l.decode(ctx, datastore.ArtifactRef{Hash: h, Encoding: "json"}, state.Elem().FieldByName(c.Field)); err != nil {
			return fmt.Errorf("config %s: %w", c.Name, err)
		}
	}
	return nil
}

// fileParam sets fv, the field of file parameter p, to the stored file
// its run value s names. The blob must be in the datastore: a value that
// names none (an execution started with a made-up input) fails the start
// step here, not the first step that opens the file.
func fileParam(ctx context.Context, blobs *datastore.Blobs, p *flow.Param, s string, ok bool, fv reflect.Value) error {
	if !ok {
		return badInput("file parameter %s has no stored file in the run; start the run with 'run' (which stores --%s PATH), or deploy the flow again with step-functions create", p.Name, p.Name)
	}
	v, err := p.Parse(s)
	if err != nil {
		return usage.Wrap(err)
	}
	fvv := v.(flow.FileValue)
	if has, err := blobs.Has(ctx, fvv.Hash); err != nil {
		return fmt.Errorf("file parameter %s: %w", p.Name, err)
	} else if !has {
		return badInput("file parameter %s: its file %s (%s) is not in the datastore; give the file again with --%s PATH, which stores it", p.Name, fvv.Name, fvv.Hash[:12], p.Name)
	}
	ref := datastore.ArtifactRef{Hash: fvv.Hash, Encoding: artifact.File, Size: fvv.Size, Type: fv.Type().String(), FileName: fvv.Name}
	return DecodeField(ctx, blobs, ref, fv)
}

// save writes the artifacts that changed and fills rec.Artifacts. An
// inherited artifact that the step left alone keeps its ref: plain data is
// compared with its snapshot and not encoded again; other values are
// encoded, and not written when they hash to the ref they came from.
func (e *Executor) save(ctx context.Context, l *loader, st *taskState, rec *datastore.Attempt) error {
	rec.Artifacts = map[string]datastore.ArtifactRef{}
	for _, sf := range e.Flow.Fields() {
		fv := st.state.Elem().FieldByIndex(sf.Index)
		if snap, ok := st.snaps[sf.Name]; ok && snap.Unchanged(fv) {
			rec.Artifacts[sf.Name] = st.inherited[sf.Name]
			continue
		}
		if ff, ok := artifact.FileOf(fv.Addr().Interface()); ok && artifact.IsFile(fv.Type()) {
			if src, ok := artifact.FileSource(ff); ok {
				rec.Artifacts[sf.Name] = src.Ref.(datastore.ArtifactRef)
				continue
			}
			path := artifact.FilePath(ff)
			if path == "" {
				continue // no file: no artifact
			}
			hash, size, err := e.Store.Blobs().PutFile(ctx, path)
			if err != nil {
				return fmt.Errorf("save file artifact %s: %w", sf.Name, err)
			}
			// A file under the task's scratch directory is the task's
			// own: once stored it is removed at once, not only with the
			// directory when the task ends, so that a local datastore,
			// which copies it into a blob, holds no more than one of a
			// step's files twice at a time. A file elsewhere is the
			// step's, and stays.
			if st.scratch != nil && st.scratch.InScratch(path) {
				if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("file artifact %s: stored, but not removed from the task's scratch directory: %w", sf.Name, err)
				}
			}
			rec.Artifacts[sf.Name] = datastore.ArtifactRef{Hash: hash, Encoding: artifact.File, Size: size, Type: sf.Type.String(),
				FileName: filepath.Base(path)}
			continue
		}
		if lz, ok := artifact.LazyOf(fv.Addr().Interface()); ok && artifact.IsLazy(fv.Type()) {
			if src, ok := artifact.LazySource(lz); ok {
				rec.Artifacts[sf.Name] = src.Ref.(datastore.ArtifactRef)
				continue
			}
			v, err := artifact.LazyValue(fv.Addr())
			if err != nil {
				return fmt.Errorf("artifact %s: %w", sf.Name, err)
			}
			fv = v
		}
		enc, err := artifact.Marshal(fv)
		if err != nil {
			return fmt.Errorf("artifact %s: %w", sf.Name, err)
		}
		// Blobs.PutParts skips the write of a blob that exists, so an
		// unchanged inherited value is hashed, not written again.
		got, err := e.Store.Blobs().PutParts(ctx, enc.Parts)
		if err != nil {
			return fmt.Errorf("save artifact %s: %w", sf.Name, err)
		}
		if old, ok := st.inherited[sf.Name]; ok && old.Hash == got && old.Encoding == enc.Encoding {
			rec.Artifacts[sf.Name] = old
			continue
		}
		rec.Artifacts[sf.Name] = datastore.ArtifactRef{Hash: got, Encoding: enc.Encoding, Size: enc.Size, Type: sf.Type.String()}
	}
	return nil
}
