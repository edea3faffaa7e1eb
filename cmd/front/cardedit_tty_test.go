package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontpgp/front/internal/cardemu"
	"github.com/frontpgp/front/internal/pcscwait"
)

// TestCardEditTerminal: --card-edit on a terminal (no command fd, no
// --batch) with an emulated card on pcscd: the listing and the
// "gpg/card> " prompt, admin, name with its two prompts, the Admin PIN
// asked on the terminal (no pinentry program here) with echo off, then
// list shows the new name, and passwd's menu changes the PIN (old, new,
// repeat); quit ends with exit 0.
func TestCardEditTerminal(t *testing.T) {
	rig := cardemu.StartRig(t, cardemu.New(cardemu.Options{Serial: 0x0C0FFEE8}), cardemu.InsertOptions{})
	if err := pcscwait.WaitVisible(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	gpg := buildBinaries(t)
	if out, err := exec.Command("go", "build", "-o", filepath.Dir(gpg), "../cardhelper").CombinedOutput(); err != nil {
		t.Fatalf("build cardhelper: %v\n%s", err, out)
	}
	home := t.TempDir()
	os.WriteFile(filepath.Join(home, "gpg-agent.conf"), []byte("pinentry-program /nonexistent/pinentry\n"), 0o600)
	s := startTmuxRun(t, home, "cardedit", fmt.Sprintf("%s --homedir %s --card-edit", gpg, home))
	scr := s.waitFor("gpg/card>")
	if !strings.Contains(scr, "Serial number ....: 0C0FFEE8") || !strings.Contains(scr, "Name of cardholder: [not set]") {
		t.Fatalf("no card listing:\n%s", scr)
	}
	s.send("admin", "Enter")
	s.waitFor("Admin commands are allowed")
	s.send("name", "Enter")
	s.waitFor("Cardholder's surname:")
	s.send("Doe", "Enter")
	s.waitFor("Cardholder's given name:")
	s.send("Jo", "Enter")
	s.waitFor("Please enter the Admin PIN")
	s.send("12345678", "Enter")
	s.waitForCount("gpg/card>", 3)
	s.send("list", "Enter")
	s.waitFor("Name of cardholder: Jo Doe")
	s.send("passwd", "Enter")
	s.waitFor("Your selection?")
	s.send("1", "Enter")
	s.waitFor("Please enter the PIN")
	s.send("123456", "Enter")
	s.waitFor("New PIN")
	s.send("654321", "Enter")
	s.waitFor("Repeat this PIN")
	s.send("654321", "Enter")
	s.waitFor("PIN changed.")
	s.send("q", "Enter")
	s.send("quit", "Enter")
	if rc := s.rc(); rc != "0" {
		t.Fatalf("exit %s; screen:\n%s", rc, s.screen())
	}
	if scr := s.screen(); strings.Contains(scr, "12345678") || strings.Contains(scr, "654321") {
		t.Fatalf("a PIN was echoed:\n%s", scr)
	}
	if tries := rig.Card.Tries(); tries != [3]int{3, 0, 3} {
		t.Fatalf("retry counters %v", tries)
	}
	// the new PIN is the card's now: verify keeps the counter, the old
	// PIN costs a try
	for _, c := range []struct {
		pin   string
		tries int
	}{{"654321", 3}, {"123456", 2}} {
		out, _ := exec.Command(gpg, "--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", c.pin,
			"--command-fd", "0", "--card-edit", "verify", "quit").CombinedOutput()
		if got := rig.Card.Tries()[0]; got != c.tries {
			t.Fatalf("verify with %s: tries %d, want %d\n%s", c.pin, got, c.tries, out)
		}
	}
}
