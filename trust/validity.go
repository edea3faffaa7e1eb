package trust

import (
	"crypto"
	"fmt"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// SHA1CertCutoff is gpg's date after which SHA-1 third-party
// certifications no longer verify (chosen-prefix collisions): signatures
// made strictly after 2019-01-19 00:00:00 UTC are ignored.
const SHA1CertCutoff = 1547856000

// Params are the trust options.
type Params struct {
	Model           string // "pgp" (default, same as "classic" here), "classic", "direct", "always"
	MarginalsNeeded int    // --marginals-needed (3)
	CompletesNeeded int    // --completes-needed (1)
	MaxCertDepth    int    // --max-cert-depth (5)
	Now             time.Time
}

// DefaultParams are gpg's defaults.
func DefaultParams(now time.Time) Params {
	return Params{Model: "pgp", MarginalsNeeded: 3, CompletesNeeded: 1, MaxCertDepth: 5, Now: now}
}

// DepthStat is one "depth: N  valid: ..." line of a trustdb check.
type DepthStat struct {
	Depth, Valid, Signed                                int
	Unknown, Undefined, Never, Marginal, Full, Ultimate int
}

// String is gpg's wording of the line (without the "gpg: " prefix).
func (d DepthStat) String() string {
	return fmt.Sprintf("depth: %d  valid: %3d  signed: %3d  trust: %d-, %dq, %dn, %dm, %df, %du",
		d.Depth, d.Valid, d.Signed, d.Unknown, d.Undefined, d.Never, d.Marginal, d.Full, d.Ultimate)
}

// Result is the validity of every certificate, as gpg's trustdb holds it
// after a check: per user ID, and for the key the best of its user IDs.
type Result struct {
	model  string
	owner  func(fpr string) Level
	uids   map[string]map[string]*uidRecord // primary fpr → user ID → record
	Depths []DepthStat
	// NoUltimate is set when no key has ultimate ownertrust: gpg then
	// computes nothing ("no ultimately trusted keys found").
	NoUltimate bool
	// NextCheck is the earliest future expiry among the keys the
	// computation relied on (gpg's "next trustdb check due"), 0 for none.
	NextCheck int64
}

type uidRecord struct {
	validity       Level
	full, marginal int
}

// KeyValidity is what gpg's get_validity returns for a key without a user
// ID (the maximum over its user IDs), before expiry and revocation, which
// the caller shows from the key itself. In the direct model it is the
// key's ownertrust.
func (r *Result) KeyValidity(e *openpgp.Entity) Level {
	fpr := fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
	if r.model == "direct" {
		return r.owner(fpr).Value()
	}
	var v Level
	for _, u := range r.uids[fpr] {
		v = max(v, u.validity)
	}
	return v
}

// HasRecord reports whether the computation gave the key (uppercase hex
// primary fingerprint) any validity, which is when gpg's trustdb holds a
// record for it.
func (r *Result) HasRecord(fpr string) bool { return len(r.uids[fpr]) > 0 }

// UIDValidity is the validity of one user ID of e.
func (r *Result) UIDValidity(e *openpgp.Entity, name string) Level {
	fpr := fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
	if r.model == "direct" {
		return r.owner(fpr).Value()
	}
	if u := r.uids[fpr][name]; u != nil {
		return u.validity
	}
	return Unknown
}

// keyExpiry is the primary key's expiration time from its newest
// self-signature (0 = never).
func keyExpiry(e *openpgp.Entity) int64 {
	sig := e.SelfSignature
	if id := e.PrimaryIdentity(); sig == nil && id != nil {
		sig = id.SelfSignature
	}
	if sig == nil || sig.KeyLifetimeSecs == nil || *sig.KeyLifetimeSecs == 0 {
		return 0
	}
	return e.PrimaryKey.CreationTime.Unix() + int64(*sig.KeyLifetimeSecs)
}

// Unusable reports a key gpg leaves out of the web of trust: revoked by
// its owner, or expired at now.
func Unusable(e *openpgp.Entity, now time.Time) bool {
	if len(e.Revocations) > 0 {
		return true
	}
	exp := keyExpiry(e)
	return exp != 0 && exp < now.Unix()
}

// uidUsable: a user ID revoked or expired by its own newest self-signature
// carries no validity through certifications.
func uidUsable(id *openpgp.Identity, now time.Time) bool {
	self := id.SelfSignature
	if self == nil {
		return false
	}
	for _, r := range id.Revocations {
		if !r.CreationTime.Before(self.CreationTime) {
			return false
		}
	}
	return !self.SigExpired(now)
}

// signer is one key of gpg's klist: a key whose certifications count at
// the current depth.
type signer struct {
	e          *openpgp.Entity
	ownertrust Level
}

// Compute runs gpg's validate_keys: the ultimately trusted keys first,
// then depth by depth the keys certified by the keys found fully valid at
// the previous depth, until max-cert-depth or no new keys. owner returns
// the raw ownertrust of a primary fingerprint (uppercase hex).
func Compute(certs []*openpgp.Entity, owner func(fpr string) Level, p Params) *Result {
	r := &Result{model: p.Model, owner: owner, uids: map[string]map[string]*uidRecord{}}
	// gpg does not consult its trustdb at all under the always model
	// (every key and user ID shows unknown validity); the direct model
	// uses ownertrust alone
	if p.Model == "direct" || p.Model == "always" {
		return r
	}
	now := p.Now.Unix()
	fprOf := func(e *openpgp.Entity) string { return fmt.Sprintf("%X", e.PrimaryKey.Fingerprint) }
	noteExpiry := func(e *openpgp.Entity) {
		if exp := keyExpiry(e); exp != 0 && exp >= now && (r.NextCheck == 0 || exp < r.NextCheck) {
			r.NextCheck = exp
		}
	}
	// done: keys not to examine again (gpg's full_trust table); used: keys
	// already in some klist.
	done, used := map[string]bool{}, map[string]bool{}
	var klist []signer
	for _, e := range certs {
		fpr := fprOf(e)
		if owner(fpr).Value() != Ultimate || done[fpr] {
			continue
		}
		done[fpr], used[fpr] = true, true
		recs := map[string]*uidRecord{}
		for name := range e.Identities {
			recs[name] = &uidRecord{validity: Ultimate}
		}
		r.uids[fpr] = recs
		noteExpiry(e)
		klist = append(klist, signer{e, Ultimate})
	}
	if len(klist) == 0 {
		r.NoUltimate = true
		return r
	}
	for depth := 0; depth < p.MaxCertDepth && len(klist) > 0; depth++ {
		st := DepthStat{Depth: depth, Valid: len(klist)}
		byKeyID := map[uint64]signer{}
		for _, k := range klist {
			switch k.ownertrust.Value() {
			case Unknown:
				st.Unknown++
			case Undefined:
				st.Undefined++
			case Never:
				st.Never++
			case Marginal:
				st.Marginal++
			case Fully:
				st.Full++
			case Ultimate:
				st.Ultimate++
			}
			byKeyID[k.e.PrimaryKey.KeyId] = k
		}
		var signed []*openpgp.Entity
		for _, e := range certs {
			fpr := fprOf(e)
			if done[fpr] {
				continue
			}
			if Unusable(e, p.Now) {
				done[fpr] = true
				continue
			}
			if r.validateOne(e, byKeyID, p) {
				noteExpiry(e)
				signed = append(signed, e)
				allFull := true
				for _, u := range r.uids[fpr] {
					allFull = allFull && u.validity == Fully
				}
				if allFull && len(r.uids[fpr]) == len(e.Identities) {
					done[fpr] = true
				}
			}
		}
		st.Signed = len(signed)
		r.Depths = append(r.Depths, st)
		klist = nil
		for _, e := range signed {
			fpr := fprOf(e)
			if used[fpr] {
				continue
			}
			for _, u := range r.uids[fpr] {
				if u.validity == Fully {
					used[fpr] = true
					klist = append(klist, signer{e, owner(fpr) &^ Disabled})
					break
				}
			}
		}
	}
	return r
}

// validateOne is gpg's validate_one_keyblock for one certificate against
// the current signers: for every usable user ID the newest valid
// certification of each signer counts by the signer's ownertrust, added
// to what earlier depths counted. It reports whether any user ID was
// certified by a current signer.
func (r *Result) validateOne(e *openpgp.Entity, signers map[uint64]signer, p Params) bool {
	fpr := fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
	anySigned := false
	for name, id := range e.Identities {
		if !uidUsable(id, p.Now) {
			continue
		}
		rec := r.uids[fpr][name]
		if rec == nil {
			rec = &uidRecord{}
		}
		issigned := false
		for keyID, s := range signers {
			// gpg looks certifiers up as keys usable for certifying: the
			// certifications of a revoked or expired key do not verify
			// (gpg counts them as made by a missing key)
			if Unusable(s.e, p.Now) {
				continue
			}
			cert := newestCert(e, id, s.e, keyID, p.Now)
			if cert == nil {
				continue
			}
			issigned = true
			switch s.ownertrust.Value() {
			case Ultimate:
				rec.full = p.CompletesNeeded
			case Fully:
				rec.full++
			case Marginal:
				rec.marginal++
			}
		}
		if !issigned {
			continue
		}
		anySigned = true
		switch {
		case rec.full >= p.CompletesNeeded || rec.marginal >= p.MarginalsNeeded:
			rec.validity = Fully
		case rec.full > 0 || rec.marginal > 0:
			rec.validity = Marginal
		default:
			rec.validity = Undefined
		}
		if r.uids[fpr] == nil {
			r.uids[fpr] = map[string]*uidRecord{}
		}
		r.uids[fpr][name] = rec
	}
	return anySigned
}

// newestCert is gpg's mark_usable_uid_certs for one signer: among the
// signer's certifications and certification revocations of the user ID
// that verify, the newest (the later packet on equal dates) decides; it
// counts if it is a certification that has not expired.
func newestCert(e *openpgp.Entity, id *openpgp.Identity, signerKey *openpgp.Entity, keyID uint64, now time.Time) *packet.Signature {
	if signerKey.PrimaryKey.KeyId == e.PrimaryKey.KeyId {
		return nil
	}
	var newest *packet.Signature
	for _, sig := range id.Signatures {
		if sig.IssuerKeyId == nil || *sig.IssuerKeyId != keyID {
			continue
		}
		switch sig.SigType {
		case packet.SigTypePersonaCert:
			// level 1, below gpg's default --min-cert-level of 2
			continue
		case packet.SigTypeGenericCert, packet.SigTypeCasualCert, packet.SigTypePositiveCert,
			packet.SigTypeCertificationRevocation:
		default:
			continue
		}
		if sig.Hash == crypto.SHA1 && sig.CreationTime.Unix() > SHA1CertCutoff {
			continue
		}
		if signerKey.PrimaryKey.VerifyUserIdSignature(id.Name, e.PrimaryKey, sig) != nil {
			continue
		}
		if newest == nil || !sig.CreationTime.Before(newest.CreationTime) {
			newest = sig
		}
	}
	if newest == nil || newest.SigType == packet.SigTypeCertificationRevocation || newest.SigExpired(now) {
		return nil
	}
	return newest
}

// Certified reports whether any user ID of e carries a certification by
// another key. A key without one is never reached through the web of
// trust, so its validity is known without computing the web.
func Certified(e *openpgp.Entity) bool {
	for _, id := range e.Identities {
		for _, sig := range id.Signatures {
			if sig.IssuerKeyId != nil && *sig.IssuerKeyId != e.PrimaryKey.KeyId {
				return true
			}
		}
	}
	return false
}
