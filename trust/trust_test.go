package trust

import (
	"bytes"
	"crypto"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

var testNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func config(at time.Time, h crypto.Hash) *packet.Config {
	return &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, DefaultHash: h, Time: func() time.Time { return at }}
}

func newKey(t *testing.T, name string, lifetime uint32) *openpgp.Entity {
	t.Helper()
	return newKeyAt(t, name, lifetime, testNow.Add(-48*time.Hour))
}

func newKeyAt(t *testing.T, name string, lifetime uint32, created time.Time) *openpgp.Entity {
	t.Helper()
	c := config(created, crypto.SHA256)
	c.KeyLifetimeSecs = lifetime
	e, err := openpgp.NewEntity(name, "", name+"@example.org", c)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func uidOf(e *openpgp.Entity) string { return e.PrimaryIdentity().Name }

// certify makes signer certify e's primary user ID, with a signature
// built by hand so that any hash and date can be chosen.
func certify(t *testing.T, e, signer *openpgp.Entity, at time.Time, h crypto.Hash) {
	t.Helper()
	addUIDSig(t, e, signer, packet.SigTypeGenericCert, at, h)
}

func addUIDSig(t *testing.T, e, signer *openpgp.Entity, typ packet.SignatureType, at time.Time, h crypto.Hash) {
	t.Helper()
	sig := &packet.Signature{Version: signer.PrimaryKey.Version, SigType: typ, PubKeyAlgo: signer.PrimaryKey.PubKeyAlgo,
		Hash: h, CreationTime: at, IssuerKeyId: &signer.PrimaryKey.KeyId}
	// no salt notation: go-crypto cannot size one for SHA-1
	noSalt := false
	if err := sig.SignUserId(uidOf(e), e.PrimaryKey, signer.PrivateKey, &packet.Config{NonDeterministicSignaturesViaNotation: &noSalt}); err != nil {
		t.Fatal(err)
	}
	id := e.Identities[uidOf(e)]
	id.Signatures = append(id.Signatures, sig)
}

func fprOf(e *openpgp.Entity) string { return fmt.Sprintf("%X", e.PrimaryKey.Fingerprint) }

type web struct {
	t     *testing.T
	keys  map[string]*openpgp.Entity
	order []*openpgp.Entity
	owner map[string]Level
}

func newWeb(t *testing.T, names ...string) *web {
	w := &web{t: t, keys: map[string]*openpgp.Entity{}, owner: map[string]Level{}}
	for _, n := range names {
		e := newKey(t, n, 0)
		w.keys[n] = e
		w.order = append(w.order, e)
	}
	return w
}

func (w *web) sign(signer, signee string) {
	certify(w.t, w.keys[signee], w.keys[signer], testNow.Add(-time.Hour), crypto.SHA256)
}

func (w *web) trust(name string, l Level) { w.owner[fprOf(w.keys[name])] = l }

func (w *web) compute(p Params) *Result {
	return Compute(w.order, func(f string) Level { return w.owner[f] }, p)
}

func (w *web) expect(r *Result, want map[string]Level) {
	w.t.Helper()
	for n, l := range want {
		if got := r.KeyValidity(w.keys[n]); got != l {
			w.t.Errorf("%s: validity %c, want %c", n, got.Letter(), l.Letter())
		}
	}
}

func TestChains(t *testing.T) {
	w := newWeb(t, "me", "full", "m1", "m2", "m3", "a", "b", "c", "lone", "unknownsigned")
	w.trust("me", Ultimate)
	w.sign("me", "full")
	w.trust("full", Fully)
	w.sign("me", "m1")
	w.sign("me", "m2")
	w.sign("me", "m3")
	for _, m := range []string{"m1", "m2", "m3"} {
		w.trust(m, Marginal)
	}
	// a: certified by one fully trusted key -> full
	w.sign("full", "a")
	// b: two marginals -> marginal; c: three marginals -> full
	w.sign("m1", "b")
	w.sign("m2", "b")
	w.sign("m1", "c")
	w.sign("m2", "c")
	w.sign("m3", "c")
	// signed only by a fully valid key of unknown ownertrust: undefined
	w.sign("a", "unknownsigned")
	r := w.compute(DefaultParams(testNow))
	w.expect(r, map[string]Level{
		"me": Ultimate, "full": Fully, "m1": Fully, "a": Fully, "b": Marginal, "c": Fully,
		"lone": Unknown, "unknownsigned": Undefined,
	})
	if got := r.Depths[0].String(); got != "depth: 0  valid:   1  signed:   4  trust: 0-, 0q, 0n, 0m, 0f, 1u" {
		t.Errorf("depth 0 line %q", got)
	}
	if got := r.Depths[1].String(); got != "depth: 1  valid:   4  signed:   3  trust: 0-, 0q, 0n, 3m, 1f, 0u" {
		t.Errorf("depth 1 line %q", got)
	}
	// --marginals-needed 2 makes b fully valid, --completes-needed 2
	// leaves a (one full signer) marginal
	p := DefaultParams(testNow)
	p.MarginalsNeeded, p.CompletesNeeded = 2, 2
	r = w.compute(p)
	w.expect(r, map[string]Level{"b": Fully, "a": Marginal, "full": Fully})
}

func TestDepthLimit(t *testing.T) {
	names := []string{"me", "k1", "k2", "k3", "k4"}
	w := newWeb(t, names...)
	w.trust("me", Ultimate)
	for i := 1; i < len(names); i++ {
		w.sign(names[i-1], names[i])
		w.trust(names[i], Fully)
	}
	w.expect(w.compute(DefaultParams(testNow)), map[string]Level{"k1": Fully, "k2": Fully, "k3": Fully, "k4": Fully})
	p := DefaultParams(testNow)
	p.MaxCertDepth = 2
	w.expect(w.compute(p), map[string]Level{"k1": Fully, "k2": Fully, "k3": Unknown, "k4": Unknown})
}

func TestNoUltimate(t *testing.T) {
	w := newWeb(t, "a", "b")
	w.sign("a", "b")
	w.trust("a", Fully)
	r := w.compute(DefaultParams(testNow))
	if !r.NoUltimate || r.KeyValidity(w.keys["b"]) != Unknown {
		t.Errorf("without ultimate keys nothing is valid")
	}
}

func TestRevokedAndExpired(t *testing.T) {
	w := newWeb(t, "me", "revoked", "after")
	exp := newKey(t, "expired", 3600)
	w.keys["expired"] = exp
	w.order = append(w.order, exp)
	w.trust("me", Ultimate)
	w.sign("me", "revoked")
	w.sign("me", "expired")
	w.trust("revoked", Fully)
	w.sign("revoked", "after")
	if err := w.keys["revoked"].RevokeKey(packet.NoReason, "", config(testNow.Add(-time.Minute), crypto.SHA256)); err != nil {
		t.Fatal(err)
	}
	w.expect(w.compute(DefaultParams(testNow)), map[string]Level{"revoked": Unknown, "expired": Unknown, "after": Unknown})
}

func TestSHA1Cutoff(t *testing.T) {
	w := newWeb(t)
	for _, n := range []string{"me", "old", "new"} {
		w.keys[n] = newKeyAt(t, n, 0, time.Unix(SHA1CertCutoff-86400, 0))
		w.order = append(w.order, w.keys[n])
	}
	w.trust("me", Ultimate)
	certify(t, w.keys["old"], w.keys["me"], time.Unix(SHA1CertCutoff, 0), crypto.SHA1)
	certify(t, w.keys["new"], w.keys["me"], time.Unix(SHA1CertCutoff+1, 0), crypto.SHA1)
	w.expect(w.compute(DefaultParams(testNow)), map[string]Level{"old": Fully, "new": Unknown})
}

func TestCertificationRevoked(t *testing.T) {
	w := newWeb(t, "me", "x")
	w.trust("me", Ultimate)
	w.sign("me", "x")
	addUIDSig(t, w.keys["x"], w.keys["me"], packet.SigTypeCertificationRevocation, testNow.Add(-time.Minute), crypto.SHA256)
	w.expect(w.compute(DefaultParams(testNow)), map[string]Level{"x": Unknown})
}

func TestDirectModel(t *testing.T) {
	w := newWeb(t, "me", "x")
	w.trust("x", Marginal)
	p := DefaultParams(testNow)
	p.Model = "direct"
	w.expect(w.compute(p), map[string]Level{"x": Marginal, "me": Unknown})
}

func TestOwnertrustFile(t *testing.T) {
	home := t.TempDir()
	o, err := Load(home)
	if err != nil || len(o.Fingerprints()) != 0 {
		t.Fatalf("empty home: %v %v", o, err)
	}
	in := "# comment\n" +
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:6:\n" +
		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb:4:\n" +
		"CCCC:5:\n" +
		"DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD\n" +
		"EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE::\n" +
		"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0:\n"
	notes, changed := o.Import(strings.NewReader(in), "f", nil)
	var got []string
	for _, n := range notes {
		got = append(got, fmt.Sprintf("%v %s", n.Error, n.Text))
	}
	want := []string{"false inserting ownertrust of 6", "false inserting ownertrust of 4",
		"true error in 'f': invalid fingerprint", "true error in 'f': colon missing",
		"true error in 'f': ownertrust value missing"}
	if !changed || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("import notes %q", got)
	}
	o.Created = 1700000000
	if err := os.WriteFile(Path(home), o.Marshal(), 0o600); err != nil {
		t.Fatal(err)
	}
	back, err := Load(home)
	if err != nil || back.Created != 1700000000 {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	vals := map[string]Level{}
	for _, f := range back.Fingerprints() {
		vals[f], _ = back.Get(f)
	}
	if err := Export(&buf, back.Fingerprints(), vals, time.Unix(1700000000, 0)); err != nil {
		t.Fatal(err)
	}
	wantOut := "# List of assigned trustvalues, created Tue Nov 14 22:13:20 2023 UTC\n" +
		"# (Use \"gpg --import-ownertrust\" to restore them)\n" +
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:6:\n" +
		"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB:4:\n"
	if buf.String() != wantOut {
		t.Errorf("export:\n%s", buf.String())
	}
	// a key gpg holds a record for without ownertrust: "setting"
	implied := func(fpr string) (Level, bool) { return 0, fpr == strings.Repeat("C", 40) }
	notes, changed = back.Import(strings.NewReader("BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB:5:\n"+strings.Repeat("C", 40)+":3:\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:6:"), "g", implied)
	if !changed || len(notes) != 3 || notes[0].Text != "changing ownertrust from 4 to 5" || notes[1].Text != "setting ownertrust to 3" ||
		notes[2].Text != "error in 'g': line too long" {
		t.Errorf("second import %v", notes)
	}
}

// A certifier that has expired or was revoked certifies nothing any more,
// even when ultimately trusted: gpg only checks certifications against
// keys usable for certifying.
func TestUnusableCertifier(t *testing.T) {
	w := newWeb(t, "x", "y", "revokedme")
	old := newKey(t, "expiredme", 3600)
	w.keys["expiredme"] = old
	w.order = append(w.order, old)
	w.trust("expiredme", Ultimate)
	w.trust("revokedme", Ultimate)
	w.sign("expiredme", "x")
	w.sign("revokedme", "y")
	if err := w.keys["revokedme"].RevokeKey(packet.NoReason, "", config(testNow.Add(-time.Minute), crypto.SHA256)); err != nil {
		t.Fatal(err)
	}
	r := w.compute(DefaultParams(testNow))
	w.expect(r, map[string]Level{"x": Unknown, "y": Unknown, "expiredme": Ultimate})
	if len(r.Depths) != 1 || r.Depths[0].Signed != 0 || r.Depths[0].Valid != 2 {
		t.Errorf("depths %v", r.Depths)
	}
}

// TestEnsureTrustdb: an empty trustdb.gpg is made once and an existing
// one (gpg's) is left alone.
func TestEnsureTrustdb(t *testing.T) {
	home := t.TempDir()
	if err := EnsureTrustdb(home); err != nil {
		t.Fatal(err)
	}
	path := home + "/" + TrustdbName
	st, err := os.Stat(path)
	if err != nil || st.Size() != 0 || st.Mode().Perm() != 0o600 {
		t.Fatalf("placeholder: %v %v", st, err)
	}
	if err := os.WriteFile(path, []byte("gpg's"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := EnsureTrustdb(home); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "gpg's" {
		t.Fatalf("existing trustdb changed: %q", b)
	}
}

// newV6Key is an RFC 9580 (v6) Ed25519 key: a 32-byte fingerprint whose
// first 8 bytes are its key ID.
func newV6Key(t *testing.T, name string) *openpgp.Entity {
	t.Helper()
	c := &packet.Config{Algorithm: packet.PubKeyAlgoEd25519, V6Keys: true, DefaultHash: crypto.SHA256,
		Time: func() time.Time { return testNow.Add(-48 * time.Hour) }}
	e, err := openpgp.NewEntity(name, "", name+"@example.org", c)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.PrimaryKey.Fingerprint) != 32 {
		t.Fatalf("not a v6 key: %d-byte fingerprint", len(e.PrimaryKey.Fingerprint))
	}
	return e
}

// v6 keys take part in the web of trust as v4 keys do: an ultimately
// trusted v6 key makes what it certifies valid (v4 and v6 keys), a v6 key
// certified by a v4 root becomes valid, and the ownertrust and the
// validity cache are keyed by its 64-hex fingerprint.
func TestV6Web(t *testing.T) {
	w := newWeb(t, "four", "fourroot")
	for _, n := range []string{"six", "sixroot", "sixbyfour"} {
		e := newV6Key(t, n)
		w.keys[n] = e
		w.order = append(w.order, e)
	}
	w.trust("sixroot", Ultimate)
	w.trust("fourroot", Ultimate)
	w.sign("sixroot", "six")
	w.sign("sixroot", "four")
	w.sign("fourroot", "sixbyfour")
	r := w.compute(DefaultParams(testNow))
	want := map[string]Level{"sixroot": Ultimate, "fourroot": Ultimate, "six": Fully, "four": Fully, "sixbyfour": Fully}
	w.expect(r, want)
	if got := len(fprOf(w.keys["sixroot"])); got != 64 {
		t.Fatalf("v6 fingerprint of %d hex digits", got)
	}
	stamp := []byte{6}
	owner := func(f string) Level { return w.owner[f] }
	c, err := UnmarshalCache(MarshalCache(r, w.order, stamp, testNow), stamp, owner)
	if err != nil {
		t.Fatal(err)
	}
	for n, l := range want {
		if got := c.Result.KeyValidity(w.keys[n]); got != l {
			t.Errorf("%s: cached validity %c, want %c", n, got.Letter(), l.Letter())
		}
	}
}

// The ownertrust file and --import-ownertrust take 64-hex (v6)
// fingerprints as GnuPG 2.4 takes v5 ones; a 32-hex (v3) one is still
// padded to 20 bytes and other lengths are refused.
func TestOwnertrustFileV6(t *testing.T) {
	home := t.TempDir()
	six := strings.Repeat("6A", 32)
	o := New()
	in := six + ":6:\n" +
		strings.Repeat("3", 32) + ":5:\n" +
		strings.Repeat("7", 63) + ":4:\n" +
		strings.Repeat("7", 65) + ":4:\n" +
		strings.ToLower(strings.Repeat("B", 64)) + ":128:\n"
	notes, changed := o.Import(strings.NewReader(in), "f", nil)
	var got []string
	for _, n := range notes {
		got = append(got, n.Text)
	}
	want := []string{"inserting ownertrust of 6", "inserting ownertrust of 5",
		"error in 'f': invalid fingerprint", "error in 'f': invalid fingerprint", "inserting ownertrust of 128"}
	if !changed || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("import notes %q", got)
	}
	wantFprs := []string{six, strings.Repeat("3", 32) + "00000000", strings.Repeat("B", 64)}
	if f := o.Fingerprints(); strings.Join(f, " ") != strings.Join(wantFprs, " ") {
		t.Fatalf("fingerprints %q", f)
	}
	if v, ok := o.Get(strings.ToLower(six)); !ok || v != Ultimate {
		t.Errorf("lookup by lowercase v6 fingerprint: %v %v", v, ok)
	}
	if err := os.WriteFile(Path(home), o.Marshal(), 0o600); err != nil {
		t.Fatal(err)
	}
	back, err := Load(home)
	if err != nil {
		t.Fatalf("reading back a file with v6 fingerprints: %v", err)
	}
	vals := map[string]Level{}
	for _, f := range back.Fingerprints() {
		vals[f], _ = back.Get(f)
	}
	var buf bytes.Buffer
	if err := Export(&buf, back.Fingerprints(), vals, testNow); err != nil {
		t.Fatal(err)
	}
	// the export imports again unchanged
	again := New()
	if notes, _ := again.Import(&buf, "g", nil); len(notes) != 3 {
		t.Fatalf("re-import notes %v", notes)
	}
	for _, f := range wantFprs {
		if a, b := vals[f], func() Level { v, _ := again.Get(f); return v }(); a != b || a == 0 {
			t.Errorf("%s: %v after the round trip, want %v", f, b, a)
		}
	}
}
