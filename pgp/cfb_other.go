//go:build !amd64

package pgp

// Without the amd64 assembly every cipher takes crypto/cipher's CFB.
const haveAESNI = false

func aesSubWord(uint32) uint32 { panic("pgp: no AES-NI") }

func cfbEncryptBlocks(int, *byte, *[aesBlock]byte, *byte, *byte, int) { panic("pgp: no AES-NI") }

func cfbDecryptBlocks(int, *byte, *[aesBlock]byte, *byte, *byte, int) { panic("pgp: no AES-NI") }
