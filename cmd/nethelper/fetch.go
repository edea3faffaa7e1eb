package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/frontpgp/front/ipc"
)

// fetcher performs one FetchRequest. Every network step, name resolution
// included, runs under the request's deadline; it connects only to the
// ports it was started with (the sandbox's), follows only the redirects the
// request allows, and never holds more than MaxBytes of body.
type fetcher struct {
	req      *ipc.FetchRequest
	urls     []*url.URL
	proxy    *url.URL
	roots    func() *x509.CertPool // waited for by a TLS handshake only
	ports    map[uint16]bool
	resolve  map[string][]netip.Addr // "host:port", host lower case, from req.Resolve
	resolver *net.Resolver

	mu    sync.Mutex
	cache map[string][]netip.Addr // DNS answers of this request, so a name is looked up once
}

func badRequest(format string, args ...any) *ipc.Error {
	return &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: fmt.Sprintf(format, args...)}
}

// newFetcher checks req against what this process may do. systemRoots is
// nil when the system's CA certificates were not loaded before lockdown
// (front passes them with the request, or the request is plain http).
// ports are the TCP ports the sandbox allows.
func newFetcher(req *ipc.FetchRequest, systemRoots func() *x509.CertPool, ports []uint16) (*fetcher, error) {
	f := &fetcher{
		req:      req,
		roots:    systemRoots,
		ports:    map[uint16]bool{},
		resolver: &net.Resolver{PreferGo: true},
		cache:    map[string][]netip.Addr{},
	}
	for _, p := range ports {
		f.ports[p] = true
	}
	if req.Method == "GET" && len(req.Body) > 0 {
		return nil, badRequest("a GET request has no body")
	}
	if len(req.URLs) == 0 {
		return nil, badRequest("no URL")
	}
	if req.MaxBytes == 0 || req.MaxBytes > ipc.MaxFetchBody {
		return nil, badRequest("body limit %d outside 1..%d", req.MaxBytes, ipc.MaxFetchBody)
	}
	if req.TimeoutMillis == 0 || req.TimeoutMillis > ipc.MaxFetchTimeoutMillis {
		return nil, badRequest("timeout %d ms outside 1..%d", req.TimeoutMillis, ipc.MaxFetchTimeoutMillis)
	}
	want, err := req.Ports()
	if err != nil {
		return nil, badRequest("%v", err)
	}
	for _, p := range want {
		if !f.ports[p] {
			return nil, badRequest("port %d is not among the ports nethelper was started with", p)
		}
	}
	for _, s := range req.URLs {
		u, err := parseHTTPURL(s)
		if err != nil {
			return nil, badRequest("%v", err)
		}
		if req.HTTPSOnly && u.Scheme != "https" {
			return nil, badRequest("https only, but a URL is %s", u.Scheme)
		}
		f.urls = append(f.urls, u)
	}
	if req.Proxy != "" {
		if f.proxy, err = parseHTTPURL(req.Proxy); err != nil || f.proxy.Scheme != "http" || strings.Trim(f.proxy.Path, "/") != "" {
			return nil, badRequest("the proxy must be http://host[:port]")
		}
	}
	if len(req.CACerts) > 0 {
		// parsed on the first TLS handshake, as the system's are
		if !bytes.Contains(req.CACerts, []byte("-----BEGIN CERTIFICATE-----")) {
			return nil, badRequest("no certificate in the CA bundle")
		}
		pem := req.CACerts
		f.roots = sync.OnceValue(func() *x509.CertPool {
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(pem)
			return pool
		})
	}
	if f.roots == nil {
		// Neither the system's roots nor the request's: https fails
		// verification (a plain http request may still redirect to one).
		f.roots = x509.NewCertPool
	}
	if f.resolve, err = parseResolve(req.Resolve); err != nil {
		return nil, badRequest("%v", err)
	}
	// Both kinds of roots are parsed on first use; when TLS is certain,
	// start now so the parse overlaps resolution and connect.
	for _, u := range f.urls {
		if u.Scheme == "https" {
			go f.roots()
			break
		}
	}
	return f, nil
}

// parseHTTPURL accepts absolute http and https URLs with a host and
// without user info (nethelper never sends credentials).
func parseHTTPURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, errors.New("invalid URL")
	}
	if _, err := ipc.URLPort(u); err != nil {
		return nil, err
	}
	if u.Hostname() == "" || u.User != nil {
		return nil, errors.New("a URL needs a host and no user info")
	}
	return u, nil
}

// parseResolve reads curl-style "HOST:PORT:ADDR[,ADDR...]" entries (IPv6
// addresses may be bracketed) into a map keyed by "host:port".
func parseResolve(entries []string) (map[string][]netip.Addr, error) {
	m := map[string][]netip.Addr{}
	for _, e := range entries {
		host, rest, ok1 := strings.Cut(e, ":")
		port, list, ok2 := strings.Cut(rest, ":")
		n, err := strconv.ParseUint(port, 10, 16)
		if !ok1 || !ok2 || !isHostName(host) || err != nil || n == 0 {
			return nil, fmt.Errorf("resolve entry %q is not HOST:PORT:ADDR", e)
		}
		var addrs []netip.Addr
		for _, a := range strings.Split(list, ",") {
			addr, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(a, "["), "]"))
			if err != nil {
				return nil, fmt.Errorf("resolve entry %q: invalid address %q", e, a)
			}
			addrs = append(addrs, addr.Unmap())
		}
		m[resolveKey(host, uint16(n))] = addrs
	}
	return m, nil
}

// isHostName accepts what a DNS name may hold: letters, digits, '.', '-'
// and '_' (no IP literal: those need no override, and no curl prefixes).
func isHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, r := range h {
		if !isHostChar(r) || r == ':' {
			return false
		}
	}
	return true
}

// isHostChar reports whether r can be part of a host name or address.
func isHostChar(r rune) bool {
	return r == '.' || r == '-' || r == ':' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

func resolveKey(host string, port uint16) string {
	return net.JoinHostPort(strings.ToLower(strings.TrimSuffix(host, ".")), strconv.Itoa(int(port)))
}

// lookup resolves host for a connection to port: an IP literal as itself,
// then the request's overrides, then DNS (/etc/hosts and resolv.conf as read
// before lockdown). Names under .invalid never resolve (RFC 6761 6.4), and
// no query is sent for them.
func (f *fetcher) lookup(ctx context.Context, host string, port uint16) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	if addrs, ok := f.resolve[resolveKey(host, port)]; ok {
		return addrs, nil
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if name == "invalid" || strings.HasSuffix(name, ".invalid") {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	f.mu.Lock()
	addrs, ok := f.cache[name]
	f.mu.Unlock()
	if ok {
		return addrs, nil
	}
	addrs, err := f.resolver.LookupNetIP(ctx, "ip", name)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no address", Name: host, IsNotFound: true}
	}
	for i := range addrs {
		addrs[i] = addrs[i].Unmap()
	}
	f.mu.Lock()
	f.cache[name] = addrs
	f.mu.Unlock()
	return addrs, nil
}

// minAttempt is the least time one address of several gets before the
// next is tried (as net.Dialer does), unless the deadline is nearer.
const minAttempt = 2 * time.Second

// dial is the transport's only way out: a TCP connection to one of the
// addresses lookup finds, on an allowed port, tried in order with the
// remaining time shared among them.
// dialTLS is the transport's TLS dial for requests without a proxy: the
// CA pool is waited for only here.
func (f *fetcher) dialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	conn, err := f.dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc := tls.Client(conn, &tls.Config{RootCAs: f.roots(), ServerName: host, MinVersion: tls.VersionTLS12})
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

func (f *fetcher) dial(ctx context.Context, _, addr string) (net.Conn, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil || !f.ports[uint16(n)] {
		return nil, &ipc.Error{Code: ipc.ErrCodeConnect, Message: fmt.Sprintf("port %s of %s is not among the request's ports", p, safeHost(host))}
	}
	port := uint16(n)
	addrs, err := f.lookup(ctx, host, port)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	// Never MPTCP, whatever GODEBUG says: the sandbox refuses it.
	d.SetMultipathTCP(false)
	var firstErr error
	for i, a := range addrs {
		actx, cancel := ctx, context.CancelFunc(func() {})
		if deadline, ok := ctx.Deadline(); ok && i < len(addrs)-1 {
			share := time.Until(deadline) / time.Duration(len(addrs)-i)
			actx, cancel = context.WithTimeout(ctx, max(share, min(minAttempt, time.Until(deadline))))
		}
		c, err := d.DialContext(actx, "tcp", netip.AddrPortFrom(a, port).String())
		cancel()
		if err == nil {
			return c, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstErr
}

func redirectError(format string, args ...any) *ipc.Error {
	return &ipc.Error{Code: ipc.ErrCodeRedirect, Message: fmt.Sprintf(format, args...)}
}

// checkRedirect follows 301, 302 and 307 only, at most MaxRedirects times,
// never from https (or, with HTTPSOnly, from anything) to http, and only to
// the ports this process may connect to.
func (f *fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	switch code := req.Response.StatusCode; code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect:
	default:
		return redirectError("redirect with status %d refused", code)
	}
	if len(via) > int(f.req.MaxRedirects) {
		return redirectError("too many redirects (at most %d allowed)", f.req.MaxRedirects)
	}
	u, prev := req.URL, via[len(via)-1].URL
	if u.Scheme != "https" && (f.req.HTTPSOnly || prev.Scheme == "https") {
		return redirectError("redirect from %s to a non-https URL refused", safeHost(prev.Hostname()))
	}
	if len(u.String()) > ipc.MaxURL || u.User != nil {
		return redirectError("redirect to an overlong URL or one with user info refused")
	}
	port, err := ipc.URLPort(u)
	if err != nil || !f.ports[port] {
		return redirectError("redirect to %s refused: its port is not among the request's ports", safeHost(u.Hostname()))
	}
	return nil
}

func (f *fetcher) client() *http.Client {
	tr := &http.Transport{
		DialContext:    f.dial,
		DialTLSContext: f.dialTLS,
		// The body is returned as the server sent it: no transparent
		// gzip, so no decompression bomb either.
		DisableCompression:     true,
		DisableKeepAlives:      true,
		MaxResponseHeaderBytes: 64 << 10,
	}
	if f.proxy != nil {
		// https through a proxy is tunnelled by the transport itself,
		// which needs the configuration up front
		tr.TLSClientConfig = &tls.Config{RootCAs: f.roots(), MinVersion: tls.VersionTLS12}
		tr.Proxy = http.ProxyURL(f.proxy)
	}
	return &http.Client{Transport: tr, CheckRedirect: f.checkRedirect}
}

// fetch runs the request: URLs[i+1] is tried only when the host of URLs[i]
// does not resolve, so that a server that exists but fails (an error
// status, a timeout, a refused connection) never sends the client elsewhere.
func (f *fetcher) fetch(ctx context.Context) (*ipc.FetchResult, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(f.req.TimeoutMillis)*time.Millisecond)
	defer cancel()
	last := len(f.urls) - 1
	i := 0
	for ; i < last; i++ {
		u := f.urls[i]
		port, _ := ipc.URLPort(u) // checked by newFetcher
		_, err := f.lookup(ctx, u.Hostname(), port)
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			continue
		}
		if err != nil {
			return nil, classify(ctx, err, u.Hostname())
		}
		break
	}
	res, err := f.get(ctx, f.urls[i])
	if res != nil {
		res.URLIndex = uint8(i) // at most MaxFetchURLs
	}
	return res, err
}

func (f *fetcher) get(ctx context.Context, u *url.URL) (*ipc.FetchResult, error) {
	var body io.Reader
	if f.req.Method == "POST" {
		body = bytes.NewReader(f.req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, f.req.Method, u.String(), body)
	if err != nil {
		return nil, badRequest("invalid request")
	}
	if f.req.Method == "POST" {
		hr.Header.Set("Content-Type", f.req.ContentType)
	}
	resp, err := f.client().Do(hr)
	if err != nil {
		host := u.Hostname()
		var ue *url.Error
		if errors.As(err, &ue) {
			if eu, perr := url.Parse(ue.URL); perr == nil {
				host = eu.Hostname() // the redirect target that failed
			}
		}
		return nil, classify(ctx, err, host)
	}
	defer resp.Body.Close()
	host := resp.Request.URL.Hostname()
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return nil, &ipc.Error{Code: ipc.ErrCodeUnauthorized, Message: fmt.Sprintf("%s requires authentication (401); not answered", safeHost(host))}
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		// 3xx that the client did not follow: 300, 304, 305, or a
		// redirect without a Location.
		return nil, redirectError("redirect with status %d refused", resp.StatusCode)
	}
	data, err := readCapped(resp.Body, resp.ContentLength, f.req.MaxBytes)
	if err != nil {
		return nil, classify(ctx, err, host)
	}
	ct := resp.Header.Get("Content-Type")
	if len(ct) > ipc.MaxContentType {
		ct = ""
	}
	return &ipc.FetchResult{URL: resp.Request.URL.String(), Status: uint16(resp.StatusCode), ContentType: ct, Body: data}, nil
}

// readCapped reads all of r if it is at most max bytes, and fails as soon as
// it is longer (or declares to be): never more than max+1 bytes are read.
func readCapped(r io.Reader, declared int64, max uint64) ([]byte, error) {
	tooLarge := &ipc.Error{Code: ipc.ErrCodeTooLarge, Message: fmt.Sprintf("response body larger than %d bytes", max)}
	if declared > 0 && uint64(declared) > max {
		return nil, tooLarge
	}
	var buf bytes.Buffer
	if declared > 0 {
		buf.Grow(int(declared))
	}
	n, err := buf.ReadFrom(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if uint64(n) > max {
		return nil, tooLarge
	}
	return buf.Bytes(), nil
}

// classify turns a failure into the structured error front maps to gpg's
// messages. The texts are composed here and name at most a host (reduced to
// host name characters): no server text, no request data.
func classify(ctx context.Context, err error, host string) *ipc.Error {
	var (
		ie          *ipc.Error
		dnsErr      *net.DNSError
		netErr      net.Error
		opErr       *net.OpError
		unknownAuth x509.UnknownAuthorityError
		badHost     x509.HostnameError
		invalid     x509.CertificateInvalidError
		recordErr   tls.RecordHeaderError
	)
	h := safeHost(host)
	e := func(code ipc.ErrorCode, format string, args ...any) *ipc.Error {
		return &ipc.Error{Code: code, Message: fmt.Sprintf(format, args...)}
	}
	switch {
	case errors.As(err, &ie):
		return ie
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || (errors.As(err, &netErr) && netErr.Timeout()):
		return e(ipc.ErrCodeTimeout, "request to %s timed out", h)
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return e(ipc.ErrCodeHostNotFound, "host %s not found", safeHost(dnsErr.Name))
	case errors.As(err, &dnsErr):
		return e(ipc.ErrCodeResolveFailed, "resolving %s failed", safeHost(dnsErr.Name))
	case errors.As(err, &unknownAuth):
		return e(ipc.ErrCodeTLS, "TLS connection to %s failed: certificate not trusted", h)
	case errors.As(err, &badHost):
		return e(ipc.ErrCodeTLS, "TLS connection to %s failed: certificate is for another host", h)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return e(ipc.ErrCodeTLS, "TLS connection to %s failed: certificate expired or not yet valid", h)
	case errors.As(err, &invalid):
		return e(ipc.ErrCodeTLS, "TLS connection to %s failed: certificate invalid", h)
	case errors.As(err, &recordErr) || (errors.As(err, &opErr) && opErr.Op == "remote error") ||
		strings.Contains(err.Error(), "tls: ") || strings.Contains(err.Error(), "HTTP response to HTTPS client"):
		// crypto/tls reports local handshake failures as plain errors
		// whose text starts with "tls: ", and peer alerts as "remote
		// error"; net/http turns a plain HTTP answer to the handshake
		// into a plain error too.
		return e(ipc.ErrCodeTLS, "TLS handshake with %s failed", h)
	case errors.Is(err, syscall.ECONNREFUSED):
		return e(ipc.ErrCodeConnect, "connection to %s refused", h)
	case errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM):
		return e(ipc.ErrCodeConnect, "connection to %s not permitted by the sandbox", h)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return e(ipc.ErrCodeConnect, "connection to %s failed", h)
	case errors.As(err, &opErr):
		return e(ipc.ErrCodeConnect, "connection to %s broken", h)
	}
	return e(ipc.ErrCodeBadResponse, "invalid HTTP response from %s", h)
}

// safeHost reduces a host name taken from a URL or an error to characters
// a host name or address can have, at most 255 of them, so that an error
// message never carries anything a server chose beyond a name.
func safeHost(h string) string {
	var b strings.Builder
	for _, r := range h {
		if b.Len() >= 255 {
			break
		}
		if isHostChar(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}
