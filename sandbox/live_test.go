package sandbox

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLiveLockedDownProcess inspects a running, locked-down helper from
// outside: every thread (those started before the lockdown, which TSYNC
// must reach, and those started after) is in seccomp filter mode with
// no_new_privs; the core limit is 0; and the process is not dumpable, so a
// same-uid process cannot read its environment (a same-uid ordinary process
// is the positive control). For each helper.
func TestLiveLockedDownProcess(t *testing.T) {
	for _, helper := range []string{keyhelper, nethelper, cardhelper} {
		t.Run(helper, func(t *testing.T) { testLiveLockedDown(t, helper) })
	}
}

func testLiveLockedDown(t *testing.T, helper string) {
	user := ""
	if os.Geteuid() == 0 {
		user = nobody
	}
	bin := helperBinary(t, helper)
	f := newFixture(t, user)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	cmd := helperCommand(ctx, user, false, bin, append([]string{"--sandbox-self-test", "--hold"}, f.args()...)...)
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
	done := false
	defer func() {
		if !done {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()

	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "READY\n" {
		stdin.Close()
		werr := cmd.Wait()
		done = true
		t.Fatalf("no READY from the held helper: %q %v (exit: %v)\nstderr:\n%s", line, err, werr, stderr.String())
	}
	pid := cmd.Process.Pid // setpriv execs the helper: same pid

	checkThreads(t, pid)
	checkCoreLimit(t, pid)
	if user == nobody {
		checkNotDumpable(t, ctx, pid)
	}

	// EOF on stdin ends the helper cleanly: it survived all of the above
	// (and the runtime exercise it did before READY) under the filter.
	stdin.Close()
	io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	done = true
	if err != nil {
		t.Fatalf("held helper did not exit cleanly: %v\nstderr:\n%s", err, stderr.String())
	}
}

var (
	seccompLine = regexp.MustCompile(`(?m)^Seccomp:\s+(\d+)$`)
	nnpLine     = regexp.MustCompile(`(?m)^NoNewPrivs:\s+(\d+)$`)
	filtersLine = regexp.MustCompile(`(?m)^Seccomp_filters:\s+(\d+)$`)
)

func checkThreads(t *testing.T, pid int) {
	t.Helper()
	tasks, err := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/status")
	if err != nil {
		t.Fatal(err)
	}
	// main + 2 locked before lockdown + 2 locked after + runtime threads
	if len(tasks) < 5 {
		t.Fatalf("only %d threads; the test needs threads from before and after the lockdown", len(tasks))
	}
	for _, path := range tasks {
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			// A thread may end (the runtime may retire one); the
			// helper's clean exit at the end shows it was not killed.
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if m := seccompLine.FindStringSubmatch(s); m == nil || m[1] != "2" {
			t.Errorf("%s: Seccomp %v, want 2 (filter mode)", path, m)
		}
		if m := nnpLine.FindStringSubmatch(s); m == nil || m[1] != "1" {
			t.Errorf("%s: NoNewPrivs %v, want 1", path, m)
		}
		if m := filtersLine.FindStringSubmatch(s); m == nil || m[1] != "1" {
			t.Errorf("%s: Seccomp_filters %v, want exactly 1", path, m)
		}
	}
	t.Logf("%d threads, all in seccomp filter mode with no_new_privs", len(tasks))
}

func checkCoreLimit(t *testing.T, pid int) {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/limits")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Max core file size") {
			fields := strings.Fields(strings.TrimPrefix(l, "Max core file size"))
			if len(fields) < 2 || fields[0] != "0" || fields[1] != "0" {
				t.Errorf("core limit %q, want soft and hard 0", l)
			}
			return
		}
	}
	t.Errorf("no core limit line in /proc/%d/limits", pid)
}

// checkNotDumpable reads /proc/<pid>/environ as nobody, like a same-uid
// attacker would: refused for the helper, allowed for an ordinary nobody
// process.
func checkNotDumpable(t *testing.T, ctx context.Context, pid int) {
	t.Helper()
	catEnviron := func(pid int) error {
		return exec.CommandContext(ctx, "setpriv", "--reuid="+nobody, "--regid="+nobody, "--clear-groups", "--",
			"cat", "/proc/"+strconv.Itoa(pid)+"/environ").Run()
	}
	ctl := exec.CommandContext(ctx, "setpriv", "--reuid="+nobody, "--regid="+nobody, "--clear-groups", "--", "sleep", "20")
	if err := ctl.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { ctl.Process.Kill(); ctl.Wait() }()
	// setpriv execs sleep; wait until it has, so the control reads the
	// environ of sleep and not of setpriv mid-exec.
	deadline := time.Now().Add(5 * time.Second)
	for {
		comm, _ := os.ReadFile("/proc/" + strconv.Itoa(ctl.Process.Pid) + "/comm")
		if strings.TrimSpace(string(comm)) == "sleep" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("control process did not exec sleep")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := catEnviron(ctl.Process.Pid); err != nil {
		t.Fatalf("positive control: nobody cannot read an ordinary nobody process's environ: %v", err)
	}
	if err := catEnviron(pid); err == nil {
		t.Errorf("nobody read /proc/%d/environ of the locked-down helper: it is dumpable", pid)
	}
}
