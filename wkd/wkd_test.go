package wkd

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// The vectors of net.md (draft-koch-openpgp-webkey-service and gpg).
func TestHash(t *testing.T) {
	for addr, want := range map[string]string{
		"Joe.Doe@Example.ORG":           "iy9q119eutrkn8s1mk4r39qejnbu3n5q",
		"bernhard.reiter@intevation.de": "it5sewh54rxz33fwmr8u6dy4bbz8itz4",
		"dewey@test.gnupg.org":          "1g8totoxbt4zf6na1sukczp5fiewr1oe",
		"foo+bar@example.org":           "w18n9ndmp56rntn7jnpws3dd7mfckc9g",
		"ÄRGER@example.de":              "ewd7piirpeasam9iz8or84x4be3xhxqw",
	} {
		local := addr[:strings.IndexByte(addr, '@')]
		if got := Hash(local); got != want {
			t.Errorf("Hash(%q) = %s, want %s", local, got, want)
		}
	}
	raw, _ := hex.DecodeString("80615870F5BAD690333686D0F2AD85AC1E42B367")
	if got := zbase32(raw); got != "oboioh8izmmjyc3so5exfmcfioxrfc58" {
		t.Errorf("zbase32 = %s", got)
	}
	if got := zbase32([]byte{0xff}); got != "9h" {
		t.Errorf("zbase32(ff) = %q", got)
	}
	// Bad input 10: only ASCII letters fold. The Kelvin sign (U+212A)
	// is not "k", and "Ä" is not "ä".
	if Hash("\u212Aelvin") == Hash("kelvin") || Hash("Ärger") == Hash("ärger") {
		t.Error("non-ASCII letters were case-folded")
	}
	if Hash("ÄRGER") != Hash("Ärger") || Hash("JOE") != Hash("joe") {
		t.Error("ASCII letters were not folded")
	}
}

func TestMailbox(t *testing.T) {
	for uid, want := range map[string]string{
		"Zed <Zed.Q@Example.ORG>":      "zed.q@example.org",
		"plain@Example.net":            "plain@example.net",
		"noaddr":                       "",
		"a <>":                         "",
		"a <b@c> <d@e>":                "b@c",
		"a <x@@y>":                     "",
		"a <@y>":                       "",
		"a <x@y.>":                     "",
		"a <x y@z>":                    "",
		"a <x@y..z>":                   "",
		"a <x..y@z>":                   "x..y@z", // only the domain is checked for ".."
		"x..y@z":                       "",
		"a(b)@c":                       "",
		"\xc3\x84rger@example.org":     "\xc3\x84rger@example.org",
		"Name <ÄRGER@EXAMPLE.ORG> (c)": "Ärger@example.org", // ASCII letters only
	} {
		if got := Mailbox(uid); got != want {
			t.Errorf("Mailbox(%q) = %q, want %q", uid, got, want)
		}
	}
}

func TestURLs(t *testing.T) {
	adv, dir, err := URLs("Joe.Doe@Example.ORG")
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://openpgpkey.example.org/.well-known/openpgpkey/example.org/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=joe.doe"; adv != want {
		t.Errorf("advanced = %s\nwant       %s", adv, want)
	}
	if want := "https://example.org/.well-known/openpgpkey/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=joe.doe"; dir != want {
		t.Errorf("direct = %s\nwant     %s", dir, want)
	}
	// Bad input 9: "& # % ? +" are escaped in l=, the hash is of the
	// unescaped local part; non-ASCII bytes are escaped too.
	for addr, l := range map[string]string{
		"a&b#c%d?e+f@example.org": "a%26b%23c%25d%3Fe%2Bf",
		"x=y@example.org":         "x%3Dy",
		"ÄRGER@example.de":        "%C3%84rger",
		"`t'@example.org":         "%60t'",
	} {
		adv, dir, err := URLs(addr)
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		local := addr[:strings.LastIndexByte(addr, '@')]
		suffix := "/hu/" + Hash(local) + "?l=" + l
		if !strings.HasSuffix(adv, suffix) || !strings.HasSuffix(dir, suffix) {
			t.Errorf("%s: %s, %s; want suffix %s", addr, adv, dir, suffix)
		}
	}
	// Bad input 8: nothing that could leave the host part or the path.
	for _, addr := range []string{
		"a@example.org/../x", "a@ex\\ample.org", "a@../etc", "a@exa%2fmple.org", "a@-x.org",
		"a@x-.org", "a@x..org", "a@.x.org", "a@ëxample.org", "a@exa mple.org", "a@x:443",
		"nomail", "a@", "@x.org", "a@b@c.org", "a@" + strings.Repeat("x", 64) + ".org",
		strings.Repeat("l", 65) + "@x.org",
	} {
		if adv, dir, err := URLs(addr); err == nil {
			t.Errorf("URLs(%q) = %s, %s; want an error", addr, adv, dir)
		}
	}
	adv, dir, err = PolicyURLs("Example.ORG")
	if err != nil || adv != "https://openpgpkey.example.org/.well-known/openpgpkey/example.org/policy" ||
		dir != "https://example.org/.well-known/openpgpkey/policy" {
		t.Errorf("PolicyURLs = %s, %s, %v", adv, dir, err)
	}
	if _, _, err := PolicyURLs("x/../y"); err == nil {
		t.Error("PolicyURLs accepted x/../y")
	}
}

func entity(t testing.TB, name, email string) *openpgp.Entity {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", email, &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func ser(t testing.TB, e *openpgp.Entity) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := e.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func userIDs(t *testing.T, data []byte) [][]string {
	t.Helper()
	ents, err := openpgp.ReadKeyRing(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, e := range ents {
		var u []string
		for name := range e.Identities {
			u = append(u, name)
		}
		out = append(out, u)
	}
	return out
}

// Bad inputs 1-4.
func TestFilter(t *testing.T) {
	joe := entity(t, "Joe", "Joe.Doe@Example.org")
	if err := joe.AddUserId("Other", "", "other@example.org", nil); err != nil {
		t.Fatal(err)
	}
	if err := joe.AddUserId("Joe at home", "", "joe.doe@example.net", nil); err != nil {
		t.Fatal(err)
	}
	// 1: only the user ID with the address stays (mailboxes compare
	// case-insensitively, as gpg's lower-cased mailboxes do).
	kept, n, err := Filter(ser(t, joe), "joe.doe@EXAMPLE.org")
	if err != nil || n != 1 {
		t.Fatalf("Filter: %d, %v", n, err)
	}
	if u := userIDs(t, kept); len(u) != 1 || len(u[0]) != 1 || u[0][0] != "Joe <Joe.Doe@Example.org>" {
		t.Fatalf("kept user IDs %q", u)
	}
	// 2: no matching user ID: nothing, an error.
	if kept, n, err := Filter(ser(t, joe), "nobody@example.org"); err != ErrNoMatch || n != 0 || kept != nil {
		t.Fatalf("no match: %d, %v", n, err)
	}
	// 3: seven matching certificates: five kept.
	var many []byte
	for i := 0; i < 7; i++ {
		many = append(many, ser(t, entity(t, "Joe", "joe.doe@example.org"))...)
	}
	if _, n, err := Filter(many, "joe.doe@example.org"); err != nil || n != MaxCerts {
		t.Fatalf("7 certificates: kept %d, %v", n, err)
	}
	// 4: armored, several blocks.
	var arm bytes.Buffer
	arm.WriteString("\n")
	for _, e := range []*openpgp.Entity{joe, entity(t, "Joe 2", "joe.doe@example.org")} {
		w, _ := armor.Encode(&arm, "PGP PUBLIC KEY BLOCK", nil)
		w.Write(ser(t, e))
		w.Close()
		arm.WriteString("\n")
	}
	if _, n, err := Filter(arm.Bytes(), "joe.doe@example.org"); err != nil || n != 2 {
		t.Fatalf("armored: kept %d, %v", n, err)
	}
	// A bad address fails before anything is read.
	if _, _, err := Filter(ser(t, joe), "joe@x/../y"); err != ErrAddress {
		t.Fatalf("bad address: %v", err)
	}
	// Secret keys never pass.
	var sec bytes.Buffer
	joe.SerializePrivateWithoutSigning(&sec, nil)
	if _, n, err := Filter(sec.Bytes(), "joe.doe@example.org"); err != ErrNoMatch || n != 0 {
		t.Fatalf("secret key: kept %d, %v", n, err)
	}
}

func FuzzFilter(f *testing.F) {
	f.Add(ser(f, entity(f, "Joe", "joe@example.org")), "joe@example.org")
	f.Add([]byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxjMEZ\n-----END PGP PUBLIC KEY BLOCK-----\n"), "a@b.c")
	f.Add([]byte{0xc6, 0x01, 0x04}, "a&b@x.org")
	f.Fuzz(func(t *testing.T, body []byte, addr string) {
		kept, n, err := Filter(body, addr)
		if err != nil {
			if kept != nil || n != 0 {
				t.Fatal("kept data with an error")
			}
			return
		}
		if n < 1 || n > MaxCerts || len(kept) > len(body) {
			t.Fatalf("kept %d certificates, %d of %d bytes", n, len(kept), len(body))
		}
		adv, dir, err := URLs(addr)
		if err != nil {
			t.Fatalf("Filter accepted %q, URLs did not: %v", addr, err)
		}
		for _, u := range []string{adv, dir} {
			if strings.Contains(u, "/../") || strings.ContainsAny(u, "\\ #") {
				t.Fatalf("URL %q", u)
			}
		}
	})
}

func FuzzURLs(f *testing.F) {
	for _, s := range []string{"Joe.Doe@Example.ORG", "a@example.org/../x", "ÄRGER@example.de", "a&b#c%d?e+f@x.org", "N <a@b.c>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		adv, dir, err := URLs(addr)
		if err != nil {
			return
		}
		_, domain, _ := Split(addr)
		for _, u := range []string{adv, dir} {
			host, path, ok := strings.Cut(strings.TrimPrefix(u, "https://"), "/")
			if !ok || !strings.HasSuffix(host, domain) || strings.ContainsAny(path, " \\#\x00") || strings.Contains(path, "..") ||
				strings.Count(path, "?") != 1 {
				t.Fatalf("URLs(%q) built %q", addr, u)
			}
		}
	})
}
