package pgp

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp/aes/keywrap"
	"github.com/ProtonMail/go-crypto/openpgp/ecdh"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// CardDecipher is a v3 public-key encrypted session key packet being
// decrypted with a key on a smart card: the card does the private-key
// step (PSO:DECIPHER: the RSA decryption, or the ECDH shared secret) and
// the rest happens here: for ECDH the key derivation (RFC 6637 section 7)
// and the AES key unwrap; for both the session key's checksum.
type CardDecipher struct {
	pub     *packet.PublicKey
	input   []byte
	wrapped []byte // ECDH: the wrapped session key
}

// NewCardDecipher reads raw (a framed v3 PKESK) for pub, an RSA or a v4
// ECDH key.
func NewCardDecipher(raw []byte, pub *packet.PublicKey) (*CardDecipher, error) {
	_, body, err := packetBody(raw)
	if err != nil || len(body) < 10 || body[0] != 3 {
		return nil, errors.New("invalid public key encrypted session key packet")
	}
	if packet.PublicKeyAlgorithm(body[9]) != pub.PubKeyAlgo {
		return nil, errors.New("session key packet is for another algorithm")
	}
	fields := bytes.NewReader(body[10:])
	d := &CardDecipher{pub: pub}
	switch pub.PubKeyAlgo {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSAEncryptOnly:
		k, ok := pub.PublicKey.(*rsa.PublicKey)
		c, err := readMPI(fields)
		if !ok || err != nil || len(c) > k.Size() {
			return nil, errors.New("invalid RSA session key")
		}
		// the card takes the ciphertext at the modulus size
		d.input = append(make([]byte, k.Size()-len(c)), c...)
	case packet.PubKeyAlgoECDH:
		point, err := readMPI(fields)
		n, err2 := fields.ReadByte()
		d.wrapped = make([]byte, n)
		_, err3 := io.ReadFull(fields, d.wrapped)
		if err != nil || err2 != nil || err3 != nil || pub.Version != 4 || len(point) == 0 {
			return nil, errors.New("invalid ECDH session key")
		}
		// Curve25519 points carry a 0x40 prefix in OpenPGP; the card
		// takes the native 32 bytes. NIST points go as 04‖x‖y.
		if len(point) == 33 && point[0] == 0x40 {
			point = point[1:]
		}
		d.input = point
	default:
		return nil, errors.New("no card decryption with this public key algorithm")
	}
	return d, nil
}

// CardInput is the data for PSO:DECIPHER.
func (d *CardDecipher) CardInput() []byte { return d.input }

// SessionKey turns the card's answer (the PKCS#1-unpadded RSA plaintext,
// or the ECDH shared secret) into the session key and its cipher.
func (d *CardDecipher) SessionKey(out []byte) (packet.CipherFunction, []byte, error) {
	m := out
	if d.pub.PubKeyAlgo == packet.PubKeyAlgoECDH {
		var err error
		if m, err = d.unwrap(out); err != nil {
			return 0, nil, err
		}
	}
	c, key, err := sessionKeyBlock(m)
	if err != nil {
		return 0, nil, err
	}
	return c, append([]byte{}, key...), nil
}

// unwrap derives the key-encryption key from the shared secret and
// unwraps the session key block, removing its PKCS#5 padding.
func (d *CardDecipher) unwrap(shared []byte) ([]byte, error) {
	k, ok := d.pub.PublicKey.(*ecdh.PublicKey)
	oid, err := curveOID(d.pub)
	if !ok || err != nil {
		return nil, errors.New("invalid ECDH key")
	}
	// Param = curve OID ‖ algorithm ‖ KDF parameters ‖ "Anonymous Sender    " ‖ fingerprint
	param := append(append([]byte{}, oid...), 18, 3, 1, k.KDF.Hash.Id(), k.KDF.Cipher.Id())
	param = append(append(param, "Anonymous Sender    "...), d.pub.Fingerprint...)
	h := k.KDF.Hash.New()
	h.Write([]byte{0, 0, 0, 1})
	h.Write(shared)
	h.Write(param)
	mb := h.Sum(nil)
	if len(mb) < k.KDF.Cipher.KeySize() {
		return nil, errors.New("ECDH KDF hash too short for its cipher")
	}
	m, err := keywrap.Unwrap(mb[:k.KDF.Cipher.KeySize()], d.wrapped)
	if err != nil {
		return nil, errors.New("ECDH session key unwrap failed")
	}
	if len(m) == 0 {
		return nil, errors.New("ECDH session key: invalid padding")
	}
	pad := int(m[len(m)-1])
	if pad == 0 || pad > len(m) {
		return nil, errors.New("ECDH session key: invalid padding")
	}
	return m[:len(m)-pad], nil
}
