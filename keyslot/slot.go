package keyslot

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Ops is the set of operations a token allows.
type Ops uint8

const (
	OpSign    Ops = 1
	OpDecrypt Ops = 2
	allOps        = OpSign | OpDecrypt
)

var opNames = []struct {
	op   Ops
	name string
}{{OpSign, "sign"}, {OpDecrypt, "decrypt"}}

// Valid reports a non-empty set of known operations.
func (o Ops) Valid() bool { return o != 0 && o&^allOps == 0 }

// String is the comma-separated list ParseOps reads.
func (o Ops) String() string {
	var names []string
	for _, n := range opNames {
		if o&n.op != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ",")
}

// ParseOps reads "sign", "decrypt" or both, comma-separated.
func ParseOps(s string) (Ops, error) {
	var o Ops
	for _, w := range strings.Split(s, ",") {
		found := false
		for _, n := range opNames {
			if strings.TrimSpace(w) == n.name {
				o |= n.op
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown token operation %q (sign, decrypt)", w)
		}
	}
	return o, nil
}

// MaxApp bounds an application name.
const MaxApp = 64

// ValidApp reports whether name may name an application: 1 to 64 of
// A-Z a-z 0-9 . _ - + @. No spaces or control characters, so a name can
// never break a line of the use log or of a listing.
func ValidApp(name string) bool {
	if len(name) == 0 || len(name) > MaxApp {
		return false
	}
	for _, c := range []byte(name) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._-+@", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// Meta is a keyslot's public metadata. It is authenticated (the AEAD's
// associated data) but not secret: keyhelper lists it without the token.
type Meta struct {
	ID      ID
	Primary []byte // the key's primary fingerprint (20 or 32 bytes)
	App     string
	Ops     Ops
	Created int64 // unix seconds
	Expires int64 // unix seconds; 0: never
}

// Check validates every field.
func (m *Meta) Check() error {
	switch {
	case len(m.Primary) != 20 && len(m.Primary) != 32:
		return errors.New("keyslot: bad fingerprint")
	case !ValidApp(m.App):
		return errors.New("keyslot: bad application name")
	case !m.Ops.Valid():
		return errors.New("keyslot: bad operations")
	case m.Created < 0 || m.Expires < 0:
		return errors.New("keyslot: bad time")
	}
	return nil
}

// Expired reports whether the token may no longer be used at now.
func (m *Meta) Expired(now time.Time) bool { return m.Expires != 0 && now.Unix() >= m.Expires }

// Pepper is a keyslot's second secret, kept in the store's index, never in
// the keyslot file. Alone it opens nothing; deleting it kills the keyslot.
type Pepper [32]byte

// NewPepper makes a random pepper.
func NewPepper() (Pepper, error) {
	var p Pepper
	_, err := rand.Read(p[:])
	return p, err
}

// Slot is one keyslot file: metadata and the sealed secret key material.
type Slot struct {
	Meta
	nonce  [nonceSize]byte
	sealed []byte
}

const (
	slotMagic = "FPKSLOT1"
	nonceSize = 12
	// MaxSealed bounds the sealed material: the secret (sub)key packets of
	// one key (an RSA-4096 secret key packet is under 3 KiB).
	MaxSealed = 256 << 10
	// MaxSlotFile bounds a keyslot file.
	MaxSlotFile = len(slotMagic) + IDSize + 1 + 32 + 1 + 8 + 8 + 1 + MaxApp + nonceSize + 4 + MaxSealed
)

// slotKey derives the AEAD key. HKDF, not a slow password KDF: the token
// has 160 bits from crypto/rand and the pepper 256, so there is nothing to
// guess and stretching would only slow every signing. The pepper is the
// salt, so every keyslot has its own key and its single encryption may use
// a random nonce without any reuse concern.
func slotKey(s Secret, p Pepper) cipher.AEAD {
	k, err := hkdf.Key(sha256.New, s[:], p[:], "frontpgp keyslot v1", 32)
	if err != nil {
		panic(err)
	}
	b, err := aes.NewCipher(k)
	if err != nil {
		panic(err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return g
}

// header is the keyslot file up to and including the nonce: the AEAD's
// associated data, so no metadata can be changed without the token.
func (s *Slot) header() []byte {
	b := []byte(slotMagic)
	b = append(b, s.ID[:]...)
	b = append(b, byte(len(s.Primary)))
	b = append(b, s.Primary...)
	b = append(b, byte(s.Ops))
	b = binary.BigEndian.AppendUint64(b, uint64(s.Created))
	b = binary.BigEndian.AppendUint64(b, uint64(s.Expires))
	b = append(b, byte(len(s.App)))
	b = append(b, s.App...)
	return append(b, s.nonce[:]...)
}

// Seal wraps plaintext for the token secret; m.ID is set from it.
func Seal(m Meta, secret Secret, pepper Pepper, plaintext []byte) (*Slot, error) {
	m.ID = secret.ID()
	if err := m.Check(); err != nil {
		return nil, err
	}
	if len(plaintext) > MaxSealed-16 {
		return nil, errors.New("keyslot: secret material too large")
	}
	s := &Slot{Meta: m}
	if _, err := rand.Read(s.nonce[:]); err != nil {
		return nil, err
	}
	s.sealed = slotKey(secret, pepper).Seal(nil, s.nonce[:], plaintext, s.header())
	return s, nil
}

// ErrOpen is any failure to open a keyslot: wrong token, wrong or missing
// pepper, or a changed file. It says no more, on purpose.
var ErrOpen = errors.New("keyslot: cannot be opened with this token")

// Open unwraps the material. The caller checks scope and expiry first.
func (s *Slot) Open(secret Secret, pepper Pepper) ([]byte, error) {
	if secret.ID() != s.ID {
		return nil, ErrOpen
	}
	pt, err := slotKey(secret, pepper).Open(nil, s.nonce[:], s.sealed, s.header())
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// Marshal is the keyslot file.
func (s *Slot) Marshal() []byte {
	b := s.header()
	b = binary.BigEndian.AppendUint32(b, uint32(len(s.sealed)))
	return append(b, s.sealed...)
}

// ErrFormat is a keyslot or index file that does not parse exactly.
var ErrFormat = errors.New("keyslot: malformed file")

// reader takes fixed-size fields off a byte slice; any short read sets bad.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) take(n int) []byte {
	if r.bad || n < 0 || len(r.b) < n {
		r.bad = true
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte {
	if v := r.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) u64() uint64 {
	if v := r.take(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// ParseSlot reads a keyslot file: every field checked, no trailing bytes.
func ParseSlot(b []byte) (*Slot, error) {
	if len(b) > MaxSlotFile {
		return nil, ErrFormat
	}
	r := &reader{b: b}
	if string(r.take(len(slotMagic))) != slotMagic {
		return nil, ErrFormat
	}
	s := &Slot{}
	copy(s.ID[:], r.take(IDSize))
	s.Primary = append([]byte(nil), r.take(int(r.byte()))...)
	s.Ops = Ops(r.byte())
	created, expires := r.u64(), r.u64()
	s.Created, s.Expires = int64(created), int64(expires)
	s.App = string(r.take(int(r.byte())))
	copy(s.nonce[:], r.take(nonceSize))
	n := r.take(4)
	if r.bad || created > 1<<63-1 || expires > 1<<63-1 {
		return nil, ErrFormat
	}
	size := binary.BigEndian.Uint32(n)
	if size > MaxSealed || int(size) != len(r.b) {
		return nil, ErrFormat
	}
	s.sealed = append([]byte(nil), r.b...)
	if s.Check() != nil {
		return nil, ErrFormat
	}
	return s, nil
}
