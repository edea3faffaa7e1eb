package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/frontpgp/front/keylist"
	"github.com/frontpgp/front/store"
	"github.com/frontpgp/front/trust"
)

// trustState is the ownertrust file and the validity computed from it for
// one invocation; validity is computed once, on first use, over the
// whole store (gpg's trustdb check), since any certificate can be a link
// in a chain.
type trustState struct {
	owner  *trust.Ownertrust
	result *trust.Result
	params trust.Params
	// err is a bad trust option or an unreadable ownertrust file; it is
	// reported once and fails the run (exit 2), as gpg refuses such
	// options, while the operation goes on with unknown validity.
	err      error
	reported bool
}

// trustParams reads --trust-model, --marginals-needed, --completes-needed
// and --max-cert-depth, refusing out-of-range values as gpg does.
func (a *app) trustParams() (trust.Params, error) {
	p := trust.DefaultParams(a.now)
	p.Model = a.trustModel()
	switch p.Model {
	case "pgp", "classic", "direct", "always":
	default:
		return p, &exitError{2, fmt.Sprintf("unsupported trust model %q", p.Model)}
	}
	num := func(name string, def int) int {
		if !a.opts.has(name) {
			return def
		}
		n, _ := strconv.Atoi(a.opts.last(name))
		return n
	}
	p.MarginalsNeeded = num("marginals-needed", p.MarginalsNeeded)
	p.CompletesNeeded = num("completes-needed", p.CompletesNeeded)
	p.MaxCertDepth = num("max-cert-depth", p.MaxCertDepth)
	switch {
	case p.CompletesNeeded < 1:
		return p, &exitError{2, "completes-needed must be greater than 0"}
	case p.MarginalsNeeded < 2:
		return p, &exitError{2, "marginals-needed must be greater than 1"}
	case p.MaxCertDepth < 1 || p.MaxCertDepth > 255:
		return p, &exitError{2, "max-cert-depth must be in the range from 1 to 255"}
	}
	return p, nil
}

// trustState loads the ownertrust file on first use. The trust commands
// return its error; lookups inside other commands use usableTrust.
func (a *app) trustState() (*trustState, error) {
	if a.trust == nil {
		ts := &trustState{}
		ts.params, ts.err = a.trustParams()
		if ts.err == nil {
			var err error
			if ts.owner, err = trust.Load(a.home); err != nil {
				ts.err = &exitError{2, "reading ownertrust: " + err.Error()}
			}
		}
		a.trust = ts
	}
	if a.trust.err != nil {
		return nil, a.trust.err
	}
	return a.trust, nil
}

// usableTrust is trustState for validity lookups inside other commands:
// an error is printed once (exit code 2) and nil returned, and the
// command goes on with unknown validity.
func (a *app) usableTrust() *trustState {
	ts, err := a.trustState()
	if err != nil {
		if !a.trust.reported {
			a.trust.reported = true
			a.errorf("%s", err.Error())
		}
		return nil
	}
	return ts
}

// ownertrustOf is the raw ownertrust of a primary fingerprint: what was
// assigned (key generation assigns ultimate, as gpg does), else unknown.
// A secret key imported from elsewhere is not trusted by that alone.
func (a *app) ownertrustOf(fpr string) trust.Level {
	ts := a.usableTrust()
	if ts == nil {
		return trust.Unknown
	}
	if v, ok := ts.owner.Get(fpr); ok {
		return v
	}
	if a.isTrustedKey(fpr) {
		return trust.Ultimate
	}
	return trust.Unknown
}

// isTrustedKey reports whether --trusted-key names the primary key fpr
// (by v4 or v6 fingerprint or long key ID): gpg treats it as ultimately
// trusted.
func (a *app) isTrustedKey(fpr string) bool {
	fpr = strings.ToUpper(fpr)
	raw, err := hex.DecodeString(fpr)
	if err != nil {
		return false
	}
	keyID := fmt.Sprintf("%016X", store.KeyIDFromFingerprint(raw))
	for _, v := range a.opts.values["trusted-key"] {
		v = strings.ToUpper(strings.TrimPrefix(strings.TrimPrefix(strings.ReplaceAll(v, " ", ""), "0x"), "0X"))
		if ((len(v) == 40 || len(v) == 64) && v == fpr) || (len(v) == 16 && v == keyID) {
			return true
		}
	}
	return false
}

// validity computes (once) the validity of every certificate, or reads
// it from the cache a previous run left when nothing it depends on has
// changed since (gpg keeps it in its trustdb likewise).
func (a *app) validity() (*trust.Result, error) {
	ts, err := a.trustState()
	if err != nil {
		return nil, err
	}
	if ts.result != nil {
		return ts.result, nil
	}
	stamp, cacheable := a.validityStamp(ts)
	path := a.store.CachePath(validityCacheName)
	if cacheable {
		if data, err := readCapped(path, validityCacheMax); err == nil {
			if c, err := trust.UnmarshalCache(data, stamp, a.ownertrustOf); err == nil && c.Usable(a.now) {
				ts.result = c.Result
				return ts.result, nil
			}
		}
	}
	certs := a.loadCerts()
	ts.result = trust.Compute(certs, a.ownertrustOf, ts.params)
	if cacheable {
		// best effort: a read-only home just computes again next time
		_ = store.WriteAtomic(path, trust.MarshalCache(ts.result, certs, stamp, a.now), 0o600)
	}
	return ts.result, nil
}

const (
	validityCacheName = "validity"
	validityCacheMax  = 64 << 20
)

// validityStamp is what a cached validity must have been computed from:
// the store's contents, the ownertrust values, the trust options and
// --trusted-key. Runs that add --keyring files are not cached.
func (a *app) validityStamp(ts *trustState) ([]byte, bool) {
	if ts.params.Model != "pgp" && ts.params.Model != "classic" {
		return nil, false
	}
	if len(a.keyringCerts) > 0 || a.opts.has("no-default-keyring") || a.opts.has("no-keyring") {
		return nil, false
	}
	digest, err := a.store.StateDigest()
	if err != nil {
		return nil, false
	}
	h := sha256.New()
	h.Write(digest)
	// the ownertrust values, in a fixed order; the disabled flag changes
	// no validity (pacman-key disables dozens of keys, one run each)
	fprs := ts.owner.Fingerprints()
	sort.Strings(fprs)
	for _, f := range fprs {
		if v, _ := ts.owner.Get(f); v.Value() != trust.Unknown {
			fmt.Fprintf(h, "\x00%s:%d", f, v.Value())
		}
	}
	p := ts.params
	fmt.Fprintf(h, "\x00%s %d %d %d", p.Model, p.MarginalsNeeded, p.CompletesNeeded, p.MaxCertDepth)
	keys := append([]string(nil), a.opts.values["trusted-key"]...)
	sort.Strings(keys)
	fmt.Fprintf(h, "\x00%q", keys)
	return h.Sum(nil), true
}

// errFileTooLarge is strerror(EFBIG), as gpg words it.
var errFileTooLarge = errors.New("File too large")

// readCapped reads a whole file of at most max bytes.
func readCapped(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, errFileTooLarge
	}
	return data, nil
}

// keyValidity is the validity gpg reports for a key in signature verdicts
// and recipient checks (expiry and revocation are handled by the callers).
func (a *app) keyValidity(e *openpgp.Entity) trust.Level {
	if v, ok := a.validityWithoutWeb(e); ok {
		return v
	}
	r, err := a.validity()
	if err != nil {
		return trust.Unknown
	}
	return r.KeyValidity(e)
}

// uidValidity is the validity of one user ID of e.
func (a *app) uidValidity(e *openpgp.Entity, name string) trust.Level {
	if v, ok := a.validityWithoutWeb(e); ok {
		return v
	}
	r, err := a.validity()
	if err != nil {
		return trust.Unknown
	}
	return r.UIDValidity(e, name)
}

// validityWithoutWeb answers, for e and each of its user IDs alike, when
// the answer does not depend on other keys, so that verifying or
// encrypting does not read the whole store: the direct model (ownertrust
// alone), the always model (nothing), an ultimately trusted key
// (ultimate), a key nobody else certified (unknown).
func (a *app) validityWithoutWeb(e *openpgp.Entity) (trust.Level, bool) {
	ts := a.usableTrust()
	if ts == nil {
		return trust.Unknown, true
	}
	ot := a.ownertrustOf(fmt.Sprintf("%X", e.PrimaryKey.Fingerprint))
	switch {
	case ts.params.Model == "direct":
		return ot.Value(), true
	case ts.params.Model == "always":
		return trust.Unknown, true
	case ot.Value() == trust.Ultimate:
		return trust.Ultimate, true
	case !trust.Certified(e), !a.anyUltimate(ts):
		// Without an ultimately trusted key the web validates nothing
		// (gpg: "no ultimately trusted keys found").
		return trust.Unknown, true
	}
	return 0, false
}

// anyUltimate reports whether some key is ultimately trusted. Cheap: no
// certificate is read.
func (a *app) anyUltimate(ts *trustState) bool {
	if a.opts.has("trusted-key") {
		return true
	}
	for _, f := range ts.owner.Fingerprints() {
		if v, _ := ts.owner.Get(f); v.Value() == trust.Ultimate {
			return true
		}
	}
	return false
}

// listingTrust fills the trust fields of a listed key.
func (a *app) listingTrust(k *keylist.Key) {
	e := k.Entity
	fpr := fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
	ot := a.ownertrustOf(fpr)
	k.Ownertrust = ot.Value().Letter()
	k.Disabled = ot&trust.Disabled != 0
	v := a.keyValidity(e)
	k.Validity = v.Letter()
	if v != trust.Ultimate {
		k.UIDValidity = map[string]byte{}
		for name := range e.Identities {
			k.UIDValidity[name] = a.uidValidity(e, name).Letter()
		}
	}
}

// trustHeader is the colon-mode tru record. gpg prints what its trustdb
// stored and flags what differs from the options in force; our stored
// state is always that of a trustdb made and checked with gpg's defaults
// (model pgp, 3/1/5), since validity is recomputed on every run, so the
// flags say which current options differ from those.
func (a *app) trustHeader() keylist.TrustHeader {
	def := trust.DefaultParams(a.now)
	h := keylist.TrustHeader{Model: 1, Marginals: def.MarginalsNeeded, Completes: def.CompletesNeeded, CertDepth: def.MaxCertDepth}
	ts := a.usableTrust()
	if ts == nil {
		return h
	}
	p := ts.params
	if p.Model != "pgp" {
		h.Flags += "t"
	}
	if p.Model == "pgp" || p.Model == "classic" {
		if p.MarginalsNeeded != def.MarginalsNeeded {
			h.Flags += "m"
		}
		if p.CompletesNeeded != def.CompletesNeeded {
			h.Flags += "c"
		}
		if p.MaxCertDepth != def.MaxCertDepth {
			h.Flags += "d"
		}
	}
	// a home without an ownertrust file has had no trust state until now
	h.Created = ts.owner.Created
	if h.Created == 0 {
		h.Created = a.now.Unix()
	}
	// The next-check time comes from this run's web computation when the
	// listing needed one anyway, else from the one the last computation
	// stored (gpg's trustdb keeps its last check's value too): computing
	// the whole web just for this field would read every certificate.
	if ts.result != nil {
		h.NextCheck = ts.result.NextCheck
	} else {
		h.NextCheck = a.storedNextCheck()
		// the record shows the stored value; the listing's validity
		// lookups then run the check that is due, as gpg's do
		a.checkIfDue()
	}
	return h
}

// storedNextCheck is the next-check time the last validity computation
// stored (0: none).
func (a *app) storedNextCheck() int64 {
	head, err := readHead(a.store.CachePath(validityCacheName), trust.CacheHeaderMax)
	if err != nil {
		return 0
	}
	n, _ := trust.CachedNextCheck(head)
	return n
}

// checkIfDue is gpg's check_trustdb_stale: when the stored next check is
// due (or pending after an ownertrust change), validity is computed now
// and stored with its new next-check time.
func (a *app) checkIfDue() {
	ts := a.usableTrust()
	if ts == nil || ts.result != nil || (ts.params.Model != "pgp" && ts.params.Model != "classic") {
		return
	}
	if n := a.storedNextCheck(); n != 0 && n <= a.now.Unix() {
		a.trustWalkConsidered(ts)
		_, _ = a.validity()
	}
}

// trustWalkConsidered writes the KEY_CONSIDERED lines of gpg's trustdb
// walk (trustdb.c, validate_keys), which looks up each ultimately trusted
// key first. gpg builds that list by prepending: the trustdb's keys in
// the order their trust records were made (the order our ownertrust file
// keeps), then the --trusted-key ones in reverse command-line order,
// each looked up once more as it is added; so the walk sees the
// --trusted-key keys in command-line order, then the others newest
// first. A key the store does not hold is not found: no line.
func (a *app) trustWalkConsidered(ts *trustState) {
	var walk [][]byte
	for _, f := range ts.owner.Fingerprints() {
		if v, _ := ts.owner.Get(f); v.Value() != trust.Ultimate {
			continue
		}
		if raw, err := hex.DecodeString(f); err == nil {
			walk = append([][]byte{raw}, walk...)
		}
	}
	given := a.opts.values["trusted-key"]
	for i := len(given) - 1; i >= 0; i-- {
		ents := a.findCerts(given[i])
		if len(ents) == 0 {
			continue
		}
		fpr := ents[0].PrimaryKey.Fingerprint
		if v, _ := ts.owner.Get(fmt.Sprintf("%X", fpr)); v.Value() == trust.Ultimate || slices.ContainsFunc(walk, func(w []byte) bool { return bytes.Equal(w, fpr) }) {
			continue
		}
		a.keyConsidered(fpr, 0)
		walk = append([][]byte{fpr}, walk...)
	}
	for _, fpr := range walk {
		if len(a.certsFor(store.Query{Kind: store.QueryFingerprint, Fingerprint: fpr})) > 0 {
			a.keyConsidered(fpr, 0)
		}
	}
}

// readHead reads at most n bytes from the start of path.
func readHead(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}

// importOwnertrustCmd is --import-ownertrust [FILE]: stdin without FILE.
// The file is re-read and replaced under the store's write lock, so that
// concurrent imports do not lose each other's assignments.
func (a *app) importOwnertrustCmd(args []string) error {
	if len(args) > 1 {
		return &usageError{"usage: gpg [options] --import-ownertrust [file]"}
	}
	ts, err := a.trustState()
	if err != nil {
		return err
	}
	name := firstArg(args)
	in, err := a.openInput(name)
	if err != nil {
		return err
	}
	defer in.Close()
	if name == "" || name == "-" {
		name = "[stdin]"
	}
	unlock, err := a.store.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	if ts.owner, err = trust.Load(a.home); err != nil {
		return &exitError{2, "reading ownertrust: " + err.Error()}
	}
	ts.result = nil
	// gpg already holds a trust record for its own keys (ownertrust 6) and
	// for every key its last check gave validity (ownertrust 0); its
	// messages differ for those. The validity is taken before the import
	// changes anything.
	var before *trust.Result
	if ts.params.Model == "pgp" || ts.params.Model == "classic" {
		before, _ = a.validity()
	}
	implied := func(fpr string) (trust.Level, bool) {
		if v := a.ownertrustOf(fpr); v != trust.Unknown {
			return v, true
		}
		return 0, before != nil && before.HasRecord(fpr)
	}
	notes, changed := ts.owner.Import(in, name, implied)
	ts.result = nil
	for _, n := range notes {
		if n.Error {
			a.errorf("%s", n.Text)
		} else if !a.opts.has("quiet") {
			a.infof("%s", n.Text)
		}
	}
	if !changed {
		return nil
	}
	if ts.owner.Created == 0 {
		ts.owner.Created = a.now.Unix()
	}
	if err := store.WriteAtomic(trust.Path(a.home), ts.owner.Marshal(), 0o600); err != nil {
		return &exitError{2, "trustdb: sync failed: " + err.Error()}
	}
	a.markRevalidation()
	return nil
}

// markRevalidation is gpg's revalidation_mark after an ownertrust change:
// the stored validity no longer holds (its stamp names the old values, so
// it would be recomputed anyway) and the next check is due at once, which
// the tru record shows as next check 1, overdue. Best effort, as the
// cache is.
func (a *app) markRevalidation() {
	_ = store.WriteAtomic(a.store.CachePath(validityCacheName), trust.PendingCache(), 0o600)
}

// exportOwnertrustCmd is --export-ownertrust: the assignments in the
// order they were made, then the implied ultimate trust of own keys that
// have no assignment.
func (a *app) exportOwnertrustCmd(args []string) error {
	if len(args) != 0 {
		return &usageError{"usage: gpg [options] --export-ownertrust"}
	}
	ts, err := a.trustState()
	if err != nil {
		return err
	}
	fprs := ts.owner.Fingerprints()
	values := map[string]trust.Level{}
	for _, f := range fprs {
		values[f], _ = ts.owner.Get(f)
	}
	for _, e := range a.loadCerts() {
		f := fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
		if _, ok := values[f]; !ok && a.ownertrustOf(f) == trust.Ultimate {
			fprs = append(fprs, f)
			values[f] = trust.Ultimate
		}
	}
	return trust.Export(a.stdout, fprs, values, a.now)
}

// checkTrustdbCmd is --check-trustdb and --update-trustdb: compute the
// validity of every key and print gpg's summary. Nothing is asked (gpg's
// --update-trustdb asks for missing ownertrust values on a terminal; we
// never ask). gpg's --batch --check-trustdb skips the work when nothing
// changed since its last check ("no need for a trustdb check"); we keep
// no such state and always compute and report.
func (a *app) checkTrustdbCmd(args []string) error {
	if len(args) != 0 {
		return &usageError{"usage: gpg [options] --check-trustdb"}
	}
	// gpg creates its trustdb here; clients (pacman-key --init) check
	// that the file exists afterwards
	if err := trust.EnsureTrustdb(a.home); err != nil {
		return &exitError{2, "can't create '" + filepath.Join(a.home, trust.TrustdbName) + "': " + err.Error()}
	}
	// gpg's --batch --check-trustdb walks the web only when the stored
	// next check is due; --update-trustdb always does
	if ts := a.usableTrust(); ts != nil && (ts.params.Model == "pgp" || ts.params.Model == "classic") {
		n := a.storedNextCheck()
		if a.opts.command == "update-trustdb" || !a.opts.has("batch") || a.opts.has("yes") || (n != 0 && n <= a.now.Unix()) {
			a.trustWalkConsidered(ts)
		}
	}
	r, err := a.validity()
	if err != nil {
		return err
	}
	p := a.trust.params
	if p.Model == "always" || p.Model == "direct" {
		what := "check"
		if a.opts.command == "update-trustdb" {
			what = "update"
		}
		a.infof("no need for a trustdb %s with '%s' trust model", what, p.Model)
		return nil
	}
	if a.opts.has("quiet") {
		return nil
	}
	if r.NoUltimate {
		a.infof("no ultimately trusted keys found")
		return nil
	}
	a.infof("marginals needed: %d  completes needed: %d  trust model: %s", p.MarginalsNeeded, p.CompletesNeeded, p.Model)
	for _, d := range r.Depths {
		a.infof("%s", d.String())
	}
	if r.NextCheck != 0 {
		a.infof("next trustdb check due at %s", time.Unix(r.NextCheck, 0).UTC().Format("2006-01-02"))
	}
	return nil
}
