// Package wkd is the client side of the OpenPGP Web Key Directory
// (draft-koch-openpgp-webkey-service) as gpg 2.2.40 and its dirmngr use it:
// the hashed local part, the advanced and direct URLs, the policy file URLs
// and the filter that keeps only what an answer may contribute for the
// address that was asked for. It does no network I/O.
package wkd

import (
	"crypto/sha1"
	"errors"
	"strings"
)

// Hash is the WKD name of a local part: z-base-32 of the SHA-1 of its
// UTF-8 bytes after lower-casing ASCII A-Z only (a non-ASCII letter such as
// Ä or the Kelvin sign U+212A is hashed as it is), 32 characters.
func Hash(local string) string {
	sum := sha1.Sum([]byte(asciiLower(local)))
	return zbase32(sum[:])
}

// zbase32 is the z-base-32 encoding (RFC 6189 5.1.6) of b, 5 bits a
// character, most significant first.
func zbase32(b []byte) string {
	const alphabet = "ybndrfg8ejkmcpqxot1uwisza345h769"
	var s strings.Builder
	var acc, bits uint
	for _, c := range b {
		acc, bits = acc<<8|uint(c), bits+8
		for bits >= 5 {
			bits -= 5
			s.WriteByte(alphabet[acc>>bits&31])
		}
	}
	if bits > 0 {
		s.WriteByte(alphabet[acc<<(5-bits)&31])
	}
	return s.String()
}

// Mailbox is gpg's mailbox_from_userid: the address between the first '<'
// and the next '>' if it looks like one (exactly one '@' with text on both
// sides, no trailing dot, no space or control character, no ".." in the
// domain), else the whole user ID if it is a plain valid address; ASCII
// letters lower-cased. "" when there is none.
func Mailbox(uid string) string {
	var m string
	if i := strings.IndexByte(uid, '<'); i >= 0 {
		rest := uid[i+1:]
		j := strings.IndexByte(rest, '>')
		if j <= 0 {
			return ""
		}
		m = rest[:j]
		at := strings.IndexByte(m, '@')
		if strings.Count(m, "@") != 1 || at == 0 || at == len(m)-1 || m[len(m)-1] == '.' ||
			strings.ContainsFunc(m, func(r rune) bool { return r <= ' ' || r == 0x7f }) ||
			strings.Contains(m[at:], "..") {
			return ""
		}
	} else if validMailbox(uid) {
		m = uid
	} else {
		return ""
	}
	return asciiLower(m)
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// validMailbox is gpg's is_valid_mailbox: one '@' with text on both sides,
// no trailing dot, no "..", and only the characters RFC 2822 allows in an
// unquoted local part and a domain (bytes above 0x7F pass).
func validMailbox(s string) bool {
	at := strings.IndexByte(s, '@')
	if s == "" || strings.Count(s, "@") != 1 || at == 0 || at == len(s)-1 ||
		s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	const domainChars = "0123456789_-.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	const localExtra = "!#$%&'*+/=?^`{|}~"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c&0x80 != 0 || c == '@':
		case i < at && strings.IndexByte(domainChars+localExtra, c) < 0:
			return false
		case i > at && strings.IndexByte(domainChars, c) < 0:
			return false
		}
	}
	return true
}

// ErrAddress: the address is not one a WKD URL can be built from.
var ErrAddress = errors.New("not a valid mail address for WKD")

// maxAddress bounds an address: RFC 5321 allows 64 octets of local part
// and 255 of domain.
const maxAddress = 64 + 1 + 255

// Split checks addr (a plain address or a user ID with one in angle
// brackets) and returns its local part and domain as gpg's dirmngr uses
// them: lower-cased ASCII letters, the domain a valid LDH host name of
// ASCII labels (so "/../", '\\', '%' and a non-ASCII domain are refused
// here, before any URL exists). A non-ASCII local part is kept as it is.
func Split(addr string) (local, domain string, err error) {
	if len(addr) > maxAddress*2 {
		return "", "", ErrAddress
	}
	m := Mailbox(addr)
	at := strings.LastIndexByte(m, '@')
	if m == "" || at < 0 || len(m) > maxAddress {
		return "", "", ErrAddress
	}
	local, domain = m[:at], m[at+1:]
	if len(local) > 64 || !validDomain(domain) {
		return "", "", ErrAddress
	}
	return local, domain, nil
}

// validDomain is gpg's is_valid_domain_name, stricter: labels of ASCII
// letters, digits and '-', not starting or ending with '-', separated by
// single dots, at most 63 octets each and 253 in all.
func validDomain(d string) bool {
	if d == "" || len(d) > 253 {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// URLs returns the advanced URL (on openpgpkey.DOMAIN, tried first) and
// the direct URL (on DOMAIN, tried only when openpgpkey.DOMAIN does not
// resolve) of the key for addr. l= carries the local part escaped as
// dirmngr's http_escape_string escapes it: anything outside its URI
// character set and any of "%;?&=+#" as %XX.
func URLs(addr string) (advanced, direct string, err error) {
	local, domain, err := Split(addr)
	if err != nil {
		return "", "", err
	}
	tail := "hu/" + Hash(local) + "?l=" + escape(local)
	return "https://openpgpkey." + domain + "/.well-known/openpgpkey/" + domain + "/" + tail,
		"https://" + domain + "/.well-known/openpgpkey/" + tail, nil
}

// PolicyURLs returns the advanced and direct URLs of a domain's policy
// file; domain must pass the same checks as an address's domain.
func PolicyURLs(domain string) (advanced, direct string, err error) {
	domain = asciiLower(domain)
	if !validDomain(domain) {
		return "", "", ErrAddress
	}
	return "https://openpgpkey." + domain + "/.well-known/openpgpkey/" + domain + "/policy",
		"https://" + domain + "/.well-known/openpgpkey/policy", nil
}

// escape is dirmngr's http_escape_string(s, "%;?&=+#").
func escape(s string) string {
	const valid = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567890@!\"#$%&'()*+,-./:;<=>?[\\]^_{|}~"
	const special = "%;?&=+#"
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if strings.IndexByte(valid, c) >= 0 && strings.IndexByte(special, c) < 0 {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
