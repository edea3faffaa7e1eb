// Package pgp holds the OpenPGP logic of front and keyhelper: composing and
// reading messages as streams, key generation, and the split that lets
// front hash while a helper signs.
package pgp

import (
	"crypto"
	_ "crypto/md5"  // registered for --allow-weak-digest-algos
	_ "crypto/sha1" // registered for verifying old signatures
	_ "crypto/sha256"
	_ "crypto/sha512"
	"fmt"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	_ "golang.org/x/crypto/ripemd160" //nolint:staticcheck // old signatures use it
	_ "golang.org/x/crypto/sha3"
)

// hashIDs maps the hashes we sign or verify with to their OpenPGP ids.
var hashIDs = []struct {
	id   uint8
	hash crypto.Hash
	name string
}{
	{1, crypto.MD5, "MD5"},
	{2, crypto.SHA1, "SHA1"},
	{3, crypto.RIPEMD160, "RIPEMD160"},
	{8, crypto.SHA256, "SHA256"},
	{9, crypto.SHA384, "SHA384"},
	{10, crypto.SHA512, "SHA512"},
	{11, crypto.SHA224, "SHA224"},
	{12, crypto.SHA3_256, "SHA3-256"},
	{14, crypto.SHA3_512, "SHA3-512"},
}

// HashID returns the OpenPGP id of h, or 0.
func HashID(h crypto.Hash) uint8 {
	for _, e := range hashIDs {
		if e.hash == h {
			return e.id
		}
	}
	return 0
}

// HashByID returns the hash for an OpenPGP id.
func HashByID(id uint8) (crypto.Hash, bool) {
	for _, e := range hashIDs {
		if e.id == id {
			return e.hash, e.hash.Available()
		}
	}
	return 0, false
}

// HashName is gpg's name of h ("SHA256").
func HashName(h crypto.Hash) string {
	for _, e := range hashIDs {
		if e.hash == h {
			return e.name
		}
	}
	return "?"
}

// ParseHash accepts gpg's --digest-algo spellings (SHA256, sha-256, H8).
func ParseHash(s string) (crypto.Hash, error) {
	n := strings.ToUpper(strings.ReplaceAll(s, "-", ""))
	for _, e := range hashIDs {
		if n == strings.ReplaceAll(e.name, "-", "") || n == fmt.Sprintf("H%d", e.id) {
			if e.hash == crypto.MD5 || !e.hash.Available() {
				break
			}
			return e.hash, nil
		}
	}
	return 0, fmt.Errorf("invalid digest algorithm %q", s)
}

// cipherNames are gpg's names of the ciphers front knows; decryptOnly
// marks those it reads but does not encrypt with.
var cipherNames = []struct {
	c           packet.CipherFunction
	name        string
	decryptOnly bool
}{
	{packet.CipherAES256, "AES256", false},
	{packet.CipherAES192, "AES192", false},
	{packet.CipherAES128, "AES", false},
	{packet.Cipher3DES, "3DES", false},
	{packet.CipherCAST5, "CAST5", false},
	{CipherIDEA, "IDEA", true},
	{CipherBlowfish, "BLOWFISH", true},
	{CipherTwofish, "TWOFISH", true},
}

// ParseCipher accepts gpg's --cipher-algo names of the ciphers front
// encrypts with.
func ParseCipher(s string) (packet.CipherFunction, error) {
	n := strings.ToUpper(s)
	if n == "AES128" {
		n = "AES"
	}
	for _, e := range cipherNames {
		if e.decryptOnly {
			continue
		}
		if e.name == n || fmt.Sprintf("S%d", e.c) == n {
			return e.c, nil
		}
	}
	return 0, fmt.Errorf("invalid cipher algorithm %q", s)
}

// CipherName is gpg's name of c.
func CipherName(c packet.CipherFunction) string {
	for _, e := range cipherNames {
		if e.c == c {
			return e.name
		}
	}
	return fmt.Sprintf("S%d", c)
}

// ParseCompression accepts gpg's --compress-algo names and numbers.
func ParseCompression(s string) (packet.CompressionAlgo, error) {
	switch strings.ToLower(s) {
	case "none", "uncompressed", "0":
		return packet.CompressionNone, nil
	case "zip", "1":
		return packet.CompressionZIP, nil
	case "zlib", "2":
		return packet.CompressionZLIB, nil
	}
	return 0, fmt.Errorf("invalid compress algorithm %q", s)
}

// DefaultSigningHash picks the hash gpg 2.2 would: for DSA-like keys
// (ECDSA, EdDSA) the hash whose size matches the curve, for RSA the first
// of SHA512/384/256 the key's self-signature prefers. prefs are those ids.
func DefaultSigningHash(pk *packet.PublicKey, prefs []uint8) crypto.Hash {
	switch pk.PubKeyAlgo {
	case packet.PubKeyAlgoEdDSA, packet.PubKeyAlgoEd25519:
		return crypto.SHA256 // ed25519; go-crypto reports the encoded point's bit length
	case packet.PubKeyAlgoECDSA:
		bits, err := pk.BitLength()
		switch {
		case err != nil || bits <= 256:
			return crypto.SHA256
		case bits <= 384:
			return crypto.SHA384
		}
		return crypto.SHA512
	}
	for _, id := range prefs {
		h, ok := HashByID(id)
		if ok && (h == crypto.SHA256 || h == crypto.SHA384 || h == crypto.SHA512) {
			return h
		}
	}
	return crypto.SHA256
}
