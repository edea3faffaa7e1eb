package store

import (
	"hash/crc32"
	"testing"
)

// The index checksum is CRC-32C: the same as hash/crc32's Castagnoli table,
// also when computed in two parts as checksum does.
func TestCRC32C(t *testing.T) {
	tab := crc32.MakeTable(crc32.Castagnoli)
	b := make([]byte, 9000)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	for _, n := range []int{0, 1, 9, 100, 9000} {
		if got, want := crc32c(0, b[:n]), crc32.Checksum(b[:n], tab); got != want {
			t.Errorf("crc32c of %d bytes = %08x, want %08x", n, got, want)
		}
		if got, want := crc32c(crc32c(0, b[:n/2]), b[n/2:n]), crc32.Checksum(b[:n], tab); got != want {
			t.Errorf("crc32c of %d bytes in two parts = %08x, want %08x", n, got, want)
		}
	}
}
