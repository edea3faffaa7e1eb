// Package tlv reads and writes the BER-TLV subset that ISO 7816-4 and the
// OpenPGP card specification use: tags of one or two bytes (two when the low
// five bits of the first byte are all set), definite lengths of up to three
// bytes (00–7F, 81 xx, 82 xx xx), constructed data objects when bit 0x20 of
// the first tag byte is set.
//
// Everything a card sends is untrusted: Parse never reads past its input,
// refuses lengths beyond MaxLen and nesting beyond MaxDepth, and returns an
// error instead of a partial result.
package tlv

import (
	"errors"
	"fmt"
)

// MaxLen bounds one value. The largest thing an OpenPGP card returns is a
// cardholder certificate or an RSA 4096 public key, both well below this.
const MaxLen = 0xFFFF

// MaxDepth bounds nesting. OpenPGP card templates nest at most three deep
// (6E → 73 → C5, 7F49 → 86).
const MaxDepth = 8

// MaxObjects bounds the number of objects in one Parse, over all levels.
const MaxObjects = 4096

// Object is one data object. Children is set for constructed tags (and only
// then); Value always holds the raw value bytes, sharing the input's memory.
type Object struct {
	Tag      uint16
	Value    []byte
	Children []Object
}

// Constructed reports whether bit 0x20 of the first tag byte is set.
func Constructed(tag uint16) bool {
	if tag > 0xFF {
		return tag>>8&0x20 != 0
	}
	return tag&0x20 != 0
}

// ErrMalformed is wrapped by every parse error.
var ErrMalformed = errors.New("tlv: malformed data object")

// Parse reads a sequence of data objects that must fill b exactly.
// Padding bytes 00 and FF between objects (ISO 7816-4 5.2.2) are not
// accepted: no OpenPGP card sends them.
func Parse(b []byte) ([]Object, error) {
	n := 0
	return parse(b, 0, &n)
}

func parse(b []byte, depth int, count *int) ([]Object, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("%w: nested deeper than %d", ErrMalformed, MaxDepth)
	}
	var objs []Object
	for len(b) > 0 {
		*count++
		if *count > MaxObjects {
			return nil, fmt.Errorf("%w: more than %d objects", ErrMalformed, MaxObjects)
		}
		tag, value, rest, err := next(b)
		if err != nil {
			return nil, err
		}
		o := Object{Tag: tag, Value: value}
		if Constructed(tag) {
			if o.Children, err = parse(value, depth+1, count); err != nil {
				return nil, err
			}
		}
		objs = append(objs, o)
		b = rest
	}
	return objs, nil
}

// next splits the first data object off b.
func next(b []byte) (tag uint16, value, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, fmt.Errorf("%w: truncated tag", ErrMalformed)
	}
	tag = uint16(b[0])
	b = b[1:]
	if tag&0x1F == 0x1F {
		// Two-byte tag; a third byte (bit 0x80 set in the second) is not
		// used by any OpenPGP card DO.
		if b[0]&0x80 != 0 {
			return 0, nil, nil, fmt.Errorf("%w: tag longer than two bytes", ErrMalformed)
		}
		tag = tag<<8 | uint16(b[0])
		b = b[1:]
	}
	if len(b) < 1 {
		return 0, nil, nil, fmt.Errorf("%w: truncated length", ErrMalformed)
	}
	l := int(b[0])
	b = b[1:]
	switch {
	case l < 0x80:
	case l == 0x81 && len(b) >= 1:
		l = int(b[0])
		b = b[1:]
	case l == 0x82 && len(b) >= 2:
		l = int(b[0])<<8 | int(b[1])
		b = b[2:]
	default:
		return 0, nil, nil, fmt.Errorf("%w: bad length byte", ErrMalformed)
	}
	if l > MaxLen || l > len(b) {
		return 0, nil, nil, fmt.Errorf("%w: tag %X: length %d exceeds the %d bytes left", ErrMalformed, tag, l, len(b))
	}
	return tag, b[:l:l], b[l:], nil
}

// Find returns the first object with the given tag, searching depth first
// through constructed objects.
func Find(objs []Object, tag uint16) (Object, bool) {
	for _, o := range objs {
		if o.Tag == tag {
			return o, true
		}
		if found, ok := Find(o.Children, tag); ok {
			return found, true
		}
	}
	return Object{}, false
}

// Append appends the encoding of one data object. It panics on a value
// longer than MaxLen: callers build values themselves and must know.
func Append(dst []byte, tag uint16, value []byte) []byte {
	return append(AppendHeader(dst, tag, len(value)), value...)
}

// AppendHeader appends a tag and the BER length n without a value: the
// form of an extended header list (7F48), and the start of Append. It
// panics on n > MaxLen, as Append does.
func AppendHeader(dst []byte, tag uint16, n int) []byte {
	if tag > 0xFF {
		dst = append(dst, byte(tag>>8))
	}
	dst = append(dst, byte(tag))
	switch {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n <= 0xFF:
		dst = append(dst, 0x81, byte(n))
	case n <= MaxLen:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	default:
		panic("tlv: value too long")
	}
	return dst
}

// Encode is Append to a new slice.
func Encode(tag uint16, value []byte) []byte { return Append(nil, tag, value) }
