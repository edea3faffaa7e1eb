// Package gpgtool runs the two sides of a benchmark here, front (invoked as
// gpg) and GnuPG, each on a home of its own and the same way: --batch
// --yes, the C locale, HOME set to the home and nothing else from the
// environment but PATH, so that neither side reads the user's files or
// settings.
package gpgtool

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Tool is a gpg-compatible binary on a home.
type Tool struct {
	Bin, Home string
}

// Cmd is the command for args on t's home (not started).
func (t Tool) Cmd(args ...string) *exec.Cmd {
	c := exec.Command(t.Bin, append([]string{"--homedir", t.Home, "--batch", "--yes"}, args...)...)
	c.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "HOME=" + t.Home}
	return c
}

// With is t run by another binary (an earlier build) on the same home.
func (t Tool) With(bin string) Tool { return Tool{bin, t.Home} }

// Must runs args (setup, not timed); a failure carries the command's
// stderr.
func (t Tool) Must(args ...string) error {
	c := t.Cmd(args...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", t.Bin, strings.Join(args, " "), err, stderr.String())
	}
	return nil
}

// Timed runs c and returns its wall time (fork+exec+wait); its output is
// discarded, a failure carries its stderr.
func Timed(c *exec.Cmd) (time.Duration, error) {
	var stderr bytes.Buffer
	c.Stderr = &stderr
	start := time.Now()
	err := c.Run()
	d := time.Since(start)
	if err != nil {
		return d, fmt.Errorf("%s: %v\n%s", strings.Join(c.Args, " "), err, stderr.String())
	}
	return d, nil
}

// Bench is a temporary directory holding the two sides' empty homes, ours
// and gpg.
type Bench struct {
	Dir       string
	Ours, GPG Tool
}

// Setup makes a temporary directory (named from prefix) with an empty home
// for ours (oursBin made absolute: its helpers are found beside it) and
// one for gpg.
func Setup(prefix, oursBin, gpgBin string) (*Bench, error) {
	abs, err := filepath.Abs(oursBin)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	b := &Bench{dir, Tool{abs, filepath.Join(dir, "ours")}, Tool{gpgBin, filepath.Join(dir, "gpg")}}
	for _, h := range []string{b.Ours.Home, b.GPG.Home} {
		if err := os.Mkdir(h, 0o700); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	return b, nil
}

// Close stops the daemons gpg started on its home, then removes the
// directory.
func (b *Bench) Close() {
	exec.Command("gpgconf", "--homedir", b.GPG.Home, "--kill", "all").Run()
	os.RemoveAll(b.Dir)
}
