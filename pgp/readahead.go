package pgp

import (
	"io"
	"sync"
)

// ReadAhead reads r in a goroutine of its own into a few large buffers, so
// the kernel's copy out of a pipe or file (a third of the time of a hash
// like SHA-256) overlaps with the caller's work on the previous buffer.
// Memory is readAheadChunks buffers of copyBuffer bytes. The goroutine
// starts at the first read, not before (an input opened but not read yet,
// such as stdin or a signed file waiting for its signature, stays
// untouched), and ends at the end of r, at a read error, or after Close
// once its current read returns.
type ReadAhead struct {
	r     io.Reader
	start sync.Once
	full  chan readAheadChunk
	free  chan []byte
	stop  chan struct{}
	cur   []byte // unread part of buf
	buf   []byte
	err   error // the error that ended the input (io.EOF at a clean end)
	ended bool
}

type readAheadChunk struct {
	data []byte
	err  error
}

const readAheadChunks = 4

// NewReadAhead starts reading r.
func NewReadAhead(r io.Reader) *ReadAhead {
	return &ReadAhead{r: r, full: make(chan readAheadChunk, readAheadChunks), free: make(chan []byte, readAheadChunks), stop: make(chan struct{})}
}

func (ra *ReadAhead) begin() {
	ra.start.Do(func() {
		for i := 0; i < readAheadChunks; i++ {
			ra.free <- make([]byte, copyBuffer)
		}
		go ra.produce(ra.r)
	})
}

func (ra *ReadAhead) produce(r io.Reader) {
	for {
		var buf []byte
		select {
		case buf = <-ra.free:
		case <-ra.stop:
			return
		}
		// A chunk is passed on as soon as one read returns data: filling it
		// would delay the consumer behind a slow writer for no gain.
		n, err := r.Read(buf)
		for n == 0 && err == nil {
			n, err = r.Read(buf)
		}
		select {
		case ra.full <- readAheadChunk{data: buf[:n], err: err}:
		case <-ra.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// next moves to the following chunk; false at the end of the input.
func (ra *ReadAhead) next() bool {
	ra.begin()
	if ra.buf != nil {
		ra.free <- ra.buf[:cap(ra.buf)]
		ra.buf = nil
	}
	if ra.ended {
		return false
	}
	c := <-ra.full
	if c.err != nil {
		ra.ended, ra.err = true, c.err
	}
	ra.buf, ra.cur = c.data, c.data
	return len(c.data) > 0 || !ra.ended
}

func (ra *ReadAhead) Read(p []byte) (int, error) {
	for len(ra.cur) == 0 {
		if !ra.next() {
			return 0, ra.err
		}
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// WriteTo hands each chunk to w without another copy.
func (ra *ReadAhead) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(ra.cur) > 0 {
			n, err := w.Write(ra.cur)
			total += int64(n)
			ra.cur = ra.cur[n:]
			if err != nil {
				return total, err
			}
		}
		if !ra.next() {
			if ra.err == io.EOF {
				return total, nil
			}
			return total, ra.err
		}
	}
}

// Close stops reading ahead. It does not close the underlying reader.
func (ra *ReadAhead) Close() error {
	select {
	case <-ra.stop:
	default:
		close(ra.stop)
	}
	return nil
}
