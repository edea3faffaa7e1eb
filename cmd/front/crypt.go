package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/keylist"
	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/status"
)

// recipientKeys resolves -r specs to encryption keys, refusing keys whose
// validity is not established unless the trust model is "always".
func (a *app) recipientKeys() ([]*packet.PublicKey, []*openpgp.Entity, error) {
	var keys []*packet.PublicKey
	var ents []*openpgp.Entity
	for _, spec := range a.opts.values["recipient"] {
		found := a.findCerts(spec)
		var key *packet.PublicKey
		var ent *openpgp.Entity
		for _, e := range found {
			if k, ok := e.EncryptionKey(a.now); ok {
				key, ent = k.PublicKey, e
				break
			}
		}
		if key == nil {
			a.status.Emit("INV_RECP", "1", spec)
			a.failure("encrypt", errNoPubkey)
			a.infof("%s: skipped: No public key", spec)
			return nil, nil, &exitError{2, "[stdin]: encryption failed: No public key"}
		}
		a.status.Emit("KEY_CONSIDERED", fmt.Sprintf("%X", ent.PrimaryKey.Fingerprint), "0")
		if !a.isOwn(ent) && a.trustModel() != "always" {
			a.status.Emit("INV_RECP", "10", spec)
			a.failure("encrypt", errUnusablePubkey)
			a.infof("%016X: There is no assurance this key belongs to the named user", key.KeyId)
			a.infof("%s: skipped: Unusable public key", spec)
			return nil, nil, &exitError{2, "[stdin]: encryption failed: Unusable public key"}
		}
		keys = append(keys, key)
		ents = append(ents, ent)
	}
	return keys, ents, nil
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
	var recips []*packet.PublicKey
	var ents []*openpgp.Entity
	if publicKey {
		if len(a.opts.values["recipient"]) == 0 {
			return &exitError{2, "no recipients given (use -r)"}
		}
		var err error
		if recips, ents, err = a.recipientKeys(); err != nil {
			return err
		}
	}
	cipher, err := a.chooseCipher(ents)
	if err != nil {
		return &exitError{2, err.Error()}
	}
	var passphrase []byte
	if symmetric {
		p, ok, err := a.fixedPassphrase()
		if err != nil {
			return err
		}
		if !ok {
			if a.opts.has("batch") {
				return &exitError{2, "symmetric encryption failed: No passphrase given"}
			}
			p, ok, err = a.promptTTY(&ipc.Inquiry{Kind: ipc.InquireNewPassphrase, Prompt: "Enter passphrase"})
			if err != nil || !ok {
				return &exitError{2, "symmetric encryption failed: No passphrase given"}
			}
		}
		passphrase = p
		a.status.Emit("NEED_PASSPHRASE_SYM", strconv.Itoa(int(cipher)), "3", "2")
	}
	var signers []pgp.SignKey
	if signing {
		if signers, err = a.signers(); err != nil {
			return err
		}
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
	c := &pgp.Compose{Recipients: recips, Passphrase: passphrase, Cipher: cipher, Compression: comp, Level: level,
		Signers: signers, Sign: a.remoteSign, TextMode: a.opts.has("textmode"), FileName: a.literalName(args),
		ModTime: a.now, Created: a.now}
	a.status.Emit("BEGIN_ENCRYPTION", "2", strconv.Itoa(int(cipher)))
	if signing {
		a.announceSigners(signers)
	}
	var sigs []*packet.Signature
	err = a.withArmor(out.w, "PGP MESSAGE", func(w io.Writer) error {
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
	a.status.Emit("END_ENCRYPTION")
	return out.commit()
}

// errDecryptFailed is reported after the DECRYPTION_FAILED status line.
var errDecryptFailed = errors.New("decryption failed")

func (a *app) decryptCmd(args []string) error {
	in, err := a.openInput(firstArg(args))
	if err != nil {
		return err
	}
	defer in.Close()
	br, head := peekInput(in)
	var body io.Reader = br
	if isClearsigned(head) {
		return a.verifyCmd(args)
	}
	if pgp.IsArmored(head) {
		blk, err := armor.Decode(br)
		if err != nil {
			a.status.Emit("NODATA", "1")
			return &exitError{2, "no valid OpenPGP data found."}
		}
		body = blk.Body
	}
	env, err := pgp.ReadEnvelope(body)
	if err != nil {
		a.status.Emit("NODATA", "1")
		return &exitError{2, "decrypt_message failed: " + err.Error()}
	}
	out, err := a.openOutput("")
	if err != nil {
		return err
	}
	if env.Encrypted == nil {
		msg, err := pgp.ReadSigned(env.Rest, out.w, a.loadCerts(), a.readOptions())
		if err != nil {
			out.abort()
			a.status.Emit("NODATA", "1")
			return &exitError{2, "processing message failed: " + err.Error()}
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
	return out.commit()
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
type sessionKeyResult struct {
	cipher    packet.CipherFunction
	key       []byte
	symmetric bool
	failMsg   string // why there is none: "No secret key", "Bad session key", ...
}

// sessionKey finds the session key as gpg does: each PKESK in order with
// our secret keys (through keyhelper), then a passphrase for SKESKs. It
// writes gpg's status lines and stderr text on the way.
func (a *app) sessionKey(env *pgp.Envelope) (*sessionKeyResult, error) {
	res := &sessionKeyResult{failMsg: "No secret key"}
	type report struct {
		pk      *packet.PublicKey // our key, or nil when we have none
		keyID   uint64
		algo    packet.PublicKeyAlgorithm
		failure string
	}
	var reports []report
	for _, pk := range env.PKESKs {
		a.status.Emit("ENC_TO", fmt.Sprintf("%016X", pk.Parsed.KeyId), strconv.Itoa(int(pk.Parsed.Algo)), "0")
		if res.key != nil {
			continue
		}
		var cands []openpgp.Key
		for _, e := range a.loadCerts() {
			for _, k := range allKeys(e) {
				if (pk.Parsed.KeyId == 0 || k.PublicKey.KeyId == pk.Parsed.KeyId) && a.hasSecret(k.PublicKey) && k.PublicKey.PubKeyAlgo == pk.Parsed.Algo {
					cands = append(cands, k)
				}
			}
		}
		if len(cands) == 0 {
			reports = append(reports, report{keyID: pk.Parsed.KeyId, algo: pk.Parsed.Algo})
			continue
		}
		for _, c := range cands {
			primary := fmt.Sprintf("%X", c.Entity.PrimaryKey.Fingerprint)
			a.status.Emit("KEY_CONSIDERED", primary, "0")
			a.status.Emit("KEY_CONSIDERED", primary, "0")
			var out ipc.DecryptResult
			err := a.callKeyhelper(false, &ipc.DecryptRequest{KeyFingerprint: c.PublicKey.Fingerprint, PKESK: pk.Raw}, &out)
			if errors.Is(err, errNoPassphrase) {
				return nil, err
			}
			if err != nil {
				code, he := helperErrorCode(err)
				if a.badPassphrase {
					code = gpgError(srcAgent, errBadPassphrase)
				}
				a.status.Emit("ERROR", "pkdecrypt_failed", strconv.Itoa(code))
				msg := err.Error()
				switch {
				case code == gpgError(srcAgent, errBadPassphrase):
					msg = "Bad passphrase"
				case err == errNoPassphrase:
					msg = "No passphrase given"
				case he != nil:
					msg = he.Message
				}
				reports = append(reports, report{pk: c.PublicKey, keyID: c.PublicKey.KeyId, algo: c.PublicKey.PubKeyAlgo, failure: msg})
				a.badPassphrase = false
				continue
			}
			a.status.Emit("DECRYPTION_KEY", fmt.Sprintf("%X", c.PublicKey.Fingerprint), primary, "u")
			a.status.Emit("KEY_CONSIDERED", primary, "0")
			reports = append(reports, report{pk: c.PublicKey, keyID: c.PublicKey.KeyId, algo: c.PublicKey.PubKeyAlgo})
			res.cipher, res.key = packet.CipherFunction(out.Cipher), out.SessionKey
			break
		}
	}
	for _, r := range reports {
		if r.pk == nil {
			a.status.Emit("NO_SECKEY", fmt.Sprintf("%016X", r.keyID))
			a.infof("encrypted with %s key, ID %016X", pubkeyWord(r.algo), r.keyID)
			continue
		}
		a.infof("encrypted with %d-bit %s key, ID %016X, created %s", keylist.KeyBits(r.pk), pubkeyWord(r.algo), r.keyID, r.pk.CreationTime.UTC().Format("2006-01-02"))
		if k := a.keyByFingerprint(r.pk.Fingerprint); k != nil {
			fmt.Fprintf(a.stderr, "      \"%s\"\n", printable(primaryUID(k.Entity)))
		}
		if r.failure != "" {
			a.errorf("public key decryption failed: %s", r.failure)
		}
	}
	if res.key != nil || len(env.SKESKs) == 0 {
		return res, nil
	}
	res.symmetric = true
	for _, sk := range env.SKESKs {
		a.status.Emit("NEED_PASSPHRASE_SYM", strconv.Itoa(int(sk.Parsed.CipherFunc)), strconv.Itoa(int(sk.S2KMode)), strconv.Itoa(int(sk.S2KHash)))
		pass, ok, err := a.fixedPassphrase()
		if err != nil {
			return nil, err
		}
		if !ok {
			if a.opts.has("batch") {
				res.failMsg = "No passphrase given"
				return res, nil
			}
			if pass, ok, err = a.promptTTY(&ipc.Inquiry{Kind: ipc.InquirePassphrase, Prompt: "Enter passphrase"}); err != nil || !ok {
				res.failMsg = "No passphrase given"
				return res, nil
			}
		}
		key, cipher, err := sk.Parsed.Decrypt(pass)
		if err == nil {
			res.cipher, res.key = cipher, key
			return res, nil
		}
		res.failMsg = "Bad session key"
	}
	return res, nil
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
	failed := func(msg string) error {
		a.status.Emit("DECRYPTION_FAILED")
		a.status.Emit("END_DECRYPTION")
		return &exitError{2, "decryption failed: " + msg}
	}
	if errors.Is(err, errNoPassphrase) {
		a.status.Emit("BEGIN_DECRYPTION")
		return failed("No passphrase given")
	}
	if err != nil {
		return err
	}
	a.status.Emit("BEGIN_DECRYPTION")
	if sk.key == nil {
		return failed(sk.failMsg)
	}
	a.status.Emit("DECRYPTION_INFO", "2", strconv.Itoa(int(sk.cipher)), "0")
	if sk.symmetric {
		a.infof("%s.CFB encrypted data", pgp.CipherName(sk.cipher))
		a.infof("encrypted with 1 passphrase")
	}
	plain, err := env.OpenEncrypted(sk.cipher, sk.key)
	if err != nil {
		switch {
		case errors.Is(err, pgp.ErrNoMDC):
			a.infof("WARNING: message was not integrity protected")
		case sk.symmetric:
			a.status.Emit("ERROR", "symkey_decrypt.maybe_error", "11_BAD_PASSPHRASE")
			return failed("Bad session key")
		}
		return failed(err.Error())
	}
	msg, err := pgp.ReadSigned(plain, out.w, a.loadCerts(), a.readOptions())
	if err != nil {
		plain.Close()
		return failed(err.Error())
	}
	// Drain to the end so the integrity check covers every byte.
	if _, err := io.Copy(io.Discard, plain); err != nil {
		return failed(err.Error())
	}
	if err := plain.Close(); err != nil {
		a.status.Emit("BADMDC")
		return failed("integrity check failed")
	}
	a.plaintextLength(msg)
	a.messageProblems(msg)
	if err := a.reportSigs(msg.Sigs); err != nil {
		return err
	}
	a.status.Emit("DECRYPTION_OKAY")
	a.status.Emit("GOODMDC")
	a.status.Emit("END_DECRYPTION")
	return nil
}
