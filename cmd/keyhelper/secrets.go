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
// whose primary fingerprint matches the file name (bad input 30).
func (s *secretStore) load(primary []byte) (*openpgp.Entity, error) {
	_, e, err := s.loadRaw(primary)
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

// primaries lists the fingerprints of stored keys from the file names;
// stray names are ignored.
func (s *secretStore) primaries() ([][]byte, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, keySuffix) {
			continue
		}
		fpr, err := hex.DecodeString(strings.TrimSuffix(name, keySuffix))
		if err != nil || (len(fpr) != 20 && len(fpr) != 32) {
			continue
		}
		out = append(out, fpr)
		if len(out) >= maxSecretFiles {
			break
		}
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i], out[j]) < 0 })
	return out, nil
}

// find returns the key holding the (sub)key fingerprint fpr.
func (s *secretStore) find(fpr []byte) (*openpgp.Entity, *packet.PrivateKey, error) {
	prims, err := s.primaries()
	if err != nil {
		return nil, nil, err
	}
	for _, p := range prims {
		e, err := s.load(p)
		if err != nil {
			continue
		}
		if bytes.Equal(e.PrimaryKey.Fingerprint, fpr) {
			return e, e.PrivateKey, nil
		}
		for _, sk := range e.Subkeys {
			if bytes.Equal(sk.PublicKey.Fingerprint, fpr) && sk.PrivateKey != nil {
				return e, sk.PrivateKey, nil
			}
		}
	}
	return nil, nil, &ipc.Error{Code: ipc.ErrCodeNoSecretKey, Message: "no secret key"}
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
		add := func(k *packet.PrivateKey) {
			if k == nil {
				return
			}
			out = append(out, ipc.SecretEntry{Fingerprint: k.Fingerprint, Primary: p, Protected: k.Encrypted, Stub: k.Dummy(),
				CardSerial: s.cardSerial(p, k.Fingerprint)})
		}
		add(e.PrivateKey)
		for _, sk := range e.Subkeys {
			add(sk.PrivateKey)
		}
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
