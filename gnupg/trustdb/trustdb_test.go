package trustdb

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/frontpgp/front/internal/gpghome"
)

// The trustdb files here are written by the real gpg 2.2; its
// --export-ownertrust of the same file is the expectation.

func gpgHome(t *testing.T) (string, func(stdin string, args ...string) []byte) {
	t.Helper()
	if _, err := exec.LookPath("gpg"); err != nil {
		t.Skip("gpg not installed")
	}
	dir := gpghome.New(t, "", "tdb")
	return dir, func(stdin string, args ...string) []byte {
		t.Helper()
		cmd := exec.Command("gpg", append([]string{"--homedir", dir, "--batch", "--passphrase", "", "--pinentry-mode", "loopback"}, args...)...)
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("gpg %v: %v", args, err)
		}
		return out
	}
}

var fprRE = regexp.MustCompile(`(?m)^fpr:+([0-9A-F]{40}):`)

// exportLines is gpg --export-ownertrust without its comment lines.
func exportLines(out []byte) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(string(out), "\n") {
		if l != "" && l[0] != '#' {
			b.WriteString(l)
		}
	}
	return b.String()
}

func ours(db *DB) string {
	var b strings.Builder
	for _, o := range db.Ownertrust {
		fmt.Fprintf(&b, "%X:%d:\n", o.Fingerprint, o.Value)
	}
	return b.String()
}

func TestParseGnuPGTrustdb(t *testing.T) {
	home, gpg := gpgHome(t)
	var fprs []string
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		gpg("", "--quick-gen-key", name+" <"+name+"@example.org>", "ed25519", "default", "never")
		fprs = append(fprs, string(fprRE.FindSubmatch(gpg("", "--with-colons", "-k", name+"@example.org"))[1]))
	}
	// f comes from elsewhere, without ownertrust
	otherHome, other := gpgHome(t)
	other("", "--quick-gen-key", "f <f@example.org>", "ed25519", "default", "never")
	fprs = append(fprs, string(fprRE.FindSubmatch(other("", "--with-colons", "-k"))[1]))
	fKey := filepath.Join(otherHome, "f.pgp")
	other("", "-o", fKey, "--export")
	gpg("", "--import", fKey)
	// every ownertrust value, a disabled key, and a key trusted only
	// through --trusted-key (gpg does not export that one)
	gpg(fmt.Sprintf("%s:2:\n%s:3:\n%s:4:\n%s:5:\n", fprs[1], fprs[2], fprs[3], fprs[4]), "--import-ownertrust")
	gpg("", "--quick-set-expire", fprs[0], "0") // a write to the keyring in between
	gpg("disable\nsave\n", "--command-fd", "0", "--edit-key", fprs[3])
	gpg("", "--trusted-key", fprs[5][24:], "--check-trustdb")
	data, err := os.ReadFile(filepath.Join(home, "trustdb.gpg"))
	if err != nil {
		t.Fatal(err)
	}
	if len(data)%RecordLen != 0 {
		t.Fatalf("trustdb of %d bytes", len(data))
	}
	db, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	want := exportLines(gpg("", "--export-ownertrust"))
	if got := ours(db); got != want {
		t.Fatalf("ours:\n%sgpg --export-ownertrust:\n%s", got, want)
	}
	if !strings.Contains(want, fprs[3]+":132:") || strings.Contains(want, fprs[5]) {
		t.Fatalf("the test does not cover the disabled flag and --trusted-key:\n%s", want)
	}
	if db.TrustModel != ModelPGP || db.Created == 0 {
		t.Errorf("version record: model %d, created %d", db.TrustModel, db.Created)
	}

	// An unknown record type ends gpg's export there, and our reading.
	bad := append([]byte(nil), data...)
	last := -1
	for off := RecordLen; off < len(bad); off += RecordLen {
		if bad[off] == recTrust && bad[off+22] != 0 {
			last = off
		}
	}
	bad[last] = 99
	os.WriteFile(filepath.Join(home, "trustdb.gpg"), bad, 0o600)
	// gpg prints what it read, then fails
	cmd := exec.Command("gpg", "--homedir", home, "--export-ownertrust")
	out, err := cmd.Output()
	if err == nil {
		t.Fatal("gpg exported a bad trustdb without an error")
	}
	wantBad := exportLines(out)
	db, err = Parse(bad)
	if err == nil || ours(db) != wantBad {
		t.Fatalf("bad record: %v\nours:\n%sgpg:\n%s", err, ours(db), wantBad)
	}
}

func TestHostileTrustdb(t *testing.T) {
	if db, err := Parse(nil); err != nil || len(db.Ownertrust) != 0 {
		t.Fatal("an empty trustdb is no error")
	}
	ver := make([]byte, RecordLen)
	ver[0] = recVersion
	copy(ver[1:], "gpg")
	ver[4] = 3
	for name, data := range map[string][]byte{
		"short":        ver[:39],
		"not gpg":      append([]byte{1, 'p', 'g', 'p', 3}, ver[5:]...),
		"version 2":    append(append([]byte(nil), ver[:4]...), append([]byte{2}, ver[5:]...)...),
		"second ver":   append(append([]byte(nil), ver...), ver...),
		"over the cap": append(append([]byte(nil), ver...), make([]byte, MaxFile)...),
	} {
		if _, err := Parse(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		d := append([]byte(nil), ver...)
		d = append(d, make([]byte, RecordLen*(1+rng.Intn(5))+rng.Intn(40))...)
		for j := RecordLen; j < len(d); j++ {
			d[j] = byte(rng.Intn(256))
		}
		checkInvariants(t, d)
	}
}

// checkInvariants: Parse never panics; every value it returns is a
// nonzero trust record value found in the input.
func checkInvariants(t testing.TB, data []byte) {
	db, _ := Parse(data)
	if db == nil {
		return
	}
	for _, o := range db.Ownertrust {
		if o.Value == 0 || !bytes.Contains(data, o.Fingerprint[:]) {
			t.Fatalf("value not from the input: %+v", o)
		}
	}
}

func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("testdata/trustdb.gpg"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkInvariants(t, data) })
}
