package pgp

import (
	"crypto"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/ipc"
)

// algoConfig turns gpg's algorithm names into a go-crypto config.
func algoConfig(algo string, created time.Time, lifetime uint32, v6 bool) (*packet.Config, error) {
	cfg := &packet.Config{
		DefaultHash:            crypto.SHA256, // gpg 2.2's self-signature hash (CertHash)
		DefaultCipher:          packet.CipherAES256,
		DefaultCompressionAlgo: packet.CompressionZLIB,
		Time:                   func() time.Time { return created },
		KeyLifetimeSecs:        lifetime,
		V6Keys:                 v6,
	}
	if v6 {
		// a v6 key's direct-key signature advertises SEIPDv2 with OCB
		// (RFC 9580's mandatory mode), so peers encrypt to it with AEAD
		cfg.AEADConfig = &packet.AEADConfig{}
	}
	a := strings.ToLower(algo)
	switch {
	case strings.HasPrefix(a, "rsa"):
		bits := 3072
		if len(a) > 3 {
			n, err := strconv.Atoi(a[3:])
			if err != nil || n < 2048 || n > 4096 {
				return nil, fmt.Errorf("invalid RSA key size %q", algo)
			}
			bits = n
		}
		cfg.Algorithm, cfg.RSABits = packet.PubKeyAlgoRSA, bits
	case a == "ed25519" || a == "cv25519":
		if v6 {
			cfg.Algorithm = packet.PubKeyAlgoEd25519
			if a == "cv25519" {
				cfg.Algorithm = packet.PubKeyAlgoX25519
			}
		} else {
			cfg.Algorithm, cfg.Curve = packet.PubKeyAlgoEdDSA, packet.Curve25519
		}
	case a == "nistp256" || a == "nistp384" || a == "nistp521":
		cfg.Algorithm = packet.PubKeyAlgoECDSA
		// the hash that matches the curve, as CertHash
		cfg.DefaultHash = map[string]crypto.Hash{"nistp256": crypto.SHA256, "nistp384": crypto.SHA384, "nistp521": crypto.SHA512}[a]
		cfg.Curve = map[string]packet.Curve{"nistp256": packet.CurveNistP256, "nistp384": packet.CurveNistP384, "nistp521": packet.CurveNistP521}[a]
	default:
		return nil, fmt.Errorf("unsupported algorithm %q", algo)
	}
	return cfg, nil
}

// usage is a parsed "sign,cert,encr,auth" list.
type usage struct{ sign, cert, encr, auth bool }

func parseUsage(s string) (usage, error) {
	var u usage
	for _, f := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ',' || r == ' ' }) {
		switch f {
		case "sign", "s":
			u.sign = true
		case "cert", "c":
			u.cert = true
		case "encr", "encrypt", "e":
			u.encr = true
		case "auth", "a":
			u.auth = true
		default:
			return u, fmt.Errorf("invalid usage %q", f)
		}
	}
	return u, nil
}

// gpg 2.2's default preference lists, so peers pick the same algorithms.
var (
	prefCiphers     = []uint8{uint8(packet.CipherAES256), uint8(packet.CipherAES192), uint8(packet.CipherAES128), uint8(packet.Cipher3DES)}
	prefHashes      = []uint8{10, 9, 8, 11, 2}
	prefCompression = []uint8{uint8(packet.CompressionZLIB), 3, uint8(packet.CompressionZIP)}
)

// Generate makes a new key as req says; the secret parts are unprotected
// (the caller protects them).
func Generate(req *ipc.GenerateRequest) (*openpgp.Entity, error) {
	created := time.Unix(req.Created, 0)
	lifetime, err := lifetimeOf(req.Primary)
	if err != nil {
		return nil, err
	}
	cfg, err := algoConfig(req.Primary.Algo, created, lifetime, req.V6)
	if err != nil {
		return nil, err
	}
	if cfg.Algorithm == packet.PubKeyAlgoX25519 || strings.EqualFold(req.Primary.Algo, "cv25519") {
		return nil, fmt.Errorf("algorithm %q cannot be a primary key", req.Primary.Algo)
	}
	pu, err := parseUsage(req.Primary.Usage)
	if err != nil {
		return nil, err
	}
	if pu.encr && cfg.Algorithm != packet.PubKeyAlgoRSA {
		return nil, fmt.Errorf("usage encr is not possible for a %s primary key", req.Primary.Algo)
	}
	name, comment, email := splitUserID(req.UserID)
	e, err := openpgp.NewEntity(name, comment, email, cfg)
	if err != nil {
		return nil, err
	}
	e.Subkeys = nil
	for _, id := range e.Identities {
		if id.Name != req.UserID {
			return nil, fmt.Errorf("user ID %q cannot be represented", req.UserID)
		}
		s := id.SelfSignature
		s.FlagSign, s.FlagCertify, s.FlagAuthenticate = pu.sign, true, pu.auth
		s.FlagEncryptCommunications, s.FlagEncryptStorage = pu.encr, pu.encr
		s.PreferredSymmetric, s.PreferredHash, s.PreferredCompression = prefCiphers, prefHashes, prefCompression
		s.PreferredCipherSuites = nil
		s.SEIPDv2 = req.V6
		if err := s.SignUserId(req.UserID, e.PrimaryKey, e.PrivateKey, cfg); err != nil {
			return nil, err
		}
	}
	for _, sk := range req.Subkeys {
		slife, err := lifetimeOf(sk)
		if err != nil {
			return nil, err
		}
		scfg, err := algoConfig(sk.Algo, created, slife, req.V6)
		if err != nil {
			return nil, err
		}
		su, err := parseUsage(sk.Usage)
		if err != nil {
			return nil, err
		}
		if err := addSubkey(e, scfg, su); err != nil {
			return nil, fmt.Errorf("subkey %s (%s): %v", sk.Algo, sk.Usage, err)
		}
	}
	return e, nil
}

// AddSubkey adds a new subkey made as spec says to e, whose primary
// private key must be unlocked; the subkey's secret is unprotected.
func AddSubkey(e *openpgp.Entity, spec ipc.KeySpec, created int64) (*openpgp.Subkey, error) {
	life, err := lifetimeOf(spec)
	if err != nil {
		return nil, err
	}
	cfg, err := algoConfig(spec.Algo, time.Unix(created, 0), life, e.PrimaryKey.Version == 6)
	if err != nil {
		return nil, err
	}
	u, err := parseUsage(spec.Usage)
	if err != nil {
		return nil, err
	}
	if !u.sign && !u.encr && !u.auth {
		return nil, fmt.Errorf("no usable usage for a subkey")
	}
	if err := addSubkey(e, cfg, u); err != nil {
		return nil, err
	}
	return &e.Subkeys[len(e.Subkeys)-1], nil
}

// addSubkey adds one subkey with exactly the usage flags asked for. Keys
// that sign get the embedded back-signature; RSA may combine all usages.
func addSubkey(e *openpgp.Entity, cfg *packet.Config, u usage) error {
	isRSA := cfg.Algorithm == packet.PubKeyAlgoRSA
	var err error
	switch {
	case u.encr && !u.sign && !u.auth:
		switch cfg.Algorithm {
		case packet.PubKeyAlgoEdDSA, packet.PubKeyAlgoECDSA:
			cfg.Algorithm = packet.PubKeyAlgoECDH
		case packet.PubKeyAlgoEd25519:
			cfg.Algorithm = packet.PubKeyAlgoX25519
		}
		err = e.AddEncryptionSubkey(cfg)
	case (u.sign || u.auth) && (!u.encr || isRSA):
		err = e.AddSigningSubkey(cfg)
	default:
		return fmt.Errorf("usage not possible for this algorithm")
	}
	if err != nil {
		return err
	}
	sk := &e.Subkeys[len(e.Subkeys)-1]
	sig := sk.Sig
	sig.FlagSign, sig.FlagAuthenticate = u.sign, u.auth
	sig.FlagEncryptCommunications, sig.FlagEncryptStorage = u.encr, u.encr
	return sig.SignKey(sk.PublicKey, e.PrivateKey, cfg)
}

// DefaultUsage is what gpg enables when a parameter file names no usage:
// everything the key type can do (certify is implied for primary keys).
// keyType is the parameter file's Key-Type/Subkey-Type.
func DefaultUsage(keyType string) string {
	switch strings.ToLower(keyType) {
	case "rsa", "1":
		return "sign,encr,auth"
	case "ecdh", "18", "elg", "elg-e", "16":
		return "encr"
	}
	return "sign,auth"
}
func lifetimeOf(k ipc.KeySpec) (uint32, error) {
	if k.ExpireSecs < 0 || k.ExpireSecs > 1<<32-1 {
		return 0, fmt.Errorf("invalid expiration")
	}
	return uint32(k.ExpireSecs), nil
}

// splitUserID splits "Name (Comment) <email>" for go-crypto, which rebuilds
// the same string; a UID that does not round trip is refused by Generate.
func splitUserID(uid string) (name, comment, email string) {
	rest := uid
	if i := strings.LastIndexByte(rest, '<'); i >= 0 && strings.HasSuffix(rest, ">") {
		email = rest[i+1 : len(rest)-1]
		rest = strings.TrimSuffix(rest[:i], " ")
	}
	if i := strings.LastIndexByte(rest, '('); i >= 0 && strings.HasSuffix(rest, ")") {
		comment = rest[i+1 : len(rest)-1]
		rest = strings.TrimSuffix(rest[:i], " ")
	}
	return rest, comment, email
}
