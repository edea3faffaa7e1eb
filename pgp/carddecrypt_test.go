package pgp

import (
	"bytes"
	stdecdh "crypto/ecdh"
	"crypto/rsa"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/ecdh"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// softDecipher answers PSO:DECIPHER as an OpenPGP card does.
func softDecipher(t *testing.T, priv *packet.PrivateKey, input []byte) []byte {
	t.Helper()
	switch k := priv.PrivateKey.(type) {
	case *rsa.PrivateKey:
		m, err := rsa.DecryptPKCS1v15(nil, k, input)
		if err != nil {
			t.Fatal(err)
		}
		return m
	case *ecdh.PrivateKey: // P-256: D is the big-endian scalar
		sk, err := stdecdh.P256().NewPrivateKey(k.MarshalByteSecret())
		if err != nil {
			t.Fatal(err)
		}
		peer, err := stdecdh.P256().NewPublicKey(input)
		if err != nil {
			t.Fatal(err)
		}
		z, err := sk.ECDH(peer)
		if err != nil {
			t.Fatal(err)
		}
		return z
	}
	t.Fatalf("unexpected key type %T", priv.PrivateKey)
	return nil
}

func TestCardDecipher(t *testing.T) {
	for _, cfg := range []*packet.Config{
		{Algorithm: packet.PubKeyAlgoRSA, RSABits: 2048},
		{Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP256},
	} {
		e, err := openpgp.NewEntity("card", "", "card@example.org", cfg)
		if err != nil {
			t.Fatal(err)
		}
		sub := e.Subkeys[0]
		var pkesk bytes.Buffer
		key := bytes.Repeat([]byte{7}, 32)
		if err := packet.SerializeEncryptedKey(&pkesk, sub.PublicKey, packet.CipherAES256, key, nil); err != nil {
			t.Fatal(err)
		}
		d, err := NewCardDecipher(pkesk.Bytes(), sub.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		out := softDecipher(t, sub.PrivateKey, d.CardInput())
		c, got, err := d.SessionKey(out)
		if err != nil || c != packet.CipherAES256 || !bytes.Equal(got, key) {
			t.Fatalf("%v: %v %v %x", cfg.Algorithm, err, c, got)
		}
		bad := append([]byte{}, out...)
		bad[len(bad)-1] ^= 1
		if _, _, err := d.SessionKey(bad); err == nil {
			t.Fatalf("%v: a corrupted card answer gave a session key", cfg.Algorithm)
		}
	}
}
