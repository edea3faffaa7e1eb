package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/frontpgp/front/ipc"
)

// libexecDir is where an installed front finds its helpers, relative to
// its own binary; set at build time with -ldflags for other layouts.
var libexecDir = "../libexec/frontpgp"

// helperPath finds a helper next to front's resolved executable or in the
// libexec directory: never via $PATH, so a user's PATH cannot substitute it.
func helperPath(name string) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(self); err == nil {
		self = r
	}
	dir := filepath.Dir(self)
	for _, p := range []string{filepath.Join(dir, name), filepath.Join(dir, libexecDir, name)} {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("helper %s not found next to %s", name, self)
}

// helperProc is a started helper that has not been given its request.
type helperProc struct {
	pid    int      // a child of ours until wait reaps it: the PID cannot be reused before
	stdin  *os.File // front's ends of the helper's stdin and stdout
	stdout *os.File
	conn   *ipc.Conn
	mode   string // keyhelper's --mode
	// reapLater: once the answer is in, front goes on without waiting for
	// the helper's exit (set for helpers that write nothing after they
	// answer; see run).
	reapLater bool
}

// startHelper starts the named helper with args and env added to front's
// environment; its stdin and stdout are the session's pipes, its stderr
// is front's.
func startHelper(name string, env []string, args ...string) (*helperProc, error) {
	return startHelperWith(name, env, nil, args...)
}

// startHelperWith is startHelper with extra descriptors: extra[i] is the
// helper's fd 3+i (keytocard's key pipe).
//
// The helper is started with syscall.ForkExec, not os/exec: a process's
// first os.StartProcess probes pidfd support by forking a child that exits
// at once, about 0.25 ms of a one-shot front, on the critical path of
// every operation whose helper is not started ahead (keyserver and WKD
// fetches, decryption).
func startHelperWith(name string, env []string, extra []*os.File, args ...string) (*helperProc, error) {
	path, err := helperPath(name)
	if err != nil {
		return nil, err
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	files := []uintptr{inR.Fd(), outW.Fd(), os.Stderr.Fd()}
	for _, f := range extra {
		files = append(files, f.Fd())
	}
	pid, err := syscall.ForkExec(path, append([]string{path}, args...), &syscall.ProcAttr{
		Env:   helperEnv(os.Environ(), env),
		Files: files,
	})
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	return &helperProc{pid: pid, stdin: inW, stdout: outR, conn: ipc.NewConn(outR, inW)}, nil
}

// helperEnv is environ with the NAME=VALUE entries of set replacing any
// of the same names (a Go program, like getenv(3), takes the first of
// duplicates, so appending would not override).
func helperEnv(environ, set []string) []string {
	out := make([]string, 0, len(environ)+len(set))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.ContainsFunc(set, func(s string) bool { return strings.HasPrefix(s, name+"=") }) {
			out = append(out, kv)
		}
	}
	return append(out, set...)
}

// wait reaps the helper and closes front's end of its stdout; a helper
// that did not exit 0 is an error, worded as exec.Cmd.Wait words it.
func (h *helperProc) wait() error {
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(h.pid, &ws, 0, nil)
		if err == nil {
			break
		}
		if err != syscall.EINTR {
			return err
		}
	}
	h.stdout.Close()
	switch {
	case ws.Exited() && ws.ExitStatus() == 0:
		return nil
	case ws.Exited():
		return fmt.Errorf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Errorf("signal: %v", ws.Signal())
	}
	return fmt.Errorf("wait status %#x", uint32(ws))
}

// session is the whole life of a started helper after its start: the
// hellos for role, one request and its answer (inquiries go to inquire),
// then EOF on its stdin and its exit.
func (h *helperProc) session(role ipc.Role, req, res ipc.Message, inquire ipc.InquiryHandler) error {
	return h.run(role, func(c *ipc.Conn) error { return c.Call(req, res, inquire) })
}

// run is session with call doing the request and its answer.
func (h *helperProc) run(role ipc.Role, call func(*ipc.Conn) error) error {
	callErr := func() error {
		if err := h.conn.ReadHello(role); err != nil {
			return fmt.Errorf("%s did not start: %w", role, err)
		}
		if err := h.conn.WriteHello(role); err != nil {
			return err
		}
		return call(h.conn)
	}()
	h.stdin.Close()
	if callErr == nil && h.reapLater {
		// The helper has answered and has nothing left to do but exit;
		// its exit (tearing down a Go process: about 0.4 ms) overlaps
		// with front's own finish instead of preceding it. A goroutine
		// reaps it, so a long-running front (front ssh) leaves no zombies.
		go h.wait()
		return nil
	}
	waitErr := h.wait()
	if callErr != nil {
		return callErr
	}
	if waitErr != nil {
		return fmt.Errorf("%s: %w", role, waitErr)
	}
	return nil
}

// helperMode is the least privilege a request needs: signing and
// decrypting run in restricted mode (with a token too), export, listing
// (of keys, of tokens and of GnuPG's keys) and certification read (they
// change no secret), key generation, import, deletion, new subkeys, passphrase changes and
// creating or revoking a token write.
func helperMode(req ipc.Message) string {
	switch req.Type() {
	case ipc.TypeSignRequest, ipc.TypeDecryptRequest:
		return "restricted"
	case ipc.TypeExportRequest, ipc.TypeListRequest, ipc.TypeCertifyRequest, ipc.TypeTokenList, ipc.TypeGnuPGList, ipc.TypeKeyToCard:
		return "read"
	}
	return "write"
}

// startKeyhelper starts a keyhelper in the given mode.
func (a *app) startKeyhelper(mode string, extra ...*os.File) (*helperProc, error) {
	// A one-shot helper allocates little: no collector runs until the heap
	// nears the limit, which keeps its start fast and its memory bounded.
	// One P: its work is one thread's, and a Go process started with one
	// starts fewer threads (0.2 ms of its start, which a signature waits
	// for); keyhelper raises it before a passphrase's S2K, which may be
	// Argon2 with parallel lanes.
	h, err := startHelperWith("keyhelper", []string{"GOGC=off", "GOMEMLIMIT=24MiB", "GOMAXPROCS=1"}, extra, "--home", a.home, "--mode", mode)
	if err != nil {
		return nil, err
	}
	h.mode = mode
	// Signing, decrypting, listing and exporting write nothing after the
	// answer; a write-mode helper's exit status is part of its result.
	h.reapLater = mode != "write"
	return h, nil
}

// abandon ends a helper that got no request: EOF makes it exit at once.
func (h *helperProc) abandon() {
	h.stdin.Close()
	h.wait()
}

// prestartKeyhelper starts the keyhelper a signing command will need
// before front does its own work, so the helper's process start and
// lockdown overlap with front's key lookup and hashing.
func (a *app) prestartKeyhelper() {
	if a.remoteSigner != "" || a.onlyCardSecrets() {
		return
	}
	if h, err := a.startKeyhelper(helperMode(&ipc.SignRequest{})); err == nil {
		a.prestarted = h
	}
}

// onlyCardSecrets: every secret here is on a card (or there is none), so
// a signing needs no keyhelper. Only the recorded list is read; when it
// is missing or stale the answer is false (a keyhelper is started anyway).
func (a *app) onlyCardSecrets() bool {
	m, ok := a.store.SecretKeys(filepath.Join(a.home, secretDirName))
	if !ok {
		return false
	}
	for _, s := range m {
		if !s.Stub {
			return false
		}
	}
	return true
}

// releasePrestarted ends an unused prestarted helper.
func (a *app) releasePrestarted() {
	if a.prestarted != nil {
		a.prestarted.abandon()
		a.prestarted = nil
	}
}

// callKeyhelper runs one request on a fresh keyhelper (or the prestarted
// one, if its mode fits). One request per process: the helper exits after.
// The helper's mode follows from the request (helperMode); write only
// documents the caller's intent and must agree with it.
func (a *app) callKeyhelper(write bool, req, res ipc.Message) error {
	mode := helperMode(req)
	if write != (mode == "write") {
		return fmt.Errorf("internal error: request %#x in the wrong helper mode", uint16(req.Type()))
	}
	if a.remoteSigner != "" {
		return a.callRemoteSigner(req, res)
	}
	h := a.prestarted
	a.prestarted = nil
	if h != nil && h.mode != mode {
		h.abandon()
		h = nil
	}
	if h == nil {
		var err error
		if h, err = a.startKeyhelper(mode); err != nil {
			return err
		}
	}
	a.keyhelperOp = req.Type()
	err := h.session(ipc.RoleKey, req, res, a.answerKeyhelper)
	a.finishInquiries(err)
	return err
}

// libgpg-error sources and codes used in FAILURE/ERROR status lines. gpg
// reports errors that come from gpg-agent with the agent's source; ours
// come from keyhelper, which stands where gpg-agent stood.
const (
	srcGPG      = 2
	srcAgent    = 4
	srcPinentry = 5

	errGeneral           = 1
	errNoPubkey          = 9
	errBadPassphrase     = 11
	errNoSeckey          = 17
	errUnusablePubkey    = 53
	errUnusableSeckey    = 54
	errMissingPassphrase = 69
	errBadData           = 89
	errCanceled          = 99
	errNotSupported      = 60
	errNoPinentry        = 85
	errSigClass          = 32
	errNotProcessed      = 52
	errWrongKeyUsage     = 125
	errForbidden         = 251
	errTooLarge          = 67
)

func gpgError(source, code int) int { return source<<24 | code }

// Codes gpg's message processing returns bare, without a source: -1 (its
// parser's EOF, printed unsigned) when the input held no packet, and
// GPG_ERR_UNEXPECTED (38) for a packet that does not belong there.
const (
	gpgErrEOF     = 1<<32 - 1
	errUnexpected = 38
)

// helperErrorCode maps a helper error to gpg's error value (with the
// agent's source, as gpg would print it) and returns the helper error.
func helperErrorCode(err error) (code int, e *ipc.Error) {
	if err == errNoPassphrase {
		return gpgError(srcAgent, errMissingPassphrase), nil
	}
	if errors.As(err, &e) {
		switch e.Code {
		case ipc.ErrCodeNoSecretKey:
			return gpgError(srcAgent, errNoSeckey), e
		case ipc.ErrCodeBadPassphrase:
			return gpgError(srcAgent, errBadPassphrase), e
		case ipc.ErrCodeCanceled:
			return gpgError(srcAgent, errCanceled), e
		case ipc.ErrCodeUnsupported:
			return gpgError(srcAgent, errNotSupported), e
		case ipc.ErrCodeBadData:
			return gpgError(srcAgent, errBadData), e
		case ipc.ErrCodeTokenRefused:
			return gpgError(srcAgent, errForbidden), e
		}
	}
	return gpgError(srcGPG, errGeneral), e
}
