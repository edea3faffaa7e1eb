package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testRoot holds what all tests share: the built helper binary. It is
// world-readable so that runs under setpriv as nobody can use it.
var testRoot string

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	dir, err := os.MkdirTemp("", "sandbox-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const nobody = "65534"

// The helpers whose sandbox these tests prove.
const (
	keyhelper  = "keyhelper"
	nethelper  = "nethelper"
	cardhelper = "cardhelper"
)

var (
	buildMu sync.Mutex
	built   = map[string]string{} // helper name -> binary
)

// helperBinary builds the real cmd/<name>, whose --sandbox-self-test mode
// runs SelfTestMain with the helper's own policy: the tests prove the
// binary that ships. If it does not build, the tests fail; there is
// deliberately no stand-in.
func helperBinary(t *testing.T, name string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if bin, ok := built[name]; ok {
		return bin
	}
	out := filepath.Join(testRoot, name)
	cmd := exec.Command("go", "build", "-o", out, "./cmd/"+name)
	cmd.Dir = ".."
	if name != cardhelper && len(precompiled) > 0 {
		// as make build builds it where the filters are precompiled
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/%s: %v\n%s", name, err, b)
	}
	built[name] = out
	return out
}

// fixture is a secret directory with one key file, a canary file outside it,
// a listening unix socket, all usable by nobody, and two listening TCP ports
// on 127.0.0.1: one a network policy allows, one it does not.
type fixture struct {
	secret, canary, sock string
	tcpPort, otherPort   uint16
}

// args are the self-test flags describing f.
func (f fixture) args() []string {
	return []string{"--secret-dir", f.secret, "--canary", f.canary, "--unix-socket", f.sock,
		"--tcp-port", strconv.Itoa(int(f.tcpPort)), "--tcp-other-port", strconv.Itoa(int(f.otherPort))}
}

// acceptAndClose serves ln until it is closed.
func acceptAndClose(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}

func newFixture(t *testing.T, owner string) fixture {
	t.Helper()
	dir := t.TempDir()
	// t.TempDir's parent is created 0700; nobody must traverse both.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f := fixture{
		secret: filepath.Join(dir, "secret"),
		canary: filepath.Join(dir, "canary"),
		sock:   filepath.Join(dir, "sock"),
	}
	if err := os.Mkdir(f.secret, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.secret, "key"), []byte("secret key bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.canary, []byte("canary"), 0o644); err != nil {
		t.Fatal(err)
	}
	if owner == nobody {
		if err := os.Chown(f.secret, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("unix", f.sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	// connect(2) to a pathname socket needs write permission on it.
	if err := os.Chmod(f.sock, 0o777); err != nil {
		t.Fatal(err)
	}
	go acceptAndClose(ln)
	for _, port := range []*uint16{&f.tcpPort, &f.otherPort} {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		*port = uint16(ln.Addr().(*net.TCPAddr).Port)
		go acceptAndClose(ln)
	}
	return f
}

// cleanEnv is the test's environment without the sandbox kill switch, so a
// developer's shell cannot turn the sandboxed runs into unconfined ones.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, UnsafeNoSandboxEnv+"=") {
			env = append(env, kv)
		}
	}
	return env
}

// helperCommand runs bin with args as user ("" = the test's own uid, or
// nobody via setpriv). With viaShell the helper's parent is a throwaway
// /bin/sh of the same uid, never the test process: the ptrace, kill and
// process_vm_readv probes aim at the parent, and unconfined they succeed.
// Without it the helper is the direct child, so its wait status (death by
// SIGSYS) is visible.
func helperCommand(ctx context.Context, user string, viaShell bool, bin string, args ...string) *exec.Cmd {
	argv := append([]string{bin}, args...)
	if viaShell {
		argv = append([]string{"/bin/sh", "-c", `"$@"; exit $?`, "sh"}, argv...)
	}
	if user == nobody {
		argv = append([]string{"setpriv", "--reuid=" + nobody, "--regid=" + nobody, "--clear-groups", "--"}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = cleanEnv()
	return cmd
}

type runResult struct {
	stdout, stderr string
	err            error
	probes         map[string]ProbeResult
}

func runHelper(t *testing.T, helper, user string, viaShell bool, env []string, args ...string) runResult {
	t.Helper()
	bin := helperBinary(t, helper)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := helperCommand(ctx, user, viaShell, bin, append([]string{"--sandbox-self-test"}, args...)...)
	cmd.Env = append(cmd.Env, env...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	r := runResult{stdout: so.String(), stderr: se.String(), err: err, probes: map[string]ProbeResult{}}
	for _, line := range strings.Split(r.stdout, "\n") {
		fields := strings.SplitN(line, " ", 4)
		if len(fields) < 3 || fields[0] != "PROBE" {
			continue
		}
		pr := ProbeResult{Name: fields[1], Denied: fields[2] == "denied"}
		if len(fields) == 4 {
			pr.Detail = fields[3]
		}
		if fields[2] != "denied" && fields[2] != "allowed" {
			t.Fatalf("bad verdict in %q", line)
		}
		if _, dup := r.probes[pr.Name]; dup {
			t.Fatalf("probe %s reported twice", pr.Name)
		}
		r.probes[pr.Name] = pr
	}
	return r
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to uid 65534 with setpriv")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv not installed")
	}
}
