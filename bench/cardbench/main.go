// Command cardbench times a detached signature of 1 KiB made with a key on
// an OpenPGP card: ours (front, cardhelper) against GnuPG 2.2.40 (gpg,
// gpg-agent, scdaemon in pcsc-shared mode), and prints the medians.
//
// The card is internal/cardemu's emulator in pcscd's vpcd reader (pcscd is
// started here, needs root); GnuPG generates its keys (--card-edit
// generate); ours imports the public key and learns the card
// (--card-status). Both give the PIN by loopback, so no pinentry is timed.
// gpg is timed warm (its agent and scdaemon stay up between rounds) and
// cold (gpgconf --kill all before each round). Rounds alternate; each is a
// full process run timed around fork+exec+wait.
//
// With -remote, ours also signs from a "remote" home (the public key only)
// through front ssh over a loopback sshd (internal/netpeers), the remote
// front given FRONT_REMOTE_SIGNER as in bench/remotebench; the local side
// takes the PIN by loopback from its gpg.conf. Those rounds alternate
// with local ones of ours.
//
//	go run ./bench/cardbench -n 20 -ours bin/gpg [-remote]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/frontpgp/front/internal/cardemu"
	"github.com/frontpgp/front/internal/netpeers"
)

func main() {
	n := flag.Int("n", 20, "rounds")
	ours := flag.String("ours", "bin/gpg", "front, invoked as gpg")
	remote := flag.Bool("remote", false, "also time ours signing from a remote home through front ssh")
	flag.Parse()
	if err := run(*n, *ours, *remote); err != nil {
		fmt.Fprintln(os.Stderr, "cardbench:", err)
		os.Exit(1)
	}
}

// pinentry answers the admin PIN when asked for it, else the user PIN
// (key generation only: the timed runs use loopback).
const pinentry = `#!/bin/sh
echo "OK pinentry"
admin=0
while read -r cmd rest; do
  case "$cmd" in
    SETDESC|SETPROMPT) case "$rest" in *dmin*) admin=1;; esac; echo OK;;
    GETPIN) if [ $admin = 1 ]; then echo "D ` + cardemu.DefaultPW3 + `"; else echo "D ` + cardemu.DefaultPW1 + `"; fi; admin=0; echo OK;;
    BYE) echo OK; exit 0;;
    *) echo OK;;
  esac
done
`

func run(n int, ours string, remote bool) error {
	ours, err := filepath.Abs(ours)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "cardbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p, err := cardemu.StartPCSCD()
	if err != nil {
		return err
	}
	defer p.Stop()
	slot, err := cardemu.Insert(cardemu.New(cardemu.Options{Serial: 0xBE4C0001}), cardemu.VPCDAddr, cardemu.InsertOptions{}, time.Now().Add(10*time.Second))
	if err != nil {
		return err
	}
	defer slot.Remove()
	if err := slot.WaitPowered(10 * time.Second); err != nil {
		return err
	}
	gh, oh, data := filepath.Join(dir, "gpg"), filepath.Join(dir, "ours"), filepath.Join(dir, "data")
	for _, d := range []string{gh, oh} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return err
		}
	}
	files := map[string]string{
		filepath.Join(dir, "pinentry.sh"):   pinentry,
		filepath.Join(gh, "scdaemon.conf"):  "disable-ccid\npcsc-shared\n",
		filepath.Join(gh, "gpg-agent.conf"): "pinentry-program " + filepath.Join(dir, "pinentry.sh") + "\n",
		data:                                strings.Repeat("x", 1023) + "\n",
	}
	for name, body := range files {
		if err := os.WriteFile(name, []byte(body), 0o700); err != nil {
			return err
		}
	}
	killGPG := func() { exec.Command("gpgconf", "--homedir", gh, "--kill", "all").Run() }
	defer killGPG()
	do := func(bin, home, stdin string, args ...string) (string, error) {
		cmd := exec.Command(bin, append([]string{"--homedir", home}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("%s %s: %w", bin, strings.Join(args, " "), err)
		}
		return string(out), nil
	}
	// the card may take a moment to show up in pcscd
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if _, err := do("gpg", gh, "", "--batch", "--card-status"); err == nil {
			break
		} else if time.Now().After(deadline) {
			return err
		}
	}
	if _, err := do("gpg", gh, "admin\ngenerate\nn\n0\ny\nCard Bench\ncard@example.org\n\nO\nquit\n", "--no-tty", "--command-fd", "0", "--card-edit"); err != nil {
		return err
	}
	pub, err := do("gpg", gh, "", "--batch", "--export", "card@example.org")
	if err != nil {
		return err
	}
	killGPG()
	if _, err := do(ours, oh, pub, "--batch", "--import"); err != nil {
		return err
	}
	if _, err := do(ours, oh, "", "--batch", "--card-status"); err != nil {
		return err
	}
	sign := func(bin, home string, env ...string) (time.Duration, error) {
		cmd := exec.Command(bin, "--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", cardemu.DefaultPW1,
			"-u", "card@example.org", "-b", "-o", "-", data)
		cmd.Env = append(os.Environ(), env...)
		start := time.Now()
		b, err := cmd.Output()
		d := time.Since(start)
		if err != nil || len(b) == 0 {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			return 0, fmt.Errorf("signing with %s: %v: %s", bin, err, bytes.TrimSpace(stderr))
		}
		return d, nil
	}
	var to, tw, tc []time.Duration
	if _, err := sign("gpg", gh); err != nil { // start gpg-agent and scdaemon
		return err
	}
	for i := 0; i < n; i++ {
		d, err := sign(ours, oh)
		if err != nil {
			return err
		}
		to = append(to, d)
		if d, err = sign("gpg", gh); err != nil {
			return err
		}
		tw = append(tw, d)
	}
	for i := 0; i < n; i++ {
		killGPG()
		d, err := sign("gpg", gh)
		if err != nil {
			return err
		}
		tc = append(tc, d)
	}
	mo, mw, mc := median(to), median(tw), median(tc)
	fmt.Printf("card sign 1 KiB (emulated card, pcscd), N=%d: ours %.1f ms, gpg warm %.1f ms (ratio %.2f), gpg cold %.1f ms (ratio %.2f)\n",
		n, ms(mo), ms(mw), float64(mo)/float64(mw), ms(mc), float64(mo)/float64(mc))
	if !remote {
		return nil
	}
	return remoteRounds(n, ours, dir, oh, pub, sign)
}

// remoteRounds times ours signing from a remote home through front ssh
// against ours signing locally, alternating, and prints the medians.
func remoteRounds(n int, ours, dir, local, pub string, sign func(bin, home string, env ...string) (time.Duration, error)) error {
	sshd, err := netpeers.StartSSHD(filepath.Join(dir, "sshd"))
	if err != nil {
		return err
	}
	defer sshd.Stop()
	rh := filepath.Join(dir, "remote")
	cmd := exec.Command(ours, "--homedir", rh, "--batch", "--import")
	cmd.Stdin = strings.NewReader(pub)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("import into the remote home: %v\n%s", err, out)
	}
	// front ssh takes no gpg options: the local side's PIN comes by
	// loopback from its gpg.conf
	pin := filepath.Join(dir, "pin")
	if err := os.WriteFile(pin, []byte(cardemu.DefaultPW1+"\n"), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(local, "gpg.conf"), []byte("pinentry-mode loopback\npassphrase-file "+pin+"\n"), 0o600); err != nil {
		return err
	}
	sock, stop, err := sshd.FrontSession(ours, "GNUPGHOME="+local)
	if err != nil {
		return err
	}
	defer stop()
	var tl, tr []time.Duration
	for i := 0; i < n; i++ {
		d, err := sign(ours, local)
		if err != nil {
			return err
		}
		tl = append(tl, d)
		if d, err = sign(ours, rh, "FRONT_REMOTE_SIGNER="+sock); err != nil {
			return err
		}
		tr = append(tr, d)
	}
	ml, mr := median(tl), median(tr)
	fmt.Printf("card sign 1 KiB, N=%d: ours local %.1f ms, ours remote over loopback front ssh %.1f ms (ratio %.2f)\n",
		n, ms(ml), ms(mr), float64(mr)/float64(ml))
	return nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
