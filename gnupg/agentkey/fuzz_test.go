package agentkey

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/ocb"
	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/eddsa"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"
)

// testKey is an Ed25519 key made here, as gpg-agent would store it.
type testKey struct {
	pub  *packet.PublicKey
	q, d []byte // 0x40‖point, seed
}

func newTestKey(t testing.TB) *testKey {
	t.Helper()
	// a v4 key of algorithm 22 (EdDSA on Ed25519), as gpg 2.2 makes
	e, err := openpgp.NewEntity("t", "", "", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return time.Unix(1700000000, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	priv, ok := e.PrivateKey.PrivateKey.(*eddsa.PrivateKey)
	if !ok || e.PrimaryKey.Version != 4 {
		t.Fatalf("not a v4 EdDSA key: %T", e.PrivateKey.PrivateKey)
	}
	return &testKey{pub: e.PrimaryKey, q: append([]byte{0x40}, priv.X...), d: priv.D}
}

func atom(b []byte) *sexp { return &sexp{atom: b} }
func list(items ...*sexp) *sexp {
	return &sexp{isList: true, list: items}
}
func pair(name string, v []byte) *sexp { return list(atom([]byte(name)), atom(v)) }

func (k *testKey) algoHead() []*sexp {
	return []*sexp{atom([]byte("ecc")), pair("curve", []byte("Ed25519")), pair("flags", []byte("eddsa")), pair("q", k.q)}
}

// clear is the unprotected key in canonical form.
func (k *testKey) clear() []byte {
	return list(atom([]byte("private-key")), list(append(k.algoHead(), pair("d", k.d))...)).canonical(nil)
}

// protectOCB protects the key as agent/protect.c does with
// openpgp-s2k3-ocb-aes; written here from the format, for tests.
func (k *testKey) protectOCB(t testing.TB, pass string, count int) []byte {
	salt, nonce := []byte("saltsalt"), []byte("nonce-12byte")
	key := make([]byte, 16)
	s2k.Iterated(key, sha1.New(), []byte(pass), salt, count)
	block, _ := aes.NewCipher(key)
	aead, err := ocb.NewOCBWithNonceAndTagSize(block, 12, 16)
	if err != nil {
		t.Fatal(err)
	}
	at := pair("protected-at", []byte("20261207T000000"))
	aad := list(append(k.algoHead(), at)...).canonical(nil)
	plain := list(list(pair("d", k.d))).canonical(nil)
	ct := aead.Seal(nil, nonce, plain, aad)
	prot := list(atom([]byte("protected")), atom([]byte("openpgp-s2k3-ocb-aes")),
		list(list(atom([]byte("sha1")), atom(salt), atom([]byte(fmt.Sprint(count)))), atom(nonce)), atom(ct))
	return list(atom([]byte("protected-private-key")), list(append(k.algoHead(), prot, at)...)).canonical(nil)
}

// protectCBC protects the key as agent/protect.c does with
// openpgp-s2k3-sha1-aes-cbc (keyLen 16) or -aes256-cbc (32): the
// parameters and a SHA-1 over the unprotected key, padded, in CBC.
func (k *testKey) protectCBC(t testing.TB, pass string, count, keyLen int) []byte {
	salt, iv := []byte("saltsalt"), []byte("iv-iv-iv-16bytes")
	key := make([]byte, keyLen)
	s2k.Iterated(key, sha1.New(), []byte(pass), salt, count)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	at := pair("protected-at", []byte("20261207T000000"))
	mic := sha1.Sum(list(append(k.algoHead(), pair("d", k.d), at)...).canonical(nil))
	plain := list(list(pair("d", k.d)), list(atom([]byte("hash")), atom([]byte("sha1")), atom(mic[:]))).canonical(nil)
	plain = append(plain, make([]byte, aes.BlockSize-len(plain)%aes.BlockSize)...)
	ct := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, plain)
	mode := "openpgp-s2k3-sha1-aes-cbc"
	if keyLen == 32 {
		mode = "openpgp-s2k3-sha1-aes256-cbc"
	}
	prot := list(atom([]byte("protected")), atom([]byte(mode)),
		list(list(atom([]byte("sha1")), atom(salt), atom([]byte(fmt.Sprint(count)))), atom(iv)), atom(ct))
	return list(atom([]byte("protected-private-key")), list(append(k.algoHead(), prot, at)...)).canonical(nil)
}

// extended writes a canonical key in the extended format, folded as
// gpg-agent folds it (hex values broken over continuation lines).
func extended(canon []byte) []byte {
	n, err := parseCanonical(canon)
	if err != nil {
		panic(err)
	}
	var adv strings.Builder
	var walk func(n *sexp)
	walk = func(n *sexp) {
		if !n.isList {
			if isTokenText(n.atom) {
				adv.Write(n.atom)
			} else {
				adv.WriteString("#" + strings.ToUpper(hex.EncodeToString(n.atom)) + "#")
			}
			return
		}
		adv.WriteByte('(')
		for i, c := range n.list {
			if i > 0 {
				adv.WriteByte(' ')
			}
			walk(c)
		}
		adv.WriteByte(')')
	}
	walk(n)
	s := adv.String()
	var out strings.Builder
	out.WriteString("Created: 20261207T000000\nLabel: test\nKey: ")
	for len(s) > 60 {
		out.WriteString(s[:60] + "\n ")
		s = s[60:]
	}
	out.WriteString(s + "\n")
	return []byte(out.String())
}

func isTokenText(b []byte) bool {
	if len(b) == 0 || b[0] >= '0' && b[0] <= '9' {
		return false
	}
	for _, c := range b {
		if !isTokenChar(c) {
			return false
		}
	}
	return true
}

func shadowed(k *testKey) []byte {
	serial, _ := hex.DecodeString("D2760001240103040005000012340000")
	sh := list(atom([]byte("shadowed")), atom([]byte("t1-v1")), list(atom(serial), atom([]byte("OPENPGP.1"))))
	return list(atom([]byte("shadowed-private-key")), list(append(k.algoHead(), sh)...)).canonical(nil)
}

// TestWrittenHere checks the formats with keys protected by this test's
// own writer: both file formats, the right and a wrong passphrase, a
// flipped ciphertext bit, a card stub.
func TestWrittenHere(t *testing.T) {
	k := newTestKey(t)
	prot := k.protectOCB(t, "pw", 65536)
	cbc, cbc256 := k.protectCBC(t, "pw", 65536, 16), k.protectCBC(t, "pw", 65536, 32)
	for name, data := range map[string][]byte{"canonical": prot, "extended": extended(prot),
		"cbc": cbc, "cbc-extended": extended(cbc), "aes256-cbc": cbc256} {
		key, err := Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if key.Protection != Protected || key.Curve != "Ed25519" {
			t.Fatalf("%s: %+v", name, key)
		}
		if _, err := key.PrivateKey(k.pub, []byte("wrong")); err != ErrBadPassphrase {
			t.Fatalf("%s: wrong passphrase: %v", name, err)
		}
		priv, err := key.PrivateKey(k.pub, []byte("pw"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		proveSecret(t, priv)
	}
	// the public key is bound by OCB's associated data: another q fails
	bad := []byte(strings.Replace(string(prot), string(k.q[1:4]), "\x00\x01\x02", 1))
	if key, err := Parse(bad); err == nil {
		if _, err := key.PrivateKey(k.pub, []byte("pw")); err == nil {
			t.Fatal("a changed public key still unlocked")
		}
	}
	clear, err := Parse(extended(k.clear()))
	if err != nil || clear.Protection != Clear {
		t.Fatalf("clear: %v", err)
	}
	if _, err := clear.PrivateKey(k.pub, nil); err != nil {
		t.Fatal(err)
	}
	other := newTestKey(t)
	if _, err := clear.PrivateKey(other.pub, nil); err == nil {
		t.Fatal("a key file unlocked as another key")
	}
	stub, err := Parse(extended(shadowed(k)))
	if err != nil || stub.Protection != Shadowed || stub.CardSerial != "D2760001240103040005000012340000" || stub.CardKeyRef != "OPENPGP.1" {
		t.Fatalf("stub: %+v %v", stub, err)
	}
	if _, err := stub.PrivateKey(k.pub, nil); err == nil {
		t.Fatal("a card stub gave a secret key")
	}
	for _, bad := range []string{"", "(", "Key: (private-key)\n", "Label: x\n", "Key: (a)\nKey: (a)\n", "(11:private-key(3:rsa))",
		"Key: (private-key (ecc (curve Ed25519)(q #40#)))\n", " Key: x\n", "9:private-key", "(11:private-key(3:ecc)))"} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if _, err := Parse(make([]byte, MaxFileSize+1)); err == nil {
		t.Error("oversized file parsed")
	}
}

// FuzzParse: no panic on any key file; what parses and is cheap to try is
// also unlocked (which must fail or give the key of the test's public key).
func FuzzParse(f *testing.F) {
	k := newTestKey(f)
	prot := k.protectOCB(f, "pw", 65536)
	for _, seed := range [][]byte{prot, extended(prot), k.protectCBC(f, "pw", 65536, 16), k.clear(), extended(k.clear()), shadowed(k), extended(shadowed(k))} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		key, err := Parse(data)
		if err != nil {
			return
		}
		if key.Protection == Protected && key.native == nil {
			if p, err := key.protectedParts(); err != nil || p.count > 1<<20 {
				return // a slow S2K count proves nothing more
			}
		}
		if key.native != nil {
			return // go-crypto's decryption is fuzzed upstream
		}
		priv, err := key.PrivateKey(k.pub, []byte("pw"))
		if err == nil && string(priv.Fingerprint) != string(k.pub.Fingerprint) {
			t.Fatal("unlocked as another key")
		}
	})
}

// TestIteratedSHA1 checks the block-wise S2K against go-crypto's.
func TestIteratedSHA1(t *testing.T) {
	for _, c := range []struct {
		pass  string
		count int
	}{{"pw", 65536}, {"a much longer passphrase that does not divide 64 KiB", 1 << 20}, {"x", 9}, {"", 65536}, {"pw", 305039360 / 1000}} {
		want, got := make([]byte, 16), make([]byte, 16)
		s2k.Iterated(want, sha1.New(), []byte(c.pass), []byte("saltsalt"), c.count)
		iteratedSHA1(got, []byte(c.pass), []byte("saltsalt"), c.count)
		if string(got) != string(want) {
			t.Errorf("%q %d: %x, want %x", c.pass, c.count, got, want)
		}
	}
}
