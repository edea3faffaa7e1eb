package store

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// withoutUserIDs is a certificate as keys.openpgp.org serves one without
// verified addresses: every user ID with its signatures left out.
func withoutUserIDs(t *testing.T, cert []byte) []byte {
	t.Helper()
	pkts, err := splitPackets(cert)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	inUID := false
	for _, p := range pkts {
		switch p.tag {
		case tagUserID, tagAttribute:
			inUID = true
			continue
		case tagPublicSubkey:
			inUID = false
		case tagSignature:
			if inUID {
				continue
			}
		}
		out = append(out, p.raw...)
	}
	return out
}

// thirdPartySig is a syntactically valid v4 EdDSA certification (class
// 0x10) naming issuer, with made-up signature values: what a flooding
// attacker adds by the hundred thousand. Only the issuer decides its fate
// under self-sigs-only.
func thirdPartySig(issuer uint64, created uint32) []byte {
	body := []byte{4, 0x10, 22, 8, 0, 6, 5, 2}
	body = binary.BigEndian.AppendUint32(body, created)
	body = append(body, 0, 10, 9, 16)
	body = binary.BigEndian.AppendUint64(body, issuer)
	body = append(body, 0xab, 0xcd)
	for i := 0; i < 2; i++ {
		body = append(body, 1, 0) // a 256-bit MPI
		body = append(body, bytes.Repeat([]byte{byte(issuer) | 0x80}, 32)...)
	}
	return framePacket(tagSignature, body)
}

func filterOne(t *testing.T, data []byte, req NetRequest, opt NetOptions) NetResult {
	t.Helper()
	res, err := FilterNetKeys(data, req, opt)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Bad input 11: a returned certificate that is not what was asked for is
// dropped; a subkey's fingerprint or key ID counts, as in gpg.
func TestNetKeysMismatch(t *testing.T) {
	a, b := newEntity(t, "a"), newEntity(t, "b")
	data := append(serialize(t, a), serialize(t, b)...)
	res := filterOne(t, data, NetRequest{Fingerprints: [][]byte{b.PrimaryKey.Fingerprint}}, NetOptions{})
	if len(res.Certs) != 1 || res.Mismatched != 1 || !bytes.Equal(res.Certs[0], serialize(t, b)) {
		t.Fatalf("by fingerprint: kept %d, mismatched %d", len(res.Certs), res.Mismatched)
	}
	res = filterOne(t, data, NetRequest{KeyIDs: []uint64{a.Subkeys[0].PublicKey.KeyId}}, NetOptions{})
	if len(res.Certs) != 1 || res.Mismatched != 1 || !bytes.Equal(res.Certs[0], serialize(t, a)) {
		t.Fatalf("by subkey key ID: kept %d, mismatched %d", len(res.Certs), res.Mismatched)
	}
	res = filterOne(t, data, NetRequest{KeyIDs: []uint64{0x0123456789abcdef}}, NetOptions{})
	if len(res.Certs) != 0 || res.Mismatched != 2 {
		t.Fatalf("unknown key ID: kept %d, mismatched %d", len(res.Certs), res.Mismatched)
	}
	if res := filterOne(t, data, NetRequest{}, NetOptions{}); len(res.Certs) != 2 {
		t.Fatalf("empty request: kept %d", len(res.Certs))
	}
}

// Bad input 12: a secret key block (or a secret subkey inside a public
// one) is never passed on; the public certificate next to it is.
func TestNetKeysSecret(t *testing.T) {
	a, b := newEntity(t, "a"), newEntity(t, "b")
	var sec bytes.Buffer
	if err := a.SerializePrivateWithoutSigning(&sec, nil); err != nil {
		t.Fatal(err)
	}
	pub := serialize(t, b)
	res := filterOne(t, append(sec.Bytes(), pub...), NetRequest{}, NetOptions{})
	if res.Secret != 1 || len(res.Certs) != 1 || !bytes.Equal(res.Certs[0], pub) {
		t.Fatalf("secret block: secret %d, kept %d", res.Secret, len(res.Certs))
	}
	// b's public key with a's secret subkey packet in the middle.
	secPkts, _ := splitPackets(sec.Bytes())
	var sub []byte
	for _, p := range secPkts {
		if p.tag == tagSecretSubkey {
			sub = p.raw
		}
	}
	pubPkts, _ := splitPackets(pub)
	mixed := append(append(append([]byte(nil), pubPkts[0].raw...), sub...), pub[len(pubPkts[0].raw):]...)
	if res := filterOne(t, mixed, NetRequest{}, NetOptions{}); res.Secret != 1 || len(res.Certs) != 0 {
		t.Fatalf("secret subkey: secret %d, kept %d", res.Secret, len(res.Certs))
	}
}

// Bad input 18: a compressed packet in key data refuses the whole answer.
func TestNetKeysCompressed(t *testing.T) {
	a := serialize(t, newEntity(t, "a"))
	compressed := []byte{0xc8, 0x03, 0x00, 0x01, 0x02} // tag 8, algorithm 0
	for _, data := range [][]byte{append(append([]byte(nil), a...), compressed...), append(append([]byte(nil), compressed...), a...)} {
		res, err := FilterNetKeys(data, NetRequest{}, NetOptions{})
		if err != ErrCompressed || len(res.Certs) != 0 {
			t.Fatalf("compressed packet: %v, kept %d", err, len(res.Certs))
		}
	}
}

// MaxCerts (WKD's 5, bad input 3) and the user ID filter (bad inputs 1, 2).
func TestNetKeysLimitAndUserIDs(t *testing.T) {
	var data []byte
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		data = append(data, serialize(t, newEntity(t, n))...)
	}
	res := filterOne(t, data, NetRequest{}, NetOptions{MaxCerts: 5})
	if len(res.Certs) != 5 || res.Excess != 2 {
		t.Fatalf("kept %d, excess %d; want 5, 2", len(res.Certs), res.Excess)
	}

	e := newEntity(t, "x")
	if err := e.AddUserId("other", "", "other@example.org", nil); err != nil {
		t.Fatal(err)
	}
	want := func(uid []byte) bool { return bytes.Contains(uid, []byte("<x@example.org>")) }
	res = filterOne(t, serialize(t, e), NetRequest{UserID: want}, NetOptions{MatchingUIDsOnly: true})
	if len(res.Certs) != 1 {
		t.Fatalf("kept %d certificates", len(res.Certs))
	}
	sum, err := summarize(res.Certs[0])
	if err != nil || len(sum.UserIDs) != 1 || sum.UserIDs[0] != "x <x@example.org>" || len(sum.Keys) != 2 {
		t.Fatalf("kept %+v (%v); want only the matching user ID and both keys", sum, err)
	}
	kb, err := ParseKeyblock(res.Certs[0])
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := kb.Clean(CleanOptions{Now: uint32(time.Now().Unix())}); r != Clean {
		t.Fatalf("filtered certificate does not import: %v", r)
	}
	none := func([]byte) bool { return false }
	res = filterOne(t, serialize(t, e), NetRequest{UserID: none}, NetOptions{MatchingUIDsOnly: true})
	if len(res.Certs) != 0 || res.Mismatched != 1 {
		t.Fatalf("no matching user ID: kept %d, mismatched %d", len(res.Certs), res.Mismatched)
	}
}

// Bad input 16: 150,000 third-party certifications on one user ID. Under
// self-sigs-only they are dropped while reading, so what reaches the
// import checks is the small certificate, in bounded time and memory.
func TestNetKeysFlood(t *testing.T) {
	const flood = 150000
	e := newEntity(t, "victim")
	pkts, _ := splitPackets(serialize(t, e))
	var data []byte
	for i, p := range pkts {
		data = append(data, p.raw...)
		if i == 2 { // after the user ID's self-signature
			for j := 0; j < flood; j++ {
				data = append(data, thirdPartySig(uint64(j)+1, uint32(1600000000+j))...)
			}
		}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	res := filterOne(t, data, NetRequest{Fingerprints: [][]byte{e.PrimaryKey.Fingerprint}}, NetOptions{SelfSigsOnly: true})
	blocks, _, err := SplitImport(bytes.Join(res.Certs, nil))
	if err != nil || len(blocks) != 1 {
		t.Fatalf("split: %d blocks, %v", len(blocks), err)
	}
	if r, _ := blocks[0].Keyblock.Clean(CleanOptions{Now: uint32(time.Now().Unix())}); r != Clean {
		t.Fatalf("clean: %v", r)
	}
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if res.ThirdPartySigs != flood || !bytes.Equal(blocks[0].Keyblock.Bytes(), serialize(t, e)) {
		t.Fatalf("dropped %d third-party signatures; kept certificate differs from the original", res.ThirdPartySigs)
	}
	// Generous bounds for a loaded 2-core machine; the measured cost is
	// about 0.1 s and a few times the input size.
	if took > 10*time.Second {
		t.Errorf("flooded certificate took %v", took)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(8*len(data)) {
		t.Errorf("allocated %d bytes for %d bytes of input", alloc, len(data))
	}
	t.Logf("%d bytes, %d signatures: %v, %d bytes allocated", len(data), flood, took, after.TotalAlloc-before.TotalAlloc)
}

// Bad input 17: a certificate without user IDs, for a key we have, merges
// (a new subkey, a key revocation); on its own it is never a new key, and
// what fails its checks is cleaned out before the merge.
func TestUIDLessMerge(t *testing.T) {
	now := uint32(time.Now().Unix())
	e := newEntity(t, "k")
	orig := serialize(t, e)
	if err := e.AddSigningSubkey(&packet.Config{Algorithm: packet.PubKeyAlgoEdDSA}); err != nil {
		t.Fatal(err)
	}
	if err := e.RevokeKey(packet.KeyCompromised, "test", nil); err != nil {
		t.Fatal(err)
	}
	update := withoutUserIDs(t, serialize(t, e))
	if r, _ := mustParse(t, update).Clean(CleanOptions{Now: now}); r != NoUserID {
		t.Fatalf("without AllowNoUserID: %v, want NoUserID", r)
	}
	kb := mustParse(t, update)
	if r, _ := kb.Clean(CleanOptions{Now: now, AllowNoUserID: true}); r != KeyOnly {
		t.Fatalf("with AllowNoUserID: %v, want KeyOnly", r)
	}
	stored := mustParse(t, orig)
	m := stored.Merge(kb)
	if m.Subkeys != 1 || len(m.Notes) != 1 || m.Notes[0] != NoteRevocationAdded || m.UserIDs != 0 {
		t.Fatalf("merge: %+v", m)
	}
	ents, err := openpgp.ReadKeyRing(bytes.NewReader(stored.Bytes()))
	if err != nil || len(ents) != 1 || len(ents[0].Subkeys) != 2 || len(ents[0].Revocations) != 1 || len(ents[0].Identities) != 1 {
		t.Fatalf("merged certificate: %v", err)
	}
	// The new subkey's binding signature (the last packet) broken: the
	// subkey is cleaned out, the revocation still merges.
	forged := append([]byte(nil), update...)
	forged[len(forged)-3] ^= 1
	fk := mustParse(t, forged)
	if r, _ := fk.Clean(CleanOptions{Now: now, AllowNoUserID: true}); r != KeyOnly {
		t.Fatalf("forged: %v", r)
	}
	if m := mustParse(t, orig).Merge(fk); m.Subkeys != 0 || len(m.Notes) != 1 {
		t.Fatalf("merge of a subkey with a broken binding: %+v", m)
	}
	// A self-certification without a user ID before it is invalid.
	pkts, _ := splitPackets(orig)
	bad := append(append([]byte(nil), pkts[0].raw...), pkts[2].raw...)
	if r, _ := mustParse(t, bad).Clean(CleanOptions{Now: now, AllowNoUserID: true}); r != Invalid {
		t.Fatalf("certification without user ID: %v, want Invalid", r)
	}
}

func mustParse(t *testing.T, b []byte) *Keyblock {
	t.Helper()
	kb, err := ParseKeyblock(b)
	if err != nil {
		t.Fatal(err)
	}
	return kb
}

func FuzzFilterNetKeys(f *testing.F) {
	e := newEntityF(f)
	f.Add(e, uint8(0))
	f.Add(append(append([]byte(nil), e...), 0xc8, 0x01, 0x00), uint8(3))
	f.Add(thirdPartySig(1, 2), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, flags uint8) {
		opt := NetOptions{MaxCerts: int(flags >> 4), SelfSigsOnly: flags&1 != 0, MatchingUIDsOnly: flags&2 != 0}
		req := NetRequest{UserID: func(uid []byte) bool { return len(uid)%2 == 0 }}
		res, err := FilterNetKeys(data, req, opt)
		if err == ErrCompressed && len(res.Certs) != 0 {
			t.Fatal("certificates kept from an answer with a compressed packet")
		}
		total := 0
		for _, c := range res.Certs {
			total += len(c)
			if _, err := splitPackets(c); err != nil {
				t.Fatalf("kept certificate does not split: %v", err)
			}
		}
		if total > len(data) {
			t.Fatalf("kept %d bytes of %d", total, len(data))
		}
	})
}

func newEntityF(f *testing.F) []byte {
	e, err := openpgp.NewEntity("f", "", "f@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		f.Fatal(err)
	}
	var b bytes.Buffer
	if err := e.Serialize(&b); err != nil {
		f.Fatal(err)
	}
	return b.Bytes()
}
