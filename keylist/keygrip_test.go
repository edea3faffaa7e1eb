package keylist

import (
	"bytes"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"math/big"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/brainpool"
	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/eddsa"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// The brainpool coefficients are typed in from RFC 5639; check that each
// generator satisfies y^2 = x^3 + ax + b.
func TestBrainpoolCoefficients(t *testing.T) {
	for name, c := range map[string]elliptic.Curve{
		"brainpoolP256r1": brainpool.P256r1(),
		"brainpoolP384r1": brainpool.P384r1(),
		"brainpoolP512r1": brainpool.P512r1(),
	} {
		d := brainpoolDomain(c, brainpoolCoeffs[name])
		prm := c.Params()
		x, y, p := prm.Gx, prm.Gy, prm.P
		lhs := new(big.Int).Exp(y, big.NewInt(2), p)
		rhs := new(big.Int).Exp(x, big.NewInt(3), p)
		rhs.Add(rhs, new(big.Int).Mul(d.a, x))
		rhs.Add(rhs, d.b)
		rhs.Mod(rhs, p)
		if lhs.Cmp(rhs) != 0 {
			t.Errorf("%s: generator not on curve with typed coefficients", name)
		}
	}
}

func TestRMD160Vectors(t *testing.T) {
	for in, want := range map[string]string{
		"":    "9C1185A5C5E9FC54612808977EE8F548B2258D31",
		"abc": "8EB208F7E05D987A9B044A8E98C6B087F15A0BFC",
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq": "12A053384A9C0C88E405A06C27DCF49ADA62EB2B",
	} {
		h := rmd160([]byte(in))
		if got := hexUpper(h[:]); got != want {
			t.Errorf("rmd160(%q) = %s want %s", in, got, want)
		}
	}
}

func hexUpper(b []byte) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// KeygripOf, given the raw parameters a card returns, agrees with Keygrip
// of the same key as an OpenPGP packet (RSA; legacy EdDSA with its native
// point). interop/testdata/card_status*.txtar compares both with gpg.
func TestKeygripOfCardMaterial(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	rpk := packet.NewRSAPublicKey(time.Unix(1700000000, 0), &rk.PublicKey)
	e := big.NewInt(int64(rk.E)).Bytes()
	if got, want := KeygripOf(1, nil, rk.N.Bytes(), e), Keygrip(rpk); got == "" || got != want {
		t.Errorf("RSA: %q, want %q", got, want)
	}

	ent, err := openpgp.NewEntity("a", "", "", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	epk := ent.PrimaryKey
	point := epk.PublicKey.(*eddsa.PublicKey).X
	ed25519OID := []byte{0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01}
	if got, want := KeygripOf(22, ed25519OID, point), Keygrip(epk); got == "" || got != want {
		t.Errorf("Ed25519: %q, want %q", got, want)
	}
	if KeygripOf(22, ed25519OID) != "" {
		t.Error("a slot without a key has a keygrip")
	}
	// a raw card point that starts with 0x00 keeps its length: the same
	// grip as the point in OpenPGP's 0x40-prefixed form
	raw := append([]byte{0x00}, bytes.Repeat([]byte{0x11}, 31)...)
	if got, want := KeygripOf(22, ed25519OID, raw), KeygripOf(22, ed25519OID, append([]byte{0x40}, raw...)); got != want {
		t.Errorf("Ed25519 point with a leading zero: %q, want %q", got, want)
	}
}
