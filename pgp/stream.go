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
	"golang.org/x/crypto/cast5" //nolint:staticcheck // old messages use CAST5
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
	w   io.Writer
	buf []byte
}

func newPartialWriter(w io.Writer, tag byte) (*partialWriter, error) {
	if _, err := w.Write([]byte{0xc0 | tag}); err != nil {
		return nil, err
	}
	return &partialWriter{w: w, buf: make([]byte, 0, 1<<partialChunkLog)}, nil
}

func (p *partialWriter) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		k := copy(p.buf[len(p.buf):cap(p.buf)], b)
		p.buf = p.buf[:len(p.buf)+k]
		b = b[k:]
		n += k
		if len(p.buf) == cap(p.buf) {
			if _, err := p.w.Write([]byte{224 + partialChunkLog}); err != nil {
				return n, err
			}
			if _, err := p.w.Write(p.buf); err != nil {
				return n, err
			}
			p.buf = p.buf[:0]
		}
	}
	return n, nil
}

func (p *partialWriter) Close() error {
	if _, err := p.w.Write(definiteLength(len(p.buf))); err != nil {
		return err
	}
	_, err := p.w.Write(p.buf)
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
type seipdWriter struct {
	p      *partialWriter
	stream cipher.Stream
	mdc    hash.Hash
	buf    []byte
}

func newSEIPDWriter(w io.Writer, c packet.CipherFunction, key []byte) (*seipdWriter, error) {
	block, err := newBlockCipher(c, key)
	if err != nil {
		return nil, err
	}
	p, err := newPartialWriter(w, 18)
	if err != nil {
		return nil, err
	}
	if _, err := p.Write([]byte{1}); err != nil {
		return nil, err
	}
	bs := block.BlockSize()
	s := &seipdWriter{p: p, stream: newCFBEncrypter(block, make([]byte, bs)), mdc: sha1.New(), buf: make([]byte, copyBuffer)}
	prefix := make([]byte, bs+2)
	if _, err := rand.Read(prefix[:bs]); err != nil {
		return nil, err
	}
	prefix[bs], prefix[bs+1] = prefix[bs-2], prefix[bs-1]
	if _, err := s.Write(prefix); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *seipdWriter) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		chunk := b
		if len(chunk) > len(s.buf) {
			chunk = chunk[:len(s.buf)]
		}
		s.mdc.Write(chunk)
		out := s.buf[:len(chunk)]
		s.stream.XORKeyStream(out, chunk)
		if _, err := s.p.Write(out); err != nil {
			return n, err
		}
		n += len(chunk)
		b = b[len(chunk):]
	}
	return n, nil
}

// Close appends the MDC packet (tag 19, length 20), encrypted like the data.
func (s *seipdWriter) Close() error {
	trailer := []byte{0xd3, 0x14}
	s.mdc.Write(trailer)
	final := append(trailer, s.mdc.Sum(nil)...)
	out := make([]byte, len(final))
	s.stream.XORKeyStream(out, final)
	if _, err := s.p.Write(out); err != nil {
		return err
	}
	return s.p.Close()
}

func newBlockCipher(c packet.CipherFunction, key []byte) (cipher.Block, error) {
	if len(key) != c.KeySize() {
		return nil, errors.New("session key has the wrong size")
	}
	switch c {
	case packet.CipherAES128, packet.CipherAES192, packet.CipherAES256:
		return aes.NewCipher(key)
	case packet.Cipher3DES:
		return des.NewTripleDESCipher(key)
	case packet.CipherCAST5:
		return cast5.NewCipher(key)
	}
	return nil, errors.New("unsupported cipher")
}

// newCFBEncrypter is OpenPGP's CFB without resynchronisation, which is
// plain CFB with a zero IV; the random prefix stands in for the IV.
func newCFBEncrypter(b cipher.Block, iv []byte) cipher.Stream {
	return cipher.NewCFBEncrypter(b, iv) //nolint:staticcheck // OpenPGP SEIPDv1 is defined with CFB
}
