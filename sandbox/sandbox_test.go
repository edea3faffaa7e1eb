package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestCheckLandlockABI(t *testing.T) {
	for _, tc := range []struct {
		abi  int
		err  error
		min  int
		fail bool
	}{
		{abi: 0, min: 1, fail: true},                        // compiled in but reporting nothing
		{abi: -1, err: unix.EOPNOTSUPP, min: 1, fail: true}, // disabled at boot
		{abi: -1, err: unix.ENOSYS, min: 1, fail: true},     // kernel without landlock
		{abi: 7, err: unix.ENOSYS, min: 1, fail: true},      // an error wins over a number
		{abi: 3, min: 4, fail: true},
		{abi: 1, min: 1},
		{abi: 4, min: 4},
		{abi: 7, min: 1},
	} {
		err := checkLandlockABI(tc.abi, tc.err, tc.min)
		if (err != nil) != tc.fail {
			t.Errorf("checkLandlockABI(%d, %v, %d) = %v, want failure %v", tc.abi, tc.err, tc.min, err, tc.fail)
		}
	}
}

func TestNethelperPolicy(t *testing.T) {
	p := NethelperPolicy([]uint16{53, 443})
	if p.Name != "nethelper" || len(p.ReadDirs)+len(p.WriteDirs) != 0 ||
		!slices.Equal(p.SocketDomains, []int{unix.AF_INET, unix.AF_INET6}) || !slices.Equal(p.ConnectTCPPorts, []uint16{53, 443}) {
		t.Errorf("nethelper policy: %+v", p)
	}
}

func TestCardhelperPolicy(t *testing.T) {
	p := CardhelperPolicy()
	if p.Name != "cardhelper" || len(p.ReadDirs)+len(p.WriteDirs)+len(p.SocketDomains)+len(p.ConnectTCPPorts) != 0 || !p.OpenSockets {
		t.Errorf("cardhelper policy: %+v", p)
	}
}

func TestKeyhelperPolicy(t *testing.T) {
	ro := KeyhelperPolicy("/s", false)
	if ro.Name != "keyhelper" || len(ro.ReadDirs) != 1 || ro.ReadDirs[0] != "/s" || ro.writable() || len(ro.SocketDomains) != 0 {
		t.Errorf("read-only policy: %+v", ro)
	}
	rw := KeyhelperPolicy("/s", true)
	if len(rw.WriteDirs) != 1 || rw.WriteDirs[0] != "/s" || len(rw.SocketDomains) != 0 {
		t.Errorf("writable policy: %+v", rw)
	}
	// GnuPG's key directory is read-only even when the store is writable
	g := KeyhelperPolicy("/s", true, "/g")
	if len(g.WriteDirs) != 1 || g.WriteDirs[0] != "/s" || len(g.ReadDirs) != 1 || g.ReadDirs[0] != "/g" {
		t.Errorf("writable policy with GnuPG's directory: %+v", g)
	}
	g = KeyhelperPolicy("/s", false, "/g")
	if g.writable() || len(g.ReadDirs) != 2 || g.ReadDirs[1] != "/g" {
		t.Errorf("read-only policy with GnuPG's directory: %+v", g)
	}
}

// TestUnsafeEnvWarning checks the in-process decision (nothing is applied
// to the test process on these paths).
func TestUnsafeEnvWarning(t *testing.T) {
	var buf bytes.Buffer
	if err := apply(KeyhelperPolicy("/nonexistent", false), "1", &buf); err != nil {
		t.Fatal(err)
	}
	want := "WARNING: keyhelper: sandbox DISABLED by FRONTPGP_UNSAFE_NO_SANDBOX (testing only)\n"
	if buf.String() != want {
		t.Errorf("stderr %q, want %q", buf.String(), want)
	}
	if err := apply(Policy{}, "1", &buf); err == nil {
		t.Error("a policy without a name was accepted")
	}
}

// The socket-domain logic is not used by keyhelper; it is proved by
// re-running this test binary as a child that locks itself down with a
// socket policy and reports each socket(2) call.
const (
	childEnv     = "FRONTPGP_SANDBOX_TEST_CHILD"
	childFileEnv = "FRONTPGP_SANDBOX_TEST_FILE"
)

type socketCase struct {
	domain, typ, proto int
}

var socketChildren = map[string]struct {
	domains []int
	calls   []socketCase
}{
	"unix": {[]int{unix.AF_UNIX}, []socketCase{
		{unix.AF_UNIX, unix.SOCK_STREAM, 0}, {unix.AF_INET, unix.SOCK_STREAM, 0},
		{unix.AF_INET6, unix.SOCK_DGRAM, 0}, {unix.AF_NETLINK, unix.SOCK_RAW, 0}, {200, unix.SOCK_STREAM, 0},
	}},
	"inet": {[]int{unix.AF_INET}, []socketCase{
		{unix.AF_INET, unix.SOCK_STREAM, 0}, {unix.AF_INET, unix.SOCK_STREAM | unix.SOCK_NONBLOCK, unix.IPPROTO_TCP},
		{unix.AF_INET, unix.SOCK_DGRAM, 0}, {unix.AF_INET, unix.SOCK_DGRAM, unix.IPPROTO_UDP},
		{unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_MPTCP},
		{unix.AF_INET6, unix.SOCK_STREAM, 0}, {unix.AF_UNIX, unix.SOCK_STREAM, 0},
	}},
	"inet-raw":  {[]int{unix.AF_INET}, []socketCase{{unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP}}},
	"inet-sctp": {[]int{unix.AF_INET}, []socketCase{{unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_SCTP}}},
}

func runChild(mode string) int {
	if mode == "seccomp-only" {
		return runSeccompOnlyChild()
	}
	c, ok := socketChildren[mode]
	if !ok {
		fmt.Fprintln(os.Stderr, "unknown child mode", mode)
		return 2
	}
	if err := Lockdown(Policy{Name: "socket-test", SocketDomains: c.domains}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, sc := range c.calls {
		fd, err := unix.Socket(sc.domain, sc.typ|unix.SOCK_CLOEXEC, sc.proto)
		res := "ok"
		if err != nil {
			res = unix.ErrnoName(err.(syscall.Errno))
		} else {
			unix.Close(fd)
		}
		fmt.Printf("%d/%d/%d %s\n", sc.domain, sc.typ, sc.proto, res)
	}
	return 0
}

func TestSocketDomainPolicy(t *testing.T) {
	want := map[string]string{
		"unix": "1/1/0 ok\n2/1/0 EPERM\n10/2/0 EPERM\n16/3/0 EPERM\n200/1/0 EPERM\n",
		"inet": "2/1/0 ok\n2/2049/6 ok\n2/2/0 ok\n2/2/17 ok\n2/1/262 EPERM\n10/1/0 EPERM\n1/1/0 EPERM\n",
	}
	for mode, out := range want {
		got, err := runTestChild(t, mode)
		if err != nil || got != out {
			t.Errorf("%s: err %v, output\n%s\nwant\n%s", mode, err, got, out)
		}
	}
	// Raw and SCTP sockets in an allowed domain hit the default action.
	for _, mode := range []string{"inet-raw", "inet-sctp"} {
		got, err := runTestChild(t, mode)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGSYS {
			t.Errorf("%s: err %v, output %q; want death by SIGSYS", mode, err, got)
		}
	}
}

func runTestChild(t *testing.T, mode string, env ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(append(cleanEnv(), childEnv+"="+mode), env...)
	var so, se strings.Builder
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	if se.Len() > 0 {
		t.Logf("%s child stderr: %s", mode, se.String())
	}
	return so.String(), err
}

// runSeccompOnlyChild loads keyhelper's read-only seccomp filter without
// landlock, so that the seccomp errno rules that landlock duplicates (signal
// scope, read-only files) are proved on their own. Its parent is the test
// process; the signal sent is 0. The opened file is a scratch file of the
// test's (childFileEnv), never a system file: if the filter were broken, the
// O_TRUNC probe would truncate it.
func runSeccompOnlyChild() int {
	ppid, self := os.Getppid(), os.Getpid()
	path := os.Getenv(childFileEnv)
	if path == "" {
		fmt.Fprintln(os.Stderr, "no", childFileEnv)
		return 2
	}
	if err := Prepare(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := applySeccomp(KeyhelperPolicy(os.TempDir(), false)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	report := func(name string, err error) {
		res := "ok"
		if err != nil {
			res = unix.ErrnoName(err.(syscall.Errno))
		}
		fmt.Printf("%s %s\n", name, res)
	}
	report("kill-self", unix.Kill(self, 0))
	report("kill-parent", unix.Kill(ppid, 0))
	report("kill-group", unix.Kill(0, 0))
	report("tgkill-parent", unix.Tgkill(ppid, ppid, 0))
	report("tgkill-self", unix.Tgkill(self, unix.Gettid(), 0))
	open := func(flags int) error {
		fd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0)
		if err == nil {
			unix.Close(fd)
		}
		return err
	}
	report("open-rdonly", open(unix.O_RDONLY))
	report("open-rdwr", open(unix.O_RDWR))
	report("open-trunc", open(unix.O_RDONLY|unix.O_TRUNC))
	report("open-creat", open(unix.O_RDONLY|unix.O_CREAT))
	_, err := unix.FcntlInt(0, unix.F_SETOWN, ppid)
	report("fcntl-setown", err)
	_, err = unix.FcntlInt(0, unix.F_GETFL, 0)
	report("fcntl-getfl", err)
	var set unix.CPUSet
	report("affinity-self", unix.SchedGetaffinity(0, &set))
	report("affinity-parent", unix.SchedGetaffinity(ppid, &set))
	return 0
}

// TestSeccompAlone proves the seccomp rules that landlock backs up, with
// landlock off: without this, a hole in one layer hides behind the other.
// The scratch file is writable, so EPERM on the write opens is seccomp's
// doing, and its content must survive the O_TRUNC probe.
func TestSeccompAlone(t *testing.T) {
	scratch := filepath.Join(t.TempDir(), "scratch")
	if err := os.WriteFile(scratch, []byte("intact"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := runTestChild(t, "seccomp-only", childFileEnv+"="+scratch)
	want := `kill-self ok
kill-parent EPERM
kill-group EPERM
tgkill-parent EPERM
tgkill-self ok
open-rdonly ok
open-rdwr EPERM
open-trunc EPERM
open-creat EPERM
fcntl-setown EPERM
fcntl-getfl ok
affinity-self ok
affinity-parent EPERM
`
	if err != nil || got != want {
		t.Errorf("err %v, output\n%s\nwant\n%s", err, got, want)
	}
	if b, err := os.ReadFile(scratch); err != nil || string(b) != "intact" {
		t.Errorf("scratch file after the child: %q %v", b, err)
	}
}
