package main

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/gpgtime"
	"github.com/frontpgp/front/keylist"
	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/status"
	"github.com/frontpgp/front/trust"
)

// peekInput reads the start of r to classify it without losing bytes.
func peekInput(r io.Reader) (*bufio.Reader, []byte) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(4096)
	return br, head
}

func (a *app) verifyCmd(args []string) error {
	sigName := firstArg(args)
	sigIn, err := a.openDataInput(sigName, false)
	if err != nil {
		// gpg: "can't open", then verify_signatures fails with the
		// system error
		a.fail(err)
		reason, code := openFailure(sigName)
		a.failure("verify", code)
		return &exitError{2, "verify signatures failed: " + reason}
	}
	defer sigIn.Close()
	br, head := peekInput(sigIn)
	if bytes.Contains(head, []byte("-----BEGIN PGP SIGNED MESSAGE-----")) {
		return a.verifyCleartext(br, a.opts.has("output"))
	}
	detachedArmor := bytes.Contains(head, []byte("-----BEGIN PGP SIGNATURE-----"))
	var body io.Reader = br
	if pgp.WantsDearmor(head) {
		blk, err := pgp.DecodeArmor(br)
		if err != nil {
			return a.verifyInputError(err)
		}
		body = blk.Body
	}
	if len(args) > 1 || (detachedArmor && len(args) == 1) {
		dataName := ""
		if len(args) > 1 {
			dataName = args[1]
		} else {
			dataName = strings.TrimSuffix(strings.TrimSuffix(sigName, ".asc"), ".sig")
			if dataName == sigName {
				return a.verifyInputError(errors.New("no signed data"))
			}
		}
		var datas []io.Reader
		names := args[1:]
		if len(names) == 0 {
			names = []string{dataName}
		}
		for _, n := range names {
			in, err := a.openDataInput(n, true)
			if err != nil {
				return err
			}
			defer in.Close()
			datas = append(datas, in)
		}
		vs, err := pgp.VerifyDetached(body, io.MultiReader(datas...), a.keyring())
		if err != nil {
			return a.verifyInputError(err)
		}
		a.standaloneClass(vs)
		return a.reportSigs(vs)
	}
	out := io.Discard
	var o *output
	if a.opts.has("output") {
		if o, err = a.openOutput(""); err != nil {
			return err
		}
		out = o.w
	}
	ro := a.readOptions()
	if o == nil {
		// gpg --verify reports PLAINTEXT only when it writes the text
		ro.OnLiteral = nil
	}
	msg, err := pgp.ReadSigned(body, out, a.keyring(), ro)
	if err != nil {
		if o != nil {
			o.abort()
		}
		return a.verifyInputError(err)
	}
	if len(msg.Sigs) == 0 {
		if o != nil {
			o.abort()
		}
		return a.verifyInputError(pgp.ErrNoSignature)
	}
	if o != nil {
		a.plaintextLength(msg)
		if err := o.commit(); err != nil {
			return err
		}
	}
	a.messageProblems(msg)
	return a.reportSigs(msg.Sigs)
}

// verifyCleartext checks a cleartext-signed message read from r. The text
// goes to the output when writeText (--decrypt always, --verify with -o).
func (a *app) verifyCleartext(r io.Reader, writeText bool) error {
	var o *output
	var text io.Writer
	if writeText {
		var err error
		if o, err = a.openOutput(""); err != nil {
			return err
		}
		text = o.w
		// gpg reports the cleartext it writes as a text literal
		// without name or date.
		a.status.Emit("PLAINTEXT", "74", "0", "")
	}
	vs, err := pgp.VerifyClearsigned(r, text, a.keyring())
	if err != nil {
		if o != nil {
			o.abort()
		}
		return a.verifyInputError(err)
	}
	if o != nil {
		if err := o.commit(); err != nil {
			return err
		}
	}
	return a.reportSigs(vs)
}

// verifyInputError reports unusable input with gpg's status lines and
// exit code 2. gpg's NODATA codes: 1 no armored data, 2 no packet at all,
// 3 an invalid packet, 4 no signature; UNEXPECTED 0 for packets that do
// not belong in a signed message. Where gpg ends with "the signature could
// not be verified" it writes no FAILURE line.
func (a *app) verifyInputError(err error) error {
	const notVerified = "the signature could not be verified.\n" +
		"Please remember that the signature file (.sig or .asc)\n" +
		"should be the first file given on the command line."
	switch {
	case errors.Is(err, pgp.ErrTooMuchExpansion), errors.Is(err, pgp.ErrOutputLimit):
		a.failure("verify", gpgError(srcGPG, errBadData))
		return &exitError{2, err.Error()}
	case errors.Is(err, pgp.ErrDetachedDigest):
		// gpg fails while setting up the data's hash: no status line
		return &exitError{2, err.Error()}
	case errors.Is(err, pgp.ErrNoArmor):
		a.status.Emit("NODATA", "1")
		a.status.Emit("NODATA", "2")
		return &exitError{2, "no valid OpenPGP data found.\n" + a.progName() + ": " + notVerified}
	case errors.Is(err, pgp.ErrArmor):
		// gpg skips what is not base64 and finds no signature in the
		// rest; front decodes nothing of an invalid armor
		a.status.Emit("NODATA", "1")
		a.status.Emit("NODATA", "4")
		return &exitError{2, "invalid ASCII armor\n" + a.progName() + ": no signature found\n" + a.progName() + ": " + notVerified}
	case errors.Is(err, pgp.ErrNoData):
		// gpg's parser returns -1 (EOF) and verify reports it as is
		a.status.Emit("NODATA", "2")
		a.failure("verify", gpgErrEOF)
		return &exitError{2, "verify signatures failed: Unknown system error"}
	case errors.Is(err, pgp.ErrUnexpectedPacket):
		a.status.Emit("UNEXPECTED", "0")
		a.failure("verify", errUnexpected)
		return &exitError{2, "verify signatures failed: Unexpected error"}
	case errors.Is(err, pgp.ErrInvalidPacket):
		a.status.Emit("NODATA", "3")
		a.status.Emit("NODATA", "4")
		return &exitError{2, err.Error() + "\n" + a.progName() + ": no signature found\n" + a.progName() + ": " + notVerified}
	case errors.Is(err, pgp.ErrNoSignature), errors.Is(err, pgp.ErrNotClearsigned):
		a.status.Emit("NODATA", "4")
		return &exitError{2, "no signature found\n" + a.progName() + ": " + notVerified}
	}
	a.status.Emit("NODATA", "1")
	return &exitError{2, "verify signatures failed: " + err.Error()}
}

// reportSigs prints status lines and stderr text for each verification in
// gpg's order and sets the exit code: 1 for a bad signature, 2 when a key is
// missing or the signature cannot be checked. In --batch mode gpg stops at
// the first bad signature with exit code 1, and so do we.
func (a *app) reportSigs(vs []*pgp.Verification) error {
	code := 0
	for _, v := range vs {
		c := a.reportSig(v)
		if c == 1 && a.opts.has("batch") {
			return &errStop{1}
		}
		code = max(code, c)
	}
	a.exitCode = max(a.exitCode, code)
	return nil
}

func sigStatusArgs(v *pgp.Verification, rc string, issuerFpr string) []string {
	sig := v.Sig
	return []string{fmt.Sprintf("%016X", v.KeyID), strconv.Itoa(int(sig.PubKeyAlgo)), strconv.Itoa(int(v.HashAlgo)),
		fmt.Sprintf("%02x", uint8(sig.SigType)), strconv.FormatInt(sig.CreationTime.Unix(), 10), rc, issuerFpr}
}

func (a *app) reportSig(v *pgp.Verification) int {
	sig := v.Sig
	if sig.SignerUserId != nil && *sig.SignerUserId != "" {
		// gpg names the signer's user ID subpacket as one escaped field
		a.status.Emit("NEWSIG", status.EscapeField(*sig.SignerUserId))
	} else {
		a.status.Emit("NEWSIG")
	}
	a.infof("Signature made %s", gpgtime.Asc(sig.CreationTime))
	issuerFpr := "-"
	if len(sig.IssuerFingerprint) > 0 {
		issuerFpr = fmt.Sprintf("%X", sig.IssuerFingerprint)
	}
	using := issuerFpr
	if using == "-" {
		using = fmt.Sprintf("%016X", v.KeyID)
	}
	fmt.Fprintf(a.stderr, "%s:                using %s key %s\n", a.progName(), sigAlgoWord(sig.PubKeyAlgo), using)
	if sig.SignerUserId != nil && *sig.SignerUserId != "" {
		fmt.Fprintf(a.stderr, "%s:                issuer \"%s\"\n", a.progName(), printable(*sig.SignerUserId))
	}
	keyID := fmt.Sprintf("%016X", v.KeyID)
	if errors.Is(v.Err, pgp.ErrDigestConflict) {
		// a cleartext signature with a hash its Hash header did not name:
		// gpg did not compute it and says so before looking for the key
		a.infof("WARNING: signature digest conflict in message")
		a.status.Emit("ERRSIG", sigStatusArgs(v, "1", issuerFpr)...)
		a.errorf("Can't check signature: General error")
		return 2
	}
	if errors.Is(v.Err, pgp.ErrUnknownDigest) {
		a.status.Emit("ERRSIG", sigStatusArgs(v, strconv.Itoa(errDigestAlgo), issuerFpr)...)
		a.errorf("Can't check signature: Invalid digest algorithm")
		return 2
	}
	var classErr *pgp.SigClassError
	if errors.As(v.Err, &classErr) {
		return a.reportSigClass(v, classErr.Class, issuerFpr)
	}
	if v.Key == nil && errors.Is(v.Err, pgp.ErrNoPublicKey) && !a.gpgv && a.autoKeyRetrieve() && a.retrieveSigner(sig) {
		v.Recheck(a.keyring())
	}
	if v.Key == nil {
		a.gpgvNoKeyring()
		a.status.Emit("ERRSIG", sigStatusArgs(v, "9", issuerFpr)...)
		a.status.Emit("NO_PUBKEY", keyID)
		a.errorf("Can't check signature: No public key")
		return 2
	}
	e := v.Key.Entity
	primaryFpr := fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
	uid := primaryUID(e)
	a.status.Emit("KEY_CONSIDERED", primaryFpr, "0")
	// gpg checks the key's expiry before the signature itself
	ks := a.signingKeyState(v.Key)
	if ks.expired {
		a.status.Emit("KEYEXPIRED", strconv.FormatInt(ks.expiry, 10))
	}
	if a.rejectsDigest(sig.Hash) {
		a.status.Emit("ERRSIG", sigStatusArgs(v, strconv.Itoa(errDigestAlgo), issuerFpr)...)
		a.errorf("Can't check signature: Invalid digest algorithm")
		return 2
	}
	var usageErr *pgp.WrongKeyUsageError
	if errors.As(v.Err, &usageErr) {
		// gpg's check_signature_end_simple: the key exists but may not
		// sign data (bad input 34)
		if !a.opts.has("quiet") {
			a.infof("bad data signature from key %s: Wrong key usage (0x%02x, 0x%x)",
				keylist.KeyIDString(v.Key.PublicKey.KeyId, a.opts.last("keyid-format")), uint8(usageErr.Class), usageErr.Usage)
		}
		a.status.Emit("ERRSIG", sigStatusArgs(v, strconv.Itoa(errWrongKeyUsage), issuerFpr)...)
		a.errorf("Can't check signature: Wrong key usage")
		return 2
	}
	if v.Err != nil && !errors.Is(v.Err, pgp.ErrBadSig) {
		a.status.Emit("ERRSIG", sigStatusArgs(v, "4", issuerFpr)...)
		a.errorf("Can't check signature: %v", v.Err)
		return 2
	}
	if v.Err != nil {
		a.status.Emit("KEY_CONSIDERED", primaryFpr, "0")
		a.status.Emit("BADSIG", keyID, status.Escape(uid))
		a.infof("BAD signature from \"%s\"%s", printable(uid), a.validitySuffix(a.validityWord(e)))
		return 1
	}
	ts := strconv.FormatInt(sig.CreationTime.Unix(), 10)
	if sig.SigType == packet.SigTypeBinary || sig.SigType == packet.SigTypeText {
		id, ok := gpgSigID(sig)
		if !ok {
			id = sigID(sig)
		}
		a.status.Emit("SIG_ID", id, sig.CreationTime.UTC().Format("2006-01-02"), ts)
	}
	a.status.Emit("KEY_CONSIDERED", primaryFpr, "0")
	sigExpired := sigLifetimeOver(sig, a.now)
	goodWord, validity := "Good", a.validityWord(e)
	switch {
	case sigExpired:
		a.status.Emit("EXPSIG", keyID, status.Escape(uid))
		goodWord = "Expired"
	case ks.expired:
		a.status.Emit("EXPKEYSIG", keyID, status.Escape(uid))
	case ks.revocation != nil:
		a.status.Emit("REVKEYSIG", keyID, status.Escape(uid))
	default:
		a.status.Emit("GOODSIG", keyID, status.Escape(uid))
	}
	if ks.expired {
		validity = "expired"
	}
	vopts := a.verifyOptions()
	a.infof("%s signature from \"%s\"%s", goodWord, printable(uid), a.validitySuffix(validity))
	if vopts&verifyShowPrimaryUIDOnly == 0 {
		a.akaLines(e, uid, vopts)
	}
	a.sigURLs(sig, vopts)
	a.notations(sig, vopts)
	expire := "0"
	if sig.SigLifetimeSecs != nil && *sig.SigLifetimeSecs != 0 {
		expire = strconv.FormatInt(sig.CreationTime.Unix()+int64(*sig.SigLifetimeSecs), 10)
	}
	a.status.Emit("VALIDSIG", fmt.Sprintf("%X", v.Key.PublicKey.Fingerprint), sig.CreationTime.UTC().Format("2006-01-02"), ts,
		expire, strconv.Itoa(sig.Version), "0", strconv.Itoa(int(sig.PubKeyAlgo)), strconv.Itoa(int(v.HashAlgo)),
		fmt.Sprintf("%02x", uint8(sig.SigType)), primaryFpr)
	if !a.gpgv {
		a.status.Emit("KEY_CONSIDERED", primaryFpr, "0")
	}
	code := 0
	if sigExpired {
		// gpg counts an expired signature as an error (exit 1)
		code = 1
	}
	defer func() {
		if sigExpired {
			a.infof("Signature expired %s", gpgtime.AscUnix(sigExpiry(sig)))
		} else if sigExpiry(sig) != 0 {
			a.infof("Signature expires %s", gpgtime.AscUnix(sigExpiry(sig)))
		}
	}()
	if a.gpgv {
		// gpgv trusts every key it was given: no trust check
		return code
	}
	if a.trustModel() == "always" {
		// gpg skips the trust check and says so
		a.infof("WARNING: Using untrusted key!")
		return code
	}
	if ks.revocation != nil {
		a.reportRevokedKey(ks, primaryFpr)
	}
	if ks.expired {
		a.infof("Note: This key has expired!")
		a.sigKeyFingerprints(v.Key)
		return code
	}
	// gpg's check_signatures_trust: the key's validity (the best of its
	// user IDs) decides the TRUST_ line and the warning
	keyValidity := a.keyValidity(e)
	if !bytes.Equal(v.Key.PublicKey.Fingerprint, e.PrimaryKey.Fingerprint) {
		// for a subkey's signature gpg looks the primary key up once more
		a.status.Emit("KEY_CONSIDERED", primaryFpr, "0")
	}
	a.status.Emit(keyValidity.StatusKeyword(), "0", a.trustModel())
	switch keyValidity.Value() {
	case trust.Never:
		a.infof("WARNING: We do NOT trust this key!")
		fmt.Fprintf(a.stderr, "%s:          The signature is probably a FORGERY.\n", a.progName())
		// gpg turns this into a bad-signature result: exit 1
		code = 1
	case trust.Marginal:
		a.infof("WARNING: This key is not certified with sufficiently trusted signatures!")
		fmt.Fprintf(a.stderr, "%s:          It is not certain that the signature belongs to the owner.\n", a.progName())
		a.sigKeyFingerprints(v.Key)
	case trust.Fully, trust.Ultimate:
	default:
		a.infof("WARNING: This key is not certified with a trusted signature!")
		fmt.Fprintf(a.stderr, "%s:          There is no indication that the signature belongs to the owner.\n", a.progName())
		a.sigKeyFingerprints(v.Key)
	}
	return code
}

// reportSigClass reports a signature whose class does not sign documents
// as gpg's do_check_sig does, before any key lookup (bad input 33): key
// signatures "need a key packet as root", a revocation is pointed to
// --import, and every other class is simply invalid. Never a good
// signature, whether or not it would verify over the data.
func (a *app) reportSigClass(v *pgp.Verification, class packet.SignatureType, issuerFpr string) int {
	rc := errSigClass
	switch {
	case class == packet.SigTypeKeyRevocation:
		a.errorf("standalone revocation - use \"gpg --import\" to apply")
		rc = errNotProcessed
	case class&^3 == packet.SigTypeGenericCert, class == packet.SigTypeSubkeyBinding, class == packet.SigTypeDirectSignature,
		class == packet.SigTypeSubkeyRevocation, class == packet.SigTypeCertificationRevocation:
		a.errorf("invalid root packet for sigclass %02x", uint8(class))
	}
	a.status.Emit("ERRSIG", sigStatusArgs(v, strconv.Itoa(rc), issuerFpr)...)
	if rc != errNotProcessed {
		a.errorf("Can't check signature: Invalid signature class")
	}
	return 2
}

// standaloneClass is gpg's note on a list of signatures (a detached
// signature) whose first one does not sign a document.
func (a *app) standaloneClass(vs []*pgp.Verification) {
	if len(vs) == 0 || vs[0].Sig == nil {
		return
	}
	if c := vs[0].Sig.SigType; c != packet.SigTypeBinary && c != packet.SigTypeText {
		a.infof("standalone signature of class 0x%02x", uint8(c))
	}
}

// akaLines lists the signer's other user IDs after a good signature, as
// gpg does: revoked and expired ones only with show-unusable-uids, each
// with its validity under show-uid-validity.
func (a *app) akaLines(e *openpgp.Entity, printed string, vopts uint32) {
	uids, err := keylist.UserIDs(e, nil, a.now)
	if err != nil {
		return
	}
	skipped := false
	for _, u := range uids {
		if u.Name == printed && !skipped {
			skipped = true
			continue
		}
		if (u.Revoked || u.Expired) && vopts&verifyShowUnusableUIDs == 0 {
			continue
		}
		word := ""
		switch {
		case u.Revoked:
			word = "revoked"
		case u.Expired:
			word = "expired"
		default:
			word = a.uidValidity(e, u.Name).Word()
		}
		a.infof("                aka \"%s\"%s", printable(u.Name), a.validitySuffix(word))
	}
}

// sigURLs reports a good signature's policy URLs and preferred keyservers
// from its hashed area: always as status lines (POLICY_URL,
// SIG_SUBPACKET), as text when the verify options show them.
func (a *app) sigURLs(sig *packet.Signature, vopts uint32) {
	for _, sp := range pgp.HashedSubpackets(sig) {
		switch sp.Type {
		case pgp.SubpacketPolicyURI:
			if vopts&verifyShowPolicyURLs != 0 {
				// gpg ends these lines twice (log_info, then a newline of its own)
				a.infof("%s%s\n", critical(sp.Critical, "Signature policy: "), printable(string(sp.Data)))
			}
			a.status.Emit("POLICY_URL", status.Escape(string(sp.Data)))
		case pgp.SubpacketPreferredKeyserver:
			if vopts&verifyShowKeyserverURLs != 0 {
				a.infof("%s%s\n", critical(sp.Critical, "Preferred keyserver: "), printable(string(sp.Data)))
			}
			if len(sp.Data) <= 256 {
				flags := 1
				if sp.Critical {
					flags |= 2
				}
				a.status.Emit("SIG_SUBPACKET", strconv.Itoa(int(sp.Type)), strconv.Itoa(flags), strconv.Itoa(len(sp.Data)),
					status.Escape(string(sp.Data)))
			}
		}
	}
}

// critical prefixes gpg's label with "Critical s…" for a critical subpacket.
func critical(crit bool, label string) string {
	if !crit {
		return label
	}
	return "Critical " + strings.ToLower(label[:1]) + label[1:]
}

// notations reports signature notations as gpg does: the name as one
// field, flags when critical or human-readable, the value wrapped over
// NOTATION_DATA lines (50 bytes of text or 250 of binary a line); as text
// ("Signature notation: name=value") for the kinds the verify options
// show (standard ones have no '@' in the name, user ones do).
func (a *app) notations(sig *packet.Signature, vopts uint32) {
	for _, n := range sig.Notations {
		user := strings.Contains(n.Name, "@")
		if user && vopts&verifyShowUserNotations != 0 || !user && vopts&verifyShowStdNotations != 0 {
			a.infof("%s%s=%s", critical(n.IsCritical, "Signature notation: "), printable(n.Name), printable(string(n.Value)))
		}
		a.status.Emit("NOTATION_NAME", status.EscapeField(n.Name))
		if n.IsCritical || n.IsHumanReadable {
			a.status.Emit("NOTATION_FLAGS", boolDigit(n.IsCritical), boolDigit(n.IsHumanReadable))
		}
		wrap := 250
		if n.IsHumanReadable {
			wrap = 50
		}
		a.status.EmitWrapped("NOTATION_DATA", n.Value, wrap)
	}
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// sigAlgoWord is gpg's openpgp_pk_algo_name.
func sigAlgoWord(algo packet.PublicKeyAlgorithm) string {
	switch algo {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly:
		return "RSA"
	case packet.PubKeyAlgoEdDSA:
		return "EDDSA"
	case packet.PubKeyAlgoECDSA:
		return "ECDSA"
	case packet.PubKeyAlgoEd25519:
		return "ED25519"
	case packet.PubKeyAlgoEd448:
		return "ED448"
	case packet.PubKeyAlgoDSA:
		return "DSA"
	case packet.PubKeyAlgoElGamal, 20:
		return "ELG"
	case packet.PubKeyAlgoECDH:
		return "ECDH"
	}
	return "unknown"
}

func (a *app) trustModel() string {
	if a.opts.has("always-trust") {
		return "always"
	}
	if a.tofuPGPFromConf() {
		return "pgp"
	}
	switch m := strings.ToLower(a.opts.last("trust-model")); m {
	case "", "auto":
		// gpg's auto picks pgp when no TOFU data exists; front has none
		return "pgp"
	default:
		return m
	}
}

func (a *app) validityWord(e *openpgp.Entity) string {
	if a.gpgv {
		return "" // gpgv has no trust and no secret keys to consult
	}
	// gpg names the validity of the user ID it prints, the primary one
	return a.uidValidity(e, primaryUID(e)).Word()
}

// validitySuffix is " [validity]" after a user ID in a signature's
// verdict under show-uid-validity (gpg's default); gpgv prints none.
func (a *app) validitySuffix(word string) string {
	if a.verifyOptions()&verifyShowUIDValidity == 0 {
		return ""
	}
	return " [" + word + "]"
}

// printable escapes control characters C-style, as gpg does for user IDs
// in its messages (and in IMPORTED), so a user ID cannot start a new line.
func printable(s string) string { return cEscape(s, nil) }

// cEscape is gpg's make_printable_string: C escapes for \n \r \f \v \b
// and NUL, \xHH for other control bytes, DEL and the bytes special picks.
func cEscape(s string, special func(c byte) bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\f':
			b.WriteString(`\f`)
		case c == '\v':
			b.WriteString(`\v`)
		case c == '\b':
			b.WriteString(`\b`)
		case c == 0:
			b.WriteString(`\0`)
		case c < 0x20 || c == 0x7f || special != nil && special(c):
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func primaryUID(e *openpgp.Entity) string {
	if id := e.PrimaryIdentity(); id != nil {
		return id.Name
	}
	return "[?]"
}

// sigID is a stable identifier of a signature for SIG_ID (gpg derives its
// own from different inputs; clients use it only to detect replays).
func sigID(sig *packet.Signature) string {
	var buf bytes.Buffer
	sig.Serialize(&buf)
	sum := sha1.Sum(buf.Bytes())
	return base64.RawStdEncoding.EncodeToString(sum[:])
}

// sigKeyFingerprints is gpg's print_fingerprint mode 1 after a trust
// warning: the primary key's fingerprint, then the signing subkey's when a
// subkey made the signature.
func (a *app) sigKeyFingerprints(k *openpgp.Key) {
	e := k.Entity
	fmt.Fprintf(a.stderr, "Primary key fingerprint: %s\n", spacedFingerprint(e.PrimaryKey.Fingerprint))
	if !bytes.Equal(k.PublicKey.Fingerprint, e.PrimaryKey.Fingerprint) {
		fmt.Fprintf(a.stderr, "     Subkey fingerprint: %s\n", spacedFingerprint(k.PublicKey.Fingerprint))
	}
}

func spacedFingerprint(fpr []byte) string {
	return keylist.FormatFingerprint(fmt.Sprintf("%X", fpr))
}
