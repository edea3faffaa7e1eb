package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/pgp/sshkey"
	"github.com/frontpgp/front/store"
)

// gpg's codes for the --export-ssh-key failures that have no name above.
const (
	errPubkeyAlgo    = 4 // reported bare, without a source, as gpg does
	errAmbiguousName = 107
	errUnknownCurve  = 187
)

// exportSSHKeyCmd writes the OpenSSH public key line of one key as gpg's
// export_ssh_key does: the newest usable authentication subkey (else an
// authentication-capable primary key) of the one certificate the spec
// names, or with a trailing '!' exactly the named (sub)key, whatever its
// state and usage.
func (a *app) exportSSHKeyCmd(args []string) error {
	if len(args) != 1 {
		fmt.Fprintln(a.stderr, "usage: gpg [options] --export-ssh-key <user-id>")
		return &errStop{2}
	}
	spec := args[0]
	fail := func(code int, what string, notFound bool) error {
		if notFound {
			a.errorf("key \"%s\" not found: %s", spec, what)
		}
		a.failure("export-ssh-key", code)
		return &exitError{2, "export as ssh key failed: " + what}
	}
	q := store.ParseSpec(spec)
	e, ambiguous := a.sshKeyCert(q)
	switch {
	case ambiguous:
		return fail(gpgError(srcGPG, errAmbiguousName), "Ambiguous name", true)
	case e == nil:
		return fail(errNoPubkey, "No public key", true)
	}
	var pk *packet.PublicKey
	if q.Exact {
		for _, k := range allKeys(e) {
			if q.MatchKey(k.PublicKey.Fingerprint) {
				pk = k.PublicKey
				break
			}
		}
	} else {
		pk = sshkey.Select(e, a.now)
	}
	if pk == nil {
		return fail(gpgError(srcGPG, errUnusablePubkey), "Unusable public key", true)
	}
	line, err := sshkey.Line(pk)
	switch {
	case errors.Is(err, sshkey.ErrUnusable):
		return fail(gpgError(srcGPG, errUnusablePubkey), "Unusable public key", false)
	case errors.Is(err, sshkey.ErrAlgorithm):
		return fail(errPubkeyAlgo, "Invalid public key algorithm", false)
	case errors.Is(err, sshkey.ErrUnknownCurve):
		return fail(gpgError(srcGPG, errUnknownCurve), "Unknown elliptic curve", false)
	case err != nil:
		return fail(gpgError(srcGPG, errGeneral), err.Error(), false)
	}
	return a.writeSSHLine(line + "\n")
}

// sshKeyCert finds the one certificate spec names as gpg's
// get_pubkey_byname does for this command: a key ID or fingerprint names
// its certificate whatever its state (one KEY_CONSIDERED); a user ID
// search skips certificates whose primary key is revoked or expired (one
// KEY_CONSIDERED each) and reports the others twice; a second usable match
// makes the name ambiguous.
func (a *app) sshKeyCert(q store.Query) (found *openpgp.Entity, ambiguous bool) {
	for _, e := range a.certsFor(q) {
		fpr := fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
		a.status.Emit("KEY_CONSIDERED", fpr, "0")
		if !q.ByKey() {
			sig, _ := e.PrimarySelfSignature()
			if sig == nil || e.Revoked(a.now) || e.PrimaryKey.KeyExpired(sig, a.now) {
				continue
			}
			a.status.Emit("KEY_CONSIDERED", fpr, "0")
		}
		if found != nil {
			return nil, true
		}
		found = e
	}
	return found, false
}

// writeSSHLine writes to --output (created or truncated in place, no
// overwrite question, as gpg's es_fopen "w") or stdout.
func (a *app) writeSSHLine(line string) error {
	name := a.opts.last("output")
	if name == "" || name == "-" {
		_, err := fmt.Fprint(a.stdout, line)
		return err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return &exitError{2, fmt.Sprintf("error creating '%s': %s", name, errText(err))}
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return &exitError{2, fmt.Sprintf("error writing '%s': %s", name, errText(err))}
	}
	if err := f.Close(); err != nil {
		return &exitError{2, fmt.Sprintf("error writing '%s': %s", name, errText(err))}
	}
	return nil
}
