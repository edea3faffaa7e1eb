package main

import (
	"bytes"
	"encoding/binary"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// The expectations below were taken from GnuPG 2.2.40 (gpg and its
// argparse) on the same command lines.

func TestParseCommandLine(t *testing.T) {
	type item struct{ name, value string }
	cases := []struct {
		argv    []string
		command string
		items   []item
		args    []string
		err     string
	}{
		// git's signing and verification calls
		{argv: []string{"--status-fd=2", "-bsau", "KEY"}, command: "detach-sign",
			items: []item{{"status-fd", "2"}, {"detach-sign", ""}, {"sign", ""}, {"armor", ""}, {"local-user", "KEY"}}},
		{argv: []string{"--keyid-format=long", "--status-fd=1", "--verify", "sig", "-"}, command: "verify",
			items: []item{{"keyid-format", "long"}, {"status-fd", "1"}, {"verify", ""}}, args: []string{"sig", "-"}},
		// rpm: -sbo FILE and "--" before the file
		{argv: []string{"--no-verbose", "-u", "NAME", "-sbo", "out.sig", "--", "-file"}, command: "detach-sign",
			items: []item{{"no-verbose", ""}, {"local-user", "NAME"}, {"sign", ""}, {"detach-sign", ""}, {"output", "out.sig"}},
			args:  []string{"-file"}},
		// prefixes, aliases and the value forms
		{argv: []string{"--list-k", "--armour", "--output", "o", "--local-us=R", "--clear-sign"}, err: "conflicting commands"},
		{argv: []string{"--list-k", "--armour", "--output", "o", "--local-us=R"}, command: "list-keys",
			items: []item{{"list-keys", ""}, {"armor", ""}, {"output", "o"}, {"local-user", "R"}}},
		{argv: []string{"--ver"}, err: `option "--ver" is ambiguous`},
		{argv: []string{"--li"}, err: `option "--li" is ambiguous`},
		{argv: []string{"--foo=bar"}, err: `invalid option "--foo=bar"`},
		{argv: []string{"--fingerprints"}, err: `invalid option "--fingerprints"`},
		{argv: []string{"-bX"}, err: `invalid option "-bX"`},
		{argv: []string{"--output"}, err: `missing argument for option "--output"`},
		{argv: []string{"--output="}, err: `missing argument for option "--output="`},
		{argv: []string{"-o"}, err: `missing argument for option "-o"`},
		{argv: []string{"--max-output=-1"}, err: `invalid argument for option "--max-output=-1"`},
		// a value given to an option without argument is ignored, as gpg does
		{argv: []string{"--armor=3", "-k"}, command: "list-keys", items: []item{{"armor", ""}, {"list-keys", ""}}},
		// integers are read like strtol
		{argv: []string{"--status-fd=x", "-z9", "--max-output", "0x10"},
			items: []item{{"status-fd", "0"}, {"compress-level", "9"}, {"max-output", "16"}}},
		{argv: []string{"-zq"}, items: []item{{"compress-level", "0"}}},
		// the first argument ends the options; "-" is an argument
		{argv: []string{"-d", "-", "--armor"}, command: "decrypt", items: []item{{"decrypt", ""}}, args: []string{"-", "--armor"}},
		{argv: []string{"-e", "file", "-r", "x"}, command: "encrypt", items: []item{{"encrypt", ""}}, args: []string{"file", "-r", "x"}},
		// --passphrase takes its argument only when it does not look like an option
		{argv: []string{"--passphrase", "--batch"}, items: []item{{"passphrase", ""}, {"batch", ""}}},
		{argv: []string{"--passphrase", "pw", "--batch"}, items: []item{{"passphrase", "pw"}, {"batch", ""}}},
		{argv: []string{"--passphrase=", "--batch"}, items: []item{{"passphrase", ""}, {"batch", ""}}},
		// command combinations of gpg's set_cmd; --fingerprint defers
		{argv: []string{"-se", "-c"}, command: "sign-encrypt-symmetric"},
		{argv: []string{"--fingerprint", "--verify"}, command: "verify"},
		{argv: []string{"-s", "-d"}, err: "conflicting commands"},
		// --version acts at once: what follows is not parsed
		{argv: []string{"--list-keys", "--version", "--bogus"}, command: "list-keys"},
	}
	for _, c := range cases {
		p, err := parseArgs(c.argv)
		name := strings.Join(c.argv, " ")
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%s: error %v, want %q", name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if p.command != c.command {
			t.Errorf("%s: command %q, want %q", name, p.command, c.command)
		}
		if c.items != nil {
			var got []item
			for _, it := range p.items {
				got = append(got, item{it.spec.name, it.value})
			}
			if !reflect.DeepEqual(got, c.items) {
				t.Errorf("%s: items %v, want %v", name, got, c.items)
			}
		}
		if !reflect.DeepEqual(p.args, c.args) {
			t.Errorf("%s: args %q, want %q", name, p.args, c.args)
		}
	}
}

func TestParseSpecialAndCancels(t *testing.T) {
	p, err := parseArgs([]string{"-k", "--version", "--bogus"})
	if err != nil || p.special != specialVersion {
		t.Fatalf("--version: special %v, err %v", p.special, err)
	}
	p, _ = parseArgs([]string{"--armor", "--batch", "-v", "-v", "--no-armor", "--no-batch", "--no-verbose", "-t", "--no-textmode"})
	for _, n := range []string{"armor", "batch", "verbose", "textmode"} {
		if p.has(n) {
			t.Errorf("%s still set after its negation", n)
		}
	}
	p, _ = parseArgs([]string{"--no-armor", "--armor"})
	if !p.has("armor") || p.has("no-armor") {
		t.Error("--armor after --no-armor: the last one must win")
	}
	p, _ = parseArgs([]string{"--verify", "a", "--status-fd", "1"})
	if want := []string{"--status-fd"}; !reflect.DeepEqual(p.argsLookLikeOptions, want) {
		t.Errorf("argsLookLikeOptions %q, want %q", p.argsLookLikeOptions, want)
	}
	p, _ = parseArgs([]string{"--verify", "--", "a", "--status-fd"})
	if want := []string{"--status-fd"}; !reflect.DeepEqual(p.argsLookLikeOptions, want) {
		t.Errorf("gpg notes option-like arguments after -- too: %q", p.argsLookLikeOptions)
	}
	p, _ = parseArgs([]string{"--set-policy-url", "x", "-e"})
	if err := p.checkSupport(); err == nil || !strings.Contains(err.Error(), `"--set-policy-url" is not supported`) {
		t.Errorf("an unimplemented gpg option must be refused by name, got %v", err)
	}
	p, _ = parseArgs([]string{"--use-agent", "--no-secmem-warning", "--display", ":0", "--lc-ctype", "C", "--charset", "utf-8", "-k"})
	if err := p.checkSupport(); err != nil {
		t.Errorf("agent-era options must be accepted: %v", err)
	}
}

func TestStrtol(t *testing.T) {
	for in, want := range map[string]int64{"12": 12, " 7x": 7, "x": 0, "": 0, "-3": -3, "+4": 4} {
		if got, _ := strtol(in, 10); got != want {
			t.Errorf("strtol(%q, 10) = %d, want %d", in, got, want)
		}
	}
	for in, want := range map[string]int64{"0x10": 16, "010": 8, "10": 10, "0": 0, "0x": 0} {
		if got, _ := strtol(in, 0); got != want {
			t.Errorf("strtol(%q, 0) = %d, want %d", in, got, want)
		}
	}
}

func TestOptionsFileLines(t *testing.T) {
	cases := []struct {
		line, problem string
		name, value   string
	}{
		{line: "# comment"},
		{line: "   "},
		{line: "  armor  ", name: "armor"},
		{line: "keyid-format long", name: "keyid-format", value: "long"},
		{line: "keyid-format=long", problem: "invalid option"},
		{line: "arm", problem: "invalid option"}, // no abbreviations in files
		{line: "ARMOR", problem: "invalid option"},
		{line: "output", problem: "missing argument"},
		{line: "armor extra", problem: "argument not expected"},
		{line: "no-options", problem: "invalid option"},
		{line: "version", problem: "invalid option"},
		{line: "homedir /elsewhere"}, // only counts on the command line
		{line: "max-output -1", problem: "invalid argument"},
		{line: `group "g = a b"`, name: "group", value: "g = a b"},
		{line: `group g = "a b" c`, name: "group", value: `g = "a b" c`},
		{line: `group "g = a`, name: "group", value: "g = a"},
		{line: "group g = a # not a comment", name: "group", value: "g = a # not a comment"},
		{line: "passphrase", name: "passphrase", value: ""},
		{line: "use-agent", name: "use-agent"},
		{line: "encrypt-to me", name: "encrypt-to", value: "me"},
		{line: "set-policy-url x", problem: `option "set-policy-url" is not supported by front; ignored`},
	}
	for _, c := range cases {
		p := newParsed()
		problem, err := parseOptionLine(p, gpgOptions, c.line, "f:1")
		if err != nil {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		if problem != c.problem {
			t.Errorf("%q: problem %q, want %q", c.line, problem, c.problem)
		}
		switch {
		case c.name == "" && len(p.items) != 0:
			t.Errorf("%q: unexpected option %v", c.line, p.items[0].spec.name)
		case c.name != "" && (len(p.items) != 1 || p.items[0].spec.name != c.name || p.items[0].value != c.value):
			t.Errorf("%q: items %+v, want %s=%q", c.line, p.items, c.name, c.value)
		}
	}
}

func TestLoadOptionsOrder(t *testing.T) {
	home := t.TempDir()
	conf := "armor\nstatus-fd 2\ngroup team = AAAA BBBB\nbogus-option\nlist-keys\n"
	if err := os.WriteFile(filepath.Join(home, "gpg.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	src := optionsSource{getenv: func(string) string { return "" }, homeDir: func() (string, error) { return "/nonexistent", nil },
		warn: func(s string) { warnings = append(warnings, s) }}
	p, gotHome, err := loadGPGOptions([]string{"--homedir", home, "--no-armor", "--status-fd=1", "-k"}, src)
	if err != nil || gotHome != home {
		t.Fatalf("home %q, err %v", gotHome, err)
	}
	if p.has("armor") || p.last("status-fd") != "1" || p.command != "list-keys" {
		t.Errorf("the command line must override gpg.conf: armor %v status-fd %q command %q", p.has("armor"), p.last("status-fd"), p.command)
	}
	if want := []string{filepath.Join(home, "gpg.conf") + ":4: invalid option"}; !reflect.DeepEqual(warnings, want) {
		t.Errorf("warnings %q, want %q", warnings, want)
	}
	p, _, err = loadGPGOptions([]string{"--homedir", home, "--no-options", "-k"}, src)
	if err != nil || p.has("armor") || p.has("group") {
		t.Errorf("--no-options must skip gpg.conf (err %v)", err)
	}
	other := filepath.Join(home, "other.conf")
	os.WriteFile(other, []byte("group solo = CCCC\n"), 0o600)
	p, _, _ = loadGPGOptions([]string{"--homedir", home, "--options", other, "--list-config"}, src)
	if gs, _ := p.groups(); len(gs) != 1 || gs[0].name != "solo" {
		t.Errorf("--options must replace gpg.conf, groups %+v", gs)
	}
	_, _, err = loadGPGOptions([]string{"--homedir", home, "--options", filepath.Join(home, "missing"), "-k"}, src)
	if err == nil || !strings.HasPrefix(err.Error(), "option file '") {
		t.Errorf("a missing --options file must be an error, got %v", err)
	}
	p, _, _ = loadGPGOptions([]string{"-k"}, optionsSource{getenv: func(k string) string { return map[string]string{"GNUPGHOME": home}[k] },
		homeDir: src.homeDir, warn: func(string) {}})
	if !p.has("armor") {
		t.Error("GNUPGHOME's gpg.conf was not read")
	}
}

func TestGroups(t *testing.T) {
	p, err := parseArgs([]string{"--group", "Team = a b", "--group", "team=c", "--group", "other = x", "--group", "gone = y",
		"--ungroup", "GONE", "--group", "bad"})
	if err != nil {
		t.Fatal(err)
	}
	gs, problems := p.groups()
	want := []group{{name: "other", values: []string{"x"}}, {name: "Team", values: []string{"c", "b", "a"}}}
	if !reflect.DeepEqual(gs, want) {
		t.Errorf("groups %+v, want %+v", gs, want)
	}
	if len(problems) != 1 || problems[0] != "no = sign found in group definition 'bad'" {
		t.Errorf("problems %q", problems)
	}
	a := &app{opts: p}
	got := a.expandGroups([]string{"TEAM", "other", "x", "nogroup"})
	if w := []string{"c", "b", "a", "x", "x", "nogroup"}; !reflect.DeepEqual(got, w) {
		t.Errorf("expandGroups %q, want %q", got, w)
	}
	p, _ = parseArgs([]string{"--group", "a = b", "--no-groups", "--group", "c = d"})
	if gs, _ := p.groups(); len(gs) != 1 || gs[0].name != "c" {
		t.Errorf("--no-groups must drop earlier groups: %+v", gs)
	}
	if got := colonSanitize("a:b;c\\d\x01\n\x7f\xc3\xa9", ":;"); got != `a\x3ab\x3bc\x5cd\x01\n\x7f`+"\xc3\xa9" {
		t.Errorf("colonSanitize = %q", got)
	}
}

// TestOptionsTheCodeReads checks that every option name front's code asks
// the parsed options about is an option that is marked implemented: a
// misspelled name would never be set, and an option the code reads but the
// table marks otherwise would be refused or ignored.
func TestOptionsTheCodeReads(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	implementedIn := func(name string) bool {
		for _, tbl := range []*optTable{gpgOptions, gpgvOptions, gpgconfOptions, agentOptions()} {
			if s := tbl.spec(name); s != nil && s.support == implemented {
				return true
			}
		}
		return false
	}
	seen := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			var lit *ast.BasicLit
			switch n := n.(type) {
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok || len(n.Args) != 1 || !isOptsExpr(sel.X) {
					return true
				}
				switch sel.Sel.Name {
				case "has", "last", "count":
					lit, _ = n.Args[0].(*ast.BasicLit)
				}
			case *ast.IndexExpr:
				sel, ok := n.X.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "values" || !isOptsExpr(sel.X) {
					return true
				}
				lit, _ = n.Index.(*ast.BasicLit)
			}
			if lit == nil || lit.Kind != token.STRING {
				return true
			}
			name, _ := strconv.Unquote(lit.Value)
			seen++
			if !implementedIn(name) {
				t.Errorf("%s: the code reads option %q, which is not an implemented option", fset.Position(lit.Pos()), name)
			}
			return true
		})
	}
	if seen < 30 {
		t.Fatalf("found only %d option reads: the pattern no longer matches the code", seen)
	}
}

// isOptsExpr matches a.opts and p (a *parsed in this package's helpers).
func isOptsExpr(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		return e.Sel.Name == "opts"
	case *ast.Ident:
		return e.Name == "p"
	}
	return false
}

func TestOptionTablesConsistent(t *testing.T) {
	for _, tbl := range []*optTable{gpgOptions, gpgvOptions, gpgconfOptions, agentOptions()} {
		for _, s := range tbl.specs {
			for _, c := range s.cancels {
				if tbl.spec(c) == nil {
					t.Errorf("%s cancels unknown option %s", s.name, c)
				}
			}
		}
	}
	// What apt probes for.
	if !strings.Contains(strings.Join(gpgvOptions.dumpOptions(), "\n"), "--weak-digest") {
		t.Error("gpgv --dump-options must list --weak-digest")
	}
	for _, o := range gpgOptions.dumpOptions() {
		if o == "--set-policy-url" {
			t.Error("--dump-options must not list options front refuses")
		}
	}
}

// makeKeybox builds a keybox file: the header blob, then one OpenPGP blob per
// keyblock, laid out as GnuPG writes them (keyblock image after a small
// key table).
func makeKeybox(blocks ...[]byte) []byte {
	var out bytes.Buffer
	hdr := make([]byte, 32)
	binary.BigEndian.PutUint32(hdr, 32)
	hdr[4], hdr[5] = 1, 1
	binary.BigEndian.PutUint16(hdr[6:], 2)
	copy(hdr[8:], "KBXf")
	out.Write(hdr)
	for _, b := range blocks {
		const fixed = 40
		blob := make([]byte, fixed+len(b)+20)
		binary.BigEndian.PutUint32(blob, uint32(len(blob)))
		blob[4], blob[5] = 2, 1
		binary.BigEndian.PutUint32(blob[8:], fixed)
		binary.BigEndian.PutUint32(blob[12:], uint32(len(b)))
		copy(blob[fixed:], b)
		out.Write(blob)
	}
	return out.Bytes()
}

func testCert(t *testing.T, name string) ([]byte, *openpgp.Entity) {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", name+"@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := e.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), e
}

func TestParseKeyringFormats(t *testing.T) {
	one, e1 := testCert(t, "one")
	two, e2 := testCert(t, "two")
	trust := []byte{0xc0 | 12, 2, 0, 0} // a ring trust packet between keys
	binaryRing := append(append(append([]byte{}, one...), trust...), two...)
	for name, data := range map[string][]byte{
		"binary keyring": binaryRing,
		"keybox":         makeKeybox(one, two),
	} {
		ents, err := parseKeyring(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(ents) != 2 || ents[0].PrimaryKey.KeyId != e1.PrimaryKey.KeyId || ents[1].PrimaryKey.KeyId != e2.PrimaryKey.KeyId {
			t.Errorf("%s: got %d certificates", name, len(ents))
		}
	}
	if ents, err := parseKeyring(nil); err != nil || len(ents) != 0 {
		t.Errorf("an empty file is an empty keyring: %v %v", ents, err)
	}
	// Hostile keyboxes: every length and offset is checked.
	good := makeKeybox(one)
	bad := map[string][]byte{
		"truncated":        good[:len(good)-3],
		"length too short": patch(good, 32, 0, 0, 0, 4),
		"image outside":    patch(good, 32+12, 0xff, 0xff, 0, 0),
		"offset outside":   patch(good, 32+8, 0x7f, 0xff, 0xff, 0xff),
		"blob past end":    patch(good, 32, 0x7f, 0, 0, 0),
	}
	for name, data := range bad {
		if _, err := parseKeyring(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Random corruption never panics.
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		d := append([]byte{}, good...)
		for j := 0; j < 1+rng.Intn(4); j++ {
			d[rng.Intn(len(d))] = byte(rng.Intn(256))
		}
		parseKeyring(d)
	}
}

func patch(data []byte, off int, b ...byte) []byte {
	d := append([]byte{}, data...)
	copy(d[off:], b)
	return d
}

func TestSpecialFilenames(t *testing.T) {
	p, _ := parseArgs([]string{"--enable-special-filenames"})
	a := &app{opts: p}
	for name, want := range map[string]int{"-&3": 3, "-&10": 10, "-&": 0} {
		if fd, ok := a.specialFD(name); !ok || fd != want {
			t.Errorf("%q: fd %d %v, want %d", name, fd, ok, want)
		}
	}
	for _, name := range []string{"-&3x", "&3", "-3", "file"} {
		if _, ok := a.specialFD(name); ok {
			t.Errorf("%q is not a special file name", name)
		}
	}
	a.opts, _ = parseArgs(nil)
	if _, ok := a.specialFD("-&3"); ok {
		t.Error("-&N needs --enable-special-filenames")
	}
}

func TestKeyringPath(t *testing.T) {
	for name, want := range map[string]string{
		"/abs/k.gpg":            "/abs/k.gpg",
		"trusted.gpg":           "/home/u/.gnupg/trusted.gpg",
		"./rel.gpg":             "./rel.gpg",
		"sub/rel.gpg":           "sub/rel.gpg",
		"gnupg-ring:/abs/r.gpg": "/abs/r.gpg",
		"gnupg-kbx:pub.kbx":     "/home/u/.gnupg/pub.kbx",
	} {
		if got := keyringPath("/home/u/.gnupg", name); got != want {
			t.Errorf("keyringPath(%q) = %q, want %q", name, got, want)
		}
	}
	if got := percentEscape("a%b:c,d\ne"); got != "a%25b%3ac%2cd%0ae" {
		t.Errorf("percentEscape = %q", got)
	}
}

// The option tables are static data, not built in package init: the
// package's init (this test binary's, which is front's plus its tests')
// allocates a few KiB, where building the gpg table alone allocated 50 KB.
// GODEBUG=inittrace=1 on a run of this binary that runs no test reports it.
func TestOptionTablesStatic(t *testing.T) {
	if os.Getenv("FRONT_INITTRACE_CHILD") != "" {
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1", "FRONT_INITTRACE_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	const pkg = "init github.com/frontpgp/front/cmd/front "
	for _, l := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(l, pkg) {
			continue
		}
		// init PKG @T ms, C ms clock, B bytes, A allocs
		f := strings.Fields(l)
		bytes, err := strconv.Atoi(f[len(f)-4])
		if err != nil {
			t.Fatalf("cannot read %q", l)
		}
		if bytes > 16<<10 {
			t.Fatalf("package init allocates %d bytes (a table built at init?): %s", bytes, l)
		}
		return
	}
	t.Fatalf("no inittrace line for the package in:\n%s", out)
}
