package store

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/frontpgp/front/pgp"
)

// EntityFromCert turns a stored certificate into a go-crypto Entity for
// listing, verifying and encrypting. The store keeps everything gpg keeps,
// and go-crypto rejects a whole certificate for one packet it cannot
// verify (a designated revoker's revocation, a signing subkey without a
// back-signature, an old invalid self-signature), so when the direct parse
// fails the certificate is read again without those packets.
func EntityFromCert(data, fpr []byte) (*openpgp.Entity, error) {
	e, err := readEntity(data)
	if err == nil && bytes.Equal(e.PrimaryKey.Fingerprint, fpr) {
		addLocalCerts(e, data)
		return e, nil
	}
	kb, kerr := ParseKeyblock(data)
	if kerr != nil {
		return nil, fmt.Errorf("unparseable certificate: %v", kerr)
	}
	if !bytes.Equal(kb.Fingerprint(), fpr) {
		return nil, errors.New("content does not match file name")
	}
	e, err = readEntity(kb.entityCompatible())
	if err != nil {
		return nil, fmt.Errorf("unusable certificate: %v", err)
	}
	if !bytes.Equal(e.PrimaryKey.Fingerprint, fpr) {
		return nil, errors.New("content does not match file name")
	}
	addLocalCerts(e, data)
	return e, nil
}

// localCertPattern is a hashed exportable-certification subpacket that
// says no: only certificates containing it can hold local certifications.
var localCertPattern = []byte{2, 4, 0}

// addLocalCerts gives e's user IDs the non-exportable certifications
// (gpg's --lsign-key) go-crypto skipped, so validity counts them as gpg does.
func addLocalCerts(e *openpgp.Entity, data []byte) {
	if !bytes.Contains(data, localCertPattern) {
		return
	}
	kb, err := ParseKeyblock(data)
	if err != nil {
		return
	}
	var id *openpgp.Identity
	for _, n := range kb.nodes[1:] {
		switch {
		case n.tag == tagUserID:
			id = e.Identities[string(n.body)]
		case n.tag == tagAttribute || n.isSubkey():
			id = nil
		case id != nil && n.isUIDSig() && !n.sig.exportable:
			if sig, err := pgp.ParseSignature(n.raw); err == nil {
				id.Signatures = append(id.Signatures, sig)
			}
		}
	}
}

// readEntity parses exactly one certificate, with a recover: go-crypto has
// known panics on hostile input (bad input 27).
func readEntity(data []byte) (e *openpgp.Entity, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, err = nil, errors.New("invalid key data")
		}
	}()
	el, err := openpgp.ReadKeyRing(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if len(el) != 1 {
		return nil, errors.New("not exactly one certificate")
	}
	return el[0], nil
}

// entityCompatible keeps what go-crypto's ReadEntity accepts: valid own
// key revocations and direct-key signatures, user IDs with their
// certifications (own ones only if valid), and subkeys with the bindings
// and revocations go-crypto verifies (back-signature included).
func (kb *Keyblock) entityCompatible() []byte {
	self := kb.KeyID()
	var out []byte
	out = append(out, kb.nodes[0].raw...)
	section := 0 // 0 before user IDs, 1 user ID, 2 attribute, 3 subkey
	var subkey []byte
	flushSubkey := func() {
		out = append(out, subkey...)
		subkey = nil
	}
	subHasBinding := false
	for i := 1; i < len(kb.nodes); i++ {
		n := kb.nodes[i]
		switch {
		case n.tag == tagUserID:
			if subHasBinding {
				flushSubkey()
			}
			subkey, subHasBinding = nil, false
			section = 1
			out = append(out, n.raw...)
		case n.tag == tagAttribute:
			if subHasBinding {
				flushSubkey()
			}
			subkey, subHasBinding = nil, false
			section = 2
		case n.isSubkey():
			if subHasBinding {
				flushSubkey()
			}
			subkey, subHasBinding = append([]byte(nil), n.raw...), false
			section = 3
			if n.tag == tagSecretSubkey {
				section = 2
				subkey = nil
			}
		case n.tag == tagSignature:
			s := n.sig
			switch section {
			case 0:
				if (s.class == sigKeyRevocation || s.class == sigDirectKey) && s.issuer == self && kb.verifySelf(i, 0) == nil {
					out = append(out, n.raw...)
				}
			case 1:
				if n.isUIDSig() && (s.issuer != self || kb.verifySelf(i, 0) == nil) {
					out = append(out, n.raw...)
				}
			case 3:
				if s.class != sigSubkeyBinding && s.class != sigSubkeyRevoke {
					continue
				}
				pk, err := kb.primaryKey()
				if err != nil {
					continue
				}
				sub, err := kb.nodes[kb.prev(i, func(x *node) bool { return x.isSubkey() })].publicKey()
				if err != nil {
					continue
				}
				gs, err := n.signature()
				if err != nil || pk.VerifyKeySignature(sub, gs) != nil {
					continue
				}
				subkey = append(subkey, n.raw...)
				if s.class == sigSubkeyBinding {
					subHasBinding = true
				}
			}
		}
	}
	if subHasBinding {
		flushSubkey()
	}
	return out
}
