package inspect

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/usage"
)

// dumpJSON prints the named artifacts of t as JSON: one value when single
// is set, else an object of name to value, as json.Encoder indents it.
// Without full, an artifact larger than summaryAbove is its summary (an
// object of its type, size, kind and length, read from its first bytes),
// noted on stderr; with full it is streamed (compact), never held as
// text: a file or []byte as base64 read from the blob, a binary value
// from its tree (one copy of its arrays), so a 256 MiB File prints in
// constant memory.
func (in *Inspector) dumpJSON(ctx context.Context, t *client.Task, names []string, single, full bool) error {
	w := bufio.NewWriterSize(in.Stdout, 64<<10)
	if single {
		if err := in.jsonValue(ctx, w, t, names[0], "", full); err != nil {
			return err
		}
		w.WriteByte('\n')
		return w.Flush()
	}
	if len(names) == 0 {
		w.WriteString("{}\n")
		return w.Flush()
	}
	w.WriteString("{\n")
	for i, n := range names {
		key, _ := json.Marshal(n) // a string always marshals
		fmt.Fprintf(w, "  %s: ", key)
		if err := in.jsonValue(ctx, w, t, n, "  ", full); err != nil {
			return err
		}
		if i < len(names)-1 {
			w.WriteByte(',')
		}
		w.WriteByte('\n')
	}
	w.WriteString("}\n")
	return w.Flush()
}

// jsonValue writes the JSON of one artifact, indented with prefix as
// json.Indent does (a streamed one compact).
func (in *Inspector) jsonValue(ctx context.Context, w io.Writer, t *client.Task, name, prefix string, full bool) error {
	s, err := t.Summary(ctx, name)
	if errors.Is(err, client.ErrNotFound) {
		return usage.Errorf("%v; dump without ARTIFACT to see them all", err)
	}
	if err != nil {
		return err
	}
	if s.Size > summaryAbove {
		if !full {
			fmt.Fprintf(in.Stderr, "note: artifact %s is %s, more than 1 MiB: shown as its summary; dump --json --full prints its value\n",
				name, client.FormatSize(s.Size))
			return indentTo(w, summaryJSON(s), prefix)
		}
		return streamJSON(ctx, w, t, s)
	}
	a, err := t.Artifact(ctx, name)
	if err != nil {
		return err
	}
	return indentTo(w, a.JSON(), prefix)
}

// summaryJSON is the JSON of an artifact's summary.
func summaryJSON(s client.Summary) json.RawMessage {
	v := map[string]any{"summary": s.String(), "type": s.Type, "encoding": s.Encoding, "size": s.Size, "hash": s.Hash, "kind": s.Kind}
	if s.Elem != "" {
		v["elem"] = s.Elem
	}
	if s.Len >= 0 {
		v["len"] = s.Len
	}
	b, _ := json.Marshal(v) // strings and numbers always marshal
	return b
}

// indentTo writes raw indented as json.Encoder.SetIndent(prefix, "  ")
// would inside an object, without escaping HTML.
func indentTo(w io.Writer, raw json.RawMessage, prefix string) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, prefix, "  "); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// streamJSON writes a large artifact's value as compact JSON, streamed
// from its blob. The blob's hash is checked when its end is read: damage
// ends the output with an error (exit 1), after what was printed.
func streamJSON(ctx context.Context, w io.Writer, t *client.Task, s client.Summary) error {
	switch s.Encoding {
	case artifact.File, artifact.Bytes:
		rc, _, err := t.Open(ctx, s.Name)
		if err != nil {
			return err
		}
		defer rc.Close()
		if _, err := io.WriteString(w, `"`); err != nil {
			return err
		}
		enc := base64.NewEncoder(base64.StdEncoding, w)
		if _, err := io.Copy(enc, rc); err != nil {
			return fmt.Errorf("artifact %s of %s: %w", s.Name, t.Pathspec(), err)
		}
		if err := enc.Close(); err != nil {
			return err
		}
		_, err = io.WriteString(w, `"`)
		return err
	case artifact.Binary:
		rc, size, err := t.Open(ctx, s.Name)
		if err != nil {
			return err
		}
		defer rc.Close()
		tree, err := artifact.ReadTree(rc, size)
		if err != nil {
			return fmt.Errorf("artifact %s of %s: %w", s.Name, t.Pathspec(), err)
		}
		return artifact.WriteJSON(w, tree, false)
	}
	// JSON-encoded (older artifacts): the stored text is the value.
	a, err := t.Artifact(ctx, s.Name)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, a.JSON()); err != nil {
		return fmt.Errorf("artifact %s of %s: %w", s.Name, t.Pathspec(), err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// writeFull writes an artifact's value in full for people (dump --full):
// what client.Artifact.FullString gives, streamed for a large value (a
// file or []byte as its size and first bytes, read to the end so that
// damage is reported, without holding it).
func writeFull(ctx context.Context, w io.Writer, t *client.Task, s client.Summary) error {
	switch s.Encoding {
	case artifact.File, artifact.Bytes:
		rc, _, err := t.Open(ctx, s.Name)
		if err != nil {
			return err
		}
		defer rc.Close()
		head := make([]byte, 32)
		n, err := io.ReadFull(rc, head)
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return fmt.Errorf("artifact %s of %s: %w", s.Name, t.Pathspec(), err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			return fmt.Errorf("artifact %s of %s: %w", s.Name, t.Pathspec(), err)
		}
		text := fmt.Sprintf("<%d bytes>", s.Size)
		if n > 0 {
			text += " " + hex.EncodeToString(head[:n])
			if s.Size > int64(n) {
				text += "…"
			}
		}
		_, err = io.WriteString(w, text)
		return err
	case artifact.Binary:
		return streamJSON(ctx, w, t, s)
	}
	a, err := t.Artifact(ctx, s.Name)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, a.FullString())
	return err
}
