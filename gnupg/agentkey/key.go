// Package agentkey reads the secret key files GnuPG's gpg-agent keeps in
// private-keys-v1.d (one file per key, named by its keygrip): the extended
// key format (header lines and a Key: value in libgcrypt's advanced
// S-expression format) and the older bare canonical S-expression;
// unprotected keys, keys protected with openpgp-s2k3-ocb-aes or
// openpgp-s2k3-sha1-aes-cbc (and -aes256-cbc), and smart-card stubs
// (shadowed keys). It only reads: GnuPG's files stay as they are.
//
// The formats are GnuPG's agent/keyformat.txt and agent/protect.c.
package agentkey

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"

	"github.com/ProtonMail/go-crypto/ocb"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"
)

// MaxFileSize caps a key file: a 16384-bit RSA key in the extended format
// is about 16 KiB.
const MaxFileSize = 64 << 10

// maxHeaderLines bounds the name-value lines of an extended key file.
const maxHeaderLines = 256

// Protection is how a key file keeps its secret.
type Protection int

const (
	Clear     Protection = iota // (private-key …)
	Protected                   // (protected-private-key …): a passphrase unlocks it
	Shadowed                    // (shadowed-private-key …): the secret is on a smart card
)

// Errors a caller maps to its own: a wrong passphrase, and everything else
// (the file is not a key file this package understands).
var (
	ErrBadPassphrase = errors.New("agentkey: bad passphrase")
	ErrUnsupported   = errors.New("agentkey: unsupported key protection")
	ErrInvalid       = errors.New("agentkey: invalid key file")
)

// Key is one parsed key file. Its secret is still as the file keeps it.
type Key struct {
	Protection Protection
	// Algo is the key's algorithm list name: "rsa", "ecc", "ecdsa",
	// "ecdh", "dsa" or "elg".
	Algo string
	// Curve is the curve name of an ECC key as libgcrypt writes it
	// ("Ed25519", "Curve25519", "NIST P-256", …).
	Curve string
	// CardSerial is a shadowed key's card serial number in upper case hex
	// (the application ID of an OpenPGP card, "D276000124…"), and
	// CardKeyRef the key's reference on the card ("OPENPGP.1").
	CardSerial string
	CardKeyRef string

	algoList *sexp   // the (algo …) list
	native   *native // openpgp-native protection (native.go)
}

// Parse reads a key file in either format. It checks the structure of
// the whole file, but decrypts nothing.
func Parse(data []byte) (*Key, error) {
	if len(data) > MaxFileSize || len(data) == 0 {
		return nil, ErrInvalid
	}
	var root *sexp
	var err error
	if data[0] == '(' {
		root, err = parseCanonical(data)
	} else {
		var v []byte
		if v, err = keyValue(data); err == nil {
			root, err = parseAdvanced(v)
		}
	}
	if err != nil {
		return nil, ErrInvalid
	}
	return fromSexp(root)
}

// keyValue returns the Key: value of an extended key file, continuation
// lines joined, as common/name-value.c reads the file: while an entry is
// open, a line starting with a blank, or an empty one, continues it (its
// first blank dropped); otherwise a line that is empty or whose first
// non-blank is '#' is a comment, and any other line is "Name: value".
// Exactly one Key: entry must be present.
func keyValue(data []byte) ([]byte, error) {
	lines := strings.Split(string(data), "\n")
	var key []byte
	found, open, inKey, names := false, false, false, 0
	for _, line := range lines {
		line = strings.TrimSuffix(line, "\r")
		trimmed := strings.TrimLeft(line, " \t\v\f\r")
		if open && (trimmed == "" || line[0] == ' ' || line[0] == '\t') {
			if inKey {
				if trimmed == "" {
					key = append(key, '\n') // a blank line encodes a line break
				} else {
					key = append(key, line[1:]...) // no line break: "prote" " cted" is "protected"
				}
			}
			continue
		}
		open, inKey = false, false
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		colon := strings.IndexByte(trimmed, ':')
		if colon <= 0 || !validName(trimmed[:colon]) {
			return nil, ErrInvalid
		}
		if names++; names > maxHeaderLines {
			return nil, ErrInvalid
		}
		open = true
		inKey = strings.EqualFold(trimmed[:colon], "Key")
		if inKey {
			if found {
				return nil, ErrInvalid
			}
			found = true
			key = append(key, trimmed[colon+1:]...)
		}
	}
	if !found {
		return nil, ErrInvalid
	}
	return key, nil
}

func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if i == 0 && !letter || !letter && !(c >= '0' && c <= '9') && c != '-' {
			return false
		}
	}
	return true
}

// publicParams and secretParams list, per algorithm, the parameters a key
// file must hold (agent/protect.c's table); the ECC form names its curve
// instead of the domain parameters.
var publicParams = map[string][]string{
	"rsa": {"n", "e"}, "dsa": {"p", "q", "g", "y"}, "elg": {"p", "g", "y"},
	"ecc": {"q"}, "ecdsa": {"q"}, "ecdh": {"q"},
}

var secretParams = map[string][]string{
	"rsa": {"d", "p", "q", "u"}, "dsa": {"x"}, "elg": {"x"},
	"ecc": {"d"}, "ecdsa": {"d"}, "ecdh": {"d"},
}

func fromSexp(root *sexp) (*Key, error) {
	if !root.isList || len(root.list) != 2 || !root.list[1].isList {
		return nil, ErrInvalid
	}
	k := &Key{algoList: root.list[1]}
	switch root.head() {
	case "private-key":
		k.Protection = Clear
	case "protected-private-key":
		k.Protection = Protected
	case "shadowed-private-key":
		k.Protection = Shadowed
	default:
		return nil, ErrInvalid
	}
	k.Algo = k.algoList.head()
	if _, ok := publicParams[k.Algo]; !ok {
		return nil, ErrUnsupported
	}
	// every element after the name is a list whose head is an atom
	for _, c := range k.algoList.list[1:] {
		if c.head() == "" {
			return nil, ErrInvalid
		}
	}
	if k.Algo == "ecc" || k.Algo == "ecdsa" || k.Algo == "ecdh" {
		c, ok := k.algoList.value("curve")
		if !ok {
			return nil, ErrInvalid
		}
		k.Curve = string(c)
	}
	for _, name := range publicParams[k.Algo] {
		if _, ok := k.algoList.value(name); !ok {
			return nil, ErrInvalid
		}
	}
	switch k.Protection {
	case Clear:
		for _, name := range secretParams[k.Algo] {
			if _, ok := k.algoList.value(name); !ok {
				return nil, ErrInvalid
			}
		}
	case Protected:
		if prot := k.algoList.find("protected"); prot != nil && len(prot.list) > 1 && string(prot.list[1].atom) == "openpgp-native" {
			n, err := parseNative(prot)
			if err != nil {
				return nil, err
			}
			k.native = n
			if n.usage == 0 {
				k.Protection = Clear // gpg-agent asks no passphrase for these either
			}
			break
		}
		if _, err := k.protectedParts(); err != nil {
			return nil, err
		}
	case Shadowed:
		// (shadowed t1-v1 (SERIALNO IDSTRING …))
		sh := k.algoList.find("shadowed")
		if sh == nil || len(sh.list) != 3 || sh.list[1].isList || string(sh.list[1].atom) != "t1-v1" {
			return nil, ErrUnsupported
		}
		info := sh.list[2]
		if !info.isList || len(info.list) < 2 || info.list[0].isList || info.list[1].isList || len(info.list[0].atom) == 0 {
			return nil, ErrInvalid
		}
		k.CardSerial = strings.ToUpper(hex.EncodeToString(info.list[0].atom))
		k.CardKeyRef = string(info.list[1].atom)
	}
	return k, nil
}

// protected is the parsed (protected MODE ((sha1 SALT COUNT) IV) DATA) list.
type protected struct {
	mode    string
	salt    []byte
	count   int
	iv      []byte
	data    []byte
	element int // index of the list in algoList.list
}

// protectedParts checks and returns the key's (protected …) list.
func (k *Key) protectedParts() (*protected, error) {
	idx := -1
	for i, c := range k.algoList.list[1:] {
		if c.head() == "protected" {
			if idx >= 0 {
				return nil, ErrInvalid
			}
			idx = i + 1
		}
	}
	if idx < 0 {
		return nil, ErrInvalid
	}
	l := k.algoList.list[idx].list
	if len(l) != 4 || l[1].isList || !l[2].isList || l[3].isList {
		return nil, ErrInvalid
	}
	p := &protected{mode: string(l[1].atom), data: l[3].atom, element: idx}
	switch p.mode {
	case "openpgp-s2k3-ocb-aes", "openpgp-s2k3-sha1-aes-cbc", "openpgp-s2k3-sha1-aes256-cbc":
	default:
		return nil, ErrUnsupported
	}
	parms := l[2].list
	if len(parms) != 2 || !parms[0].isList || parms[1].isList {
		return nil, ErrInvalid
	}
	s := parms[0].list
	if len(s) != 3 || s[0].isList || string(s[0].atom) != "sha1" || s[1].isList || len(s[1].atom) != 8 || s[2].isList {
		return nil, ErrInvalid
	}
	p.salt = s[1].atom
	n, err := strconv.ParseUint(string(s[2].atom), 10, 32)
	if err != nil || n == 0 {
		return nil, ErrInvalid
	}
	// Counts below 256 are the one-octet encoding of RFC 4880 (older agents).
	if n < 256 {
		n = (16 + n&15) << ((n >> 4) + 6)
	}
	if n < 65536 {
		return nil, ErrInvalid
	}
	p.count = int(n)
	p.iv = parms[1].atom
	if p.mode == "openpgp-s2k3-ocb-aes" {
		if len(p.iv) != 12 || len(p.data) < 4+16 {
			return nil, ErrInvalid
		}
	} else if len(p.iv) != aes.BlockSize || len(p.data) < 4 || len(p.data)%aes.BlockSize != 0 {
		return nil, ErrInvalid
	}
	return p, nil
}

// secrets returns the secret parameters by name, decrypting them with
// passphrase for a protected key. A shadowed key has none.
func (k *Key) secrets(passphrase []byte) (map[string][]byte, error) {
	switch k.Protection {
	case Clear:
		return k.params(k.algoList.list[1:])
	case Shadowed:
		return nil, ErrUnsupported
	}
	p, err := k.protectedParts()
	if err != nil {
		return nil, err
	}
	if len(passphrase) == 0 {
		return nil, ErrBadPassphrase // gpg-agent refuses an empty passphrase here too
	}
	keyLen := 16
	if p.mode == "openpgp-s2k3-sha1-aes256-cbc" {
		keyLen = 32
	}
	key := make([]byte, keyLen)
	if keyLen <= sha1.Size {
		iteratedSHA1(key, passphrase, p.salt, p.count)
	} else {
		// AES-256 needs a second SHA-1 context (one zero octet first)
		s2k.Iterated(key, sha1.New(), passphrase, p.salt, p.count)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if p.mode == "openpgp-s2k3-ocb-aes" {
		return k.openOCB(block, p)
	}
	return k.openCBC(block, p)
}

// openOCB decrypts with AES-OCB (96-bit nonce, 128-bit tag). The
// associated data is the algorithm list in canonical form with the
// (protected …) list left out: the public parameters and the protected-at
// time are bound to the secret.
func (k *Key) openOCB(block cipher.Block, p *protected) (map[string][]byte, error) {
	aead, err := ocb.NewOCBWithNonceAndTagSize(block, 12, 16)
	if err != nil {
		return nil, err
	}
	without := &sexp{isList: true}
	for i, c := range k.algoList.list {
		if i != p.element {
			without.list = append(without.list, c)
		}
	}
	plain, err := aead.Open(nil, p.iv, p.data, without.canonical(nil))
	if err != nil {
		return nil, ErrBadPassphrase
	}
	inner, n, err := canonicalPrefix(plain)
	if err != nil || n != len(plain) {
		return nil, ErrInvalid
	}
	// ((PARAM …))
	if !inner.isList || len(inner.list) != 1 || !inner.list[0].isList {
		return nil, ErrInvalid
	}
	return k.params(inner.list[0].list)
}

// openCBC decrypts with AES-CBC; the plaintext is
// ((PARAM …)(hash sha1 MIC)) plus padding, where MIC is the SHA-1 of the
// unprotected algorithm list (protected-at included).
func (k *Key) openCBC(block cipher.Block, p *protected) (map[string][]byte, error) {
	plain := make([]byte, len(p.data))
	cipher.NewCBCDecrypter(block, p.iv).CryptBlocks(plain, p.data)
	if len(plain) < 2 || plain[0] != '(' || plain[1] != '(' {
		return nil, ErrBadPassphrase
	}
	inner, n, err := canonicalPrefix(plain)
	if err != nil || n+aes.BlockSize < len(plain) {
		return nil, ErrBadPassphrase
	}
	if !inner.isList || len(inner.list) != 2 || !inner.list[0].isList || inner.list[1].head() != "hash" {
		return nil, ErrBadPassphrase
	}
	h := inner.list[1].list
	if len(h) != 3 || h[1].isList || string(h[1].atom) != "sha1" || h[2].isList || len(h[2].atom) != sha1.Size {
		return nil, ErrBadPassphrase
	}
	mic := h[2].atom
	merged := &sexp{isList: true}
	for i, c := range k.algoList.list {
		if i == p.element {
			merged.list = append(merged.list, inner.list[0].list...)
			continue
		}
		merged.list = append(merged.list, c)
	}
	for _, c := range merged.list[1:] {
		// the MIC covers (name value) pairs only, as agent/protect.c's
		// calculate_mic requires
		if len(c.list) != 2 || c.list[1].isList {
			return nil, ErrInvalid
		}
	}
	sum := sha1.Sum(merged.canonical(nil))
	if subtle.ConstantTimeCompare(sum[:], mic) != 1 {
		return nil, ErrBadPassphrase
	}
	return k.params(inner.list[0].list)
}

// params collects (name value) pairs, requiring every secret parameter of
// the algorithm exactly once.
func (k *Key) params(list []*sexp) (map[string][]byte, error) {
	m := map[string][]byte{}
	for _, c := range list {
		if !c.isList || len(c.list) != 2 || c.list[0].isList || c.list[1].isList {
			continue // (curve …)(flags …) lists and the like
		}
		name := string(c.list[0].atom)
		if _, dup := m[name]; dup {
			return nil, ErrInvalid
		}
		m[name] = c.list[1].atom
	}
	for _, name := range secretParams[k.Algo] {
		if len(bytes.TrimLeft(m[name], "\x00")) == 0 {
			return nil, ErrInvalid
		}
	}
	return m, nil
}
