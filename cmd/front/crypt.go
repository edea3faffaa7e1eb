package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/status"
	"github.com/frontpgp/front/trust"
)

// recipientKeys resolves the recipients (recipientSpecs) to encryption
// keys, refusing keys whose validity is not established unless the trust
// model is "always" or the recipient is trusted by its option.
func (a *app) recipientKeys(specs []recipientSpec) ([]*packet.PublicKey, []bool, []*openpgp.Entity, error) {
	var keys []*packet.PublicKey
	var hidden []bool
	var ents []*openpgp.Entity
	seen := map[string]bool{}
	// gpg resolves the recipients last first (its KEY_CONSIDERED and
	// INV_RECP lines come in that order) but encrypts to them in the
	// order given
	for i := len(specs) - 1; i >= 0; i-- {
		spec := specs[i].name
		var found openpgp.EntityList
		located := false
		if specs[i].file {
			var err error
			if found, err = a.certsFromFile(spec); err != nil {
				a.status.Emit("INV_RECP", "1", spec)
				a.failure("encrypt", errNoPubkey)
				return nil, nil, nil, &exitError{2, fmt.Sprintf("%s: skipped: %v", spec, err)}
			}
		} else {
			found = a.findCerts(spec)
			if k, _ := a.encryptionKeyFor(found); k == nil && isMailbox(spec) {
				// gpg runs --auto-key-locate for an address without a
				// usable key; its error replaces "No public key"
				ls, err := a.locateRecipient(spec)
				var le *locateError
				switch {
				case err == nil:
					found, located = ls, true
				case errors.As(err, &le) && le != errLocateNoPubkey:
					a.status.Emit("INV_RECP", "0", spec)
					a.failure("encrypt", le.code)
					a.infof("%s: skipped: %s", spec, le.text)
					return nil, nil, nil, &exitError{2, "[stdin]: encryption failed: " + le.text}
				case !errors.As(err, &le):
					return nil, nil, nil, err
				}
			}
		}
		key, ent := a.encryptionKeyFor(found)
		if key == nil && len(found) > 0 {
			// a key, but none of its parts can encrypt: gpg considers it,
			// then rejects it (flags 3: not selected, unusable)
			fpr := fmt.Sprintf("%X", found[0].PrimaryKey.Fingerprint)
			a.status.Emit("KEY_CONSIDERED", fpr, "0")
			a.status.Emit("KEY_CONSIDERED", fpr, "3")
			a.status.Emit("INV_RECP", "0", spec)
			a.failure("encrypt", errUnusablePubkey)
			a.infof("%s: skipped: Unusable public key", spec)
			return nil, nil, nil, &exitError{2, "[stdin]: encryption failed: Unusable public key"}
		}
		if key == nil {
			a.status.Emit("INV_RECP", "1", spec)
			a.failure("encrypt", errNoPubkey)
			a.infof("%s: skipped: No public key", spec)
			return nil, nil, nil, &exitError{2, "[stdin]: encryption failed: No public key"}
		}
		// gpg looks a recipient up twice (the key, then its validity), a
		// recipient it takes without validity once, the default key
		// once more
		lookups := 2
		switch {
		case specs[i].self:
			lookups = 3
		case specs[i].trusted, located:
			// a key found by --auto-key-locate is looked up once, by
			// the fingerprint the fetch reported
			lookups = 1
		}
		for range lookups {
			a.status.Emit("KEY_CONSIDERED", fmt.Sprintf("%X", ent.PrimaryKey.Fingerprint), "0")
		}
		if seen[string(key.Fingerprint)] {
			a.infof("%s: skipped: public key already present", spec)
			continue
		}
		seen[string(key.Fingerprint)] = true
		// gpg's do_we_trust: marginal, full and ultimate validity will do
		// (marginal with a note); anything less is refused in batch mode
		// (and here also without it, see the README)
		if a.trustModel() != "always" && !specs[i].trusted {
			switch v := a.keyValidity(ent); v.Value() {
			case trust.Marginal:
				a.infof("%016X: There is limited assurance this key belongs to the named user", key.KeyId)
			case trust.Fully, trust.Ultimate:
			default:
				a.status.Emit("INV_RECP", "10", spec)
				a.failure("encrypt", errUnusablePubkey)
				if v.Value() == trust.Never {
					a.infof("%016X: This key is bad!  It has been marked as untrusted!", key.KeyId)
				} else {
					a.infof("%016X: There is no assurance this key belongs to the named user", key.KeyId)
				}
				a.infof("%s: skipped: Unusable public key", spec)
				return nil, nil, nil, &exitError{2, "[stdin]: encryption failed: Unusable public key"}
			}
		}
		keys = append([]*packet.PublicKey{key}, keys...)
		hidden = append([]bool{specs[i].hidden}, hidden...)
		ents = append([]*openpgp.Entity{ent}, ents...)
	}
	return keys, hidden, ents, nil
}

// chooseCipher picks what every recipient prefers, like gpg; AES-256 when
// all of them list it, else AES-128 which every OpenPGP peer implements.
func (a *app) chooseCipher(ents []*openpgp.Entity) (packet.CipherFunction, error) {
	if s := a.opts.last("cipher-algo"); s != "" {
		return pgp.ParseCipher(s)
	}
	for _, e := range ents {
		sig, _ := e.PrimarySelfSignature()
		ok := false
		if sig != nil {
			for _, c := range sig.PreferredSymmetric {
				if packet.CipherFunction(c) == packet.CipherAES256 {
					ok = true
				}
			}
		}
		if !ok {
			return packet.CipherAES128, nil
		}
	}
	return packet.CipherAES256, nil
}

func (a *app) encryptCmd(args []string) error {
	cmd := a.opts.command
	symmetric := cmd == "symmetric" || cmd == "sign-symmetric" || cmd == "encrypt-symmetric" || cmd == "sign-encrypt-symmetric"
	signing := cmd == "sign-encrypt" || cmd == "sign-symmetric" || cmd == "sign-encrypt-symmetric"
	publicKey := cmd == "encrypt" || cmd == "sign-encrypt" || cmd == "encrypt-symmetric" || cmd == "sign-encrypt-symmetric"
	if len(args) > 1 {
		return &exitError{2, "usage: gpg [options] --encrypt [filename]"}
	}
	// gpg's order: with recipients the passphrase is asked first (-ec,
	// -sec), without them after the signing key is looked up (-sc).
	var passphrase []byte
	askPassphrase := func() error {
		p, err := a.symPassphrase(a.passphraseCipher(), 3, 2, true)
		if err == nil {
			passphrase = p
			return nil
		}
		if errors.Is(err, errPassphraseCanceled) || errors.Is(err, errPassphraseInvalid) {
			code := errCanceled
			if errors.Is(err, errPassphraseInvalid) {
				code = errInvPassphrase
			}
			a.failure(a.failureLocation(), gpgError(srcGPG, code))
			a.errorf("error creating passphrase: %v", err)
			return &exitError{2, fmt.Sprintf("symmetric encryption of '%s' failed: %v", inputName(args), err)}
		}
		if errors.Is(err, errNoPassphrase) {
			return &exitError{2, "symmetric encryption failed: No passphrase given"}
		}
		return err
	}
	if symmetric && publicKey {
		if err := askPassphrase(); err != nil {
			return err
		}
	}
	var signers []pgp.SignKey
	if signing {
		var err error
		if signers, err = a.signers(); err != nil {
			return err
		}
	}
	if symmetric && !publicKey {
		if err := askPassphrase(); err != nil {
			return err
		}
	}
	var recips []*packet.PublicKey
	var hidden []bool
	var ents []*openpgp.Entity
	if publicKey {
		specs := a.recipientSpecs()
		if len(specs) == 0 {
			// gpg in batch mode (and front always: it does not prompt
			// for recipients)
			a.errorf("no valid addressees")
			a.status.Emit("NO_RECP", "0")
			a.failure("encrypt", errNoUserID)
			return &exitError{2, "[stdin]: encryption failed: No user ID"}
		}
		var err error
		if recips, hidden, ents, err = a.recipientKeys(specs); err != nil {
			return err
		}
		if signing && !a.opts.has("digest-algo") {
			if h, ok := recipientHash(ents, signers); ok {
				for i := range signers {
					signers[i].Hash = h
				}
			}
		}
	}
	cipher, err := a.chooseCipher(ents)
	if err != nil {
		return &exitError{2, err.Error()}
	}
	comp, level, err := a.compression(packet.CompressionZLIB)
	if err != nil {
		return err
	}
	ext := ".gpg"
	if a.armor() {
		ext = ".asc"
	}
	in, out, err := a.openInOut(args, ext)
	if err != nil {
		return err
	}
	defer in.Close()
	c := &pgp.Compose{Recipients: recips, Hidden: hidden, Passphrase: passphrase, Cipher: cipher, AEAD: pgp.SEIPDv2Mode(ents, cipher), Compression: comp, Level: level,
		Signers: signers, Sign: a.remoteSign, TextMode: a.opts.has("textmode"), FileName: a.literalName(args),
		ModTime: a.now, Created: a.now}
	announce := func() { a.status.Emit("BEGIN_ENCRYPTION", "2", strconv.Itoa(int(cipher))) }
	dest := out.w
	var late *encryptionAnnouncer
	if signing && publicKey {
		// gpg's encryption layer sees data only after its buffers fill
		late = &encryptionAnnouncer{w: out.w, announce: announce}
		dest = late
	} else {
		announce()
	}
	if signing {
		a.announceSigners(signers)
	}
	var sigs []*packet.Signature
	err = a.withArmor(dest, "PGP MESSAGE", func(w io.Writer) error {
		var err error
		sigs, err = c.Write(w, in)
		return err
	})
	if err != nil {
		out.abort()
		if signing {
			return a.signFailed(err)
		}
		return &exitError{2, "encryption failed: " + err.Error()}
	}
	if signing {
		a.sigCreated("S", sigs)
	}
	if late != nil {
		late.finish()
	}
	a.status.Emit("END_ENCRYPTION")
	return out.commit()
}

func (a *app) decryptCmd(args []string) error {
	in, err := a.openDataInput(firstArg(args), false)
	if err != nil {
		return err
	}
	defer in.Close()
	br, head := peekInput(in)
	var body io.Reader = br
	if isClearsigned(head) {
		return a.verifyCleartext(br, true)
	}
	if pgp.WantsDearmor(head) {
		blk, err := pgp.DecodeArmor(br)
		if err != nil {
			return a.messageInputError(err)
		}
		body = blk.Body
	}
	env, err := pgp.ReadEnvelope(body)
	if err != nil {
		return a.messageInputError(err)
	}
	out, err := a.openOutput("")
	if err != nil {
		return err
	}
	if env.Encrypted == nil {
		msg, err := pgp.ReadSigned(env.Rest, out.w, a.keyring(), a.readOptions())
		if err != nil {
			out.abort()
			return a.messageInputError(err)
		}
		a.plaintextLength(msg)
		a.messageProblems(msg)
		if err := out.commit(); err != nil {
			return err
		}
		return a.reportSigs(msg.Sigs)
	}
	err = a.decryptEnvelope(env, out)
	if err != nil {
		out.abort()
		return err
	}
	// gpg reads its input to the end (its progress filter reports the
	// last count there), whatever follows the message
	io.Copy(io.Discard, br)
	return out.commit()
}

// messageInputError reports input that holds no usable message the way
// gpg's --decrypt (or its guess without a command) does: NODATA 1 no
// armored data, 2 no packet at all, 3 an invalid packet; UNEXPECTED 0 for
// a key where a message was expected. Exit code 2.
func (a *app) messageInputError(err error) error {
	where, failed := "decrypt", "decrypt_message failed"
	if a.opts.command == "" {
		where, failed = "-", "processing message failed"
	}
	switch {
	case errors.Is(err, pgp.ErrNoArmor):
		a.status.Emit("NODATA", "1")
		a.status.Emit("NODATA", "2")
		a.failure(where, gpgErrEOF)
		return &exitError{2, "no valid OpenPGP data found.\n" + a.progName() + ": " + failed + ": Unknown system error"}
	case errors.Is(err, pgp.ErrNoData):
		a.status.Emit("NODATA", "2")
		a.failure(where, gpgErrEOF)
		return &exitError{2, failed + ": Unknown system error"}
	case errors.Is(err, pgp.ErrUnexpectedPacket) && a.opts.command != "":
		// (without a command gpg would list keys instead)
		a.status.Emit("UNEXPECTED", "0")
		a.failure(where, errUnexpected)
		return &exitError{2, failed + ": Unexpected error"}
	case errors.Is(err, pgp.ErrArmor):
		a.status.Emit("NODATA", "1")
		return &exitError{2, "no valid OpenPGP data found."}
	case errors.Is(err, pgp.ErrInvalidPacket):
		a.status.Emit("NODATA", "3")
		return &exitError{2, failed + ": " + err.Error()}
	}
	a.status.Emit("NODATA", "1")
	return &exitError{2, failed + ": " + err.Error()}
}

// readOptions carries --max-output: gpg's 0 means no limit; without the
// option the compression bomb guard applies.
func (a *app) readOptions() pgp.ReadOptions {
	o := pgp.ReadOptions{OnLiteral: a.plaintextStatus}
	if a.opts.has("max-output") {
		n, err := strconv.ParseInt(a.opts.last("max-output"), 10, 64)
		if err == nil && n > 0 {
			o.MaxOutput = n
		} else {
			o.MaxOutput = -1
		}
	}
	return o
}

// messageProblems reports structural problems gpg reports while it reads
// the packets, before the signatures.
func (a *app) messageProblems(msg *pgp.Message) {
	if msg.MultipleLiterals {
		a.status.Emit("ERROR", "proc_pkt.plaintext", "89_BAD_DATA")
		a.infof("WARNING: multiple plaintexts seen")
		a.errorf("handle plaintext failed: Unexpected error")
	}
}

func isClearsigned(head []byte) bool {
	return len(head) > 0 && string(head[:min(len(head), 34)]) == "-----BEGIN PGP SIGNED MESSAGE-----"
}

// plaintextLength follows PLAINTEXT when the literal packet had a definite
// length (gpg knows it before the data; we report it after streaming it,
// which keeps the same order of status lines).
func (a *app) plaintextLength(msg *pgp.Message) {
	if msg.LiteralLength >= 0 {
		a.status.Emit("PLAINTEXT_LENGTH", strconv.FormatInt(msg.LiteralLength, 10))
	}
}

func (a *app) plaintextStatus(lit *packet.LiteralData) {
	a.status.Emit("PLAINTEXT", fmt.Sprintf("%x", lit.Format), strconv.FormatUint(uint64(lit.Time), 10), status.EscapeField(lit.FileName))
}

// sessionKeyResult is how the session key was found, for gpg's messages.
// It is filled one session key packet at a time, in the order of the
// packets (gpg's proc_pubkey_enc and proc_symkey_enc), so --list-packets
// can interleave its status lines with the listing as gpg does.
type sessionKeyResult struct {
	cipher    packet.CipherFunction
	key       []byte
	symmetric bool   // the key came from a passphrase
	failMsg   string // why there is none: "No secret key", "Bad session key", ...
	// pkesks is gpg's record of the public-key packets (mainproc.c's
	// kidlist), described once all session key packets are read.
	pkesks []pkeskReport
	skesks int // passphrase packets seen, whether or not tried
	// noPassphrase: keyhelper needed a passphrase that could not be had
	// (batch mode); nothing more is tried and decryption fails.
	noPassphrase bool
	// skeskDone: a passphrase was refused or not given; no further
	// passphrase packet is tried.
	skeskDone bool
}

func newSessionKeyResult() *sessionKeyResult {
	return &sessionKeyResult{failMsg: "No secret key"}
}

// pkeskReport is what gpg remembers of one PKESK: why it gave no session
// key, if it gave none.
type pkeskReport struct {
	keyID    uint64
	algo     packet.PublicKeyAlgorithm
	noSecret bool   // no secret key here, or the session key was already found
	listOnly bool   // --list-only: a secret key is here, not tried
	failure  string // the keyhelper's failure, in gpg's words
	code     int    // its gpg error code
}

// errBadKey is GPG_ERR_BAD_KEY, which gpg reports without a source for an
// --override-session-key it cannot parse.
const errBadKey = 19

// sessionKeyOverride is --override-session-key (or the line read from
// --override-session-key-fd) parsed as gpg's get_override_session_key
// does: a decimal cipher number (read up to its first non-digit, so
// GnuPG 2.4's "9.2:" form works too), a colon, then the key in hex.
type sessionKeyOverride struct {
	cipher packet.CipherFunction
	key    []byte
	bad    bool // not of that form: gpg's "Bad session key"
}

// maxOverrideKey is the size of gpg's DEK key buffer.
const maxOverrideKey = 32

func parseSessionKeyOverride(s string) sessionKeyOverride {
	digits := len(s) - len(strings.TrimLeft(s, "0123456789"))
	algo, err := strconv.Atoi(s[:digits])
	_, hexKey, found := strings.Cut(s, ":")
	key, herr := hex.DecodeString(hexKey)
	if err != nil || algo < 1 || algo > 255 || !found || herr != nil || len(key) > maxOverrideKey {
		return sessionKeyOverride{bad: true}
	}
	return sessionKeyOverride{cipher: packet.CipherFunction(algo), key: key}
}

// overrideSessionKey returns the session key the user gave, if any.
// --override-session-key-fd is read at start-up (readOverrideSessionKeyFD).
func (a *app) overrideSessionKey() (sessionKeyOverride, bool) {
	switch {
	case a.sessionKeyFromFD != nil:
		return parseSessionKeyOverride(*a.sessionKeyFromFD), true
	case a.opts.has("override-session-key"):
		return parseSessionKeyOverride(a.opts.last("override-session-key")), true
	}
	return sessionKeyOverride{}, false
}

// readOverrideSessionKeyFD reads the line --override-session-key-fd names,
// as gpg does right after its options and before any data, byte by byte
// so that data following it on the same fd stays unread.
func (a *app) readOverrideSessionKeyFD() error {
	if !a.opts.has("override-session-key-fd") {
		return nil
	}
	fd, err := strconv.Atoi(a.opts.last("override-session-key-fd"))
	var f *os.File
	if err == nil && fd >= 0 {
		f = os.NewFile(uintptr(fd), "override-session-key-fd")
	}
	if f == nil {
		return errors.New("override-session-key-fd is invalid: Bad file descriptor")
	}
	if _, err := f.Stat(); err != nil {
		return errors.New("override-session-key-fd is invalid: Bad file descriptor")
	}
	line, err := firstLine(f)
	if err != nil {
		return err
	}
	s := string(line)
	a.sessionKeyFromFD = &s
	return nil
}

// sessionKey finds the session key as gpg does: each PKESK in order with
// our secret keys (through keyhelper), then a passphrase for SKESKs. It
// writes gpg's status lines and stderr text on the way.
func (a *app) sessionKey(env *pgp.Envelope) (*sessionKeyResult, error) {
	res := newSessionKeyResult()
	for _, pk := range env.PKESKs {
		if err := a.pkeskSessionKey(res, pk); err != nil {
			return nil, err
		}
	}
	for _, sk := range env.SKESKs {
		if err := a.skeskSessionKey(res, sk); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// pkeskSessionKey is gpg's proc_pubkey_enc: ENC_TO, then, unless the
// session key is known already, the user's override or each secret key
// for the packet in turn (through keyhelper).
func (a *app) pkeskSessionKey(res *sessionKeyResult, pk pgp.RawPKESK) error {
	if res.noPassphrase {
		return nil
	}
	listOnly := a.opts.has("list-only")
	if a.opts.has("verbose") {
		a.infof("public key is %016X", pk.Parsed.KeyId)
	}
	a.status.Emit("ENC_TO", fmt.Sprintf("%016X", pk.Parsed.KeyId), strconv.Itoa(int(pk.Parsed.Algo)), "0")
	r := pkeskReport{keyID: pk.Parsed.KeyId, algo: pk.Parsed.Algo}
	if ov, ok := a.overrideSessionKey(); ok && !listOnly {
		// gpg takes the override at every PKESK and asks for no key
		if ov.bad {
			r.failure, r.code = "Bad session key", errBadKey
		} else {
			res.cipher, res.key = ov.cipher, ov.key
		}
		res.pkesks = append(res.pkesks, r)
		return nil
	}
	if res.key != nil {
		// gpg tries no further key once it has the session key
		r.noSecret = true
		res.pkesks = append(res.pkesks, r)
		return nil
	}
	var cands []openpgp.Key
	for _, e := range a.ownCerts() {
		for _, k := range allKeys(e) {
			if (pk.Parsed.KeyId == 0 || k.PublicKey.KeyId == pk.Parsed.KeyId) && a.hasSecret(k.PublicKey) && k.PublicKey.PubKeyAlgo == pk.Parsed.Algo {
				cands = append(cands, k)
			}
		}
	}
	if len(cands) == 0 {
		r.noSecret = true
		res.pkesks = append(res.pkesks, r)
		return nil
	}
	if listOnly {
		// --list-only names the keys and decrypts nothing.
		r.listOnly = true
		res.pkesks = append(res.pkesks, r)
		return nil
	}
	for _, c := range cands {
		primary := fmt.Sprintf("%X", c.Entity.PrimaryKey.Fingerprint)
		r = pkeskReport{keyID: c.PublicKey.KeyId, algo: c.PublicKey.PubKeyAlgo}
		// gpg looks the key up before it asks the agent (and so
		// before any passphrase prompt)
		a.status.Emit("KEY_CONSIDERED", primary, "0")
		var out ipc.DecryptResult
		var err error
		serial := a.cardOf(c.PublicKey)
		if serial != "" && a.remoteSigner == "" {
			out.Cipher, out.SessionKey, err = a.cardSessionKey(c.PublicKey, serial, pk.Raw)
		} else if err = a.callKeyhelper(false, &ipc.DecryptRequest{KeyFingerprint: c.PublicKey.Fingerprint, PKESK: pk.Raw, PrimaryFingerprint: c.Entity.PrimaryKey.Fingerprint}, &out); err != nil && serial != "" {
			// the remote signer answers for a card key with cardhelper's codes
			err = a.cardCallFailed(err)
		}
		if errors.Is(err, errNoPassphrase) {
			res.noPassphrase = true
			return nil
		}
		var cf *cardFailure
		if errors.As(err, &cf) {
			r.failure, r.code = cf.msg, cf.code
			res.pkesks = append(res.pkesks, r)
			continue
		}
		if err != nil {
			code, he := helperErrorCode(err)
			if a.badPassphrase {
				code = gpgError(srcAgent, errBadPassphrase)
			}
			pf := a.fe.passFailure
			a.fe.passFailure = nil
			if pf != nil {
				code = pf.code
			}
			msg := err.Error()
			switch {
			case pf != nil:
				msg = pf.msg
			case code == gpgError(srcAgent, errBadPassphrase):
				msg = "Bad passphrase"
			case err == errNoPassphrase:
				msg = "No passphrase given"
			case he != nil:
				msg = he.Message
			}
			r.failure, r.code = msg, code
			res.pkesks = append(res.pkesks, r)
			a.badPassphrase = false
			continue
		}
		// and again for the DECRYPTION_KEY line
		a.status.Emit("KEY_CONSIDERED", primary, "0")
		a.status.Emit("DECRYPTION_KEY", fmt.Sprintf("%X", c.PublicKey.Fingerprint), primary, string(a.ownertrustOf(primary).Letter()))
		res.pkesks = append(res.pkesks, r)
		res.cipher, res.key = packet.CipherFunction(out.Cipher), out.SessionKey
		return nil
	}
	return nil
}

// skeskSessionKey is gpg's proc_symkey_enc: unless the session key is
// known already, the user's override or a passphrase for the packet.
func (a *app) skeskSessionKey(res *sessionKeyResult, sk pgp.RawSKESK) error {
	res.skesks++
	if res.key != nil || res.noPassphrase || res.skeskDone {
		return nil
	}
	if sk.HasSessionKey() {
		a.infof("%s.CFB encrypted session key", pgp.CipherName(sk.Cipher))
	} else {
		a.infof("%s.CFB encrypted data", pgp.CipherName(sk.Cipher))
	}
	if a.opts.has("list-only") {
		return nil
	}
	if ov, ok := a.overrideSessionKey(); ok {
		if !ov.bad {
			res.cipher, res.key = ov.cipher, ov.key
		}
		return nil
	}
	pass, err := a.symPassphrase(sk.Cipher, int(sk.S2KMode), int(sk.S2KHash), false)
	switch {
	case errors.Is(err, errNoPassphrase):
		res.failMsg = "No passphrase given"
		res.skeskDone = true
		return nil
	case errors.Is(err, errPassphraseCanceled), errors.Is(err, errPassphraseInvalid):
		// gpg goes on without a session key and then has none
		res.skeskDone = true
		return nil
	case err != nil:
		return err
	}
	key, cipher, err := sk.Decrypt(pass)
	if err != nil {
		res.failMsg = "Bad session key"
		return nil
	}
	res.cipher, res.key, res.symmetric = cipher, key, true
	return nil
}

// describePKESKs is gpg's print_pkenc_list, run when the encrypted data
// packet is reached: the PKESKs that gave no session key first, then the
// one that did, each group last packet first, looking each public key up;
// nothing of it with --quiet.
func (a *app) describePKESKs(reports []pkeskReport) {
	if a.opts.has("quiet") {
		return
	}
	for _, failedGroup := range []bool{true, false} {
		for i := len(reports) - 1; i >= 0; i-- {
			r := reports[i]
			if failed := r.noSecret || r.listOnly || r.failure != ""; failed != failedGroup {
				continue
			}
			a.describeEncryptionKey(r.keyID, r.algo)
			switch {
			case r.noSecret:
				a.status.Emit("NO_SECKEY", fmt.Sprintf("%016X", r.keyID))
			case r.failure != "":
				a.infof("public key decryption failed: %s", r.failure)
				a.status.Emit("ERROR", "pkdecrypt_failed", strconv.Itoa(r.code))
			}
		}
	}
}

func pubkeyWord(a packet.PublicKeyAlgorithm) string {
	switch a {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSAEncryptOnly:
		return "RSA"
	case packet.PubKeyAlgoECDH, packet.PubKeyAlgoX25519:
		return "ECDH"
	case packet.PubKeyAlgoElGamal:
		return "ELG"
	}
	return "unknown"
}

func (a *app) decryptEnvelope(env *pgp.Envelope, out *output) error {
	sk, err := a.sessionKey(env)
	if err != nil {
		return err
	}
	return a.decryptData(env, sk, func(plain io.Reader) (func() error, error) {
		if a.opts.has("unwrap") {
			// the decrypted packets as they are, not processed
			return nil, a.withArmor(out.w, "PGP MESSAGE", func(w io.Writer) error {
				_, err := io.Copy(w, plain)
				return err
			})
		}
		msg, err := pgp.ReadSigned(plain, out.w, a.keyring(), a.readOptions())
		if err != nil {
			return nil, err
		}
		return func() error {
			a.plaintextLength(msg)
			a.messageProblems(msg)
			return a.reportSigs(msg.Sigs)
		}, nil
	})
}

// plaintextConsumer reads the decrypted packets of a message. The report
// it returns (nil: none) runs only after the integrity check has passed,
// for what gpg reports after the data (signatures).
type plaintextConsumer func(plain io.Reader) (report func() error, err error)

// decryptData is gpg's proc_encrypted with the session key packets read
// into sk: how the message was encrypted (stderr), BEGIN_DECRYPTION,
// DECRYPTION_INFO, the decrypted packets handed to consume, the integrity
// check and the closing status lines. Without any session key packet the
// key is the override or, as gpg assumes, PGP 2's IDEA with a passphrase.
func (a *app) decryptData(env *pgp.Envelope, sk *sessionKeyResult, consume plaintextConsumer) error {
	failed := func(msg string) error {
		a.status.Emit("DECRYPTION_FAILED")
		a.status.Emit("END_DECRYPTION")
		return &exitError{2, "decryption failed: " + msg}
	}
	if sk.noPassphrase {
		a.status.Emit("BEGIN_DECRYPTION")
		return failed("No passphrase given")
	}
	// gpg counts the passphrase packets before it starts decrypting,
	// whether or not one of them gave the session key, then describes
	// the public-key packets
	if n := sk.skesks; n == 1 {
		a.infof("encrypted with 1 passphrase")
	} else if n > 1 {
		a.infof("encrypted with %d passphrases", n)
	}
	a.describePKESKs(sk.pkesks)
	a.status.Emit("BEGIN_DECRYPTION")
	if a.opts.has("list-only") {
		a.status.Emit("END_DECRYPTION")
		return nil
	}
	if sk.key == nil && len(sk.pkesks)+sk.skesks == 0 {
		if ov, ok := a.overrideSessionKey(); ok {
			if ov.bad {
				return failed("Bad session key")
			}
			sk.cipher, sk.key = ov.cipher, ov.key
		} else {
			// no session key packet: gpg assumes PGP 2's conventional
			// encryption (and checks no prefix bytes for it)
			a.infof("assuming IDEA encrypted data")
			pass, err := a.symPassphrase(pgp.CipherIDEA, 0, 2, false)
			switch {
			case errors.Is(err, errNoPassphrase):
				return failed("No passphrase given")
			case errors.Is(err, errPassphraseCanceled), errors.Is(err, errPassphraseInvalid):
				return failed(err.Error())
			case err != nil:
				return err
			}
			sk.cipher, sk.key = pgp.ConventionalKey(pass)
		}
	}
	if sk.key == nil {
		return failed(sk.failMsg)
	}
	// gpg's form of the session key for --show-session-key and
	// --override-session-key: AEAD adds its mode to the cipher
	shown := strconv.Itoa(int(sk.cipher)) + ":"
	switch c, m := env.AEADSuite(); {
	case m != 0:
		// GnuPG 2.4's form for AEAD: no MDC, the packet's cipher and mode
		a.status.Emit("DECRYPTION_INFO", "0", strconv.Itoa(int(c)), strconv.Itoa(int(m)))
		shown = fmt.Sprintf("%d.%d:", c, m)
	case !env.IntegrityProtected():
		// the MDC method: 0 for data without integrity check
		a.status.Emit("DECRYPTION_INFO", "0", strconv.Itoa(int(sk.cipher)), "0")
	default:
		// 2: SHA-1 MDC
		a.status.Emit("DECRYPTION_INFO", "2", strconv.Itoa(int(sk.cipher)), "0")
	}
	if a.opts.has("show-session-key") {
		hexKey := fmt.Sprintf("%X", sk.key)
		a.infof("session key: '%s%s'", shown, hexKey)
		a.status.Emit("SESSION_KEY", shown+hexKey)
	}
	open := env.OpenEncrypted
	if sk.symmetric {
		// gpg checks the prefix's repeated bytes for passphrase keys only
		open = env.OpenEncryptedWithPassphraseKey
	}
	plain, err := open(sk.cipher, sk.key)
	if err != nil {
		if sk.symmetric {
			a.status.Emit("ERROR", "symkey_decrypt.maybe_error", "11_BAD_PASSPHRASE")
			return failed("Bad session key")
		}
		return failed(err.Error())
	}
	ignoreMDC := a.opts.has("ignore-mdc-error")
	if !env.IntegrityProtected() && !ignoreMDC {
		// gpg streams the plaintext and then fails; front releases
		// none of it (README: no-plaintext-on-failure)
		plain.Close()
		return a.noMDCFailure(sk.cipher)
	}
	report, err := consume(plain)
	if err != nil {
		plain.Close()
		return failed(err.Error())
	}
	// Drain to the end so the integrity check covers every byte.
	if _, err := io.Copy(io.Discard, plain); err != nil {
		return failed(err.Error())
	}
	// with --ignore-mdc-error gpg takes a failed MDC like a missing one
	mdcErr := plain.Close()
	if mdcErr != nil && !(ignoreMDC && errors.Is(mdcErr, pgp.ErrMDCMismatch)) {
		a.status.Emit("BADMDC")
		return failed("integrity check failed")
	}
	goodMDC := env.IntegrityProtected() && mdcErr == nil
	if report != nil {
		if err := report(); err != nil {
			return err
		}
	}
	if !goodMDC {
		a.infof("WARNING: message was not integrity protected")
	}
	a.status.Emit("DECRYPTION_OKAY")
	if goodMDC {
		a.status.Emit("GOODMDC")
	}
	a.status.Emit("END_DECRYPTION")
	return nil
}

// errDecryptFailed is GPG_ERR_DECRYPT_FAILED; gpg writes it in
// nomdc_with_legacy_cipher without an error source.
const errDecryptFailed = 152

// noMDCFailure is gpg's refusal of data without integrity protection
// (without --ignore-mdc-error). For 64-bit block ciphers gpg adds a hint
// that old messages lacked protection and an ERROR status line.
func (a *app) noMDCFailure(c packet.CipherFunction) error {
	a.infof("WARNING: message was not integrity protected")
	if pgp.BlockSize(c) == 8 {
		a.infof("Hint: If this message was created before the year 2003 it is\n" +
			"     likely that this message is legitimate.  This is because back\n" +
			"     then integrity protection was not widely used.")
		a.infof("Use the option '--ignore-mdc-error' to decrypt anyway.")
		a.status.Emit("ERROR", "nomdc_with_legacy_cipher", strconv.Itoa(errDecryptFailed))
	}
	a.status.Emit("DECRYPTION_FAILED")
	a.status.Emit("END_DECRYPTION")
	return &exitError{2, "decryption forced to fail!"}
}
