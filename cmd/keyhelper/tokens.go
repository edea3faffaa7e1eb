package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/keyslot"
)

// Access tokens are keyslots in the secret store:
//
//	<primary fpr>.<token ID>.slot  the key's in-scope secret (sub)keys,
//	                               unlocked, sealed under HKDF(token, pepper)
//	keyslots.index                 token ID -> pepper of every live keyslot
//
// Invariants: a keyslot lives exactly while its ID is in the index
// (creation writes the file, then the index; revocation removes the index
// entry, then the file), so a keyslot file kept aside or put back opens
// nothing once revoked; a keyslot holds only the (sub)keys its operations
// need; every use is appended to the use log in the home before the
// unlocked key is used, and a use that cannot be logged is refused.

const (
	indexName  = "keyslots.index"
	slotSuffix = ".slot"
	// noToken is the operation of an unlock no token may do (certify,
	// add a subkey, change the passphrase, create a token).
	noToken keyslot.Ops = 0
)

func (s *secretStore) slotPath(primary []byte, id keyslot.ID) string {
	return filepath.Join(s.dir, hex.EncodeToString(primary)+"."+id.String()+slotSuffix)
}

// readCapped reads a store file of at most max bytes.
func (s *secretStore) readCapped(name string, max int) ([]byte, error) {
	f, err := os.Open(filepath.Join(s.dir, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err == nil && len(data) > max {
		err = keyslot.ErrFormat
	}
	return data, err
}

// readIndex returns the live keyslots; no index file means none.
func (s *secretStore) readIndex() (keyslot.Index, error) {
	data, err := s.readCapped(indexName, keyslot.MaxIndexFile)
	if errors.Is(err, os.ErrNotExist) {
		return keyslot.Index{}, nil
	}
	if err != nil {
		return nil, err
	}
	return keyslot.ParseIndex(data)
}

// slotFile is a keyslot file found by its name.
type slotFile struct {
	primary []byte
	id      keyslot.ID
}

// slotFiles lists the keyslot files by name; stray names are ignored.
func (s *secretStore) slotFiles() ([]slotFile, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []slotFile
	for _, e := range entries {
		base, ok := strings.CutSuffix(e.Name(), slotSuffix)
		fprHex, idHex, ok2 := strings.Cut(base, ".")
		if !ok || !ok2 || !e.Type().IsRegular() {
			continue
		}
		fpr, err := hex.DecodeString(fprHex)
		id, idOK := keyslot.ParseID(idHex)
		if err != nil || !idOK || (len(fpr) != 20 && len(fpr) != 32) {
			continue
		}
		out = append(out, slotFile{fpr, id})
		if len(out) >= keyslot.MaxSlots {
			break
		}
	}
	return out, nil
}

// readSlot reads one keyslot file; its metadata must match its name.
func (s *secretStore) readSlot(primary []byte, id keyslot.ID) (*keyslot.Slot, error) {
	data, err := s.readCapped(filepath.Base(s.slotPath(primary, id)), keyslot.MaxSlotFile)
	if err != nil {
		return nil, err
	}
	slot, err := keyslot.ParseSlot(data)
	if err != nil {
		return nil, err
	}
	if slot.ID != id || !bytes.Equal(slot.Primary, primary) {
		return nil, keyslot.ErrFormat
	}
	return slot, nil
}

// removeSlots revokes the keyslots in files (the caller holds the lock):
// index entries first, so that a crash between the two steps leaves dead
// files, never a live keyslot the user believes revoked.
func (s *secretStore) removeSlots(files []slotFile) error {
	if len(files) == 0 {
		return nil
	}
	ix, err := s.readIndex()
	if err != nil {
		return err
	}
	for _, f := range files {
		delete(ix, f.id)
	}
	if err := s.writeFile(indexName, ix.Marshal()); err != nil {
		return err
	}
	for _, f := range files {
		if err := os.Remove(s.slotPath(f.primary, f.id)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return s.syncDir()
}

// removeSlotsOf revokes every token of a key (its secret key is deleted).
func (s *secretStore) removeSlotsOf(primary []byte) error {
	files, err := s.slotFiles()
	if err != nil {
		return err
	}
	var mine []slotFile
	for _, f := range files {
		if bytes.Equal(f.primary, primary) {
			mine = append(mine, f)
		}
	}
	return s.removeSlots(mine)
}

// canDecrypt reports whether k may decrypt: flagged for encryption, or
// without key flags and of an algorithm that encrypts.
func canDecrypt(e *openpgp.Entity, k *packet.PrivateKey) bool {
	sig, _ := e.PrimarySelfSignature()
	if !bytes.Equal(k.Fingerprint, e.PrimaryKey.Fingerprint) {
		sig = nil
		for _, sk := range e.Subkeys {
			if bytes.Equal(sk.PublicKey.Fingerprint, k.Fingerprint) {
				sig = sk.Sig
			}
		}
	}
	if sig == nil || !k.PubKeyAlgo.CanEncrypt() {
		return false
	}
	return !sig.FlagsValid || sig.FlagEncryptCommunications || sig.FlagEncryptStorage
}

// scopeKeys is the secret (sub)keys a token for ops may use, and an error
// if some operation has none.
func scopeKeys(e *openpgp.Entity, ops keyslot.Ops) ([]*packet.PrivateKey, error) {
	all := []*packet.PrivateKey{e.PrivateKey}
	for _, sk := range e.Subkeys {
		all = append(all, sk.PrivateKey)
	}
	var out []*packet.PrivateKey
	for _, c := range []struct {
		op  keyslot.Ops
		can func(*openpgp.Entity, *packet.PrivateKey) bool
	}{{keyslot.OpSign, canSign}, {keyslot.OpDecrypt, canDecrypt}} {
		if ops&c.op == 0 {
			continue
		}
		found := false
		for _, k := range all {
			if k != nil && !k.Dummy() && c.can(e, k) {
				found = true
				if !slices.Contains(out, k) {
					out = append(out, k)
				}
			}
		}
		if !found {
			return nil, notPermitted("the key has no secret (sub)key that can %s", c.op)
		}
	}
	return out, nil
}

func tokenInfo(m *keyslot.Meta) ipc.TokenInfo {
	return ipc.TokenInfo{ID: bytes.Clone(m.ID[:]), Primary: m.Primary, App: m.App, Ops: uint8(m.Ops), Created: m.Created, Expires: m.Expires}
}

// createToken asks for the key's passphrase (once: the parts of one key
// share it), seals the unlocked in-scope (sub)keys in a new keyslot and
// returns the token, which is stored nowhere.
func (h *handler) createToken(r *ipc.TokenCreateRequest) (ipc.Message, error) {
	meta := keyslot.Meta{Primary: r.Primary, App: r.App, Ops: keyslot.Ops(r.Ops), Created: r.Created, Expires: r.Expires}
	if err := meta.Check(); err != nil {
		return nil, &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: err.Error()}
	}
	e, err := h.store.load(r.Primary)
	if err != nil {
		return nil, &ipc.Error{Code: ipc.ErrCodeNoSecretKey, Message: "no secret key"}
	}
	keys, err := scopeKeys(e, meta.Ops)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(keys, func(k *packet.PrivateKey) bool { return k.Encrypted }) {
		return nil, notPermitted("the key has no passphrase: an access token would protect nothing")
	}
	var known [][]byte
	var material bytes.Buffer
	defer clear(material.Bytes())
	for _, k := range keys {
		pass, err := h.unlockWith(e, k, known, noToken)
		if err != nil {
			return nil, err
		}
		if pass != nil {
			known = append(known, pass)
		}
		if err := k.Serialize(&material); err != nil {
			return nil, err
		}
	}
	secret, err := keyslot.NewSecret()
	if err != nil {
		return nil, err
	}
	pepper, err := keyslot.NewPepper()
	if err != nil {
		return nil, err
	}
	slot, err := keyslot.Seal(meta, secret, pepper, material.Bytes())
	if err != nil {
		return nil, err
	}
	if err := h.store.lock(); err != nil {
		return nil, err
	}
	ix, err := h.store.readIndex()
	if err != nil {
		return nil, err
	}
	if len(ix) >= keyslot.MaxSlots {
		return nil, notPermitted("too many access tokens (%d)", keyslot.MaxSlots)
	}
	// file first, then the index entry that makes it live
	if err := h.store.writeFile(filepath.Base(h.store.slotPath(meta.Primary, slot.ID)), slot.Marshal()); err != nil {
		return nil, err
	}
	ix[slot.ID] = pepper
	if err := h.store.writeFile(indexName, ix.Marshal()); err != nil {
		return nil, err
	}
	return &ipc.TokenCreateResult{Token: []byte(secret.String()), Info: tokenInfo(&slot.Meta)}, nil
}

// listTokens describes the live keyslots, of one key or all.
func (h *handler) listTokens(r *ipc.TokenListRequest) (ipc.Message, error) {
	files, err := h.store.slotFiles()
	if err != nil {
		return nil, err
	}
	ix, err := h.store.readIndex()
	if err != nil {
		return nil, err
	}
	res := &ipc.TokenListResult{}
	for _, f := range files {
		if _, live := ix[f.id]; !live || (len(r.Primary) > 0 && !bytes.Equal(f.primary, r.Primary)) {
			continue
		}
		slot, err := h.store.readSlot(f.primary, f.id)
		if err != nil {
			continue
		}
		res.Tokens = append(res.Tokens, tokenInfo(&slot.Meta))
	}
	sort.Slice(res.Tokens, func(i, j int) bool {
		a, b := res.Tokens[i], res.Tokens[j]
		if a.Created != b.Created {
			return a.Created < b.Created
		}
		return bytes.Compare(a.ID, b.ID) < 0
	})
	return res, nil
}

// revokeToken deletes one keyslot under the store's lock; the others, the
// key and its passphrase are untouched.
func (h *handler) revokeToken(r *ipc.TokenRevokeRequest) (ipc.Message, error) {
	id := keyslot.ID(r.ID)
	if err := h.store.lock(); err != nil {
		return nil, err
	}
	files, err := h.store.slotFiles()
	if err != nil {
		return nil, err
	}
	ix, err := h.store.readIndex()
	if err != nil {
		return nil, err
	}
	var mine []slotFile
	for _, f := range files {
		if f.id == id {
			mine = append(mine, f)
		}
	}
	if _, live := ix[id]; !live && len(mine) == 0 {
		return nil, &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: fmt.Sprintf("no access token %s", id)}
	}
	res := &ipc.TokenRevokeResult{ID: r.ID}
	if len(mine) > 0 {
		res.Primary = mine[0].primary
		if slot, err := h.store.readSlot(mine[0].primary, id); err == nil {
			res.App = slot.App
		}
	}
	if len(mine) == 0 {
		// an index entry without its file: drop the entry alone
		delete(ix, id)
		return res, h.store.writeFile(indexName, ix.Marshal())
	}
	return res, h.store.removeSlots(mine)
}

// errUnknownToken says as little as a wrong passphrase does: the token
// is not (or no longer) a key to this key.
var errUnknownToken = &ipc.Error{Code: ipc.ErrCodeBadPassphrase, Message: "unknown or revoked access token"}

// unlockWithToken unlocks priv from the token's keyslot for op: scope and
// expiry from the keyslot's metadata first, then the unwrap (which also
// authenticates that metadata), then the use log line, then the key.
func (h *handler) unlockWithToken(e *openpgp.Entity, priv *packet.PrivateKey, token []byte, op keyslot.Ops) error {
	if op == noToken {
		return notPermitted("an access token cannot be used for this operation")
	}
	secret, ok := keyslot.ParseToken(token)
	if !ok {
		return errUnknownToken
	}
	id := secret.ID()
	slot, err := h.store.readSlot(e.PrimaryKey.Fingerprint, id)
	if err != nil {
		return errUnknownToken
	}
	now := h.now()
	switch {
	case slot.Ops&op == 0:
		return &ipc.Error{Code: ipc.ErrCodeTokenRefused, Message: fmt.Sprintf("access token %s (%s) does not allow %s", id, slot.App, op)}
	case slot.Expired(now):
		return &ipc.Error{Code: ipc.ErrCodeTokenRefused, Message: fmt.Sprintf("access token %s (%s) expired on %s", id, slot.App, time.Unix(slot.Expires, 0).UTC().Format("2006-01-02 15:04:05 UTC"))}
	}
	ix, err := h.store.readIndex()
	if err != nil {
		return err
	}
	pepper, live := ix[id]
	if !live {
		return errUnknownToken
	}
	material, err := slot.Open(secret, pepper)
	if err != nil {
		return errUnknownToken
	}
	defer clear(material)
	unlocked, err := findPrivateKey(material, priv.Fingerprint)
	if err != nil {
		return &ipc.Error{Code: ipc.ErrCodeTokenRefused, Message: fmt.Sprintf("access token %s (%s) does not cover key %X", id, slot.App, priv.Fingerprint)}
	}
	if h.useLog == nil {
		return &ipc.Error{Code: ipc.ErrCodeInternal, Message: "cannot open the token use log " + keyslot.LogName}
	}
	// one write of one line: O_APPEND keeps concurrent helpers' lines whole
	if _, err := io.WriteString(h.useLog, keyslot.UseLine(now, &slot.Meta, op)); err != nil {
		return &ipc.Error{Code: ipc.ErrCodeInternal, Message: "cannot write the token use log: " + err.Error()}
	}
	*priv = *unlocked
	return nil
}

// findPrivateKey picks the unlocked key fpr from a keyslot's material.
func findPrivateKey(material []byte, fpr []byte) (k *packet.PrivateKey, err error) {
	defer func() {
		if recover() != nil {
			k, err = nil, keyslot.ErrFormat
		}
	}()
	r := packet.NewReader(bytes.NewReader(material))
	for {
		p, err := r.Next()
		if err != nil {
			return nil, err
		}
		if pk, ok := p.(*packet.PrivateKey); ok && !pk.Encrypted && bytes.Equal(pk.Fingerprint, fpr) {
			return pk, nil
		}
	}
}
