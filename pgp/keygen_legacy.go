package pgp

import (
	"crypto/dsa" //nolint:staticcheck // gpg 2.2 still makes DSA keys on request
	"crypto/rand"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/elgamal"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// DSA and ElGamal keys, which go-crypto can use but not generate.
//
// ElGamal keys use the safe-prime MODP groups of RFC 3526 (2048, 3072 and
// 4096 bits, generator 2) instead of a fresh prime per key: with p = 2q+1
// and q prime, 2 generates the subgroup of order q, so a ciphertext leaks
// at most one bit (the Legendre symbol) of the padded session key, which
// gpg's Lim-Lee primes with a generator of a small subgroup do not
// guarantee; the discrete-log problem in these groups is as hard as for a
// random prime of that size, and a shared group only matters against an
// attacker who can precompute for a 2048-bit or larger prime. Finding a
// fresh safe prime of these sizes would take minutes. Each key has its
// own secret exponent, uniform in [2, q-1].
var modpGroups = map[int]string{
	2048: "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74" +
		"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437" +
		"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
		"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05" +
		"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB" +
		"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
		"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718" +
		"3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF",
	3072: "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74" +
		"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437" +
		"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
		"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05" +
		"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB" +
		"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
		"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718" +
		"3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33" +
		"A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
		"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864" +
		"D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2" +
		"08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
	4096: "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74" +
		"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437" +
		"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
		"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05" +
		"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB" +
		"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
		"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718" +
		"3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33" +
		"A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
		"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864" +
		"D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2" +
		"08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7" +
		"88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8" +
		"DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D99B2964FA090C3A2" +
		"233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9" +
		"93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C934063199FFFFFFFFFFFFFFFF",
}

// sizeOf returns the size in a canonical "dsa2048"/"elg3072" name.
func sizeOf(algo, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(strings.ToLower(algo), prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}

// newElGamal makes an ElGamal key in the RFC 3526 group of that size.
func newElGamal(bits int) (*elgamal.PrivateKey, error) {
	hexP, ok := modpGroups[bits]
	if !ok {
		return nil, fmt.Errorf("unsupported ElGamal key size %d", bits)
	}
	p, _ := new(big.Int).SetString(hexP, 16)
	q := new(big.Int).Rsh(p, 1)
	// x uniform in [2, q-1]
	x, err := rand.Int(rand.Reader, new(big.Int).Sub(q, big.NewInt(2)))
	if err != nil {
		return nil, err
	}
	x.Add(x, big.NewInt(2))
	g := big.NewInt(2)
	return &elgamal.PrivateKey{
		PublicKey: elgamal.PublicKey{P: p, G: g, Y: new(big.Int).Exp(g, x, p)},
		X:         x,
	}, nil
}

// newDSA makes a DSA key with fresh FIPS 186-3 domain parameters; the
// subgroup size follows gpg: 160 bits for DSA-1024, 256 bits above.
func newDSA(bits int) (*dsa.PrivateKey, error) {
	sizes := map[int]dsa.ParameterSizes{1024: dsa.L1024N160, 2048: dsa.L2048N256, 3072: dsa.L3072N256}
	size, ok := sizes[bits]
	if !ok {
		return nil, fmt.Errorf("unsupported DSA key size %d", bits)
	}
	k := &dsa.PrivateKey{}
	if err := dsa.GenerateParameters(&k.Parameters, rand.Reader, size); err != nil {
		return nil, err
	}
	if err := dsa.GenerateKey(k, rand.Reader); err != nil {
		return nil, err
	}
	return k, nil
}

// newDSAEntity makes an entity with a DSA primary key and one user ID,
// which go-crypto's NewEntity cannot do.
func newDSAEntity(bits int, name, comment, email string, cfg *packet.Config) (*openpgp.Entity, error) {
	k, err := newDSA(bits)
	if err != nil {
		return nil, err
	}
	priv := packet.NewDSAPrivateKey(cfg.Now(), k)
	e := &openpgp.Entity{PrimaryKey: &priv.PublicKey, PrivateKey: priv, Identities: map[string]*openpgp.Identity{}}
	if err := e.AddUserId(name, comment, email, cfg); err != nil {
		return nil, err
	}
	return e, nil
}

// addElGamalSubkey adds an encryption-only ElGamal subkey to e.
func addElGamalSubkey(e *openpgp.Entity, bits int, cfg *packet.Config) error {
	k, err := newElGamal(bits)
	if err != nil {
		return err
	}
	created := cfg.Now()
	priv := packet.NewElGamalPrivateKey(created, k)
	priv.IsSubkey = true
	priv.PublicKey.IsSubkey = true
	life := cfg.KeyLifetime()
	sig := &packet.Signature{
		Version:                   e.PrimaryKey.Version,
		SigType:                   packet.SigTypeSubkeyBinding,
		PubKeyAlgo:                e.PrimaryKey.PubKeyAlgo,
		Hash:                      cfg.Hash(),
		CreationTime:              created,
		IssuerKeyId:               &e.PrimaryKey.KeyId,
		IssuerFingerprint:         e.PrimaryKey.Fingerprint,
		KeyLifetimeSecs:           &life,
		FlagsValid:                true,
		FlagEncryptStorage:        true,
		FlagEncryptCommunications: true,
	}
	if err := sig.SignKey(&priv.PublicKey, e.PrivateKey, cfg); err != nil {
		return err
	}
	e.Subkeys = append(e.Subkeys, openpgp.Subkey{PublicKey: &priv.PublicKey, PrivateKey: priv, Sig: sig})
	return nil
}
