package store

import (
	"bytes"
	"encoding/hex"
	"strconv"
	"strings"
)

// QueryKind is how a key specification is matched (gpg's
// KEYDB_SEARCH_MODE_*).
type QueryKind int

const (
	QueryNone        QueryKind = iota // matches nothing (an invalid spec)
	QueryFingerprint                  // primary or subkey fingerprint
	QueryKeyID                        // 64-bit key ID of a primary or subkey
	QueryShortKeyID                   // low 32 bits of a key ID
	QueryMail                         // "<addr>": the address, case-insensitive
	QueryMailSub                      // "@text": substring of the address
	QueryExact                        // "=uid": the whole user ID, exactly
	QuerySubstring                    // "*text" or plain text, case-insensitive (ASCII)
)

// Query is a parsed key specification.
type Query struct {
	Kind        QueryKind
	Fingerprint []byte
	KeyID       uint64
	Text        string
	// Exact is a trailing '!': this very (sub)key, not the certificate's
	// best key.
	Exact bool
}

// ParseSpec classifies a key specification as gpg's classify_user_id
// does: leading/trailing blanks ignored; '<' mail, '@' mail substring, '='
// exact user ID, '*' substring; hex with optional 0x: 8 digits short key
// ID, 16 long key ID, 40 (or 64, for v6 keys) fingerprint, each with an
// optional '!', and without 0x one more leading '0' allowed; a fingerprint
// written in groups of four with spaces or as colon-separated bytes;
// anything else is a substring. '.', '+', '/', '#', ':' and '&' forms and
// 32-digit (v3) fingerprints, which gpg's keybox never matches for
// OpenPGP keys, match nothing.
func ParseSpec(spec string) Query {
	s := strings.TrimLeft(spec, " \t\n\r\v\f")
	s = strings.TrimRight(s, " \t\n\r\v\f")
	if s == "" {
		return Query{}
	}
	switch s[0] {
	case '<':
		return Query{Kind: QueryMail, Text: strings.TrimSuffix(s[1:], ">")}
	case '@':
		return Query{Kind: QueryMailSub, Text: s[1:]}
	case '=':
		return Query{Kind: QueryExact, Text: s[1:]}
	case '*':
		return Query{Kind: QuerySubstring, Text: s[1:]}
	case '.', '+', '/', '#', ':', '&':
		return Query{}
	}
	prefix := false
	if strings.HasPrefix(s, "0x") {
		prefix, s = true, s[2:]
	}
	n := 0
	for n < len(s) && isHexDigit(s[n]) {
		n++
	}
	rest := s[n:]
	exact := n >= 8 && rest == "!"
	terminated := rest == "" || exact
	if n > 0 && !terminated && !isSpace(rest[0]) && prefix {
		return Query{}
	}
	if terminated {
		digits := s[:n]
		if !prefix && (n == 9 || n == 17 || n == 41 || n == 65) && digits[0] == '0' {
			digits = digits[1:]
		}
		switch len(digits) {
		case 8:
			v, _ := strconv.ParseUint(digits, 16, 32)
			return Query{Kind: QueryShortKeyID, KeyID: v, Exact: exact}
		case 16:
			v, _ := strconv.ParseUint(digits, 16, 64)
			return Query{Kind: QueryKeyID, KeyID: v, Exact: exact}
		case 32:
			return Query{}
		case 40, 64:
			f, _ := hex.DecodeString(digits)
			return Query{Kind: QueryFingerprint, Fingerprint: f, Exact: exact}
		}
	}
	if prefix {
		return Query{}
	}
	if f := groupedFingerprint(s); f != nil {
		return Query{Kind: QueryFingerprint, Fingerprint: f}
	}
	return Query{Kind: QuerySubstring, Text: s}
}

// groupedFingerprint reads "AB:CD:..." (20 bytes) or a v4 fingerprint in
// groups of four hex digits separated by one space (two in the middle
// allowed), as printed by gpg; a v6 fingerprint (16 groups) likewise, as
// front prints it.
func groupedFingerprint(s string) []byte {
	if len(s) == 59 && strings.Count(s, ":") == 19 {
		f, err := hex.DecodeString(strings.ReplaceAll(s, ":", ""))
		if err == nil && len(f) == 20 {
			return f
		}
	}
	t := strings.TrimRight(s, " ")
	for _, groups := range []int{10, 16} {
		single := groups*5 - 1 // groups of 4 and single spaces
		mid := groups / 2 * 5  // where a second middle space may stand
		if len(t) != single && len(t) != single+1 {
			continue
		}
		fields := strings.Fields(t)
		if len(fields) != groups {
			continue
		}
		f, err := hex.DecodeString(strings.Join(fields, ""))
		if err == nil && len(f) == groups*2 && (len(t) == single || t[mid-1] == ' ' && t[mid] == ' ') {
			return f
		}
	}
	return nil
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// MatchKey reports whether a (sub)key with this fingerprint matches a
// key-based query.
func (q Query) MatchKey(fpr []byte) bool {
	switch q.Kind {
	case QueryFingerprint:
		return bytes.Equal(fpr, q.Fingerprint)
	case QueryKeyID:
		return keyIDFromFingerprint(fpr) == q.KeyID
	case QueryShortKeyID:
		return uint32(keyIDFromFingerprint(fpr)) == uint32(q.KeyID)
	}
	return false
}

// MatchUserID reports whether a user ID matches a user-ID-based query, by
// the rules of gpg's keybox search.
func (q Query) MatchUserID(uid string) bool {
	switch q.Kind {
	case QueryExact:
		return uid == q.Text
	case QuerySubstring:
		return q.Text != "" && bytes.Contains(lowerASCII([]byte(uid)), lowerASCII([]byte(q.Text)))
	case QueryMail, QueryMailSub:
		m := mailOf(uid)
		if m == nil || q.Text == "" {
			return false
		}
		if q.Kind == QueryMail {
			return bytes.Equal(lowerASCII(m), lowerASCII([]byte(q.Text)))
		}
		return bytes.Contains(lowerASCII(m), lowerASCII([]byte(q.Text)))
	}
	return false
}

// ByKey reports whether the query matches keys rather than user IDs.
func (q Query) ByKey() bool {
	return q.Kind == QueryFingerprint || q.Kind == QueryKeyID || q.Kind == QueryShortKeyID
}
