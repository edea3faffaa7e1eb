package pgp

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// Unusable input is classified the way gpg's NODATA/UNEXPECTED lines need.
func TestInputClassification(t *testing.T) {
	if _, err := ReadSigned(bytes.NewReader(nil), io.Discard, nil, ReadOptions{}); !errors.Is(err, ErrNoData) {
		t.Errorf("empty input: %v, want ErrNoData", err)
	}
	// a signature packet header promising 0x88 bytes, truncated
	trunc := []byte{0x88, 0x88, 0x04, 0x00, 0x16}
	if _, err := ReadSigned(bytes.NewReader(trunc), io.Discard, nil, ReadOptions{}); !errors.Is(err, ErrInvalidPacket) {
		t.Errorf("truncated packet: %v, want ErrInvalidPacket", err)
	}
	if _, err := readSignatures(bytes.NewReader(trunc)); !errors.Is(err, ErrInvalidPacket) {
		t.Errorf("truncated signature: %v, want ErrInvalidPacket", err)
	}
	if _, err := ReadEnvelope(bytes.NewReader(nil)); !errors.Is(err, ErrNoData) {
		t.Errorf("empty envelope: %v, want ErrNoData", err)
	}
	if _, err := DecodeArmor(bytes.NewReader([]byte("no armor here\n"))); !errors.Is(err, ErrNoArmor) {
		t.Errorf("text: %v, want ErrNoArmor", err)
	}
}

func TestWantsDearmor(t *testing.T) {
	for _, c := range []struct {
		head []byte
		want bool
	}{
		{nil, false},
		{[]byte{0x88}, false},
		{[]byte("-----BEGIN"), true},
		{[]byte("text"), true},
		{[]byte{0x88, 0x88}, false}, // old-format signature
		{[]byte{0x8b, 0x00}, true},  // old-format signature, indeterminate length
		{[]byte{0xc2, 0xe1}, true},  // new-format signature, partial length
		{[]byte{0xcb, 0xe1}, false}, // literal data, partial length
		{[]byte{0xc0 | 40, 0x01}, true},
	} {
		if got := WantsDearmor(c.head); got != c.want {
			t.Errorf("WantsDearmor(%x) = %v, want %v", c.head, got, c.want)
		}
	}
}
