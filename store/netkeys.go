package store

import (
	"bytes"
	"errors"
)

// The first pass over key data that came from the network (a keyserver or
// a Web Key Directory), before it reaches the import: it sees every packet
// once, keeps what may be imported and drops the rest before anything
// costs more than parsing a packet header and a signature's subpackets, so
// a certificate flooded with third-party certifications (bad input 16)
// costs time and memory linear in its size and no signature check.

// NetRequest is what a network lookup asked for. A returned certificate is
// kept only if it matches: one of its keys (primary key or subkey, as gpg's
// keyserver_retrieval_screener compares) has one of Fingerprints or
// KeyIDs, when any are given, and UserID accepts one of its user IDs, when
// set (a lookup by mail address).
type NetRequest struct {
	Fingerprints [][]byte
	KeyIDs       []uint64
	UserID       func(uid []byte) bool
}

// NetOptions say how much of a response is kept.
type NetOptions struct {
	// MaxCerts: certificates after this many are not looked at (0: no
	// limit). WKD uses 5.
	MaxCerts int
	// SelfSigsOnly drops every signature not issued by the certificate's
	// primary key (gpg's self-sigs-only, the keyserver default since
	// 2.2.17), while reading.
	SelfSigsOnly bool
	// MatchingUIDsOnly drops the user IDs that the request's UserID does
	// not accept, and every attribute packet, with their signatures (gpg's
	// WKD import filter keep-uid=mbox = ADDR).
	MatchingUIDsOnly bool
}

// NetResult is what FilterNetKeys kept and why it dropped the rest.
type NetResult struct {
	Certs [][]byte // kept certificates, each a binary transferable public key
	// Certificates dropped: not matching the request, secret keys (a
	// secret key or subkey packet anywhere in them), beyond MaxCerts,
	// unreadable (a primary key version we cannot fingerprint).
	Mismatched, Secret, Excess, Unreadable int
	// Rejected are the primary key IDs of the mismatched certificates.
	Rejected []uint64
	// ThirdPartySigs counts the signatures SelfSigsOnly dropped.
	ThirdPartySigs int
}

// ErrCompressed: the key data holds a compressed packet (bad input 18). Key
// data has no reason to contain one and decompressing attacker-chosen data
// is how CVE-2022-3219 made gpg spin; the whole response is refused.
var ErrCompressed = errors.New("compressed packet in key data")

const tagCompressed = 8

// maxNetPackets bounds the packets of one response: more than the 150,000
// certifications of the largest flooded certificates seen, with room.
const maxNetPackets = 1 << 20

// errTooManyPackets: a response with more than maxNetPackets packets.
var errTooManyPackets = errors.New("too many packets in key data")

// FilterNetKeys reads binary key data (the caller removes armor) and
// returns the certificates that req and opt allow. Packets that belong in
// no certificate (markers, trust packets, literal data, a signature before
// the first key) are skipped. A framing error ends the data: what came
// before it is kept and the error returned with it.
func FilterNetKeys(data []byte, req NetRequest, opt NetOptions) (NetResult, error) {
	var res NetResult
	var cur []rawPacket
	certs, packets := 0, 0
	flush := func() {
		if cur != nil {
			res.add(cur, req, opt)
			cur = nil
		}
	}
	for len(data) > 0 {
		p, rest, err := nextPacket(data)
		if err != nil {
			flush()
			return res, err
		}
		data = rest
		if packets++; packets > maxNetPackets {
			flush()
			return res, errTooManyPackets
		}
		switch p.tag {
		case tagCompressed:
			return NetResult{}, ErrCompressed
		case tagPublicKey, tagSecretKey:
			flush()
			if certs++; opt.MaxCerts > 0 && certs > opt.MaxCerts {
				res.Excess++
				continue
			}
			cur = []rawPacket{p}
		case tagSignature, tagUserID, tagAttribute, tagPublicSubkey, tagSecretSubkey:
			if cur != nil {
				cur = append(cur, p)
			}
		}
	}
	flush()
	return res, nil
}

// add decides about one certificate's packets (the first is its primary
// key) and appends what is kept.
func (res *NetResult) add(pkts []rawPacket, req NetRequest, opt NetOptions) {
	for _, p := range pkts {
		if p.tag == tagSecretKey || p.tag == tagSecretSubkey {
			res.Secret++
			return
		}
	}
	primary, err := parseKey(pkts[0].body)
	if err != nil {
		res.Unreadable++
		return
	}
	keyMatch := len(req.Fingerprints) == 0 && len(req.KeyIDs) == 0
	uidMatch := req.UserID == nil
	matchKey := func(k keyInfo) {
		for _, f := range req.Fingerprints {
			keyMatch = keyMatch || bytes.Equal(f, k.fingerprint)
		}
		for _, id := range req.KeyIDs {
			keyMatch = keyMatch || id == k.keyID
		}
	}
	matchKey(primary)
	var out []byte
	out = append(out, pkts[0].raw...)
	// dropping: the packets since the last user ID or subkey are being
	// left out with it.
	dropping := false
	thirdParty := 0
	for _, p := range pkts[1:] {
		switch p.tag {
		case tagUserID, tagAttribute:
			accepted := p.tag == tagUserID && req.UserID != nil && req.UserID(p.body)
			uidMatch = uidMatch || accepted
			dropping = opt.MatchingUIDsOnly && !accepted
		case tagPublicSubkey:
			dropping = false
			if k, err := parseKey(p.body); err == nil {
				matchKey(k)
			}
		case tagSignature:
			if dropping || !opt.SelfSigsOnly {
				break
			}
			if s, err := parseSig(p.body); err != nil || s.issuer != primary.keyID {
				thirdParty++
				continue
			}
		}
		if !dropping {
			out = append(out, p.raw...)
		}
	}
	if !keyMatch || !uidMatch {
		res.Mismatched++
		res.Rejected = append(res.Rejected, primary.keyID)
		return
	}
	res.ThirdPartySigs += thirdParty
	res.Certs = append(res.Certs, out)
}
