package netpeers

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// daemon is a server process a peer started in a session of its own; it
// is stopped by its PID.
type daemon struct {
	Pid    int
	exited chan struct{}
}

// startDaemon starts cmd in a session of its own with its output in
// logPath and polls ready every interval until it reports true. It
// returns nil and no error when the process exits first (for the servers
// here: the port found free was taken meanwhile), and an error when it is
// not ready within timeout (then it has been stopped).
func startDaemon(cmd *exec.Cmd, logPath string, timeout, interval time.Duration, ready func() bool) (*daemon, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	log.Close()
	if err != nil {
		return nil, err
	}
	d := &daemon{Pid: cmd.Process.Pid, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(d.exited) }()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(interval) {
		select {
		case <-d.exited:
			return nil, nil
		default:
		}
		if ready() {
			return d, nil
		}
	}
	d.Stop()
	return nil, fmt.Errorf("%s did not answer within %v", cmd.Path, timeout)
}

// Stop ends the process by its PID: SIGTERM, SIGKILL after 5 seconds.
func (d *daemon) Stop() {
	_ = syscall.Kill(d.Pid, syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(d.Pid, syscall.SIGKILL)
		<-d.exited
	}
}
