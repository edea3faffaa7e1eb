package pgp

import (
	"bytes"
	"errors"
	"fmt"
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

// VerifyClearsigned reads a cleartext-signed message, writes the text (dash
// escaping removed, LF line ends) to out and checks the signatures. The
// canonical text is kept for hashing because v6 signatures salt the hash
// and the salt only arrives at the end; it is capped at maxClearsigned.
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
	for {
		line, err := lr.next()
		if err != nil {
			return nil, ErrBadCleartext
		}
		line = bytes.TrimRight(line, " \t\r")
		if len(line) == 0 {
			break
		}
		if !bytes.HasPrefix(line, []byte("Hash: ")) {
			return nil, fmt.Errorf("%w: unexpected armor header %q", ErrBadCleartext, truncate(line))
		}
	}
	var canonical bytes.Buffer
	first := true
	for {
		line, err := lr.next()
		if err != nil {
			return nil, fmt.Errorf("%w: no signature block", ErrBadCleartext)
		}
		trimmed := bytes.TrimRight(line, "\r")
		if string(bytes.TrimRight(trimmed, " \t")) == beginSignature {
			break
		}
		if len(trimmed) > 0 && trimmed[0] == '-' {
			if !bytes.HasPrefix(trimmed, []byte("- ")) {
				return nil, fmt.Errorf("%w: line not dash-escaped", ErrBadCleartext)
			}
			trimmed = trimmed[2:]
		}
		if !first {
			canonical.WriteString("\r\n")
		}
		first = false
		canonical.Write(bytes.TrimRight(trimmed, " \t"))
		if canonical.Len() > maxClearsigned {
			return nil, errors.New("cleartext signed message too large")
		}
		if out != nil {
			if _, err := out.Write(append(trimmed, '\n')); err != nil {
				return nil, err
			}
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
		// The canonical text is already in its final form; hash it raw.
		c := newCheckedSig(keys, 0, s.Hash, s.Salt(), 0)
		c.w.Write(canonical.Bytes())
		checks = append(checks, c)
	}
	return finishChecks(keys, sigs, checks), nil
}

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
