package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// expectation for one probe: allowed, or denied with this errno. The errno
// pins which layer refuses: EACCES is landlock, EPERM/ENOSYS are seccomp.
type expectation struct {
	denied bool
	errno  string
}

var allowed = expectation{}

func deniedWith(errno string) expectation { return expectation{denied: true, errno: errno} }

// landlockNetRules reports whether the kernel's landlock can restrict TCP
// ports (ABI >= 4); below that only seccomp confines nethelper's network.
func landlockNetRules(t *testing.T) bool {
	abi, err := llsys.LandlockGetABIVersion()
	if err != nil {
		t.Fatalf("landlock: %v", err)
	}
	return abi >= 4
}

// expectations lists every probe the self-test runs by default (a probe
// missing from the output fails the test) and what it must report for
// helper.
func expectations(t *testing.T, helper, user string, writable, sandboxed bool) map[string]expectation {
	if !sandboxed {
		// The positive control: everything the sandbox refuses works
		// unconfined, so no probe can pass for lack of a file, socket,
		// permission or kernel feature.
		e := map[string]expectation{}
		for _, p := range probes {
			if p.name != ProbeDefaultKill && (p.name != ProbeOpenSocket || helper == cardhelper) {
				e[p.name] = allowed
			}
		}
		if user == nobody {
			// Except this: Prepare (which runs in both modes) made the
			// process non-dumpable, which hands /proc/self/mem to root.
			// Root bypasses that, so the root run is this probe's
			// positive control and this line proves PR_SET_DUMPABLE.
			e[ProbeProcSelfMem] = deniedWith("EACCES")
		}
		return e
	}
	e := map[string]expectation{
		ProbeSecretRead:     allowed,
		ProbeSecretWrite:    deniedWith("EPERM"), // seccomp: openat write bits in a read-only policy
		ProbeKillSelf:       allowed,
		ProbeCanary:         deniedWith("EACCES"),
		ProbeEtcPasswd:      deniedWith("EACCES"),
		ProbeProcSelfMem:    deniedWith("EACCES"),
		ProbeTCPSocket:      deniedWith("EPERM"),
		ProbeTCPConnect:     deniedWith("EPERM"),
		ProbeTCPOtherPort:   deniedWith("EPERM"),
		ProbeMPTCPSocket:    deniedWith("EPERM"),
		ProbeUDPSendto:      deniedWith("EPERM"),
		ProbeUnixConnect:    deniedWith("EPERM"),
		ProbeExecve:         deniedWith("EPERM"),
		ProbeFork:           deniedWith("EPERM"),
		ProbeClone3:         deniedWith("ENOSYS"),
		ProbePtraceParent:   deniedWith("EPERM"),
		ProbeKillParent:     deniedWith("EPERM"),
		ProbeProcessVMReadv: deniedWith("EPERM"),
	}
	switch helper {
	case keyhelper:
		if writable {
			e[ProbeSecretWrite] = allowed
		}
	case nethelper:
		// No file at all; TCP to the allowed port; UDP anywhere (DNS:
		// landlock does not see UDP); MPTCP, which would bypass the
		// port rules, refused by seccomp.
		e[ProbeSecretRead] = deniedWith("EACCES")
		e[ProbeTCPSocket] = allowed
		e[ProbeTCPConnect] = allowed
		e[ProbeTCPOtherPort] = deniedWith("EACCES")
		if !landlockNetRules(t) {
			e[ProbeTCPOtherPort] = allowed
		}
		e[ProbeUDPSendto] = allowed
	case cardhelper:
		// No file, no new socket, no connect: only the socket opened
		// before lockdown (pcscd's) is usable.
		e[ProbeSecretRead] = deniedWith("EACCES")
		e[ProbeOpenSocket] = allowed
	default:
		t.Fatalf("no expectations for %s", helper)
	}
	return e
}

// TestSelfTestProbes runs each helper's self-test with and without the
// sandbox, read-only and (keyhelper) writable, as root and as nobody, and
// checks every probe against expectations.
func TestSelfTestProbes(t *testing.T) {
	users := []string{""}
	if os.Geteuid() == 0 {
		users = append(users, nobody)
	}
	modes := map[string][]bool{keyhelper: {false, true}, nethelper: {false}, cardhelper: {false}}
	for _, helper := range []string{keyhelper, nethelper, cardhelper} {
		for _, user := range users {
			for _, writable := range modes[helper] {
				for _, sandboxed := range []bool{true, false} {
					name := fmt.Sprintf("%s/uid=%s/writable=%v/sandboxed=%v", helper, map[string]string{"": "self", nobody: "nobody"}[user], writable, sandboxed)
					t.Run(name, func(t *testing.T) {
						if user == nobody {
							requireRoot(t)
						}
						f := newFixture(t, user)
						args := f.args()
						if writable {
							args = append(args, "--writable")
						}
						if !sandboxed {
							args = append(args, "--no-sandbox")
						}
						r := runHelper(t, helper, user, true, nil, args...)
						if r.err != nil {
							t.Fatalf("self-test failed: %v\nstdout:\n%s\nstderr:\n%s", r.err, r.stdout, r.stderr)
						}
						checkProbes(t, r, expectations(t, helper, user, writable, sandboxed))
						if pr, ok := r.probes[ProbePtraceParent]; ok && strings.Contains(pr.Detail, fmt.Sprintf(", %d)", os.Getpid())) {
							t.Errorf("the ptrace probe aimed at the test process, not a throwaway parent: %s", pr.Detail)
						}
						if entries, err := os.ReadDir(f.secret); err != nil || len(entries) > 2 {
							t.Errorf("secret-write probe left files behind: %v %v", entries, err)
						}
					})
				}
			}
		}
	}
}

func checkProbes(t *testing.T, r runResult, want map[string]expectation) {
	t.Helper()
	for name, exp := range want {
		got, ok := r.probes[name]
		if !ok {
			t.Errorf("probe %s: no result (process died or probe missing)\nstdout:\n%s\nstderr:\n%s", name, r.stdout, r.stderr)
			continue
		}
		if got.Denied != exp.denied {
			t.Errorf("probe %s: denied=%v, want %v: %s", name, got.Denied, exp.denied, got.Detail)
			continue
		}
		if exp.denied && !strings.Contains(got.Detail, ": "+exp.errno+" (") {
			t.Errorf("probe %s: denied, but not with %s: %s", name, exp.errno, got.Detail)
		}
	}
	for name := range r.probes {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected probe %s in output", name)
		}
	}
}

// TestDefaultActionKillsProcess proves the default action of each helper: a
// syscall outside every allowlist (getcpu) kills the whole process with
// SIGSYS rather than failing, hanging, or killing one thread. Unconfined,
// the same probe works.
func TestDefaultActionKillsProcess(t *testing.T) {
	for _, helper := range []string{keyhelper, nethelper, cardhelper} {
		t.Run(helper, func(t *testing.T) { testDefaultActionKills(t, helper) })
	}
}

func testDefaultActionKills(t *testing.T, helper string) {
	f := newFixture(t, "")
	base := append(f.args(), "--only", ProbeDefaultKill)

	r := runHelper(t, helper, "", false, nil, append(base, "--no-sandbox")...)
	if r.err != nil {
		t.Fatalf("unconfined run failed: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	if pr, ok := r.probes[ProbeDefaultKill]; !ok || pr.Denied {
		t.Fatalf("unconfined getcpu: %+v (positive control failed)\n%s", pr, r.stdout)
	}

	r = runHelper(t, helper, "", false, nil, base...)
	var ee *exec.ExitError
	if !errors.As(r.err, &ee) {
		t.Fatalf("confined getcpu: process was not killed (err %v)\nstdout:\n%s\nstderr:\n%s", r.err, r.stdout, r.stderr)
	}
	ws := ee.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGSYS {
		t.Fatalf("confined getcpu: wait status %v, want killed by SIGSYS\nstderr:\n%s", ws, r.stderr)
	}
	if len(r.probes) != 0 {
		t.Fatalf("process reported after the forbidden syscall: %v", r.probes)
	}
}

// TestUnsafeNoSandboxEnv: the kill switch disables the sandbox for real (so
// its warning is not a lie) and always says so on stderr.
func TestUnsafeNoSandboxEnv(t *testing.T) {
	f := newFixture(t, "")
	r := runHelper(t, keyhelper, "", true, []string{UnsafeNoSandboxEnv + "=1"}, f.args()...)
	if r.err != nil {
		t.Fatalf("self-test failed: %v\n%s", r.err, r.stderr)
	}
	const warning = "WARNING: keyhelper: sandbox DISABLED by FRONTPGP_UNSAFE_NO_SANDBOX (testing only)\n"
	if !strings.Contains(r.stderr, warning) {
		t.Errorf("stderr %q lacks the warning %q", r.stderr, warning)
	}
	if pr := r.probes[ProbeCanary]; pr.Name == "" || pr.Denied {
		t.Errorf("canary probe with the sandbox disabled: %+v", pr)
	}

	// Any other value leaves the sandbox on.
	r = runHelper(t, keyhelper, "", true, []string{UnsafeNoSandboxEnv + "=yes"}, f.args()...)
	if r.err != nil {
		t.Fatalf("self-test failed: %v\n%s", r.err, r.stderr)
	}
	if strings.Contains(r.stderr, "WARNING") {
		t.Errorf("warning printed for %s=yes: %q", UnsafeNoSandboxEnv, r.stderr)
	}
	if pr := r.probes[ProbeCanary]; !pr.Denied {
		t.Errorf("canary probe with %s=yes: %+v", UnsafeNoSandboxEnv, pr)
	}
}

// TestApplyFailsClosed: a policy naming a directory that does not exist
// cannot be applied, and the self-test then exits 1 without probing.
func TestApplyFailsClosed(t *testing.T) {
	r := runHelper(t, keyhelper, "", true, nil, "--secret-dir", "/nonexistent/secret/dir")
	var ee *exec.ExitError
	if !errors.As(r.err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("err %v, want exit status 1\nstdout:\n%s\nstderr:\n%s", r.err, r.stdout, r.stderr)
	}
	if len(r.probes) != 0 || !strings.Contains(r.stderr, "landlock") {
		t.Fatalf("probes %v, stderr %q", r.probes, r.stderr)
	}
}
