package hkp

import (
	"bytes"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseKeyserver(t *testing.T) {
	for in, want := range map[string]string{
		"hkp://keys.example.org":        "http://keys.example.org:11371",
		"HKP://keys.example.org:8080/":  "http://keys.example.org:8080",
		"x-hkp://keys.example.org":      "http://keys.example.org:11371",
		"hkps://keys.openpgp.org":       "https://keys.openpgp.org:443",
		"http://127.0.0.1:40000":        "http://127.0.0.1:40000",
		"http://ks.example.org":         "http://ks.example.org:80",
		"https://ks.example.org/a/b/":   "https://ks.example.org:443/a/b",
		"keys.example.org":              "http://keys.example.org:11371",
		"127.0.0.1:11371":               "http://127.0.0.1:11371",
		"hkp://[::1]:11371":             "http://[::1]:11371",
		"hkps://[2001:db8::1]":          "https://[2001:db8::1]:443",
		"hkp://under_score.example.org": "http://under_score.example.org:11371",
	} {
		s, err := ParseKeyserver(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := s.Base(); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
	for _, in := range []string{
		"ldap://keys.example.org", "hkp://", "hkp://user:pw@host", "hkp://host?x=1", "hkp://host#f",
		"hkp://host:0", "hkp://host:65536", "hkp://host:x", "hkp://ho st", "hkp://host/../x",
		"hkp://h\\x", "mailto:a@b", "hkp://a..b", "finger://x",
	} {
		if s, err := ParseKeyserver(in); err == nil {
			t.Errorf("%s accepted: %+v", in, s)
		}
	}
}

func TestRequests(t *testing.T) {
	s, _ := ParseKeyserver("hkp://127.0.0.1:11371")
	fpr, _ := hex.DecodeString("0123456789abcdef0123456789abcdef01234567")
	u, err := s.GetByFingerprint(fpr)
	if err != nil || u != "http://127.0.0.1:11371/pks/lookup?op=get&options=mr&search=0x0123456789ABCDEF0123456789ABCDEF01234567" {
		t.Errorf("fingerprint: %s %v", u, err)
	}
	if _, err := s.GetByFingerprint(fpr[:19]); err == nil {
		t.Error("19-byte fingerprint accepted")
	}
	if u := s.GetByKeyID(0x89ABCDEF01234567); u != "http://127.0.0.1:11371/pks/lookup?op=get&options=mr&search=0x89ABCDEF01234567" {
		t.Errorf("key ID: %s", u)
	}
	if u := s.GetByMail("a+b@example.org"); u != "http://127.0.0.1:11371/pks/lookup?op=get&options=mr&search=a%2Bb%40example.org&exact=on" {
		t.Errorf("mail: %s", u)
	}
	if u := s.Index("Alice & Bob", false); u != "http://127.0.0.1:11371/pks/lookup?op=index&options=mr&fingerprint=on&search=Alice+%26+Bob" {
		t.Errorf("index: %s", u)
	}
	if u := s.Add(); u != "http://127.0.0.1:11371/pks/add" {
		t.Errorf("add: %s", u)
	}
	arm := "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxjMEZ+/=\n-----END PGP PUBLIC KEY BLOCK-----\n"
	body := AddBody([]byte(arm))
	v, err := url.ParseQuery(string(body))
	if err != nil || v.Get("keytext") != arm || !bytes.HasPrefix(body, []byte("keytext=")) {
		t.Errorf("add body %q does not decode to the key", body)
	}
}

func TestParseIndex(t *testing.T) {
	// sks's answer (UIDs not escaped), with CR LF, an unknown record and
	// a uid before any pub.
	body := "info:1:2\r\n" +
		"uid:orphan:1:2:\r\n" +
		"pub:0123456789ABCDEF0123456789ABCDEF01234567:22:256:1700000000::\r\n" +
		"uid:Alice <alice@example.org>:1700000000::\r\n" +
		"xyz:whatever\r\n" +
		"pub:89abcdef01234567:1:3072:1600000000:1700000000:re\r\n" +
		"uid:Bob%20%3CBob%40example.org%3E%0A[GNUPG%3A] GOODSIG%ZZ%4:1600000000::r\r\n"
	keys, err := ParseIndex([]byte(body))
	if err != nil || len(keys) != 2 {
		t.Fatalf("%d keys, %v", len(keys), err)
	}
	a, b := keys[0], keys[1]
	if a.ID != "0123456789ABCDEF0123456789ABCDEF01234567" || a.Algo != 22 || a.Bits != 256 || a.Created != 1700000000 ||
		a.Expires != 0 || a.Revoked || len(a.UIDs) != 1 || a.UIDs[0].Text != "Alice <alice@example.org>" {
		t.Errorf("first key %+v", a)
	}
	if b.ID != "89ABCDEF01234567" || !b.Revoked || !b.Expired || b.Disabled || b.Expires != 1700000000 || len(b.UIDs) != 1 {
		t.Fatalf("second key %+v", b)
	}
	// Bad input 14: the escaped LF does not survive, bad escapes stay.
	if u := b.UIDs[0]; u.Text != "Bob <Bob@example.org>\ufffd[GNUPG:] GOODSIG%ZZ%4" || !u.Revoked {
		t.Errorf("uid %q %+v", u.Text, u)
	}
	for name, in := range map[string]string{
		"html":      "<!DOCTYPE html>\n<html><head><title>Error</title></head><body>Not found</body></html>\n",
		"html ws":   "\r\n  <html>pub:0123456789ABCDEF:1:1:1::\n",
		"empty":     "",
		"info only": "info:1:0\n",
		"huge info": "info:1:99999999999999999999\n",
		"non-hex":   "pub:XYZ3456789ABCDEF:1:2048:1::\nuid:x:::\n",
		"bad len":   "pub:0123456789ABC:1:2048:1::\n",
	} {
		if keys, err := ParseIndex([]byte(in)); err != ErrNotFound || keys != nil {
			t.Errorf("%s: %v, %v; want ErrNotFound", name, keys, err)
		}
	}
	// No info line, missing fields, huge count and numbers.
	keys, err = ParseIndex([]byte("info:1:18446744073709551616\npub:0123456789ABCDEF\nuid\npub:0123456789abcdef:99999999999999999999:-5:x"))
	if err != nil || len(keys) != 2 || keys[0].Algo != 0 || len(keys[0].UIDs) != 1 || keys[1].Algo != 0 || keys[1].Bits != 0 {
		t.Errorf("tolerance: %+v %v", keys, err)
	}
	// Limits.
	if _, err := ParseIndex(make([]byte, MaxIndexBody+1)); err != ErrIndexTooLarge {
		t.Errorf("oversized body: %v", err)
	}
	many := strings.Repeat("pub:0123456789ABCDEF:1:1:1::\n"+strings.Repeat("uid:u:::\n", 150), MaxIndexKeys+10)
	keys, err = ParseIndex([]byte(many))
	if err != nil || len(keys) != MaxIndexKeys || len(keys[0].UIDs) != MaxIndexUIDs {
		t.Errorf("limits: %d keys, %v", len(keys), err)
	}
}

func FuzzParseIndex(f *testing.F) {
	f.Add([]byte("info:1:1\npub:0123456789ABCDEF0123456789ABCDEF01234567:22:256:1700000000::\nuid:Alice%20%3Ca%40b%3E:1::\n"))
	f.Add([]byte("<html>404</html>"))
	f.Add([]byte("pub:89abcdef01234567:1:3072:1:2:rde\r\nuid:%ZZ%0A%0D%:x:y:z\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		keys, err := ParseIndex(body)
		if err != nil {
			if keys != nil {
				t.Fatal("keys with an error")
			}
			return
		}
		if len(keys) == 0 || len(keys) > MaxIndexKeys {
			t.Fatalf("%d keys", len(keys))
		}
		for _, k := range keys {
			if !isKeyID(k.ID) || strings.ToUpper(k.ID) != k.ID || len(k.UIDs) > MaxIndexUIDs {
				t.Fatalf("key %+v", k)
			}
			for _, u := range k.UIDs {
				if !utf8.ValidString(u.Text) || strings.ContainsAny(u.Text, "\r\n\x00\x1b") {
					t.Fatalf("uid %q", u.Text)
				}
			}
		}
	})
}
