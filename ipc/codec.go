package ipc

import (
	"encoding/binary"
	"errors"
)

// The payload codec is positional: each message writes its fields in a fixed
// order as u64 integers or u32-length-prefixed byte strings. Decoding takes a
// per-field maximum so a length can never exceed what the field may hold.

// ErrMalformed is returned for any payload that does not decode exactly.
var ErrMalformed = errors.New("ipc: malformed payload")

type encoder struct{ b []byte }

func (e *encoder) uint(v uint64) { e.b = binary.BigEndian.AppendUint64(e.b, v) }
func (e *encoder) bool(v bool) {
	if v {
		e.uint(1)
	} else {
		e.uint(0)
	}
}
func (e *encoder) bytes(v []byte) {
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(len(v)))
	e.b = append(e.b, v...)
}
func (e *encoder) string(v string) { e.bytes([]byte(v)) }

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uint() uint64 {
	if d.err != nil || len(d.b) < 8 {
		d.err = ErrMalformed
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) bool() bool {
	switch d.uint() {
	case 0:
		return false
	case 1:
		return true
	}
	d.err = ErrMalformed
	return false
}

// bytes returns a copy, so decoded messages never alias the frame buffer.
func (d *decoder) bytes(max int) []byte {
	if d.err != nil || len(d.b) < 4 {
		d.err = ErrMalformed
		return nil
	}
	n := binary.BigEndian.Uint32(d.b)
	if int64(n) > int64(max) || int64(n) > int64(len(d.b)-4) {
		d.err = ErrMalformed
		return nil
	}
	v := append([]byte(nil), d.b[4:4+n]...)
	d.b = d.b[4+n:]
	return v
}

func (d *decoder) string(max int) string { return string(d.bytes(max)) }

// count reads a list length bounded by max.
func (d *decoder) count(max int) int {
	n := d.uint()
	if n > uint64(max) {
		d.err = ErrMalformed
		return 0
	}
	return int(n)
}

// done reports an error unless every byte was consumed.
func (d *decoder) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = ErrMalformed
	}
	return d.err
}
