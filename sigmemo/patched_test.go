//go:build frontpgp_patched

package sigmemo

import (
	"bytes"
	"crypto"
	"path/filepath"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// knowsAll is a memo that claims every check succeeded: with it, a broken
// signature that is still accepted proves the memo is consulted.
type knowsAll struct{ asked int }

func (k *knowsAll) Known(*packet.PublicKey, crypto.Hash, []byte, []byte) bool { k.asked++; return true }
func (k *knowsAll) Verified(*packet.PublicKey, crypto.Hash, []byte, []byte)   {}

func withMemo(t *testing.T, m packet.RSAVerifyMemo) {
	old := packet.VerifyMemo
	packet.VerifyMemo = m
	t.Cleanup(func() { packet.VerifyMemo = old })
}

func rsaEntity(t *testing.T) *openpgp.Entity {
	e, err := openpgp.NewEntity("Memo", "", "memo@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: 2048})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func selfSig(e *openpgp.Entity) (string, *packet.Signature) {
	for name, id := range e.Identities {
		return name, id.SelfSignature
	}
	return "", nil
}

// broken returns a copy of sig with the last byte of its RSA value (the
// last byte of the packet) changed.
func broken(t *testing.T, sig *packet.Signature) *packet.Signature {
	var b bytes.Buffer
	if err := sig.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	raw[len(raw)-1] ^= 1
	p, err := packet.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return p.(*packet.Signature)
}

func TestGoCryptoConsultsTheMemoForKeySignaturesOnly(t *testing.T) {
	e := rsaEntity(t)
	uid, sig := selfSig(e)
	bad := broken(t, sig)
	if err := e.PrimaryKey.VerifyUserIdSignature(uid, e.PrimaryKey, bad); err == nil {
		t.Fatal("control: a broken self-signature verifies without a memo")
	}
	all := &knowsAll{}
	withMemo(t, all)
	if err := e.PrimaryKey.VerifyUserIdSignature(uid, e.PrimaryKey, bad); err != nil || all.asked == 0 {
		t.Fatalf("the memo was not consulted for a user ID signature (%v, asked %d)", err, all.asked)
	}

	// A signature over data is checked every time.
	var out bytes.Buffer
	msg := []byte("data")
	if err := openpgp.DetachSign(&out, e, bytes.NewReader(msg), nil); err != nil {
		t.Fatal(err)
	}
	p, err := packet.Read(&out)
	if err != nil {
		t.Fatal(err)
	}
	dataSig := broken(t, p.(*packet.Signature))
	h := dataSig.Hash.New()
	h.Write(msg)
	all.asked = 0
	if err := e.PrimaryKey.VerifySignature(h, dataSig); err == nil || all.asked != 0 {
		t.Fatalf("a broken data signature: %v (memo asked %d times)", err, all.asked)
	}
}

func TestMemoRecordsOnlySuccessfulChecks(t *testing.T) {
	m := New(filepath.Join(t.TempDir(), "sigmemo"))
	withMemo(t, m)
	e := rsaEntity(t)
	uid, sig := selfSig(e)
	if err := e.PrimaryKey.VerifyUserIdSignature(uid, e.PrimaryKey, broken(t, sig)); err == nil || m.Pending() {
		t.Fatalf("broken self-signature: %v, recorded %v", err, m.Pending())
	}
	if err := e.PrimaryKey.VerifyUserIdSignature(uid, e.PrimaryKey, sig); err != nil || !m.Pending() {
		t.Fatalf("good self-signature: %v, recorded %v", err, m.Pending())
	}
}
