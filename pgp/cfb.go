package pgp

import (
	"crypto/cipher"
	"encoding/binary"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// OpenPGP's CFB mode for SEIPDv1 is plain CFB with a zero IV (the random
// prefix plays the IV's part), RFC 9580 section 5.13.1. Go's generic CFB
// calls the block cipher once per block through an interface and costs about
// twice what AES-NI needs for encryption, and five times more for
// decryption, where blocks are independent and can be interleaved. On amd64
// with AES-NI and AVX, AES runs through cfb_amd64.s; everything else uses Go's
// crypto/cipher.

// newCFB returns the CFB stream for a SEIPDv1 body under key.
func newCFB(c packet.CipherFunction, key []byte, decrypt bool) (cipher.Stream, error) {
	switch c {
	case packet.CipherAES128, packet.CipherAES192, packet.CipherAES256:
		if len(key) == c.KeySize() && haveAESNI {
			return &aesCFB{rk: expandAESKey(key), decrypt: decrypt, used: aesBlock}, nil
		}
	}
	block, err := newBlockCipher(c, key)
	if err != nil {
		return nil, err
	}
	iv := make([]byte, block.BlockSize())
	if decrypt {
		return cipher.NewCFBDecrypter(block, iv), nil //nolint:staticcheck // OpenPGP SEIPDv1 is defined with CFB
	}
	return cipher.NewCFBEncrypter(block, iv), nil //nolint:staticcheck // OpenPGP SEIPDv1 is defined with CFB
}

const aesBlock = 16

// blockSize is the cipher's block size: the random prefix is one block.
func blockSize(c packet.CipherFunction) int {
	switch c {
	case packet.Cipher3DES, packet.CipherCAST5, CipherIDEA, CipherBlowfish:
		return 8
	}
	return aesBlock
}

// aesRoundKeys is an expanded AES encryption key: nr+1 round keys of 16
// bytes in the byte order AESENC takes them. CFB only ever encrypts, so no
// decryption schedule exists.
type aesRoundKeys struct {
	nr int
	k  [15 * aesBlock]byte
}

// expandAESKey is the FIPS-197 key expansion. Words are kept little-endian,
// so the first key byte is the low byte: RotWord is a right rotation by 8
// and the round constant goes into the low byte. SubWord runs on AES-NI
// (AESKEYGENASSIST), so no secret-dependent table lookups happen here.
func expandAESKey(key []byte) *aesRoundKeys {
	nk := len(key) / 4
	rk := &aesRoundKeys{nr: nk + 6}
	var w [60]uint32
	for i := 0; i < nk; i++ {
		w[i] = binary.LittleEndian.Uint32(key[4*i:])
	}
	rcon := uint32(1)
	total := 4 * (rk.nr + 1)
	for i := nk; i < total; i++ {
		t := w[i-1]
		switch {
		case i%nk == 0:
			t = aesSubWord(t>>8|t<<24) ^ rcon
			rcon <<= 1
			if rcon&0x100 != 0 {
				rcon ^= 0x11b
			}
		case nk > 6 && i%nk == 4:
			t = aesSubWord(t)
		}
		w[i] = w[i-nk] ^ t
	}
	for i := 0; i < total; i++ {
		binary.LittleEndian.PutUint32(rk.k[4*i:], w[i])
	}
	clear(w[:])
	return rk
}

// aesCFB is CFB-128 over AES with the block loops in assembly. Calls may
// split the stream anywhere: a block cut by a call boundary is finished
// byte by byte from the saved keystream.
type aesCFB struct {
	rk      *aesRoundKeys
	decrypt bool
	// reg is the feedback register: the last complete ciphertext block, or
	// while a block is in progress, its ciphertext bytes so far (the
	// keystream for that block was taken from the previous contents).
	reg  [aesBlock]byte
	ks   [aesBlock]byte // keystream of the block in progress
	used int            // keystream bytes of ks consumed; aesBlock: none in progress
}

// XORKeyStream works in place (dst and src the same slice) or on
// non-overlapping slices, as cipher.Stream requires.
func (c *aesCFB) XORKeyStream(dst, src []byte) {
	if len(dst) < len(src) {
		panic("pgp: CFB output smaller than input")
	}
	n := c.partial(dst, src)
	dst, src = dst[n:], src[n:]
	if blocks := len(src) / aesBlock; blocks > 0 {
		if c.decrypt {
			cfbDecryptBlocks(c.rk.nr, &c.rk.k[0], &c.reg, &dst[0], &src[0], blocks)
		} else {
			cfbEncryptBlocks(c.rk.nr, &c.rk.k[0], &c.reg, &dst[0], &src[0], blocks)
		}
		dst, src = dst[blocks*aesBlock:], src[blocks*aesBlock:]
	}
	if len(src) > 0 {
		// ks = E(reg): CFB-encrypting a zero block from a copy of reg.
		iv := c.reg
		var zero [aesBlock]byte
		cfbEncryptBlocks(c.rk.nr, &c.rk.k[0], &iv, &c.ks[0], &zero[0], 1)
		c.used = 0
		c.partial(dst, src)
	}
}

// partial continues a block in progress and returns the bytes it handled.
func (c *aesCFB) partial(dst, src []byte) int {
	n := 0
	for n < len(src) && c.used < aesBlock {
		in := src[n]
		out := in ^ c.ks[c.used]
		dst[n] = out
		if c.decrypt {
			c.reg[c.used] = in
		} else {
			c.reg[c.used] = out
		}
		c.used++
		n++
	}
	return n
}
