package sandbox

import "golang.org/x/sys/unix"

// NethelperPolicy is nethelper's policy: no file at all (it loads name
// resolution configuration and CA certificates before lockdown), TCP and UDP
// sockets over IPv4 and IPv6, TCP connect(2) only to ports (where landlock
// can say so), no bind, no exec, no new processes. UDP (DNS) is not
// confined to a port: landlock ABI 7 does not see UDP.
func NethelperPolicy(ports []uint16) Policy {
	return Policy{
		Name:            "nethelper",
		SocketDomains:   []int{unix.AF_INET, unix.AF_INET6},
		ConnectTCPPorts: ports,
	}
}
