package store

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
)

func serialize(t *testing.T, e *openpgp.Entity) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := e.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Bad input 30: corrupt and stray files in the store are ignored or
// reported; lookups, listings and writes keep working.
func TestBadStoreFiles(t *testing.T) {
	s, _ := Open(filepath.Join(t.TempDir(), "home"))
	good := newEntity(t, "good")
	unlock, err := s.Lock()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(good); err != nil {
		t.Fatal(err)
	}
	unlock()
	dir := filepath.Join(s.Home, certDirName)
	place := func(e *openpgp.Entity) string {
		p := s.CertPath(e.PrimaryKey.Fingerprint)
		os.MkdirAll(filepath.Dir(p), 0o700)
		return p
	}
	// Garbage under a certificate's name.
	os.WriteFile(place(newEntity(t, "garbage")), []byte("not a key"), 0o644)
	// Another key's content under this name.
	os.WriteFile(place(newEntity(t, "mismatch")), serialize(t, good), 0o644)
	// A huge (sparse) file.
	huge := place(newEntity(t, "huge"))
	f, _ := os.Create(huge)
	f.Truncate(maxCertFile + 1)
	f.Close()
	// A symlink and a directory with certificate names.
	os.Symlink(s.CertPath(good.PrimaryKey.Fingerprint), place(newEntity(t, "link")))
	os.MkdirAll(place(newEntity(t, "dir")), 0o700)
	// Stray names and a temp file left by a killed writer.
	os.WriteFile(filepath.Join(dir, "README"), []byte("x"), 0o644)
	os.MkdirAll(filepath.Join(dir, "zz"), 0o700)
	gdir := filepath.Dir(s.CertPath(good.PrimaryKey.Fingerprint))
	os.WriteFile(filepath.Join(gdir, tmpPrefix+"left"), []byte("partial"), 0o644)
	// A corrupt index.
	os.WriteFile(s.indexPath(), []byte(indexMagic+"garbage"), 0o644)

	s2 := &Store{Home: s.Home}
	fprs, err := s2.Fingerprints()
	if err != nil || len(fprs) != 1 || !bytes.Equal(fprs[0], good.PrimaryKey.Fingerprint) {
		t.Fatalf("Fingerprints = %x, %v; want only the good certificate", fprs, err)
	}
	problems := strings.Join(s2.Problems(), "\n")
	for _, want := range []string{"unparseable", "does not match", "too large", "not a regular file"} {
		if !strings.Contains(problems, want) {
			t.Errorf("problems lack %q:\n%s", want, problems)
		}
	}
	if n := strings.Count(problems, "\n") + 1; n != 5 {
		t.Errorf("%d problems reported, want 5:\n%s", n, problems)
	}
	// A stale lock file (no holder) does not block, and the writer removes
	// the temp file.
	unlock, err = s2.Lock()
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Put(newEntity(t, "more")); err != nil {
		t.Fatal(err)
	}
	unlock()
	if _, err := os.Stat(filepath.Join(gdir, tmpPrefix+"left")); !os.IsNotExist(err) {
		t.Errorf("leftover temp file not removed: %v", err)
	}
	if fprs, _ := (&Store{Home: s.Home}).Fingerprints(); len(fprs) != 2 {
		t.Errorf("after a write: %d certificates, want 2", len(fprs))
	}
	// The index file replaced by a directory: lookups still work.
	os.Remove(s.indexPath())
	os.MkdirAll(s.indexPath(), 0o700)
	s3 := &Store{Home: s.Home}
	got, err := s3.Lookup(Query{Kind: QueryMail, Text: "good@example.org"})
	if err != nil || len(got) != 1 {
		t.Fatalf("lookup with a directory as index: %x %v", got, err)
	}
}

// A certificate written behind the index's back (another cert-d writer)
// is found: the directory's time reveals the change.
func TestIndexNoticesForeignWrites(t *testing.T) {
	s, _ := Open(filepath.Join(t.TempDir(), "home"))
	a := newEntity(t, "a")
	unlock, _ := s.Lock()
	s.Put(a)
	unlock()
	if got, _ := s.Lookup(Query{Kind: QueryMail, Text: "a@example.org"}); len(got) != 1 {
		t.Fatalf("a not found: %x", got)
	}
	for i := 0; i < 20; i++ {
		b := newEntity(t, "b"+hex.EncodeToString([]byte{byte(i)}))
		p := s.CertPath(b.PrimaryKey.Fingerprint)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, serialize(t, b), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := s.Lookup(Query{Kind: QueryKeyID, KeyID: b.PrimaryKey.KeyId})
		if err != nil || len(got) != 1 {
			t.Fatalf("foreign write %d not seen: %x %v", i, got, err)
		}
		// A fresh reader (another process) sees it too.
		if got, _ := (&Store{Home: s.Home}).Lookup(Query{Kind: QueryFingerprint, Fingerprint: b.PrimaryKey.Fingerprint}); len(got) != 1 {
			t.Fatalf("foreign write %d not seen by a new reader", i)
		}
	}
	// A removed certificate disappears.
	os.Remove(s.CertPath(a.PrimaryKey.Fingerprint))
	if got, _ := s.Lookup(Query{Kind: QueryMail, Text: "a@example.org"}); len(got) != 0 {
		t.Fatalf("removed certificate still found")
	}
}
