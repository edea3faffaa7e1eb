// Package hkp is the client side of the HTTP Keyserver Protocol
// (draft-shaw-openpgp-hkp, draft-gallagher-openpgp-hkp) as gpg 2.2.40's
// dirmngr speaks it: keyserver URLs, the lookup and upload requests and the
// machine-readable index. It does no network I/O.
package hkp

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Server is a parsed keyserver URL.
type Server struct {
	Scheme string // "http" or "https": what goes on the wire
	Host   string // host name or IP address, without brackets
	Port   int
	// Path is a prefix put before /pks/... ("" or "/a/b", no trailing
	// slash).
	Path string
}

// ErrKeyserver: a keyserver URL this package cannot use.
var ErrKeyserver = errors.New("invalid keyserver URL")

// maxURL bounds a keyserver URL.
const maxURL = 2048

// ParseKeyserver reads a keyserver as gpg's --keyserver takes it:
// hkp://host[:port] (HTTP, port 11371), hkps://host[:port] (HTTPS, 443),
// http:// and https:// (ports 80 and 443), x-hkp:// as hkp://, a bare host
// name or host:port as hkp. A path after the host is kept as a prefix of
// the /pks/ paths. User info, a query or a fragment is refused.
func ParseKeyserver(s string) (*Server, error) {
	if len(s) > maxURL || strings.ContainsAny(s, " \t\r\n\\") {
		return nil, ErrKeyserver
	}
	if !strings.Contains(s, "://") {
		s = "hkp://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return nil, ErrKeyserver
	}
	srv := &Server{}
	switch strings.ToLower(u.Scheme) {
	case "hkp", "x-hkp":
		srv.Scheme, srv.Port = "http", 11371
	case "hkps":
		srv.Scheme, srv.Port = "https", 443
	case "http":
		srv.Scheme, srv.Port = "http", 80
	case "https":
		srv.Scheme, srv.Port = "https", 443
	default:
		return nil, fmt.Errorf("%w: unsupported scheme %q", ErrKeyserver, u.Scheme)
	}
	srv.Host = u.Hostname()
	if srv.Host == "" || !validHost(srv.Host) {
		return nil, ErrKeyserver
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, ErrKeyserver
		}
		srv.Port = n
	}
	srv.Path = strings.TrimRight(u.EscapedPath(), "/")
	if strings.Contains("/"+srv.Path+"/", "/../") || strings.Contains("/"+srv.Path+"/", "/./") {
		return nil, ErrKeyserver
	}
	return srv, nil
}

// validHost accepts an IP address or a name of letters, digits, '-', '_'
// and dots.
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if len(h) > 253 || strings.HasPrefix(h, ".") || strings.Contains(h, "..") {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Base is the URL up to the /pks/ part: scheme, host, port (always
// written) and path prefix.
func (s *Server) Base() string {
	return s.Scheme + "://" + net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) + s.Path
}

// GetByFingerprint is the lookup of a v4 (20-byte) or v6 (32-byte)
// fingerprint: search=0x<upper-case hex>.
func (s *Server) GetByFingerprint(fpr []byte) (string, error) {
	if len(fpr) != 20 && len(fpr) != 32 {
		return "", errors.New("fingerprint must have 20 or 32 bytes")
	}
	return s.lookup("get", "0x"+strings.ToUpper(hex.EncodeToString(fpr)), false), nil
}

// GetByKeyID is the lookup of a long key ID.
func (s *Server) GetByKeyID(id uint64) string {
	return s.lookup("get", fmt.Sprintf("0x%016X", id), false)
}

// GetByMail is the lookup of the keys with exactly this mail address
// (&exact=on), as gpg asks for one with --locate-keys and
// keys.openpgp.org requires.
func (s *Server) GetByMail(addr string) string { return s.lookup("get", addr, true) }

// Index is the machine-readable search for a pattern; exact asks for
// exact matches only.
func (s *Server) Index(pattern string, exact bool) string {
	return s.lookup("index", pattern, exact)
}

func (s *Server) lookup(op, search string, exact bool) string {
	u := s.Base() + "/pks/lookup?op=" + op + "&options=mr"
	if op == "index" {
		u += "&fingerprint=on"
	}
	u += "&search=" + url.QueryEscape(search)
	if exact {
		u += "&exact=on"
	}
	return u
}

// Add is the URL keys are sent to with POST; AddBody the request body
// (Content-Type application/x-www-form-urlencoded).
func (s *Server) Add() string { return s.Base() + "/pks/add" }

// AddBody is the form body of an upload: keytext= and the armored keys,
// URL-encoded.
func AddBody(armored []byte) []byte {
	return []byte("keytext=" + url.QueryEscape(string(armored)))
}
