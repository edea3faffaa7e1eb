package gpgtool

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestSetupAndRun runs GnuPG through a Bench: both homes exist, private;
// a command runs on its home with only PATH, LC_ALL and HOME; a failure
// carries gpg's stderr; Close removes everything.
func TestSetupAndRun(t *testing.T) {
	gpg, err := exec.LookPath("gpg")
	if err != nil {
		t.Skip("gpg not installed")
	}
	b, err := Setup("gpgtool-test-", "bin/gpg", gpg)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{b.Ours.Home, b.GPG.Home} {
		st, err := os.Stat(h)
		if err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
			t.Fatalf("home %s: %v %v", h, st, err)
		}
	}
	if !strings.HasPrefix(b.Ours.Bin, "/") {
		t.Fatalf("ours not absolute: %s", b.Ours.Bin)
	}
	c := b.GPG.Cmd("--with-colons", "--list-config")
	if want := []string{gpg, "--homedir", b.GPG.Home, "--batch", "--yes", "--with-colons", "--list-config"}; strings.Join(c.Args, " ") != strings.Join(want, " ") {
		t.Fatalf("args %q", c.Args)
	}
	if len(c.Env) != 3 || c.Env[2] != "HOME="+b.GPG.Home {
		t.Fatalf("env %q", c.Env)
	}
	if d, err := Timed(c); err != nil || d <= 0 {
		t.Fatalf("timed: %v %v", d, err)
	}
	err = b.GPG.Must("--verify", "/nonexistent-signature")
	if err == nil || !strings.Contains(err.Error(), "nonexistent-signature") || !strings.Contains(err.Error(), "gpg:") {
		t.Fatalf("a failure without gpg's stderr: %v", err)
	}
	if _, err := Timed(b.GPG.With(gpg).Cmd("--no-such-option")); err == nil {
		t.Fatal("a failed command timed as a success")
	}
	b.Close()
	if _, err := os.Stat(b.Dir); !os.IsNotExist(err) {
		t.Fatalf("%s left behind: %v", b.Dir, err)
	}
}
