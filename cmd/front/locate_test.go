package main

import (
	"strings"
	"testing"
)

// --auto-key-locate as gpg parses it: the default list until the first
// occurrence, clear, duplicates dropped, --no-auto-key-locate empties it,
// keyserver URLs as mechanisms, unsupported mechanisms refused.
func TestAutoKeyLocate(t *testing.T) {
	for _, c := range []struct {
		argv []string
		want string // kinds (uri for a keyserver URL), or "error"
	}{
		{nil, "local wkd"},
		{[]string{"--auto-key-locate", "keyserver"}, "keyserver"},
		{[]string{"--auto-key-locate", "wkd", "--auto-key-locate", "local,wkd"}, "wkd local"},
		{[]string{"--auto-key-locate", "local,clear,nodefault,wkd"}, "nodefault wkd"},
		{[]string{"--no-auto-key-locate"}, ""},
		{[]string{"--no-auto-key-locate", "--auto-key-locate", "wkd"}, "wkd"},
		{[]string{"--auto-key-locate", "WKD, hkps://keys.example.org"}, "wkd hkps://keys.example.org"},
		{[]string{"--auto-key-locate", "dane"}, "error"},
		{[]string{"--auto-key-locate", "nonsense"}, "error"},
	} {
		p, err := parseArgs(append(c.argv, "--locate-keys", "x"))
		if err != nil {
			t.Fatal(err)
		}
		a := &app{opts: p}
		list, err := a.autoKeyLocate()
		var got []string
		for _, m := range list {
			if m.kind == "spec" {
				got = append(got, m.uri)
			} else {
				got = append(got, m.kind)
			}
		}
		g := strings.Join(got, " ")
		if err != nil {
			g = "error"
		}
		if g != c.want {
			t.Errorf("%q: got %q want %q", c.argv, g, c.want)
		}
	}
}

func TestIsMailbox(t *testing.T) {
	for name, want := range map[string]bool{
		"alice@example.org":         true,
		"<alice@example.org>":       true,
		"Alice <alice@example.org>": false,
		"alice":                     false,
		"0x1234567890ABCDEF":        false,
	} {
		if isMailbox(name) != want {
			t.Errorf("isMailbox(%q) = %v", name, !want)
		}
	}
}
