// Package interop holds the interoperability tests of front against the real
// GnuPG 2.2.40 (/usr/bin/gpg, /usr/bin/gpgv). It has no non-test code.
//
// The tests are testscript transcripts under testdata/*.txtar. Each one uses
// three commands:
//
//	ours   front, invoked through a symlink named gpg (env FRONT_BIN, default:
//	       ./cmd/front and ./cmd/keyhelper built once into a temp dir)
//	gpg    /usr/bin/gpg
//	gpgv   /usr/bin/gpgv
//
// Run the suite against gpg itself to check that every transcript is right:
//
//	FRONT_BIN=/usr/bin/gpg go test ./interop/
//
// See cmds_test.go for the command reference.
package interop
