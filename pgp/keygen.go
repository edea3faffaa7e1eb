package pgp

import (
	"crypto"
	"errors"
	"fmt"
	"slices"
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
			if err != nil || n < 1024 || n > 4096 {
				return nil, fmt.Errorf("invalid RSA key size %q", algo)
			}
			bits = n
		}
		cfg.Algorithm, cfg.RSABits = packet.PubKeyAlgoRSA, bits
	case strings.HasPrefix(a, "dsa") || strings.HasPrefix(a, "elg"):
		if v6 {
			return nil, fmt.Errorf("algorithm %q is not possible in a v6 key", algo)
		}
		// made by newDSAEntity and addElGamalSubkey from the size in the name
		cfg.Algorithm = packet.PubKeyAlgoDSA
		if a[0] == 'e' {
			cfg.Algorithm = packet.PubKeyAlgoElGamal
		}
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
	if cfg.Algorithm == packet.PubKeyAlgoX25519 || cfg.Algorithm == packet.PubKeyAlgoElGamal || strings.EqualFold(req.Primary.Algo, "cv25519") {
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
	var e *openpgp.Entity
	if bits, ok := sizeOf(req.Primary.Algo, "dsa"); ok {
		e, err = newDSAEntity(bits, name, comment, email, cfg)
	} else {
		e, err = openpgp.NewEntity(name, comment, email, cfg)
	}
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
		if err := addSubkey(e, sk.Algo, scfg, su); err != nil {
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
	if err := addSubkey(e, spec.Algo, cfg, u); err != nil {
		return nil, err
	}
	return &e.Subkeys[len(e.Subkeys)-1], nil
}

// addSubkey adds one subkey of the named algorithm with exactly the usage
// flags asked for. Keys that sign get the embedded back-signature; RSA may
// combine all usages; ElGamal only encrypts; DSA subkeys are not made.
func addSubkey(e *openpgp.Entity, algo string, cfg *packet.Config, u usage) error {
	isRSA := cfg.Algorithm == packet.PubKeyAlgoRSA
	var err error
	switch {
	case cfg.Algorithm == packet.PubKeyAlgoElGamal:
		bits, _ := sizeOf(algo, "elg")
		if !u.encr || u.sign || u.auth {
			return fmt.Errorf("usage not possible for this algorithm")
		}
		return addElGamalSubkey(e, bits, cfg)
	case cfg.Algorithm == packet.PubKeyAlgoDSA:
		return fmt.Errorf("DSA subkeys are not supported")
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
	if strings.HasPrefix(strings.ToLower(keyType), "elg") {
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

// Errors of QuickPrimary, named by gpg's messages.
var (
	ErrWrongUsage   = errors.New("Wrong key usage")
	ErrInvalidValue = errors.New("Invalid value")
	ErrUnknownCurve = errors.New("Unknown elliptic curve")
)

// IsDefaultAlgo reports whether a --quick-gen-key ALGO asks for the
// default key type.
func IsDefaultAlgo(algo string) bool {
	switch strings.ToLower(algo) {
	case "", "-", "default", "future-default":
		return true
	}
	return false
}

// IsDefaultUsage reports whether a --quick-gen-key USAGE asks for the
// algorithm's default usage.
func IsDefaultUsage(usage string) bool {
	return usage == "" || usage == "-" || strings.EqualFold(usage, "default")
}

// QuickPrimary resolves --quick-gen-key's ALGO and explicit or default
// USAGE for a primary key without subkeys, as gpg 2.2.40 does: key sizes
// are brought into gpg's ranges (RSA 1024..4096 in steps of 32, DSA 1024,
// 2048 or 3072), a usage token other than sign, encr, encrypt, auth and
// cert is an invalid value, a usage the algorithm cannot have is wrong,
// and certify is always added. It returns the algorithm and usage in the
// form Generate takes.
func QuickPrimary(algo, usage string) (string, string, error) {
	a, err := CanonicalAlgo(algo)
	if err != nil {
		return "", "", err
	}
	if IsDefaultUsage(usage) {
		usage = "sign"
	}
	var tokens []string
	for _, f := range strings.FieldsFunc(strings.ToLower(usage), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		switch f {
		case "sign", "encr", "auth", "cert":
		case "encrypt":
			f = "encr"
		default:
			return "", "", ErrInvalidValue
		}
		tokens = append(tokens, f)
	}
	if !slices.Contains(tokens, "cert") {
		tokens = append(tokens, "cert")
	}
	caps := algoUsage(a)
	for _, t := range tokens {
		if !strings.Contains(caps, t) {
			return "", "", ErrWrongUsage
		}
	}
	return a, strings.Join(tokens, ","), nil
}

// algoUsage lists what a key of the canonical algorithm a may do.
func algoUsage(a string) string {
	switch {
	case strings.HasPrefix(a, "rsa"):
		return "sign,cert,auth,encr"
	case a == "cv25519" || strings.HasPrefix(a, "elg"):
		return "encr"
	}
	return "sign,cert,auth"
}

// CanonicalAlgo turns a gpg algorithm string (rsa, rsa3072, dsa2048,
// elg, ed25519, nistp256, ...) into the name Generate takes, with gpg's
// size rules: RSA sizes below 1024 become 1024, above 4096 become 4096,
// others round up to a multiple of 32 (default 3072); DSA sizes round up
// to 1024, 2048 or 3072 (default 2048, at most 3072); ElGamal sizes are
// 2048, 3072 or 4096 (default 3072; others round up), the sizes of the
// fixed groups Generate uses. Names of curves front does not support are
// an unknown curve, as they are to gpg when it does not know them.
func CanonicalAlgo(algo string) (string, error) {
	a := strings.ToLower(algo)
	sized := func(prefix string, def int, round func(int) int) (string, bool) {
		rest, ok := strings.CutPrefix(a, prefix)
		if !ok {
			return "", false
		}
		n := def
		if rest != "" {
			v, err := strconv.Atoi(rest)
			if err != nil || v <= 0 {
				return "", false
			}
			n = round(v)
		}
		return prefix + strconv.Itoa(n), true
	}
	if s, ok := sized("rsa", 3072, func(n int) int { return (min(max(n, 1024), 4096) + 31) / 32 * 32 }); ok {
		return s, nil
	}
	if s, ok := sized("dsa", 2048, func(n int) int { return min((max(n, 1)+1023)/1024, 3) * 1024 }); ok {
		return s, nil
	}
	if s, ok := sized("elg", 3072, func(n int) int { return min(max((n+1023)/1024, 2), 4) * 1024 }); ok {
		return s, nil
	}
	switch a {
	case "ed25519", "cv25519", "nistp256", "nistp384", "nistp521":
		return a, nil
	}
	return "", ErrUnknownCurve
}
