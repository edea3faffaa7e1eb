// Package gpghome gives a test a GnuPG home of its own: a private temporary
// directory that the real gpg (the oracle) may start its daemons on, and
// that is gone, daemons stopped, when the test ends.
package gpghome

import (
	"os"
	"os/exec"
	"testing"
)

// New makes the home in dir (os.MkdirTemp's: "" for the default; a short
// one such as /tmp keeps gpg-agent's socket paths short) named from
// prefix, mode 0700 as gpg wants it. t's cleanup stops every daemon gpg
// started on it (gpgconf --kill all), then removes it.
func New(t testing.TB, dir, prefix string) string {
	t.Helper()
	home, err := os.MkdirTemp(dir, prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
		os.RemoveAll(home)
	})
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	return home
}
