package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/keylist"
	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/store"
)

// Key revocation certificates as gpg's revoke.c: --generate-revocation
// (gen_revoke) and the one key generation stores in openpgp-revocs.d
// (gen_standard_revoke). keyhelper makes the class 0x20 signature.

const revocsDirName = "openpgp-revocs.d"

// revocationReasons are ask_revocation_reason's choices for a key.
var revocationReasons = []struct {
	code byte
	text string
}{
	{0x00, "No reason specified"},
	{0x02, "Key has been compromised"},
	{0x01, "Key is superseded"},
	{0x03, "Key is no longer used"},
}

// makeKeyRevocation has keyhelper make a key revocation for k.
func (a *app) makeKeyRevocation(k *editKey, reason byte, text string) ([]byte, error) {
	items := []ipc.CertifyItem{{Class: pgp.ClassKeyRevoke, Hashed: a.revocationHashed(k.fpr, 0, reason, text)}}
	sigs, err := a.certify(k.fpr, k, items)
	if err != nil {
		return nil, err
	}
	return sigs[0], nil
}

// armorRevocation is create_revocation's armored output.
func armorRevocation(w io.Writer, sig []byte) error {
	aw, err := armor.Encode(w, "PGP PUBLIC KEY BLOCK", map[string]string{"Comment": "This is a revocation certificate"})
	if err != nil {
		return err
	}
	if _, err := aw.Write(sig); err != nil {
		return err
	}
	if err := aw.Close(); err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n")
	return err
}

// storeRevocation is gen_standard_revoke: after key generation, a
// revocation certificate (reason 0) goes to openpgp-revocs.d/FPR.rev,
// after a text that explains it, with a colon before its armor.
func (a *app) storeRevocation(e *openpgp.Entity) {
	raw, err := a.store.GetRaw(e.PrimaryKey.Fingerprint)
	if err != nil {
		a.infof("no revocation certificate made: %v", err)
		return
	}
	kb, err := store.ParseKeyblock(raw)
	if err != nil {
		a.infof("no revocation certificate made: %v", err)
		return
	}
	k := &editKey{fpr: e.PrimaryKey.Fingerprint, kb: kb, e: e}
	sig, err := a.makeKeyRevocation(k, 0, "")
	if err != nil {
		a.infof("Note: no revocation certificate made: %v", err)
		return
	}
	a.writeRevocation(e, sig, false)
}

// writeRevocation stores sig, the revocation of e, as gen_standard_revoke
// does; with considered, KEY_CONSIDERED comes where gpg's lookup of the
// key emits it, after the directory is made.
func (a *app) writeRevocation(e *openpgp.Entity, sig []byte, considered bool) {
	fpr := fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
	var b bytes.Buffer
	b.WriteString("This is a revocation certificate for the OpenPGP key:\n\n")
	b.WriteString(revocationKeyLine(e, a))
	fmt.Fprintf(&b, "      %s\n", fpr)
	fmt.Fprintf(&b, "uid%*s%s\n\n", 10, "", primaryUserID(e))
	b.WriteString("A revocation certificate is a kind of \"kill switch\" to publicly\n" +
		"declare that a key shall not anymore be used.  It is not possible\n" +
		"to retract such a revocation certificate once it has been published.\n\n" +
		"Use it to revoke this key in case of a compromise or loss of\n" +
		"the secret key.  However, if the secret key is still accessible,\n" +
		"it is better to generate a new revocation certificate and give\n" +
		"a reason for the revocation.  For details see the description of\n" +
		"of the gpg command \"--generate-revocation\" in the GnuPG manual.\n\n" +
		"To avoid an accidental use of this file, a colon has been inserted\n" +
		"before the 5 dashes below.  Remove this colon with a text editor\n" +
		"before importing and publishing this revocation certificate.\n\n:")
	if err := armorRevocation(&b, sig); err != nil {
		a.infof("no revocation certificate made: %v", err)
		return
	}
	dir := filepath.Join(a.home, revocsDirName)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if err := os.Mkdir(dir, 0o700); err != nil {
			a.errorf("can't create directory '%s': %s", dir, errText(err))
			return
		}
		a.infof("directory '%s' created", dir)
	}
	if considered {
		a.status.Emit("KEY_CONSIDERED", fpr, "0")
	}
	name := filepath.Join(dir, fpr+".rev")
	if err := store.WriteAtomic(name, b.Bytes(), 0o600); err != nil {
		a.errorf("error creating '%s': %s", name, errText(err))
		return
	}
	if !a.opts.has("quiet") {
		a.infof("revocation certificate stored as '%s'", name)
	}
}

// revocationKeyLine is print_key_line for the primary key without key ID.
func revocationKeyLine(e *openpgp.Entity, a *app) string {
	line := fmt.Sprintf("pub   %s %s [%s]", keylist.AlgoName(e.PrimaryKey), e.PrimaryKey.CreationTime.UTC().Format("2006-01-02"), strings.TrimSpace(usageLetters(e)))
	if w := strings.TrimSpace(expireWord(e, a.now)); w != "never" {
		line += " [expires: " + w + "]"
	}
	return line + "\n"
}

// genRevokeCmd is --generate-revocation KEY (gen_revoke).
func (a *app) genRevokeCmd(args []string) (err error) {
	defer catchBatchInput(&err)
	if len(args) != 1 {
		return &usageError{"usage: gpg [options] --generate-revocation user-id"}
	}
	if a.opts.has("batch") {
		return &exitError{2, "can't do this in batch mode"}
	}
	spec := args[0]
	ents := a.findCerts(spec)
	if len(ents) == 0 {
		return &exitError{2, fmt.Sprintf("secret key \"%s\" not found", spec)}
	}
	if !a.hasSecret(ents[0].PrimaryKey) {
		return &exitError{2, fmt.Sprintf("secret key \"%s\" not found: No secret key", spec)}
	}
	k, err := a.loadEdit(spec, true)
	if err != nil {
		return err
	}
	a.status.Emit("KEY_CONSIDERED", fmt.Sprintf("%X", k.fpr), "0")
	e := k.e
	s := &editSession{menuIO: menuIO{a: a}, a: a, k: k}
	defer s.openTerminal()()
	w := s.tty
	fmt.Fprintf(w, "\nsec  %s/%016X %s %s\n", keylist.AlgoName(e.PrimaryKey), e.PrimaryKey.KeyId, e.PrimaryKey.CreationTime.UTC().Format("2006-01-02"), printable(primaryUserID(e)))
	fmt.Fprintln(w)
	if !s.askYes("gen_revoke.okay", "Create a revocation certificate for this key? (y/N) ") {
		return nil
	}
	code, text, ok := s.askRevocationReason()
	if !ok {
		return nil
	}
	if !a.armor() {
		fmt.Fprintf(w, "ASCII armored output forced.\n")
	}
	sig, err := a.makeKeyRevocation(k, code, text)
	if err != nil {
		a.errorf("make_keysig_packet failed: %v", err)
		return &exitError{2, ""}
	}
	out, err := a.openOutput("")
	if err != nil {
		return err
	}
	if err := armorRevocation(out.w, sig); err != nil {
		out.abort()
		return err
	}
	if err := out.commit(); err != nil {
		return err
	}
	fmt.Fprintf(w, "Revocation certificate created.\n\n"+
		"Please move it to a medium which you can hide away; if Mallory gets\n"+
		"access to this certificate he can use it to make your key unusable.\n"+
		"It is smart to print this certificate and store it away, just in case\n"+
		"your media become unreadable.  But have some caution:  The print system of\n"+
		"your machine might store the data and make it available to others!\n")
	return nil
}

// askRevocationReason is ask_revocation_reason(1, 0, 1).
func (s *editSession) askRevocationReason() (code byte, text string, ok bool) {
	w := s.tty
	for {
		fmt.Fprintf(w, "Please select the reason for the revocation:\n")
		for i, r := range revocationReasons {
			fmt.Fprintf(w, "  %d = %s\n", i, r.text)
		}
		fmt.Fprintf(w, "  Q = %s\n", "Cancel")
		fmt.Fprintf(w, "(Probably you want to select %d here)\n", 1)
		n := -1
		for n < 0 {
			ans := strings.TrimSpace(s.getLine("ask_revocation_reason.code", "Your decision? "))
			if ans == "q" || ans == "Q" {
				return 0, "", false
			}
			switch {
			case ans == "":
				n = 1
			case isDigits(ans) && len(ans) == 1 && ans[0]-'0' < byte(len(revocationReasons)):
				n = int(ans[0] - '0')
			default:
				fmt.Fprintf(w, "Invalid selection.\n")
			}
		}
		fmt.Fprintf(w, "Enter an optional description; end it with an empty line:\n")
		var lines []string
		for {
			ans := strings.TrimRight(s.getLine("ask_revocation_reason.text", "> "), " \t\r\n")
			if ans == "" || ans == controlDAnswer {
				break
			}
			lines = append(lines, printable(ans))
		}
		text = strings.Join(lines, "\n")
		fmt.Fprintf(w, "Reason for revocation: %s\n", revocationReasons[n].text)
		if text == "" {
			fmt.Fprintf(w, "(No description given)\n")
		} else {
			fmt.Fprintf(w, "%s\n", text)
		}
		if s.askYes("ask_revocation_reason.okay", "Is this okay? (y/N) ") {
			return revocationReasons[n].code, text, true
		}
	}
}
