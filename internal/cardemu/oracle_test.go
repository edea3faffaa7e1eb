package cardemu

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needTool skips (or, under CI=true, fails) when a program is missing.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

// TestOpenSCAcceptsCard: OpenSC's OpenPGP driver, which nobody here wrote,
// recognises the emulated card by its application and version.
func TestOpenSCAcceptsCard(t *testing.T) {
	tool := needTool(t, "opensc-tool")
	StartRig(t, New(Options{Serial: 0x0000C0DE}), InsertOptions{})
	var out []byte
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		out, err = exec.Command(tool, "-n").CombinedOutput()
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(string(out), "OpenPGP card v3.4 (FFFF 0000C0DE)") {
		t.Fatalf("opensc-tool -n: %s", out)
	}
}

// gnupg runs gpg 2.2.40 in home with scdaemon on pcscd (shared mode).
type gnupg struct {
	t    *testing.T
	gpg  string
	home string
}

func newGnuPG(t *testing.T) *gnupg {
	gpg := needTool(t, "gpg")
	needTool(t, "gpgconf")
	if _, err := os.Stat("/usr/lib/gnupg/scdaemon"); err != nil {
		needTool(t, "scdaemon") // Debian keeps it in /usr/lib/gnupg
	}
	home := t.TempDir()
	pinentry := filepath.Join(home, "pinentry.sh")
	// Answers PW3 when the prompt mentions the admin PIN, else PW1.
	script := `#!/bin/sh
echo "OK pinentry"
admin=0
while read -r cmd rest; do
  case "$cmd" in
    SETDESC|SETPROMPT) case "$rest" in *dmin*) admin=1;; esac; echo OK;;
    GETPIN) if [ $admin = 1 ]; then echo "D ` + DefaultPW3 + `"; else echo "D ` + DefaultPW1 + `"; fi; admin=0; echo OK;;
    BYE) echo OK; exit 0;;
    *) echo OK;;
  esac
done
`
	for name, body := range map[string]string{
		"pinentry.sh":    script,
		"scdaemon.conf":  "disable-ccid\npcsc-shared\n",
		"gpg-agent.conf": "pinentry-program " + pinentry + "\n",
	} {
		if err := os.WriteFile(filepath.Join(home, name), []byte(body), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	g := &gnupg{t: t, gpg: gpg, home: home}
	t.Cleanup(func() {
		c := exec.Command("gpgconf", "--kill", "all")
		c.Env = g.env()
		c.Run()
	})
	return g
}

func (g *gnupg) env() []string { return append(os.Environ(), "GNUPGHOME="+g.home) }

func (g *gnupg) run(stdin string, args ...string) string {
	g.t.Helper()
	c := exec.Command(g.gpg, args...)
	c.Env = g.env()
	c.Stdin = strings.NewReader(stdin)
	out, err := c.CombinedOutput()
	if err != nil {
		g.t.Fatalf("gpg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestGnuPGUsesCard: GnuPG 2.2.40's scdaemon reads the card status,
// generates all three keys on the card through --card-edit, signs with the
// card (verified by gpg) and decrypts with it, for each algorithm family.
func TestGnuPGUsesCard(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attrs [3][]byte
		shown string // "Key attributes" line
	}{
		{"25519", [3][]byte{}, "ed25519 cv25519 ed25519"},
		{"p256", [3][]byte{AttrP256ECDSA, AttrP256ECDH, AttrP256ECDSA}, "nistp256 nistp256 nistp256"},
		{"rsa2048", [3][]byte{AttrRSA(2048), AttrRSA(2048), AttrRSA(2048)}, "rsa2048 rsa2048 rsa2048"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGnuPG(t)
			card := New(Options{Serial: 0x01020304, Attrs: tc.attrs})
			StartRig(t, card, InsertOptions{})
			var status string
			deadline := time.Now().Add(10 * time.Second)
			for {
				c := exec.Command(g.gpg, "--card-status")
				c.Env = g.env()
				out, err := c.CombinedOutput()
				status = string(out)
				if err == nil || time.Now().After(deadline) {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			for _, want := range []string{
				"Application ID ...: D276000124010304FFFF010203040000",
				"Version ..........: 3.4",
				"Serial number ....: 01020304",
				"Key attributes ...: " + tc.shown,
				"PIN retry counter : 3 0 3",
			} {
				if !strings.Contains(status, want) {
					t.Fatalf("gpg --card-status lacks %q:\n%s", want, status)
				}
			}

			g.run("admin\ngenerate\nn\n0\ny\nCard Test\ncard@example.org\n\nO\nquit\n",
				"--no-tty", "--command-fd", "0", "--card-edit")
			msg := filepath.Join(g.home, "msg")
			os.WriteFile(msg, []byte("signed on an emulated card\n"), 0o600)
			before := card.SignatureCount() // the key generation's self-signatures
			g.run("", "--batch", "-u", "card@example.org", "-b", "-o", msg+".sig", msg)
			if out := g.run("", "--verify", msg+".sig", msg); !strings.Contains(out, "Good signature") {
				t.Fatalf("verify: %s", out)
			}
			if n := card.SignatureCount(); n != before+1 {
				t.Fatalf("signature counter %d, want %d", n, before+1)
			}
			g.run("", "--batch", "--trust-model", "always", "-r", "card@example.org", "-e", "-o", msg+".gpg", msg)
			if out := g.run("", "--batch", "-d", msg+".gpg"); !strings.Contains(out, "signed on an emulated card") {
				t.Fatalf("decrypt: %s", out)
			}
		})
	}
}
