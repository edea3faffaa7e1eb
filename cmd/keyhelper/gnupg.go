package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/gnupg/agentkey"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/keylist"
	"github.com/frontpgp/front/pgp"
)

// Keys moved in from GnuPG. GnuPG 2.x keeps each secret (sub)key in
// private-keys-v1.d/<KEYGRIP>.key; GnuPG 1.x kept them in secring.gpg.
// keyhelper reads both and writes neither (landlock gives it no write
// right there), so GnuPG keeps working on the home and the user may go
// back at any time.
//
// A key whose secret GnuPG keeps is recorded in our store as
// <primary fpr>.gnupg: its public certificate, as front had it at
// migration. Its secrets stay in GnuPG's files and are unlocked on use
// with the passphrase GnuPG protects them with, so nothing needs a
// passphrase at migration and nothing secret is copied. secring.gpg's
// keys are OpenPGP secret keys protected as ours are: they are copied
// into the store as they are (same passphrase).
//
// A <fpr>.key of our own wins over a <fpr>.gnupg of the same key.
const (
	GnuPGKeyDir    = "private-keys-v1.d"
	secringName    = "secring.gpg"
	refSuffix      = ".gnupg"
	maxSecring     = 32 << 20
	maxGnuPGFiles  = 4096
	maxRefFile     = maxSecretFile
	keygripHexSize = 40
)

// openRegular opens a file of GnuPG's for reading when it is a regular
// file; nil otherwise. O_NONBLOCK: a FIFO put in its place must not hang
// keyhelper (the flag means nothing for a regular file).
func openRegular(path string) *os.File {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil
	}
	return f
}

// gnupgKeyFile reads and parses private-keys-v1.d/<grip>.key.
func (s *secretStore) gnupgKeyFile(grip string) (*agentkey.Key, error) {
	if s.gnupgDir == "" {
		return nil, os.ErrNotExist
	}
	f := openRegular(filepath.Join(s.gnupgDir, grip+".key"))
	if f == nil {
		return nil, os.ErrNotExist
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, agentkey.MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	return agentkey.Parse(data)
}

// secringKeys reads GnuPG 1.x's secring.gpg (opened before the lockdown);
// nil when the home has none. Its divert-to-card stubs (a key on a card)
// are read as GNU dummies, their card serials by fingerprint in cards.
func (s *secretStore) secringKeys() (el openpgp.EntityList, cards map[string]string, err error) {
	if s.secring == nil {
		return nil, nil, nil
	}
	if _, err := s.secring.Seek(0, io.SeekStart); err != nil {
		return nil, nil, err
	}
	data, err := io.ReadAll(io.LimitReader(s.secring, maxSecring+1))
	if err != nil {
		return nil, nil, err
	}
	if len(data) > maxSecring {
		return nil, nil, fmt.Errorf("%s is larger than %d bytes", secringName, maxSecring)
	}
	data, cards, err = pgp.ReadCardStubs(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", secringName, err)
	}
	all, err := readKeyRing(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", secringName, err)
	}
	for _, e := range all {
		if e.PrivateKey != nil {
			el = append(el, e)
		}
	}
	return el, cards, nil
}

// gnupgList lists GnuPG's readable key files and secring.gpg's keys.
// Files this package cannot read are left out, as gpg-agent would fail
// on them too.
func (s *secretStore) gnupgList() (*ipc.GnuPGListResult, error) {
	res := &ipc.GnuPGListResult{}
	if s.gnupgDir != "" {
		entries, err := os.ReadDir(s.gnupgDir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		for _, ent := range entries {
			name := ent.Name()
			grip, ok := strings.CutSuffix(name, ".key")
			if !ok || len(grip) != keygripHexSize || !ent.Type().IsRegular() {
				continue
			}
			g, err := hex.DecodeString(grip)
			if err != nil {
				continue
			}
			k, err := s.gnupgKeyFile(grip)
			if err != nil {
				continue
			}
			res.Keys = append(res.Keys, ipc.GnuPGKey{Keygrip: g, Protection: uint8(k.Protection), CardSerial: k.CardSerial})
			if len(res.Keys) >= maxGnuPGFiles {
				break
			}
		}
	}
	sec, _, err := s.secringKeys()
	if err != nil {
		// one damaged file of GnuPG 1.x does not stop the rest
		res.Problems = append(res.Problems, err.Error())
	}
	for _, e := range sec {
		res.Secring = append(res.Secring, e.PrimaryKey.Fingerprint)
	}
	return res, nil
}

func (s *secretStore) refPath(primary []byte) string {
	return filepath.Join(s.dir, hex.EncodeToString(primary)+refSuffix)
}

// loadRef reads the <fpr>.gnupg record of primary and attaches, to each
// (sub)key whose GnuPG key file is readable, what keyhelper can do with
// it: an unprotected key is converted at once; a protected one gets a
// locked placeholder that decryptKey opens with the passphrase; a card
// stub is remembered for the listing only.
func (s *secretStore) loadRef(primary []byte) (*openpgp.Entity, error) {
	f, err := os.Open(s.refPath(primary))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRefFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxRefFile {
		return nil, fmt.Errorf("record %x too large", primary)
	}
	el, err := readKeyRing(data)
	if err != nil || len(el) != 1 || !bytes.Equal(el[0].PrimaryKey.Fingerprint, primary) {
		return nil, fmt.Errorf("record %x does not hold that key", primary)
	}
	e := el[0]
	attach := func(pub *packet.PublicKey) *packet.PrivateKey {
		k, err := s.gnupgKeyFile(keylist.Keygrip(pub))
		if err != nil {
			return nil
		}
		if s.gnupgKeys == nil {
			s.gnupgKeys = map[string]*agentkey.Key{}
		}
		switch k.Protection {
		case agentkey.Clear:
			priv, err := k.PrivateKey(pub, nil)
			if err != nil {
				return nil
			}
			return priv
		case agentkey.Protected:
			s.gnupgKeys[hex.EncodeToString(pub.Fingerprint)] = k
			return &packet.PrivateKey{PublicKey: *pub, Encrypted: true}
		}
		s.gnupgKeys[hex.EncodeToString(pub.Fingerprint)] = k
		return nil
	}
	e.PrivateKey = attach(e.PrimaryKey)
	for i := range e.Subkeys {
		e.Subkeys[i].PrivateKey = attach(e.Subkeys[i].PublicKey)
	}
	return e, nil
}

// gnupgFile returns the GnuPG key file behind a (sub)key of a loaded
// record (protected keys and card stubs); nil for any other key.
func (s *secretStore) gnupgFile(fpr []byte) *agentkey.Key {
	return s.gnupgKeys[hex.EncodeToString(fpr)]
}

// isRef reports whether primary's secrets are GnuPG's (no key file of our
// own, a record).
func (s *secretStore) isRef(primary []byte) bool {
	if _, err := os.Stat(s.path(primary)); err == nil {
		return false
	}
	_, err := os.Stat(s.refPath(primary))
	return err == nil
}

// allCPUs lifts keyhelper's GOMAXPROCS=1 once (decryptKey).
var allCPUs sync.Once

// decryptKey unlocks priv with pass: our own keys by their S2K, keys in
// GnuPG's files by agentkey. A GnuPG file that does not hold this key's
// secret is a hard error, not a wrong passphrase.
func (s *secretStore) decryptKey(priv *packet.PrivateKey, pass []byte) error {
	// front starts keyhelper with GOMAXPROCS=1 (a faster start); an
	// Argon2 S2K computes its lanes in parallel, so every CPU is allowed
	// from here on. Iterated S2K is one thread's work either way.
	allCPUs.Do(func() { runtime.GOMAXPROCS(runtime.NumCPU()) })
	k := s.gnupgFile(priv.Fingerprint)
	if k == nil {
		return priv.Decrypt(pass)
	}
	unlocked, err := k.PrivateKey(&priv.PublicKey, pass)
	if errors.Is(err, agentkey.ErrBadPassphrase) {
		return err
	}
	if err != nil {
		return &ipc.Error{Code: ipc.ErrCodeBadData, Message: fmt.Sprintf("GnuPG's key file for %X cannot be used: %v", priv.Fingerprint, err)}
	}
	*priv = *unlocked
	return nil
}

// importGnuPG records the keys of certs whose secrets GnuPG keeps: a
// <fpr>.gnupg record for keys in private-keys-v1.d, a copy of the secret
// key for keys only in secring.gpg. A key of our own is left alone; a
// record is rewritten only when the certificate changed.
func (h *handler) importGnuPG(r *ipc.GnuPGImportRequest) (ipc.Message, error) {
	certs, err := readKeyRing(r.Certs)
	if err != nil {
		return nil, &ipc.Error{Code: ipc.ErrCodeBadData, Message: "invalid certificates"}
	}
	secring, cards, _ := h.store.secringKeys() // its problem was reported by the listing
	if err := h.store.lock(); err != nil {
		return nil, err
	}
	res := &ipc.GnuPGImportResult{}
	for _, e := range certs {
		fpr := e.PrimaryKey.Fingerprint
		if _, err := os.Stat(h.store.path(fpr)); err == nil {
			res.Keys = append(res.Keys, ipc.ImportedKey{Fingerprint: fpr})
			continue // our own key wins
		}
		var pub bytes.Buffer
		if err := e.Serialize(&pub); err != nil {
			return nil, &ipc.Error{Code: ipc.ErrCodeBadData, Message: "invalid certificate: " + err.Error()}
		}
		if hasGnuPGFile(h.store, e) {
			old, _ := os.ReadFile(h.store.refPath(fpr))
			isNew := old == nil
			if !bytes.Equal(old, pub.Bytes()) {
				if err := h.store.writeFile(filepath.Base(h.store.refPath(fpr)), pub.Bytes()); err != nil {
					return nil, err
				}
			}
			res.Keys = append(res.Keys, ipc.ImportedKey{Fingerprint: fpr, New: isNew})
			continue
		}
		for _, s := range secring {
			if !bytes.Equal(s.PrimaryKey.Fingerprint, fpr) {
				continue
			}
			var sec bytes.Buffer
			if err := s.SerializePrivateWithoutSigning(&sec, nil); err != nil {
				break // a key go-crypto cannot write back (an unknown protection): left out
			}
			h.store.setCards(fpr, cards) // write turns their dummies back into card stubs
			if err := h.store.write(fpr, sec.Bytes()); err != nil {
				return nil, err
			}
			res.Keys = append(res.Keys, ipc.ImportedKey{Fingerprint: fpr, New: true})
			break
		}
	}
	sort.Slice(res.Keys, func(i, j int) bool { return bytes.Compare(res.Keys[i].Fingerprint, res.Keys[j].Fingerprint) < 0 })
	res.Listing, err = h.store.listing()
	return res, err
}

// hasGnuPGFile reports whether GnuPG keeps a readable key file for any
// (sub)key of e.
func hasGnuPGFile(s *secretStore, e *openpgp.Entity) bool {
	if _, err := s.gnupgKeyFile(keylist.Keygrip(e.PrimaryKey)); err == nil {
		return true
	}
	for _, sk := range e.Subkeys {
		if _, err := s.gnupgKeyFile(keylist.Keygrip(sk.PublicKey)); err == nil {
			return true
		}
	}
	return false
}

// errKeptByGnuPG refuses what would have to change GnuPG's key files.
func errKeptByGnuPG(what string) error {
	return &ipc.Error{Code: ipc.ErrCodeNotPermitted, Message: fmt.Sprintf("the secret key is kept in GnuPG's %s, which is never modified here; %s with GnuPG's own gpg", GnuPGKeyDir, what)}
}

// exportGnuPG is --export-secret-keys of a key GnuPG keeps, as gpg does
// it: each protected part is unlocked with its passphrase (asked for) and
// exported protected again with that same passphrase (our S2K); an
// unprotected part is exported as it is; a part GnuPG has no secret for
// is a GNU dummy, one on a card a divert-to-card stub naming the card.
// subkeysOnly makes the primary a GNU dummy (--export-secret-subkeys).
func (h *handler) exportGnuPG(primary []byte, subkeysOnly bool) ([]byte, error) {
	raw, err := os.ReadFile(h.store.refPath(primary))
	if err != nil {
		return nil, err
	}
	e, err := h.store.loadRef(primary)
	if err != nil {
		return nil, err
	}
	privs := map[string]*packet.PrivateKey{}
	cards := map[string]map[string]bool{} // serial -> fingerprints
	var known [][]byte
	take := func(pub *packet.PublicKey, priv *packet.PrivateKey) error {
		fpr := fmt.Sprintf("%X", pub.Fingerprint)
		if g := h.store.gnupgFile(pub.Fingerprint); g != nil && g.Protection == agentkey.Shadowed {
			if cards[g.CardSerial] == nil {
				cards[g.CardSerial] = map[string]bool{}
			}
			cards[g.CardSerial][fpr] = true
			return nil
		}
		if priv == nil {
			return nil
		}
		if priv.Encrypted {
			pass, err := h.unlockWith(e, priv, known, noToken)
			if err != nil {
				return err
			}
			known = append(known, pass)
			if err := priv.EncryptWithConfig(pass, s2kConfig); err != nil {
				return err
			}
		}
		privs[fpr] = priv
		return nil
	}
	if !subkeysOnly {
		if err := take(e.PrimaryKey, e.PrivateKey); err != nil {
			return nil, err
		}
	}
	for _, sk := range e.Subkeys {
		if err := take(sk.PublicKey, sk.PrivateKey); err != nil {
			return nil, err
		}
	}
	raws, err := pgp.SplitPackets(raw)
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, r := range raws {
		tag, body, err := pgp.PacketBody(r)
		if err != nil {
			return nil, err
		}
		if tag != pgp.TagPublicKey && tag != pgp.TagPublicSubkey {
			out = append(out, r...)
			continue
		}
		pk, err := publicKeyPacket(r)
		if err != nil {
			return nil, err
		}
		fpr := fmt.Sprintf("%X", pk.Fingerprint)
		priv := privs[fpr]
		switch {
		case priv != nil:
			var b bytes.Buffer
			if err := priv.Serialize(&b); err != nil {
				return nil, err
			}
			out = append(out, b.Bytes()...)
		case onAnyCard(cards, fpr):
			out = append(out, r...) // made a divert-to-card stub below
		default:
			secTag := 5
			if tag == pgp.TagPublicSubkey {
				secTag = 7
			}
			out = append(out, pgp.GNUDummy(secTag, body)...)
		}
	}
	for serial, onCard := range cards {
		sn, err := hex.DecodeString(serial)
		if err != nil {
			return nil, err
		}
		if out, _, err = pgp.DivertToCard(out, sn, onCard, false); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func onAnyCard(cards map[string]map[string]bool, fpr string) bool {
	for _, onCard := range cards {
		if onCard[fpr] {
			return true
		}
	}
	return false
}

// publicKeyPacket parses one raw public (sub)key packet, with a recover
// as readKeyRing has.
func publicKeyPacket(raw []byte) (pk *packet.PublicKey, err error) {
	defer func() {
		if recover() != nil {
			pk, err = nil, fmt.Errorf("invalid key packet")
		}
	}()
	p, err := packet.Read(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	pk, ok := p.(*packet.PublicKey)
	if !ok {
		return nil, fmt.Errorf("invalid key packet")
	}
	return pk, nil
}
