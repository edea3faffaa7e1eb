package sandbox

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ProbeResult is the outcome of one self-test probe.
//
// For probes of things a helper must not do, Denied is true only if the
// call failed with an errno the sandbox produces (EPERM, EACCES, ENOSYS), so
// that an unrelated failure (a missing socket file) can never pass for a
// denial. For the positive controls (probes of things the policy allows),
// Denied is true on any failure, so that a broken control can never pass
// for success. Detail names the errno.
type ProbeResult struct {
	Name   string
	Denied bool
	Detail string
}

// Probe names. The ones marked "positive control" must be allowed under the
// sandbox too.
const (
	ProbeSecretRead   = "secret-read"  // positive control: read a file in the policy's directory
	ProbeSecretWrite  = "secret-write" // temp file, fsync, rename, flock, unlink there; allowed iff writable
	ProbeKillSelf     = "kill-self"    // positive control: kill(getpid(), 0), which Go's runtime needs
	ProbeCanary       = "canary-open"
	ProbeEtcPasswd    = "etc-passwd"
	ProbeProcSelfMem  = "proc-self-mem"
	ProbeTCPSocket    = "tcp-socket"
	ProbeTCPConnect   = "tcp-connect" // positive control for network policies: connect to 127.0.0.1 on the allowed port
	ProbeTCPOtherPort = "tcp-connect-other-port"
	ProbeMPTCPSocket  = "mptcp-socket"
	ProbeUDPSendto    = "udp-sendto"
	ProbeUnixConnect  = "unix-connect"
	// ProbeOpenSocket is the positive control of Policy.OpenSockets:
	// send, poll and receive on a socket pair made before lockdown, as
	// libpcsclite does on its connection to pcscd. Run only for such a
	// policy: without it poll(2) kills the process.
	ProbeOpenSocket     = "open-socket"
	ProbeExecve         = "execve"
	ProbeFork           = "fork"   // clone(SIGCHLD), which is what fork(3) does
	ProbeClone3         = "clone3" // clone3 creating a process
	ProbePtraceParent   = "ptrace-parent"
	ProbeKillParent     = "kill-parent"
	ProbeProcessVMReadv = "process-vm-readv"
	// ProbeDefaultKill calls getcpu(2), which no policy allows, to show
	// that the default action kills the whole process (the process dies by
	// SIGSYS). Run only when named by --only, never by default.
	ProbeDefaultKill = "default-kill"
)

// SelfTestSetup is the fixture the self-test's flags describe. A helper
// turns it into its production policy.
type SelfTestSetup struct {
	Dir          string // a directory with at least one regular file: keyhelper's secret store
	Writable     bool   // the policy's write mode
	Canary       string // a file outside every policy
	UnixSocket   string // a listening pathname unix socket
	TCPPort      uint16 // a listening port on 127.0.0.1 that a network policy allows
	OtherTCPPort uint16 // a listening port on 127.0.0.1 that no policy allows
}

// probeEnv is what the probes need; ppid is read before lockdown because
// getppid is not allowed afterwards.
type probeEnv struct {
	SelfTestSetup
	ppid int
	pair [2]int // ProbeOpenSocket's socket pair, opened before lockdown
}

type probe struct {
	name     string
	positive bool
	run      func(e *probeEnv) (detail string, err error)
}

var probes = []probe{
	{ProbeSecretRead, true, probeSecretRead},
	{ProbeSecretWrite, true, probeSecretWrite},
	{ProbeKillSelf, true, func(*probeEnv) (string, error) { return "kill(self, 0)", unix.Kill(os.Getpid(), 0) }},
	{ProbeCanary, false, func(e *probeEnv) (string, error) { return openRead(e.Canary) }},
	{ProbeEtcPasswd, false, func(*probeEnv) (string, error) { return openRead("/etc/passwd") }},
	{ProbeProcSelfMem, false, func(*probeEnv) (string, error) { return openRead("/proc/self/mem") }},
	{ProbeTCPSocket, false, func(*probeEnv) (string, error) { return openSocket(unix.AF_INET, unix.SOCK_STREAM, 0) }},
	{ProbeTCPConnect, true, func(e *probeEnv) (string, error) { return connectTCP(e.TCPPort) }},
	{ProbeTCPOtherPort, false, func(e *probeEnv) (string, error) { return connectTCP(e.OtherTCPPort) }},
	{ProbeMPTCPSocket, false, func(*probeEnv) (string, error) {
		return openSocket(unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_MPTCP)
	}},
	{ProbeUDPSendto, false, probeUDPSendto},
	{ProbeUnixConnect, false, probeUnixConnect},
	{ProbeOpenSocket, true, probeOpenSocket},
	{ProbeExecve, false, probeExecve},
	{ProbeFork, false, probeFork},
	{ProbeClone3, false, probeClone3},
	{ProbePtraceParent, false, probePtraceParent},
	{ProbeKillParent, false, func(e *probeEnv) (string, error) {
		return fmt.Sprintf("kill(%d, 0)", e.ppid), unix.Kill(e.ppid, 0)
	}},
	{ProbeProcessVMReadv, false, probeProcessVMReadv},
	{ProbeDefaultKill, false, func(*probeEnv) (string, error) {
		var cpu, node uint32
		_, _, e := unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), uintptr(unsafe.Pointer(&node)), 0)
		if e != 0 {
			return "getcpu", e
		}
		return "getcpu", nil
	}},
}

// selfTest is the proof that p holds. The caller must have called Prepare.
// If sandboxed, selfTest applies p exactly as a helper does (an Apply
// failure is returned as the single result "apply", not denied); otherwise
// the probes run unconfined, as the positive control. Then the probes (all
// but ProbeDefaultKill, or those in only) run in this process: afterwards
// the process is locked down for good.
func selfTest(p Policy, s SelfTestSetup, sandboxed bool, only map[string]bool) []ProbeResult {
	e := &probeEnv{SelfTestSetup: s, ppid: os.Getppid()}
	if p.OpenSockets {
		pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return []ProbeResult{{Name: "apply", Detail: "socketpair: " + err.Error()}}
		}
		e.pair = pair
	}
	if sandboxed {
		if err := Apply(p); err != nil {
			return []ProbeResult{{Name: "apply", Denied: false, Detail: oneLine(err.Error())}}
		}
	}
	var out []ProbeResult
	for _, pr := range probes {
		if only == nil && pr.name == ProbeDefaultKill || pr.name == ProbeOpenSocket && !p.OpenSockets {
			continue
		}
		if only != nil && !only[pr.name] {
			continue
		}
		detail, err := pr.run(e)
		out = append(out, classify(pr.name, pr.positive, detail, err))
	}
	return out
}

func classify(name string, positive bool, detail string, err error) ProbeResult {
	r := ProbeResult{Name: name, Detail: detail}
	if err == nil {
		return r
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		r.Detail += ": " + unix.ErrnoName(errno) + " (" + err.Error() + ")"
	} else {
		r.Detail += ": " + err.Error()
	}
	if positive {
		r.Denied = true
	} else {
		r.Denied = errno == unix.EPERM || errno == unix.EACCES || errno == unix.ENOSYS
		if !r.Denied {
			r.Detail += " [not a sandbox errno: not counted as denied]"
		}
	}
	r.Detail = oneLine(r.Detail)
	return r
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

func openRead(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "open " + path, err
	}
	defer f.Close()
	return "opened " + path, nil
}

func openSocket(domain, typ, proto int) (string, error) {
	d := fmt.Sprintf("socket(%d, %d, %d)", domain, typ, proto)
	fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return d, err
	}
	unix.Close(fd)
	return d + " created", nil
}

// connectTCP connects to 127.0.0.1:port and closes the connection.
func connectTCP(port uint16) (string, error) {
	d := fmt.Sprintf("connect 127.0.0.1:%d", port)
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return d, err
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: int(port), Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return d, err
	}
	return "connected to 127.0.0.1:" + strconv.Itoa(int(port)), nil
}

// probeSecretRead reads a file in the fixture's directory: a positive
// control for keyhelper, whose policy names that directory, and a denial
// for a helper whose policy names no directory.
func probeSecretRead(e *probeEnv) (string, error) {
	dir := e.Dir
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "list " + dir, err
	}
	for _, ent := range ents {
		if !ent.Type().IsRegular() {
			continue
		}
		path := filepath.Join(dir, ent.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			return "read " + path, err
		}
		return fmt.Sprintf("read %d bytes from %s", len(b), path), nil
	}
	return "list " + dir, errors.New("no regular file to read")
}

func probeSecretWrite(e *probeEnv) (string, error) {
	dir := e.Dir
	lock, err := os.OpenFile(filepath.Join(dir, "writelock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "open writelock", err
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return "flock writelock", err
	}
	tmp, err := os.CreateTemp(dir, ".selftest-*")
	if err != nil {
		return "create temp file", err
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	_, err = tmp.WriteString("selftest-garbage")
	if err == nil {
		err = tmp.Truncate(0)
	}
	if err == nil {
		_, err = tmp.WriteAt([]byte("selftest"), 0)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "write temp file", err
	}
	final := filepath.Join(dir, "selftest-written")
	if err := os.Rename(tmpName, final); err != nil {
		return "rename", err
	}
	if err := os.Remove(final); err != nil {
		return "unlink", err
	}
	return "created, wrote, fsynced, renamed and removed a file under flock", nil
}

func probeUDPSendto(*probeEnv) (string, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "socket(AF_INET, SOCK_DGRAM)", err
	}
	defer unix.Close(fd)
	// The discard port; a datagram to a closed local port is still sent.
	to := &unix.SockaddrInet4{Port: 9, Addr: [4]byte{127, 0, 0, 1}}
	if err := unix.Sendto(fd, []byte("x"), 0, to); err != nil {
		return "sendto 127.0.0.1:9", err
	}
	return "sent a datagram to 127.0.0.1:9", nil
}

func probeUnixConnect(e *probeEnv) (string, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "socket(AF_UNIX)", err
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: e.UnixSocket}); err != nil {
		return "connect " + e.UnixSocket, err
	}
	return "connected to " + e.UnixSocket, nil
}

func probeOpenSocket(e *probeEnv) (string, error) {
	if _, err := unix.SendmsgN(e.pair[0], []byte("x"), nil, nil, unix.MSG_NOSIGNAL); err != nil {
		return "send on a socket opened before lockdown", err
	}
	fds := []unix.PollFd{{Fd: int32(e.pair[1]), Events: unix.POLLIN}}
	if n, err := unix.Poll(fds, 1000); err != nil || n != 1 {
		return fmt.Sprintf("poll (%d ready)", n), err
	}
	var b [1]byte
	if _, _, err := unix.Recvfrom(e.pair[1], b[:], 0); err != nil {
		return "recv on a socket opened before lockdown", err
	}
	return "send, poll, recv on a socket opened before lockdown", nil
}

// probeExecve calls execve("/bin/true") with an invalid argv pointer. The
// sandbox refuses at syscall entry (seccomp EPERM; landlock would answer
// EACCES when opening the file). Unconfined, the kernel opens the file and
// then fails copying argv with EFAULT: the exec was permitted, yet this
// process survives to report it.
func probeExecve(*probeEnv) (string, error) {
	path, err := unix.BytePtrFromString("/bin/true")
	if err != nil {
		return "execve", err
	}
	const badArgv = 1
	_, _, e := unix.RawSyscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(path)), badArgv, 0)
	if e == unix.EFAULT {
		return "execve /bin/true reached argv copying (EFAULT on the deliberately bad argv)", nil
	}
	if e == 0 {
		return "execve /bin/true", errors.New("execve returned without error")
	}
	return "execve /bin/true", e
}

// reapChild waits for a child created by a probe that the sandbox should
// have refused. The child runs only exitChild.
func reapChild(what string, pid uintptr) (string, error) {
	var ws unix.WaitStatus
	if _, err := unix.Wait4(int(pid), &ws, 0, nil); err != nil {
		return what + " created a child; wait4", err
	}
	return fmt.Sprintf("%s created child %d (exit status %d)", what, pid, ws.ExitStatus()), nil
}

// exitChild ends a child created by a raw fork-like call: such a child has
// a single thread and a copy of the Go runtime that must not run, so it
// makes no call but exit_group.
//
//go:nosplit
func exitChild() {
	unix.RawSyscall(unix.SYS_EXIT_GROUP, 0, 0, 0)
}

func probeFork(*probeEnv) (string, error) {
	pid, _, e := unix.RawSyscall6(unix.SYS_CLONE, uintptr(unix.SIGCHLD), 0, 0, 0, 0, 0)
	if e != 0 {
		return "clone(SIGCHLD)", e
	}
	if pid == 0 {
		exitChild()
	}
	return reapChild("clone(SIGCHLD)", pid)
}

// cloneArgs is struct clone_args, version 0 (64 bytes).
type cloneArgs struct {
	flags, pidfd, childTID, parentTID, exitSignal, stack, stackSize, tls uint64
}

func probeClone3(*probeEnv) (string, error) {
	args := cloneArgs{exitSignal: uint64(unix.SIGCHLD)}
	pid, _, e := unix.RawSyscall(unix.SYS_CLONE3, uintptr(unsafe.Pointer(&args)), unsafe.Sizeof(args), 0)
	if e != 0 {
		return "clone3(exit_signal=SIGCHLD)", e
	}
	if pid == 0 {
		exitChild()
	}
	return reapChild("clone3", pid)
}

// probePtraceParent uses PTRACE_SEIZE, which makes the same permission
// check as PTRACE_ATTACH but does not stop the tracee; if it succeeds the
// parent is interrupted, waited for and detached again.
func probePtraceParent(e *probeEnv) (string, error) {
	d := fmt.Sprintf("ptrace(PTRACE_SEIZE, %d)", e.ppid)
	if err := unix.PtraceSeize(e.ppid); err != nil {
		return d, err
	}
	if err := unix.PtraceInterrupt(e.ppid); err == nil {
		var ws unix.WaitStatus
		unix.Wait4(e.ppid, &ws, unix.WALL, nil)
		unix.PtraceDetach(e.ppid)
	}
	// Whatever the detach did, our exit detaches the tracee for good.
	return d + " attached (and detached)", nil
}

// probeProcessVMReadv reads one byte at address 0 of the parent. The
// sandbox refuses the call (EPERM); unconfined, the permission check passes
// and the copy fails with EFAULT, which counts as allowed.
func probeProcessVMReadv(e *probeEnv) (string, error) {
	d := fmt.Sprintf("process_vm_readv(%d)", e.ppid)
	var b [1]byte
	local := []unix.Iovec{{Base: &b[0], Len: 1}}
	remote := []unix.RemoteIovec{{Base: 0, Len: 1}}
	_, err := unix.ProcessVMReadv(e.ppid, local, remote, 0)
	if err == nil || errors.Is(err, unix.EFAULT) {
		return d + " passed the permission check", nil
	}
	return d, err
}

// SelfTestMain is the --sandbox-self-test mode of a helper binary, shared by
// all helpers so that the tests prove the production code path. args are
// the arguments after "--sandbox-self-test":
//
//	--secret-dir D --canary FILE --unix-socket PATH --tcp-port N
//	--tcp-other-port M [--no-sandbox] [--writable] [--only NAME[,NAME...]] [--hold]
//
// It prints "PROBE <name> denied|allowed <detail>" per probe and returns the
// exit code: 0 when the probes ran (whatever they found: the caller judges),
// 1 when the lockdown failed, 2 on bad usage. With --hold it locks down,
// prints "READY" and blocks reading stdin until EOF, for tests that inspect
// a live locked-down process.
func SelfTestMain(args []string, stdout, stderr io.Writer, policy func(SelfTestSetup) Policy) int {
	fs := flag.NewFlagSet("sandbox-self-test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("secret-dir", "", "directory the policy allows")
	canary := fs.String("canary", "", "a file outside the policy that must not be readable")
	sock := fs.String("unix-socket", "", "a listening unix socket that must not be reachable")
	noSandbox := fs.Bool("no-sandbox", false, "run the probes unconfined (positive control)")
	writable := fs.Bool("writable", false, "use the policy's write mode")
	tcpPort := fs.Uint("tcp-port", 0, "a listening TCP port on 127.0.0.1 that a network policy allows")
	otherPort := fs.Uint("tcp-other-port", 0, "a listening TCP port on 127.0.0.1 that no policy allows")
	onlyList := fs.String("only", "", "comma-separated probe names to run")
	hold := fs.Bool("hold", false, "lock down, print READY, block until stdin reaches EOF")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" || fs.NArg() != 0 || *tcpPort > 0xffff || *otherPort > 0xffff {
		fmt.Fprintln(stderr, "sandbox-self-test: --secret-dir is required; ports are 16-bit; no positional arguments")
		return 2
	}
	setup := SelfTestSetup{Dir: *dir, Writable: *writable, Canary: *canary, UnixSocket: *sock,
		TCPPort: uint16(*tcpPort), OtherTCPPort: uint16(*otherPort)}
	p := policy(setup)
	if err := Prepare(); err != nil {
		fmt.Fprintf(stderr, "sandbox-self-test: %v\n", err)
		return 1
	}
	if *hold {
		return holdLockedDown(p, !*noSandbox, stdout, stderr)
	}
	var only map[string]bool
	if *onlyList != "" {
		only = map[string]bool{}
		for _, n := range strings.Split(*onlyList, ",") {
			only[n] = true
		}
	}
	results := selfTest(p, setup, !*noSandbox, only)
	if len(results) == 1 && results[0].Name == "apply" {
		fmt.Fprintf(stderr, "sandbox-self-test: %s\n", results[0].Detail)
		return 1
	}
	for _, r := range results {
		verdict := "allowed"
		if r.Denied {
			verdict = "denied"
		}
		fmt.Fprintf(stdout, "PROBE %s %s %s\n", r.Name, verdict, r.Detail)
	}
	return 0
}

// exerciseRuntime makes the Go runtime do, under the filter, what a long
// helper operation makes it do: grow and shrink the heap (mmap, madvise,
// munmap), collect garbage on several threads, sleep on timers, read
// randomness. A syscall missing from the allowlist kills the process here,
// before READY, instead of at a random moment in production.
func exerciseRuntime() {
	var keep [][]byte
	for i := 0; i < 64; i++ {
		keep = append(keep, make([]byte, 1<<20))
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b [32]byte
			_, _ = rand.Read(b[:])
			time.Sleep(2 * time.Millisecond)
		}()
	}
	wg.Wait()
	keep = nil
	runtime.GC()
	debug.FreeOSMemory()
	_ = keep
}

// holdLockedDown keeps a locked-down process alive for inspection. Threads
// are started both before the lockdown (TSYNC must reach them) and after it
// (they must inherit it).
func holdLockedDown(p Policy, sandboxed bool, stdout, stderr io.Writer) int {
	var started sync.WaitGroup
	block := make(chan struct{})
	spawn := func(n int) {
		for i := 0; i < n; i++ {
			started.Add(1)
			go func() {
				// A locked goroutine blocked on a channel pins its own
				// OS thread, so each one adds a thread to the process.
				runtime.LockOSThread()
				started.Done()
				<-block
			}()
		}
		started.Wait()
	}
	spawn(2)
	if sandboxed {
		if err := Apply(p); err != nil {
			fmt.Fprintf(stderr, "sandbox-self-test: %v\n", err)
			return 1
		}
	}
	spawn(2)
	exerciseRuntime()
	fmt.Fprintln(stdout, "READY")
	_, err := io.Copy(io.Discard, os.Stdin)
	close(block)
	if err != nil {
		fmt.Fprintf(stderr, "sandbox-self-test: reading stdin: %v\n", err)
		return 1
	}
	return 0
}
