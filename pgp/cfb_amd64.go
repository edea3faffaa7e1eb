package pgp

import "golang.org/x/sys/cpu"

// haveAESNI selects cfb_amd64.s: it needs AES-NI and the VEX encodings of
// AVX (unaligned memory operands for VPXOR).
var haveAESNI = cpu.X86.HasAES && cpu.X86.HasAVX

// aesSubWord applies the AES S-box to each byte of w.
//
//go:noescape
func aesSubWord(w uint32) uint32

// cfbEncryptBlocks CFB-encrypts blocks full blocks from src to dst with the
// nr-round key schedule rk; iv is the feedback register, updated to the last
// ciphertext block. dst may equal src.
//
//go:noescape
func cfbEncryptBlocks(nr int, rk *byte, iv *[aesBlock]byte, dst, src *byte, blocks int)

// cfbDecryptBlocks is the inverse of cfbEncryptBlocks, eight blocks at a
// time: each block's keystream depends only on ciphertext already at hand.
//
//go:noescape
func cfbDecryptBlocks(nr int, rk *byte, iv *[aesBlock]byte, dst, src *byte, blocks int)
