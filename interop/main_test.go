package interop

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

const (
	realGPG     = "/usr/bin/gpg"
	realGPGV    = "/usr/bin/gpgv"
	realGPGConf = "/usr/bin/gpgconf"
)

var (
	// frontBin is the program the `ours` command runs: a path whose base
	// name is gpg (a symlink to our front), or /usr/bin/gpg itself.
	frontBin string
	// frontIsGnuPG is true when frontBin resolves to a real GnuPG binary,
	// i.e. the suite is checking its own transcripts against gpg.
	frontIsGnuPG bool
	// setupErr is reported by every test when front could not be built.
	setupErr error
	// inCI makes missing tools a failure instead of a skip (set by needFront).
	inCI bool
)

var (
	prepareOnce  sync.Once
	cleanupFront = func() {}
)

func TestMain(m *testing.M) {
	code := m.Run()
	cleanupFront()
	// Once in this workplace /dev/null was found replaced by a regular
	// file after a test run (something renamed onto it as root), which
	// then broke unrelated transcripts. Catch that where it happens.
	if st, err := os.Stat(os.DevNull); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		fmt.Fprintln(os.Stderr, "interop: /dev/null is no longer a character device after the transcripts")
		code = 1
	}
	os.Exit(code)
}

// needFront prepares the program under test once. It runs inside a test
// (not in TestMain) so that go test's result cache sees what it reads: the
// FRONT_BIN and CI variables, front's Go sources (a change invalidates a
// cached pass) or the FRONT_BIN binary, and the GnuPG binaries.
func needFront(t *testing.T) {
	t.Helper()
	prepareOnce.Do(func() {
		inCI = os.Getenv("CI") == "true"
		cleanupFront = prepareFront()
		for _, p := range []string{realGPG, realGPGV, realGPGConf, "/usr/bin/gpg-agent"} {
			touchForCache(p)
		}
	})
	if setupErr != nil {
		t.Fatal(setupErr)
	}
}

// touchForCache opens a file so that go test records it as an input.
func touchForCache(path string) {
	if f, err := os.Open(path); err == nil {
		f.Close()
	}
}

// touchSources opens the module's files outside interop/ that go into the
// build of front and keyhelper.
func touchSources(root string) {
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "interop" || name == "bin" || name == "bench") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") || name == "go.mod" || name == "go.sum" {
			touchForCache(p)
		}
		return nil
	})
}

// prepareFront sets frontBin from $FRONT_BIN, or builds ./cmd/front and
// ./cmd/keyhelper into a temporary directory and links gpg -> front there.
func prepareFront() (cleanup func()) {
	cleanup = func() {}
	if v := os.Getenv("FRONT_BIN"); v != "" {
		abs, err := filepath.Abs(v)
		if err != nil {
			setupErr = err
			return
		}
		if _, err := os.Stat(abs); err != nil {
			setupErr = fmt.Errorf("FRONT_BIN: %v", err)
			return
		}
		frontBin = abs
		if r, err := filepath.EvalSymlinks(abs); err == nil {
			touchForCache(r)
			touchForCache(filepath.Join(filepath.Dir(r), "keyhelper"))
		}
	} else {
		touchSources("..")
		dir, err := os.MkdirTemp("", "interop-front-")
		if err != nil {
			setupErr = err
			return
		}
		cleanup = func() { os.RemoveAll(dir) }
		// Readable by the unprivileged uid the setpriv transcripts use.
		if err := os.Chmod(dir, 0o755); err != nil {
			setupErr = err
			return
		}
		cmd := exec.Command(goTool(), "build", "-o", dir+string(filepath.Separator), "./cmd/front", "./cmd/keyhelper")
		cmd.Dir = ".." // the module root; go test runs in the package directory
		if out, err := cmd.CombinedOutput(); err != nil {
			setupErr = fmt.Errorf("building front (set FRONT_BIN to test a prebuilt one): %v\n%s", err, out)
			return
		}
		if err := os.Symlink("front", filepath.Join(dir, "gpg")); err != nil {
			setupErr = err
			return
		}
		frontBin = filepath.Join(dir, "gpg")
	}
	resolved, err := filepath.EvalSymlinks(frontBin)
	if err != nil {
		setupErr = err
		return
	}
	switch filepath.Base(resolved) {
	case "gpg", "gpg2":
		frontIsGnuPG = true
	}
	return cleanup
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// needTool skips the test when a tool is missing, except in CI, where a
// missing tool is a failure: CI must install everything the suite uses.
func needTool(t testing.TB, path string) {
	t.Helper()
	if _, err := exec.LookPath(path); err == nil {
		return
	}
	if inCI {
		t.Fatalf("%s is missing (CI=true: install it, e.g. with make deps)", path)
	}
	t.Skipf("%s is missing", path)
}

func TestInterop(t *testing.T) {
	needFront(t)
	for _, tool := range []string{realGPG, realGPGV, realGPGConf} {
		needTool(t, tool)
	}
	t.Logf("ours = %s (GnuPG itself: %v)", frontBin, frontIsGnuPG)
	testscript.Run(t, testscript.Params{
		Dir:       "testdata",
		Setup:     setupScript,
		Cmds:      scriptCommands(),
		Condition: scriptCondition,
	})
}

func setupScript(env *testscript.Env) error {
	env.Setenv("OURS", frontBin)
	env.Setenv("LC_ALL", "C")
	env.Setenv("TZ", "UTC")
	// Let the unprivileged uid of the setpriv transcripts reach $WORK.
	if err := os.Chmod(filepath.Dir(env.WorkDir), 0o711); err != nil {
		return err
	}
	return os.Chmod(env.WorkDir, 0o755)
}

// scriptCondition adds:
//
//	[gpg]  ours is GnuPG itself (FRONT_BIN=/usr/bin/gpg): the transcripts
//	       are being checked, so deliberate differences are skipped
//	[ci]   CI=true
//	[root] running as root (needed to switch to another uid)
//	[have:TOOL]  TOOL is on PATH; when CI=true a missing tool is an error,
//	       so `[!have:strace] skip` skips only outside CI
func scriptCondition(cond string) (bool, error) {
	if tool, ok := strings.CutPrefix(cond, "have:"); ok {
		if _, err := exec.LookPath(tool); err == nil {
			return true, nil
		}
		if inCI {
			return false, fmt.Errorf("%s is missing (CI=true: install it, e.g. with make deps)", tool)
		}
		return false, nil
	}
	switch cond {
	case "root":
		return os.Geteuid() == 0, nil
	case "gpg":
		return frontIsGnuPG, nil
	case "ci":
		return inCI, nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// oneLine shortens s for messages.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " ..."
	}
	return s
}
