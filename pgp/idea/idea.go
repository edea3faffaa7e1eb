// Package idea implements the IDEA block cipher (Lai and Massey, 1991;
// RFC 3058 describes its use in CMS), which OpenPGP numbers cipher 1. It
// exists so that old messages can still be decrypted: a 64-bit block is
// too small for new data.
//
// The cipher works on four 16-bit words in eight rounds of three group
// operations (XOR, addition modulo 2^16, multiplication modulo 2^16+1 with
// 0 standing for 2^16), then an output transformation; 52 subkeys come
// from the 128-bit key rotated left by 25 bits after every eight.
package idea

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
)

const (
	// BlockSize is IDEA's block size in bytes.
	BlockSize = 8
	// KeySize is IDEA's key size in bytes.
	KeySize = 16
	rounds  = 8
	nkeys   = 6*rounds + 4
)

type ideaCipher struct {
	enc, dec [nkeys]uint16
}

// NewCipher returns IDEA with a 16-byte key.
func NewCipher(key []byte) (cipher.Block, error) {
	if len(key) != KeySize {
		return nil, errors.New("idea: key must be 16 bytes")
	}
	c := &ideaCipher{}
	c.expand(key)
	c.invert()
	return c, nil
}

func (c *ideaCipher) BlockSize() int { return BlockSize }

// expand fills the encryption subkeys: eight 16-bit words of the key, then
// the key rotated left by 25 bits, and so on.
func (c *ideaCipher) expand(key []byte) {
	hi := binary.BigEndian.Uint64(key[:8])
	lo := binary.BigEndian.Uint64(key[8:])
	for i := 0; i < nkeys; i += 8 {
		for j := 0; j < 8 && i+j < nkeys; j++ {
			w := hi
			if j >= 4 {
				w = lo
			}
			c.enc[i+j] = uint16(w >> (48 - 16*uint(j%4)))
		}
		hi, lo = hi<<25|lo>>39, lo<<25|hi>>39
	}
}

// invert derives the decryption subkeys: the encryption subkeys in reverse
// round order, multiplicative and additive inverses in place of the
// multiplied and added keys, and the two added keys swapped in the inner
// rounds (the rounds swap the middle words, the output transform does not).
func (c *ideaCipher) invert() {
	e := &c.enc
	for r := 0; r <= rounds; r++ {
		src := 6 * (rounds - r) // the transform keys of the mirrored round
		d := c.dec[6*r:]
		d[0] = mulInv(e[src])
		if r == 0 || r == rounds {
			d[1], d[2] = -e[src+1], -e[src+2]
		} else {
			d[1], d[2] = -e[src+2], -e[src+1]
		}
		d[3] = mulInv(e[src+3])
		if r < rounds {
			// the MA-structure keys of the round before
			d[4], d[5] = e[src-2], e[src-1]
		}
	}
}

// mul is multiplication modulo 2^16+1 where 0 stands for 2^16. It is not
// constant time (a branch on zero operands, a division): acceptable for
// reading old messages, one reason front never encrypts with IDEA.
func mul(a, b uint16) uint16 {
	x, y := uint32(a), uint32(b)
	if x == 0 {
		x = 1 << 16
	}
	if y == 0 {
		y = 1 << 16
	}
	return uint16(uint64(x) * uint64(y) % (1<<16 + 1))
}

// mulInv is the inverse under mul: x^(p-2) mod p with p = 2^16+1, a prime.
func mulInv(x uint16) uint16 {
	result, base := uint16(1), x
	for e := (1<<16 + 1) - 2; e > 0; e >>= 1 {
		if e&1 == 1 {
			result = mul(result, base)
		}
		base = mul(base, base)
	}
	return result
}

func crypt(k *[nkeys]uint16, dst, src []byte) {
	if len(src) < BlockSize || len(dst) < BlockSize {
		panic("idea: input not full block")
	}
	x1 := binary.BigEndian.Uint16(src[0:])
	x2 := binary.BigEndian.Uint16(src[2:])
	x3 := binary.BigEndian.Uint16(src[4:])
	x4 := binary.BigEndian.Uint16(src[6:])
	for r := 0; r < rounds; r++ {
		z := k[6*r:]
		x1 = mul(x1, z[0])
		x2 += z[1]
		x3 += z[2]
		x4 = mul(x4, z[3])
		t0 := mul(x1^x3, z[4])
		t1 := mul((x2^x4)+t0, z[5])
		t0 += t1
		// the middle words trade places after every round
		x1, x2, x3, x4 = x1^t1, x3^t1, x2^t0, x4^t0
	}
	z := k[6*rounds:]
	// the output transform undoes the last round's swap
	binary.BigEndian.PutUint16(dst[0:], mul(x1, z[0]))
	binary.BigEndian.PutUint16(dst[2:], x3+z[1])
	binary.BigEndian.PutUint16(dst[4:], x2+z[2])
	binary.BigEndian.PutUint16(dst[6:], mul(x4, z[3]))
}

func (c *ideaCipher) Encrypt(dst, src []byte) { crypt(&c.enc, dst, src) }

func (c *ideaCipher) Decrypt(dst, src []byte) { crypt(&c.dec, dst, src) }
