package s2

import (
	"encoding/binary"
	"errors"
	"io"
	"sync"
)

// Writer writes an S2 stream: the stream identifier, then each block of
// BlockSize bytes of what it is given as one chunk, compressed when that
// saves space. It compresses up to its concurrency's number of blocks in
// parallel and writes them in order; the memory it holds is bounded by
// that number of blocks.
type Writer struct {
	w     io.Writer
	slots chan *slot      // free slots; a block in flight holds one
	queue chan chan *slot // blocks in flight, in stream order
	done  chan struct{}   // closed when the write loop ends
	cur   *slot           // the slot gathering small inputs, or nil

	mu  sync.Mutex
	err error // first error of writing to w

	closed bool
}

// slot holds what one block in flight needs: its input, an encoder, and
// the chunk it becomes.
type slot struct {
	in     []byte // the block's bytes: own or the caller's
	own    []byte // a buffer of the slot's own for gathered input
	enc    Encoder
	header []byte // chunk header and checksum
	out    []byte // chunk payload after header, when compressed
	comp   bool
}

// gatherMax is the size below which EncodeBuffer gathers its input into
// a block of its own (a copy) rather than making a chunk of it.
const gatherMax = 64 << 10

// NewWriter returns a Writer to w that compresses on up to concurrency
// goroutines (at least one).
func NewWriter(w io.Writer, concurrency int) *Writer {
	concurrency = max(concurrency, 1)
	sw := &Writer{
		w:     w,
		slots: make(chan *slot, concurrency+1),
		queue: make(chan chan *slot, concurrency+1),
		done:  make(chan struct{}),
	}
	for range concurrency + 1 {
		sw.slots <- &slot{header: make([]byte, chunkHeaderLen+checksumLen)}
	}
	go sw.writeLoop()
	return sw
}

// Write compresses p; it copies p, which the caller may reuse when Write
// returns.
func (w *Writer) Write(p []byte) (int, error) {
	if err := w.gather(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// EncodeBuffer compresses p without copying it: p must not be modified
// until Close returns. Small buffers (below 64 KiB) are gathered into
// blocks with what comes before and after them, which copies them.
func (w *Writer) EncodeBuffer(p []byte) error {
	if len(p) < gatherMax {
		return w.gather(p)
	}
	if w.closed {
		return errClosed
	}
	if err := w.flushGathered(); err != nil {
		return err
	}
	for len(p) > 0 {
		n := min(len(p), BlockSize)
		s := <-w.slots
		s.in = p[:n]
		w.submit(s)
		p = p[n:]
	}
	return w.failed()
}

// gather copies p into blocks of the Writer's own.
func (w *Writer) gather(p []byte) error {
	if w.closed {
		return errClosed
	}
	if err := w.failed(); err != nil {
		return err
	}
	for len(p) > 0 {
		if w.cur == nil {
			w.cur = <-w.slots
			if w.cur.own == nil {
				w.cur.own = make([]byte, 0, BlockSize)
			}
			w.cur.in = w.cur.own[:0]
		}
		n := min(len(p), BlockSize-len(w.cur.in))
		w.cur.in = append(w.cur.in, p[:n]...)
		p = p[n:]
		if len(w.cur.in) == BlockSize {
			w.submit(w.cur)
			w.cur = nil
		}
	}
	return nil
}

// flushGathered submits the block being gathered, if any.
func (w *Writer) flushGathered() error {
	if err := w.failed(); err != nil {
		return err
	}
	if w.cur != nil {
		if len(w.cur.in) > 0 {
			w.submit(w.cur)
		} else {
			w.slots <- w.cur
		}
		w.cur = nil
	}
	return nil
}

// submit compresses the block of s on a goroutine of its own and queues
// it to be written in order.
func (w *Writer) submit(s *slot) {
	res := make(chan *slot, 1)
	w.queue <- res
	go func() {
		s.encode()
		res <- s
	}()
}

// encode makes the chunk of s.in: compressed when that saves at least
// 1/32 of it, as it is otherwise.
func (s *slot) encode() {
	typ := byte(chunkUncompressed)
	n := len(s.in)
	s.out = s.enc.Encode(s.out[:cap(s.out)], s.in)
	s.comp = len(s.out) < len(s.in)-len(s.in)/32
	if s.comp {
		typ = chunkCompressed
		n = len(s.out)
	}
	n += checksumLen
	s.header[0] = typ
	s.header[1], s.header[2], s.header[3] = byte(n), byte(n>>8), byte(n>>16)
	binary.LittleEndian.PutUint32(s.header[chunkHeaderLen:], checksum(s.in))
}

// writeLoop writes the queued chunks in order, the stream identifier
// first, and frees their slots. After an error it writes nothing more.
func (w *Writer) writeLoop() {
	defer close(w.done)
	wrote := false
	for res := range w.queue {
		s := <-res
		if w.failed() == nil {
			var err error
			if !wrote {
				err = w.writeStreamID()
				wrote = true
			}
			if err == nil {
				_, err = w.w.Write(s.header)
			}
			if err == nil && s.comp {
				_, err = w.w.Write(s.out)
			} else if err == nil {
				_, err = w.w.Write(s.in)
			}
			w.fail(err)
		}
		s.in = nil
		w.slots <- s
	}
	if !wrote && w.failed() == nil {
		// An empty stream is still a stream.
		w.fail(w.writeStreamID())
	}
}

func (w *Writer) writeStreamID() error {
	_, err := w.w.Write(append([]byte{chunkStreamID, byte(len(streamID)), 0, 0}, streamID...))
	return err
}

// Close writes what is left and waits until everything is written. It
// returns the first error of writing to the destination; it does not
// close the destination. Writing after Close is an error.
func (w *Writer) Close() error {
	if w.closed {
		return w.failed()
	}
	w.flushGathered()
	w.closed = true
	close(w.queue)
	<-w.done
	return w.failed()
}

var errClosed = errors.New("s2: writer is closed")

func (w *Writer) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// fail records err if it is the first error.
func (w *Writer) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}
