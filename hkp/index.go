package hkp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of ParseIndex: a larger body is refused, records beyond the
// counts ignored, longer lines skipped.
const (
	MaxIndexBody = 4 << 20
	MaxIndexKeys = 1000
	MaxIndexUIDs = 100
	maxIndexLine = 16 << 10
)

// IndexKey is one pub record of a machine-readable index with the uid
// records after it.
type IndexKey struct {
	// Fingerprint or key ID, upper-case hex of 8, 16, 32, 40 or 64 digits
	// (servers differ in what they send).
	ID                string
	Algo, Bits        int
	Created, Expires  int64 // seconds since the epoch; 0 unknown or none
	Revoked, Disabled bool
	Expired           bool
	UIDs              []IndexUID
}

// IndexUID is one uid record.
type IndexUID struct {
	// Text is the decoded user ID as valid UTF-8 without control
	// characters (each invalid byte or control character is U+FFFD), so
	// it cannot break a line of output; it may contain ':'.
	Text                       string
	Created, Expires           int64
	Revoked, Disabled, Expired bool
}

var (
	// ErrNotFound: the server has no key for the search (an HTML page, as
	// sks sends with a 404, or an index without pub records).
	ErrNotFound = errors.New("no keys found")
	// ErrIndexTooLarge: the body is over MaxIndexBody.
	ErrIndexTooLarge = errors.New("keyserver index too large")
)

// ParseIndex reads a machine-readable index (options=mr). It is tolerant as
// gpg is: the info line may be missing or claim any count (the records
// present decide), unknown records are skipped, missing fields are zero,
// bad %-escapes stay as they are, CR LF line ends are fine. A pub record
// whose key field is not hex of a key ID or fingerprint length is skipped
// with its uids.
func ParseIndex(body []byte) ([]IndexKey, error) {
	if len(body) > MaxIndexBody {
		return nil, ErrIndexTooLarge
	}
	if t := bytes.TrimLeft(body, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '<' {
		return nil, ErrNotFound
	}
	var keys []IndexKey
	var cur *IndexKey // nil while skipping a bad pub record's uids
	for len(body) > 0 {
		var line []byte
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			line, body = body, nil
		}
		if len(line) > maxIndexLine {
			continue
		}
		line = bytes.TrimRight(line, "\r")
		f := strings.Split(string(line), ":")
		switch strings.ToLower(f[0]) {
		case "pub":
			cur = nil
			if len(keys) >= MaxIndexKeys {
				continue
			}
			id := strings.ToUpper(field(f, 1))
			if !isKeyID(id) {
				continue
			}
			k := IndexKey{ID: id, Algo: int(number(field(f, 2))), Bits: int(number(field(f, 3))),
				Created: number(field(f, 4)), Expires: number(field(f, 5))}
			k.Revoked, k.Disabled, k.Expired = flags(field(f, 6))
			keys = append(keys, k)
			cur = &keys[len(keys)-1]
		case "uid":
			if cur == nil || len(cur.UIDs) >= MaxIndexUIDs {
				continue
			}
			u := IndexUID{Text: unescape(field(f, 1)), Created: number(field(f, 2)), Expires: number(field(f, 3))}
			u.Revoked, u.Disabled, u.Expired = flags(field(f, 4))
			cur.UIDs = append(cur.UIDs, u)
		}
	}
	if len(keys) == 0 {
		return nil, ErrNotFound
	}
	return keys, nil
}

func field(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}

// isKeyID: hex of a short or long key ID, a v3 (MD5), v4 or v6
// fingerprint.
func isKeyID(s string) bool {
	switch len(s) {
	case 8, 16, 32, 40, 64:
		_, err := hex.DecodeString(s)
		return err == nil
	}
	return false
}

// number is a non-negative decimal field, 0 when it is not one.
func number(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

func flags(s string) (revoked, disabled, expired bool) {
	return strings.ContainsRune(s, 'r'), strings.ContainsRune(s, 'd'), strings.ContainsRune(s, 'e')
}

// unescape decodes %XX; a '%' not followed by two hex digits stays. Then
// invalid UTF-8 and control characters become U+FFFD.
func unescape(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := hex.DecodeString(s[i+1 : i+3]); err == nil {
				b = append(b, v[0])
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	var out strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			r = utf8.RuneError
		}
		out.WriteRune(r)
		b = b[n:]
	}
	return out.String()
}
