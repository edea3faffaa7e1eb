// Package dnsrec writes the DNS records gpg 2.2.40 prints instead of a key
// export with --export-options export-dane (OPENPGPKEY, RFC 7929, in the
// generic TYPE61 syntax of RFC 3597) and export-pka (the old PKA TYPE37
// records): one record per user ID that has a mailbox, each carrying the
// exported key (DANE) or the fingerprint (PKA).
package dnsrec

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// UserID is one user ID of the exported key: Name is the raw user ID (its
// mailbox names the record), Shown how the comment line prints it.
type UserID struct {
	Name, Shown string
}

// Write writes the records of one exported key: fpr is its primary
// fingerprint, data the exported key bytes (binary, as they would have been
// written), uids its usable user IDs in keyblock order (the caller leaves
// out revoked and expired ones, as gpg does). For each user ID with a
// mailbox the PKA record comes first, then the DANE record. Both name the
// record by a hash of the mailbox's local part (lower-cased, as gpg's
// mailbox_from_userid makes it): z-base-32 of its SHA-1 for PKA, the first
// 28 bytes of its SHA-256 in hex for DANE.
func Write(w io.Writer, fpr []byte, uids []UserID, data []byte, pka, dane bool) error {
	var b bytes.Buffer
	hexFpr := fmt.Sprintf("%X", fpr)
	hexData := hex.EncodeToString(data)
	for _, u := range uids {
		mbox := Mailbox(u.Name)
		if mbox == "" {
			continue
		}
		domain := mbox[strings.IndexByte(mbox, '@')+1:]
		local := mbox[:len(mbox)-len(domain)-1]
		if pka {
			fmt.Fprintf(&b, "$ORIGIN _pka.%s.\n; %s\n; %s\n", domain, hexFpr, u.Shown)
			sum := sha1.Sum([]byte(local))
			fmt.Fprintf(&b, "%s TYPE37 \\# %d 0006 0000 00 %02X %s\n\n",
				zbase32(sum[:]), 6+len(fpr), len(fpr), hexFpr)
		}
		if dane {
			fmt.Fprintf(&b, "$ORIGIN _openpgpkey.%s.\n; %s\n; %s\n", domain, hexFpr, u.Shown)
			sum := sha256.Sum256([]byte(local))
			fmt.Fprintf(&b, "%x TYPE61 \\# %d (\n", sum[:28], len(data))
			// 32 bytes a line; a last line, empty if the data fills the
			// previous one exactly (gpg's loop)
			s := hexData
			for len(s) >= 64 {
				fmt.Fprintf(&b, "\t%s\n", s[:64])
				s = s[64:]
			}
			fmt.Fprintf(&b, "\t%s\n\t)\n\n", s)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
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
