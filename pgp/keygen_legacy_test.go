package pgp

import (
	"bytes"
	"crypto/rand"
	"errors"
	"math/big"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/elgamal"
)

// The ElGamal groups must be safe primes: p and (p-1)/2 prime, and 2 a
// generator of the order-q subgroup (a quadratic residue, p = 7 mod 8).
func TestModpGroupsAreSafePrimes(t *testing.T) {
	for bits, h := range modpGroups {
		p, ok := new(big.Int).SetString(h, 16)
		if !ok || p.BitLen() != bits {
			t.Fatalf("%d: bad constant", bits)
		}
		q := new(big.Int).Rsh(p, 1)
		if !p.ProbablyPrime(20) || !q.ProbablyPrime(20) {
			t.Errorf("%d: not a safe prime", bits)
		}
		if new(big.Int).Mod(p, big.NewInt(8)).Int64() != 7 {
			t.Errorf("%d: 2 is not a quadratic residue", bits)
		}
	}
}

func TestElGamalRoundTrip(t *testing.T) {
	k, err := newElGamal(2048)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("session key")
	c1, c2, err := elgamal.Encrypt(rand.Reader, &k.PublicKey, msg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := elgamal.Decrypt(k, c1, c2)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("decrypt: %q %v", got, err)
	}
	if _, err := newElGamal(1024); err == nil {
		t.Error("1024-bit ElGamal accepted")
	}
}

func TestQuickPrimary(t *testing.T) {
	for _, c := range []struct {
		algo, usage, wantAlgo, wantUsage string
		err                              error
	}{
		{"ed25519", "default", "ed25519", "sign,cert", nil},
		{"ed25519", "auth", "ed25519", "auth,cert", nil},
		{"ed25519", "cert", "ed25519", "cert", nil},
		{"rsa2049", "sign,encrypt", "rsa2080", "sign,encr,cert", nil},
		{"rsa512", "sign", "rsa1024", "sign,cert", nil},
		{"rsa5000", "sign", "rsa4096", "sign,cert", nil},
		{"dsa", "-", "dsa2048", "sign,cert", nil},
		{"dsa1100", "auth", "dsa2048", "auth,cert", nil},
		{"dsa4096", "sign", "dsa3072", "sign,cert", nil},
		{"ed25519", "encr", "", "", ErrWrongUsage},
		{"dsa", "encr", "", "", ErrWrongUsage},
		{"cv25519", "encr", "", "", ErrWrongUsage},
		{"elg", "default", "", "", ErrWrongUsage},
		{"ed25519", "sign,default", "", "", ErrInvalidValue},
		{"ed25519", "foo", "", "", ErrInvalidValue},
		{"foo", "sign", "", "", ErrUnknownCurve},
	} {
		a, u, err := QuickPrimary(c.algo, c.usage)
		if !errors.Is(err, c.err) || a != c.wantAlgo || (err == nil && u != c.wantUsage) {
			t.Errorf("QuickPrimary(%q, %q) = %q, %q, %v; want %q, %q, %v", c.algo, c.usage, a, u, err, c.wantAlgo, c.wantUsage, c.err)
		}
	}
}

func TestCanonicalElGamal(t *testing.T) {
	for in, want := range map[string]string{"elg": "elg3072", "elg1024": "elg2048", "elg2100": "elg3072", "elg9999": "elg4096"} {
		if got, err := CanonicalAlgo(in); err != nil || got != want {
			t.Errorf("%s: %s %v, want %s", in, got, err, want)
		}
	}
}
