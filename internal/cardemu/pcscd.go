package cardemu

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// PCSCDSocket is where pcscd (Debian's build) listens for clients.
const PCSCDSocket = "/run/pcscd/pcscd.comm"

// PCSCD is a pcscd started for a test.
type PCSCD struct {
	path    string
	cmd     *exec.Cmd
	done    chan error
	lock    *os.File
	stopped *sync.Once
}

// lockPath serialises the pcscd of concurrent test processes (go test runs
// packages in parallel; there is one pcscd socket per machine).
const lockPath = "/tmp/frontpgp-cardemu-pcscd.lock"

// ErrMissing wraps an error that says a tool is not installed; tests skip
// on it outside CI.
var ErrMissing = errors.New("not installed")

// StartPCSCD runs `pcscd --foreground` (it must run as root: it creates
// /run/pcscd) and waits until its socket accepts connections. It refuses to
// start a second pcscd next to one already serving that socket: the tests
// would talk to a daemon they do not control. Test processes using this
// package take turns: StartPCSCD waits for the one before to Stop.
func StartPCSCD() (p *PCSCD, err error) {
	path, err := exec.LookPath("pcscd")
	if err != nil {
		if path, err = exec.LookPath("/usr/sbin/pcscd"); err != nil {
			return nil, fmt.Errorf("pcscd: %w", ErrMissing)
		}
	}
	if _, err := os.Stat("/usr/lib/pcsc/drivers/serial/libifdvpcd.so"); err != nil {
		return nil, fmt.Errorf("vsmartcard-vpcd: %w", ErrMissing)
	}
	lock, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		lock.Close()
		return nil, err
	}
	defer func() {
		if err != nil {
			lock.Close() // releases the flock
		}
	}()
	if c, err := net.Dial("unix", PCSCDSocket); err == nil {
		c.Close()
		return nil, fmt.Errorf("cardemu: a pcscd is already serving %s", PCSCDSocket)
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("cardemu: pcscd must be started as root")
	}
	p = &PCSCD{path: path, lock: lock}
	if err := p.launch(); err != nil {
		return nil, err
	}
	return p, nil
}

// launch starts pcscd in the foreground with args and waits for its socket.
func (p *PCSCD) launch(args ...string) error {
	cmd := exec.Command(p.path, append([]string{"--foreground"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return err
	}
	p.cmd, p.done, p.stopped = cmd, make(chan error, 1), new(sync.Once)
	go func() { p.done <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("unix", PCSCDSocket); err == nil {
			c.Close()
			return nil
		}
		select {
		case err := <-p.done:
			return fmt.Errorf("cardemu: pcscd exited at start: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Halt()
			return errors.New("cardemu: pcscd did not create its socket within 10s")
		}
	}
}

// RestartWithoutReaders replaces this pcscd by one that reads its reader
// configuration from the empty directory dir: a machine with pcscd and no
// reader at all (the test machine has no USB reader). The machine's
// pcscd turn is kept.
func (p *PCSCD) RestartWithoutReaders(dir string) error {
	p.Halt()
	return p.launch("--config", dir)
}

// Stop terminates this pcscd (by PID), waits for it and lets the next
// test process start its own.
func (p *PCSCD) Stop() {
	p.Halt()
	p.lock.Close()
}

// Halt terminates this pcscd but keeps the machine's pcscd turn until
// Stop: PC/SC clients find no pcscd at all, and no other test process
// starts one meanwhile.
func (p *PCSCD) Halt() { p.stopped.Do(p.stop) }

func (p *PCSCD) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}
