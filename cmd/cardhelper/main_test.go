package main

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/frontpgp/front/card/cardkey"
	"github.com/frontpgp/front/card/openpgp"
	"github.com/frontpgp/front/card/pcsc"
	"github.com/frontpgp/front/internal/cardemu"
	"github.com/frontpgp/front/internal/helpertest"
	"github.com/frontpgp/front/internal/pcscwait"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/sandbox"
)

// cardhelper is the real cardhelper, built once per test binary
// (helpertest): the tests prove the program that ships, under its real
// sandbox.
var cardhelper = helpertest.New("cardhelper")

func TestMain(m *testing.M) { os.Exit(cardhelper.Run(m)) }

// call runs one cardhelper process (sandboxed whatever the environment
// says) for req and returns its result or its error; a helper killed by a
// signal (the seccomp filter) fails the test. A question for the PIN
// fails it too.
func call(t *testing.T, req *ipc.CardRequest, res ipc.Message) *ipc.Error {
	t.Helper()
	return callWith(t, nil, req, res)
}

// callWith is call with extra descriptors (fd 3 on: the key pipe).
func callWith(t *testing.T, extra []*os.File, req *ipc.CardRequest, res ipc.Message) *ipc.Error {
	t.Helper()
	return callAsk(t, extra, req, res, func(*ipc.CardStatus) ([]byte, bool, error) {
		return nil, false, errors.New("cardhelper asked for a PIN")
	})
}

// callAsk is callWith with ask answering the helper's question for the PIN.
func callAsk(t *testing.T, extra []*os.File, req *ipc.CardRequest, res ipc.Message, ask ipc.CardPINHandler) *ipc.Error {
	t.Helper()
	cmd := exec.Command(cardhelper.Path(t))
	cmd.ExtraFiles = extra
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, sandbox.UnsafeNoSandboxEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	conn := ipc.NewConn(stdout, stdin)
	if err := conn.ReadHello(ipc.RoleCard); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("hello: %v\nstderr: %s", err, &stderr)
	}
	if err := conn.WriteHello(ipc.RoleCard); err != nil {
		t.Fatal(err)
	}
	err := conn.CallCard(req, res, ask)
	stdin.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case werr := <-done:
		var ee *exec.ExitError
		if errors.As(werr, &ee) && !ee.Exited() {
			t.Fatalf("cardhelper died: %v\nstderr: %s", werr, &stderr)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("cardhelper did not exit")
	}
	var e *ipc.Error
	if errors.As(err, &e) {
		return e
	}
	if err != nil {
		t.Fatalf("call: %v\nstderr: %s", err, &stderr)
	}
	return nil
}

const serial = 0x0C0FFEE1

// provision generates the signature and decryption keys on the emulated
// card through pcscd, as gpg --card-edit generate would, and records a
// fingerprint and time for the signature key.
func provision(t *testing.T) (sig, dec openpgp.PublicKey, fpr []byte) {
	t.Helper()
	ctx, err := pcsc.Establish()
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Release()
	if err := pcscwait.WaitVisible(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	conn, err := ctx.Find(func(*pcsc.Conn) (bool, error) { return true, nil })
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fpr = bytes.Repeat([]byte{0xA5}, 20)
	err = openpgp.Run(conn, openpgp.PW3, []byte(cardemu.DefaultPW3), func(c *openpgp.Card) (err error) {
		if sig, err = c.Generate(openpgp.SlotSign); err != nil {
			return err
		}
		if dec, err = c.Generate(openpgp.SlotDecrypt); err != nil {
			return err
		}
		return c.SetKeyMeta(openpgp.SlotSign, fpr, 1700000000)
	})
	if err != nil {
		t.Fatal(err)
	}
	return sig, dec, fpr
}

// verifies counts the VERIFY commands with a PIN (not the FF reset) in log.
func verifies(log []cardemu.Command) int {
	n := 0
	for _, c := range log {
		if c.INS == 0x20 && c.P1 == 0x00 {
			n++
		}
	}
	return n
}

// TestLive drives the real, sandboxed cardhelper against the emulated card
// through pcscd: status, a signature gpg's verifier would accept (Ed25519
// over the digest), an X25519 decipherment, a wrong PIN (one VERIFY, never
// retried), and a serial no reader has.
func TestLive(t *testing.T) {
	rig := cardemu.StartRig(t, cardemu.New(cardemu.Options{Serial: serial}), cardemu.InsertOptions{})
	sigKey, decKey, fpr := provision(t)
	want := fmt.Sprintf("%08X", serial)

	var st ipc.CardStatus
	if e := call(t, &ipc.CardRequest{Op: ipc.CardOpStatus, Serial: want}, &st); e != nil {
		t.Fatalf("status: %v", e)
	}
	aid, err := openpgp.ParseAID(st.AID)
	if err != nil || aid.Serial != serial || st.Reader == "" {
		t.Fatalf("status: AID %X (%v), reader %q", st.AID, err, st.Reader)
	}
	attrs, err := openpgp.ParseAttributes(st.Keys[0].Attributes)
	if err != nil || attrs.Name() != "ed25519" || !bytes.Equal(st.Keys[0].Fingerprint, fpr) ||
		st.Keys[0].Created != 1700000000 || st.PINTries != [3]uint8{3, 0, 3} {
		t.Fatalf("status: %+v", st)
	}

	digest := sha256.Sum256([]byte("card"))
	var out ipc.CardOutput
	if e := call(t, &ipc.CardRequest{Op: ipc.CardOpSign, Serial: want, PIN: []byte(cardemu.DefaultPW1), Data: digest[:]}, &out); e != nil {
		t.Fatalf("sign: %v", e)
	}
	if !ed25519.Verify(sigKey.Point, digest[:], out.Data) {
		t.Fatal("the card's signature does not verify")
	}
	if got := rig.Card.SignatureCount(); got != 1 {
		t.Fatalf("signature counter %d", got)
	}

	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cardPub, err := ecdh.X25519().NewPublicKey(decKey.Point)
	if err != nil {
		t.Fatal(err)
	}
	shared, _ := eph.ECDH(cardPub)
	if e := call(t, &ipc.CardRequest{Op: ipc.CardOpDecipher, PIN: []byte(cardemu.DefaultPW1), Data: eph.PublicKey().Bytes()}, &out); e != nil {
		t.Fatalf("decipher: %v", e)
	}
	if !bytes.Equal(out.Data, shared) {
		t.Fatal("shared secret differs")
	}

	before := len(rig.Card.Log())
	e := call(t, &ipc.CardRequest{Op: ipc.CardOpSign, PIN: []byte("654321"), Data: digest[:]}, &out)
	if e == nil || e.Code != ipc.ErrCodeBadPassphrase {
		t.Fatalf("wrong PIN: %v", e)
	}
	if n := verifies(rig.Card.Log()[before:]); n != 1 || rig.Card.Tries()[0] != 2 {
		t.Fatalf("wrong PIN: %d VERIFY commands, tries %v", n, rig.Card.Tries())
	}

	if e := call(t, &ipc.CardRequest{Op: ipc.CardOpStatus, Serial: "DEADBEEF"}, &st); e == nil || e.Code != ipc.ErrCodeNoCard {
		t.Fatalf("unknown serial: %v", e)
	}

	// Without a PIN in the request the helper asks for it, showing the
	// card as it read it (no public keys), then verifies once and signs.
	before = len(rig.Card.Log())
	var asked *ipc.CardStatus
	ask := func(q *ipc.CardStatus) ([]byte, bool, error) {
		asked = q
		if n := verifies(rig.Card.Log()[before:]); n != 0 {
			t.Errorf("%d VERIFY before the PIN was asked", n)
		}
		return []byte(cardemu.DefaultPW1), true, nil
	}
	if e := callAsk(t, nil, &ipc.CardRequest{Op: ipc.CardOpSign, Serial: want, Data: digest[:]}, &out, ask); e != nil {
		t.Fatalf("sign asking: %v", e)
	}
	if asked == nil || !bytes.Equal(asked.AID, st.AID) || asked.Reader == "" || asked.SigCounter != 1 || asked.PINTries[0] != 2 ||
		!bytes.Equal(asked.Keys[0].Fingerprint, fpr) || len(asked.Keys[0].Public) != 0 {
		t.Fatalf("the question showed %+v", asked)
	}
	if !ed25519.Verify(sigKey.Point, digest[:], out.Data) || verifies(rig.Card.Log()[before:]) != 1 || rig.Card.SignatureCount() != 2 {
		t.Fatal("the signature after the question is wrong, or not one VERIFY")
	}
	// A declined question: no VERIFY, no signature.
	before = len(rig.Card.Log())
	decline := func(*ipc.CardStatus) ([]byte, bool, error) { return nil, false, nil }
	if e := callAsk(t, nil, &ipc.CardRequest{Op: ipc.CardOpSign, Data: digest[:]}, &out, decline); e == nil || e.Code != ipc.ErrCodeCanceled {
		t.Fatalf("declined: %v", e)
	}
	if verifies(rig.Card.Log()[before:]) != 0 || rig.Card.SignatureCount() != 2 {
		t.Fatal("a declined question reached the card")
	}
}

// TestLiveAdmin drives the administration requests through the sandboxed
// cardhelper and pcscd: PUT DATA of named DOs, a wrong Admin PIN (one
// VERIFY, nothing written), a too short PIN (no VERIFY at all), a DO outside
// the closed set, PIN change, reset code set and used, unblock with PW3,
// GENERATE (the public key answered is the one the card reports).
func TestLiveAdmin(t *testing.T) {
	rig := cardemu.StartRig(t, cardemu.New(cardemu.Options{Serial: serial}), cardemu.InsertOptions{})
	if err := pcscwait.WaitVisible(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	pw3 := []byte(cardemu.DefaultPW3)
	var out ipc.CardOutput
	put := &ipc.CardRequest{Op: ipc.CardOpPutData, PIN: pw3, DOs: []ipc.CardDO{
		{Tag: openpgp.DOName, Value: []byte("Doe<<Jo")}, {Tag: openpgp.DOPWStatus, Value: []byte{1}}}}
	if e := call(t, put, &out); e != nil {
		t.Fatalf("put data: %v", e)
	}
	var st ipc.CardStatus
	if e := call(t, &ipc.CardRequest{Op: ipc.CardOpStatus}, &st); e != nil || st.Name != "Doe<<Jo" || !st.PW1Multiple {
		t.Fatalf("status after put data: %+v %v", st, e)
	}

	before := len(rig.Card.Log())
	put.PIN, put.DOs[0].Value = []byte("87654321"), []byte("X<<Y")
	if e := call(t, put, &out); e == nil || e.Code != ipc.ErrCodeBadPassphrase {
		t.Fatalf("wrong admin PIN: %v", e)
	}
	if n := verifies(rig.Card.Log()[before:]); n != 1 || rig.Card.Tries()[2] != 2 {
		t.Fatalf("wrong admin PIN: %d VERIFYs, tries %v", n, rig.Card.Tries())
	}
	before = len(rig.Card.Log())
	put.PIN = []byte("1234567")
	if e := call(t, put, &out); e == nil || e.Code != ipc.ErrCodeBadPassphrase || verifies(rig.Card.Log()[before:]) != 0 {
		t.Fatalf("short admin PIN: %v", e)
	}
	if e := call(t, &ipc.CardRequest{Op: ipc.CardOpPutData, PIN: pw3, DOs: []ipc.CardDO{{Tag: 0xD3, Value: []byte("abcdefgh")}}}, &out); e == nil || e.Code != ipc.ErrCodeBadRequest {
		t.Fatalf("reset code through PUT DATA: %v", e)
	}

	steps := []struct {
		name string
		req  ipc.CardRequest
	}{
		{"change PW3", ipc.CardRequest{Op: ipc.CardOpChangePIN, Ref: 0x83, PIN: pw3, NewPIN: []byte("87654321")}},
		{"set reset code", ipc.CardRequest{Op: ipc.CardOpSetResetCode, PIN: []byte("87654321"), NewPIN: []byte("abcdefgh")}},
		{"reset with code", ipc.CardRequest{Op: ipc.CardOpResetWithCode, PIN: []byte("abcdefgh"), NewPIN: []byte("222222")}},
		{"change PW1", ipc.CardRequest{Op: ipc.CardOpChangePIN, Ref: 0x81, PIN: []byte("222222"), NewPIN: []byte("333333")}},
		{"unblock", ipc.CardRequest{Op: ipc.CardOpUnblockPIN, PIN: []byte("87654321"), NewPIN: []byte("444444")}},
		{"verify PW1", ipc.CardRequest{Op: ipc.CardOpCheckPIN, Ref: 0x82, PIN: []byte("444444")}},
	}
	for _, s := range steps {
		if e := call(t, &s.req, &out); e != nil {
			t.Fatalf("%s: %v", s.name, e)
		}
	}
	if e := call(t, &ipc.CardRequest{Op: ipc.CardOpCheckPIN, Ref: 0x82, PIN: []byte("333333")}, &out); e == nil || e.Code != ipc.ErrCodeBadPassphrase {
		t.Fatalf("old PW1 still accepted: %v", e)
	}

	var pub ipc.CardPublic
	if e := call(t, &ipc.CardRequest{Op: ipc.CardOpGenerate, Slot: 2, PIN: []byte("87654321")}, &pub); e != nil {
		t.Fatalf("generate: %v", e)
	}
	fpr := bytes.Repeat([]byte{0xC7}, 20)
	meta := &ipc.CardRequest{Op: ipc.CardOpPutData, PIN: []byte("87654321"), DOs: []ipc.CardDO{
		{Tag: openpgp.DOFingerprint + 2, Value: fpr}, {Tag: openpgp.DOCreated + 2, Value: openpgp.EncodeTime(1700000000)}}}
	if e := call(t, meta, &out); e != nil {
		t.Fatalf("key meta: %v", e)
	}
	if e := call(t, &ipc.CardRequest{Op: ipc.CardOpStatus}, &st); e != nil {
		t.Fatal(e)
	}
	k := st.Keys[2]
	if len(pub.Public) != 1 || len(k.Public) != 1 || !bytes.Equal(k.Public[0], pub.Public[0]) || !bytes.Equal(k.Fingerprint, fpr) || k.Created != 1700000000 {
		t.Fatalf("generated %X, card has %+v", pub.Public, k)
	}
}

// TestLiveImport: CardOpImportKey through the sandboxed helper reads the
// key from the pipe on fd 3 and imports it with the slot's fingerprint and
// time in one go; fd 3 not a pipe, or a pipe without a well-formed key,
// is refused before any import command reaches the card.
func TestLiveImport(t *testing.T) {
	rig := cardemu.StartRig(t, cardemu.New(cardemu.Options{Serial: serial}), cardemu.InsertOptions{})
	if err := pcscwait.WaitVisible(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	fpr := bytes.Repeat([]byte{0xA5}, 20)
	req := &ipc.CardRequest{Op: ipc.CardOpImportKey, Slot: 0, PIN: []byte(cardemu.DefaultPW3), DOs: []ipc.CardDO{
		{Tag: openpgp.DOFingerprint, Value: fpr}, {Tag: openpgp.DOCreated, Value: openpgp.EncodeTime(1700000000)}}}
	seed := bytes.Repeat([]byte{0x42}, 32)
	withPipe := func(msg []byte) *ipc.Error {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		w.Write(msg)
		w.Close()
		defer r.Close()
		return callWith(t, []*os.File{r}, req, new(ipc.CardOutput))
	}
	imports := func() int {
		n := 0
		for _, c := range rig.Card.Log() {
			if c.INS == 0xDB {
				n++
			}
		}
		return n
	}

	f, _ := os.CreateTemp(t.TempDir(), "key")
	if e := callWith(t, []*os.File{f}, req, new(ipc.CardOutput)); e == nil || e.Code != ipc.ErrCodeBadRequest {
		t.Fatalf("fd 3 a file: %v", e)
	}
	if e := withPipe([]byte("FCK1\x02garbage")); e == nil || e.Code != ipc.ErrCodeBadData || imports() != 0 {
		t.Fatalf("garbage in the pipe: %v, %d imports", e, imports())
	}
	msg, err := (&cardkey.Key{Algo: cardkey.ECC, OID: openpgp.CurveOID("ed25519"), D: seed}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if e := withPipe(msg); e != nil {
		t.Fatalf("import: %v", e)
	}
	var st ipc.CardStatus
	if e := call(t, &ipc.CardRequest{Op: ipc.CardOpStatus}, &st); e != nil {
		t.Fatal(e)
	}
	k := st.Keys[0]
	want := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	if len(k.Public) != 1 || !bytes.Equal(k.Public[0], want) || !bytes.Equal(k.Fingerprint, fpr) || k.Created != 1700000000 || imports() != 1 {
		t.Fatalf("card after import: %+v (%d imports)", k, imports())
	}
}
