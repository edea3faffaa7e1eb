package main

import (
	"os"

	"github.com/frontpgp/front/sandbox"
)

// runSelfTest is nethelper's "--sandbox-self-test" mode (args are the
// arguments after that flag), dispatched before anything else runs, so the
// probes see exactly the production lockdown: the policy allows TCP connect
// to the fixture's --tcp-port only, as production allows the request's ports.
func runSelfTest(args []string) int {
	return sandbox.SelfTestMain(args, os.Stdout, os.Stderr, func(s sandbox.SelfTestSetup) sandbox.Policy {
		return sandbox.NethelperPolicy([]uint16{s.TCPPort})
	})
}
