package seccompbpf

import (
	"os"
	"testing"

	seccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// TestSyscallNamesResolve catches typos: Build skips names the native
// architecture lacks, so a misspelt one would vanish silently.
func TestSyscallNamesResolve(t *testing.T) {
	lists := [][]string{baseAllow, writeAllow, denyEPERM, socketCalls, neverSocket,
		{"openat", "clone", "clone3", "kill", "tgkill", "fcntl", "socket", "sched_getaffinity"}}
	for _, l := range lists {
		for _, n := range l {
			if _, err := seccomp.GetSyscallFromName(n); err != nil {
				t.Errorf("%s: %v", n, err)
			}
		}
	}
}

func TestBuildFilter(t *testing.T) {
	for name, p := range map[string]Spec{
		"keyhelper":        {},
		"keyhelper, write": {Writable: true},
		"cardhelper":       {OpenSockets: true},
		"nethelper":        {SocketDomains: []int{unix.AF_INET, unix.AF_INET6}},
	} {
		f, err := Build(p, os.Getpid())
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if nnp, err := f.GetNoNewPrivsBit(); err != nil || !nnp {
			t.Errorf("%s: no_new_privs bit %v %v", name, nnp, err)
		}
		if act, err := f.GetDefaultAction(); err != nil || act != seccomp.ActKillProcess {
			t.Errorf("%s: default action %v %v", name, act, err)
		}
		if act, err := f.GetBadArchAction(); err != nil || act != seccomp.ActKillProcess {
			t.Errorf("%s: bad-arch action %v %v", name, act, err)
		}
		f.Release()
	}
}
