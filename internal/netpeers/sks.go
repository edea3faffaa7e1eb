// Package netpeers starts the network peers of the key retrieval tests and
// benchmarks on loopback: Debian's sks keyserver and an HTTPS WKD server
// with a test CA, and names the files a private mount namespace replaces so
// that GnuPG's dirmngr finds that WKD server (see interop/netservers_test.go
// and bench/netbench).
package netpeers

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// SKS is a running sks db on 127.0.0.1.
type SKS struct {
	*daemon
	URL  string // hkp://127.0.0.1:PORT
	Base string // its directory; db.log has its output
}

// StartSKS builds an sks database from the certificate files under base
// (created as needed) and starts sks db on a free port of 127.0.0.1 in a
// session of its own; it returns once sks answers. Stop it with Stop.
func StartSKS(base string, certs ...string) (*SKS, error) {
	sks, err := exec.LookPath("sks")
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"var/lib/sks", "var/run/sks", "var/log/sks"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
			return nil, err
		}
	}
	build := append(append([]string{"build"}, certs...), "-basedir", base, "-n", "10", "-cache", "100")
	if out, err := exec.Command(sks, build...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("sks build: %v\n%s", err, out)
	}
	// A port found free can be taken before sks binds it; try a few.
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s, err := startSKS(sks, base, port)
		if s != nil || err != nil {
			return s, err
		}
	}
	b, _ := os.ReadFile(filepath.Join(base, "db.log"))
	return nil, fmt.Errorf("sks db did not start:\n%s", b)
}

// freePort is a TCP port on 127.0.0.1 nobody listens on right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startSKS starts sks db on port and waits until it answers; nil and no
// error if it exited first (the port was taken).
func startSKS(sks, base string, port int) (*SKS, error) {
	cmd := exec.Command(sks, "db", "-basedir", base, "-hkp_address", "127.0.0.1", "-hkp_port", strconv.Itoa(port), "-stdoutlog")
	stats := fmt.Sprintf("http://127.0.0.1:%d/pks/lookup?op=stats", port)
	d, err := startDaemon(cmd, filepath.Join(base, "db.log"), 20*time.Second, 50*time.Millisecond, func() bool {
		resp, err := http.Get(stats)
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	if d == nil {
		return nil, err
	}
	return &SKS{daemon: d, URL: fmt.Sprintf("hkp://127.0.0.1:%d", port), Base: base}, nil
}
