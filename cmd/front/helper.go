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

// helperErrorCode maps a helper error to gpg's error code for FAILURE and
// ERROR status lines (libgpg-error numbers).
func helperErrorCode(err error) (code int, e *ipc.Error) {
	if errors.As(err, &e) {
		switch e.Code {
		case ipc.ErrCodeNoSecretKey:
			return 17, e
		case ipc.ErrCodeBadPassphrase:
			return 11, e
		case ipc.ErrCodeCanceled:
			return 99, e
		case ipc.ErrCodeUnsupported:
			return 69, e
		case ipc.ErrCodeBadData:
			return 89, e
		}
	}
	return 1, e
}
