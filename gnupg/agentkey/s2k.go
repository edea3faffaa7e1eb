package agentkey

import (
	"crypto/sha1"
)

// iteratedSHA1 is the OpenPGP iterated and salted S2K with SHA-1 (RFC 4880
// 3.7.1.3) for a key of at most 20 octets, as agent/protect.c derives the
// protection key. gpg-agent calibrates the count to about 100 ms of its
// own hashing (hundreds of millions of octets here), so the hashed stream
// of salt‖passphrase repeats is written in 64 KiB blocks rather than one
// repeat at a time (go-crypto's s2k.Iterated, which gives the same key,
// spends most of its time in per-write overhead at such counts).
func iteratedSHA1(out, pass, salt []byte, count int) {
	unit := append(append([]byte(nil), salt...), pass...)
	if count < len(unit) {
		count = len(unit)
	}
	reps := max(1, (64<<10)/len(unit))
	block := make([]byte, 0, reps*len(unit))
	for range reps {
		block = append(block, unit...)
	}
	h := sha1.New()
	for count > 0 {
		n := min(count, len(block))
		h.Write(block[:n])
		count -= n
	}
	copy(out, h.Sum(nil))
	clear(block)
	clear(unit)
}
