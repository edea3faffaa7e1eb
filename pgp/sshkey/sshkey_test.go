package sshkey

import (
	"bytes"
	"crypto/dsa" //nolint:staticcheck // DSA keys exist in OpenPGP and SSH
	stdecdsa "crypto/ecdsa"
	stded25519 "crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/ecdsa"
	"github.com/ProtonMail/go-crypto/openpgp/ed25519"
	"github.com/ProtonMail/go-crypto/openpgp/eddsa"
	"github.com/ProtonMail/go-crypto/openpgp/elgamal"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"golang.org/x/crypto/ssh"
)

var t0 = time.Unix(1750000000, 0)

func entity(t *testing.T, cfg *packet.Config) *openpgp.Entity {
	t.Helper()
	cfg.Time = func() time.Time { return t0 }
	e, err := openpgp.NewEntity("T", "", "t@example.org", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// sshPublicKey turns the library key inside pk into the standard library
// key x/crypto/ssh encodes, as an independent reference.
func sshPublicKey(t *testing.T, pk *packet.PublicKey) ssh.PublicKey {
	t.Helper()
	var std any
	switch k := pk.PublicKey.(type) {
	case *rsa.PublicKey, *dsa.PublicKey:
		std = k
	case *ecdsa.PublicKey:
		curves := map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()}
		std = &stdecdsa.PublicKey{Curve: curves[k.GetCurve().GetCurveName()], X: k.X, Y: k.Y}
	case *eddsa.PublicKey:
		std = stded25519.PublicKey(k.X)
	case *ed25519.PublicKey:
		std = stded25519.PublicKey(k.Point)
	default:
		t.Fatalf("no reference for %T", k)
	}
	s, err := ssh.NewPublicKey(std)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLineMatchesOpenSSHEncoding(t *testing.T) {
	params := &dsa.Parameters{}
	if err := dsa.GenerateParameters(params, rand.Reader, dsa.L1024N160); err != nil {
		t.Fatal(err)
	}
	dk := &dsa.PrivateKey{PublicKey: dsa.PublicKey{Parameters: *params}}
	if err := dsa.GenerateKey(dk, rand.Reader); err != nil {
		t.Fatal(err)
	}
	keys := map[string]*packet.PublicKey{
		"ssh-rsa":             entity(t, &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: 2048}).PrimaryKey,
		"ecdsa-sha2-nistp256": entity(t, &packet.Config{Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP256}).PrimaryKey,
		"ecdsa-sha2-nistp384": entity(t, &packet.Config{Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP384}).PrimaryKey,
		"ecdsa-sha2-nistp521": entity(t, &packet.Config{Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP521}).PrimaryKey,
		"ssh-ed25519":         entity(t, &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519}).PrimaryKey,
		"ssh-ed25519 (v6)":    entity(t, &packet.Config{Algorithm: packet.PubKeyAlgoEd25519, V6Keys: true}).PrimaryKey,
		"ssh-dss":             packet.NewDSAPublicKey(t0, &dk.PublicKey),
	}
	for name, pk := range keys {
		line, err := Line(pk)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ref := sshPublicKey(t, pk)
		want := fmt.Sprintf("%s %s openpgp:0x%08X", ref.Type(), base64.StdEncoding.EncodeToString(ref.Marshal()), uint32(pk.KeyId))
		if line != want {
			t.Errorf("%s:\n got %s\nwant %s", name, line, want)
		}
		if !strings.HasPrefix(name, ref.Type()) {
			t.Errorf("%s: type %s", name, ref.Type())
		}
		// OpenSSH's own parser reads it back to the same key
		parsed, comment, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil || !bytes.Equal(parsed.Marshal(), ref.Marshal()) || comment != fmt.Sprintf("openpgp:0x%08X", uint32(pk.KeyId)) {
			t.Errorf("%s: OpenSSH parse: %v %q", name, err, comment)
		}
	}
}

func TestLineRefusesNonSSHKeys(t *testing.T) {
	ecdh := entity(t, &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519}).Subkeys[0].PublicKey
	if _, err := Line(ecdh); !errors.Is(err, ErrAlgorithm) {
		t.Errorf("ECDH: %v, want ErrAlgorithm", err)
	}
	elg := packet.NewElGamalPublicKey(t0, &elgamal.PublicKey{G: bigInt(2), P: bigInt(23), Y: bigInt(9)})
	if _, err := Line(elg); !errors.Is(err, ErrUnusable) {
		t.Errorf("ElGamal: %v, want ErrUnusable", err)
	}
	bp := entity(t, &packet.Config{Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveBrainpoolP256}).PrimaryKey
	if _, err := Line(bp); !errors.Is(err, ErrUnknownCurve) {
		t.Errorf("brainpool: %v, want ErrUnknownCurve", err)
	}
}

func TestPacketBodyRejectsTruncation(t *testing.T) {
	var buf bytes.Buffer
	pk := entity(t, &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519}).PrimaryKey
	if err := pk.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	p := buf.Bytes()
	for n := 0; n < len(p); n++ {
		if body, err := packetBody(p[:n]); err == nil {
			t.Fatalf("truncated to %d: accepted %x", n, body)
		}
	}
	body, err := packetBody(p)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(body); n++ {
		if _, _, err := encode(body[:n]); err == nil {
			t.Fatalf("body truncated to %d accepted", n)
		}
	}
}

// addSubkey adds a subkey created at ct with the given flags.
func addSubkey(t *testing.T, e *openpgp.Entity, ct time.Time, auth bool, life uint32) {
	t.Helper()
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519, Time: func() time.Time { return ct }, KeyLifetimeSecs: life}
	if err := e.AddSigningSubkey(cfg); err != nil {
		t.Fatal(err)
	}
	sk := &e.Subkeys[len(e.Subkeys)-1]
	sk.Sig.FlagSign, sk.Sig.FlagAuthenticate = !auth, auth
	if err := sk.Sig.SignKey(sk.PublicKey, e.PrivateKey, cfg); err != nil {
		t.Fatal(err)
	}
}

func TestSelect(t *testing.T) {
	e := entity(t, &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519})
	if got := Select(e, t0); got != nil {
		t.Fatalf("no auth key: got %X", got.KeyId)
	}
	addSubkey(t, e, t0, true, 0)                      // 1: auth (subkey 0 is the encryption subkey)
	addSubkey(t, e, t0, true, 0)                      // 2: auth, same time: 1 wins
	addSubkey(t, e, t0.Add(10*time.Second), false, 0) // 3: newest, but signing
	addSubkey(t, e, t0.Add(20*time.Second), true, 5)  // 4: newest auth, expires at +25s
	addSubkey(t, e, t0.Add(time.Hour), true, 0)       // 5: not valid before +1h
	want := map[time.Duration]int{0: 1, 15 * time.Second: 1, 22 * time.Second: 4, 30 * time.Second: 1, 2 * time.Hour: 5}
	for at, i := range want {
		got := Select(e, t0.Add(at))
		if got != e.Subkeys[i].PublicKey {
			t.Errorf("at +%v: got %v, want subkey %d", at, got, i)
		}
	}
	// the primary key qualifies when it may authenticate
	p := entity(t, &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519})
	for _, id := range p.Identities {
		id.SelfSignature.FlagAuthenticate = true
	}
	if got := Select(p, t0); got != p.PrimaryKey {
		t.Errorf("auth primary: got %v", got)
	}
}

func bigInt(v int64) *big.Int { return big.NewInt(v) }
