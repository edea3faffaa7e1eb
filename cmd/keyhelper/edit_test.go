package main

import (
	"bytes"
	"errors"
	"testing"

	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/pgp"
)

// The closed set: what a front may ask keyhelper to sign into a key.
func TestCertifyItemClosedSet(t *testing.T) {
	signer := bytes.Repeat([]byte{0xab}, 20)
	other := bytes.Repeat([]byte{0xcd}, 20)
	uid := pgp.FramePacket(pgp.TagUserID, []byte("A <a@example.org>"))
	e, err := pgp.Generate(&ipc.GenerateRequest{UserID: "A <a@example.org>", Primary: ipc.KeySpec{Algo: "ed25519", Usage: "sign,cert"},
		Subkeys: []ipc.KeySpec{{Algo: "cv25519", Usage: "encr"}}, Created: 1700000000})
	if err != nil {
		t.Fatal(err)
	}
	var subBuf bytes.Buffer
	if err := e.Subkeys[0].PublicKey.Serialize(&subBuf); err != nil {
		t.Fatal(err)
	}
	sub := subBuf.Bytes()
	base := []pgp.Subpacket{pgp.IssuerFprSubpacket(signer), pgp.CreatedSubpacket(1700000000)}
	with := func(extra ...pgp.Subpacket) []byte {
		return pgp.EncodeSubpackets(append(append([]pgp.Subpacket(nil), base...), extra...))
	}
	cases := []struct {
		name string
		item ipc.CertifyItem
		self bool
		code ipc.ErrorCode // 0: accepted
	}{
		{"certification of another key", ipc.CertifyItem{Class: 0x10, Component: uid, Hashed: with()}, false, 0},
		{"local certification", ipc.CertifyItem{Class: 0x10, Component: uid, Hashed: with(pgp.Subpacket{Type: pgp.SubExportable, Data: []byte{0}})}, false, 0},
		{"self-signature with preferences", ipc.CertifyItem{Class: 0x13, Component: uid, Hashed: with(pgp.KeyExpireSubpacket(100), pgp.Subpacket{Type: pgp.SubPrimaryUID, Data: []byte{1}})}, true, 0},
		{"uid revocation", ipc.CertifyItem{Class: 0x30, Component: uid, Hashed: with(pgp.Subpacket{Type: pgp.SubReason, Data: []byte{0x20}})}, true, 0},
		{"key expiry on another key", ipc.CertifyItem{Class: 0x10, Component: uid, Hashed: with(pgp.KeyExpireSubpacket(100))}, false, ipc.ErrCodeNotPermitted},
		{"designated revoker", ipc.CertifyItem{Class: 0x13, Component: uid, Hashed: with(pgp.Subpacket{Type: pgp.SubRevoker, Data: make([]byte, 22)})}, true, ipc.ErrCodeNotPermitted},
		{"subkey binding of another key", ipc.CertifyItem{Class: 0x18, Component: sub, Hashed: with()}, false, ipc.ErrCodeNotPermitted},
		{"key revocation of another key", ipc.CertifyItem{Class: 0x20, Hashed: with()}, false, ipc.ErrCodeNotPermitted},
		{"binary document class", ipc.CertifyItem{Class: 0x00, Hashed: with()}, true, ipc.ErrCodeNotPermitted},
		{"subkey binding", ipc.CertifyItem{Class: 0x18, Component: sub, Hashed: with(pgp.KeyExpireSubpacket(5))}, true, 0},
		{"uid class over a subkey", ipc.CertifyItem{Class: 0x13, Component: sub, Hashed: with()}, true, ipc.ErrCodeNotPermitted},
		{"reason outside a revocation", ipc.CertifyItem{Class: 0x10, Component: uid, Hashed: with(pgp.Subpacket{Type: pgp.SubReason, Data: []byte{0}})}, false, ipc.ErrCodeNotPermitted},
		{"issuer is another key", ipc.CertifyItem{Class: 0x10, Component: uid, Hashed: pgp.EncodeSubpackets([]pgp.Subpacket{pgp.IssuerFprSubpacket(other), pgp.CreatedSubpacket(1)})}, false, ipc.ErrCodeNotPermitted},
		{"no creation time", ipc.CertifyItem{Class: 0x10, Component: uid, Hashed: pgp.EncodeSubpackets([]pgp.Subpacket{pgp.IssuerFprSubpacket(signer)})}, false, ipc.ErrCodeBadRequest},
		{"two creation times", ipc.CertifyItem{Class: 0x10, Component: uid, Hashed: with(pgp.CreatedSubpacket(2))}, false, ipc.ErrCodeBadRequest},
		{"garbled subpackets", ipc.CertifyItem{Class: 0x10, Component: uid, Hashed: []byte{9, 2}}, false, ipc.ErrCodeBadRequest},
	}
	for _, c := range cases {
		_, _, err := checkItem(&c.item, c.self, signer)
		var e *ipc.Error
		switch {
		case c.code == 0 && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.code != 0 && (!errors.As(err, &e) || e.Code != c.code):
			t.Errorf("%s: got %v, want error code %d", c.name, err, c.code)
		}
	}
}

// A v6 signer is named by a version-6 issuer fingerprint and, if at all,
// by the key ID at the start of its fingerprint; a v4-style naming of
// the same bytes is refused.
func TestCheckItemV6Issuer(t *testing.T) {
	signer := make([]byte, 32)
	for i := range signer {
		signer[i] = byte(i + 1)
	}
	uid := pgp.FramePacket(pgp.TagUserID, []byte("A <a@example.org>"))
	item := func(sps ...pgp.Subpacket) ipc.CertifyItem {
		return ipc.CertifyItem{Class: 0x10, Component: uid, Hashed: pgp.EncodeSubpackets(append(sps, pgp.CreatedSubpacket(1)))}
	}
	good := pgp.IssuerFprSubpacket(signer)
	if good.Data[0] != 6 {
		t.Fatalf("issuer fingerprint version %d for a 32-byte fingerprint", good.Data[0])
	}
	cases := []struct {
		name string
		item ipc.CertifyItem
		ok   bool
	}{
		{"v6 issuer fingerprint", item(good), true},
		{"with the leading key ID", item(good, pgp.Subpacket{Type: pgp.SubIssuer, Data: signer[:8]}), true},
		{"with the trailing 8 bytes as key ID", item(good, pgp.Subpacket{Type: pgp.SubIssuer, Data: signer[24:]}), false},
		{"version 4 issuer fingerprint", item(pgp.Subpacket{Type: pgp.SubIssuerFpr, Data: append([]byte{4}, signer...)}), false},
	}
	for _, c := range cases {
		_, _, err := checkItem(&c.item, false, signer)
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want accepted=%v", c.name, err, c.ok)
		}
	}
}
