package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// -o onto a fifo or a symlink writes through it; it never replaces the
// fifo or the link with a regular file (as a rename would: for root and
// -o /dev/null that would replace the device).
func TestOutputThroughSpecialFiles(t *testing.T) {
	gpg := buildBinaries(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	os.WriteFile(data, []byte("x\n"), 0o644)

	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- b
	}()
	run := func(out string) {
		t.Helper()
		cmd := exec.Command(gpg, "--homedir", filepath.Join(dir, "home"), "--batch", "--yes", "--passphrase", "x", "-c", "-o", out, data)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("-o %s: %v\n%s", out, err, b)
		}
	}
	run(fifo)
	select {
	case b := <-got:
		if len(b) == 0 {
			t.Fatal("nothing came through the fifo")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing was written to the fifo")
	}
	if st, _ := os.Lstat(fifo); st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatal("the fifo was replaced")
	}

	target := filepath.Join(dir, "target")
	os.WriteFile(target, nil, 0o644)
	link := filepath.Join(dir, "link")
	os.Symlink(target, link)
	run(link)
	if st, _ := os.Lstat(link); st.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the symlink was replaced")
	}
	if st, _ := os.Stat(target); st.Size() == 0 {
		t.Fatal("nothing was written through the symlink")
	}
}
