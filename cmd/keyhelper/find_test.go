package main

import (
	"bytes"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// find reads the file the request's primary-key hint names before it
// searches the others, and the hint only orders the search. The control:
// a "trap" key whose file sorts first also carries the wanted subkey
// (bound by the trap's own signature); a search in file order finds the
// subkey there, a search led by the hint finds it in the hinted key.
func TestFindFollowsPrimaryHint(t *testing.T) {
	var trap, real *openpgp.Entity
	for trap == nil {
		a, err := openpgp.NewEntity("A", "", "a@example.org", nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := openpgp.NewEntity("B", "", "b@example.org", nil)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Compare(a.PrimaryKey.Fingerprint, b.PrimaryKey.Fingerprint) < 0 {
			trap, real = a, b
		}
	}
	sub := real.Subkeys[0]
	binding := &packet.Signature{Version: trap.PrimaryKey.Version, SigType: packet.SigTypeSubkeyBinding,
		PubKeyAlgo: trap.PrimaryKey.PubKeyAlgo, Hash: (&packet.Config{}).Hash(), CreationTime: sub.Sig.CreationTime,
		IssuerKeyId: &trap.PrimaryKey.KeyId, FlagsValid: true, FlagEncryptCommunications: true, FlagEncryptStorage: true}
	if err := binding.SignKey(sub.PublicKey, trap.PrivateKey, nil); err != nil {
		t.Fatal(err)
	}
	trap.Subkeys = append(trap.Subkeys, openpgp.Subkey{PublicKey: sub.PublicKey, PrivateKey: sub.PrivateKey, Sig: binding})

	s := &secretStore{dir: t.TempDir()}
	for _, e := range []*openpgp.Entity{trap, real} {
		var b bytes.Buffer
		if err := e.SerializePrivateWithoutSigning(&b, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.write(e.PrimaryKey.Fingerprint, b.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	want := sub.PublicKey.Fingerprint
	for _, c := range []struct {
		name       string
		hint, from []byte
	}{
		{"no hint (control: file order)", nil, trap.PrimaryKey.Fingerprint},
		{"hint", real.PrimaryKey.Fingerprint, real.PrimaryKey.Fingerprint},
		{"hint of the trap", trap.PrimaryKey.Fingerprint, trap.PrimaryKey.Fingerprint},
		{"hint of nothing stored", bytes.Repeat([]byte{0xff}, 20), trap.PrimaryKey.Fingerprint},
	} {
		e, priv, err := s.find(want, c.hint)
		if err != nil || priv == nil || !bytes.Equal(priv.Fingerprint, want) {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !bytes.Equal(e.PrimaryKey.Fingerprint, c.from) {
			t.Errorf("%s: found in %X, want %X", c.name, e.PrimaryKey.Fingerprint, c.from)
		}
	}
	// A hint never returns a key that does not hold the asked fingerprint.
	if _, priv, err := s.find(bytes.Repeat([]byte{1}, 20), real.PrimaryKey.Fingerprint); err == nil || priv != nil {
		t.Fatalf("unknown key with a hint: %v", err)
	}
}
