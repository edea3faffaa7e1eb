// Command latency times the small operations that programs run once per
// item (issue 14) with ours (front, run as gpg) and with GnuPG, interleaved
// in one run, and prints medians, ratios ours/gpg and the goals:
//
//   - verify a 1 KiB detached ed25519 signature (goal <= 0.5x);
//   - --with-colons -k FPR in a one-key home and in a home holding the
//     Debian keyring (goal <= 0.5x each);
//   - detached-sign 1 KiB, ours with its keyhelper, gpg with a warm agent
//     (goal <= 0.4x);
//   - git log --show-signature -n 300 over 300 signed commits (ed25519 and
//     rsa3072 alternating), gpg vs ours as gpg.program (goal <= 0.6x).
//
// Each operation is a whole process run (git's: the whole git command),
// timed with the monotonic clock around fork+exec+wait; per round ours and
// gpg alternate, and which goes first alternates too. Then the start-up
// budget of ours: a static Go hello-world and /bin/true for scale, front
// --version, the time to main and package init by package (from
// GODEBUG=inittrace=1), and each helper's time from spawn to its hello
// frame, with and without its sandbox.
//
// With -base OLD (an earlier build of front, its helpers beside it) every
// operation is also run with OLD, interleaved in the same rounds, and the
// ratio new/old is printed: before/after numbers from one run.
//
// gpg's import of the Debian keyring takes minutes, so its home is kept
// in $XDG_CACHE_HOME/frontpgp-bench (default ~/.cache) and reused while the
// keyring file is unchanged; ours is imported afresh every run.
//
//	go run ./bench/latency -n 50 -ours bin/gpg
package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"flag"
	"fmt"
	"github.com/frontpgp/front/bench/internal/gpgtool"
	"github.com/frontpgp/front/bench/internal/stats"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

const debianKeyring = "/usr/share/keyrings/debian-keyring.gpg"

func main() {
	n := flag.Int("n", 50, "rounds of the single-process operations")
	gitN := flag.Int("gitn", 5, "rounds of the git log operation")
	ours := flag.String("ours", "bin/gpg", "front, invoked as gpg; its helpers are beside it")
	gpg := flag.String("gpg", "/usr/bin/gpg", "GnuPG")
	noDebian := flag.Bool("no-debian", false, "skip the Debian keyring home")
	base := flag.String("base", "", "an earlier build of front (as gpg) to time too, for before/after")
	flag.Parse()
	if err := run(*n, *gitN, *ours, *gpg, *base, !*noDebian); err != nil {
		fmt.Fprintln(os.Stderr, "latency:", err)
		os.Exit(1)
	}
}

// op is one operation timed on both sides (and with the -base build).
type op struct {
	name              string
	ours              func(bin string) *exec.Cmd // ours' side run by bin
	gpg               func() *exec.Cmd
	goal              float64
	rounds            int
	oursT, gpT, baseT []time.Duration
}

func run(n, gitN int, oursBin, gpgBin, baseBin string, debian bool) error {
	var err error
	if baseBin != "" {
		if baseBin, err = filepath.Abs(baseBin); err != nil {
			return err
		}
	}
	b, err := gpgtool.Setup("latency-", oursBin, gpgBin)
	if err != nil {
		return err
	}
	defer b.Close()
	dir, ours, gpg, abs := b.Dir, b.Ours, b.GPG, b.Ours.Bin

	printMachine(gpgBin)

	// Two unprotected keys made by gpg, imported into ours: ed25519 (the
	// signer of the single operations) and rsa3072 (half of the commits).
	const edUID, rsaUID = "Bench <bench@example.org>", "Bench RSA <rsa@example.org>"
	sec := filepath.Join(dir, "keys.sec")
	for _, s := range [][]string{
		{"--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", edUID, "ed25519", "sign", "never"},
		{"--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", rsaUID, "rsa3072", "sign", "never"},
		{"--pinentry-mode", "loopback", "--passphrase", "", "-o", sec, "--export-secret-keys"},
	} {
		if err := gpg.Must(s...); err != nil {
			return err
		}
	}
	if err := ours.Must("--import", sec); err != nil {
		return err
	}
	edFpr, err := fingerprint(gpg, "bench@example.org")
	if err != nil {
		return err
	}
	rsaFpr, err := fingerprint(gpg, "rsa@example.org")
	if err != nil {
		return err
	}

	data := filepath.Join(dir, "data")
	buf := make([]byte, 1024)
	rand.Read(buf)
	if err := os.WriteFile(data, buf, 0o644); err != nil {
		return err
	}
	osig, gsig := filepath.Join(dir, "o.sig"), filepath.Join(dir, "g.sig")
	// Warm-up: starts gpg-agent, loads every binary into the page cache.
	for _, w := range []struct {
		t   gpgtool.Tool
		sig string
	}{{gpg, gsig}, {ours, osig}} {
		if err := w.t.Must("-u", edFpr, "-b", "-o", w.sig, data); err != nil {
			return err
		}
		if err := w.t.Must("--verify", w.sig, data); err != nil {
			return err
		}
	}

	ops := []*op{
		{name: "verify 1 KiB detached (ed25519)", goal: 0.5, rounds: n,
			ours: func(bin string) *exec.Cmd { return ours.With(bin).Cmd("--verify", osig, data) },
			gpg:  func() *exec.Cmd { return gpg.Cmd("--verify", gsig, data) }},
		{name: "--with-colons -k FPR, one-key home", goal: 0.5, rounds: n,
			ours: func(bin string) *exec.Cmd { return ours.With(bin).Cmd("--with-colons", "-k", edFpr) },
			gpg:  func() *exec.Cmd { return gpg.Cmd("--with-colons", "-k", edFpr) }},
	}
	if debian {
		dOurs, dGPG, dFpr, err := debianHomes(dir, abs, gpgBin)
		if err != nil {
			return err
		}
		ops = append(ops, &op{name: "--with-colons -k FPR, Debian keyring home", goal: 0.5, rounds: n,
			ours: func(bin string) *exec.Cmd { return dOurs.With(bin).Cmd("--with-colons", "-k", dFpr) },
			gpg:  func() *exec.Cmd { return dGPG.Cmd("--with-colons", "-k", dFpr) }})
	}
	ops = append(ops, &op{name: "sign 1 KiB detached (ours: + keyhelper; gpg: warm agent)", goal: 0.4, rounds: n,
		ours: func(bin string) *exec.Cmd { return ours.With(bin).Cmd("-u", edFpr, "-b", "-o", osig, data) },
		gpg:  func() *exec.Cmd { return gpg.Cmd("-u", edFpr, "-b", "-o", gsig, data) }})

	repo := filepath.Join(dir, "repo")
	if err := signedRepo(repo, gpg, edFpr, rsaFpr, 300); err != nil {
		return err
	}
	gitLog := func(t gpgtool.Tool) func() *exec.Cmd {
		return func() *exec.Cmd {
			c := exec.Command("git", "-C", repo, "-c", "gpg.program="+t.Bin, "log", "--show-signature", "-n", "300")
			c.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "HOME=" + dir, "GNUPGHOME=" + t.Home,
				"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null"}
			return c
		}
	}
	ops = append(ops, &op{name: "git log --show-signature -n 300 (ed25519 + rsa3072)", goal: 0.6, rounds: gitN,
		ours: func(bin string) *exec.Cmd { return gitLog(ours.With(bin))() }, gpg: gitLog(gpg)})
	if err := checkGitLog(gitLog(ours), gitLog(gpg)); err != nil {
		return err
	}

	for i := 0; ; i++ {
		done := true
		for _, o := range ops {
			if i >= o.rounds {
				continue
			}
			done = false
			sides := []struct {
				mk   func() *exec.Cmd
				into *[]time.Duration
			}{{func() *exec.Cmd { return o.ours(abs) }, &o.oursT}, {o.gpg, &o.gpT}}
			if baseBin != "" {
				sides = append(sides, struct {
					mk   func() *exec.Cmd
					into *[]time.Duration
				}{func() *exec.Cmd { return o.ours(baseBin) }, &o.baseT})
			}
			if i%2 == 1 {
				slices.Reverse(sides)
			}
			for _, s := range sides {
				d, err := gpgtool.Timed(s.mk())
				if err != nil {
					return err
				}
				*s.into = append(*s.into, d)
			}
		}
		if done {
			break
		}
	}

	fmt.Printf("\n%-58s %10s %10s %7s %8s\n", "operation (medians of interleaved runs)", "ours ms", "gpg ms", "ratio", "goal")
	for _, o := range ops {
		r := float64(stats.Median(o.oursT)) / float64(stats.Median(o.gpT))
		fmt.Printf("%-58s %10.2f %10.2f %7.2f %8s %s\n", o.name, stats.MS(stats.Median(o.oursT)), stats.MS(stats.Median(o.gpT)), r,
			fmt.Sprintf("<= %.1f", o.goal), stats.Verdict(r <= o.goal))
	}
	fmt.Printf("(rounds: %d, git log %d; p90 ours/gpg:", n, gitN)
	for _, o := range ops {
		fmt.Printf(" %.1f/%.1f", stats.MS(stats.Pct(o.oursT, 90)), stats.MS(stats.Pct(o.gpT, 90)))
	}
	fmt.Println(" ms)")
	if baseBin != "" {
		fmt.Printf("\nbefore/after: -base %s, interleaved in the same rounds\n", baseBin)
		fmt.Printf("%-58s %10s %10s %7s %10s\n", "operation (medians)", "base ms", "ours ms", "new/old", "base/gpg")
		for _, o := range ops {
			fmt.Printf("%-58s %10.2f %10.2f %7.2f %10.2f\n", o.name, stats.MS(stats.Median(o.baseT)), stats.MS(stats.Median(o.oursT)),
				float64(stats.Median(o.oursT))/float64(stats.Median(o.baseT)), float64(stats.Median(o.baseT))/float64(stats.Median(o.gpT)))
		}
	}

	return startupBudget(dir, abs, ours.Home, n)
}

func printMachine(gpgBin string) {
	model := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				model = strings.TrimSpace(l[strings.Index(l, ":")+1:])
				break
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	load, _ := os.ReadFile("/proc/loadavg")
	gv, _ := exec.Command(gpgBin, "--version").Output()
	first, _, _ := strings.Cut(string(gv), "\n")
	fmt.Printf("machine: %s, %d CPUs, kernel %s, load %s\n", model, runtime.NumCPU(),
		strings.TrimSpace(string(kernel)), strings.Join(strings.Fields(string(load))[:3], " "))
	fmt.Printf("peer: %s; bench built with %s\n", first, runtime.Version())
}

func fingerprint(t gpgtool.Tool, who string) (string, error) {
	out, err := t.Cmd("--with-colons", "-k", who).Output()
	if err != nil {
		return "", fmt.Errorf("listing %s: %v", who, err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Split(l, ":"); f[0] == "fpr" && len(f) > 9 {
			return f[9], nil
		}
	}
	return "", fmt.Errorf("no fingerprint for %s", who)
}

// debianHomes returns ours and gpg's home holding the Debian keyring and
// the fingerprint of its first certificate. gpg's comes from the cache
// directory (made there once: minutes of gpg's import).
func debianHomes(dir, oursBin, gpgBin string) (gpgtool.Tool, gpgtool.Tool, string, error) {
	fi, err := os.Stat(debianKeyring)
	if err != nil {
		return gpgtool.Tool{}, gpgtool.Tool{}, "", fmt.Errorf("%v (apt-get install debian-keyring, or -no-debian)", err)
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		cache = filepath.Join(os.Getenv("HOME"), ".cache")
	}
	gHome := filepath.Join(cache, "frontpgp-bench", fmt.Sprintf("debian-gpg-%d-%d", fi.Size(), fi.ModTime().Unix()))
	g := gpgtool.Tool{Bin: gpgBin, Home: gHome}
	if _, err := os.Stat(filepath.Join(gHome, "pubring.kbx")); err != nil {
		fmt.Printf("importing %s into gpg's cached home %s (once; minutes)...\n", debianKeyring, gHome)
		tmp := gHome + ".tmp"
		os.RemoveAll(tmp)
		if err := os.MkdirAll(tmp, 0o700); err != nil {
			return gpgtool.Tool{}, gpgtool.Tool{}, "", err
		}
		t := gpgtool.Tool{Bin: gpgBin, Home: tmp}
		t.Cmd("--import", debianKeyring).Run() // some keys are refused: exit 2 is expected
		t.Cmd("--check-trustdb").Run()
		exec.Command("gpgconf", "--homedir", tmp, "--kill", "all").Run()
		if err := os.Rename(tmp, gHome); err != nil {
			return gpgtool.Tool{}, gpgtool.Tool{}, "", err
		}
	}
	o := gpgtool.Tool{Bin: oursBin, Home: filepath.Join(dir, "debian-ours")}
	if err := os.Mkdir(o.Home, 0o700); err != nil {
		return gpgtool.Tool{}, gpgtool.Tool{}, "", err
	}
	o.Cmd("--import", debianKeyring).Run()
	out, err := exec.Command(gpgBin, "--batch", "--with-colons", "--show-keys", debianKeyring).Output()
	if err != nil {
		return gpgtool.Tool{}, gpgtool.Tool{}, "", fmt.Errorf("gpg --show-keys %s: %v", debianKeyring, err)
	}
	fpr := ""
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Split(l, ":"); f[0] == "fpr" && len(f) > 9 {
			fpr = f[9]
			break
		}
	}
	// Both must list it, and the same way (colon listings of ours and gpg
	// are compared by the difftest; here only the key count is checked).
	for _, t := range []gpgtool.Tool{o, g} {
		if err := t.Must("--with-colons", "-k", fpr); err != nil {
			return gpgtool.Tool{}, gpgtool.Tool{}, "", err
		}
	}
	return o, g, fpr, nil
}

// signedRepo makes a git repository with n commits, signed by gpg
// alternately with the ed25519 and the rsa3072 key.
func signedRepo(repo string, gpg gpgtool.Tool, ed, rsa string, n int) error {
	env := []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "HOME=" + filepath.Dir(repo), "GNUPGHOME=" + gpg.Home,
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Bench", "GIT_AUTHOR_EMAIL=bench@example.org",
		"GIT_COMMITTER_NAME=Bench", "GIT_COMMITTER_EMAIL=bench@example.org"}
	git := func(args ...string) error {
		c := exec.Command("git", append([]string{"-C", repo}, args...)...)
		c.Env = env
		if out, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := os.Mkdir(repo, 0o755); err != nil {
		return err
	}
	if err := git("init", "-q"); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		key := ed
		if i%2 == 1 {
			key = rsa
		}
		if err := git("-c", "gpg.program="+gpg.Bin, "commit", "-q", "--allow-empty", "-S"+key, "-m", "commit "+strconv.Itoa(i)); err != nil {
			return err
		}
	}
	return nil
}

// checkGitLog makes sure both sides report 300 good signatures.
func checkGitLog(ours, gpg func() *exec.Cmd) error {
	for _, side := range []struct {
		name string
		mk   func() *exec.Cmd
	}{{"ours", ours}, {"gpg", gpg}} {
		c := side.mk()
		c.Stderr = nil
		out, err := c.CombinedOutput()
		if err != nil {
			return fmt.Errorf("git log with %s: %v", side.name, err)
		}
		if got := bytes.Count(out, []byte("Good signature from")); got != 300 {
			return fmt.Errorf("git log with %s: %d good signatures, want 300", side.name, got)
		}
	}
	return nil
}

// startupBudget prints where ours spends a start.
func startupBudget(dir, oursBin, home string, n int) error {
	fmt.Printf("\nstart-up budget of ours (medians of %d runs)\n", n)
	hello := filepath.Join(dir, "hello")
	src := filepath.Join(dir, "hello.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		return err
	}
	c := exec.Command("go", "build", "-o", hello+".l", src)
	c.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("building hello: %v\n%s", err, out)
	}
	// As make build does: an executable written by the Go linker's mapping
	// starts slower while its pages stay cached (see the Makefile).
	if b, err := os.ReadFile(hello + ".l"); err != nil || os.WriteFile(hello, b, 0o755) != nil {
		return fmt.Errorf("copying hello: %v", err)
	}
	front := filepath.Join(filepath.Dir(oursBin), "front")
	runs := []struct {
		name string
		argv []string
	}{
		{"/bin/true", []string{"/bin/true"}},
		{"static Go hello-world", []string{hello}},
		{"front --version", []string{front, "--version"}},
	}
	for _, r := range runs {
		var ds []time.Duration
		for i := 0; i < n; i++ {
			c := exec.Command(r.argv[0], r.argv[1:]...)
			d, err := gpgtool.Timed(c)
			if err != nil {
				return err
			}
			ds = append(ds, d)
		}
		fmt.Printf("  %-44s %7.2f ms\n", r.name, stats.MS(stats.Median(ds)))
	}

	// inittrace: "init PKG @T ms, C ms clock, ..." on stderr.
	var mainAt []float64
	clocks := map[string][]float64{}
	for i := 0; i < n; i++ {
		c := exec.Command(front, "--version")
		c.Env = append(os.Environ(), "GODEBUG=inittrace=1")
		var stderr bytes.Buffer
		c.Stderr = &stderr
		if err := c.Run(); err != nil {
			return err
		}
		sc := bufio.NewScanner(&stderr)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) < 6 || f[0] != "init" {
				continue
			}
			at, _ := strconv.ParseFloat(strings.TrimPrefix(f[2], "@"), 64)
			clk, _ := strconv.ParseFloat(f[4], 64)
			clocks[f[1]] = append(clocks[f[1]], clk)
			if f[1] == "main" {
				mainAt = append(mainAt, at+clk)
			}
		}
	}
	type pkgInit struct {
		name string
		ms   float64
	}
	var inits []pkgInit
	total := 0.0
	for name, cs := range clocks {
		m := stats.Median(cs)
		total += m
		inits = append(inits, pkgInit{name, m})
	}
	slices.SortFunc(inits, func(a, b pkgInit) int {
		if a.ms != b.ms {
			if a.ms > b.ms {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	fmt.Printf("  %-44s %7.2f ms (runtime start to the end of main's init, under inittrace)\n", "time to main (front)", stats.Median(mainAt))
	fmt.Printf("  %-44s %7.2f ms in %d packages; the largest:\n", "package init (front), sum of medians", total, len(inits))
	for _, p := range inits[:min(8, len(inits))] {
		fmt.Printf("    %-42s %7.3f ms\n", p.name, p.ms)
	}

	bin := filepath.Dir(oursBin)
	// Each helper with the environment front starts it with (helper.go,
	// nethelper.go).
	for _, h := range []struct {
		name string
		argv []string
		env  []string
	}{
		{"keyhelper (restricted, sign's mode)", []string{filepath.Join(bin, "keyhelper"), "--home", home, "--mode", "restricted"},
			[]string{"GOGC=off", "GOMEMLIMIT=24MiB", "GOMAXPROCS=1"}},
		{"nethelper (system roots, one port)", []string{filepath.Join(bin, "nethelper"), "--ports", "11371"},
			[]string{"GOGC=off", "GOMEMLIMIT=64MiB", "GOMAXPROCS=1"}},
	} {
		with, err := helloTimes(h.argv, h.env, n, false)
		if err != nil {
			return err
		}
		without, err := helloTimes(h.argv, h.env, n, true)
		if err != nil {
			return err
		}
		fmt.Printf("  %-44s %7.2f ms to hello (%.2f ms of it the sandbox)\n", h.name, stats.MS(with), stats.MS(with-without))
	}
	return nil
}

// helloTimes starts a helper n times (environment env) and returns the median time from
// spawn to the first byte of its hello frame; closing its stdin then makes
// it exit. noSandbox sets the testing-only switch that skips the lockdown,
// to tell the sandbox's share.
func helloTimes(argv, env []string, n int, noSandbox bool) (time.Duration, error) {
	var ds []time.Duration
	for i := 0; i < n; i++ {
		c := exec.Command(argv[0], argv[1:]...)
		c.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
		if noSandbox {
			c.Env = append(c.Env, "FRONTPGP_UNSAFE_NO_SANDBOX=1")
		}
		in, err := c.StdinPipe()
		if err != nil {
			return 0, err
		}
		out, err := c.StdoutPipe()
		if err != nil {
			return 0, err
		}
		start := time.Now()
		if err := c.Start(); err != nil {
			return 0, err
		}
		var b [1]byte
		_, rerr := out.Read(b[:])
		ds = append(ds, time.Since(start))
		in.Close()
		werr := c.Wait()
		if rerr != nil {
			return 0, fmt.Errorf("%s: no hello: %v (exit: %v)", argv[0], rerr, werr)
		}
		if werr != nil {
			return 0, fmt.Errorf("%s: %v", argv[0], werr)
		}
	}
	return stats.Median(ds), nil
}
