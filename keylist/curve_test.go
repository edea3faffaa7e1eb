package keylist

import (
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// RFC 9580's Ed25519 and X25519 keys (algorithms 27 and 25) carry no
// curve OID; colon field 17 and the algorithm string still name the curve
// as for the legacy EdDSA and ECDH forms.
func TestNativeCurveNames(t *testing.T) {
	e, err := openpgp.NewEntity("Six", "", "six@example.org", &packet.Config{V6Keys: true, Algorithm: packet.PubKeyAlgoEd25519})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pk   *packet.PublicKey
		algo packet.PublicKeyAlgorithm
		name string
	}{{e.PrimaryKey, packet.PubKeyAlgoEd25519, "ed25519"}, {e.Subkeys[0].PublicKey, packet.PubKeyAlgoX25519, "cv25519"}} {
		if c.pk.PubKeyAlgo != c.algo {
			t.Fatalf("key algorithm %d, want %d", c.pk.PubKeyAlgo, c.algo)
		}
		if got := CurveName(c.pk); got != c.name {
			t.Errorf("algo %d: CurveName = %q, want %q", c.algo, got, c.name)
		}
		if got := AlgoName(c.pk); got != c.name {
			t.Errorf("algo %d: AlgoName = %q, want %q", c.algo, got, c.name)
		}
	}
}
