package pgp

import (
	"io"
	"sync"
)

// ReadAhead reads r in a goroutine of its own into a few large buffers, so
// the kernel's copy out of a pipe or file (a third of the time of a hash
// like SHA-256) overlaps with the caller's work on the previous buffer.
// Memory is readAheadChunks buffers of copyBuffer bytes. The first chunk's
// worth of input is read directly, in the caller's goroutine: a small
// input (a 1 KiB file, a commit on git's pipe) is over before reading
// ahead could overlap anything, and a goroutine would cost it more than
// its reads (the scheduler wakes an idle P for it, which may start an OS
// thread). Only an input that has proven longer starts the goroutine,
// which ends at the end of r, at a read error, or after Close once its
// current read returns. Nothing is read before the first Read or WriteTo
// (an input opened but not read yet, such as stdin or a signed file
// waiting for its signature, stays untouched).
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
	// direct is the number of bytes read in the caller's goroutine, into
	// first, before the goroutine starts (at copyBuffer).
	direct int
	first  []byte
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
			b := ra.first
			if i > 0 || b == nil {
				b = make([]byte, copyBuffer)
			}
			ra.free <- b
		}
		ra.first = nil
		go ra.produce(ra.r)
	})
}

// readDirect is next for the input's first chunk's worth: one read (as
// produce does) in the caller's goroutine, into first.
func (ra *ReadAhead) readDirect() bool {
	if ra.first == nil {
		ra.first = make([]byte, copyBuffer)
	}
	n, err := ra.r.Read(ra.first)
	for n == 0 && err == nil {
		n, err = ra.r.Read(ra.first)
	}
	ra.direct += n
	if err != nil {
		ra.ended, ra.err = true, err
	}
	ra.cur = ra.first[:n]
	return n > 0 || !ra.ended
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
	if ra.ended {
		return false
	}
	if ra.direct < copyBuffer {
		return ra.readDirect()
	}
	ra.begin()
	if ra.buf != nil {
		ra.free <- ra.buf[:cap(ra.buf)]
		ra.buf = nil
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
