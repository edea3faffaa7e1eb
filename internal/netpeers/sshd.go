package netpeers

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// SSHD is a running OpenSSH server on 127.0.0.1 that lets the current
// user in with a key of its own.
type SSHD struct {
	*daemon
	Port   int
	Config string // an ssh_config in which host "remote" reaches it
}

// StartSSHD writes a host key, a client key and the configurations of
// both sides under base (created as needed; StrictModes is off, as base
// is usually under /tmp) and starts Debian's sshd in the foreground on a
// free port; it returns once the port accepts. It needs root (sshd's
// privilege separation). Stop it with Stop.
func StartSSHD(base string) (*SSHD, error) {
	sshd := "/usr/sbin/sshd"
	if err := os.MkdirAll(base, 0o700); err != nil {
		return nil, err
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return nil, err
	}
	for _, k := range []string{"host_key", "client_key"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(base, k)).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, err := os.ReadFile(filepath.Join(base, "client_key.pub"))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(base, "authorized_keys"), pub, 0o600); err != nil {
		return nil, err
	}
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s, err := startSSHD(sshd, base, port)
		if s != nil || err != nil {
			return s, err
		}
	}
	b, _ := os.ReadFile(filepath.Join(base, "sshd.log"))
	return nil, fmt.Errorf("sshd did not start:\n%s", b)
}

func startSSHD(sshd, base string, port int) (*SSHD, error) {
	conf := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %[2]s/host_key
AuthorizedKeysFile %[2]s/authorized_keys
StrictModes no
PidFile %[2]s/sshd.pid
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
`, port, base)
	if err := os.WriteFile(filepath.Join(base, "sshd_config"), []byte(conf), 0o600); err != nil {
		return nil, err
	}
	client := fmt.Sprintf(`Host remote
  HostName 127.0.0.1
  Port %d
  IdentityFile %[2]s/client_key
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
`, port, base)
	cfg := filepath.Join(base, "ssh_config")
	if err := os.WriteFile(cfg, []byte(client), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(sshd, "-D", "-e", "-f", filepath.Join(base, "sshd_config"))
	d, err := startDaemon(cmd, filepath.Join(base, "sshd.log"), 10*time.Second, 20*time.Millisecond, func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	if d == nil {
		return nil, err
	}
	return &SSHD{daemon: d, Port: port, Config: cfg}, nil
}

// FrontSession opens `front ssh` to s's "remote" with env added
// (GNUPGHOME of the local side, say); ours is front under any name (front
// ssh is front's own command: it runs the binary under its own name). The
// remote command prints the forwarded socket's path and waits on its
// stdin. It returns that path and a function that ends the session.
func (s *SSHD) FrontSession(ours string, env ...string) (sock string, stop func(), err error) {
	front, err := filepath.EvalSymlinks(ours)
	if err != nil {
		return "", nil, err
	}
	session := exec.Command(front, "ssh", "-F", s.Config, "remote", `echo "$FRONT_REMOTE_SIGNER"; read x`)
	session.Env = append(os.Environ(), env...)
	session.Stderr = os.Stderr
	in, err := session.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	out, err := session.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := session.Start(); err != nil {
		return "", nil, err
	}
	stop = func() { in.Close(); session.Wait() }
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("front ssh printed no socket path: %w", err)
	}
	return strings.TrimSpace(line), stop, nil
}
