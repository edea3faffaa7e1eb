package main

import (
	"bytes"
	"crypto"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/store"
)

// KEY_CONSIDERED flags (gpg's LOOKUP_* bits in getkey.c).
const (
	considerNotSelected      = 1 // no key of the certificate was chosen
	considerAllSubkeysExpire = 2 // every subkey fit for the use is revoked or expired (or there is none)
)

// signingKeyOf is gpg's finish_lookup for a signing key: the newest valid
// signing subkey with a secret here, else the primary key. exact is the
// (sub)key a spec with a trailing '!' named (nil: none); then only that key
// is considered, and a key that cannot sign is not replaced by another.
// flags are KEY_CONSIDERED's.
func (a *app) signingKeyOf(e *openpgp.Entity, exact *packet.PublicKey) (pk *packet.PublicKey, flags int) {
	exactPrimary := exact != nil && bytes.Equal(exact.Fingerprint, e.PrimaryKey.Fingerprint)
	if !exactPrimary {
		var best *openpgp.Subkey
		fit, gone := 0, 0
		for i := range e.Subkeys {
			sk := &e.Subkeys[i]
			if exact != nil && !bytes.Equal(sk.PublicKey.Fingerprint, exact.Fingerprint) {
				continue
			}
			if sk.Sig == nil || !sk.Sig.FlagsValid || !sk.Sig.FlagSign {
				continue
			}
			fit++
			if sk.Revoked(a.now) || sk.PublicKey.KeyExpired(sk.Sig, a.now) {
				gone++
				continue
			}
			if sk.PublicKey.CreationTime.After(a.now) || !a.hasSecret(sk.PublicKey) {
				continue
			}
			if best == nil || sk.PublicKey.CreationTime.After(best.PublicKey.CreationTime) {
				best = sk
			}
		}
		if fit == gone {
			flags |= considerAllSubkeysExpire
		}
		if best != nil {
			return best.PublicKey, flags
		}
	}
	if exact == nil || exactPrimary {
		sig, _ := e.PrimarySelfSignature()
		if sig != nil && (!sig.FlagsValid || sig.FlagSign) && a.hasSecret(e.PrimaryKey) && !e.Revoked(a.now) && !e.PrimaryKey.KeyExpired(sig, a.now) {
			return e.PrimaryKey, flags
		}
	}
	return nil, flags | considerNotSelected
}

// exactKey is the (sub)key of e a '!' spec names, or nil.
func exactKey(e *openpgp.Entity, q store.Query) *packet.PublicKey {
	if !q.Exact {
		return nil
	}
	for _, k := range allKeys(e) {
		if q.MatchKey(k.PublicKey.Fingerprint) {
			return k.PublicKey
		}
	}
	return nil
}

// hasAnySecret is gpg's agent_probe_any_secret_key: some key of e has a
// secret (or a stub) here.
func (a *app) hasAnySecret(e *openpgp.Entity) bool {
	for _, k := range allKeys(e) {
		if _, ok := a.secretKeys()[fmt.Sprintf("%X", k.PublicKey.Fingerprint)]; ok {
			return true
		}
	}
	return false
}

// signingKeyFor looks spec up as gpg's getkey_byname does for a signer:
// each matching certificate with a secret here is considered
// (KEY_CONSIDERED) until one has a key that signs. The error code is
// GPG_ERR_UNUSABLE_SECKEY when a certificate was found but none of its
// keys can sign, else GPG_ERR_NO_SECKEY.
func (a *app) signingKeyFor(spec string) (*packet.PublicKey, int) {
	q := store.ParseSpec(spec)
	code := errNoSeckey
	for _, e := range a.certsFor(q) {
		if !a.hasAnySecret(e) {
			continue
		}
		pk, flags := a.signingKeyOf(e, exactKey(e, q))
		a.keyConsidered(e.PrimaryKey.Fingerprint, flags)
		if pk != nil {
			return pk, 0
		}
		code = errUnusableSeckey
	}
	return nil, code
}

// signerErrorText is gpg's text for the codes signingKeyFor returns.
func signerErrorText(code int) string {
	if code == errUnusableSeckey {
		return "Unusable secret key"
	}
	return "No secret key"
}

// signers resolves -u / --default-key (or the first own key) to signing
// keys, as gpg's build_sk_list does. gpg keeps the -u values in a list it
// builds by prepending, so it resolves them last first and prepends each
// key it finds: KEY_CONSIDERED lines come in reverse command-line order,
// signatures in command-line order. A spec given twice, or naming a key
// already chosen, is skipped. A spec that names no usable key is reported
// (INV_SGNR) and the others are still resolved; signing stops only when
// it was the one resolved last, but any such failure makes the exit code 2.
func (a *app) signers() ([]pgp.SignKey, error) {
	specs := a.opts.values["local-user"]
	if len(specs) == 0 && a.opts.has("default-key") {
		specs = []string{a.opts.last("default-key")}
	}
	if len(specs) == 0 {
		for _, e := range a.ownCerts() {
			if pk, flags := a.signingKeyOf(e, nil); pk != nil {
				// the default key: first considered (0), then chosen for signing
				a.keyConsidered(e.PrimaryKey.Fingerprint, 0)
				a.keyConsidered(e.PrimaryKey.Fingerprint, flags)
				return []pgp.SignKey{a.signKeyFor(pk)}, nil
			}
		}
		return nil, &exitError{2, "no default secret key: No secret key"}
	}
	var keys []pgp.SignKey
	failed := 0
	for i := len(specs) - 1; i >= 0; i-- {
		spec := specs[i]
		failed = 0
		if slices.Contains(specs[i+1:], spec) {
			a.infof("skipped \"%s\": duplicated", spec)
			continue
		}
		pk, code := a.signingKeyFor(spec)
		switch {
		case pk == nil:
			failed = code
			a.errorf("skipped \"%s\": %s", spec, signerErrorText(code))
			a.status.Emit("INV_SGNR", "9", spec)
		case slices.ContainsFunc(keys, func(k pgp.SignKey) bool { return bytes.Equal(k.Key.Fingerprint, pk.Fingerprint) }):
			a.infof("skipped: secret key already present")
		default:
			keys = append([]pgp.SignKey{a.signKeyFor(pk)}, keys...)
		}
	}
	if failed != 0 {
		a.failure("sign", failed)
		return nil, &exitError{2, "signing failed: " + signerErrorText(failed)}
	}
	return keys, nil
}

func (a *app) signKeyFor(pk *packet.PublicKey) pgp.SignKey {
	h := crypto.Hash(0)
	if d := a.opts.last("digest-algo"); d != "" {
		h, _ = pgp.ParseHash(d)
	}
	if h == 0 {
		var prefs []uint8
		if k := a.keyByFingerprint(pk.Fingerprint); k != nil {
			if sig, _ := k.Entity.PrimarySelfSignature(); sig != nil {
				prefs = sig.PreferredHash
			}
		}
		h = pgp.DefaultSigningHash(pk, prefs)
	}
	return pgp.SignKey{Key: pk, Hash: h}
}

// remoteSign is the pgp.SignFunc that asks keyhelper, the card, or the
// remote signer (which answers for a card key with cardhelper's codes).
func (a *app) remoteSign(key *packet.PublicKey, req *ipc.SignRequest) (*packet.Signature, error) {
	serial := a.cardOf(key)
	if serial != "" && a.remoteSigner == "" {
		return a.cardSign(key, serial, req)
	}
	if k := a.keyByFingerprint(key.Fingerprint); k != nil {
		// which key file keyhelper reads first (a hint it does not trust)
		req.PrimaryFingerprint = k.Entity.PrimaryKey.Fingerprint
	}
	var res ipc.SignResult
	if err := a.callKeyhelper(false, req, &res); err != nil {
		if serial != "" {
			return nil, a.cardCallFailed(err)
		}
		return nil, err
	}
	p, err := packet.Read(bytes.NewReader(res.Signature))
	if err != nil {
		return nil, fmt.Errorf("keyhelper returned an invalid signature: %v", err)
	}
	sig, ok := p.(*packet.Signature)
	if !ok {
		return nil, fmt.Errorf("keyhelper returned no signature")
	}
	return sig, nil
}

// signFailed reports a signing failure as gpg does.
func (a *app) signFailed(err error) error {
	if cf := a.cardFailed(err, a.failureLocation()); cf != nil {
		return &exitError{2, "signing failed: " + cf.msg}
	}
	code, he := helperErrorCode(err)
	if a.badPassphrase {
		code = gpgError(srcAgent, errBadPassphrase)
	}
	pf := a.fe.passFailure
	if pf != nil {
		code = pf.code
	}
	a.failure(a.failureLocation(), code)
	msg := err.Error()
	switch {
	case pf != nil:
		msg = pf.msg
	case a.badPassphrase || code == gpgError(srcAgent, errBadPassphrase):
		msg = "Bad passphrase"
	case err == errNoPassphrase:
		msg = "No passphrase given"
	case he != nil:
		msg = he.Message
	}
	return &exitError{2, "signing failed: " + msg}
}

// announceSigners writes gpg's BEGIN_SIGNING sync point (the keys were
// reported with KEY_CONSIDERED when signers looked them up).
// gpg writes one line naming every hash in use, in ascending order.
func (a *app) announceSigners(keys []pgp.SignKey) {
	var used [256]bool
	for _, k := range keys {
		used[pgp.HashID(k.Hash)] = true
	}
	var args []string
	for id, u := range used {
		if u {
			args = append(args, "H"+strconv.Itoa(id))
		}
	}
	a.status.Emit("BEGIN_SIGNING", args...)
}

func (a *app) sigCreated(kind string, sigs []*packet.Signature) {
	for _, s := range sigs {
		a.status.Emit("SIG_CREATED", kind, strconv.Itoa(int(s.PubKeyAlgo)), strconv.Itoa(int(pgp.HashID(s.Hash))),
			fmt.Sprintf("%02x", uint8(s.SigType)), strconv.FormatInt(s.CreationTime.Unix(), 10), fmt.Sprintf("%X", s.IssuerFingerprint))
	}
}

func (a *app) signCmd(args []string) error {
	if len(args) > 1 {
		return &exitError{2, "usage: gpg [options] --sign [filename]"}
	}
	keys, err := a.signers()
	if err != nil {
		return err
	}
	ext := ".gpg"
	switch {
	case a.opts.command == "clearsign" || a.armor():
		ext = ".asc"
	case a.opts.command == "detach-sign":
		ext = ".sig"
	}
	in, out, err := a.openInOut(args, ext)
	if err != nil {
		return err
	}
	defer in.Close()
	a.announceSigners(keys)
	created := a.now
	var sigs []*packet.Signature
	kind := "S"
	switch a.opts.command {
	case "detach-sign":
		kind = "D"
		sigType := packet.SigTypeBinary
		if a.opts.has("textmode") {
			sigType = packet.SigTypeText
		}
		err = a.withArmor(out.w, "PGP SIGNATURE", func(w io.Writer) error {
			var err error
			sigs, err = pgp.DetachSign(w, in, keys, sigType, created, a.remoteSign)
			return err
		})
	case "clearsign":
		kind = "C"
		sigs, err = pgp.ClearSign(out.w, in, keys, created, a.remoteSign, func(w io.Writer) (io.WriteCloser, error) {
			return armor.Encode(w, "PGP SIGNATURE", nil)
		})
		if err == nil {
			_, err = io.WriteString(out.w, "\n")
		}
	default:
		comp, level, cerr := a.compression(packet.CompressionZIP)
		if cerr != nil {
			out.abort()
			return cerr
		}
		c := &pgp.Compose{Signers: keys, Sign: a.remoteSign, TextMode: a.opts.has("textmode"),
			FileName: a.literalName(args), ModTime: created, Created: created, Compression: comp, Level: level}
		err = a.withArmor(out.w, "PGP MESSAGE", func(w io.Writer) error {
			var err error
			sigs, err = c.Write(w, in)
			return err
		})
	}
	if err != nil {
		out.abort()
		return a.signFailed(err)
	}
	a.sigCreated(kind, sigs)
	return out.commit()
}

// openInOut opens the input named by args (stdin without one) and the
// output: -o, else the input's name plus ext, else stdout (gpg's rules).
func (a *app) openInOut(args []string, ext string) (io.ReadCloser, *output, error) {
	in, err := a.openDataInput(firstArg(args), false)
	if err != nil {
		return nil, nil, err
	}
	defaultOut := ""
	if n := firstArg(args); !a.isPipeName(n) {
		defaultOut = n + ext
	}
	out, err := a.openOutput(defaultOut)
	if err != nil {
		in.Close()
		return nil, nil, err
	}
	return in, out, nil
}

// withArmor runs write on out, armored when --armor is in effect.
func (a *app) withArmor(out io.Writer, blockType string, write func(io.Writer) error) error {
	if !a.armor() {
		return write(out)
	}
	aw, err := armor.Encode(out, blockType, nil)
	if err != nil {
		return err
	}
	if err := write(aw); err != nil {
		return err
	}
	if err := aw.Close(); err != nil {
		return err
	}
	_, err = io.WriteString(out, "\n")
	return err
}

// literalName is the file name stored in the literal packet.
func (a *app) literalName(args []string) string {
	if a.opts.has("set-filename") {
		return a.opts.last("set-filename")
	}
	if n := firstArg(args); !a.isPipeName(n) {
		return baseName(n)
	}
	return ""
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

// compression returns the algorithm and level from --compress-algo and -z.
func (a *app) compression(def packet.CompressionAlgo) (packet.CompressionAlgo, int, error) {
	algo := def
	if s := a.opts.last("compress-algo"); s != "" {
		c, err := pgp.ParseCompression(s)
		if err != nil {
			return 0, 0, &exitError{2, err.Error()}
		}
		algo = c
	}
	level := -1
	if s := a.opts.last("compress-level"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 9 {
			return 0, 0, &exitError{2, "invalid compression level"}
		}
		level = n
		if n == 0 {
			algo = packet.CompressionNone
		}
	}
	return algo, level, nil
}
