package dump

import "testing"

func TestTrust(t *testing.T) {
	// Expected lines are gpg 2.2.40's for the same bodies.
	for _, c := range []struct {
		body string
		want string
	}{
		{"", ":trust packet: empty"},
		{"\x05", ":trust packet: sig flag=05 sigcache=00"},
		{"\x07\x83", ":trust packet: sig flag=07 sigcache=00"},
		{"\x00\x83", ":trust packet: sig flag=00 sigcache=00"},
		{"\x00\x01\x02", ":trust packet: sig flag=00 sigcache=01"},
		{"\x00\x03gpg\x00", ":trust packet: sig flag=00 sigcache=03"},
		{"\x00\x01XXX\x00", ":trust packet: sig flag=00 sigcache=01"},
		{"\x01\x00gpg\x02\x07\x12\x34\x56\x78\x03a\xffb", ":trust packet: uid upd=305419896 src=7 url=a\\xffb"},
		{"\x00\x00gpg\x01", ":trust packet: key upd=0 src=0"},
		{"\x00\x00gpg\x05", ":trust packet: subtype=05"},
		{"\x00\x03gpg\x01\x01\x00\x00\x00\x09\x00", ":trust packet: key upd=9 src=1"},
		{"\x00\x03gpg\x01\x01\x00\x00\x00\x09", ":trust packet: key upd=0 src=0"},
		{"\x00\x03gpg\x01\x01\x00\x00\x00\x09\x05A", ":trust packet: key upd=9 src=1 url=A"},
		{"\x00\x03gpg\x01\x01\x00\x00\x00\x09\x05\x00A", ":trust packet: key upd=9 src=1 url="},
	} {
		if got := Trust([]byte(c.body)); got != c.want {
			t.Errorf("Trust(%q) = %q, want %q", c.body, got, c.want)
		}
	}
}
