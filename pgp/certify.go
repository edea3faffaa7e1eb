package pgp

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Certifications and key bindings are composed here at the packet level:
// the hashed subpacket area is given exactly (front updates gpg's
// self-signatures in place, keeping their other subpackets), and
// go-crypto's Signature, which only writes the subpackets it knows, is used
// for the public-key operation alone.

// Signature classes of key signatures.
const (
	ClassGenericCert  byte = 0x10
	ClassPersonaCert  byte = 0x11
	ClassCasualCert   byte = 0x12
	ClassPositiveCert byte = 0x13
	ClassSubkeyBind   byte = 0x18
	ClassDirectKey    byte = 0x1f
	ClassKeyRevoke    byte = 0x20
	ClassSubkeyRevoke byte = 0x28
	ClassCertRevoke   byte = 0x30
)

// Subpacket types used by key signatures.
const (
	SubCreated        byte = 2
	SubSigExpire      byte = 3
	SubExportable     byte = 4
	SubTrust          byte = 5
	SubRegexp         byte = 6
	SubRevocable      byte = 7
	SubKeyExpire      byte = 9
	SubPrefCipher     byte = 11
	SubRevoker        byte = 12
	SubIssuer         byte = 16
	SubNotation       byte = 20
	SubPrefHash       byte = 21
	SubPrefCompress   byte = 22
	SubKSPrefs        byte = 23
	SubPrefKS         byte = 24
	SubPrimaryUID     byte = 25
	SubPolicy         byte = 26
	SubKeyFlags       byte = 27
	SubSignerUID      byte = 28
	SubReason         byte = 29
	SubFeatures       byte = 30
	SubEmbedded       byte = 32
	SubIssuerFpr      byte = 33
	SubPrefAEAD       byte = 34
	SubPrefAEADSuites byte = 39 // RFC 9580's preferred AEAD ciphersuites
)

// Packet tags of key components.
const (
	TagPublicKey    = 6
	TagUserID       = 13
	TagPublicSubkey = 14
	TagAttribute    = 17
	TagSignature    = 2
)

// maxSubpacketArea bounds a hashed or unhashed area (its length field is 16 bits).
const maxSubpacketArea = 0xffff

// Subpacket is one signature subpacket.
type Subpacket struct {
	Type     byte
	Critical bool
	Data     []byte
}

// ParseSubpackets splits a v4 subpacket area.
func ParseSubpackets(area []byte) ([]Subpacket, error) {
	var out []Subpacket
	for len(area) > 0 {
		var n, hdr int
		switch l := int(area[0]); {
		case l < 192:
			n, hdr = l, 1
		case l < 255:
			if len(area) < 2 {
				return nil, errors.New("truncated subpacket")
			}
			n, hdr = (l-192)<<8+int(area[1])+192, 2
		default:
			if len(area) < 5 {
				return nil, errors.New("truncated subpacket")
			}
			v := binary.BigEndian.Uint32(area[1:5])
			if v > uint32(len(area)) {
				return nil, errors.New("subpacket too long")
			}
			n, hdr = int(v), 5
		}
		if n < 1 || n > len(area)-hdr {
			return nil, errors.New("invalid subpacket length")
		}
		out = append(out, Subpacket{Type: area[hdr] & 0x7f, Critical: area[hdr]&0x80 != 0, Data: area[hdr+1 : hdr+n]})
		area = area[hdr+n:]
	}
	return out, nil
}

// EncodeSubpackets is the inverse of ParseSubpackets.
func EncodeSubpackets(sps []Subpacket) []byte {
	var out []byte
	for _, sp := range sps {
		n := len(sp.Data) + 1
		switch {
		case n < 192:
			out = append(out, byte(n))
		case n < 8384:
			n -= 192
			out = append(out, byte(n>>8)+192, byte(n))
		default:
			out = append(out, 255, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		}
		t := sp.Type
		if sp.Critical {
			t |= 0x80
		}
		out = append(out, t)
		out = append(out, sp.Data...)
	}
	return out
}

// SigParts is a v4 or v6 signature packet body taken apart.
type SigParts struct {
	Version                     byte // 4 or 6
	Class, PubKeyAlgo, HashAlgo byte
	Hashed, Unhashed            []byte
	HashTag                     [2]byte
	Salt                        []byte // v6 only (RFC 9580 5.2.3)
	Material                    []byte // the algorithm-specific values
}

// areaLenSize is the size of a subpacket area's length field: two octets
// in v4 signatures, four in v6 ones.
func areaLenSize(version byte) int {
	if version == 6 {
		return 4
	}
	return 2
}

// ParseSigParts splits a v4 or v6 signature packet body. Each subpacket
// area is capped at maxSubpacketArea, a v6 one too (its length field
// would allow 4 GiB).
func ParseSigParts(body []byte) (SigParts, error) {
	var s SigParts
	if len(body) < 4 || body[0] != 4 && body[0] != 6 {
		return s, errors.New("not a version 4 or 6 signature")
	}
	s.Version, s.Class, s.PubKeyAlgo, s.HashAlgo = body[0], body[1], body[2], body[3]
	p := body[4:]
	ls := areaLenSize(s.Version)
	area := func() ([]byte, bool) {
		if len(p) < ls {
			return nil, false
		}
		n := uint64(binary.BigEndian.Uint16(p))
		if ls == 4 {
			n = uint64(binary.BigEndian.Uint32(p))
		}
		if n > maxSubpacketArea || n > uint64(len(p)-ls) {
			return nil, false
		}
		a := p[ls : ls+int(n)]
		p = p[ls+int(n):]
		return a, true
	}
	var ok bool
	if s.Hashed, ok = area(); !ok {
		return s, errors.New("truncated signature")
	}
	if s.Unhashed, ok = area(); !ok || len(p) < 2 {
		return s, errors.New("truncated signature")
	}
	copy(s.HashTag[:], p)
	p = p[2:]
	if s.Version == 6 {
		if len(p) < 1 || int(p[0]) > len(p)-1 {
			return s, errors.New("truncated signature")
		}
		s.Salt, p = p[1:1+int(p[0])], p[1+int(p[0]):]
	}
	s.Material = p
	return s, nil
}

// appendAreaLen appends a subpacket area's length field.
func (s *SigParts) appendAreaLen(out []byte, n int) []byte {
	if s.Version == 6 {
		return binary.BigEndian.AppendUint32(out, uint32(n))
	}
	return append(out, byte(n>>8), byte(n))
}

// Body reassembles the signature packet body.
func (s *SigParts) Body() []byte {
	out := s.hashedPart()
	out = s.appendAreaLen(out, len(s.Unhashed))
	out = append(out, s.Unhashed...)
	out = append(out, s.HashTag[:]...)
	if s.Version == 6 {
		out = append(out, byte(len(s.Salt)))
		out = append(out, s.Salt...)
	}
	return append(out, s.Material...)
}

// hashedPart is the start of the body up to the end of the hashed area:
// what a signature hashes after the signed data.
func (s *SigParts) hashedPart() []byte {
	out := []byte{s.Version, s.Class, s.PubKeyAlgo, s.HashAlgo}
	out = s.appendAreaLen(out, len(s.Hashed))
	return append(out, s.Hashed...)
}

// hashSuffix is everything a signature hashes after the signed data: the
// hashed part and the final trailer (version, 0xff, its length).
func (s *SigParts) hashSuffix() []byte {
	h := s.hashedPart()
	n := len(h)
	h = append(h, s.Version, 0xff)
	return binary.BigEndian.AppendUint32(h, uint32(n))
}

// Component is the user ID, attribute or subkey packet a signature binds
// to the primary key; Tag 0 means the signature is on the primary key alone.
type Component struct {
	Tag  int
	Body []byte
}

// ComponentFor checks that class fits the component it is made over.
func ComponentFor(class byte, c Component) error {
	switch class {
	case ClassGenericCert, ClassPersonaCert, ClassCasualCert, ClassPositiveCert, ClassCertRevoke:
		if c.Tag != TagUserID && c.Tag != TagAttribute {
			return fmt.Errorf("signature class %#x needs a user ID", class)
		}
	case ClassSubkeyBind, ClassSubkeyRevoke:
		if c.Tag != TagPublicSubkey {
			return fmt.Errorf("signature class %#x needs a subkey", class)
		}
	case ClassDirectKey, ClassKeyRevoke:
		if c.Tag != 0 {
			return fmt.Errorf("signature class %#x is over the primary key alone", class)
		}
	default:
		return fmt.Errorf("signature class %#x is not a key signature", class)
	}
	return nil
}

// writeKeySignaturePrefix hashes what precedes a key signature's own
// trailer (after a v6 signature's salt): the primary key and the
// component, framed for hashing. A key packet is framed by its own
// version (0x99 and a 2-octet length for v4, 0x9b and a 4-octet length
// for v6), as go-crypto and Sequoia hash it.
func writeKeySignaturePrefix(d io.Writer, primaryBody []byte, c Component) {
	writeKey := func(body []byte) {
		if len(body) > 0 && body[0] == 6 {
			d.Write(binary.BigEndian.AppendUint32([]byte{0x9b}, uint32(len(body))))
		} else {
			d.Write([]byte{0x99, byte(len(body) >> 8), byte(len(body))})
		}
		d.Write(body)
	}
	writeKey(primaryBody)
	switch c.Tag {
	case TagPublicSubkey:
		writeKey(c.Body)
	case TagUserID, TagAttribute:
		prefix := byte(0xb4)
		if c.Tag == TagAttribute {
			prefix = 0xd1
		}
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(c.Body)))
		d.Write([]byte{prefix})
		d.Write(n[:])
		d.Write(c.Body)
	}
}

// keySignatureDigest is what the key signature s (its version, class,
// algorithms, hashed area and v6 salt set) signs: the salt, the primary
// key, the component, and the signature's own trailer.
func keySignatureDigest(h crypto.Hash, primaryBody []byte, c Component, s *SigParts) []byte {
	d := h.New()
	d.Write(s.Salt)
	writeKeySignaturePrefix(d, primaryBody, c)
	d.Write(s.hashSuffix())
	return d.Sum(nil)
}

func hashID(h crypto.Hash) byte {
	for _, e := range hashIDs {
		if e.hash == h {
			return e.id
		}
	}
	return 0
}

// precomputed is a hash.Hash that already holds its result: go-crypto's
// Sign and VerifySignature feed it their own trailer, which is ignored, and
// take the digest computed over our exact packets.
type precomputed struct{ digest []byte }

func (p precomputed) Write(b []byte) (int, error) { return len(b), nil }
func (p precomputed) Sum(b []byte) []byte         { return append(b, p.digest...) }
func (p precomputed) Reset()                      {}
func (p precomputed) Size() int                   { return len(p.digest) }
func (p precomputed) BlockSize() int              { return 64 }

// SignKeySignature makes a key signature of class over primaryBody and
// c with exactly the hashed subpackets given, signed by priv (unlocked):
// v4 for a v4 key, with the issuer key ID in the unhashed area as gpg
// writes it; v6 with a fresh salt and an empty unhashed area for a v6 key
// (RFC 9580: the issuer fingerprint in the hashed area names it). The
// result is a framed signature packet, checked against priv's public key.
func SignKeySignature(priv *packet.PrivateKey, class byte, h crypto.Hash, primaryBody []byte, c Component, hashed []Subpacket) ([]byte, error) {
	if priv.Version != 4 && priv.Version != 6 {
		return nil, errors.New("key signatures are only made with version 4 and 6 keys")
	}
	if err := ComponentFor(class, c); err != nil {
		return nil, err
	}
	if hashID(h) == 0 || !h.Available() {
		return nil, errors.New("unsupported hash algorithm")
	}
	area := EncodeSubpackets(hashed)
	if len(area) > maxSubpacketArea {
		return nil, errors.New("hashed subpacket area too large")
	}
	out := SigParts{Version: byte(priv.Version), Class: class, PubKeyAlgo: byte(priv.PubKeyAlgo), HashAlgo: hashID(h), Hashed: area}
	noNotation := false
	cfg := &packet.Config{NonDeterministicSignaturesViaNotation: &noNotation}
	sig := &packet.Signature{Version: priv.Version, SigType: packet.SignatureType(class), PubKeyAlgo: priv.PubKeyAlgo, Hash: h, CreationTime: time.Now()}
	if out.Version == 6 {
		salt, err := packet.SignatureSaltForHash(h, rand.Reader)
		if err != nil {
			return nil, err
		}
		if err := sig.SetSalt(salt); err != nil {
			return nil, err
		}
		out.Salt = salt
	}
	digest := keySignatureDigest(h, primaryBody, c, &out)
	if err := sig.Sign(precomputed{digest}, priv, cfg); err != nil {
		return nil, err
	}
	if err := priv.PublicKey.VerifySignature(precomputed{digest}, sig); err != nil {
		return nil, fmt.Errorf("self-check of the new signature failed: %v", err)
	}
	var made bytes.Buffer
	if err := sig.Serialize(&made); err != nil {
		return nil, err
	}
	_, body, err := packetBody(made.Bytes())
	if err != nil {
		return nil, err
	}
	parts, err := ParseSigParts(body)
	if err != nil {
		return nil, err
	}
	if out.Version == 4 {
		out.Unhashed = EncodeSubpackets([]Subpacket{{Type: SubIssuer, Data: IssuerKeyID(priv.Fingerprint)}})
	}
	out.HashTag, out.Material = [2]byte{digest[0], digest[1]}, parts.Material
	return framePacket(TagSignature, out.Body()), nil
}

// framePacket frames body with the shortest new-format header, as gpg
// writes key material.
func framePacket(tag int, body []byte) []byte {
	n := len(body)
	h := []byte{0xc0 | byte(tag)}
	switch {
	case n < 192:
		h = append(h, byte(n))
	case n < 8384:
		m := n - 192
		h = append(h, byte(m>>8)+192, byte(m))
	default:
		h = append(h, 255, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(h, body...)
}

// PacketBody returns the tag and body of one framed packet.
func PacketBody(raw []byte) (int, []byte, error) { return packetBody(raw) }

// FramePacket frames body as a packet with tag.
func FramePacket(tag int, body []byte) []byte { return framePacket(tag, body) }

// CertHash is the hash gpg 2.2 picks for a certification or binding made
// with pk (sign.c make_keysig_packet): SHA-256, and for ECDSA the hash that
// matches the curve size.
func CertHash(pk *packet.PublicKey) crypto.Hash {
	if pk.PubKeyAlgo == packet.PubKeyAlgoECDSA {
		switch bits, _ := pk.BitLength(); {
		case bits > 384:
			return crypto.SHA512
		case bits > 256:
			return crypto.SHA384
		}
	}
	return crypto.SHA256
}

// ReviseHashed is gpg's update_keysig_packet on a framed v4 signature: its
// hashed subpackets with the creation time set to now, or one second after
// the old signature so the new one supersedes it, then set (replacing
// subpackets of the same type, else appended) and drop applied.
func ReviseHashed(sig []byte, now uint32, set []Subpacket, drop ...byte) (class byte, hashed []byte, err error) {
	_, body, err := packetBody(sig)
	if err != nil {
		return 0, nil, err
	}
	parts, err := ParseSigParts(body)
	if err != nil {
		return 0, nil, err
	}
	sps, err := ParseSubpackets(parts.Hashed)
	if err != nil {
		return 0, nil, err
	}
	created := now
	for _, sp := range sps {
		if sp.Type == SubCreated && len(sp.Data) == 4 {
			if old := binary.BigEndian.Uint32(sp.Data); old >= created {
				created = old + 1
			}
		}
	}
	set = append([]Subpacket{CreatedSubpacket(created)}, set...)
	var out []Subpacket
	for _, sp := range sps {
		keep := true
		for _, t := range drop {
			keep = keep && sp.Type != t
		}
		for i, s := range set {
			if s.Type == sp.Type && s.Data != nil {
				sp, set[i].Data = s, nil
			}
		}
		if keep {
			out = append(out, sp)
		}
	}
	for _, s := range set {
		if s.Data != nil {
			out = append(out, s)
		}
	}
	return parts.Class, EncodeSubpackets(out), nil
}

// CreatedSubpacket is a signature creation time subpacket.
func CreatedSubpacket(t uint32) Subpacket {
	return Subpacket{Type: SubCreated, Data: binary.BigEndian.AppendUint32(nil, t)}
}

// IssuerFprSubpacket names an issuer by fingerprint: the key version
// (6 for a 32-byte fingerprint, else 4), then the fingerprint.
func IssuerFprSubpacket(fpr []byte) Subpacket {
	v := byte(4)
	if len(fpr) == 32 {
		v = 6
	}
	return Subpacket{Type: SubIssuerFpr, Data: append([]byte{v}, fpr...)}
}

// IssuerKeyID is the key ID a fingerprint implies, as 8 bytes: the last
// 8 of a v4 (20-byte) fingerprint, the first 8 of a v6 (32-byte) one;
// nil for any other length.
func IssuerKeyID(fpr []byte) []byte {
	switch len(fpr) {
	case 20:
		return fpr[12:]
	case 32:
		return fpr[:8]
	}
	return nil
}

// KeyExpireSubpacket is a key expiration time (seconds after the key's creation).
func KeyExpireSubpacket(secs uint32) Subpacket {
	return Subpacket{Type: SubKeyExpire, Data: binary.BigEndian.AppendUint32(nil, secs)}
}

// ParseSignature parses a framed signature packet. go-crypto refuses
// non-exportable certifications (gpg's --lsign-key), which gpg keeps and
// counts locally; such a signature is parsed without its exportable
// subpacket and then given back its original hashed data, so that
// verifying it checks exactly what was signed.
func ParseSignature(raw []byte) (*packet.Signature, error) {
	p, err := packet.Read(bytes.NewReader(raw))
	if err == nil {
		if sig, ok := p.(*packet.Signature); ok {
			return sig, nil
		}
		return nil, errors.New("not a signature packet")
	}
	_, body, berr := packetBody(raw)
	if berr != nil {
		return nil, err
	}
	parts, perr := ParseSigParts(body)
	if perr != nil {
		return nil, err
	}
	sps, serr := ParseSubpackets(parts.Hashed)
	if serr != nil {
		return nil, err
	}
	local := false
	var kept []Subpacket
	for _, sp := range sps {
		if sp.Type == SubExportable && len(sp.Data) == 1 && sp.Data[0] == 0 {
			local = true
			continue
		}
		kept = append(kept, sp)
	}
	if !local {
		return nil, err
	}
	stripped := parts
	stripped.Hashed = EncodeSubpackets(kept)
	p, err = packet.Read(bytes.NewReader(framePacket(TagSignature, stripped.Body())))
	sig, ok := p.(*packet.Signature)
	if err != nil || !ok {
		return nil, errors.New("invalid signature packet")
	}
	sig.HashSuffix = parts.hashSuffix()
	return sig, nil
}

// VerifyKeySignature checks a framed key signature made by signer over
// primaryBody and c (local certifications included).
func VerifyKeySignature(signer *packet.PublicKey, primaryBody []byte, c Component, sigRaw []byte) error {
	sig, err := ParseSignature(sigRaw)
	if err != nil {
		return err
	}
	if err := ComponentFor(byte(sig.SigType), c); err != nil {
		return err
	}
	h, err := sig.PrepareVerify()
	if err != nil {
		return err
	}
	writeKeySignaturePrefix(h, primaryBody, c)
	return signer.VerifySignature(h, sig)
}
