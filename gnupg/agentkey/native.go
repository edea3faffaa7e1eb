package agentkey

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// The openpgp-native protection is how gpg-agent stores a secret key that
// gpg imported (--import of an OpenPGP secret key) before the agent first
// used it: the OpenPGP secret key packet's own protection, kept as it was
// (agent/cvt-openpgp.c):
//
//	(protected openpgp-native
//	  (openpgp-private-key (version 4) (algo ALGO) [(curve CURVE)]
//	    (skey _ PUB … e ENCRYPTED)             ; or _ SECRET … unprotected
//	    (csum N)
//	    (protection sha1|sum|none CIPHER IV S2KMODE HASH SALT COUNT)))
//
// ENCRYPTED is the packet's encrypted secret area. keyhelper rebuilds the
// OpenPGP secret key packet around it and lets go-crypto decrypt it.
type native struct {
	usage  byte   // the packet's S2K usage octet: 254 (sha1), 255 (sum), 0 (none)
	s2k    []byte // cipher octet, S2K specifier, IV (empty for none)
	secret []byte // encrypted area, or the plain secret MPIs and checksum
}

var nativeCiphers = map[string]byte{
	"IDEA": 1, "3DES": 2, "CAST5": 3, "BLOWFISH": 4, "AES": 7, "AES128": 7, "AES192": 8, "AES256": 9,
	"TWOFISH": 10, "CAMELLIA128": 11, "CAMELLIA192": 12, "CAMELLIA256": 13,
}

var nativeHashes = map[string]byte{
	"MD5": 1, "SHA1": 2, "RIPEMD160": 3, "SHA256": 8, "SHA384": 9, "SHA512": 10, "SHA224": 11,
}

// nativeSecretCount is the number of secret parameters per agent algorithm.
var nativeSecretCount = map[string]int{"RSA": 4, "DSA": 1, "ELG": 1, "ECDSA": 1, "ECDH": 1, "EDDSA": 1, "ECC": 1}

func parseNative(prot *sexp) (*native, error) {
	// (protected openpgp-native (openpgp-private-key …))
	if len(prot.list) != 3 || prot.list[2].head() != "openpgp-private-key" {
		return nil, ErrInvalid
	}
	top := prot.list[2]
	if v, ok := top.value("version"); !ok || string(v) != "4" {
		return nil, ErrUnsupported // version 3 keys: not converted
	}
	algo, ok := top.value("algo")
	if !ok {
		return nil, ErrInvalid
	}
	nsec, ok := nativeSecretCount[strings.ToUpper(string(algo))]
	if !ok {
		return nil, ErrUnsupported
	}
	p := top.find("protection")
	if p == nil || len(p.list) < 2 || p.list[1].isList {
		return nil, ErrInvalid
	}
	for _, c := range p.list {
		if c.isList {
			return nil, ErrInvalid
		}
	}
	skey := top.find("skey")
	if skey == nil || len(skey.list)%2 != 1 {
		return nil, ErrInvalid
	}
	var plain, enc [][]byte
	for i := 1; i < len(skey.list); i += 2 {
		flag, val := skey.list[i], skey.list[i+1]
		if flag.isList || val.isList || len(val.atom) == 0 {
			return nil, ErrInvalid
		}
		switch string(flag.atom) {
		case "_":
			if len(enc) > 0 {
				return nil, ErrInvalid
			}
			plain = append(plain, val.atom)
		case "e":
			enc = append(enc, val.atom)
		default:
			return nil, ErrInvalid
		}
	}
	n := &native{}
	switch string(p.list[1].atom) {
	case "none":
		if len(enc) != 0 || len(plain) < nsec+1 {
			return nil, ErrInvalid
		}
		for _, v := range plain[len(plain)-nsec:] {
			n.secret = appendMPI(n.secret, v)
		}
		var sum uint16
		for _, b := range n.secret {
			sum += uint16(b)
		}
		n.secret = binary.BigEndian.AppendUint16(n.secret, sum)
		return n, nil
	case "sha1":
		n.usage = 254
	case "sum":
		n.usage = 255
	default:
		return nil, ErrUnsupported
	}
	// a v4 key's whole secret area is one encrypted value
	if len(enc) != 1 || len(p.list) != 8 {
		return nil, ErrInvalid
	}
	n.secret = enc[0]
	cipherID, ok := nativeCiphers[strings.ToUpper(string(p.list[2].atom))]
	if !ok {
		return nil, ErrUnsupported
	}
	iv := p.list[3].atom
	mode, err := strconv.Atoi(string(p.list[4].atom))
	hashID, hok := nativeHashes[strings.ToUpper(string(p.list[5].atom))]
	salt := p.list[6].atom
	count, cerr := strconv.ParseUint(string(p.list[7].atom), 10, 8)
	if err != nil || !hok || len(iv) == 0 || len(iv) > 16 {
		return nil, ErrUnsupported
	}
	n.s2k = []byte{cipherID}
	switch mode {
	case 0:
		n.s2k = append(n.s2k, 0, hashID)
	case 1:
		if len(salt) != 8 {
			return nil, ErrInvalid
		}
		n.s2k = append(append(n.s2k, 1, hashID), salt...)
	case 3:
		if len(salt) != 8 || cerr != nil {
			return nil, ErrInvalid
		}
		n.s2k = append(append(append(n.s2k, 3, hashID), salt...), byte(count))
	default:
		return nil, ErrUnsupported
	}
	n.s2k = append(n.s2k, iv...)
	return n, nil
}

// nativePrivateKey rebuilds the OpenPGP secret key packet of pub around
// the stored secret area and decrypts it with passphrase.
func (n *native) privateKey(pub *packet.PublicKey, passphrase []byte) (*packet.PrivateKey, error) {
	body := []byte{n.usage}
	body = append(body, n.s2k...)
	body = append(body, n.secret...)
	priv, err := secretPacket(pub, body)
	if err != nil {
		return nil, err
	}
	if priv.Encrypted {
		if err := decryptPacket(priv, passphrase); err != nil {
			return nil, err
		}
	}
	return priv, nil
}

// decryptPacket runs go-crypto's decryption with a recover; its failures
// (checksum, a secret that does not fit the public key) all mean the
// passphrase did not unlock this key.
func decryptPacket(priv *packet.PrivateKey, passphrase []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = ErrInvalid
		}
	}()
	if len(passphrase) == 0 {
		return ErrBadPassphrase
	}
	if priv.Decrypt(passphrase) != nil {
		return ErrBadPassphrase
	}
	return nil
}

// secretPacket appends secret to pub's public part as a v4 secret key
// (or subkey) packet and parses it.
func secretPacket(pub *packet.PublicKey, secret []byte) (*packet.PrivateKey, error) {
	var hashed bytes.Buffer
	if err := pub.SerializeForHash(&hashed); err != nil {
		return nil, err
	}
	body := append(append([]byte(nil), hashed.Bytes()[3:]...), secret...) // 0x99 and two octets of length
	tag := byte(5)                                                        // secret key
	if pub.IsSubkey {
		tag = 7
	}
	pkt := []byte{0xc0 | tag, 0xff}
	pkt = binary.BigEndian.AppendUint32(pkt, uint32(len(body)))
	pkt = append(pkt, body...)
	p, err := readPacket(pkt)
	if err != nil {
		return nil, ErrInvalid
	}
	priv, ok := p.(*packet.PrivateKey)
	if !ok || !bytes.Equal(priv.Fingerprint, pub.Fingerprint) {
		return nil, ErrInvalid
	}
	return priv, nil
}
