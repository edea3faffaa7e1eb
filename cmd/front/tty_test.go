package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tmuxSession runs one command in a detached tmux server of its own (a
// private socket), so the command has a real terminal to prompt on.
type tmuxSession struct {
	t      *testing.T
	socket string
}

func startTmux(t *testing.T, command string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux missing in CI")
		}
		t.Skip("tmux not installed")
	}
	s := &tmuxSession{t: t, socket: fmt.Sprintf("front-test-%d-%d", os.Getpid(), time.Now().UnixNano())}
	if out, err := exec.Command("tmux", "-L", s.socket, "new-session", "-d", "-x", "160", "-y", "40", command).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	return s
}

func (s *tmuxSession) screen() string {
	out, _ := exec.Command("tmux", "-L", s.socket, "capture-pane", "-p").Output()
	return string(out)
}

// waitFor polls the screen until it contains text.
func (s *tmuxSession) waitFor(text string) string { return s.waitForCount(text, 1) }

// waitForCount polls the screen until text appears n times.
func (s *tmuxSession) waitForCount(text string, n int) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if scr := s.screen(); strings.Count(scr, text) >= n {
			return scr
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("timed out waiting for %q; screen:\n%s", text, s.screen())
	return ""
}

func (s *tmuxSession) send(keys ...string) {
	s.t.Helper()
	if out, err := exec.Command("tmux", append([]string{"-L", s.socket, "send-keys"}, keys...)...).CombinedOutput(); err != nil {
		s.t.Fatalf("send-keys: %v\n%s", err, out)
	}
}

// tmuxRun is one shell command run under tmux whose exit code is written
// to a file in dir; the pane stays open for its screen to be read.
type tmuxRun struct {
	*tmuxSession
	done string
}

func startTmuxRun(t *testing.T, dir, name, command string) *tmuxRun {
	t.Helper()
	done := filepath.Join(dir, name+".rc")
	return &tmuxRun{startTmux(t, fmt.Sprintf("%s; echo $? > %s; sleep 60", command, done)), done}
}

// rc waits for the command to end and returns its exit code.
func (r *tmuxRun) rc() string {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(r.done); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b))
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.t.Fatalf("command did not finish; screen:\n%s", r.screen())
	return ""
}

// ttyUserHome builds front and makes a home with the key "Tty User"
// protected by passphrase.
func ttyUserHome(t *testing.T, passphrase string) (gpg, home string) {
	t.Helper()
	gpg = buildBinaries(t)
	home = t.TempDir()
	gen := exec.Command(gpg, "--homedir", home, "--batch", "--passphrase", passphrase, "--quick-gen-key", "Tty User <tty@example.org>")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	return gpg, home
}

// TestTerminalPrompt: without --batch and a passphrase source, signing asks
// on the terminal with keyhelper's prompt (naming the key), echo off; three
// wrong answers end with "Bad passphrase", the right one signs.
//
// It is front's fallback when no pinentry program can be run (here: the
// configured one does not exist); the cache is off, so each run asks.
func TestTerminalPrompt(t *testing.T) {
	gpg, home := ttyUserHome(t, "sekrit")
	os.WriteFile(filepath.Join(home, "gpg-agent.conf"), []byte("pinentry-program /nonexistent/pinentry\npassphrase-cache none\n"), 0o600)
	data := filepath.Join(home, "data")
	os.WriteFile(data, []byte("typed at a terminal\n"), 0o644)

	run := func(name string) *tmuxRun {
		return startTmuxRun(t, home, name, fmt.Sprintf("%s --homedir %s -b -o %s.sig %s", gpg, home, filepath.Join(home, name), data))
	}

	s := run("good")
	scr := s.waitFor("Passphrase:")
	if !strings.Contains(scr, "Please enter the passphrase to unlock the OpenPGP secret key") || !strings.Contains(scr, `"Tty User <tty@example.org>"`) {
		t.Fatalf("prompt does not name the key:\n%s", scr)
	}
	s.send("sekrit", "Enter")
	if rc := s.rc(); rc != "0" {
		t.Fatalf("signing exit %s; screen:\n%s", rc, s.screen())
	}
	if strings.Contains(s.screen(), "sekrit") {
		t.Fatal("passphrase was echoed")
	}
	verify := exec.Command(gpg, "--homedir", home, "--verify", filepath.Join(home, "good.sig"), data)
	if out, err := verify.CombinedOutput(); err != nil {
		t.Fatalf("verify: %v\n%s", err, out)
	}

	s = run("bad")
	for i := 1; i <= 3; i++ {
		s.waitForCount("Passphrase:", i)
		s.send("wrong", "Enter")
	}
	if rc := s.rc(); rc != "2" {
		t.Fatalf("wrong passphrase: exit %s; screen:\n%s", rc, s.screen())
	}
	if scr := s.screen(); !strings.Contains(scr, "Bad passphrase") {
		t.Fatalf("no Bad passphrase message:\n%s", scr)
	}
	if _, err := os.Stat(filepath.Join(home, "bad.sig")); err == nil {
		t.Fatal("a signature file was left after failing")
	}
}
