package cardemu

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"math/big"

	"github.com/frontpgp/front/card/tlv"
)

// Curve OIDs as the algorithm attributes carry them (without the DER tag).
var (
	oidEd25519 = []byte{0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01}
	oidCv25519 = []byte{0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01}
	oidP256    = []byte{0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07}
)

// Algorithm attributes for Options.Attrs and PUT DATA C1–C3.
var (
	AttrEd25519   = append([]byte{0x16}, oidEd25519...)
	AttrX25519    = append([]byte{0x12}, oidCv25519...)
	AttrP256ECDSA = append([]byte{0x13}, oidP256...)
	AttrP256ECDH  = append([]byte{0x12}, oidP256...)
)

// AttrRSA returns RSA attributes: modulus bits, 32-bit public exponent,
// import format 00 (standard e, p, q).
func AttrRSA(bits int) []byte {
	return []byte{0x01, byte(bits >> 8), byte(bits), 0x00, 0x20, 0x00}
}

type algo int

const (
	algoRSA algo = iota + 1
	algoEd25519
	algoX25519
	algoP256ECDSA
	algoP256ECDH
)

type keySpec struct {
	algo algo
	bits int // RSA only
}

// parseAttr accepts the attributes this card can generate keys for, in a
// slot that can use them (ECDH only for decryption, signing algorithms
// never there). A trailing import-format byte (FF: with public key) is
// allowed after an OID.
func parseAttr(a []byte, slot int) (keySpec, error) {
	bad := errors.New("cardemu: unsupported algorithm attributes")
	if len(a) == 0 {
		return keySpec{}, bad
	}
	if a[0] == 0x01 {
		if len(a) != 6 || a[3] != 0x00 || a[4] != 0x20 || a[5] > 0x03 {
			return keySpec{}, bad
		}
		bits := int(binary.BigEndian.Uint16(a[1:3]))
		if bits != 2048 && bits != 3072 && bits != 4096 {
			return keySpec{}, bad
		}
		return keySpec{algo: algoRSA, bits: bits}, nil
	}
	oid := a[1:]
	if n := len(oid); n > 0 && oid[n-1] == 0xFF {
		oid = oid[:n-1]
	}
	decrypt := slot == 1
	switch {
	case a[0] == 0x16 && bytes.Equal(oid, oidEd25519) && !decrypt:
		return keySpec{algo: algoEd25519}, nil
	case a[0] == 0x13 && bytes.Equal(oid, oidP256) && !decrypt:
		return keySpec{algo: algoP256ECDSA}, nil
	case a[0] == 0x12 && bytes.Equal(oid, oidCv25519) && decrypt:
		return keySpec{algo: algoX25519}, nil
	case a[0] == 0x12 && bytes.Equal(oid, oidP256) && decrypt:
		return keySpec{algo: algoP256ECDH}, nil
	}
	return keySpec{}, bad
}

// key is one generated key pair.
type key struct {
	spec   keySpec
	rsa    *rsa.PrivateKey
	ed     ed25519.PrivateKey
	ecdsa  *ecdsa.PrivateKey
	ecdhPr *ecdh.PrivateKey
}

func newKey(spec keySpec) (*key, error) {
	k := &key{spec: spec}
	var err error
	switch spec.algo {
	case algoRSA:
		k.rsa, err = rsa.GenerateKey(rand.Reader, spec.bits)
	case algoEd25519:
		_, k.ed, err = ed25519.GenerateKey(rand.Reader)
	case algoP256ECDSA:
		k.ecdsa, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case algoX25519:
		k.ecdhPr, err = ecdh.X25519().GenerateKey(rand.Reader)
	case algoP256ECDH:
		k.ecdhPr, err = ecdh.P256().GenerateKey(rand.Reader)
	}
	return k, err
}

// publicDO is the 7F49 template: 81 modulus, 82 exponent for RSA; 86 the
// point for ECC (native 32 bytes for Ed25519/X25519, 04‖x‖y for P-256).
func (k *key) publicDO() []byte {
	var v []byte
	switch k.spec.algo {
	case algoRSA:
		v = tlv.Append(v, 0x81, k.rsa.N.Bytes())
		v = tlv.Append(v, 0x82, big.NewInt(int64(k.rsa.E)).Bytes())
	case algoEd25519:
		v = tlv.Append(v, 0x86, k.ed.Public().(ed25519.PublicKey))
	case algoP256ECDSA:
		pub, _ := k.ecdsa.PublicKey.ECDH()
		v = tlv.Append(v, 0x86, pub.Bytes())
	case algoX25519, algoP256ECDH:
		v = tlv.Append(v, 0x86, k.ecdhPr.PublicKey().Bytes())
	}
	return tlv.Encode(0x7F49, v)
}

// crtSlot maps a control reference template (B6 signature, B8 decryption,
// A4 authentication; for GENERATE) to a key slot.
func crtSlot(data []byte) (int, bool) {
	if len(data) < 2 || data[1] != 0x00 && len(data) != 2+int(data[1]) {
		return 0, false
	}
	switch data[0] {
	case 0xB6:
		return 0, true
	case 0xB8:
		return 1, true
	case 0xA4:
		return 2, true
	}
	return 0, false
}

// generate is GENERATE ASYMMETRIC KEY PAIR: P1=80 generates (PW3), P1=81
// reads the public key of an existing key.
func (c *Card) generate(p1, p2 byte, data []byte) ([]byte, uint16) {
	slot, ok := crtSlot(data)
	if !ok || p2 != 0x00 {
		return nil, swWrongData
	}
	switch p1 {
	case 0x81:
		if c.keys[slot] == nil {
			return nil, swRefNotFound
		}
		return c.keys[slot].publicDO(), swOK
	case 0x80:
	default:
		return nil, swWrongP1P2
	}
	if !c.verified[2] {
		return nil, swSecurityStatus
	}
	spec, err := parseAttr(c.attrs[slot], slot)
	if err != nil {
		return nil, swConditions
	}
	k, err := newKey(spec)
	if err != nil {
		return nil, swConditions
	}
	c.installKey(slot, k, 0x01)
	return k.publicDO(), swOK
}

// installKey puts a generated (info 01) or imported (02) key into slot:
// the slot's fingerprint and time are cleared until the host writes them,
// and a new signature key restarts the signature counter, as on real cards.
func (c *Card) installKey(slot int, k *key, info byte) {
	c.keys[slot] = k
	c.keyInfo[slot] = info
	c.fps[slot] = [20]byte{}
	c.times[slot] = 0
	if slot == 0 {
		c.sigCount = 0
	}
}

// sign is PSO:COMPUTE DIGITAL SIGNATURE with the signature key, after PW1 81.
func (c *Card) sign(data []byte) ([]byte, uint16) {
	if !c.verified[0] {
		return nil, swSecurityStatus
	}
	k := c.keys[0]
	if k == nil {
		return nil, swRefNotFound
	}
	sig, sw := k.signRaw(data)
	if sw != swOK {
		return nil, sw
	}
	if c.sigCount < 0xFFFFFF {
		c.sigCount++
	}
	if c.forcedSig == 0x00 {
		c.verified[0] = false
	}
	return sig, swOK
}

// authenticate is INTERNAL AUTHENTICATE with the authentication key, after
// PW1 82.
func (c *Card) authenticate(p1, p2 byte, data []byte) ([]byte, uint16) {
	if p1 != 0 || p2 != 0 {
		return nil, swWrongP1P2
	}
	if !c.verified[1] {
		return nil, swSecurityStatus
	}
	k := c.keys[2]
	if k == nil {
		return nil, swRefNotFound
	}
	return k.signRaw(data)
}

// signRaw signs what the host sent: an RSA DigestInfo (PKCS#1 v1.5 padding
// added here), an ECDSA hash (r‖s returned) or an EdDSA message (the
// OpenPGP hash; R‖S returned).
func (k *key) signRaw(data []byte) ([]byte, uint16) {
	switch k.spec.algo {
	case algoRSA:
		if len(data) > k.rsa.Size()*4/10 {
			return nil, swWrongLength
		}
		sig, err := rsa.SignPKCS1v15(rand.Reader, k.rsa, crypto.Hash(0), data)
		if err != nil {
			return nil, swWrongData
		}
		return sig, swOK
	case algoEd25519:
		if len(data) > 64 {
			return nil, swWrongLength
		}
		return ed25519.Sign(k.ed, data), swOK
	case algoP256ECDSA:
		if len(data) > 64 {
			return nil, swWrongLength
		}
		r, s, err := ecdsa.Sign(rand.Reader, k.ecdsa, data)
		if err != nil {
			return nil, swWrongData
		}
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out, swOK
	}
	return nil, swConditions
}

// decipher is PSO:DECIPHER with the decryption key, after PW1 82: RSA gets
// 00 ‖ ciphertext and returns the PKCS#1 v1.5 plaintext; ECDH gets
// A6 { 7F49 { 86 point } } and returns the shared secret (X25519: the
// native 32 bytes, a 0x40 prefix tolerated; P-256: the x coordinate).
func (c *Card) decipher(data []byte) ([]byte, uint16) {
	if !c.verified[1] {
		return nil, swSecurityStatus
	}
	k := c.keys[1]
	if k == nil {
		return nil, swRefNotFound
	}
	switch k.spec.algo {
	case algoRSA:
		if len(data) != 1+k.rsa.Size() || data[0] != 0x00 {
			return nil, swWrongData
		}
		pt, err := rsa.DecryptPKCS1v15(rand.Reader, k.rsa, data[1:])
		if err != nil {
			return nil, swWrongData
		}
		return pt, swOK
	case algoX25519, algoP256ECDH:
		objs, err := tlv.Parse(data)
		if err != nil || len(objs) != 1 || objs[0].Tag != 0xA6 {
			return nil, swWrongData
		}
		pt, ok := tlv.Find(objs[0].Children, 0x86)
		if !ok {
			return nil, swWrongData
		}
		point := pt.Value
		if k.spec.algo == algoX25519 && len(point) == 33 && point[0] == 0x40 {
			point = point[1:]
		}
		peer, err := k.ecdhPr.Curve().NewPublicKey(point)
		if err != nil {
			return nil, swWrongData
		}
		secret, err := k.ecdhPr.ECDH(peer)
		if err != nil {
			return nil, swWrongData
		}
		return secret, swOK
	}
	return nil, swConditions
}
