// Package store is front's public side of the home: certificates in the
// cert-d layout (draft-nwjw-openpgp-cert-d), and the public list of which
// keys have secrets (written from keyhelper's answers, so front never looks
// into the secret store itself).
//
// Writers serialize on a flock'ed "writelock" file and replace files by
// temp file + fsync + rename; readers take no lock and always see either
// the old or the new file.
package store

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/ProtonMail/go-crypto/openpgp"
)

const (
	certDirName    = "pubring.cert.d"
	secretListName = "secret-keys.list"
	maxCertFile    = 64 << 20
	maxSecretList  = 1 << 20
)

// Store is one home directory.
type Store struct {
	Home string
}

// Open prepares the home (created 0700 if missing, as gpg does).
func Open(home string) (*Store, error) {
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	return &Store{Home: home}, nil
}

func (s *Store) certDir() string { return filepath.Join(s.Home, certDirName) }

// CertPath is where the certificate with fingerprint fpr lives.
func (s *Store) CertPath(fpr []byte) string {
	h := hex.EncodeToString(fpr)
	return filepath.Join(s.certDir(), h[:2], h[2:])
}

// Lock takes the store's write lock until the returned func is called.
func (s *Store) Lock() (func(), error) {
	if err := os.MkdirAll(s.certDir(), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(s.certDir(), "writelock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// All loads every certificate. Files whose name is not a fingerprint are
// ignored; a file whose content does not match its name is skipped with a
// warning (bad input 30).
func (s *Store) All(warn func(string)) (openpgp.EntityList, error) {
	var out openpgp.EntityList
	dirs, err := os.ReadDir(s.certDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		if !d.IsDir() || len(d.Name()) != 2 || !isLowerHex(d.Name()) {
			continue
		}
		files, err := os.ReadDir(filepath.Join(s.certDir(), d.Name()))
		if err != nil {
			continue
		}
		for _, f := range files {
			name := d.Name() + f.Name()
			if !f.Type().IsRegular() || (len(name) != 40 && len(name) != 64) || !isLowerHex(name) {
				continue
			}
			fpr, _ := hex.DecodeString(name)
			e, err := s.load(fpr)
			if err != nil {
				if warn != nil {
					warn(fmt.Sprintf("ignoring certificate file %s: %v", filepath.Join(d.Name(), f.Name()), err))
				}
				continue
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// Get loads one certificate; os.ErrNotExist if absent.
func (s *Store) Get(fpr []byte) (*openpgp.Entity, error) { return s.load(fpr) }

func (s *Store) load(fpr []byte) (e *openpgp.Entity, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, err = nil, fmt.Errorf("unparseable certificate")
		}
	}()
	f, err := os.Open(s.CertPath(fpr))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCertFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxCertFile {
		return nil, errors.New("certificate file too large")
	}
	el, err := openpgp.ReadKeyRing(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if len(el) != 1 || !bytes.Equal(el[0].PrimaryKey.Fingerprint, fpr) {
		return nil, errors.New("content does not match file name")
	}
	return el[0], nil
}

// Put writes a certificate (public parts only). The caller holds the lock.
func (s *Store) Put(e *openpgp.Entity) error {
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		return err
	}
	path := s.CertPath(e.PrimaryKey.Fingerprint)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return WriteAtomic(path, buf.Bytes(), 0o644)
}

// Delete removes a certificate. The caller holds the lock.
func (s *Store) Delete(fpr []byte) error {
	err := os.Remove(s.CertPath(fpr))
	if err == nil {
		syncDir(filepath.Dir(s.CertPath(fpr)))
	}
	return err
}

// WriteAtomic replaces path with data: a crash leaves the old or the new
// content, never a mix, and at worst a stray temp file readers ignore.
func WriteAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
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
}

// SecretKeys maps uppercase hex (sub)key fingerprints to what keyhelper
// last reported. ok=false means the list is missing or older than the
// secret directory, and front should ask keyhelper (stat only: front never
// opens anything inside the secret store).
func (s *Store) SecretKeys(secretDir string) (m map[string]SecretInfo, ok bool) {
	path := filepath.Join(s.Home, secretListName)
	st, err := os.Stat(path)
	if err != nil {
		return nil, false
	}
	if dst, err := os.Stat(secretDir); err == nil && dst.ModTime().After(st.ModTime()) {
		return nil, false
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
		if len(fields) != 3 {
			continue
		}
		p, err := hex.DecodeString(fields[1])
		if err != nil {
			continue
		}
		m[strings.ToUpper(fields[0])] = SecretInfo{Primary: p, Protected: strings.Contains(fields[2], "p"), Stub: strings.Contains(fields[2], "#")}
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
	b.WriteString("# fingerprint primary flags (p protected, # stub, - none); written from keyhelper's answers\n")
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
		fmt.Fprintf(&b, "%s %X %s\n", k, e.Primary, flags)
	}
	return WriteAtomic(filepath.Join(s.Home, secretListName), b.Bytes(), 0o600)
}
