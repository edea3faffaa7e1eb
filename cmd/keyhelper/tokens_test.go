package main

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/keyslot"
	"github.com/frontpgp/front/pgp"
)

// tokenFixture is an in-process handler over a store holding one
// passphrase-protected key (ed25519 signing primary, cv25519 encryption
// subkey), with a clock the test sets.
type tokenFixture struct {
	t     *testing.T
	store *secretStore
	fpr   []byte
	log   bytes.Buffer
	now   time.Time
}

const fixturePass = "right"

func newTokenFixture(t *testing.T) *tokenFixture {
	t.Helper()
	e, err := pgp.Generate(&ipc.GenerateRequest{UserID: "T <t@example.org>", Created: 1700000000,
		Primary: ipc.KeySpec{Algo: "ed25519", Usage: "sign,cert"}, Subkeys: []ipc.KeySpec{{Algo: "cv25519", Usage: "encr"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.EncryptPrivateKeys([]byte(fixturePass), &packet.Config{S2KCount: 1024}); err != nil {
		t.Fatal(err)
	}
	var sec bytes.Buffer
	if err := e.SerializePrivateWithoutSigning(&sec, nil); err != nil {
		t.Fatal(err)
	}
	f := &tokenFixture{t: t, store: &secretStore{dir: t.TempDir()}, fpr: e.PrimaryKey.Fingerprint, now: time.Unix(1700000100, 0)}
	if err := f.store.write(f.fpr, sec.Bytes()); err != nil {
		t.Fatal(err)
	}
	return f
}

// handler answers the helper's inquiries with answers, in order; an
// inquiry beyond them gets EOF, as if front had gone.
func (f *tokenFixture) handler(answers ...ipc.Message) *handler {
	var in bytes.Buffer
	w := ipc.NewConn(nil, &in)
	for _, a := range answers {
		if err := w.Write(a); err != nil {
			f.t.Fatal(err)
		}
	}
	return &handler{conn: ipc.NewConn(&in, io.Discard), store: f.store, now: func() time.Time { return f.now }, useLog: &f.log}
}

func (f *tokenFixture) create(app string, ops keyslot.Ops, expires int64) string {
	f.t.Helper()
	res, err := f.handler(&ipc.InquiryAnswer{Passphrase: []byte(fixturePass)}).createToken(&ipc.TokenCreateRequest{
		Primary: f.fpr, App: app, Ops: uint8(ops), Created: f.now.Unix(), Expires: expires})
	if err != nil {
		f.t.Fatalf("create %s: %v", app, err)
	}
	return string(res.(*ipc.TokenCreateResult).Token)
}

// use unlocks the key that does op (primary for sign, subkey for
// decrypt) answering with token, and returns the unlocked key.
func (f *tokenFixture) use(token string, op keyslot.Ops) (*packet.PrivateKey, error) {
	f.t.Helper()
	e, err := f.store.load(f.fpr)
	if err != nil {
		f.t.Fatal(err)
	}
	priv := e.PrivateKey
	if op == keyslot.OpDecrypt {
		priv = e.Subkeys[0].PrivateKey
	}
	return priv, f.handler(&ipc.InquiryToken{Token: []byte(token)}).unlock(e, priv, op)
}

func wantCode(t *testing.T, what string, err error, code ipc.ErrorCode) {
	t.Helper()
	var e *ipc.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Errorf("%s: got %v, want error code %d", what, err, code)
	}
}

func TestTokenLifecycle(t *testing.T) {
	f := newTokenFixture(t)
	// one passphrase answer only: a second inquiry would hit EOF
	signTok := f.create("git", keyslot.OpSign, 0)
	bothTok := f.create("mail", keyslot.OpSign|keyslot.OpDecrypt, 0)
	if !keyslot.IsToken([]byte(signTok)) || signTok == bothTok {
		t.Fatalf("tokens %q %q", signTok, bothTok)
	}
	// the keyslot holds only what its operations need, and no token text
	secret, _ := keyslot.ParseToken([]byte(signTok))
	slot, err := f.store.readSlot(f.fpr, secret.ID())
	if err != nil {
		t.Fatal(err)
	}
	ix, _ := f.store.readIndex()
	material, err := slot.Open(secret, ix[secret.ID()])
	if err != nil {
		t.Fatal(err)
	}
	e, _ := f.store.load(f.fpr)
	if _, err := findPrivateKey(material, e.Subkeys[0].PublicKey.Fingerprint); err == nil {
		t.Error("a sign-only keyslot holds the encryption subkey")
	}
	for _, name := range []string{filepath.Base(f.store.slotPath(f.fpr, secret.ID())), indexName} {
		raw, _ := os.ReadFile(filepath.Join(f.store.dir, name))
		if bytes.Contains(raw, []byte(signTok)) || bytes.Contains(raw, secret[:]) {
			t.Errorf("%s holds the token", name)
		}
	}

	priv, err := f.use(signTok, keyslot.OpSign)
	if err != nil || priv.Encrypted {
		t.Fatalf("sign with the token: %v", err)
	}
	// the unlocked key makes a signature its public key verifies
	sig := &packet.Signature{Version: 4, SigType: packet.SigTypeBinary, PubKeyAlgo: priv.PubKeyAlgo, Hash: crypto.SHA256, CreationTime: f.now}
	if err := sig.Sign(sha256.New(), priv, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.PrimaryKey.VerifySignature(sha256.New(), sig); err != nil {
		t.Errorf("signature by the token-unlocked key: %v", err)
	}
	want := "2023-11-14T22:15:00Z " + secret.ID().String() + " git sign "
	if !strings.HasPrefix(f.log.String(), want) || strings.Count(f.log.String(), "\n") != 1 {
		t.Errorf("use log %q, want a line %q...", f.log.String(), want)
	}

	_, err = f.use(signTok, keyslot.OpDecrypt)
	wantCode(t, "decrypt with a sign-only token", err, ipc.ErrCodeTokenRefused)
	if priv, err := f.use(bothTok, keyslot.OpDecrypt); err != nil || priv.Encrypted {
		t.Errorf("decrypt with a sign,decrypt token: %v", err)
	}
	_, err = f.use("fpt_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", keyslot.OpSign)
	wantCode(t, "a token never made", err, ipc.ErrCodeBadPassphrase)

	// revoke, keeping the file; put back, it opens nothing
	slotFile := f.store.slotPath(f.fpr, secret.ID())
	kept, _ := os.ReadFile(slotFile)
	id := secret.ID()
	if _, err := f.handler().revokeToken(&ipc.TokenRevokeRequest{ID: id[:]}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(slotFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("keyslot file still there: %v", err)
	}
	_, err = f.use(signTok, keyslot.OpSign)
	wantCode(t, "revoked token", err, ipc.ErrCodeBadPassphrase)
	os.WriteFile(slotFile, kept, 0o600)
	_, err = f.use(signTok, keyslot.OpSign)
	wantCode(t, "revoked token, keyslot file put back", err, ipc.ErrCodeBadPassphrase)

	// the other token and the passphrase are untouched
	if _, err := f.use(bothTok, keyslot.OpSign); err != nil {
		t.Errorf("other token after the revocation: %v", err)
	}
	e, _ = f.store.load(f.fpr)
	if err := e.PrivateKey.Decrypt([]byte(fixturePass)); err != nil {
		t.Errorf("passphrase after the revocation: %v", err)
	}
	res, err := f.handler().listTokens(&ipc.TokenListRequest{})
	if l := res.(*ipc.TokenListResult).Tokens; err != nil || len(l) != 1 || l[0].App != "mail" {
		t.Errorf("listing after the revocation: %+v %v", l, err)
	}
}

// A keyslot file copied over another token's keyslot opens for neither
// token: the names, IDs and keys do not match.
func TestTokenCopiedKeyslot(t *testing.T) {
	f := newTokenFixture(t)
	a := f.create("a", keyslot.OpSign, 0)
	b := f.create("b", keyslot.OpSign, 0)
	sa, _ := keyslot.ParseToken([]byte(a))
	sb, _ := keyslot.ParseToken([]byte(b))
	raw, _ := os.ReadFile(f.store.slotPath(f.fpr, sa.ID()))
	os.WriteFile(f.store.slotPath(f.fpr, sb.ID()), raw, 0o600)
	_, err := f.use(b, keyslot.OpSign)
	wantCode(t, "b's token on a's keyslot", err, ipc.ErrCodeBadPassphrase)
	// and a's keyslot under a's name with b's pepper (a forged index)
	ix, _ := f.store.readIndex()
	ix[sa.ID()] = ix[sb.ID()]
	f.store.writeFile(indexName, ix.Marshal())
	_, err = f.use(a, keyslot.OpSign)
	wantCode(t, "a's keyslot with another pepper", err, ipc.ErrCodeBadPassphrase)
}

func TestTokenExpiry(t *testing.T) {
	f := newTokenFixture(t)
	tok := f.create("ci", keyslot.OpSign, f.now.Unix()+60)
	f.now = f.now.Add(59 * time.Second)
	if _, err := f.use(tok, keyslot.OpSign); err != nil {
		t.Errorf("a second before expiry: %v", err)
	}
	f.now = f.now.Add(time.Second)
	priv, err := f.use(tok, keyslot.OpSign)
	wantCode(t, "at expiry", err, ipc.ErrCodeTokenRefused)
	if !priv.Encrypted {
		t.Error("an expired token unlocked the key")
	}
}

// No use without its log line; no token for other operations; no token
// for an unprotected key.
func TestTokenRefusals(t *testing.T) {
	f := newTokenFixture(t)
	tok := f.create("x", keyslot.OpSign, 0)
	e, _ := f.store.load(f.fpr)
	h := f.handler(&ipc.InquiryToken{Token: []byte(tok)})
	h.useLog = nil
	err := h.unlock(e, e.PrivateKey, keyslot.OpSign)
	wantCode(t, "without a use log", err, ipc.ErrCodeInternal)
	if !e.PrivateKey.Encrypted {
		t.Error("unlocked without a log line")
	}
	err = f.handler(&ipc.InquiryToken{Token: []byte(tok)}).unlock(e, e.PrivateKey, noToken)
	wantCode(t, "certify with a token", err, ipc.ErrCodeNotPermitted)
	_, err = f.handler(&ipc.InquiryToken{Token: []byte(tok)}).createToken(&ipc.TokenCreateRequest{Primary: f.fpr, App: "y", Ops: 1})
	wantCode(t, "a token that makes a token", err, ipc.ErrCodeNotPermitted)

	plain, _ := openpgp.NewEntity("P", "", "p@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	var sec bytes.Buffer
	plain.SerializePrivateWithoutSigning(&sec, nil)
	f.store.write(plain.PrimaryKey.Fingerprint, sec.Bytes())
	_, err = f.handler().createToken(&ipc.TokenCreateRequest{Primary: plain.PrimaryKey.Fingerprint, App: "y", Ops: 1})
	wantCode(t, "token for an unprotected key", err, ipc.ErrCodeNotPermitted)
}

func TestDeleteRevokesTokens(t *testing.T) {
	f := newTokenFixture(t)
	f.create("x", keyslot.OpSign, 0)
	if _, err := f.handler().delete(&ipc.DeleteRequest{Fingerprint: f.fpr}); err != nil {
		t.Fatal(err)
	}
	files, _ := f.store.slotFiles()
	ix, _ := f.store.readIndex()
	if len(files) != 0 || len(ix) != 0 {
		t.Errorf("after deleting the key: %d keyslot files, %d index entries", len(files), len(ix))
	}
}
