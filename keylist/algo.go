package keylist

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// material is the algorithm-specific public key data, re-read from the
// packet's own serialisation because go-crypto keeps the curve OID and the
// raw MPIs unexported. Parsing the wire form also guarantees we see exactly
// the bytes gpg sees (e.g. the 0x40 prefix of EdDSA/cv25519 points).
type material struct {
	algo   int
	oid    []byte   // ECC algorithms only (18, 19, 22)
	mpis   [][]byte // algorithm-specific MPIs, leading zeros stripped
	native []byte   // fixed-size native keys (algorithms 25-28)
}

// curveInfo is what gpg 2.2 knows about a curve OID: its short name (used
// for "ed25519"-style algo strings and colon field 17) and its bit size
// (colon field 3).
type curveInfo struct {
	name string
	bits int
}

// gpg 2.2 curve table, keyed by the DER OID body.
var curves = map[string]curveInfo{
	"\x2B\x06\x01\x04\x01\x97\x55\x01\x05\x01": {"cv25519", 255},
	"\x2B\x06\x01\x04\x01\xDA\x47\x0F\x01":     {"ed25519", 255},
	"\x2B\x65\x6F":                             {"cv448", 448},
	"\x2B\x65\x71":                             {"ed448", 448},
	"\x2A\x86\x48\xCE\x3D\x03\x01\x07":         {"nistp256", 256},
	"\x2B\x81\x04\x00\x22":                     {"nistp384", 384},
	"\x2B\x81\x04\x00\x23":                     {"nistp521", 521},
	"\x2B\x24\x03\x03\x02\x08\x01\x01\x07":     {"brainpoolP256r1", 256},
	"\x2B\x24\x03\x03\x02\x08\x01\x01\x0B":     {"brainpoolP384r1", 384},
	"\x2B\x24\x03\x03\x02\x08\x01\x01\x0D":     {"brainpoolP512r1", 512},
	"\x2B\x81\x04\x00\x0A":                     {"secp256k1", 256},
}

// oidString renders an OID in dotted form, as gpg does for unknown curves.
func oidString(oid []byte) string {
	if len(oid) == 0 {
		return ""
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d.%d", oid[0]/40, oid[0]%40)
	var v uint64
	for _, c := range oid[1:] {
		v = v<<7 | uint64(c&0x7F)
		if c&0x80 == 0 {
			fmt.Fprintf(&b, ".%d", v)
			v = 0
		}
	}
	return b.String()
}

var errMaterial = errors.New("keylist: cannot parse public key material")

func parseMaterial(pk *packet.PublicKey) (*material, error) {
	var buf bytes.Buffer
	if err := pk.Serialize(&buf); err != nil {
		return nil, err
	}
	body, err := packetBody(buf.Bytes())
	if err != nil {
		return nil, err
	}
	if len(body) < 6 {
		return nil, errMaterial
	}
	ver := body[0]
	m := &material{algo: int(body[5])}
	p := body[6:]
	if ver == 5 || ver == 6 {
		if len(p) < 4 {
			return nil, errMaterial
		}
		p = p[4:]
	}
	readMPI := func() bool {
		if len(p) < 2 {
			return false
		}
		nbits := int(p[0])<<8 | int(p[1])
		n := (nbits + 7) / 8
		if len(p) < 2+n {
			return false
		}
		m.mpis = append(m.mpis, bytes.TrimLeft(p[2:2+n], "\x00"))
		p = p[2+n:]
		return true
	}
	readOID := func() bool {
		if len(p) < 1 || len(p) < 1+int(p[0]) {
			return false
		}
		m.oid = p[1 : 1+int(p[0])]
		p = p[1+int(p[0]):]
		return true
	}
	ok := true
	switch m.algo {
	case 1, 2, 3: // RSA: n, e
		ok = readMPI() && readMPI()
	case 17: // DSA: p, q, g, y
		ok = readMPI() && readMPI() && readMPI() && readMPI()
	case 16, 20: // ElGamal: p, g, y
		ok = readMPI() && readMPI() && readMPI()
	case 18, 19, 22: // ECDH, ECDSA, EdDSA: oid, point (ECDH kdf params follow)
		ok = readOID() && readMPI()
	default:
		m.native = p
	}
	if !ok {
		return nil, errMaterial
	}
	return m, nil
}

// packetBody strips an OpenPGP packet header (old or new format).
func packetBody(b []byte) ([]byte, error) {
	if len(b) < 2 || b[0]&0x80 == 0 {
		return nil, errMaterial
	}
	if b[0]&0x40 == 0 { // old format
		switch b[0] & 3 {
		case 0:
			return b[2:], nil
		case 1:
			if len(b) < 3 {
				return nil, errMaterial
			}
			return b[3:], nil
		case 2:
			if len(b) < 5 {
				return nil, errMaterial
			}
			return b[5:], nil
		default:
			return b[1:], nil
		}
	}
	switch l := b[1]; {
	case l < 192:
		return b[2:], nil
	case l < 224:
		if len(b) < 3 {
			return nil, errMaterial
		}
		return b[3:], nil
	case l == 255:
		if len(b) < 6 {
			return nil, errMaterial
		}
		return b[6:], nil
	}
	return nil, errMaterial // partial lengths never occur for key packets
}

func bitLen(b []byte) int { return new(big.Int).SetBytes(b).BitLen() }

// nbits is gpg's nbits_from_pk: modulus/prime size for RSA/DSA/ElGamal,
// the curve size for ECC.
func (m *material) nbits() int {
	switch m.algo {
	case 1, 2, 3, 16, 17, 20:
		return bitLen(m.mpis[0])
	case 18, 19, 22:
		if c, ok := curves[string(m.oid)]; ok {
			return c.bits
		}
		return 0
	case 25:
		return 255
	case 26:
		return 448
	case 27:
		return 255
	case 28:
		return 448
	}
	return 0
}

// nativeCurves names the curves of RFC 9580's algorithms, whose keys carry
// no OID: the names GnuPG (2.4 and later) gives those curves' OIDs
// (1.3.101.110 X25519 is "cv25519", 1.3.101.112 Ed25519 "ed25519", ...),
// which are also its names for the legacy ECDH/EdDSA forms of the same
// curves. So a v6 key lists as its v4 counterpart does, in the algorithm
// string and in colon field 17 alike.
var nativeCurves = map[int]string{25: "cv25519", 26: "cv448", 27: "ed25519", 28: "ed448"}

// curveName is gpg's name for the curve, or the dotted OID if unknown, or ""
// for non-ECC algorithms.
func (m *material) curveName() string {
	if name, ok := nativeCurves[m.algo]; ok {
		return name
	}
	if m.oid == nil {
		return ""
	}
	if c, ok := curves[string(m.oid)]; ok {
		return c.name
	}
	return oidString(m.oid)
}

// algoString is gpg's pubkey_string: "rsa3072", "ed25519", "E_1.2.3" for an
// unknown curve, "unknown_N" for an unknown algorithm.
func (m *material) algoString() string {
	switch m.algo {
	case 1, 2, 3:
		return fmt.Sprintf("rsa%d", m.nbits())
	case 16:
		return fmt.Sprintf("elg%d", m.nbits())
	case 17:
		return fmt.Sprintf("dsa%d", m.nbits())
	case 20:
		return fmt.Sprintf("xxx%d", m.nbits())
	case 18, 19, 22:
		if c, ok := curves[string(m.oid)]; ok {
			return c.name
		}
		return "E_" + oidString(m.oid)
	case 25, 26, 27, 28:
		return nativeCurves[m.algo]
	}
	return fmt.Sprintf("unknown_%d", m.algo)
}

// deVSCompliant mirrors gpg's CO_DE_VS check that fills colon field 18.
func (m *material) deVSCompliant() bool {
	switch m.algo {
	case 1, 2, 3:
		n := m.nbits()
		return n == 2048 || n == 3072 || n == 4096
	case 17: // DSA: p of 2048 or 3072 bits with a 256-bit q
		l, n := bitLen(m.mpis[0]), bitLen(m.mpis[1])
		return n == 256 && (l == 2048 || l == 3072)
	case 18, 19:
		switch m.curveName() {
		case "brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1":
			return true
		}
	}
	return false
}

// AlgoName returns gpg's short algorithm string for a key as shown in human
// listings: "rsa3072", "ed25519", "cv25519", "nistp256", "dsa2048", ...
func AlgoName(pk *packet.PublicKey) string {
	m, err := parseMaterial(pk)
	if err != nil {
		return fmt.Sprintf("unknown_%d", int(pk.PubKeyAlgo))
	}
	return m.algoString()
}

// KeyBits returns gpg's bit count for colon field 3 (255 for ed25519 and
// cv25519, the modulus size for RSA).
func KeyBits(pk *packet.PublicKey) int {
	m, err := parseMaterial(pk)
	if err != nil {
		return 0
	}
	return m.nbits()
}

// CurveName returns gpg's curve name for colon field 17 ("" for non-ECC).
func CurveName(pk *packet.PublicKey) string {
	m, err := parseMaterial(pk)
	if err != nil {
		return ""
	}
	return m.curveName()
}
