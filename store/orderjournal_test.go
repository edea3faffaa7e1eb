package store

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// killedBatch leaves a store as a batch writer killed after its renames
// and before its index leaves it: five certificates with one file time in
// the order given, no index, and the order journal unless dropJournal.
func killedBatch(t *testing.T, dropJournal bool) (got, want []string) {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "home"))
	if err != nil {
		t.Fatal(err)
	}
	var es []*openpgp.Entity
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		es = append(es, newEntity(t, n))
	}
	// descending fingerprints: the opposite of the directory order
	slices.SortFunc(es, func(x, y *openpgp.Entity) int {
		return bytes.Compare(y.PrimaryKey.Fingerprint, x.PrimaryKey.Fingerprint)
	})
	b := s.NewBatch()
	for _, e := range es {
		var buf bytes.Buffer
		if err := e.Serialize(&buf); err != nil {
			t.Fatal(err)
		}
		b.Put(e.PrimaryKey.Fingerprint, buf.Bytes())
		want = append(want, hex.EncodeToString(e.PrimaryKey.Fingerprint))
	}
	if err := writeOrderJournal(s.certDir(), b.order); err != nil {
		t.Fatal(err)
	}
	stamp := time.Now().Add(-time.Hour)
	for _, e := range es {
		p := s.CertPath(e.PrimaryKey.Fingerprint)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, b.pending[hex.EncodeToString(e.PrimaryKey.Fingerprint)], 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, stamp, stamp)
	}
	if dropJournal {
		os.Remove(orderJournalPath(s.certDir()))
	}
	s2, err := Open(s.Home)
	if err != nil {
		t.Fatal(err)
	}
	all, err := s2.All(func(w string) { t.Error(w) })
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all {
		got = append(got, hex.EncodeToString(e.PrimaryKey.Fingerprint))
	}
	return got, want
}

func TestOrderJournalAfterKilledWriter(t *testing.T) {
	got, want := killedBatch(t, false)
	if !slices.Equal(got, want) {
		t.Errorf("with the journal: listed %v, written %v", got, want)
	}
	// control: without the journal the tie of file times falls to the
	// directory order, which this batch's order is the reverse of
	got, want = killedBatch(t, true)
	if slices.Equal(got, want) {
		t.Errorf("without the journal the writer's order survived: the test cannot tell")
	}
}

func TestCommitRemovesOrderJournal(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "home"))
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := s.Lock()
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	b := s.NewBatch()
	for _, n := range []string{"a", "b"} {
		e := newEntity(t, n)
		var buf bytes.Buffer
		e.Serialize(&buf)
		b.Put(e.PrimaryKey.Fingerprint, buf.Bytes())
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(orderJournalPath(s.certDir())); !os.IsNotExist(err) {
		t.Errorf("journal left after a commit: %v", err)
	}
}

// FuzzParseOrderJournal: any journal parses without a panic into
// fingerprints of a valid length only.
func FuzzParseOrderJournal(f *testing.F) {
	f.Add([]byte("0123456789abcdef0123456789abcdef01234567\nzz\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, fpr := range parseOrderJournal(b) {
			if len(fpr) != 20 && len(fpr) != 32 {
				t.Fatalf("fingerprint of %d bytes", len(fpr))
			}
		}
	})
}
