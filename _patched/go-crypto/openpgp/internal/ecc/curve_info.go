// Copyright (c) 2009 The Go Authors and the go-crypto contributors. All
// rights reserved. Use of this source code is governed by the BSD-style
// license in github.com/ProtonMail/go-crypto's LICENSE file.
//
// frontpgp: this file replaces openpgp/internal/ecc/curve_info.go of
// github.com/ProtonMail/go-crypto v1.5.2 in front's builds (see
// scripts/patched-modfile.sh and _patched/README.md). The only change:
// upstream builds every curve (Brainpool's parameters with math/big,
// secp256k1, X448, ...) in package init, about 0.2 ms of every process
// start whether or not a curve is used; here each curve is built on first
// lookup and only the one looked up. Lookups return what upstream's do.

// Package ecc implements a generic interface for ECDH, ECDSA, and EdDSA.
package ecc

import (
	"bytes"
	"crypto/elliptic"
	"sync"

	"github.com/ProtonMail/go-crypto/bitcurves"
	"github.com/ProtonMail/go-crypto/brainpool"
	"github.com/ProtonMail/go-crypto/openpgp/internal/encoding"
)

const Curve25519GenName = "Curve25519"

type CurveInfo struct {
	GenName string
	Oid     *encoding.OID
	Curve   Curve
}

// knownCurve is one row of the table: what a lookup compares is plain
// data; the curve itself is built once, on the first lookup that needs it.
type knownCurve struct {
	genName  string
	oid      []byte
	newCurve func() Curve
	build    sync.Once
	info     CurveInfo
}

func (k *knownCurve) curveInfo() *CurveInfo {
	k.build.Do(func() {
		k.info = CurveInfo{GenName: k.genName, Oid: encoding.NewOID(k.oid), Curve: k.newCurve()}
	})
	info := k.info // a copy per caller, as upstream's range variable
	return &info
}

var curves = [...]knownCurve{
	{genName: "P256", oid: []byte{0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07},
		newCurve: func() Curve { return NewGenericCurve(elliptic.P256()) }},
	{genName: "P384", oid: []byte{0x2B, 0x81, 0x04, 0x00, 0x22},
		newCurve: func() Curve { return NewGenericCurve(elliptic.P384()) }},
	{genName: "P521", oid: []byte{0x2B, 0x81, 0x04, 0x00, 0x23},
		newCurve: func() Curve { return NewGenericCurve(elliptic.P521()) }},
	{genName: "SecP256k1", oid: []byte{0x2B, 0x81, 0x04, 0x00, 0x0A},
		newCurve: func() Curve { return NewGenericCurve(bitcurves.S256()) }},
	{genName: Curve25519GenName, oid: []byte{0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01},
		newCurve: func() Curve { return NewCurve25519() }},
	{genName: "Curve448", oid: []byte{0x2B, 0x65, 0x6F},
		newCurve: func() Curve { return NewX448() }},
	{genName: Curve25519GenName, oid: []byte{0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01},
		newCurve: func() Curve { return NewEd25519() }},
	{genName: "Curve448", oid: []byte{0x2B, 0x65, 0x71},
		newCurve: func() Curve { return NewEd448() }},
	{genName: "BrainpoolP256", oid: []byte{0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07},
		newCurve: func() Curve { return NewGenericCurve(brainpool.P256r1()) }},
	{genName: "BrainpoolP384", oid: []byte{0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0B},
		newCurve: func() Curve { return NewGenericCurve(brainpool.P384r1()) }},
	{genName: "BrainpoolP512", oid: []byte{0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0D},
		newCurve: func() Curve { return NewGenericCurve(brainpool.P512r1()) }},
}

func FindByCurve(curve Curve) *CurveInfo {
	for i := range curves {
		if info := curves[i].curveInfo(); info.Curve.GetCurveName() == curve.GetCurveName() {
			return info
		}
	}
	return nil
}

func FindByOid(oid encoding.Field) *CurveInfo {
	var rawBytes = oid.Bytes()
	for i := range curves {
		if bytes.Equal(curves[i].oid, rawBytes) {
			return curves[i].curveInfo()
		}
	}
	return nil
}

func FindEdDSAByGenName(curveGenName string) EdDSACurve {
	return findByGenName[EdDSACurve](curveGenName)
}

func FindECDSAByGenName(curveGenName string) ECDSACurve {
	return findByGenName[ECDSACurve](curveGenName)
}

func FindECDHByGenName(curveGenName string) ECDHCurve {
	return findByGenName[ECDHCurve](curveGenName)
}

// findByGenName returns the first curve named curveGenName that is a C
// (upstream spells this out three times), or nil.
func findByGenName[C Curve](curveGenName string) C {
	for i := range curves {
		if curves[i].genName == curveGenName {
			if curve, ok := curves[i].curveInfo().Curve.(C); ok {
				return curve
			}
		}
	}
	var none C
	return none
}
