package netpeers

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/frontpgp/front/wkd"
)

// The files a WKD test namespace replaces by bind mounts: the host table
// and the system CA bundle (what GnuTLS and so dirmngr trust for WKD).
const (
	HostsFile = "/etc/hosts"
	CABundle  = "/etc/ssl/certs/ca-certificates.crt"
)

// CA is a test certificate authority, valid for a day.
type CA struct {
	PEM  []byte // its certificate
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// NewCA makes a CA named name.
func NewCA(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), cert, key}, nil
}

// Leaf is a server certificate for names, signed by the CA.
func (ca *CA) Leaf(names []string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
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
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// WKDListener listens on port 443 of a random 127.x.y.z as root (the port
// WKD clients use, on an address nobody else has), else on a free port of
// 127.0.0.1.
func WKDListener() (net.Listener, error) {
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

// WKDNames are the certificate names and the host table lines ("IP NAME...")
// of a WKD server at ip for domains: openpgpkey.DOMAIN and DOMAIN, or for
// "=DOMAIN" (direct method only) just DOMAIN in the host table.
func WKDNames(ip net.IP, domains []string) (certNames []string, hosts string) {
	var b strings.Builder
	for _, d := range domains {
		direct, ok := strings.CutPrefix(d, "=")
		if ok {
			certNames = append(certNames, direct, "openpgpkey."+direct)
			fmt.Fprintf(&b, "%s %s\n", ip, direct)
		} else {
			certNames = append(certNames, d, "openpgpkey."+d)
			fmt.Fprintf(&b, "%s openpgpkey.%s %s\n", ip, d, d)
		}
	}
	return certNames, b.String()
}

// WKDPut writes data as the key of addr in the advanced (or direct) layout
// under dir, with an empty policy file.
func WKDPut(dir, addr string, data []byte, direct bool) error {
	local, domain, err := wkd.Split(addr)
	if err != nil {
		return err
	}
	base := filepath.Join(dir, ".well-known", "openpgpkey")
	if !direct {
		base = filepath.Join(base, domain)
	}
	if err := os.MkdirAll(filepath.Join(base, "hu"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(base, "hu", wkd.Hash(local)), data, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(base, "policy"), nil, 0o644)
}

// Handler answers a request; done closes when the server stops, so that
// handlers that wait (slow, endless) end.
type Handler func(w http.ResponseWriter, r *http.Request, done <-chan struct{})

// Serve runs h on l (over TLS with cert unless it is nil) until stop is
// called; with a non-nil requests, every request is logged there as a
// "HOST URI" line.
func Serve(l net.Listener, cert *tls.Certificate, requests io.Writer, h Handler) (stop func()) {
	var mu sync.Mutex
	done := make(chan struct{})
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if requests != nil {
				mu.Lock()
				fmt.Fprintf(requests, "%s %s\n", r.Host, r.URL.RequestURI())
				mu.Unlock()
			}
			h(w, r, done)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		// Clients that refuse the certificate or hang up are expected.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	if cert != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
		l = tls.NewListener(l, srv.TLSConfig)
	}
	go srv.Serve(l)
	return func() {
		close(done)
		srv.Close()
	}
}

// Endless writes a body until the client disconnects or done closes.
func Endless(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
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

// WKDHandler serves dir/.well-known/openpgpkey/... by request path, so both
// the advanced and the direct layout work, in one of these modes: ok;
// redirectN (N hops of 302 within https, then the file); redirect-http (302
// to http://); 308 (a permanent redirect, which WKD clients must treat as
// failure); 401 (with WWW-Authenticate: Basic); 500; slow (never answers
// until the client gives up); endless (200 and a body that never ends).
func WKDHandler(mode, dir string) (Handler, error) {
	hops := -1
	if n, ok := strings.CutPrefix(mode, "redirect"); ok && n != "-http" {
		var err error
		if hops, err = strconv.Atoi(n); err != nil || hops < 1 {
			return nil, fmt.Errorf("bad WKD server mode %q", mode)
		}
	} else if !map[string]bool{"ok": true, "redirect-http": true, "308": true, "401": true, "500": true, "slow": true, "endless": true}[mode] {
		return nil, fmt.Errorf("unknown WKD server mode %q", mode)
	}
	files := http.FileServer(http.Dir(dir))
	return func(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
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
			Endless(w, r, done)
			return
		}
		if !strings.HasPrefix(path, "/.well-known/openpgpkey/") || strings.HasSuffix(path, "/") {
			http.NotFound(w, r)
			return
		}
		r.URL.Path = path
		w.Header().Set("Content-Type", "application/octet-stream")
		files.ServeHTTP(w, r)
	}, nil
}

// NamespaceArgv wraps argv to run in a private mount namespace (unshare -m;
// needs root) in which HostsFile is hosts and CABundle is ca.
func NamespaceArgv(hosts, ca string, argv []string) []string {
	const script = `mount --bind "$1" "$3" && mount --bind "$2" "$4" && shift 4 && exec "$@"`
	return append([]string{"unshare", "--mount", "--propagation", "private", "sh", "-c", script, "wkdns", hosts, ca, HostsFile, CABundle}, argv...)
}
