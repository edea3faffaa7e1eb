package main

import (
	"fmt"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// gpg's --keyring files in gpg mode: read-only sources of certificates
// beside the store (scripts verify against a distribution keyring this
// way: --no-default-keyring --keyring FILE --verify). With
// --no-default-keyring they replace the store for public keys; front does
// not write such files, so commands that would are refused then.

// writesPublicKeys are the commands that store public key material.
var writesPublicKeys = map[string]bool{
	"import": true, "delete-keys": true, "delete-secret-and-public-key": true,
	"generate-key": true, "quick-generate-key": true, "full-generate-key": true,
	"quick-add-uid": true, "quick-add-key": true, "quick-revoke-uid": true,
	"quick-set-expire": true, "quick-set-primary-uid": true,
	"sign-key": true, "lsign-key": true, "quick-sign-key": true, "quick-lsign-key": true,
	"edit-key": true,
}

// setupKeyrings reads the --keyring files.
func (a *app) setupKeyrings() error {
	names := a.opts.values["keyring"]
	noDefault := a.opts.has("no-default-keyring") || a.opts.has("no-keyring")
	if len(names) == 0 && !noDefault {
		return nil
	}
	if a.opts.has("primary-keyring") {
		return &exitError{2, "option \"--primary-keyring\" is not supported by front"}
	}
	if noDefault && writesPublicKeys[a.opts.command] {
		return &exitError{2, "front does not write to --keyring files; use the home's store (drop --no-default-keyring)"}
	}
	var extra openpgp.EntityList
	for _, name := range names {
		path := keyringPath(a.home, name)
		ents, err := readKeyringFile(path)
		if err != nil {
			a.errorf("keyblock resource '%s': %s", path, errText(err))
			continue
		}
		extra = append(extra, ents...)
	}
	if noDefault {
		a.certs, a.certsLoaded = extra, true
		return nil
	}
	a.keyringCerts = extra
	return nil
}

// withKeyringCerts adds the --keyring certificates that match to found
// (the store's copy of a certificate wins).
func (a *app) withKeyringCerts(found openpgp.EntityList, match func(*openpgp.Entity) bool) openpgp.EntityList {
	if len(a.keyringCerts) == 0 {
		return found
	}
	have := map[string]bool{}
	for _, e := range found {
		have[fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)] = true
	}
	for _, e := range a.keyringCerts {
		fpr := fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
		if !have[fpr] && match(e) {
			have[fpr] = true
			found = append(found, e)
		}
	}
	return found
}
