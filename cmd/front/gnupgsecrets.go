package main

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/keylist"
)

// gnupgKeyDirName is GnuPG's secret key directory (keyhelper's
// GnuPGKeyDir); front only stats it.
const gnupgKeyDirName = "private-keys-v1.d"

// maxGnuPGCerts bounds what one migration sends keyhelper (its import
// frame's limit, with room for framing).
const maxGnuPGCerts = 30 << 20

// importGnuPGSecrets records in the secret list every secret key GnuPG keeps in this home
// (private-keys-v1.d and secring.gpg) whose certificate is in the store; it returns how many.
//
// front never opens GnuPG's key files: keyhelper lists them (keygrips,
// protection, card serial, and secring.gpg's primary fingerprints), front
// finds the certificates they belong to by keygrip, and keyhelper records
// those keys (their secrets stay in GnuPG's files, see keyhelper's
// gnupg.go). The count is of primary keys with at least one secret
// (sub)key recorded, new or already there, so a second run returns the
// same number and changes nothing.
func (a *app) importGnuPGSecrets() (int, error) {
	var list ipc.GnuPGListResult
	if err := a.callKeyhelper(false, &ipc.GnuPGListRequest{}, &list); err != nil {
		return 0, fmt.Errorf("listing GnuPG's secret keys: %w", err)
	}
	for _, p := range list.Problems {
		a.infof("warning: GnuPG's secret keys: %s (left out)", p)
	}
	if len(list.Keys) == 0 && len(list.Secring) == 0 {
		return 0, nil
	}
	grips := map[string]bool{}
	for _, k := range list.Keys {
		grips[strings.ToUpper(hex.EncodeToString(k.Keygrip))] = true
	}
	secring := map[string]bool{}
	for _, f := range list.Secring {
		secring[hex.EncodeToString(f)] = true
	}
	all, err := a.store.All(func(msg string) { a.infof("%s", msg) })
	if err != nil {
		return 0, err
	}
	var certs bytes.Buffer
	for _, e := range all {
		match := secring[hex.EncodeToString(e.PrimaryKey.Fingerprint)] || grips[keylist.Keygrip(e.PrimaryKey)]
		for _, sk := range e.Subkeys {
			match = match || grips[keylist.Keygrip(sk.PublicKey)]
		}
		if !match {
			continue
		}
		raw, err := a.store.GetRaw(e.PrimaryKey.Fingerprint)
		if err != nil {
			return 0, err
		}
		if certs.Len()+len(raw) > maxGnuPGCerts {
			return 0, fmt.Errorf("the certificates of GnuPG's secret keys exceed %d bytes", maxGnuPGCerts)
		}
		certs.Write(raw)
	}
	if certs.Len() == 0 {
		return 0, nil
	}
	var res ipc.GnuPGImportResult
	if err := a.callKeyhelper(true, &ipc.GnuPGImportRequest{Certs: certs.Bytes()}, &res); err != nil {
		return 0, fmt.Errorf("recording GnuPG's secret keys: %w", err)
	}
	a.recordListing(res.Listing)
	return len(res.Keys), nil
}
