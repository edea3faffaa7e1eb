package main

import (
	"fmt"
	"github.com/frontpgp/front/bench/internal/gpgtool"
	"github.com/frontpgp/front/bench/internal/stats"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// runCached times signing with a passphrase-protected key whose passphrase
// is cached: gpg with a warm gpg-agent that holds it, ours with it in the
// kernel keyring (--passphrase-cache keyring). Both caches are filled by
// one signing whose passphrase comes through the loopback dialog on the
// command fd; every timed signing is --batch with no passphrase source, so
// it succeeds only on a cache hit.
func runCached(n int, oursBin, gpgBin string, check bool) error {
	b, err := gpgtool.Setup("signcached-", oursBin, gpgBin)
	if err != nil {
		return err
	}
	defer b.Close()
	dir, ours, gpg, abs := b.Dir, b.Ours, b.GPG, b.Ours.Bin
	// front as gpgconf forgets the cached passphrase of its home
	defer exec.Command(filepath.Join(filepath.Dir(abs), "gpgconf"), "--homedir", ours.Home, "--kill", "gpg-agent").Run()
	data := filepath.Join(dir, "data")
	if err := os.WriteFile(data, []byte(strings.Repeat("x", 1024)), 0o644); err != nil {
		return err
	}
	sec := filepath.Join(dir, "key.sec")
	for _, s := range [][]string{
		{"--pinentry-mode", "loopback", "--passphrase", "bench-pass", "--quick-gen-key", "Bench <bench@example.org>", "ed25519", "sign", "never"},
		{"--pinentry-mode", "loopback", "--passphrase", "bench-pass", "-o", sec, "--export-secret-keys", "bench@example.org"},
	} {
		if err := gpg.Must(s...); err != nil {
			return err
		}
	}
	if err := ours.Must("--import", sec); err != nil {
		return err
	}
	sig := filepath.Join(dir, "s.sig")
	// fill the caches: the passphrase answers the loopback dialog
	for _, t := range []gpgtool.Tool{gpg, ours} {
		c := t.Cmd("--passphrase-cache", "keyring", "--pinentry-mode", "loopback", "--command-fd", "0", "-u", "bench@example.org", "-b", "-o", sig, data)
		if t.Bin == gpgBin {
			c = t.Cmd("--pinentry-mode", "loopback", "--passphrase", "bench-pass", "-u", "bench@example.org", "-b", "-o", sig, data)
		}
		c.Stdin = strings.NewReader("bench-pass\n")
		if out, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: filling the cache: %v\n%s", t.Bin, err, out)
		}
	}
	args := map[string][]string{
		gpgBin: {"--pinentry-mode", "loopback", "-u", "bench@example.org", "-b", "-o", sig, data},
		abs:    {"--passphrase-cache", "keyring", "-u", "bench@example.org", "-b", "-o", sig, data},
	}
	var o, g []time.Duration
	for i := 0; i < n; i++ {
		for _, op := range []struct {
			t    gpgtool.Tool
			into *[]time.Duration
		}{{ours, &o}, {gpg, &g}} {
			d, err := gpgtool.Timed(op.t.Cmd(args[op.t.Bin]...))
			if err != nil {
				return fmt.Errorf("cache miss? %w", err)
			}
			*op.into = append(*op.into, d)
		}
	}
	ratio := float64(stats.Median(o)) / float64(stats.Median(g))
	fmt.Printf("%d rounds, 1 KiB file, passphrase-protected ed25519, passphrase cached (ours: kernel keyring; gpg: warm agent)\n", n)
	fmt.Printf("%-12s %12s %12s %8s %8s\n", "", "ours (ms)", "gpg (ms)", "ratio", "target")
	fmt.Printf("%-12s %12.2f %12.2f %8.2f %8s %s\n", "cached sign", stats.MS(stats.Median(o)), stats.MS(stats.Median(g)), ratio, "<= 0.60", stats.Verdict(ratio <= 0.6))
	if check && ratio > 0.6 {
		return fmt.Errorf("target missed")
	}
	return nil
}
