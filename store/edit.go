package store

import (
	"bytes"
	"errors"
)

// Key editing works on the stored packets, as gpg's keyedit does on its
// keyblock: new signatures go after the signatures of the component they
// are about, an updated self-signature replaces the one it updates in
// place, new user IDs go before the first subkey and new subkeys at the end.

// EditUserID is a user ID (or attribute) of a keyblock as key editing sees it.
type EditUserID struct {
	Packet    []byte // the framed user ID or attribute packet
	Text      string // the user ID (empty for attributes)
	Attribute bool
	// SelfSig is the newest valid self-certification (framed), nil if none.
	SelfSig        []byte
	SelfSigCreated uint32
	// Revoked: a valid self-revocation newer than SelfSig exists.
	Revoked bool
	// Primary: SelfSig carries the primary-user-ID flag.
	Primary bool
	// CertifiedBy lists the key IDs of valid-looking certifications by
	// other keys (not verified: only to say "already signed").
	CertifiedBy []uint64
}

// EditSubkey is a subkey as key editing sees it.
type EditSubkey struct {
	Packet      []byte
	Fingerprint []byte
	Created     uint32
	Binding     []byte // newest valid binding signature (framed), nil if none
	Revoked     bool
}

// PrimaryPacket is the framed primary key packet.
func (kb *Keyblock) PrimaryPacket() []byte { return kb.nodes[0].raw }

// Created is the primary key's creation time.
func (kb *Keyblock) Created() uint32 { return kb.nodes[0].key.created }

// UserIDsForEdit lists the user IDs in order with their current self-signatures.
func (kb *Keyblock) UserIDsForEdit(now uint32) []EditUserID {
	var out []EditUserID
	self := kb.KeyID()
	for i := 1; i < len(kb.nodes); i++ {
		u := kb.nodes[i]
		if !u.isUID() {
			continue
		}
		e := EditUserID{Packet: u.raw, Attribute: u.tag == tagAttribute}
		if !e.Attribute {
			e.Text = string(u.body)
		}
		var best, rev *node
		for j := i + 1; j < len(kb.nodes) && kb.nodes[j].tag == tagSignature; j++ {
			s := kb.nodes[j]
			if s.sig == nil {
				continue
			}
			if s.sig.issuer != self {
				if s.sig.class&^3 == 0x10 {
					e.CertifiedBy = append(e.CertifiedBy, s.sig.issuer)
				}
				continue
			}
			if kb.verifySelf(j, now) != nil {
				continue
			}
			switch {
			case s.sig.class&^3 == 0x10:
				if best == nil || s.sig.created >= best.sig.created {
					best = s
				}
			case s.sig.class == sigCertRevoke:
				if rev == nil || s.sig.created >= rev.sig.created {
					rev = s
				}
			}
		}
		if best != nil {
			e.SelfSig, e.SelfSigCreated = best.raw, best.sig.created
			e.Primary = best.sig.primaryUID
		}
		e.Revoked = rev != nil && (best == nil || rev.sig.created >= best.sig.created)
		out = append(out, e)
	}
	return out
}

// SubkeysForEdit lists the subkeys in order with their current bindings.
func (kb *Keyblock) SubkeysForEdit(now uint32) []EditSubkey {
	var out []EditSubkey
	for i := 1; i < len(kb.nodes); i++ {
		k := kb.nodes[i]
		if !k.isSubkey() || k.key == nil {
			continue
		}
		e := EditSubkey{Packet: k.raw, Fingerprint: k.key.fingerprint, Created: k.key.created}
		var best *node
		for j := i + 1; j < len(kb.nodes) && kb.nodes[j].tag == tagSignature; j++ {
			s := kb.nodes[j]
			if s.sig == nil || s.sig.issuer != kb.KeyID() || kb.verifySelf(j, now) != nil {
				continue
			}
			switch s.sig.class {
			case sigSubkeyBinding:
				if best == nil || s.sig.created >= best.sig.created {
					best = s
				}
			case sigSubkeyRevoke:
				e.Revoked = true
			}
		}
		if best != nil {
			e.Binding = best.raw
		}
		out = append(out, e)
	}
	return out
}

func nodeFromRaw(raw []byte) (*node, error) {
	p, rest, err := nextPacket(raw)
	if err != nil || len(rest) != 0 {
		return nil, errBadPacket
	}
	n := &node{rawPacket: p}
	switch p.tag {
	case tagSignature:
		s, err := parseSig(p.body)
		if err != nil {
			return nil, err
		}
		n.sig = &s
	case tagPublicSubkey:
		k, err := parseKey(p.body)
		if err != nil {
			return nil, err
		}
		n.key = &k
	case tagUserID, tagAttribute:
	default:
		return nil, errors.New("not a key component packet")
	}
	return n, nil
}

// find is the index of the node whose framed bytes equal raw, or -1.
func (kb *Keyblock) find(raw []byte) int {
	for i, n := range kb.nodes {
		if bytes.Equal(n.raw, raw) {
			return i
		}
	}
	return -1
}

// ApplyEdit adds sig after the signatures of the component anchor (a
// framed user ID, attribute or subkey packet; nil: the primary key). A
// missing anchor is added first: a user ID before the first subkey, a
// subkey at the end. When replaces names a signature of that component,
// sig takes its place instead.
func (kb *Keyblock) ApplyEdit(anchor, replaces, sig []byte) error {
	sn, err := nodeFromRaw(sig)
	if err != nil || sn.sig == nil {
		return errors.New("invalid signature packet")
	}
	at := 0
	if anchor != nil {
		at = kb.find(anchor)
		if at <= 0 {
			an, err := nodeFromRaw(anchor)
			if err != nil || an.sig != nil {
				return errors.New("invalid key component packet")
			}
			at = len(kb.nodes)
			if an.isUID() {
				for i := 1; i < len(kb.nodes); i++ {
					if kb.nodes[i].isSubkey() {
						at = i
						break
					}
				}
			}
			kb.insert(at, an)
		}
	}
	if replaces != nil {
		for j := at + 1; j < len(kb.nodes) && kb.nodes[j].tag == tagSignature; j++ {
			if bytes.Equal(kb.nodes[j].raw, replaces) {
				kb.nodes[j] = sn
				return nil
			}
		}
	}
	kb.insert(kb.afterSigs(at), sn)
	return nil
}

// DeleteUserID removes a user ID with all its signatures.
func (kb *Keyblock) DeleteUserID(uid []byte) bool {
	i := kb.find(uid)
	if i <= 0 || !kb.nodes[i].isUID() {
		return false
	}
	end := kb.afterSigs(i)
	kb.nodes = append(kb.nodes[:i], kb.nodes[end:]...)
	return true
}

// DirectKeySigForEdit is the newest valid direct-key self-signature
// (framed), nil if there is none. A v6 key keeps its properties
// (expiry, usage, preferences) there (RFC 9580 5.2.3.10).
func (kb *Keyblock) DirectKeySigForEdit(now uint32) []byte {
	var best *node
	for i := 1; i < len(kb.nodes) && !kb.nodes[i].isUID() && !kb.nodes[i].isSubkey(); i++ {
		n := kb.nodes[i]
		if !n.isSigClass(sigDirectKey) || n.sig.issuer != kb.KeyID() || kb.verifySelf(i, now) != nil {
			continue
		}
		if best == nil || n.sig.created >= best.sig.created {
			best = n
		}
	}
	if best == nil {
		return nil
	}
	return best.raw
}

// Revoker is a designated revoker of a key (a revocation key subpacket).
type Revoker struct {
	Class, Algo byte
	Fingerprint []byte
}

// Revokers are the designated revokers named by the key's valid
// direct-key self-signatures, all of them (gpg: "you need multiple 1F
// sigs to properly handle revocation keys"), without repeats.
func (kb *Keyblock) Revokers(now uint32) []Revoker {
	var out []Revoker
	seen := map[string]bool{}
	for i := 1; i < len(kb.nodes) && !kb.nodes[i].isUID() && !kb.nodes[i].isSubkey(); i++ {
		n := kb.nodes[i]
		if !n.isSigClass(sigDirectKey) || n.sig.issuer != kb.KeyID() || len(n.sig.revokers) == 0 || kb.verifySelf(i, now) != nil {
			continue
		}
		for _, r := range n.sig.revokers {
			if !seen[string(r)] {
				seen[string(r)] = true
				out = append(out, Revoker{Class: r[0], Algo: r[1], Fingerprint: r[2:]})
			}
		}
	}
	return out
}
