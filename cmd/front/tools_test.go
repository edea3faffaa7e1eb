package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"math/rand"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Expected strings below were produced by gpg 2.2.40 (--print-md,
// --enarmor) on the same inputs.

func TestWriteHexLayoutAsGpg(t *testing.T) {
	sum := func(m mdAlgo) []byte { h := m.new(); h.Write([]byte("hello\n")); return h.Sum(nil) }
	md5A, _ := mdAlgoByName("md5")
	sha1A, _ := mdAlgoByName("sha1")
	sha256A, _ := mdAlgoByName("sha256")
	sha512A, _ := mdAlgoByName("sha512")
	cases := []struct {
		name, label string
		sum         []byte
		want        string
	}{
		{"f", "", sum(sha256A), "f: 5891B5B5 22D5DF08 6D0FF0B1 10FBD9D2 1BB4FC71 63AF34D0 8286A2E8 46F6BE03\n"},
		{"f", md5A.label, sum(md5A), "f:    MD5 = B1 94 6A C9 24 92 D2 34  7C 62 35 B4 D2 61 11 84\n"},
		{"f", sha1A.label, sum(sha1A), "f:   SHA1 = F572 D396 FAE9 2066 2871  4FB2 CE00 F72E 94F2 258F\n"},
		{"f", sha256A.label, sum(sha256A), "f: SHA256 = 5891B5B5 22D5DF08 6D0FF0B1 10FBD9D2 1BB4FC71 63AF34D0 8286A2E8\n            46F6BE03\n"},
		{"f", "", sum(sha512A), "f: E7C22B99 4C59D9CF 2B48E549 B1E24666 63604593 0D3DA7C1 ACB299D1 C3B7F931\n   F94AAE41 EDDA2C2B 207A36E1 0F8BCB8D 45223E54 878F5B31 6E7CE3B6 BC019629\n"},
	}
	for _, c := range cases {
		var b bytes.Buffer
		writeHex(&b, c.name, c.label, c.sum)
		if b.String() != c.want {
			t.Errorf("writeHex(%q, %q):\n got %q\nwant %q", c.name, c.label, b.String(), c.want)
		}
	}
}

func TestEnarmorAsGpg(t *testing.T) {
	cases := map[string]string{
		"":        "-----BEGIN PGP ARMORED FILE-----\nComment: Use \"gpg --dearmor\" for unpacking\n\n=twTO\n-----END PGP ARMORED FILE-----\n",
		"hello\n": "-----BEGIN PGP ARMORED FILE-----\nComment: Use \"gpg --dearmor\" for unpacking\n\naGVsbG8K\n=WALx\n-----END PGP ARMORED FILE-----\n",
	}
	for in, want := range cases {
		var b bytes.Buffer
		if err := writeArmoredFile(&b, strings.NewReader(in)); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("enarmor(%q) = %q, want %q", in, b.String(), want)
		}
	}
	// Round trip across several 64-column lines and read-size boundaries.
	data := make([]byte, 200000)
	rand.New(rand.NewSource(1)).Read(data)
	var armored, back bytes.Buffer
	if err := writeArmoredFile(&armored, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := dearmorStream(&back, &armored); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Bytes(), data) {
		t.Fatal("dearmor(enarmor(x)) != x")
	}
}

func TestDearmorBadInput(t *testing.T) {
	var out bytes.Buffer
	// Binary OpenPGP passes through unchanged.
	if err := dearmorStream(&out, bytes.NewReader([]byte{0xa3, 0x01, 0x5b, 0xff})); err != nil || !bytes.Equal(out.Bytes(), []byte{0xa3, 0x01, 0x5b, 0xff}) {
		t.Fatalf("garbled binary: %v %x", err, out.Bytes())
	}
	bad := map[string]string{
		"text":      "just text\n",
		"crc":       "-----BEGIN PGP MESSAGE-----\n\naGVsbG8K\n=AAAA\n-----END PGP MESSAGE-----\n",
		"truncated": "-----BEGIN PGP MESSAGE-----\n\naGVsbG8K\n",
		"longline":  "-----BEGIN PGP MESSAGE-----\n\n" + strings.Repeat("A", 200<<10) + "\n",
		"base64":    "-----BEGIN PGP MESSAGE-----\n\n****\n=twTO\n-----END PGP MESSAGE-----\n",
	}
	for name, in := range bad {
		out.Reset()
		err := dearmorStream(&out, strings.NewReader(in))
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 {
			t.Errorf("%s: err = %v, want an exit code 2 error", name, err)
		}
	}
}

func listPackets(t *testing.T, in []byte) (string, error) {
	t.Helper()
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	l := &packetLister{w: w}
	err := l.list(&offsetReader{r: bufio.NewReader(bytes.NewReader(in))}, 0, 0)
	w.Flush()
	return b.String(), err
}

func TestListPacketsBounded(t *testing.T) {
	// Compressed packets (stored, algo 0) nested deeper than the limit.
	nested := bytes.Repeat([]byte{0xa3, 0x00}, maxListNesting+2)
	nested = append(nested, 0xcb, 0x06, 'b', 0, 0, 0, 0, 0)
	if _, err := listPackets(t, nested); err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Errorf("deep nesting: err = %v", err)
	}
	// A 4 GiB signature length is parsed from what is there, not allocated.
	huge := []byte{0xc2, 0xff, 0xff, 0xff, 0xff, 0xf0, 0x04, 0x00, 0x13, 0x08, 0xff, 0xff}
	huge = append(huge, make([]byte, 12)...)
	out, err := listPackets(t, huge)
	if err == nil || !strings.Contains(out, ":signature packet: [hashed data too long]") {
		t.Errorf("huge length: err = %v, out %q", err, out)
	}
	// Garbled deflate data ends with an error, not a hang or panic.
	if _, err := listPackets(t, []byte{0xa3, 0x01, 0x5b, 0xff}); err == nil {
		t.Error("garbled compressed packet listed without error")
	}
	// Random mutations of a valid key never panic.
	key := []byte{0x98, 0x33, 0x04, 0x6a, 0x3f, 0x8b, 0x55, 0x16, 0x09, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01,
		0x01, 0x07, 0x40, 0xcf, 0x44, 0x63, 0xe0, 0xac, 0x77, 0x19, 0x8d, 0x57, 0x10, 0x60, 0x1b, 0x81, 0x47, 0xaa, 0xbd, 0x39,
		0x3d, 0xea, 0xe6, 0x0e, 0x48, 0x50, 0x1a, 0x58, 0x5c, 0xf2, 0xf2, 0x12, 0xb2, 0xd1, 0x56}
	rnd := rand.New(rand.NewSource(2))
	for i := 0; i < 2000; i++ {
		m := append([]byte(nil), key...)
		for j := 0; j < 1+rnd.Intn(4); j++ {
			m[rnd.Intn(len(m))] = byte(rnd.Intn(256))
		}
		m = m[:rnd.Intn(len(m)+1)]
		listPackets(t, m)
	}
}

func TestListPacketsPublicKey(t *testing.T) {
	key := []byte{0x98, 0x33, 0x04, 0x6a, 0x3f, 0x8b, 0x55, 0x16, 0x09, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01,
		0x01, 0x07, 0x40, 0xcf, 0x44, 0x63, 0xe0, 0xac, 0x77, 0x19, 0x8d, 0x57, 0x10, 0x60, 0x1b, 0x81, 0x47, 0xaa, 0xbd, 0x39,
		0x3d, 0xea, 0xe6, 0x0e, 0x48, 0x50, 0x1a, 0x58, 0x5c, 0xf2, 0xf2, 0x12, 0xb2, 0xd1, 0x56}
	out, err := listPackets(t, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# off=0 ctb=98 tag=6 hlen=2 plen=51\n:public key packet:\n\tversion 4, algo 22, created 1782549333, expires 0\n",
		"\tpkey[0]: [80 bits] ed25519 (1.3.6.1.4.1.11591.15.1)\n\tpkey[1]: [263 bits]\n\tkeyid: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("listing lacks %q:\n%s", want, out)
		}
	}
}

// Packets of a version gpg 2.2.40 does not know (v6 keys) are listed as
// "[unknown version]", logged, and the listing goes on.
func TestListPacketsUnknownVersion(t *testing.T) {
	in := []byte{0xc6, 0x03, 0x06, 0x01, 0x02, 0xcd, 0x01, 'x'}
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	l := &packetLister{w: w}
	err := l.list(&offsetReader{r: bufio.NewReader(bytes.NewReader(in))}, 0, 0)
	w.Flush()
	want := "# off=0 ctb=c6 tag=6 hlen=2 plen=3 new-ctb\n:key packet: [unknown version]\n" +
		"# off=5 ctb=cd tag=13 hlen=2 plen=1 new-ctb\n:user ID packet: \"x\"\n"
	if err != nil || b.String() != want || l.errors != 1 {
		t.Errorf("err %v, %d errors, listing\n%s", err, l.errors, b.String())
	}
}

func TestParseSessionKeyOverride(t *testing.T) {
	for _, c := range []struct {
		in     string
		cipher packet.CipherFunction
		key    string
		bad    bool
	}{
		{"9:00FF", 9, "00ff", false},
		{"9.2:0a0b", 9, "0a0b", false}, // GnuPG 2.4's AEAD form
		{"7:", 7, "", false},
		{"x:00", 0, "", true},
		{"0:00", 0, "", true},
		{"9", 0, "", true},
		{"9:0", 0, "", true},
		{"9:zz", 0, "", true},
		{"9:" + strings.Repeat("00", maxOverrideKey+1), 0, "", true},
	} {
		got := parseSessionKeyOverride(c.in)
		if got.bad != c.bad || !c.bad && (got.cipher != c.cipher || hex.EncodeToString(got.key) != c.key) {
			t.Errorf("%q: got %+v", c.in, got)
		}
	}
}
