package pgp

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"encoding"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/ipc"
)

// SignFunc finishes a signature elsewhere (keyhelper or cardhelper): it gets
// the hash state after the data and returns the signature packet.
type SignFunc func(key *packet.PublicKey, req *ipc.SignRequest) (*packet.Signature, error)

// SignKey is one key to sign with and the hash to use.
type SignKey struct {
	Key  *packet.PublicKey
	Hash crypto.Hash
}

// pendingSig is a signature whose data is still being hashed. Only the
// plain hash is kept: the canonical-text wrapper holds no buffered bytes,
// so the plain hash's state is the whole state.
type pendingSig struct {
	key     *packet.PublicKey
	sigType packet.SignatureType
	hash    crypto.Hash
	h       hash.Hash
	w       io.Writer
	salt    []byte
	created time.Time
}

func newPendingSig(k SignKey, sigType packet.SignatureType, created time.Time) (*pendingSig, error) {
	if !k.Hash.Available() {
		return nil, fmt.Errorf("hash %s not available", HashName(k.Hash))
	}
	p := &pendingSig{key: k.Key, sigType: sigType, hash: k.Hash, h: k.Hash.New(), created: created}
	if k.Key.Version == 6 {
		salt, err := packet.SignatureSaltForHash(k.Hash, rand.Reader)
		if err != nil {
			return nil, err
		}
		p.salt = salt
		p.h.Write(salt)
	}
	p.w = p.h
	if sigType == packet.SigTypeText {
		p.w = openpgp.NewCanonicalTextHash(p.h)
	}
	return p, nil
}

// finish asks sign for the signature and checks it against the key before
// it is released, so a faulty or lying signer cannot emit a bad signature.
func (p *pendingSig) finish(sign SignFunc) (*packet.Signature, error) {
	state, err := p.h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, err
	}
	req := &ipc.SignRequest{
		KeyFingerprint: p.key.Fingerprint,
		SigType:        uint8(p.sigType),
		HashAlgo:       HashID(p.hash),
		Created:        p.created.Unix(),
		HashState:      state,
		Salt:           p.salt,
	}
	sig, err := sign(p.key, req)
	if err != nil {
		return nil, err
	}
	check := p.hash.New()
	if err := check.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		return nil, err
	}
	if sig.SigType != p.sigType || sig.Hash != p.hash || sig.IssuerKeyId == nil || *sig.IssuerKeyId != p.key.KeyId {
		return nil, fmt.Errorf("signer returned a signature for other parameters")
	}
	if err := p.key.VerifySignature(check, sig); err != nil {
		return nil, fmt.Errorf("signer returned an invalid signature: %v", err)
	}
	return sig, nil
}

func newPendingSigs(keys []SignKey, sigType packet.SignatureType, created time.Time) ([]*pendingSig, io.Writer, error) {
	var ws []io.Writer
	var ps []*pendingSig
	for _, k := range keys {
		p, err := newPendingSig(k, sigType, created)
		if err != nil {
			return nil, nil, err
		}
		ps = append(ps, p)
		ws = append(ws, p.w)
	}
	return ps, oneWriter(ws), nil
}

// oneWriter is io.MultiWriter without its per-call loop when there is
// only one writer, the common case of one signature.
func oneWriter(ws []io.Writer) io.Writer {
	if len(ws) == 1 {
		return ws[0]
	}
	return io.MultiWriter(ws...)
}

// DetachSign hashes in and writes one signature packet per key to out.
func DetachSign(out io.Writer, in io.Reader, keys []SignKey, sigType packet.SignatureType, created time.Time, sign SignFunc) ([]*packet.Signature, error) {
	ps, w, err := newPendingSigs(keys, sigType, created)
	if err != nil {
		return nil, err
	}
	if _, err := io.CopyBuffer(w, in, make([]byte, copyBuffer)); err != nil {
		return nil, err
	}
	return finishAll(ps, sign, out)
}

// finishAll finishes the pending signatures in order and writes them to w.
func finishAll(ps []*pendingSig, sign SignFunc, w io.Writer) ([]*packet.Signature, error) {
	var sigs []*packet.Signature
	for _, p := range ps {
		sig, err := p.finish(sign)
		if err != nil {
			return nil, err
		}
		if err := sig.Serialize(w); err != nil {
			return nil, err
		}
		sigs = append(sigs, sig)
	}
	return sigs, nil
}

// copyBuffer is the chunk size for streaming: large enough that syscalls
// and per-call overhead vanish next to hashing and ciphers.
const copyBuffer = 256 << 10

// ClearSign writes a cleartext signed message. Lines are read one at a
// time; the hash covers them with trailing whitespace removed and CRLF
// between lines, as RFC 9580 section 7.1 says.
func ClearSign(out io.Writer, in io.Reader, keys []SignKey, created time.Time, sign SignFunc, armorSig func(io.Writer) (io.WriteCloser, error)) ([]*packet.Signature, error) {
	ps, w, err := newPendingSigs(keys, packet.SigTypeText, created)
	if err != nil {
		return nil, err
	}
	// The text hashes get canonical bytes already; bypass the canonical wrapper.
	var raw []io.Writer
	for _, p := range ps {
		raw = append(raw, p.h)
	}
	w = io.MultiWriter(raw...)
	// The Hash header names the algorithms of unsalted signatures only: a
	// salted (v6) one cannot be hashed while the text streams anyway, and
	// RFC 9580 section 7.1 leaves it out for them (as go-crypto does).
	seen := map[crypto.Hash]bool{}
	var hashNames []byte
	for _, p := range ps {
		if p.salt == nil && !seen[p.hash] {
			if len(hashNames) > 0 {
				hashNames = append(hashNames, ',')
			}
			hashNames = append(hashNames, HashName(p.hash)...)
			seen[p.hash] = true
		}
	}
	bw := bufioWriter(out)
	bw.WriteString(beginSigned + "\n")
	if len(hashNames) > 0 {
		fmt.Fprintf(bw, "Hash: %s\n", hashNames)
	}
	bw.WriteString("\n")
	lr := newLineReader(in, maxClearsignLine)
	first := true
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if !first {
			w.Write(lineBreak)
		}
		first = false
		w.Write(bytes.TrimRight(line, gpgTrailingSpace))
		// gpg also escapes "From " so mbox readers leave the line alone.
		if len(line) > 0 && line[0] == '-' || bytes.HasPrefix(line, []byte("From ")) {
			bw.WriteString("- ")
		}
		bw.Write(bytes.TrimRight(line, "\r"))
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	aw, err := armorSig(out)
	if err != nil {
		return nil, err
	}
	sigs, err := finishAll(ps, sign, aw)
	if err != nil {
		return nil, err
	}
	return sigs, aw.Close()
}

// maxClearsignLine bounds one line of cleartext, so a line-less stream
// cannot grow memory without bound.
const maxClearsignLine = 1 << 20
