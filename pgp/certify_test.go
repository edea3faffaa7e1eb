package pgp

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
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

// v6 keys make v6 key signatures (salted, four-octet subpacket areas, no
// issuer key ID): go-crypto and VerifyKeySignature accept them over user
// IDs of v4 and v6 keys, over the signer's own subkey and primary key, and
// the parsed parts reassemble to the same bytes.
func TestKeySignatureV6(t *testing.T) {
	gen := func(uid string, v6 bool) *openpgp.Entity {
		e, err := Generate(&ipc.GenerateRequest{UserID: uid, V6: v6, Created: 1700000000,
			Primary: ipc.KeySpec{Algo: "ed25519", Usage: "sign,cert"}, Subkeys: []ipc.KeySpec{{Algo: "cv25519", Usage: "encr"}}})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	bodyOf := func(pk *packet.PublicKey) []byte {
		var b bytes.Buffer
		pk.Serialize(&b)
		_, body, _ := PacketBody(b.Bytes())
		return body
	}
	signer := gen("S <s@example.org>", true)
	hashed := []Subpacket{IssuerFprSubpacket(signer.PrimaryKey.Fingerprint), CreatedSubpacket(1700000100)}
	if id := IssuerKeyID(signer.PrimaryKey.Fingerprint); binary.BigEndian.Uint64(id) != signer.PrimaryKey.KeyId {
		t.Fatalf("key ID %X of a v6 fingerprint, want %X", id, signer.PrimaryKey.KeyId)
	}
	for _, targetV6 := range []bool{true, false} {
		target := gen("T <t@example.org>", targetV6)
		body := bodyOf(target.PrimaryKey)
		uid := Component{Tag: TagUserID, Body: []byte("T <t@example.org>")}
		for _, local := range []bool{false, true} {
			h := hashed
			if local {
				h = append(h[:len(h):len(h)], Subpacket{Type: SubExportable, Data: []byte{0}})
			}
			raw, err := SignKeySignature(signer.PrivateKey, ClassGenericCert, CertHash(signer.PrimaryKey), body, uid, h)
			if err != nil {
				t.Fatal(err)
			}
			_, sb, _ := PacketBody(raw)
			parts, err := ParseSigParts(sb)
			if err != nil || parts.Version != 6 || len(parts.Salt) != 16 || len(parts.Unhashed) != 0 || !bytes.Equal(parts.Body(), sb) {
				t.Fatalf("target v6=%v local=%v: parts %+v %v", targetV6, local, parts, err)
			}
			if err := VerifyKeySignature(signer.PrimaryKey, body, uid, raw); err != nil {
				t.Errorf("target v6=%v local=%v: refused: %v", targetV6, local, err)
			}
			if VerifyKeySignature(signer.PrimaryKey, body, Component{Tag: TagUserID, Body: []byte("X")}, raw) == nil {
				t.Errorf("target v6=%v local=%v: verifies over another user ID", targetV6, local)
			}
			sig, err := ParseSignature(raw)
			if err != nil {
				t.Fatal(err)
			}
			if err := signer.PrimaryKey.VerifyUserIdSignature("T <t@example.org>", target.PrimaryKey, sig); err != nil {
				t.Errorf("target v6=%v local=%v: go-crypto refuses it: %v", targetV6, local, err)
			}
		}
	}
	// the signer's own subkey binding and direct-key signature
	own := bodyOf(signer.PrimaryKey)
	sub := signer.Subkeys[0].PublicKey
	bind, err := SignKeySignature(signer.PrivateKey, ClassSubkeyBind, CertHash(signer.PrimaryKey), own, Component{Tag: TagPublicSubkey, Body: bodyOf(sub)},
		append(hashed[:len(hashed):len(hashed)], Subpacket{Type: SubKeyFlags, Data: []byte{0x0c}}))
	if err != nil {
		t.Fatal(err)
	}
	if sig, err := ParseSignature(bind); err != nil || signer.PrimaryKey.VerifyKeySignature(sub, sig) != nil {
		t.Errorf("subkey binding does not verify: %v", err)
	}
	direct, err := SignKeySignature(signer.PrivateKey, ClassDirectKey, CertHash(signer.PrimaryKey), own, Component{}, hashed)
	if err != nil {
		t.Fatal(err)
	}
	if sig, err := ParseSignature(direct); err != nil || signer.PrimaryKey.VerifyDirectKeySignature(sig) != nil {
		t.Errorf("direct-key signature does not verify: %v", err)
	}
	// ReviseHashed works on v6 signatures
	if _, area, err := ReviseHashed(direct, 1700000200, []Subpacket{KeyExpireSubpacket(3600)}); err != nil || len(area) <= len(EncodeSubpackets(hashed)) {
		t.Errorf("revising a v6 signature: %v", err)
	}
}

// A v6 signature whose subpacket area length overruns the packet is
// refused, not allocated.
func TestParseSigPartsV6Bounds(t *testing.T) {
	for _, body := range [][]byte{
		{6, 0x10, 27, 8, 0xff, 0xff, 0xff, 0xff},
		{6, 0x10, 27, 8, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 16},
		{6, 0x10, 27, 8, 0, 0, 0, 0, 0, 0, 0, 0},
	} {
		if _, err := ParseSigParts(body); err == nil {
			t.Errorf("%x accepted", body)
		}
	}
}
