package pgp

import (
	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// SEIPDv2Mode decides the encryption container for a message to certs
// with the given cipher. It returns the AEAD mode for a v2 SEIPD packet
// (with v6 PKESK and SKESK packets) when every recipient is a v6
// certificate whose Features advertise SEIPDv2, and 0 (SEIPDv1, as GnuPG
// 2.2.40 writes) otherwise: v4 certificates keep SEIPDv1 whatever they
// advertise, so that what front writes to a gpg 2.2 user stays readable.
// The mode is the first one the first certificate prefers for cipher that
// all others prefer too; OCB (RFC 9580's mandatory mode, implied by an
// absent preference) when there is none.
func SEIPDv2Mode(certs []*openpgp.Entity, cipher packet.CipherFunction) packet.AEADMode {
	if len(certs) == 0 {
		return 0
	}
	var lists [][][2]uint8
	for _, e := range certs {
		if e.PrimaryKey.Version != 6 {
			return 0
		}
		sig, _ := e.PrimarySelfSignature()
		if sig == nil || !sig.SEIPDv2 {
			return 0
		}
		lists = append(lists, sig.PreferredCipherSuites)
	}
	for _, s := range lists[0] {
		if packet.CipherFunction(s[0]) != cipher || !knownAEAD(packet.AEADMode(s[1])) {
			continue
		}
		all := true
		for _, l := range lists[1:] {
			all = all && hasSuite(l, s)
		}
		if all {
			return packet.AEADMode(s[1])
		}
	}
	return packet.AEADModeOCB
}

func knownAEAD(m packet.AEADMode) bool {
	return m == packet.AEADModeEAX || m == packet.AEADModeOCB || m == packet.AEADModeGCM
}

func hasSuite(l [][2]uint8, s [2]uint8) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
