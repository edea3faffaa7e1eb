// Package netcache is what key retrieval remembers between runs, without a
// resident process: when a WKD lookup last found nothing (per domain or per
// address, so repeated lookups do not hammer a server that has no key) and
// when a certificate was last refreshed from a keyserver.
//
// It is one small text file in the home, "KIND KEY UNIXTIME" a line. Every
// update is a read-modify-write under an flock on a lock file beside it
// (the lock dies with its holder) and replaces the file atomically (temp
// file, fsync, rename), so any number of front processes may share a home
// and a kill -9 at any point leaves the old or the new file. A damaged or
// oversized file is treated as empty: it only ever costs a network lookup.
package netcache

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/frontpgp/front/store"
)

// Kinds of entries.
const (
	// WKDMiss: a WKD lookup for KEY (a domain or an address) found no key.
	WKDMiss = "wkd-miss"
	// Refresh: the certificate with fingerprint KEY was refreshed.
	Refresh = "refresh"
)

const (
	fileName = "frontpgp-netcache"
	// maxFile bounds what is read; maxEntries what is kept (the oldest go).
	maxFile    = 1 << 20
	maxEntries = 10000
	// maxKey bounds a key; longer ones are not stored.
	maxKey = 320
)

// Cache is the cache file of one home.
type Cache struct{ path string }

// Open returns the cache of home; nothing is read or created yet.
func Open(home string) *Cache { return &Cache{path: filepath.Join(home, fileName)} }

type entry struct {
	kind, key string
	at        int64
}

// Get returns when (kind, key) was last recorded.
func (c *Cache) Get(kind, key string) (time.Time, bool) {
	for _, e := range c.read() {
		if e.kind == kind && e.key == key {
			return time.Unix(e.at, 0), true
		}
	}
	return time.Time{}, false
}

// Recent reports whether (kind, key) was recorded less than ttl before now.
func (c *Cache) Recent(kind, key string, now time.Time, ttl time.Duration) bool {
	t, ok := c.Get(kind, key)
	return ok && !t.After(now) && now.Sub(t) < ttl
}

// Put records (kind, key) at t, replacing an earlier record.
func (c *Cache) Put(kind, key string, t time.Time) error {
	return c.update(func(es []entry) []entry {
		out := es[:0]
		for _, e := range es {
			if e.kind != kind || e.key != key {
				out = append(out, e)
			}
		}
		return append(out, entry{kind, key, t.Unix()})
	})
}

// Forget removes (kind, key).
func (c *Cache) Forget(kind, key string) error {
	return c.update(func(es []entry) []entry {
		out := es[:0]
		for _, e := range es {
			if e.kind != kind || e.key != key {
				out = append(out, e)
			}
		}
		return out
	})
}

func (c *Cache) update(change func([]entry) []entry) error {
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return err
	}
	lock, err := os.OpenFile(c.path+".lock", os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	es := change(c.read())
	if len(es) > maxEntries {
		sort.SliceStable(es, func(i, j int) bool { return es[i].at > es[j].at })
		es = es[:maxEntries]
	}
	var b bytes.Buffer
	for _, e := range es {
		if valid(e.kind) && valid(e.key) {
			fmt.Fprintf(&b, "%s %s %d\n", e.kind, e.key, e.at)
		}
	}
	return store.WriteAtomic(c.path, b.Bytes(), 0o600)
}

// valid keeps a field to one token of printable ASCII of bounded length.
func valid(s string) bool {
	if s == "" || len(s) > maxKey {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// read parses the file; anything unreadable is skipped.
func (c *Cache) read() []entry {
	f, err := os.Open(c.path)
	if err != nil {
		return nil
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() || st.Size() > maxFile {
		return nil
	}
	var es []entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 || !valid(fields[0]) || !valid(fields[1]) {
			continue
		}
		at, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil {
			continue
		}
		es = append(es, entry{fields[0], fields[1], at})
	}
	return es
}
