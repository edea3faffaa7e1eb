package store

import (
	"errors"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// The cleaning behind gpg's export-clean, export-minimal, import-clean and
// import-minimal (g10/key-clean.c: clean_all_uids, clean_all_subkeys, with
// the self-signature choices of getkey.c merge_selfsigs), the packet
// filters of export (export.c do_export_one_keyblock) and self-sigs-only
// (import.c remove_all_non_self_sigs).

// SignerKeys returns the public keys (primary keys or subkeys) with a key
// ID, to check third-party certifications; nil when none is at hand.
type SignerKeys func(keyID uint64) []*packet.PublicKey

// Subkey cleaning levels (gpg's KEY_CLEAN_*).
const (
	// SubkeyCleanNone only drops signatures after the first subkey that
	// are neither subkey bindings nor subkey revocations.
	SubkeyCleanNone = iota
	// SubkeyCleanAuthEncr also drops expired subkeys that can only
	// encrypt or authenticate (export-clean).
	SubkeyCleanAuthEncr
	// SubkeyCleanAll drops every expired subkey (export-minimal).
	SubkeyCleanAll
)

const (
	usageCert = 1 << iota
	usageSign
	usageEnc
	usageAuth
)

// sigExpired: a signature whose own expiration time has passed.
func sigExpired(s *sigInfo, now uint32) bool {
	return s.lifetime != 0 && uint64(s.created)+uint64(s.lifetime) <= uint64(now)
}

// isUIDCert is gpg's IS_UID_SIG, isUIDRev IS_UID_REV.
func isUIDCert(c byte) bool { return c&^3 == 0x10 }
func isUIDRev(c byte) bool  { return c == sigCertRevoke }

// uidEnd is the index after the signatures that follow node i.
func (kb *Keyblock) sigsEnd(i int) int {
	j := i + 1
	for j < len(kb.nodes) && kb.nodes[j].tag == tagSignature {
		j++
	}
	return j
}

// chooseUIDSelfSig is getkey.c's choice of the self-signature that rules a
// user ID: the newest valid self-certification or certification
// revocation (a later packet wins a tie). -1 when there is none.
func (kb *Keyblock) chooseUIDSelfSig(u int, now uint32) int {
	self := kb.KeyID()
	chosen, date := -1, uint32(0)
	for j := u + 1; j < len(kb.nodes) && kb.nodes[j].tag == tagSignature; j++ {
		s := kb.nodes[j].sig
		if s == nil || s.issuer != self || !(isUIDCert(s.class) || isUIDRev(s.class)) {
			continue
		}
		if s.created >= date && kb.verifySelf(j, now) == nil {
			chosen, date = j, s.created
		}
	}
	return chosen
}

// checkCert verifies a certification on a user ID: a self-signature with
// the primary key, another one with the signer's key. noKey reports that
// no key of the issuer is at hand.
func (kb *Keyblock) checkCert(i int, now uint32, signers SignerKeys) (ok, noKey bool) {
	s := kb.nodes[i].sig
	if s.issuer == kb.KeyID() {
		return kb.verifySelf(i, now) == nil, false
	}
	var keys []*packet.PublicKey
	if signers != nil {
		keys = signers(s.issuer)
	}
	if len(keys) == 0 {
		return false, true
	}
	if !gpgPubkeyAlgo(s.pubkeyAlgo) {
		return false, false
	}
	for _, pk := range keys {
		if uint32(pk.CreationTime.Unix()) > s.created {
			continue
		}
		if kb.verifyWith(i, pk) == nil {
			return true, false
		}
	}
	return false, false
}

// CleanUIDs is gpg's clean_all_uids: a user ID that is not valid
// (revoked, expired or without a valid self-signature) keeps only the
// self-signature that decided so; a valid one keeps, of each signer, the
// newest valid certification or revocation (with selfOnly, only its own),
// and loses the rest: superseded, invalid and unverifiable (signer
// unknown) signatures. It returns the numbers of user IDs compacted and of
// signatures dropped.
func (kb *Keyblock) CleanUIDs(now uint32, selfOnly bool, signers SignerKeys) (uidsCleaned, sigsCleaned int) {
	self := kb.KeyID()
	var out []*node
	out = append(out, kb.nodes[0])
	i := 1
	for ; i < len(kb.nodes) && !kb.nodes[i].isSubkey(); i++ {
		n := kb.nodes[i]
		out = append(out, n)
		if !n.isUID() {
			continue
		}
		end := kb.sigsEnd(i)
		chosen := kb.chooseUIDSelfSig(i, now)
		valid := chosen >= 0 && !isUIDRev(kb.nodes[chosen].sig.class) && !sigExpired(kb.nodes[chosen].sig, now)
		keep := make([]bool, end-i-1)
		if !valid {
			deleted := false
			for j := i + 1; j < end; j++ {
				if j == chosen {
					keep[j-i-1] = true
				} else {
					deleted = true
				}
			}
			if deleted {
				uidsCleaned++
			}
		} else {
			usable := kb.markUsableCerts(i, end, now, signers)
			for j := i + 1; j < end; j++ {
				if usable[j-i-1] && (!selfOnly || kb.nodes[j].sig.issuer == self) {
					keep[j-i-1] = true
				} else {
					sigsCleaned++
				}
			}
		}
		for j := i + 1; j < end; j++ {
			if keep[j-i-1] {
				out = append(out, kb.nodes[j])
			}
		}
		i = end - 1
	}
	out = append(out, kb.nodes[i:]...)
	kb.nodes = out
	return uidsCleaned, sigsCleaned
}

// markUsableCerts is gpg's mark_usable_uid_certs with no current time (an
// expired certification still counts): among the signatures of the user
// ID at u (up to end), of each signer the newest valid certification or
// revocation, a non-revocable certification beating revocable ones.
// Certifications below gpg's default --min-cert-level (class 0x11) are not
// considered.
func (kb *Keyblock) markUsableCerts(u, end int, now uint32, signers SignerKeys) []bool {
	cand := make([]bool, end-u-1)
	for j := u + 1; j < end; j++ {
		s := kb.nodes[j].sig
		if s == nil || !(isUIDCert(s.class) || isUIDRev(s.class)) || s.class == 0x11 {
			continue
		}
		if ok, _ := kb.checkCert(j, now, signers); ok {
			cand[j-u-1] = true
		}
	}
	nonRevocableCert := func(s *sigInfo) bool { return isUIDCert(s.class) && s.nonRevocable }
	usable := make([]bool, end-u-1)
	done := make([]bool, end-u-1)
	for j := u + 1; j < end; j++ {
		if !cand[j-u-1] || done[j-u-1] {
			continue
		}
		done[j-u-1] = true
		best := kb.nodes[j].sig
		bestIdx, date := j, best.created
		for k := u + 1; k < end; k++ {
			if !cand[k-u-1] || done[k-u-1] {
				continue
			}
			s := kb.nodes[k].sig
			if s.issuer != best.issuer {
				continue
			}
			done[k-u-1] = true
			switch {
			case nonRevocableCert(best) && !nonRevocableCert(s):
				continue
			case !nonRevocableCert(best) && nonRevocableCert(s):
				best, bestIdx, date = s, k, s.created
				continue
			}
			if s.created >= date {
				best, bestIdx, date = s, k, s.created
			}
		}
		usable[bestIdx-u-1] = true
	}
	return usable
}

// subkeyState is what getkey.c merge_selfsigs_subkey finds out about the
// subkey at i: its chosen binding signature (-1: none), whether it is
// revoked, its usage and whether it has expired.
func (kb *Keyblock) subkeyState(i int, now uint32) (chosen int, revoked bool, usage int, expired bool) {
	self := kb.KeyID()
	chosen = -1
	var date uint32
	for j := i + 1; j < len(kb.nodes) && !kb.nodes[j].isSubkey(); j++ {
		n := kb.nodes[j]
		if n.tag != tagSignature || n.sig == nil || n.sig.issuer != self {
			continue
		}
		if n.sig.class != sigSubkeyBinding && n.sig.class != sigSubkeyRevoke {
			continue
		}
		if kb.verifySelf(j, now) != nil {
			continue
		}
		if n.sig.class == sigSubkeyRevoke {
			revoked = true
		} else if n.sig.created >= date && !sigExpired(n.sig, now) {
			chosen, date = j, n.sig.created
		}
	}
	if chosen < 0 {
		return chosen, revoked, 0, false
	}
	s := kb.nodes[chosen].sig
	algo := algoUsage(kb.nodes[i].key.algo)
	if s.hasKeyFlags && s.keyFlags != 0 {
		f := s.keyFlags
		if f&0x01 != 0 {
			usage |= usageCert
		}
		if f&0x02 != 0 {
			usage |= usageSign
		}
		if f&0x0c != 0 {
			usage |= usageEnc
		}
		if f&0x20 != 0 {
			usage |= usageAuth
		}
		if algo != 0 {
			usage &= algo
		}
	} else {
		usage = algo
	}
	if s.keyExpire != 0 {
		exp := uint64(kb.nodes[i].key.created) + uint64(s.keyExpire)
		expired = exp < uint64(now)
	}
	return chosen, revoked, usage, expired
}

// algoUsage is gpg's openpgp_pk_algo_usage.
func algoUsage(algo byte) int {
	switch algo {
	case 1:
		return usageCert | usageSign | usageEnc | usageAuth
	case 2, 16, 18, 25, 26: // RSA encrypt-only, ElGamal, ECDH, X25519, X448
		return usageEnc
	case 3:
		return usageSign
	case 17, 19, 22, 27, 28:
		return usageCert | usageSign | usageAuth
	}
	return 0
}

// CleanSubkeys is gpg's clean_all_subkeys: signatures after the first
// subkey that are neither subkey bindings nor revocations go; with a level
// above SubkeyCleanNone expired, unrevoked subkeys go as the level says,
// and each subkey keeps only its chosen binding signature (revocations
// stay).
func (kb *Keyblock) CleanSubkeys(now uint32, level int) (subkeysCleaned, sigsCleaned int) {
	first := len(kb.nodes)
	for i := 1; i < len(kb.nodes); i++ {
		if kb.nodes[i].isSubkey() {
			first = i
			break
		}
	}
	out := append([]*node(nil), kb.nodes[:first]...)
	for _, n := range kb.nodes[first:] {
		if n.tag == tagSignature && (n.sig == nil || n.sig.class != sigSubkeyBinding && n.sig.class != sigSubkeyRevoke) {
			sigsCleaned++
			continue
		}
		out = append(out, n)
	}
	kb.nodes = out
	if level == SubkeyCleanNone {
		return subkeysCleaned, sigsCleaned
	}
	out = append([]*node(nil), kb.nodes[:first]...)
	for i := first; i < len(kb.nodes); {
		end := i + 1
		for end < len(kb.nodes) && !kb.nodes[end].isSubkey() {
			end++
		}
		chosen, revoked, usage, expired := kb.subkeyState(i, now)
		drop := false
		if expired && !revoked {
			switch level {
			case SubkeyCleanAll:
				drop = true
			case SubkeyCleanAuthEncr:
				drop = usage&(usageEnc|usageAuth) != 0 && usage&(usageSign|usageCert) == 0
			}
		}
		if drop {
			subkeysCleaned++
			i = end
			continue
		}
		out = append(out, kb.nodes[i])
		for j := i + 1; j < end; j++ {
			n := kb.nodes[j]
			if chosen >= 0 && j != chosen && n.tag == tagSignature && n.sig != nil && n.sig.class == sigSubkeyBinding {
				sigsCleaned++
				continue
			}
			out = append(out, n)
		}
		i = end
	}
	kb.nodes = out
	return subkeysCleaned, sigsCleaned
}

// ExportFilter drops what gpg's export leaves out unless asked:
// non-exportable (local) signatures, signatures naming a sensitive
// designated revoker, and attribute packets (photo IDs) with their
// signatures.
func (kb *Keyblock) ExportFilter(localSigs, sensitiveRevkeys, attributes bool) {
	out := kb.nodes[:1:1]
	for i := 1; i < len(kb.nodes); i++ {
		n := kb.nodes[i]
		if n.tag == tagSignature && n.sig != nil {
			if !localSigs && !n.sig.exportable {
				continue
			}
			if !sensitiveRevkeys && n.sig.sensitiveRevoker {
				continue
			}
		}
		if !attributes && n.tag == tagAttribute {
			for i+1 < len(kb.nodes) && kb.nodes[i+1].tag == tagSignature {
				i++
			}
			continue
		}
		out = append(out, n)
	}
	kb.nodes = out
}

// DropNonSelfSigs removes every signature not issued by the primary key
// (gpg's self-sigs-only) and returns how many went.
func (kb *Keyblock) DropNonSelfSigs() int {
	self := kb.KeyID()
	out := kb.nodes[:1:1]
	dropped := 0
	for _, n := range kb.nodes[1:] {
		if n.tag == tagSignature && (n.sig == nil || n.sig.issuer != self) {
			dropped++
			continue
		}
		out = append(out, n)
	}
	kb.nodes = out
	return dropped
}

// PublicKeys returns go-crypto's parse of the primary key and the
// subkeys, for SignerKeys lookups.
func (kb *Keyblock) PublicKeys() []*packet.PublicKey {
	var out []*packet.PublicKey
	for _, n := range kb.nodes {
		if n.key == nil || !(n.tag == tagPublicKey || n.tag == tagSecretKey || n.isSubkey()) {
			continue
		}
		if pk, err := n.publicKey(); err == nil {
			out = append(out, pk)
		}
	}
	return out
}

// errNoKeyblock: an empty keyblock.
var errNoKeyblock = errors.New("empty keyblock")

// Clone is a copy of the keyblock whose packet list can be changed
// without touching kb.
func (kb *Keyblock) Clone() (*Keyblock, error) {
	if len(kb.nodes) == 0 {
		return nil, errNoKeyblock
	}
	return &Keyblock{nodes: append([]*node(nil), kb.nodes...)}, nil
}
