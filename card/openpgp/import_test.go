package openpgp

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"math/big"
	"slices"
	"testing"

	"github.com/frontpgp/front/card/cardkey"
	"github.com/frontpgp/front/internal/cardemu"
)

// TestImportKey imports keys made here into the emulated card (4D
// template, PUT DATA 3FFF) and checks that the card then holds exactly
// them: its public keys and its signatures and shared secrets match.
func TestImportKey(t *testing.T) {
	seed := bytes.Repeat([]byte{0x11}, 32)
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	be := slices.Clone(x.Bytes()) // OpenPGP stores the X25519 scalar big-endian
	slices.Reverse(be)
	m := &memT{card: cardemu.New(cardemu.Options{})}
	err := Run(m, PW3, []byte(cardemu.DefaultPW3), func(c *Card) error {
		if err := c.ImportKey(SlotSign, &cardkey.Key{Algo: cardkey.ECC, OID: CurveOID("ed25519"), D: seed}); err != nil {
			return err
		}
		if err := c.ImportKey(SlotDecrypt, &cardkey.Key{Algo: cardkey.ECC, OID: CurveOID("cv25519"), D: be}); err != nil {
			return err
		}
		// a key of another algorithm than the slot's gets no command
		n := m.n
		err := c.ImportKey(SlotDecrypt, &cardkey.Key{Algo: cardkey.ECC, OID: CurveOID("ed25519"), D: seed})
		if !errors.Is(err, ErrAttrMismatch) || m.n != n {
			t.Errorf("mismatching key: %v after %d APDUs", err, m.n-n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var sig, secret []byte
	var pubs [2]PublicKey
	digest := bytes.Repeat([]byte{0x5A}, 32)
	eph, _ := ecdh.X25519().GenerateKey(rand.Reader)
	err = Run(m, PW1Sign, []byte(cardemu.DefaultPW1), func(c *Card) (err error) {
		if pubs[0], err = c.ReadPublicKey(SlotSign); err != nil {
			return err
		}
		if pubs[1], err = c.ReadPublicKey(SlotDecrypt); err != nil {
			return err
		}
		sig, err = c.Sign(digest)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := Run(m, PW1Other, []byte(cardemu.DefaultPW1), func(c *Card) (err error) {
		secret, err = c.DecipherECDH(eph.PublicKey().Bytes())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	edPub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	want, _ := eph.ECDH(x.PublicKey())
	if !bytes.Equal(pubs[0].Point, edPub) || !ed25519.Verify(edPub, digest, sig) {
		t.Fatal("the card does not hold the imported Ed25519 key")
	}
	if !bytes.Equal(pubs[1].Point, x.PublicKey().Bytes()) || !bytes.Equal(secret, want) {
		t.Fatal("the card does not hold the imported X25519 key")
	}
}

// TestImportRSAChained: an RSA 2048 template (over 255 bytes) reaches a
// short-APDU-only card by command chaining.
func TestImportRSAChained(t *testing.T) {
	pk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	card := cardemu.New(cardemu.Options{ShortOnly: true, Attrs: [3][]byte{cardemu.AttrRSA(2048), cardemu.AttrRSA(2048), cardemu.AttrRSA(2048)}})
	m := &memT{card: card}
	k := &cardkey.Key{Algo: cardkey.RSA, N: pk.N.Bytes(), E: big.NewInt(int64(pk.E)).Bytes(), P: pk.Primes[0].Bytes(), Q: pk.Primes[1].Bytes()}
	if err := Run(m, PW3, []byte(cardemu.DefaultPW3), func(c *Card) error { return c.ImportKey(SlotSign, k) }); err != nil {
		t.Fatal(err)
	}
	digestInfo := append([]byte{0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}, bytes.Repeat([]byte{7}, 32)...)
	var sig []byte
	if err := Run(m, PW1Sign, []byte(cardemu.DefaultPW1), func(c *Card) (err error) {
		sig, err = c.Sign(digestInfo)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(&pk.PublicKey, crypto.SHA256, bytes.Repeat([]byte{7}, 32), sig); err != nil {
		t.Fatalf("the card's RSA signature: %v", err)
	}
	// a 2048-bit key does not fit RSA 3072 attributes
	if _, err := KeyTemplate(Attributes{Algo: AlgoRSA, Bits: 3072, Raw: cardemu.AttrRSA(3072)}, SlotSign, k); !errors.Is(err, ErrAttrMismatch) {
		t.Fatalf("RSA 2048 into RSA 3072: %v", err)
	}
}
