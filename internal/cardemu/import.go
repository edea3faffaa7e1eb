package cardemu

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"math/big"
	"slices"
)

// importKey is PUT DATA odd (00 DB 3F FF) with the extended header list
// 4D { CRT, 7F48 { tag len ... }, 5F48 { values } } (specification
// 4.4.3.12), after PW3. The key must fit the slot's attributes: RSA e, p, q
// (format 00, or 01 with n), ECC the private value (Ed25519 seed, X25519
// scalar big-endian as gpg sends it, P-256 scalar); no public key is
// expected (no FF format byte).
func (c *Card) importKey(p1, p2 byte, data []byte) ([]byte, uint16) {
	if p1 != 0x3F || p2 != 0xFF {
		return nil, swWrongP1P2
	}
	if !c.verified[2] {
		return nil, swSecurityStatus
	}
	tag, body, rest, ok := header(data)
	if !ok || tag != 0x4D || len(rest) != 0 {
		return nil, swWrongData
	}
	slot, ok := crtSlot(body)
	if !ok {
		return nil, swWrongData
	}
	body = body[2:]
	tag, list, body, ok := header(body)
	if !ok || tag != 0x7F48 {
		return nil, swWrongData
	}
	tag, values, body, ok := header(body)
	if !ok || tag != 0x5F48 || len(body) != 0 {
		return nil, swWrongData
	}
	parts := map[uint16][]byte{}
	for len(list) > 0 {
		t, n, r, ok := headerOnly(list)
		if !ok || n > len(values) {
			return nil, swWrongData
		}
		parts[t], values, list = values[:n], values[n:], r
	}
	if len(values) != 0 {
		return nil, swWrongData
	}
	spec, err := parseAttr(c.attrs[slot], slot)
	if err != nil {
		return nil, swConditions
	}
	k, ok := importedKey(spec, parts)
	if !ok {
		return nil, swWrongData
	}
	c.installKey(slot, k, 0x02)
	return nil, swOK
}

func importedKey(spec keySpec, parts map[uint16][]byte) (*key, bool) {
	k := &key{spec: spec}
	d := parts[0x92]
	switch spec.algo {
	case algoRSA:
		e, p, q := new(big.Int).SetBytes(parts[0x91]), new(big.Int).SetBytes(parts[0x92]), new(big.Int).SetBytes(parts[0x93])
		if len(parts[0x92])*16 != spec.bits || !e.IsInt64() || p.Sign() == 0 || q.Sign() == 0 {
			return nil, false
		}
		n := new(big.Int).Mul(p, q)
		if nb, ok := parts[0x97]; ok && new(big.Int).SetBytes(nb).Cmp(n) != 0 {
			return nil, false
		}
		one := big.NewInt(1)
		phi := new(big.Int).Mul(new(big.Int).Sub(p, one), new(big.Int).Sub(q, one))
		dd := new(big.Int).ModInverse(e, phi)
		if dd == nil || n.BitLen() != spec.bits {
			return nil, false
		}
		k.rsa = &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: int(e.Int64())}, D: dd, Primes: []*big.Int{p, q}}
		if k.rsa.Validate() != nil {
			return nil, false
		}
		k.rsa.Precompute()
	case algoEd25519:
		if len(d) != ed25519.SeedSize {
			return nil, false
		}
		k.ed = ed25519.NewKeyFromSeed(d)
	case algoX25519:
		native := slices.Clone(d)
		slices.Reverse(native)
		var err error
		if k.ecdhPr, err = ecdh.X25519().NewPrivateKey(native); err != nil {
			return nil, false
		}
	case algoP256ECDH, algoP256ECDSA:
		pr, err := ecdh.P256().NewPrivateKey(d)
		if err != nil {
			return nil, false
		}
		if spec.algo == algoP256ECDH {
			k.ecdhPr = pr
			break
		}
		x, y := elliptic.P256().ScalarBaseMult(d)
		k.ecdsa = &ecdsa.PrivateKey{PublicKey: ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: y}, D: new(big.Int).SetBytes(d)}
	default:
		return nil, false
	}
	return k, true
}

// header splits one data object off b.
func header(b []byte) (tag uint16, value, rest []byte, ok bool) {
	tag, n, rest, ok := headerOnly(b)
	if !ok || n > len(rest) {
		return 0, nil, nil, false
	}
	return tag, rest[:n], rest[n:], true
}

// headerOnly reads a tag and a BER length (no value follows in a header
// list).
func headerOnly(b []byte) (tag uint16, n int, rest []byte, ok bool) {
	if len(b) < 2 {
		return 0, 0, nil, false
	}
	tag, b = uint16(b[0]), b[1:]
	if tag&0x1F == 0x1F {
		tag, b = tag<<8|uint16(b[0]), b[1:]
	}
	if len(b) < 1 {
		return 0, 0, nil, false
	}
	switch l := b[0]; {
	case l < 0x80:
		return tag, int(l), b[1:], true
	case l == 0x81 && len(b) >= 2:
		return tag, int(b[1]), b[2:], true
	case l == 0x82 && len(b) >= 3:
		return tag, int(b[1])<<8 | int(b[2]), b[3:], true
	}
	return 0, 0, nil, false
}
