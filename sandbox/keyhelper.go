package sandbox

// KeyhelperPolicy is keyhelper's policy: the secret key directory, read-only
// unless this operation writes it (import, generate, delete, passphrase
// change); nothing else on the file system, no sockets, no exec, no new
// processes. gnupgDirs (GnuPG's private-keys-v1.d of the same home, when it
// exists) may be read, never written, in every mode: keys moved in from
// GnuPG stay in GnuPG's files. The access token use log is not in the policy: keyhelper
// opens it append-only before the lockdown, so even a restricted-mode
// helper that logs a token use has no write right on any path.
func KeyhelperPolicy(secretDir string, writable bool, gnupgDirs ...string) Policy {
	p := Policy{Name: "keyhelper"}
	if writable {
		p.WriteDirs = []string{secretDir}
	} else {
		p.ReadDirs = []string{secretDir}
	}
	p.ReadDirs = append(p.ReadDirs, gnupgDirs...)
	return p
}
