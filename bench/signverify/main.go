// Command signverify times detached signing and verification of a small
// file with ours (front, run as gpg) and with GnuPG, and prints the medians
// and the ratios ours/gpg.
//
// Both sides use the same unprotected ed25519 key: gpg generates it and its
// secret key is imported into ours. gpg-agent is warmed up with one signature
// first (and ours with one too), then the four operations alternate for -n
// rounds: ours sign, gpg sign, ours verify, gpg verify. Each operation is a
// full process run, timed with the monotonic clock around fork+exec+wait.
//
//	go run ./bench/signverify -n 50 -ours bin/gpg
package main

import (
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

func main() {
	n := flag.Int("n", 50, "rounds")
	size := flag.Int("size", 1024, "bytes to sign")
	ours := flag.String("ours", "bin/gpg", "front, invoked as gpg")
	gpg := flag.String("gpg", "/usr/bin/gpg", "GnuPG")
	check := flag.Bool("check", false, "exit 1 when a target (sign <= 0.6x, verify <= 0.4x) is missed")
	cached := flag.Bool("cached", false, "time signing with a protected key whose passphrase is cached (runCached)")
	flag.Parse()
	bench := func() error { return run(*n, *size, *ours, *gpg, *check) }
	if *cached {
		bench = func() error { return runCached(*n, *ours, *gpg, *check) }
	}
	if err := bench(); err != nil {
		fmt.Fprintln(os.Stderr, "signverify:", err)
		os.Exit(1)
	}
}

type tool struct {
	bin, home string
}

func (t tool) cmd(args ...string) *exec.Cmd {
	c := exec.Command(t.bin, append([]string{"--homedir", t.home, "--batch", "--yes"}, args...)...)
	c.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "HOME=" + t.home}
	return c
}

// run executes a command and returns its wall time.
func (t tool) run(args ...string) (time.Duration, error) {
	c := t.cmd(args...)
	var stderr strings.Builder
	c.Stderr = &stderr
	start := time.Now()
	err := c.Run()
	d := time.Since(start)
	if err != nil {
		return d, fmt.Errorf("%s %s: %v\n%s", t.bin, strings.Join(args, " "), err, stderr.String())
	}
	return d, nil
}

func run(n, size int, oursBin, gpgBin string, check bool) error {
	abs, err := filepath.Abs(oursBin)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "signverify-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ours := tool{abs, filepath.Join(dir, "ours")}
	gpg := tool{gpgBin, filepath.Join(dir, "gpg")}
	for _, h := range []string{ours.home, gpg.home} {
		if err := os.Mkdir(h, 0o700); err != nil {
			return err
		}
	}
	defer exec.Command("gpgconf", "--homedir", gpg.home, "--kill", "all").Run()

	data := filepath.Join(dir, "data")
	buf := make([]byte, size)
	rand.Read(buf)
	if err := os.WriteFile(data, buf, 0o644); err != nil {
		return err
	}
	sec := filepath.Join(dir, "key.sec")
	steps := [][]string{
		{"--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", "Bench <bench@example.org>", "ed25519", "sign", "never"},
		{"--pinentry-mode", "loopback", "--passphrase", "", "-o", sec, "--export-secret-keys", "bench@example.org"},
	}
	for _, s := range steps {
		if _, err := gpg.run(s...); err != nil {
			return err
		}
	}
	if _, err := ours.run("--import", sec); err != nil {
		return err
	}
	osig, gsig := filepath.Join(dir, "o.sig"), filepath.Join(dir, "g.sig")
	// warm-up: starts gpg-agent, loads both binaries into the page cache
	for _, w := range []struct {
		t   tool
		sig string
	}{{gpg, gsig}, {ours, osig}} {
		if _, err := w.t.run("-u", "bench@example.org", "-b", "-o", w.sig, data); err != nil {
			return err
		}
		if _, err := w.t.run("--verify", w.sig, data); err != nil {
			return err
		}
	}

	var os_, gs, ov, gv []time.Duration
	for i := 0; i < n; i++ {
		for _, op := range []struct {
			t    tool
			args []string
			into *[]time.Duration
		}{
			{ours, []string{"-u", "bench@example.org", "-b", "-o", osig, data}, &os_},
			{gpg, []string{"-u", "bench@example.org", "-b", "-o", gsig, data}, &gs},
			{ours, []string{"--verify", osig, data}, &ov},
			{gpg, []string{"--verify", gsig, data}, &gv},
		} {
			d, err := op.t.run(op.args...)
			if err != nil {
				return err
			}
			*op.into = append(*op.into, d)
		}
	}

	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	signRatio := float64(median(os_)) / float64(median(gs))
	verifyRatio := float64(median(ov)) / float64(median(gv))
	fmt.Printf("%d rounds, %d-byte file, ed25519 (same unprotected key on both sides)\n", n, size)
	fmt.Printf("%-8s %12s %12s %8s %8s\n", "", "ours (ms)", "gpg (ms)", "ratio", "target")
	fmt.Printf("%-8s %12.2f %12.2f %8.2f %8s %s\n", "sign", ms(median(os_)), ms(median(gs)), signRatio, "<= 0.60", verdict(signRatio <= 0.6))
	fmt.Printf("%-8s %12.2f %12.2f %8.2f %8s %s\n", "verify", ms(median(ov)), ms(median(gv)), verifyRatio, "<= 0.40", verdict(verifyRatio <= 0.4))
	fmt.Printf("(medians; p90 ours/gpg: sign %.2f/%.2f ms, verify %.2f/%.2f ms)\n",
		ms(pct(os_, 90)), ms(pct(gs, 90)), ms(pct(ov, 90)), ms(pct(gv, 90)))
	if check && (signRatio > 0.6 || verifyRatio > 0.4) {
		return fmt.Errorf("target missed")
	}
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}

func median(d []time.Duration) time.Duration { return pct(d, 50) }

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[i]
}
