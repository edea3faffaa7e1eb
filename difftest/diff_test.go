package difftest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	realGPG     = "/usr/bin/gpg"
	realGPGV    = "/usr/bin/gpgv"
	realGPGConf = "/usr/bin/gpgconf"

	// fakedTime is the --faked-system-time of every invocation:
	// 2025-06-15T15:06:40Z, after carol's expiry (the keys were made at
	// 1700000000, see testdata/gen.sh).
	fakedTime = "1750000000!"

	workers     = 4
	cmdTimeout  = 60 * time.Second
	casesFile   = "testdata/cases.txt"
	knownFile   = "testdata/known.txt"
	keysDirName = "testdata/keys"
)

// aspects a case can compare.
var allAspects = []string{"rc", "status", "stdout", "xverify", "xdecrypt"}

type testCase struct {
	name     string
	line     int
	setup    string
	prog     string // gpg or gpgv
	args     []string
	stdin    string          // file name in keys/ ("" = empty stdin)
	cmp      map[string]bool // rc, status, stdout
	xverify  string          // "-" or a data file: stdout is a signature
	xdecrypt string          // stdout is a ciphertext whose plaintext is this file
	xpass    string          // passphrase for xdecrypt (default bobpass)
	noStatus bool            // no --status-fd 3 (option error cases)
}

type setupDef struct {
	name  string
	steps [][]string
}

// known is one entry of testdata/known.txt.
type known struct {
	pattern string // glob over case names
	raw     string // ASPECT as written
	aspect  string // rc, status, stdout, xverify, xdecrypt
	keyword string // status-KW entries: KW lines are left out of the status comparison
	anchor  string
	reason  string
	line    int
	seen    bool
}

func (k *known) matches(name string) bool {
	ok, _ := path.Match(k.pattern, name)
	return ok
}

// statusLines returns the status lines of b with keyword kw.
func statusLines(b, kw string) string {
	var out []string
	for _, l := range strings.Split(b, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "[GNUPG:]" && f[1] == kw {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// dropStatus removes the status lines with the given keywords.
func dropStatus(b string, kws map[string]bool) string {
	if len(kws) == 0 {
		return b
	}
	var out []string
	for _, l := range strings.Split(b, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "[GNUPG:]" && kws[f[1]] {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// side is one program's view of a run.
type side struct {
	name   string // ours or gpg
	gpg    string // gpg binary
	gpgv   string // gpgv binary
	tmpl   map[string]string
	mu     sync.Mutex
	result map[string]*runResult
}

func (s *side) get(name string) *runResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.result[name]
}

type runResult struct {
	rc             int
	stdout, status []byte
	stderr         []byte
	home           string
	err            error
}

var (
	keysDir  string
	fprVars  []string // replacer pairs: @alice16, @alice8, @alice
	frontBin string
)

func TestDiff(t *testing.T) {
	frontBin = os.Getenv("FRONT_BIN")
	if frontBin == "" {
		t.Skip("FRONT_BIN is not set (make difftest sets it)")
	}
	for _, p := range []string{realGPG, realGPGV, realGPGConf, frontBin} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
	abs, err := filepath.Abs(frontBin)
	if err != nil {
		t.Fatal(err)
	}
	frontBin = abs
	resolved, _ := filepath.EvalSymlinks(frontBin)
	oursIsGnuPG := filepath.Base(resolved) == "gpg" || filepath.Base(resolved) == "gpg2"
	srcKeys, err := filepath.Abs(keysDirName)
	if err != nil {
		t.Fatal(err)
	}
	// The programs see a read-only copy of the keys: an invocation that
	// writes next to its input (gpg --dearmor FILE makes FILE.gpg) must not
	// change the committed test data.
	tmp := t.TempDir()
	keysDir = filepath.Join(tmp, "keys")
	if err := copyDir(srcKeys, keysDir); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(keysDir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(keysDir, 0o755) })
	loadFprs(t)
	setups, cases := parseCases(t)
	knownList := parseKnown(t, cases)

	ours := &side{name: "ours", gpg: frontBin, gpgv: filepath.Join(filepath.Dir(frontBin), "gpgv"), tmpl: map[string]string{}, result: map[string]*runResult{}}
	ref := &side{name: "gpg", gpg: realGPG, gpgv: realGPGV, tmpl: map[string]string{}, result: map[string]*runResult{}}
	start := time.Now()

	// Template homes: each setup is run once per program, then copied.
	for _, s := range []*side{ours, ref} {
		for _, st := range setups {
			home := filepath.Join(tmp, "tmpl", s.name, st.name)
			if err := os.MkdirAll(home, 0o700); err != nil {
				t.Fatal(err)
			}
			for _, step := range st.steps {
				r := run(s.gpg, home, nil, step, "", true)
				if r.err != nil || r.rc != 0 {
					t.Fatalf("setup %s (%s): %v: rc %d %v\n%s", st.name, s.name, step, r.rc, r.err, r.stderr)
				}
			}
			killAgent(home)
			s.tmpl[st.name] = home
		}
	}

	var mu sync.Mutex
	jobs := make(chan *testCase)
	var wg sync.WaitGroup
	invocations := 0
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				n := runCase(t, tmp, c, ours, ref)
				mu.Lock()
				invocations += n
				mu.Unlock()
			}
		}()
	}
	for _, c := range cases {
		jobs <- c
	}
	close(jobs)
	wg.Wait()

	identical, knownDiv := 0, 0
	if oursIsGnuPG {
		knownList = nil // gpg against itself: everything must be identical
	}
	for _, c := range cases {
		if r := ref.get(c.name); (c.xverify != "" || c.xdecrypt != "") && r != nil && r.rc != 0 {
			t.Errorf("%s:%d: case %s: gpg itself exits %d, nothing to cross-check:\n%s", casesFile, c.line, c.name, r.rc, r.stderr)
		}
		divs, explained := compare(c, ours.get(c.name), ref.get(c.name), knownList)
		switch {
		case len(divs) == 0 && explained == 0:
			identical++
		case len(divs) == 0:
			knownDiv++
		}
		for _, d := range divs {
			t.Errorf("%s:%d: case %s: %s differs (not in %s)\n%s", casesFile, c.line, c.name, d.aspect, knownFile, d.detail)
		}
	}
	for _, k := range knownList {
		if !k.seen {
			t.Errorf("%s:%d: %s %s no longer differs: remove it (and its text in README.md %s)", knownFile, k.line, k.pattern, k.raw, k.anchor)
		}
	}
	t.Logf("ours = %s; %d cases (each one invocation of front and one of gpg, compared; plus %d cross-check runs), %d identical, %d with known divergences (%d entries in %s), %d failing; %s",
		frontBin, len(cases), invocations-2*len(cases), identical, knownDiv, len(knownList), knownFile, len(cases)-identical-knownDiv, time.Since(start).Round(time.Millisecond))
}

// runCase runs c for both sides in fresh homes copied from the setup's
// template and does the cross-checks. It returns the number of program runs.
func runCase(t *testing.T, tmp string, c *testCase, ours, ref *side) int {
	n := 0
	for _, s := range []*side{ours, ref} {
		home := filepath.Join(tmp, "case", s.name, c.name)
		if err := copyDir(s.tmpl[c.setup], home); err != nil {
			t.Errorf("case %s: %v", c.name, err)
			return n
		}
		prog := s.gpg
		if c.prog == "gpgv" {
			prog = s.gpgv
		}
		r := run(prog, home, c.stdin, c.args, "", !c.noStatus)
		r.home = home
		n++
		s.mu.Lock()
		s.result[c.name] = r
		s.mu.Unlock()
	}
	// Cross-checks: the other program must accept what this one made.
	pairs := [][2]*side{{ours, ref}, {ref, ours}}
	for _, p := range pairs {
		maker, checker := p[0], p[1]
		mr, cr := maker.get(c.name), checker.get(c.name)
		if mr.rc != 0 {
			continue
		}
		out := filepath.Join(mr.home, "made.out")
		if err := os.WriteFile(out, mr.stdout, 0o600); err != nil {
			t.Error(err)
			continue
		}
		switch {
		case c.xverify != "":
			args := []string{"--verify", out}
			if c.xverify != "-" {
				args = append(args, filepath.Join(keysDir, c.xverify))
			}
			r := run(checker.gpg, cr.home, nil, args, "", true)
			n++
			if r.rc != 0 || !bytes.Contains(r.status, []byte("[GNUPG:] GOODSIG ")) {
				mr.crossFail("xverify", checker.name, r)
			}
		case c.xdecrypt != "":
			r := run(checker.gpg, cr.home, nil, []string{"--pinentry-mode", "loopback", "--passphrase", c.xpass, "--decrypt", out}, "", true)
			n++
			want, _ := os.ReadFile(filepath.Join(keysDir, c.xdecrypt))
			if r.rc != 0 || !bytes.Equal(r.stdout, want) {
				mr.crossFail("xdecrypt", checker.name, r)
			}
		}
	}
	killAgent(ref.get(c.name).home)
	return n
}

// crossFails records on the maker's result that the other program rejected
// its output; compare reports it.
var crossFails sync.Map // *runResult -> map[string]string

func (r *runResult) crossFail(aspect, checker string, cr *runResult) {
	m, _ := crossFails.LoadOrStore(r, &sync.Map{})
	m.(*sync.Map).Store(aspect, fmt.Sprintf("%s rejected it: rc %d\nstatus:\n%sstderr:\n%s", checker, cr.rc, cr.status, cr.stderr))
}

type divergence struct{ aspect, detail string }

// compare returns the divergences of a case that no known entry explains,
// and how many were explained; it marks the entries it used as seen.
func compare(c *testCase, ours, ref *runResult, knownList []*known) (unexplained []divergence, explained int) {
	var mine []*known
	skipKW := map[string]bool{}
	for _, k := range knownList {
		if k.matches(c.name) {
			mine = append(mine, k)
			if k.keyword != "" {
				skipKW[k.keyword] = true
			}
		}
	}
	if ours != nil && ref != nil && c.cmp["status"] {
		a, b := normalize(ours.status, ours.home), normalize(ref.status, ref.home)
		for _, k := range mine {
			if k.keyword != "" && statusLines(a, k.keyword) != statusLines(b, k.keyword) {
				k.seen = true
				explained++
			}
		}
	}
	for _, d := range rawCompare(c, ours, ref, skipKW) {
		found := false
		for _, k := range mine {
			if k.keyword == "" && k.aspect == d.aspect {
				k.seen, found = true, true
			}
		}
		if found {
			explained++
		} else {
			unexplained = append(unexplained, d)
		}
	}
	return unexplained, explained
}

func rawCompare(c *testCase, ours, ref *runResult, skipKW map[string]bool) []divergence {
	var out []divergence
	if ours == nil || ref == nil {
		return []divergence{{"rc", "not run"}}
	}
	if c.cmp["rc"] && ours.rc != ref.rc {
		out = append(out, divergence{"rc", fmt.Sprintf("ours %d, gpg %d\nours stderr:\n%sgpg stderr:\n%s", ours.rc, ref.rc, ours.stderr, ref.stderr)})
	}
	if c.cmp["status"] {
		a, b := normalize(ours.status, ours.home), normalize(ref.status, ref.home)
		a, b = dropStatus(a, skipKW), dropStatus(b, skipKW)
		if a != b {
			out = append(out, divergence{"status", diffText(a, b)})
		}
	}
	if c.cmp["stdout"] {
		a, b := normalize(ours.stdout, ours.home), normalize(ref.stdout, ref.home)
		if a != b {
			out = append(out, divergence{"stdout", diffText(a, b)})
		}
	}
	for _, aspect := range []string{"xverify", "xdecrypt"} {
		var msgs []string
		for _, r := range []*runResult{ours, ref} {
			if m, ok := crossFails.Load(r); ok {
				if v, ok := m.(*sync.Map).Load(aspect); ok {
					who := "ours"
					if r == ref {
						who = "gpg"
					}
					msgs = append(msgs, who+"'s output: "+v.(string))
				}
			}
		}
		if len(msgs) > 0 {
			out = append(out, divergence{aspect, strings.Join(msgs, "\n")})
		}
	}
	return out
}

var keyringHeader = regexp.MustCompile(`(?m)^HOME/[^\n]*\n-+\n`)

// normalize masks what legitimately differs between two homes: the home
// path, the keys directory and the keyring file name in the listing header
// (pubring.kbx for gpg, front's store directory for ours).
func normalize(b []byte, home string) string {
	s := string(b)
	s = strings.ReplaceAll(s, home, "HOME")
	s = strings.ReplaceAll(s, keysDir, "KEYS")
	s = keyringHeader.ReplaceAllString(s, "KEYRING\n-----\n")
	return s
}

func diffText(ours, ref string) string {
	a, b := strings.Split(ours, "\n"), strings.Split(ref, "\n")
	var sb strings.Builder
	max := len(a)
	if len(b) > max {
		max = len(b)
	}
	shown := 0
	for i := 0; i < max && shown < 12; i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			fmt.Fprintf(&sb, "  line %d\n    ours: %q\n    gpg:  %q\n", i+1, x, y)
			shown++
		}
	}
	return sb.String()
}

// run executes prog with --homedir home --batch (gpg) and the fixed time,
// LC_ALL=C, TZ=UTC, in its own session; status lines go to fd 3.
func run(prog, home string, stdin any, args []string, _ string, status bool) *runResult {
	full := []string{"--homedir", home}
	isGPGV := strings.HasSuffix(prog, "gpgv")
	if !isGPGV {
		full = append(full, "--batch")
	}
	full = append(full, "--faked-system-time", fakedTime)
	if status {
		full = append(full, "--status-fd", "3")
	}
	full = append(full, args...)
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, full...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "TZ=UTC", "HOME=" + home}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if f, ok := stdin.(string); ok && f != "" {
		in, err := os.Open(filepath.Join(keysDir, f))
		if err != nil {
			return &runResult{err: err, rc: -1}
		}
		defer in.Close()
		cmd.Stdin = in
	}
	sr, sw, err := os.Pipe()
	if err != nil {
		return &runResult{err: err, rc: -1}
	}
	cmd.ExtraFiles = []*os.File{sw}
	var status3 bytes.Buffer
	done := make(chan struct{})
	go func() {
		status3.ReadFrom(sr)
		close(done)
	}()
	err = cmd.Start()
	sw.Close()
	if err == nil {
		err = cmd.Wait()
	}
	<-done
	sr.Close()
	r := &runResult{stdout: stdout.Bytes(), stderr: stderr.Bytes(), status: status3.Bytes(), home: home}
	if ee, ok := err.(*exec.ExitError); ok {
		r.rc = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.err = fmt.Errorf("killed by %v", ws.Signal())
			r.rc = -1
		}
	} else if err != nil {
		r.err, r.rc = err, -1
	}
	return r
}

func killAgent(home string) {
	cmd := exec.Command(realGPGConf, "--homedir", home, "--kill", "all")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	_ = cmd.Run()
}

// copyDir copies a home directory (regular files and directories; the
// agent's sockets are left behind).
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, b, info.Mode().Perm())
		}
		return nil
	})
}

func loadFprs(t *testing.T) {
	matches, _ := filepath.Glob(filepath.Join(keysDir, "*.fpr"))
	fprVars = nil
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		fpr := strings.TrimSpace(string(b))
		name := strings.TrimSuffix(filepath.Base(m), ".fpr")
		fprVars = append(fprVars, "@"+name+"16", fpr[24:], "@"+name+"8", fpr[32:], "@"+name, fpr)
	}
}

func expand(s string) string {
	s = strings.ReplaceAll(s, "$K", keysDir)
	if strings.Contains(s, "@") {
		s = strings.NewReplacer(fprVars...).Replace(s)
	}
	return s
}

// splitArgs splits a line at blanks; '...' quotes (no escapes).
func splitArgs(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord, inQuote := false, false
	for _, r := range s {
		switch {
		case inQuote && r == '\'':
			inQuote = false
		case inQuote:
			cur.WriteRune(r)
		case r == '\'':
			inQuote, inWord = true, true
		case r == ' ' || r == '\t':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inQuote {
		return nil, fmt.Errorf("unterminated quote")
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}

// parseCases reads testdata/cases.txt:
//
//	setup NAME: ARGS...; ARGS...        run by both programs in a template home
//	case NAME SETUP [OPT...] -- ARGS... one compared invocation
//
// OPTs: cmp=rc,status,stdout (what to compare; default all three, or rc
// and status when a cross-check is given), stdin=FILE (in keys/),
// prog=gpgv, xverify=DATA|- (stdout is a signature: the other program
// must verify it), xdecrypt=PLAIN (stdout is a ciphertext: the other
// program must decrypt it to PLAIN, with passphrase xpass=P if it asks
// for one, default bobpass), nostatus (no --status-fd 3).
// In ARGS, $K is the keys directory, @NAME a key's fingerprint, @NAME16
// and @NAME8 its long and short key ID.
func parseCases(t *testing.T) (map[string]*setupDef, []*testCase) {
	f, err := os.Open(casesFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	setups := map[string]*setupDef{}
	var cases []*testCase
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	ln := 0
	for sc.Scan() {
		ln++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kw, rest, _ := strings.Cut(line, " ")
		switch kw {
		case "setup":
			name, body, ok := strings.Cut(rest, ":")
			if !ok {
				t.Fatalf("%s:%d: setup NAME: STEPS", casesFile, ln)
			}
			sd := &setupDef{name: strings.TrimSpace(name)}
			for _, step := range strings.Split(body, ";") {
				if strings.TrimSpace(step) == "" {
					continue
				}
				args, err := splitArgs(expand(step))
				if err != nil {
					t.Fatalf("%s:%d: %v", casesFile, ln, err)
				}
				sd.steps = append(sd.steps, args)
			}
			setups[sd.name] = sd
		case "case":
			head, argStr, ok := strings.Cut(rest, " -- ")
			if !ok {
				if h, found := strings.CutSuffix(rest, " --"); found {
					head, ok = h, true
				}
			}
			if !ok {
				t.Fatalf("%s:%d: case NAME SETUP [OPT...] -- ARGS", casesFile, ln)
			}
			hf := strings.Fields(head)
			if len(hf) < 2 {
				t.Fatalf("%s:%d: case NAME SETUP", casesFile, ln)
			}
			c := &testCase{name: hf[0], setup: hf[1], line: ln, prog: "gpg", cmp: map[string]bool{}, xpass: "bobpass"}
			if seen[c.name] {
				t.Fatalf("%s:%d: duplicate case %s", casesFile, ln, c.name)
			}
			seen[c.name] = true
			if setups[c.setup] == nil {
				t.Fatalf("%s:%d: unknown setup %s", casesFile, ln, c.setup)
			}
			cmpSet := false
			for _, o := range hf[2:] {
				k, v, _ := strings.Cut(o, "=")
				switch k {
				case "cmp":
					cmpSet = true
					for _, a := range strings.Split(v, ",") {
						if a != "rc" && a != "status" && a != "stdout" {
							t.Fatalf("%s:%d: cmp: unknown aspect %q", casesFile, ln, a)
						}
						c.cmp[a] = true
					}
				case "stdin":
					c.stdin = v
				case "prog":
					c.prog = v
				case "xverify":
					c.xverify = v
				case "xdecrypt":
					c.xdecrypt = v
				case "xpass":
					c.xpass = v
				case "nostatus":
					c.noStatus = true
				default:
					t.Fatalf("%s:%d: unknown option %q", casesFile, ln, o)
				}
			}
			if !cmpSet {
				c.cmp["rc"], c.cmp["status"] = true, true
				c.cmp["stdout"] = c.xverify == "" && c.xdecrypt == ""
			}
			args, err := splitArgs(expand(argStr))
			if err != nil {
				t.Fatalf("%s:%d: %v", casesFile, ln, err)
			}
			c.args = args
			cases = append(cases, c)
		default:
			t.Fatalf("%s:%d: unknown keyword %q", casesFile, ln, kw)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return setups, cases
}

// parseKnown reads testdata/known.txt, one entry a line:
//
//	PATTERN ASPECT #ANCHOR REASON...
//
// PATTERN is a glob (path.Match) over case names; ASPECT is rc, status,
// stdout, xverify or xdecrypt (that aspect may differ), or status-KW (the
// status lines with keyword KW are left out of the comparison). ANCHOR
// names the section of README.md that explains it (an <a id=...>
// there). An entry that
// explains no divergence of any matching case fails the test.
func parseKnown(t *testing.T, cases []*testCase) []*known {
	b, err := os.ReadFile(knownFile)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []*known
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[2], "#") {
			t.Fatalf("%s:%d: want PATTERN ASPECT #ANCHOR REASON", knownFile, i+1)
		}
		if !bytes.Contains(doc, []byte(`<a id="`+f[2][1:]+`">`)) {
			t.Fatalf("%s:%d: anchor %s is not in README.md", knownFile, i+1, f[2])
		}
		k := &known{pattern: f[0], raw: f[1], aspect: f[1], anchor: f[2], reason: strings.Join(f[3:], " "), line: i + 1}
		if kw, ok := strings.CutPrefix(f[1], "status-"); ok {
			k.aspect, k.keyword = "status", kw
		}
		valid := false
		for _, a := range allAspects {
			valid = valid || a == k.aspect
		}
		if !valid {
			t.Fatalf("%s:%d: unknown aspect %s", knownFile, i+1, f[1])
		}
		if _, err := path.Match(k.pattern, ""); err != nil {
			t.Fatalf("%s:%d: bad pattern: %v", knownFile, i+1, err)
		}
		n := 0
		for _, c := range cases {
			if k.matches(c.name) {
				n++
			}
		}
		if n == 0 {
			t.Fatalf("%s:%d: %s matches no case", knownFile, i+1, k.pattern)
		}
		out = append(out, k)
	}
	return out
}
