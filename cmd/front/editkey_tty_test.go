package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEditKeyTerminal: --edit-key without --batch and a command fd reads
// its commands at the "gpg> " prompt of the terminal; adduid asks for the
// parts of the user ID and for the okay, quit asks whether to save.
func TestEditKeyTerminal(t *testing.T) {
	gpg, home := ttyUserHome(t, "")
	s := startTmuxRun(t, home, "edit", fmt.Sprintf("%s --homedir %s --edit-key tty@example.org", gpg, home))
	s.waitFor("gpg>")
	if scr := s.screen(); !strings.Contains(scr, "[ultimate] (1). Tty User <tty@example.org>") {
		t.Fatalf("no key listing:\n%s", scr)
	}
	s.send("adduid", "Enter")
	s.waitFor("Real name:")
	s.send("Second User", "Enter")
	s.waitFor("Email address:")
	s.send("second@example.org", "Enter")
	s.waitFor("Comment:")
	s.send("Enter")
	s.waitFor("(O)kay/(Q)uit?")
	s.send("o", "Enter")
	s.waitFor("(2)  Second User <second@example.org>")
	s.send("quit", "Enter")
	s.waitFor("Save changes? (y/N)")
	s.send("y", "Enter")
	if rc := s.rc(); rc != "0" {
		t.Fatalf("exit %s; screen:\n%s", rc, s.screen())
	}
	out, err := exec.Command(gpg, "--homedir", home, "--batch", "--with-colons", "--list-keys").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Second User <second@example.org>") {
		t.Fatalf("user ID not saved: %v\n%s", err, out)
	}
}

// TestEditKeyTTYRules: on a terminal, --edit-key's listing goes to the
// terminal (not stderr); with --no-tty nowhere; with --batch to stderr
// (gpg's ttyio rules). stderr goes to a file, so what the screen shows
// came through /dev/tty.
func TestEditKeyTTYRules(t *testing.T) {
	gpg, home := ttyUserHome(t, "")
	const listing = "(1). Tty User <tty@example.org>"
	for _, c := range []struct {
		name, opt       string
		onScreen, onErr bool
	}{
		{"tty", "", true, false},
		{"notty", "--no-tty", false, false},
		{"batch", "--batch", false, true},
	} {
		errFile := filepath.Join(home, c.name+".err")
		s := startTmuxRun(t, home, c.name, fmt.Sprintf("%s --homedir %s %s --edit-key tty@example.org list quit 2>%s", gpg, home, c.opt, errFile))
		if rc := s.rc(); rc != "0" {
			t.Fatalf("%s: exit %s; screen:\n%s", c.name, rc, s.screen())
		}
		scr := s.screen()
		errOut, err := os.ReadFile(errFile)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(scr, listing) != c.onScreen || strings.Contains(string(errOut), listing) != c.onErr {
			t.Errorf("%s: listing on screen %v (want %v), on stderr %v (want %v)\nscreen:\n%s\nstderr:\n%s", c.name,
				strings.Contains(scr, listing), c.onScreen, strings.Contains(string(errOut), listing), c.onErr, scr, errOut)
		}
		if !c.onErr && len(errOut) > 0 {
			t.Errorf("%s: unexpected stderr:\n%s", c.name, errOut)
		}
	}
}
