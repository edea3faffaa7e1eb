package pgp

import (
	"compress/flate"
	"compress/zlib"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/rand"
	"crypto/sha1"
	"errors"
	"hash"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"golang.org/x/crypto/blowfish" //nolint:staticcheck // old messages use Blowfish
	"golang.org/x/crypto/cast5"    //nolint:staticcheck // old messages use CAST5
	"golang.org/x/crypto/twofish"

	"github.com/frontpgp/front/pgp/idea"
)

// Streaming packet writers. go-crypto's own layer writers re-buffer every
// write and allocate per call, which costs most of the encryption time;
// these keep one fixed buffer per layer, so memory stays flat and the
// per-byte work is the cipher and the hash.

// partialChunkLog is log2 of the partial body length chunk (256 KiB).
const partialChunkLog = 18

// partialWriter frames a stream as one packet with partial body lengths
// (RFC 9580 section 4.2.1.4): full chunks of 1<<partialChunkLog bytes, then
// a final definite length. Close does not close the writer beneath.
type partialWriter struct {
	w io.Writer
	// buf holds one length byte and then the chunk, so a full chunk goes
	// out in one write.
	buf []byte
	// tee, when set, sees the body bytes that ReadFrom reads (the
	// signature hashes of a literal packet).
	tee io.Writer
}

func newPartialWriter(w io.Writer, tag byte) (*partialWriter, error) {
	if _, err := w.Write([]byte{0xc0 | tag}); err != nil {
		return nil, err
	}
	return &partialWriter{w: w, buf: make([]byte, 1, 1+1<<partialChunkLog)}, nil
}

func (p *partialWriter) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		k := copy(p.buf[len(p.buf):cap(p.buf)], b)
		p.buf = p.buf[:len(p.buf)+k]
		b = b[k:]
		n += k
		if err := p.flushFull(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// ReadFrom reads r to its end straight into the chunk buffer, one copy
// fewer than Write. io.Copy uses it.
func (p *partialWriter) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		n, err := r.Read(p.buf[len(p.buf):cap(p.buf)])
		if n > 0 {
			if p.tee != nil {
				p.tee.Write(p.buf[len(p.buf) : len(p.buf)+n])
			}
			p.buf = p.buf[:len(p.buf)+n]
			total += int64(n)
			if err := p.flushFull(); err != nil {
				return total, err
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func (p *partialWriter) flushFull() error {
	if len(p.buf) < cap(p.buf) {
		return nil
	}
	p.buf[0] = 224 + partialChunkLog
	if _, err := p.w.Write(p.buf); err != nil {
		return err
	}
	p.buf = p.buf[:1]
	return nil
}

func (p *partialWriter) Close() error {
	if _, err := p.w.Write(definiteLength(len(p.buf) - 1)); err != nil {
		return err
	}
	_, err := p.w.Write(p.buf[1:])
	return err
}

// definiteLength is the new-format length encoding of n.
func definiteLength(n int) []byte {
	switch {
	case n < 192:
		return []byte{byte(n)}
	case n < 8384:
		n -= 192
		return []byte{byte(n>>8) + 192, byte(n)}
	}
	return []byte{255, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

// literalWriter starts a literal data packet; the caller writes the body.
func literalWriter(w io.Writer, binary bool, name string, modTime uint32) (*partialWriter, error) {
	if len(name) > 255 {
		name = name[:255]
	}
	p, err := newPartialWriter(w, 11)
	if err != nil {
		return nil, err
	}
	format := byte('b')
	if !binary {
		format = 't'
	}
	hdr := append([]byte{format, byte(len(name))}, name...)
	hdr = append(hdr, byte(modTime>>24), byte(modTime>>16), byte(modTime>>8), byte(modTime))
	if _, err := p.Write(hdr); err != nil {
		return nil, err
	}
	return p, nil
}

// compressedWriter is a compressed data packet around a deflate/zlib stream.
type compressedWriter struct {
	p *partialWriter
	c io.WriteCloser
}

func newCompressedWriter(w io.Writer, algo packet.CompressionAlgo, level int) (*compressedWriter, error) {
	if level < 0 || level > 9 {
		level = flate.DefaultCompression
	}
	p, err := newPartialWriter(w, 8)
	if err != nil {
		return nil, err
	}
	if _, err := p.Write([]byte{byte(algo)}); err != nil {
		return nil, err
	}
	var c io.WriteCloser
	switch algo {
	case packet.CompressionZIP:
		c, err = flate.NewWriter(p, level)
	case packet.CompressionZLIB:
		c, err = zlib.NewWriterLevel(p, level)
	default:
		return nil, errors.New("unsupported compression algorithm")
	}
	if err != nil {
		return nil, err
	}
	return &compressedWriter{p: p, c: c}, nil
}

func (c *compressedWriter) Write(b []byte) (int, error) { return c.c.Write(b) }

func (c *compressedWriter) Close() error {
	if err := c.c.Close(); err != nil {
		return err
	}
	return c.p.Close()
}

// seipdWriter is a version 1 symmetrically encrypted integrity protected
// data packet: CFB with a zero IV over a random prefix, the data and a
// modification detection code (SHA-1 over all of it), RFC 9580 5.13.1.
// gpg 2.2 reads only this version.
//
// It is a two-stage pipeline, because CFB encryption is a serial chain that
// alone takes a core: the caller's goroutine copies the plaintext into
// chunks and hashes it; a worker goroutine encrypts each chunk in place and
// writes it framed as one partial body chunk. seipdChunks buffers circulate
// between the two, so memory stays at seipdChunks chunks whatever the size.
type seipdWriter struct {
	w      io.Writer
	stream cipher.Stream
	mdc    hash.Hash
	cur    *seipdChunk
	free   chan *seipdChunk
	work   chan *seipdChunk
	done   chan struct{}
	// err is the worker's first write error; read only after done is closed
	// or through failed, which the worker sets before it stops writing.
	err        error
	failed     chan struct{}
	closed     bool
	workClosed bool
}

// seipdChunk is one partial body chunk: room for the longest length header
// in front of the body, so header and body go out in one write.
type seipdChunk struct {
	buf   []byte // seipdHeadroom + 1<<partialChunkLog bytes
	n     int    // body bytes filled
	clear int    // body bytes at the start that are not encrypted (the version)
	final bool   // definite length: the last chunk of the packet
}

const (
	seipdHeadroom = 5
	seipdChunks   = 3
)

func newSEIPDWriter(w io.Writer, c packet.CipherFunction, key []byte) (*seipdWriter, error) {
	stream, err := newCFB(c, key, false)
	if err != nil {
		return nil, err
	}
	bs := blockSize(c)
	// Packet tag 18, new format; the body is chunked from here on.
	if _, err := w.Write([]byte{0xc0 | 18}); err != nil {
		return nil, err
	}
	s := &seipdWriter{w: w, stream: stream, mdc: sha1.New(),
		free: make(chan *seipdChunk, seipdChunks), work: make(chan *seipdChunk, seipdChunks),
		done: make(chan struct{}), failed: make(chan struct{})}
	for i := 0; i < seipdChunks; i++ {
		s.free <- &seipdChunk{buf: make([]byte, seipdHeadroom+1<<partialChunkLog)}
	}
	go s.encrypt()
	s.cur = <-s.free
	s.cur.buf[seipdHeadroom] = 1 // version 1, in the clear
	s.cur.n, s.cur.clear = 1, 1
	prefix := make([]byte, bs+2)
	if _, err := rand.Read(prefix[:bs]); err != nil {
		s.abort()
		return nil, err
	}
	prefix[bs], prefix[bs+1] = prefix[bs-2], prefix[bs-1]
	if _, err := s.Write(prefix); err != nil {
		s.abort()
		return nil, err
	}
	return s, nil
}

// encrypt is the worker: chunks arrive in order and leave in order.
func (s *seipdWriter) encrypt() {
	defer close(s.done)
	for c := range s.work {
		body := c.buf[seipdHeadroom : seipdHeadroom+c.n]
		s.stream.XORKeyStream(body[c.clear:], body[c.clear:])
		var hdr []byte
		if c.final {
			hdr = definiteLength(c.n)
		} else {
			hdr = []byte{224 + partialChunkLog}
		}
		start := seipdHeadroom - len(hdr)
		copy(c.buf[start:], hdr)
		if s.err == nil {
			if _, err := s.w.Write(c.buf[start : seipdHeadroom+c.n]); err != nil {
				s.err = err
				close(s.failed)
			}
		}
		c.n, c.clear, c.final = 0, 0, false
		s.free <- c
	}
}

// Write hashes b and queues it for encryption; it blocks only when every
// chunk is in flight, so the caller runs at most seipdChunks ahead.
func (s *seipdWriter) Write(b []byte) (int, error) {
	s.mdc.Write(b)
	return s.appendBody(b)
}

func (s *seipdWriter) appendBody(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		k := copy(s.cur.buf[seipdHeadroom+s.cur.n:], b)
		s.cur.n += k
		n += k
		b = b[k:]
		if s.cur.n == 1<<partialChunkLog {
			if err := s.send(false); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// send hands the current chunk to the worker and takes a free one.
func (s *seipdWriter) send(final bool) error {
	select {
	case <-s.failed:
		return s.err
	default:
	}
	s.cur.final = final
	s.work <- s.cur
	s.cur = nil
	if final {
		return nil
	}
	select {
	case s.cur = <-s.free:
		return nil
	case <-s.failed:
		return s.err
	}
}

// Close appends the MDC packet (tag 19, length 20), encrypted like the data,
// ends the packet with a definite-length chunk and waits for the worker.
func (s *seipdWriter) Close() error {
	if s.closed {
		return errors.New("SEIPD writer closed twice")
	}
	s.closed = true
	trailer := []byte{0xd3, 0x14}
	s.mdc.Write(trailer)
	if _, err := s.appendBody(append(trailer, s.mdc.Sum(nil)...)); err != nil {
		s.abort()
		return err
	}
	if err := s.send(true); err != nil {
		s.abort()
		return err
	}
	s.workClosed = true
	close(s.work)
	<-s.done
	return s.err
}

// abort stops the worker without finishing the packet (the message is
// being abandoned). It may follow a failed Close.
func (s *seipdWriter) abort() {
	if !s.workClosed {
		s.workClosed = true
		close(s.work)
	}
	<-s.done
}

func newBlockCipher(c packet.CipherFunction, key []byte) (cipher.Block, error) {
	if len(key) != cipherKeySize(c) {
		return nil, errors.New("session key has the wrong size")
	}
	switch c {
	case packet.CipherAES128, packet.CipherAES192, packet.CipherAES256:
		return aes.NewCipher(key)
	case packet.Cipher3DES:
		return des.NewTripleDESCipher(key)
	case packet.CipherCAST5:
		return cast5.NewCipher(key)
	case CipherIDEA:
		return idea.NewCipher(key)
	case CipherBlowfish:
		return blowfish.NewCipher(key)
	case CipherTwofish:
		return twofish.NewCipher(key)
	}
	return nil, errors.New("unsupported cipher")
}
