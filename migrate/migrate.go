// Package migrate moves a home in from GnuPG: it reads GnuPG's public
// keyring (pubring.kbx, or pubring.gpg of GnuPG 1.x homes) and its
// trustdb.gpg, hands what they hold to an Importer (front's own import
// path), and remembers what it imported in a state file so that later
// runs notice when GnuPG changed its files.
//
// Invariants:
//   - GnuPG's files are only opened for reading; nothing here writes,
//     moves or deletes them, so the user can go back to GnuPG at any time.
//   - The state file is written last, atomically, after every import
//     step has committed. A run killed before that leaves a "pending"
//     state (or none), and the next run does the whole import again;
//     imports are idempotent, so redoing one is harmless.
//   - Runs serialize on an flock'ed lock file: concurrent processes on one
//     home import once, the others find the state written and go on.
//   - A re-import after a completed one hands over only the keybox's
//     keyblocks whose digests the last one did not record; any doubt
//     (pending state, forced run, unreadable digests) means a full one.
package migrate

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/frontpgp/front/gnupg/keybox"
	"github.com/frontpgp/front/gnupg/trustdb"
	"github.com/frontpgp/front/store"
)

// GnuPG's files in a home, in the order they are stamped.
const (
	KeyboxName  = "pubring.kbx"
	KeyringName = "pubring.gpg"
	TrustdbName = "trustdb.gpg"
)

const (
	// StateName is the state file in the home: what was imported, from
	// which versions of GnuPG's files. Deleting it makes the next run
	// import again.
	StateName = "frontpgp-gnupg-import"
	lockName  = "frontpgp-gnupg-import.lock"
	maxState  = 4096
	// digestsName holds the SHA-256 of every keybox keyblock the last
	// import took, 32 bytes each, so that a re-import after GnuPG changed
	// its keybox hands over only the keyblocks that are new or changed.
	digestsName = "frontpgp-gnupg-import.keyblocks"
	maxDigests  = 32 << 20 // a million keyblocks
	// maxKeyring bounds a plain keyring read into memory, as
	// keybox.MaxFile bounds a keybox.
	maxKeyring = keybox.MaxFile

	stateHeader = "# frontpgp: imported from GnuPG's files (delete this file to import them again)"
	pendingLine = "pending"

	// racyWindow: a file modified this close to the time it was read may
	// change again within the file system's timestamp granularity without
	// its stamp changing (gpg updates trustdb.gpg in place); such a stamp
	// is not trusted and the next run imports again.
	racyWindow = time.Second
)

// secretDirName and secringName are where GnuPG keeps secret keys: only
// keyhelper reads them (Importer.Secrets); front stats them so that a
// secret key GnuPG adds, with no change to its public keyring, is picked
// up too. A stat of the directory reads nothing of its contents.
const (
	secretDirName = "private-keys-v1.d"
	secringName   = "secring.gpg"
)

var sourceNames = [...]string{KeyboxName, KeyringName, TrustdbName, secretDirName, secringName}

// fileStamp identifies one version of a file; the zero value is "absent".
type fileStamp struct {
	Size, MtimeNs int64
	Ino           uint64
}

// Stamp is the stamps of GnuPG's three files.
type Stamp [len(sourceNames)]fileStamp

func stampOf(fi os.FileInfo) fileStamp {
	st, _ := fi.Sys().(*syscall.Stat_t)
	s := fileStamp{Size: fi.Size(), MtimeNs: fi.ModTime().UnixNano()}
	if st != nil {
		s.Ino = st.Ino
	}
	return s
}

// currentStamp stats GnuPG's files (no reading).
func currentStamp(home string) Stamp {
	var s Stamp
	for i, name := range sourceNames {
		fi, err := os.Stat(filepath.Join(home, name))
		if err == nil && (fi.Mode().IsRegular() || name == secretDirName && fi.IsDir()) {
			s[i] = stampOf(fi)
		}
	}
	return s
}

// hasData tells whether the files hold anything to import: more than
// the header blob of an empty keybox, a keyring, or more than the
// version record of a fresh trustdb (front itself leaves an empty
// trustdb.gpg for the clients that look for one).
func (s Stamp) hasData() bool {
	return s[0].Size > 32 || s[1].Size > 0 || s[2].Size > trustdb.RecordLen
}

// state is the parsed state file.
type state struct {
	pending bool
	stamp   Stamp
}

func readState(home string) (*state, error) {
	f, err := os.Open(filepath.Join(home, StateName))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxState+1))
	if err != nil {
		return nil, err
	}
	return parseState(data)
}

// parseState reads the state file's lines: comments, "pending", and
// "NAME SIZE MTIME_NS INODE" per file.
func parseState(data []byte) (*state, error) {
	if len(data) > maxState {
		return nil, errors.New("state file too large")
	}
	st := &state{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		if line == pendingLine {
			st.pending = true
			continue
		}
		f := strings.Fields(line)
		if len(f) != 4 {
			return nil, fmt.Errorf("bad state line %q", line)
		}
		i := indexOf(f[0])
		size, err1 := strconv.ParseInt(f[1], 10, 64)
		mtime, err2 := strconv.ParseInt(f[2], 10, 64)
		ino, err3 := strconv.ParseUint(f[3], 10, 64)
		if i < 0 || err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("bad state line %q", line)
		}
		st.stamp[i] = fileStamp{Size: size, MtimeNs: mtime, Ino: ino}
	}
	return st, nil
}

func indexOf(name string) int {
	for i, n := range sourceNames {
		if n == name {
			return i
		}
	}
	return -1
}

func (st *state) marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintln(&b, stateHeader)
	if st.pending {
		fmt.Fprintln(&b, pendingLine)
	}
	for i, name := range sourceNames {
		if s := st.stamp[i]; s != (fileStamp{}) {
			fmt.Fprintf(&b, "%s %d %d %d\n", name, s.Size, s.MtimeNs, s.Ino)
		}
	}
	return b.Bytes()
}

// Need is why an import is due.
type Need int

const (
	// NotNeeded: nothing to do.
	NotNeeded Need = iota
	// First: GnuPG's home, no store of ours yet.
	First
	// Redo: an earlier import did not finish.
	Redo
	// Changed: GnuPG changed its files since the last import.
	Changed
)

// Check is the cheap test made on every start: a few stats and a read
// of the small state file. storeEmpty is asked only when the home has
// GnuPG data and no state file (a store of ours that is not empty was
// not made by an import, and is left alone unless the user asks).
func Check(home string, storeEmpty func() bool) Need {
	st, err := readState(home)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return Redo // unreadable state: import again, then rewrite it
		}
		if currentStamp(home).hasData() && storeEmpty() {
			return First
		}
		return NotNeeded
	}
	if st.pending {
		return Redo
	}
	if st.stamp != currentStamp(home) {
		return Changed
	}
	return NotNeeded
}

// Importer takes GnuPG's data into front's store. Each call commits its
// own writes (atomically, under the store's lock).
type Importer interface {
	// Keys imports binary transferable public keys; it returns how
	// many keyblocks were processed.
	Keys(data []byte) (int, error)
	// Ownertrust records the values; it returns how many it took.
	Ownertrust(db *trustdb.DB) (int, error)
	// Secrets imports GnuPG's secret keys whose certificates are in the
	// store (keyhelper reads them); it returns how many keys have them.
	Secrets() (int, error)
}

// Result says what a run did.
type Result struct {
	// Done is false when another process had done the import already.
	Done bool
	// Sources are GnuPG's files that were read.
	Sources []string
	// Keys, Ownertrust and Secrets are the importer's counts.
	Keys, Ownertrust, Secrets int
	// Skipped counts keybox blobs gpg itself ignores (ephemeral, too
	// large).
	Skipped int
	// Warnings are problems that did not stop the import (a damaged
	// trustdb: the values before the damage are taken, as gpg's export
	// takes them).
	Warnings []string
}

// Run imports GnuPG's files under the lock. Unless force is set, it does
// nothing when the state file (re-read under the lock) matches GnuPG's
// files. The trustdb's values are imported only when trustdb.gpg changed
// since the last import (or on the first and forced runs), so that
// ownertrust set with front afterwards is not overwritten by stale values.
func Run(home string, imp Importer, force bool) (*Result, error) {
	lock, err := os.OpenFile(filepath.Join(home, lockName), os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, err
	}
	old, err := readState(home)
	if err != nil {
		old = nil
	}
	res := &Result{}
	if !force && old != nil && !old.pending && old.stamp == currentStamp(home) {
		return res, nil
	}
	res.Done = true
	statePath := filepath.Join(home, StateName)
	pending := &state{pending: true}
	if old != nil {
		pending.stamp = old.stamp
	}
	if err := store.WriteAtomic(statePath, pending.marshal(), 0o600); err != nil {
		return nil, err
	}
	// files not read keep the stamp of a stat, so an unused pubring.gpg
	// next to the keybox does not look changed at the next Check
	start := time.Now()
	done := state{stamp: currentStamp(home)}
	for i := range done.stamp {
		done.stamp[i] = unlessRacy(done.stamp[i], start)
	}

	// Public keys: the keybox, else the GnuPG 1.x keyring, as gpg 2.2
	// picks its default keyring.
	var newDigests []byte
	keys, err := readSource(home, KeyboxName, keybox.MaxFile, &done.stamp, start)
	if errors.Is(err, os.ErrNotExist) {
		keys, err = readSource(home, KeyringName, maxKeyring, &done.stamp, start)
		if err == nil {
			res.Sources = append(res.Sources, KeyringName)
		}
	} else if err == nil {
		res.Sources = append(res.Sources, KeyboxName)
		if !keybox.IsKeybox(keys) {
			return nil, fmt.Errorf("%s: not a keybox", KeyboxName)
		}
		kbx, err := keybox.Read(keys)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", KeyboxName, err)
		}
		res.Skipped = kbx.Skipped
		// a re-import after a completed one takes only the keyblocks
		// the last one did not see (an unchanged keyblock would merge
		// as unchanged anyway, and a key deleted in front stays so)
		var seen map[[32]byte]bool
		if !force && old != nil && !old.pending {
			seen = readDigests(home)
		}
		var fresh [][]byte
		for _, kb := range kbx.Keyblocks {
			d := sha256.Sum256(kb)
			newDigests = append(newDigests, d[:]...)
			if !seen[d] {
				fresh = append(fresh, kb)
			}
		}
		keys = bytes.Join(fresh, nil)
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if len(keys) > 0 {
		if res.Keys, err = imp.Keys(keys); err != nil {
			return nil, err
		}
	}

	tdb, err := readSource(home, TrustdbName, trustdb.MaxFile, &done.stamp, start)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	case force || old == nil || old.pending || old.stamp[2] != done.stamp[2]:
		res.Sources = append(res.Sources, TrustdbName)
		db, perr := trustdb.Parse(tdb)
		if perr != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %v", TrustdbName, perr))
		}
		if db != nil && len(db.Ownertrust) > 0 {
			if res.Ownertrust, err = imp.Ownertrust(db); err != nil {
				return nil, err
			}
		}
	}

	if res.Secrets, err = imp.Secrets(); err != nil {
		return nil, err
	}
	// before the state: a crash in between leaves the state pending, and
	// a pending state means a full import
	if err := store.WriteAtomic(filepath.Join(home, digestsName), newDigests, 0o600); err != nil {
		return nil, err
	}
	if err := store.WriteAtomic(statePath, done.marshal(), 0o600); err != nil {
		return nil, err
	}
	return res, nil
}

// readDigests reads the keyblock digests of the last import; anything
// wrong with the file makes an empty set (a full import).
func readDigests(home string) map[[32]byte]bool {
	f, err := os.Open(filepath.Join(home, digestsName))
	if err != nil {
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxDigests+1))
	if err != nil {
		return nil
	}
	return parseDigests(data)
}

// parseDigests splits the file into 32-byte digests; a file of another
// size (or over the cap) is no set at all.
func parseDigests(data []byte) map[[32]byte]bool {
	if len(data) > maxDigests || len(data)%32 != 0 {
		return nil
	}
	m := make(map[[32]byte]bool, len(data)/32)
	for i := 0; i < len(data); i += 32 {
		m[[32]byte(data[i:i+32])] = true
	}
	return m
}

// readSource reads one of GnuPG's files read-only and records the stamp
// of exactly the version read (taken from the open file). A file changed
// too recently for its stamp to be trusted gets a stamp no file has, so
// the next Check asks for another import.
func readSource(home, name string, max int64, stamp *Stamp, now time.Time) ([]byte, error) {
	// a symlink is followed, as gpg follows it (dotfile managers link
	// these files); the stamps of Check stat the target too
	f, err := os.Open(filepath.Join(home, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s: file too large", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: file too large", name)
	}
	stamp[indexOf(name)] = unlessRacy(stampOf(fi), now)
	return data, nil
}

// unlessRacy is s, or s with a modification time no file has when the
// file changed less than racyWindow before now.
func unlessRacy(s fileStamp, now time.Time) fileStamp {
	if s != (fileStamp{}) && now.UnixNano()-s.MtimeNs < int64(racyWindow) {
		s.MtimeNs = -1
	}
	return s
}
