// Package seccompbpf holds the helpers' seccomp rules and compiles them
// with libseccomp. The helpers do not link it: sandbox loads the programs
// compiled from these rules ahead of time (sandbox/seccomp_filters_*.go,
// checked against this package by sandbox's tests, which also regenerate
// them), so a helper's start pays neither cgo nor the compilation. Where no
// precompiled program exists (another architecture), sandbox compiles with
// this package at run time.
package seccompbpf

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"syscall"

	seccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// Spec is what of a sandbox.Policy the seccomp filter depends on.
type Spec struct {
	// Writable: the policy has write directories (temp file, fsync,
	// rename, unlink; openat with any flags).
	Writable bool
	// SocketDomains, OpenSockets: as sandbox.Policy's.
	SocketDomains []int
	OpenSockets   bool
}

// The filter's default action is kill-process: anything a helper was not
// written to do ends it. Never kill-thread: the Go runtime hangs when one of
// its threads vanishes.
//
// Calls that a compromised or buggy helper would plausibly try, and that the
// self-test probes, are errno rules instead, so that the process survives to
// report (and front gets a clean error instead of a dead pipe).

// baseAllow is what every helper needs after lockdown: the Go runtime,
// glibc (a cgo binary: libseccomp), and the *os.File API on pipes and on the
// files landlock lets through. Found by running the self-test (including
// --hold, which exercises heap growth, GC, scavenging, timers and new
// threads under the filter) with strace -f and the kernel's seccomp kill log
// (dmesg, type=1326), repeatedly and under load: some calls happen only
// under contention. Deliberately absent, so fatal: prctl, ioctl,
// getppid, wait4, mkdirat, linkat, symlinkat, chmod/chown, mount, setns,
// unshare, bpf, io_uring, pidfd_*, and everything else not named here.
var baseAllow = []string{
	// *os.File: Read/Write, ReadAt, Close, Seek, Stat, os.Stat, ReadDir,
	// and flock on a lock file (shared locks in read-only mode).
	"read", "write", "pread64", "close", "lseek",
	"fstat", "newfstatat", "getdents64", "flock",
	// Memory: Go heap, stacks and scavenger; glibc thread stacks and guard
	// pages (mprotect); C malloc/free after lockdown (cgo thread start,
	// libseccomp releasing its filter context) may move the brk.
	"mmap", "munmap", "madvise", "mprotect", "brk",
	// Scheduling and time: sysmon and idle Ms sleep (nanosleep, futex),
	// glibc sleeps with clock_nanosleep when pthread_create is retried;
	// clock_gettime is the vDSO fallback. restart_syscall is how the
	// kernel resumes a sleep interrupted by Go's preemption signal.
	"futex", "sched_yield", "nanosleep", "clock_nanosleep", "clock_gettime",
	"restart_syscall",
	// crypto/rand and map seeds (the vDSO path falls back to the syscall).
	"getrandom",
	// Signals: Go installs handlers lazily (os/signal, crash paths),
	// blocks/unblocks per thread, returns from handlers, and gives each
	// thread its own signal stack. tgkill/kill are conditional, below.
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	"getpid", "gettid",
	// Netpoller: Prepare already initialised it; epoll_create1, eventfd2
	// and pipe2 stay allowed so that a helper that skipped Prepare is
	// not killed by its first timer.
	"epoll_pwait", "epoll_ctl", "epoll_create1", "eventfd2", "pipe2",
	// New threads (glibc pthread_create in the new thread; clone itself
	// is conditional, below) and thread/process exit.
	"set_robust_list", "rseq",
	"exit", "exit_group",
}

// writeAllow is added when the policy has WriteDirs: temp file, fsync,
// rename over the old file, remove leftovers.
var writeAllow = []string{
	"pwrite64", "fsync", "fdatasync", "ftruncate", "renameat", "renameat2", "unlinkat",
}

// denyEPERM are refused with EPERM for every policy: running other programs,
// creating processes, and reaching into other processes.
var denyEPERM = []string{
	"execve", "execveat", "fork", "vfork",
	"ptrace", "process_vm_readv", "process_vm_writev",
	// tkill names a thread without its process, so it cannot be confined
	// to our own threads; Go uses tgkill.
	"tkill",
	// os.Hostname calls uname, and Go's resolver calls os.Hostname when it
	// (re)reads a resolv.conf without a search line: a failure it handles.
	"uname",
}

// socketCalls are the calls that only act on a socket. Without
// Spec.SocketDomains they are refused with EPERM (stdin/stdout are pipes
// and read/write work on sockets anyway).
var socketCalls = []string{
	"connect", "sendto", "sendmsg", "sendmmsg", "recvfrom", "recvmsg",
	"recvmmsg", "setsockopt", "getsockopt", "getsockname", "getpeername",
	"shutdown",
}

// neverSocket are refused with EPERM even when sockets are allowed: no
// helper listens on anything, and socketpair has no use in a helper.
var neverSocket = []string{"bind", "listen", "accept", "accept4", "socketpair"}

// fcntlAllow are the fcntl commands Go's os and internal/poll packages and
// flock-style locking use. F_SETOWN/F_SETSIG would let a helper aim SIGIO at
// another process, F_SETLEASE/F_NOTIFY are not needed: all are refused.
var fcntlAllow = []uint64{
	unix.F_GETFD, unix.F_SETFD, unix.F_GETFL, unix.F_SETFL, unix.F_DUPFD_CLOEXEC,
	unix.F_GETLK, unix.F_SETLK, unix.F_SETLKW,
	unix.F_OFD_GETLK, unix.F_OFD_SETLK, unix.F_OFD_SETLKW,
}
var fcntlEPERM = []uint64{
	unix.F_SETOWN, unix.F_SETOWN_EX, unix.F_SETSIG, unix.F_SETLEASE, unix.F_NOTIFY,
}

// readOnlyOpenBits are the openat(2) flag bits a read-only policy refuses
// with EPERM, so that even with a landlock ABI < 3 (no truncate right) a
// read-only helper cannot truncate, create or write a file.
var readOnlyOpenBits = []uint64{unix.O_WRONLY, unix.O_RDWR, unix.O_CREAT, unix.O_TRUNC}

// cloneNamespaceBits may not accompany CLONE_THREAD: a thread must not enter
// new namespaces. Such a clone falls through to the default (kill).
const cloneNamespaceBits = unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWUTS |
	unix.CLONE_NEWIPC | unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET

// maxSocketDomain bounds the enumeration of refused socket domains; every
// domain at or above it is refused by a single rule. Linux has AF_MAX 46.
const maxSocketDomain = 64

// Socket types and protocols allowed for AF_INET/AF_INET6 domains.
var inetSocketAllow = []struct{ typ, proto uint64 }{
	{unix.SOCK_STREAM, 0}, {unix.SOCK_STREAM, unix.IPPROTO_TCP},
	{unix.SOCK_DGRAM, 0}, {unix.SOCK_DGRAM, unix.IPPROTO_UDP},
}

// sockTypeMask strips SOCK_NONBLOCK and SOCK_CLOEXEC from socket(2)'s type.
const sockTypeMask = 0xf

type filterBuilder struct {
	f   *seccomp.ScmpFilter
	err error
}

func errnoAction(e syscall.Errno) seccomp.ScmpAction {
	// Without SetReturnCode, ActErrno makes the call "succeed" with 0: a
	// refused open() would return fd 0.
	return seccomp.ActErrno.SetReturnCode(int16(e))
}

// add adds a rule; a name the native architecture does not have (fork on
// arm64) is skipped, as nothing can call it. Typos are caught by a test that
// resolves every name used here.
func (b *filterBuilder) add(name string, act seccomp.ScmpAction, conds ...seccomp.ScmpCondition) {
	if b.err != nil {
		return
	}
	sc, err := seccomp.GetSyscallFromName(name)
	if err != nil {
		return
	}
	if len(conds) == 0 {
		err = b.f.AddRule(sc, act)
	} else {
		err = b.f.AddRuleConditional(sc, act, conds)
	}
	if err != nil {
		b.err = fmt.Errorf("rule for %s: %w", name, err)
	}
}

func (b *filterBuilder) cond(arg uint, op seccomp.ScmpCompareOp, values ...uint64) seccomp.ScmpCondition {
	c, err := seccomp.MakeCondition(arg, op, values...)
	if err != nil && b.err == nil {
		b.err = err
	}
	return c
}

// Build returns the filter for s. self is the process id that kill and
// tgkill may target: the helper's own.
//
// libseccomp takes the union of all rules of a syscall, and an unconditional
// rule swallows conditional ones; so every syscall below has either one
// unconditional rule or only conditional rules whose conditions do not
// overlap (allow: pid == self, refuse: pid != self).
func Build(p Spec, self int) (*seccomp.ScmpFilter, error) {
	f, err := seccomp.NewFilter(seccomp.ActKillProcess)
	if err != nil {
		return nil, err
	}
	b := &filterBuilder{f: f}
	eperm := errnoAction(unix.EPERM)
	allow := seccomp.ActAllow

	// The kernel requires no_new_privs for an unprivileged filter, and a
	// privileged (root) helper must not skip it either: libseccomp's
	// default, stated here so it cannot silently change.
	if err := f.SetNoNewPrivsBit(true); err != nil {
		f.Release()
		return nil, err
	}
	// A syscall from another ABI (i386 int 0x80, x32) is attack code.
	if err := f.SetBadArchAction(seccomp.ActKillProcess); err != nil {
		f.Release()
		return nil, err
	}

	for _, n := range baseAllow {
		b.add(n, allow)
	}
	if p.Writable {
		for _, n := range writeAllow {
			b.add(n, allow)
		}
		b.add("openat", allow)
	} else {
		// Allowed only if none of the write bits is set (masked == 0);
		// refused if any is. The refusal rules overlap only each other.
		var mask uint64
		for _, bit := range readOnlyOpenBits {
			mask |= bit
		}
		b.add("openat", allow, b.cond(2, seccomp.CompareMaskedEqual, mask, 0))
		for _, bit := range readOnlyOpenBits {
			b.add("openat", eperm, b.cond(2, seccomp.CompareMaskedEqual, bit, bit))
		}
	}
	for _, n := range denyEPERM {
		b.add(n, eperm)
	}

	// glibc's malloc asks for the CPU count (sched_getaffinity(0, ...))
	// when contention makes it create a new arena: rare, timing dependent,
	// and fatal if missing (seen killing a held helper). Only about
	// ourselves; another pid gets EPERM.
	b.add("sched_getaffinity", allow, b.cond(0, seccomp.CompareEqual, 0))
	b.add("sched_getaffinity", eperm, b.cond(0, seccomp.CompareNotEqual, 0))

	// Threads yes, processes no. glibc tries clone3 first and falls back to
	// clone on ENOSYS; clone3's flags live in memory seccomp cannot read.
	b.add("clone", allow, b.cond(0, seccomp.CompareMaskedEqual, unix.CLONE_THREAD|cloneNamespaceBits, unix.CLONE_THREAD))
	b.add("clone", eperm, b.cond(0, seccomp.CompareMaskedEqual, unix.CLONE_THREAD, 0))
	b.add("clone3", errnoAction(unix.ENOSYS))

	// Signals only to ourselves: Go's preemption uses tgkill(self, tid),
	// raiseproc uses kill(self). Landlock's signal scope (ABI 6) refuses
	// the same from its side.
	for _, n := range []string{"kill", "tgkill"} {
		b.add(n, allow, b.cond(0, seccomp.CompareEqual, uint64(self)))
		b.add(n, eperm, b.cond(0, seccomp.CompareNotEqual, uint64(self)))
	}

	for _, cmd := range fcntlAllow {
		b.add("fcntl", allow, b.cond(1, seccomp.CompareEqual, cmd))
	}
	for _, cmd := range fcntlEPERM {
		b.add("fcntl", eperm, b.cond(1, seccomp.CompareEqual, cmd))
	}

	for _, n := range neverSocket {
		b.add(n, eperm)
	}
	if len(p.SocketDomains) == 0 {
		b.add("socket", eperm)
		for _, n := range socketCalls {
			if p.OpenSockets && n != "connect" {
				b.add(n, allow)
			} else {
				b.add(n, eperm)
			}
		}
	} else {
		b.socketRules(p.SocketDomains)
		for _, n := range socketCalls {
			b.add(n, allow)
		}
	}

	if p.OpenSockets {
		// libpcsclite waits for pcscd's answers with poll(2) (glibc makes
		// it ppoll where there is no poll, as on arm64).
		b.add("poll", allow)
		b.add("ppoll", allow)
	}

	if b.err != nil {
		f.Release()
		return nil, b.err
	}
	return f, nil
}

// socketRules allows socket(2) for the given domains and refuses every other
// domain with EPERM (Go's net package probes AF_INET6 and must get an error,
// not be killed). Within AF_INET/AF_INET6 only the type/protocol pairs of
// inetSocketAllow pass. MPTCP, which landlock's TCP rules do not see, is
// refused with EPERM: Go's net package probes it, and so does the
// self-test. Other pairs (raw sockets, SCTP) of an allowed domain hit the
// default action, because libseccomp cannot compare one argument twice in a
// rule, which a "protocol not in set" refusal would need.
func (b *filterBuilder) socketRules(domains []int) {
	eperm := errnoAction(unix.EPERM)
	allowed := map[uint64]bool{}
	for _, d := range domains {
		dom := uint64(d)
		allowed[dom] = true
		if d == unix.AF_INET || d == unix.AF_INET6 {
			for _, tp := range inetSocketAllow {
				b.add("socket", seccomp.ActAllow,
					b.cond(0, seccomp.CompareEqual, dom),
					b.cond(1, seccomp.CompareMaskedEqual, sockTypeMask, tp.typ),
					b.cond(2, seccomp.CompareEqual, tp.proto))
			}
			b.add("socket", eperm, b.cond(0, seccomp.CompareEqual, dom), b.cond(2, seccomp.CompareEqual, unix.IPPROTO_MPTCP))
			continue
		}
		b.add("socket", seccomp.ActAllow, b.cond(0, seccomp.CompareEqual, dom))
	}
	for d := uint64(0); d < maxSocketDomain; d++ {
		if !allowed[d] {
			b.add("socket", eperm, b.cond(0, seccomp.CompareEqual, d))
		}
	}
	b.add("socket", eperm, b.cond(0, seccomp.CompareGreaterEqual, maxSocketDomain))
}

// Program compiles s for the native architecture into a classic BPF
// program, as the kernel takes it (struct sock_filter, native byte order).
func Program(s Spec, self int) ([]unix.SockFilter, error) {
	f, err := Build(s, self)
	if err != nil {
		return nil, err
	}
	defer f.Release()
	// Through a pipe, not a file: a process that compiles at run time does
	// so after landlock, which lets it create no file.
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	read := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(r)
		r.Close()
		read <- b
	}()
	err = f.ExportBPF(w)
	w.Close()
	raw := <-read
	if err != nil {
		return nil, err
	}
	if len(raw)%8 != 0 {
		return nil, fmt.Errorf("libseccomp exported %d bytes, not whole instructions", len(raw))
	}
	prog := make([]unix.SockFilter, len(raw)/8)
	for i := range prog {
		b := raw[8*i:]
		prog[i] = unix.SockFilter{Code: binary.NativeEndian.Uint16(b), Jt: b[2], Jf: b[3], K: binary.NativeEndian.Uint32(b[4:])}
	}
	return prog, nil
}
