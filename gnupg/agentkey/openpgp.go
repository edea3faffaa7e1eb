package agentkey

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// openpgpSecret is the order of the secret parameters in an OpenPGP v4
// secret key packet, per public key algorithm.
var openpgpSecret = map[packet.PublicKeyAlgorithm][]string{
	packet.PubKeyAlgoRSA: {"d", "p", "q", "u"}, packet.PubKeyAlgoRSASignOnly: {"d", "p", "q", "u"},
	packet.PubKeyAlgoRSAEncryptOnly: {"d", "p", "q", "u"},
	packet.PubKeyAlgoDSA:            {"x"}, packet.PubKeyAlgoElGamal: {"x"},
	packet.PubKeyAlgoECDSA: {"d"}, packet.PubKeyAlgoECDH: {"d"}, packet.PubKeyAlgoEdDSA: {"d"},
}

// agentAlgos says which key file algorithms may carry an OpenPGP algorithm.
var agentAlgos = map[packet.PublicKeyAlgorithm][]string{
	packet.PubKeyAlgoRSA: {"rsa"}, packet.PubKeyAlgoRSASignOnly: {"rsa"}, packet.PubKeyAlgoRSAEncryptOnly: {"rsa"},
	packet.PubKeyAlgoDSA: {"dsa"}, packet.PubKeyAlgoElGamal: {"elg"},
	packet.PubKeyAlgoECDSA: {"ecc", "ecdsa"}, packet.PubKeyAlgoECDH: {"ecc", "ecdh"}, packet.PubKeyAlgoEdDSA: {"ecc"},
}

// PrivateKey unlocks the key (passphrase is ignored for an unprotected
// one) and returns it as the secret half of pub, the OpenPGP v4 public
// key or subkey packet it belongs to. The secret parameters are put into
// an unprotected secret key packet after pub's own public part and parsed
// back, so go-crypto's checks that the secret matches the public key (RSA
// n = p·q, the ECC point from the scalar) decide; a key file whose secret
// belongs to another key is refused.
func (k *Key) PrivateKey(pub *packet.PublicKey, passphrase []byte) (*packet.PrivateKey, error) {
	if pub.Version != 4 {
		return nil, ErrUnsupported
	}
	if !algoFits(k.Algo, agentAlgos[pub.PubKeyAlgo]) {
		return nil, fmt.Errorf("agentkey: key file holds a %s key, the certificate says algorithm %d", k.Algo, pub.PubKeyAlgo)
	}
	if k.native != nil {
		return k.native.privateKey(pub, passphrase)
	}
	sec, err := k.secrets(passphrase)
	if err != nil {
		return nil, err
	}
	secret := []byte{0} // S2K usage: unprotected
	for _, name := range openpgpSecret[pub.PubKeyAlgo] {
		secret = appendMPI(secret, sec[name])
	}
	var sum uint16
	for _, b := range secret[1:] {
		sum += uint16(b)
	}
	secret = binary.BigEndian.AppendUint16(secret, sum)
	priv, err := secretPacket(pub, secret)
	if err != nil {
		return nil, fmt.Errorf("agentkey: the key file does not hold the secret of this key")
	}
	return priv, nil
}

// readPacket parses with a recover: go-crypto has panicked on hostile
// input before, and a key file is input.
func readPacket(b []byte) (p packet.Packet, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, ErrInvalid
		}
	}()
	return packet.Read(bytes.NewReader(b))
}

func algoFits(a string, allowed []string) bool {
	for _, x := range allowed {
		if a == x {
			return true
		}
	}
	return false
}

// appendMPI appends v as an OpenPGP MPI (bit count, then the value
// without leading zero octets).
func appendMPI(b, v []byte) []byte {
	v = bytes.TrimLeft(v, "\x00")
	n := 0
	if len(v) > 0 {
		n = (len(v)-1)*8 + bits.Len8(v[0])
	}
	b = binary.BigEndian.AppendUint16(b, uint16(n))
	return append(b, v...)
}
