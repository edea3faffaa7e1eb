package pgp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Known answers for every legacy cipher path: messages gpg 2.2.40 made with
// `-c --cipher-algo X` (SEIPD), with --rfc2440 (SED, tag 9: OpenPGP CFB
// with resync), with a simple S2K, and with `-c -e` (an encrypted session
// key in the SKESK), all with passphrase "pw" over testdata/legacy/plain.txt.
func TestLegacyCipherKnownAnswers(t *testing.T) {
	want, err := os.ReadFile("testdata/legacy/plain.txt")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		file      string
		cipher    packet.CipherFunction
		protected bool
	}{
		{"seipd-idea.gpg", CipherIDEA, true},
		{"seipd-3des.gpg", packet.Cipher3DES, true},
		{"seipd-cast5.gpg", packet.CipherCAST5, true},
		{"seipd-blowfish.gpg", CipherBlowfish, true},
		{"seipd-twofish.gpg", CipherTwofish, true},
		{"sed-idea.gpg", CipherIDEA, false},
		{"sed-3des.gpg", packet.Cipher3DES, false},
		{"sed-cast5.gpg", packet.CipherCAST5, false},
		{"sed-blowfish.gpg", CipherBlowfish, false},
		{"sed-twofish.gpg", CipherTwofish, false},
		{"sed-twofish-simple-s2k.gpg", CipherTwofish, false},
		{"seskey-blowfish.gpg", CipherBlowfish, true},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			env := legacyEnvelope(t, c.file)
			if env.IntegrityProtected() != c.protected {
				t.Fatalf("IntegrityProtected = %v", env.IntegrityProtected())
			}
			sk := env.SKESKs[len(env.SKESKs)-1]
			key, cipher, err := sk.Decrypt([]byte("pw"))
			if err != nil || cipher != c.cipher {
				t.Fatalf("Decrypt: cipher %d, %v", cipher, err)
			}
			plain, err := env.OpenEncryptedWithPassphraseKey(cipher, key)
			if got := literalOf(t, plain, err); !bytes.Equal(got, want) {
				t.Fatalf("plaintext %q", got)
			}
			// a wrong passphrase fails the quick check (or, with an
			// encrypted session key, gives no valid session key)
			env = legacyEnvelope(t, c.file)
			key, cipher, err = env.SKESKs[len(env.SKESKs)-1].Decrypt([]byte("wrong"))
			if err == nil {
				_, err = env.OpenEncryptedWithPassphraseKey(cipher, key)
				if !errors.Is(err, ErrBadQuickCheck) {
					t.Fatalf("wrong passphrase: %v", err)
				}
			}
		})
	}
}

func legacyEnvelope(t *testing.T, name string) *Envelope {
	t.Helper()
	msg, err := os.ReadFile(filepath.Join("testdata/legacy", name))
	if err != nil {
		t.Fatal(err)
	}
	env, err := ReadEnvelope(bytes.NewReader(msg))
	if err != nil || len(env.SKESKs) == 0 {
		t.Fatalf("ReadEnvelope: %v", err)
	}
	return env
}

// A changed byte in a SED message is not detected (there is nothing to
// detect it with): the caller must not trust Close, which says nothing.
func TestSEDHasNoVerdict(t *testing.T) {
	msg, _ := os.ReadFile("testdata/legacy/sed-cast5.gpg")
	msg[len(msg)-3] ^= 1
	env, err := ReadEnvelope(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	key, cipher, _ := env.SKESKs[0].Decrypt([]byte("pw"))
	plain, err := env.OpenEncryptedWithPassphraseKey(cipher, key)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, plain)
	if plain.Close() != nil || env.IntegrityProtected() {
		t.Fatal("SED must report no integrity verdict")
	}
}

// Public-key encrypted messages whose session key names a legacy cipher,
// made by gpg 2.2.40 (`-e --cipher-algo X`) for an RSA, a Curve25519 ECDH
// and an ElGamal key (testdata/legacy/key-*.sec, no passphrase).
func TestLegacySessionKeyKnownAnswers(t *testing.T) {
	want, _ := os.ReadFile("testdata/legacy/plain.txt")
	for _, c := range []struct {
		key, msg string
		cipher   packet.CipherFunction
	}{
		{"key-r.sec", "pkesk-r-idea.gpg", CipherIDEA},
		{"key-e.sec", "pkesk-e-twofish.gpg", CipherTwofish},
		{"key-g.sec", "pkesk-g-blowfish.gpg", CipherBlowfish},
	} {
		t.Run(c.msg, func(t *testing.T) {
			f, _ := os.Open(filepath.Join("testdata/legacy", c.key))
			defer f.Close()
			e, err := openpgp.ReadEntity(packet.NewReader(f))
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := os.ReadFile(filepath.Join("testdata/legacy", c.msg))
			env, err := ReadEnvelope(bytes.NewReader(msg))
			if err != nil || len(env.PKESKs) != 1 {
				t.Fatalf("ReadEnvelope: %v", err)
			}
			var priv *packet.PrivateKey
			for _, k := range append([]*packet.PrivateKey{e.PrivateKey}, subkeys(e)...) {
				if k.KeyId == env.PKESKs[0].Parsed.KeyId {
					priv = k
				}
			}
			if priv == nil {
				t.Fatal("no subkey for the session key packet")
			}
			raw := env.PKESKs[0].Raw
			cipher, key, err := DecryptSessionKey(raw, priv)
			if err != nil || cipher != c.cipher {
				t.Fatalf("DecryptSessionKey: cipher %d, %v", cipher, err)
			}
			plain, err := env.OpenEncrypted(cipher, key)
			if got := literalOf(t, plain, err); !bytes.Equal(got, want) {
				t.Fatalf("plaintext %q", got)
			}
			// a changed last byte of the encrypted session key gives none
			bad := append([]byte(nil), raw...)
			bad[len(bad)-1] ^= 1
			if _, _, err := DecryptSessionKey(bad, priv); err == nil {
				t.Fatal("changed session key packet accepted")
			}
		})
	}
}

// literalOf reads a decrypted message (as opened, with the opening's
// error) to its literal data; closing it checks the integrity.
func literalOf(t *testing.T, plain io.ReadCloser, openErr error) []byte {
	t.Helper()
	if openErr != nil {
		t.Fatal(openErr)
	}
	var out bytes.Buffer
	if _, err := ReadSigned(plain, &out, nil, ReadOptions{}); err != nil {
		t.Fatalf("reading the message: %v", err)
	}
	if err := plain.Close(); err != nil {
		t.Fatalf("closing the message: %v", err)
	}
	return out.Bytes()
}

func subkeys(e *openpgp.Entity) (keys []*packet.PrivateKey) {
	for _, sub := range e.Subkeys {
		keys = append(keys, sub.PrivateKey)
	}
	return keys
}

// PGP 2's conventional encryption: a SED packet with no session key packet
// before it, made with OpenSSL's IDEA (key: SHA-1 of "pw", first 16 bytes).
func TestConventionalKey(t *testing.T) {
	msg, _ := hex.DecodeString("a424369dfd3286c904293db8645b8eca48674e9417c1dad9bd2993ed99dd0f487cdba9ca3fc5")
	env, err := ReadEnvelope(bytes.NewReader(msg))
	if err != nil || len(env.SKESKs)+len(env.PKESKs) != 0 || env.IntegrityProtected() {
		t.Fatalf("ReadEnvelope: %v", err)
	}
	cipher, key := ConventionalKey([]byte("pw"))
	if cipher != CipherIDEA {
		t.Fatalf("cipher %d", cipher)
	}
	plain, err := env.OpenEncryptedWithPassphraseKey(cipher, key)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := ReadSigned(plain, &out, nil, ReadOptions{}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "hello legacy\n" {
		t.Fatalf("plaintext %q", out.String())
	}
}
