// Package cardkey is the format in which keyhelper hands an unlocked
// secret key to cardhelper for keytocard, over a pipe front created and
// never reads (front closes both ends once the helpers have them).
//
// The format is fixed and parsed exactly:
//
//	"FCK1" ‖ algo(1)
//	RSA (algo 1): n ‖ e ‖ p ‖ q, each a big-endian integer as len(2) ‖ bytes
//	ECC (algo 2): len(1) ‖ curve OID (without DER tag) ‖ len(2) ‖ private value
//
// Integers have no leading zero byte and are never empty. The whole
// message is at most MaxSize bytes; anything else (trailing bytes, a
// short field, an unknown algorithm) is refused.
package cardkey

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/big"
)

// Algorithms.
const (
	RSA byte = 1
	ECC byte = 2
)

// Limits: RSA 4096 (512-byte modulus), curves up to P-521 (66 bytes).
const (
	MaxSize     = 4096
	maxRSAPart  = 512
	maxOID      = 16
	maxECCValue = 66
)

var magic = []byte("FCK1")

// ErrMalformed is any message that is not exactly the format.
var ErrMalformed = errors.New("cardkey: malformed secret key message")

// Key is one secret key as a card imports it. For ECC, D is the private
// value as OpenPGP stores it: the Ed25519 seed, or the big-endian scalar
// (Curve25519's native little-endian scalar reversed), as gpg sends it.
type Key struct {
	Algo       byte
	N, E, P, Q []byte
	OID, D     []byte
}

// Wipe clears the secret parts.
func (k *Key) Wipe() {
	clear(k.P)
	clear(k.Q)
	clear(k.D)
}

// Marshal encodes k; integers are written without leading zeros.
func (k *Key) Marshal() ([]byte, error) {
	out := append(append([]byte{}, magic...), k.Algo)
	put := func(v []byte, max int) error {
		v = bytes.TrimLeft(v, "\x00")
		if len(v) == 0 || len(v) > max {
			return ErrMalformed
		}
		out = binary.BigEndian.AppendUint16(out, uint16(len(v)))
		out = append(out, v...)
		return nil
	}
	switch k.Algo {
	case RSA:
		for _, v := range [][]byte{k.N, k.E, k.P, k.Q} {
			if err := put(v, maxRSAPart); err != nil {
				return nil, err
			}
		}
	case ECC:
		if len(k.OID) == 0 || len(k.OID) > maxOID {
			return nil, ErrMalformed
		}
		out = append(out, byte(len(k.OID)))
		out = append(out, k.OID...)
		if err := put(k.D, maxECCValue); err != nil {
			return nil, err
		}
	default:
		return nil, ErrMalformed
	}
	return out, nil
}

// Parse decodes one message; the returned key shares no memory with b.
func Parse(b []byte) (*Key, error) {
	if len(b) > MaxSize || len(b) < len(magic)+1 || !bytes.Equal(b[:len(magic)], magic) {
		return nil, ErrMalformed
	}
	k := &Key{Algo: b[len(magic)]}
	rest := b[len(magic)+1:]
	part := func(max int) []byte {
		if rest == nil || len(rest) < 2 {
			rest = nil
			return nil
		}
		n := int(binary.BigEndian.Uint16(rest))
		if n == 0 || n > max || len(rest) < 2+n || rest[2] == 0 {
			rest = nil
			return nil
		}
		v := bytes.Clone(rest[2 : 2+n])
		rest = rest[2+n:]
		return v
	}
	switch k.Algo {
	case RSA:
		k.N, k.E, k.P, k.Q = part(maxRSAPart), part(maxRSAPart), part(maxRSAPart), part(maxRSAPart)
	case ECC:
		if len(rest) < 1 || rest[0] == 0 || int(rest[0]) > maxOID || len(rest) < 1+int(rest[0]) {
			return nil, ErrMalformed
		}
		k.OID = bytes.Clone(rest[1 : 1+rest[0]])
		rest = rest[1+rest[0]:]
		k.D = part(maxECCValue)
	default:
		return nil, ErrMalformed
	}
	if rest == nil || len(rest) != 0 {
		k.Wipe()
		return nil, ErrMalformed
	}
	if k.Algo == RSA && !rsaConsistent(k) {
		k.Wipe()
		return nil, ErrMalformed
	}
	return k, nil
}

// rsaConsistent checks n = p·q, so a card never gets half of another key.
func rsaConsistent(k *Key) bool {
	n := new(big.Int).Mul(new(big.Int).SetBytes(k.P), new(big.Int).SetBytes(k.Q))
	return n.Cmp(new(big.Int).SetBytes(k.N)) == 0
}

// Read reads one message from r up to EOF (at most MaxSize bytes) and
// parses it; the buffer is wiped.
func Read(r io.Reader) (*Key, error) {
	buf := make([]byte, MaxSize+1)
	defer clear(buf)
	n, err := io.ReadFull(r, buf)
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF:
	case err != nil:
		return nil, err
	default: // MaxSize+1 bytes: too long
		return nil, ErrMalformed
	}
	return Parse(buf[:n])
}
