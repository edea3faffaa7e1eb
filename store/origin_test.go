package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
)

func keyblockOf(t *testing.T, e *openpgp.Entity) *Keyblock {
	t.Helper()
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	kb, err := ParseKeyblock(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return kb
}

// commitOrigin stores kb new with origin o, as an import does.
func commitOrigin(t *testing.T, s *Store, kb *Keyblock, o Origin) {
	t.Helper()
	unlock, err := s.Lock()
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	b := s.NewBatch()
	b.Put(kb.Fingerprint(), kb.Bytes())
	b.OriginNew(kb, o)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestOriginRoundTrip(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "home"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := newEntity(t, "a"), newEntity(t, "b")
	ka, kb := keyblockOf(t, a), keyblockOf(t, b)
	url := "http://127.0.0.1:11371/odd path%é\n"
	commitOrigin(t, s, ka, Origin{Kind: OriginKeyserver, Updated: 1000, URL: url})
	commitOrigin(t, s, kb, Origin{Kind: OriginWKD, Updated: 2000, URL: "https://openpgpkey.example.org"})

	o := s.Origins()
	ca, cb := o.Cert(a.PrimaryKey.Fingerprint), o.Cert(b.PrimaryKey.Fingerprint)
	uidA, uidB := []byte("a <a@example.org>"), []byte("b <b@example.org>")
	for _, c := range []struct {
		got, want Origin
	}{
		{ca.Key, Origin{OriginKeyserver, 1000, url}},
		{ca.UserID(uidA), Origin{Kind: OriginKeyserver, Updated: 1000}},
		// WKD: no URL on the key, the URL on the user IDs
		{cb.Key, Origin{Kind: OriginWKD, Updated: 2000}},
		{cb.UserID(uidB), Origin{OriginWKD, 2000, "https://openpgpkey.example.org"}},
		{cb.UserID(uidA), Origin{}},
	} {
		if c.got != c.want {
			t.Errorf("origin %+v, want %+v", c.got, c.want)
		}
	}
	data, err := os.ReadFile(s.originsPath())
	if err != nil {
		t.Fatal(err)
	}
	if again := parseOrigins(data).encode(); !bytes.Equal(again, data) || parseOrigins(data).damaged {
		t.Errorf("re-encoded file differs:\n%s\n%s", data, again)
	}

	// A merge that adds nothing new keeps the key's origin for a time
	// warp; an import with no origin replaces the record of a new key.
	unlock, _ := s.Lock()
	batch := s.NewBatch()
	batch.Put(ka.Fingerprint(), ka.Bytes())
	batch.OriginMerged(ka, Origin{Kind: OriginFile, Updated: 500})
	batch.Put(kb.Fingerprint(), kb.Bytes())
	batch.OriginNew(kb, Origin{Updated: 3000})
	if err := batch.Commit(); err != nil {
		t.Fatal(err)
	}
	unlock()
	o = s.Origins()
	if got := o.Cert(a.PrimaryKey.Fingerprint).Key; got.Kind != OriginKeyserver || got.URL != url {
		t.Errorf("after a time warp: %+v", got)
	}
	if got := o.Cert(b.PrimaryKey.Fingerprint); !got.isZero() {
		t.Errorf("unknown origin recorded: %+v", got)
	}

	// Deleting the certificate forgets its origin.
	unlock, _ = s.Lock()
	if err := s.Delete(a.PrimaryKey.Fingerprint); err != nil {
		t.Fatal(err)
	}
	unlock()
	if got := s.Origins().Cert(a.PrimaryKey.Fingerprint); !got.isZero() {
		t.Errorf("origin of a deleted certificate: %+v", got)
	}
}

func TestOriginUpdateRules(t *testing.T) {
	wkd := Origin{OriginWKD, 10, "https://w"}
	for _, c := range []struct {
		old, in, want Origin
	}{
		{Origin{}, wkd, wkd},
		{Origin{OriginURL, 5, "u"}, wkd, Origin{OriginURL, 5, "u"}},
		{Origin{OriginURL, 5, "u"}, Origin{OriginKeyserver, 10, ""}, Origin{OriginKeyserver, 10, ""}},
		{Origin{OriginURL, 5, "u"}, Origin{OriginFile, 10, "x"}, Origin{OriginFile, 10, ""}},
		{Origin{OriginURL, 5, "u"}, Origin{Updated: 10}, Origin{OriginURL, 5, "u"}},
		{Origin{OriginURL, 50, "u"}, Origin{OriginKeyserver, 10, "k"}, Origin{OriginURL, 50, "u"}},
	} {
		if got := updatedKeyOrigin(c.old, c.in); got != c.want {
			t.Errorf("update %+v with %+v: %+v, want %+v", c.old, c.in, got, c.want)
		}
	}
}

// Writers in parallel, each with its own Store as separate processes
// would have: every origin ends up in the file.
func TestOriginConcurrentWriters(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	var kbs []*Keyblock
	for i := 0; i < 8; i++ {
		kbs = append(kbs, keyblockOf(t, newEntity(t, fmt.Sprintf("k%d", i))))
	}
	var wg sync.WaitGroup
	for i, kb := range kbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(home)
			if err != nil {
				t.Error(err)
				return
			}
			commitOrigin(t, s, kb, Origin{Kind: OriginURL, Updated: int64(100 + i), URL: fmt.Sprintf("https://example.org/%d", i)})
		}()
	}
	wg.Wait()
	s, _ := Open(home)
	o := s.Origins()
	for i, kb := range kbs {
		if got := o.Cert(kb.Fingerprint()).Key; got.Updated != int64(100+i) || got.URL != fmt.Sprintf("https://example.org/%d", i) {
			t.Errorf("writer %d: %+v", i, got)
		}
	}
}

// A damaged file: what parses is kept, the rest reads as unknown, and the
// next writer replaces the file.
func TestOriginDamagedFile(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "home"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := newEntity(t, "a"), newEntity(t, "b")
	ka, kb := keyblockOf(t, a), keyblockOf(t, b)
	commitOrigin(t, s, ka, Origin{Kind: OriginFile, Updated: 7})
	data, _ := os.ReadFile(s.originsPath())
	damaged := append(append([]byte(nil), data...), "k 00ff 1 2 -\nu zz\nk "+fmt.Sprintf("%x", b.PrimaryKey.Fingerprint)+" 99 1 -\n\x00\xff"...)
	if err := os.WriteFile(s.originsPath(), damaged, 0o644); err != nil {
		t.Fatal(err)
	}
	o := s.Origins()
	if !o.damaged || o.Cert(a.PrimaryKey.Fingerprint).Key.Kind != OriginFile || !o.Cert(b.PrimaryKey.Fingerprint).isZero() {
		t.Fatalf("damaged file read as %+v", o.certs)
	}
	// Any writer rewrites it.
	commitOrigin(t, s, kb, Origin{})
	data2, _ := os.ReadFile(s.originsPath())
	if !bytes.Equal(data2, data) {
		t.Errorf("not rewritten:\n%q\nwant\n%q", data2, data)
	}
	// No header at all, or something that is not a file: unknown.
	for _, bad := range [][]byte{[]byte("k x\n"), bytes.Repeat([]byte{0xff}, 100)} {
		os.WriteFile(s.originsPath(), bad, 0o644)
		if o := s.Origins(); len(o.certs) != 0 || !o.damaged {
			t.Errorf("%q read as %+v", bad, o.certs)
		}
	}
	os.Remove(s.originsPath())
	os.Mkdir(s.originsPath(), 0o700)
	if o := s.Origins(); len(o.certs) != 0 {
		t.Errorf("directory read as %+v", o.certs)
	}
	commitOrigin(t, s, ka, Origin{Kind: OriginFile, Updated: 7})
	if got := s.Origins().Cert(a.PrimaryKey.Fingerprint).Key; got.Kind != OriginFile {
		t.Errorf("after replacing a directory: %+v", got)
	}
}

// FuzzParseOrigins: any file parses without a panic, and what it yields
// encodes to a file that parses to the same records.
func FuzzParseOrigins(f *testing.F) {
	f.Add([]byte(originsHeader + "k " + string(bytes.Repeat([]byte("ab"), 20)) + " 1 2 http://a%20b\n"))
	f.Add([]byte(originsHeader + "u " + string(bytes.Repeat([]byte("0"), 64)) + " " + string(bytes.Repeat([]byte("f"), 32)) + " 4 9 -\n"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		o := parseOrigins(data)
		enc := o.encode()
		again := parseOrigins(enc)
		if again.damaged || !bytes.Equal(again.encode(), enc) {
			t.Fatalf("round trip of %q: %q", data, enc)
		}
	})
}
