// Command nethelper fetches one URL (with a fallback list) for front: WKD
// and HKP/HKPS key retrieval and upload. front starts it per request; it
// loads what name resolution and TLS need, locks itself down (no file at
// all, TCP and UDP sockets only, TCP connect only to the request's ports
// where landlock can say so), does that one request over its stdin/stdout
// pipes and exits. It returns raw bytes: front parses, filters and imports,
// and nethelper never sees the key store.
package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/frontpgp/front/internal/helpermain"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/sandbox"
)

func main() { helpermain.Main(runSelfTest, run) }

func run() int {
	portList := flag.String("ports", "", "comma-separated TCP ports the request connects to (front passes FetchRequest.Ports)")
	roots := flag.String("roots", "system", "system: load the system's CA certificates before lockdown; request: the request brings its own; file: those of --roots-file")
	rootsFile := flag.String("roots-file", "", "with --roots file: the CA bundle trusted instead of the system's (front passes $SSL_CERT_FILE), read before lockdown")
	flag.Parse()
	ports, err := parsePorts(*portList)
	if err != nil || (*roots != "system" && *roots != "request" && *roots != "file") || (*roots == "file") != (*rootsFile != "") || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "nethelper: usage: nethelper --ports PORT[,PORT...] [--roots system|request|file --roots-file FILE]")
		return 2
	}
	if err := sandbox.Prepare(); err != nil {
		fmt.Fprintln(os.Stderr, "nethelper: lockdown:", err)
		return 2
	}
	// Everything that reads a file happens here, before lockdown.
	var systemRoots func() *x509.CertPool
	switch *roots {
	case "system":
		if systemRoots, err = loadSystemRoots(); err != nil {
			fmt.Fprintln(os.Stderr, "nethelper: loading the system's CA certificates:", err)
			return 2
		}
	case "file":
		if systemRoots, err = loadBundle(*rootsFile); err != nil {
			fmt.Fprintln(os.Stderr, "nethelper: reading SSL_CERT_FILE:", err)
			return 2
		}
	}
	warmResolver()
	if err := sandbox.Apply(sandbox.NethelperPolicy(ports)); err != nil {
		fmt.Fprintln(os.Stderr, "nethelper: refusing to run without sandbox:", err)
		return 2
	}
	conn, code := helpermain.Greet("nethelper", ipc.RoleNet)
	if conn == nil {
		return code
	}
	fail := func(err error) int {
		conn.Write(ipc.AsError(err))
		return 2
	}
	req, err := conn.ReadRequest(map[ipc.MsgType]func() ipc.Message{
		ipc.TypeFetchRequest: func() ipc.Message { return new(ipc.FetchRequest) },
	})
	if err != nil {
		return fail(err)
	}
	f, err := newFetcher(req.(*ipc.FetchRequest), systemRoots, ports)
	if err != nil {
		return fail(err)
	}
	res, err := f.fetch(context.Background())
	if err != nil {
		return fail(err)
	}
	if err := conn.Write(res); err != nil {
		return 2
	}
	return 0
}

// systemBundles are the CA bundle files Go's crypto/x509 looks for on
// Linux, in its order.
var systemBundles = []string{
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/ca-bundle.pem",
	"/etc/pki/tls/cacert.pem",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/cert.pem",
}

// maxBundle bounds the CA bundle read (Debian's is about 200 KiB).
const maxBundle = 16 << 20

// loadSystemRoots reads the system's CA bundle now, before lockdown, and
// parses it on first use: newFetcher starts that in the background when a
// URL is https (overlapping the parse with name resolution and connect),
// and a plain http request (most keyservers) never pays for parsing ~150
// certificates (2-3 ms here) unless it is redirected to https. Without a
// bundle file (a system with only a certificate directory) Go's own
// loader runs now.
func loadSystemRoots() (func() *x509.CertPool, error) {
	for _, name := range systemBundles {
		if _, err := os.Stat(name); err == nil {
			return loadBundle(name)
		}
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		return nil, err
	}
	return func() *x509.CertPool { return pool }, nil
}

// loadBundle reads the CA bundle file name now and parses it on first use
// (see loadSystemRoots).
func loadBundle(name string) (func() *x509.CertPool, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	pem, err := io.ReadAll(io.LimitReader(f, maxBundle+1))
	f.Close()
	if err != nil || len(pem) > maxBundle {
		return nil, fmt.Errorf("%s: unreadable or too large", name)
	}
	return sync.OnceValue(func() *x509.CertPool {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		return pool
	}), nil
}

// parsePorts reads "53,443": at least one port, each 1..65535.
func parsePorts(s string) ([]uint16, error) {
	var ports []uint16
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.ParseUint(f, 10, 16)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("invalid port %q", f)
		}
		ports = append(ports, uint16(n))
	}
	return ports, nil
}

var errNoDNSBeforeLockdown = errors.New("no DNS query before lockdown")

// warmResolver makes Go's resolver read /etc/nsswitch.conf,
// /etc/resolv.conf and /etc/hosts now: after lockdown it cannot open them.
// It re-reads them only when their modification time changes, which it
// learns with stat(2), which landlock does not restrict; if one changes
// during the request, the re-read fails and lookups fail cleanly. The lookup
// sends no query: if "localhost" is not in /etc/hosts, the dial refuses.
func warmResolver() {
	r := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errNoDNSBeforeLockdown
	}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	r.LookupNetIP(ctx, "ip", "localhost")
}
