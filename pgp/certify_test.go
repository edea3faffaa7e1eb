package pgp

import (
	"bytes"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/frontpgp/front/ipc"
)

// A certification made from an exact hashed area verifies with go-crypto,
// a local one (which go-crypto refuses to parse) verifies through
// ParseSignature, and any change to what was signed makes both fail.
func TestKeySignatureRoundTrip(t *testing.T) {
	for _, algo := range []string{"ed25519", "rsa2048", "nistp256"} {
		signer, err := Generate(&ipc.GenerateRequest{UserID: "S <s@example.org>", Primary: ipc.KeySpec{Algo: algo, Usage: "sign,cert"}, Created: 1700000000})
		if err != nil {
			t.Fatal(err)
		}
		target, err := Generate(&ipc.GenerateRequest{UserID: "T <t@example.org>", Primary: ipc.KeySpec{Algo: "ed25519", Usage: "sign,cert"}, Created: 1700000000})
		if err != nil {
			t.Fatal(err)
		}
		var tk bytes.Buffer
		target.PrimaryKey.Serialize(&tk)
		_, body, _ := PacketBody(tk.Bytes())
		uid := "T <t@example.org>"
		for _, local := range []bool{false, true} {
			hashed := []Subpacket{IssuerFprSubpacket(signer.PrimaryKey.Fingerprint), CreatedSubpacket(1700000100)}
			if local {
				hashed = append(hashed, Subpacket{Type: SubExportable, Data: []byte{0}})
			}
			raw, err := SignKeySignature(signer.PrivateKey, ClassGenericCert, CertHash(signer.PrimaryKey), body, Component{Tag: TagUserID, Body: []byte(uid)}, hashed)
			if err != nil {
				t.Fatalf("%s local=%v: %v", algo, local, err)
			}
			sig, err := ParseSignature(raw)
			if err != nil {
				t.Fatalf("%s local=%v: parse: %v", algo, local, err)
			}
			if err := signer.PrimaryKey.VerifyUserIdSignature(uid, target.PrimaryKey, sig); err != nil {
				t.Errorf("%s local=%v: does not verify: %v", algo, local, err)
			}
			if err := signer.PrimaryKey.VerifyUserIdSignature("X <t@example.org>", target.PrimaryKey, sig); err == nil {
				t.Errorf("%s local=%v: verifies over another user ID", algo, local)
			}
			// a flipped bit in the hashed area
			_, sb, _ := PacketBody(raw)
			parts, _ := ParseSigParts(sb)
			parts.Hashed = append([]byte(nil), parts.Hashed...)
			parts.Hashed[len(parts.Hashed)-1] ^= 1
			if bad, err := ParseSignature(FramePacket(TagSignature, parts.Body())); err == nil && signer.PrimaryKey.VerifyUserIdSignature(uid, target.PrimaryKey, bad) == nil {
				t.Errorf("%s local=%v: verifies with a changed hashed area", algo, local)
			}
		}
	}
}

func TestSubpacketsRoundTrip(t *testing.T) {
	sps := []Subpacket{{Type: 2, Data: []byte{1, 2, 3, 4}}, {Type: 27, Critical: true, Data: []byte{3}}, {Type: 20, Data: bytes.Repeat([]byte{7}, 300)}, {Type: 20, Data: bytes.Repeat([]byte{8}, 9000)}}
	got, err := ParseSubpackets(EncodeSubpackets(sps))
	if err != nil || len(got) != len(sps) {
		t.Fatalf("%v %d", err, len(got))
	}
	for i := range sps {
		if got[i].Type != sps[i].Type || got[i].Critical != sps[i].Critical || !bytes.Equal(got[i].Data, sps[i].Data) {
			t.Errorf("subpacket %d changed", i)
		}
	}
	for _, bad := range [][]byte{{5, 2}, {255, 0, 0}, {0}, {192}} {
		if _, err := ParseSubpackets(bad); err == nil {
			t.Errorf("%x accepted", bad)
		}
	}
}

// VerifyKeySignature is what front checks keyhelper's signatures with
// before they enter the store.
func TestVerifyKeySignature(t *testing.T) {
	gen := func(uid string) *openpgp.Entity {
		e, err := Generate(&ipc.GenerateRequest{UserID: uid, Primary: ipc.KeySpec{Algo: "ed25519", Usage: "sign,cert"}, Created: 1700000000})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	signer, other, target := gen("S <s@example.org>"), gen("O <o@example.org>"), gen("T <t@example.org>")
	var tk bytes.Buffer
	target.PrimaryKey.Serialize(&tk)
	_, body, _ := PacketBody(tk.Bytes())
	uid := Component{Tag: TagUserID, Body: []byte("T <t@example.org>")}
	for _, local := range []bool{false, true} {
		hashed := []Subpacket{IssuerFprSubpacket(signer.PrimaryKey.Fingerprint), CreatedSubpacket(1700000100)}
		if local {
			hashed = append(hashed, Subpacket{Type: SubExportable, Data: []byte{0}})
		}
		sig, err := SignKeySignature(signer.PrivateKey, ClassGenericCert, CertHash(signer.PrimaryKey), body, uid, hashed)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyKeySignature(signer.PrimaryKey, body, uid, sig); err != nil {
			t.Errorf("local=%v: good signature refused: %v", local, err)
		}
		if VerifyKeySignature(other.PrimaryKey, body, uid, sig) == nil {
			t.Errorf("local=%v: verifies with another key", local)
		}
		if VerifyKeySignature(signer.PrimaryKey, body, Component{Tag: TagUserID, Body: []byte("X")}, sig) == nil {
			t.Errorf("local=%v: verifies over another user ID", local)
		}
		if VerifyKeySignature(signer.PrimaryKey, body, Component{}, sig) == nil {
			t.Errorf("local=%v: a certification accepted over the primary key alone", local)
		}
	}
}
