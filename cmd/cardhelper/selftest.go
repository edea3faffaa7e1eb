package main

import (
	"os"

	"github.com/frontpgp/front/sandbox"
)

// runSelfTest is cardhelper's "--sandbox-self-test" mode (args are the
// arguments after that flag), dispatched before anything else runs, so the
// probes see exactly the production lockdown.
func runSelfTest(args []string) int {
	return sandbox.SelfTestMain(args, os.Stdout, os.Stderr, func(sandbox.SelfTestSetup) sandbox.Policy {
		return sandbox.CardhelperPolicy()
	})
}
