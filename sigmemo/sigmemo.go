// Package sigmemo remembers RSA signature checks that succeeded, in a file
// of the store, so that later processes skip the public-key operation for
// the same key, hash, digest and signature. GnuPG keeps such a signature
// cache in its keyring; without one, listing a key of the Debian keyring
// spends half its time re-checking RSA-4096 self-signatures that were
// checked when the key was imported.
//
// Soundness: an entry is a 128-bit digest of everything the check's result
// depends on (the whole public key packet, the hash algorithm, the signed
// digest, the signature), recorded only after rsa.VerifyPKCS1v15 accepted
// exactly these inputs. A remembered success is therefore the result the
// check would give; a missing or damaged entry only costs the check. The
// file is as trusted as the certificates beside it: whoever can write it
// can replace them.
//
// The file: the 8 bytes of Magic, then sorted, distinct 16-byte entries;
// at most MaxEntries. Anything else is ignored as a whole.
package sigmemo

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"slices"
	"sort"
	"sync"
	"syscall"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Magic starts the file; its last byte is the format version.
const Magic = "fpsigm\x00\x01"

// EntrySize is the length of one entry.
const EntrySize = 16

// MaxEntries caps the file (32 MiB): beyond it nothing new is remembered.
const MaxEntries = 1 << 21

type entry [EntrySize]byte

// Memo is the remembered checks of one file: the file's entries (mapped
// on the first lookup) and the ones this process added. Safe for
// concurrent use.
type Memo struct {
	path   string
	load   sync.Once
	mapped []byte // the file's entries, sorted; nil if none or unusable
	mu     sync.Mutex
	added  map[entry]struct{}
}

// New returns the memo kept in the file at path; nothing is read yet.
func New(path string) *Memo { return &Memo{path: path} }

// Entries returns the entry part of a memo file's contents, or false if b
// is not a memo file within the limits.
func Entries(b []byte) ([]byte, bool) {
	if len(b) < len(Magic) || string(b[:len(Magic)]) != Magic {
		return nil, false
	}
	e := b[len(Magic):]
	if len(e)%EntrySize != 0 || len(e)/EntrySize > MaxEntries {
		return nil, false
	}
	return e, true
}

func (m *Memo) open() {
	f, err := os.OpenFile(m.path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() <= int64(len(Magic)) ||
		fi.Size() > int64(len(Magic)+MaxEntries*EntrySize) {
		return
	}
	// The file is only ever replaced by rename: the mapping stays valid.
	b, err := syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return
	}
	if e, ok := Entries(b); ok {
		m.mapped = e
	} else {
		syscall.Munmap(b)
	}
}

// contains reports whether sorted (as the file keeps them) holds e; an
// unsorted (damaged) file only makes lookups miss.
func contains(sorted []byte, e entry) bool {
	n := len(sorted) / EntrySize
	i := sort.Search(n, func(i int) bool { return bytes.Compare(sorted[i*EntrySize:(i+1)*EntrySize], e[:]) >= 0 })
	return i < n && bytes.Equal(sorted[i*EntrySize:(i+1)*EntrySize], e[:])
}

// key is the entry of one check.
func key(pk *packet.PublicKey, h crypto.Hash, digest, sig []byte) (entry, bool) {
	d := sha256.New()
	d.Write([]byte("frontpgp sigmemo v1\x00"))
	if err := pk.Serialize(d); err != nil {
		return entry{}, false
	}
	var n [8]byte
	binary.BigEndian.PutUint32(n[:4], uint32(h))
	binary.BigEndian.PutUint32(n[4:], uint32(len(digest)))
	d.Write(n[:])
	d.Write(digest)
	d.Write(sig)
	var e entry
	copy(e[:], d.Sum(nil))
	return e, true
}

// Known reports whether the check succeeded before (packet.RSAVerifyMemo).
func (m *Memo) Known(pk *packet.PublicKey, h crypto.Hash, digest, sig []byte) bool {
	e, ok := key(pk, h, digest, sig)
	if !ok {
		return false
	}
	m.load.Do(m.open)
	if contains(m.mapped, e) {
		return true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok = m.added[e]
	return ok
}

// Verified records a check that succeeded (packet.RSAVerifyMemo).
func (m *Memo) Verified(pk *packet.PublicKey, h crypto.Hash, digest, sig []byte) {
	e, ok := key(pk, h, digest, sig)
	if !ok {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.added == nil {
		m.added = map[entry]struct{}{}
	}
	m.added[e] = struct{}{}
}

// Pending reports whether this process added entries not saved yet.
func (m *Memo) Pending() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.added) > 0
}

// Save merges what this process added into the file as it is now (another
// process may have saved since it was mapped) with write, which must
// replace the file atomically. The caller holds the store's write lock.
// Nothing added: nothing written.
func (m *Memo) Save(write func(path string, data []byte) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.added) == 0 {
		return nil
	}
	var old []byte
	if b, err := os.ReadFile(m.path); err == nil {
		old, _ = Entries(b)
	}
	data := merge(old, m.added)
	if err := write(m.path, data); err != nil {
		return err
	}
	m.added = nil
	return nil
}

// merge returns a memo file holding the entries of old (a file's entry
// part, sorted or not) and added: sorted, distinct, at most MaxEntries
// (old ones first, then the smallest of the added).
func merge(old []byte, added map[entry]struct{}) []byte {
	all := make([]entry, 0, len(old)/EntrySize+len(added))
	for i := 0; i+EntrySize <= len(old); i += EntrySize {
		all = append(all, entry(old[i:i+EntrySize]))
	}
	fresh := make([]entry, 0, len(added))
	for e := range added {
		fresh = append(fresh, e)
	}
	slices.SortFunc(fresh, func(a, b entry) int { return bytes.Compare(a[:], b[:]) })
	all = append(all, fresh...)
	if len(all) > MaxEntries {
		all = all[:MaxEntries]
	}
	slices.SortFunc(all, func(a, b entry) int { return bytes.Compare(a[:], b[:]) })
	all = slices.Compact(all)
	out := make([]byte, 0, len(Magic)+len(all)*EntrySize)
	out = append(out, Magic...)
	for _, e := range all {
		out = append(out, e[:]...)
	}
	return out
}
