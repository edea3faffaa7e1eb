package dnsrec

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

func TestPKA(t *testing.T) {
	// gpg's PKA name for the local part "zed.q" (the user ID's mailbox,
	// lower-cased): the WKD hash.
	var b bytes.Buffer
	if err := Write(&b, bytes.Repeat([]byte{0x42}, 20), []UserID{{"Zed <Zed.Q@Example.ORG>", "Zed <Zed.Q@Example.ORG>"}}, nil, true, false); err != nil {
		t.Fatal(err)
	}
	want := "$ORIGIN _pka.example.org.\n; 4242424242424242424242424242424242424242\n; Zed <Zed.Q@Example.ORG>\n" +
		"huofy5tgd6351ya3hz19ugdmykwpu1ck TYPE37 \\# 26 0006 0000 00 14 4242424242424242424242424242424242424242\n\n"
	if b.String() != want {
		t.Errorf("PKA record:\n%s\nwant\n%s", b.String(), want)
	}
}

func TestDANE(t *testing.T) {
	fpr := bytes.Repeat([]byte{0xab}, 20)
	uids := []UserID{{"noaddr", "noaddr"}, {"Alice <alice@example.org>", "Alice <alice@example.org>"}}
	for n, lines := range map[int][]string{
		3:  {"\t010203"},
		32: {"\t" + strings.Repeat("01", 32), "\t"}, // gpg's loop ends with an empty line
		33: {"\t" + strings.Repeat("01", 32), "\t01"},
	} {
		data := bytes.Repeat([]byte{1}, n)
		if n == 3 {
			data = []byte{1, 2, 3}
		}
		var b bytes.Buffer
		if err := Write(&b, fpr, uids, data, false, true); err != nil {
			t.Fatal(err)
		}
		want := "$ORIGIN _openpgpkey.example.org.\n; ABABABABABABABABABABABABABABABABABABABAB\n; Alice <alice@example.org>\n" +
			"2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db TYPE61 \\# " + strconv.Itoa(n) + " (\n" +
			strings.Join(lines, "\n") + "\n\t)\n\n"
		if b.String() != want {
			t.Errorf("%d bytes:\n%q\nwant\n%q", n, b.String(), want)
		}
	}
}
