package main

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/eddsa"
	"github.com/frontpgp/front/card/cardkey"
	"github.com/frontpgp/front/ipc"
)

// TestKeyToCard: KeyToCardRequest writes the unlocked key to fd 3 when it
// is a pipe (the Ed25519 seed of the primary, which gives its public key)
// and answers front with nothing of it; fd 3 as a regular file is refused
// and left empty; restricted mode does not take the request.
func TestKeyToCard(t *testing.T) {
	bin := buildKeyhelper(t)
	home := t.TempDir()
	ask := func(*ipc.Inquiry) ([]byte, bool, error) { return []byte("pw"), false, nil }
	gen, _, _ := session(t, bin, home, "write")
	var g ipc.GenerateResult
	if err := gen.Call(&ipc.GenerateRequest{UserID: "Mover <mover@example.org>", Created: time.Now().Unix(), NoProtection: true,
		Primary: ipc.KeySpec{Algo: "ed25519", Usage: "sign,cert"}, Subkeys: []ipc.KeySpec{{Algo: "cv25519", Usage: "encr"}}}, &g, ask); err != nil {
		t.Fatal(err)
	}
	el, err := openpgp.ReadKeyRing(bytes.NewReader(g.Public))
	if err != nil {
		t.Fatal(err)
	}
	primary := el[0].PrimaryKey
	req := &ipc.KeyToCardRequest{Fingerprint: primary.Fingerprint}

	withFD3 := func(f *os.File, mode string) (*ipc.Conn, *exec.Cmd) {
		cmd := exec.Command(bin, "--home", home, "--mode", mode)
		cmd.ExtraFiles = []*os.File{f}
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		c := ipc.NewConn(stdout, stdin)
		if err := c.ReadHello(ipc.RoleKey); err != nil {
			t.Fatal(err)
		}
		if err := c.WriteHello(ipc.RoleKey); err != nil {
			t.Fatal(err)
		}
		return c, cmd
	}

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c, _ := withFD3(w, "read")
	w.Close()
	var res ipc.KeyToCardResult
	if err := c.Call(req, &res, ask); err != nil {
		t.Fatal(err)
	}
	k, err := cardkey.Read(r)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	pub := primary.PublicKey.(*eddsa.PublicKey)
	if k.Algo != cardkey.ECC || !bytes.Equal(ed25519.NewKeyFromSeed(k.D).Public().(ed25519.PublicKey), pub.X) {
		t.Fatal("the pipe did not carry the primary's Ed25519 seed")
	}

	f, err := os.CreateTemp(t.TempDir(), "notapipe")
	if err != nil {
		t.Fatal(err)
	}
	c, _ = withFD3(f, "read")
	err = c.Call(req, &res, ask)
	if e, ok := err.(*ipc.Error); !ok || e.Message != "no key pipe" {
		t.Fatalf("fd 3 a file: %v", err)
	}
	if st, _ := f.Stat(); st.Size() != 0 {
		t.Fatal("the key went into a file")
	}

	r, w, _ = os.Pipe()
	defer r.Close()
	c, _ = withFD3(w, "restricted")
	w.Close()
	if err := c.Call(req, &res, ask); err == nil {
		t.Fatal("restricted mode took a keytocard request")
	}
}
