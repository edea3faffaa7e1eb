package main

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/status"
)

// Signatures made by gpg 2.2.40 and the SIG_ID it printed for them.
var sigIDVectors = []struct {
	name, sigHex, want string
}{
	{"eddsa", "888704001608002f16210455c7c9d9d580847493650c498ada03826ec6c136050267749390111c676f6f64406578616d706c652e6f7267000a09108ada03826ec6c136e52900ff59c751076cd8dac453d8be1613e051b99f5d526c2fe0ca6c6b50d0da568d5da400ff4606975f5b65bd109ac48ea7e5c87cdc376d3f54961485d5875e73c8362a8e0a",
		"2m5bPN/sCeg0ydDjyp7hyLv/wIA"},
	{"rsa2048", "8901330400010a001d16210424a240d025c14c6a721401b9c63f69c9e219618705026b029ccb000a0910c63f69c9e2196187f85908009dabfc8a6589172cbf255eb2bd4233a2e67416e83010a0055825cd8e44ef35e1ded10837e5af34abc5200671b35f2e8657ebd578db1bc50a60adc88989480558de9d9b494e162afbe57cc8b4d37d20eddbc94e6b1e86a4e39a8929300c261488630b63ba93d8371e9354bd3b2d6c4a0baed25a38fddb024c1345caa36f436df7255b54b7270cb6eb0352549da12ba6f36e5ae9712ec3e5c4272fe9c658ae36f2aa540a839d1637f04e7ce4419b50c92b0514b6f9050d05a8ffc46f75984b5e6217199a74f34d51a90f04adcaffa0e7e19d4e9d0ddb6d7adb17b32ef4c4bab8930ab813cc2fd136b1b68d6d9ee3455d15079f304ae835005c52d9e4140f1491ac",
		"NXCEEugzA41o6ABwWUKvojrfGDY"},
}

func parseSig(t *testing.T, h string) *packet.Signature {
	t.Helper()
	raw, err := hex.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	p, err := packet.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return p.(*packet.Signature)
}

func TestGPGSigID(t *testing.T) {
	for _, v := range sigIDVectors {
		sig := parseSig(t, v.sigHex)
		got, ok := gpgSigID(sig)
		if !ok || got != v.want {
			t.Errorf("%s: SIG_ID %q (ok %v), gpg printed %q", v.name, got, ok, v.want)
		}
		// every input counts: another creation time gives another value
		sig.CreationTime = sig.CreationTime.Add(time.Second)
		if other, _ := gpgSigID(sig); other == v.want {
			t.Errorf("%s: SIG_ID ignores the creation time", v.name)
		}
	}
}

// newCommandApp is an app whose command fd reads answers.
func newCommandApp(t *testing.T, answers string) (*app, *bytes.Buffer) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteString(answers); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { r.Close() })
	var st bytes.Buffer
	a := &app{opts: &parsed{values: map[string][]string{"pinentry-mode": {"loopback"}}}, status: status.New(&st), stderr: &bytes.Buffer{}}
	a.fe.cmd = r
	return a, &st
}

func TestCommandFDPrompts(t *testing.T) {
	a, st := newCommandApp(t, "secret\n\x04ignored\ny\nno\n\n")
	if ans, canceled := a.cprGet("GET_HIDDEN", "passphrase.enter"); canceled || ans != "secret" {
		t.Errorf("first line: %q canceled=%v", ans, canceled)
	}
	// Ctrl-D cancels the line it starts
	if _, canceled := a.cprGet("GET_LINE", "openfile.askoutname"); !canceled {
		t.Error("Ctrl-D did not cancel")
	}
	// the rest of that line is the next answer, as gpg reads byte by byte
	if ans, _ := a.cprGet("GET_LINE", "x"); ans != "ignored" {
		t.Errorf("after Ctrl-D: %q", ans)
	}
	if !a.cprGetBool("openfile.overwrite.okay") {
		t.Error("y is not yes")
	}
	if a.cprGetBool("openfile.overwrite.okay") {
		t.Error("no is yes")
	}
	if ans, canceled := a.cprGet("GET_LINE", "x"); canceled || ans != "" {
		t.Errorf("empty line: %q canceled=%v", ans, canceled)
	}
	if _, canceled := a.cprGet("GET_HIDDEN", "passphrase.enter"); !canceled {
		t.Error("end of file is not a cancel")
	}
	want := strings.Join([]string{
		"GET_HIDDEN passphrase.enter", "GOT_IT", "GET_LINE openfile.askoutname", "GOT_IT", "GET_LINE x", "GOT_IT",
		"GET_BOOL openfile.overwrite.okay", "GOT_IT", "GET_BOOL openfile.overwrite.okay", "GOT_IT",
		"GET_LINE x", "GOT_IT", "GET_HIDDEN passphrase.enter", "GOT_IT"}, "\n")
	got := strings.TrimSpace(strings.ReplaceAll(st.String(), status.Prefix, ""))
	if got != want {
		t.Errorf("status lines:\n%s\nwant:\n%s", got, want)
	}
}

func TestSymPassphraseFromCommandFD(t *testing.T) {
	for _, tc := range []struct {
		answers, wantStatus string
		wantErr             error
	}{
		{"pw\n", "NEED_PASSPHRASE_SYM 9 3 2|INQUIRE_MAXLEN 100|INQUIRE_MAXLEN 100|GET_HIDDEN passphrase.enter|GOT_IT", nil},
		{"", "NEED_PASSPHRASE_SYM 9 3 2|INQUIRE_MAXLEN 100|INQUIRE_MAXLEN 100|GET_HIDDEN passphrase.enter|GOT_IT|CANCELED_BY_USER", errPassphraseCanceled},
		{"\n", "NEED_PASSPHRASE_SYM 9 3 2|INQUIRE_MAXLEN 100|INQUIRE_MAXLEN 100|GET_HIDDEN passphrase.enter|GOT_IT|MISSING_PASSPHRASE", errPassphraseInvalid},
	} {
		a, st := newCommandApp(t, tc.answers)
		a.passphraseRead = true // no --passphrase* source
		p, err := a.symPassphrase(packet.CipherAES256, 3, 2, true)
		if !errors.Is(err, tc.wantErr) || (err == nil && string(p) != "pw") {
			t.Errorf("%q: passphrase %q, error %v", tc.answers, p, err)
		}
		got := strings.ReplaceAll(strings.TrimSpace(strings.ReplaceAll(st.String(), status.Prefix, "")), "\n", "|")
		if got != tc.wantStatus {
			t.Errorf("%q: status %s, want %s", tc.answers, got, tc.wantStatus)
		}
	}
}

func TestRecipientHash(t *testing.T) {
	ent := func(prefs ...uint8) *openpgp.Entity {
		e, err := openpgp.NewEntity("r", "", "r@example.org", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range e.Identities {
			id.SelfSignature.PreferredHash = prefs
		}
		return e
	}
	signer := []pgp.SignKey{{Key: &packet.PublicKey{PubKeyAlgo: packet.PubKeyAlgoEdDSA}}}
	// gpg 2.2's default preferences: SHA512 first
	if h, ok := recipientHash([]*openpgp.Entity{ent(10, 9, 8, 11, 2)}, signer); !ok || h != crypto.SHA512 {
		t.Errorf("one recipient: %v %v", h, ok)
	}
	// the best summed rank among algorithms all list: 8 (1+2) beats 10 (2+1) on the lower number
	if h, _ := recipientHash([]*openpgp.Entity{ent(8, 10), ent(10, 8)}, signer); h != crypto.SHA256 {
		t.Errorf("tie: %v", h)
	}
	// an algorithm one recipient lacks is out; SHA-1 is implied
	if h, _ := recipientHash([]*openpgp.Entity{ent(10), ent(8)}, signer); h != crypto.SHA1 {
		t.Errorf("disjoint: %v", h)
	}
	// DSA/ECDSA signers keep their own choice
	ecdsa := []pgp.SignKey{{Key: &packet.PublicKey{PubKeyAlgo: packet.PubKeyAlgoECDSA}}}
	if _, ok := recipientHash([]*openpgp.Entity{ent(10)}, ecdsa); ok {
		t.Error("ECDSA signer given the recipients' hash")
	}
}

type failingWriter struct{ writes int }

func (f *failingWriter) Write(p []byte) (int, error) {
	f.writes++
	return 0, errors.New("no space left on device")
}

func TestExitOnStatusWriteError(t *testing.T) {
	exits := 0
	fw := &failingWriter{}
	st := status.New(&exitOnErrorWriter{w: fw, exit: func() { exits++ }})
	st.Emit("NEWSIG")
	if exits != 1 || fw.writes != 1 {
		t.Fatalf("exit called %d times after %d writes", exits, fw.writes)
	}
	var ok bytes.Buffer
	st = status.New(&exitOnErrorWriter{w: &ok, exit: func() { exits++ }})
	st.Emit("NEWSIG")
	if exits != 1 || ok.String() != "[GNUPG:] NEWSIG\n" {
		t.Errorf("a good write: exits %d, %q", exits, ok.String())
	}
}

func TestEncryptionAnnouncer(t *testing.T) {
	n := 0
	var out bytes.Buffer
	e := &encryptionAnnouncer{w: &out, announce: func() { n++ }}
	e.Write(make([]byte, gpgBufferedBeforeEncryption))
	if n != 0 {
		t.Fatal("announced before gpg's buffer is full")
	}
	e.Write([]byte{1})
	e.finish()
	if n != 1 || out.Len() != gpgBufferedBeforeEncryption+1 {
		t.Errorf("announced %d times, wrote %d bytes", n, out.Len())
	}
	small := &encryptionAnnouncer{w: &out, announce: func() { n++ }}
	small.Write([]byte("x"))
	small.finish()
	if n != 2 {
		t.Error("a small message is not announced at the end")
	}
}
