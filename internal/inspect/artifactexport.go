package inspect

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/artifact"
)

// Export is one artifact in a format other tools read, as `dump --export`
// writes it and the UI's Download serves it: a numeric array (a numeric
// slice, rectangular nested slices of them, []byte) as .npy, which
// numpy.load reads; a stepflow.File as its own bytes, under its own name
// and content type; any other value as indented JSON.
type Export struct {
	// Name is the file name a download gives: NAME.npy, NAME.json, or a
	// File's own name (the base name of the file it was stored from; the
	// artifact's name for files stored before Stepflow recorded it).
	Name string
	// DirName is the name `dump --export` writes in the directory that
	// holds every artifact of the task: Name, but for a File the
	// artifact's name with the file's extension (Data.csv), since two
	// File artifacts may come from files of the same name.
	DirName string
	// ContentType is the media type: application/x-npy,
	// application/json, or a File's, from its extension or else from its
	// first bytes (text/plain when they are text, else
	// application/octet-stream).
	ContentType string
	// Size is the number of bytes WriteTo writes.
	Size int64
	// What describes the export for people: "float64 array of shape [2
	// 3]", "JSON", "file scores.csv, 1204 bytes".
	What string
	// Text reports whether the bytes are text (a File of CSV, JSON, logs,
	// ...: its content type is text or JSON, or its first bytes are UTF-8
	// without control characters), which a viewer shows as text rather
	// than as hex.
	Text bool

	r io.Reader
	c io.Closer
}

// WriteTo copies the export to w. A File is streamed from the datastore,
// and its content verified at the end: an error then means that what was
// written is not the stored file.
func (e *Export) WriteTo(w io.Writer) (int64, error) { return io.Copy(w, e.r) }

// MaxHead is the most Head returns.
const MaxHead = 64 << 10

// Head returns up to n (at most MaxHead) of the first bytes of the export
// without consuming them, and whether there are more.
func (e *Export) Head(n int) ([]byte, bool) {
	n = min(n, MaxHead)
	if br, ok := e.r.(*bufio.Reader); ok {
		b, err := br.Peek(n)
		return b, err == nil && int64(n) < e.Size
	}
	if b, ok := e.r.(*bytes.Reader); ok {
		all := make([]byte, min(n, b.Len()))
		b.ReadAt(all, 0)
		return all, int64(n) < e.Size
	}
	return nil, e.Size > 0 // an array: not a text to preview
}

// Close releases the export (a File's open blob).
func (e *Export) Close() error {
	if e.c == nil {
		return nil
	}
	return e.c.Close()
}

// OpenExport opens the export of t's artifact name. The caller closes it.
func OpenExport(ctx context.Context, t *client.Task, name string) (*Export, error) {
	info, err := t.Info(name)
	if err != nil {
		return nil, err
	}
	if info.Encoding == artifact.File {
		return openFileExport(ctx, t, info)
	}
	a, err := t.Artifact(ctx, name)
	if err != nil {
		return nil, err
	}
	e, err := ArtifactExport(a)
	if err != nil {
		return nil, fmt.Errorf("export artifact %s of %s: %w", name, t.Pathspec(), err)
	}
	return e, nil
}

// ArtifactExport is OpenExport of an artifact already read, which is not
// a File (a File is streamed: OpenExport). An array's .npy is read from
// the artifact's bytes where they are, without a copy.
func ArtifactExport(a *client.Artifact) (*Export, error) {
	name := safeFileName(a.Name)
	if a.Encoding == artifact.File {
		return nil, fmt.Errorf("artifact %s is a file: open its export with OpenExport, which streams it", a.Name)
	}
	npy, err := asNPY(a)
	if err != nil {
		return nil, err
	}
	if npy != nil {
		return &Export{Name: name + ".npy", DirName: name + ".npy", ContentType: "application/x-npy", Size: npy.Size(),
			What: fmt.Sprintf("%s array of shape %v", npy.DType, npy.Shape), r: npy.Reader()}, nil
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, a.JSON(), "", "  "); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return &Export{Name: name + ".json", DirName: name + ".json", ContentType: "application/json", Size: int64(buf.Len()),
		What: "JSON", Text: true, r: bytes.NewReader(buf.Bytes())}, nil
}

// openFileExport opens a File artifact's bytes and judges its type from
// its name and its first bytes.
func openFileExport(ctx context.Context, t *client.Task, info client.Summary) (*Export, error) {
	rc, size, err := t.Open(ctx, info.Name)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(rc, MaxHead+1)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		rc.Close()
		return nil, fmt.Errorf("artifact %s of %s: %w", info.Name, t.Pathspec(), err)
	}
	fileName := safeFileName(info.FileName)
	ext := filepath.Ext(fileName)
	if fileName == "" {
		fileName = safeFileName(info.Name)
	}
	ctype := fileContentType(ext, head)
	what := fmt.Sprintf("file, %d bytes", size)
	if info.FileName != "" {
		what = fmt.Sprintf("file %s, %d bytes", fileName, size)
	}
	return &Export{Name: fileName, DirName: safeFileName(info.Name) + ext, ContentType: ctype, Size: size, What: what,
		Text: isText(ctype, head), r: br, c: rc}, nil
}

// dataTypes are the media types of data files that Go's table
// (mime.TypeByExtension) may not know on every system.
var dataTypes = map[string]string{
	".csv":     "text/csv; charset=utf-8",
	".tsv":     "text/tab-separated-values; charset=utf-8",
	".txt":     "text/plain; charset=utf-8",
	".log":     "text/plain; charset=utf-8",
	".md":      "text/markdown; charset=utf-8",
	".json":    "application/json",
	".jsonl":   "application/jsonl",
	".ndjson":  "application/x-ndjson",
	".yaml":    "application/yaml",
	".yml":     "application/yaml",
	".toml":    "application/toml",
	".npy":     "application/x-npy",
	".parquet": "application/vnd.apache.parquet",
}

// fileContentType is the media type of a file with extension ext and
// first bytes head.
func fileContentType(ext string, head []byte) string {
	ext = strings.ToLower(ext)
	if ct, ok := dataTypes[ext]; ok {
		return ct
	}
	if ct := mime.TypeByExtension(ext); ext != "" && ct != "" {
		return ct
	}
	if looksLikeText(head) {
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// isText reports whether a file of type ctype starting with head is text.
func isText(ctype string, head []byte) bool {
	mt, _, _ := mime.ParseMediaType(ctype)
	switch {
	case strings.HasPrefix(mt, "text/"), mt == "application/json", mt == "application/jsonl", mt == "application/x-ndjson",
		mt == "application/yaml", mt == "application/toml", mt == "application/xml":
		return true
	case mt != "application/octet-stream":
		return false
	}
	return looksLikeText(head)
}

// looksLikeText reports whether head is UTF-8 (a rune cut at the end
// aside) without control characters other than tabs and line breaks.
func looksLikeText(head []byte) bool {
	for i := 0; i < len(head); {
		r, n := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && n <= 1 {
			if len(head)-i < utf8.UTFMax && !utf8.FullRune(head[i:]) {
				break
			}
			return false
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return false
		}
		i += n
	}
	return len(head) > 0
}

// safeFileName keeps the base of name, with only letters, digits and
// "-_." ("" for nothing usable), so that an export cannot be written
// outside its directory nor give a download a strange name.
func safeFileName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, filepath.Base(name))
	if strings.Trim(name, ".") == "" {
		return ""
	}
	return name
}
