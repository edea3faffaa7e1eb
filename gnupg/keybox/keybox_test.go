package keybox

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/frontpgp/front/internal/gpghome"
)

// The keyboxes here are written by the real GnuPG 2.2 (gpg for OpenPGP
// keys, gpgsm for an X.509 certificate); gpg's own listing of the same
// file is the expectation.

func gpgHome(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"gpg", "gpgsm", "gpgconf", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " not installed")
		}
	}
	return gpghome.New(t, "", "kbx") // short: agent socket paths
}

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return out
}

var fprRE = regexp.MustCompile(`(?m)^fpr:+([0-9A-F]{40}):`)

// primaries lists the primary fingerprints of a colon listing.
func primaries(colons []byte) []string {
	var out []string
	prevPub := false
	for _, line := range bytes.Split(colons, []byte("\n")) {
		if m := fprRE.FindSubmatch(line); m != nil && prevPub {
			out = append(out, string(m[1]))
		}
		prevPub = bytes.HasPrefix(line, []byte("pub:"))
	}
	return out
}

// realKeybox makes a pubring.kbx with three OpenPGP keys and an X.509
// certificate between them.
func realKeybox(t *testing.T) (home string, data []byte) {
	home = gpgHome(t)
	gpg := func(args ...string) []byte {
		return run(t, "gpg", append([]string{"--homedir", home, "--batch", "--passphrase", "", "--pinentry-mode", "loopback"}, args...)...)
	}
	gpg("--quick-gen-key", "one <one@example.org>", "ed25519", "default", "never")
	run(t, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", filepath.Join(home, "x.key"), "-out", filepath.Join(home, "x.pem"), "-subj", "/CN=x509", "-days", "30")
	run(t, "gpgsm", "--homedir", home, "--batch", "--import", filepath.Join(home, "x.pem"))
	gpg("--quick-gen-key", "two <two@example.org>", "ed25519", "default", "never")
	gpg("--quick-gen-key", "three <three@example.org>", "ed25519", "default", "never")
	data, err := os.ReadFile(filepath.Join(home, "pubring.kbx"))
	if err != nil {
		t.Fatal(err)
	}
	return home, data
}

func TestReadGnuPGKeybox(t *testing.T) {
	home, data := realKeybox(t)
	if !IsKeybox(data) {
		t.Fatal("gpg's pubring.kbx not recognised")
	}
	want := primaries(run(t, "gpg", "--homedir", home, "--with-colons", "-k"))
	if len(want) != 3 {
		t.Fatalf("gpg lists %d keys", len(want))
	}
	c, err := Read(data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Skipped != 0 || len(c.Keyblocks) != 3 {
		t.Fatalf("%d keyblocks, %d skipped", len(c.Keyblocks), c.Skipped)
	}
	// gpg itself reads the keyblocks we cut out: the same keys in order.
	ring := filepath.Join(home, "out.pgp")
	os.WriteFile(ring, bytes.Join(c.Keyblocks, nil), 0o600)
	got := primaries(run(t, "gpg", "--homedir", home, "--with-colons", "--show-keys", ring))
	if !equal(got, want) {
		t.Fatalf("keyblocks hold %v, gpg lists %v", got, want)
	}

	// A blob flagged ephemeral is skipped, by gpg's listing as by Read.
	eph := append([]byte(nil), data...)
	first := openpgpBlobs(t, eph)[0]
	binary.BigEndian.PutUint16(eph[first+6:], binary.BigEndian.Uint16(eph[first+6:])|flagEphemeral)
	os.WriteFile(filepath.Join(home, "pubring.kbx"), eph, 0o600)
	wantEph := primaries(run(t, "gpg", "--homedir", home, "--with-colons", "-k"))
	c, err = Read(eph)
	if err != nil || c.Skipped != 1 || len(c.Keyblocks) != 2 || !equal(wantEph, want[1:]) {
		t.Fatalf("ephemeral blob: %v, %d keyblocks, %d skipped; gpg lists %v", err, len(c.Keyblocks), c.Skipped, wantEph)
	}
}

// openpgpBlobs returns the offsets of the OpenPGP blobs.
func openpgpBlobs(t *testing.T, data []byte) []int {
	var out []int
	for off := 0; off < len(data); off += int(binary.BigEndian.Uint32(data[off:])) {
		if data[off+4] == typeOpenPGP {
			out = append(out, off)
		}
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHostileKeybox(t *testing.T) {
	_, good := realKeybox(t)
	blob := openpgpBlobs(t, good)[0]
	patch := func(off int, b ...byte) []byte {
		d := append([]byte(nil), good...)
		copy(d[off:], b)
		return d
	}
	for name, data := range map[string][]byte{
		"truncated":         good[:len(good)-3],
		"length under 5":    patch(blob, 0, 0, 0, 4),
		"blob past end":     patch(blob, 0x7f, 0, 0, 0),
		"image outside":     patch(blob+12, 0xff, 0xff, 0, 0),
		"offset outside":    patch(blob+8, 0x7f, 0xff, 0xff, 0xff),
		"unknown type":      patch(blob+4, 9),
		"unknown version":   patch(blob+5, 2),
		"empty keyblock":    patch(blob+12, 0, 0, 0, 0),
		"over the file cap": append(append([]byte(nil), good...), make([]byte, MaxFile)...),
	} {
		if _, err := Read(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// a blob over gpg's limit is skipped like gpg skips it, the rest read
	big := make([]byte, MaxBlob+1)
	binary.BigEndian.PutUint32(big, uint32(len(big)))
	big[4], big[5] = typeOpenPGP, 1
	c, err := Read(append(append([]byte(nil), good...), big...))
	if err != nil || c.Skipped != 1 || len(c.Keyblocks) != 3 {
		t.Errorf("oversized blob: %v", err)
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 5000; i++ {
		d := append([]byte(nil), good...)
		for j := 0; j < 1+rng.Intn(4); j++ {
			d[rng.Intn(len(d))] = byte(rng.Intn(256))
		}
		checkInvariants(t, d)
	}
}

// checkInvariants: Read never panics and every keyblock lies inside the
// input.
func checkInvariants(t testing.TB, data []byte) {
	c, err := Read(data)
	if err != nil {
		return
	}
	for _, b := range c.Keyblocks {
		if len(b) == 0 || !bytes.Contains(data, b) {
			t.Fatalf("keyblock not from the input")
		}
	}
}

func FuzzRead(f *testing.F) {
	if data, err := os.ReadFile("testdata/pubring.kbx"); err == nil {
		f.Add(data)
	}
	f.Add([]byte{0, 0, 0, 32, 1, 1, 0, 2, 'K', 'B', 'X', 'f'})
	f.Fuzz(func(t *testing.T, data []byte) { checkInvariants(t, data) })
}
