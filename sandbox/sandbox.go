// Package sandbox locks a helper process (keyhelper, nethelper,
// cardhelper) down before it talks to front.
//
// Lockdown order, shared by every helper (see shared/design/architecture.md):
//
//  1. Prepare: not dumpable, no core files, GOMAXPROCS pinned, lazily opened
//     runtime state warmed up.
//  2. The helper opens what this one operation needs.
//  3. Apply, part 1: landlock restricts the file system (and TCP, IPC scopes).
//  4. Apply, part 2: seccomp, default action kill-process, installed last so
//     that nothing the lockdown itself needs (landlock's psx signalling,
//     opening rule paths) has to be allowed afterwards.
//  5. The protocol loop.
//
// Only Linux is supported. The seccomp filters are compiled with libseccomp
// ahead of time on amd64 (seccomp.go); elsewhere the package needs cgo
// (libseccomp) to compile them at run time.
package sandbox

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// UnsafeNoSandboxEnv names the environment variable that, set to "1", makes
// Apply a loud no-op. It exists for debugging helpers under strace or a
// debugger and must never be set in production.
const UnsafeNoSandboxEnv = "FRONTPGP_UNSAFE_NO_SANDBOX"

// Policy says what a helper may do after lockdown. The zero value of every
// field means "nothing": no files, no sockets.
type Policy struct {
	// Name is the helper's name, used in messages ("keyhelper").
	Name string
	// ReadDirs may be read (files and directory listings), recursively.
	ReadDirs []string
	// WriteDirs may be read, and regular files in them created, written,
	// truncated, renamed within the directory and removed: enough for
	// temp file + fsync + rename, and a lock file. No directories, links,
	// devices, sockets or fifos may be created there.
	WriteDirs []string
	// SocketDomains lists the socket(2) domains (unix.AF_*) the helper may
	// create. Empty: socket(2) and the calls that only make sense on a socket
	// the helper created (connect, bind, ...) fail with EPERM. For AF_INET
	// and AF_INET6 only SOCK_STREAM/SOCK_DGRAM with protocol 0, TCP or UDP
	// are allowed: landlock (ABI <= 7) does not see UDP or MPTCP, so seccomp
	// must keep them out. Not used by keyhelper.
	SocketDomains []int
	// ConnectTCPPorts are the only TCP ports connect(2) may reach, where
	// the kernel's landlock ABI can say so (>= 4); below that, seccomp's
	// socket rules are all that confine the network. Every TCP bind is
	// refused either way (bind(2) is an errno rule in seccomp).
	ConnectTCPPorts []uint16
	// OpenSockets allows, without SocketDomains, the socket calls (send,
	// recv, getsockopt, ...) and poll(2) on sockets the helper opened
	// before lockdown; socket(2), connect(2) and bind(2) stay refused, so
	// it can reach no peer it was not connected to. For libpcsclite's
	// connection to pcscd.
	OpenSockets bool
}

func (p Policy) writable() bool { return len(p.WriteDirs) > 0 }

// Prepare is step 1 of the lockdown. It is idempotent and may be called
// before the helper opens its files.
func Prepare() error {
	// Not dumpable: other processes of the same uid can no longer ptrace us,
	// read /proc/<pid>/mem or /proc/<pid>/environ.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("sandbox: prctl(PR_SET_DUMPABLE, 0): %w", err)
	}
	// No core file can ever carry an unlocked secret key to disk; the hard
	// limit is lowered too so that nothing can raise the soft one again.
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0}); err != nil {
		return fmt.Errorf("sandbox: setrlimit(RLIMIT_CORE, 0): %w", err)
	}
	// Setting GOMAXPROCS explicitly stops the Go >= 1.25 cgroup updater,
	// which otherwise re-reads cgroup files (pread64) and calls
	// sched_getaffinity about once a second: both are outside the seccomp
	// allowlist, so the helper would be killed at a random moment.
	runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))

	// Warm up what the runtime and standard library open or allocate on
	// first use, so that after lockdown these paths need no file access and
	// no syscall outside the allowlist.
	//
	// The first timer initialises the netpoller (epoll_create1, eventfd2).
	time.Sleep(time.Microsecond)
	// time.Local is loaded lazily from /etc/localtime (or $TZ).
	_ = time.Local.String()
	// crypto/rand: the first read sets up the vDSO getrandom state (mmap)
	// or probes the getrandom syscall.
	var b [1]byte
	if _, err := io.ReadFull(rand.Reader, b[:]); err != nil {
		return fmt.Errorf("sandbox: warming up crypto/rand: %w", err)
	}
	// A pollable pipe exercises the netpoller's registration path.
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("sandbox: warming up the netpoller: %w", err)
	}
	r.Close()
	w.Close()
	return nil
}

// Apply is steps 3 and 4 of the lockdown: landlock, then seccomp. On error
// the process may be partly restricted; the caller must exit non-zero and not
// go on with the protocol.
//
// If $FRONTPGP_UNSAFE_NO_SANDBOX is "1", Apply restricts nothing, says so on
// stderr and returns nil.
func Apply(p Policy) error {
	return apply(p, os.Getenv(UnsafeNoSandboxEnv), os.Stderr)
}

func apply(p Policy, unsafeEnv string, stderr io.Writer) error {
	if p.Name == "" {
		return errors.New("sandbox: policy has no name")
	}
	if unsafeEnv == "1" {
		fmt.Fprintf(stderr, "WARNING: %s: sandbox DISABLED by %s (testing only)\n", p.Name, UnsafeNoSandboxEnv)
		return nil
	}
	if err := applyLandlock(p); err != nil {
		return fmt.Errorf("sandbox: %s: landlock: %w", p.Name, err)
	}
	if err := applySeccomp(p); err != nil {
		return fmt.Errorf("sandbox: %s: seccomp: %w", p.Name, err)
	}
	return nil
}

// Lockdown is Prepare followed by Apply, for helpers that open nothing
// between the two steps.
func Lockdown(p Policy) error {
	if err := Prepare(); err != nil {
		return err
	}
	return Apply(p)
}
