package pgp

import (
	"bufio"
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// Cleartext signature framework (RFC 9580 section 7): parsed here rather
// than with go-crypto's clearsign package, to bound every line, reject
// malformed framing clearly, and stream the text to the output.

const (
	beginSigned    = "-----BEGIN PGP SIGNED MESSAGE-----"
	beginSignature = "-----BEGIN PGP SIGNATURE-----"
	endSignature   = "-----END PGP SIGNATURE-----"
	maxArmoredSig  = 1 << 20
)

// ErrBadCleartext is malformed cleartext signature framing.
var ErrBadCleartext = errors.New("invalid cleartext signed message")

// maxSaltedSpool bounds the canonical text kept for salted (v6)
// signatures. Their hash starts with a salt that only arrives with the
// signature after the text, so it cannot be computed while the text
// streams; text beyond this is not kept, and such a signature over it
// cannot be checked (gpg 2.2 cannot check v6 signatures at all).
const maxSaltedSpool = 8 << 20

// ErrDigestConflict is a signature whose hash algorithm the Hash armor
// header did not announce. gpg hashes only the announced algorithms (SHA1
// when there is no header) and reports such a signature as a conflict.
var ErrDigestConflict = errors.New("signature digest conflict in message")

// ErrSaltedTextTooLarge is a salted signature over more cleartext than
// maxSaltedSpool.
var ErrSaltedTextTooLarge = errors.New("cleartext too large to check a salted (v6) signature")

// clearsignHashes maps the names gpg accepts in a Hash armor header to
// their algorithms.
var clearsignHashes = map[string]crypto.Hash{
	"RIPEMD160": crypto.RIPEMD160, "SHA1": crypto.SHA1, "SHA224": crypto.SHA224,
	"SHA256": crypto.SHA256, "SHA384": crypto.SHA384, "SHA512": crypto.SHA512,
}

// lineBreak joins cleartext lines in the hashed form (a shared slice: a
// conversion per line would allocate per line).
var lineBreak = []byte("\r\n")

// gpgTrailingSpace is what gpg strips from the end of each cleartext line
// before hashing: space, tab, CR, LF, and NUL (gpg looks bytes up with
// strchr, which also finds the string's terminating NUL).
const gpgTrailingSpace = " \t\r\n\x00"

// VerifyClearsigned reads a cleartext-signed message, writes the text (dash
// escaping and trailing white space removed, line ends as they were) to out
// and checks the signatures. It streams: the text is hashed as it passes
// with each algorithm the Hash armor header names (SHA1 without one), as
// gpg does, and kept only up to maxSaltedSpool for salted signatures.
func VerifyClearsigned(r io.Reader, out io.Writer, keys KeyRing) (vs []*Verification, err error) {
	defer recoverParse(&err)
	lr := newLineReader(r, maxClearsignLine)
	// Text before the framing is not signed; gpg skips it too.
	for {
		line, err := lr.next()
		if err == io.EOF {
			return nil, ErrNotClearsigned
		}
		if err != nil {
			return nil, err
		}
		if string(bytes.TrimRight(line, " \t\r")) == beginSigned {
			break
		}
	}
	streamed := map[crypto.Hash]hash.Hash{}
	for {
		line, err := lr.next()
		if err != nil {
			return nil, ErrBadCleartext
		}
		line = bytes.TrimRight(line, gpgTrailingSpace)
		if len(line) == 0 {
			break
		}
		names, ok := bytes.CutPrefix(line, []byte("Hash:"))
		if !ok {
			return nil, fmt.Errorf("%w: unexpected armor header %q", ErrBadCleartext, truncate(line))
		}
		for _, name := range bytes.Split(names, []byte(",")) {
			h, known := clearsignHashes[string(bytes.Trim(name, " \t"))]
			if !known {
				return nil, fmt.Errorf("%w: invalid Hash header %q", ErrBadCleartext, truncate(line))
			}
			if _, dup := streamed[h]; !dup && h.Available() {
				streamed[h] = h.New()
			}
		}
	}
	if len(streamed) == 0 {
		streamed[crypto.SHA1] = crypto.SHA1.New()
	}
	var hashes []io.Writer
	for _, h := range streamed {
		hashes = append(hashes, h)
	}
	spool := &textSpool{max: maxSaltedSpool}
	hashW := oneWriter(append(hashes, spool))
	var bw *bufio.Writer
	if out != nil {
		bw = bufioWriter(out)
	}
	first := true
	for {
		line, err := lr.next()
		if err != nil {
			return nil, fmt.Errorf("%w: no signature block", ErrBadCleartext)
		}
		crlf := bytes.HasSuffix(line, []byte("\r"))
		text := bytes.TrimRight(line, "\r")
		if string(bytes.TrimRight(text, " \t")) == beginSignature {
			break
		}
		if len(text) > 0 && text[0] == '-' {
			if !bytes.HasPrefix(text, []byte("- ")) {
				return nil, fmt.Errorf("%w: line not dash-escaped", ErrBadCleartext)
			}
			text = text[2:]
		}
		text = bytes.TrimRight(text, gpgTrailingSpace)
		if !first {
			hashW.Write(lineBreak)
		}
		first = false
		hashW.Write(text)
		if bw != nil {
			bw.Write(text)
			if crlf {
				bw.WriteByte('\r')
			}
			if err := bw.WriteByte('\n'); err != nil {
				return nil, err
			}
		}
	}
	if bw != nil {
		if err := bw.Flush(); err != nil {
			return nil, err
		}
	}
	// The signature block is re-assembled and handed to the armor decoder.
	var block bytes.Buffer
	block.WriteString(beginSignature + "\n")
	for {
		line, err := lr.next()
		if err != nil {
			return nil, fmt.Errorf("%w: unterminated signature block", ErrBadCleartext)
		}
		block.Write(line)
		block.WriteByte('\n')
		if block.Len() > maxArmoredSig {
			return nil, fmt.Errorf("%w: signature block too large", ErrBadCleartext)
		}
		if strings.TrimRight(string(line), " \t\r") == endSignature {
			break
		}
	}
	ab, err := armor.Decode(&block)
	if err != nil || ab.Type != "PGP SIGNATURE" {
		return nil, fmt.Errorf("%w: bad signature armor", ErrBadCleartext)
	}
	sigs, err := readSignatures(ab.Body)
	if err != nil {
		return nil, err
	}
	var checks []*checkedSig
	for _, s := range sigs {
		// The text was hashed in its canonical form already: no text wrapper.
		c := &checkedSig{v: &Verification{HashAlgo: s.hashID}, hash: s.Hash}
		salt := s.Salt()
		switch h, ok := streamed[s.Hash]; {
		case len(salt) > 0 && spool.overflow:
			c.v.Err = ErrSaltedTextTooLarge
		case len(salt) > 0:
			c = newCheckedSig(0, s.Hash, s.hashID, salt, 0)
			spool.writeTo(c.w)
		case ok:
			c.h = h
		default:
			c.v.Err = ErrDigestConflict
		}
		checks = append(checks, c)
	}
	return finishChecks(keys, sigs, checks), nil
}

// textSpool keeps up to max bytes in chunks of at most 64 KiB (no doubling
// of one large buffer) and then only notes that it overflowed.
type textSpool struct {
	max      int
	n        int
	chunks   [][]byte
	overflow bool
}

func (s *textSpool) Write(b []byte) (int, error) {
	if s.overflow {
		return len(b), nil
	}
	if s.n+len(b) > s.max {
		s.overflow, s.chunks = true, nil
		return len(b), nil
	}
	s.n += len(b)
	for rest := b; len(rest) > 0; {
		if len(s.chunks) == 0 || len(s.chunks[len(s.chunks)-1]) == cap(s.chunks[len(s.chunks)-1]) {
			s.chunks = append(s.chunks, make([]byte, 0, 64<<10))
		}
		last := &s.chunks[len(s.chunks)-1]
		k := min(len(rest), cap(*last)-len(*last))
		*last = append(*last, rest[:k]...)
		rest = rest[k:]
	}
	return len(b), nil
}

func (s *textSpool) writeTo(w io.Writer) {
	for _, c := range s.chunks {
		w.Write(c)
	}
}

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
