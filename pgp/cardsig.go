package pgp

import (
	"crypto"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// CardSig is a v4 signature whose value a smart card computes. The digest
// is fixed when the CardSig is made; the card signs CardInput (a PKCS#1
// DigestInfo for RSA, the bare digest for ECDSA and EdDSA, as OpenPGP
// card PSO:CDS takes them), and Finish assembles the packet around the
// card's answer and checks it against the public key, so a faulty or
// lying card cannot make us release a bad signature.
type CardSig struct {
	key    *packet.PublicKey
	parts  SigParts
	digest []byte
}

// NewCardDocSig prepares a document signature (class 0x00 or 0x01) by key
// over data, a hash that has consumed the signed data (it is finished
// here). The subpackets are gpg's: issuer fingerprint and creation time
// hashed, the issuer key ID unhashed.
func NewCardDocSig(key *packet.PublicKey, class byte, h crypto.Hash, created time.Time, data hash.Hash) (*CardSig, error) {
	if class != byte(packet.SigTypeBinary) && class != byte(packet.SigTypeText) {
		return nil, errors.New("card document signatures are of class 0x00 or 0x01")
	}
	hashed := []Subpacket{IssuerFprSubpacket(key.Fingerprint), CreatedSubpacket(uint32(created.Unix()))}
	s, err := newCardSig(key, class, h, hashed)
	if err != nil {
		return nil, err
	}
	data.Write(s.parts.hashSuffix())
	s.digest = data.Sum(nil)
	return s, nil
}

// NewCardKeySig prepares a key signature of class by key over primaryBody
// and c with exactly the hashed subpackets given (self-signatures of a key
// generated on the card).
func NewCardKeySig(key *packet.PublicKey, class byte, h crypto.Hash, primaryBody []byte, c Component, hashed []Subpacket) (*CardSig, error) {
	if err := ComponentFor(class, c); err != nil {
		return nil, err
	}
	s, err := newCardSig(key, class, h, hashed)
	if err != nil {
		return nil, err
	}
	s.digest = keySignatureDigest(h, primaryBody, c, &s.parts)
	return s, nil
}

func newCardSig(key *packet.PublicKey, class byte, h crypto.Hash, hashed []Subpacket) (*CardSig, error) {
	if key.Version != 4 {
		return nil, errors.New("OpenPGP cards hold version 4 keys only")
	}
	switch key.PubKeyAlgo {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly, packet.PubKeyAlgoECDSA, packet.PubKeyAlgoEdDSA:
	default:
		return nil, fmt.Errorf("no card signatures with public key algorithm %d", key.PubKeyAlgo)
	}
	if hashID(h) == 0 || !h.Available() {
		return nil, errors.New("unsupported hash algorithm")
	}
	if isRSA(key) && digestInfoPrefix[h] == nil {
		return nil, errors.New("no DigestInfo for this hash")
	}
	area := EncodeSubpackets(hashed)
	if len(area) > maxSubpacketArea {
		return nil, errors.New("hashed subpacket area too large")
	}
	return &CardSig{key: key, parts: SigParts{
		Version: 4, Class: class, PubKeyAlgo: byte(key.PubKeyAlgo), HashAlgo: hashID(h), Hashed: area,
		Unhashed: EncodeSubpackets([]Subpacket{{Type: SubIssuer, Data: IssuerKeyID(key.Fingerprint)}}),
	}}, nil
}

// Digest is the digest the signature covers.
func (s *CardSig) Digest() []byte { return s.digest }

// CardInput is the data for PSO:COMPUTE DIGITAL SIGNATURE.
func (s *CardSig) CardInput() []byte {
	if isRSA(s.key) {
		h, _ := HashByID(s.parts.HashAlgo)
		return append(append([]byte{}, digestInfoPrefix[h]...), s.digest...)
	}
	return append([]byte{}, s.digest...)
}

func isRSA(key *packet.PublicKey) bool {
	return key.PubKeyAlgo == packet.PubKeyAlgoRSA || key.PubKeyAlgo == packet.PubKeyAlgoRSASignOnly
}

// Finish turns the card's answer (the RSA signature; r‖s for ECDSA; R‖S
// for EdDSA, each half the same length) into a framed signature packet
// and verifies it with the public key.
func (s *CardSig) Finish(out []byte) ([]byte, error) {
	var material []byte
	if isRSA(s.key) {
		material = appendMPI(nil, out)
	} else {
		if len(out) == 0 || len(out)%2 != 0 || len(out) > 2*66 {
			return nil, fmt.Errorf("the card's signature has a bad length (%d bytes)", len(out))
		}
		half := len(out) / 2
		material = appendMPI(appendMPI(nil, out[:half]), out[half:])
	}
	parts := s.parts
	parts.HashTag = [2]byte{s.digest[0], s.digest[1]}
	parts.Material = material
	raw := framePacket(TagSignature, parts.Body())
	sig, err := ParseSignature(raw)
	if err != nil {
		return nil, fmt.Errorf("the card's signature does not parse: %v", err)
	}
	if err := s.key.VerifySignature(precomputed{s.digest}, sig); err != nil {
		return nil, fmt.Errorf("the card's signature does not verify: %v", err)
	}
	return raw, nil
}

// appendMPI appends v (big-endian, leading zeros stripped) as an MPI.
func appendMPI(b, v []byte) []byte {
	n := new(big.Int).SetBytes(v)
	bits := n.BitLen()
	b = append(b, byte(bits>>8), byte(bits))
	return append(b, n.Bytes()...)
}

// digestInfoPrefix is the DER prefix of a PKCS#1 v1.5 DigestInfo for each
// hash (RFC 8017 section 9.2, note 1).
var digestInfoPrefix = map[crypto.Hash][]byte{
	crypto.SHA1:   {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14},
	crypto.SHA224: {0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c},
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA384: {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
}
