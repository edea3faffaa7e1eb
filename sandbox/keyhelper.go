package sandbox

// KeyhelperPolicy is keyhelper's policy: the secret key directory, read-only
// unless this operation writes it (import, generate, delete, passphrase
// change); nothing else on the file system, no sockets, no exec, no new
// processes.
func KeyhelperPolicy(secretDir string, writable bool) Policy {
	p := Policy{Name: "keyhelper"}
	if writable {
		p.WriteDirs = []string{secretDir}
	} else {
		p.ReadDirs = []string{secretDir}
	}
	return p
}
