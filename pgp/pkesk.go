package pgp

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"math/big"

	"github.com/ProtonMail/go-crypto/openpgp/ecdh"
	"github.com/ProtonMail/go-crypto/openpgp/elgamal"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// DecryptSessionKey decrypts a public-key encrypted session key packet
// (raw, header included) with an unlocked private key and returns the
// session key and its cipher. go-crypto does the work for the ciphers it
// knows; it refuses a v3 packet whose session key names a legacy cipher
// (IDEA, Blowfish, Twofish), which gpg 2.2.40 still accepts, so for those
// the RSA, ElGamal and ECDH decryption is repeated here with go-crypto's
// primitives and the cipher octet checked against front's own table.
func DecryptSessionKey(raw []byte, priv *packet.PrivateKey) (packet.CipherFunction, []byte, error) {
	p, err := packet.Read(bytes.NewReader(raw))
	ek, ok := p.(*packet.EncryptedKey)
	if err != nil || !ok {
		return 0, nil, errors.New("invalid public key encrypted session key packet")
	}
	err = ek.Decrypt(priv, nil)
	if err == nil {
		return ek.CipherFunc, ek.Key, nil
	}
	// only go-crypto's refusal of the cipher octet is retried: other
	// failures (a wrong key, a bad padding) stand as they are
	var unsupported pgperrors.UnsupportedError
	if ek.Version != 3 || !errors.As(err, &unsupported) {
		return 0, nil, err
	}
	m, err := decryptPKESKv3(raw, priv)
	if err != nil {
		return 0, nil, err
	}
	return sessionKeyBlock(m)
}

// sessionKeyBlock splits a decrypted v3 session key block, m = cipher
// octet ‖ session key ‖ 16-bit sum of the key octets, checking the
// cipher against front's own table (legacy ciphers included), the key's
// length against the cipher and the sum. The key returned is m's.
func sessionKeyBlock(m []byte) (packet.CipherFunction, []byte, error) {
	if len(m) < 3 {
		return 0, nil, errors.New("truncated session key")
	}
	c, key, sum := packet.CipherFunction(m[0]), m[1:len(m)-2], m[len(m)-2:]
	if n := cipherKeySize(c); n == 0 || n != len(key) {
		return 0, nil, errors.New("unsupported session key cipher")
	}
	var s uint16
	for _, b := range key {
		s += uint16(b)
	}
	if s != uint16(sum[0])<<8|uint16(sum[1]) {
		return 0, nil, errors.New("session key checksum is incorrect")
	}
	return c, key, nil
}

// decryptPKESKv3 returns the decrypted (and for ECDH unwrapped and
// unpadded) session key block of a v3 packet: version, key ID, algorithm,
// then the algorithm's fields (RFC 9580 5.1.3-5.1.5).
func decryptPKESKv3(raw []byte, priv *packet.PrivateKey) ([]byte, error) {
	_, body, err := packetBody(raw)
	if err != nil || len(body) < 10 {
		return nil, errors.New("invalid public key encrypted session key packet")
	}
	fields := bytes.NewReader(body[10:])
	switch packet.PublicKeyAlgorithm(body[9]) {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSAEncryptOnly:
		k, ok1 := priv.PrivateKey.(crypto.Decrypter)
		pub, ok2 := priv.PublicKey.PublicKey.(*rsa.PublicKey)
		c, err := readMPI(fields)
		if !ok1 || !ok2 || err != nil {
			return nil, errors.New("invalid RSA session key")
		}
		// left-pad to the modulus size, as the PKCS #1 decoder wants
		n := (pub.N.BitLen() + 7) / 8
		if len(c) < n {
			c = append(make([]byte, n-len(c)), c...)
		}
		return k.Decrypt(rand.Reader, c, nil)
	case packet.PubKeyAlgoElGamal:
		k, ok := priv.PrivateKey.(*elgamal.PrivateKey)
		c1, err1 := readMPI(fields)
		c2, err2 := readMPI(fields)
		if !ok || err1 != nil || err2 != nil {
			return nil, errors.New("invalid ElGamal session key")
		}
		return elgamal.Decrypt(k, new(big.Int).SetBytes(c1), new(big.Int).SetBytes(c2))
	case packet.PubKeyAlgoECDH:
		k, ok := priv.PrivateKey.(*ecdh.PrivateKey)
		point, err := readMPI(fields)
		n, err2 := fields.ReadByte()
		wrapped := make([]byte, n)
		_, err3 := io.ReadFull(fields, wrapped)
		oid, err4 := curveOID(&priv.PublicKey)
		if !ok || err != nil || err2 != nil || err3 != nil || err4 != nil || priv.PublicKey.Version != 4 {
			return nil, errors.New("invalid ECDH session key")
		}
		return ecdh.Decrypt(k, point, wrapped, oid, priv.PublicKey.Fingerprint)
	}
	return nil, errors.New("unsupported public key algorithm")
}

// readMPI reads a multiprecision integer: a 16-bit bit count, then the
// big-endian octets.
func readMPI(r *bytes.Reader) ([]byte, error) {
	var l [2]byte
	if _, err := r.Read(l[:]); err != nil {
		return nil, err
	}
	n := (int(l[0])<<8 | int(l[1]) + 7) / 8
	if n > r.Len() {
		return nil, errors.New("truncated MPI")
	}
	b := make([]byte, n)
	r.Read(b)
	return b, nil
}

// curveOID returns a v4 ECDH key's curve OID with its length octet, the
// form the ECDH key derivation hashes; go-crypto keeps it unexported, so
// it is read from the serialized key (version, time, algorithm, OID).
func curveOID(pk *packet.PublicKey) ([]byte, error) {
	var buf bytes.Buffer
	if err := pk.Serialize(&buf); err != nil {
		return nil, err
	}
	_, body, err := packetBody(buf.Bytes())
	if err != nil || len(body) < 7 || len(body) < 7+int(body[6]) {
		return nil, errors.New("invalid ECDH key")
	}
	return body[6 : 7+int(body[6])], nil
}
