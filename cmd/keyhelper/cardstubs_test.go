package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/frontpgp/front/ipc"
)

// TestCardStubs: a certificate learnt from a card becomes a stub file in
// gpg's divert-to-card form (listing: CardSerial on the card key, the
// others dummies), exported as such; learning it again writes nothing; a
// stored real secret is kept.
func TestCardStubs(t *testing.T) {
	bin := buildKeyhelper(t)
	owner, learner := t.TempDir(), t.TempDir()
	noAsk := func(*ipc.Inquiry) ([]byte, bool, error) { return nil, false, nil }
	gen, _, _ := session(t, bin, owner, "write")
	var g ipc.GenerateResult
	if err := gen.Call(&ipc.GenerateRequest{UserID: "Card <card@example.org>", Created: time.Now().Unix(), NoProtection: true,
		Primary: ipc.KeySpec{Algo: "ed25519", Usage: "sign,cert"}, Subkeys: []ipc.KeySpec{{Algo: "cv25519", Usage: "encr"}}}, &g, noAsk); err != nil {
		t.Fatal(err)
	}
	var primary, sub []byte
	for _, e := range g.Listing {
		if bytes.Equal(e.Fingerprint, e.Primary) {
			primary = e.Fingerprint
		} else {
			sub = e.Fingerprint
		}
	}
	aid := []byte{0xD2, 0x76, 0x00, 0x01, 0x24, 0x01, 0x03, 0x04, 0xFF, 0xFF, 0x0C, 0x0F, 0xFE, 0xE2, 0x00, 0x00}
	req := &ipc.CardStubsRequest{AID: aid, Certs: [][]byte{g.Public}, OnCard: [][]byte{sub}}
	learn := func(home string) []ipc.SecretEntry {
		t.Helper()
		c, _, _ := session(t, bin, home, "write")
		var res ipc.CardStubsResult
		if err := c.Call(req, &res, noAsk); err != nil {
			t.Fatal(err)
		}
		return res.Listing
	}
	l := learn(learner)
	if len(l) != 2 {
		t.Fatalf("listing: %+v", l)
	}
	for _, e := range l {
		onCard := bytes.Equal(e.Fingerprint, sub)
		if !e.Stub || onCard != (e.CardSerial == "D276000124010304FFFF0C0FFEE20000") {
			t.Errorf("entry %X: %+v", e.Fingerprint, e)
		}
	}
	file := filepath.Join(learner, SecretDirName, filepath.Base((&secretStore{}).path(primary)))
	before, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	ex, _, _ := session(t, bin, learner, "read")
	var out ipc.ExportResult
	if err := ex.Call(&ipc.ExportRequest{Fingerprints: [][]byte{primary}}, &out, noAsk); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out.Data, append([]byte("GNU\x02\x10"), aid...)) {
		t.Error("the export lacks the divert-to-card stub")
	}
	time.Sleep(10 * time.Millisecond)
	learn(learner)
	if after, _ := os.Stat(file); !after.ModTime().Equal(before.ModTime()) {
		t.Error("learning a known card rewrote the stub file")
	}
	for _, e := range learn(owner) {
		if e.Stub || e.CardSerial != "" {
			t.Errorf("a real secret became a stub: %+v", e)
		}
	}
}
