package pgp

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/ipc"
)

func newV6TestKey(t *testing.T) *openpgp.Entity {
	t.Helper()
	e, err := Generate(&ipc.GenerateRequest{
		UserID: "Six <six@example.org>", Created: time.Now().Unix(), V6: true,
		Primary: ipc.KeySpec{Algo: "ed25519", Usage: "sign,cert"},
		Subkeys: []ipc.KeySpec{{Algo: "cv25519", Usage: "encr"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if e.PrimaryKey.Version != 6 {
		t.Fatalf("version %d key", e.PrimaryKey.Version)
	}
	return e
}

// A generated v6 key advertises SEIPDv2, so messages to v6 keys use it;
// a v4 recipient (even one among v6 ones) keeps the message SEIPDv1.
func TestSEIPDv2Mode(t *testing.T) {
	a, b := newV6TestKey(t), newV6TestKey(t)
	if m := SEIPDv2Mode([]*openpgp.Entity{a}, packet.CipherAES256); m != packet.AEADModeOCB {
		t.Errorf("v6 recipient: mode %d, want OCB", m)
	}
	for _, certs := range [][]*openpgp.Entity{nil, {testKey}, {a, testKey}} {
		if m := SEIPDv2Mode(certs, packet.CipherAES256); m != 0 {
			t.Errorf("%d recipients with a v4 one (or none): mode %d, want SEIPDv1", len(certs), m)
		}
	}
	// the first recipient's first preferred suite for the cipher that all
	// others list too; OCB when they share none
	sa, _ := a.PrimarySelfSignature()
	sb, _ := b.PrimarySelfSignature()
	sa.PreferredCipherSuites = [][2]uint8{{7, 3}, {9, 3}, {9, 2}}
	sb.PreferredCipherSuites = [][2]uint8{{9, 2}, {9, 3}}
	if m := SEIPDv2Mode([]*openpgp.Entity{a, b}, packet.CipherAES256); m != packet.AEADModeGCM {
		t.Errorf("shared preference: mode %d, want GCM", m)
	}
	sb.PreferredCipherSuites = [][2]uint8{{9, 1}}
	if m := SEIPDv2Mode([]*openpgp.Entity{a, b}, packet.CipherAES256); m != packet.AEADModeOCB {
		t.Errorf("no shared preference: mode %d, want OCB", m)
	}
	sb.SEIPDv2 = false
	if m := SEIPDv2Mode([]*openpgp.Entity{a, b}, packet.CipherAES256); m != 0 {
		t.Errorf("a recipient without the SEIPDv2 feature: mode %d", m)
	}
}

// A SEIPDv2 message carries v6 PKESK and SKESK packets, opens with either
// session key, and a changed byte fails its integrity check.
func TestComposeSEIPDv2RoundTrip(t *testing.T) {
	six := newV6TestKey(t)
	enc, ok := six.EncryptionKey(time.Now())
	if !ok {
		t.Fatal("no encryption subkey")
	}
	data := bytes.Repeat([]byte("aead chunked data "), 40000) // several 256 KiB chunks
	c := &Compose{Recipients: []*packet.PublicKey{enc.PublicKey}, Passphrase: []byte("pw"), Cipher: packet.CipherAES256,
		AEAD: packet.AEADModeOCB, Compression: packet.CompressionNone, FileName: "f", ModTime: time.Now(), Created: time.Now()}
	var msg bytes.Buffer
	if _, err := c.Write(&msg, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	open := func(raw []byte, passphrase bool) ([]byte, error) {
		env, err := ReadEnvelope(bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		if len(env.PKESKs) != 1 || env.PKESKs[0].Parsed.Version != 6 || len(env.SKESKs) != 1 || env.SKESKs[0].aed == nil || env.SKESKs[0].aed.Version != 6 {
			t.Fatalf("session key packets: %d PKESK, %d SKESK, want one v6 each", len(env.PKESKs), len(env.SKESKs))
		}
		if c, m := env.AEADSuite(); c != packet.CipherAES256 || m != packet.AEADModeOCB {
			t.Fatalf("suite %d/%d, want AES-256/OCB", c, m)
		}
		var key []byte
		var cipher packet.CipherFunction
		if passphrase {
			if key, cipher, err = env.SKESKs[0].Decrypt([]byte("pw")); err != nil {
				t.Fatal(err)
			}
		} else {
			if err := env.PKESKs[0].Parsed.Decrypt(enc.PrivateKey, nil); err != nil {
				t.Fatal(err)
			}
			key, cipher = env.PKESKs[0].Parsed.Key, env.PKESKs[0].Parsed.CipherFunc
		}
		plain, err := env.OpenEncrypted(cipher, key)
		if err != nil {
			return nil, err
		}
		var out bytes.Buffer
		if _, err := ReadSigned(plain, &out, nil, ReadOptions{}); err != nil {
			return nil, err
		}
		if _, err := io.Copy(io.Discard, plain); err != nil {
			return nil, err
		}
		return out.Bytes(), plain.Close()
	}
	for _, pass := range []bool{false, true} {
		got, err := open(msg.Bytes(), pass)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("passphrase=%v: %v", pass, err)
		}
	}
	bad := bytes.Clone(msg.Bytes())
	bad[len(bad)/2] ^= 1
	if _, err := open(bad, false); err == nil {
		t.Fatal("a changed byte went unnoticed")
	}
}
