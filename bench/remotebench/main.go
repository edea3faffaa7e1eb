// Command remotebench times a detached signature of 1 KiB made on a
// "remote" home (only the public key) through front ssh over a loopback
// sshd against the same signature made locally, and prints the medians.
//
// One front ssh session is opened to Debian's sshd on 127.0.0.1
// (internal/netpeers, needs root); its remote command prints the
// forwarded socket's path and waits on its stdin. The remote sign is front
// run with FRONT_REMOTE_SIGNER set to that path (the remote machine is
// this one), so each round is: the remote front, the ssh channel both
// ways, the local endpoint and a fresh restricted keyhelper. The local
// sign is front with the key's own home. Rounds alternate; each is a full
// process run timed around fork+exec+wait.
//
//	go run ./bench/remotebench -n 20 -ours bin/gpg
package main

import (
	"flag"
	"fmt"
	"github.com/frontpgp/front/bench/internal/stats"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/frontpgp/front/internal/netpeers"
)

func main() {
	n := flag.Int("n", 20, "rounds")
	ours := flag.String("ours", "bin/gpg", "front, invoked as gpg")
	flag.Parse()
	if err := run(*n, *ours); err != nil {
		fmt.Fprintln(os.Stderr, "remotebench:", err)
		os.Exit(1)
	}
}

func run(n int, ours string) error {
	ours, err := filepath.Abs(ours)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "remotebench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sshd, err := netpeers.StartSSHD(filepath.Join(dir, "sshd"))
	if err != nil {
		return err
	}
	defer sshd.Stop()
	local, remote, data := filepath.Join(dir, "local"), filepath.Join(dir, "remote"), filepath.Join(dir, "data")
	if err := os.WriteFile(data, make([]byte, 1024), 0o600); err != nil {
		return err
	}
	gpg := func(home string, stdin string, args ...string) (string, error) {
		cmd := exec.Command(ours, append([]string{"--homedir", home, "--batch"}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("gpg %s: %w", strings.Join(args, " "), err)
		}
		return string(out), nil
	}
	if _, err := gpg(local, "", "--passphrase", "", "--quick-generate-key", "Bench <bench@example.org>", "ed25519", "sign", "0"); err != nil {
		return err
	}
	pub, err := gpg(local, "", "--export", "bench@example.org")
	if err != nil {
		return err
	}
	if _, err := gpg(remote, pub, "--import"); err != nil {
		return err
	}

	sock, stop, err := sshd.FrontSession(ours, "GNUPGHOME="+local)
	if err != nil {
		return err
	}
	defer stop()

	sign := func(home string, env ...string) (time.Duration, error) {
		cmd := exec.Command(ours, "--homedir", home, "--batch", "-u", "bench@example.org", "-b", "-o", "-", data)
		cmd.Env = append(os.Environ(), env...)
		start := time.Now()
		b, err := cmd.Output()
		d := time.Since(start)
		if err != nil || len(b) == 0 {
			return 0, fmt.Errorf("signing in %s: %v", home, err)
		}
		return d, nil
	}
	var tl, tr []time.Duration
	for i := 0; i < n; i++ {
		d, err := sign(local)
		if err != nil {
			return err
		}
		tl = append(tl, d)
		if d, err = sign(remote, "FRONT_REMOTE_SIGNER="+sock); err != nil {
			return err
		}
		tr = append(tr, d)
	}
	ml, mr := stats.Median(tl), stats.Median(tr)
	fmt.Printf("detached sign 1 KiB, N=%d: local %.1f ms, remote over loopback ssh %.1f ms, ratio %.2f\n",
		n, stats.MS(ml), stats.MS(mr), float64(mr)/float64(ml))
	return nil
}
