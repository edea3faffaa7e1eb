// Command signverify times signing with a passphrase-protected key whose
// passphrase is cached, ours (front, run as gpg) against GnuPG with a warm
// gpg-agent, and prints the medians and the ratio ours/gpg (runCached).
// Uncached signing and verification are timed by bench/latency.
//
//	go run ./bench/signverify -n 50 -ours bin/gpg
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	n := flag.Int("n", 50, "rounds")
	ours := flag.String("ours", "bin/gpg", "front, invoked as gpg")
	gpg := flag.String("gpg", "/usr/bin/gpg", "GnuPG")
	check := flag.Bool("check", false, "exit 1 when the target (<= 0.6x) is missed")
	flag.Parse()
	if err := runCached(*n, *ours, *gpg, *check); err != nil {
		fmt.Fprintln(os.Stderr, "signverify:", err)
		os.Exit(1)
	}
}
