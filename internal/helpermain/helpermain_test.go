package helpermain

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/frontpgp/front/ipc"
)

// The test binary is re-run as a helper when HELPERMAIN_CHILD is set: its
// self-test exits 7 when it got the arguments after the flag, its run
// greets as the card helper and exits 5 once greeted.
func TestMain(m *testing.M) {
	if os.Getenv("HELPERMAIN_CHILD") != "" {
		os.Args = append([]string{os.Args[0]}, strings.Fields(os.Getenv("HELPERMAIN_CHILD"))[1:]...)
		Main(func(args []string) int {
			if strings.Join(args, " ") == "a b" {
				return 7
			}
			return 1
		}, func() int {
			conn, code := Greet("testhelper", ipc.RoleCard)
			if conn == nil {
				return code
			}
			return 5
		})
	}
	os.Exit(m.Run())
}

// child starts the test binary as a helper with args; front is the test's
// end of the pipes.
func child(t *testing.T, args string) (*exec.Cmd, *ipc.Conn, *os.File, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "HELPERMAIN_CHILD=helper "+args)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, ipc.NewConn(stdout, stdin), stdin.(*os.File), &stderr
}

func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	err := cmd.Wait()
	if err == nil {
		return 0
	}
	if e, ok := err.(*exec.ExitError); ok {
		return e.ExitCode()
	}
	t.Fatal(err)
	return -1
}

func TestSelfTestDispatch(t *testing.T) {
	cmd, _, _, _ := child(t, "--sandbox-self-test a b")
	if code := exitCode(t, cmd); code != 7 {
		t.Fatalf("exit %d, want the self-test's 7", code)
	}
}

func TestGreet(t *testing.T) {
	t.Run("greeted", func(t *testing.T) {
		cmd, conn, _, _ := child(t, "")
		if err := conn.ReadHello(ipc.RoleCard); err != nil {
			t.Fatal(err)
		}
		if err := conn.WriteHello(ipc.RoleCard); err != nil {
			t.Fatal(err)
		}
		if code := exitCode(t, cmd); code != 5 {
			t.Fatalf("exit %d, want run's 5", code)
		}
	})
	t.Run("not needed", func(t *testing.T) {
		cmd, conn, stdin, stderr := child(t, "")
		if err := conn.ReadHello(ipc.RoleCard); err != nil {
			t.Fatal(err)
		}
		stdin.Close()
		if code := exitCode(t, cmd); code != 0 || stderr.Len() != 0 {
			t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, stderr)
		}
	})
	t.Run("wrong role", func(t *testing.T) {
		cmd, conn, _, stderr := child(t, "")
		if err := conn.ReadHello(ipc.RoleCard); err != nil {
			t.Fatal(err)
		}
		if err := conn.WriteHello(ipc.RoleNet); err != nil {
			t.Fatal(err)
		}
		if code := exitCode(t, cmd); code != 2 || !strings.HasPrefix(stderr.String(), "testhelper: ") {
			t.Fatalf("exit %d, stderr %q; want 2 and one line naming the helper", code, stderr)
		}
	})
}
