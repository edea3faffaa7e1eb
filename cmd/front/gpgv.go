package main

// front invoked as gpgv: GnuPG's signature-only verifier, as apt, dpkg and
// debsig-verify call it. gpgv trusts every key of the keyrings it is given
// (--keyring, else trustedkeys.kbx or trustedkeys.gpg in the home), never
// looks at the certificate store, never starts keyhelper and never writes:
// it opens the home only to find default keyrings in it. The verification
// and its status lines are gpg's (verify.go) with gpgv's differences: no
// TRUST_ lines or trust warnings, no "[validity]" after the user ID, no
// FAILURE line, and always --batch (the first bad signature ends the run).

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/gnupg/keybox"
	"github.com/frontpgp/front/pgp"
)

// gpgvOptions is gpgv 2.2.40's option table (g10/gpgv.c).
var gpgvOptions = &optTable{specs: []optSpec{
	flag(implemented, "verbose", 'v'),
	flag(implemented, "quiet", 'q'),
	str(implemented, "keyring", 0),
	str(implemented, "output", 'o'),
	// Signatures made "in the future" of their key are checked like any
	// other; there is no conflict to be lenient about.
	flag(noEffect, "ignore-time-conflict", 0),
	integer(implemented, "status-fd", 0),
	integer(implemented, "logger-fd", 0),
	str(notImplemented, "log-file", 0),
	str(implemented, "homedir", 0),
	str(implemented, "weak-digest", 0),
	flag(implemented, "enable-special-filenames", 0),
	str(noEffect, "debug", 0),
	internal("help", specialHelp),
	internal("version", specialVersion),
	internal("warranty", specialWarranty),
	{name: "dump-option-table", support: notImplemented, cmdlineOnly: true},
	internal("dump-options", specialDumpOptions),
}}

// maxKeyringFile bounds a keyring file front reads (the whole Debian
// developers' keyring is under 30 MiB); keybox.MaxBlob bounds one blob.
const maxKeyringFile = 256 << 20

// gpg error codes gpgv reports in ERROR status lines.
const (
	errKeyringOpen = 13
	errInvKeyring  = 34
	errENOENT      = 32768 | 81
	errDigestAlgo  = 5
)

// runGPGV is main for the gpgv personality.
func (a *app) runGPGV(argv []string) int {
	a.gpgv = true
	p := newParsed()
	perr := gpgvOptions.parseCommandLine(p, argv)
	a.opts = p
	// gpgv always acts as gpg --batch --yes: no questions, an existing
	// --output file is replaced, and the first bad signature ends the run.
	p.values["batch"] = []string{""}
	p.values["yes"] = []string{""}
	home, err := homeDirectory(p.last("homedir"), optionsSource{getenv: os.Getenv, homeDir: os.UserHomeDir})
	if err != nil {
		a.errorf("%v", err)
		return 2
	}
	a.home = home
	if perr == nil && p.special == notSpecial {
		perr = p.checkSupport()
	}
	if perr != nil {
		var oe *optionError
		if errors.As(perr, &oe) {
			fmt.Fprintln(a.stderr, oe.msg)
		} else {
			fmt.Fprintf(a.stderr, "gpgv: %v\n", perr)
		}
		return 2
	}
	if a.answerSpecial(p.special, gpgvUsage, gpgvOptions) {
		return 0
	}
	if err := a.setupLogger(); err != nil {
		a.errorf("%v", err)
		return 2
	}
	if !a.weakDigestsValid() {
		return 2
	}
	if err := a.setupStatus(); err != nil {
		a.errorf("%v", err)
		return 2
	}
	a.certs, a.gpgvKeyringsOpen = a.gpgvKeyrings()
	a.certsLoaded = true
	if err := a.verifyCmd(p.args); err != nil {
		a.fail(err)
	}
	return a.exitCode
}

// gpgvUsage is front's --help as gpgv.
const gpgvUsage = `Usage: gpgv [options] [files]
Check signatures against known trusted keys (this is front as gpgv).

Options: -v --verbose, -q --quiet, --keyring FILE, -o --output FILE,
 --ignore-time-conflict, --status-fd FD, --logger-fd FD, --homedir DIR,
 --weak-digest ALGO, --enable-special-filenames
`

// setupLogger sends diagnostics to --logger-fd.
func (a *app) setupLogger() error {
	if !a.opts.has("logger-fd") {
		return nil
	}
	fd, err := strconv.Atoi(a.opts.last("logger-fd"))
	if err != nil || fd < 0 {
		return fmt.Errorf("invalid logger-fd")
	}
	switch fd {
	case 1:
		a.stderr = a.stdout
	case 2:
	default:
		a.stderr = os.NewFile(uintptr(fd), "logger-fd")
	}
	return nil
}

// weakDigest maps a --weak-digest name to its hash; MD5 is weak always.
func weakDigest(name string) (crypto.Hash, bool) {
	if strings.EqualFold(name, "MD5") {
		return crypto.MD5, true
	}
	h, err := pgp.ParseHash(name)
	return h, err == nil
}

// weakDigestsValid reports unknown --weak-digest names as gpg does: an
// error each, and the run ends with exit code 2 before any work.
func (a *app) weakDigestsValid() bool {
	ok := true
	for _, n := range a.opts.values["weak-digest"] {
		if _, known := weakDigest(n); !known {
			fmt.Fprintf(a.stderr, "%s: unknown weak digest '%s'\n", a.progName(), n)
			ok = false
		}
	}
	return ok
}

// rejectsDigest reports whether signatures made with h are refused:
// MD5, and every --weak-digest. The first refusal of each algorithm is
// noted on stderr (unless --quiet), as gpg does.
func (a *app) rejectsDigest(h crypto.Hash) bool {
	if a.opts.has("allow-weak-digest-algos") {
		return false
	}
	weak := h == crypto.MD5
	for _, n := range a.opts.values["weak-digest"] {
		if w, ok := weakDigest(n); ok && w == h {
			weak = true
		}
	}
	if !weak {
		return false
	}
	if a.weakDigestNoted == nil {
		a.weakDigestNoted = map[crypto.Hash]bool{}
	}
	if !a.weakDigestNoted[h] {
		a.weakDigestNoted[h] = true
		a.infof("Note: signatures using the %s algorithm are rejected", pgp.HashName(h))
	}
	return true
}

// gpgvKeyrings reads the keyrings gpgv uses. A keyring that cannot be read
// is reported (ERROR add_keyblock_resource) and skipped; open says whether
// any keyring could be read at all.
func (a *app) gpgvKeyrings() (certs openpgp.EntityList, open bool) {
	names := a.opts.values["keyring"]
	defaultRing := len(names) == 0
	if defaultRing {
		names = []string{"trustedkeys.kbx"}
	}
	for _, name := range names {
		path := keyringPath(a.home, name)
		if defaultRing {
			if _, err := os.Stat(path); err != nil {
				if alt := strings.TrimSuffix(path, ".kbx") + ".gpg"; fileExists(alt) {
					path = alt
				} else {
					a.errorf("unknown type of key resource '%s'", name)
					a.keyringFailed(path, "General error", gpgError(srcGPG, errGeneral))
					continue
				}
			}
		}
		ents, err := readKeyringFile(path)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) && errors.Is(err, os.ErrNotExist) {
				a.keyringFailed(path, errText(err), gpgError(srcGPG, errENOENT))
			} else {
				a.keyringFailed(path, errText(err), gpgError(srcGPG, errInvKeyring))
			}
			continue
		}
		open = true
		certs = append(certs, ents...)
	}
	return certs, open
}

func (a *app) keyringFailed(path, why string, code int) {
	a.errorf("keyblock resource '%s': %s", path, why)
	a.status.Emit("ERROR", "add_keyblock_resource", strconv.Itoa(code))
}

// keyringPath is where gpg looks for a keyring: a name without a slash is
// in the home; "gnupg-ring:" and "gnupg-kbx:" prefixes are dropped.
func keyringPath(home, name string) string {
	name = strings.TrimPrefix(strings.TrimPrefix(name, "gnupg-ring:"), "gnupg-kbx:")
	if strings.HasPrefix(name, "/") {
		return name
	}
	if strings.Contains(name, "/") {
		if strings.HasPrefix(name, "~/") {
			if h, err := os.UserHomeDir(); err == nil {
				return filepath.Join(h, name[2:])
			}
		}
		return name
	}
	return filepath.Join(home, name)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// gpgvNoKeyring reports what gpgv reports for each key lookup when none of
// its keyrings could be opened. Called by the verification before it
// reports a missing key.
func (a *app) gpgvNoKeyring() {
	if a.gpgv && !a.gpgvKeyringsOpen {
		code := strconv.Itoa(gpgError(srcGPG, errKeyringOpen))
		a.status.Emit("ERROR", "keydb_search", code)
		a.status.Emit("ERROR", "keydb_search", code)
	}
}

// readKeyringFile reads the certificates of a GnuPG keybox (pubring.kbx),
// a binary keyring (pubring.gpg, apt's trusted.gpg.d/*.gpg) or, beyond
// what GnuPG's gpgv reads, an armored one. An empty file (/dev/null) is an
// empty keyring.
func readKeyringFile(path string) (openpgp.EntityList, error) {
	data, err := readCapped(path, maxKeyringFile)
	if err != nil {
		return nil, err
	}
	return parseKeyring(data)
}

// parseKeyring decodes keyring data, telling the formats apart as GnuPG
// does (a keybox has version 1 and "KBXf" in its first blob).
func parseKeyring(data []byte) (openpgp.EntityList, error) {
	if keybox.IsKeybox(data) {
		kbx, err := keybox.Read(data)
		if err != nil {
			return nil, errors.New("Invalid keyring: " + err.Error())
		}
		var out openpgp.EntityList
		for _, b := range kbx.Keyblocks {
			ents, err := parseKeyblocks(b)
			if err != nil {
				return nil, err
			}
			out = append(out, ents...)
		}
		return out, nil
	}
	data, err := pgp.DearmorAll(data)
	if err != nil {
		return nil, errors.New("Invalid armor")
	}
	return parseKeyblocks(data)
}

// parseKeyblocks parses binary transferable public keys one by one, so a
// key front cannot use (an old v3 key, an unknown algorithm) costs only
// itself. gpg's ring trust packets (tag 12) are dropped first.
func parseKeyblocks(data []byte) (openpgp.EntityList, error) {
	if len(data) == 0 {
		return nil, nil
	}
	raws, err := pgp.SplitPackets(data)
	if err != nil {
		return nil, errors.New("Invalid keyring")
	}
	var out openpgp.EntityList
	var block []byte
	flush := func() {
		if len(block) > 0 {
			if e := readEntitySafe(block); e != nil {
				out = append(out, e)
			}
		}
		block = nil
	}
	for _, r := range raws {
		switch pgp.PacketTag(r) {
		case 12:
			continue
		case 6:
			flush()
		}
		block = append(block, r...)
	}
	flush()
	return out, nil
}

// readEntitySafe parses one transferable public key, nil when it is not
// usable (go-crypto's parser may also panic on hostile input).
func readEntitySafe(raw []byte) (e *openpgp.Entity) {
	defer func() {
		if recover() != nil {
			e = nil
		}
	}()
	e, err := openpgp.ReadEntity(packet.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return nil
	}
	return e
}
