package main

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/store"
)

// writeCerts makes n distinct ed25519 certificates, one file each.
func writeCerts(t *testing.T, dir, prefix string, n int) (files []string, fprs [][]byte) {
	t.Helper()
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s%d", prefix, i)
		e, err := openpgp.NewEntity(name, "", name+"@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := e.Serialize(&b); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, name+".gpg")
		if err := os.WriteFile(f, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		files, fprs = append(files, f), append(fprs, e.PrimaryKey.Fingerprint)
	}
	return files, fprs
}

// Issue 3, test (a): 50 front processes at once on one home, importing
// different certificates, listing and signing: none fails, and every
// imported certificate is there afterwards.
func TestStoreConcurrentProcesses(t *testing.T) {
	gpg := buildBinaries(t)
	home := t.TempDir()
	base := []string{"--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "pw"}
	if out, err := exec.Command(gpg, append(base, "--quick-gen-key", "Signer <signer@example.org>", "default", "default", "1y")...).CombinedOutput(); err != nil {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	data := filepath.Join(t.TempDir(), "data")
	os.WriteFile(data, []byte("payload\n"), 0o644)
	files, fprs := writeCerts(t, t.TempDir(), "c", 20)
	const procs = 50
	var wg sync.WaitGroup
	errs := make(chan string, procs)
	imported := 0
	for i := 0; i < procs; i++ {
		var args []string
		switch {
		case i%5 < 2 && imported < len(files):
			args = []string{"--import", files[imported]}
			imported++
		case i%5 == 2:
			args = []string{"--with-colons", "--list-keys"}
		case i%5 == 3:
			args = []string{"--list-keys", "signer@example.org"}
		default:
			args = []string{"--detach-sign", "-o", fmt.Sprintf("%s.%d.sig", data, i), data}
		}
		wg.Add(1)
		go func(args []string) {
			defer wg.Done()
			out, err := exec.Command(gpg, append(base, args...)...).CombinedOutput()
			if err != nil {
				errs <- fmt.Sprintf("%v: %v\n%s", args, err, out)
			}
		}(args)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	out, err := exec.Command(gpg, append(base, "--with-colons", "--list-keys")...).CombinedOutput()
	if err != nil {
		t.Fatalf("final listing: %v\n%s", err, out)
	}
	for _, f := range fprs[:imported] {
		if !bytes.Contains(out, []byte(fmt.Sprintf("fpr:::::::::%X:", f))) {
			t.Errorf("imported certificate %X missing afterwards", f)
		}
	}
}

// Issue 3, test (b): front killed with SIGKILL at random moments during
// import and key generation. After each kill the store parses, nothing
// stored before is lost, and no secret key file is partial. 100 trials by
// default; FRONTPGP_KILL_TRIALS sets another number.
func TestStoreSurvivesKill(t *testing.T) {
	gpg := buildBinaries(t)
	trials := 100
	if v, err := strconv.Atoi(os.Getenv("FRONTPGP_KILL_TRIALS")); err == nil && v > 0 {
		trials = v
	}
	home := t.TempDir()
	base := []string{"--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "pw"}
	certDir := t.TempDir()
	files, fprs := writeCerts(t, certDir, "k", trials)
	// Bundles of several certificates make imports last long enough to be
	// killed in the middle.
	stored := map[string]bool{}
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	// Kill moments spread over twice the time an uninterrupted import takes
	// on this machine now, so a loaded machine still sees imports finish.
	calibrate := exec.Command(gpg, "--homedir", t.TempDir(), "--batch", "--import", files[0])
	began := time.Now()
	if out, err := calibrate.CombinedOutput(); err != nil {
		t.Fatalf("calibration import: %v\n%s", err, out)
	}
	maxDelay := max(40*time.Millisecond, 2*time.Since(began))
	for trial := 0; trial < trials; trial++ {
		var args []string
		if trial%10 == 9 {
			args = []string{"--quick-gen-key", fmt.Sprintf("Gen %d <gen%d@example.org>", trial, trial), "default", "default", "1y"}
		} else {
			bundle := filepath.Join(certDir, fmt.Sprintf("bundle%d", trial))
			var all []byte
			for j := trial; j < trial+5 && j < len(files); j++ {
				b, _ := os.ReadFile(files[j])
				all = append(all, b...)
			}
			os.WriteFile(bundle, all, 0o644)
			args = []string{"--import", bundle}
		}
		cmd := exec.Command(gpg, append(base, args...)...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int63n(int64(maxDelay))))
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()

		s := &store.Store{Home: home}
		have, err := s.Fingerprints()
		if err != nil {
			t.Fatalf("trial %d: store unreadable: %v", trial, err)
		}
		present := map[string]bool{}
		for _, f := range have {
			if _, err := s.Get(f); err != nil {
				t.Fatalf("trial %d: certificate %X does not parse: %v", trial, f, err)
			}
			present[string(f)] = true
		}
		if p := s.Problems(); len(p) > 0 {
			t.Fatalf("trial %d: store problems: %v", trial, p)
		}
		for f := range stored {
			if !present[f] {
				t.Fatalf("trial %d: previously stored certificate %X lost", trial, f)
			}
		}
		for f := range present {
			stored[f] = true
		}
		checkSecretFiles(t, filepath.Join(home, "private-keys.d"), trial)
	}
	// The certificates were really imported in most trials.
	if n := countStored(stored, fprs); n < trials/4 {
		t.Errorf("only %d of %d certificates imported: kills came too early to test anything", n, len(fprs))
	}
}

func countStored(stored map[string]bool, fprs [][]byte) int {
	n := 0
	for _, f := range fprs {
		if stored[string(f)] {
			n++
		}
	}
	return n
}

// checkSecretFiles: every secret key file holds one whole key; only temp
// files (ignored by keyhelper) may be partial.
func checkSecretFiles(t *testing.T, dir string, trial int) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".key") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		el, err := openpgp.ReadKeyRing(bytes.NewReader(data))
		if err != nil || len(el) != 1 || el[0].PrivateKey == nil {
			t.Fatalf("trial %d: partial secret key file %s: %v", trial, e.Name(), err)
		}
	}
}
