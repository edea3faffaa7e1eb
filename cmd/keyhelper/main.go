// Command keyhelper is the only process that reads secret keys. front starts
// it for one operation; it locks itself down (landlock, seccomp, no core
// dumps) before it reads its first request, does that one request over its
// stdin/stdout pipes, and exits.
package main

import (
	"bytes"
	"encoding"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/internal/helpermain"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/keyslot"
	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/sandbox"
)

// SecretDirName is the secret store inside the home; front never opens it.
const SecretDirName = "private-keys.d"

func main() { helpermain.Main(runSelfTest, run) }

func run() int {
	home := flag.String("home", "", "home directory")
	mode := flag.String("mode", "read", "restricted (sign, decrypt), read (also export, list, certify) or write (generate, import, delete, list, add subkey, change passphrase)")
	flag.Parse()
	if *home == "" || (*mode != "read" && *mode != "write" && *mode != "restricted") {
		fmt.Fprintln(os.Stderr, "keyhelper: usage: keyhelper --home DIR --mode restricted|read|write")
		return 2
	}
	writable := *mode == "write"
	store := &secretStore{dir: filepath.Join(*home, SecretDirName)}
	// GnuPG's files of this home, read-only: its key directory by a
	// landlock read rule, secring.gpg opened here (signing and decrypting
	// only need the key directory).
	var gnupgDirs []string
	if st, err := os.Stat(filepath.Join(*home, GnuPGKeyDir)); err == nil && st.IsDir() {
		store.gnupgDir = filepath.Join(*home, GnuPGKeyDir)
		gnupgDirs = append(gnupgDirs, store.gnupgDir)
	}
	if *mode != "restricted" {
		store.secring = openRegular(filepath.Join(*home, secringName))
	}
	if err := sandbox.Prepare(); err != nil {
		fmt.Fprintln(os.Stderr, "keyhelper: lockdown:", err)
		return 2
	}
	// Landlock rules need an existing directory, so it is made before lockdown.
	if err := os.MkdirAll(store.dir, 0o700); err != nil {
		fmt.Fprintln(os.Stderr, "keyhelper:", err)
		return 2
	}
	// A token is used in restricted mode, which may not write the home:
	// the use log is opened here, append-only, before the lockdown, when
	// the store has keyslots at all. Landlock's write scope stays empty.
	var useLog *os.File
	if *mode == "restricted" {
		if _, err := os.Stat(filepath.Join(store.dir, indexName)); err == nil {
			useLog, _ = os.OpenFile(filepath.Join(*home, keyslot.LogName), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		}
	}
	if err := sandbox.Apply(sandbox.KeyhelperPolicy(store.dir, writable, gnupgDirs...)); err != nil {
		fmt.Fprintln(os.Stderr, "keyhelper: refusing to run without sandbox:", err)
		return 2
	}
	conn, code := helpermain.Greet("keyhelper", ipc.RoleKey)
	if conn == nil {
		return code
	}
	h := &handler{conn: conn, store: store, now: time.Now}
	if useLog != nil {
		h.useLog = useLog
	}
	allowed := map[ipc.MsgType]func() ipc.Message{
		ipc.TypeSignRequest:    func() ipc.Message { return new(ipc.SignRequest) },
		ipc.TypeDecryptRequest: func() ipc.Message { return new(ipc.DecryptRequest) },
		ipc.TypeExportRequest:  func() ipc.Message { return new(ipc.ExportRequest) },
		ipc.TypeListRequest:    func() ipc.Message { return new(ipc.ListRequest) },
		ipc.TypeCertifyRequest: func() ipc.Message { return new(ipc.CertifyRequest) },
		ipc.TypeTokenList:      func() ipc.Message { return new(ipc.TokenListRequest) },
		ipc.TypeGnuPGList:      func() ipc.Message { return new(ipc.GnuPGListRequest) },
		ipc.TypeKeyToCard:      func() ipc.Message { return new(ipc.KeyToCardRequest) },
	}
	switch *mode {
	case "write":
		allowed = map[ipc.MsgType]func() ipc.Message{
			ipc.TypeGenerateRequest: func() ipc.Message { return new(ipc.GenerateRequest) },
			ipc.TypeImportRequest:   func() ipc.Message { return new(ipc.ImportRequest) },
			ipc.TypeDeleteRequest:   func() ipc.Message { return new(ipc.DeleteRequest) },
			ipc.TypeListRequest:     func() ipc.Message { return new(ipc.ListRequest) },
			ipc.TypeAddSubkey:       func() ipc.Message { return new(ipc.AddSubkeyRequest) },
			ipc.TypePasswdRequest:   func() ipc.Message { return new(ipc.PasswdRequest) },
			ipc.TypeTokenCreate:     func() ipc.Message { return new(ipc.TokenCreateRequest) },
			ipc.TypeTokenRevoke:     func() ipc.Message { return new(ipc.TokenRevokeRequest) },
			ipc.TypeGnuPGImport:     func() ipc.Message { return new(ipc.GnuPGImportRequest) },
			ipc.TypeCardStubs:       func() ipc.Message { return new(ipc.CardStubsRequest) },
		}
	case "restricted":
		// Only what a signing or decrypting client needs: no export, no
		// listing, nothing that writes. The basis for remote use later.
		delete(allowed, ipc.TypeExportRequest)
		delete(allowed, ipc.TypeListRequest)
		delete(allowed, ipc.TypeCertifyRequest)
		delete(allowed, ipc.TypeTokenList)
		delete(allowed, ipc.TypeGnuPGList)
		delete(allowed, ipc.TypeKeyToCard)
	}
	req, err := conn.ReadRequest(allowed)
	if err != nil {
		return h.fail(err)
	}
	res, err := h.serve(req)
	if err != nil {
		return h.fail(err)
	}
	if err := conn.Write(res); err != nil {
		return 2
	}
	return 0
}

type handler struct {
	conn  *ipc.Conn
	store *secretStore
	now   func() time.Time // the helper's own clock: token expiry never trusts front's
	// useLog is the token use log opened before lockdown (restricted mode
	// with keyslots in the store); nil: a token cannot be used.
	useLog io.Writer
}

// fail sends a structured error. Internal errors keep their text generic
// enough to never include key material (none of our messages do).
func (h *handler) fail(err error) int {
	h.conn.Write(ipc.AsError(err))
	return 2
}

func (h *handler) serve(req ipc.Message) (ipc.Message, error) {
	switch r := req.(type) {
	case *ipc.SignRequest:
		return h.sign(r)
	case *ipc.DecryptRequest:
		return h.decrypt(r)
	case *ipc.ExportRequest:
		return h.export(r)
	case *ipc.ListRequest:
		l, err := h.store.listing()
		return &ipc.ListResult{Listing: l}, err
	case *ipc.GenerateRequest:
		return h.generate(r)
	case *ipc.ImportRequest:
		return h.importKeys(r)
	case *ipc.DeleteRequest:
		return h.delete(r)
	case *ipc.CertifyRequest:
		return h.certify(r)
	case *ipc.AddSubkeyRequest:
		return h.addSubkey(r)
	case *ipc.PasswdRequest:
		return h.passwd(r)
	case *ipc.TokenCreateRequest:
		return h.createToken(r)
	case *ipc.TokenListRequest:
		return h.listTokens(r)
	case *ipc.TokenRevokeRequest:
		return h.revokeToken(r)
	case *ipc.GnuPGListRequest:
		return h.store.gnupgList()
	case *ipc.GnuPGImportRequest:
		return h.importGnuPG(r)
	case *ipc.CardStubsRequest:
		return h.cardStubs(r)
	case *ipc.KeyToCardRequest:
		return h.keyToCard(r)
	}
	return nil, &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: "unsupported request"}
}

// maxUnlockAttempts matches gpg-agent's default of three tries.
const maxUnlockAttempts = 3

// unlock decrypts priv for op, asking front for the passphrase or an
// access token allowing op (0: no token may be used). The prompt is
// composed here from the key itself, so front cannot make the user unlock
// one key while believing it is another.
func (h *handler) unlock(e *openpgp.Entity, priv *packet.PrivateKey, op keyslot.Ops) error {
	_, err := h.unlockWith(e, priv, nil, op)
	return err
}

// unlockWith tries the passphrases known from this session first (one
// request may unlock several parts of one key) and returns the one that
// worked; nil for an unprotected key or a token. A token is tried once:
// it is a fixed value, asking again cannot change it.
func (h *handler) unlockWith(e *openpgp.Entity, priv *packet.PrivateKey, known [][]byte, op keyslot.Ops) ([]byte, error) {
	// nil: a key GnuPG keeps without this part's secret (gnupg.go)
	if priv == nil || priv.Dummy() {
		return nil, &ipc.Error{Code: ipc.ErrCodeNoSecretKey, Message: "secret key not available (stub)"}
	}
	if !priv.Encrypted {
		return nil, nil
	}
	for _, pass := range known {
		if h.store.decryptKey(priv, pass) == nil {
			return pass, nil
		}
	}
	uid := primaryUID(e)
	prompt := pgp.UnlockPrompt(uid, &priv.PublicKey, e.PrimaryKey.KeyId)
	for attempt := 1; attempt <= maxUnlockAttempts; attempt++ {
		pass, token, err := h.conn.InquireUnlock(&ipc.Inquiry{
			Kind: ipc.InquirePassphrase, KeyFingerprint: priv.Fingerprint,
			UserIDHint: fmt.Sprintf("%016X %s", priv.KeyId, uid), Prompt: prompt, Attempt: uint8(attempt),
		})
		if err != nil {
			return nil, err
		}
		if token {
			return nil, h.unlockWithToken(e, priv, pass, op)
		}
		err = h.store.decryptKey(priv, pass)
		if err == nil {
			return pass, nil
		}
		var hard *ipc.Error
		if errors.As(err, &hard) {
			return nil, hard
		}
	}
	return nil, &ipc.Error{Code: ipc.ErrCodeBadPassphrase, Message: "bad passphrase"}
}

func primaryUID(e *openpgp.Entity) string {
	if id := e.PrimaryIdentity(); id != nil {
		return id.Name
	}
	return "[?]"
}

// canSign reports whether priv may make data signatures: the primary key
// when its self-signature allows signing, or a subkey bound for signing.
func canSign(e *openpgp.Entity, priv *packet.PrivateKey) bool {
	if bytes.Equal(priv.Fingerprint, e.PrimaryKey.Fingerprint) {
		sig, _ := e.PrimarySelfSignature()
		return sig != nil && (!sig.FlagsValid || sig.FlagSign)
	}
	for _, sk := range e.Subkeys {
		if bytes.Equal(sk.PublicKey.Fingerprint, priv.Fingerprint) {
			return sk.Sig != nil && sk.Sig.FlagsValid && sk.Sig.FlagSign
		}
	}
	return false
}

func (h *handler) sign(r *ipc.SignRequest) (ipc.Message, error) {
	st := packet.SignatureType(r.SigType)
	if st != packet.SigTypeBinary && st != packet.SigTypeText {
		return nil, &ipc.Error{Code: ipc.ErrCodeNotPermitted, Message: "only document signatures are made here"}
	}
	hashAlgo, ok := pgp.HashByID(r.HashAlgo)
	if !ok {
		return nil, &ipc.Error{Code: ipc.ErrCodeUnsupported, Message: "unsupported hash algorithm"}
	}
	e, priv, err := h.store.find(r.KeyFingerprint, r.PrimaryFingerprint)
	if err != nil {
		return nil, err
	}
	if !canSign(e, priv) {
		return nil, &ipc.Error{Code: ipc.ErrCodeNotPermitted, Message: "key is not a signing key"}
	}
	if err := h.unlock(e, priv, keyslot.OpSign); err != nil {
		return nil, err
	}
	hs := hashAlgo.New()
	um, ok := hs.(encoding.BinaryUnmarshaler)
	if !ok || um.UnmarshalBinary(r.HashState) != nil {
		return nil, &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: "invalid hash state"}
	}
	keyID := priv.KeyId
	sig := &packet.Signature{
		Version: priv.Version, SigType: st, PubKeyAlgo: priv.PubKeyAlgo, Hash: hashAlgo,
		CreationTime: time.Unix(r.Created, 0), IssuerKeyId: &keyID,
	}
	if priv.Version == 6 {
		if err := sig.SetSalt(r.Salt); err != nil {
			return nil, &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: "invalid salt"}
		}
	}
	noNotation := false
	cfg := &packet.Config{NonDeterministicSignaturesViaNotation: &noNotation}
	if err := sig.Sign(hs, priv, cfg); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := sig.Serialize(&out); err != nil {
		return nil, err
	}
	return &ipc.SignResult{Signature: out.Bytes()}, nil
}

func (h *handler) decrypt(r *ipc.DecryptRequest) (ipc.Message, error) {
	p, err := packet.Read(bytes.NewReader(r.PKESK))
	ek, ok := p.(*packet.EncryptedKey)
	if err != nil || !ok {
		return nil, &ipc.Error{Code: ipc.ErrCodeBadData, Message: "invalid public key encrypted session key packet"}
	}
	e, priv, err := h.store.find(r.KeyFingerprint, r.PrimaryFingerprint)
	if err != nil {
		return nil, err
	}
	if ek.KeyId != 0 && ek.KeyId != priv.KeyId {
		return nil, &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: "session key packet is for another key"}
	}
	if err := h.unlock(e, priv, keyslot.OpDecrypt); err != nil {
		return nil, err
	}
	cipher, key, err := pgp.DecryptSessionKey(r.PKESK, priv)
	if err != nil {
		return nil, &ipc.Error{Code: ipc.ErrCodeBadData, Message: "decryption of the session key failed"}
	}
	return &ipc.DecryptResult{Cipher: uint8(cipher), SessionKey: key}, nil
}

func (h *handler) export(r *ipc.ExportRequest) (ipc.Message, error) {
	var out bytes.Buffer
	for _, fpr := range r.Fingerprints {
		if h.store.isRef(fpr) {
			data, err := h.exportGnuPG(fpr, r.SubkeysOnly)
			if err != nil {
				return nil, err
			}
			out.Write(data)
			continue
		}
		e, err := h.store.load(fpr)
		if err != nil {
			return nil, &ipc.Error{Code: ipc.ErrCodeNoSecretKey, Message: fmt.Sprintf("no secret key for %X", fpr)}
		}
		var one bytes.Buffer
		if r.SubkeysOnly {
			if err := writeSubkeysOnly(&one, e); err != nil {
				return nil, err
			}
		} else if err := e.SerializePrivateWithoutSigning(&one, nil); err != nil {
			return nil, err
		}
		// card keys leave as gpg exports them: divert-to-card stubs
		data, err := pgp.WriteCardStubs(one.Bytes(), h.store.cards[fmt.Sprintf("%X", fpr)])
		if err != nil {
			return nil, err
		}
		out.Write(data)
	}
	return &ipc.ExportResult{Data: out.Bytes()}, nil
}

func (h *handler) generate(r *ipc.GenerateRequest) (ipc.Message, error) {
	e, err := pgp.Generate(r)
	if err != nil {
		return nil, &ipc.Error{Code: ipc.ErrCodeUnsupported, Message: err.Error()}
	}
	if !r.NoProtection {
		pass, err := h.conn.Inquire(&ipc.Inquiry{
			Kind: ipc.InquireNewPassphrase, KeyFingerprint: e.PrimaryKey.Fingerprint, UserIDHint: r.UserID,
			Prompt: "Please enter the passphrase to\nprotect your new key", Attempt: 1,
		})
		if err != nil {
			return nil, err
		}
		if len(pass) > 0 {
			if err := e.EncryptPrivateKeys(pass, s2kConfig); err != nil {
				return nil, err
			}
		}
	}
	var sec, pub bytes.Buffer
	if err := e.SerializePrivateWithoutSigning(&sec, nil); err != nil {
		return nil, err
	}
	if err := e.Serialize(&pub); err != nil {
		return nil, err
	}
	if err := h.store.lock(); err != nil {
		return nil, err
	}
	if err := h.store.write(e.PrimaryKey.Fingerprint, sec.Bytes()); err != nil {
		return nil, err
	}
	l, err := h.store.listing()
	return &ipc.GenerateResult{Public: pub.Bytes(), Listing: l}, err
}

// s2kConfig protects keys at rest with iterated+salted SHA-256 and AES-256,
// the scheme gpg 2.2 reads; the count costs about as much as gpg's calibration.
var s2kConfig = &packet.Config{DefaultCipher: packet.CipherAES256, S2KCount: 16777216}

func (h *handler) importKeys(r *ipc.ImportRequest) (ipc.Message, error) {
	parseable, serials, err := pgp.ReadCardStubs(r.Data)
	if err != nil {
		return nil, &ipc.Error{Code: ipc.ErrCodeBadData, Message: "invalid secret key data"}
	}
	el, err := readKeyRing(parseable)
	if err != nil {
		return nil, &ipc.Error{Code: ipc.ErrCodeBadData, Message: "invalid secret key data"}
	}
	if err := h.store.lock(); err != nil {
		return nil, err
	}
	res := &ipc.ImportResult{}
	var pub bytes.Buffer
	for _, e := range el {
		if e.PrivateKey == nil {
			continue
		}
		if err := e.Serialize(&pub); err != nil {
			return nil, &ipc.Error{Code: ipc.ErrCodeBadData, Message: "invalid secret key: " + err.Error()}
		}
		fpr := e.PrimaryKey.Fingerprint
		_, statErr := os.Stat(h.store.path(fpr))
		isNew := errors.Is(statErr, os.ErrNotExist)
		if isNew {
			// keys on a card are stored as gpg's divert-to-card stubs
			h.store.setCards(fpr, serials)
			var sec bytes.Buffer
			if err := e.SerializePrivateWithoutSigning(&sec, nil); err != nil {
				return nil, &ipc.Error{Code: ipc.ErrCodeBadData, Message: "invalid secret key: " + err.Error()}
			}
			if err := h.store.write(fpr, sec.Bytes()); err != nil {
				return nil, err
			}
		}
		res.Keys = append(res.Keys, ipc.ImportedKey{Fingerprint: fpr, New: isNew})
	}
	res.Public = pub.Bytes()
	res.Listing, err = h.store.listing()
	return res, err
}

func (h *handler) delete(r *ipc.DeleteRequest) (ipc.Message, error) {
	if h.store.isRef(r.Fingerprint) {
		return nil, errKeptByGnuPG("delete it")
	}
	if err := h.store.lock(); err != nil {
		return nil, err
	}
	if err := h.store.remove(r.Fingerprint); err != nil {
		return nil, err
	}
	// a deleted key's tokens go with it: their keyslots hold its secret
	if err := h.store.removeSlotsOf(r.Fingerprint); err != nil {
		return nil, err
	}
	l, err := h.store.listing()
	return &ipc.DeleteResult{Listing: l}, err
}

func writeSubkeysOnly(out *bytes.Buffer, e *openpgp.Entity) error {
	var full bytes.Buffer
	if err := e.SerializePrivateWithoutSigning(&full, nil); err != nil {
		return err
	}
	stub, err := pgp.StubPrimary(full.Bytes())
	if err != nil {
		return err
	}
	out.Write(stub)
	return nil
}

// cardStubs records the keys of a card: each certificate's stored secret
// key (or, if none is stored, the certificate itself) gets divert-to-card
// stubs for the keys on the card. Real secrets are kept; a file is only
// written when a stub is new or names another card.
func (h *handler) cardStubs(r *ipc.CardStubsRequest) (ipc.Message, error) {
	if len(r.AID) != 16 {
		return nil, &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: "invalid card serial number"}
	}
	onCard := map[string]bool{}
	for _, f := range r.OnCard {
		onCard[fmt.Sprintf("%X", f)] = true
	}
	if err := h.store.lock(); err != nil {
		return nil, err
	}
	for _, cert := range r.Certs {
		el, err := readKeyRing(cert)
		if err != nil || len(el) != 1 {
			return nil, &ipc.Error{Code: ipc.ErrCodeBadData, Message: "invalid certificate"}
		}
		primary := el[0].PrimaryKey.Fingerprint
		if h.store.isRef(primary) {
			// GnuPG keeps this key, card stubs included (its own
			// shadowed files, which the listing reads): a key file of
			// ours would hide GnuPG's secrets
			continue
		}
		base := cert
		raw, _, err := h.store.loadRaw(primary)
		switch {
		case err == nil:
			base = raw
		case !errors.Is(err, os.ErrNotExist):
			return nil, err
		}
		stub, changed, err := pgp.DivertToCard(base, r.AID, onCard, r.Replace)
		if err != nil {
			return nil, &ipc.Error{Code: ipc.ErrCodeBadData, Message: "invalid certificate: " + err.Error()}
		}
		if len(changed) == 0 {
			continue
		}
		if err := h.store.writeFile(filepath.Base(h.store.path(primary)), stub); err != nil {
			return nil, err
		}
	}
	l, err := h.store.listing()
	return &ipc.CardStubsResult{Listing: l}, err
}
