package pgp

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"hash"
	"io"
	"reflect"

	"github.com/ProtonMail/go-crypto/openpgp"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// KeyRing finds public keys by key ID; openpgp.EntityList satisfies it.
type KeyRing interface {
	KeysById(id uint64) []openpgp.Key
}

// Verification is the outcome for one signature.
type Verification struct {
	Sig   *packet.Signature
	Key   *openpgp.Key // nil: no public key
	Err   error        // nil: good signature
	KeyID uint64
	// HashAlgo is the signature's hash algorithm octet, also where Go
	// has no such hash (Sig.Hash is 0 then).
	HashAlgo uint8
	// recheck is set while Err is ErrNoPublicKey: it checks the
	// signature again with the hash state kept from reading the data.
	recheck func(KeyRing)
}

// Recheck checks a signature whose key was missing (Err is
// ErrNoPublicKey) again against keys, which may have the key by now (gpg's
// --auto-key-retrieve). The data is not read again: the hash state was
// kept. A verification that did not miss its key is left alone.
func (v *Verification) Recheck(keys KeyRing) {
	if v.recheck != nil && errors.Is(v.Err, ErrNoPublicKey) {
		v.recheck(keys)
	}
}

// Errors that classify a verification.
var (
	ErrNoPublicKey = errors.New("no public key")
	ErrBadSig      = errors.New("bad signature")
	// ErrUnknownDigest: the signature's hash algorithm is one nobody
	// implements here (gpg's "Invalid digest algorithm").
	ErrUnknownDigest = errors.New("invalid digest algorithm")
)

// SigClassError: the signature's class is not one that signs a document
// (0x00 binary, 0x01 text). gpg refuses it before it looks for the key,
// whether or not the signature would verify (bad input 33).
type SigClassError struct{ Class packet.SignatureType }

func (e *SigClassError) Error() string {
	return fmt.Sprintf("invalid signature class 0x%02x", uint8(e.Class))
}

// WrongKeyUsageError: the only keys that could have made the signature
// are not allowed to sign data (bad input 34). Usage is gpg's usage bits
// of the key: 1 sign, 2 encrypt, 4 certify, 8 authenticate.
type WrongKeyUsageError struct {
	Class packet.SignatureType
	Usage uint8
}

func (e *WrongKeyUsageError) Error() string {
	return fmt.Sprintf("wrong key usage (0x%02x, 0x%x)", uint8(e.Class), e.Usage)
}

// Limits bound what reading a message may cost.
const (
	maxSigsPerMessage = 64
	maxNesting        = 4
	// Decompressed output may be at most this plus expansionRatio times the
	// input consumed so far: ordinary data compresses far less (text 5-20:1),
	// a bomb far more (zlib reaches ~1000:1 in one layer, more nested).
	decompressSlack = 64 << 20
	expansionRatio  = 256
	maxClearsigned  = 256 << 20
)

// ErrTooMuchExpansion is the decompression bomb guard (bad input 20).
var ErrTooMuchExpansion = errors.New("decompressed data grows more than 256 times the input (possible compression bomb; --max-output 0 allows it)")

// ErrOutputLimit is an exceeded --max-output.
var ErrOutputLimit = errors.New("output exceeds the --max-output limit")

// ReadOptions tune ReadSigned.
type ReadOptions struct {
	// OnLiteral sees the literal packet's metadata before its body.
	OnLiteral func(*packet.LiteralData)
	// MaxOutput caps the literal data written, like gpg's --max-output.
	// 0 selects the default guard against compression bombs (output may
	// not outgrow the compressed input by more than expansionRatio);
	// negative means no limit at all.
	MaxOutput int64
}

type checkedSig struct {
	v       *Verification
	sigType packet.SignatureType
	h       hash.Hash
	w       io.Writer
	hash    crypto.Hash
}

func newCheckedSig(sigType packet.SignatureType, h crypto.Hash, hashID uint8, salt []byte, keyID uint64) *checkedSig {
	c := &checkedSig{v: &Verification{KeyID: keyID, HashAlgo: hashID}, hash: h, sigType: sigType}
	if !h.Available() {
		c.w = io.Discard
		return c
	}
	c.h = h.New()
	c.h.Write(salt)
	c.w = c.h
	if sigType == packet.SigTypeText {
		c.w = openpgp.NewCanonicalTextHash(c.h)
	}
	return c
}

// check finishes one verification against the keyring.
func (c *checkedSig) check(keys KeyRing, sig *packet.Signature) {
	c.v.Sig = sig
	if sig.IssuerKeyId != nil {
		c.v.KeyID = *sig.IssuerKeyId
	}
	// An unknown hash, then the class, then a digest conflict are
	// decided before any key lookup, as in gpg's do_check_sig.
	if c.h == nil && !c.hash.Available() {
		c.v.Err = ErrUnknownDigest
		return
	}
	if sig.SigType != packet.SigTypeBinary && sig.SigType != packet.SigTypeText {
		c.v.Err = &SigClassError{Class: sig.SigType}
		return
	}
	if errors.Is(c.v.Err, ErrDigestConflict) {
		return
	}
	matching := keys.KeysById(c.v.KeyID)
	candidates := signingCandidates(matching, sig)
	if len(candidates) == 0 {
		if k, ok := unusableSigner(matching); ok {
			c.v.Key = &k
			c.v.Err = &WrongKeyUsageError{Class: sig.SigType, Usage: keyUsage(k)}
			return
		}
		prior := c.v.Err
		c.v.recheck = func(keys KeyRing) {
			c.v.Err, c.v.recheck = prior, nil
			c.check(keys, sig)
		}
		c.v.Err = ErrNoPublicKey
		return
	}
	if c.v.Err != nil {
		// Found unverifiable while reading (ErrSaltedTextTooLarge).
		c.v.Key = &candidates[0]
		return
	}
	if c.h == nil {
		c.v.Err = pgperrors.UnsupportedError("hash algorithm")
		return
	}
	// A key ID may be shared by several keys; the signature is good if one verifies.
	state := c.h
	var firstErr error
	for i := range candidates {
		k := candidates[i]
		h := cloneHash(state, c.hash)
		if h == nil {
			// A hash without a state copy (x/crypto's RIPEMD-160)
			// is finished once: for the best candidate, which
			// comes first.
			if i > 0 {
				break
			}
			h = state
		}
		if err := k.PublicKey.VerifySignature(h, sig); err == nil {
			c.v.Key, c.v.Err = &k, nil
			return
		} else if firstErr == nil {
			firstErr = err
			c.v.Key = &candidates[i]
		}
	}
	c.v.Err = fmt.Errorf("%w: %v", ErrBadSig, firstErr)
}

// signingCandidates keeps the keys that may have made a data signature:
// a primary key, or a subkey bound for signing. A certificate that carries
// someone else's primary key as, say, an encryption subkey must not get
// their signatures attributed to it (bad input 28, CVE-2025-30258); the
// binding of a signing subkey needs a back-signature by that key, which an
// attacker cannot make. Keys named by the issuer fingerprint come first.
func signingCandidates(keys []openpgp.Key, sig *packet.Signature) []openpgp.Key {
	var first, rest []openpgp.Key
	for _, k := range keys {
		if !maySignData(k) {
			continue
		}
		if len(sig.IssuerFingerprint) > 0 && bytes.Equal(sig.IssuerFingerprint, k.PublicKey.Fingerprint) {
			first = append(first, k)
		} else {
			rest = append(rest, k)
		}
	}
	return append(first, rest...)
}

// maySignData applies gpg's usage rule for data signatures to primary
// keys and subkeys alike: the key flags of the binding (a subkey's binding
// signature, a primary key's self-signature) must include signing. Only a
// primary key without any key flags falls back to what its algorithm can
// do, as in gpg; a subkey needs flags (its binding is what makes it a
// signing key at all).
func maySignData(k openpgp.Key) bool {
	s := k.SelfSignature
	if isPrimary(k) && (s == nil || !s.FlagsValid) {
		return k.PublicKey.CanSign()
	}
	return s != nil && s.FlagsValid && s.FlagSign
}

func isPrimary(k openpgp.Key) bool { return k.Entity != nil && k.PublicKey == k.Entity.PrimaryKey }

// unusableSigner picks the key gpg reports "wrong key usage" for when no
// key with that ID may sign data: the first one that is a primary key or
// has a binding at all (a subkey without a valid binding is not part of
// the certificate).
func unusableSigner(keys []openpgp.Key) (openpgp.Key, bool) {
	for _, k := range keys {
		if isPrimary(k) || k.SelfSignature != nil {
			return k, true
		}
	}
	return openpgp.Key{}, false
}

// keyUsage is gpg's pubkey_usage of k from its key flags.
func keyUsage(k openpgp.Key) uint8 {
	s := k.SelfSignature
	if s == nil || !s.FlagsValid {
		return 0
	}
	var u uint8
	if s.FlagSign {
		u |= 1
	}
	if s.FlagEncryptCommunications || s.FlagEncryptStorage {
		u |= 2
	}
	if s.FlagCertify {
		u |= 4
	}
	if s.FlagAuthenticate {
		u |= 8
	}
	return u
}

// Message is what ReadSigned found.
type Message struct {
	Literal *packet.LiteralData
	Sigs    []*Verification
	// LiteralLength is the body length of a literal packet with a definite
	// length (gpg's PLAINTEXT_LENGTH), -1 for partial lengths.
	LiteralLength int64
	// MultipleLiterals is set when more than one literal data packet was
	// seen (bad input 26). Only the first is written out, and no signature
	// of such a message counts as good: which data it covers is ambiguous.
	MultipleLiterals bool
}

// ReadSigned reads an unencrypted (or already decrypted) message: optional
// compression, one-pass or old-style signatures, exactly one literal data
// packet. The body is streamed to out; onLiteral sees the literal packet's
// metadata before its body. It rejects anything else (bad input
// 26) and bounds decompression (bad input 20).
func ReadSigned(r io.Reader, out io.Writer, keys KeyRing, opts ReadOptions) (msg *Message, err error) {
	defer recoverParse(&err)
	counted := &countingReader{r: r}
	packets := newMessagePackets(counted)
	msg = &Message{}
	var onePass []*checkedSig // in packet order
	var prefix []*checkedSig  // old style: signatures before the data
	nesting := 0
	for {
		p, err := packets.next()
		if err == io.EOF {
			if !packets.seen {
				return nil, ErrNoData
			}
			if msg.Literal == nil {
				return nil, errors.New("no literal data found")
			}
			break
		}
		if err != nil {
			return nil, err
		}
		switch p := p.(type) {
		case *packet.Compressed:
			nesting++
			if nesting > maxNesting || msg.Literal != nil {
				return nil, errors.New("unexpected compressed packet")
			}
			var body io.Reader = p.Body
			if opts.MaxOutput == 0 {
				body = &expansionGuard{r: p.Body, in: counted}
			}
			packets.push(body)
		case *packet.OnePassSignature:
			if msg.Literal != nil || len(onePass)+len(prefix) >= maxSigsPerMessage {
				return nil, errors.New("unexpected one-pass signature packet")
			}
			onePass = append(onePass, newCheckedSig(p.SigType, p.Hash, packets.hashID(p, p.Hash), p.Salt, p.KeyId))
		case *packet.Signature:
			if msg.Literal == nil {
				if len(onePass) > 0 || len(prefix) >= maxSigsPerMessage {
					return nil, errors.New("unexpected signature packet")
				}
				c := newCheckedSig(p.SigType, p.Hash, packets.hashID(p, p.Hash), p.Salt(), 0)
				c.v.Sig = p
				prefix = append(prefix, c)
				continue
			}
			// Trailing signatures close the one-pass ones innermost first.
			if len(onePass) == 0 {
				return nil, errors.New("signature without one-pass signature")
			}
			c := onePass[len(onePass)-1]
			onePass = onePass[:len(onePass)-1]
			if c.h != nil && (packets.hashID(p, p.Hash) != c.v.HashAlgo || p.SigType != c.sigType) {
				c.v.Sig, c.v.Err = p, fmt.Errorf("%w: one-pass parameters differ", ErrBadSig)
				msg.Sigs = append([]*Verification{c.v}, msg.Sigs...)
				continue
			}
			c.check(keys, p)
			msg.Sigs = append([]*Verification{c.v}, msg.Sigs...)
		case *packet.LiteralData:
			if msg.Literal != nil {
				msg.MultipleLiterals = true
				if _, err := io.CopyBuffer(io.Discard, p.Body, make([]byte, copyBuffer)); err != nil {
					return nil, err
				}
				continue
			}
			msg.Literal = p
			if opts.OnLiteral != nil {
				opts.OnLiteral(p)
			}
			ws := []io.Writer{out}
			for _, c := range append(onePass, prefix...) {
				ws = append(ws, c.w)
			}
			var body io.Reader = p.Body
			if opts.MaxOutput > 0 {
				body = &outputLimit{r: body, left: opts.MaxOutput}
			}
			n, err := io.CopyBuffer(oneWriter(ws), body, make([]byte, copyBuffer))
			if err != nil {
				return nil, err
			}
			msg.LiteralLength = -1
			if isDefiniteLength(p.Body) {
				msg.LiteralLength = n
			}
		case *packet.Marker:
		case *packet.EncryptedKey, *packet.SymmetricKeyEncrypted, *packet.SymmetricallyEncrypted,
			*packet.AEADEncrypted, *packet.PublicKey, *packet.PrivateKey, *packet.UserId:
			// gpg's UNEXPECTED 0: encrypted data or keys where a signed
			// message was expected
			return nil, fmt.Errorf("%w %T in message", ErrUnexpectedPacket, p)
		default:
			return nil, fmt.Errorf("unexpected packet %T in message", p)
		}
	}
	if len(onePass) > 0 {
		return nil, errors.New("one-pass signature without signature")
	}
	for _, c := range prefix {
		c.check(keys, c.v.Sig)
		msg.Sigs = append(msg.Sigs, c.v)
	}
	if msg.MultipleLiterals {
		for _, v := range msg.Sigs {
			if v.Err == nil {
				v.Err = fmt.Errorf("%w: multiple plaintexts", ErrBadSig)
			}
		}
	}
	return msg, nil
}

// VerifyDetached checks the signatures in sigData over data.
func VerifyDetached(sigData, data io.Reader, keys KeyRing) (vs []*Verification, err error) {
	defer recoverParse(&err)
	sigs, err := readSignatures(sigData)
	if err != nil {
		return nil, err
	}
	checks, w := prepareChecks(sigs)
	for _, c := range checks {
		if c.h == nil {
			// gpg cannot even set up the hash of the data file
			return nil, ErrDetachedDigest
		}
	}
	if _, err := io.CopyBuffer(w, data, make([]byte, copyBuffer)); err != nil {
		return nil, err
	}
	return finishChecks(keys, sigs, checks), nil
}

// ErrDetachedDigest: a detached signature names a hash algorithm nobody
// implements here, so its data cannot be hashed (gpg's "can't hash
// datafile: Invalid digest algorithm", before any signature is reported).
var ErrDetachedDigest = errors.New("can't hash datafile: Invalid digest algorithm")

func prepareChecks(sigs []parsedSig) ([]*checkedSig, io.Writer) {
	var checks []*checkedSig
	var ws []io.Writer
	for _, s := range sigs {
		c := newCheckedSig(s.SigType, s.Hash, s.hashID, s.Salt(), 0)
		checks = append(checks, c)
		ws = append(ws, c.w)
	}
	return checks, io.MultiWriter(ws...)
}

func finishChecks(keys KeyRing, sigs []parsedSig, checks []*checkedSig) []*Verification {
	var vs []*Verification
	for i, c := range checks {
		c.check(keys, sigs[i].Signature)
		vs = append(vs, c.v)
	}
	return vs
}

// parsedSig is a signature packet with its hash algorithm octet.
type parsedSig struct {
	*packet.Signature
	hashID uint8
}

// ErrNoSignature means the input held no signature packet.
var ErrNoSignature = errors.New("no signature found")

func readSignatures(r io.Reader) ([]parsedSig, error) {
	packets := newMessagePackets(r)
	var sigs []parsedSig
	for {
		p, err := packets.next()
		if err == io.EOF {
			if !packets.seen {
				return nil, ErrNoData
			}
			break
		}
		if err != nil {
			return nil, err
		}
		var sig *packet.Signature
		switch p := p.(type) {
		case *packet.Signature:
			sig = p
		case *packet.EncryptedKey, *packet.SymmetricKeyEncrypted, *packet.PublicKey, *packet.PrivateKey, *packet.UserId:
			return nil, fmt.Errorf("%w %T among signatures", ErrUnexpectedPacket, p)
		case *packet.LiteralData, *packet.Compressed:
			// Their bodies would have to be read past; a detached
			// signature has no data packets.
			return nil, fmt.Errorf("unexpected data packet %T among signatures", p)
		default:
			continue
		}
		if len(sigs) >= maxSigsPerMessage {
			return nil, errors.New("too many signatures")
		}
		sigs = append(sigs, parsedSig{sig, packets.hashID(sig, sig.Hash)})
	}
	if len(sigs) == 0 {
		return nil, ErrNoSignature
	}
	return sigs, nil
}

// ErrNotClearsigned means the input has no cleartext signature framing.
var ErrNotClearsigned = errors.New("not a cleartext signed message")

// recoverParse turns a panic inside go-crypto's parsers into an error at
// this boundary (bad input 27): hostile input must never crash front.
func recoverParse(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("invalid packet (parser panic: %v)", r)
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// isDefiniteLength tells whether a literal body came from a packet with a
// definite length. go-crypto hides the packet header, but it reads such a
// body through its span reader and partial lengths through another type;
// TestLiteralLength catches a change there.
func isDefiniteLength(body io.Reader) bool {
	return reflect.TypeOf(body).String() == "*packet.spanReader"
}

type outputLimit struct {
	r    io.Reader
	left int64
}

func (o *outputLimit) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	o.left -= int64(n)
	if o.left < 0 {
		return 0, ErrOutputLimit
	}
	return n, err
}

type expansionGuard struct {
	r   io.Reader
	in  *countingReader
	out int64
}

func (g *expansionGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.out += int64(n)
	if g.out > decompressSlack+expansionRatio*g.in.n {
		return 0, ErrTooMuchExpansion
	}
	return n, err
}

// cloneHash copies h's state into a new hash so one data pass can be
// checked against several candidate keys.
func cloneHash(h hash.Hash, algo crypto.Hash) hash.Hash {
	type marshaler interface {
		MarshalBinary() ([]byte, error)
		UnmarshalBinary([]byte) error
	}
	m, ok := h.(marshaler)
	if !ok {
		return nil
	}
	state, err := m.MarshalBinary()
	if err != nil {
		return nil
	}
	c := algo.New()
	if err := c.(marshaler).UnmarshalBinary(state); err != nil {
		return nil
	}
	return c
}

// IsArmored reports whether data starts like ASCII armor (after whitespace).
func IsArmored(data []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("-----BEGIN PGP"))
}
