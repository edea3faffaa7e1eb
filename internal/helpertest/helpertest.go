// Package helpertest builds a helper command (cardhelper, nethelper) once
// per test binary, so that its end-to-end tests prove the program that
// ships, under its real sandbox, without a build per test.
package helpertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Binary is the command in the test's working directory (go test runs in
// the package's directory, so "." is the command under test), built on
// first use into a temporary directory that Run removes.
type Binary struct {
	name string
	once sync.Once
	dir  string
	path string
	err  error
}

// New names the binary to build; nothing is built yet.
func New(name string) *Binary { return &Binary{name: name} }

// Path builds the binary the first time it is called and returns its path;
// a failed build fails t, then and on every later call.
func (b *Binary) Path(t testing.TB) string {
	t.Helper()
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", b.name+"-test-"); b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, b.name)
		if out, err := exec.Command("go", "build", "-o", b.path, ".").CombinedOutput(); err != nil {
			b.err = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// Run is for TestMain: it runs the tests, removes the built binary and
// returns the exit code for os.Exit.
func (b *Binary) Run(m *testing.M) int {
	code := m.Run()
	if b.dir != "" {
		os.RemoveAll(b.dir)
	}
	return code
}
