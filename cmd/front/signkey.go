package main

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/keylist"
	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/store"
)

// Certifying other keys: gpg's sign_uids (keyedit.c) for --sign-key,
// --lsign-key, --quick-sign-key and --quick-lsign-key.

// certifier is the own key that certifies: -u / --default-key, else the
// first own key that may certify.
func (a *app) certifier() (*openpgp.Entity, error) {
	specs := a.opts.values["local-user"]
	if len(specs) == 0 && a.opts.has("default-key") {
		specs = []string{a.opts.last("default-key")}
	}
	canCertify := func(e *openpgp.Entity) bool {
		if !a.isOwn(e) {
			return false
		}
		sig, _ := e.PrimarySelfSignature()
		return sig != nil && (!sig.FlagsValid || sig.FlagCertify)
	}
	if len(specs) == 0 {
		for _, e := range a.ownCerts() {
			if canCertify(e) {
				return e, nil
			}
		}
		return nil, &exitError{2, "no default secret key: No secret key"}
	}
	for _, spec := range specs {
		for _, e := range a.findCerts(spec) {
			if canCertify(e) {
				return e, nil
			}
		}
	}
	return nil, &exitError{2, fmt.Sprintf("skipped \"%s\": No secret key", specs[0])}
}

// expireWord is gpg's expirestr_from_pk: the date or "never" padded to 10.
func expireWord(e *openpgp.Entity, now time.Time) string {
	sig, _ := e.PrimarySelfSignature()
	if sig == nil || sig.KeyLifetimeSecs == nil || *sig.KeyLifetimeSecs == 0 {
		return "never     "
	}
	return e.PrimaryKey.CreationTime.Add(time.Duration(*sig.KeyLifetimeSecs) * time.Second).UTC().Format("2006-01-02")
}

// usageLetters is gpg's usagestr_from_pk(pk, 1) for the primary key.
func usageLetters(e *openpgp.Entity) string {
	sig, _ := e.PrimarySelfSignature()
	var b strings.Builder
	if sig == nil || !sig.FlagsValid {
		b.WriteString("SC")
	} else {
		for _, f := range []struct {
			on bool
			c  byte
		}{{sig.FlagSign, 'S'}, {sig.FlagCertify, 'C'}, {sig.FlagEncryptCommunications || sig.FlagEncryptStorage, 'E'}, {sig.FlagAuthenticate, 'A'}} {
			if f.on {
				b.WriteByte(f.c)
			}
		}
	}
	return fmt.Sprintf("%-4s", b.String())
}

// showKeyForSigning is what sign_uids shows before it signs: the primary
// key, its trust, its fingerprint and the user IDs to be signed.
func (a *app) showKeyForSigning(w io.Writer, e *openpgp.Entity, uids []store.EditUserID) {
	kind := "pub"
	if a.isOwn(e) {
		kind = "sec"
	}
	fmt.Fprintf(w, "%s  %s/%016X\n", kind, keylist.AlgoName(e.PrimaryKey), e.PrimaryKey.KeyId)
	fmt.Fprintf(w, "     created: %s  expires: %s  usage: %s\n", e.PrimaryKey.CreationTime.UTC().Format("2006-01-02"), expireWord(e, a.now), usageLetters(e))
	if model := a.trustModel(); model != "always" {
		fmt.Fprint(w, "     ")
		if model == "pgp" || model == "classic" {
			ot := a.ownertrustOf(fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)).Word()
			fmt.Fprintf(w, "trust: %s%*s", ot, max(14-len(ot), 1), "")
		}
		fmt.Fprintf(w, "validity: %s\n", a.keyValidity(e).Word())
	}
	fmt.Fprintf(w, " Primary key fingerprint: %s\n\n", spacedFingerprint(e.PrimaryKey.Fingerprint))
	for _, u := range uids {
		fmt.Fprintf(w, "     %s\n", printable(u.Text))
	}
}

// signKeyCmd is --sign-key/--lsign-key NAME and, quick, --quick-sign-key
// FPR [NAMES]: certify the valid user IDs (or those named) that the
// certifying key has not certified yet.
func (a *app) signKeyCmd(args []string, local, quick bool) error {
	if len(args) < 1 || (!quick && len(args) != 1) {
		if quick {
			return &exitError{2, "usage: --quick-sign-key FINGERPRINT [USER-IDS]"}
		}
		return &exitError{2, "usage: --sign-key KEY-ID"}
	}
	if !quick {
		// gpg runs --edit-key KEY sign|lsign save (keyedit_menu), the
		// dialog on the terminal (stderr in --batch)
		cmd := "sign"
		if local {
			cmd = "lsign"
		}
		return a.editKeyMenu(args[0], []string{cmd, "save"}, false)
	}
	spec := args[0]
	if quick {
		spec = strings.ReplaceAll(spec, " ", "")
		if !isFingerprintSpec(spec) {
			return &exitError{2, fmt.Sprintf("\"%s\" is not a fingerprint", args[0])}
		}
	}
	k, err := a.loadEdit(spec, false)
	if err != nil {
		return err
	}
	a.status.Emit("KEY_CONSIDERED", fmt.Sprintf("%X", k.fpr), "0")
	var names []string
	if quick {
		names = args[1:]
	}
	edits, err := a.signUIDs(a.stdout, k, names, local, quick)
	if err != nil || len(edits) == 0 {
		return err
	}
	return a.commitEdits(k.fpr, edits, false)
}

// signUIDs is the core of gpg's sign_uids: it certifies the valid user IDs
// of k (only those named, when names are given) that the certifying key
// has not certified yet, printing what gpg prints to w, and returns the
// edits that add the certifications.
func (a *app) signUIDs(w io.Writer, k *editKey, names []string, local, quick bool) ([]keyEdit, error) {
	signer, err := a.certifier()
	if err != nil {
		return nil, err
	}
	a.status.Emit("KEY_CONSIDERED", fmt.Sprintf("%X", signer.PrimaryKey.Fingerprint), "0")
	signerID := signer.PrimaryKey.KeyId
	var todo []store.EditUserID
	for _, u := range validUserIDs(k.kb.UserIDsForEdit(a.nowSecs())) {
		if len(names) > 0 {
			named := false
			for _, n := range names {
				named = named || (!u.Attribute && u.Text == n)
			}
			if !named {
				continue
			}
		}
		already := false
		for _, id := range u.CertifiedBy {
			already = already || id == signerID
		}
		if already {
			fmt.Fprintf(w, "\"%s\" was already signed by key %016X\n", printable(u.Text), signerID)
			a.status.Emit("ALREADY_SIGNED", fmt.Sprintf("%016X", signerID))
			continue
		}
		todo = append(todo, u)
	}
	if len(names) > 0 && len(todo) == 0 && len(validUserIDs(k.kb.UserIDsForEdit(a.nowSecs()))) > 0 {
		fmt.Fprintf(a.stderr, "%s: No matching user IDs.  Nothing to sign.\n", a.progName())
	}
	if len(todo) == 0 {
		fmt.Fprintf(w, "Nothing to sign with key %016X\n", signerID)
		return nil, nil
	}
	fmt.Fprintln(w)
	a.showKeyForSigning(w, k.e, todo)
	fmt.Fprintln(w)
	if sig, _ := k.e.PrimarySelfSignature(); sig != nil && sig.KeyLifetimeSecs != nil && *sig.KeyLifetimeSecs != 0 &&
		!bytes.Equal(signer.PrimaryKey.Fingerprint, k.fpr) {
		// gpg's note for a key that will expire; an expired one (gpg:
		// "Unable to sign", or a question with --expert) is not handled
		if exp := k.e.PrimaryKey.CreationTime.Add(time.Duration(*sig.KeyLifetimeSecs) * time.Second); exp.After(a.now) {
			fmt.Fprintf(w, "This key is due to expire on %s.\n", exp.UTC().Format("2006-01-02"))
		}
	}
	if !quick {
		fmt.Fprintf(w, "Are you sure that you want to sign this key with your\nkey \"%s\" (%016X)\n", printable(primaryUserID(signer)), signerID)
		if local {
			fmt.Fprintf(w, "\nThe signature will be marked as non-exportable.\n")
		}
	}
	fmt.Fprintln(w)
	if !quick && !(a.opts.has("batch") && a.opts.has("yes")) {
		ok, err := a.askBool("sign_uid.okay", "Really sign? (y/N) ")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, nil
		}
	}
	hashed := []pgp.Subpacket{pgp.IssuerFprSubpacket(signer.PrimaryKey.Fingerprint), pgp.CreatedSubpacket(a.nowSecs())}
	if local {
		hashed = append(hashed, pgp.Subpacket{Type: pgp.SubExportable, Data: []byte{0}})
	}
	area := pgp.EncodeSubpackets(hashed)
	var items []ipc.CertifyItem
	var edits []keyEdit
	for _, u := range todo {
		items = append(items, ipc.CertifyItem{Class: a.certClass(), Component: u.Packet, Hashed: area})
		edits = append(edits, keyEdit{anchor: u.Packet})
	}
	sigs, err := a.certify(signer.PrimaryKey.Fingerprint, k, items)
	if err != nil {
		return nil, a.helperFailed("sign_uids", "signing", err)
	}
	for i := range edits {
		edits[i].sig = sigs[i]
	}
	return edits, nil
}

// primaryUserID is the user ID gpg names a key by.
func primaryUserID(e *openpgp.Entity) string {
	if id := e.PrimaryIdentity(); id != nil {
		return id.Name
	}
	return "[?]"
}

// askBool is gpg's cpr_get_answer_is_yes: the command fd when there is
// one, else the terminal; in --batch mode or with --no-tty gpg cannot ask
// and stops.
func (a *app) askBool(keyword, prompt string) (bool, error) {
	switch {
	case a.commandFD():
		return a.cprGetBool(keyword), nil
	case a.opts.has("batch"):
		return false, errBatchInput
	case a.opts.has("no-tty"):
		return false, errNoTTYInput
	}
	return a.confirm(prompt), nil
}

// certClass is the class of a certification: 0x10 plus
// --default-cert-level (0 to 3; gpg's default 0, "no claim").
func (a *app) certClass() byte {
	if v := a.opts.last("default-cert-level"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= 3 {
			return pgp.ClassGenericCert + byte(n)
		}
	}
	return pgp.ClassGenericCert
}
