package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestClientsAskOnce: GPGME (Debian's python3-gpg) and pass, finding our
// gpg and gpgconf first in PATH, with a passphrase-protected key and
// Debian's pinentry-tty under tmux: the first operation asks through the
// pinentry, a second one within the TTL does not, and after `gpgconf
// --kill gpg-agent` (what pass and GPGME programs run to forget) the next
// one asks again. A wrapper around pinentry-tty counts its starts.
func TestClientsAskOnce(t *testing.T) {
	for _, tc := range []struct {
		name, needs string
		// setup prepares the client's data; op is the shell command of
		// one operation that needs the secret key
		setup func(t *testing.T, env []string, home string)
		op    string
	}{
		{"gpgme", "/usr/bin/python3", nil,
			"/usr/bin/python3 -c 'import gpg, os; c = gpg.Context(armor=True); assert c.engine_info.file_name == os.environ[\"FRONT_BIN\"] + \"/gpg\", c.engine_info.file_name; s, _ = c.sign(b\"by GPGME\\n\", mode=gpg.constants.sig.mode.DETACH); c.verify(b\"by GPGME\\n\", signature=s)'"},
		{"pass", "pass", func(t *testing.T, env []string, home string) {
			for _, args := range [][]string{{"init", "tty@example.org"}, {"insert", "-m", "web/site"}} {
				cmd := exec.Command("pass", args...)
				cmd.Env, cmd.Stdin = env, strings.NewReader("hunter2\n")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("pass %v: %v\n%s", args, err, out)
				}
			}
		}, "pass show web/site | grep -qx hunter2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			need := func(what string, err error) {
				if err == nil {
					return
				}
				if os.Getenv("CI") == "true" {
					t.Fatalf("%s missing in CI: %v", what, err)
				}
				t.Skipf("%s not installed: %v", what, err)
			}
			_, err := exec.LookPath(tc.needs)
			need(tc.needs, err)
			if tc.name == "gpgme" {
				need("python3-gpg", exec.Command("/usr/bin/python3", "-c", "import gpg").Run())
			}
			pinentry, err := exec.LookPath("pinentry-tty")
			need("pinentry-tty", err)
			gpg, home := ttyUserHome(t, "sekrit")
			bin := filepath.Dir(gpg)
			for _, name := range []string{"gpgconf", "gpg2"} {
				os.Symlink("front", filepath.Join(bin, name))
			}
			starts := countingPinentry(home, pinentry, "keyring")
			env := append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "GNUPGHOME="+home,
				"PASSWORD_STORE_DIR="+filepath.Join(home, "store"), "HOME="+home)
			kill := func() ([]byte, error) {
				cmd := exec.Command(filepath.Join(bin, "gpgconf"), "--kill", "gpg-agent")
				cmd.Env = env
				return cmd.CombinedOutput()
			}
			t.Cleanup(func() { kill() })
			if tc.setup != nil {
				tc.setup(t, env, home)
			}

			exports := fmt.Sprintf("export PATH=%s:$PATH FRONT_BIN=%[1]s GNUPGHOME=%s PASSWORD_STORE_DIR=%[2]s/store HOME=%[2]s GPG_TTY=$(tty)",
				bin, home)
			// run does one operation; want is how many times the
			// pinentry has been started by then
			run := func(name string, ask bool, want int) {
				r := startTmuxRun(t, home, name, exports+"; "+tc.op)
				if ask {
					r.waitFor("Passphrase:")
					r.send("sekrit", "Enter")
				}
				if rc := r.rc(); rc != "0" {
					t.Fatalf("%s: exit %s; screen:\n%s", name, rc, r.screen())
				}
				if n := starts(); n != want {
					t.Fatalf("%s: pinentry started %d times in all, want %d; screen:\n%s", name, n, want, r.screen())
				}
			}
			run("first", true, 1)
			run("second", false, 1)
			if out, err := kill(); err != nil {
				t.Fatalf("gpgconf --kill gpg-agent: %v\n%s", err, out)
			}
			run("third", true, 2)
		})
	}
}

// countingPinentry configures home to use program as its pinentry through a
// wrapper that counts its starts, and the passphrase cache backend cache;
// the function returned reads the count.
func countingPinentry(home, program, cache string) func() int {
	count := filepath.Join(home, "pinentry-starts")
	wrapper := filepath.Join(home, "pinentry")
	os.WriteFile(wrapper, []byte(fmt.Sprintf("#!/bin/sh\necho x >> %s\nexec %s \"$@\"\n", count, program)), 0o755)
	os.WriteFile(filepath.Join(home, "gpg-agent.conf"), []byte("pinentry-program "+wrapper+"\npassphrase-cache "+cache+"\n"), 0o600)
	return func() int {
		b, _ := os.ReadFile(count)
		return strings.Count(string(b), "x")
	}
}

// TestTokenPinentry: creating an access token asks the key's passphrase
// once through Debian's pinentry-tty (no cache), and the token then signs in
// --batch from a file without any pinentry; an operation outside its scope
// is refused.
func TestTokenPinentry(t *testing.T) {
	pinentry, err := exec.LookPath("pinentry-tty")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pinentry-tty missing in CI")
		}
		t.Skip("pinentry-tty not installed")
	}
	gpg, home := ttyUserHome(t, "sekrit")
	starts := countingPinentry(home, pinentry, "none")
	tok := filepath.Join(home, "ci.tok")
	r := startTmuxRun(t, home, "create", fmt.Sprintf("%s --homedir %s --token-app ci --token-ops sign --create-token tty@example.org > %s", gpg, home, tok))
	r.waitFor("Passphrase:")
	r.send("sekrit", "Enter")
	if rc := r.rc(); rc != "0" || starts() != 1 {
		t.Fatalf("create: exit %s, %d pinentry starts; screen:\n%s", rc, starts(), r.screen())
	}
	data := filepath.Join(home, "data")
	os.WriteFile(data, []byte("signed with a token\n"), 0o644)
	run := func(args ...string) ([]byte, error) {
		return exec.Command(gpg, append([]string{"--homedir", home, "--batch", "--status-fd", "1", "--token-file", tok}, args...)...).CombinedOutput()
	}
	if out, err := run("-b", "-o", data+".sig", data); err != nil {
		t.Fatalf("sign with the token: %v\n%s", err, out)
	}
	if out, err := run("--verify", data+".sig", data); err != nil || !strings.Contains(string(out), "[GNUPG:] GOODSIG ") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	enc := exec.Command(gpg, "--homedir", home, "--batch", "--trust-model", "always", "-e", "-r", "tty@example.org", "-o", data+".gpg", data)
	if out, err := enc.CombinedOutput(); err != nil {
		t.Fatalf("encrypt: %v\n%s", err, out)
	}
	// a sign-only token: decryption is refused (GPG_ERR_FORBIDDEN)
	if out, err := run("-o", data+".out", "-d", data+".gpg"); err == nil || !strings.Contains(string(out), "[GNUPG:] ERROR pkdecrypt_failed 67109115") {
		t.Fatalf("decrypt with a sign-only token: %v\n%s", err, out)
	}
	if n := starts(); n != 1 {
		t.Fatalf("token uses started the pinentry: %d starts", n)
	}
}
