package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

func newEntity(t *testing.T, name string) *openpgp.Entity {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", name+"@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestPutGetAll(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "home"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := newEntity(t, "a"), newEntity(t, "b")
	unlock, err := s.Lock()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []*openpgp.Entity{a, b} {
		if err := s.Put(e); err != nil {
			t.Fatal(err)
		}
	}
	unlock()
	if _, err := s.Get(a.PrimaryKey.Fingerprint); err != nil {
		t.Fatal(err)
	}
	// The cert-d layout: two hex characters, then the rest of the fingerprint.
	p := s.CertPath(a.PrimaryKey.Fingerprint)
	if rel, _ := filepath.Rel(s.Home, p); len(strings.Split(rel, string(filepath.Separator))) != 3 {
		t.Fatalf("unexpected path %s", rel)
	}
	// Stray files are ignored; a file whose content is another key is
	// reported and skipped (bad input 30).
	dir := filepath.Join(s.Home, certDirName)
	os.WriteFile(filepath.Join(dir, "README"), []byte("x"), 0o644)
	os.MkdirAll(filepath.Join(dir, "zz"), 0o700)
	data, _ := os.ReadFile(s.CertPath(b.PrimaryKey.Fingerprint))
	wrong := s.CertPath(newEntity(t, "c").PrimaryKey.Fingerprint)
	os.MkdirAll(filepath.Dir(wrong), 0o700)
	os.WriteFile(wrong, data, 0o644)
	var warnings []string
	all, err := s.All(func(w string) { warnings = append(warnings, w) })
	if err != nil || len(all) != 2 {
		t.Fatalf("All: %v, %d certs", err, len(all))
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "does not match") {
		t.Fatalf("warnings: %q", warnings)
	}
	unlock, _ = s.Lock()
	if err := s.Delete(a.PrimaryKey.Fingerprint); err != nil {
		t.Fatal(err)
	}
	unlock()
	if _, err := s.Get(a.PrimaryKey.Fingerprint); !os.IsNotExist(err) {
		t.Fatalf("deleted cert still there: %v", err)
	}
}

func TestSecretList(t *testing.T) {
	s, _ := Open(t.TempDir())
	secretDir := filepath.Join(s.Home, "private-keys.d")
	os.MkdirAll(secretDir, 0o700)
	if _, ok := s.SecretKeys(secretDir); ok {
		t.Fatal("missing list reported as fresh")
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(secretDir, old, old)
	want := map[string]SecretInfo{"AB": {Primary: []byte{0xab}, Protected: true}, "CD": {Primary: []byte{0xab}, Stub: true}}
	if err := s.WriteSecretKeys(want); err != nil {
		t.Fatal(err)
	}
	got, ok := s.SecretKeys(secretDir)
	if !ok || len(got) != 2 || !got["AB"].Protected || !got["CD"].Stub {
		t.Fatalf("got %v %v", got, ok)
	}
	// A change in the secret directory after the list was written makes it stale.
	future := time.Now().Add(time.Hour)
	os.Chtimes(secretDir, future, future)
	if _, ok := s.SecretKeys(secretDir); ok {
		t.Fatal("stale list reported as fresh")
	}
}

func TestUserIDOrder(t *testing.T) {
	uid := func(s string) []byte { return append([]byte{0xc0 | 13, byte(len(s))}, s...) }
	raw := append(append(append([]byte{}, uid("b <b@x>")...), 0xc0|17, 1, 0), uid("a <a@x>")...)
	got := UserIDOrder(raw)
	if len(got) != 2 || got[0] != "b <b@x>" || got[1] != "a <a@x>" {
		t.Fatalf("%q", got)
	}
	// a framing error ends the list
	if got := UserIDOrder(append(uid("c"), 0xc0|13, 9)); len(got) != 1 {
		t.Fatalf("%q", got)
	}
}
