package main

import (
	"fmt"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/store"
)

// recipientSpec is one recipient as the options name it.
type recipientSpec struct {
	name    string
	hidden  bool // -R, -F, --hidden-encrypt-to, --throw-keyids: no key ID in the PKESK
	trusted bool // --encrypt-to and key files: used without a validity check, as gpg does
	file    bool // -f/-F: name is a file holding the key
	self    bool // --default-recipient-self: gpg looks the default key up once more
}

// recipientSpecs collects gpg's recipient options in the order given:
// -r, -R, -f, -F; then, only if there are such recipients, --encrypt-to
// and --hidden-encrypt-to (unless --no-encrypt-to); without any, the
// --default-recipient or --default-recipient-self.
func (a *app) recipientSpecs() []recipientSpec {
	throw := false
	var specs, encryptTo []recipientSpec
	var defaultRecipient string
	defaultSelf := false
	for _, it := range a.opts.items {
		switch it.spec.name {
		case "recipient":
			for _, g := range a.expandGroups([]string{it.value}) {
				specs = append(specs, recipientSpec{name: g})
			}
		case "hidden-recipient":
			for _, g := range a.expandGroups([]string{it.value}) {
				specs = append(specs, recipientSpec{name: g, hidden: true})
			}
		case "recipient-file":
			specs = append(specs, recipientSpec{name: it.value, trusted: true, file: true})
		case "hidden-recipient-file":
			specs = append(specs, recipientSpec{name: it.value, trusted: true, file: true, hidden: true})
		case "encrypt-to":
			encryptTo = append(encryptTo, recipientSpec{name: it.value, trusted: true})
		case "hidden-encrypt-to":
			encryptTo = append(encryptTo, recipientSpec{name: it.value, trusted: true, hidden: true})
		case "no-encrypt-to":
			encryptTo = nil
		case "throw-keyids":
			throw = true
		case "no-throw-keyids":
			throw = false
		case "default-recipient":
			defaultRecipient, defaultSelf = it.value, false
		case "default-recipient-self":
			defaultRecipient, defaultSelf = "", true
		case "no-default-recipient":
			defaultRecipient, defaultSelf = "", false
		}
	}
	if a.opts.has("no-encrypt-to") {
		encryptTo = nil
	}
	if len(specs) == 0 {
		switch {
		case defaultRecipient != "":
			// gpg takes the default recipient without a validity check
			specs = append(specs, recipientSpec{name: defaultRecipient, trusted: true})
		case defaultSelf:
			if e, err := a.certifier(); err == nil {
				specs = append(specs, recipientSpec{name: fmt.Sprintf("%X", e.PrimaryKey.Fingerprint), self: true})
			}
		}
	}
	if len(specs) > 0 {
		specs = append(specs, encryptTo...)
	} else {
		// gpg looks the --encrypt-to keys up, then finds nobody else
		for _, r := range encryptTo {
			if _, e := a.encryptionKeyFor(a.findCerts(r.name)); e != nil {
				a.status.Emit("KEY_CONSIDERED", fmt.Sprintf("%X", e.PrimaryKey.Fingerprint), "0")
			}
		}
	}
	if throw {
		for i := range specs {
			specs[i].hidden = true
		}
	}
	return specs
}

// maxKeyFile bounds a --recipient-file.
const maxKeyFile = 16 << 20

// certsFromFile reads the certificate of a --recipient-file.
func (a *app) certsFromFile(name string) (openpgp.EntityList, error) {
	data, err := readCapped(name, maxKeyFile)
	if err != nil {
		return nil, err
	}
	if data, err = pgp.DearmorAll(data); err != nil {
		return nil, err
	}
	blocks, _, _ := store.SplitImport(data)
	var out openpgp.EntityList
	for _, b := range blocks {
		if b.Kind != store.PublicBlock {
			continue
		}
		if b.Keyblock == nil {
			continue
		}
		if e, err := store.EntityFromCert(b.Raw, b.Keyblock.Fingerprint()); err == nil {
			out = append(out, e)
		}
	}
	return out, nil
}

// encryptionKeyFor is the encryption key of the first usable certificate.
func (a *app) encryptionKeyFor(found openpgp.EntityList) (*packet.PublicKey, *openpgp.Entity) {
	for _, e := range found {
		if k, ok := e.EncryptionKey(a.now); ok {
			return k.PublicKey, e
		}
	}
	return nil, nil
}
