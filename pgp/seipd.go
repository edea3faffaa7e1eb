package pgp

import (
	"crypto/cipher"
	"crypto/sha1"
	"crypto/subtle"
	"errors"
	"hash"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Reading a SEIPDv1 body (RFC 9580 5.13.1): CFB-decrypt the random prefix,
// the data and the 22-byte MDC packet at the end, and check SHA-1 over the
// prefix, the data and the MDC header against the MDC value. The last 22
// bytes are held back from the reader, so the MDC packet never reaches the
// packet parser.
//
// go-crypto's reader decrypts one byte per call and hashes in the caller's
// goroutine; this one decrypts and hashes whole chunks in a goroutine of its
// own, so the caller's parsing and writing overlap with decryption. Memory
// is seipdChunks chunks whatever the size.

// ErrBadQuickCheck is a failed check of the prefix's repeated bytes: the
// key is wrong. Only keys from a passphrase are checked, as gpg does; for a
// public-key session key the check would be an oracle, and the MDC decides.
var ErrBadQuickCheck = errors.New("bad session key (quick check failed)")

// ErrMDCMismatch is a failed modification detection code: the data was
// changed, truncated, or decrypted with a wrong key.
var ErrMDCMismatch = errors.New("MDC mismatch")

const mdcPacketLen = 22 // tag 0xd3, length 20, SHA-1

type seipdReader struct {
	chunks chan []byte // decrypted data in order, closed at the end
	free   chan []byte
	cur    []byte // unread part of the chunk being read
	buf    []byte // the chunk cur belongs to, returned to free when used up
	// Set by the producer before it closes chunks.
	readErr error // io.EOF at a clean end
	mdcErr  error // nil when the MDC matched
	ended   bool  // the consumer saw chunks closed
}

// openSEIPDv1 reads and decrypts the prefix of body at once (so a quick
// check fails here) and starts decrypting the rest in the background.
func openSEIPDv1(body io.Reader, c packet.CipherFunction, key []byte, quickCheck bool) (*seipdReader, error) {
	stream, err := newCFB(c, key, true)
	if err != nil {
		return nil, err
	}
	bs := blockSize(c)
	prefix := make([]byte, bs+2)
	if _, err := io.ReadFull(body, prefix); err != nil {
		return nil, errors.New("encrypted data too short")
	}
	stream.XORKeyStream(prefix, prefix)
	if quickCheck && (prefix[bs-2] != prefix[bs] || prefix[bs-1] != prefix[bs+1]) {
		return nil, ErrBadQuickCheck
	}
	r := &seipdReader{chunks: make(chan []byte, seipdChunks), free: make(chan []byte, seipdChunks)}
	for i := 0; i < seipdChunks; i++ {
		r.free <- make([]byte, mdcPacketLen+1<<partialChunkLog)
	}
	mdc := sha1.New()
	mdc.Write(prefix)
	go r.produce(body, stream, mdc)
	return r, nil
}

// produce fills each chunk with the 22 bytes held back from the last one
// and then fresh data, decrypts the fresh part in place, hashes and passes
// on all but the last 22 bytes, which it holds back in turn.
func (r *seipdReader) produce(body io.Reader, stream cipher.Stream, mdc hash.Hash) {
	defer close(r.chunks)
	var held [mdcPacketLen]byte
	nHeld := 0
	for {
		buf := <-r.free
		copy(buf, held[:nHeld])
		n, err := fill(body, buf[nHeld:])
		stream.XORKeyStream(buf[nHeld:nHeld+n], buf[nHeld:nHeld+n])
		total := nHeld + n
		keep := min(total, mdcPacketLen)
		out := buf[:total-keep]
		nHeld = copy(held[:], buf[total-keep:total])
		mdc.Write(out)
		switch err {
		case nil:
			r.chunks <- out
			continue
		case io.EOF:
			if len(out) > 0 {
				r.chunks <- out
			} else {
				r.free <- buf
			}
			r.readErr = io.EOF
			r.mdcErr = checkMDC(held[:nHeld], mdc)
		default:
			r.free <- buf
			r.readErr = err
			r.mdcErr = ErrMDCMismatch
		}
		return
	}
}

// fill reads until buf is full or the input ends: io.EOF only at a clean
// end, so a truncation reported from below stays an error.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func checkMDC(trailer []byte, mdc hash.Hash) error {
	if len(trailer) != mdcPacketLen || trailer[0] != 0xd3 || trailer[1] != 0x14 {
		return ErrMDCMismatch
	}
	mdc.Write(trailer[:2])
	if subtle.ConstantTimeCompare(mdc.Sum(nil), trailer[2:]) != 1 {
		return ErrMDCMismatch
	}
	return nil
}

func (r *seipdReader) next() bool {
	if r.buf != nil {
		r.free <- r.buf[:cap(r.buf)]
		r.buf = nil
	}
	c, ok := <-r.chunks
	if !ok {
		r.ended = true
		return false
	}
	r.buf, r.cur = c, c
	return true
}

func (r *seipdReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.ended || !r.next() {
			return 0, r.readErr
		}
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// WriteTo hands each decrypted chunk to w without another copy.
func (r *seipdReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(r.cur) > 0 {
			n, err := w.Write(r.cur)
			total += int64(n)
			r.cur = r.cur[n:]
			if err != nil {
				return total, err
			}
		}
		if r.ended || !r.next() {
			if r.readErr == io.EOF {
				return total, nil
			}
			return total, r.readErr
		}
	}
}

// Close reads to the end if the caller stopped early, then reports the
// integrity verdict; a message is good only if Close returns nil.
func (r *seipdReader) Close() error {
	for !r.ended {
		r.cur = nil
		r.next()
	}
	if r.buf != nil {
		r.free <- r.buf[:cap(r.buf)]
		r.buf = nil
	}
	return r.mdcErr
}
