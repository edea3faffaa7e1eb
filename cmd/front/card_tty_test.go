package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontpgp/front/internal/cardemu"
)

// TestCardPINPinentryTTY: a card key provisioned by GnuPG 2.2.40 (on the
// emulated card, pcscd) signs with ours under tmux; Debian's pinentry-tty
// asks for the PIN with gpg-agent's card text and, after a wrong try, the
// tries left; without a pinentry, front asks on the terminal.
func TestCardPINPinentryTTY(t *testing.T) {
	prog, err := exec.LookPath("pinentry-tty")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pinentry-tty missing in CI")
		}
		t.Skip("pinentry-tty not installed")
	}
	gpg := buildBinaries(t)
	if out, err := exec.Command("go", "build", "-o", filepath.Dir(gpg), "../cardhelper").CombinedOutput(); err != nil {
		t.Fatalf("build cardhelper: %v\n%s", err, out)
	}
	cardemu.StartRig(t, cardemu.New(cardemu.Options{Serial: 0x0C0FFEE6}), cardemu.InsertOptions{})

	// GnuPG generates the keys on the card (a scripted pinentry gives the PINs)
	gh, home := t.TempDir(), t.TempDir()
	script := filepath.Join(gh, "pinentry.sh")
	for name, body := range map[string]string{
		script: "#!/bin/sh\necho OK\nadmin=0\nwhile read -r cmd rest; do case \"$cmd\" in\n" +
			"SETDESC|SETPROMPT) case \"$rest\" in *dmin*) admin=1;; esac; echo OK;;\n" +
			"GETPIN) if [ $admin = 1 ]; then echo 'D " + cardemu.DefaultPW3 + "'; else echo 'D " + cardemu.DefaultPW1 + "'; fi; admin=0; echo OK;;\n" +
			"BYE) echo OK; exit 0;;\n*) echo OK;;\nesac; done\n",
		filepath.Join(gh, "scdaemon.conf"):    "disable-ccid\npcsc-shared\n",
		filepath.Join(gh, "gpg-agent.conf"):   "pinentry-program " + script + "\n",
		filepath.Join(home, "gpg-agent.conf"): "pinentry-program " + prog + "\n",
		filepath.Join(home, "data"):           "signed on the card\n",
	} {
		if err := os.WriteFile(name, []byte(body), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { exec.Command("gpgconf", "--homedir", gh, "--kill", "all").Run() })
	run := func(bin, dir, stdin string, args ...string) string {
		t.Helper()
		c := exec.Command(bin, append([]string{"--homedir", dir}, args...)...)
		c.Stdin = strings.NewReader(stdin)
		out, err := c.Output()
		if err != nil {
			t.Fatalf("%s %s: %v", bin, strings.Join(args, " "), err)
		}
		return string(out)
	}
	run("gpg", gh, "admin\ngenerate\nn\n0\ny\nCard Test\ncard@example.org\n\nO\nquit\n", "--no-tty", "--command-fd", "0", "--card-edit")
	pub := run("gpg", gh, "", "--batch", "--export", "card@example.org")
	exec.Command("gpgconf", "--homedir", gh, "--kill", "all").Run()
	run(gpg, home, pub, "--batch", "--import")
	run(gpg, home, "", "--batch", "--card-status")

	// one wrong try (loopback), so the prompt shows the tries left
	wrong := exec.Command(gpg, "--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "000000",
		"-u", "card@example.org", "-b", "-o", filepath.Join(home, "bad.sig"), filepath.Join(home, "data"))
	if out, err := wrong.CombinedOutput(); err == nil || !strings.Contains(string(out), "Bad PIN") {
		t.Fatalf("a wrong PIN: %v\n%s", err, out)
	}

	sig := filepath.Join(home, "data.sig")
	s := startTmuxRun(t, home, "sign", gpg+" --homedir "+home+" -u card@example.org -b -o "+sig+" "+filepath.Join(home, "data"))
	scr := s.waitFor("Remaining attempts: 2")
	for _, want := range []string{"Please unlock the card", "Number: FFFF 0C0FFEE6", "Counter: "} {
		if !strings.Contains(scr, want) {
			t.Fatalf("the PIN prompt lacks %q:\n%s", want, scr)
		}
	}
	s.send(cardemu.DefaultPW1, "Enter")
	if rc := s.rc(); rc != "0" {
		t.Fatalf("signing exited %s:\n%s", rc, s.screen())
	}
	if out, err := exec.Command("gpg", "--homedir", gh, "--batch", "--verify", sig, filepath.Join(home, "data")).CombinedOutput(); err != nil {
		t.Fatalf("gpg --verify: %v\n%s", err, out)
	}

	// without a pinentry program, front asks on the terminal itself
	if err := os.WriteFile(filepath.Join(home, "gpg-agent.conf"), []byte("pinentry-program /nonexistent/pinentry\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sig2 := filepath.Join(home, "data2.sig")
	s2 := startTmuxRun(t, home, "sign2", gpg+" --homedir "+home+" -u card@example.org -b -o "+sig2+" "+filepath.Join(home, "data"))
	scr = s2.waitFor("PIN:")
	if !strings.Contains(scr, "Please unlock the card") || strings.Contains(scr, "Remaining attempts") {
		t.Fatalf("terminal PIN prompt (the right PIN reset the counter):\n%s", scr)
	}
	s2.send(cardemu.DefaultPW1, "Enter")
	if rc := s2.rc(); rc != "0" {
		t.Fatalf("signing exited %s:\n%s", rc, s2.screen())
	}
	if out, err := exec.Command("gpg", "--homedir", gh, "--batch", "--verify", sig2, filepath.Join(home, "data")).CombinedOutput(); err != nil {
		t.Fatalf("gpg --verify: %v\n%s", err, out)
	}
}
