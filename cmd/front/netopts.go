package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/frontpgp/front/hkp"
	"github.com/frontpgp/front/ipc"
)

// defaultKeyserver is gpg 2.2.40's (dirmngr's) default.
const defaultKeyserver = "hkps://keys.openpgp.org"

// Size caps of network answers: a key lookup (several certificates, or a
// large one; the 2019 flooded certificates were 15-30 MB and are cut here)
// and a search index.
const (
	maxKeyAnswer   = 32<<20 - 16<<10
	maxIndexAnswer = 4 << 20
)

// ksOptions are the --keyserver-options front obeys.
type ksOptions struct {
	timeout        time.Duration
	includeRevoked bool
	honorProxy     bool
	proxy          string
	// autoRetrieve: auto-key-retrieve given as a keyserver option (nil:
	// not given, --auto-key-retrieve decides).
	autoRetrieve *bool
	// importOpts are import options given as keyserver options (gpg
	// passes them to the import of fetched keys).
	importOpts []string
}

// keyserverOptions parses every --keyserver-options value as gpg does:
// comma- or space-separated, "no-" negates; import options are collected
// for the import; options gpg knows but front has no use for are ignored.
func (a *app) keyserverOptions() (ksOptions, error) {
	// gpg lists revoked keys of a search unless told otherwise
	o := ksOptions{timeout: 30 * time.Second, includeRevoked: true}
	for _, v := range a.opts.values["keyserver-options"] {
		for _, tok := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
			name, val, hasVal := strings.Cut(tok, "=")
			on := !strings.HasPrefix(name, "no-")
			name = strings.TrimPrefix(name, "no-")
			switch name {
			case "timeout":
				n, err := strconv.Atoi(val)
				if !hasVal || err != nil || n <= 0 || n > 600 {
					return o, &exitError{2, fmt.Sprintf("invalid keyserver option value '%s'", tok)}
				}
				o.timeout = time.Duration(n) * time.Second
			case "include-revoked":
				o.includeRevoked = on
			case "honor-http-proxy":
				o.honorProxy = on
			case "http-proxy":
				o.proxy = val
				o.honorProxy = on
			case "auto-key-retrieve":
				o.autoRetrieve = &on
			case "include-disabled", "include-subkeys", "honor-keyserver-url", "honor-pka-record",
				"verbose", "debug", "check-cert", "refresh-add-fake-v3-keyids":
			default:
				var bits uint32
				if applyImportOptions(tok, &bits) != "" {
					return o, &exitError{2, fmt.Sprintf("invalid keyserver option '%s'", tok)}
				}
				o.importOpts = append(o.importOpts, tok)
			}
		}
	}
	if o.honorProxy && o.proxy == "" {
		o.proxy = os.Getenv("http_proxy")
	}
	return o, nil
}

// netImportOptions are the import options of keys from the network: the
// --import-options, then gpg's keyserver defaults (self-sigs-only and
// import-clean since 2.2.17), then import options given as keyserver
// options, which may switch those off again.
func (a *app) netImportOptions(o ksOptions) uint32 {
	bits := a.importOptions() | importSelfSigsOnly | importClean
	for _, v := range o.importOpts {
		applyImportOptions(v, &bits)
	}
	return bits
}

// keyserver is the keyserver to use, parsed and as named (gpg names it in
// its messages as configured; see keyserverName).
func (a *app) keyserver() (*hkp.Server, string, error) {
	name := a.keyserverName()
	s, err := hkp.ParseKeyserver(name)
	if err != nil {
		return nil, "", &exitError{2, fmt.Sprintf("no keyserver available: %v", err)}
	}
	return s, name, nil
}

// keyserverName is the keyserver as configured (gpg's messages name it
// so): --keyserver (or gpg.conf), else dirmngr.conf's, else the default.
func (a *app) keyserverName() string {
	if name := a.opts.last("keyserver"); name != "" {
		return name
	}
	if name := a.dirmngrConf("keyserver"); name != "" {
		return name
	}
	return defaultKeyserver
}

// dirmngrConf is the last value of option name in the home's dirmngr.conf
// ("name value" lines, # comments), as dirmngr would read it.
func (a *app) dirmngrConf(name string) string {
	f, err := os.Open(filepath.Join(a.home, "dirmngr.conf"))
	if err != nil {
		return ""
	}
	defer f.Close()
	value := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, " "); ok && k == name {
			value = strings.TrimSpace(v)
		}
	}
	return value
}

// netRequest is a GET (or, with a body, POST) of urls with the options'
// deadline and proxy, --hkp-cacert (else dirmngr.conf's hkp-cacert) as the
// only trusted CAs, and the --resolve overrides.
func (a *app) netRequest(o ksOptions, urls []string, maxBytes uint64, body []byte) (*ipc.FetchRequest, error) {
	req := &ipc.FetchRequest{Method: "GET", URLs: urls, MaxRedirects: 2, MaxBytes: maxBytes,
		TimeoutMillis: uint32(o.timeout / time.Millisecond), Resolve: a.opts.values["resolve"], Proxy: o.proxy}
	if body != nil {
		req.Method, req.Body, req.ContentType = "POST", body, "application/x-www-form-urlencoded"
	}
	ca := a.opts.last("hkp-cacert")
	if ca == "" {
		ca = a.dirmngrConf("hkp-cacert")
	}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, &exitError{2, fmt.Sprintf("can't read CA file '%s': %v", ca, err)}
		}
		req.CACerts = pem
	}
	return req, nil
}
