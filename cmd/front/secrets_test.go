package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/frontpgp/front/internal/gpghome"
)

// buildBinaries builds front and keyhelper side by side, as installed.
func buildBinaries(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, pkg := range []string{".", "../keyhelper"} {
		out, err := exec.Command("go", "build", "-o", dir, pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, out)
		}
	}
	if err := os.Symlink("front", filepath.Join(dir, "gpg")); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "gpg")
}

// TestFrontNeverOpensSecretKeys signs under strace -f and checks that every
// open of a secret key file comes from a keyhelper process, never front.
func TestFrontNeverOpensSecretKeys(t *testing.T) {
	if _, err := exec.LookPath("strace"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("strace missing in CI")
		}
		t.Skip("strace not installed")
	}
	gpg := buildBinaries(t)
	home := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(gpg, append([]string{"--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "pw"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	run("--quick-gen-key", "Test <t@example.org>", "default", "default", "1y")
	helpers, opens := traceSign(t, gpg, home, "private-keys.d/")
	secretOpens := 0
	for _, o := range opens {
		if !strings.Contains(o.line, ".key") {
			continue
		}
		if !helpers[o.pid] {
			t.Errorf("pid %s opened a secret key file: %s", o.pid, o.line)
		}
		if o.ok {
			secretOpens++
		}
	}
	if len(helpers) == 0 || secretOpens == 0 {
		t.Fatalf("positive control failed: %d keyhelper execs, %d secret key opens seen", len(helpers), secretOpens)
	}
}

// traceSign makes a detached signature of a file in home with gpg (front)
// under strace -f and returns traceOpens of the log for sub; the
// signature is home/data.sig.
func traceSign(t *testing.T, gpg, home, sub string) (map[string]bool, []traceOpen) {
	t.Helper()
	data := filepath.Join(home, "data")
	os.WriteFile(data, []byte("payload\n"), 0o644)
	trace := filepath.Join(t.TempDir(), "trace")
	cmd := exec.Command("strace", "-f", "-qq", "-e", "trace=openat,open,execve,clone,clone3,fork,vfork", "-o", trace,
		gpg, "--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "pw", "-b", "-o", data+".sig", data)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("strace sign: %v\n%s", err, out)
	}
	return traceOpens(t, trace, sub)
}

// traceOpen is one open(2) of a path containing the traced substring.
type traceOpen struct {
	pid, line string
	ok        bool // it succeeded
}

// traceOpens reads an strace -f log of opens, execs and clones: the pids
// that are keyhelper (an execve of it, and its threads and children) and
// the opens of paths containing sub.
func traceOpens(t *testing.T, trace, sub string) (map[string]bool, []traceOpen) {
	t.Helper()
	raw, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^(\d+)\s+(\w+)\((.*)$`)
	cloneResult := regexp.MustCompile(`= (\d+)$`)
	helpers := map[string]bool{}
	var opens []traceOpen
	for _, l := range strings.Split(string(raw), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		pid, call, rest := m[1], m[2], m[3]
		if call == "execve" && strings.Contains(rest, "keyhelper") && !strings.Contains(l, "= -1") {
			helpers[pid] = true
		}
		// Threads and children of a keyhelper are keyhelper too.
		if c := cloneResult.FindStringSubmatch(l); c != nil && strings.HasPrefix(call, "clone") && helpers[pid] {
			helpers[c[1]] = true
		}
		if (call == "openat" || call == "open") && strings.Contains(rest, sub) {
			opens = append(opens, traceOpen{pid: pid, line: l, ok: !strings.Contains(l, "= -1")})
		}
	}
	return helpers, opens
}

// TestGnuPGKeyFilesReadOnly moves into a home gpg 2.2.40 made and signs
// with its key under strace -f: only keyhelper opens GnuPG's key files,
// always read-only, and GnuPG's files are unchanged.
func TestGnuPGKeyFilesReadOnly(t *testing.T) {
	for _, p := range []string{"strace", "gpg", "sha256sum"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skip(p + " not installed")
		}
	}
	gpg := buildBinaries(t)
	home := gpghome.New(t, "/tmp", "gnupg-home-")
	gen := exec.Command("gpg", "--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "pw",
		"--quick-gen-key", "GnuPG <g@example.org>", "future-default", "default", "never")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("gpg: %v\n%s", err, out)
	}
	exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
	sums := func() string {
		out, err := exec.Command("sh", "-c", "cd "+home+" && sha256sum pubring.kbx trustdb.gpg private-keys-v1.d/*").Output()
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	before := sums()
	// the first run imports (keyhelper lists and records GnuPG's keys),
	// then signs with the GnuPG-kept key
	helpers, opens := traceSign(t, gpg, home, "private-keys-v1.d")
	fileOpens := 0
	for _, o := range opens {
		if !helpers[o.pid] {
			t.Errorf("pid %s, not keyhelper, opened in GnuPG's key directory: %s", o.pid, o.line)
		}
		if strings.Contains(o.line, "O_WRONLY") || strings.Contains(o.line, "O_RDWR") || strings.Contains(o.line, "O_CREAT") {
			t.Errorf("GnuPG's key directory opened for writing: %s", o.line)
		}
		if o.ok && strings.Contains(o.line, ".key") {
			fileOpens++
		}
	}
	// positive control: keyhelper did read GnuPG's key files (list,
	// record, sign), and the signature exists
	if len(helpers) < 2 || fileOpens < 3 {
		t.Fatalf("positive control failed: %d keyhelper processes, %d key file opens", len(helpers), fileOpens)
	}
	if _, err := os.Stat(filepath.Join(home, "data.sig")); err != nil {
		t.Fatal(err)
	}
	if after := sums(); after != before {
		t.Errorf("GnuPG's files changed:\n%s\n%s", before, after)
	}
}
