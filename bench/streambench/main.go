// Command streambench measures large streaming runs: encryption and
// decryption of -size MiB against GnuPG, detached signing against rnp, and
// the peak memory of every streaming operation of ours (front and its
// keyhelper), and prints throughputs and ratios.
//
// All three tools use one unprotected key, ed25519 with a cv25519 subkey:
// gpg generates it, ours and rnp import its secret key. Inputs are zeros
// written into the tool's stdin in 1 MiB writes by this program (no data
// file is kept); the one ciphertext that decryption needs is written to a
// temporary directory and removed right after use. Encryption runs with
// -z 0. Rounds alternate ours and peer; the tables show the median and the
// best wall time of -n rounds, throughput from the best (the least disturbed
// by other load on the machine).
//
// Peak memory comes from /usr/bin/time (%M, wait4's maximum resident set
// size): of front's process tree (front and the helpers it waited for), and
// of the keyhelper alone, for which ours runs from a copy of front whose
// keyhelper is a script running the real one under /usr/bin/time. (A Go
// program cannot measure this itself: it starts children with vfork, whose
// peak then includes the parent's memory.)
//
//	go run ./bench/streambench -n 3 -size 1024 -ours bin/gpg
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"github.com/frontpgp/front/bench/internal/stats"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Environment of the keyhelper wrapper.
const (
	envRealHelper = "STREAMBENCH_KEYHELPER"
	envHelperRSS  = "STREAMBENCH_HELPER_RSS"
)

const timeBin = "/usr/bin/time"

func main() {
	n := flag.Int("n", 3, "rounds of each timed comparison")
	size := flag.Int64("size", 1024, "MiB per run")
	ours := flag.String("ours", "bin/gpg", "front, invoked as gpg (its keyhelper next to it)")
	gpg := flag.String("gpg", "/usr/bin/gpg", "GnuPG")
	rnp := flag.String("rnp", "rnp", "rnp (Debian package rnp)")
	memory := flag.Bool("memory", true, "also measure the peak memory of ours in every streaming operation")
	check := flag.Bool("check", false, "exit 1 when a target is missed")
	flag.Parse()
	b := &bench{rounds: *n, size: *size << 20}
	if err := b.run(*ours, *gpg, *rnp, *memory, *check); err != nil {
		fmt.Fprintln(os.Stderr, "streambench:", err)
		os.Exit(1)
	}
}

type bench struct {
	rounds    int
	size      int64
	dir       string
	helperRSS string // file the wrapper appends to
	treeRSS   string // file /usr/bin/time writes front's peak to
	fpr       string
}

type tool struct {
	name string
	argv []string // binary and fixed options
	env  []string
}

// result is one run: wall time and peak RSS of the process tree in KiB.
type result struct {
	wall time.Duration
	rss  int64
}

// runOnce runs t with args, feeding n zero bytes (n < 0: nothing) or the
// lines of text when text is set, stdout to /dev/null unless out is set.
func (b *bench) runOnce(t tool, args []string, n int64, text bool, out string) (result, error) {
	os.Remove(b.treeRSS)
	c := exec.Command(timeBin, append(append([]string{"-f", "%M", "-o", b.treeRSS}, t.argv...), args...)...)
	c.Env = t.env
	var stderr strings.Builder
	c.Stderr = &stderr
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return result{}, err
		}
		defer f.Close()
		c.Stdout = f
	} else {
		null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return result{}, err
		}
		defer null.Close()
		c.Stdout = null
	}
	var feed chan error
	if n >= 0 {
		w, err := c.StdinPipe()
		if err != nil {
			return result{}, err
		}
		feed = make(chan error, 1)
		go func() {
			err := writeInput(w, n, text)
			w.Close()
			feed <- err
		}()
	}
	start := time.Now()
	err := c.Run()
	wall := time.Since(start)
	if feed != nil {
		if ferr := <-feed; ferr != nil && err == nil && !errors.Is(ferr, syscall.EPIPE) {
			err = ferr
		}
	}
	if err != nil {
		return result{}, fmt.Errorf("%s %s: %v\n%s", t.name, strings.Join(args, " "), err, stderr.String())
	}
	return result{wall: wall, rss: peakFromFile(b.treeRSS)}, nil
}

// peakFromFile is the largest number in a file of /usr/bin/time %M lines.
func peakFromFile(name string) int64 {
	data, err := os.ReadFile(name)
	if err != nil {
		return -1
	}
	var peak int64
	for _, l := range strings.Fields(string(data)) {
		v, _ := strconv.ParseInt(l, 10, 64)
		peak = max(peak, v)
	}
	return peak
}

// writeInput writes n bytes: zeros, or text lines (for cleartext signing).
func writeInput(w io.Writer, n int64, text bool) error {
	buf := make([]byte, 1<<20)
	if text {
		line := []byte("The quick brown fox jumps over the lazy dog; - a line of text to sign.\n")
		for i := 0; i < len(buf); i += len(line) {
			copy(buf[i:], line)
		}
		// Whole lines only, so chunks join into lines again.
		buf = buf[:len(buf)/len(line)*len(line)]
	}
	for n > 0 {
		k := min(n, int64(len(buf)))
		if _, err := w.Write(buf[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

func (b *bench) run(oursBin, gpgBin, rnpBin string, memory, check bool) error {
	oursAbs, err := filepath.Abs(oursBin)
	if err != nil {
		return err
	}
	if _, err := exec.LookPath(rnpBin); err != nil {
		return fmt.Errorf("rnp not found (apt-get install rnp): %v", err)
	}
	if _, err := os.Stat(timeBin); err != nil {
		return fmt.Errorf("%s not found (apt-get install time): %v", timeBin, err)
	}
	if b.dir, err = os.MkdirTemp("", "streambench-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.dir)
	b.treeRSS = filepath.Join(b.dir, "tree-rss")
	homes := map[string]string{}
	for _, h := range []string{"gpg", "ours", "rnp", "bin"} {
		homes[h] = filepath.Join(b.dir, h)
		if err := os.Mkdir(homes[h], 0o700); err != nil {
			return err
		}
	}
	defer exec.Command("gpgconf", "--homedir", homes["gpg"], "--kill", "all").Run()
	base := []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C"}
	gpg := tool{"gpg", []string{gpgBin, "--homedir", homes["gpg"], "--batch", "--yes"}, append(base, "HOME="+homes["gpg"])}
	oursBinCopy, err := b.wrappedOurs(oursAbs, homes["bin"])
	if err != nil {
		return err
	}
	b.helperRSS = filepath.Join(b.dir, "helper-rss")
	ours := tool{"ours", []string{oursBinCopy, "--homedir", homes["ours"], "--batch", "--yes"},
		append(base, "HOME="+homes["ours"], envRealHelper+"="+filepath.Join(filepath.Dir(oursAbs), "keyhelper"), envHelperRSS+"="+b.helperRSS)}
	rnp := tool{"rnp", []string{rnpBin, "--homedir", homes["rnp"]}, append(base, "HOME="+homes["rnp"])}
	if err := b.keys(gpg, ours, homes["rnp"]); err != nil {
		return err
	}
	fmt.Printf("%d MiB of zeros per run, %d rounds, ed25519/cv25519, AES-256; ours = %s\n\n", b.size>>20, b.rounds, oursBin)

	enc := []string{"-z", "0", "-r", b.fpr, "-e"}
	ciphertext := filepath.Join(b.dir, "big.gpg")
	rsig, osig := filepath.Join(b.dir, "r.sig"), filepath.Join(b.dir, "o.sig")
	type comparison struct {
		name, target string
		min          float64
		ours, peer   tool
		oursArgs     []string
		peerArgs     []string
		input        bool
		before       func() error
		after        func()
	}
	comps := []comparison{
		{name: "encrypt", target: ">= 1.5x gpg", min: 1.5, ours: ours, peer: gpg, oursArgs: enc, peerArgs: enc, input: true},
		{name: "decrypt", target: ">= 1.0x gpg", min: 1.0, ours: ours, peer: gpg, oursArgs: []string{"-d", ciphertext}, peerArgs: []string{"-d", ciphertext},
			before: func() error {
				_, err := b.runOnce(gpg, enc, b.size, false, ciphertext)
				return err
			},
			after: func() { os.Remove(ciphertext) }},
		{name: "sign -b", target: ">= 1.0x rnp", min: 1.0, ours: ours, peer: rnp,
			oursArgs: []string{"-b", "-o", osig}, peerArgs: []string{"--sign", "--detach", "--password", "", "--overwrite", "--output", rsig, "-"}, input: true},
	}
	fmt.Printf("%-8s %-5s %11s %11s %9s %10s %10s %8s %-12s\n", "", "peer", "ours med", "peer med", "ours MB/s", "peer MB/s", "ours RSS", "ratio", "target")
	missed := false
	for _, c := range comps {
		if c.before != nil {
			if err := c.before(); err != nil {
				return err
			}
		}
		n := int64(-1)
		if c.input {
			n = b.size
		}
		var ow, pw []time.Duration
		var orss int64
		for i := 0; i < b.rounds; i++ {
			r, err := b.runOnce(c.ours, c.oursArgs, n, false, "")
			if err != nil {
				return err
			}
			ow, orss = append(ow, r.wall), max(orss, r.rss)
			if r, err = b.runOnce(c.peer, c.peerArgs, n, false, ""); err != nil {
				return err
			}
			pw = append(pw, r.wall)
		}
		if c.after != nil {
			c.after()
		}
		ratio := float64(slices.Min(pw)) / float64(slices.Min(ow))
		ok := ratio >= c.min
		missed = missed || !ok
		fmt.Printf("%-8s %-5s %10.2fs %10.2fs %9.0f %10.0f %7d Ki %7.2fx %-12s %s\n", c.name, c.peer.name,
			stats.Median(ow).Seconds(), stats.Median(pw).Seconds(), b.mbps(slices.Min(ow)), b.mbps(slices.Min(pw)), orss, ratio, c.target, stats.Verdict(ok))
	}
	fmt.Println("(ratio = peer's best wall time / ours: throughput of ours relative to the peer)")
	if memory {
		if err := b.memory(ours); err != nil {
			return err
		}
	}
	if check && missed {
		return errors.New("target missed")
	}
	return nil
}

// keys makes the key with gpg and imports its secret (and for ours its
// ownertrust) into ours and rnp.
func (b *bench) keys(gpg, ours tool, rnpHome string) error {
	if _, err := b.runOnce(gpg, []string{"--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", "Bench <bench@example.org>", "ed25519", "sign", "never"}, -1, false, ""); err != nil {
		return err
	}
	out := filepath.Join(b.dir, "colons")
	if _, err := b.runOnce(gpg, []string{"--with-colons", "--list-keys", "bench@example.org"}, -1, false, out); err != nil {
		return err
	}
	f, err := os.Open(out)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() && b.fpr == "" {
		if fields := strings.Split(sc.Text(), ":"); fields[0] == "fpr" {
			b.fpr = fields[9]
		}
	}
	f.Close()
	if b.fpr == "" {
		return errors.New("no fingerprint from gpg")
	}
	sec := filepath.Join(b.dir, "key.sec")
	for _, args := range [][]string{
		{"--pinentry-mode", "loopback", "--passphrase", "", "--quick-add-key", b.fpr, "cv25519", "encr", "never"},
		{"--pinentry-mode", "loopback", "--passphrase", "", "-o", sec, "--export-secret-keys", b.fpr},
	} {
		if _, err := b.runOnce(gpg, args, -1, false, ""); err != nil {
			return err
		}
	}
	if _, err := b.runOnce(ours, []string{"--import", sec}, -1, false, ""); err != nil {
		return err
	}
	// An imported secret key is not trusted (in gpg neither): ours takes
	// gpg's ownertrust (ultimate for the key gpg made), or encrypting to
	// it fails "There is no assurance this key belongs to the named user".
	trustFile := filepath.Join(b.dir, "ownertrust")
	if _, err := b.runOnce(gpg, []string{"--export-ownertrust"}, -1, false, trustFile); err != nil {
		return err
	}
	if _, err := b.runOnce(ours, []string{"--import-ownertrust", trustFile}, -1, false, ""); err != nil {
		return err
	}
	c := exec.Command("rnpkeys", "--homedir", rnpHome, "--import", sec)
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("rnpkeys --import: %v\n%s", err, out)
	}
	return nil
}

// wrappedOurs copies front next to a keyhelper script that runs the real
// one under /usr/bin/time, and returns the path of the copy's gpg name.
func (b *bench) wrappedOurs(oursAbs, dir string) (string, error) {
	front, err := filepath.EvalSymlinks(oursAbs)
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(front)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "front"), data, 0o755); err != nil {
		return "", err
	}
	script := "#!/bin/sh\nexec " + timeBin + " -a -o \"$" + envHelperRSS + "\" -f %M \"$" + envRealHelper + "\" \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "keyhelper"), []byte(script), 0o755); err != nil {
		return "", err
	}
	gpgName := filepath.Join(dir, "gpg")
	return gpgName, os.Symlink("front", gpgName)
}

// memory runs every streaming operation of ours once over -size MiB and
// prints the peak RSS of front's process tree and of its keyhelper. Files
// a later step needs are removed as soon as that step is done.
func (b *bench) memory(ours tool) error {
	fmt.Printf("\npeak memory of ours, %d MiB per operation (target: <= 32 MiB each, front and keyhelper)\n", b.size>>20)
	fmt.Printf("%-36s %8s %12s %14s\n", "operation", "wall", "front tree", "keyhelper")
	f := func(name string) string { return filepath.Join(b.dir, name) }
	type step struct {
		name string
		args []string
		in   int64 // bytes on stdin, -1 none
		text bool
		out  string
		rm   []string // files to remove after this step
	}
	steps := []step{
		{name: "encrypt -z 0", args: []string{"-z", "0", "-r", b.fpr, "-e"}, in: b.size, out: f("e.gpg")},
		{name: "decrypt", args: []string{"-d", f("e.gpg")}, in: -1, rm: []string{f("e.gpg")}},
		{name: "encrypt --armor (default zlib)", args: []string{"-a", "-r", b.fpr, "-e"}, in: b.size, out: f("e.asc")},
		{name: "decrypt armored, zlib --max-output 0", args: []string{"--max-output", "0", "-d", f("e.asc")}, in: -1, rm: []string{f("e.asc")}},
		{name: "symmetric -z 0", args: []string{"--passphrase", "pw", "--pinentry-mode", "loopback", "-z", "0", "-c"}, in: b.size, out: f("c.gpg")},
		{name: "decrypt symmetric", args: []string{"--passphrase", "pw", "--pinentry-mode", "loopback", "-d", f("c.gpg")}, in: -1, rm: []string{f("c.gpg")}},
		{name: "sign -b", args: []string{"-b", "-o", f("d.sig")}, in: b.size},
		{name: "verify detached (stdin)", args: []string{"--verify", f("d.sig"), "-"}, in: b.size, rm: []string{f("d.sig")}},
		{name: "sign -z 0", args: []string{"-z", "0", "-s"}, in: b.size, out: f("s.gpg")},
		{name: "verify signed", args: []string{"--verify", f("s.gpg")}, in: -1, rm: []string{f("s.gpg")}},
		{name: "sign+encrypt -z 0", args: []string{"-z", "0", "-r", b.fpr, "-se"}, in: b.size, out: f("se.gpg")},
		{name: "decrypt signed", args: []string{"-d", f("se.gpg")}, in: -1, rm: []string{f("se.gpg")}},
		{name: "clearsign (text)", args: []string{"--clearsign"}, in: b.size, text: true, out: f("t.asc")},
		{name: "verify clearsigned", args: []string{"--verify", f("t.asc")}, in: -1, rm: []string{f("t.asc")}},
	}
	for _, s := range steps {
		os.Remove(b.helperRSS)
		r, err := b.runOnce(ours, s.args, s.in, s.text, s.out)
		for _, name := range s.rm {
			os.Remove(name)
		}
		if err != nil {
			return err
		}
		helper := "-"
		peak := peakFromFile(b.helperRSS)
		if peak >= 0 {
			helper = fmt.Sprintf("%d KiB", peak)
		}
		fmt.Printf("%-36s %7.2fs %8d KiB %14s %s\n", s.name, r.wall.Seconds(), r.rss, helper, stats.Verdict(r.rss <= 32<<10 && peak <= 32<<10))
	}
	fmt.Println("(front tree: the larger of front's own peak and its helpers'; keyhelper: the helper alone, '-' when none ran)")
	return nil
}

func (b *bench) mbps(d time.Duration) float64 { return float64(b.size) / 1e6 / d.Seconds() }
