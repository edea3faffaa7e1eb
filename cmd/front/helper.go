package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

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

// callKeyhelper runs one request on a fresh keyhelper. write selects the
// mode that may modify the secret store; everything else gets read-only.
func (a *app) callKeyhelper(write bool, req, res ipc.Message) error {
	path, err := helperPath("keyhelper")
	if err != nil {
		return err
	}
	mode := "read"
	if write {
		mode = "write"
	}
	cmd := exec.Command(path, "--home", a.home, "--mode", mode)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting keyhelper: %w", err)
	}
	conn := ipc.NewConn(stdout, stdin)
	callErr := func() error {
		if err := conn.ReadHello(ipc.RoleKey); err != nil {
			return fmt.Errorf("keyhelper did not start: %w", err)
		}
		if err := conn.WriteHello(ipc.RoleKey); err != nil {
			return err
		}
		return conn.Call(req, res, a.answerInquiry)
	}()
	stdin.Close()
	waitErr := cmd.Wait()
	if callErr != nil {
		return callErr
	}
	if waitErr != nil {
		return fmt.Errorf("keyhelper: %w", waitErr)
	}
	return nil
}

// libgpg-error sources and codes used in FAILURE/ERROR status lines. gpg
// reports errors that come from gpg-agent with the agent's source; ours
// come from keyhelper, which stands where gpg-agent stood.
const (
	srcGPG   = 2
	srcAgent = 4

	errGeneral           = 1
	errNoPubkey          = 9
	errBadPassphrase     = 11
	errNoSeckey          = 17
	errUnusablePubkey    = 53
	errMissingPassphrase = 69
	errBadData           = 89
	errCanceled          = 99
	errNotSupported      = 60
)

func gpgError(source, code int) int { return source<<24 | code }

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
		}
	}
	return gpgError(srcGPG, errGeneral), e
}
