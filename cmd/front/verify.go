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
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/status"
)

// peekInput reads the start of r to classify it without losing bytes.
func peekInput(r io.Reader) (*bufio.Reader, []byte) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(4096)
	return br, head
}

func (a *app) verifyCmd(args []string) error {
	sigName := firstArg(args)
	sigIn, err := a.openInput(sigName)
	if err != nil {
		return err
	}
	defer sigIn.Close()
	br, head := peekInput(sigIn)
	if bytes.Contains(head, []byte("-----BEGIN PGP SIGNED MESSAGE-----")) {
		cs, err := pgp.VerifyClearsigned(br, a.loadCerts())
		if err != nil {
			return a.verifyInputError(err)
		}
		return a.reportSigs(cs.Sigs)
	}
	detachedArmor := bytes.Contains(head, []byte("-----BEGIN PGP SIGNATURE-----"))
	var body io.Reader = br
	if pgp.IsArmored(head) {
		blk, err := armor.Decode(br)
		if err != nil {
			return a.verifyInputError(errors.New("invalid armor"))
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
			in, err := a.openInput(n)
			if err != nil {
				return err
			}
			defer in.Close()
			datas = append(datas, in)
		}
		vs, err := pgp.VerifyDetached(body, io.MultiReader(datas...), a.loadCerts())
		if err != nil {
			return a.verifyInputError(err)
		}
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
	msg, err := pgp.ReadSigned(body, out, a.loadCerts(), nil)
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
		return a.verifyInputError(errors.New("not a detached signature"))
	}
	if o != nil {
		if err := o.commit(); err != nil {
			return err
		}
	}
	return a.reportSigs(msg.Sigs)
}

// verifyInputError reports unusable input: NODATA and exit 2.
func (a *app) verifyInputError(err error) error {
	switch {
	case errors.Is(err, pgp.ErrNoSignature), errors.Is(err, pgp.ErrNotClearsigned):
		a.status.Emit("NODATA", "3")
		return &exitError{2, "verify signatures failed: No signature found"}
	case errors.Is(err, pgp.ErrTooMuchExpansion):
		a.failure("verify", gpgError(srcGPG, errBadData))
		return &exitError{2, err.Error()}
	}
	a.status.Emit("NODATA", "1")
	return &exitError{2, "verify signatures failed: " + err.Error()}
}

// reportSigs prints status lines and stderr text for each verification in
// gpg's order and sets the exit code: 1 for a bad signature, 2 when a key is
// missing or the signature cannot be checked.
func (a *app) reportSigs(vs []*pgp.Verification) error {
	code := 0
	for _, v := range vs {
		if c := a.reportSig(v); c > code {
			code = c
		}
	}
	if code > a.exitCode {
		a.exitCode = code
	}
	return nil
}

func (a *app) reportSig(v *pgp.Verification) int {
	sig := v.Sig
	a.status.Emit("NEWSIG")
	when := sig.CreationTime.UTC().Format("Mon Jan _2 15:04:05 2006 MST")
	a.infof("Signature made %s", when)
	issuerFpr := "-"
	if len(sig.IssuerFingerprint) > 0 {
		issuerFpr = fmt.Sprintf("%X", sig.IssuerFingerprint)
	}
	algoWord := map[packet.PublicKeyAlgorithm]string{packet.PubKeyAlgoRSA: "RSA", packet.PubKeyAlgoEdDSA: "EDDSA", packet.PubKeyAlgoECDSA: "ECDSA", packet.PubKeyAlgoEd25519: "ED25519", packet.PubKeyAlgoDSA: "DSA"}[sig.PubKeyAlgo]
	if issuerFpr != "-" {
		fmt.Fprintf(a.stderr, "%s:                using %s key %s\n", a.progName(), algoWord, issuerFpr)
	} else {
		fmt.Fprintf(a.stderr, "%s:                using %s key %016X\n", a.progName(), algoWord, v.KeyID)
	}
	keyID := fmt.Sprintf("%016X", v.KeyID)
	ts := strconv.FormatInt(sig.CreationTime.Unix(), 10)
	if v.Key == nil {
		a.status.Emit("ERRSIG", keyID, strconv.Itoa(int(sig.PubKeyAlgo)), strconv.Itoa(int(pgp.HashID(sig.Hash))),
			fmt.Sprintf("%02x", uint8(sig.SigType)), ts, "9", issuerFpr)
		a.status.Emit("NO_PUBKEY", keyID)
		a.infof("Can't check signature: No public key")
		return 2
	}
	e := v.Key.Entity
	primaryFpr := fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
	uid := primaryUID(e)
	a.status.Emit("KEY_CONSIDERED", primaryFpr, "0")
	if v.Err != nil && !errors.Is(v.Err, pgp.ErrBadSig) {
		a.status.Emit("ERRSIG", keyID, strconv.Itoa(int(sig.PubKeyAlgo)), strconv.Itoa(int(pgp.HashID(sig.Hash))),
			fmt.Sprintf("%02x", uint8(sig.SigType)), ts, "4", issuerFpr)
		a.infof("Can't check signature: %v", v.Err)
		return 2
	}
	if v.Err != nil {
		a.status.Emit("KEY_CONSIDERED", primaryFpr, "0")
		a.status.Emit("BADSIG", keyID, status.Escape(uid))
		a.infof("BAD signature from \"%s\" [%s]", uid, a.validityWord(e))
		return 1
	}
	a.status.Emit("SIG_ID", sigID(sig), sig.CreationTime.UTC().Format("2006-01-02"), ts)
	a.status.Emit("KEY_CONSIDERED", primaryFpr, "0")
	expire := "0"
	if sig.SigLifetimeSecs != nil && *sig.SigLifetimeSecs != 0 {
		expire = strconv.FormatInt(sig.CreationTime.Unix()+int64(*sig.SigLifetimeSecs), 10)
	}
	a.status.Emit("GOODSIG", keyID, status.Escape(uid))
	a.status.Emit("VALIDSIG", fmt.Sprintf("%X", v.Key.PublicKey.Fingerprint), sig.CreationTime.UTC().Format("2006-01-02"), ts,
		expire, strconv.Itoa(sig.Version), "0", strconv.Itoa(int(sig.PubKeyAlgo)), strconv.Itoa(int(pgp.HashID(sig.Hash))),
		fmt.Sprintf("%02x", uint8(sig.SigType)), primaryFpr)
	a.infof("Good signature from \"%s\" [%s]", uid, a.validityWord(e))
	a.status.Emit("KEY_CONSIDERED", primaryFpr, "0")
	if a.isOwn(e) {
		a.status.Emit("TRUST_ULTIMATE", "0", a.trustModel())
	} else {
		a.status.Emit("TRUST_UNDEFINED", "0", a.trustModel())
		if a.trustModel() != "always" {
			a.infof("WARNING: This key is not certified with a trusted signature!")
			fmt.Fprintf(a.stderr, "%s:          There is no indication that the signature belongs to the owner.\n", a.progName())
			fmt.Fprintf(a.stderr, "Primary key fingerprint: %s\n", spacedFingerprint(e.PrimaryKey.Fingerprint))
		}
	}
	return 0
}

func (a *app) trustModel() string {
	if a.opts.has("always-trust") {
		return "always"
	}
	if m := a.opts.last("trust-model"); m != "" {
		return m
	}
	return "pgp"
}

func (a *app) validityWord(e *openpgp.Entity) string {
	if a.isOwn(e) {
		return "ultimate"
	}
	return "unknown"
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

func spacedFingerprint(fpr []byte) string {
	h := fmt.Sprintf("%X", fpr)
	var parts []string
	for i := 0; i+4 <= len(h); i += 4 {
		parts = append(parts, h[i:i+4])
	}
	if len(parts) == 10 {
		return strings.Join(parts[:5], " ") + "  " + strings.Join(parts[5:], " ")
	}
	return strings.Join(parts, " ")
}
