package main

import (
	"bytes"
	"crypto"
	"fmt"
	"io"
	"strconv"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/pgp"
)

// usableSigningKey picks the key of e that signs: the newest valid signing
// subkey with a secret here, else the primary key.
func (a *app) usableSigningKey(e *openpgp.Entity) *packet.PublicKey {
	var best *openpgp.Subkey
	for i := range e.Subkeys {
		sk := &e.Subkeys[i]
		if sk.Sig == nil || !sk.Sig.FlagsValid || !sk.Sig.FlagSign || sk.Revoked(a.now) || sk.PublicKey.KeyExpired(sk.Sig, a.now) || !a.hasSecret(sk.PublicKey) {
			continue
		}
		if best == nil || sk.PublicKey.CreationTime.After(best.PublicKey.CreationTime) {
			best = sk
		}
	}
	if best != nil {
		return best.PublicKey
	}
	sig, _ := e.PrimarySelfSignature()
	if sig != nil && (!sig.FlagsValid || sig.FlagSign) && a.hasSecret(e.PrimaryKey) && !e.Revoked(a.now) && !e.PrimaryKey.KeyExpired(sig, a.now) {
		return e.PrimaryKey
	}
	return nil
}

// signers resolves -u / --default-key (or the first own key) to signing keys.
func (a *app) signers() ([]pgp.SignKey, error) {
	specs := a.opts.values["local-user"]
	if len(specs) == 0 && a.opts.has("default-key") {
		specs = []string{a.opts.last("default-key")}
	}
	var ents openpgp.EntityList
	if len(specs) == 0 {
		for _, e := range a.ownCerts() {
			if a.usableSigningKey(e) != nil {
				ents = append(ents, e)
				break
			}
		}
		if len(ents) == 0 {
			return nil, &exitError{2, "no default secret key: No secret key"}
		}
	}
	var keys []pgp.SignKey
	for _, spec := range specs {
		found := a.findCerts(spec)
		var pk *packet.PublicKey
		for _, e := range found {
			if pk = a.usableSigningKey(e); pk != nil {
				// gpg reports the key it settled on as it looks it up
				a.status.Emit("KEY_CONSIDERED", fmt.Sprintf("%X", e.PrimaryKey.Fingerprint), subkeysUnusableFlag(e, pk))
				break
			}
		}
		if pk == nil {
			a.status.Emit("INV_SGNR", "9", spec)
			a.failure("sign", errNoSeckey)
			return nil, &exitError{2, fmt.Sprintf("skipped \"%s\": No secret key", spec)}
		}
		keys = append(keys, a.signKeyFor(pk))
	}
	for _, e := range ents {
		// the default key: first considered (0), then chosen for signing (2)
		fpr := fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
		pk := a.usableSigningKey(e)
		a.status.Emit("KEY_CONSIDERED", fpr, "0")
		a.status.Emit("KEY_CONSIDERED", fpr, subkeysUnusableFlag(e, pk))
		keys = append(keys, a.signKeyFor(pk))
	}
	return keys, nil
}

// subkeysUnusableFlag is KEY_CONSIDERED's flag 2 ("no subkey usable"),
// set when the primary key itself signs, else 0.
func subkeysUnusableFlag(e *openpgp.Entity, signing *packet.PublicKey) string {
	if bytes.Equal(signing.Fingerprint, e.PrimaryKey.Fingerprint) {
		return "2"
	}
	return "0"
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

// remoteSign is the pgp.SignFunc that asks keyhelper.
func (a *app) remoteSign(key *packet.PublicKey, req *ipc.SignRequest) (*packet.Signature, error) {
	var res ipc.SignResult
	if err := a.callKeyhelper(false, req, &res); err != nil {
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
