package main

import (
	"slices"
	"testing"
)

// A helper's settings replace the user's variables of the same name (the
// first of duplicates would win in the helper) and leave the rest alone.
func TestHelperEnvOverrides(t *testing.T) {
	got := helperEnv([]string{"HOME=/h", "GOGC=100", "GOGCX=1", "PATH=/bin", "GOMAXPROCS=8"},
		[]string{"GOGC=off", "GOMAXPROCS=1"})
	want := []string{"HOME=/h", "GOGCX=1", "PATH=/bin", "GOGC=off", "GOMAXPROCS=1"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
