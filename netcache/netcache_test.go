package netcache

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestPutGetRecent(t *testing.T) {
	c := Open(t.TempDir())
	now := time.Unix(1750000000, 0)
	if _, ok := c.Get(WKDMiss, "example.org"); ok {
		t.Fatal("empty cache has an entry")
	}
	if err := c.Put(WKDMiss, "example.org", now); err != nil {
		t.Fatal(err)
	}
	if err := c.Put(Refresh, "ABCD", now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !c.Recent(WKDMiss, "example.org", now.Add(59*time.Minute), time.Hour) {
		t.Error("miss not recent within its ttl")
	}
	if c.Recent(WKDMiss, "example.org", now.Add(time.Hour), time.Hour) {
		t.Error("miss still recent after its ttl")
	}
	if c.Recent(WKDMiss, "example.com", now, time.Hour) {
		t.Error("other domain reported")
	}
	if got, ok := c.Get(Refresh, "ABCD"); !ok || !got.Equal(now.Add(-time.Hour)) {
		t.Errorf("refresh time %v %v", got, ok)
	}
	// a newer record replaces the older one
	if err := c.Put(WKDMiss, "example.org", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Get(WKDMiss, "example.org"); !got.Equal(now.Add(time.Minute)) {
		t.Errorf("replaced record %v", got)
	}
	if err := c.Forget(WKDMiss, "example.org"); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Get(WKDMiss, "example.org"); ok {
		t.Error("forgotten entry still there")
	}
}

func TestHostileContent(t *testing.T) {
	home := t.TempDir()
	c := Open(home)
	// keys that would break the line format are not stored
	if err := c.Put(WKDMiss, "evil\nrefresh X 1", time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Get(Refresh, "X"); ok {
		t.Fatal("a key injected a record")
	}
	// garbage and an oversized file read as empty, and are replaced
	os.WriteFile(filepath.Join(home, fileName), []byte("x y\nwkd-miss a notanumber\n\x00\n"), 0o600)
	if _, ok := c.Get(WKDMiss, "a"); ok {
		t.Fatal("bad line parsed")
	}
	big := make([]byte, maxFile+1)
	os.WriteFile(filepath.Join(home, fileName), big, 0o600)
	if err := c.Put(Refresh, "F", time.Unix(5, 0)); err != nil {
		t.Fatal(err)
	}
	if got, ok := c.Get(Refresh, "F"); !ok || got.Unix() != 5 {
		t.Fatal("cache not usable after an oversized file")
	}
}

// TestConcurrentWriters: writers in parallel lose no update (the lock
// serialises the read-modify-write).
func TestConcurrentWriters(t *testing.T) {
	home := t.TempDir()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := Open(home).Put(Refresh, fmt.Sprintf("K%d", i), time.Unix(int64(i), 0)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	c := Open(home)
	for i := 0; i < 20; i++ {
		if _, ok := c.Get(Refresh, fmt.Sprintf("K%d", i)); !ok {
			t.Errorf("update %d lost", i)
		}
	}
}

func TestBounded(t *testing.T) {
	c := Open(t.TempDir())
	err := c.update(func(es []entry) []entry {
		for i := 0; i < maxEntries+50; i++ {
			es = append(es, entry{Refresh, fmt.Sprintf("K%d", i), int64(i)})
		}
		return es
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.read()); n != maxEntries {
		t.Fatalf("%d entries kept", n)
	}
	if _, ok := c.Get(Refresh, "K0"); ok {
		t.Error("the oldest entry was kept over newer ones")
	}
}
