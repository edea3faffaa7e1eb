package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/frontpgp/front/internal/cardemu"
)

// TestKeyToCardPipeNotInFront proves keytocard's design on a live run
// (emulated card on pcscd): when front asks for the Admin PIN, keyhelper
// has written the unlocked key into the key pipe and exited, cardhelper
// holds the pipe's read end as its fd 3, and front holds no descriptor of
// that pipe (it closed both ends right after starting the helpers, so it
// never could read the secret). Then the import goes through, as a
// positive control that the pipe checked is the one that carried the key.
func TestKeyToCardPipeNotInFront(t *testing.T) {
	gpg := buildBinaries(t)
	if out, err := exec.Command("go", "build", "-o", filepath.Dir(gpg), "../cardhelper").CombinedOutput(); err != nil {
		t.Fatalf("build cardhelper: %v\n%s", err, out)
	}
	cardemu.StartRig(t, cardemu.New(cardemu.Options{Serial: 0x0C0FFEED, ClaimKeyImport: true}), cardemu.InsertOptions{})
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, "gpg-agent.conf"), []byte("default-cache-ttl 0\nmax-cache-ttl 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(gpg, append([]string{"--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "pw"}, args...)...).Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return string(out)
	}
	run("--quick-gen-key", "Mover <mover@example.org>", "ed25519", "sign,cert", "never")
	fpr := ""
	for _, l := range strings.Split(run("--with-colons", "-k", "mover@example.org"), "\n") {
		if strings.HasPrefix(l, "fpr:") && fpr == "" {
			fpr = strings.Split(l, ":")[9]
		}
	}
	run("--quick-add-key", fpr, "cv25519", "encr", "never")

	cmd := exec.Command(gpg, "--homedir", home, "--batch", "--no-tty", "--command-fd", "0", "--status-fd", "2",
		"--pinentry-mode", "loopback", "--edit-key", "mover@example.org")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	status := bufio.NewScanner(errPipe)
	waitFor := func(what string, n int) {
		t.Helper()
		for n > 0 && status.Scan() {
			if strings.Contains(status.Text(), what) {
				n--
			}
		}
		if n > 0 {
			t.Fatalf("front ended before %q", what)
		}
	}
	io.WriteString(in, "key 1\nkeytocard\n2\npw\n")
	// the second GET_HIDDEN is the Admin PIN: the key is in the pipe now
	waitFor("GET_HIDDEN passphrase.enter", 2)
	front := cmd.Process.Pid
	var card int
	for deadline := time.Now().Add(5 * time.Second); card == 0 && time.Now().Before(deadline); {
		card = childNamed(t, front, "cardhelper")
	}
	if card == 0 {
		t.Fatal("no cardhelper child of front")
	}
	if k := childNamed(t, front, "keyhelper"); k != 0 {
		t.Errorf("keyhelper %d still runs at the Admin PIN prompt", k)
	}
	keyPipe, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/3", card))
	if err != nil || !strings.HasPrefix(keyPipe, "pipe:[") {
		t.Fatalf("cardhelper's fd 3 is %q (%v), not the key pipe", keyPipe, err)
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", front))
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", front, fd.Name())); l == keyPipe {
			t.Errorf("front holds the key pipe %s as fd %s", keyPipe, fd.Name())
		}
	}
	io.WriteString(in, cardemu.DefaultPW3+"\nsave\n")
	in.Close()
	go io.Copy(io.Discard, errPipe)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("edit-key: %v", err)
	}
	// the positive control: the key went through that pipe to the card
	colons := run("--with-colons", "--card-status")
	if !strings.Contains(colons, "\nfpr::") || strings.Contains(colons, "\nfpr:::") {
		t.Fatalf("the card has no encryption key after keytocard:\n%s", colons)
	}
}

// childNamed is the pid of parent's child process named name, or 0.
func childNamed(t *testing.T, parent int, name string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || !strings.Contains(s[:i], "("+name) {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(parent) {
			return pid
		}
	}
	return 0
}
