package pgp

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// TestCardCert: a card generation's certificate with Ed25519/cv25519
// keys whose signatures a software "card" makes over CardInput verifies
// in go-crypto (an independent reader): user ID, two bindings with their
// flags, the expiry; and the revocation certificate verifies.
func TestCardCert(t *testing.T) {
	sigPub, sigPriv, _ := ed25519.GenerateKey(rand.Reader)
	authPub, _, _ := ed25519.GenerateKey(rand.Reader)
	encPriv, _ := ecdh.X25519().GenerateKey(rand.Reader)
	const created, expire = 1700000000, 86400 * 365
	primary, err := NewCardKey(cardAlgoEdDSA, oidEd25519, [][]byte{sigPub}, created)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := NewCardKey(cardAlgoEdDSA, oidEd25519, [][]byte{authPub}, created)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := NewCardKey(cardAlgoECDH, oidCv25519, [][]byte{encPriv.PublicKey().Bytes()}, created)
	if err != nil {
		t.Fatal(err)
	}
	card := func(cs *CardSig, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := cs.Finish(ed25519.Sign(sigPriv, cs.CardInput()))
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	uid := "Card User <card@example.org>"
	uidSig := card(CardUserIDSig(primary, uid, created, expire))
	subSigs := [][]byte{card(CardBindingSig(primary, auth, CardFlagsAuth, created, expire)),
		card(CardBindingSig(primary, enc, CardFlagsEncrypt, created, expire))}
	cert := CardCert(primary, uid, uidSig, []*CardKey{auth, enc}, subSigs)

	el, err := openpgp.ReadKeyRing(bytes.NewReader(cert))
	if err != nil || len(el) != 1 {
		t.Fatalf("%d entities, %v", len(el), err)
	}
	e := el[0]
	id := e.Identities[uid]
	if id == nil || id.SelfSignature == nil || !id.SelfSignature.FlagSign || !id.SelfSignature.FlagCertify ||
		*id.SelfSignature.KeyLifetimeSecs != expire {
		t.Fatalf("user ID %+v", id)
	}
	if err := e.PrimaryKey.VerifyUserIdSignature(uid, e.PrimaryKey, id.SelfSignature); err != nil {
		t.Fatal(err)
	}
	if len(e.Subkeys) != 2 || !e.Subkeys[0].Sig.FlagAuthenticate || !e.Subkeys[1].Sig.FlagEncryptStorage {
		t.Fatalf("subkeys %+v", e.Subkeys)
	}
	for _, sk := range e.Subkeys {
		if err := e.PrimaryKey.VerifyKeySignature(sk.PublicKey, sk.Sig); err != nil {
			t.Fatal(err)
		}
	}
	if e.Subkeys[1].PublicKey.PubKeyAlgo != packet.PubKeyAlgoECDH || e.PrimaryKey.CreationTime.Unix() != created {
		t.Fatalf("encryption subkey %v, created %v", e.Subkeys[1].PublicKey.PubKeyAlgo, e.PrimaryKey.CreationTime)
	}
	rev := card(CardRevocationSig(primary, created+1))
	if err := VerifyKeySignature(primary.Key, primary.Body, Component{}, rev); err != nil {
		t.Fatal(err)
	}
	// a signing subkey is refused: its binding would need a back-signature
	if _, err := CardBindingSig(primary, auth, 0x02, created, 0); err == nil {
		t.Fatal("signing subkey accepted")
	}
	for _, bad := range []struct {
		algo  byte
		oid   []byte
		parts [][]byte
	}{{cardAlgoRSA, nil, [][]byte{{1}}}, {cardAlgoEdDSA, nil, [][]byte{sigPub}}, {cardAlgoEdDSA, oidEd25519, nil}, {99, nil, nil}} {
		if _, err := NewCardKey(bad.algo, bad.oid, bad.parts, created); err == nil {
			t.Errorf("card key %d %X %d parts accepted", bad.algo, bad.oid, len(bad.parts))
		}
	}
}
