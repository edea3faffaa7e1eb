package main

import (
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/frontpgp/front/ipc"
)

func buildKeyhelper(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "keyhelper")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// session starts a keyhelper in mode and completes the hellos.
func session(t *testing.T, bin, home, mode string) (*ipc.Conn, *exec.Cmd, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(bin, "--home", home, "--mode", mode)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	conn := ipc.NewConn(stdout, stdin)
	if err := conn.ReadHello(ipc.RoleKey); err != nil {
		t.Fatalf("hello: %v", err)
	}
	if err := conn.WriteHello(ipc.RoleKey); err != nil {
		t.Fatal(err)
	}
	return conn, cmd, stdin
}

func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(10 * time.Second):
		t.Fatal("keyhelper did not exit")
		return -1
	}
}

// Each mode accepts its closed request set only; restricted mode (sign and
// decrypt) refuses export and listing.
func TestModesRefuseOtherRequests(t *testing.T) {
	bin := buildKeyhelper(t)
	home := t.TempDir()
	cases := []struct {
		mode string
		req  ipc.Message
	}{
		{"restricted", &ipc.ExportRequest{Fingerprints: [][]byte{make([]byte, 20)}}},
		{"restricted", &ipc.ListRequest{}},
		{"read", &ipc.GenerateRequest{UserID: "x", Primary: ipc.KeySpec{Algo: "ed25519", Usage: "sign"}}},
		{"write", &ipc.SignRequest{KeyFingerprint: make([]byte, 20), HashAlgo: 8, HashState: []byte{1}}},
		// tokens: made and revoked in write mode, listed in read mode,
		// used (as an inquiry answer) in restricted mode only
		{"restricted", &ipc.TokenListRequest{}},
		{"restricted", &ipc.TokenCreateRequest{Primary: make([]byte, 20), App: "a", Ops: 1}},
		{"read", &ipc.TokenCreateRequest{Primary: make([]byte, 20), App: "a", Ops: 1}},
		{"read", &ipc.TokenRevokeRequest{ID: make([]byte, 8)}},
		{"write", &ipc.TokenListRequest{}},
		// card stubs are written in write mode only
		{"read", &ipc.CardStubsRequest{AID: make([]byte, 16)}},
		{"restricted", &ipc.CardStubsRequest{AID: make([]byte, 16)}},
	}
	for _, c := range cases {
		conn, cmd, _ := session(t, bin, home, c.mode)
		var res ipc.ListResult
		err := conn.Call(c.req, &res, func(*ipc.Inquiry) ([]byte, bool, error) { return nil, false, nil })
		var e *ipc.Error
		if !errors.As(err, &e) || e.Code != ipc.ErrCodeNotPermitted {
			t.Errorf("%s mode, %T: got %v", c.mode, c.req, err)
		}
		if code := exitCode(t, cmd); code == 0 {
			t.Errorf("%s mode, %T: exit code 0 after refusing", c.mode, c.req)
		}
	}
}

// Bad input 31 at the helper: a truncated frame, an oversized length and
// EOF in the middle of an inquiry each end the helper with an error.
func TestHostileFront(t *testing.T) {
	bin := buildKeyhelper(t)
	home := t.TempDir()

	_, cmd, stdin := session(t, bin, home, "read")
	stdin.Write([]byte{0, 0, 0, 9, 0, 0x16, 1}) // announces 7 payload bytes, sends 1
	stdin.Close()
	if code := exitCode(t, cmd); code != 2 {
		t.Errorf("truncated frame: exit %d", code)
	}

	_, cmd, stdin = session(t, bin, home, "read")
	stdin.Write([]byte{0x7f, 0xff, 0xff, 0xff, 0, 0x13})
	if code := exitCode(t, cmd); code != 2 {
		t.Errorf("oversized frame: exit %d", code)
	}

	// A protected key makes the helper ask; front then disappears.
	gen, _, _ := session(t, bin, home, "write")
	var g ipc.GenerateResult
	err := gen.Call(&ipc.GenerateRequest{UserID: "Asker <a@example.org>", Created: time.Now().Unix(),
		Primary: ipc.KeySpec{Algo: "ed25519", Usage: "sign,cert"}}, &g,
		func(*ipc.Inquiry) ([]byte, bool, error) { return []byte("pw"), true, nil })
	if err != nil || len(g.Listing) != 1 {
		t.Fatalf("generate: %v", err)
	}
	ask, cmd, stdin := session(t, bin, home, "restricted")
	if err := ask.Write(&ipc.SignRequest{KeyFingerprint: g.Listing[0].Fingerprint, HashAlgo: 8, HashState: sha256State(t)}); err != nil {
		t.Fatal(err)
	}
	if typ, _, err := ask.Recv(); err != nil || typ != ipc.TypeInquiry {
		t.Fatalf("expected an inquiry, got %#x %v", typ, err)
	}
	stdin.Close()
	if code := exitCode(t, cmd); code != 2 {
		t.Errorf("EOF mid-inquiry: exit %d", code)
	}
	if entries, _ := os.ReadDir(filepath.Join(home, SecretDirName)); len(entries) != 2 { // key + writelock
		t.Errorf("secret store changed: %d entries", len(entries))
	}
}

func sha256State(t *testing.T) []byte {
	t.Helper()
	h := newSHA256()
	state, err := h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return state
}

func newSHA256() interface{ MarshalBinary() ([]byte, error) } {
	return sha256.New().(interface{ MarshalBinary() ([]byte, error) })
}
