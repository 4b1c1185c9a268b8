package stepflow

import (
	"errors"
	"io"
	"os"

	"github.com/stepflow/stepflow/internal/artifact"
)

// File is an artifact whose value is a file of any size: a step sets a
// local path, its task streams the file into the datastore when the step
// ends (content-addressed: the same file is stored once), and later steps
// read it as a stream. The file is never held in memory:
//
//	type TrainFlow struct {
//		Model stepflow.File
//	}
//
//	func (f *TrainFlow) Train(c *stepflow.Context) error {
//		path := filepath.Join(os.TempDir(), "model.bin")
//		... write the model to path ...
//		f.Model.SetPath(path)
//		return nil
//	}
//
//	func (f *TrainFlow) Evaluate(c *stepflow.Context) error {
//		r, err := f.Model.Open()
//		if err != nil {
//			return err
//		}
//		defer r.Close()
//		... read r, or copy it to a local file ...
//	}
//
// A step that does not call SetPath passes the stored file on without
// reading it. A File must be a field of the flow state itself. The zero File
// has no content: Open fails and nothing is stored.
type File struct {
	p *fileValue
}

type fileValue struct {
	path string           // set by this step
	src  *artifact.Source // stored by an earlier step
	size int64
}

// SetPath makes the file at path the field's content. The task stores it
// when the step ends, so the file must exist, unchanged, until then.
func (f *File) SetPath(path string) { f.p = &fileValue{path: path, size: -1} }

// errNoFile is returned by Open for a File with no content.
var errNoFile = errors.New("stepflow.File has no content: no step set a path")

// Open opens the file's content: the local file set in this step, or the
// stored file, streamed from the datastore. Read it to io.EOF: a stored
// file is verified against its SHA-256 at the end, and a damaged one gives
// an error there instead of io.EOF. The caller closes the reader.
func (f *File) Open() (io.ReadCloser, error) {
	switch {
	case f.p == nil:
		return nil, errNoFile
	case f.p.path != "":
		return os.Open(f.p.path)
	}
	rc, _, err := f.p.src.Open()
	return rc, err
}

// Size returns the file's size in bytes, or -1 when the file was set in
// this step and not yet stored (use os.Stat on its path).
func (f *File) Size() int64 {
	if f.p == nil {
		return 0
	}
	return f.p.size
}

// FileSource implements artifact.FileField.
func (f *File) FileSource() (*artifact.Source, bool) {
	if f.p == nil || f.p.src == nil {
		return nil, false
	}
	return f.p.src, true
}

// SetFileSource implements artifact.FileField.
func (f *File) SetFileSource(src *artifact.Source) { f.p = &fileValue{src: src, size: src.Size} }

// FilePath implements artifact.FileField.
func (f *File) FilePath() string {
	if f.p == nil {
		return ""
	}
	return f.p.path
}
