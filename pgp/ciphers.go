package pgp

import "github.com/ProtonMail/go-crypto/openpgp/packet"

// The legacy ciphers gpg 2.2.40 still decrypts and go-crypto does not
// know. front decrypts them (and 3DES and CAST5) but never encrypts with
// them; they have no packet.CipherFunction constant of their own.
const (
	CipherIDEA     packet.CipherFunction = 1
	CipherBlowfish packet.CipherFunction = 4
	CipherTwofish  packet.CipherFunction = 10
)

// cipherKeySize is the key size in bytes of every cipher front decrypts,
// 0 for others. Blowfish's key is 128 bits in OpenPGP, Twofish's 256.
func cipherKeySize(c packet.CipherFunction) int {
	switch c {
	case CipherIDEA, CipherBlowfish:
		return 16
	case CipherTwofish:
		return 32
	}
	return c.KeySize()
}

// BlockSize is c's block size in bytes: 8 for the 64-bit ciphers (IDEA,
// 3DES, CAST5, Blowfish), which gpg treats as legacy, 16 for the others.
func BlockSize(c packet.CipherFunction) int { return blockSize(c) }
