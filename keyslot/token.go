// Package keyslot holds the file formats of per-application access tokens:
// the token's syntax and its ID, the keyslot file that wraps a key's
// secret material under a key derived from the token, the store's index of
// live keyslots, and the use log. keyhelper is the only process that reads
// or writes keyslots; front reads only the use log.
//
// A keyslot is opened with two secrets: the token (which only the
// application holds) and the keyslot's pepper (which only the index in the
// secret store holds). Revoking a token deletes its pepper from the index,
// so a keyslot file kept aside opens no more, even with its token.
package keyslot

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

// TokenPrefix starts every token, so a token is told from a passphrase by
// its syntax alone, and secret scanners can find leaked ones.
const TokenPrefix = "fpt_"

const (
	// SecretSize is the token's entropy: 160 bits from crypto/rand.
	SecretSize = 20
	// IDSize is the size of a token ID.
	IDSize = 8
	// TokenLen is the length of a token's text form.
	TokenLen = len(TokenPrefix) + (SecretSize*8+4)/5
)

// b32 is lowercase RFC 4648 base32 without padding: no characters that
// need quoting in a shell, a file or a URL.
var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Secret is a token's random part.
type Secret [SecretSize]byte

// ID names a token in listings, the log and keyslot file names. It is
// derived from the secret one-way, so it can be shown and logged freely.
type ID [IDSize]byte

// NewSecret makes a random token secret.
func NewSecret() (Secret, error) {
	var s Secret
	_, err := rand.Read(s[:])
	return s, err
}

// String is the token as the user sees it.
func (s Secret) String() string { return TokenPrefix + b32.EncodeToString(s[:]) }

// ParseToken recognises the exact token syntax: the prefix and 32
// lowercase base32 characters, nothing around them.
func ParseToken(b []byte) (Secret, bool) {
	var s Secret
	if len(b) != TokenLen || !strings.HasPrefix(string(b), TokenPrefix) {
		return s, false
	}
	n, err := b32.Decode(s[:], b[len(TokenPrefix):])
	return s, err == nil && n == SecretSize
}

// IsToken reports whether b has the token syntax. A passphrase of exactly
// this shape is taken for a token.
func IsToken(b []byte) bool {
	_, ok := ParseToken(b)
	return ok
}

// ID derives the token's ID with HKDF-SHA256 (a label distinct from the
// keyslot key's, so the ID tells nothing about that key).
func (s Secret) ID() ID {
	var id ID
	k, err := hkdf.Key(sha256.New, s[:], nil, "frontpgp token id v1", IDSize)
	if err != nil {
		panic(err) // only for lengths HKDF cannot produce
	}
	copy(id[:], k)
	return id
}

func (id ID) String() string { return hex.EncodeToString(id[:]) }

// ParseID reads an ID's text form (16 hex digits, any case).
func ParseID(s string) (ID, bool) {
	var id ID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != IDSize {
		return id, false
	}
	copy(id[:], b)
	return id, true
}
