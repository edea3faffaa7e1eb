package sandbox

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The seccomp rules are in internal/seccompbpf, compiled by libseccomp. The
// helpers do not run libseccomp: they load a program compiled ahead of time
// from those rules (seccomp_filters_<arch>.go, generated and checked
// against libseccomp by TestPrecompiledFilters), which spares every helper
// start the cgo runtime (about 0.5 ms) and the compilation (about 0.2 ms).
// The only run-time input of a program, the helper's own pid (kill and
// tgkill may target only it), is patched into the instructions recorded at
// generation. Where no program was generated (another architecture),
// compileFilter compiles with libseccomp at run time.

// precompiledFilter is one generated program; pidAt are the indices of
// the instructions whose K is the helper's pid.
type precompiledFilter struct {
	prog  []unix.SockFilter
	pidAt []int
}

// compileFilter compiles a policy's filter at run time; nil where every
// helper policy has a precompiled program.
var compileFilter func(p Policy, self int) ([]unix.SockFilter, error)

// filterKey names the precompiled program for p: the seccomp filter depends
// only on whether p writes, its socket domains and OpenSockets. "" for a
// combination no helper uses.
func filterKey(p Policy) string {
	switch {
	case len(p.SocketDomains) == 0 && !p.OpenSockets && !p.writable():
		return "files-read" // keyhelper
	case len(p.SocketDomains) == 0 && !p.OpenSockets && p.writable():
		return "files-write" // keyhelper, write mode
	case len(p.SocketDomains) == 0 && p.OpenSockets && !p.writable():
		return "open-sockets" // cardhelper
	case slices.Equal(p.SocketDomains, []int{unix.AF_INET, unix.AF_INET6}) && !p.OpenSockets && !p.writable():
		return "inet" // nethelper
	}
	return ""
}

// filterProgram returns p's program for the process self.
func filterProgram(p Policy, self int) ([]unix.SockFilter, error) {
	if f, ok := precompiled[filterKey(p)]; ok {
		prog := slices.Clone(f.prog)
		for _, i := range f.pidAt {
			prog[i].K = uint32(self)
		}
		return prog, nil
	}
	if compileFilter != nil {
		return compileFilter(p, self)
	}
	return nil, fmt.Errorf("no precompiled seccomp filter for this policy on %s", runtime.GOARCH)
}

// applySeccomp installs p's filter on every thread of the process
// (TSYNC), after setting no_new_privs, which the kernel requires for an
// unprivileged filter and which a privileged (root) helper must not skip
// either. The thread is locked so that both calls happen on the same one;
// TSYNC passes no_new_privs on to the other threads.
func applySeccomp(p Policy) error {
	prog, err := filterProgram(p, os.Getpid())
	if err != nil {
		return err
	}
	if len(prog) == 0 || len(prog) > unix.BPF_MAXINSNS {
		return fmt.Errorf("filter of %d instructions", len(prog))
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC,
		uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	if errno != 0 {
		return fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER): %w", errno)
	}
	if r != 0 {
		return fmt.Errorf("seccomp: thread %d could not be synchronised", r)
	}
	return nil
}
