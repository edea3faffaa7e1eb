package pgp

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Compose describes one message to write: optionally encrypted (to
// recipients and/or a passphrase), compressed, signed, always with exactly
// one literal data packet.
type Compose struct {
	Recipients  []*packet.PublicKey // encryption-capable (sub)keys
	Hidden      []bool              // per recipient: write a zero key ID (gpg's -R, --throw-keyids)
	Passphrase  []byte              // symmetric encryption when non-nil
	Cipher      packet.CipherFunction
	AEAD        packet.AEADMode // non-zero: v6 PKESK/SKESK and a v2 SEIPD with this mode (SEIPDv2Mode)
	Compression packet.CompressionAlgo
	Level       int
	Signers     []SignKey
	Sign        SignFunc
	TextMode    bool // literal 't' and text signatures
	FileName    string
	ModTime     time.Time
	Created     time.Time
	S2K         *packet.Config // S2K parameters for the passphrase (nil: defaults)
}

// nopCloser turns a writer into a WriteCloser whose Close does nothing, for
// the outermost layer that the caller owns.
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// Write streams in to out as one message and returns the signatures made.
// Layers are closed innermost first, and closing one never closes the one
// beneath, so the signatures can follow the literal packet inside the same
// container.
func (c *Compose) Write(out io.Writer, in io.Reader) (sigs []*packet.Signature, err error) {
	var w io.WriteCloser = nopCloser{out}
	var closers []io.Closer
	var enc *seipdWriter
	defer func() {
		// A failed message stops the encryption worker; its output is
		// abandoned by the caller.
		if err != nil && enc != nil {
			enc.abort()
		}
	}()
	if len(c.Recipients) > 0 || c.Passphrase != nil {
		key := make([]byte, c.Cipher.KeySize())
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		v2 := c.AEAD != 0
		var aead *packet.AEADConfig
		if v2 {
			aead = &packet.AEADConfig{DefaultMode: c.AEAD}
		}
		cfg := &packet.Config{DefaultCipher: c.Cipher, AEADConfig: aead}
		for i, pk := range c.Recipients {
			hidden := i < len(c.Hidden) && c.Hidden[i]
			if err := packet.SerializeEncryptedKeyAEADwithHiddenOption(w, pk, c.Cipher, v2, key, hidden, cfg); err != nil {
				return nil, err
			}
		}
		if c.Passphrase != nil {
			s2k := c.S2K
			if s2k == nil {
				s2k = &packet.Config{}
			}
			s2k.DefaultCipher, s2k.AEADConfig = c.Cipher, aead
			// a v6 SKESK goes with a v2 SEIPD, a v4 one with v1
			if err := packet.SerializeSymmetricKeyEncryptedAEADReuseKey(w, key, c.Passphrase, v2, s2k); err != nil {
				return nil, err
			}
		}
		if v2 {
			// go-crypto's chunked writer: memory bounded by one chunk
			sw, err := packet.SerializeSymmetricallyEncrypted(w, c.Cipher, true, packet.CipherSuite{Cipher: c.Cipher, Mode: c.AEAD}, key, cfg)
			if err != nil {
				return nil, err
			}
			w = sw
			closers = append(closers, sw)
		} else {
			if enc, err = newSEIPDWriter(w, c.Cipher, key); err != nil {
				return nil, err
			}
			w = enc
			closers = append(closers, enc)
		}
	}
	if c.Compression != packet.CompressionNone {
		cw, err := newCompressedWriter(w, c.Compression, c.Level)
		if err != nil {
			return nil, err
		}
		w = cw
		closers = append(closers, cw)
	}
	sigType := packet.SigTypeBinary
	if c.TextMode {
		sigType = packet.SigTypeText
	}
	pending, hashW, err := newPendingSigs(c.Signers, sigType, c.Created)
	if err != nil {
		return nil, err
	}
	// One-pass signatures nest: the first written belongs to the last
	// signature packet, and only the innermost has IsLast set.
	for i, p := range pending {
		ops := &packet.OnePassSignature{
			Version: 3, SigType: sigType, Hash: p.hash, PubKeyAlgo: p.key.PubKeyAlgo,
			KeyId: p.key.KeyId, IsLast: i == len(pending)-1,
		}
		if p.key.Version == 6 {
			ops.Version, ops.Salt, ops.KeyFingerprint = 6, p.salt, p.key.Fingerprint
		}
		if err := ops.Serialize(w); err != nil {
			return nil, err
		}
	}
	lit, err := literalWriter(w, !c.TextMode, c.FileName, uint32(c.ModTime.Unix()))
	if err != nil {
		return nil, err
	}
	if len(pending) > 0 {
		lit.tee = hashW
	}
	if _, err := lit.ReadFrom(in); err != nil {
		return nil, err
	}
	if err := lit.Close(); err != nil {
		return nil, err
	}
	for i := len(pending) - 1; i >= 0; i-- {
		sig, err := pending[i].finish(c.Sign)
		if err != nil {
			return nil, err
		}
		if err := sig.Serialize(w); err != nil {
			return nil, err
		}
		sigs = append([]*packet.Signature{sig}, sigs...)
	}
	for i := len(closers) - 1; i >= 0; i-- {
		if err := closers[i].Close(); err != nil {
			return nil, err
		}
	}
	return sigs, nil
}

func bufioWriter(w io.Writer) *bufio.Writer { return bufio.NewWriterSize(w, 64<<10) }

// lineReader yields lines without their '\n', bounded in length.
type lineReader struct {
	r   *bufio.Reader
	max int
	buf []byte
}

// ErrLineTooLong is returned for cleartext lines over the cap.
var ErrLineTooLong = errors.New("line too long")

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line, valid until the following call.
func (l *lineReader) next() ([]byte, error) {
	chunk, err := l.r.ReadSlice('\n')
	if err == nil && len(chunk) <= l.max {
		// The common case: the whole line is in the reader's buffer.
		return chunk[:len(chunk)-1], nil
	}
	l.buf = append(l.buf[:0], chunk...)
	for {
		if len(l.buf) > l.max {
			return nil, ErrLineTooLong
		}
		switch err {
		case nil:
			return bytes.TrimSuffix(l.buf, []byte("\n")), nil
		case bufio.ErrBufferFull:
		case io.EOF:
			if len(l.buf) == 0 {
				return nil, io.EOF
			}
			return l.buf, nil
		default:
			return nil, err
		}
		chunk, err = l.r.ReadSlice('\n')
		l.buf = append(l.buf, chunk...)
	}
}
