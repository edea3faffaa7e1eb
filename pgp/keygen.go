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
		DefaultHash:            crypto.SHA512,
		DefaultCipher:          packet.CipherAES256,
		DefaultCompressionAlgo: packet.CompressionZLIB,
		Time:                   func() time.Time { return created },
		KeyLifetimeSecs:        lifetime,
		V6Keys:                 v6,
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
	if pu.encr {
		return nil, fmt.Errorf("usage encr is not supported for a primary key here; use a subkey")
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
		switch {
		case su.encr && !su.sign && !su.auth:
			if scfg.Algorithm == packet.PubKeyAlgoEdDSA {
				scfg.Algorithm = packet.PubKeyAlgoECDH
			} else if scfg.Algorithm == packet.PubKeyAlgoEd25519 {
				scfg.Algorithm = packet.PubKeyAlgoX25519
			} else if scfg.Algorithm == packet.PubKeyAlgoECDSA {
				scfg.Algorithm = packet.PubKeyAlgoECDH
			}
			err = e.AddEncryptionSubkey(scfg)
		case (su.sign || su.auth) && !su.encr:
			err = e.AddSigningSubkey(scfg)
			if err == nil && su.auth {
				last := e.Subkeys[len(e.Subkeys)-1]
				last.Sig.FlagSign, last.Sig.FlagAuthenticate = su.sign, true
				err = last.Sig.SignKey(last.PublicKey, e.PrivateKey, scfg)
			}
		default:
			return nil, fmt.Errorf("unsupported subkey usage %q", sk.Usage)
		}
		if err != nil {
			return nil, err
		}
	}
	return e, nil
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
