package keylist

import (
	"sort"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Key usage bits, mirroring gpg's internal PUBKEY_USAGE_* distinctions that
// matter for listings.
const (
	useSign    = 1 << iota // S
	useEnc                 // E
	useCert                // C
	useAuth                // A
	useUnknown             // key flags we do not understand ('?')
	useNone                // key flags present but empty
)

// algoUsage is what an algorithm can do at all (gpg's openpgp_pk_algo_usage).
func algoUsage(algo int) int {
	switch algo {
	case 1: // RSA
		return useCert | useSign | useEnc | useAuth
	case 2, 16, 18: // RSA encrypt-only, ElGamal encrypt-only, ECDH
		return useEnc
	case 3: // RSA sign-only
		return useCert | useSign
	case 17, 19, 22, 27, 28: // DSA, ECDSA, EdDSA (legacy and v6 native)
		return useCert | useSign | useAuth
	case 25, 26: // X25519, X448
		return useEnc
	}
	return 0
}

// sigUsage parses the key flags subpacket the way gpg does: 0 when absent,
// useNone when present but with no known capability, useUnknown for bits gpg
// does not interpret (split key, group key).
func sigUsage(sig *packet.Signature) int {
	if sig == nil || !sig.FlagsValid {
		return 0
	}
	u := 0
	if sig.FlagCertify {
		u |= useCert
	}
	if sig.FlagSign {
		u |= useSign
	}
	if sig.FlagEncryptCommunications || sig.FlagEncryptStorage {
		u |= useEnc
	}
	if sig.FlagAuthenticate {
		u |= useAuth
	}
	if sig.FlagSplitKey || sig.FlagGroupKey {
		u |= useUnknown
	}
	if u == 0 {
		u = useNone
	}
	return u
}

// effectiveUsage applies gpg's rule: no key flags means "whatever the
// algorithm can do"; otherwise the flags are masked by what it can do.
func effectiveUsage(flags, algo int) int {
	x := algoUsage(algo)
	if flags == 0 {
		return x
	}
	if x != 0 {
		flags &= x
	}
	return flags
}

// keyState is the gpg view of the primary key or one subkey after
// merge_selfsigs: validity, usage, expiration and revocation.
type keyState struct {
	pk        *packet.PublicKey
	mat       *material
	primary   bool
	valid     bool
	usage     int
	expires   int64 // 0 = never
	expired   bool
	revoked   bool
	revokedAt int64
}

// uidState is the gpg view of one user ID.
type uidState struct {
	name    string
	created int64 // 0 when revoked, expired or without self-signature
	expires int64 // signature expiration of the chosen self-signature
	revoked bool
	expired bool
	primary bool // the primary-uid flag of its self-signature (before selection)

	helpUsage  int
	helpExpire int64
	selfSigned bool
}

type merged struct {
	primary keyState
	subs    []keyState
	uids    []*uidState // primary user ID first, then keyblock order
}

func unix(t time.Time) int64 { return t.Unix() }

func sigExpiry(sig *packet.Signature) int64 {
	if sig.SigLifetimeSecs == nil || *sig.SigLifetimeSecs == 0 {
		return 0
	}
	return sig.CreationTime.Unix() + int64(*sig.SigLifetimeSecs)
}

func isSelfSig(e *openpgp.Entity, sig *packet.Signature) bool {
	if sig.IssuerKeyId != nil && *sig.IssuerKeyId == e.PrimaryKey.KeyId {
		return true
	}
	if len(sig.IssuerFingerprint) > 0 && string(sig.IssuerFingerprint) == string(e.PrimaryKey.Fingerprint) {
		return true
	}
	return false
}

// cmpUserIDs is gpg's arbitrary but stable tie breaker: longer wins, then
// bytewise comparison.
func cmpUserIDs(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// orderedIdentities returns the entity's identities in keyblock order.
// go-crypto keeps identities in a map, so the order comes from order (the
// names in packet order, see UserIDOrder) when given; identities missing from
// it follow, sorted by their earliest self-signature and then by name, which
// matches the keyblock order of keys whose user IDs were added over time.
func orderedIdentities(e *openpgp.Entity, order []string) []*openpgp.Identity {
	out := make([]*openpgp.Identity, 0, len(e.Identities))
	seen := make(map[string]bool, len(e.Identities))
	for _, n := range order {
		if id, ok := e.Identities[n]; ok && !seen[n] {
			out = append(out, id)
			seen[n] = true
		}
	}
	var rest []*openpgp.Identity
	for n, id := range e.Identities {
		if !seen[n] {
			rest = append(rest, id)
		}
	}
	first := func(id *openpgp.Identity) int64 {
		var t int64
		for _, s := range id.Signatures {
			if isSelfSig(e, s) && (t == 0 || s.CreationTime.Unix() < t) {
				t = s.CreationTime.Unix()
			}
		}
		return t
	}
	sort.SliceStable(rest, func(i, j int) bool {
		ti, tj := first(rest[i]), first(rest[j])
		if ti != tj {
			return ti < tj
		}
		return rest[i].Name < rest[j].Name
	})
	return append(out, rest...)
}

// merge computes what gpg's merge_selfsigs derives from a keyblock, at time now.
func merge(e *openpgp.Entity, order []string, now int64) (*merged, error) {
	m := &merged{}
	pmat, err := parseMaterial(e.PrimaryKey)
	if err != nil {
		return nil, err
	}
	p := &m.primary
	p.pk, p.mat, p.primary = e.PrimaryKey, pmat, true
	keyCreated := unix(e.PrimaryKey.CreationTime)

	// Key revocations: go-crypto only keeps revocations it verified against
	// the primary key. gpg honours them regardless of their date and reports
	// the last one in packet order.
	for _, r := range e.Revocations {
		p.revoked = true
		p.revokedAt = unix(r.CreationTime)
	}

	// Direct-key self-signature (go-crypto keeps it for v6 keys only).
	var keyUsage int
	var keyExpire int64
	expireSeen := false
	if ds := e.SelfSignature; ds != nil {
		keyUsage = sigUsage(ds)
		if ds.KeyLifetimeSecs != nil && *ds.KeyLifetimeSecs != 0 {
			keyExpire = keyCreated + int64(*ds.KeyLifetimeSecs)
			expireSeen = true
		}
		p.valid = true
	}

	// User IDs: the newest self-signature or self-revocation decides (ties go
	// to the later packet, as gpg compares with >=).
	for _, id := range orderedIdentities(e, order) {
		u := &uidState{name: id.Name}
		var chosen *packet.Signature
		for _, s := range id.Signatures {
			if !isSelfSig(e, s) {
				continue
			}
			switch s.SigType {
			case packet.SigTypeGenericCert, packet.SigTypePersonaCert,
				packet.SigTypeCasualCert, packet.SigTypePositiveCert,
				packet.SigTypeCertificationRevocation:
			default:
				continue
			}
			if chosen == nil || !s.CreationTime.Before(chosen.CreationTime) {
				chosen = s
			}
		}
		if chosen == nil && id.SelfSignature != nil {
			chosen = id.SelfSignature
		}
		if chosen != nil {
			u.selfSigned = true
			p.valid = true
			if chosen.SigType == packet.SigTypeCertificationRevocation {
				u.revoked = true
			} else {
				u.expires = sigExpiry(chosen)
				if u.expires != 0 && u.expires <= now {
					u.expired = true
				} else {
					u.created = unix(chosen.CreationTime)
					u.helpUsage = sigUsage(chosen)
					if chosen.KeyLifetimeSecs != nil && *chosen.KeyLifetimeSecs != 0 {
						u.helpExpire = keyCreated + int64(*chosen.KeyLifetimeSecs)
					}
					u.primary = chosen.IsPrimaryId != nil && *chosen.IsPrimaryId
				}
			}
		}
		m.uids = append(m.uids, u)
	}

	// Usage and expiration come from the newest valid user ID that carries
	// them (strictly newer wins, so the first of equal dates is used).
	if keyUsage == 0 {
		var best int64
		for _, u := range m.uids {
			if u.helpUsage != 0 && u.created > best {
				keyUsage, best = u.helpUsage, u.created
			}
		}
	}
	p.usage = effectiveUsage(keyUsage, pmat.algo) | useCert
	if !expireSeen {
		var best int64
		for _, u := range m.uids {
			if u.helpExpire != 0 && u.created > best {
				keyExpire, best = u.helpExpire, u.created
			}
		}
	}
	p.expires = keyExpire
	p.expired = keyExpire != 0 && keyExpire < now

	// Primary user ID selection, then move it to the front (gpg's
	// reorder_keyblock); the others keep their keyblock order.
	pi := primaryUID(m.uids)
	if pi > 0 {
		u := m.uids[pi]
		copy(m.uids[1:pi+1], m.uids[:pi])
		m.uids[0] = u
	}

	for i := range e.Subkeys {
		sk := &e.Subkeys[i]
		mat, err := parseMaterial(sk.PublicKey)
		if err != nil {
			return nil, err
		}
		s := keyState{pk: sk.PublicKey, mat: mat}
		for _, r := range sk.Revocations {
			s.revoked = true
			s.revokedAt = unix(r.CreationTime)
		}
		if b := sk.Sig; b != nil && !(sigExpiry(b) != 0 && sigExpiry(b) <= now) {
			s.valid = true
			s.usage = effectiveUsage(sigUsage(b), mat.algo)
			if b.KeyLifetimeSecs != nil && *b.KeyLifetimeSecs != 0 {
				s.expires = unix(sk.PublicKey.CreationTime) + int64(*b.KeyLifetimeSecs)
			}
			s.expired = s.expires != 0 && s.expires < now
		}
		// A revoked, expired or invalid primary takes its subkeys with it.
		if !p.valid {
			s.valid = false
		}
		if p.revoked && !s.revoked {
			s.revoked, s.revokedAt = true, p.revokedAt
		}
		if p.expired {
			s.expired = true
		}
		m.subs = append(m.subs, s)
	}
	return m, nil
}

// primaryUID returns the index of the user ID gpg treats as primary: among
// those flagged primary the newest, else the newest of all valid ones, ties
// broken by cmpUserIDs; with no valid self-signature at all the one that
// sorts highest.
func primaryUID(uids []*uidState) int {
	pick := func(flagged bool) int {
		best := -1
		var date int64
		for i, u := range uids {
			if u.primary != flagged {
				continue
			}
			if u.created > date {
				best, date = i, u.created
			} else if u.created == date && best >= 0 && cmpUserIDs(u.name, uids[best].name) > 0 {
				best = i
			}
		}
		return best
	}
	if i := pick(true); i >= 0 {
		return i
	}
	if i := pick(false); i >= 0 {
		return i
	}
	best := -1
	for i, u := range uids {
		if best < 0 || cmpUserIDs(u.name, uids[best].name) > 0 {
			best = i
		}
	}
	return best
}

// UserID is one user ID as gpg's merge_selfsigs leaves it.
type UserID struct {
	Name    string
	Revoked bool
	Expired bool
}

// UserIDs lists the user IDs of e at now: gpg's primary user ID first, the
// others in keyblock order (order as for Key.UIDOrder; nil falls back to
// orderedIdentities' guess). gpg prints them in this order after a good
// signature ("aka" lines).
func UserIDs(e *openpgp.Entity, order []string, now time.Time) ([]UserID, error) {
	m, err := merge(e, order, now.Unix())
	if err != nil {
		return nil, err
	}
	out := make([]UserID, 0, len(m.uids))
	for _, u := range m.uids {
		out = append(out, UserID{Name: u.name, Revoked: u.revoked, Expired: u.expired})
	}
	return out, nil
}
