package pgp

import (
	"bytes"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// Every block of a concatenation comes out, whatever the block sizes (the
// decoder's read-ahead once swallowed the start of the next block).
func TestDearmorAllBlocks(t *testing.T) {
	for _, size := range []int{1, 100, 507, 4000, 70000} {
		var in, want bytes.Buffer
		in.WriteString("\n")
		for i := 0; i < 3; i++ {
			body := bytes.Repeat([]byte{byte(i + 1)}, size)
			want.Write(body)
			w, _ := armor.Encode(&in, "PGP PUBLIC KEY BLOCK", nil)
			w.Write(body)
			w.Close()
			in.WriteString("\n")
		}
		got, err := DearmorAll(in.Bytes())
		if err != nil || !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("size %d: got %d bytes, want %d (%v)", size, len(got), want.Len(), err)
		}
	}
	if _, err := DearmorAll([]byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!\n-----END PGP PUBLIC KEY BLOCK-----\n")); err == nil {
		t.Fatal("broken armor accepted")
	}
	bin := []byte{0xc6, 1, 4}
	if got, err := DearmorAll(bin); err != nil || !bytes.Equal(got, bin) {
		t.Fatal("binary data changed")
	}
}
