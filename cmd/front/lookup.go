package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/store"
)

// Finding certificates. Lookups go through the store's index and load only
// the certificates it names; loadCerts, which parses every certificate, is
// for listing everything and for callers that scan all keys. When all
// certificates are loaded already (loadCerts ran, or gpgv put its
// --keyring certificates into a.certs) lookups search those instead.

// loadCerts loads every certificate of the store (once per run).
func (a *app) loadCerts() openpgp.EntityList {
	if !a.certsLoaded {
		a.certsLoaded = true
		all, err := a.store.All(func(msg string) { a.infof("%s", msg) })
		if err != nil {
			a.errorf("reading the certificate store: %v", err)
		}
		a.certs = a.withKeyringCerts(all, func(*openpgp.Entity) bool { return true })
	}
	return a.certs
}

// forgetCerts drops the loaded certificates after the store changed.
func (a *app) forgetCerts() {
	a.certs, a.certsLoaded = nil, false
}

// certsFor loads the certificates the index names for q and keeps those
// that really match: the index only proposes candidates.
func (a *app) certsFor(q store.Query) openpgp.EntityList {
	var out openpgp.EntityList
	if a.certsLoaded {
		for _, e := range a.certs {
			if certMatches(e, q) {
				out = append(out, e)
			}
		}
		return out
	}
	fprs, err := a.store.Lookup(q)
	if err != nil {
		a.errorf("reading the certificate store: %v", err)
		return nil
	}
	for _, fpr := range fprs {
		e, err := a.store.Get(fpr)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				a.infof("ignoring certificate file %X: %v", fpr, err)
			}
			continue
		}
		if certMatches(e, q) {
			out = append(out, e)
		}
	}
	return a.withKeyringCerts(out, func(e *openpgp.Entity) bool { return certMatches(e, q) })
}

func certMatches(e *openpgp.Entity, q store.Query) bool {
	if q.ByKey() {
		for _, k := range allKeys(e) {
			if q.MatchKey(k.PublicKey.Fingerprint) {
				return true
			}
		}
		return false
	}
	for uid := range e.Identities {
		if q.MatchUserID(uid) {
			return true
		}
	}
	return false
}

// findCerts applies gpg's key specification rules (store.ParseSpec):
// fingerprint (0x, trailing '!', grouped), long or short key ID (primary
// or subkey), "<email>", "@part-of-address", "=exact user ID", "*substring"
// or plain case-insensitive substring of a user ID.
func (a *app) findCerts(spec string) openpgp.EntityList {
	return a.certsFor(store.ParseSpec(spec))
}

// keyConsidered writes the KEY_CONSIDERED line gpg's key lookup writes
// for each certificate it examines (getkey.c: finish_lookup, flags its
// LOOKUP_* bits) and, when the lookup selected a key (flag bit 1 clear),
// remembers the certificate as gpg's user-ID cache does: a later
// userIDLookup of it writes nothing.
func (a *app) keyConsidered(primaryFpr []byte, flags int) {
	fpr := fmt.Sprintf("%X", primaryFpr)
	a.status.Emit("KEY_CONSIDERED", fpr, strconv.Itoa(flags))
	if flags&considerNotSelected == 0 {
		if a.uidCache == nil {
			a.uidCache = map[string]bool{}
		}
		a.uidCache[fpr] = true
	}
}

// userIDLookup is gpg's get_user_id for a certificate in the store (a
// signer's name in a listing, a key's name in an import message): the
// cache answers if an earlier lookup found the key, else gpg looks the
// key up (any usage, so it is always selected).
func (a *app) userIDLookup(primaryFpr []byte) {
	if !a.uidCache[fmt.Sprintf("%X", primaryFpr)] {
		a.keyConsidered(primaryFpr, 0)
	}
}

// inStoreOrder sorts certificates found by several specifications into
// the store's order: gpg searches its keyring once for all of them.
// Certificates the store does not hold (--keyring files) keep their
// order after the others.
func (a *app) inStoreOrder(ents openpgp.EntityList) {
	if len(ents) < 2 {
		return // nothing to order; the store's full order costs a map of every certificate
	}
	fprs, err := a.store.Fingerprints()
	if err != nil {
		return
	}
	pos := make(map[string]int, len(fprs))
	for i, f := range fprs {
		pos[string(f)] = i
	}
	rank := func(e *openpgp.Entity) int {
		if i, ok := pos[string(e.PrimaryKey.Fingerprint)]; ok {
			return i
		}
		return len(fprs)
	}
	sort.SliceStable(ents, func(i, j int) bool { return rank(ents[i]) < rank(ents[j]) })
}

// keyByFingerprint finds a primary or subkey in the store.
func (a *app) keyByFingerprint(fpr []byte) *openpgp.Key {
	for _, e := range a.certsFor(store.Query{Kind: store.QueryFingerprint, Fingerprint: fpr}) {
		for _, k := range allKeys(e) {
			if bytes.Equal(k.PublicKey.Fingerprint, fpr) {
				return &k
			}
		}
	}
	return nil
}

// keyring is a pgp.KeyRing that loads only the certificates holding a key
// with the asked key ID (a signature's issuer), instead of the whole store.
func (a *app) keyring() pgp.KeyRing { return lazyKeyring{a} }

// ownCerts loads the certificates that have secret keys here, found
// through the public secret key list, in the store's order; it never
// parses the rest of the store.
func (a *app) ownCerts() openpgp.EntityList {
	seen := map[string]bool{}
	var out openpgp.EntityList
	for _, info := range a.secretKeys() {
		key := string(info.Primary)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, a.certsFor(store.Query{Kind: store.QueryFingerprint, Fingerprint: info.Primary})...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].PrimaryKey.CreationTime.Before(out[j].PrimaryKey.CreationTime)
	})
	return out
}

type lazyKeyring struct{ a *app }

func (r lazyKeyring) KeysById(id uint64) []openpgp.Key {
	return openpgp.EntityList(r.a.certsFor(store.Query{Kind: store.QueryKeyID, KeyID: id})).KeysById(id)
}

func allKeys(e *openpgp.Entity) []openpgp.Key {
	ks := []openpgp.Key{{Entity: e, PublicKey: e.PrimaryKey, PrivateKey: e.PrivateKey}}
	for i := range e.Subkeys {
		sk := &e.Subkeys[i]
		ks = append(ks, openpgp.Key{Entity: e, PublicKey: sk.PublicKey, PrivateKey: sk.PrivateKey, SelfSignature: sk.Sig})
	}
	return ks
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
