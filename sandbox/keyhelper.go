package sandbox

// KeyhelperPolicy is keyhelper's policy: the secret key directory, read-only
// unless this operation writes it (import, generate, delete, passphrase
// change); nothing else on the file system, no sockets, no exec, no new
// processes. The access token use log is not in the policy: keyhelper
// opens it append-only before the lockdown, so even a restricted-mode
// helper that logs a token use has no write right on any path.
func KeyhelperPolicy(secretDir string, writable bool) Policy {
	p := Policy{Name: "keyhelper"}
	if writable {
		p.WriteDirs = []string{secretDir}
	} else {
		p.ReadDirs = []string{secretDir}
	}
	return p
}
