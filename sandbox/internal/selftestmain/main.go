// Command selftestmain stands in for cmd/keyhelper in the sandbox tests while
// keyhelper's main package does not exist yet. It runs the same
// sandbox.SelfTestMain with the same policy and accepts the same
// "--sandbox-self-test ..." arguments, so the tests need no change when they
// switch to the real binary.
package main

import (
	"fmt"
	"os"

	"github.com/frontpgp/front/sandbox"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "--sandbox-self-test" {
		fmt.Fprintln(os.Stderr, "usage: selftestmain --sandbox-self-test ...")
		os.Exit(2)
	}
	os.Exit(sandbox.SelfTestMain(os.Args[2:], os.Stdout, os.Stderr, sandbox.KeyhelperPolicy))
}
