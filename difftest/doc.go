// Package difftest runs the same gpg invocations against front and against
// Debian's GnuPG 2.2.40 and compares exit codes, [GNUPG:] status lines and
// stdout. It has no non-test code.
//
// The cases are in testdata/cases.txt, the fixed key material (made once by
// testdata/gen.sh with real gpg) in testdata/keys, and the divergences that
// are known and deliberate in testdata/known.txt (see README.md).
//
//	make difftest    FRONT_BIN=bin/gpg go test ./difftest
//
// Without FRONT_BIN the test skips itself (make unit runs ./...). With
// FRONT_BIN=/usr/bin/gpg every case must be identical (the harness checks
// itself) and the known list is not consulted.
package difftest
