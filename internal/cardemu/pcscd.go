package cardemu

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// PCSCDSocket is where pcscd (Debian's build) listens for clients.
const PCSCDSocket = "/run/pcscd/pcscd.comm"

// PCSCD is a pcscd started for a test.
type PCSCD struct {
	cmd  *exec.Cmd
	done chan error
}

// ErrMissing wraps an error that says a tool is not installed; tests skip
// on it outside CI.
var ErrMissing = errors.New("not installed")

// StartPCSCD runs `pcscd --foreground` (it must run as root: it creates
// /run/pcscd) and waits until its socket accepts connections. It refuses to
// start a second pcscd next to one already serving that socket: the tests
// would talk to a daemon they do not control.
func StartPCSCD() (*PCSCD, error) {
	path, err := exec.LookPath("pcscd")
	if err != nil {
		if path, err = exec.LookPath("/usr/sbin/pcscd"); err != nil {
			return nil, fmt.Errorf("pcscd: %w", ErrMissing)
		}
	}
	if _, err := os.Stat("/usr/lib/pcsc/drivers/serial/libifdvpcd.so"); err != nil {
		return nil, fmt.Errorf("vsmartcard-vpcd: %w", ErrMissing)
	}
	if c, err := net.Dial("unix", PCSCDSocket); err == nil {
		c.Close()
		return nil, fmt.Errorf("cardemu: a pcscd is already serving %s", PCSCDSocket)
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("cardemu: pcscd must be started as root")
	}
	cmd := exec.Command(path, "--foreground")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &PCSCD{cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("unix", PCSCDSocket); err == nil {
			c.Close()
			return p, nil
		}
		select {
		case err := <-p.done:
			return nil, fmt.Errorf("cardemu: pcscd exited at start: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, errors.New("cardemu: pcscd did not create its socket within 10s")
		}
	}
}

// Stop terminates this pcscd (by PID) and waits for it.
func (p *PCSCD) Stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}
