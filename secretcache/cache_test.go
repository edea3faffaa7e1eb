package secretcache

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s missing in CI", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
}

func testKey(t *testing.T) Key {
	return Key{Scope: ScopeOf(t.TempDir()), ID: fmt.Sprintf("%040X", time.Now().UnixNano())}
}

// procKeys returns the /proc/keys line of the entry: serial flags usage
// timeout perm uid gid type description.
func procKeys(t *testing.T, k Key) []string {
	b, err := os.ReadFile("/proc/keys")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, " "+description(k)+":") {
			return strings.Fields(l)
		}
	}
	return nil
}

func TestKeyring(t *testing.T) {
	need(t, "keyctl", "setpriv")
	c, err := Open(Keyring, Policy{TTL: 3 * time.Second, MaxTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	k := testKey(t)
	t.Cleanup(func() { c.Forget(k) })
	if _, ok, err := c.Get(k); ok || err != nil {
		t.Fatalf("hit before Put: %v %v", ok, err)
	}
	if err := c.Put(k, []byte("sekrit")); err != nil {
		t.Fatal(err)
	}
	f := procKeys(t, k)
	if f == nil {
		t.Fatal("entry not in /proc/keys")
	}
	id, err := strconv.ParseInt(f[0], 16, 64) // /proc/keys shows it in hex
	if err != nil {
		t.Fatal(err)
	}
	serial := strconv.FormatInt(id, 10)
	// the timeout column shows the 3 s (up to a second more: expiries
	// are rounded up to whole seconds); the permissions are possessor
	// all, user view/read/write/search/setattr
	if f[3] != "3s" && f[3] != "4s" {
		t.Errorf("timeout %q, want 3s", f[3])
	}
	if f[4] != "3f2f0000" {
		t.Errorf("permissions %s", f[4])
	}
	out, err := exec.Command("keyctl", "pipe", serial).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "sekrit") {
		t.Fatalf("keyctl print by the owner: %v %s", err, out)
	}
	// another uid can neither read it by serial nor find it
	out, err = exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "keyctl", "pipe", serial).CombinedOutput()
	if err == nil || strings.Contains(string(out), "sekrit") {
		t.Fatalf("another uid read the entry: %s", out)
	}
	if got, ok, err := c.Get(k); !ok || err != nil || string(got[len(got)-6:]) != "sekrit" || len(got) != 6 {
		t.Fatalf("Get: %q %v %v", got, ok, err)
	}
	// sliding: each hit renews the 3 s; after 4 s without use it is gone
	time.Sleep(2 * time.Second)
	if _, ok, _ := c.Get(k); !ok {
		t.Fatal("gone before its TTL")
	}
	time.Sleep(2 * time.Second)
	if _, ok, _ := c.Get(k); !ok {
		t.Fatal("hit did not renew the TTL")
	}
	time.Sleep(4 * time.Second)
	if _, ok, err := c.Get(k); ok || err != nil {
		t.Fatalf("hit after expiry: %v", err)
	}
	if err := exec.Command("keyctl", "pipe", serial).Run(); err == nil {
		t.Fatal("the kernel still has the expired entry")
	}
}

// TestMaxTTL: a hit never renews an entry past MaxTTL after it was stored.
func TestMaxTTL(t *testing.T) {
	need(t, "keyctl")
	c, err := Open(Keyring, Policy{TTL: 30 * time.Minute, MaxTTL: 40 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	k := testKey(t)
	t.Cleanup(func() { c.Forget(k) })
	start := time.Now()
	c.Put(k, []byte("x"))
	c.now = func() time.Time { return start.Add(20 * time.Minute) }
	if _, ok, _ := c.Get(k); !ok {
		t.Fatal("miss within both TTLs")
	}
	// renewed to 40 min after the Put, not 50
	if f := procKeys(t, k); f == nil || (f[3] != "40m" && f[3] != "39m") {
		t.Fatalf("renewed past MaxTTL: %v", f)
	}
	c.now = func() time.Time { return start.Add(40 * time.Minute) }
	if _, ok, _ := c.Get(k); ok {
		t.Fatal("hit at MaxTTL")
	}
	if _, ok, _ := find(k); ok {
		t.Fatal("entry kept after MaxTTL")
	}
}

func TestForgetAll(t *testing.T) {
	need(t, "keyctl")
	c, err := Open(Keyring, DefaultPolicy)
	if err != nil {
		t.Fatal(err)
	}
	k1, other := testKey(t), testKey(t)
	k2 := Key{Scope: k1.Scope, ID: k1.ID + "2"}
	for _, k := range []Key{k1, k2, other} {
		if err := c.Put(k, []byte("p")); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { c.Forget(other) })
	if err := ForgetAll(k1.Scope); err != nil {
		t.Fatal(err)
	}
	for _, k := range []Key{k1, k2} {
		if _, ok, _ := c.Get(k); ok {
			t.Fatal("entry survived ForgetAll")
		}
	}
	if _, ok, _ := c.Get(other); !ok {
		t.Fatal("ForgetAll removed another home's entry")
	}
}

// startSecretService runs gnome-keyring under a private session bus
// (dbus-run-session), its login keyring unlocked with a password on stdin
// and kept in a temporary home, and sets DBUS_SESSION_BUS_ADDRESS for the
// test. The bus, and with it the keyring daemon, ends when the test does.
func startSecretService(t *testing.T) {
	need(t, "dbus-run-session", "gnome-keyring-daemon", "secret-tool")
	home := t.TempDir()
	cmd := exec.Command("dbus-run-session", "--", "sh", "-c",
		`printf test-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null && echo "$DBUS_SESSION_BUS_ADDRESS" && exec sleep 300`)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_DATA_HOME="+filepath.Join(home, "data"), "XDG_RUNTIME_DIR="+home, "XDG_CACHE_HOME="+filepath.Join(home, "cache"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("no session bus: %v", err)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", strings.TrimSpace(line))
	t.Setenv("HOME", home)
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := openSecretService(strings.TrimSpace(line))
		if err == nil {
			b.(*secretService).conn.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("secret service does not answer: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestSecretService(t *testing.T) {
	startSecretService(t)
	c, err := Open(Auto, Policy{TTL: 2 * time.Second, MaxTTL: time.Hour})
	if err != nil || c.Backend() != SecretService {
		t.Fatalf("auto chose %s (%v)", c.Backend(), err)
	}
	k := testKey(t)
	if err := c.Put(k, []byte("ss-sekrit")); err != nil {
		t.Fatal(err)
	}
	lookup := func() string {
		out, _ := exec.Command("secret-tool", "lookup", attrSchema, schema, attrFpr, k.ID).Output()
		return string(out)
	}
	if got := lookup(); got != "ss-sekrit" {
		t.Fatalf("secret-tool lookup: %q", got)
	}
	if got, ok, err := c.Get(k); !ok || err != nil || string(got) != "ss-sekrit" {
		t.Fatalf("Get: %q %v %v", got, ok, err)
	}
	// the service keeps the item; our expiry attribute ends it
	time.Sleep(3500 * time.Millisecond)
	if _, ok, err := c.Get(k); ok || err != nil {
		t.Fatalf("hit after expiry (%v)", err)
	}
	if got := lookup(); got != "" {
		t.Fatalf("expired item left in the service: %q", got)
	}
	// secret-tool clear removes what we stored: a miss, not an error
	c.Put(k, []byte("again"))
	if out, err := exec.Command("secret-tool", "clear", attrSchema, schema, attrFpr, k.ID).CombinedOutput(); err != nil {
		t.Fatalf("secret-tool clear: %v %s", err, out)
	}
	if _, ok, err := c.Get(k); ok || err != nil {
		t.Fatalf("hit after secret-tool clear (%v)", err)
	}
	c.Put(k, []byte("third"))
	if err := ForgetAll(k.Scope); err != nil {
		t.Fatal(err)
	}
	if got := lookup(); got != "" {
		t.Fatalf("ForgetAll left %q", got)
	}
}
