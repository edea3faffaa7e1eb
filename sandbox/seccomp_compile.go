//go:build !amd64

package sandbox

import (
	"github.com/frontpgp/front/sandbox/internal/seccompbpf"
	"golang.org/x/sys/unix"
)

// No precompiled programs for this architecture: compile with libseccomp
// at run time (the helpers link it here, through cgo).
var precompiled = map[string]precompiledFilter{}

func init() {
	compileFilter = func(p Policy, self int) ([]unix.SockFilter, error) {
		return seccompbpf.Program(seccompbpf.Spec{Writable: p.writable(), SocketDomains: p.SocketDomains, OpenSockets: p.OpenSockets}, self)
	}
}
