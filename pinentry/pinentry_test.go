package pinentry

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// script is a scripted pinentry: it logs every command to $LOG and
// answers GETPIN as $MODE says.
const script = `#!/bin/sh
echo "OK Pleased to meet you"
while IFS= read -r line; do
  printf '%s\n' "$line" >> "$LOG"
  case "$line" in
    "GETINFO flavor") echo "D tty"; echo OK;;
    "GETINFO version") echo "D 1.2.1"; echo OK;;
    "OPTION lc-messages"*) echo "ERR 83886254 Unknown option";;
    GETPIN)
      case "$MODE" in
        pin) echo "D pa%25ss%0Aw"; echo "D ord"; echo OK;;
        cancel) echo "ERR 83886179 Operation cancelled <Pinentry>";;
        die) exit 3;;
        hang) sleep 30;;
        long) head -c 1200 /dev/zero | tr '\0' x; echo;;
      esac;;
    BYE) echo OK; exit 0;;
    *) echo OK;;
  esac
done
`

func fake(t *testing.T, mode string) (Options, string) {
	t.Helper()
	dir := t.TempDir()
	prog := filepath.Join(dir, "pinentry")
	if err := os.WriteFile(prog, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "log")
	return Options{
		Program: prog, TTYName: "/dev/pts/7", TTYType: "xterm", LCMessages: "C",
		Env: []string{"PATH=/usr/bin:/bin", "LOG=" + log, "MODE=" + mode},
	}, log
}

func TestGetPIN(t *testing.T) {
	opts, log := fake(t, "pin")
	c, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	if c.Flavor != "tty" || c.Version != "1.2.1" {
		t.Errorf("flavor %q version %q", c.Flavor, c.Version)
	}
	pin, err := c.GetPIN(Request{Desc: "Unlock \"Tty\"\n100% sure", Prompt: "Passphrase:", KeyInfo: "n/ABCD", Error: "Bad Passphrase (try 2 of 3)"})
	if err != nil {
		t.Fatal(err)
	}
	if string(pin) != "pa%ss\nword" {
		t.Errorf("pin %q", pin)
	}
	c.Close()
	b, _ := os.ReadFile(log)
	want := []string{
		"OPTION ttyname=/dev/pts/7", "OPTION ttytype=xterm", "OPTION lc-messages=C",
		"SETKEYINFO n/ABCD", `SETDESC Unlock "Tty"%0A100%25 sure`, "SETPROMPT Passphrase:",
		"SETERROR Bad Passphrase (try 2 of 3)", "GETPIN", "BYE",
	}
	got := string(b)
	for _, w := range want {
		if !strings.Contains(got, w+"\n") {
			t.Errorf("pinentry did not get %q; log:\n%s", w, got)
		}
	}
}

func TestFailures(t *testing.T) {
	for _, tc := range []struct {
		mode     string
		code     int
		canceled bool
	}{
		{"cancel", codeCanceled, true},
		{"die", codeEOF, false},
		{"hang", codeTimeout, false},
		{"long", codeEOF, false},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			opts, _ := fake(t, tc.mode)
			opts.StartTimeout = 2 * time.Second
			opts.Timeout = time.Second // the hang: killed 5 s after this
			c, err := Start(opts)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			_, err = c.GetPIN(Request{Desc: "d", Prompt: "p"})
			e, ok := err.(*Error)
			if !ok || e.Code != tc.code || e.Canceled() != tc.canceled || !e.FromPinentry() {
				t.Fatalf("err %#v", err)
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("took %v", time.Since(start))
			}
		})
	}
}

func TestNoProgram(t *testing.T) {
	_, err := Start(Options{Program: "/nonexistent/pinentry"})
	e, ok := err.(*Error)
	if !ok || e.Code != codeNoPIN || e.FromPinentry() || e.Text != "No pinentry" {
		t.Fatalf("err %#v", err)
	}
	// a program that never greets is ended after StartTimeout
	dir := t.TempDir()
	prog := filepath.Join(dir, "silent")
	os.WriteFile(prog, []byte("#!/bin/sh\nexec sleep 30\n"), 0o755)
	start := time.Now()
	_, err = Start(Options{Program: prog, StartTimeout: time.Second})
	if e, ok := err.(*Error); !ok || e.Code != codeNoPIN || time.Since(start) > 5*time.Second {
		t.Fatalf("err %#v after %v", err, time.Since(start))
	}
}

func TestEscape(t *testing.T) {
	if got := Escape("a%b\r\nc\x7fd", 100); got != "a%25b%0D%0Ac%7Fd" {
		t.Errorf("Escape: %q", got)
	}
	// cut at the limit, never inside an escape or a UTF-8 sequence
	if got := Escape("ab%", 4); got != "ab" {
		t.Errorf("cut escape: %q", got)
	}
	if got := Escape("aé", 2); got != "a" {
		t.Errorf("cut rune: %q", got)
	}
	for _, bad := range []string{"%", "%4", "%zz"} {
		if _, err := Unescape(bad); err == nil {
			t.Errorf("Unescape(%q) accepted", bad)
		}
	}
	if b, _ := Unescape("x%25%0a"); string(b) != "x%\n" {
		t.Errorf("Unescape: %q", b)
	}
}

func TestRealPinentryVersion(t *testing.T) {
	prog, err := exec.LookPath("pinentry-tty")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pinentry-tty missing in CI")
		}
		t.Skip("pinentry-tty not installed")
	}
	c, err := Start(Options{Program: prog})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Flavor != "tty" || c.Version == "" {
		t.Fatalf("flavor %q version %q", c.Flavor, c.Version)
	}
}
