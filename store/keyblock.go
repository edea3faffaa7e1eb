package store

import (
	"bytes"
	"crypto/dsa"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"hash"
	"math/big"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"golang.org/x/crypto/ripemd160"
)

// A Keyblock is one transferable public key as a packet sequence. Import
// works on these rather than on go-crypto's Entity, which keeps only the
// newest self-signatures and drops whatever it cannot verify: gpg keeps
// every packet that passes its import rules (third-party certifications,
// older self-signatures, revocations by designated revokers), and the
// IMPORT_OK/IMPORT_RES numbers depend on exactly which packets are kept.
type Keyblock struct {
	nodes []*node // nodes[0] is the primary key
}

type node struct {
	rawPacket
	key *keyInfo // key packets
	sig *sigInfo // signature packets

	pk   *packet.PublicKey // go-crypto's parse of a key packet, on demand
	gsig *packet.Signature // go-crypto's parse of a signature, on demand
	// check caches a signature verification: 0 not done, 1 good, -1 bad.
	check int8

	goodSelfSig bool // a user ID or subkey with a valid self-signature
	deleteMark  bool // chk_self_sigs decided to drop this signature
	added       bool // merged in by this import (gpg's NODE_FLAG_A)
}

func (n *node) isUID() bool    { return n.tag == tagUserID || n.tag == tagAttribute }
func (n *node) isSubkey() bool { return n.tag == tagPublicSubkey || n.tag == tagSecretSubkey }
func (n *node) isSigClass(c byte) bool {
	return n.tag == tagSignature && n.sig != nil && n.sig.class == c
}
func (n *node) isUIDSig() bool {
	return n.tag == tagSignature && n.sig != nil && (n.sig.class&^3 == 0x10 || n.sig.class == sigCertRevoke)
}

// newKeyblock builds a keyblock from packets whose first is a primary key.
// Signatures and subkeys that cannot be read are dropped, as gpg drops
// packets its parser rejects.
func newKeyblock(pkts []rawPacket) (*Keyblock, error) {
	if len(pkts) == 0 || (pkts[0].tag != tagPublicKey && pkts[0].tag != tagSecretKey) {
		return nil, errors.New("keyblock does not start with a primary key")
	}
	kb := &Keyblock{}
	for i, p := range pkts {
		n := &node{rawPacket: p}
		switch p.tag {
		case tagPublicKey, tagPublicSubkey, tagSecretKey, tagSecretSubkey:
			k, err := parseKey(p.body)
			if err != nil {
				if i == 0 {
					return nil, err
				}
				continue
			}
			n.key = &k
		case tagSignature:
			s, err := parseSig(p.body)
			if err != nil {
				continue
			}
			n.sig = &s
		case tagUserID, tagAttribute:
		default:
			continue
		}
		kb.nodes = append(kb.nodes, n)
	}
	return kb, nil
}

// ParseKeyblock reads one stored certificate.
func ParseKeyblock(data []byte) (*Keyblock, error) {
	pkts, err := splitPackets(data)
	if err != nil {
		return nil, err
	}
	return newKeyblock(pkts)
}

// Fingerprint is the primary key's fingerprint.
func (kb *Keyblock) Fingerprint() []byte { return kb.nodes[0].key.fingerprint }

// KeyID is the primary key's key ID.
func (kb *Keyblock) KeyID() uint64 { return kb.nodes[0].key.keyID }

// Bytes serializes the keyblock: every packet with its original framing.
func (kb *Keyblock) Bytes() []byte {
	n := 0
	for _, x := range kb.nodes {
		n += len(x.raw)
	}
	out := make([]byte, 0, n)
	for _, x := range kb.nodes {
		out = append(out, x.raw...)
	}
	return out
}

// HasUserID reports whether the keyblock has a user ID or attribute packet.
func (kb *Keyblock) HasUserID() bool {
	for _, n := range kb.nodes[1:] {
		if n.isUID() {
			return true
		}
	}
	return false
}

func (kb *Keyblock) primaryKey() (*packet.PublicKey, error) { return kb.nodes[0].publicKey() }

func (n *node) publicKey() (*packet.PublicKey, error) {
	if n.pk != nil {
		return n.pk, nil
	}
	tag := tagPublicKey
	if n.tag == tagPublicSubkey || n.tag == tagSecretSubkey {
		tag = tagPublicSubkey
	}
	p, err := packet.Read(bytes.NewReader(framePacket(tag, n.body)))
	if err != nil {
		return nil, err
	}
	pk, ok := p.(*packet.PublicKey)
	if !ok {
		return nil, errors.New("not a public key")
	}
	n.pk = pk
	return pk, nil
}

func (n *node) signature() (*packet.Signature, error) {
	if n.gsig != nil {
		return n.gsig, nil
	}
	p, err := packet.Read(bytes.NewReader(n.raw))
	if err != nil {
		if s := localSignature(n.body); s != nil {
			n.gsig = s
			return s, nil
		}
		return nil, err
	}
	s, ok := p.(*packet.Signature)
	if !ok {
		return nil, errors.New("not a signature")
	}
	n.gsig = s
	return s, nil
}

// localSignature parses a non-exportable signature, which go-crypto
// refuses: it reads a copy whose hashed exportable-certification subpacket
// says 1, then puts the 0 back into the hashed data it verifies against (a
// v4 or v6 signature's hash suffix starts with its body up to the end of
// the hashed subpackets). nil when body is not such a signature.
func localSignature(body []byte) *packet.Signature {
	if len(body) < 6 || (body[0] != 4 && body[0] != 6) {
		return nil
	}
	start, l := 6, int(body[4])<<8|int(body[5])
	if body[0] == 6 {
		if len(body) < 8 {
			return nil
		}
		start, l = 8, int(binary.BigEndian.Uint32(body[4:8]))
	}
	if l > len(body)-start {
		return nil
	}
	at, off := -1, start
	for off < start+l {
		var n, hdr int
		switch c := int(body[off]); {
		case c < 192:
			n, hdr = c, 1
		case c < 255 && off+1 < start+l:
			n, hdr = (c-192)<<8+int(body[off+1])+192, 2
		case c == 255 && off+5 <= start+l:
			n, hdr = int(binary.BigEndian.Uint32(body[off+1:off+5])), 5
		default:
			return nil
		}
		if n < 1 || n > start+l-off-hdr {
			return nil
		}
		if body[off+hdr]&0x7f == 4 && n >= 2 && body[off+hdr+1] == 0 {
			at = off + hdr + 1
		}
		off += hdr + n
	}
	if at < 0 {
		return nil
	}
	patched := append([]byte(nil), body...)
	patched[at] = 1
	p, err := packet.Read(bytes.NewReader(framePacket(tagSignature, patched)))
	if err != nil {
		return nil
	}
	s, ok := p.(*packet.Signature)
	if !ok || len(s.HashSuffix) <= at || s.HashSuffix[at] != 1 {
		return nil
	}
	s.HashSuffix[at] = 0
	return s
}

// framePacket gives body a new-format header with tag.
func framePacket(tag int, body []byte) []byte {
	n := len(body)
	out := make([]byte, 0, n+6)
	out = append(out, 0xc0|byte(tag), 0xff, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	return append(out, body...)
}

// gpgPubkeyAlgo reports whether gpg 2.2 implements a public key algorithm
// (RSA, ElGamal encrypt, DSA, ECDH, ECDSA, EdDSA); the RFC 9580 algorithms
// are front's addition.
func gpgPubkeyAlgo(a byte) bool {
	switch a {
	case 1, 2, 3, 16, 17, 18, 19, 22, 25, 26, 27, 28:
		return true
	}
	return false
}

// sigValues returns the signature's values for comparison: MPIs without
// leading zeros for the MPI algorithms, the raw bytes for the others; ok is
// false for an algorithm gpg cannot compare.
func sigValues(s *sigInfo) (vals [][]byte, ok bool) {
	count := 0
	switch s.pubkeyAlgo {
	case 1, 2, 3:
		count = 1
	case 16, 17, 19, 20, 22:
		count = 2
	case 27, 28:
		return [][]byte{s.material}, true
	default:
		return nil, false
	}
	p := s.material
	for i := 0; i < count; i++ {
		if len(p) < 2 {
			return nil, false
		}
		bits := int(p[0])<<8 | int(p[1])
		l := (bits + 7) / 8
		if len(p) < 2+l {
			return nil, false
		}
		v := p[2 : 2+l]
		for len(v) > 0 && v[0] == 0 {
			v = v[1:]
		}
		vals = append(vals, v)
		p = p[2+l:]
	}
	return vals, true
}

// sameSignature is gpg's cmp_signatures: same issuer, same algorithm and
// the same signature values.
func sameSignature(a, b *sigInfo) bool {
	if a == nil || b == nil || a.issuer != b.issuer || a.pubkeyAlgo != b.pubkeyAlgo {
		return false
	}
	va, ok := sigValues(a)
	vb, ok2 := sigValues(b)
	if !ok || !ok2 || len(va) != len(vb) {
		return false
	}
	for i := range va {
		if !bytes.Equal(va[i], vb[i]) {
			return false
		}
	}
	return true
}

// sameUserID is gpg's cmp_user_ids == 0: user IDs and attributes compare
// by content, never with each other.
func sameUserID(a, b *node) bool { return a.tag == b.tag && bytes.Equal(a.body, b.body) }

// errTimeConflict: a self-signature older than its key, or a key made in
// the future; gpg rejects both without --ignore-time-conflict.
var errTimeConflict = errors.New("time conflict")

// verifySelf checks the self-signature at index i over what precedes it: a
// user ID, a subkey, or the primary key itself. The result is cached.
func (kb *Keyblock) verifySelf(i int, now uint32) error {
	n := kb.nodes[i]
	if n.check != 0 {
		if n.check > 0 {
			return nil
		}
		return errors.New("bad signature")
	}
	err := kb.verifySelfUncached(i, now)
	n.check = 1
	if err != nil {
		n.check = -1
	}
	return err
}

func (kb *Keyblock) verifySelfUncached(i int, now uint32) error {
	n := kb.nodes[i]
	pkInfo := kb.nodes[0].key
	if pkInfo.created > n.sig.created || (now != 0 && pkInfo.created > now) {
		return errTimeConflict
	}
	if !gpgPubkeyAlgo(n.sig.pubkeyAlgo) {
		return errors.New("unsupported public key algorithm")
	}
	pk, err := kb.primaryKey()
	if err != nil {
		return err
	}
	return kb.verifyWith(i, pk)
}

// verifyWith checks the signature at index i, made by pk, over what
// precedes it: a user ID, a subkey, or the primary key itself.
func (kb *Keyblock) verifyWith(i int, pk *packet.PublicKey) error {
	n := kb.nodes[i]
	sig, err := n.signature()
	var h hash.Hash
	switch {
	case err == nil:
		if h, err = sig.PrepareVerify(); err != nil {
			return err
		}
	case n.sig.version == 4 && n.sig.hashAlgo == hashRIPEMD160:
		// go-crypto refuses RIPEMD-160; gpg 2.2 still accepts it.
		h = ripemd160.New()
	default:
		return err
	}
	writeKeyForHash(h, kb.nodes[0])
	switch {
	case n.isUIDSig():
		u := kb.prev(i, func(x *node) bool { return x.isUID() })
		if u < 0 {
			return errors.New("no user ID for signature")
		}
		writeUIDForHash(h, kb.nodes[u])
	case n.sig.class == sigSubkeyBinding || n.sig.class == sigSubkeyRevoke:
		s := kb.prev(i, func(x *node) bool { return x.isSubkey() })
		if s < 0 {
			return errors.New("no subkey for signature")
		}
		// Hashed from the packet itself: go-crypto refuses to parse some
		// keys gpg accepts (such as RSA exponents above 2^31).
		writeKeyForHash(h, kb.nodes[s])
	case n.sig.class == sigDirectKey || n.sig.class == sigKeyRevocation:
	default:
		return errors.New("signature class not valid over a key or user ID")
	}
	if sig == nil {
		return verifyLegacy(pk, h, n.body, n.sig)
	}
	return pk.VerifySignature(h, sig)
}

const hashRIPEMD160 = 3

// verifyLegacy finishes a v4 RSA or DSA signature whose hash go-crypto does
// not offer (RIPEMD-160): h holds the signed data; the v4 trailer follows.
func verifyLegacy(pk *packet.PublicKey, h hash.Hash, body []byte, s *sigInfo) error {
	if len(body) < 6 {
		return errBadPacket
	}
	hashedEnd := 6 + (int(body[4])<<8 | int(body[5]))
	if hashedEnd > len(body) {
		return errBadPacket
	}
	h.Write(body[:hashedEnd])
	n := hashedEnd
	h.Write([]byte{4, 0xff, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	digest := h.Sum(nil)
	vals, ok := sigValues(s)
	if !ok || pk.PubKeyAlgo != packet.PublicKeyAlgorithm(s.pubkeyAlgo) {
		return errors.New("unsupported signature")
	}
	switch key := pk.PublicKey.(type) {
	case *rsa.PublicKey:
		sigBytes := make([]byte, (key.N.BitLen()+7)/8)
		if len(vals[0]) > len(sigBytes) {
			return errors.New("RSA verification failure")
		}
		copy(sigBytes[len(sigBytes)-len(vals[0]):], vals[0])
		// OpenPGP's DigestInfo prefix for RIPEMD-160 (RFC 4880 5.2.2),
		// not the ISO OID crypto/rsa uses for crypto.RIPEMD160.
		prefix := []byte{0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x24, 0x03, 0x02, 0x01, 0x05, 0x00, 0x04, 0x14}
		return rsa.VerifyPKCS1v15(key, 0, append(prefix, digest...), sigBytes)
	case *dsa.PublicKey:
		if len(vals) != 2 {
			return errors.New("DSA verification failure")
		}
		if q := (key.Q.BitLen() + 7) / 8; len(digest) > q {
			digest = digest[:q]
		}
		if !dsa.Verify(key, digest, new(big.Int).SetBytes(vals[0]), new(big.Int).SetBytes(vals[1])) {
			return errors.New("DSA verification failure")
		}
		return nil
	}
	return errors.New("unsupported signature")
}

// writeKeyForHash feeds a key packet into a signature hash as RFC 4880
// 5.2.4 and RFC 9580 5.2.4 frame it: v4 0x99 with a two-octet length, v6
// 0x9b (LibrePGP v5 0x9a) with a four-octet length.
func writeKeyForHash(h hash.Hash, k *node) {
	l := len(k.body)
	switch k.key.version {
	case 4:
		h.Write([]byte{0x99, byte(l >> 8), byte(l)})
	case 5:
		h.Write([]byte{0x9a, byte(l >> 24), byte(l >> 16), byte(l >> 8), byte(l)})
	default:
		h.Write([]byte{0x9b, byte(l >> 24), byte(l >> 16), byte(l >> 8), byte(l)})
	}
	h.Write(k.body)
}

// writeUIDForHash feeds a user ID or attribute packet into a certification
// hash (RFC 4880 5.2.4).
func writeUIDForHash(h hash.Hash, u *node) {
	prefix := byte(0xb4)
	if u.tag == tagAttribute {
		prefix = 0xd1
	}
	l := len(u.body)
	h.Write([]byte{prefix, byte(l >> 24), byte(l >> 16), byte(l >> 8), byte(l)})
	h.Write(u.body)
}

// prev is the index of the last node before i that satisfies f, or -1
// (gpg's find_prev_kbnode).
func (kb *Keyblock) prev(i int, f func(*node) bool) int {
	for j := i - 1; j >= 0; j-- {
		if f(kb.nodes[j]) {
			return j
		}
	}
	return -1
}

// CleanResult is what gpg's import checks concluded about a keyblock.
type CleanResult int

const (
	// Clean: the keyblock has at least one valid user ID and can be stored.
	Clean CleanResult = iota
	// NoUserID: no user ID packet at all ("no user ID").
	NoUserID
	// Invalid: a user ID signature without a user ID; gpg rejects the block.
	Invalid
	// NoValidUserID: no user ID has a valid self-signature.
	NoValidUserID
	// KeyOnly: no user ID packet, checked and cleaned because
	// CleanOptions.AllowNoUserID was set. Such a keyblock (keys.openpgp.org
	// serves certificates without unverified user IDs) can only be merged
	// into a stored copy of the same key: it brings new subkeys, key
	// revocations and direct-key signatures, never a key of its own.
	KeyOnly
)

// CleanOptions are the inputs of the import checks besides the keyblock.
type CleanOptions struct {
	Now uint32 // current time (gpg rejects keys created later); 0: no check
	// HaveSecret reports whether a secret key with this key ID is at hand:
	// gpg keeps non-exportable signatures made by such keys.
	HaveSecret func(keyID uint64) bool
	// LocalSigs keeps non-exportable signatures (import-local-sigs).
	LocalSigs bool
	// AllowNoUserID checks a keyblock without user IDs instead of
	// refusing it (result KeyOnly), for keyserver imports (bad input 17).
	AllowNoUserID bool
}

// Clean applies gpg's import checks (import.c: collapse_uids,
// chk_self_sigs, delete_inv_parts) and drops what gpg drops: user IDs and
// subkeys without a valid self-signature with everything attached to them,
// invalid direct-key signatures and own key revocations, all but the newest
// valid binding and revocation of each subkey, signatures of unsupported
// algorithms or classes, non-exportable signatures, and key revocations or
// subkey signatures in the wrong place. merged reports that duplicate user
// IDs were collapsed.
func (kb *Keyblock) Clean(opt CleanOptions) (res CleanResult, merged bool) {
	if !kb.HasUserID() {
		if !opt.AllowNoUserID {
			return NoUserID, false
		}
		if !kb.checkSelfSigs(opt.Now) {
			return Invalid, false
		}
		kb.deleteInvalidParts(opt)
		return KeyOnly, false
	}
	merged = kb.collapseUIDs()
	if !kb.checkSelfSigs(opt.Now) {
		return Invalid, merged
	}
	if kb.deleteInvalidParts(opt) == 0 {
		return NoValidUserID, merged
	}
	return Clean, merged
}

// collapseUIDs merges duplicate user IDs: the later copy's signatures move
// to the front of the first copy's, then duplicate signatures go.
func (kb *Keyblock) collapseUIDs() bool {
	any := false
	for i := 1; i < len(kb.nodes); i++ {
		if !kb.nodes[i].isUID() {
			continue
		}
		for j := i + 1; j < len(kb.nodes); j++ {
			if !kb.nodes[j].isUID() || !sameUserID(kb.nodes[i], kb.nodes[j]) {
				continue
			}
			any = true
			end := j + 1
			for end < len(kb.nodes) && !kb.nodes[end].isUID() && !kb.nodes[end].isSubkey() {
				end++
			}
			moved := append([]*node(nil), kb.nodes[j+1:end]...)
			rest := append(append([]*node(nil), kb.nodes[:j]...), kb.nodes[end:]...)
			kb.nodes = append(append(rest[:i+1:i+1], moved...), rest[i+1:]...)
			// Deduplicate the signatures of user ID i.
			for a := i + 1; a < len(kb.nodes) && !kb.nodes[a].isUID() && !kb.nodes[a].isSubkey(); a++ {
				if kb.nodes[a].tag != tagSignature {
					continue
				}
				for b := a + 1; b < len(kb.nodes) && !kb.nodes[b].isUID() && !kb.nodes[b].isSubkey(); {
					if kb.nodes[b].tag == tagSignature && sameSignature(kb.nodes[a].sig, kb.nodes[b].sig) {
						kb.nodes = append(kb.nodes[:b], kb.nodes[b+1:]...)
						continue
					}
					b++
				}
			}
			j = i // rescan after the change
		}
	}
	return any
}

// checkSelfSigs marks user IDs and subkeys with a valid self-signature and
// marks for deletion invalid direct-key signatures and all but the newest
// valid binding and revocation of each subkey. false: the keyblock is
// invalid (a user ID signature before any user ID).
func (kb *Keyblock) checkSelfSigs(now uint32) bool {
	self := kb.KeyID()
	sub := -1
	var bind, rev *node
	var bindDate, revDate uint32
	for i := 1; i < len(kb.nodes); i++ {
		n := kb.nodes[i]
		if n.isSubkey() {
			sub, bind, rev, bindDate, revDate = i, nil, nil, 0, 0
			continue
		}
		if n.tag != tagSignature || n.sig.issuer != self {
			continue
		}
		switch c := n.sig.class; {
		case n.isUIDSig():
			u := kb.prev(i, func(x *node) bool { return x.isUID() })
			if u < 0 {
				return false
			}
			if !kb.nodes[u].goodSelfSig && kb.verifySelf(i, now) == nil {
				kb.nodes[u].goodSelfSig = true
			}
		case c == sigDirectKey:
			if kb.verifySelf(i, now) != nil {
				n.deleteMark = true
			}
		case c == sigSubkeyBinding || c == sigSubkeyRevoke:
			if sub < 0 || kb.verifySelf(i, now) != nil {
				n.deleteMark = true
				continue
			}
			last, date := &bind, &bindDate
			if c == sigSubkeyRevoke {
				last, date = &rev, &revDate
			} else {
				kb.nodes[sub].goodSelfSig = true
			}
			if n.sig.created >= *date {
				if *last != nil {
					(*last).deleteMark = true
				}
				*last, *date = n, n.sig.created
			} else {
				n.deleteMark = true
			}
		}
	}
	return true
}

// deleteInvalidParts drops what gpg's delete_inv_parts drops and returns
// the number of valid user IDs left.
func (kb *Keyblock) deleteInvalidParts(opt CleanOptions) int {
	self := kb.KeyID()
	valid, uidSeen, subkeySeen := 0, false, false
	out := kb.nodes[:1]
	for i := 1; i < len(kb.nodes); i++ {
		n := kb.nodes[i]
		switch {
		case n.isUID():
			uidSeen = true
			if !n.goodSelfSig {
				for i+1 < len(kb.nodes) && !kb.nodes[i+1].isUID() && !kb.nodes[i+1].isSubkey() {
					i++
				}
				continue
			}
			valid++
		case n.isSubkey():
			if !n.goodSelfSig {
				for i+1 < len(kb.nodes) && kb.nodes[i+1].tag == tagSignature {
					i++
				}
				continue
			}
			subkeySeen = true
		case n.tag == tagSignature:
			s := n.sig
			switch {
			case !gpgPubkeyAlgo(s.pubkeyAlgo):
				continue
			case !s.exportable && !opt.LocalSigs && (opt.HaveSecret == nil || !opt.HaveSecret(s.issuer)):
				continue
			case s.class == sigKeyRevocation:
				if uidSeen || (s.issuer == self && kb.verifySelf(i, opt.Now) != nil) {
					continue
				}
			case (s.class == sigSubkeyBinding || s.class == sigSubkeyRevoke) && !subkeySeen:
				continue
			case !isCertClass(s.class):
				continue
			case n.deleteMark:
				continue
			}
		}
		out = append(out, n)
	}
	kb.nodes = out
	return valid
}

// isCertClass is gpg's IS_CERT: a signature over a key or user ID.
func isCertClass(c byte) bool {
	return c&^3 == 0x10 || c == sigSubkeyBinding || c == sigDirectKey ||
		c == sigKeyRevocation || c == sigCertRevoke || c == sigSubkeyRevoke
}

// MergeResult counts what a merge added, as gpg's merge_blocks counts it.
type MergeResult struct {
	UserIDs, Signatures, Subkeys int
	// Notes are gpg's per-packet messages ("revocation certificate added",
	// "direct key signature added"), in order.
	Notes []string
}

// Merge notes: gpg reports these additions one by one.
const (
	NoteRevocationAdded   = "revocation certificate added"
	NoteDirectKeySigAdded = "direct key signature added"
)

// Changed reports whether the merge added anything.
func (r MergeResult) Changed() bool { return r.UserIDs+r.Signatures+r.Subkeys > 0 }

// Flags is the IMPORT_OK reason bitmask of a merge: 2 new user IDs, 4 new
// signatures, 8 new subkeys.
func (r MergeResult) Flags() int {
	f := 0
	if r.UserIDs > 0 {
		f |= 2
	}
	if r.Signatures > 0 {
		f |= 4
	}
	if r.Subkeys > 0 {
		f |= 8
	}
	return f
}

// Merge adds to kb (the stored keyblock) what add (a cleaned import) has
// that kb lacks, in gpg's order (import.c merge_blocks): key revocations
// and direct-key signatures after the primary key, new certifications after
// each user ID's signatures, new user IDs before the first subkey, new
// subkeys at the end, new subkey signatures after each subkey's.
func (kb *Keyblock) Merge(add *Keyblock) MergeResult {
	var r MergeResult
	for _, n := range kb.nodes {
		n.added = false
	}
	for _, n := range add.nodes {
		n.added = false
	}
	// 1st and 2nd: key revocations, then direct-key signatures.
	for _, class := range []byte{sigKeyRevocation, sigDirectKey} {
		for i := 1; i < len(add.nodes) && !add.nodes[i].isUID(); i++ {
			n := add.nodes[i]
			if !n.isSigClass(class) {
				continue
			}
			found := false
			for j := 1; j < len(kb.nodes) && !kb.nodes[j].isUID(); j++ {
				if kb.nodes[j].isSigClass(class) && sameSignature(kb.nodes[j].sig, n.sig) {
					found = true
					break
				}
			}
			if !found {
				kb.insert(1, n.clone())
				r.Signatures++
				if class == sigKeyRevocation {
					r.Notes = append(r.Notes, NoteRevocationAdded)
				} else {
					r.Notes = append(r.Notes, NoteDirectKeySigAdded)
				}
			}
		}
	}
	// 3rd: new certifications on user IDs we have.
	for i := 1; i < len(kb.nodes); i++ {
		if kb.nodes[i].added || !kb.nodes[i].isUID() {
			continue
		}
		for j := 1; j < len(add.nodes); j++ {
			if add.nodes[j].isUID() && sameUserID(kb.nodes[i], add.nodes[j]) {
				r.Signatures += kb.mergeUIDSigs(i, add, j)
				break
			}
		}
	}
	// 4th: new user IDs.
	for j := 1; j < len(add.nodes); j++ {
		if !add.nodes[j].isUID() {
			continue
		}
		have := false
		for i := 1; i < len(kb.nodes); i++ {
			if kb.nodes[i].isUID() && sameUserID(kb.nodes[i], add.nodes[j]) {
				have = true
				break
			}
		}
		if have {
			continue
		}
		at := len(kb.nodes)
		for i := 1; i < len(kb.nodes); i++ {
			if kb.nodes[i].isSubkey() {
				at = i
				break
			}
		}
		kb.insert(at, add.nodes[j].clone())
		at++
		for k := j + 1; k < len(add.nodes) && add.nodes[k].tag == tagSignature; k++ {
			kb.insert(at, add.nodes[k].clone())
			at++
			r.Signatures++
		}
		r.UserIDs++
	}
	// 5th: new subkeys.
	for j := 1; j < len(add.nodes); j++ {
		if !add.nodes[j].isSubkey() || kb.findSubkey(add.nodes[j]) >= 0 {
			continue
		}
		kb.nodes = append(kb.nodes, add.nodes[j].clone())
		for k := j + 1; k < len(add.nodes) && add.nodes[k].tag == tagSignature; k++ {
			kb.nodes = append(kb.nodes, add.nodes[k].clone())
			r.Signatures++
		}
		r.Subkeys++
	}
	// 6th: new signatures on subkeys we have.
	for i := 1; i < len(kb.nodes); i++ {
		if kb.nodes[i].added || !kb.nodes[i].isSubkey() {
			continue
		}
		if j := add.findSubkey(kb.nodes[i]); j >= 0 {
			r.Signatures += kb.mergeSubkeySigs(i, add, j)
		}
	}
	return r
}

func (n *node) clone() *node {
	c := *n
	c.added = true
	return &c
}

func (kb *Keyblock) insert(at int, n *node) {
	kb.nodes = append(kb.nodes, nil)
	copy(kb.nodes[at+1:], kb.nodes[at:])
	kb.nodes[at] = n
}

// afterSigs is where insert_kbnode(dst, n, PKT_SIGNATURE) puts a new
// signature: after the run of signatures that follows node i.
func (kb *Keyblock) afterSigs(i int) int {
	at := i + 1
	for at < len(kb.nodes) && kb.nodes[at].tag == tagSignature {
		at++
	}
	return at
}

func (kb *Keyblock) findSubkey(sk *node) int {
	for i := 1; i < len(kb.nodes); i++ {
		if kb.nodes[i].isSubkey() && bytes.Equal(kb.nodes[i].key.fingerprint, sk.key.fingerprint) {
			return i
		}
	}
	return -1
}

// mergeUIDSigs is gpg's merge_sigs: the source's signatures up to the next
// user ID (subkey bindings and revocations skipped) that the destination
// does not hold, compared up to its next user ID.
func (kb *Keyblock) mergeUIDSigs(dst int, add *Keyblock, src int) int {
	count := 0
	for j := src + 1; j < len(add.nodes) && !add.nodes[j].isUID(); j++ {
		n := add.nodes[j]
		if n.tag != tagSignature || n.sig.class == sigSubkeyBinding || n.sig.class == sigSubkeyRevoke {
			continue
		}
		found := false
		for i := dst + 1; i < len(kb.nodes) && !kb.nodes[i].isUID(); i++ {
			if kb.nodes[i].tag == tagSignature && sameSignature(kb.nodes[i].sig, n.sig) {
				found = true
				break
			}
		}
		if !found {
			kb.insert(kb.afterSigs(dst), n.clone())
			count++
		}
	}
	return count
}

// mergeSubkeySigs is gpg's merge_keysigs: a source signature is new unless
// the destination has one from the same issuer, of the same class, made no
// earlier.
func (kb *Keyblock) mergeSubkeySigs(dst int, add *Keyblock, src int) int {
	count := 0
	stop := func(n *node) bool { return n.tag == tagPublicSubkey || n.tag == tagPublicKey }
	for j := src + 1; j < len(add.nodes) && !stop(add.nodes[j]); j++ {
		n := add.nodes[j]
		if n.tag != tagSignature {
			continue
		}
		found := false
		for i := dst + 1; i < len(kb.nodes) && !stop(kb.nodes[i]); i++ {
			h := kb.nodes[i]
			if h.tag == tagSignature && h.sig.issuer == n.sig.issuer && h.sig.class == n.sig.class && n.sig.created <= h.sig.created {
				found = true
				break
			}
		}
		if !found {
			kb.insert(kb.afterSigs(dst), n.clone())
			count++
		}
	}
	return count
}

// SameKey is gpg's cmp_public_keys on the primary keys: same creation
// time, algorithm and key material.
func (kb *Keyblock) SameKey(other *Keyblock) bool {
	return bytes.Equal(kb.nodes[0].body, other.nodes[0].body)
}

// PrimaryUserID picks the user ID gpg shows for the key (getkey.c
// merge_selfsigs_main): each user ID's newest valid self-signature
// (certification or revocation) decides; a revoked or expired one makes the
// user ID unusable. Among usable user IDs those flagged primary win, then
// the newest; ties go to the larger in gpg's cmp_user_ids order. With no
// usable user ID, the largest user ID. "" when there is none.
func (kb *Keyblock) PrimaryUserID(now uint32) string {
	type cand struct {
		n       *node
		created uint32
	}
	var best, bestFlagged *cand
	larger := func(a, b *node) bool {
		if len(a.body) != len(b.body) {
			return len(a.body) > len(b.body)
		}
		return bytes.Compare(a.body, b.body) > 0
	}
	better := func(c *cand, cur *cand) bool {
		return cur == nil || c.created > cur.created || c.created == cur.created && larger(c.n, cur.n)
	}
	self := kb.KeyID()
	var anyUID *node
	for i := 1; i < len(kb.nodes) && !kb.nodes[i].isSubkey(); i++ {
		u := kb.nodes[i]
		if u.tag != tagUserID {
			continue
		}
		if anyUID == nil || larger(u, anyUID) {
			anyUID = u
		}
		var newest *node
		for j := i + 1; j < len(kb.nodes) && !kb.nodes[j].isUID() && !kb.nodes[j].isSubkey(); j++ {
			s := kb.nodes[j]
			if s.tag != tagSignature || s.sig.issuer != self || !s.isUIDSig() {
				continue
			}
			if (newest == nil || s.sig.created >= newest.sig.created) && kb.verifySelf(j, now) == nil {
				newest = s
			}
		}
		if newest == nil || newest.sig.class == sigCertRevoke {
			continue
		}
		if l := newest.sig.lifetime; l != 0 && uint64(newest.sig.created)+uint64(l) <= uint64(now) {
			continue
		}
		c := &cand{u, newest.sig.created}
		if newest.sig.primaryUID {
			if better(c, bestFlagged) {
				bestFlagged = c
			}
		} else if better(c, best) {
			best = c
		}
	}
	switch {
	case bestFlagged != nil:
		return string(bestFlagged.n.body)
	case best != nil:
		return string(best.n.body)
	case anyUID != nil:
		return string(anyUID.body)
	}
	return ""
}

// VerifyKeyRevocation checks a stand-alone key revocation certificate
// against the keyblock's primary key (gpg's import_revoke_cert accepts only
// self-issued ones here; a designated revoker's would need its key).
func (kb *Keyblock) VerifyKeyRevocation(rev []byte, now uint32) error {
	pkts, err := splitPackets(rev)
	if err != nil || len(pkts) != 1 || pkts[0].tag != tagSignature {
		return errors.New("not a signature")
	}
	s, err := parseSig(pkts[0].body)
	if err != nil || s.class != sigKeyRevocation {
		return errors.New("not a key revocation")
	}
	if s.issuer != kb.KeyID() {
		return errors.New("issued by another key")
	}
	probe := &Keyblock{nodes: []*node{kb.nodes[0], {rawPacket: pkts[0], sig: &s}}}
	return probe.verifySelf(1, now)
}

// AddKeyRevocation puts a verified key revocation right after the primary
// key unless an equal one is there; it reports whether it was new.
func (kb *Keyblock) AddKeyRevocation(rev []byte) bool {
	pkts, err := splitPackets(rev)
	if err != nil || len(pkts) != 1 {
		return false
	}
	s, err := parseSig(pkts[0].body)
	if err != nil {
		return false
	}
	for i := 1; i < len(kb.nodes) && !kb.nodes[i].isUID(); i++ {
		if kb.nodes[i].tag == tagSignature && sameSignature(kb.nodes[i].sig, &s) {
			return false
		}
	}
	kb.insert(1, &node{rawPacket: pkts[0], sig: &s, check: 1})
	return true
}

// RevocationIssuer returns the key ID that issued a stand-alone key
// revocation.
func RevocationIssuer(rev []byte) (uint64, bool) {
	pkts, err := splitPackets(rev)
	if err != nil || len(pkts) != 1 || pkts[0].tag != tagSignature {
		return 0, false
	}
	s, err := parseSig(pkts[0].body)
	if err != nil || s.class != sigKeyRevocation {
		return 0, false
	}
	return s.issuer, true
}
