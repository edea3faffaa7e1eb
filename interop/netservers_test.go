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
//	sshd                     Debian's sshd on a free port of 127.0.0.1 that
//	                         lets root in with a key of its own (files under
//	                         $WORK/sshd); $SSH_CONFIG is an ssh_config in
//	                         which host "remote" reaches it. Use [root].
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
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgppacket "github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/internal/netpeers"
	"github.com/rogpeppe/go-internal/testscript"
)

func netCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"sks":           cmdSKS,
		"wkdserver":     cmdWKDServer,
		"wkdput":        cmdWKDPut,
		"hostilehkp":    cmdHostileHKP,
		"cardrig":       cmdCardRig,
		"cardlog":       cmdCardLog,
		"cardswap":      cmdCardSwap,
		"cardpcscd":     cmdCardPCSCD,
		"cardhold":      cmdCardHold,
		"cardinterfere": cmdCardInterfere,
		"sshd":          cmdSSHD,
	}
}

// cmdSSHD is `sshd`: Debian's sshd on a free port of 127.0.0.1 for the
// current user (root), its files under $WORK/sshd; $SSH_CONFIG is an
// ssh_config in which host "remote" reaches it.
func cmdSSHD(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 0 || neg {
		ts.Fatalf("usage: sshd")
	}
	s, err := netpeers.StartSSHD(filepath.Join(ts.Getenv("WORK"), "sshd"))
	ts.Check(err)
	ts.Defer(s.Stop)
	ts.Logf("sshd (pid %d) on port %d", s.Pid, s.Port)
	ts.Setenv("SSH_CONFIG", s.Config)
}

func cmdSKS(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || neg {
		ts.Fatalf("usage: sks VAR CERT...")
	}
	var certs []string
	for _, c := range args[1:] {
		certs = append(certs, ts.MkAbs(c))
	}
	s, err := netpeers.StartSKS(filepath.Join(ts.Getenv("WORK"), "sks-"+args[0]), certs...)
	ts.Check(err)
	ts.Defer(s.Stop)
	ts.Logf("sks db (pid %d) at %s", s.Pid, s.URL)
	ts.Setenv(args[0], s.URL)
}

var testCAs sync.Map // *testscript.TestScript -> *netpeers.CA

// scriptCA is the per-script CA of the WKD servers, written to
// $WORK/wkd-ca.pem ($WKD_CA).
func scriptCA(ts *testscript.TestScript) *netpeers.CA {
	if v, ok := testCAs.Load(ts); ok {
		return v.(*netpeers.CA)
	}
	ca, err := netpeers.NewCA("front interop test CA")
	ts.Check(err)
	path := filepath.Join(ts.Getenv("WORK"), "wkd-ca.pem")
	ts.Check(os.WriteFile(path, ca.PEM, 0o644))
	ts.Setenv("WKD_CA", path)
	testCAs.Store(ts, ca)
	ts.Defer(func() { testCAs.Delete(ts) })
	return ca
}

// serve runs h on l until the script ends, logging requests to
// $WORK/logName.
func serve(ts *testscript.TestScript, l net.Listener, logName string, cert *tls.Certificate, h netpeers.Handler) {
	f, err := os.Create(filepath.Join(ts.Getenv("WORK"), logName))
	ts.Check(err)
	stop := netpeers.Serve(l, cert, f, h)
	ts.Defer(func() {
		stop()
		f.Close()
	})
}

func cmdWKDServer(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 4 || neg {
		ts.Fatalf("usage: wkdserver VAR MODE DIR DOMAIN...")
	}
	name, mode, dir := args[0], args[1], ts.MkAbs(args[2])
	h, err := netpeers.WKDHandler(mode, dir)
	ts.Check(err)
	l, err := netpeers.WKDListener()
	ts.Check(err)
	addr := l.Addr().(*net.TCPAddr)
	names, hostsLines := netpeers.WKDNames(addr.IP, args[3:])
	cert, err := scriptCA(ts).Leaf(names)
	ts.Check(err)
	hosts := filepath.Join(ts.Getenv("WORK"), "wkd-hosts")
	if _, err := os.Stat(hosts); os.IsNotExist(err) {
		ts.Check(os.WriteFile(hosts, []byte("127.0.0.1 localhost\n::1 localhost\n"), 0o644))
	}
	hf, err := os.OpenFile(hosts, os.O_APPEND|os.O_WRONLY, 0o644)
	ts.Check(err)
	_, err = hf.WriteString(hostsLines)
	ts.Check(err)
	ts.Check(hf.Close())
	ts.Setenv("WKD_HOSTS", hosts)
	ts.Setenv(name+"_ADDR", addr.IP.String())
	ts.Setenv(name+"_PORT", strconv.Itoa(addr.Port))
	serve(ts, l, name+".log", &cert, h)
}

func cmdWKDPut(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 || len(args) > 4 || neg || len(args) == 4 && args[3] != "direct" {
		ts.Fatalf("usage: wkdput DIR ADDR FILE [direct]")
	}
	data, err := os.ReadFile(ts.MkAbs(args[2]))
	ts.Check(err)
	ts.Check(netpeers.WKDPut(ts.MkAbs(args[0]), args[1], data, len(args) == 4))
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
			netpeers.Endless(w, r, done)
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
	return netpeers.NamespaceArgv(hosts, ca, argv)
}
