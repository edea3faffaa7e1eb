package keylist

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests in this file compare Write against the real gpg 2.2 binary on
// keys gpg itself generated, with a frozen clock. Nothing here hard-codes
// expected listings: gpg's own output is the expectation.

const (
	fakeNow  = "20250101T000000!"
	fakeOld  = "20200101T000000!"
	nowEpoch = 1735689600 // 2025-01-01T00:00:00Z
)

var testNow = time.Unix(nowEpoch, 0)

type gpgHome struct {
	dir string
}

var (
	homesMu sync.Mutex
	homes   []string
)

func TestMain(m *testing.M) {
	code := m.Run()
	// Stop the agents our gpg invocations started (one per home).
	homesMu.Lock()
	for _, h := range homes {
		exec.Command("gpgconf", "--homedir", h, "--kill", "all").Run()
		os.RemoveAll(h)
	}
	homesMu.Unlock()
	os.Exit(code)
}

func needGPG(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("gpg"); err != nil {
		t.Skip("gpg not installed")
	}
}

func newHome(t testing.TB) *gpgHome {
	t.Helper()
	// Short paths: the agent socket must fit in sun_path.
	dir, err := os.MkdirTemp("", "kl")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	homesMu.Lock()
	homes = append(homes, dir)
	homesMu.Unlock()
	return &gpgHome{dir: dir}
}

// gpgAt runs gpg in the home with the given faked time and locale.
func (h *gpgHome) gpgAt(t testing.TB, fake, locale string, stdin []byte, args ...string) []byte {
	t.Helper()
	all := append([]string{"--homedir", h.dir, "--batch", "--no-tty", "--faked-system-time", fake,
		"--pinentry-mode", "loopback", "--passphrase", ""}, args...)
	cmd := exec.Command("gpg", all...)
	cmd.Env = append(os.Environ(), "LC_ALL="+locale, "TZ=UTC", "GNUPGHOME="+h.dir)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("gpg %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes()
}

func (h *gpgHome) gpg(t testing.TB, args ...string) []byte {
	t.Helper()
	return h.gpgAt(t, fakeNow, "C.UTF-8", nil, args...)
}

func (h *gpgHome) fpr(t testing.TB, name string) string {
	t.Helper()
	for _, l := range strings.Split(string(h.gpg(t, "--with-colons", "--list-keys", name)), "\n") {
		if strings.HasPrefix(l, "fpr:") {
			return strings.Split(l, ":")[9]
		}
	}
	t.Fatalf("no fingerprint for %s", name)
	return ""
}

var (
	fixtureOnce sync.Once
	fixture     *gpgHome
	fixtureErr  string
)

// mainHome builds, once, a home with keys covering the listing features:
// several algorithms, subkeys with every usage, multiple and revoked user
// IDs, a UID with ':' and non-ASCII, expired and revoked keys and subkeys.
func mainHome(t *testing.T) *gpgHome {
	needGPG(t)
	fixtureOnce.Do(func() {
		ft := &fatalRecorder{}
		func() {
			defer func() {
				if r := recover(); r != nil && r != ft {
					panic(r)
				}
			}()
			fixture = buildMainHome(ft)
		}()
		fixtureErr = ft.msg
	})
	if fixtureErr != "" {
		t.Fatal(fixtureErr)
	}
	return fixture
}

// fatalRecorder lets the shared fixture be built outside any one test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatal(args ...any) {
	f.msg = fmt.Sprint(args...)
	panic(f)
}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(f)
}

func buildMainHome(t testing.TB) *gpgHome {
	h := newHome(t)
	old := func(args ...string) { h.gpgAt(t, fakeOld, "C.UTF-8", nil, args...) }

	h.gpg(t, "--quick-gen-key", "Alice <alice@example.org>", "ed25519", "default", "2y")
	a := h.fpr(t, "alice@example.org")
	h.gpg(t, "--quick-add-key", a, "cv25519", "encr", "1y")
	h.gpg(t, "--quick-add-uid", a, "Alice Two <alice2@example.org>")

	h.gpg(t, "--quick-gen-key", "Bob <bob@example.org>", "rsa2048", "sign", "0")
	b := h.fpr(t, "bob@example.org")
	h.gpg(t, "--quick-add-key", b, "rsa3072", "encr", "1y")
	h.gpg(t, "--quick-add-key", b, "ed25519", "auth", "0")

	h.gpg(t, "--quick-gen-key", "Carol <carol@example.org>", "nistp256", "default", "0")
	c := h.fpr(t, "carol@example.org")
	h.gpg(t, "--quick-add-key", c, "nistp384", "encr", "0")

	h.gpg(t, "--quick-gen-key", "Dave <dave@example.org>", "ed25519", "default", "1y")
	d := h.fpr(t, "dave@example.org")
	h.gpg(t, "--quick-add-uid", d, "Dave Old <dave@old.example>")
	h.gpg(t, "--quick-revoke-uid", d, "Dave Old <dave@old.example>")

	// Expired a long time ago, with a subkey that has no own expiry.
	old("--quick-gen-key", "Eve Expired <eve@example.org>", "ed25519", "default", "1y")
	e := h.fpr(t, "eve@example.org")
	old("--quick-add-key", e, "cv25519", "encr", "0")

	// Certify-only primary with separate sign/encrypt subkeys, one expired;
	// user IDs with ':' and non-ASCII, '\', a tab and non-Latin-1 text.
	old("--quick-gen-key", "Frank: Ünïcode <frank@example.org>", "ed25519", "cert", "0")
	f := h.fpr(t, "frank@example.org")
	old("--quick-add-key", f, "cv25519", "encr", "1y")
	h.gpg(t, "--quick-add-key", f, "ed25519", "sign", "0")
	h.gpg(t, "--quick-add-key", f, "cv25519", "encr", "0")
	h.gpg(t, "--quick-add-uid", f, "Ωmega € back\\slash <o@example.org>")
	h.gpg(t, "--quick-add-uid", f, "Tab\there <t@example.org>")

	// Revoked key (imported revocation certificate).
	h.gpg(t, "--quick-gen-key", "Rev <rev@example.org>", "ed25519", "default", "0")
	r := h.fpr(t, "rev@example.org")
	h.gpg(t, "--quick-add-key", r, "cv25519", "encr", "0")
	cert, err := os.ReadFile(filepath.Join(h.dir, "openpgp-revocs.d", r+".rev"))
	if err != nil {
		t.Fatal(err)
	}
	cert = bytes.Replace(cert, []byte(":-----BEGIN"), []byte("-----BEGIN"), 1)
	h.gpgAt(t, fakeNow, "C.UTF-8", cert, "--import")

	// A subkey revoked on its own, on a key that is otherwise fine.
	h.gpg(t, "--quick-gen-key", "Gina <gina@example.org>", "ed25519", "default", "3y")
	g := h.fpr(t, "gina@example.org")
	h.gpg(t, "--quick-add-key", g, "cv25519", "encr", "0")
	h.gpg(t, "--quick-add-key", g, "cv25519", "encr", "2y")
	h.gpg(t, "--quick-add-key", g, "rsa2048", "sign,auth", "0")

	// Let the trustdb pick up all user IDs so human listings show their
	// final validity rather than "[ unknown]" for freshly added ones.
	h.gpg(t, "--check-trustdb")
	return h
}

// trustFromGPG reads what the caller of Write would take from its trustdb:
// the tru record and the ownertrust values.
func (h *gpgHome) trust(t *testing.T) (TrustHeader, map[string]byte) {
	t.Helper()
	var th TrustHeader
	for _, l := range strings.Split(string(h.gpg(t, "--with-colons", "--list-keys")), "\n") {
		if strings.HasPrefix(l, "tru:") {
			f := strings.Split(l, ":")
			th.Flags = strings.TrimPrefix(f[1], "o")
			th.Model, _ = strconv.Atoi(f[2])
			th.Created, _ = strconv.ParseInt(f[3], 10, 64)
			th.NextCheck, _ = strconv.ParseInt(f[4], 10, 64)
			if len(f) > 7 {
				th.Marginals, _ = strconv.Atoi(f[5])
				th.Completes, _ = strconv.Atoi(f[6])
				th.CertDepth, _ = strconv.Atoi(f[7])
			}
		}
	}
	own := map[string]byte{}
	for _, l := range strings.Split(string(h.gpg(t, "--export-ownertrust")), "\n") {
		if l == "" || l[0] == '#' {
			continue
		}
		f := strings.Split(l, ":")
		// The low bits are the trust value (6 = ultimate); 128 = disabled.
		if n, _ := strconv.Atoi(f[1]); n&15 == 6 {
			own[f[0]] = 'u'
		}
	}
	return th, own
}

// keys exports the home's keys (public or secret) and annotates them with
// the trust a caller would supply: ultimate for own keys, unknown otherwise
// (none of the fixtures carry certifications).
func (h *gpgHome) keys(t *testing.T, secret bool) ([]Key, TrustHeader) {
	t.Helper()
	var data []byte
	if secret {
		data = h.gpg(t, "--export-secret-keys")
	} else {
		data = h.gpg(t, "--export")
	}
	keys, err := ReadKeyRing(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	th, own := h.trust(t)
	for i := range keys {
		fp := fmt.Sprintf("%X", keys[i].Entity.PrimaryKey.Fingerprint)
		if own[fp] == 'u' {
			keys[i].Validity, keys[i].Ownertrust = 'u', 'u'
		} else {
			keys[i].Validity, keys[i].Ownertrust = '-', '-'
		}
	}
	return keys, th
}

func compare(t *testing.T, name string, want []byte, keys []Key, opt Options) {
	t.Helper()
	var got bytes.Buffer
	if err := Write(&got, keys, opt); err != nil {
		t.Fatalf("%s: Write: %v", name, err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("%s: output differs from gpg\n%s", name, lineDiff(string(want), got.String()))
	}
}

func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	n := max(len(wl), len(gl))
	shown := 0
	for i := 0; i < n && shown < 12; i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			fmt.Fprintf(&b, "line %d\n  gpg: %q\n  got: %q\n", i+1, w, g)
			shown++
		}
	}
	if len(wl) != len(gl) {
		fmt.Fprintf(&b, "(gpg %d lines, got %d)\n", len(wl), len(gl))
	}
	return b.String()
}

func header(h *gpgHome) string { return filepath.Join(h.dir, "pubring.kbx") }

func TestPublicListingsMatchGPG(t *testing.T) {
	t.Parallel()
	h := mainHome(t)
	keys, th := h.keys(t, false)
	base := Options{Now: testNow, Homedir: header(h), Trust: th}

	cases := []struct {
		name string
		args []string
		mod  func(*Options)
	}{
		{"list-keys", []string{"--list-keys"}, nil},
		{"colons", []string{"--with-colons", "--list-keys"}, func(o *Options) { o.Colons = true }},
		{"fingerprint", []string{"--fingerprint"}, func(o *Options) { o.Fingerprints = 1 }},
		{"fingerprint x2", []string{"--fingerprint", "--fingerprint"}, func(o *Options) { o.Fingerprints = 2 }},
		{"with-fingerprint list-keys", []string{"--with-fingerprint", "--list-keys"}, func(o *Options) { o.Fingerprints = 1 }},
		{"colons fpr x2", []string{"--with-colons", "--with-fingerprint", "--with-fingerprint", "--list-keys"},
			func(o *Options) { o.Colons = true; o.Fingerprints = 2 }},
		{"keyid long", []string{"--keyid-format", "long", "--list-keys"}, func(o *Options) { o.KeyIDFormat = "long" }},
		{"keyid short", []string{"--keyid-format", "short", "--list-keys"}, func(o *Options) { o.KeyIDFormat = "short" }},
		{"keyid 0xlong", []string{"--keyid-format", "0xlong", "--list-keys"}, func(o *Options) { o.KeyIDFormat = "0xlong" }},
		{"keyid 0xshort fpr", []string{"--keyid-format", "0xshort", "--fingerprint"},
			func(o *Options) { o.KeyIDFormat = "0xshort"; o.Fingerprints = 1 }},
		{"keyid long fpr x2", []string{"--keyid-format", "long", "--fingerprint", "--fingerprint"},
			func(o *Options) { o.KeyIDFormat = "long"; o.Fingerprints = 2 }},
		{"with-keygrip", []string{"--with-keygrip", "--list-keys"}, func(o *Options) { o.WithKeygrip = true }},
		{"colons with-keygrip", []string{"--with-colons", "--with-keygrip", "--list-keys"},
			func(o *Options) { o.Colons = true; o.WithKeygrip = true }},
	}
	for _, c := range cases {
		opt := base
		if c.mod != nil {
			c.mod(&opt)
		}
		compare(t, c.name, h.gpg(t, c.args...), keys, opt)
	}

	// Listing by name: no resource header.
	one := []Key{keys[0]}
	compare(t, "by name", h.gpg(t, "--list-keys", "alice@example.org"), one,
		Options{Now: testNow})
	compare(t, "by name colons", h.gpg(t, "--with-colons", "--list-keys", "alice@example.org"), one,
		Options{Now: testNow, Colons: true, Trust: th})

	// LC_ALL=C makes gpg print user IDs in Latin-1.
	compare(t, "latin1", h.gpgAt(t, fakeNow, "C", nil, "--list-keys"), keys,
		Options{Now: testNow, Homedir: header(h), Charset: "iso-8859-1"})
}

func TestSecretListingsMatchGPG(t *testing.T) {
	t.Parallel()
	h := mainHome(t)
	keys, th := h.keys(t, true)
	base := Options{Now: testNow, Homedir: header(h), Secret: true}

	compare(t, "-K", h.gpg(t, "--list-secret-keys"), keys, base)
	opt := base
	opt.Colons = true
	compare(t, "-K colons", h.gpg(t, "--with-colons", "--list-secret-keys"), keys, opt)
	opt = base
	opt.Fingerprints = 2
	opt.KeyIDFormat = "long"
	compare(t, "-K fpr x2 long", h.gpg(t, "--keyid-format", "long", "--fingerprint", "--fingerprint",
		"--list-secret-keys"), keys, opt)

	// --with-secret marks secret availability in a public listing.
	pub, _ := h.keys(t, false)
	for i := range pub {
		pub[i].Secret = keys[i].Secret
	}
	compare(t, "with-secret colons", h.gpg(t, "--with-colons", "--with-secret", "--list-keys"), pub,
		Options{Now: testNow, Colons: true, WithSecret: true, Trust: th})
}

// A second home that only imported keys: unknown validity and ownertrust,
// and (from --export-secret-subkeys) primary keys without secret parts.
func TestImportedHomeMatchesGPG(t *testing.T) {
	t.Parallel()
	src := mainHome(t)
	h := newHome(t)
	subOnly := src.gpg(t, "--export-secret-subkeys", "alice@example.org", "bob@example.org")
	h.gpgAt(t, fakeNow, "C.UTF-8", subOnly, "--import")
	pubs := src.gpg(t, "--export", "carol@example.org", "frank@example.org")
	h.gpgAt(t, fakeNow, "C.UTF-8", pubs, "--import")

	keys, th := h.keys(t, false)
	base := Options{Now: testNow, Homedir: header(h), Trust: th}
	compare(t, "imported list-keys", h.gpg(t, "--list-keys"), keys, base)
	opt := base
	opt.Colons = true
	compare(t, "imported colons", h.gpg(t, "--with-colons", "--list-keys"), keys, opt)

	skeys, _ := h.keys(t, true)
	sopt := Options{Now: testNow, Homedir: header(h), Secret: true}
	compare(t, "sec# list", h.gpg(t, "--list-secret-keys"), skeys, sopt)
	sopt.Colons = true
	compare(t, "sec# colons", h.gpg(t, "--with-colons", "--list-secret-keys"), skeys, sopt)
}

// DSA/ElGamal, brainpool, secp256k1 and nistp521 keys (bits, curve names,
// de-vs compliance flags, keygrips) and a key disabled in the trustdb.
func TestMoreAlgorithmsMatchGPG(t *testing.T) {
	t.Parallel()
	needGPG(t)
	h := newHome(t)
	h.gpg(t, "--quick-gen-key", "Dee <dee@example.org>", "dsa2048", "default", "0")
	h.gpg(t, "--quick-add-key", h.fpr(t, "dee@example.org"), "elg2048", "encr", "0")
	h.gpg(t, "--quick-gen-key", "Bea <bea@example.org>", "brainpoolP256r1", "default", "0")
	h.gpg(t, "--quick-add-key", h.fpr(t, "bea@example.org"), "brainpoolP384r1", "encr", "0")
	h.gpg(t, "--quick-gen-key", "Bo <bo@example.org>", "brainpoolP512r1", "default", "0")
	h.gpg(t, "--quick-gen-key", "Kay <kay@example.org>", "secp256k1", "default", "0")
	h.gpg(t, "--quick-gen-key", "Nia <nia@example.org>", "nistp521", "default", "0")
	h.gpgAt(t, fakeNow, "C.UTF-8", []byte("disable\nsave\n"), "--command-fd", "0", "--edit-key", "dee@example.org")
	h.gpg(t, "--check-trustdb")

	keys, th := h.keys(t, false)
	for i := range keys {
		if _, ok := keys[i].Entity.Identities["Dee <dee@example.org>"]; ok {
			keys[i].Disabled = true
		}
	}
	base := Options{Now: testNow, Homedir: header(h), Trust: th}
	compare(t, "list-keys", h.gpg(t, "--list-keys"), keys, base)
	opt := base
	opt.Colons, opt.WithKeygrip = true, true
	compare(t, "colons keygrip", h.gpg(t, "--with-colons", "--with-keygrip", "--list-keys"), keys, opt)
}

// A primary-uid flag on an older user ID wins over newer ones, a revoked
// subkey disappears from the human listing, and re-signing changes the user
// ID dates gpg reports.
func TestPrimaryUIDAndRevokedSubkey(t *testing.T) {
	t.Parallel()
	needGPG(t)
	h := newHome(t)
	const t1, t2 = "20250102T000000!", "20250103T000000!"
	h.gpg(t, "--quick-gen-key", "Hal <hal@example.org>", "ed25519", "default", "0")
	f := h.fpr(t, "hal@example.org")
	h.gpg(t, "--quick-add-key", f, "cv25519", "encr", "0")
	h.gpg(t, "--quick-add-key", f, "cv25519", "encr", "0")
	h.gpg(t, "--quick-add-uid", f, "Hal Longer Name <hal2@example.org>")
	h.gpgAt(t, t1, "C.UTF-8", nil, "--quick-add-uid", f, "Hal Newest <hal3@example.org>")
	h.gpgAt(t, t1, "C.UTF-8", []byte("key 1\nrevkey\ny\n0\n\ny\nsave\n"), "--command-fd", "0", "--edit-key", f)
	h.gpgAt(t, t2, "C.UTF-8", nil, "--quick-set-primary-uid", f, "Hal <hal@example.org>")
	h.gpgAt(t, t2, "C.UTF-8", nil, "--check-trustdb")

	keys, th := h.keys(t, false)
	now := time.Unix(nowEpoch+2*86400, 0)
	list := func(args ...string) []byte { return h.gpgAt(t, t2, "C.UTF-8", nil, args...) }
	compare(t, "list-keys", list("--list-keys"), keys, Options{Now: now, Homedir: header(h)})
	compare(t, "colons", list("--with-colons", "--list-keys"), keys, Options{Now: now, Colons: true, Trust: th})

	// Without the keyblock order, the primary user ID still comes first and
	// the same records are printed; the other user IDs are ordered by their
	// first self-signature, which need not be gpg's stored order (gpg moves
	// the then-primary user ID to the front whenever it rewrites a keyblock).
	keys[0].UIDOrder = nil
	var got bytes.Buffer
	if err := Write(&got, keys, Options{Now: now, Colons: true, Trust: th}); err != nil {
		t.Fatal(err)
	}
	want := string(list("--with-colons", "--list-keys"))
	if sortedLines(got.String()) != sortedLines(want) {
		t.Errorf("records differ without UIDOrder\n%s", lineDiff(want, got.String()))
	}
	if gl, wl := strings.Split(got.String(), "\n"), strings.Split(want, "\n"); gl[3] != wl[3] {
		t.Errorf("primary user ID not first: %q vs %q", gl[3], wl[3])
	}
}

func sortedLines(s string) string {
	l := strings.Split(s, "\n")
	sort.Strings(l)
	return strings.Join(l, "\n")
}
