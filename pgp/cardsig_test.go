package pgp

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/ecdsa"
	"github.com/ProtonMail/go-crypto/openpgp/eddsa"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// softCard answers PSO:CDS as an OpenPGP card does, with the key in memory.
func softCard(t *testing.T, priv *packet.PrivateKey, input []byte) []byte {
	t.Helper()
	switch k := priv.PrivateKey.(type) {
	case *rsa.PrivateKey:
		out, err := rsa.SignPKCS1v15(nil, k, 0, input) // input is the DigestInfo
		if err != nil {
			t.Fatal(err)
		}
		return out
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, input)
		if err != nil {
			t.Fatal(err)
		}
		n := 32 // P-256
		return append(r.FillBytes(make([]byte, n)), s.FillBytes(make([]byte, n))...)
	case *eddsa.PrivateKey:
		r, s, err := eddsa.Sign(k, input)
		if err != nil {
			t.Fatal(err)
		}
		return append(r, s...)
	}
	t.Fatalf("unexpected key type %T", priv.PrivateKey)
	return nil
}

func TestCardDocSig(t *testing.T) {
	for _, cfg := range []*packet.Config{
		{Algorithm: packet.PubKeyAlgoRSA, RSABits: 2048},
		{Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP256},
		{Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519},
	} {
		e, err := openpgp.NewEntity("card", "", "card@example.org", cfg)
		if err != nil {
			t.Fatal(err)
		}
		created := time.Unix(1700000000, 0)
		data := []byte("signed by a card\n")
		h := crypto.SHA256.New()
		h.Write(data)
		cs, err := NewCardDocSig(e.PrimaryKey, 0x00, crypto.SHA256, created, h)
		if err != nil {
			t.Fatal(err)
		}
		out := softCard(t, e.PrivateKey, cs.CardInput())
		raw, err := cs.Finish(out)
		if err != nil {
			t.Fatalf("%v: %v", cfg.Algorithm, err)
		}
		// an independent check: go-crypto verifies the detached signature
		if _, err := openpgp.CheckDetachedSignature(openpgp.EntityList{e}, bytes.NewReader(data), bytes.NewReader(raw), nil); err != nil {
			t.Fatalf("%v: %v", cfg.Algorithm, err)
		}
		// a corrupted answer is refused
		bad := append([]byte{}, out...)
		bad[len(bad)/2] ^= 1
		if _, err := cs.Finish(bad); err == nil {
			t.Fatalf("%v: corrupted card signature accepted", cfg.Algorithm)
		}
		if _, err := cs.Finish(nil); err == nil {
			t.Fatalf("%v: empty card signature accepted", cfg.Algorithm)
		}
	}
}

func TestCardKeySig(t *testing.T) {
	e, err := openpgp.NewEntity("card", "", "card@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519})
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	e.PrimaryKey.Serialize(&body)
	_, pub, err := PacketBody(body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	uid := Component{Tag: TagUserID, Body: []byte("card <card@example.org>")}
	hashed := []Subpacket{IssuerFprSubpacket(e.PrimaryKey.Fingerprint), CreatedSubpacket(1700000000), {Type: SubKeyFlags, Data: []byte{3}}}
	cs, err := NewCardKeySig(e.PrimaryKey, ClassPositiveCert, crypto.SHA256, pub, uid, hashed)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := cs.Finish(softCard(t, e.PrivateKey, cs.CardInput()))
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyKeySignature(e.PrimaryKey, pub, uid, raw); err != nil {
		t.Fatal(err)
	}
	if _, err := NewCardKeySig(e.PrimaryKey, ClassSubkeyBind, crypto.SHA256, pub, uid, hashed); err == nil {
		t.Fatal("a subkey binding over a user ID was accepted")
	}
}
