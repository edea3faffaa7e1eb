#include "textflag.h"

// AES-NI CFB for OpenPGP SEIPDv1 (see cfb.go). All vector instructions are
// VEX-encoded 128-bit ones, so the upper halves of the Y registers stay
// zero and no SSE/AVX transition penalty arises.

// func aesSubWord(w uint32) uint32
// AESKEYGENASSIST with round constant 0 puts SubWord of dword 1 of its
// source into dword 0 of its result.
TEXT ·aesSubWord(SB), NOSPLIT, $0-12
	MOVL w+0(FP), AX
	SHLQ $32, AX
	MOVQ AX, X0
	AESKEYGENASSIST $0x00, X0, X1
	MOVQ X1, AX
	MOVL AX, ret+8(FP)
	RET

// func cfbEncryptBlocks(nr int, rk *byte, iv *[16]byte, dst, src *byte, blocks int)
// Round key r lives in Xr (r = 1..nr), round key 0 in X15, the feedback
// register in X0. Encryption is a chain: each block needs the ciphertext of
// the one before, so the loop is one block at a time with every key in a
// register.
TEXT ·cfbEncryptBlocks(SB), NOSPLIT, $0-48
	MOVQ nr+0(FP), CX
	MOVQ rk+8(FP), AX
	MOVQ iv+16(FP), BX
	MOVQ dst+24(FP), DI
	MOVQ src+32(FP), SI
	MOVQ blocks+40(FP), DX
	VMOVDQU (BX), X0
	VMOVDQU 0(AX), X15
	VMOVDQU 16(AX), X1
	VMOVDQU 32(AX), X2
	VMOVDQU 48(AX), X3
	VMOVDQU 64(AX), X4
	VMOVDQU 80(AX), X5
	VMOVDQU 96(AX), X6
	VMOVDQU 112(AX), X7
	VMOVDQU 128(AX), X8
	VMOVDQU 144(AX), X9
	VMOVDQU 160(AX), X10
	TESTQ DX, DX
	JZ encdone
	CMPQ CX, $10
	JEQ enc10
	VMOVDQU 176(AX), X11
	VMOVDQU 192(AX), X12
	CMPQ CX, $12
	JEQ enc12
	VMOVDQU 208(AX), X13
	VMOVDQU 224(AX), X14

enc14:
	VPXOR X15, X0, X0
	VAESENC X1, X0, X0
	VAESENC X2, X0, X0
	VAESENC X3, X0, X0
	VAESENC X4, X0, X0
	VAESENC X5, X0, X0
	VAESENC X6, X0, X0
	VAESENC X7, X0, X0
	VAESENC X8, X0, X0
	VAESENC X9, X0, X0
	VAESENC X10, X0, X0
	VAESENC X11, X0, X0
	VAESENC X12, X0, X0
	VAESENC X13, X0, X0
	VAESENCLAST X14, X0, X0
	VPXOR (SI), X0, X0
	VMOVDQU X0, (DI)
	ADDQ $16, SI
	ADDQ $16, DI
	DECQ DX
	JNZ enc14
	JMP encdone

enc12:
	VPXOR X15, X0, X0
	VAESENC X1, X0, X0
	VAESENC X2, X0, X0
	VAESENC X3, X0, X0
	VAESENC X4, X0, X0
	VAESENC X5, X0, X0
	VAESENC X6, X0, X0
	VAESENC X7, X0, X0
	VAESENC X8, X0, X0
	VAESENC X9, X0, X0
	VAESENC X10, X0, X0
	VAESENC X11, X0, X0
	VAESENCLAST X12, X0, X0
	VPXOR (SI), X0, X0
	VMOVDQU X0, (DI)
	ADDQ $16, SI
	ADDQ $16, DI
	DECQ DX
	JNZ enc12
	JMP encdone

enc10:
	VPXOR X15, X0, X0
	VAESENC X1, X0, X0
	VAESENC X2, X0, X0
	VAESENC X3, X0, X0
	VAESENC X4, X0, X0
	VAESENC X5, X0, X0
	VAESENC X6, X0, X0
	VAESENC X7, X0, X0
	VAESENC X8, X0, X0
	VAESENC X9, X0, X0
	VAESENCLAST X10, X0, X0
	VPXOR (SI), X0, X0
	VMOVDQU X0, (DI)
	ADDQ $16, SI
	ADDQ $16, DI
	DECQ DX
	JNZ enc10

encdone:
	VMOVDQU X0, (BX)
	RET

// One AES round over the eight states X0..X7 with the round key at off(AX).
#define ROUND8(off) \
	VMOVDQU off(AX), X8 \
	VAESENC X8, X0, X0 \
	VAESENC X8, X1, X1 \
	VAESENC X8, X2, X2 \
	VAESENC X8, X3, X3 \
	VAESENC X8, X4, X4 \
	VAESENC X8, X5, X5 \
	VAESENC X8, X6, X6 \
	VAESENC X8, X7, X7

#define LAST8(off) \
	VMOVDQU off(AX), X8 \
	VAESENCLAST X8, X0, X0 \
	VAESENCLAST X8, X1, X1 \
	VAESENCLAST X8, X2, X2 \
	VAESENCLAST X8, X3, X3 \
	VAESENCLAST X8, X4, X4 \
	VAESENCLAST X8, X5, X5 \
	VAESENCLAST X8, X6, X6 \
	VAESENCLAST X8, X7, X7

// func cfbDecryptBlocks(nr int, rk *byte, iv *[16]byte, dst, src *byte, blocks int)
// The keystream of block i is E(ciphertext i-1), all of it known up front:
// eight blocks run interleaved so the AES units stay busy. Every ciphertext
// block of a batch is loaded before the batch's first store, and X9 keeps
// the last one, so dst may equal src.
TEXT ·cfbDecryptBlocks(SB), NOSPLIT, $0-48
	MOVQ nr+0(FP), CX
	MOVQ rk+8(FP), AX
	MOVQ iv+16(FP), BX
	MOVQ dst+24(FP), DI
	MOVQ src+32(FP), SI
	MOVQ blocks+40(FP), DX
	VMOVDQU (BX), X9
	CMPQ DX, $8
	JB dec1

dec8:
	VMOVDQU X9, X0
	VMOVDQU 0(SI), X1
	VMOVDQU 16(SI), X2
	VMOVDQU 32(SI), X3
	VMOVDQU 48(SI), X4
	VMOVDQU 64(SI), X5
	VMOVDQU 80(SI), X6
	VMOVDQU 96(SI), X7
	VMOVDQU 112(SI), X9
	VMOVDQU 0(AX), X8
	VPXOR X8, X0, X0
	VPXOR X8, X1, X1
	VPXOR X8, X2, X2
	VPXOR X8, X3, X3
	VPXOR X8, X4, X4
	VPXOR X8, X5, X5
	VPXOR X8, X6, X6
	VPXOR X8, X7, X7
	ROUND8(16)
	ROUND8(32)
	ROUND8(48)
	ROUND8(64)
	ROUND8(80)
	ROUND8(96)
	ROUND8(112)
	ROUND8(128)
	ROUND8(144)
	CMPQ CX, $10
	JEQ dec8last10
	ROUND8(160)
	ROUND8(176)
	CMPQ CX, $12
	JEQ dec8last12
	ROUND8(192)
	ROUND8(208)
	LAST8(224)
	JMP dec8xor

dec8last12:
	LAST8(192)
	JMP dec8xor

dec8last10:
	LAST8(160)

dec8xor:
	VPXOR 0(SI), X0, X0
	VPXOR 16(SI), X1, X1
	VPXOR 32(SI), X2, X2
	VPXOR 48(SI), X3, X3
	VPXOR 64(SI), X4, X4
	VPXOR 80(SI), X5, X5
	VPXOR 96(SI), X6, X6
	VPXOR 112(SI), X7, X7
	VMOVDQU X0, 0(DI)
	VMOVDQU X1, 16(DI)
	VMOVDQU X2, 32(DI)
	VMOVDQU X3, 48(DI)
	VMOVDQU X4, 64(DI)
	VMOVDQU X5, 80(DI)
	VMOVDQU X6, 96(DI)
	VMOVDQU X7, 112(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $8, DX
	CMPQ DX, $8
	JAE dec8

dec1:
	TESTQ DX, DX
	JZ decdone
	VMOVDQU (SI), X1
	VMOVDQU 0(AX), X8
	VPXOR X8, X9, X0
	VMOVDQU 16(AX), X8
	VAESENC X8, X0, X0
	VMOVDQU 32(AX), X8
	VAESENC X8, X0, X0
	VMOVDQU 48(AX), X8
	VAESENC X8, X0, X0
	VMOVDQU 64(AX), X8
	VAESENC X8, X0, X0
	VMOVDQU 80(AX), X8
	VAESENC X8, X0, X0
	VMOVDQU 96(AX), X8
	VAESENC X8, X0, X0
	VMOVDQU 112(AX), X8
	VAESENC X8, X0, X0
	VMOVDQU 128(AX), X8
	VAESENC X8, X0, X0
	VMOVDQU 144(AX), X8
	VAESENC X8, X0, X0
	MOVQ $160, R8
	CMPQ CX, $10
	JEQ dec1last
	VMOVDQU 160(AX), X8
	VAESENC X8, X0, X0
	VMOVDQU 176(AX), X8
	VAESENC X8, X0, X0
	MOVQ $192, R8
	CMPQ CX, $12
	JEQ dec1last
	VMOVDQU 192(AX), X8
	VAESENC X8, X0, X0
	VMOVDQU 208(AX), X8
	VAESENC X8, X0, X0
	MOVQ $224, R8

dec1last:
	VMOVDQU (AX)(R8*1), X8
	VAESENCLAST X8, X0, X0
	VPXOR X1, X0, X0
	VMOVDQU X0, (DI)
	VMOVDQU X1, X9
	ADDQ $16, SI
	ADDQ $16, DI
	DECQ DX
	JMP dec1

decdone:
	VMOVDQU X9, (BX)
	RET
