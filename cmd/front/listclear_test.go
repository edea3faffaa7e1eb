package main

import (
	"bytes"
	"testing"
)

func TestCleartextHashes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []byte
	}{
		{"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\ntext\n", []byte{8}},
		{"junk\n-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA512, SHA256\nHash: SHA1\n\n", []byte{2, 8, 10}},
		{"-----BEGIN PGP SIGNED MESSAGE-----\n\ntext\n", []byte{2}},
		{"-----BEGIN PGP MESSAGE-----\n\n", nil},
		{"no armor\n", nil},
	} {
		if got := cleartextHashes([]byte(c.in)); !bytes.Equal(got, c.want) {
			t.Errorf("cleartextHashes(%q) = %v, want %v", c.in, got, c.want)
		}
	}
	var b bytes.Buffer
	listClearsigned(&b, []byte{8})
	want := "# off=0 ctb=ff tag=63 hlen=2 plen=19 new-ctb\n:packet 63: length 19 - gpg control packet# off=21 ctb=cb tag=11 hlen=2 plen=0 partial new-ctb\n:literal data packet:\n\tmode t (74), created 0, name=\"\",\n\traw data: unknown length\n"
	if b.String() != want {
		t.Errorf("listClearsigned:\n%s\nwant\n%s", b.String(), want)
	}
}
