package ipc

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
)

// FetchRequest is nethelper's only request: one HTTP(S) exchange, with a
// fallback list of URLs. nethelper returns the raw body; front parses,
// filters and imports it.
type FetchRequest struct {
	Method string   // "GET" or "POST"
	URLs   []string // tried in order; URLs[i+1] only when the host of URLs[i] does not resolve (NXDOMAIN or no address: WKD advanced -> direct); any other failure ends the request
	Body   []byte   // POST body; empty for GET
	// ContentType is the POST body's content type.
	ContentType string
	// HTTPSOnly: every URL and every redirect target must be https.
	// Independently of it, a redirect from https to http is always refused.
	HTTPSOnly bool
	// MaxRedirects: 301, 302 and 307 are followed at most this often; 303,
	// 308 and every other 3xx are failures (ErrCodeRedirect).
	MaxRedirects uint8
	// MaxBytes caps the body, 1..MaxFetchBody: a longer body is
	// ErrCodeTooLarge, never silently truncated.
	MaxBytes uint64
	// TimeoutMillis is the deadline of the whole request, name resolution
	// included, 1..MaxFetchTimeoutMillis.
	TimeoutMillis uint32
	// CACerts is a PEM bundle that, when set, replaces the system roots.
	CACerts []byte
	// Resolve holds curl-style "HOST:PORT:ADDR[,ADDR...]" overrides (IPv6
	// addresses in brackets), consulted before DNS.
	Resolve []string
	// Proxy is "" or "http://host[:port]"; front decides whether one is used.
	Proxy string
}

// FetchResult is the final response. Non-2xx responses (404, 500, ...) are
// results too, body included (capped); only 401 is an error, so that no
// client can mistake an authentication request for content.
type FetchResult struct {
	URL         string // final URL after redirects
	URLIndex    uint8  // which of the request's URLs was fetched (before redirects)
	Status      uint16 // HTTP status of the final response
	ContentType string // empty if the server's was longer than MaxContentType
	Body        []byte
}

// Fetch limits. They bound what nethelper accepts and returns.
const (
	MaxFetchURLs          = 8
	MaxURL                = 8 * kib
	MaxPostBody           = 8 * mib
	MaxContentType        = 256
	MaxCACerts            = 4 * mib
	MaxResolveEntries     = 32
	MaxResolveEntry       = 512
	MaxFetchBody          = 32*mib - 16*kib // FetchResult must fit a Result frame
	MaxFetchTimeoutMillis = 10 * 60 * 1000

	// DNSPort is always among a request's ports: the resolver switches
	// to TCP for answers that do not fit a datagram.
	DNSPort = 53
)

// maxFetchRequest bounds a FetchRequest frame: every field at its limit
// (ipc_test checks that such a request fits).
const maxFetchRequest = 13 * mib

func (*FetchRequest) Type() MsgType { return TypeFetchRequest }
func (*FetchResult) Type() MsgType  { return TypeResult }

func (m *FetchRequest) encode(e *encoder) {
	e.string(m.Method)
	e.uint(uint64(len(m.URLs)))
	for _, u := range m.URLs {
		e.string(u)
	}
	e.bytes(m.Body)
	e.string(m.ContentType)
	e.bool(m.HTTPSOnly)
	e.uint(uint64(m.MaxRedirects))
	e.uint(m.MaxBytes)
	e.uint(uint64(m.TimeoutMillis))
	e.bytes(m.CACerts)
	e.uint(uint64(len(m.Resolve)))
	for _, r := range m.Resolve {
		e.string(r)
	}
	e.string(m.Proxy)
}

func (m *FetchRequest) decode(d *decoder) {
	m.Method = d.string(4)
	if m.Method != "GET" && m.Method != "POST" {
		d.err = ErrMalformed
	}
	m.URLs = make([]string, d.count(MaxFetchURLs))
	for i := range m.URLs {
		m.URLs[i] = d.string(MaxURL)
	}
	m.Body = d.bytes(MaxPostBody)
	m.ContentType = d.string(MaxContentType)
	m.HTTPSOnly = d.bool()
	m.MaxRedirects = d.uint8()
	m.MaxBytes = d.uint()
	m.TimeoutMillis = d.uint32()
	m.CACerts = d.bytes(MaxCACerts)
	m.Resolve = make([]string, d.count(MaxResolveEntries))
	for i := range m.Resolve {
		m.Resolve[i] = d.string(MaxResolveEntry)
	}
	m.Proxy = d.string(MaxURL)
}

func (m *FetchResult) encode(e *encoder) {
	e.string(m.URL)
	e.uint(uint64(m.URLIndex))
	e.uint(uint64(m.Status))
	e.string(m.ContentType)
	e.bytes(m.Body)
}

func (m *FetchResult) decode(d *decoder) {
	m.URL = d.string(MaxURL)
	m.URLIndex = d.uint8()
	m.Status = d.uint16()
	m.ContentType = d.string(MaxContentType)
	m.Body = d.bytes(MaxFetchBody)
}

// URLPort is the TCP port u names, or its scheme's default (http 80,
// https 443). Other schemes are an error.
func URLPort(u *url.URL) (uint16, error) {
	def := map[string]uint16{"http": 80, "https": 443}[u.Scheme]
	if def == 0 {
		return 0, fmt.Errorf("unsupported URL scheme %q", u.Scheme)
	}
	p := u.Port()
	if p == "" {
		return def, nil
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("invalid port %q", p)
	}
	return uint16(n), nil
}

// Ports returns, sorted, the TCP ports the request connects to: each URL's,
// the proxy's and DNSPort. front starts nethelper with exactly this set (the
// sandbox lets it connect nowhere else), and nethelper refuses redirects to
// any other port.
func (m *FetchRequest) Ports() ([]uint16, error) {
	ports := []uint16{DNSPort}
	urls := m.URLs
	if m.Proxy != "" {
		urls = append(slices.Clip(urls), m.Proxy)
	}
	for _, s := range urls {
		u, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("invalid URL: %w", err)
		}
		p, err := URLPort(u)
		if err != nil {
			return nil, err
		}
		ports = append(ports, p)
	}
	slices.Sort(ports)
	return slices.Compact(ports), nil
}
