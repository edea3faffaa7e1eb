// Package gpgtime formats times the way gpg 2.2.40 does in the C locale.
//
// gpg has two kinds of human-readable times: dates from strtimestamp and
// isotimestamp, which use gmtime (key listings, SIG_ID/VALIDSIG dates,
// --list-packets, "next trustdb check due"), and asctimestamp, which uses
// localtime (the "Signature made/expires/expired" lines, "Key expires at"
// prompts, the --export-ownertrust header). Asc is the latter; the zone is
// the process's local zone as glibc finds it: $TZ, else /etc/localtime.
//
// Zone data: Go's time.Local reads $TZ and /etc/localtime and the system's
// zoneinfo files, exactly the files glibc reads for gpg. front does not embed
// Go's time/tzdata: on a machine without zoneinfo files gpg prints UTC for
// TZ=Area/City, and so does front; an embedded database would make the two
// differ on exactly those machines (and add ~450 kB to the static binary).
// What Go does not read is a POSIX TZ rule in $TZ itself ("IST-5:30",
// "JST-9"); glibc does, so Local handles the fixed-offset form of it.
package gpgtime

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Asc is gpg's asctimestamp in the C locale ("%c %Z"): local time, e.g.
// "Wed Nov 15 04:00:00 2023 IST".
func Asc(t time.Time) string {
	return t.In(Local()).Format("Mon Jan _2 15:04:05 2006 MST")
}

// AscUnix is Asc of a Unix time.
func AscUnix(unix int64) string {
	return Asc(time.Unix(unix, 0))
}

var local = sync.OnceValue(func() *time.Location {
	tz, set := os.LookupEnv("TZ")
	return localFor(tz, set, time.Local)
})

// Local is the zone gpg's localtime() uses.
func Local() *time.Location { return local() }

// localFor picks the zone for $TZ (set says whether TZ is in the
// environment at all) given goLocal, the zone Go's runtime chose. Go falls
// back to UTC for a $TZ that names no zoneinfo file; then a fixed-offset
// POSIX rule is honoured as glibc honours it.
func localFor(tz string, set bool, goLocal *time.Location) *time.Location {
	if !set || goLocal.String() != "UTC" {
		return goLocal
	}
	if loc, ok := posixFixed(strings.TrimPrefix(tz, ":")); ok {
		return loc
	}
	return goLocal
}

// posixFixed parses a POSIX TZ rule without a daylight-saving part: a name
// of at least three letters (or <...> quoted, letters, digits, + and -) and
// an offset [+-]hh[:mm[:ss]] west of Greenwich (POSIX sign convention:
// "IST-5:30" is UTC+5:30).
func posixFixed(s string) (*time.Location, bool) {
	if len(s) > 64 {
		return nil, false
	}
	var name, rest string
	if strings.HasPrefix(s, "<") {
		end := strings.IndexByte(s, '>')
		if end < 0 {
			return nil, false
		}
		name, rest = s[1:end], s[end+1:]
	} else {
		i := 0
		for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z') {
			i++
		}
		name, rest = s[:i], s[i:]
	}
	if len(name) < 3 || rest == "" {
		return nil, false
	}
	sign := 1
	switch rest[0] {
	case '-':
		sign = -1
		rest = rest[1:]
	case '+':
		rest = rest[1:]
	}
	parts := strings.Split(rest, ":")
	if len(parts) > 3 {
		return nil, false
	}
	secs := 0
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || len(p) == 0 || len(p) > 2 || n < 0 || (i == 0 && n > 24) || (i > 0 && n > 59) {
			return nil, false
		}
		secs += n * []int{3600, 60, 1}[i]
	}
	// POSIX offsets are west of UTC, Go's east.
	return time.FixedZone(name, -sign*secs), true
}
