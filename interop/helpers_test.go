package interop

// The comparison helpers must be able to fail: these tests feed them inputs
// that differ in exactly the ways the transcripts rely on them to notice.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"strings"
	"testing"
)

func TestStatusLinesCompare(t *testing.T) {
	gpgOut := "[GNUPG:] NEWSIG\n[GNUPG:] SIG_ID abc 2026-01-01 1\n[GNUPG:] GOODSIG AAAA Alice\nplaintext\n"
	same := "[GNUPG:] NEWSIG\n[GNUPG:] SIG_ID xyz 2026-01-01 1\n[GNUPG:] GOODSIG AAAA Alice\n"
	if a, b := statusLines(gpgOut, false, nil), statusLines(same, false, nil); strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("SIG_ID hash should be masked and non-status lines ignored:\n%q\n%q", a, b)
	}
	for _, other := range []string{
		"[GNUPG:] NEWSIG\n[GNUPG:] SIG_ID xyz 2026-01-02 1\n[GNUPG:] GOODSIG AAAA Alice\n", // date
		"[GNUPG:] NEWSIG\n[GNUPG:] SIG_ID abc 2026-01-01 1\n[GNUPG:] GOODSIG AAAB Alice\n", // key ID
		"[GNUPG:] NEWSIG\n[GNUPG:] SIG_ID abc 2026-01-01 1\n",                              // missing line
		"[GNUPG:] SIG_ID abc 2026-01-01 1\n[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG AAAA Alice\n", // order
	} {
		if a, b := statusLines(gpgOut, false, nil), statusLines(other, false, nil); strings.Join(a, "\n") == strings.Join(b, "\n") {
			t.Errorf("difference not detected: %q", other)
		}
	}
	kw := statusLines("[GNUPG:] GOODSIG AAAA Alice\n[GNUPG:] TRUST_UNDEFINED 0 pgp\n", true, []string{"TRUST_UNDEFINED"})
	if strings.Join(kw, ",") != "GOODSIG" {
		t.Errorf("-kw/-ignore: got %q", kw)
	}
}

func TestNormalizeShape(t *testing.T) {
	a := "pub:u:255:22:CC6C768A6322C4C1:1795324212:1826860212::u:::scSC:::::ed25519:::0:\n" +
		"fpr:::::::::ADF6BFB293B646F2BD205E78CC6C768A6322C4C1:\n" +
		"uid:u::::1795324212::ED6164B0::Alice <a@example.org>::::::::::0:\n"
	b := "pub:u:255:22:0B588192A69CC3B2:1795324300:1826860300::u:::scSC:::::ed25519:::0:\n" +
		"fpr:::::::::ADF6BFB293B646F2BD205E780B588192A69CC3B2:\n" +
		"uid:u::::1795324300::99999999::Alice <a@example.org>::::::::::0:\n"
	na, err := normalizeShape(a)
	if err != nil {
		t.Fatal(err)
	}
	nb, err := normalizeShape(b)
	if err != nil {
		t.Fatal(err)
	}
	if na != nb {
		t.Errorf("same shape, different output:\n%s\n%s", na, nb)
	}
	if x, _ := normalizeShape("tru:o:1:1:2:3:1:5\n"); x != "tru:*:1:T:T:3:1:5\n" {
		t.Errorf("tru flag not masked: %q", x)
	}
	if x, _ := normalizeShape("tru::1:1:2:3:1:5\n"); x != "tru:*:1:T:T:3:1:5\n" {
		t.Errorf("empty tru flag not masked: %q", x)
	}
	if !strings.Contains(na, ":+365d:") {
		t.Errorf("expiry not relative: %s", na)
	}
	for _, change := range [][2]string{
		{"scSC", "scESC"},            // caps
		{":255:22:", ":256:19:"},     // algorithm
		{"ed25519", "cv25519"},       // curve
		{"1826860300", "1858396300"}, // 2y instead of 1y
		{"Alice <", "Bob <"},         // user ID
	} {
		nc, err := normalizeShape(strings.Replace(b, change[0], change[1], 1))
		if err != nil {
			t.Fatal(err)
		}
		if nc == na {
			t.Errorf("change %q not detected", change)
		}
	}
	if _, err := normalizeShape(strings.Replace(b, "780B588192A69CC3B2", "780B588192A69CC3B3", 1)); err == nil {
		t.Error("key ID that is not the fingerprint's tail accepted")
	}
}

func TestKeyringHeaderAndTru(t *testing.T) {
	in := "/home/x/.gnupg/pubring.kbx\n--------------------------\npub   ed25519 2026-11-22 [SC]\n"
	if got := dropKeyringHeader(in); got != "pub   ed25519 2026-11-22 [SC]\n" {
		t.Errorf("header not dropped: %q", got)
	}
	if got := normalizeTru("tru::1:1795329597:0:3:1:5\npub:x\n"); got != "tru::1:T:T:3:1:5\npub:x\n" {
		t.Errorf("tru: %q", got)
	}
}

func TestExecsParser(t *testing.T) {
	trace := `100 execve("/tmp/x/gpg", ["gpg"], 0x1 /* 5 vars */) = 0
101 execve("/tmp/x/keyhelper", ["keyhelper"], 0x2 /* 5 vars */ <unfinished ...>
100 execve("/nonexistent", [], 0x3) = -1 ENOENT (No such file or directory)
101 <... execve resumed>) = 0
`
	var got []string
	pending := map[string]string{}
	for _, l := range strings.Split(trace, "\n") {
		if m := execRE.FindStringSubmatch(l); m != nil {
			got = append(got, m[2])
		} else if m := execStartRE.FindStringSubmatch(l); m != nil {
			pending[m[1]] = m[2]
		} else if m := execResumeRE.FindStringSubmatch(l); m != nil {
			got = append(got, pending[m[1]])
		}
	}
	if strings.Join(got, ",") != "/tmp/x/gpg,/tmp/x/keyhelper" {
		t.Errorf("got %q", got)
	}
}

// TestCraftedSignatures checks the hand-made packets independently of gpg:
// the signature MPIs verify over the recomputed digest.
func TestCraftedSignatures(t *testing.T) {
	k := newEdKey(0x24)
	data := []byte(craftData)
	sig := k.docSig(data)
	// new-format header, one-byte length
	if sig[0] != 0xC2 || int(sig[1]) != len(sig)-2 {
		t.Fatalf("bad packet header % x", sig[:2])
	}
	body := sig[2:]
	hlen := int(body[4])<<8 | int(body[5])
	trailer := body[:6+hlen]
	rest := body[6+hlen:]
	ulen := int(rest[0])<<8 | int(rest[1])
	rest = rest[2+ulen:]
	left16, rest := rest[:2], rest[2:]
	r, rest := readMPI(t, rest)
	s, _ := readMPI(t, rest)
	h := sha256.New()
	h.Write(data)
	h.Write(trailer)
	h.Write([]byte{4, 0xFF, 0, 0, 0, byte(len(trailer))})
	digest := h.Sum(nil)
	if !bytes.Equal(left16, digest[:2]) {
		t.Fatal("left 16 bits do not match")
	}
	rs := append(pad32(r), pad32(s)...)
	if !ed25519.Verify(k.priv.Public().(ed25519.PublicKey), digest, rs) {
		t.Fatal("crafted signature does not verify")
	}
	digest[0] ^= 1
	if ed25519.Verify(k.priv.Public().(ed25519.PublicKey), digest, rs) {
		t.Fatal("verification cannot fail")
	}
	for _, r := range []string{"uidnl", "notation", "emptyexport", "nouidsig", "badissuerfpr", "aeadskesk", "sigclass", "certonly", "hashalgos"} {
		if files, ok := craft(r); !ok || len(files) == 0 {
			t.Errorf("recipe %s", r)
		}
	}
}

func readMPI(t *testing.T, b []byte) ([]byte, []byte) {
	t.Helper()
	bits := int(b[0])<<8 | int(b[1])
	n := (bits + 7) / 8
	return b[2 : 2+n], b[2+n:]
}

func pad32(b []byte) []byte {
	return append(make([]byte, 32-len(b)), b...)
}
