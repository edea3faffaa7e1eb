package pgp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// The certificate of keys generated on an OpenPGP card, as gpg's card
// generate makes it (keygen.c do_generate_keypair with a card): the
// signature key as primary (sign, certify) with one user ID, an
// authentication subkey and a decryption subkey, all with the same
// creation time; every self-signature is made by the card (CardSig).

// Key flags of the card's three keys.
const (
	CardFlagsPrimary byte = 0x03 // certify, sign
	CardFlagsAuth    byte = 0x20
	CardFlagsEncrypt byte = 0x0C // communications and storage
)

// CardKey is a public key read from a card, as a v4 key packet.
type CardKey struct {
	Key  *packet.PublicKey
	Body []byte // the packet body: what fingerprints and signatures hash
}

// Public key algorithms of the card's algorithm attributes (C1–C3 use the
// OpenPGP numbers for ECC and 01 for RSA).
const (
	cardAlgoRSA   = 1
	cardAlgoECDH  = 18
	cardAlgoECDSA = 19
	cardAlgoEdDSA = 22
)

var (
	oidCv25519 = []byte{0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01}
	oidEd25519 = []byte{0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01}
	oidP384    = []byte{0x2B, 0x81, 0x04, 0x00, 0x22}
	oidP521    = []byte{0x2B, 0x81, 0x04, 0x00, 0x23}
)

// NewCardKey makes the v4 key packet of a card key: algo and oid from
// the slot's algorithm attributes, parts as the card returns the key (RSA
// modulus and exponent, or the point: native for Ed25519 and X25519,
// 04‖x‖y for NIST curves). An ECDH key gets the KDF parameters gpg
// chooses for its curve (scdaemon's ecdh_params), so the fingerprint is
// the one gpg computes for the same key.
func NewCardKey(algo byte, oid []byte, parts [][]byte, created uint32) (*CardKey, error) {
	body := []byte{4}
	body = binary.BigEndian.AppendUint32(body, created)
	body = append(body, algo)
	switch algo {
	case cardAlgoRSA:
		if len(parts) != 2 {
			return nil, errors.New("an RSA card key needs modulus and exponent")
		}
		body = appendMPI(appendMPI(body, parts[0]), parts[1])
	case cardAlgoECDH, cardAlgoECDSA, cardAlgoEdDSA:
		if len(parts) != 1 || len(parts[0]) == 0 || len(oid) == 0 || len(oid) > 0xFE {
			return nil, errors.New("an ECC card key needs its curve and one point")
		}
		point := parts[0]
		if bytes.Equal(oid, oidEd25519) || bytes.Equal(oid, oidCv25519) {
			point = append([]byte{0x40}, point...) // OpenPGP's native point prefix
		}
		body = append(append(append(body, byte(len(oid))), oid...), mpiOf(point)...)
		if algo == cardAlgoECDH {
			hash, cipher := byte(8), byte(7) // SHA-256, AES-128
			switch {
			case bytes.Equal(oid, oidP384):
				hash, cipher = 9, 8
			case bytes.Equal(oid, oidP521):
				hash, cipher = 10, 9
			}
			body = append(body, 3, 1, hash, cipher)
		}
	default:
		return nil, fmt.Errorf("no card keys with algorithm %d", algo)
	}
	p, err := packet.Read(bytes.NewReader(framePacket(TagPublicKey, body)))
	if err != nil {
		return nil, fmt.Errorf("the card's public key does not parse: %v", err)
	}
	pk, ok := p.(*packet.PublicKey)
	if !ok {
		return nil, errors.New("the card's public key is not a key packet")
	}
	return &CardKey{Key: pk, Body: body}, nil
}

// mpiOf is an MPI whose bits count from the first set bit, with the
// bytes kept as they are (a native point keeps its prefix).
func mpiOf(v []byte) []byte {
	for len(v) > 1 && v[0] == 0 {
		v = v[1:]
	}
	bits := len(v) * 8
	for b := v[0]; b&0x80 == 0 && bits > 0; b <<= 1 {
		bits--
	}
	return append(binary.BigEndian.AppendUint16(nil, uint16(bits)), v...)
}

// cardSelfSigBase is what every self-signature of a card key has hashed.
func cardSelfSigBase(primary *packet.PublicKey, created uint32, flags byte, expire uint32) []Subpacket {
	sps := []Subpacket{IssuerFprSubpacket(primary.Fingerprint), CreatedSubpacket(created), {Type: SubKeyFlags, Data: []byte{flags}}}
	if expire != 0 {
		sps = append(sps, KeyExpireSubpacket(expire))
	}
	return sps
}

// CardUserIDSig prepares the positive certification of uid on the card's
// primary key with gpg's preferences (keygen_add_std_prefs: AES256, AES192,
// AES, 3DES; SHA512, SHA384, SHA256, SHA224, SHA1; ZLIB, BZIP2, ZIP;
// features MDC; keyserver no-modify). expire is the key's lifetime in
// seconds, 0 for none.
func CardUserIDSig(primary *CardKey, uid string, created, expire uint32) (*CardSig, error) {
	hashed := append(cardSelfSigBase(primary.Key, created, CardFlagsPrimary, expire),
		Subpacket{Type: SubPrefCipher, Data: []byte{9, 8, 7, 2}},
		Subpacket{Type: SubPrefHash, Data: []byte{10, 9, 8, 11, 2}},
		Subpacket{Type: SubPrefCompress, Data: []byte{2, 3, 1}},
		Subpacket{Type: SubFeatures, Data: []byte{0x01}},
		Subpacket{Type: SubKSPrefs, Data: []byte{0x80}})
	return NewCardKeySig(primary.Key, ClassPositiveCert, CertHash(primary.Key), primary.Body,
		Component{Tag: TagUserID, Body: []byte(uid)}, hashed)
}

// CardBindingSig prepares the binding of sub (flags: CardFlagsAuth or
// CardFlagsEncrypt; neither signs, so no back-signature) to primary.
func CardBindingSig(primary, sub *CardKey, flags byte, created, expire uint32) (*CardSig, error) {
	if flags&0x02 != 0 {
		return nil, errors.New("a signing subkey needs a back-signature the card cannot make here")
	}
	return NewCardKeySig(primary.Key, ClassSubkeyBind, CertHash(primary.Key), primary.Body,
		Component{Tag: TagPublicSubkey, Body: sub.Body}, cardSelfSigBase(primary.Key, created, flags, expire))
}

// CardRevocationSig prepares the revocation certificate gpg stores after
// generating a key (gen_standard_revoke: reason "no reason specified").
func CardRevocationSig(primary *CardKey, created uint32) (*CardSig, error) {
	hashed := []Subpacket{IssuerFprSubpacket(primary.Key.Fingerprint), CreatedSubpacket(created),
		{Type: SubReason, Data: []byte{0}}}
	return NewCardKeySig(primary.Key, ClassKeyRevoke, CertHash(primary.Key), primary.Body, Component{}, hashed)
}

// CardCert assembles the transferable public key: primary, user ID and
// its certification, then each subkey with its binding (framed
// signatures as CardSig.Finish returns them).
func CardCert(primary *CardKey, uid string, uidSig []byte, subs []*CardKey, subSigs [][]byte) []byte {
	out := framePacket(TagPublicKey, primary.Body)
	out = append(out, framePacket(TagUserID, []byte(uid))...)
	out = append(out, uidSig...)
	for i, s := range subs {
		out = append(out, framePacket(TagPublicSubkey, s.Body)...)
		out = append(out, subSigs[i]...)
	}
	return out
}
