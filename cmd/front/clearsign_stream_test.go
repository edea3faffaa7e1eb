package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// sigStatus keeps the status lines that carry a verification's verdict.
func sigStatus(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		for _, k := range []string{"NEWSIG", "GOODSIG", "BADSIG", "ERRSIG", "VALIDSIG", "NO_PUBKEY"} {
			if strings.HasPrefix(l, "[GNUPG:] "+k+" ") || l == "[GNUPG:] "+k {
				keep = append(keep, l)
			}
		}
	}
	return strings.Join(keep, "\n")
}

// Cleartext signatures are verified as they stream, hashed with the
// algorithms of the Hash header as gpg does: same verdicts, same text out,
// for awkward text and for headers that do not name the signature's hash.
func TestClearsignedLikeGPG(t *testing.T) {
	p := newPeers(t)
	// Trailing blanks, a trailing NUL (white space to gpg), CRLF, lines
	// that need dash escaping, and no final line end.
	text := "plain line\ntrailing blanks \t \nnul at the end\x00\r\ncrlf line\r\n- dash\nFrom here\n-----BEGIN PGP SIGNATURE-----\nlast"
	if err := os.WriteFile("text", []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p.mustGPG(t, "", "--digest-algo", "SHA256", "-o", "text.asc", "--clearsign", "text")
	signed, err := os.ReadFile("text.asc")
	if err != nil {
		t.Fatal(err)
	}
	header := []byte("Hash: SHA256\n")
	if !bytes.Contains(signed, header) {
		t.Fatalf("gpg wrote no SHA256 Hash header:\n%s", signed)
	}
	for _, c := range []struct{ name, header string }{
		{"as signed", "Hash: SHA256\n"},
		{"two hashes", "Hash: SHA1, SHA256\n"},
		{"another hash", "Hash: SHA512\n"},
		{"no header (SHA1)", ""},
	} {
		msg := bytes.Replace(signed, header, []byte(c.header), 1)
		if err := os.WriteFile("msg.asc", msg, 0o644); err != nil {
			t.Fatal(err)
		}
		var outs [2]string
		var codes [2]int
		var texts [2][]byte
		for i, ours := range []bool{false, true} {
			os.Remove("out")
			out, _, code := p.run(t, ours, "", "-o", "out", "--verify", "msg.asc")
			outs[i], codes[i] = sigStatus(out), code
			texts[i], _ = os.ReadFile("out")
		}
		if outs[0] != outs[1] || codes[0] != codes[1] {
			t.Errorf("%s:\ngpg (exit %d):\n%s\nours (exit %d):\n%s", c.name, codes[0], outs[0], codes[1], outs[1])
		}
		if codes[0] == 0 && !bytes.Equal(texts[0], texts[1]) {
			t.Errorf("%s: text written:\ngpg:  %q\nours: %q", c.name, texts[0], texts[1])
		}
	}
}
