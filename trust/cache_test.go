package trust

import (
	"bytes"
	"testing"
	"time"
)

func TestValidityCacheRoundTrip(t *testing.T) {
	w := newWeb(t, "root", "a", "b")
	w.trust("root", Ultimate)
	w.trust("a", Fully)
	w.sign("root", "a")
	w.sign("a", "b")
	r := w.compute(DefaultParams(testNow))
	stamp := []byte{1, 2, 3}
	owner := func(f string) Level { return w.owner[f] }
	data := MarshalCache(r, w.order, stamp, testNow)
	c, err := UnmarshalCache(data, stamp, owner)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"root", "a", "b"} {
		e := w.keys[name]
		if got, want := c.Result.KeyValidity(e), r.KeyValidity(e); got != want {
			t.Errorf("%s: cached %v, computed %v", name, got, want)
		}
	}
	if len(c.Result.Depths) != len(r.Depths) || c.Result.NextCheck != r.NextCheck {
		t.Errorf("depths/next check differ")
	}
	if !c.Usable(testNow) || c.Usable(testNow.Add(-time.Second)) {
		t.Errorf("usable window wrong")
	}
	if _, err := UnmarshalCache(data, []byte{9}, owner); err == nil {
		t.Error("a cache under another stamp was accepted")
	}
	for _, bad := range [][]byte{nil, []byte("junk"), bytes.Replace(data, []byte("uid "), []byte("uix "), 1), bytes.Replace(data, []byte("computed "), []byte("computed x"), 1)} {
		if _, err := UnmarshalCache(bad, stamp, owner); err == nil {
			t.Errorf("malformed cache accepted: %q", bad)
		}
	}
}

func TestCachedNextCheck(t *testing.T) {
	if n, ok := CachedNextCheck(PendingCache()); !ok || n != 1 {
		t.Fatalf("pending cache: got %d %v, want 1 true", n, ok)
	}
	good := []byte(cacheMagic + "\nstamp ab\ncomputed 5\nuntil 0\nmodel pgp\nnoultimate false\nnextcheck 1755552000\nuid X 6 0 0 41\n")
	if n, ok := CachedNextCheck(good); !ok || n != 1755552000 {
		t.Fatalf("got %d %v, want 1755552000 true", n, ok)
	}
	for _, bad := range []string{"", "garbage\n", cacheMagic + "\nstamp ab\ncomputed 5\n", cacheMagic + "\nstamp ab\ncomputed 5\nuntil 0\nmodel pgp\nnoultimate false\nnextcheck -4\n"} {
		if _, ok := CachedNextCheck([]byte(bad)); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	// a pending cache never matches a stamp, so validity is recomputed
	if _, err := UnmarshalCache(PendingCache(), []byte{0xab}, func(string) Level { return Unknown }); err == nil {
		t.Fatal("pending cache accepted as a result")
	}
}
