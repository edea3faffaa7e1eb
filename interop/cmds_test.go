package interop

// Commands available in testdata/*.txtar besides testscript's builtins.
//
// Running programs:
//
//	ours [PREFIX...] ARGS...   front as gpg ($OURS; a symlink named gpg)
//	gpg  [PREFIX...] ARGS...   /usr/bin/gpg
//	gpgv [PREFIX...] ARGS...   /usr/bin/gpgv
//
// ours and gpg always get `--homedir HOME --batch` in front of ARGS; gpgv gets
// `--homedir HOME`. HOME defaults to $WORK/ours, $WORK/gpg and $WORK/gpgv and
// is created with mode 0700. `! ours ...` expects a non-zero exit code; the
// exit code is kept in $RC (check it with `rc N`) and the child's peak RSS in
// $MAXRSS_KB. The child runs in its own session (no controlling terminal, so
// no pinentry can appear), with LC_ALL=C, TZ=UTC (or $TZ when the script
// sets it: `env TZ=Asia/Kolkata`) and a 120 s limit. Whatever
// the expectation, an `ours` run fails the script if front panics or dies by
// a signal. PREFIX tokens (before ARGS):
//
//	@NAME         use $WORK/NAME as the home
//	<FILE         stdin from FILE (default: empty)
//	<zeros:N      stdin is N zero bytes, generated on the fly
//	>FILE         stdout to FILE instead of the `stdout` buffer
//	~DURATION     time limit instead of 120s (e.g. ~20s)
//	strace=FILE   run under strace -f -e trace=execve,clone3 -o FILE
//	uid=N         run as uid/gid N via setpriv
//	rc=any        accept any exit code (check $RC with `rc` if needed)
//	wkdns         run in the WKD test network (netservers_test.go)
//
// Conditions: [gpg] ours is GnuPG itself (FRONT_BIN=/usr/bin/gpg), so a
// deliberate difference of front is skipped; [ci] CI=true; [root] euid 0;
// [have:TOOL] TOOL
// is on PATH (use `[!have:strace] skip`; when CI=true a missing tool fails).
//
// Checks and file helpers:
//
//	rc N                          last exit code is N
//	maxrss MIB                    last peak RSS < MIB MiB
//	grab VAR REGEXP [FILE]        set VAR to the first submatch (FILE: stdout)
//	statuscmp [-kw] [-ignore K,K] A B
//	                              same [GNUPG:] lines in A and B (SIG_ID's id
//	                              masked); -kw compares keywords only
//	statusonly FILE               every line of FILE is a status line
//	normalize MODE IN OUT         shape: mask key IDs, fingerprints, grips,
//	                              dates (expiry as +Nd, last update) in
//	                              colon output;
//	                              tru: mask only the tru record's dates;
//	                              header: drop the keyring path and ---- line
//	lines FILE N                  FILE (or stdout/stderr) has N lines
//	hexfile OUT HEX...            write bytes
//	concat OUT IN...              OUT = IN1 IN2 ...
//	truncate FILE N               drop the last N bytes
//	flipbyte FILE POS             xor 0x01 into byte POS (negative: from end)
//	replace FILE OLD NEW          replace every OLD (must occur) by NEW
//	envq VAR 'go\tquoted'         set VAR to a Go-unquoted string
//	craft RECIPE DIR              hand-made OpenPGP inputs (craft_test.go)
//	maxsize FILE BYTES            FILE is absent or at most BYTES long
//	agentkill HOME                stop a gpg-agent of $WORK/HOME
//	fakehelper MODE               $OURS := copy of front with a fake keyhelper
//	                              (MODE real: a copy of the real one)
//	nosockets DIR                 no unix socket below DIR
//	execs TRACE                   stdout := programs execve'd in an strace log
//	chownr DIR UID                chown -R DIR to UID:UID
//	persona DIR [HOME...]         $WORK/DIR/{gpg,gpg2,gpgv,gpgconf} -> front
//	                              (GnuPG's programs in [gpg] mode), for
//	                              clients that find gpg in PATH; gpg-agents
//	                              of $WORK/HOME are stopped at the end
//	as NAME [PREFIX...] ARGS...   run $WORK/bin/NAME (made by persona bin)
//	                              with ARGS only (no --homedir or --batch);
//	                              PREFIX: <FILE >FILE 3>FILE rc=any; sets $RC;
//	                              $GNUPGHOME is passed on when set
//	samefield KW N A B            field N of the first KW status line is
//	                              the same in A and B (e.g. SIG_ID's value)
//
// Network peers (sks, wkdserver, wkdput, hostilehkp): netservers_test.go.
// The smart card peer (cardrig): cardrig_test.go.

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func scriptCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	cmds := map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"ours":       func(ts *testscript.TestScript, neg bool, args []string) { runProgram(ts, neg, "ours", args) },
		"gpg":        func(ts *testscript.TestScript, neg bool, args []string) { runProgram(ts, neg, "gpg", args) },
		"gpgv":       func(ts *testscript.TestScript, neg bool, args []string) { runProgram(ts, neg, "gpgv", args) },
		"rc":         cmdRC,
		"maxrss":     cmdMaxRSS,
		"grab":       cmdGrab,
		"statuscmp":  cmdStatusCmp,
		"statusonly": cmdStatusOnly,
		"normalize":  cmdNormalize,
		"lines":      cmdLines,
		"hexfile":    cmdHexfile,
		"concat":     cmdConcat,
		"truncate":   cmdTruncate,
		"flipbyte":   cmdFlipbyte,
		"replace":    cmdReplace,
		"envq":       cmdEnvq,
		"craft":      cmdCraft,
		"maxsize":    cmdMaxsize,
		"agentkill":  cmdAgentkill,
		"fakehelper": cmdFakehelper,
		"nosockets":  cmdNosockets,
		"execs":      cmdExecs,
		"chownr":     cmdChownr,
		"samefield":  cmdSameField,
		"persona":    cmdPersona,
		"as":         cmdAs,
	}
	for name, f := range netCommands() {
		cmds[name] = f
	}
	return cmds
}

// agentHomes remembers, per script, the homes in which a gpg-agent may have
// been started, so that it is stopped when the script ends.
var agentHomes sync.Map // *testscript.TestScript -> map[string]bool

func noteAgentHome(ts *testscript.TestScript, home string) {
	v, loaded := agentHomes.LoadOrStore(ts, map[string]bool{})
	homes := v.(map[string]bool)
	if !loaded {
		ts.Defer(func() {
			for h := range homes {
				killAgent(h)
			}
			agentHomes.Delete(ts)
		})
	}
	homes[home] = true
}

func killAgent(home string) {
	cmd := exec.Command(realGPGConf, "--homedir", home, "--kill", "all")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	_ = cmd.Run()
}

type runSpec struct {
	home    string
	stdin   string
	zeros   int64
	stdout  string
	timeout time.Duration
	strace  string
	uid     int
	anyRC   bool
	wkdns   bool
}

func runProgram(ts *testscript.TestScript, neg bool, kind string, args []string) {
	spec := runSpec{timeout: 120 * time.Second, uid: -1, zeros: -1}
	for len(args) > 0 {
		a := args[0]
		switch {
		case strings.HasPrefix(a, "@") && len(a) > 1:
			spec.home = a[1:]
		case strings.HasPrefix(a, "<zeros:"):
			n, err := strconv.ParseInt(a[len("<zeros:"):], 10, 64)
			ts.Check(err)
			spec.zeros = n
		case strings.HasPrefix(a, "<") && len(a) > 1:
			spec.stdin = ts.MkAbs(a[1:])
		case strings.HasPrefix(a, ">") && len(a) > 1:
			spec.stdout = ts.MkAbs(a[1:])
		case strings.HasPrefix(a, "~") && len(a) > 1:
			d, err := time.ParseDuration(a[1:])
			ts.Check(err)
			spec.timeout = d
		case strings.HasPrefix(a, "strace="):
			spec.strace = ts.MkAbs(a[len("strace="):])
		case a == "rc=any":
			spec.anyRC = true
		case a == "wkdns":
			spec.wkdns = true
		case strings.HasPrefix(a, "uid="):
			n, err := strconv.Atoi(a[len("uid="):])
			ts.Check(err)
			spec.uid = n
		default:
			goto done
		}
		args = args[1:]
	}
done:
	var bin string
	switch kind {
	case "ours":
		bin = ts.Getenv("OURS")
	case "gpg":
		bin = realGPG
	case "gpgv":
		bin = realGPGV
	}
	if spec.home == "" {
		spec.home = kind
	}
	home := ts.MkAbs(filepath.Join(ts.Getenv("WORK"), spec.home))
	if filepath.IsAbs(spec.home) {
		home = spec.home
	}
	if _, err := os.Stat(home); os.IsNotExist(err) {
		ts.Check(os.MkdirAll(home, 0o700))
		if spec.uid >= 0 {
			ts.Check(os.Chown(home, spec.uid, spec.uid))
		}
	}
	var full []string
	if kind == "gpgv" {
		full = append([]string{"--homedir", home}, args...)
	} else {
		full = append([]string{"--homedir", home, "--batch"}, args...)
		if kind == "gpg" || frontIsGnuPG || kind == "ours" && ts.Getenv("OURS") == realGPG {
			noteAgentHome(ts, home)
		}
	}
	if spec.uid >= 0 && kind == "ours" && bin != realGPG {
		bin = accessibleFront(ts, bin)
	}
	argv := append([]string{bin}, full...)
	if spec.uid >= 0 {
		id := strconv.Itoa(spec.uid)
		argv = append([]string{"setpriv", "--reuid=" + id, "--regid=" + id, "--clear-groups", "--"}, argv...)
	}
	if spec.strace != "" {
		argv = append([]string{"strace", "-f", "-qq", "-e", "trace=execve", "-o", spec.strace}, argv...)
	}
	if spec.wkdns {
		argv = wkdNamespace(ts, argv)
	}

	cmd := exec.Command(argv[0], argv[1:]...)
	if p, err := exec.LookPath(argv[0]); err == nil {
		cmd.Path = p
	}
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = childEnv(ts, spec)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.WaitDelay = 10 * time.Second
	switch {
	case spec.zeros >= 0:
		cmd.Stdin = io.LimitReader(zeroReader{}, spec.zeros)
	case spec.stdin != "":
		f, err := os.Open(spec.stdin)
		ts.Check(err)
		defer f.Close()
		cmd.Stdin = f
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	if spec.stdout != "" {
		f, err := os.Create(spec.stdout)
		ts.Check(err)
		defer f.Close()
		cmd.Stdout = f
	}
	cmd.Stderr = &stderr

	if err := startRetryingBusy(cmd); err != nil {
		ts.Fatalf("start %s: %v", argv[0], err)
	}
	start := time.Now()
	timedOut := false
	timer := time.AfterFunc(spec.timeout, func() {
		timedOut = true
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})
	waitErr := cmd.Wait()
	timer.Stop()
	ts.Logf("run (%.2fs): %s", time.Since(start).Seconds(), shellQuote(argv))

	ts.Stdout().Write(stdout.Bytes())
	ts.Stderr().Write(stderr.Bytes())
	if timedOut {
		ts.Fatalf("%s did not finish within %v (killed)", kind, spec.timeout)
	}
	code := 0
	if waitErr != nil {
		ee, ok := waitErr.(*exec.ExitError)
		if !ok {
			ts.Fatalf("%s: %v", kind, waitErr)
		}
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			ts.Fatalf("%s was killed by signal %v", kind, ws.Signal())
		}
	}
	ts.Setenv("RC", strconv.Itoa(code))
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		ts.Setenv("MAXRSS_KB", strconv.FormatInt(ru.Maxrss, 10))
	}
	if kind == "ours" {
		if m := panicPattern.FindString(stderr.String()); m != "" {
			ts.Fatalf("ours crashed (%q on stderr)", m)
		}
	}
	switch {
	case spec.anyRC:
	case neg && code == 0:
		ts.Fatalf("%s succeeded unexpectedly", kind)
	case !neg && code != 0:
		ts.Fatalf("%s exited %d: %s", kind, code, oneLine(stderr.String()))
	}
}

var panicPattern = regexp.MustCompile(`(?m)^(panic: .*|fatal error: .*|goroutine \d+ \[.*\]:|SIGSEGV.*)$`)

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// childEnv is a small, fixed environment: nothing from the developer's
// session (GNUPGHOME, GPG_AGENT_INFO, DISPLAY, a locale) leaks in.
func childEnv(ts *testscript.TestScript, spec runSpec) []string {
	tmp := ts.Getenv("TMPDIR")
	if spec.uid >= 0 {
		tmp = os.TempDir()
	}
	env := []string{
		"PATH=" + ts.Getenv("PATH"),
		"HOME=" + ts.Getenv("HOME"),
		"TMPDIR=" + tmp,
		"LC_ALL=C",
		"LANG=C",
		"TZ=" + ts.Getenv("TZ"),
	}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "FRONTPGP_") {
			env = append(env, kv)
		}
	}
	return env
}

func shellQuote(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./,:@+%") == "" {
			b.WriteString(a)
		} else {
			b.WriteString(strconv.Quote(a))
		}
	}
	return b.String()
}

func cmdRC(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: rc N")
	}
	got := ts.Getenv("RC")
	if (got == args[0]) == neg {
		ts.Fatalf("exit code %s, want %s%s", got, map[bool]string{true: "not ", false: ""}[neg], args[0])
	}
}

func cmdMaxRSS(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: maxrss MIB")
	}
	limit, err := strconv.ParseInt(args[0], 10, 64)
	ts.Check(err)
	kb, err := strconv.ParseInt(ts.Getenv("MAXRSS_KB"), 10, 64)
	ts.Check(err)
	if kb/1024 >= limit {
		ts.Fatalf("peak RSS %d MiB, want < %d MiB", kb/1024, limit)
	}
}

func readArg(ts *testscript.TestScript, name string) string {
	switch name {
	case "stdout", "stderr":
		return ts.ReadFile(name)
	}
	b, err := os.ReadFile(ts.MkAbs(name))
	ts.Check(err)
	return string(b)
}

func cmdGrab(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || len(args) > 3 || neg {
		ts.Fatalf("usage: grab VAR REGEXP [FILE]")
	}
	file := "stdout"
	if len(args) == 3 {
		file = args[2]
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	m := re.FindStringSubmatch(readArg(ts, file))
	if len(m) < 2 {
		ts.Fatalf("grab: no match for %q in %s", args[1], file)
	}
	ts.Setenv(args[0], m[1])
}

func cmdStatusCmp(ts *testscript.TestScript, neg bool, args []string) {
	kwOnly := false
	var ignore []string
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-kw":
			kwOnly = true
			args = args[1:]
		case "-ignore":
			if len(args) < 2 {
				ts.Fatalf("usage: statuscmp [-kw] [-ignore K,K] A B")
			}
			ignore = strings.Split(args[1], ",")
			args = args[2:]
		default:
			ts.Fatalf("statuscmp: unknown flag %s", args[0])
		}
	}
	if len(args) != 2 {
		ts.Fatalf("usage: statuscmp [-kw] [-ignore K,K] A B")
	}
	a := statusLines(readArg(ts, args[0]), kwOnly, ignore)
	b := statusLines(readArg(ts, args[1]), kwOnly, ignore)
	same := strings.Join(a, "\n") == strings.Join(b, "\n")
	if same == neg {
		if neg {
			ts.Fatalf("status lines of %s and %s are identical", args[0], args[1])
		}
		ts.Fatalf("status lines differ:\n%s", lineDiff(args[0], a, args[1], b))
	}
}

// statusLines extracts the "[GNUPG:] " lines of out, normalised for
// comparison: SIG_ID's first argument (an implementation-specific hash) is
// masked; with kwOnly only the keywords are kept.
func statusLines(out string, kwOnly bool, ignore []string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(l, "[GNUPG:] ")
		if !ok {
			continue
		}
		f := strings.Split(rest, " ")
		skip := false
		for _, k := range ignore {
			if f[0] == k {
				skip = true
			}
		}
		if skip {
			continue
		}
		if kwOnly {
			f = f[:1]
		} else if f[0] == "SIG_ID" && len(f) > 1 {
			f[1] = "*"
		}
		lines = append(lines, strings.Join(f, " "))
	}
	return lines
}

func lineDiff(an string, a []string, bn string, b []string) string {
	var s strings.Builder
	n := max(len(a), len(b))
	for i := 0; i < n; i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		mark := "  "
		if x != y {
			mark = "!="
		}
		fmt.Fprintf(&s, "%s %-3d %s: %s\n   %-3s %s: %s\n", mark, i+1, an, x, "", bn, y)
	}
	return s.String()
}

func cmdStatusOnly(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: statusonly FILE")
	}
	for i, l := range strings.Split(strings.TrimSuffix(readArg(ts, args[0]), "\n"), "\n") {
		if !strings.HasPrefix(l, "[GNUPG:] ") {
			ts.Fatalf("%s line %d is not a status line: %q", args[0], i+1, l)
		}
	}
}

func cmdNormalize(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 || neg {
		ts.Fatalf("usage: normalize shape|tru|header IN OUT")
	}
	in := readArg(ts, args[1])
	var out string
	var err error
	switch args[0] {
	case "shape":
		out, err = normalizeShape(in)
	case "tru":
		out = normalizeTru(in)
	case "header":
		out = dropKeyringHeader(in)
	default:
		ts.Fatalf("normalize: unknown mode %q", args[0])
	}
	if err != nil {
		ts.Fatalf("normalize %s %s: %v", args[0], args[1], err)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(out), 0o644))
}

var hexRE = regexp.MustCompile(`^[0-9A-F]+$`)

// normalizeShape masks what differs between two keys of the same kind in a
// --with-colons listing: key IDs, fingerprints, keygrips, creation dates,
// UID hashes and last updates (field 19). An expiry becomes +Nd (days after creation). It checks that
// each key ID is the tail of the fingerprint that follows it.
func normalizeShape(in string) (string, error) {
	var out []string
	pendingKeyID := ""
	for _, l := range strings.Split(strings.TrimSuffix(in, "\n"), "\n") {
		f := strings.Split(l, ":")
		get := func(i int) string {
			if i < len(f) {
				return f[i]
			}
			return ""
		}
		set := func(i int, v string) {
			if i < len(f) && f[i] != "" {
				f[i] = v
			}
		}
		switch f[0] {
		case "pub", "sec", "sub", "ssb", "crt", "crs":
			kid := get(4)
			if len(kid) != 16 || !hexRE.MatchString(kid) {
				return "", fmt.Errorf("bad key ID %q in %q", kid, l)
			}
			pendingKeyID = kid
			created, exp := get(5), get(6)
			if exp != "" {
				c, err1 := strconv.ParseInt(created, 10, 64)
				e, err2 := strconv.ParseInt(exp, 10, 64)
				if err1 != nil || err2 != nil {
					return "", fmt.Errorf("bad dates in %q", l)
				}
				f[6] = fmt.Sprintf("+%dd", (e-c+43200)/86400)
			}
			set(4, "KEYID")
			set(5, "T")
			set(18, "T") // last update (key origin)
		case "fpr":
			fp := get(9)
			if !hexRE.MatchString(fp) {
				return "", fmt.Errorf("bad fingerprint in %q", l)
			}
			if pendingKeyID != "" && !strings.HasSuffix(fp, pendingKeyID) {
				return "", fmt.Errorf("key ID %s is not the tail of fingerprint %s", pendingKeyID, fp)
			}
			pendingKeyID = ""
			set(9, "FPR")
		case "grp":
			set(9, "GRIP")
		case "uid", "uat":
			set(5, "T")
			set(6, "T")
			set(7, "UIDHASH")
			set(18, "T")
		case "sig", "rev":
			set(4, "KEYID")
			set(5, "T")
			set(6, "T")
		case "tru":
			// 'o' (check due) depends on when gpg last ran a trustdb check
			if len(f) > 1 {
				f[1] = "*"
			}
			set(3, "T")
			set(4, "T")
		}
		out = append(out, strings.Join(f, ":"))
	}
	return strings.Join(out, "\n") + "\n", nil
}

// normalizeTru masks the trust database's creation and next-check dates,
// which depend on when the home was made.
func normalizeTru(in string) string {
	lines := strings.Split(in, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "tru:") {
			f := strings.Split(l, ":")
			for _, j := range []int{3, 4} {
				if j < len(f) && f[j] != "" {
					f[j] = "T"
				}
			}
			lines[i] = strings.Join(f, ":")
		}
	}
	return strings.Join(lines, "\n")
}

// dropKeyringHeader removes the "/path/to/pubring.kbx" line and the dashes
// under it that gpg prints before a human-readable listing.
func dropKeyringHeader(in string) string {
	lines := strings.Split(in, "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		if i+1 < len(lines) && strings.HasPrefix(lines[i], "/") &&
			len(lines[i+1]) > 0 && strings.Trim(lines[i+1], "-") == "" {
			i++
			continue
		}
		out = append(out, lines[i])
	}
	return strings.Join(out, "\n")
}

func cmdLines(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: lines FILE N")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	s := readArg(ts, args[0])
	got := strings.Count(s, "\n")
	if s != "" && !strings.HasSuffix(s, "\n") {
		got++
	}
	if (got == want) == neg {
		ts.Fatalf("%s has %d lines, want %s%d", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

func cmdHexfile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || neg {
		ts.Fatalf("usage: hexfile OUT HEX...")
	}
	b, err := hex.DecodeString(strings.Join(args[1:], ""))
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o644))
}

func cmdConcat(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || neg {
		ts.Fatalf("usage: concat OUT IN...")
	}
	var buf bytes.Buffer
	for _, f := range args[1:] {
		buf.WriteString(readArg(ts, f))
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), buf.Bytes(), 0o644))
}

func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: truncate FILE N")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	b := []byte(readArg(ts, args[0]))
	if n > len(b) {
		ts.Fatalf("truncate: %s has only %d bytes", args[0], len(b))
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b[:len(b)-n], 0o644))
}

func cmdFlipbyte(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: flipbyte FILE POS")
	}
	b := []byte(readArg(ts, args[0]))
	var pos int
	if args[1] == "mid" {
		pos = len(b) / 2
	} else {
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		pos = n
		if n < 0 {
			pos = len(b) + n
		}
	}
	if pos < 0 || pos >= len(b) {
		ts.Fatalf("flipbyte: position %s outside %s (%d bytes)", args[1], args[0], len(b))
	}
	b[pos] ^= 0x01
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o644))
}

func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 || neg {
		ts.Fatalf("usage: replace FILE OLD NEW")
	}
	s := readArg(ts, args[0])
	if !strings.Contains(s, args[1]) {
		ts.Fatalf("replace: %q not in %s", args[1], args[0])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(strings.ReplaceAll(s, args[1], args[2])), 0o644))
}

func cmdEnvq(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: envq VAR 'go-quoted text'")
	}
	v, err := strconv.Unquote(`"` + args[1] + `"`)
	ts.Check(err)
	ts.Setenv(args[0], v)
}

func cmdMaxsize(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: maxsize FILE BYTES")
	}
	n, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	fi, err := os.Stat(ts.MkAbs(args[0]))
	if os.IsNotExist(err) {
		return
	}
	ts.Check(err)
	if fi.Size() > n {
		ts.Fatalf("%s has %d bytes, want at most %d", args[0], fi.Size(), n)
	}
}

func cmdAgentkill(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: agentkill HOME")
	}
	home := filepath.Join(ts.Getenv("WORK"), args[0])
	killAgent(home)
	// front runs no agent but caches passphrases; as gpgconf it forgets
	// them, as a killed gpg-agent does
	if !frontIsGnuPG {
		cmd := exec.Command(ts.Getenv("OURS"), "--homedir", home, "--kill", "gpg-agent")
		cmd.Args[0] = "gpgconf"
		cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
		ts.Check(cmd.Run())
	}
}

// fakeHelpers are keyhelper stand-ins that break the pipe protocol in one
// way each (bad input 31, as far as it is visible from the command line).
var fakeHelpers = map[string]string{
	// exits at once: front sees EOF before any hello frame
	"eof": "exit 0",
	// random junk instead of a hello frame
	"garbage": `printf 'GARBAGE\377\376\375\000\001\002 not a frame\n'; exit 0`,
	// a frame header announcing 4 GiB, then EOF
	"hugelen": `printf '\377\377\377\377\377\377\377\377'; exit 0`,
	// a header announcing 16 bytes, 3 bytes of payload, then EOF
	"truncated": `printf '\000\000\000\020\000\001abc'; exit 0`,
	// junk on stdout, an error text on stderr, a non-zero exit
	"fail": `printf 'x'; echo 'keyhelper: simulated failure' >&2; exit 3`,
	// dies by SIGSEGV
	"crash": `kill -SEGV $$`,
}

func cmdFakehelper(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: fakehelper MODE")
	}
	real, err := filepath.EvalSymlinks(frontBin)
	ts.Check(err)
	body, ok := fakeHelpers[args[0]]
	var helper []byte
	if ok {
		helper = []byte("#!/bin/sh\n" + body + "\n")
	} else if args[0] == "real" {
		// control: a copy of the real keyhelper in the same layout
		for _, p := range []string{
			filepath.Join(filepath.Dir(real), "keyhelper"),
			filepath.Join(filepath.Dir(real), "..", "libexec", "frontpgp", "keyhelper"),
		} {
			if helper, err = os.ReadFile(p); err == nil {
				break
			}
		}
		ts.Check(err)
	} else {
		ts.Fatalf("fakehelper: unknown mode %q", args[0])
	}
	dir := filepath.Join(ts.Getenv("WORK"), "fake-"+args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	src, err := os.ReadFile(real)
	ts.Check(err)
	ts.Check(os.WriteFile(filepath.Join(dir, "front"), src, 0o755))
	ts.Check(os.WriteFile(filepath.Join(dir, "keyhelper"), helper, 0o755))
	link := filepath.Join(dir, "gpg")
	if _, err := os.Lstat(link); err != nil {
		ts.Check(os.Symlink("front", link))
	}
	ts.Setenv("OURS", link)
}

func cmdNosockets(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: nosockets DIR")
	}
	root := ts.MkAbs(args[0])
	ts.Check(filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSocket != 0 {
			ts.Fatalf("socket in the home: %s", p)
		}
		return nil
	}))
}

var (
	execRE       = regexp.MustCompile(`^(\d+)\s+execve\("([^"]*)".*= 0$`)
	execStartRE  = regexp.MustCompile(`^(\d+)\s+execve\("([^"]*)".*<unfinished \.\.\.>$`)
	execResumeRE = regexp.MustCompile(`^(\d+)\s+<\.\.\. execve resumed>.*= 0$`)
)

func cmdExecs(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: execs TRACE")
	}
	pending := map[string]string{}
	out := ts.Stdout()
	for _, l := range strings.Split(readArg(ts, args[0]), "\n") {
		if m := execRE.FindStringSubmatch(l); m != nil {
			fmt.Fprintln(out, m[2])
		} else if m := execStartRE.FindStringSubmatch(l); m != nil {
			pending[m[1]] = m[2]
		} else if m := execResumeRE.FindStringSubmatch(l); m != nil {
			fmt.Fprintln(out, pending[m[1]])
		}
	}
}

func cmdChownr(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: chownr DIR UID")
	}
	id, err := strconv.Atoi(args[1])
	ts.Check(err)
	ts.Check(filepath.WalkDir(ts.MkAbs(args[0]), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, id, id)
	}))
}

// cmdSameField checks that the Nth field (1 = the first argument) of the
// first status line with KEYWORD is present and the same in A and B; it
// compares what statuscmp masks, such as SIG_ID's value.
func cmdSameField(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 || neg {
		ts.Fatalf("usage: samefield KEYWORD N A B")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	field := func(name string) string {
		for _, l := range strings.Split(readArg(ts, name), "\n") {
			f := strings.Split(strings.TrimPrefix(l, "[GNUPG:] "), " ")
			if strings.HasPrefix(l, "[GNUPG:] ") && f[0] == args[0] && n < len(f) {
				return f[n]
			}
		}
		ts.Fatalf("samefield: no %s line with %d fields in %s", args[0], n, name)
		return ""
	}
	if x, y := field(args[2]), field(args[3]); x != y {
		ts.Fatalf("%s field %d differs: %s has %q, %s has %q", args[0], n, args[2], x, args[3], y)
	}
}

// personaTargets are the programs persona links to: front under every
// name, or GnuPG's own programs when the suite checks its transcripts.
func personaTargets(ts *testscript.TestScript) map[string]string {
	if frontIsGnuPG {
		return map[string]string{"gpg": realGPG, "gpg2": realGPG, "gpgv": realGPGV, "gpgconf": realGPGConf}
	}
	front, err := filepath.EvalSymlinks(ts.Getenv("OURS"))
	ts.Check(err)
	return map[string]string{"gpg": front, "gpg2": front, "gpgv": front, "gpgconf": front}
}

func cmdPersona(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 || neg {
		ts.Fatalf("usage: persona DIR [HOME...]")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	for name, target := range personaTargets(ts) {
		link := filepath.Join(dir, name)
		os.Remove(link)
		ts.Check(os.Symlink(target, link))
	}
	for _, h := range args[1:] {
		noteAgentHome(ts, ts.MkAbs(h))
	}
}

func cmdAs(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: as NAME [PREFIX...] ARGS...")
	}
	bin := filepath.Join(ts.Getenv("WORK"), "bin", args[0])
	if _, err := os.Lstat(bin); err != nil {
		ts.Fatalf("as %s: run persona bin first", args[0])
	}
	spec := runSpec{uid: -1, zeros: -1}
	fd3 := ""
	args = args[1:]
	for len(args) > 0 {
		a := args[0]
		switch {
		case strings.HasPrefix(a, "3>") && len(a) > 2:
			fd3 = ts.MkAbs(a[2:])
		case strings.HasPrefix(a, "<") && len(a) > 1:
			spec.stdin = ts.MkAbs(a[1:])
		case strings.HasPrefix(a, ">") && len(a) > 1:
			spec.stdout = ts.MkAbs(a[1:])
		case a == "rc=any":
			spec.anyRC = true
		default:
			goto run
		}
		args = args[1:]
	}
run:
	cmd := exec.Command(bin, args...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = childEnv(ts, spec)
	if h := ts.Getenv("GNUPGHOME"); h != "" {
		cmd.Env = append(cmd.Env, "GNUPGHOME="+h)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.WaitDelay = 10 * time.Second
	if spec.stdin != "" {
		f, err := os.Open(spec.stdin)
		ts.Check(err)
		defer f.Close()
		cmd.Stdin = f
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if spec.stdout != "" {
		f, err := os.Create(spec.stdout)
		ts.Check(err)
		defer f.Close()
		cmd.Stdout = f
	}
	if fd3 != "" {
		f, err := os.Create(fd3)
		ts.Check(err)
		defer f.Close()
		cmd.ExtraFiles = []*os.File{f}
	}
	ts.Check(cmd.Start())
	timer := time.AfterFunc(60*time.Second, func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	waitErr := cmd.Wait()
	timer.Stop()
	ts.Logf("run: %s", shellQuote(append([]string{bin}, args...)))
	ts.Stdout().Write(stdout.Bytes())
	ts.Stderr().Write(stderr.Bytes())
	code := 0
	if ee, ok := waitErr.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			ts.Fatalf("%s was killed by signal %v", filepath.Base(bin), ws.Signal())
		}
		code = ee.ExitCode()
	} else if waitErr != nil {
		ts.Fatalf("%s: %v", bin, waitErr)
	}
	ts.Setenv("RC", strconv.Itoa(code))
	if m := panicPattern.FindString(stderr.String()); m != "" {
		ts.Fatalf("%s crashed (%q on stderr)", filepath.Base(bin), m)
	}
	switch {
	case spec.anyRC:
	case neg && code == 0:
		ts.Fatalf("%s succeeded unexpectedly", filepath.Base(bin))
	case !neg && code != 0:
		ts.Fatalf("%s exited %d: %s", filepath.Base(bin), code, oneLine(stderr.String()))
	}
}

// accessibleFront returns a copy of front and its keyhelper in $WORK, so a
// run as another uid works wherever the build lives (a checkout in a 0700
// directory is not reachable for uid 65534).
func accessibleFront(ts *testscript.TestScript, ours string) string {
	dir := filepath.Join(ts.Getenv("WORK"), "uid-bin")
	link := filepath.Join(dir, "gpg")
	if _, err := os.Lstat(link); err == nil {
		return link
	}
	real, err := filepath.EvalSymlinks(ours)
	ts.Check(err)
	ts.Check(os.MkdirAll(dir, 0o755))
	for _, name := range []string{filepath.Base(real), "keyhelper"} {
		data, err := os.ReadFile(filepath.Join(filepath.Dir(real), name))
		ts.Check(err)
		ts.Check(os.WriteFile(filepath.Join(dir, name), data, 0o755))
	}
	ts.Check(os.Symlink(filepath.Base(real), link))
	return link
}

// startRetryingBusy starts cmd, retrying for a while on ETXTBSY: a program
// another transcript just wrote (fakehelper, persona copies) can be held
// open for writing by a child that a parallel transcript forked in that
// moment, until that child execs (Go issue 22315).
func startRetryingBusy(cmd *exec.Cmd) error {
	for i := 0; ; i++ {
		err := cmd.Start()
		if err == nil || !errors.Is(err, syscall.ETXTBSY) || i == 50 {
			return err
		}
		time.Sleep(20 * time.Millisecond)
		fresh := exec.Command(cmd.Args[0], cmd.Args[1:]...)
		fresh.Path, fresh.Dir, fresh.Env, fresh.SysProcAttr = cmd.Path, cmd.Dir, cmd.Env, cmd.SysProcAttr
		fresh.Stdin, fresh.Stdout, fresh.Stderr = cmd.Stdin, cmd.Stdout, cmd.Stderr
		*cmd = *fresh
	}
}
