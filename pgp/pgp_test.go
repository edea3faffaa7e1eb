package pgp

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rand"
	"encoding"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/ipc"
)

// testKey is an ed25519 key with a cv25519 subkey, made once.
var testKey = func() *openpgp.Entity {
	e, err := Generate(&ipc.GenerateRequest{
		UserID: "Test <test@example.org>", Created: time.Now().Unix(),
		Primary: ipc.KeySpec{Algo: "ed25519", Usage: "sign,cert"},
		Subkeys: []ipc.KeySpec{{Algo: "cv25519", Usage: "encr"}},
	})
	if err != nil {
		panic(err)
	}
	return e
}()

// localSign finishes signatures in-process the way keyhelper does: from a
// hash state, never from the data.
func localSign(e *openpgp.Entity) SignFunc {
	return func(key *packet.PublicKey, req *ipc.SignRequest) (*packet.Signature, error) {
		h, _ := HashByID(req.HashAlgo)
		hs := h.New()
		if err := hs.(encoding.BinaryUnmarshaler).UnmarshalBinary(req.HashState); err != nil {
			return nil, err
		}
		id := key.KeyId
		sig := &packet.Signature{Version: 4, SigType: packet.SignatureType(req.SigType), PubKeyAlgo: key.PubKeyAlgo,
			Hash: h, CreationTime: time.Unix(req.Created, 0), IssuerKeyId: &id}
		no := false
		if err := sig.Sign(hs, e.PrivateKey, &packet.Config{NonDeterministicSignaturesViaNotation: &no}); err != nil {
			return nil, err
		}
		return sig, nil
	}
}

func signKeys() []SignKey {
	return []SignKey{{Key: testKey.PrimaryKey, Hash: crypto.SHA256}}
}

func keyring() openpgp.EntityList { return openpgp.EntityList{testKey} }

func TestDetachedRoundTrip(t *testing.T) {
	data := []byte("hello\r\nworld\n")
	for _, st := range []packet.SignatureType{packet.SigTypeBinary, packet.SigTypeText} {
		var sig bytes.Buffer
		if _, err := DetachSign(&sig, bytes.NewReader(data), signKeys(), st, time.Now(), localSign(testKey)); err != nil {
			t.Fatal(err)
		}
		vs, err := VerifyDetached(bytes.NewReader(sig.Bytes()), bytes.NewReader(data), keyring())
		if err != nil || len(vs) != 1 || vs[0].Err != nil {
			t.Fatalf("type %d: %v %+v", st, err, vs)
		}
		vs, _ = VerifyDetached(bytes.NewReader(sig.Bytes()), bytes.NewReader(append([]byte("x"), data...)), keyring())
		if !errors.Is(vs[0].Err, ErrBadSig) {
			t.Fatalf("tampered data verified: %v", vs[0].Err)
		}
		vs, _ = VerifyDetached(bytes.NewReader(sig.Bytes()), bytes.NewReader(data), openpgp.EntityList{})
		if !errors.Is(vs[0].Err, ErrNoPublicKey) {
			t.Fatalf("missing key: %v", vs[0].Err)
		}
	}
}

func TestClearSignRoundTrip(t *testing.T) {
	var out bytes.Buffer
	in := "- dash line\ntrailing spaces   \nlast line without newline"
	_, err := ClearSign(&out, strings.NewReader(in), signKeys(), time.Now(), localSign(testKey), armorSig)
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	vs, err := VerifyClearsigned(bytes.NewReader(out.Bytes()), &text, keyring())
	if err != nil || vs[0].Err != nil {
		t.Fatalf("%v %v\n%s", err, vs, out.Bytes())
	}
	// The text comes out as gpg writes it: trailing white space removed.
	if text.String() != strings.Replace(in, "spaces   ", "spaces", 1)+"\n" {
		t.Fatalf("text %q", text.String())
	}
	tampered := bytes.Replace(out.Bytes(), []byte("last line"), []byte("Last line"), 1)
	vs, err = VerifyClearsigned(bytes.NewReader(tampered), nil, keyring())
	if err != nil || !errors.Is(vs[0].Err, ErrBadSig) {
		t.Fatalf("tampered clearsigned text verified: %v", err)
	}
	// Trailing whitespace is not signed, a missing dash escape is an error.
	spaced := bytes.Replace(out.Bytes(), []byte("last line without newline"), []byte("last line without newline \t"), 1)
	if vs, err = VerifyClearsigned(bytes.NewReader(spaced), nil, keyring()); err != nil || vs[0].Err != nil {
		t.Fatalf("trailing whitespace changed the verdict: %v", err)
	}
	unescaped := bytes.Replace(out.Bytes(), []byte("- - dash line"), []byte("-- dash line"), 1)
	if _, err = VerifyClearsigned(bytes.NewReader(unescaped), nil, keyring()); !errors.Is(err, ErrBadCleartext) {
		t.Fatalf("unescaped dash line: %v", err)
	}
}

func TestComposeReadRoundTrip(t *testing.T) {
	enc, _ := testKey.EncryptionKey(time.Now())
	data := bytes.Repeat([]byte("streamed data "), 100000)
	for _, comp := range []packet.CompressionAlgo{packet.CompressionNone, packet.CompressionZIP, packet.CompressionZLIB} {
		c := &Compose{Recipients: []*packet.PublicKey{enc.PublicKey}, Cipher: packet.CipherAES256, Compression: comp,
			Signers: signKeys(), Sign: localSign(testKey), FileName: "f.txt", ModTime: time.Now(), Created: time.Now()}
		var msg bytes.Buffer
		if _, err := c.Write(&msg, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		env, err := ReadEnvelope(bytes.NewReader(msg.Bytes()))
		if err != nil || len(env.PKESKs) != 1 || env.Encrypted == nil {
			t.Fatalf("envelope: %v", err)
		}
		if err := env.PKESKs[0].Parsed.Decrypt(enc.PrivateKey, nil); err != nil {
			t.Fatal(err)
		}
		plain, err := env.OpenEncrypted(env.PKESKs[0].Parsed.CipherFunc, env.PKESKs[0].Parsed.Key)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		m, err := ReadSigned(plain, &out, keyring(), ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, plain)
		if err := plain.Close(); err != nil {
			t.Fatalf("MDC: %v", err)
		}
		if !bytes.Equal(out.Bytes(), data) || m.Literal.FileName != "f.txt" || len(m.Sigs) != 1 || m.Sigs[0].Err != nil {
			t.Fatalf("compression %d: round trip failed: %+v", comp, m.Sigs)
		}
	}
}

func TestSymmetricRoundTrip(t *testing.T) {
	c := &Compose{Passphrase: []byte("pw"), Cipher: packet.CipherAES128, Compression: packet.CompressionNone}
	var msg bytes.Buffer
	if _, err := c.Write(&msg, strings.NewReader("secret")); err != nil {
		t.Fatal(err)
	}
	env, err := ReadEnvelope(&msg)
	if err != nil || len(env.SKESKs) != 1 {
		t.Fatal(err)
	}
	key, cipher, err := env.SKESKs[0].Decrypt([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := env.OpenEncrypted(cipher, key)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := ReadSigned(plain, &out, keyring(), ReadOptions{}); err != nil || out.String() != "secret" {
		t.Fatalf("%v %q", err, out.String())
	}
}

func TestLiteralLength(t *testing.T) {
	// A short literal as gpg writes it: definite length.
	lit := newPacket(11, append([]byte{'b', 0, 0, 0, 0, 0}, "hello"...))
	m, err := ReadSigned(bytes.NewReader(lit), io.Discard, keyring(), ReadOptions{})
	if err != nil || m.LiteralLength != 5 {
		t.Fatalf("definite literal: %v, length %d", err, m.LiteralLength)
	}
	// Long streams get partial lengths: no length known up front.
	m, err = ReadSigned(bytes.NewReader(literal(t, strings.Repeat("x", 300<<10))), io.Discard, keyring(), ReadOptions{})
	if err != nil || m.LiteralLength != -1 {
		t.Fatalf("partial literal: %v, length %d", err, m.LiteralLength)
	}
}

func TestMaxOutput(t *testing.T) {
	_, err := ReadSigned(bytes.NewReader(literal(t, "0123456789")), io.Discard, keyring(), ReadOptions{MaxOutput: 5})
	if !errors.Is(err, ErrOutputLimit) {
		t.Fatalf("got %v", err)
	}
}

// Bad input 21: a garbled packet ends with an error, not a hang or panic.
func TestGarbledPacket(t *testing.T) {
	if _, err := ReadSigned(bytes.NewReader([]byte{0xa3, 0x01, 0x5b, 0xff}), io.Discard, keyring(), ReadOptions{}); err == nil {
		t.Fatal("garbled packet accepted")
	}
	if _, err := ReadEnvelope(bytes.NewReader([]byte{0xa3, 0x01, 0x5b, 0xff})); err == nil {
		// The envelope passes non-encrypted data on; reading it must fail.
		t.Log("envelope passes plain data through")
	}
}

// literal builds a literal data packet.
func literal(t *testing.T, body string) []byte {
	var b bytes.Buffer
	w, err := literalWriter(&b, true, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, body)
	w.Close()
	return b.Bytes()
}

// Bad input 26: two literal packets, or a literal after a signed message.
func TestTwoLiterals(t *testing.T) {
	two := append(literal(t, "a"), literal(t, "b")...)
	var out bytes.Buffer
	m, err := ReadSigned(bytes.NewReader(two), &out, keyring(), ReadOptions{})
	if err != nil || !m.MultipleLiterals || out.String() != "a" {
		t.Fatalf("two literal packets: %v %+v %q", err, m, out.String())
	}
	var signed bytes.Buffer
	c := &Compose{Signers: signKeys(), Sign: localSign(testKey), Created: time.Now(), ModTime: time.Now()}
	if _, err := c.Write(&signed, strings.NewReader("good")); err != nil {
		t.Fatal(err)
	}
	appended := append(signed.Bytes(), literal(t, "evil")...)
	m, err = ReadSigned(bytes.NewReader(appended), io.Discard, keyring(), ReadOptions{})
	if err != nil || !m.MultipleLiterals || len(m.Sigs) != 1 || !errors.Is(m.Sigs[0].Err, ErrBadSig) {
		t.Fatalf("literal appended after a signed message: %v %+v", err, m)
	}
}

// Bad input 20: a small message expanding enormously stops with an error
// after bounded output. One deflate layer expands at most ~1032:1, so a
// bomb nests compressed packets: here 1 GiB of zeros in two layers.
func TestCompressionBomb(t *testing.T) {
	var comp bytes.Buffer
	cfg := &packet.CompressionConfig{Level: flate.BestCompression}
	outer, _ := packet.SerializeCompressed(nopCloser{&comp}, packet.CompressionZIP, cfg)
	inner, _ := packet.SerializeCompressed(nopCloser{outer}, packet.CompressionZIP, cfg)
	lit, _ := packet.SerializeLiteral(nopCloser{inner}, true, "", 0)
	zero := make([]byte, 1<<20)
	for i := 0; i < 1024; i++ {
		lit.Write(zero)
	}
	lit.Close()
	inner.Close()
	outer.Close()
	if comp.Len() > 64<<10 {
		t.Fatalf("bomb is %d bytes", comp.Len())
	}
	var n countingWriter
	_, err := ReadSigned(bytes.NewReader(comp.Bytes()), &n, keyring(), ReadOptions{})
	if !errors.Is(err, ErrTooMuchExpansion) {
		t.Fatalf("bomb: %v after %d bytes", err, n)
	}
	if int64(n) > decompressSlack+expansionRatio*int64(comp.Len()) {
		t.Fatalf("wrote %d bytes before stopping", n)
	}
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// Bad input 25: no MDC, a flipped bit, a truncated SEIPD: never a clean end.
func TestIntegrityFailures(t *testing.T) {
	c := &Compose{Passphrase: []byte("pw"), Cipher: packet.CipherAES256, Compression: packet.CompressionNone}
	var msg bytes.Buffer
	if _, err := c.Write(&msg, bytes.NewReader(bytes.Repeat([]byte("x"), 5000))); err != nil {
		t.Fatal(err)
	}
	good := msg.Bytes()
	open := func(data []byte) error {
		env, err := ReadEnvelope(bytes.NewReader(data))
		if err != nil {
			return err
		}
		key, cipher, err := env.SKESKs[0].Decrypt([]byte("pw"))
		if err != nil {
			return err
		}
		plain, err := env.OpenEncrypted(cipher, key)
		if err != nil {
			return err
		}
		if _, err := ReadSigned(plain, io.Discard, keyring(), ReadOptions{}); err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, plain); err != nil {
			return err
		}
		return plain.Close()
	}
	if err := open(good); err != nil {
		t.Fatalf("good message: %v", err)
	}
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)-30] ^= 1
	if open(flipped) == nil {
		t.Error("flipped bit not detected")
	}
	if open(good[:len(good)-10]) == nil {
		t.Error("truncated SEIPD not detected")
	}
	// Tag 9: symmetrically encrypted data without MDC, after the same SKESK.
	var noMDC bytes.Buffer
	noMDC.Write(good[:firstPacketLen(t, good)])
	noMDC.Write(newPacket(9, make([]byte, 40)))
	env, err := ReadEnvelope(bytes.NewReader(noMDC.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if env.IntegrityProtected() {
		t.Error("no-MDC data reported as integrity protected")
	}
}

func firstPacketLen(t *testing.T, msg []byte) int {
	h, _, l, err := readPacketHeader(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	return len(h) + int(l)
}

// Bad input 27: parser panics inside go-crypto become errors.
func TestRecoverParse(t *testing.T) {
	err := func() (err error) {
		defer recoverParse(&err)
		panic("boom")
	}()
	if err == nil || !strings.Contains(err.Error(), "invalid packet") {
		t.Fatalf("got %v", err)
	}
}

func TestStubPrimary(t *testing.T) {
	var full bytes.Buffer
	if err := testKey.SerializePrivateWithoutSigning(&full, nil); err != nil {
		t.Fatal(err)
	}
	stub, err := StubPrimary(full.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	el, err := openpgp.ReadKeyRing(bytes.NewReader(stub))
	if err != nil || len(el) != 1 {
		t.Fatal(err)
	}
	if !el[0].PrivateKey.Dummy() || el[0].Subkeys[0].PrivateKey == nil || el[0].Subkeys[0].PrivateKey.Dummy() {
		t.Fatal("stub export kept the primary secret or lost the subkey secret")
	}
}

func armorSig(w io.Writer) (io.WriteCloser, error) { return armor.Encode(w, "PGP SIGNATURE", nil) }

// benchmarks: the hot paths front runs per byte.
func benchData(b *testing.B) []byte {
	data := make([]byte, 64<<20)
	rand.Read(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	return data
}

func BenchmarkDetachSign(b *testing.B) {
	data := benchData(b)
	for i := 0; i < b.N; i++ {
		if _, err := DetachSign(io.Discard, bytes.NewReader(data), signKeys(), packet.SigTypeBinary, time.Now(), localSign(testKey)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncrypt(b *testing.B) {
	enc, _ := testKey.EncryptionKey(time.Now())
	data := benchData(b)
	for i := 0; i < b.N; i++ {
		c := &Compose{Recipients: []*packet.PublicKey{enc.PublicKey}, Cipher: packet.CipherAES256}
		if _, err := c.Write(io.Discard, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecrypt(b *testing.B) {
	enc, _ := testKey.EncryptionKey(time.Now())
	data := benchData(b)
	var msg bytes.Buffer
	c := &Compose{Recipients: []*packet.PublicKey{enc.PublicKey}, Cipher: packet.CipherAES256}
	c.Write(&msg, bytes.NewReader(data))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		env, _ := ReadEnvelope(bytes.NewReader(msg.Bytes()))
		env.PKESKs[0].Parsed.Decrypt(enc.PrivateKey, nil)
		plain, _ := env.OpenEncrypted(env.PKESKs[0].Parsed.CipherFunc, env.PKESKs[0].Parsed.Key)
		if _, err := ReadSigned(plain, io.Discard, keyring(), ReadOptions{}); err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, plain)
		if err := plain.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// Bad input 28 (CVE-2025-30258): an attacker's certificate carries the
// victim's primary key as an encryption subkey, listed before the
// victim's certificate. The victim's signature must still be attributed
// to the victim.
func TestForeignPrimaryAsSubkey(t *testing.T) {
	attacker, err := Generate(&ipc.GenerateRequest{UserID: "Mallory <m@example.org>", Created: time.Now().Unix(),
		Primary: ipc.KeySpec{Algo: "ed25519", Usage: "sign,cert"}})
	if err != nil {
		t.Fatal(err)
	}
	stolen := *testKey.PrimaryKey
	stolen.IsSubkey = true
	binding := &packet.Signature{Version: 4, SigType: packet.SigTypeSubkeyBinding, PubKeyAlgo: attacker.PrimaryKey.PubKeyAlgo,
		Hash: crypto.SHA256, CreationTime: time.Now(), IssuerKeyId: &attacker.PrimaryKey.KeyId,
		FlagsValid: true, FlagEncryptCommunications: true, FlagEncryptStorage: true}
	if err := binding.SignKey(&stolen, attacker.PrivateKey, nil); err != nil {
		t.Fatal(err)
	}
	attacker.Subkeys = append(attacker.Subkeys, openpgp.Subkey{PublicKey: &stolen, Sig: binding})
	ring := openpgp.EntityList{attacker, testKey}
	data := []byte("signed by the victim")
	var sig bytes.Buffer
	if _, err := DetachSign(&sig, bytes.NewReader(data), signKeys(), packet.SigTypeBinary, time.Now(), localSign(testKey)); err != nil {
		t.Fatal(err)
	}
	vs, err := VerifyDetached(bytes.NewReader(sig.Bytes()), bytes.NewReader(data), ring)
	if err != nil || vs[0].Err != nil {
		t.Fatalf("verify: %v %v", err, vs)
	}
	if vs[0].Key.Entity != testKey {
		t.Fatalf("signature attributed to %q", vs[0].Key.Entity.PrimaryIdentity().Name)
	}
	// Only the attacker's certificate known: its encryption subkey may not
	// sign, so not a good signature (gpg: wrong key usage).
	vs, _ = VerifyDetached(bytes.NewReader(sig.Bytes()), bytes.NewReader(data), openpgp.EntityList{attacker})
	var usage *WrongKeyUsageError
	if !errors.As(vs[0].Err, &usage) || usage.Usage != 2 {
		t.Fatalf("attacker certificate alone: %v", vs[0].Err)
	}
}

// TestDocumentClassesOnly: a signature of any class but binary or text
// document is refused over data although it verifies (bad input 33).
func TestDocumentClassesOnly(t *testing.T) {
	data := []byte("class test")
	ring := openpgp.EntityList{testKey}
	for _, class := range []packet.SignatureType{0x02, 0x10, 0x13, 0x18, 0x19, 0x1F, 0x20, 0x28, 0x30, 0x40, 0x50} {
		sig := &packet.Signature{Version: 4, SigType: class, PubKeyAlgo: testKey.PrimaryKey.PubKeyAlgo, Hash: crypto.SHA256,
			CreationTime: time.Now(), IssuerKeyId: &testKey.PrimaryKey.KeyId}
		h := crypto.SHA256.New()
		h.Write(data)
		if err := sig.Sign(h, testKey.PrivateKey, nil); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := sig.Serialize(&buf); err != nil {
			t.Fatal(err)
		}
		vs, err := VerifyDetached(bytes.NewReader(buf.Bytes()), bytes.NewReader(data), ring)
		var classErr *SigClassError
		if err != nil || len(vs) != 1 || !errors.As(vs[0].Err, &classErr) || classErr.Class != class {
			t.Errorf("class 0x%02x: %v %v", uint8(class), err, vs)
		}
	}
}

// A signature whose key was missing verifies once the key is there
// (--auto-key-retrieve), from the hash state kept while the data was read;
// a tampered one stays bad, and only a missing key is rechecked.
func TestRecheckAfterRetrieval(t *testing.T) {
	data := []byte("fetched later\n")
	var sig bytes.Buffer
	if _, err := DetachSign(&sig, bytes.NewReader(data), signKeys(), packet.SigTypeBinary, time.Now(), localSign(testKey)); err != nil {
		t.Fatal(err)
	}
	vs, err := VerifyDetached(bytes.NewReader(sig.Bytes()), bytes.NewReader(data), openpgp.EntityList{})
	if err != nil || !errors.Is(vs[0].Err, ErrNoPublicKey) {
		t.Fatalf("missing key: %v %v", err, vs)
	}
	vs[0].Recheck(openpgp.EntityList{})
	if !errors.Is(vs[0].Err, ErrNoPublicKey) {
		t.Fatalf("still no key: %v", vs[0].Err)
	}
	vs[0].Recheck(keyring())
	if vs[0].Err != nil || vs[0].Key == nil {
		t.Fatalf("after retrieval: %v", vs[0].Err)
	}
	vs[0].Recheck(openpgp.EntityList{})
	if vs[0].Err != nil {
		t.Fatalf("a good signature was checked again: %v", vs[0].Err)
	}
	vs, _ = VerifyDetached(bytes.NewReader(sig.Bytes()), bytes.NewReader(append(data, 'x')), openpgp.EntityList{})
	vs[0].Recheck(keyring())
	if !errors.Is(vs[0].Err, ErrBadSig) {
		t.Fatalf("tampered data after retrieval: %v", vs[0].Err)
	}
}
