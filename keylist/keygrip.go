package keylist

import (
	"bytes"
	"crypto/elliptic"
	"crypto/sha1"
	"fmt"
	"math/big"

	"github.com/ProtonMail/go-crypto/bitcurves"
	"github.com/ProtonMail/go-crypto/brainpool"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Keygrip returns the libgcrypt keygrip of a public key in uppercase hex, as
// gpg prints in "grp" records and "Keygrip =" lines: a SHA-1 over the key's
// canonical parameters, independent of the OpenPGP packet (so a key has the
// same grip in gpg-agent and gpgsm). An unsupported algorithm or curve
// yields "" (gpg prints an empty grp field when it cannot compute one).
func Keygrip(pk *packet.PublicKey) string {
	m, err := parseMaterial(pk)
	if err != nil {
		return ""
	}
	g := m.keygrip()
	if g == nil {
		return ""
	}
	return fmt.Sprintf("%X", g)
}

// stdMPI is libgcrypt's signed "STD" encoding of a non-negative integer:
// big-endian with a 0x00 prepended when the top bit is set.
func stdMPI(b []byte) []byte {
	if len(b) > 0 && b[0]&0x80 != 0 {
		return append([]byte{0}, b...)
	}
	return b
}

// gripElement appends "(1:<name><len>:<data>)" as libgcrypt hashes each
// S-expression parameter.
func gripElement(h []byte, name byte, data []byte) []byte {
	h = append(h, fmt.Sprintf("(1:%c%d:", name, len(data))...)
	h = append(h, data...)
	return append(h, ')')
}

func (m *material) keygrip() []byte {
	switch m.algo {
	case 1, 2, 3: // RSA: the modulus only
		sum := sha1.Sum(stdMPI(m.mpis[0]))
		return sum[:]
	case 17: // DSA: p q g y
		var h []byte
		for i, n := range []byte("pqgy") {
			h = gripElement(h, n, stdMPI(m.mpis[i]))
		}
		sum := sha1.Sum(h)
		return sum[:]
	case 16, 20: // ElGamal: p g y
		var h []byte
		for i, n := range []byte("pgy") {
			h = gripElement(h, n, stdMPI(m.mpis[i]))
		}
		sum := sha1.Sum(h)
		return sum[:]
	case 18, 19, 22:
		return m.eccKeygrip()
	}
	return nil
}

// eccDomain holds a curve's domain parameters as libgcrypt hashes them.
type eccDomain struct {
	p, a, b, n *big.Int
	g          []byte // uncompressed point 04||x||y
}

func hexInt(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("keylist: bad curve constant " + s)
	}
	return v
}

func uncompressed(x, y *big.Int, size int) []byte {
	g := make([]byte, 1+2*size)
	g[0] = 4
	x.FillBytes(g[1 : 1+size])
	y.FillBytes(g[1+size:])
	return g
}

func nistDomain(c elliptic.Curve) *eccDomain {
	prm := c.Params()
	size := (prm.BitSize + 7) / 8
	return &eccDomain{
		p: prm.P,
		a: new(big.Int).Sub(prm.P, big.NewInt(3)),
		b: prm.B,
		n: prm.N,
		g: uncompressed(prm.Gx, prm.Gy, size),
	}
}

var (
	p25519 = hexInt("7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFED")
	n25519 = hexInt("1000000000000000000000000000000014DEF9DEA2F79CD65812631A5CF5D3ED")

	// Ed25519 as libgcrypt defines it: a = -1 and b = -0x2DFC...874A (the
	// twisted Edwards d, written as a negative constant). The keygrip hashes
	// the magnitudes of these constants, not their residues mod p.
	ed25519Domain = &eccDomain{
		p: p25519,
		a: big.NewInt(1),
		b: hexInt("2DFC9311D490018C7338BF8688861767FF8FF5B2BEBE27548A14B235ECA6874A"),
		n: n25519,
		g: uncompressed(
			hexInt("216936D3CD6E53FEC0A4E231FDD6DC5C692CC7609525A7B2C9562D608F25D51A"),
			hexInt("6666666666666666666666666666666666666666666666666666666666666658"), 32),
	}
	// Curve25519 in libgcrypt's Montgomery form: a = (A-2)/4, b = 1.
	cv25519Domain = &eccDomain{
		p: p25519,
		a: big.NewInt(0x01DB41),
		b: big.NewInt(1),
		n: n25519,
		g: uncompressed(big.NewInt(9),
			hexInt("20AE19A1B8A086B4E01EDD2C7748D14C923D4D7E6D7C61B229E9C5A27ECED3D9"), 32),
	}
)

// brainpoolDomain takes p, n and G from go-crypto and the curve
// coefficients from RFC 5639 (go-crypto computes on the twisted curve and
// does not expose the r1 coefficients).
func brainpoolDomain(c elliptic.Curve, ab [2]string) *eccDomain {
	prm := c.Params()
	size := (prm.BitSize + 7) / 8
	return &eccDomain{p: prm.P, a: hexInt(ab[0]), b: hexInt(ab[1]), n: prm.N, g: uncompressed(prm.Gx, prm.Gy, size)}
}

// brainpoolCoeffs are the r1 curve coefficients a and b from RFC 5639.
var brainpoolCoeffs = map[string][2]string{
	"brainpoolP256r1": {
		"7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9",
		"26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6"},
	"brainpoolP384r1": {
		"7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A503AD4EB04A8C7DD22CE2826",
		"04A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB4390295DBC9943AB78696FA504C11"},
	"brainpoolP512r1": {
		"7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA",
		"3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723"},
}

func secp256k1Domain() *eccDomain {
	c := bitcurves.S256() // a Koblitz curve: a = 0
	return &eccDomain{p: c.P, a: new(big.Int), b: c.B, n: c.N, g: uncompressed(c.Gx, c.Gy, 32)}
}

func (m *material) eccKeygrip() []byte {
	var d *eccDomain
	q := m.mpis[0]
	switch m.curveName() {
	case "nistp256":
		d = nistDomain(elliptic.P256())
	case "nistp384":
		d = nistDomain(elliptic.P384())
	case "nistp521":
		d = nistDomain(elliptic.P521())
	case "brainpoolP256r1":
		d = brainpoolDomain(brainpool.P256r1(), brainpoolCoeffs["brainpoolP256r1"])
	case "brainpoolP384r1":
		d = brainpoolDomain(brainpool.P384r1(), brainpoolCoeffs["brainpoolP384r1"])
	case "brainpoolP512r1":
		d = brainpoolDomain(brainpool.P512r1(), brainpoolCoeffs["brainpoolP512r1"])
	case "secp256k1":
		d = secp256k1Domain()
	case "ed25519":
		d = ed25519Domain
		// libgcrypt hashes the compact EdDSA point without the 0x40 prefix.
		if len(q) == 33 && q[0] == 0x40 {
			q = q[1:]
		}
	case "cv25519":
		d = cv25519Domain
		if len(q) == 33 && q[0] == 0x40 {
			q = q[1:]
		}
	default:
		return nil
	}
	var h []byte
	h = gripElement(h, 'p', d.p.Bytes())
	h = gripElement(h, 'a', d.a.Bytes())
	h = gripElement(h, 'b', d.b.Bytes())
	h = gripElement(h, 'g', d.g)
	h = gripElement(h, 'n', d.n.Bytes())
	h = gripElement(h, 'q', q)
	sum := sha1.Sum(h)
	return sum[:]
}

// KeygripOf is Keygrip for key material without a packet, as an OpenPGP
// card returns it: algo is the OpenPGP algorithm (1 RSA, 18 ECDH, 19
// ECDSA, 22 EdDSA), oid the curve OID of an ECC key, params the modulus
// and exponent of an RSA key or the point of an ECC key (native for
// Ed25519 and X25519, 04‖x‖y for the NIST curves).
func KeygripOf(algo int, oid []byte, params ...[]byte) string {
	m := &material{algo: algo, oid: oid}
	for _, p := range params {
		if algo != 18 && algo != 19 && algo != 22 {
			// integers; a curve point keeps its fixed length (a raw
			// 32-byte EdDSA/X25519 point from a card may start with 0x00)
			p = bytes.TrimLeft(p, "\x00")
		}
		m.mpis = append(m.mpis, p)
	}
	if len(m.mpis) == 0 {
		return ""
	}
	g := m.keygrip()
	if g == nil {
		return ""
	}
	return fmt.Sprintf("%X", g)
}
