package migrate

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/frontpgp/front/gnupg/trustdb"
)

// recorder is an Importer that records what Run hands it; fail makes a
// step fail, as a full disk would.
type recorder struct {
	keys       [][]byte
	ownertrust []*trustdb.DB
	secrets    int
	fail       string
}

func (r *recorder) Keys(data []byte) (int, error) {
	if r.fail == "keys" {
		return 0, errors.New("disk full")
	}
	r.keys = append(r.keys, data)
	return 1, nil
}

func (r *recorder) Ownertrust(db *trustdb.DB) (int, error) {
	r.ownertrust = append(r.ownertrust, db)
	return len(db.Ownertrust), nil
}

func (r *recorder) Secrets() (int, error) {
	if r.fail == "secrets" {
		return 0, errors.New("keyhelper failed")
	}
	r.secrets++
	return 0, nil
}

// gnupgFiles writes a keyring and a trustdb with one ownertrust value,
// dated an hour ago (not racy).
func gnupgFiles(t *testing.T, home string) {
	t.Helper()
	tdb := make([]byte, 2*trustdb.RecordLen)
	tdb[0] = 1
	copy(tdb[1:], "gpg")
	tdb[4] = 3
	tdb[40] = 12
	tdb[42] = 0xAB
	tdb[62] = 5
	write(t, home, TrustdbName, tdb)
	write(t, home, KeyringName, []byte{0x99, 0, 1, 4}) // content is the importer's business
}

func write(t *testing.T, home, name string, data []byte) {
	t.Helper()
	p := filepath.Join(home, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)
}

func TestCheckAndRun(t *testing.T) {
	home := t.TempDir()
	empty := func() bool { return true }
	if Check(home, empty) != NotNeeded {
		t.Fatal("a home without GnuPG files needs no import")
	}
	// front's own empty trustdb.gpg and an empty keybox are no GnuPG data
	write(t, home, TrustdbName, nil)
	hdr := make([]byte, 32)
	hdr[3], hdr[4], hdr[5] = 32, 1, 1
	copy(hdr[8:], "KBXf")
	write(t, home, KeyboxName, hdr)
	if Check(home, empty) != NotNeeded {
		t.Fatal("placeholders are no GnuPG data")
	}
	os.Remove(filepath.Join(home, KeyboxName))
	gnupgFiles(t, home)
	if Check(home, func() bool { return false }) != NotNeeded {
		t.Fatal("a store of ours without a state file is left alone")
	}
	if Check(home, empty) != First {
		t.Fatal("GnuPG data and no store: first import")
	}

	// a failing step leaves the state pending: the next run redoes all
	r := &recorder{fail: "secrets"}
	if _, err := Run(home, r, false); err == nil {
		t.Fatal("the failure is reported")
	}
	if Check(home, func() bool { return false }) != Redo {
		t.Fatal("an unfinished import is redone")
	}
	r = &recorder{}
	res, err := Run(home, r, false)
	if err != nil || !res.Done || len(r.keys) != 1 || len(r.ownertrust) != 1 || r.secrets != 1 {
		t.Fatalf("first import: %+v %v %+v", res, err, r)
	}
	if got := r.ownertrust[0].Ownertrust; len(got) != 1 || got[0].Value != 5 || got[0].Fingerprint[0] != 0xAB {
		t.Fatalf("ownertrust %+v", got)
	}
	if Check(home, empty) != NotNeeded {
		t.Fatal("nothing changed since the import")
	}
	if res, _ := Run(home, r, false); res.Done || len(r.keys) != 1 {
		t.Fatal("a run that finds the state current does nothing")
	}

	// GnuPG changes its keyring: keys again, the unchanged trustdb not
	write(t, home, KeyringName, []byte{0x99, 0, 1, 4, 0})
	if Check(home, empty) != Changed {
		t.Fatal("a changed keyring is noticed")
	}
	if _, err := Run(home, r, false); err != nil || len(r.keys) != 2 || len(r.ownertrust) != 1 {
		t.Fatalf("re-import: %v %+v", err, r)
	}
	// forced: everything again
	if _, err := Run(home, r, true); err != nil || len(r.keys) != 3 || len(r.ownertrust) != 2 {
		t.Fatalf("forced: %v %+v", err, r)
	}

	// a file modified just now gets a stamp no file has: imported again
	// on the next run, whatever the file system's timestamp granularity
	os.WriteFile(filepath.Join(home, TrustdbName), make([]byte, 0), 0o600)
	if _, err := Run(home, r, false); err != nil {
		t.Fatal(err)
	}
	if Check(home, empty) != Changed {
		t.Fatal("a racy stamp is not trusted")
	}

	// an unreadable state file: import again
	os.WriteFile(filepath.Join(home, StateName), []byte("pubring.kbx x y z\n"), 0o600)
	if Check(home, empty) != Redo {
		t.Fatal("a damaged state file means another import")
	}
}

func TestKeyboxWinsOverKeyring(t *testing.T) {
	home := t.TempDir()
	gnupgFiles(t, home)
	hdr := make([]byte, 32)
	hdr[3], hdr[4], hdr[5] = 32, 1, 1
	copy(hdr[8:], "KBXf")
	write(t, home, KeyboxName, append(hdr, 0, 0, 0, 5, 0)) // header, a deleted blob
	r := &recorder{}
	res, err := Run(home, r, false)
	if err != nil || len(r.keys) != 0 || len(res.Sources) != 2 || res.Sources[0] != KeyboxName {
		t.Fatalf("%+v %v %+v", res, err, r)
	}
	if Check(home, func() bool { return true }) != NotNeeded {
		t.Fatal("the unused pubring.gpg next to the keybox is stamped too")
	}
	write(t, home, KeyboxName, []byte("not a keybox at all, but long enough to be data"))
	if _, err := Run(home, r, false); err == nil {
		t.Fatal("a damaged keybox is an error")
	}
}

func FuzzParseState(f *testing.F) {
	f.Add((&state{pending: true, stamp: Stamp{{1, 2, 3}, {}, {4, -1, 6}}}).marshal())
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parseState(data)
		if err != nil {
			return
		}
		// what parses, marshals to a file that parses to the same
		again, err := parseState(st.marshal())
		if err != nil || *again != *st {
			t.Fatalf("round trip: %+v %+v %v", st, again, err)
		}
	})
}

// TestIncrementalKeybox: after a completed import, a re-import hands over
// only the keyblocks of the keybox the last one did not see; a forced one
// hands over all of them.
func TestIncrementalKeybox(t *testing.T) {
	kbx, err := os.ReadFile("../gnupg/keybox/testdata/pubring.kbx") // written by gpg and gpgsm
	if err != nil {
		t.Fatal(err)
	}
	// a second OpenPGP blob: a copy of the first with one byte of its
	// keyblock image changed
	var blob []byte
	for off := 0; off < len(kbx); off += int(binary.BigEndian.Uint32(kbx[off:])) {
		if kbx[off+4] == 2 {
			blob = append([]byte(nil), kbx[off:off+int(binary.BigEndian.Uint32(kbx[off:]))]...)
		}
	}
	imgOff := binary.BigEndian.Uint32(blob[8:])
	blob[imgOff+10] ^= 1
	home := t.TempDir()
	write(t, home, KeyboxName, kbx)
	r := &recorder{}
	if _, err := Run(home, r, false); err != nil || len(r.keys) != 1 {
		t.Fatalf("first import: %v %d", err, len(r.keys))
	}
	first := r.keys[0]
	write(t, home, KeyboxName, append(append([]byte(nil), kbx...), blob...))
	if _, err := Run(home, r, false); err != nil || len(r.keys) != 2 {
		t.Fatalf("re-import: %v %d", err, len(r.keys))
	}
	imgLen := binary.BigEndian.Uint32(blob[12:])
	if !bytes.Equal(r.keys[1], blob[imgOff:imgOff+imgLen]) {
		t.Fatal("the re-import hands over only the new keyblock")
	}
	if _, err := Run(home, r, true); err != nil || !bytes.Equal(r.keys[2], append(append([]byte(nil), first...), r.keys[1]...)) {
		t.Fatalf("a forced import hands over every keyblock: %v", err)
	}
	// the same keyblocks in a file that changed (gpg rewrote it): no
	// keys step at all
	os.Remove(filepath.Join(home, KeyboxName)) // a new inode, as gpg's rename makes
	write(t, home, KeyboxName, append(append([]byte(nil), kbx...), blob...))
	if res, err := Run(home, r, false); err != nil || !res.Done || len(r.keys) != 3 {
		t.Fatalf("unchanged keyblocks: %v %d", err, len(r.keys))
	}
}

func FuzzParseDigests(f *testing.F) {
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := parseDigests(data)
		if m != nil && len(data)%32 != 0 || len(m) > len(data)/32 {
			t.Fatalf("%d digests from %d bytes", len(m), len(data))
		}
	})
}

// TestSecretKeyChange: a secret key GnuPG adds without touching its
// public keyring (a new file in private-keys-v1.d, or secring.gpg) makes
// the next run import again; the directory is only stat'ed.
func TestSecretKeyChange(t *testing.T) {
	home := t.TempDir()
	gnupgFiles(t, home)
	dir := filepath.Join(home, secretDirName)
	os.Mkdir(dir, 0o700)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(dir, old, old)
	r := &recorder{}
	if _, err := Run(home, r, false); err != nil {
		t.Fatal(err)
	}
	if Check(home, func() bool { return false }) != NotNeeded {
		t.Fatal("nothing changed")
	}
	os.WriteFile(filepath.Join(dir, "0123.key"), []byte("x"), 0o600)
	os.Chtimes(dir, old.Add(time.Minute), old.Add(time.Minute))
	if Check(home, func() bool { return false }) != Changed {
		t.Fatal("a new key file is noticed")
	}
	if _, err := Run(home, r, false); err != nil || r.secrets != 2 || len(r.ownertrust) != 1 {
		t.Fatalf("%v %+v", err, r)
	}
	write(t, home, secringName, []byte{0x95, 0, 1, 4})
	if Check(home, func() bool { return false }) != Changed {
		t.Fatal("a secring.gpg is noticed")
	}
}
