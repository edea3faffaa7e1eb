package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/frontpgp/front/gnupg/agentkey"
	"github.com/frontpgp/front/internal/gpghome"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/keylist"
)

// gnupgFixture is a home gpg 2.2.40 made (ed25519 + cv25519, passphrase
// "pw") and a store of ours beside it.
type gnupgFixture struct {
	home  string
	store *secretStore
	cert  []byte
	e     *openpgp.Entity
}

func newGnuPGFixture(t *testing.T) *gnupgFixture {
	t.Helper()
	if _, err := exec.LookPath("gpg"); err != nil {
		t.Skip("gpg not installed")
	}
	home := gpghome.New(t, "/tmp", "keyhelper-gnupg-")
	// the lowest S2K count gpg-agent takes: fast unlocks in the tests
	os.WriteFile(filepath.Join(home, "gpg-agent.conf"), []byte("s2k-count 65536\n"), 0o600)
	gpg := func(args ...string) []byte {
		out, err := exec.Command("gpg", append([]string{"--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "pw"}, args...)...).Output()
		if err != nil {
			t.Fatalf("gpg %v: %v", args, err)
		}
		return out
	}
	gpg("--quick-gen-key", "G <g@example.org>", "future-default", "default", "never")
	cert := gpg("--export")
	el, err := openpgp.ReadKeyRing(bytes.NewReader(cert))
	if err != nil || len(el) != 1 {
		t.Fatal(err)
	}
	dir := filepath.Join(home, SecretDirName)
	os.Mkdir(dir, 0o700)
	return &gnupgFixture{home: home, cert: cert, e: el[0],
		store: &secretStore{dir: dir, gnupgDir: filepath.Join(home, GnuPGKeyDir)}}
}

func TestGnuPGRecordAndUnlock(t *testing.T) {
	f := newGnuPGFixture(t)
	list, err := f.store.gnupgList()
	if err != nil || len(list.Keys) != 2 {
		t.Fatalf("list: %+v %v", list, err)
	}
	for _, k := range list.Keys {
		if k.Protection != ipc.GnuPGProtected {
			t.Errorf("protection %d", k.Protection)
		}
	}
	h := &handler{store: f.store}
	res, err := h.importGnuPG(&ipc.GnuPGImportRequest{Certs: f.cert})
	if err != nil {
		t.Fatal(err)
	}
	r := res.(*ipc.GnuPGImportResult)
	if len(r.Keys) != 1 || !r.Keys[0].New || len(r.Listing) != 2 || !r.Listing[0].Protected {
		t.Fatalf("import: %+v", r)
	}
	// again: same answer, not new, the record untouched
	before, _ := os.ReadFile(f.store.refPath(f.e.PrimaryKey.Fingerprint))
	res, _ = h.importGnuPG(&ipc.GnuPGImportRequest{Certs: f.cert})
	if r := res.(*ipc.GnuPGImportResult); len(r.Keys) != 1 || r.Keys[0].New {
		t.Fatalf("second import: %+v", r)
	}
	if after, _ := os.ReadFile(f.store.refPath(f.e.PrimaryKey.Fingerprint)); !bytes.Equal(before, after) {
		t.Fatal("record rewritten")
	}

	sub := f.e.Subkeys[0].PublicKey.Fingerprint
	_, priv, err := f.store.find(sub, nil)
	if err != nil || !priv.Encrypted {
		t.Fatalf("find: %v", err)
	}
	if err := f.store.decryptKey(priv, []byte("wrong")); !errors.Is(err, agentkey.ErrBadPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if err := f.store.decryptKey(priv, []byte("pw")); err != nil || priv.Encrypted || priv.PrivateKey == nil {
		t.Fatalf("unlock: %v", err)
	}
}

// A key file that holds another key's secret is a hard error, not a
// wrong passphrase (keyhelper must not ask again and again).
func TestGnuPGSwappedKeyFile(t *testing.T) {
	f := newGnuPGFixture(t)
	h := &handler{store: f.store}
	if _, err := h.importGnuPG(&ipc.GnuPGImportRequest{Certs: f.cert}); err != nil {
		t.Fatal(err)
	}
	dir := f.store.gnupgDir
	primary := filepath.Join(dir, keylist.Keygrip(f.e.PrimaryKey)+".key")
	subFile := filepath.Join(dir, keylist.Keygrip(f.e.Subkeys[0].PublicKey)+".key")
	data, _ := os.ReadFile(subFile)
	os.WriteFile(primary, data, 0o600)
	_, priv, err := f.store.find(f.e.PrimaryKey.Fingerprint, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ie *ipc.Error
	if err := f.store.decryptKey(priv, []byte("pw")); !errors.As(err, &ie) || ie.Code != ipc.ErrCodeBadData {
		t.Fatalf("swapped file: %v", err)
	}
}

// A record must hold the key its name says; a key file of our own wins.
func TestGnuPGRecordChecks(t *testing.T) {
	f := newGnuPGFixture(t)
	fpr := f.e.PrimaryKey.Fingerprint
	other := append([]byte(nil), fpr...)
	other[0] ^= 1
	os.WriteFile(f.store.refPath(other), f.cert, 0o600)
	if _, err := f.store.loadRef(other); err == nil {
		t.Fatal("a record under another key's name was loaded")
	}
	if l, _ := f.store.listing(); len(l) != 0 {
		t.Fatalf("listing: %+v", l)
	}
	os.Remove(f.store.refPath(other))
	h := &handler{store: f.store}
	h.importGnuPG(&ipc.GnuPGImportRequest{Certs: f.cert})
	if !f.store.isRef(fpr) {
		t.Fatal("not a record")
	}
	os.WriteFile(f.store.path(fpr), []byte("ours"), 0o600)
	if f.store.isRef(fpr) {
		t.Fatal("a key file of our own does not win")
	}
}
