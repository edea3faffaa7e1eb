package pgp

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"
	"github.com/frontpgp/front/ipc"
)

// Sizes around the places where the SEIPD reader and writer change state:
// the 22 bytes held back for the MDC, and the 256 KiB chunk boundary.
var seipdSizes = []int{0, 1, 21, 22, 23, 1<<partialChunkLog - 60, 1<<partialChunkLog - 1, 1 << partialChunkLog, 3<<partialChunkLog + 5}

// fastS2K keeps the passphrase hashing of these tests short.
func fastS2K() *packet.Config {
	return &packet.Config{S2KConfig: &s2k.Config{S2KMode: s2k.IteratedSaltedS2K, Hash: crypto.SHA256, S2KCount: 1024}}
}

func symmetricMessage(t testing.TB, c packet.CipherFunction, data []byte) []byte {
	t.Helper()
	var msg bytes.Buffer
	comp := &Compose{Passphrase: []byte("pw"), Cipher: c, Compression: packet.CompressionNone, S2K: fastS2K()}
	if _, err := comp.Write(&msg, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return msg.Bytes()
}

// openSymmetric decrypts a message from symmetricMessage with our reader.
func openSymmetric(msg []byte, pass string) ([]byte, error) {
	env, err := ReadEnvelope(bytes.NewReader(msg))
	if err != nil {
		return nil, err
	}
	key, cipher, err := env.SKESKs[0].Decrypt([]byte(pass))
	if err != nil {
		return nil, err
	}
	plain, err := env.OpenEncryptedWithPassphraseKey(cipher, key)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if _, err := ReadSigned(plain, &out, keyring(), ReadOptions{MaxOutput: -1}); err != nil {
		plain.Close()
		return nil, err
	}
	if err := plain.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Our SEIPDv1 writer and reader against each other for every cipher (on
// the packet level: go-crypto has no CAST5 or 3DES session key packets),
// across the MDC and chunk boundaries.
func TestSEIPDRoundTrip(t *testing.T) {
	for _, c := range []packet.CipherFunction{packet.CipherAES128, packet.CipherAES192, packet.CipherAES256, packet.CipherCAST5, packet.Cipher3DES} {
		key := make([]byte, c.KeySize())
		rand.Read(key)
		for _, n := range seipdSizes {
			data := make([]byte, n)
			rand.Read(data)
			var msg bytes.Buffer
			w, err := newSEIPDWriter(&msg, c, key)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(data)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			p, err := packet.Read(&msg)
			se, ok := p.(*packet.SymmetricallyEncrypted)
			if err != nil || !ok || se.Version != 1 {
				t.Fatalf("cipher %d, %d bytes: not a SEIPDv1 packet: %v", c, n, err)
			}
			r, err := openSEIPDv1(se.Contents, c, key, true)
			if err != nil {
				t.Fatalf("cipher %d, %d bytes: %v", c, n, err)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, data) || r.Close() != nil {
				t.Fatalf("cipher %d, %d bytes: round trip failed: %v", c, n, err)
			}
		}
	}
}

// The same with whole messages against go-crypto's reader and writer.
func TestSEIPDWithGoCrypto(t *testing.T) {
	for _, c := range []packet.CipherFunction{packet.CipherAES128, packet.CipherAES192, packet.CipherAES256} {
		for _, n := range seipdSizes {
			data := make([]byte, n)
			rand.Read(data)
			msg := symmetricMessage(t, c, data)
			md, err := openpgp.ReadMessage(bytes.NewReader(msg), nil, func([]openpgp.Key, bool) ([]byte, error) { return []byte("pw"), nil }, nil)
			if err != nil {
				t.Fatalf("cipher %d, %d bytes: go-crypto: %v", c, n, err)
			}
			back, err := io.ReadAll(md.UnverifiedBody)
			if err != nil || !bytes.Equal(back, data) {
				t.Fatalf("cipher %d, %d bytes: ours->go-crypto: %v", c, n, err)
			}
			// We read what go-crypto writes (SEIPDv1: AEAD off).
			var gmsg bytes.Buffer
			cfg := fastS2K()
			cfg.DefaultCipher = c
			w, err := openpgp.SymmetricallyEncrypt(&gmsg, []byte("pw"), nil, cfg)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(data)
			w.Close()
			if got, err := openSymmetric(gmsg.Bytes(), "pw"); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("cipher %d, %d bytes: go-crypto->ours: %v", c, n, err)
			}
		}
	}
}

// A wrong passphrase key fails the quick check at once, as in gpg; a wrong
// public-key session key is not quick-checked and fails the MDC.
func TestSEIPDQuickCheck(t *testing.T) {
	msg := symmetricMessage(t, packet.CipherAES256, []byte("secret"))
	env, err := ReadEnvelope(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	key, cipher, err := env.SKESKs[0].Decrypt([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	wrong := bytes.Clone(key)
	wrong[0] ^= 1
	if _, err := env.OpenEncryptedWithPassphraseKey(cipher, wrong); !errors.Is(err, ErrBadQuickCheck) {
		t.Fatalf("wrong passphrase key: %v", err)
	}
	env, _ = ReadEnvelope(bytes.NewReader(msg))
	plain, err := env.OpenEncrypted(cipher, wrong)
	if err != nil {
		t.Fatalf("a public-key session key must not be quick-checked: %v", err)
	}
	io.Copy(io.Discard, plain)
	if err := plain.Close(); !errors.Is(err, ErrMDCMismatch) {
		t.Fatalf("wrong key: MDC verdict %v", err)
	}
}

type failingWriter struct{ after int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.after -= len(p); f.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

// A write error in the encryption worker reaches the caller, and no
// goroutine outlives a failed or finished message.
func TestSEIPDWriterErrors(t *testing.T) {
	before := runtime.NumGoroutine()
	comp := &Compose{Passphrase: []byte("pw"), Cipher: packet.CipherAES256, Compression: packet.CompressionNone}
	_, err := comp.Write(&failingWriter{after: 1 << 20}, bytes.NewReader(make([]byte, 8<<20)))
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("write error: %v", err)
	}
	symmetricMessage(t, packet.CipherAES128, make([]byte, 1<<20))
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines left running", n-before)
	}
}

type errAfter struct {
	r   io.Reader
	err error
}

func (e *errAfter) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, e.err
	}
	return n, err
}

func TestReadAhead(t *testing.T) {
	data := make([]byte, 3*copyBuffer+17)
	rand.Read(data)
	got, err := io.ReadAll(NewReadAhead(bytes.NewReader(data)))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Read: %v", err)
	}
	var out bytes.Buffer
	if n, err := io.Copy(&out, NewReadAhead(bytes.NewReader(data))); err != nil || n != int64(len(data)) || !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("WriteTo: %d %v", n, err)
	}
	boom := errors.New("boom")
	if _, err := io.ReadAll(NewReadAhead(&errAfter{bytes.NewReader(data), boom})); !errors.Is(err, boom) {
		t.Fatalf("read error: %v", err)
	}
	if _, err := io.Copy(io.Discard, NewReadAhead(&errAfter{bytes.NewReader(data), boom})); !errors.Is(err, boom) {
		t.Fatalf("read error through WriteTo: %v", err)
	}
}

// An input that ends within its first chunk is read in the caller's
// goroutine; a longer one, arriving in pieces (a pipe), moves to the
// reading goroutine after its first chunk's worth and loses nothing.
func TestReadAheadDirectFirst(t *testing.T) {
	for _, n := range []int{0, 1, 1024, copyBuffer - 1, copyBuffer, copyBuffer + 1, 3*copyBuffer + 17} {
		data := make([]byte, n)
		rand.Read(data)
		for _, piece := range []int{n + 1, 4096} {
			ra := NewReadAhead(&pieces{bytes.NewReader(data), piece})
			var got []byte
			var err error
			if piece == 4096 {
				var out bytes.Buffer
				_, err = io.Copy(&out, ra)
				got = out.Bytes()
			} else {
				got, err = io.ReadAll(ra)
			}
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%d bytes in %d-byte reads: %v", n, piece, err)
			}
			// begin hands first to the goroutine; without it, first stays.
			if started := ra.first == nil && n > 0; started != (n >= copyBuffer) {
				t.Fatalf("%d bytes in %d-byte reads: reading goroutine started %v", n, piece, started)
			}
		}
	}
	boom := errors.New("boom")
	if _, err := io.ReadAll(NewReadAhead(&errAfter{bytes.NewReader(make([]byte, 10)), boom})); !errors.Is(err, boom) {
		t.Fatalf("read error in the first chunk: %v", err)
	}
}

// pieces returns at most n bytes per Read, as a pipe does.
type pieces struct {
	r io.Reader
	n int
}

func (p *pieces) Read(b []byte) (int, error) {
	if len(b) > p.n {
		b = b[:p.n]
	}
	return p.r.Read(b)
}

func armored(t *testing.T, typ string, headers map[string]string, body []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := armor.Encode(&b, typ, headers)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(body)
	w.Close()
	return b.Bytes()
}

func TestDecodeArmor(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 4, 57, 100, armorBatch, 3*armorBatch + 1} {
		body := make([]byte, n)
		rand.Read(body)
		in := append([]byte("garbage before\n\n"), armored(t, "PGP MESSAGE", map[string]string{"Comment": "c: d"}, body)...)
		b, err := DecodeArmor(bytes.NewReader(in))
		if err != nil || b.Type != "PGP MESSAGE" || b.Header["Comment"] != "c: d" {
			t.Fatalf("%d bytes: %v %+v", n, err, b)
		}
		got, err := io.ReadAll(b.Body)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("%d bytes: body differs: %v", n, err)
		}
	}
	good := armored(t, "PGP MESSAGE", nil, []byte("hello"))
	// CRLF line ends, and no checksum or tail at all.
	crlf := bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n"))
	cut := good[:bytes.Index(good, []byte("\n="))+1]
	for name, in := range map[string][]byte{"crlf": crlf, "no checksum or tail": cut} {
		b, err := DecodeArmor(bytes.NewReader(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, err := io.ReadAll(b.Body); err != nil || string(got) != "hello" {
			t.Fatalf("%s: %q %v", name, got, err)
		}
	}
	corrupt := bytes.Replace(good, []byte("\n\n"), []byte("\n\n!!!!"), 1)
	if b, err := DecodeArmor(bytes.NewReader(corrupt)); err == nil {
		if _, err := io.ReadAll(b.Body); !errors.Is(err, ErrArmor) {
			t.Fatalf("corrupt base64: %v", err)
		}
	}
	// Headers are bounded: go-crypto would build a value of any length.
	huge := append([]byte("-----BEGIN PGP MESSAGE-----\nComment: "), bytes.Repeat([]byte("x"), 10<<20)...)
	if _, err := DecodeArmor(bytes.NewReader(huge)); err == nil {
		t.Fatal("10 MiB armor header accepted")
	}
	many := []byte("-----BEGIN PGP MESSAGE-----\n" + strings.Repeat("Comment: x\n", 20000))
	if _, err := DecodeArmor(bytes.NewReader(many)); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("20000 armor headers: %v", err)
	}
	if _, err := DecodeArmor(strings.NewReader("no armor here\n")); err == nil {
		t.Fatal("input without armor accepted")
	}
}

// Packets other than data packets are read whole, so their size is bounded
// before they are read; data packets stream.
func TestMessagePacketLimits(t *testing.T) {
	big := newPacket(2, make([]byte, maxMessagePacket+1))
	if _, err := ReadSigned(bytes.NewReader(append(big, literal(t, "x")...)), io.Discard, keyring(), ReadOptions{}); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("oversized signature packet: %v", err)
	}
	// A signature packet with a partial length (gpg refuses these too).
	partial := append([]byte{0xc2, 0xe0 + 9}, make([]byte, 512)...)
	if _, err := readSignatures(bytes.NewReader(partial)); err == nil || !strings.Contains(err.Error(), "partial length") {
		t.Fatalf("partial-length signature: %v", err)
	}
	// Padding and marker packets are skipped.
	msg := append(newPacket(21, make([]byte, 300<<10)), newPacket(10, []byte("PGP"))...)
	msg = append(msg, literal(t, "data")...)
	var out bytes.Buffer
	if _, err := ReadSigned(bytes.NewReader(msg), &out, keyring(), ReadOptions{}); err != nil || out.String() != "data" {
		t.Fatalf("padding and marker: %v %q", err, out.String())
	}
	// Markers count toward the session key packet limit.
	var flood []byte
	for i := 0; i <= maxSessionKeyPackets; i++ {
		flood = append(flood, newPacket(10, []byte("PGP"))...)
	}
	if _, err := ReadEnvelope(bytes.NewReader(flood)); err == nil || !strings.Contains(err.Error(), "too many") {
		t.Fatalf("marker flood: %v", err)
	}
}

// clearsigned signs text with our ClearSign and rewrites its Hash header.
func clearsigned(t *testing.T, text string, keys []SignKey, sign SignFunc, header string) []byte {
	t.Helper()
	var out bytes.Buffer
	if _, err := ClearSign(&out, strings.NewReader(text), keys, time.Now(), sign, armorSig); err != nil {
		t.Fatal(err)
	}
	msg := out.Bytes()
	if header != "keep" {
		start := bytes.Index(msg, []byte("\n")) + 1
		end := bytes.Index(msg, []byte("\n\n"))
		msg = append(append(append([]byte(nil), msg[:start]...), header...), msg[end+1:]...)
	}
	return msg
}

// gpg hashes a cleartext with the algorithms its Hash header announces
// (SHA1 without one) and reports any other as a digest conflict; it strips
// trailing NULs with the white space.
func TestClearsignHashes(t *testing.T) {
	sha256Key := []SignKey{{Key: testKey.PrimaryKey, Hash: crypto.SHA256}}
	sha1Key := []SignKey{{Key: testKey.PrimaryKey, Hash: crypto.SHA1}}
	for _, tc := range []struct {
		name, header string
		keys         []SignKey
		want         error
	}{
		{"announced", "keep", sha256Key, nil},
		{"other algorithm announced", "Hash: SHA512\n", sha256Key, ErrDigestConflict},
		{"two announced", "Hash: SHA512, SHA256\n", sha256Key, nil},
		{"no header: SHA1 only", "", sha256Key, ErrDigestConflict},
		{"no header, SHA1 signature", "", sha1Key, nil},
	} {
		msg := clearsigned(t, "some text\n", tc.keys, localSign(testKey), tc.header)
		vs, err := VerifyClearsigned(bytes.NewReader(msg), nil, keyring())
		if err != nil || len(vs) != 1 || !errors.Is(vs[0].Err, tc.want) || (tc.want == nil && vs[0].Err != nil) {
			t.Fatalf("%s: %v %+v\n%s", tc.name, err, vs, msg)
		}
	}
	msg := clearsigned(t, "x", sha256Key, localSign(testKey), "Hash: MD4\n")
	if _, err := VerifyClearsigned(bytes.NewReader(msg), nil, keyring()); !errors.Is(err, ErrBadCleartext) {
		t.Fatalf("unknown hash name: %v", err)
	}
	// A trailing NUL is white space to gpg: the signature covers "abc".
	withNUL := clearsigned(t, "abc\x00 \n", sha256Key, localSign(testKey), "keep")
	plain := clearsigned(t, "abc\n", sha256Key, localSign(testKey), "keep")
	sigOf := func(m []byte) []byte { return m[bytes.Index(m, []byte(beginSignature)):] }
	swapped := append(bytes.Clone(withNUL[:bytes.Index(withNUL, []byte(beginSignature))]), sigOf(plain)...)
	var text bytes.Buffer
	if vs, err := VerifyClearsigned(bytes.NewReader(swapped), &text, keyring()); err != nil || vs[0].Err != nil || text.String() != "abc\n" {
		t.Fatalf("trailing NUL: %v %+v %q", err, vs, text.String())
	}
}

var v6Key = func() *openpgp.Entity {
	e, err := Generate(&ipc.GenerateRequest{
		UserID: "V6 <v6@example.org>", Created: time.Now().Unix(), V6: true,
		Primary: ipc.KeySpec{Algo: "ed25519", Usage: "sign,cert"},
	})
	if err != nil {
		panic(err)
	}
	return e
}()

// Salted (v6) signatures are checked from the kept text, which is bounded.
func TestClearsignSalted(t *testing.T) {
	keys := []SignKey{{Key: v6Key.PrimaryKey, Hash: crypto.SHA256}}
	ring := openpgp.EntityList{v6Key}
	small := clearsigned(t, "v6 text\n", keys, localSignV6(v6Key), "keep")
	if bytes.Contains(small, []byte("Hash:")) {
		t.Fatalf("v6 cleartext with a Hash header:\n%s", small)
	}
	if vs, err := VerifyClearsigned(bytes.NewReader(small), nil, ring); err != nil || vs[0].Err != nil {
		t.Fatalf("v6 clearsigned: %v %+v", err, vs)
	}
	line := strings.Repeat("y", 1000) + "\n"
	large := clearsigned(t, strings.Repeat(line, maxSaltedSpool/len(line)+10), keys, localSignV6(v6Key), "keep")
	if vs, err := VerifyClearsigned(bytes.NewReader(large), nil, ring); err != nil || !errors.Is(vs[0].Err, ErrSaltedTextTooLarge) {
		t.Fatalf("v6 over more than the kept text: %v %+v", err, vs)
	}
}

// localSignV6 finishes v6 signatures in-process (localSign makes v4 ones).
func localSignV6(e *openpgp.Entity) SignFunc {
	return func(key *packet.PublicKey, req *ipc.SignRequest) (*packet.Signature, error) {
		h, _ := HashByID(req.HashAlgo)
		hs := h.New()
		if err := hs.(interface{ UnmarshalBinary([]byte) error }).UnmarshalBinary(req.HashState); err != nil {
			return nil, err
		}
		sig := &packet.Signature{Version: 6, SigType: packet.SignatureType(req.SigType), PubKeyAlgo: key.PubKeyAlgo,
			Hash: h, CreationTime: time.Unix(req.Created, 0), IssuerKeyId: &key.KeyId, IssuerFingerprint: key.Fingerprint}
		if err := sig.SetSalt(req.Salt); err != nil {
			return nil, err
		}
		if err := sig.Sign(hs, e.PrivateKey, nil); err != nil {
			return nil, err
		}
		return sig, nil
	}
}

// zeros is an endless reader of zero bytes, cut by io.LimitReader.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// textLines is an endless reader of short text lines.
type textLines struct{ off int }

const textLine = "a line of text - to sign and check\n"

func (l *textLines) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = textLine[l.off]
		l.off = (l.off + 1) % len(textLine)
	}
	return len(p), nil
}

// allocated returns the bytes allocated while f ran.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Memory stays flat: what every streaming operation allocates does not grow
// with the size of its input (a buffered copy of the data would show as the
// difference between the small and the large run).
func TestStreamingAllocationsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 44 MiB per operation")
	}
	enc, _ := testKey.EncryptionKey(time.Now())
	recipient := []*packet.PublicKey{enc.PublicKey}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	sign := func(n int64) []byte {
		var sig bytes.Buffer
		_, err := DetachSign(&sig, io.LimitReader(zeros{}, n), signKeys(), packet.SigTypeBinary, time.Now(), localSign(testKey))
		must(err)
		return sig.Bytes()
	}
	ops := map[string]func(n int64){
		"encrypt": func(n int64) {
			c := &Compose{Recipients: recipient, Cipher: packet.CipherAES256}
			_, err := c.Write(io.Discard, io.LimitReader(zeros{}, n))
			must(err)
		},
		"sign and verify detached": func(n int64) {
			sig := sign(n)
			vs, err := VerifyDetached(bytes.NewReader(sig), io.LimitReader(zeros{}, n), keyring())
			must(err)
			must(vs[0].Err)
		},
		"encrypt and decrypt": func(n int64) {
			c := &Compose{Recipients: recipient, Cipher: packet.CipherAES256, Signers: signKeys(), Sign: localSign(testKey), Created: time.Now()}
			pr, pw := io.Pipe()
			go func() {
				_, err := c.Write(pw, io.LimitReader(zeros{}, n))
				pw.CloseWithError(err)
			}()
			env, err := ReadEnvelope(pr)
			must(err)
			must(env.PKESKs[0].Parsed.Decrypt(enc.PrivateKey, nil))
			plain, err := env.OpenEncrypted(env.PKESKs[0].Parsed.CipherFunc, env.PKESKs[0].Parsed.Key)
			must(err)
			m, err := ReadSigned(plain, io.Discard, keyring(), ReadOptions{})
			must(err)
			must(plain.Close())
			must(m.Sigs[0].Err)
		},
		"clearsign and verify": func(n int64) {
			pr, pw := io.Pipe()
			go func() {
				_, err := ClearSign(pw, io.LimitReader(&textLines{}, n), signKeys(), time.Now(), localSign(testKey), armorSig)
				pw.CloseWithError(err)
			}()
			vs, err := VerifyClearsigned(pr, io.Discard, keyring())
			must(err)
			must(vs[0].Err)
		},
		"armor": func(n int64) {
			pr, pw := io.Pipe()
			go func() {
				w, _ := armor.Encode(pw, "PGP MESSAGE", nil)
				_, err := io.Copy(w, io.LimitReader(zeros{}, n))
				w.Close()
				pw.CloseWithError(err)
			}()
			b, err := DecodeArmor(pr)
			must(err)
			got, err := io.Copy(io.Discard, b.Body)
			must(err)
			if got != n {
				t.Fatalf("armor: %d of %d bytes", got, n)
			}
		},
	}
	for name, op := range ops {
		// Both runs are larger than the salted-signature text spool
		// (clearsign), so fixed buffers and the spool are the same in
		// both; 20 MiB more input must not show.
		small := allocated(func() { op(12 << 20) })
		large := allocated(func() { op(32 << 20) })
		if large > small+(4<<20) {
			t.Errorf("%s: allocated %d KiB for 12 MiB, %d KiB for 32 MiB", name, small>>10, large>>10)
		}
	}
}
