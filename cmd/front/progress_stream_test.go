package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// progressLines returns the PROGRESS status lines of out.
func progressLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "[GNUPG:] PROGRESS ") {
			lines = append(lines, l)
		}
	}
	return lines
}

// progressShape keeps the first line (count 0) and the last one of a
// PROGRESS sequence and checks the lines between: gpg writes one whenever
// the wall-clock second changed, so how many there are depends on timing,
// but each names the same input, total and unit with a count in between.
func progressShape(t *testing.T, who string, lines []string) []string {
	t.Helper()
	if len(lines) < 2 {
		t.Fatalf("%s: %d PROGRESS lines: %q", who, len(lines), lines)
	}
	first, last := strings.Fields(lines[0]), strings.Fields(lines[len(lines)-1])
	end, _ := strconv.ParseUint(last[4], 10, 64)
	for _, l := range lines[1 : len(lines)-1] {
		f := strings.Fields(l)
		cur, err := strconv.ParseUint(f[4], 10, 64)
		// Without a total the unit follows the count, so only counts in
		// the last line's unit compare.
		if len(f) != len(first) || f[2] != first[2] || f[5] != first[5] || err != nil || (f[6] == last[6] && cur > end) {
			t.Errorf("%s: intermediate line %q does not fit %q ... %q", who, l, lines[0], lines[len(lines)-1])
		}
	}
	return []string{lines[0], lines[len(lines)-1]}
}

// runOurs runs front in-process with stdin from a file (when stdinFile is
// set) and returns its exit code, stdout and stderr.
func runOurs(t *testing.T, stdinFile string, args ...string) (int, string, string) {
	t.Helper()
	if stdinFile != "" {
		f, err := os.Open(stdinFile)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		saved := os.Stdin
		os.Stdin = f
		defer func() { os.Stdin = saved }()
	}
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"gpg"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// PROGRESS lines as gpg 2.2.40 writes them for the same inputs: the input's
// name (cut to 20 bytes, "stdin" for standard input), the count scaled
// with the total (or without one, with itself) below 1 MiB, the unit, and a
// first line at 0 and a last one at the end.
// peers runs gpg and ours (built binaries) side by side in a temporary
// directory that is the current one, each with its own home holding the
// same key: gpg has the secret, ours the public part.
type peers struct {
	gpg, ours        string
	gpgHome, ourHome string
}

func newPeers(t *testing.T) *peers {
	t.Helper()
	gpg, err := exec.LookPath("gpg")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("gpg missing in CI")
		}
		t.Skip("gpg not installed")
	}
	p := &peers{gpg: gpg, ours: buildBinaries(t)} // before the change of directory: it runs go build
	dir := t.TempDir()
	t.Chdir(dir)
	p.gpgHome, p.ourHome = filepath.Join(dir, "gpg-home"), filepath.Join(dir, "our-home")
	for _, h := range []string{p.gpgHome, p.ourHome} {
		if err := os.Mkdir(h, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { exec.Command("gpgconf", "--homedir", p.gpgHome, "--kill", "all").Run() })
	p.mustGPG(t, "", "--passphrase", "", "--pinentry-mode", "loopback", "--quick-gen-key", "Progress <p@example.org>", "ed25519", "sign", "never")
	p.mustGPG(t, "", "--passphrase", "", "--pinentry-mode", "loopback", "--quick-add-key", gpgFingerprint(t, p.mustGPG(t, "", "--with-colons", "--list-keys")), "cv25519", "encr", "never")
	p.mustGPG(t, "", "-o", "key.pub", "--export")
	p.mustOurs(t, "", "--import", "key.pub")
	return p
}

// run runs one of them with the status on stdout and returns it, stderr
// and the exit code.
func (p *peers) run(t *testing.T, ours bool, stdin string, args ...string) (string, string, int) {
	t.Helper()
	bin, home := p.gpg, p.gpgHome
	if ours {
		bin, home = p.ours, p.ourHome
	}
	cmd := exec.Command(bin, append([]string{"--homedir", home, "--batch", "--yes", "--status-fd", "1"}, args...)...)
	if stdin != "" {
		f, err := os.Open(stdin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd.Stdin = f
	}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
}

func (p *peers) must(t *testing.T, ours bool, stdin string, args ...string) string {
	t.Helper()
	out, stderr, code := p.run(t, ours, stdin, args...)
	if code != 0 {
		t.Fatalf("ours=%v %q: exit %d\n%s", ours, args, code, stderr)
	}
	return out
}

func (p *peers) mustGPG(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	return p.must(t, false, stdin, args...)
}

func (p *peers) mustOurs(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	return p.must(t, true, stdin, args...)
}

func TestProgressStatusLikeGPG(t *testing.T) {
	p := newPeers(t)
	data := make([]byte, 3000000)
	rand.Read(data)
	long := "a-rather-long-input-file-name.bin"
	for _, name := range []string{"p3", long} {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile("small", []byte("tiny"), 0o644); err != nil {
		t.Fatal(err)
	}
	p.mustGPG(t, "", "-o", "p3.sig", "-b", "p3")
	enc := []string{"--enable-progress-filter", "--always-trust", "-z", "0", "-r", "p@example.org"}
	sym := []string{"--enable-progress-filter", "--passphrase", "pw", "--pinentry-mode", "loopback", "-z", "0"}
	cases := []struct {
		name  string
		stdin string
		args  []string
	}{
		{"encrypt a file", "", append(enc, "-o", "out1", "-e", "p3")},
		{"a long file name", "", append(enc, "-o", "out2", "-e", long)},
		{"a small file", "", append(enc, "-o", "out3", "-e", "small")},
		{"stdin", "p3", append(enc, "-o", "out4", "-e")},
		{"stdin with a size hint", "p3", append(enc, "--input-size-hint", "3000000", "-o", "out5", "-e")},
		{"verify signature and data", "", []string{"--enable-progress-filter", "--verify", "p3.sig", "p3"}},
		{"verify data on stdin", "p3", []string{"--enable-progress-filter", "--verify", "p3.sig", "-"}},
		{"symmetric", "", append(sym, "-o", "out6", "-c", "p3")},
		{"decrypt", "", append(sym, "-o", "out7", "-d", "out6")},
	}
	for _, c := range cases {
		out := p.mustGPG(t, c.stdin, c.args...)
		// ours runs second: out6 is then its own, which both decrypt
		stdout := p.mustOurs(t, c.stdin, c.args...)
		// Each input has its own sequence (verify: signature, then data).
		want, got := splitByInput(progressLines(out)), splitByInput(progressLines(stdout))
		if len(got) != len(want) {
			t.Fatalf("%s: ours reports %d inputs, gpg %d:\nours: %q\ngpg:  %q", c.name, len(got), len(want), progressLines(stdout), progressLines(out))
		}
		for i := range want {
			w := progressShape(t, c.name+" (gpg)", want[i])
			g := progressShape(t, c.name+" (ours)", got[i])
			if strings.Join(g, "\n") != strings.Join(w, "\n") {
				t.Errorf("%s:\nours: %q\ngpg:  %q", c.name, g, w)
			}
		}
	}
	// Without --enable-progress-filter or without status output: none.
	if stdout := p.mustOurs(t, "", "--always-trust", "-r", "p@example.org", "-o", "out8", "-e", "p3"); len(progressLines(stdout)) > 0 {
		t.Errorf("PROGRESS without --enable-progress-filter: %q", progressLines(stdout))
	}
}

// splitByInput cuts PROGRESS lines into one run per input (the name field).
func splitByInput(lines []string) [][]string {
	var runs [][]string
	prev := ""
	for _, l := range lines {
		name := strings.Fields(l)[2]
		if len(runs) == 0 || name != prev {
			runs = append(runs, nil)
		}
		runs[len(runs)-1] = append(runs[len(runs)-1], l)
		prev = name
	}
	return runs
}

func gpgFingerprint(t *testing.T, colons string) string {
	t.Helper()
	for _, l := range strings.Split(colons, "\n") {
		if f := strings.Split(l, ":"); f[0] == "fpr" {
			return f[9]
		}
	}
	t.Fatalf("no fingerprint in %q", colons)
	return ""
}

// fakeProgressClock advances by step at every reading.
func fakeProgressClock(t *testing.T, step time.Duration) {
	var ticks atomic.Int64
	start := time.Now()
	saved := progressClock
	progressClock = func() time.Time { return start.Add(time.Duration(ticks.Add(1)) * step) }
	t.Cleanup(func() { progressClock = saved })
}

// The line on stderr appears only on a terminal, and not with --quiet or
// --batch; everything else written to stderr erases it first.
func TestProgressTerminalLine(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	// Many reads of the read-ahead, each 0.4 s apart on the fake clock.
	if err := os.WriteFile("in", make([]byte, 8<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	fakeProgressClock(t, 400*time.Millisecond)
	encrypt := func(terminal bool, extra ...string) string {
		t.Helper()
		saved := isTerminal
		isTerminal = func(io.Writer) bool { return terminal }
		defer func() { isTerminal = saved }()
		args := append([]string{"--homedir", home, "--yes", "--passphrase", "pw", "--pinentry-mode", "loopback", "-z", "0", "-o", "out", "--status-fd", "2"}, extra...)
		code, _, stderr := runOurs(t, "", append(args, "-c", "in")...)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		return stderr
	}
	onTerminal := encrypt(true)
	if !strings.Contains(onTerminal, "\rgpg: in: ") || !strings.Contains(onTerminal, " of 8.0 MiB (") {
		t.Fatalf("no progress line on a terminal:\n%q", onTerminal)
	}
	// The line is erased before the next output (here END_ENCRYPTION).
	last := strings.LastIndex(onTerminal, "\rgpg: in: ")
	if !strings.Contains(onTerminal[last:], "\r\x1b[K[GNUPG:] END_ENCRYPTION") {
		t.Fatalf("progress line not erased before the next output:\n%q", onTerminal[last:])
	}
	for _, c := range []struct {
		name     string
		terminal bool
		extra    []string
	}{
		{"not a terminal", false, nil},
		{"--batch", true, []string{"--batch"}},
		{"--quiet", true, []string{"--quiet"}},
	} {
		if out := encrypt(c.terminal, c.extra...); strings.ContainsAny(out, "\r\x1b") {
			t.Errorf("%s: progress output on stderr:\n%q", c.name, out)
		}
	}
	// The real test for a terminal says no for a pipe.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if isTerminal(w) {
		t.Error("a pipe taken for a terminal")
	}
}

func TestProgressFields(t *testing.T) {
	for _, c := range []struct {
		cur, total uint64
		want       string
	}{
		{0, 0, "0 0 B"},
		{0, 119, "0 119 B"},
		{3000000, 0, "2929 0 KiB"},
		{3000000, 3000000, "2929 2929 KiB"},
		{4000000, 3000000, "2929 2929 KiB"}, // capped at the total
		{1 << 20, 1 << 20, "1048576 1048576 B"},
		{1 << 30, 1 << 30, "1048576 1048576 KiB"},
		{5 << 30, 0, "5120 0 MiB"},
	} {
		cur, total, unit := progressFields(c.cur, c.total)
		if got := cur + " " + total + " " + unit; got != c.want {
			t.Errorf("progressFields(%d, %d) = %q, want %q", c.cur, c.total, got, c.want)
		}
	}
}
