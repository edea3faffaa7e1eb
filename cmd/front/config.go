package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/store"
)

// gpg reads its options in two passes: the command line first, only for
// --homedir, --options and --no-options; then the options file (gpg.conf in
// the home unless --options names another one or --no-options is given),
// then the command line again, so that a command-line option overrides
// gpg.conf. loadGPGOptions does the same.
//
// An options file has one option a line: its long name without "--" and
// never abbreviated, white space, then the argument up to the end of the
// line (white space trimmed; one pair of surrounding double quotes removed).
// Lines starting with '#' are comments; a '#' later in a line is part of the
// argument. A bad line is a warning ("FILE:LINE: invalid option") and the
// run goes on, as gpg does.

// maxOptionsFile bounds an options file; gpg.conf files are a few KiB.
const maxOptionsFile = 1 << 20

// optionsSource is what loadGPGOptions needs from the process.
type optionsSource struct {
	getenv  func(string) string
	homeDir func() (string, error) // the user's home, for ~/.gnupg
	warn    func(string)           // prints one warning line as given
}

// loadGPGOptions returns the options of one gpg invocation and the home
// directory. On a command-line error, p holds the options before it.
func loadGPGOptions(argv []string, src optionsSource) (p *parsed, home string, err error) {
	pre := newParsed()
	// An error here is found again by the second pass below, which then
	// has gpg.conf's options before it (gpg.conf may set --status-fd).
	_ = gpgOptions.parseCommandLine(pre, argv)
	home, err = homeDirectory(pre.last("homedir"), src)
	if err != nil {
		return newParsed(), "", err
	}
	p = newParsed()
	if !pre.has("no-options") {
		name, explicit := filepath.Join(home, "gpg.conf"), false
		if pre.has("options") {
			name, explicit = pre.last("options"), true
		}
		if err := readOptionsFile(p, gpgOptions, name, explicit, src.warn); err != nil {
			return p, home, err
		}
	}
	return p, home, gpgOptions.parseCommandLine(p, argv)
}

// startGPG reads the options of a gpg invocation into a and handles what
// gpg handles while parsing: option errors (FAILURE option-parser, exit 2),
// --version, --help, --warranty, --dump-options, malformed groups and, for
// front, options it does not implement. stop reports that the run is over
// with exit code code.
func (a *app) startGPG(argv []string) (code int, stop bool) {
	warn := func(line string) { fmt.Fprintln(a.stderr, line) }
	opts, home, err := loadGPGOptions(argv, optionsSource{getenv: os.Getenv, homeDir: os.UserHomeDir, warn: warn})
	a.opts, a.home = opts, home
	if lerr := a.setupLogger(); lerr != nil && err == nil {
		err = lerr
	}
	// --version and the like act where gpg reads them, before anything
	// else is judged.
	if err == nil && opts.special == notSpecial {
		err = opts.checkSupport()
	}
	if err == nil && opts.special == notSpecial {
		// --import-options and --export-options (impexopts.go).
		help, ok := a.checkImpexOptions()
		if help != "" {
			io.WriteString(a.stdout, help)
			if ok {
				return 0, true
			}
			return 2, true
		}
		if !ok {
			err = errReported
		}
	}
	if err == nil && opts.special == notSpecial {
		// --key-origin is judged where gpg's parser reads it.
		for _, v := range opts.values["key-origin"] {
			if kind, _, _ := strings.Cut(v, ","); strings.EqualFold(kind, "help") {
				fmt.Fprintf(a.stderr, "%s: valid values for option '--key-origin':\n", a.progName())
				for _, n := range store.OriginNames() {
					fmt.Fprintf(a.stderr, "%s:   %s\n", a.progName(), n)
				}
				return 1, true
			}
			if _, ok := parseKeyOrigin(v); !ok {
				fmt.Fprintf(a.stderr, "%s: invalid argument for option \"--key-origin\"\n", a.progName())
				err = errReported
				break
			}
		}
	}
	if err == nil && opts.special == notSpecial {
		// Problems gpg reports while it applies the options; it goes on
		// with the other options, then stops before the command.
		_, problems := opts.groups()
		for _, m := range problems {
			fmt.Fprintf(a.stderr, "%s: %s\n", a.progName(), m)
		}
		if !a.weakDigestsValid() || !a.parsedValuesValid() || len(problems) > 0 {
			err = errReported
		}
	}
	if err == nil && opts.special == notSpecial && !a.algorithmsValid() {
		// gpg checks the algorithm names after parsing (its
		// "option-postprocessing" stage)
		if serr := a.setupStatus(); serr == nil {
			a.failure("option-postprocessing", gpgError(srcGPG, errGeneral))
		}
		return 2, true
	}
	if err != nil {
		// gpg reports the failure on the status fd it has by then; a
		// command conflict ends gpg through its general exit path.
		if serr := a.setupStatus(); serr == nil {
			where := "option-parser"
			if err == errConflictingCommands {
				where = "gpg-exit"
			}
			a.failure(where, gpgError(srcGPG, errGeneral))
		}
		var oe *optionError
		switch {
		case err == errReported:
		case errors.As(err, &oe):
			fmt.Fprintln(a.stderr, oe.msg)
		default:
			fmt.Fprintf(a.stderr, "%s: %v\n", a.progName(), err)
		}
		return 2, true
	}
	if opts.special == specialVersion {
		// gpg has judged the values read before --version (gpg.conf's
		// too) and said what it found wrong; it still prints the
		// version and exits 0
		a.parsedValuesValid()
	}
	if a.answerSpecial(opts.special, gpgUsage, gpgOptions) {
		return 0, true
	}
	if !opts.has("quiet") {
		for _, w := range opts.argsLookLikeOptions {
			fmt.Fprintf(a.stderr, "%s: Note: '%s' is not considered an option\n", a.progName(), w)
		}
	}
	return 0, false
}

// errReported ends a run whose problems were already printed.
var errReported = &optionError{}

// gpgUsage is front's --help as gpg.
const gpgUsage = `Usage: gpg [options] [files]
Sign, check, encrypt or decrypt (this is front, a gpg-compatible OpenPGP tool).
Default operation depends on the input data.

Commands: -s --sign, --clear-sign, -b --detach-sign, -e --encrypt, -c --symmetric,
 -d --decrypt, --verify, -k --list-keys, -K --list-secret-keys, --fingerprint,
 --quick-generate-key, --generate-key, --import, --export, --export-secret-keys,
 --delete-keys, --delete-secret-keys, --list-config
Options: -a --armor, -r --recipient USER-ID, -u --local-user USER-ID, -o --output FILE,
 -v --verbose, -q --quiet, --batch, --yes, --status-fd FD, --with-colons, --homedir DIR
--dump-options lists every option front accepts.
`

// warrantyText is what --warranty prints.
const warrantyText = "front is provided without any warranty, to the extent permitted by law."

// homeDirectory is --homedir, else $GNUPGHOME, else ~/.gnupg.
func homeDirectory(flag string, src optionsSource) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if h := src.getenv("GNUPGHOME"); h != "" {
		return h, nil
	}
	h, err := src.homeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(h, ".gnupg"), nil
}

// readOptionsFile adds the options of one options file to p. A missing
// default file is no error; a missing explicit one (--options) is.
func readOptionsFile(p *parsed, t *optTable, name string, explicit bool, warn func(string)) error {
	f, err := os.Open(name)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return &optionError{fmt.Sprintf("option file '%s': %s", name, errText(err))}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxOptionsFile+1))
	if err != nil {
		return &optionError{fmt.Sprintf("option file '%s': %s", name, errText(err))}
	}
	if len(data) > maxOptionsFile {
		return &optionError{fmt.Sprintf("option file '%s': File too large", name)}
	}
	for i, line := range strings.Split(string(data), "\n") {
		origin := fmt.Sprintf("%s:%d", name, i+1)
		problem, err := parseOptionLine(p, t, line, origin)
		if err != nil {
			return err
		}
		if problem != "" {
			warn(origin + ": " + problem)
		}
	}
	return nil
}

// parseOptionLine applies one line of an options file. problem is gpg's
// warning text for a bad line; err is fatal (conflicting commands).
func parseOptionLine(p *parsed, t *optTable, line, origin string) (problem string, err error) {
	line = strings.TrimRight(strings.TrimLeft(line, " \t\r\v\f"), " \t\r\v\f")
	if line == "" || line[0] == '#' {
		return "", nil
	}
	keyword, arg := line, ""
	if i := strings.IndexAny(line, " \t"); i >= 0 {
		keyword, arg = line[:i], strings.TrimLeft(line[i:], " \t")
	}
	if strings.HasPrefix(arg, `"`) {
		arg = strings.TrimSuffix(arg[1:], `"`)
	}
	s := t.byName(keyword)
	switch {
	case s == nil || s.cmdlineOnly && s.name != "homedir" && s.name != "options":
		return "invalid option", nil
	case s.arg == argNone && arg != "":
		return "argument not expected", nil
	case (s.arg == argString || s.arg == argInt || s.arg == argUlong) && arg == "":
		return "missing argument", nil
	case s.name == "homedir" || s.name == "options":
		// Both only count on the command line; gpg ignores them here.
		return "", nil
	}
	value, nerr := normalizeArg(s.arg, arg)
	if nerr != nil {
		return "invalid argument", nil
	}
	if s.special != notSpecial {
		return "invalid option", nil
	}
	if s.support == notImplemented && !s.command {
		return fmt.Sprintf("option \"%s\" is not supported by front; ignored", keyword), nil
	}
	if err := p.add(s, value, origin); err != nil {
		return "", err
	}
	return "", nil
}

// group is one "group NAME = KEY..." definition.
type group struct {
	name   string
	values []string // in gpg's order: the last one defined first
}

// groups applies --group, --ungroup and --no-groups in the order given
// (gpg.conf first). As in gpg, names match case-insensitively and keep the
// spelling of their first definition, a redefinition adds to the values,
// and the newest group and value come first.
func (p *parsed) groups() ([]group, []string) {
	var gs []*group
	var problems []string
	find := func(name string) int {
		for i, g := range gs {
			if strings.EqualFold(g.name, name) {
				return i
			}
		}
		return -1
	}
	for _, it := range p.items {
		switch it.spec.name {
		case "group":
			name, rest, ok := strings.Cut(it.value, "=")
			if !ok {
				problems = append(problems, fmt.Sprintf("no = sign found in group definition '%s'", it.value))
				continue
			}
			name = strings.TrimRight(name, " \t\r\n\v\f")
			i := find(name)
			if i < 0 {
				gs = append([]*group{{name: name}}, gs...)
				i = 0
			}
			for _, v := range strings.FieldsFunc(rest, func(r rune) bool { return r == ' ' || r == '\t' }) {
				gs[i].values = append([]string{v}, gs[i].values...)
			}
		case "ungroup":
			if i := find(strings.TrimRight(it.value, " \t\r\n\v\f")); i >= 0 {
				gs = append(gs[:i], gs[i+1:]...)
			}
		case "no-groups":
			gs = nil
		}
	}
	out := make([]group, len(gs))
	for i, g := range gs {
		out[i] = *g
	}
	return out, problems
}

// expandGroups replaces each recipient that names a group by the group's
// keys, once (a group naming a group is not expanded further), as gpg's
// build_pk_list does. A group without keys leaves the name as it is.
func (a *app) expandGroups(specs []string) []string {
	gs, _ := a.opts.groups()
	if len(gs) == 0 {
		return specs
	}
	var out []string
	for _, s := range specs {
		expanded := false
		for _, g := range gs {
			if strings.EqualFold(g.name, s) && len(g.values) > 0 {
				out = append(out, g.values...)
				expanded = true
				break
			}
		}
		if !expanded {
			out = append(out, s)
		}
	}
	return out
}

// listConfig is --list-config: with --with-colons, the cfg records gpg
// prints, for every item or for the named ones.
func (a *app) listConfig(args []string) error {
	if !a.opts.has("with-colons") {
		return nil
	}
	var items []string
	for _, arg := range args {
		items = append(items, strings.Split(arg, " ")...)
	}
	all := len(items) == 0
	if all {
		items = []string{""}
	}
	var b bytes.Buffer
	for _, item := range items {
		is := func(names ...string) bool {
			if all {
				return true
			}
			for _, n := range names {
				if strings.EqualFold(item, n) {
					return true
				}
			}
			return false
		}
		known := false
		if is("group") {
			known = true
			gs, _ := a.opts.groups()
			for _, g := range gs {
				fmt.Fprintf(&b, "cfg:group:%s:", colonSanitize(g.name, ":"))
				for i, v := range g.values {
					if i > 0 {
						b.WriteByte(';')
					}
					b.WriteString(colonSanitize(v, ":;"))
				}
				b.WriteByte('\n')
			}
		}
		for _, r := range configRecords() {
			if is(r.names...) {
				known = true
				fmt.Fprintf(&b, "cfg:%s:%s\n", r.names[0], r.value)
			}
		}
		if !all && strings.EqualFold(item, "curveoid") {
			known = true
			fmt.Fprintf(&b, "cfg:curveoid:%s\n", strings.Join(curveOIDs, ";"))
		}
		if !all && strings.EqualFold(item, "ccid-reader-id") {
			known = true // gpg accepts and ignores it
		}
		if !known {
			a.errorf("unknown configuration item '%s'", item)
		}
	}
	_, err := a.stdout.Write(b.Bytes())
	return err
}

// configRecord is one cfg record other than group: its item names (the
// first is the record's) and value.
type configRecord struct {
	names []string
	value string
}

// configRecords describes what this build of front can use, in gpg's
// record order. Algorithm ids come from the pgp package's tables.
func configRecords() []configRecord {
	var digestIDs, digestNames []string
	for id := 2; id < 256; id++ {
		if h, ok := pgp.HashByID(uint8(id)); ok {
			digestIDs = append(digestIDs, strconv.Itoa(id))
			digestNames = append(digestNames, pgp.HashName(h))
		}
	}
	var cipherIDs, cipherNames []string
	for id := 1; id < 256; id++ {
		if c, err := pgp.ParseCipher(fmt.Sprintf("S%d", id)); err == nil {
			cipherIDs = append(cipherIDs, strconv.Itoa(id))
			cipherNames = append(cipherNames, pgp.CipherName(c))
		}
	}
	var compressIDs, compressNames []string
	for id, name := range []string{"Uncompressed", "ZIP", "ZLIB"} {
		if _, err := pgp.ParseCompression(strconv.Itoa(id)); err == nil {
			compressIDs = append(compressIDs, strconv.Itoa(id))
			compressNames = append(compressNames, name)
		}
	}
	return []configRecord{
		{[]string{"version"}, gpgVersion},
		// RSA, ElGamal and DSA are there for keys made elsewhere (verify,
		// encrypt to); front generates RSA and ECC keys.
		{[]string{"pubkey"}, "1;16;17;18;19;22"},
		{[]string{"pubkeyname"}, "RSA;ELG;DSA;ECDH;ECDSA;EDDSA"},
		{[]string{"cipher"}, strings.Join(cipherIDs, ";")},
		{[]string{"ciphername"}, strings.Join(cipherNames, ";")},
		{[]string{"digest", "hash"}, strings.Join(digestIDs, ";")},
		{[]string{"digestname", "hashname"}, strings.Join(digestNames, ";")},
		{[]string{"compress"}, strings.Join(compressIDs, ";")},
		{[]string{"compressname"}, strings.Join(compressNames, ";")},
		{[]string{"curve"}, strings.Join(curveNames, ";")},
	}
}

// curveNames and curveOIDs are the curves front handles, in gpg's order.
var (
	curveNames = []string{"cv25519", "ed25519", "nistp256", "nistp384", "nistp521",
		"brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1", "secp256k1"}
	curveOIDs = []string{"1.3.6.1.4.1.3029.1.5.1", "1.3.6.1.4.1.11591.15.1", "1.2.840.10045.3.1.7",
		"1.3.132.0.34", "1.3.132.0.35", "1.3.36.3.3.2.8.1.1.7", "1.3.36.3.3.2.8.1.1.11",
		"1.3.36.3.3.2.8.1.1.13", "1.3.132.0.10"}
)

// colonSanitize escapes a value for a colon record as gpg does: C escapes
// for \n \r \f \v \b and NUL, \xHH for other control bytes, DEL, a
// backslash and the delimiters. Bytes from 0x80 up are kept.
func colonSanitize(s, delimiters string) string {
	return cEscape(s, func(c byte) bool { return c == '\\' || strings.IndexByte(delimiters, c) >= 0 })
}

// isPipeName is gpg's iobuf_is_pipe_filename: stdin/stdout ("" or "-")
// or, with --enable-special-filenames, a "-&N" descriptor. Such an input
// has no name to derive an output file name from (gpg writes to stdout).
func (a *app) isPipeName(name string) bool {
	_, special := a.specialFD(name)
	return name == "" || name == "-" || special
}

// specialFD recognizes gpg's special file names: with
// --enable-special-filenames, "-&N" (N digits, none meaning 0) names the
// already open file descriptor N, for inputs and outputs alike.
func (a *app) specialFD(name string) (int, bool) {
	if !a.opts.has("enable-special-filenames") || !strings.HasPrefix(name, "-&") {
		return 0, false
	}
	digits := name[2:]
	if strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strtol(digits, 10)
	if err != nil || n > 1<<30 {
		return 0, false
	}
	return int(n), true
}

// parsedValuesValid checks option values gpg's parser itself judges: each
// occurrence, in the order read (gpg.conf first), so a later good value
// does not save the run.
func (a *app) parsedValuesValid() bool {
	ok := true
	bad := func(format, value string) {
		fmt.Fprintf(a.stderr, "%s: "+format+"\n", a.progName(), value)
		ok = false
	}
	for _, it := range a.opts.items {
		switch v := it.value; it.spec.name {
		case "keyid-format":
			switch strings.ToLower(v) {
			case "none", "short", "0xshort", "long", "0xlong":
			default:
				bad("unknown keyid-format '%s'", v)
			}
		case "pinentry-mode":
			// gpg's parse_pinentry_mode: exact names
			switch v {
			case "ask", "default", "cancel", "error", "loopback":
			default:
				bad("invalid pinentry mode '%s'", v)
			}
		case "trust-model":
			switch strings.ToLower(v) {
			case "pgp", "classic", "direct", "always", "auto", "tofu", "tofu+pgp":
			default:
				bad("unknown trust model '%s'", v)
			}
		}
	}
	if m := a.opts.last("trust-model"); a.tofuPGPFromConf() {
		fmt.Fprintf(a.stderr, "%s: trust model '%s' (gpg.conf) is not supported by front; using 'pgp'\n", a.progName(), m)
	} else if strings.EqualFold(m, "tofu") || strings.EqualFold(m, "tofu+pgp") {
		bad("trust model '%s' is not supported by front", m)
	}
	return ok
}

// tofuPGPFromConf: the trust model in force is tofu+pgp, set in gpg.conf
// (as in homes moved in from GnuPG). front has no TOFU data and uses pgp
// instead: tofu+pgp gives a key the greater of its TOFU and its pgp
// validity, so pgp alone never trusts a key more than gpg would. On the
// command line, and for tofu alone (whose validity pgp can exceed), the
// model stays an error.
func (a *app) tofuPGPFromConf() bool {
	for i := len(a.opts.items) - 1; i >= 0; i-- {
		if it := a.opts.items[i]; it.spec.name == "trust-model" {
			return it.origin != "" && strings.EqualFold(it.value, "tofu+pgp")
		}
	}
	return false
}

// algorithmsValid checks the algorithm names of --digest-algo,
// --cipher-algo and --compress-algo as gpg does before any command.
func (a *app) algorithmsValid() bool {
	checks := []struct {
		opt, what string
		parse     func(string) error
	}{
		{"cipher-algo", "cipher", func(s string) error { _, err := pgp.ParseCipher(s); return err }},
		{"digest-algo", "digest", func(s string) error { _, err := pgp.ParseHash(s); return err }},
		{"compress-algo", "compression", func(s string) error { _, err := pgp.ParseCompression(s); return err }},
	}
	for _, c := range checks {
		if v := a.opts.last(c.opt); v != "" && c.parse(v) != nil {
			fmt.Fprintf(a.stderr, "%s: selected %s algorithm is invalid\n", a.progName(), c.what)
			return false
		}
	}
	return true
}
