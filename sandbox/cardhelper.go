package sandbox

// CardhelperPolicy is cardhelper's policy: no file at all, no new socket
// and no connect(2) — the one socket it uses, to pcscd, is opened by
// SCardEstablishContext before lockdown, and every later PC/SC call of
// libpcsclite goes over it (send, poll, recv) — no exec, no new processes.
// That confines it to pcscd more tightly than a path rule could: landlock
// (ABI <= 7) does not see connect(2) on pathname unix sockets.
func CardhelperPolicy() Policy {
	return Policy{Name: "cardhelper", OpenSockets: true}
}
