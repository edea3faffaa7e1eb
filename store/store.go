// Package store is front's public side of the home: certificates in the
// cert-d layout (draft-nwjw-openpgp-cert-d), and the public list of which
// keys have secrets (written from keyhelper's answers, so front never looks
// into the secret store itself).
//
// Writers serialize on a flock'ed "writelock" file and replace files by
// temp file + fsync + rename; readers take no lock and always see either
// the old or the new file. An index (index.go) answers lookups without
// parsing every certificate; import merges at the packet level
// (keyblock.go) the way gpg does.
package store

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/frontpgp/front/sigmemo"
	"golang.org/x/sys/unix"
)

const (
	certDirName    = "pubring.cert.d"
	secretListName = "secret-keys.list"
	maxCertFile    = 64 << 20
	maxSecretList  = 1 << 20
	sigMemoName    = "sigmemo"
)

// Store is one home directory.
type Store struct {
	Home string

	mu     sync.Mutex
	view   *indexView // the index as checked by this process
	mapped []byte     // the mapping behind view, if any
	// racyChecked: the racy directories of view were checked by this
	// process, so later calls need not list them again.
	racyChecked bool
	// loaded caches parsed certificates by fingerprint (hex) until this
	// process writes the store. Callers must not modify them.
	loaded map[string]*openpgp.Entity
	// memo remembers RSA signature checks across processes (sigmemo); it
	// is saved with each batch this process commits. Nil in a Store not
	// made by Open.
	memo *sigmemo.Memo
}

// Open prepares the home (created 0700 if missing, as gpg does).
func Open(home string) (*Store, error) {
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	s := &Store{Home: home}
	s.memo = sigmemo.New(filepath.Join(s.indexDir(), sigMemoName))
	installVerifyMemo(s.memo)
	return s, nil
}

func (s *Store) certDir() string   { return filepath.Join(s.Home, certDirName) }
func (s *Store) indexDir() string  { return filepath.Join(s.certDir(), indexDirName) }
func (s *Store) indexPath() string { return filepath.Join(s.indexDir(), indexFileName) }

// CertPath is where the certificate with fingerprint fpr lives.
func (s *Store) CertPath(fpr []byte) string {
	h := hex.EncodeToString(fpr)
	return filepath.Join(s.certDir(), h[:2], h[2:])
}

// Lock takes the store's write lock until the returned func is called.
// The lock is an flock on pubring.cert.d/writelock: it dies with its
// holder, so a killed writer leaves no stale lock behind.
func (s *Store) Lock() (func(), error) {
	if err := os.MkdirAll(s.certDir(), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(s.certDir(), "writelock"), os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// tryLock takes the write lock only if it is free at once; readers use it
// to save an index they brought up to date, never waiting for a writer.
func (s *Store) tryLock() (func(), bool) {
	f, err := os.OpenFile(filepath.Join(s.certDir(), "writelock"), os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, false
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, false
	}
	return func() { f.Close() }, true
}

// index returns the index, checked against the directory times on every
// call (a few hundred stats at most) and brought up to date if stale.
func (s *Store) index() (*indexView, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.view != nil && s.fresh(s.view, !s.racyChecked) {
		return s.view, nil
	}
	s.loaded = nil
	if _, err := os.Stat(s.certDir()); errors.Is(err, os.ErrNotExist) {
		v, _ := parseIndex((&indexData{}).encode(time.Now()))
		s.view, s.racyChecked = v, true
		return v, nil
	}
	var v *indexView
	var mapped []byte
	if b, err := mapFile(s.indexPath()); err == nil {
		if v, err = parseIndex(b); err == nil {
			mapped = b
		} else {
			syscall.Munmap(b)
		}
	}
	setView := func(nv *indexView, m []byte) {
		if s.mapped != nil {
			syscall.Munmap(s.mapped)
		}
		s.view, s.mapped, s.racyChecked = nv, m, true
	}
	if v != nil && s.fresh(v, true) {
		setView(v, mapped)
		return v, nil
	}
	d := &indexData{}
	if v != nil {
		if dd, err := v.decode(); err == nil {
			d = dd
		}
	}
	modified, err := refresh(s.certDir(), d, false)
	if err != nil {
		if mapped != nil {
			syscall.Munmap(mapped)
		}
		return nil, err
	}
	if !modified && v != nil {
		// Only racy directories, and their listings match.
		setView(v, mapped)
		return v, nil
	}
	if mapped != nil {
		syscall.Munmap(mapped)
	}
	// Save the refreshed index if the write lock is free right now; a
	// reader never waits for a writer.
	if unlock, ok := s.tryLock(); ok {
		defer unlock()
		if _, err := refresh(s.certDir(), d, true); err != nil {
			return nil, err
		}
		if err := s.saveIndex(d); err == nil {
			return s.view, nil
		}
		// Could not save it: use it from memory.
	}
	nv, err := parseIndex(d.encode(time.Now()))
	if err != nil {
		return nil, err
	}
	setView(nv, nil)
	return nv, nil
}

// fresh reports whether the index describes the store as it is now; with
// checkRacy, directories marked racy count as possibly changed.
func (s *Store) fresh(v *indexView, checkRacy bool) bool {
	changed, racy, topChanged, err := staleDirs(s.certDir(), v.top, v.dirs)
	if err != nil || len(changed) > 0 || topChanged {
		return false
	}
	return !checkRacy || len(racy) == 0 && !(v.top.racy && settledSince(v.top.mtime))
}

func settledSince(mtime int64) bool { return time.Now().UnixNano()-mtime >= int64(racyWindow) }

// mapFile maps a file read-only. The index is only ever replaced by
// rename, so the mapping stays valid while the file is replaced.
func mapFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() < headerSize || fi.Size() > 1<<31 {
		return nil, errBadIndex
	}
	return syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
}

// readIndexData decodes the index file; a missing or invalid one gives an
// empty index, which a refresh then fills from the certificate files.
func (s *Store) readIndexData() *indexData {
	b, err := os.ReadFile(s.indexPath())
	if err == nil {
		if v, err := parseIndex(b); err == nil {
			if d, err := v.decode(); err == nil {
				return d
			}
		}
	}
	return &indexData{}
}

// lockedIndex is the index brought up to date by the lock holder, who
// also removes temp files that killed writers left behind.
func (s *Store) lockedIndex() (*indexData, error) {
	d := s.readIndexData()
	if names, err := readDirNames(s.indexDir()); err == nil {
		for _, n := range names {
			if strings.HasPrefix(n, tmpPrefix) {
				os.Remove(filepath.Join(s.indexDir(), n))
			}
		}
	}
	if _, err := refresh(s.certDir(), d, true); err != nil {
		return nil, err
	}
	return d, nil
}

// saveIndex writes the index (the caller holds the write lock and s.mu)
// and makes it this process's view.
func (s *Store) saveIndex(d *indexData) error {
	if err := os.MkdirAll(s.indexDir(), 0o700); err != nil {
		return err
	}
	// Creating the index directory changes the top directory.
	if ino, mtime, err := statDir(s.certDir()); err == nil && (ino != d.top.ino || mtime != d.top.mtime) {
		if _, err := refresh(s.certDir(), d, true); err != nil {
			return err
		}
	}
	enc := d.encode(time.Now())
	// Something other than a file at the index's place (bad input 30) is
	// ours to clear: the index directory belongs to front.
	if fi, err := os.Lstat(s.indexPath()); err == nil && !fi.Mode().IsRegular() {
		os.RemoveAll(s.indexPath())
	}
	// The index is written whole before it is renamed into place, but the
	// rename itself is not synced: a crash that loses it leaves the
	// previous index, whose directory states no longer match and which
	// the next reader therefore refreshes (one fsync less per write).
	tmp, err := writeTemp(s.indexDir(), enc, 0o644, true)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, s.indexPath()); err != nil {
		os.Remove(tmp)
		return err
	}
	v, err := parseIndex(enc)
	if err != nil {
		return err
	}
	if s.mapped != nil {
		syscall.Munmap(s.mapped)
		s.mapped = nil
	}
	s.view, s.racyChecked = v, true
	s.loaded = nil
	return nil
}

// Fingerprints lists every usable certificate, in insertion order.
func (s *Store) Fingerprints() ([][]byte, error) {
	v, err := s.index()
	if err != nil {
		return nil, err
	}
	all := make([]int, v.numCerts())
	for i := range all {
		all[i] = i
	}
	return v.fingerprintsInOrder(all), nil
}

// Problems describes the files in the store that look like certificates
// but cannot be used.
func (s *Store) Problems() []string {
	v, err := s.index()
	if err != nil {
		return nil
	}
	d, err := v.decode()
	if err != nil {
		return nil
	}
	var out []string
	for _, r := range d.rejected {
		out = append(out, fmt.Sprintf("ignoring certificate file %s: %s", filepath.Join(r.dir, r.name), r.reason))
	}
	return out
}

// Lookup returns the fingerprints of the certificates the index names for
// q, in insertion order. They are candidates: check them against the
// loaded certificate (q.MatchKey, q.MatchUserID).
func (s *Store) Lookup(q Query) ([][]byte, error) {
	v, err := s.index()
	if err != nil {
		return nil, err
	}
	var hits []int
	switch q.Kind {
	case QueryFingerprint:
		hits = v.certsByFingerprint(q.Fingerprint)
	case QueryKeyID:
		hits = v.certsByKeyID(q.KeyID)
	case QueryShortKeyID:
		hits = v.certsByShortKeyID(uint32(q.KeyID))
	case QueryMail:
		hits = v.certsByMail([]byte(q.Text))
	case QueryMailSub:
		hits = v.certsByMailSubstring([]byte(q.Text))
	case QueryExact:
		hits = v.certsByExactUID([]byte(q.Text))
	case QuerySubstring:
		hits = v.certsByUIDSubstring([]byte(q.Text))
	}
	return v.fingerprintsInOrder(hits), nil
}

// fingerprintsInOrder returns the certificates' fingerprints, each once,
// in insertion order (gpg lists keys in keyring order).
func (v *indexView) fingerprintsInOrder(certs []int) [][]byte {
	sort.Slice(certs, func(i, j int) bool {
		si, sj := v.certSeq(certs[i]), v.certSeq(certs[j])
		return si < sj || si == sj && certs[i] < certs[j]
	})
	var out [][]byte
	for i, c := range certs {
		if (i > 0 && certs[i-1] == c) || c < 0 || c >= v.numCerts() {
			continue
		}
		out = append(out, append([]byte(nil), v.certFpr(c)...))
	}
	return out
}

// All loads every certificate. Files whose name is not a fingerprint are
// ignored; a file whose content does not match its name is skipped with a
// warning (bad input 30).
func (s *Store) All(warn func(string)) (openpgp.EntityList, error) {
	fprs, err := s.Fingerprints()
	if err != nil {
		return nil, err
	}
	if warn != nil {
		for _, p := range s.Problems() {
			warn(p)
		}
	}
	var out openpgp.EntityList
	for _, fpr := range fprs {
		e, err := s.Get(fpr)
		if err != nil {
			if warn != nil && !errors.Is(err, os.ErrNotExist) {
				warn(fmt.Sprintf("ignoring certificate file %s: %v", s.relPath(fpr), err))
			}
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

func (s *Store) relPath(fpr []byte) string {
	rel, _ := filepath.Rel(s.certDir(), s.CertPath(fpr))
	return rel
}

// Get loads one certificate; os.ErrNotExist if absent.
func (s *Store) Get(fpr []byte) (*openpgp.Entity, error) {
	k := hex.EncodeToString(fpr)
	s.mu.Lock()
	e := s.loaded[k]
	s.mu.Unlock()
	if e != nil {
		return e, nil
	}
	data, err := s.GetRaw(fpr)
	if err != nil {
		return nil, err
	}
	e, err = EntityFromCert(data, fpr)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.loaded == nil {
		s.loaded = map[string]*openpgp.Entity{}
	}
	s.loaded[k] = e
	s.mu.Unlock()
	return e, nil
}

// GetRaw reads one certificate file as stored.
func (s *Store) GetRaw(fpr []byte) ([]byte, error) {
	data, _, err := readCertFile(s.CertPath(fpr))
	return data, err
}

// readCertFile reads a certificate file that must be a regular file (not
// followed through a symlink, no blocking on a fifo) of at most
// maxCertFile bytes.
func readCertFile(path string) ([]byte, os.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, nil, errors.New("not a regular file")
		}
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, errors.New("not a regular file")
	}
	if fi.Size() > maxCertFile {
		return nil, nil, errors.New("certificate file too large")
	}
	data, err := io.ReadAll(io.LimitReader(f, maxCertFile+1))
	if err != nil {
		return nil, nil, err
	}
	if len(data) > maxCertFile {
		return nil, nil, errors.New("certificate file too large")
	}
	return data, fi, nil
}

// Put writes a certificate (public parts only). The caller holds the lock.
func (s *Store) Put(e *openpgp.Entity) error {
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		return err
	}
	b := s.NewBatch()
	b.Put(e.PrimaryKey.Fingerprint, buf.Bytes())
	return b.Commit()
}

// Delete removes a certificate. The caller holds the lock.
func (s *Store) Delete(fpr []byte) error {
	d, err := s.lockedIndex()
	if err != nil {
		return err
	}
	if err := os.Remove(s.CertPath(fpr)); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(s.CertPath(fpr))); err != nil {
		return err
	}
	if err := s.forgetOrigin(fpr); err != nil {
		return err
	}
	if _, err := refresh(s.certDir(), d, true); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saveIndex(d)
}

// Batch collects certificate writes and commits them together: one sync
// for all files, then the renames, then one index update. The caller holds
// the write lock from before the first Get until after Commit.
type Batch struct {
	s       *Store
	pending map[string][]byte
	order   []string
	// origins is the origins file as this batch leaves it (origin.go),
	// read on first use; originsChanged: the batch changed it.
	origins        *Origins
	originsChanged bool
}

// NewBatch starts a batch of writes.
func (s *Store) NewBatch() *Batch { return &Batch{s: s, pending: map[string][]byte{}} }

// Put queues the certificate data for the primary fingerprint fpr.
func (b *Batch) Put(fpr, data []byte) {
	k := hex.EncodeToString(fpr)
	if _, ok := b.pending[k]; !ok {
		b.order = append(b.order, k)
	}
	b.pending[k] = data
}

// GetRaw is the certificate as the batch would leave it: queued data, else
// the stored file.
func (b *Batch) GetRaw(fpr []byte) ([]byte, error) {
	if d, ok := b.pending[hex.EncodeToString(fpr)]; ok {
		return d, nil
	}
	return b.s.GetRaw(fpr)
}

// Len is the number of queued certificates.
func (b *Batch) Len() int { return len(b.order) }

// Commit writes the queued certificates and updates the index. A crash
// at any point leaves every certificate either old or new (never partial)
// and at worst a stale index, which the next reader or writer rebuilds
// from the files, and temp files, which are ignored and removed by the
// next writer.
func (b *Batch) Commit() error {
	if len(b.order) == 0 {
		return nil
	}
	s := b.s
	d, err := s.lockedIndex()
	if err != nil {
		return err
	}
	type staged struct{ tmp, final string }
	var files []staged
	defer func() {
		for _, f := range files {
			os.Remove(f.tmp)
		}
	}()
	syncEach := len(b.order) <= 8
	dirs := map[string]bool{}
	newDir := false // a subdirectory was made: the top directory changed
	for _, k := range b.order {
		fpr, _ := hex.DecodeString(k)
		final := s.CertPath(fpr)
		dir := filepath.Dir(final)
		if !dirs[dir] {
			if _, err := os.Lstat(dir); err != nil {
				newDir = true
			}
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		dirs[dir] = true
		tmp, err := writeTemp(dir, b.pending[k], 0o644, syncEach)
		if err != nil {
			return err
		}
		files = append(files, staged{tmp, final})
	}
	if err := writeOrderJournal(s.certDir(), b.order); err != nil {
		return err
	}
	// Many files: one syncfs for all of them instead of an fsync each.
	if !syncEach {
		if err := syncFS(s.certDir()); err != nil {
			return err
		}
	}
	for i, f := range files {
		if err := os.Rename(f.tmp, f.final); err != nil {
			files = files[i:]
			return err
		}
	}
	files = nil
	if syncEach {
		for dir := range dirs {
			if err := syncDir(dir); err != nil {
				return err
			}
		}
		if newDir {
			syncDir(s.certDir())
		}
	} else if err := syncFS(s.certDir()); err != nil {
		return err
	}
	// The origins after the certificates: a crash in between leaves a
	// new certificate with its old (or an unknown) origin.
	if o := b.batchOrigins(); b.originsChanged || o.damaged {
		if err := s.writeOrigins(o); err != nil {
			return err
		}
	}
	order := make([][]byte, len(b.order))
	for i, k := range b.order {
		order[i], _ = hex.DecodeString(k)
	}
	if _, err := refresh(s.certDir(), d, true, order...); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.saveIndex(d); err != nil {
		return err
	}
	os.Remove(orderJournalPath(s.certDir()))
	// The checks made while reading what was just written (and anything
	// else this process checked).
	s.saveMemo()
	return nil
}

// SaveMemo saves the signature checks this process remembered outside a
// commit (a listing after an import checks the certifications that trust
// needs), if the write lock is free at once: a reader never waits for a
// writer, and a later reader saves what this one could not.
func (s *Store) SaveMemo() {
	if s.memo == nil || !s.memo.Pending() {
		return
	}
	unlock, ok := s.tryLock()
	if !ok {
		return
	}
	defer unlock()
	s.saveMemo()
}

// saveMemo saves the memo; the caller holds the write lock. A failure
// costs later runs only time.
func (s *Store) saveMemo() {
	if s.memo == nil {
		return
	}
	s.memo.Save(func(path string, data []byte) error {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		return replaceFile(path, data, 0o644)
	})
}

// writeTemp writes data to a new temp file in dir (fsync'ed if sync).
func writeTemp(dir string, data []byte, perm os.FileMode, sync bool) (string, error) {
	tmp, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return "", err
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return "", err
	}
	if err := tmp.Chmod(perm); err != nil {
		return "", err
	}
	if sync {
		if err := tmp.Sync(); err != nil {
			return "", err
		}
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	ok = true
	return name, nil
}

func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

// WriteAtomic replaces path with data: a crash leaves the old or the new
// content, never a mix, and at worst a stray temp file readers ignore.
func WriteAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, data, perm, true)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// replaceFile is WriteAtomic without syncing the directory after the
// rename, for the files of the index directory that other state does not
// depend on (origins, the signature memo; the index is written so too): a
// crash that loses the rename leaves the previous file, which is a state
// the store has been in. The data is still synced before the rename, so
// the name never points at a file whose contents were lost.
func replaceFile(path string, data []byte, perm os.FileMode) error {
	tmp, err := writeTemp(filepath.Dir(path), data, perm, true)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func isLowerHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// SecretInfo is what front knows about one secret (sub)key.
type SecretInfo struct {
	Primary   []byte
	Protected bool
	Stub      bool
	// CardSerial is the serial number of the card holding the key (a
	// Stub), "" if it is not on a card.
	CardSerial string
}

// SecretKeys maps uppercase hex (sub)key fingerprints to what keyhelper
// last reported. ok=false means the list is missing or older than one of
// the secret directories (ours, and GnuPG's whose keys keyhelper also
// lists), and front should ask keyhelper (stat only: front never opens
// anything inside them).
func (s *Store) SecretKeys(secretDirs ...string) (m map[string]SecretInfo, ok bool) {
	path := filepath.Join(s.Home, secretListName)
	st, err := os.Stat(path)
	if err != nil {
		return nil, false
	}
	for _, dir := range secretDirs {
		if dst, err := os.Stat(dir); err == nil && dst.ModTime().After(st.ModTime()) {
			return nil, false
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	m = map[string]SecretInfo{}
	sc := bufio.NewScanner(io.LimitReader(f, maxSecretList))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 && len(fields) != 4 {
			continue
		}
		p, err := hex.DecodeString(fields[1])
		if err != nil {
			continue
		}
		info := SecretInfo{Primary: p, Protected: strings.Contains(fields[2], "p"), Stub: strings.Contains(fields[2], "#")}
		if len(fields) == 4 {
			info.CardSerial = fields[3]
		}
		m[strings.ToUpper(fields[0])] = info
	}
	return m, true
}

// WriteSecretKeys records keyhelper's listing.
func (s *Store) WriteSecretKeys(entries map[string]SecretInfo) error {
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteString("# fingerprint primary flags (p protected, # stub, - none) [card serial]; written from keyhelper's answers\n")
	for _, k := range keys {
		e := entries[k]
		flags := ""
		if e.Protected {
			flags += "p"
		}
		if e.Stub {
			flags += "#"
		}
		if flags == "" {
			flags = "-"
		}
		fmt.Fprintf(&b, "%s %X %s", k, e.Primary, flags)
		if e.CardSerial != "" && !strings.ContainsFunc(e.CardSerial, unicode.IsSpace) {
			b.WriteString(" " + e.CardSerial)
		}
		b.WriteString("\n")
	}
	return WriteAtomic(filepath.Join(s.Home, secretListName), b.Bytes(), 0o600)
}

// StateDigest names the store's current contents: the set of certificates
// and the version of each file (as the fresh index records them). Equal
// digests mean nothing in the store changed.
func (s *Store) StateDigest() ([]byte, error) {
	v, err := s.index()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(v.secs[secCerts])
	return sum[:], nil
}

// CachePath is where front keeps a derived cache file of this store (the
// index's directory).
func (s *Store) CachePath(name string) string { return filepath.Join(s.indexDir(), name) }
