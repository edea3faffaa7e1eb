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

// TestPinentryCache: with Debian's pinentry-tty and pinentry-curses under
// tmux, a signing asks once through the pinentry, a second signing within
// the TTL does not ask (kernel keyring cache), `gpgconf --kill gpg-agent`
// makes the next one ask again, and a cancel there ends with gpg's
// FAILURE code and exit code.
func TestPinentryCache(t *testing.T) {
	for _, tc := range []struct {
		// ready is on the screen once the pinentry reads keys
		program, ready string
		cancelKeys     []string
	}{
		{"pinentry-tty", "Passphrase:", []string{"C-d"}},
		// Tab moves to <OK>, then to <Cancel>
		{"pinentry-curses", "<Cancel>", []string{"Tab", "Tab", "Enter"}},
	} {
		t.Run(tc.program, func(t *testing.T) {
			prog, err := exec.LookPath(tc.program)
			if err != nil {
				if os.Getenv("CI") == "true" {
					t.Fatalf("%s missing in CI", tc.program)
				}
				t.Skipf("%s not installed", tc.program)
			}
			gpg, home := ttyUserHome(t, "sekrit")
			conf := fmt.Sprintf("pinentry-program %s\npassphrase-cache keyring\n", prog)
			os.WriteFile(filepath.Join(home, "gpg-agent.conf"), []byte(conf), 0o600)
			gpgconf := filepath.Join(filepath.Dir(gpg), "gpgconf")
			os.Symlink(gpg, gpgconf)
			t.Cleanup(func() { exec.Command(gpgconf, "--homedir", home, "--kill", "gpg-agent").Run() })
			data := filepath.Join(home, "data")
			os.WriteFile(data, []byte("signed with a cached passphrase\n"), 0o644)

			sign := func(name string) (*tmuxRun, string) {
				statusFile := filepath.Join(home, name+".status")
				cmd := fmt.Sprintf("%s --homedir %s --status-file %s --yes -b -o %s.sig %s",
					gpg, home, statusFile, filepath.Join(home, name), data)
				return startTmuxRun(t, home, name, cmd), statusFile
			}

			// curses discards what was typed before its dialog is drawn
			ask := func(s *tmuxRun) string {
				scr := s.waitFor(tc.ready)
				time.Sleep(time.Second)
				return scr
			}
			s, st := sign("first")
			scr := ask(s)
			if !strings.Contains(scr, "Please enter the passphrase to unlock the OpenPGP secret key") {
				t.Fatalf("pinentry does not show keyhelper's description:\n%s", scr)
			}
			s.send("sekrit", "Enter")
			if rc := s.rc(); rc != "0" {
				t.Fatalf("first signing: exit %s\n%s", rc, s.screen())
			}
			if b, _ := os.ReadFile(st); !strings.Contains(string(b), "[GNUPG:] PINENTRY_LAUNCHED ") {
				t.Errorf("no PINENTRY_LAUNCHED:\n%s", b)
			}

			s, st = sign("second")
			if rc := s.rc(); rc != "0" {
				t.Fatalf("second signing: exit %s\n%s", rc, s.screen())
			}
			if b, _ := os.ReadFile(st); strings.Contains(string(b), "PINENTRY_LAUNCHED") || strings.Contains(s.screen(), "Passphrase:") {
				t.Fatalf("second signing asked again:\n%s\n%s", b, s.screen())
			}
			verify := exec.Command(gpg, "--homedir", home, "--verify", filepath.Join(home, "second.sig"), data)
			if out, err := verify.CombinedOutput(); err != nil {
				t.Fatalf("verify: %v\n%s", err, out)
			}

			if out, err := exec.Command(gpgconf, "--homedir", home, "--kill", "gpg-agent").CombinedOutput(); err != nil {
				t.Fatalf("gpgconf --kill: %v %s", err, out)
			}
			s, st = sign("third")
			ask(s)
			s.send(tc.cancelKeys...)
			if rc := s.rc(); rc != "2" {
				t.Fatalf("cancelled signing: exit %s\n%s", rc, s.screen())
			}
			// gpg 2.2.40: the pinentry's GPG_ERR_CANCELED, source pinentry
			if b, _ := os.ReadFile(st); !strings.Contains(string(b), "[GNUPG:] FAILURE sign 83886179\n") {
				t.Fatalf("status after cancel:\n%s", b)
			}
			if !strings.Contains(s.screen(), "signing failed: Operation cancelled") {
				t.Fatalf("no cancel message:\n%s", s.screen())
			}
		})
	}
}

// TestPinentryDies: a pinentry that exits while asked gives gpg's "End of
// file" failure at once, and is not started again.
func TestPinentryDies(t *testing.T) {
	gpg, home := ttyUserHome(t, "sekrit")
	prog := filepath.Join(home, "dying-pinentry")
	count := filepath.Join(home, "starts")
	script := fmt.Sprintf("#!/bin/sh\necho x >> %s\necho OK\nwhile read -r c rest; do case \"$c\" in GETPIN) exit 1;; *) echo OK;; esac; done\n", count)
	os.WriteFile(prog, []byte(script), 0o755)
	os.WriteFile(filepath.Join(home, "gpg-agent.conf"), []byte("pinentry-program "+prog+"\npassphrase-cache none\n"), 0o600)
	data := filepath.Join(home, "data")
	os.WriteFile(data, []byte("x\n"), 0o644)
	cmd := exec.Command(gpg, "--homedir", home, "--status-fd", "1", "-b", "-o", data+".sig", data)
	cmd.Env = append(os.Environ(), "DISPLAY=:99")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("exit: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "[GNUPG:] FAILURE sign 83902463") || !strings.Contains(string(out), "signing failed: End of file") {
		t.Fatalf("output:\n%s", out)
	}
	if b, _ := os.ReadFile(count); strings.Count(string(b), "x") != 1 || time.Since(start) > 10*time.Second {
		t.Fatalf("pinentry started %d times in %v", strings.Count(string(b), "x"), time.Since(start))
	}
}

// TestCacheOptions: gpg-agent.conf's cache options, end to end with the
// kernel keyring and a scripted pinentry that answers the passphrase and
// counts its starts. Each step signs and states how many starts there have
// been in all by then.
func TestCacheOptions(t *testing.T) {
	type step struct {
		// before runs ahead of the signing
		before func(t *testing.T, gpgconf, home string)
		args   []string
		starts int
		// exit is the exit code; the signature is made either way
		exit   int
		stderr string
	}
	reload := func(t *testing.T, gpgconf, home string) {
		if out, err := exec.Command(gpgconf, "--homedir", home, "--reload", "gpg-agent").CombinedOutput(); err != nil {
			t.Fatalf("gpgconf --reload: %v\n%s", err, out)
		}
	}
	wait := func(t *testing.T, _, _ string) { time.Sleep(3 * time.Second) }
	for _, tc := range []struct {
		name, conf string
		steps      []step
	}{
		{"reload forgets", "", []step{{starts: 1}, {starts: 1}, {before: reload, starts: 2}}},
		{"ignore-cache-for-signing", "ignore-cache-for-signing\n", []step{{starts: 1}, {starts: 2}}},
		// 1 s: a hit at once, gone after 3 s without use
		{"default-cache-ttl", "default-cache-ttl 1\n", []step{{starts: 1}, {starts: 1}, {before: wait, starts: 2}}},
		// the entry never outlives max-cache-ttl, whatever default-cache-ttl says
		{"max-cache-ttl", "default-cache-ttl 600\nmax-cache-ttl 2\n", []step{{starts: 1}, {before: wait, starts: 2}}},
		{"no-allow-loopback-pinentry", "no-allow-loopback-pinentry\n", []step{{
			args: []string{"--pinentry-mode", "loopback", "--passphrase", "wrong"},
			// gpg 2.2.40 logs it as an error, asks the pinentry, signs
			// and exits 2
			starts: 1, exit: 2, stderr: "gpg: setting pinentry mode 'loopback' failed: Not supported\n",
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gpg, home := ttyUserHome(t, "sekrit")
			gpgconf := filepath.Join(filepath.Dir(gpg), "gpgconf")
			os.Symlink("front", gpgconf)
			t.Cleanup(func() { exec.Command(gpgconf, "--homedir", home, "--kill", "gpg-agent").Run() })
			prog := filepath.Join(home, "answering-pinentry")
			script := "#!/bin/sh\necho OK\nwhile read -r c rest; do case \"$c\" in GETPIN) printf 'D sekrit\\nOK\\n';; BYE) echo OK; exit 0;; *) echo OK;; esac; done\n"
			os.WriteFile(prog, []byte(script), 0o755)
			starts := countingPinentry(home, prog, "keyring")
			conf := filepath.Join(home, "gpg-agent.conf")
			b, _ := os.ReadFile(conf)
			os.WriteFile(conf, append(b, tc.conf...), 0o600)
			data := filepath.Join(home, "data")
			os.WriteFile(data, []byte("x\n"), 0o644)
			for i, st := range tc.steps {
				if st.before != nil {
					st.before(t, gpgconf, home)
				}
				args := append([]string{"--homedir", home, "--yes"}, st.args...)
				cmd := exec.Command(gpg, append(args, "-b", "-o", data+".sig", data)...)
				cmd.Env = append(os.Environ(), "DISPLAY=:99")
				var stderr strings.Builder
				cmd.Stderr = &stderr
				os.Remove(data + ".sig")
				cmd.Run()
				if code := cmd.ProcessState.ExitCode(); code != st.exit {
					t.Fatalf("step %d: exit %d, want %d\n%s", i, code, st.exit, stderr.String())
				}
				if _, err := os.Stat(data + ".sig"); err != nil {
					t.Fatalf("step %d: no signature: %v\n%s", i, err, stderr.String())
				}
				if n := starts(); n != st.starts {
					t.Fatalf("step %d: %d pinentry starts in all, want %d", i, n, st.starts)
				}
				if !strings.Contains(stderr.String(), st.stderr) {
					t.Fatalf("step %d: stderr lacks %q:\n%s", i, st.stderr, stderr.String())
				}
			}
		})
	}
}
