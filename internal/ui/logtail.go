package ui

import (
	"context"
	"io"
	"strings"

	"github.com/stepflow/stepflow/client"
)

// readLog returns the text of a log from offset on (the last logBytes of
// it when it is longer), and the log's size. The log is streamed: what
// the page shows is held, never the whole log (a task may write
// gigabytes).
func readLog(ctx context.Context, t *client.Task, stream string, offset int) (string, int, error) {
	rc, err := t.Log(ctx, t.Attempt, stream)
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	data, size, err := tail(rc, offset, logBytes)
	if err != nil {
		return "", 0, err
	}
	return strings.ToValidUTF8(string(data), "\uFFFD"), size, nil
}

// tail reads r to its end and returns the last limit bytes of what
// follows offset, and how many bytes r held, holding at most 2*limit
// bytes (plus one read's worth) at any time.
func tail(r io.Reader, offset, limit int) ([]byte, int, error) {
	buf := make([]byte, 0, min(limit, 64<<10)*2)
	chunk := make([]byte, 64<<10)
	size := 0
	for {
		n, err := r.Read(chunk)
		if n > 0 {
			p := chunk[:n]
			// Skip what precedes offset.
			if skip := offset - size; skip > 0 {
				p = p[min(skip, len(p)):]
			}
			size += n
			buf = append(buf, p...)
			if len(buf) > 2*limit {
				// Keep the last limit bytes, in place.
				buf = buf[:copy(buf, buf[len(buf)-limit:])]
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, err
		}
	}
	if len(buf) > limit {
		buf = buf[len(buf)-limit:]
	}
	return buf, size, nil
}
