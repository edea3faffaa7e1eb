// Package helpermain is what keyhelper, nethelper and cardhelper do alike
// around their own work: the dispatch of the sandbox self-test before
// anything else runs, and the greeting of front once locked down. What
// each helper does between sandbox.Prepare and sandbox.Apply (the files and
// sockets it opens before lockdown) stays in its own run, in its order.
// It is built into a static (CGO_ENABLED=0) helper as into cardhelper
// (cgo), so it imports nothing that needs either.
package helpermain

import (
	"fmt"
	"io"
	"os"

	"github.com/frontpgp/front/ipc"
)

// Main is a helper's main: "--sandbox-self-test ARGS..." runs selfTest on
// ARGS before the helper opens or parses anything else (the probes see
// exactly the production lockdown), any other command line run; the
// process exits with their code.
func Main(selfTest func(args []string) int, run func() int) {
	if len(os.Args) > 1 && os.Args[1] == "--sandbox-self-test" {
		os.Exit(selfTest(os.Args[2:]))
	}
	os.Exit(run())
}

// Greet exchanges hellos as role with front over stdin/stdout; it is
// called once the helper is locked down, so that front's hello is the
// first thing it reads. A nil conn means the helper stops with code: 0
// when front closed the pipe without a hello (it did not need the helper
// after all), 2 when the hello could not be written (front is gone) or
// front's was wrong (said on stderr, prefixed with name).
func Greet(name string, role ipc.Role) (conn *ipc.Conn, code int) {
	conn = ipc.NewConn(os.Stdin, os.Stdout)
	if err := conn.WriteHello(role); err != nil {
		return nil, 2
	}
	if err := conn.ReadHello(role); err != nil {
		if err == io.EOF {
			return nil, 0
		}
		fmt.Fprintln(os.Stderr, name+":", err)
		return nil, 2
	}
	return conn, 0
}
