package stepflow

import (
	"io"

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
//		out, err := c.TempFile("model-*.bin") // in the task's own scratch directory
//		if err != nil {
//			return err
//		}
//		defer out.Close()
//		... write the model to out ...
//		f.Model.SetPath(out.Name())
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
	fileHolder
}

// fileHolder keeps a File's state for Stepflow's own packages; its method
// is unexported, so it stays out of the public API.
type fileHolder = artifact.FileHolder

// SetPath makes the file at path the field's content. The task stores it
// when the step ends, so the file must exist, unchanged, until then. Write
// it in the task's scratch directory (Context.TempFile, Context.TempDir),
// never at a fixed name that another task (a foreach's other items, a
// retry) could write at the same time: a file under the scratch directory
// is removed as soon as it is stored, and the directory when the task
// ends. A file anywhere else is stored and left where it is.
func (f *File) SetPath(path string) { artifact.FileSetPath(&f.fileHolder, path) }

// Open opens the file's content: the local file set in this step, or the
// stored file. On a local datastore the stored file is read from its blob
// in place, never copied (io.Copy of it to a file uses the kernel's
// copy_file_range); its length is checked, and its content was hashed as
// it was stored (docs/datastore.md, "File blobs"). From S3 it is streamed
// and verified against its hash (a SHA-256 tree) at the end: read it to
// io.EOF, and a damaged one gives an error there instead of io.EOF. The
// caller closes the reader.
func (f *File) Open() (io.ReadCloser, error) { return artifact.FileOpen(&f.fileHolder) }

// Size returns the file's size in bytes, or -1 when the file was set in
// this step and not yet stored (use os.Stat on its path).
func (f *File) Size() int64 { return artifact.FileSize(&f.fileHolder) }
