package main

import (
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
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/gnupg/agentkey"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/pgp"
)

// secretStore is the directory of secret keys: one file per primary key,
// named by its lowercase hex fingerprint plus ".key", holding the binary
// transferable secret key exactly as it is protected at rest.
type secretStore struct {
	dir      string
	lockFile *os.File // the held write lock (lock)
	// cards maps a loaded primary's upper-case hex fingerprint to the card
	// serials of its keys on a card (pgp.ReadCardStubs). write puts them
	// back, so a key rewritten after go-crypto parsed it (which knows only
	// GNU dummies) keeps its divert-to-card packets.
	cards map[string]map[string]string

	// GnuPG's files of the same home (gnupg.go): private-keys-v1.d ("":
	// none) and secring.gpg, opened before the lockdown (nil: none).
	gnupgDir  string
	secring   *os.File
	gnupgKeys map[string]*agentkey.Key // hex fpr -> key file, filled by loadRef
}

const (
	keySuffix      = ".key"
	maxSecretFile  = 4 << 20
	maxSecretFiles = 4096
)

func (s *secretStore) path(primary []byte) string {
	return filepath.Join(s.dir, hex.EncodeToString(primary)+keySuffix)
}

// load reads one secret key file. It is capped and must hold exactly one key
// whose primary fingerprint matches the file name (bad input 30). A key
// whose secrets GnuPG keeps is read from its record (loadRef).
func (s *secretStore) load(primary []byte) (*openpgp.Entity, error) {
	_, e, err := s.loadRaw(primary)
	if errors.Is(err, os.ErrNotExist) {
		if r, rerr := s.loadRef(primary); rerr == nil {
			return r, nil
		}
	}
	return e, err
}

// loadRaw is load that also returns the file's bytes.
func (s *secretStore) loadRaw(primary []byte) ([]byte, *openpgp.Entity, error) {
	f, err := os.Open(s.path(primary))
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return nil, nil, err
	}
	if len(data) > maxSecretFile {
		return nil, nil, fmt.Errorf("secret key file too large")
	}
	parseable, serials, err := pgp.ReadCardStubs(data)
	if err != nil {
		return nil, nil, err
	}
	el, err := readKeyRing(parseable)
	if err != nil {
		return nil, nil, err
	}
	s.setCards(primary, serials)
	if len(el) != 1 || !bytes.Equal(el[0].PrimaryKey.Fingerprint, primary) || el[0].PrivateKey == nil {
		return nil, nil, fmt.Errorf("secret key file %x does not hold that key", primary)
	}
	return data, el[0], nil
}

// readKeyRing parses with a recover: go-crypto has known panics on hostile
// input (bad input 27), and a helper must answer with an error, not die.
func readKeyRing(data []byte) (el openpgp.EntityList, err error) {
	defer func() {
		if r := recover(); r != nil {
			el, err = nil, fmt.Errorf("invalid key data")
		}
	}()
	return openpgp.ReadKeyRing(bytes.NewReader(data))
}

// primaries lists the fingerprints of stored keys from the file names
// (our key files and records of GnuPG's keys); stray names are ignored.
func (s *secretStore) primaries() ([][]byte, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out [][]byte
	seen := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		base, ok := strings.CutSuffix(name, keySuffix)
		if !ok {
			base, ok = strings.CutSuffix(name, refSuffix)
		}
		if !e.Type().IsRegular() || !ok {
			continue
		}
		fpr, err := hex.DecodeString(base)
		if err != nil || (len(fpr) != 20 && len(fpr) != 32) || seen[base] {
			continue
		}
		seen[base] = true
		out = append(out, fpr)
		if len(out) >= maxSecretFiles {
			break
		}
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i], out[j]) < 0 })
	return out, nil
}

// find returns the key holding the (sub)key fingerprint fpr. The file
// of the primary key hint names (front's word for the certificate fpr
// belongs to; nil if unknown) and a primary key's own file are tried
// first: parsing every other file on the way costs an unprotected RSA
// key's validation each (about 4 ms for 3072 bits) before a signature or
// a decryption with another key can start. The hint only orders the
// search: what is returned holds fpr, whatever the hint said.
func (s *secretStore) find(fpr, hint []byte) (*openpgp.Entity, *packet.PrivateKey, error) {
	// A primary key's file: its secret, or nil for a key GnuPG keeps
	// without the primary's secret (the caller reports the stub).
	if e, err := s.load(fpr); err == nil {
		return e, e.PrivateKey, nil
	}
	tried := func(p []byte) bool { return bytes.Equal(p, fpr) }
	if len(hint) > 0 && !bytes.Equal(hint, fpr) {
		if e, err := s.load(hint); err == nil {
			if priv := secretOf(e, fpr); priv != nil {
				return e, priv, nil
			}
		}
		tried = func(p []byte) bool { return bytes.Equal(p, fpr) || bytes.Equal(p, hint) }
	}
	prims, err := s.primaries()
	if err != nil {
		return nil, nil, err
	}
	for _, p := range prims {
		if tried(p) {
			continue // tried above
		}
		e, err := s.load(p)
		if err != nil {
			continue
		}
		if priv := secretOf(e, fpr); priv != nil {
			return e, priv, nil
		}
	}
	return nil, nil, &ipc.Error{Code: ipc.ErrCodeNoSecretKey, Message: "no secret key"}
}

// secretOf returns the secret of e's primary key or subkey with
// fingerprint fpr, or nil.
func secretOf(e *openpgp.Entity, fpr []byte) *packet.PrivateKey {
	if bytes.Equal(e.PrimaryKey.Fingerprint, fpr) && e.PrivateKey != nil {
		return e.PrivateKey
	}
	for _, sk := range e.Subkeys {
		if bytes.Equal(sk.PublicKey.Fingerprint, fpr) && sk.PrivateKey != nil {
			return sk.PrivateKey
		}
	}
	return nil
}

// listing describes every stored secret (sub)key.
func (s *secretStore) listing() ([]ipc.SecretEntry, error) {
	prims, err := s.primaries()
	if err != nil {
		return nil, err
	}
	var out []ipc.SecretEntry
	for _, p := range prims {
		e, err := s.load(p)
		if err != nil {
			continue
		}
		var entries []ipc.SecretEntry
		add := func(pub *packet.PublicKey, k *packet.PrivateKey) {
			if k != nil {
				entries = append(entries, ipc.SecretEntry{Fingerprint: k.Fingerprint, Primary: p, Protected: k.Encrypted, Stub: k.Dummy(),
					CardSerial: s.cardSerial(p, k.Fingerprint)})
			} else if g := s.gnupgFile(pub.Fingerprint); g != nil && g.Protection == agentkey.Shadowed {
				// a GnuPG card stub: the key is on the card it names
				entries = append(entries, ipc.SecretEntry{Fingerprint: pub.Fingerprint, Primary: p, Stub: true, CardSerial: g.CardSerial})
			}
		}
		add(e.PrimaryKey, e.PrivateKey)
		for _, sk := range e.Subkeys {
			add(sk.PublicKey, sk.PrivateKey)
		}
		if len(entries) > 0 && e.PrivateKey == nil && s.gnupgFile(p) == nil {
			// GnuPG keeps a subkey's secret but not the primary's
			// (--export-secret-subkeys style): a stub, as our own store
			// lists a GNU dummy. With no secret left at all (gpg deleted
			// it) the key is not listed.
			entries = append([]ipc.SecretEntry{{Fingerprint: p, Primary: p, Stub: true}}, entries...)
		}
		out = append(out, entries...)
	}
	return out, nil
}

// setCards records card serials (keyed by fingerprint) for primary's
// next write.
func (s *secretStore) setCards(primary []byte, serials map[string]string) {
	if s.cards == nil {
		s.cards = map[string]map[string]string{}
	}
	s.cards[fmt.Sprintf("%X", primary)] = serials
}

// cardSerial is the serial of the card holding the key fpr of the loaded
// primary, or "".
func (s *secretStore) cardSerial(primary, fpr []byte) string {
	return s.cards[fmt.Sprintf("%X", primary)][fmt.Sprintf("%X", fpr)]
}

// lock takes the store's write lock for the life of the process (one
// operation per process, so the lock ends when the helper exits, even by
// kill -9: flock locks die with their file descriptor).
// Taking it again is a no-op: a second flock on a new descriptor would
// wait for the first one forever.
func (s *secretStore) lock() error {
	if s.lockFile != nil {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(s.dir, "writelock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return err
	}
	s.lockFile = f
	return nil
}

// write stores the secret key file of primary (writeFile), its card keys
// as divert-to-card packets.
func (s *secretStore) write(primary []byte, data []byte) error {
	data, err := pgp.WriteCardStubs(data, s.cards[fmt.Sprintf("%X", primary)])
	if err != nil {
		return err
	}
	return s.writeFile(filepath.Base(s.path(primary)), data)
}

// writeFile stores the store file name atomically: temp file, fsync,
// rename, fsync of the directory. A crash leaves either the old or the new
// file and at worst a stray temp file, which readers ignore.
func (s *secretStore) writeFile(name string, data []byte) error {
	tmp, err := os.CreateTemp(s.dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
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
	if err := os.Rename(tmp.Name(), filepath.Join(s.dir, name)); err != nil {
		return err
	}
	return s.syncDir()
}

func (s *secretStore) remove(primary []byte) error {
	if err := os.Remove(s.path(primary)); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return &ipc.Error{Code: ipc.ErrCodeNoSecretKey, Message: "no secret key"}
		}
		return err
	}
	return s.syncDir()
}

func (s *secretStore) syncDir() error {
	d, err := os.Open(s.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
