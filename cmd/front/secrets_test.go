package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
	data := filepath.Join(home, "data")
	os.WriteFile(data, []byte("payload\n"), 0o644)
	trace := filepath.Join(t.TempDir(), "trace")
	cmd := exec.Command("strace", "-f", "-qq", "-e", "trace=openat,open,execve,clone,clone3,fork,vfork", "-o", trace,
		gpg, "--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "pw", "-b", "-o", data+".sig", data)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("strace sign: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^(\d+)\s+(\w+)\((.*)$`)
	cloneResult := regexp.MustCompile(`= (\d+)$`)
	helpers := map[string]bool{}
	var front string
	secretOpens := 0
	for _, l := range strings.Split(string(raw), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		pid, call, rest := m[1], m[2], m[3]
		if front == "" {
			front = pid
		}
		if call == "execve" && strings.Contains(rest, "keyhelper") && !strings.Contains(l, "= -1") {
			helpers[pid] = true
		}
		// Threads and children of a keyhelper are keyhelper too.
		if c := cloneResult.FindStringSubmatch(l); c != nil && strings.HasPrefix(call, "clone") && helpers[pid] {
			helpers[c[1]] = true
		}
		if (call == "openat" || call == "open") && strings.Contains(rest, "private-keys.d/") && strings.Contains(rest, ".key") {
			if !helpers[pid] {
				t.Errorf("pid %s (front is %s) opened a secret key file: %s", pid, front, l)
			}
			if !strings.Contains(l, "= -1") {
				secretOpens++
			}
		}
	}
	if len(helpers) == 0 || secretOpens == 0 {
		t.Fatalf("positive control failed: %d keyhelper execs, %d secret key opens seen\n%s", len(helpers), secretOpens, raw)
	}
}
