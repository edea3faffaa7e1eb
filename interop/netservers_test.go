package interop

// Network peers for the key retrieval transcripts, started by the script
// and stopped when it ends (ts.Defer, by PID for a child process):
//
//	sks VAR CERT...          Debian's sks keyserver (1.1.6) on 127.0.0.1 at
//	                         a free port, its database built from the CERT
//	                         files under $WORK/sks-VAR; $VAR := hkp://127.0.0.1:PORT
//	                         once it answers. Use [have:sks].
//	wkdserver VAR MODE DIR DOMAIN...
//	                         an HTTPS server (in the test process) serving
//	                         DIR/.well-known/openpgpkey/... by request path,
//	                         so both the advanced layout (DIR/.well-known/
//	                         openpgpkey/DOMAIN/hu/HASH) and the direct one
//	                         (DIR/.well-known/openpgpkey/hu/HASH) work; its
//	                         certificate, for every DOMAIN and
//	                         openpgpkey.DOMAIN, comes from a test CA made
//	                         once per script: $WORK/wkd-ca.pem ($WKD_CA).
//	                         As root it listens on port 443 of a loopback
//	                         address of its own (127.x.y.z), else on a free
//	                         port of 127.0.0.1: $VAR_ADDR, $VAR_PORT. Each
//	                         DOMAIN adds "ADDR openpgpkey.DOMAIN DOMAIN" to
//	                         $WORK/wkd-hosts ($WKD_HOSTS); =DOMAIN adds only
//	                         "ADDR DOMAIN" (direct method only). Requests are
//	                         logged to $WORK/VAR.log as "HOST URI" lines.
//	                         MODE: ok; redirectN (N hops of 302 within https,
//	                         then the file); redirect-http (302 to http://);
//	                         308 (a permanent redirect, which WKD clients
//	                         must treat as failure); 401 (with
//	                         WWW-Authenticate: Basic); 500; slow (never
//	                         answers until the client gives up); endless (200
//	                         and a body that never ends).
//	wkdput DIR ADDR FILE [direct]
//	                         copy FILE to ADDR's place in the advanced (or
//	                         direct) layout under DIR, with an empty policy
//	                         file
//	hostilehkp VAR MODE      an HKP server (in the test process) on a free
//	                         port of 127.0.0.1 that answers every lookup in
//	                         one hostile way (bad inputs 11-16); $VAR :=
//	                         hkp://127.0.0.1:PORT, $VAR_FPR and $VAR_KEYID
//	                         the v4 fingerprint and key ID of the
//	                         certificate it serves. MODE: mismatch (a
//	                         certificate other than any asked for: ask for
//	                         another fingerprint); secret (a secret key
//	                         block, for $VAR_FPR); html404 (404 with an HTML
//	                         page); badindex (an index with a huge count,
//	                         non-hex key IDs, %ZZ, escaped CR/LF and a forged
//	                         status line, no info line first); endless (200
//	                         and a body that never ends); flood (a
//	                         certificate with 150,000 third-party
//	                         certifications on its user ID, also written to
//	                         $WORK/VAR-flood.gpg). Requests are logged to
//	                         $WORK/VAR.log.
//
// A run prefix (cmds_test.go) puts a program into the WKD test network:
//
//	wkdns      run in a private mount namespace (unshare -m) in which
//	           /etc/hosts is $WORK/wkd-hosts and the system CA bundle
//	           (/etc/ssl/certs/ca-certificates.crt, what GnuTLS and so
//	           dirmngr trust for WKD) is $WORK/wkd-ca.pem. Needs root: use
//	           [!root] skip. dirmngr started by gpg stays in the namespace.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgppacket "github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/wkd"
	"github.com/rogpeppe/go-internal/testscript"
)

func netCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"sks":        cmdSKS,
		"wkdserver":  cmdWKDServer,
		"wkdput":     cmdWKDPut,
		"hostilehkp": cmdHostileHKP,
	}
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

func cmdSKS(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || neg {
		ts.Fatalf("usage: sks VAR CERT...")
	}
	sks, err := exec.LookPath("sks")
	ts.Check(err)
	base := filepath.Join(ts.Getenv("WORK"), "sks-"+args[0])
	for _, d := range []string{"var/lib/sks", "var/run/sks", "var/log/sks"} {
		ts.Check(os.MkdirAll(filepath.Join(base, d), 0o755))
	}
	build := []string{"build"}
	for _, c := range args[1:] {
		build = append(build, ts.MkAbs(c))
	}
	build = append(build, "-basedir", base, "-n", "10", "-cache", "100")
	if out, err := exec.Command(sks, build...).CombinedOutput(); err != nil {
		ts.Fatalf("sks build: %v\n%s", err, out)
	}
	// A port found free can be taken before sks binds it; try a few.
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		ts.Check(err)
		if startSKS(ts, sks, base, port) {
			ts.Setenv(args[0], fmt.Sprintf("hkp://127.0.0.1:%d", port))
			return
		}
	}
	b, _ := os.ReadFile(filepath.Join(base, "db.log"))
	ts.Fatalf("sks db did not start:\n%s", b)
}

// startSKS starts sks db on port and waits until it answers; false if it
// exited first (the port was taken). It is stopped, by PID, when the
// script ends.
func startSKS(ts *testscript.TestScript, sks, base string, port int) bool {
	log, err := os.Create(filepath.Join(base, "db.log"))
	ts.Check(err)
	cmd := exec.Command(sks, "db", "-basedir", base, "-hkp_address", "127.0.0.1", "-hkp_port", strconv.Itoa(port), "-stdoutlog")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	log.Close()
	ts.Check(err)
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	ts.Defer(func() {
		_ = syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d/pks/lookup?op=stats", port)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-exited:
			return false
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			ts.Logf("sks db (pid %d) on port %d", cmd.Process.Pid, port)
			return true
		}
	}
	ts.Fatalf("sks db did not answer on port %d within 20s", port)
	return false
}

// testCA is the per-script CA of the WKD servers.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

var testCAs sync.Map // *testscript.TestScript -> *testCA

func scriptCA(ts *testscript.TestScript) *testCA {
	if v, ok := testCAs.Load(ts); ok {
		return v.(*testCA)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts.Check(err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "front interop test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	ts.Check(err)
	cert, err := x509.ParseCertificate(der)
	ts.Check(err)
	path := filepath.Join(ts.Getenv("WORK"), "wkd-ca.pem")
	ts.Check(os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	ts.Setenv("WKD_CA", path)
	ca := &testCA{cert, key}
	testCAs.Store(ts, ca)
	ts.Defer(func() { testCAs.Delete(ts) })
	return ca
}

// leaf is a server certificate for names, signed by the CA.
func (ca *testCA) leaf(ts *testscript.TestScript, names []string) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts.Check(err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	ts.Check(err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// wkdListener listens on port 443 of a random 127.x.y.z as root (the port
// WKD clients use, on an address no other script has), else on a free port
// of 127.0.0.1.
func wkdListener() (net.Listener, error) {
	if os.Geteuid() == 0 {
		for i := 0; i < 20; i++ {
			addr := fmt.Sprintf("127.%d.%d.%d:443", 1+mrand.IntN(250), mrand.IntN(256), 1+mrand.IntN(250))
			if l, err := net.Listen("tcp", addr); err == nil {
				return l, nil
			}
		}
	}
	return net.Listen("tcp", "127.0.0.1:0")
}

// requestLog appends "HOST URI" lines to a file.
type requestLog struct {
	mu sync.Mutex
	f  *os.File
}

func (l *requestLog) add(r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.f, "%s %s\n", r.Host, r.URL.RequestURI())
}

// serve runs h on l until the script ends; handlers that wait (slow,
// endless) end when the client goes away or the server closes.
func serve(ts *testscript.TestScript, l net.Listener, logName string, tlsCert *tls.Certificate, h func(w http.ResponseWriter, r *http.Request, done <-chan struct{})) {
	f, err := os.Create(filepath.Join(ts.Getenv("WORK"), logName))
	ts.Check(err)
	rl := &requestLog{f: f}
	done := make(chan struct{})
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rl.add(r)
			h(w, r, done)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		// Clients that refuse the certificate or hang up are expected.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	if tlsCert != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*tlsCert}}
		l = tls.NewListener(l, srv.TLSConfig)
	}
	go srv.Serve(l)
	ts.Defer(func() {
		close(done)
		srv.Close()
		f.Close()
	})
}

// endless writes a body until the client disconnects or done closes.
func endless(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	chunk := bytes.Repeat([]byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n"), 1024)
	for {
		select {
		case <-done:
			return
		case <-r.Context().Done():
			return
		default:
		}
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

func cmdWKDServer(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 4 || neg {
		ts.Fatalf("usage: wkdserver VAR MODE DIR DOMAIN...")
	}
	name, mode, dir := args[0], args[1], ts.MkAbs(args[2])
	hops := -1
	if n, ok := strings.CutPrefix(mode, "redirect"); ok && n != "-http" {
		var err error
		if hops, err = strconv.Atoi(n); err != nil || hops < 1 {
			ts.Fatalf("wkdserver: bad mode %q", mode)
		}
	} else if !map[string]bool{"ok": true, "redirect-http": true, "308": true, "401": true, "500": true, "slow": true, "endless": true}[mode] {
		ts.Fatalf("wkdserver: unknown mode %q", mode)
	}
	var names, hostsLines []string
	l, err := wkdListener()
	ts.Check(err)
	addr := l.Addr().(*net.TCPAddr)
	for _, d := range args[3:] {
		direct, ok := strings.CutPrefix(d, "=")
		if ok {
			names = append(names, direct, "openpgpkey."+direct)
			hostsLines = append(hostsLines, fmt.Sprintf("%s %s\n", addr.IP, direct))
		} else {
			names = append(names, d, "openpgpkey."+d)
			hostsLines = append(hostsLines, fmt.Sprintf("%s openpgpkey.%s %s\n", addr.IP, d, d))
		}
	}
	cert := scriptCA(ts).leaf(ts, names)
	hosts := filepath.Join(ts.Getenv("WORK"), "wkd-hosts")
	if _, err := os.Stat(hosts); os.IsNotExist(err) {
		ts.Check(os.WriteFile(hosts, []byte("127.0.0.1 localhost\n::1 localhost\n"), 0o644))
	}
	hf, err := os.OpenFile(hosts, os.O_APPEND|os.O_WRONLY, 0o644)
	ts.Check(err)
	_, err = hf.WriteString(strings.Join(hostsLines, ""))
	ts.Check(err)
	ts.Check(hf.Close())
	ts.Setenv("WKD_HOSTS", hosts)
	ts.Setenv(name+"_ADDR", addr.IP.String())
	ts.Setenv(name+"_PORT", strconv.Itoa(addr.Port))

	files := http.FileServer(http.Dir(dir))
	serve(ts, l, name+".log", &cert, func(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
		// The path with the redirect hops taken so far ("/rN/...") removed.
		path, taken := r.URL.Path, 0
		if rest, ok := strings.CutPrefix(path, "/r"); ok {
			if i := strings.IndexByte(rest, '/'); i > 0 {
				if n, err := strconv.Atoi(rest[:i]); err == nil {
					path, taken = rest[i:], n
				}
			}
		}
		redirect := func(scheme string, n, code int) {
			u := fmt.Sprintf("%s://%s/r%d%s", scheme, r.Host, n, path)
			if r.URL.RawQuery != "" {
				u += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, u, code)
		}
		switch {
		case hops > taken:
			redirect("https", taken+1, http.StatusFound)
			return
		case mode == "redirect-http" && taken == 0:
			redirect("http", 1, http.StatusFound)
			return
		case mode == "308" && taken == 0:
			redirect("https", 1, http.StatusPermanentRedirect)
			return
		case mode == "401":
			w.Header().Set("WWW-Authenticate", `Basic realm="wkd test"`)
			http.Error(w, "authorization required", http.StatusUnauthorized)
			return
		case mode == "500":
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		case mode == "slow":
			select {
			case <-done:
			case <-r.Context().Done():
			}
			return
		case mode == "endless":
			endless(w, r, done)
			return
		}
		if !strings.HasPrefix(path, "/.well-known/openpgpkey/") || strings.HasSuffix(path, "/") {
			http.NotFound(w, r)
			return
		}
		r.URL.Path = path
		w.Header().Set("Content-Type", "application/octet-stream")
		files.ServeHTTP(w, r)
	})
}

func cmdWKDPut(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 || len(args) > 4 || neg || len(args) == 4 && args[3] != "direct" {
		ts.Fatalf("usage: wkdput DIR ADDR FILE [direct]")
	}
	local, domain, err := wkd.Split(args[1])
	ts.Check(err)
	base := filepath.Join(ts.MkAbs(args[0]), ".well-known", "openpgpkey")
	if len(args) == 3 {
		base = filepath.Join(base, domain)
	}
	ts.Check(os.MkdirAll(filepath.Join(base, "hu"), 0o755))
	data, err := os.ReadFile(ts.MkAbs(args[2]))
	ts.Check(err)
	ts.Check(os.WriteFile(filepath.Join(base, "hu", wkd.Hash(local)), data, 0o644))
	ts.Check(os.WriteFile(filepath.Join(base, "policy"), nil, 0o644))
}

// floodCerts is the number of third-party certifications of the flood mode,
// as many as the largest certificates flooded in 2019 carried and more.
const floodCerts = 150000

// floodedCert is a certificate (crafted, its self-signatures valid) with
// floodCerts certifications on its user ID by made-up issuers: well-formed
// signature packets whose values are junk, as cheap to make as to send.
func floodedCert() []byte {
	k := newEdKey(0x66)
	out := k.cert("Flooded <flooded@example.org>")
	var body []byte
	for i := 0; i < floodCerts; i++ {
		body = append(body[:0], 4, 0x10, 22, hashSHA256)
		hashed := creationSub()
		body = append(body, 0, byte(len(hashed)))
		body = append(body, hashed...)
		unhashed := subpacket(16, binary.BigEndian.AppendUint64(nil, uint64(i)*0x9E3779B97F4A7C15|1))
		body = append(body, 0, byte(len(unhashed)))
		body = append(body, unhashed...)
		body = append(body, byte(i), byte(i>>8))
		junk := bytes.Repeat([]byte{byte(i) | 0x80}, 32)
		body = append(append(body, mpi(junk)...), mpi(junk)...)
		out = append(out, packet(2, body)...)
	}
	return out
}

// badIndex is a machine-readable index with everything bad input 14 lists.
const badIndex = "pub:NOTHEX0123456789:1:2048:1600000000::\r\n" +
	"uid:Skipped <skipped@example.org>:1600000000::\r\n" +
	"info:1:99999999999999999999\r\n" +
	"pub:0123456789ABCDEF0123456789ABCDEF01234567:22:256:1700000000::\r\n" +
	"uid:Mallory%20%3Cmallory%40example.org%3E%0A%5BGNUPG%3A%5D%20GOODSIG%20%ZZ%0D:1700000000::\r\n" +
	"weird:record\r\n" +
	"pub:89ABCDEF01234567\r\n"

func cmdHostileHKP(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: hostilehkp VAR MODE")
	}
	name, mode := args[0], args[1]
	var body []byte
	var fpr []byte
	switch mode {
	case "mismatch":
		k := newEdKey(0x4d)
		body, fpr = k.cert("Mallory <mallory@example.org>"), k.fpr
	case "secret":
		e, err := openpgp.NewEntity("Secret", "", "secret@example.org", &pgppacket.Config{Algorithm: pgppacket.PubKeyAlgoEdDSA})
		ts.Check(err)
		var b bytes.Buffer
		ts.Check(e.SerializePrivate(&b, nil))
		body, fpr = b.Bytes(), e.PrimaryKey.Fingerprint
	case "flood":
		body, fpr = floodedCert(), newEdKey(0x66).fpr
		ts.Check(os.WriteFile(filepath.Join(ts.Getenv("WORK"), name+"-flood.gpg"), body, 0o644))
	case "html404", "badindex", "endless":
	default:
		ts.Fatalf("hostilehkp: unknown mode %q", mode)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	serve(ts, l, name+".log", nil, func(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
		op := r.URL.Query().Get("op")
		switch {
		case mode == "endless":
			endless(w, r, done)
		case mode == "html404" || r.URL.Path != "/pks/lookup" || mode == "badindex" && op != "index":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, "<html><head><title>Error handling request</title></head><body><h1>Error handling request</h1>No results found</body></html>\n")
		case mode == "badindex":
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, badIndex)
		default:
			w.Header().Set("Content-Type", "application/pgp-keys")
			aw, err := armor.Encode(w, "PGP PUBLIC KEY BLOCK", nil)
			if err == nil {
				aw.Write(body)
				aw.Close()
			}
		}
	})
	ts.Setenv(name, fmt.Sprintf("hkp://127.0.0.1:%d", l.Addr().(*net.TCPAddr).Port))
	if fpr != nil {
		hexFpr := strings.ToUpper(hex.EncodeToString(fpr))
		ts.Setenv(name+"_FPR", hexFpr)
		ts.Setenv(name+"_KEYID", hexFpr[len(hexFpr)-16:])
	}
}

// wkdNamespace wraps argv to run in a private mount namespace where
// /etc/hosts and the system CA bundle are the script's WKD test files.
func wkdNamespace(ts *testscript.TestScript, argv []string) []string {
	hosts, ca := ts.Getenv("WKD_HOSTS"), ts.Getenv("WKD_CA")
	if hosts == "" || ca == "" {
		ts.Fatalf("wkdns: start a wkdserver first")
	}
	const script = `mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/ssl/certs/ca-certificates.crt && shift 2 && exec "$@"`
	return append([]string{"unshare", "--mount", "--propagation", "private", "sh", "-c", script, "wkdns", hosts, ca}, argv...)
}
