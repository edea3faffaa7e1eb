package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/frontpgp/front/internal/helpertest"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/sandbox"
)

// nethelper is the real nethelper, built once per test binary
// (helpertest): the tests prove the program that ships, under its real
// sandbox.
var nethelper = helpertest.New("nethelper")

func TestMain(m *testing.M) { os.Exit(nethelper.Run(m)) }

type session struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	conn   *ipc.Conn
	stderr *strings.Builder
}

// start runs nethelper with args, without the sandbox kill switch whatever
// the environment says, and reads its hello: after the hello, the helper is
// locked down.
func start(t *testing.T, args ...string) *session {
	t.Helper()
	cmd := exec.Command(nethelper.Path(t), args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, sandbox.UnsafeNoSandboxEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	s := &session{cmd: cmd, stderr: &strings.Builder{}}
	cmd.Stderr = s.stderr
	s.stdin, _ = cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	s.conn = ipc.NewConn(stdout, s.stdin)
	if err := s.conn.ReadHello(ipc.RoleNet); err != nil {
		t.Fatalf("hello: %v\nstderr: %s", err, s.stderr)
	}
	return s
}

// fetch sends req and returns the result or the helper's error, and the
// helper's exit code.
func (s *session) fetch(t *testing.T, req *ipc.FetchRequest) (*ipc.FetchResult, *ipc.Error, int) {
	t.Helper()
	if err := s.conn.WriteHello(ipc.RoleNet); err != nil {
		t.Fatal(err)
	}
	var res ipc.FetchResult
	err := s.conn.Call(req, &res, func(*ipc.Inquiry) ([]byte, bool, error) {
		return nil, false, errors.New("nethelper asked something")
	})
	s.stdin.Close()
	code := s.exitCode(t)
	var e *ipc.Error
	if errors.As(err, &e) {
		return nil, e, code
	}
	if err != nil {
		t.Fatalf("call: %v\nstderr: %s", err, s.stderr)
	}
	return &res, nil, code
}

func (s *session) exitCode(t *testing.T) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if !ee.Exited() {
				t.Fatalf("nethelper died: %v\nstderr: %s", err, s.stderr)
			}
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(30 * time.Second):
		t.Fatal("nethelper did not exit")
		return -1
	}
}

func portsArg(t *testing.T, req *ipc.FetchRequest) string {
	t.Helper()
	ports, err := req.Ports()
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, p := range ports {
		s = append(s, strconv.Itoa(int(p)))
	}
	return strings.Join(s, ",")
}

var seccompMode = regexp.MustCompile(`(?m)^Seccomp:\s+2$`)
var noNewPrivs = regexp.MustCompile(`(?m)^NoNewPrivs:\s+1$`)

// The production path, end to end: nethelper locks itself down before its
// hello (every thread in seccomp filter mode with no_new_privs), then does
// a TLS fetch through a resolve override, a plain fetch of a name from
// /etc/hosts (read before lockdown), and stops an endless body at the cap.
func TestSandboxedFetch(t *testing.T) {
	site, _ := newTLS(t, serveMux())

	req := request(site, t, "/key")
	s := start(t, "--ports", portsArg(t, req), "--roots", "request")
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", s.cmd.Process.Pid))
	if len(tasks) == 0 {
		t.Fatal("no threads found")
	}
	for _, path := range tasks {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // a thread that ended
		}
		if !seccompMode.Match(b) || !noNewPrivs.Match(b) {
			t.Errorf("%s: not in seccomp filter mode with no_new_privs:\n%s", path, b)
		}
	}
	res, e, code := s.fetch(t, req)
	wantOK(t, res, e, 200, "KEYDATA")
	if code != 0 {
		t.Errorf("exit code %d", code)
	}

	plain := httptest.NewServer(serveMux())
	defer plain.Close()
	hosts, _ := os.ReadFile("/etc/hosts")
	if !regexp.MustCompile(`(?m)^127\.0\.0\.1\s+(.*\s)?localhost(\s|$)`).Match(hosts) {
		t.Log("/etc/hosts does not map localhost to 127.0.0.1: skipping the hosts-file fetch")
	} else {
		req = &ipc.FetchRequest{Method: "GET", URLs: []string{fmt.Sprintf("http://localhost:%d/missing", port(t, plain))},
			MaxBytes: 1000, TimeoutMillis: 5000}
		// The system's roots too: loading them before lockdown must work.
		res, e, _ = start(t, "--ports", portsArg(t, req), "--roots", "system").fetch(t, req)
		wantOK(t, res, e, 404, "<html>not found</html>")
	}

	endless, _ := newTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 32<<10)
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	req = request(endless, t, "/")
	req.MaxBytes = 4 << 20
	res, e, code = start(t, "--ports", portsArg(t, req), "--roots", "request").fetch(t, req)
	wantErr(t, res, e, ipc.ErrCodeTooLarge)
	if code != 2 {
		t.Errorf("exit code %d after an error, want 2", code)
	}
}

// A request for a port nethelper was not started with is refused before any
// connection; so is anything but a FetchRequest.
func TestSandboxedRefusals(t *testing.T) {
	site, hits := newTLS(t, serveMux())
	req := request(site, t, "/key")
	_, e, code := start(t, "--ports", "53,443", "--roots", "request").fetch(t, req)
	if e == nil || e.Code != ipc.ErrCodeBadRequest || code != 2 || hits.n.Load() != 0 {
		t.Errorf("request outside the ports: error %v, exit %d, %d server hits", e, code, hits.n.Load())
	}

	s := start(t, "--ports", "443")
	s.conn.WriteHello(ipc.RoleNet)
	err := s.conn.Call(&ipc.ListRequest{}, new(ipc.ListResult), nil)
	s.stdin.Close()
	if !errors.As(err, &e) || e.Code != ipc.ErrCodeNotPermitted || s.exitCode(t) != 2 {
		t.Errorf("a keyhelper request: %v", err)
	}

	// EOF instead of a hello: a clean exit.
	s = start(t, "--ports", "443")
	s.stdin.Close()
	if code := s.exitCode(t); code != 0 {
		t.Errorf("EOF after the hello: exit %d", code)
	}

	for _, args := range [][]string{{}, {"--ports", "0"}, {"--ports", "443", "--roots", "none"}, {"--ports", "443", "extra"}} {
		if err := exec.Command(nethelper.Path(t), args...).Run(); err == nil {
			t.Errorf("usage %q accepted", args)
		}
	}
}
