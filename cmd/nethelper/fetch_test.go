package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontpgp/front/ipc"
)

// The test servers listen on 127.0.0.1. httptest's TLS certificate is valid
// for 127.0.0.1, ::1, example.com and *.example.com, and is its own CA: it
// is what the requests pass as CACerts.

func port(t *testing.T, s *httptest.Server) uint16 {
	t.Helper()
	return uint16(s.Listener.Addr().(*net.TCPAddr).Port)
}

// caPEM is the certificate of a TLS test server, or nil for a plain one.
func caPEM(s *httptest.Server) []byte {
	if s.TLS == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
}

// hits counts the requests a handler served.
type hits struct {
	n atomic.Int32
	h http.Handler
}

func (c *hits) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.n.Add(1); c.h.ServeHTTP(w, r) }

func newTLS(t *testing.T, h http.Handler) (*httptest.Server, *hits) {
	c := &hits{h: h}
	s := httptest.NewUnstartedServer(c)
	// Handshakes the client refuses are expected here, not news.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	t.Cleanup(s.Close)
	return s, c
}

// serveMux is the test site: /key (200), /missing (404 with an HTML body),
// /auth (401), /r/N (N redirects with code ?code=, default 302, then /key),
// /to?url= (a 302 to url), /slow (blocks until the client gives up).
func serveMux() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("/key", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		io.WriteString(w, "KEYDATA")
	})
	m.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "<html>not found</html>")
	})
	m.HandleFunc("/auth", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="SECRET-REALM"`)
		w.WriteHeader(http.StatusUnauthorized)
	})
	m.HandleFunc("/r/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		code := http.StatusFound
		if c := r.URL.Query().Get("code"); c != "" {
			code, _ = strconv.Atoi(c)
		}
		next := "/key"
		if n > 1 {
			next = fmt.Sprintf("/r/%d?code=%d", n-1, code)
		}
		http.Redirect(w, r, next, code)
	})
	m.HandleFunc("/to", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("url"), http.StatusFound)
	})
	m.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	return m
}

// request is a WKD-like GET of path on s, reached as example.com.
func request(s *httptest.Server, t *testing.T, path string) *ipc.FetchRequest {
	return &ipc.FetchRequest{
		Method:        "GET",
		URLs:          []string{fmt.Sprintf("https://example.com:%d%s", port(t, s), path)},
		HTTPSOnly:     true,
		MaxRedirects:  2,
		MaxBytes:      1 << 20,
		TimeoutMillis: 5000,
		CACerts:       caPEM(s),
		Resolve:       []string{fmt.Sprintf("example.com:%d:127.0.0.1", port(t, s))},
	}
}

// do runs req as nethelper would, with the ports front would start it with.
func do(t *testing.T, req *ipc.FetchRequest, systemRoots *x509.CertPool) (*ipc.FetchResult, *ipc.Error) {
	t.Helper()
	ports, err := req.Ports()
	if err != nil {
		t.Fatal(err)
	}
	var roots func() *x509.CertPool
	if systemRoots != nil {
		roots = func() *x509.CertPool { return systemRoots }
	}
	f, err := newFetcher(req, roots, ports)
	if err != nil {
		return nil, ipc.AsError(err)
	}
	res, err := f.fetch(context.Background())
	if err != nil {
		var e *ipc.Error
		if !errors.As(err, &e) {
			t.Fatalf("fetch returned an unstructured error %T: %v", err, err)
		}
		return nil, e
	}
	return res, nil
}

func wantOK(t *testing.T, res *ipc.FetchResult, e *ipc.Error, status uint16, body string) {
	t.Helper()
	if e != nil {
		t.Fatalf("error %d: %s", e.Code, e.Message)
	}
	if res.Status != status || string(res.Body) != body {
		t.Fatalf("got %d %q, want %d %q", res.Status, res.Body, status, body)
	}
}

func wantErr(t *testing.T, res *ipc.FetchResult, e *ipc.Error, code ipc.ErrorCode) {
	t.Helper()
	if e == nil {
		t.Fatalf("got status %d, body %q; want error code %d", res.Status, res.Body, code)
	}
	if e.Code != code {
		t.Fatalf("error %d (%s), want code %d", e.Code, e.Message, code)
	}
}

func TestFetchTLSWithResolveOverride(t *testing.T) {
	s, _ := newTLS(t, serveMux())
	res, e := do(t, request(s, t, "/key"), nil)
	wantOK(t, res, e, 200, "KEYDATA")
	if res.ContentType != "application/octet-stream" || res.URL != fmt.Sprintf("https://example.com:%d/key", port(t, s)) {
		t.Errorf("content type %q, final URL %q", res.ContentType, res.URL)
	}
}

func TestFetchTLSFailures(t *testing.T) {
	s, _ := newTLS(t, serveMux())
	// No CACerts and an empty system pool: nothing is trusted.
	req := request(s, t, "/key")
	req.CACerts = nil
	res, e := do(t, req, x509.NewCertPool())
	wantErr(t, res, e, ipc.ErrCodeTLS)
	// No roots at all (started without the system's, none in the request).
	res, e = do(t, req, nil)
	wantErr(t, res, e, ipc.ErrCodeTLS)
	// A trusted certificate that does not name the host.
	req = request(s, t, "/key")
	req.URLs = []string{fmt.Sprintf("https://keys.test:%d/key", port(t, s))}
	req.Resolve = []string{fmt.Sprintf("keys.test:%d:127.0.0.1", port(t, s))}
	res, e = do(t, req, nil)
	wantErr(t, res, e, ipc.ErrCodeTLS)
	if !strings.Contains(e.Message, "keys.test") {
		t.Errorf("message %q does not name the host", e.Message)
	}
	// Plain HTTP where TLS is expected.
	plain := httptest.NewServer(serveMux())
	defer plain.Close()
	req = request(plain, t, "/key")
	req.CACerts = caPEM(s)
	res, e = do(t, req, nil)
	wantErr(t, res, e, ipc.ErrCodeTLS)
}

func TestFetchRedirects(t *testing.T) {
	s, _ := newTLS(t, serveMux())
	plain := httptest.NewServer(serveMux())
	defer plain.Close()

	res, e := do(t, request(s, t, "/r/2"), nil)
	wantOK(t, res, e, 200, "KEYDATA")
	if !strings.HasSuffix(res.URL, "/key") {
		t.Errorf("final URL %q", res.URL)
	}
	res, e = do(t, request(s, t, "/r/2?code=307"), nil)
	wantOK(t, res, e, 200, "KEYDATA")

	for path, msg := range map[string]string{"/r/3": "too many redirects", "/r/1?code=308": "status 308",
		"/r/1?code=303": "status 303", "/r/1?code=300": "status 300"} {
		res, e := do(t, request(s, t, path), nil)
		wantErr(t, res, e, ipc.ErrCodeRedirect)
		if !strings.Contains(e.Message, msg) {
			t.Errorf("%s: message %q lacks %q", path, e.Message, msg)
		}
	}

	// https -> http is refused, with HTTPSOnly and without it.
	toPlain := fmt.Sprintf("/to?url=http://127.0.0.1:%d/key", port(t, plain))
	for _, httpsOnly := range []bool{true, false} {
		req := request(s, t, toPlain)
		req.HTTPSOnly = httpsOnly
		// The plain server's port is allowed, so only the scheme refuses.
		ports, _ := req.Ports()
		f, err := newFetcher(req, nil, append(ports, port(t, plain)))
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.fetch(context.Background())
		var ie *ipc.Error
		if !errors.As(err, &ie) || ie.Code != ipc.ErrCodeRedirect || !strings.Contains(ie.Message, "non-https") {
			t.Errorf("https->http redirect (HTTPSOnly %v): %v", httpsOnly, err)
		}
	}
	// http -> http is followed when https is not required.
	req := &ipc.FetchRequest{Method: "GET", URLs: []string{fmt.Sprintf("http://127.0.0.1:%d/r/1", port(t, plain))},
		MaxRedirects: 1, MaxBytes: 100, TimeoutMillis: 5000}
	res, e = do(t, req, x509.NewCertPool())
	wantOK(t, res, e, 200, "KEYDATA")

	// A redirect to a port the request did not name is refused (the
	// sandbox would not let the connection out anyway).
	other, _ := newTLS(t, serveMux())
	res, e = do(t, request(s, t, fmt.Sprintf("/to?url=https://127.0.0.1:%d/key", port(t, other))), nil)
	wantErr(t, res, e, ipc.ErrCodeRedirect)
}

func TestFetch401IsAnError(t *testing.T) {
	s, _ := newTLS(t, serveMux())
	res, e := do(t, request(s, t, "/auth"), nil)
	wantErr(t, res, e, ipc.ErrCodeUnauthorized)
	if strings.Contains(e.Message, "SECRET-REALM") {
		t.Errorf("server text in the message: %q", e.Message)
	}
}

func TestFetch404ReturnsBody(t *testing.T) {
	s, _ := newTLS(t, serveMux())
	res, e := do(t, request(s, t, "/missing"), nil)
	wantOK(t, res, e, 404, "<html>not found</html>")
	if res.ContentType != "text/html" {
		t.Errorf("content type %q", res.ContentType)
	}
}

// Bad input 15: a body over the cap is an error, never truncated; an endless
// one ends as soon as the cap is passed, in bounded time and memory.
func TestFetchBodyCap(t *testing.T) {
	chunk := make([]byte, 32<<10)
	m := http.NewServeMux()
	m.HandleFunc("/exact", func(w http.ResponseWriter, r *http.Request) { w.Write(chunk[:1000]) })
	m.HandleFunc("/declared", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1001")
		w.Write(chunk[:1001])
	})
	m.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		w.Write(chunk[:600])
		w.(http.Flusher).Flush()
		w.Write(chunk[:600])
	})
	m.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	s, _ := newTLS(t, m)

	req := request(s, t, "/exact")
	req.MaxBytes = 1000
	res, e := do(t, req, nil)
	wantOK(t, res, e, 200, string(chunk[:1000]))
	for _, path := range []string{"/declared", "/chunked"} {
		req := request(s, t, path)
		req.MaxBytes = 1000
		res, e := do(t, req, nil)
		wantErr(t, res, e, ipc.ErrCodeTooLarge)
	}

	req = request(s, t, "/endless")
	req.MaxBytes = 1 << 20
	req.TimeoutMillis = 60000
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	res, e = do(t, req, nil)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	wantErr(t, res, e, ipc.ErrCodeTooLarge)
	if elapsed > 10*time.Second {
		t.Errorf("endless body took %v: the cap did not end it", elapsed)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("endless body with a 1 MiB cap allocated %d bytes", alloc)
	}
}

func TestFetchTimeout(t *testing.T) {
	s, _ := newTLS(t, serveMux())
	req := request(s, t, "/slow")
	req.TimeoutMillis = 300
	start := time.Now()
	res, e := do(t, req, nil)
	wantErr(t, res, e, ipc.ErrCodeTimeout)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a 300 ms deadline took %v", d)
	}
}

func TestFetchConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	req := &ipc.FetchRequest{Method: "GET", URLs: []string{fmt.Sprintf("https://127.0.0.1:%d/", closed)},
		HTTPSOnly: true, MaxBytes: 100, TimeoutMillis: 5000}
	res, e := do(t, req, x509.NewCertPool())
	wantErr(t, res, e, ipc.ErrCodeConnect)
}

// Bad input 7 and WKD's rule: the next URL is tried only when the host of
// the previous one does not resolve, never after a server error, a timeout
// or a refused connection.
func TestFetchFallbackOnlyWhenHostDoesNotResolve(t *testing.T) {
	direct, directHits := newTLS(t, serveMux())
	directURL := fmt.Sprintf("https://example.com:%d/key", port(t, direct))
	advanced := func(s *httptest.Server, path string) *ipc.FetchRequest {
		req := request(direct, t, "/key")
		req.URLs = []string{fmt.Sprintf("https://openpgpkey.example.com:%d%s", port(t, s), path), directURL}
		req.Resolve = append(req.Resolve, fmt.Sprintf("openpgpkey.example.com:%d:127.0.0.1", port(t, s)))
		return req
	}

	// openpgpkey.<domain> does not resolve: direct is used.
	req := request(direct, t, "/key")
	req.URLs = []string{fmt.Sprintf("https://openpgpkey.nx.invalid:%d/key", port(t, direct)), directURL}
	res, e := do(t, req, nil)
	wantOK(t, res, e, 200, "KEYDATA")
	if directHits.n.Load() != 1 || res.URLIndex != 1 {
		t.Fatalf("direct served %d requests, want 1; URL index %d, want 1", directHits.n.Load(), res.URLIndex)
	}
	directHits.n.Store(0)

	// It resolves and answers 500: that is the answer.
	failing, failingHits := newTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "broken", http.StatusInternalServerError)
	}))
	res, e = do(t, advanced(failing, "/x"), nil)
	wantOK(t, res, e, 500, "broken\n")
	if res.URLIndex != 0 {
		t.Errorf("URL index %d, want 0 (the advanced URL)", res.URLIndex)
	}
	// It resolves and times out.
	slow, _ := newTLS(t, serveMux())
	req = advanced(slow, "/slow")
	req.TimeoutMillis = 300
	res, e = do(t, req, nil)
	wantErr(t, res, e, ipc.ErrCodeTimeout)
	// It resolves and refuses the connection.
	gone := httptest.NewTLSServer(serveMux())
	req = advanced(gone, "/key")
	gone.Close()
	res, e = do(t, req, nil)
	wantErr(t, res, e, ipc.ErrCodeConnect)
	if n := directHits.n.Load(); n != 0 || failingHits.n.Load() != 1 {
		t.Errorf("direct served %d requests after a resolving advanced host failed, want 0", n)
	}

	// Nothing resolves: the last host's failure is reported.
	req = request(direct, t, "/key")
	req.URLs = []string{"https://openpgpkey.nx.invalid/key", "https://nx.invalid/key"}
	res, e = do(t, req, nil)
	wantErr(t, res, e, ipc.ErrCodeHostNotFound)
	if !strings.Contains(e.Message, "nx.invalid") || strings.Contains(e.Message, "openpgpkey") {
		t.Errorf("message %q should name the last host", e.Message)
	}
}

func TestFetchPost(t *testing.T) {
	var got string
	s, _ := newTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = r.Method + " " + r.Header.Get("Content-Type") + " " + string(b)
		io.WriteString(w, "ok")
	}))
	req := request(s, t, "/pks/add")
	req.Method = "POST"
	req.Body = []byte("keytext=abc")
	req.ContentType = "application/x-www-form-urlencoded"
	res, e := do(t, req, nil)
	wantOK(t, res, e, 200, "ok")
	if got != "POST application/x-www-form-urlencoded keytext=abc" {
		t.Errorf("server got %q", got)
	}
}

// With a proxy, the request goes to the proxy, which resolves the target:
// nethelper neither resolves nor connects to it.
func TestFetchProxy(t *testing.T) {
	var target string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target = r.URL.String()
		io.WriteString(w, "via proxy")
	}))
	defer proxy.Close()
	req := &ipc.FetchRequest{Method: "GET", URLs: []string{"http://keys.nx.invalid:11371/pks/lookup?op=get&search=0x1"},
		MaxBytes: 100, TimeoutMillis: 5000, Proxy: fmt.Sprintf("http://127.0.0.1:%d", port(t, proxy))}
	res, e := do(t, req, x509.NewCertPool())
	wantOK(t, res, e, 200, "via proxy")
	if target != req.URLs[0] {
		t.Errorf("proxy got %q", target)
	}
}

func TestFetchBadRequests(t *testing.T) {
	s, _ := newTLS(t, serveMux())
	for name, edit := range map[string]func(r *ipc.FetchRequest){
		"GET with a body":       func(r *ipc.FetchRequest) { r.Body = []byte("x") },
		"no URL":                func(r *ipc.FetchRequest) { r.URLs = nil },
		"no body limit":         func(r *ipc.FetchRequest) { r.MaxBytes = 0 },
		"body limit too high":   func(r *ipc.FetchRequest) { r.MaxBytes = ipc.MaxFetchBody + 1 },
		"no timeout":            func(r *ipc.FetchRequest) { r.TimeoutMillis = 0 },
		"http with HTTPSOnly":   func(r *ipc.FetchRequest) { r.URLs = []string{"http://example.com/"} },
		"user info":             func(r *ipc.FetchRequest) { r.URLs = []string{"https://u:p@example.com/"} },
		"relative URL":          func(r *ipc.FetchRequest) { r.URLs = []string{"/key"} },
		"bad resolve entry":     func(r *ipc.FetchRequest) { r.Resolve = []string{"example.com:443"} },
		"bad resolve address":   func(r *ipc.FetchRequest) { r.Resolve = []string{"example.com:443:localhost"} },
		"no CA certificate":     func(r *ipc.FetchRequest) { r.CACerts = []byte("not pem") },
		"proxy with a path":     func(r *ipc.FetchRequest) { r.Proxy = "http://p:3128/x" },
		"https proxy":           func(r *ipc.FetchRequest) { r.Proxy = "https://p:3128" },
		"curl's lazy resolve +": func(r *ipc.FetchRequest) { r.Resolve = []string{"+example.com:443:127.0.0.1"} },
		"IPv6 host in resolve":  func(r *ipc.FetchRequest) { r.Resolve = []string{"[::1]:443:127.0.0.1"} },
		"resolve port out of range": func(r *ipc.FetchRequest) {
			r.Resolve = []string{"example.com:70000:127.0.0.1"}
		},
	} {
		req := request(s, t, "/key")
		edit(req)
		ports, _ := req.Ports()
		_, err := newFetcher(req, nil, ports)
		if err == nil || ipc.AsError(err).Code != ipc.ErrCodeBadRequest {
			t.Errorf("%s: %v, want a bad request", name, err)
		}
	}
	// A port the process was not started with.
	if _, err := newFetcher(request(s, t, "/key"), nil, []uint16{53, 443}); err == nil {
		t.Error("a URL port outside the process's ports was accepted")
	}
}

func TestParseResolve(t *testing.T) {
	m, err := parseResolve([]string{"Example.TEST:443:127.0.0.1", "v6.test:8443:[::1],127.0.0.2", "mapped.test:1:::ffff:10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]netip.Addr{
		"example.test:443": {netip.MustParseAddr("127.0.0.1")},
		"v6.test:8443":     {netip.MustParseAddr("::1"), netip.MustParseAddr("127.0.0.2")},
		"mapped.test:1":    {netip.MustParseAddr("10.0.0.1")},
	}
	if fmt.Sprint(m) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", m, want)
	}
	f := &fetcher{resolve: m}
	// Case and a trailing dot do not matter; the port does.
	if a, err := f.lookup(context.Background(), "EXAMPLE.test.", 443); err != nil || len(a) != 1 {
		t.Errorf("lookup through the override: %v %v", a, err)
	}
	if _, err := f.lookup(context.Background(), "sub.nx.INVALID", 443); err == nil {
		t.Error(".invalid resolved")
	}
}

func TestSafeHost(t *testing.T) {
	if got := safeHost("ex\nample.com\x1b[31m"); got != "ex?ample.com??31m" {
		t.Errorf("got %q", got)
	}
	if got := safeHost(strings.Repeat("a", 1000)); len(got) != 255 {
		t.Errorf("length %d", len(got))
	}
}
