package idea

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// Known answers: the first from Lai's thesis, the second NESSIE's set 1
// vector 0; all three agree with OpenSSL's IDEA.
var vectors = []struct{ key, plain, cipher string }{
	{"00010002000300040005000600070008", "0000000100020003", "11fbed2b01986de5"},
	{"80000000000000000000000000000000", "0000000000000000", "b1f5f7f87901370f"},
	{"2bd6459f82c5b300952c49104881ff48", "ea024714ad5c4d84", "c8fb51d3516627a8"},
}

func TestKnownAnswers(t *testing.T) {
	for _, v := range vectors {
		key, _ := hex.DecodeString(v.key)
		plain, _ := hex.DecodeString(v.plain)
		want, _ := hex.DecodeString(v.cipher)
		c, err := NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, BlockSize)
		c.Encrypt(got, plain)
		if !bytes.Equal(got, want) {
			t.Errorf("key %s: Encrypt(%s) = %x, want %s", v.key, v.plain, got, v.cipher)
		}
		c.Decrypt(got, want)
		if !bytes.Equal(got, plain) {
			t.Errorf("key %s: Decrypt(%s) = %x, want %s", v.key, v.cipher, got, v.plain)
		}
	}
}

func TestMulInverse(t *testing.T) {
	for x := 0; x < 1<<16; x++ {
		if got := mul(uint16(x), mulInv(uint16(x))); got != 1 {
			t.Fatalf("mul(%d, mulInv(%d)) = %d", x, x, got)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	key := []byte("sixteen byte key")
	c, _ := NewCipher(key)
	block := []byte{0xff, 0xff, 0, 0, 0x80, 0x01, 0x12, 0x34}
	for i := 0; i < 1000; i++ {
		enc := make([]byte, BlockSize)
		c.Encrypt(enc, block)
		dec := make([]byte, BlockSize)
		c.Decrypt(dec, enc)
		if !bytes.Equal(dec, block) {
			t.Fatalf("round trip of %x gave %x", block, dec)
		}
		block = enc
	}
}

func TestBadKey(t *testing.T) {
	if _, err := NewCipher(make([]byte, 15)); err == nil {
		t.Fatal("15-byte key accepted")
	}
}
