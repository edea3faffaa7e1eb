package main

import (
	"fmt"
	"os/exec"
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
