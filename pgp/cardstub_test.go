package pgp

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

func TestCardStubs(t *testing.T) {
	e, err := openpgp.NewEntity("card", "", "card@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519})
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	if err := e.Serialize(&pub); err != nil {
		t.Fatal(err)
	}
	serial := []byte{0xD2, 0x76, 0x00, 0x01, 0x24, 0x01, 0x03, 0x04, 0x00, 0x05, 0x00, 0x00, 0x12, 0x34, 0x00, 0x00}
	primary := fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
	sub := fmt.Sprintf("%X", e.Subkeys[0].PublicKey.Fingerprint)
	stub, changed, err := DivertToCard(pub.Bytes(), serial, map[string]bool{sub: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 1 || changed[0] != sub {
		t.Fatalf("changed = %v", changed)
	}
	// the subkey packet is gpg's divert-to-card form, byte for byte
	want := append(append([]byte{}, gnuDivertS2K...), 16)
	want = append(want, serial...)
	if !bytes.Contains(stub, want) {
		t.Fatal("no divert-to-card S2K with the serial in the stub")
	}
	parseable, serials, err := ReadCardStubs(stub)
	if err != nil {
		t.Fatal(err)
	}
	if serials[sub] != "D2760001240103040005000012340000" || len(serials) != 1 {
		t.Fatalf("serials = %v", serials)
	}
	el, err := openpgp.ReadKeyRing(bytes.NewReader(parseable))
	if err != nil {
		t.Fatal(err)
	}
	if len(el) != 1 || !el[0].PrivateKey.Dummy() || !el[0].Subkeys[0].PrivateKey.Dummy() {
		t.Fatal("stub keys are not dummies to go-crypto")
	}
	var ser bytes.Buffer
	if err := el[0].SerializePrivateWithoutSigning(&ser, nil); err != nil {
		t.Fatal(err)
	}
	back, err := WriteCardStubs(ser.Bytes(), serials)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(back, want) {
		t.Fatal("WriteCardStubs lost the divert packet")
	}
	// learning the same card again changes nothing; the primary (a dummy)
	// may be diverted later
	again, changed, err := DivertToCard(stub, serial, map[string]bool{sub: true}, false)
	if err != nil || len(changed) != 0 || !bytes.Equal(again, stub) {
		t.Fatalf("relearning changed %v (err %v)", changed, err)
	}
	if _, changed, _ := DivertToCard(stub, serial, map[string]bool{primary: true}, false); len(changed) != 1 {
		t.Fatal("the dummy primary was not diverted")
	}
	// a real secret is kept
	var sec bytes.Buffer
	if err := e.SerializePrivateWithoutSigning(&sec, nil); err != nil {
		t.Fatal(err)
	}
	kept, changed, err := DivertToCard(sec.Bytes(), serial, map[string]bool{sub: true}, false)
	if err != nil || len(changed) != 0 || !bytes.Equal(kept, sec.Bytes()) {
		t.Fatal("a real secret key was replaced by a stub")
	}
	// unless forced (keytocard's save): then exactly that key is diverted
	moved, changed, err := DivertToCard(sec.Bytes(), serial, map[string]bool{sub: true}, true)
	if err != nil || len(changed) != 1 || changed[0] != sub || bytes.Equal(moved, sec.Bytes()) {
		t.Fatalf("forced divert: changed %v, err %v", changed, err)
	}
	if _, serials, err := ReadCardStubs(moved); err != nil || serials[sub] == "" {
		t.Fatalf("the moved key is no divert stub: %v %v", serials, err)
	}
}

func FuzzReadCardStubs(f *testing.F) {
	f.Add([]byte{0xc5, 0x0a, 4, 0, 0, 0, 0, 22, 'G', 'N', 'U', 0x02})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		ReadCardStubs(data)
	})
}
