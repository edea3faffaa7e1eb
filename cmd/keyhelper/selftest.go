package main

import (
	"os"

	"github.com/frontpgp/front/sandbox"
)

// runSelfTest is keyhelper's "--sandbox-self-test" mode (args are the
// arguments after that flag). It must be dispatched before keyhelper opens
// or parses anything else, so that the probes see exactly the production
// lockdown and nothing the normal startup left open. The sandbox package
// tests run it against the built binary.
func runSelfTest(args []string) int {
	return sandbox.SelfTestMain(args, os.Stdout, os.Stderr, func(s sandbox.SelfTestSetup) sandbox.Policy {
		return sandbox.KeyhelperPolicy(s.Dir, s.Writable)
	})
}
