package gpghome

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestHome: the home is private and usable by gpg, and after the test's
// cleanup both it and the gpg-agent gpg started on it are gone.
func TestHome(t *testing.T) {
	if _, err := exec.LookPath("gpg"); err != nil {
		t.Skip("gpg not installed")
	}
	var home string
	t.Run("use", func(t *testing.T) {
		home = New(t, "/tmp", "gpghome-test-")
		st, err := os.Stat(home)
		if err != nil || st.Mode().Perm() != 0o700 || !strings.HasPrefix(filepath.Base(home), "gpghome-test-") {
			t.Fatalf("home %s: %v %v", home, st, err)
		}
		// a secret key operation starts gpg-agent on the home
		out, err := exec.Command("gpg", "--homedir", home, "--batch", "--passphrase", "", "--pinentry-mode", "loopback",
			"--quick-gen-key", "Home <h@example.org>", "ed25519", "sign", "never").CombinedOutput()
		if err != nil {
			t.Fatalf("gpg: %v\n%s", err, out)
		}
	})
	if _, err := os.Stat(home); !os.IsNotExist(err) {
		t.Fatalf("%s left behind: %v", home, err)
	}
	// gpg-agent's command line names the home: none may be left running
	out, _ := exec.Command("pgrep", "-f", "gpg-agent.*"+home).Output()
	if len(strings.TrimSpace(string(out))) != 0 {
		t.Fatalf("gpg-agent left running on %s: pids %s", home, out)
	}
}
