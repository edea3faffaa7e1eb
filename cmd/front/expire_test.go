package main

import (
	"testing"
	"time"
)

// gpg 2.2.40's parse_expire_string, as observed with --quick-gen-key.
func TestParseExpire(t *testing.T) {
	now := time.Unix(1750000000, 0)
	for in, want := range map[string]int64{
		"": 0, "never": 0, "none": 0, "-": 0, "0": 0,
		"seconds=100":     100,
		"1d":              86400,
		"3W":              3 * 7 * 86400,
		"2m":              60 * 86400,
		"1y":              365 * 86400,
		"10":              10 * 86400,
		"2026-01-01":      1767268800 - 1750000000, // noon UTC
		"20260101T123456": 1767270896 - 1750000000,
		"20200101T000000": 1, // past ISO time: gpg makes a 1-second key
		"99999999999999y": maxExpire,
	} {
		got, err := parseExpire(in, now)
		if err != nil || got != want {
			t.Errorf("parseExpire(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"foo", "NEVER", "2020-01-01", "20260101T1234", "2026-01-01T10:00:00", "1dd", "d", "seconds=x"} {
		if got, err := parseExpire(in, now); err == nil {
			t.Errorf("parseExpire(%q) = %d, want an error", in, got)
		}
	}
}
