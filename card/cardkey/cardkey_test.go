package cardkey

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"testing"
)

func TestRoundTripRSA(t *testing.T) {
	pk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	k := &Key{Algo: RSA, N: pk.N.Bytes(), E: []byte{0, 1, 0, 1}, P: pk.Primes[0].Bytes(), Q: pk.Primes[1].Bytes()}
	b, err := k.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.N, k.N) || !bytes.Equal(got.E, []byte{1, 0, 1}) || !bytes.Equal(got.Q, k.Q) {
		t.Fatal("round trip changed the key")
	}
	// a modulus that is not p·q is refused
	k.N[len(k.N)-1] ^= 2
	b, _ = k.Marshal()
	if _, err := Parse(b); err == nil {
		t.Fatal("inconsistent RSA key accepted")
	}
}

func TestRefuses(t *testing.T) {
	ok, err := (&Key{Algo: ECC, OID: []byte{0x2B, 0x06, 0x01}, D: bytes.Repeat([]byte{7}, 32)}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(ok); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"trailing":  append(bytes.Clone(ok), 0),
		"truncated": ok[:len(ok)-1],
		"magic":     append([]byte("FCK2"), ok[4:]...),
		"algo":      append(append([]byte("FCK1"), 3), ok[5:]...),
		"empty":     nil,
		"too long":  make([]byte, MaxSize+1),
	} {
		if _, err := Parse(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if _, err := Read(bytes.NewReader(b)); err == nil {
			t.Errorf("%s: Read accepted", name)
		}
	}
}

func FuzzParse(f *testing.F) {
	b, _ := (&Key{Algo: ECC, OID: []byte{1, 2, 3}, D: []byte{9, 9}}).Marshal()
	f.Add(b)
	b, _ = (&Key{Algo: RSA, N: []byte{15}, E: []byte{3}, P: []byte{3}, Q: []byte{5}}).Marshal()
	f.Add(b)
	f.Fuzz(func(t *testing.T, in []byte) {
		k, err := Parse(in)
		if err != nil {
			return
		}
		out, err := k.Marshal()
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("parse/marshal not exact: %x -> %x (%v)", in, out, err)
		}
	})
}
