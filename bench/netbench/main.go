// Command netbench times key retrieval on loopback with ours (front, run as
// gpg) and with GnuPG and its dirmngr, and prints the medians and the ratios
// ours/gpg.
//
// The peers are real servers (internal/netpeers): Debian's sks seeded with
// three certificates, and, as root, an HTTPS WKD server with a test CA on
// port 443 of a loopback address. Two operations are timed:
//
//   - HKP recv: --keyserver hkp://127.0.0.1:PORT --recv-keys FPR
//   - WKD hit: --auto-key-locate clear,wkd --locate-external-keys ADDR
//     (advanced method)
//
// each in two states: cold, a fresh home every round (gpg starts its
// dirmngr each time; ours creates its store), and warm, one home per tool
// used for every round, in which gpg's dirmngr is already running. In both
// states the key is new to the home: in the warm homes it is deleted
// between rounds, for ours as for gpg. Untimed work between rounds (new
// homes, deleting the key, stopping a cold dirmngr and waiting until it is
// gone) keeps one run from disturbing the next. Each operation is a full
// process run, timed with the monotonic clock around fork+exec+wait, and
// must print IMPORT_OK for the key.
//
// gpg's dirmngr only finds the WKD server through /etc/hosts and trusts it
// through the system CA bundle, so as root the program runs itself in a
// private mount namespace in which both are bind-mounted test files (the
// interop tests' wkdns); dirmngr started by gpg stays in it. Ours is
// pointed at the server with --resolve and --hkp-cacert. Without root the
// WKD part is skipped.
//
//	go run ./bench/netbench -n 20 -ours bin/gpg
package main

import (
	"bytes"
	"flag"
	"fmt"
	"github.com/frontpgp/front/bench/internal/stats"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/frontpgp/front/internal/netpeers"
)

// nsEnv marks the copy of the program that runs in its own mount namespace:
// its value is the namespace of the copy that started it.
const nsEnv = "NETBENCH_OUTER_MOUNT_NAMESPACE"

// Goals of issue 9: ours <= 0.5x gpg with a cold dirmngr, <= 1.0x warm.
var goals = map[string]float64{"cold": 0.5, "warm": 1.0}

func main() {
	n := flag.Int("n", 20, "rounds")
	ours := flag.String("ours", "bin/gpg", "front, invoked as gpg")
	gpg := flag.String("gpg", "/usr/bin/gpg", "GnuPG")
	check := flag.Bool("check", false, "exit 1 when a goal (cold <= 0.5x, warm <= 1.0x) is missed or ours cannot do an operation")
	flag.Parse()
	if os.Geteuid() == 0 && os.Getenv(nsEnv) == "" {
		os.Exit(inNamespace())
	}
	var c cleanups
	c.onSignal()
	err := run(&c, *n, *ours, *gpg, *check)
	c.run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "netbench:", err)
		os.Exit(1)
	}
}

// inNamespace runs this program again in a private mount namespace and
// returns its exit code; signals are passed on to it.
func inNamespace() int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "netbench:", err)
		return 1
	}
	outer, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		fmt.Fprintln(os.Stderr, "netbench:", err)
		return 1
	}
	cmd := exec.Command(self, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), nsEnv+"="+outer)
	// Go makes every mount private in the new namespace (MS_REC|MS_PRIVATE
	// on /), so nothing mounted there is seen outside.
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "netbench: mount namespace:", err)
		return 1
	}
	go func() {
		for s := range sigs {
			cmd.Process.Signal(s)
		}
	}()
	if err := cmd.Wait(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() > 0 {
			return ee.ExitCode()
		}
		return 1
	}
	return 0
}

// cleanups stops what the benchmark started, in reverse order, once: at
// the end or on SIGINT/SIGTERM.
type cleanups struct {
	mu   sync.Mutex
	fns  []func()
	done bool
}

func (c *cleanups) add(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fns = append(c.fns, f)
}

func (c *cleanups) run() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return
	}
	c.done = true
	for i := len(c.fns) - 1; i >= 0; i-- {
		c.fns[i]()
	}
}

func (c *cleanups) onSignal() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "netbench: %v, stopping the servers and daemons\n", s)
		c.run()
		os.Exit(130)
	}()
}

type tool struct {
	bin   string
	extra []string // options before the operation's (ours: where the WKD server is)
}

// result of one run: its wall time, or why it failed.
func (t tool) run(home string, args ...string) (time.Duration, string, error) {
	c := exec.Command(t.bin, append(append([]string{"--homedir", home, "--batch", "--yes"}, t.extra...), args...)...)
	c.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "HOME=" + home}
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	start := time.Now()
	err := c.Run()
	d := time.Since(start)
	if err != nil {
		return d, stdout.String(), fmt.Errorf("%s %s: %v\n%s", t.bin, strings.Join(args, " "), err, stderr.String())
	}
	return d, stdout.String(), nil
}

// op is one timed operation: args fetch the key fpr into a home.
type op struct {
	name string
	args []string
	fpr  string
}

// fetch runs o in home and checks that the key was imported as new.
func (t tool) fetch(home string, o op) (time.Duration, error) {
	d, out, err := t.run(home, append([]string{"--status-fd", "1"}, o.args...)...)
	if err == nil && !strings.Contains(out, "[GNUPG:] IMPORT_OK 1 "+o.fpr+"\n") {
		err = fmt.Errorf("%s %s: no IMPORT_OK 1 %s in\n%s", t.bin, strings.Join(o.args, " "), o.fpr, out)
	}
	return d, err
}

// homes makes fresh home directories under dir.
type homes struct {
	dir string
	n   int
}

func (h *homes) fresh(name string) (string, error) {
	h.n++
	home := filepath.Join(h.dir, fmt.Sprintf("%s-%d", name, h.n))
	return home, os.Mkdir(home, 0o700)
}

// stopGnuPG stops the dirmngr and gpg-agent of a gpg home and waits (at
// most 5 s) until dirmngr's socket is gone, so that a daemon shutting down
// does not share the CPU with the next timed run.
func stopGnuPG(home string) {
	out, _ := exec.Command("gpgconf", "--homedir", home, "--list-dirs", "dirmngr-socket").Output()
	_ = exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
	sock := strings.TrimSpace(string(out))
	for deadline := time.Now().Add(5 * time.Second); sock != "" && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(sock); os.IsNotExist(err) {
			return
		}
	}
}

func run(c *cleanups, n int, oursBin, gpgBin string, check bool) error {
	abs, err := filepath.Abs(oursBin)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "netbench-")
	if err != nil {
		return err
	}
	c.add(func() { os.RemoveAll(dir) })
	gpg := tool{bin: gpgBin}
	ours := tool{bin: abs}
	h := &homes{dir: dir}

	// Alice (fetched by HKP), Bob (by WKD) and Carol, made by gpg.
	src, err := h.fresh("src")
	if err != nil {
		return err
	}
	c.add(func() { stopGnuPG(src) })
	params := filepath.Join(dir, "keys.params")
	var p strings.Builder
	for _, u := range []string{"Alice <alice@example.org>", "Bob <bob@example.org>", "Carol <carol@example.net>"} {
		name, mail, _ := strings.Cut(strings.TrimSuffix(u, ">"), " <")
		fmt.Fprintf(&p, "%%no-protection\nKey-Type: eddsa\nKey-Curve: ed25519\nName-Real: %s\nName-Email: %s\nExpire-Date: 0\n%%commit\n", name, mail)
	}
	if err := os.WriteFile(params, []byte(p.String()), 0o644); err != nil {
		return err
	}
	if _, _, err := gpg.run(src, "--gen-key", params); err != nil {
		return err
	}
	fprs := map[string]string{}
	var certs []string
	for _, who := range []string{"alice@example.org", "bob@example.org", "carol@example.net"} {
		_, out, err := gpg.run(src, "--with-colons", "--list-keys", who)
		if err != nil {
			return err
		}
		for _, l := range strings.Split(out, "\n") {
			if f, ok := strings.CutPrefix(l, "fpr:::::::::"); ok {
				fprs[who] = strings.TrimSuffix(f, ":")
				break
			}
		}
		file := filepath.Join(dir, who+".gpg")
		if _, _, err := gpg.run(src, "-o", file, "--export", fprs[who]); err != nil {
			return err
		}
		certs = append(certs, file)
	}

	sks, err := netpeers.StartSKS(filepath.Join(dir, "sks"), certs...)
	if err != nil {
		return err
	}
	c.add(sks.Stop)
	ops := []op{{"hkp recv", []string{"--keyserver", sks.URL, "--recv-keys", fprs["alice@example.org"]}, fprs["alice@example.org"]}}
	wkdNote := "WKD: skipped (gpg's dirmngr finds a loopback WKD server only in a private mount namespace: needs root)"
	if os.Geteuid() == 0 {
		addr, err := startWKD(c, dir, certs[1])
		if err != nil {
			return err
		}
		ip := addr.IP.String()
		ours.extra = []string{"--resolve", "openpgpkey.example.org:443:" + ip, "--resolve", "example.org:443:" + ip,
			"--hkp-cacert", filepath.Join(dir, "ca.pem")}
		ops = append(ops, op{"wkd hit", []string{"--auto-key-locate", "clear,wkd", "--locate-external-keys", "bob@example.org"}, fprs["bob@example.org"]})
		wkdNote = fmt.Sprintf("WKD: HTTPS server (test CA) at %s, advanced method; gpg in a mount namespace where /etc/hosts and the CA bundle point at it, ours with --resolve and --hkp-cacert", addr)
	}

	// The warm homes; one untimed fetch of each operation starts gpg's
	// dirmngr (and tells whether ours can do it).
	oursWarm, err := h.fresh("ours-warm")
	if err != nil {
		return err
	}
	gpgWarm, err := h.fresh("gpg-warm")
	if err != nil {
		return err
	}
	c.add(func() { stopGnuPG(gpgWarm) })
	unavailable := map[string]string{}
	for _, o := range ops {
		if _, err := gpg.fetch(gpgWarm, o); err != nil {
			return err
		}
		if _, err := ours.fetch(oursWarm, o); err != nil {
			unavailable[o.name] = firstLine(err)
		}
	}

	type key struct{ op, state, who string }
	times := map[key][]time.Duration{}
	for i := 0; i < n; i++ {
		for _, o := range ops {
			for _, t := range []struct {
				who string
				t   tool
			}{{"ours", ours}, {"gpg", gpg}} {
				if t.who == "ours" && unavailable[o.name] != "" {
					continue
				}
				// cold: a fresh home
				home, err := h.fresh(t.who)
				if err != nil {
					return err
				}
				d, err := t.t.fetch(home, o)
				if t.who == "gpg" {
					stopGnuPG(home)
				}
				if err != nil {
					return err
				}
				os.RemoveAll(home)
				times[key{o.name, "cold", t.who}] = append(times[key{o.name, "cold", t.who}], d)
				// warm: the key deleted from the warm home, then fetched
				warm := map[string]string{"ours": oursWarm, "gpg": gpgWarm}[t.who]
				if _, _, err := t.t.run(warm, "--delete-keys", o.fpr); err != nil {
					return err
				}
				if d, err = t.t.fetch(warm, o); err != nil {
					return err
				}
				times[key{o.name, "warm", t.who}] = append(times[key{o.name, "warm", t.who}], d)
			}
		}
	}

	fmt.Printf("%d rounds; HKP: sks at %s, recv of one ed25519 certificate by fingerprint\n%s\n", n, sks.URL, wkdNote)
	fmt.Println("cold: a fresh home each run (gpg starts its dirmngr); warm: one home per tool, gpg's dirmngr running, the key deleted between runs")
	fmt.Printf("%-10s %-5s %10s %10s %7s %8s\n", "", "", "ours (ms)", "gpg (ms)", "ratio", "goal")
	missed := false
	for _, o := range ops {
		for _, state := range []string{"cold", "warm"} {
			g := times[key{o.name, state, "gpg"}]
			goal := fmt.Sprintf("<= %.2f", goals[state])
			if why := unavailable[o.name]; why != "" {
				fmt.Printf("%-10s %-5s %10s %10.1f %7s %8s ours not available: %s\n", o.name, state, "n/a", stats.MS(stats.Median(g)), "n/a", goal, why)
				missed = true
				continue
			}
			ot := times[key{o.name, state, "ours"}]
			ratio := float64(stats.Median(ot)) / float64(stats.Median(g))
			fmt.Printf("%-10s %-5s %10.1f %10.1f %7.2f %8s %s   (p90 %.1f / %.1f)\n", o.name, state, stats.MS(stats.Median(ot)), stats.MS(stats.Median(g)), ratio, goal,
				stats.Verdict(ratio <= goals[state]), stats.MS(stats.Pct(ot, 90)), stats.MS(stats.Pct(g, 90)))
			missed = missed || ratio > goals[state]
		}
	}
	if check && missed {
		return fmt.Errorf("goal missed")
	}
	return nil
}

// startWKD serves cert as bob@example.org's key from an HTTPS server on
// loopback, and bind-mounts a host table naming it and a CA bundle of its
// test CA over the system's, in this process's own mount namespace.
func startWKD(c *cleanups, dir, cert string) (*net.TCPAddr, error) {
	if err := privateNamespace(); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(cert)
	if err != nil {
		return nil, err
	}
	root := filepath.Join(dir, "wkd")
	if err := netpeers.WKDPut(root, "bob@example.org", data, false); err != nil {
		return nil, err
	}
	h, err := netpeers.WKDHandler("ok", root)
	if err != nil {
		return nil, err
	}
	ca, err := netpeers.NewCA("front netbench CA")
	if err != nil {
		return nil, err
	}
	l, err := netpeers.WKDListener()
	if err != nil {
		return nil, err
	}
	addr := l.Addr().(*net.TCPAddr)
	names, hostsLines := netpeers.WKDNames(addr.IP, []string{"example.org"})
	leaf, err := ca.Leaf(names)
	if err != nil {
		l.Close()
		return nil, err
	}
	c.add(netpeers.Serve(l, &leaf, nil, h))
	hosts, caFile := filepath.Join(dir, "hosts"), filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(hosts, []byte("127.0.0.1 localhost\n::1 localhost\n"+hostsLines), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(caFile, ca.PEM, 0o644); err != nil {
		return nil, err
	}
	for _, m := range [][2]string{{hosts, netpeers.HostsFile}, {caFile, netpeers.CABundle}} {
		if err := syscall.Mount(m[0], m[1], "", syscall.MS_BIND, ""); err != nil {
			return nil, fmt.Errorf("bind mount %s on %s: %v", m[0], m[1], err)
		}
	}
	return addr, nil
}

// privateNamespace refuses to go on (and bind-mount over system files)
// unless this process has a mount namespace other than the one of the copy
// that started it.
func privateNamespace() error {
	self, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		return err
	}
	if outer := os.Getenv(nsEnv); outer == "" || outer == self {
		return fmt.Errorf("not in a private mount namespace (%s)", self)
	}
	return nil
}

func firstLine(err error) string {
	s := err.Error()
	if _, rest, ok := strings.Cut(s, "\n"); ok && strings.TrimSpace(rest) != "" {
		s = rest
	}
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}
