package sigmemo

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

func rsaKey(t testing.TB) *packet.PublicKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	return packet.NewRSAPublicKey(time.Unix(1700000000, 0), &k.PublicKey)
}

func writeFile(path string, data []byte) error { return os.WriteFile(path, data, 0o644) }

func TestMemoRemembersAcrossProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sigmemo")
	pk, other := rsaKey(t), rsaKey(t)
	digest, sig := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 128)
	m := New(path)
	if m.Known(pk, crypto.SHA256, digest, sig) || m.Pending() {
		t.Fatal("an empty memo knows a check")
	}
	if err := m.Save(writeFile); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("nothing added, yet the file was written")
	}
	m.Verified(pk, crypto.SHA256, digest, sig)
	if !m.Known(pk, crypto.SHA256, digest, sig) || !m.Pending() {
		t.Fatal("a check recorded in this process is not known")
	}
	if err := m.Save(writeFile); err != nil {
		t.Fatal(err)
	}
	later := New(path) // another process
	if !later.Known(pk, crypto.SHA256, digest, sig) {
		t.Fatal("a saved check is not known to a later process")
	}
	for name, miss := range map[string]func() bool{
		"other key":       func() bool { return later.Known(other, crypto.SHA256, digest, sig) },
		"other hash":      func() bool { return later.Known(pk, crypto.SHA512, digest, sig) },
		"other digest":    func() bool { return later.Known(pk, crypto.SHA256, append([]byte{0}, digest[1:]...), sig) },
		"other signature": func() bool { return later.Known(pk, crypto.SHA256, digest, append([]byte{0}, sig[1:]...)) },
	} {
		if miss() {
			t.Errorf("%s: known", name)
		}
	}
	// A second process adds its own check: the file keeps both.
	later.Verified(other, crypto.SHA256, digest, sig)
	if err := later.Save(writeFile); err != nil {
		t.Fatal(err)
	}
	third := New(path)
	if !third.Known(pk, crypto.SHA256, digest, sig) || !third.Known(other, crypto.SHA256, digest, sig) {
		t.Fatal("a save lost an earlier process's checks")
	}
	b, _ := os.ReadFile(path)
	if e, ok := Entries(b); !ok || len(e) != 2*EntrySize {
		t.Fatalf("file holds %d bytes of entries, want 2 entries", len(e))
	}
}

func TestEntriesRefusesWhatIsNotAMemo(t *testing.T) {
	good := merge(nil, map[entry]struct{}{{1}: {}, {2}: {}})
	if _, ok := Entries(good); !ok {
		t.Fatal("a merged file is refused")
	}
	for name, b := range map[string][]byte{
		"empty":     nil,
		"magic":     append([]byte("fpsigm\x00\x02"), good[len(Magic):]...),
		"truncated": good[:len(good)-1],
		"too many":  make([]byte, len(Magic)+(MaxEntries+1)*EntrySize),
	} {
		if name == "too many" {
			copy(b, Magic)
		}
		if _, ok := Entries(b); ok {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestMergeSortsAndDedupes(t *testing.T) {
	old := append(append(bytes.Repeat([]byte{5}, EntrySize), bytes.Repeat([]byte{3}, EntrySize)...), bytes.Repeat([]byte{5}, EntrySize)...)
	out := merge(old, map[entry]struct{}{{4}: {}, {5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5}: {}})
	e, ok := Entries(out)
	if !ok || len(e) != 3*EntrySize {
		t.Fatalf("%d bytes of entries, want 3 entries", len(e))
	}
	for i := EntrySize; i < len(e); i += EntrySize {
		if bytes.Compare(e[i-EntrySize:i], e[i:i+EntrySize]) >= 0 {
			t.Fatal("entries not sorted and distinct")
		}
	}
	for _, want := range []entry{{3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}, {4}, {5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5}} {
		if !contains(e, want) {
			t.Fatalf("%x missing", want)
		}
	}
}

// Any file: Entries never panics; what it accepts can be searched and
// merged into a valid, sorted file.
func FuzzEntries(f *testing.F) {
	f.Add(merge(nil, map[entry]struct{}{{1}: {}, {7}: {}}))
	f.Add([]byte(Magic))
	f.Add([]byte("not a memo"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, ok := Entries(b)
		if !ok {
			return
		}
		contains(e, entry{1})
		out := merge(e, map[entry]struct{}{{1}: {}})
		e2, ok := Entries(out)
		if !ok || !contains(e2, entry{1}) {
			t.Fatal("merge result unusable")
		}
		for i := EntrySize; i < len(e2); i += EntrySize {
			if bytes.Compare(e2[i-EntrySize:i], e2[i:i+EntrySize]) >= 0 {
				t.Fatal("merge result not sorted and distinct")
			}
		}
	})
}
