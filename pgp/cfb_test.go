package pgp

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	mrand "math/rand/v2"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// The AES-NI CFB must produce exactly crypto/cipher's CFB for every key
// size, on any split of the stream into calls, in place or not.
func TestAESCFBMatchesStdlib(t *testing.T) {
	if !haveAESNI {
		t.Skip("no AES-NI/AVX: the generic CFB is crypto/cipher's own")
	}
	rng := mrand.New(mrand.NewPCG(1, 2))
	for _, c := range []packet.CipherFunction{packet.CipherAES128, packet.CipherAES192, packet.CipherAES256} {
		key := make([]byte, c.KeySize())
		rand.Read(key)
		block, _ := aes.NewCipher(key)
		data := make([]byte, 5000)
		rand.Read(data)
		want := make([]byte, len(data))
		cipher.NewCFBEncrypter(block, make([]byte, 16)).XORKeyStream(want, data) //nolint:staticcheck
		for round := 0; round < 50; round++ {
			for _, inPlace := range []bool{false, true} {
				enc, _ := newCFB(c, key, false)
				dec, _ := newCFB(c, key, true)
				if _, ok := enc.(*aesCFB); !ok {
					t.Fatalf("cipher %d: not on the AES-NI path", c)
				}
				got := make([]byte, len(data))
				back := make([]byte, len(data))
				for off := 0; off < len(data); {
					n := min(len(data)-off, rng.IntN(300))
					if inPlace {
						copy(got[off:off+n], data[off:off+n])
						enc.XORKeyStream(got[off:off+n], got[off:off+n])
						copy(back[off:off+n], got[off:off+n])
						dec.XORKeyStream(back[off:off+n], back[off:off+n])
					} else {
						enc.XORKeyStream(got[off:off+n], data[off:off+n])
						dec.XORKeyStream(back[off:off+n], got[off:off+n])
					}
					off += n
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("cipher %d in place %v: encryption differs from crypto/cipher", c, inPlace)
				}
				if !bytes.Equal(back, data) {
					t.Fatalf("cipher %d in place %v: decryption does not invert encryption", c, inPlace)
				}
			}
		}
	}
}

func TestExpandAESKey(t *testing.T) {
	if !haveAESNI {
		t.Skip("no AES-NI")
	}
	// FIPS-197 appendix A.3: the last round key of the AES-256 example key.
	key := []byte{0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe, 0x2b, 0x73, 0xae, 0xf0, 0x85, 0x7d, 0x77, 0x81,
		0x1f, 0x35, 0x2c, 0x07, 0x3b, 0x61, 0x08, 0xd7, 0x2d, 0x98, 0x10, 0xa3, 0x09, 0x14, 0xdf, 0xf4}
	rk := expandAESKey(key)
	want := []byte{0xfe, 0x48, 0x90, 0xd1, 0xe6, 0x18, 0x8d, 0x0b, 0x04, 0x6d, 0xf3, 0x44, 0x70, 0x6c, 0x63, 0x1e}
	if rk.nr != 14 || !bytes.Equal(rk.k[14*16:15*16], want) {
		t.Fatalf("round key 14 = %x", rk.k[14*16:15*16])
	}
}

func BenchmarkCFB(b *testing.B) {
	key := make([]byte, 32)
	buf := make([]byte, 256<<10)
	for _, mode := range []struct {
		name    string
		decrypt bool
	}{{"encrypt", false}, {"decrypt", true}} {
		b.Run(mode.name, func(b *testing.B) {
			s, _ := newCFB(packet.CipherAES256, key, mode.decrypt)
			b.SetBytes(int64(len(buf)))
			for i := 0; i < b.N; i++ {
				s.XORKeyStream(buf, buf)
			}
		})
	}
}
