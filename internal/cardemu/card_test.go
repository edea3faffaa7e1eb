package cardemu

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/frontpgp/front/card/tlv"
)

// run sends one hex APDU and returns data and SW.
func run(t *testing.T, c *Card, h string, data ...byte) ([]byte, uint16) {
	t.Helper()
	b, err := hex.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	if data != nil {
		b = append(append(b, byte(len(data))), data...)
	}
	r, _ := c.Transmit(b)
	return r[:len(r)-2], uint16(r[len(r)-2])<<8 | uint16(r[len(r)-1])
}

func mustSW(t *testing.T, got, want uint16) {
	t.Helper()
	if got != want {
		t.Fatalf("SW %04X, want %04X", got, want)
	}
}

const selectHex = "00A4040006D27600012401"

func TestSelectAndDecoy(t *testing.T) {
	c := New(Options{Serial: 1, Decoy: true})
	_, sw := run(t, c, "00CA006E00")
	mustSW(t, sw, swINSUnsupported) // the decoy is selected at power-on
	_, sw = run(t, c, selectHex)
	mustSW(t, sw, swOK)
	_, sw = run(t, c, "00200081", []byte(DefaultPW1)...)
	mustSW(t, sw, swOK)
	_, sw = run(t, c, "00A40400", DecoyAID...)
	mustSW(t, sw, swOK)
	_, sw = run(t, c, selectHex)
	mustSW(t, sw, swOK)
	_, sw = run(t, c, "00200081")
	mustSW(t, sw, 0x63C3) // switching applets lost the PIN state
	_, sw = run(t, c, "00A4040005D276000199")
	mustSW(t, sw, swNotFound)
}

// TestSelectData: SELECT DATA picks the 7F21 occurrence that PUT DATA and
// GET DATA use; a reset goes back to occurrence 0.
func TestSelectData(t *testing.T) {
	c := New(Options{})
	run(t, c, selectHex)
	_, sw := run(t, c, "00200083", []byte(DefaultPW3)...)
	mustSW(t, sw, swOK)
	ref := []byte{0x60, 0x04, 0x5C, 0x02, 0x7F, 0x21}
	for occ, cert := range []string{"zero", "one", "two"} {
		_, sw = run(t, c, fmt.Sprintf("00A5%02X04", occ), ref...)
		mustSW(t, sw, swOK)
		_, sw = run(t, c, "00DA7F21", []byte(cert)...)
		mustSW(t, sw, swOK)
	}
	_, sw = run(t, c, "00A50104", ref...)
	mustSW(t, sw, swOK)
	got, sw := run(t, c, "00CA7F2100")
	mustSW(t, sw, swOK)
	if !bytes.Equal(got, tlv.Encode(0x7F21, []byte("one"))) {
		t.Fatalf("occurrence 1: % X", got)
	}
	c.Reset()
	run(t, c, selectHex)
	if got, _ = run(t, c, "00CA7F2100"); !bytes.Equal(got, tlv.Encode(0x7F21, []byte("zero"))) {
		t.Fatalf("after a reset: % X", got)
	}
	_, sw = run(t, c, "00A50304", ref...)
	mustSW(t, sw, swWrongP1P2)
	_, sw = run(t, c, "00A50004", 0x60, 0x03, 0x5C, 0x01, 0x5E)
	mustSW(t, sw, swRefNotFound)
	_, sw = run(t, c, "00A50004", 0x5C, 0x02, 0x7F, 0x21)
	mustSW(t, sw, swWrongData)
}

func TestVerifyRules(t *testing.T) {
	c := New(Options{})
	run(t, c, selectHex)
	_, sw := run(t, c, "00200081")
	mustSW(t, sw, 0x63C3)
	_, sw = run(t, c, "00200081", []byte("654321")...)
	mustSW(t, sw, 0x63C2)
	_, sw = run(t, c, "00200081")
	mustSW(t, sw, 0x63C2) // the status form uses no try
	_, sw = run(t, c, "00200081", []byte(DefaultPW1)...)
	mustSW(t, sw, swOK)
	_, sw = run(t, c, "00200081")
	mustSW(t, sw, swOK)
	_, sw = run(t, c, "0020FF81")
	mustSW(t, sw, swOK)
	_, sw = run(t, c, "00200081")
	mustSW(t, sw, 0x63C3)
	for _, want := range []uint16{0x63C2, 0x63C1, swBlocked, swBlocked} {
		_, sw = run(t, c, "00200082", []byte("000000")...)
		mustSW(t, sw, want)
	}
	_, sw = run(t, c, "00200081", []byte(DefaultPW1)...)
	mustSW(t, sw, swBlocked) // a blocked PIN is not even compared
	if c.Tries() != [3]int{0, 0, 3} {
		t.Fatalf("tries %v", c.Tries())
	}
	// Unblock with PW3, then change PW1.
	run(t, c, "00200083", []byte(DefaultPW3)...)
	_, sw = run(t, c, "002C0281", []byte("abcdef")...)
	mustSW(t, sw, swOK)
	_, sw = run(t, c, "00240081", []byte("abcdef"+"1234567")...)
	mustSW(t, sw, swOK)
	_, sw = run(t, c, "00200082", []byte("1234567")...)
	mustSW(t, sw, swOK)
	_, sw = run(t, c, "00240081", []byte("xxxxxxx"+"123")...)
	mustSW(t, sw, 0x63C2)
}

func TestGenerateSignChainingGetResponse(t *testing.T) {
	c := New(Options{ShortOnly: true})
	run(t, c, selectHex)
	_, sw := run(t, c, "00478000", 0xB6, 0x00)
	mustSW(t, sw, swSecurityStatus)
	run(t, c, "00200083", []byte(DefaultPW3)...)
	pubDO, sw := run(t, c, "00478000", 0xB6, 0x00)
	mustSW(t, sw, swOK)
	objs, err := tlv.Parse(pubDO)
	if err != nil {
		t.Fatal(err)
	}
	point, ok := tlv.Find(objs, 0x86)
	if !ok || len(point.Value) != 32 {
		t.Fatalf("public key DO %X", pubDO)
	}
	again, _ := run(t, c, "00478100", 0xB6, 0x00)
	if !bytes.Equal(again, pubDO) {
		t.Fatal("reading the public key gave another key")
	}

	// A signature with the digest sent in two chained blocks.
	digest := bytes.Repeat([]byte{7}, 32)
	run(t, c, "00200081", []byte(DefaultPW1)...)
	_, sw = run(t, c, "102A9E9A", digest[:10]...)
	mustSW(t, sw, swOK)
	sig, sw := run(t, c, "002A9E9A", digest[10:]...)
	mustSW(t, sw, swOK)
	if !ed25519.Verify(point.Value, digest, sig) {
		t.Fatal("signature does not verify")
	}
	// Forced signature PIN: the second signature needs a new VERIFY.
	_, sw = run(t, c, "002A9E9A", digest...)
	mustSW(t, sw, swSecurityStatus)
	if c.SignatureCount() != 1 {
		t.Fatalf("counter %d", c.SignatureCount())
	}

	// Extended APDUs are refused in short-only mode; long responses come
	// in 61xx pieces.
	_, sw = run(t, c, "00CA006E000000")
	mustSW(t, sw, swWrongLength)
	url := bytes.Repeat([]byte("https://example.org/"), 10)
	run(t, c, "00DA5F50", url...)
	first, sw := run(t, c, "00CA5F5010")
	mustSW(t, sw, 0x61B8)
	rest, sw := run(t, c, "00C00000B8")
	mustSW(t, sw, swOK)
	if got := append(first, rest...); !bytes.Equal(got, url) {
		t.Fatalf("URL read back as %q", got)
	}
}

func FuzzTransmit(f *testing.F) {
	f.Add([]byte{0x00, 0xA4, 0x04, 0x00, 0x06, 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01})
	f.Add([]byte{0x00, 0xCA, 0x00, 0x6E, 0x00, 0x00, 0x00})
	f.Add([]byte{0x10, 0x2A, 0x9E, 0x9A, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1 && b[1] == 0x47 {
			// GENERATE makes an RSA key: seconds per input, which ends a
			// short fuzz run with "context deadline exceeded"; the
			// generation is tested on its own
			t.Skip()
		}
		c := New(Options{})
		c.Transmit([]byte{0x00, 0xA4, 0x04, 0x00, 0x06, 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01})
		if r, _ := c.Transmit(b); len(r) < 2 {
			t.Fatalf("response %X has no status word", r)
		}
	})
}
