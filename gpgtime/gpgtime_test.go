package gpgtime

import (
	"testing"
	"time"
)

func TestAscInZone(t *testing.T) {
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Skip("no zoneinfo:", err)
	}
	// 22:30 UTC is already the next day in Kolkata (UTC+5:30).
	got := time.Unix(1700001000, 0).In(kolkata).Format("Mon Jan _2 15:04:05 2006 MST")
	if want := "Wed Nov 15 04:00:00 2023 IST"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestLocalFor(t *testing.T) {
	utc := time.UTC
	named := time.FixedZone("Asia/Kolkata", 19800)
	at := time.Unix(1700001000, 0)
	for _, c := range []struct {
		tz   string
		set  bool
		goLo *time.Location
		want string
	}{
		{"", false, named, "Wed Nov 15 04:00:00 2023 Asia/Kolkata"}, // /etc/localtime, as Go read it
		{"Asia/Kolkata", true, named, "Wed Nov 15 04:00:00 2023 Asia/Kolkata"},
		{"IST-5:30", true, utc, "Wed Nov 15 04:00:00 2023 IST"},
		{":JST-9", true, utc, "Wed Nov 15 07:30:00 2023 JST"},
		{"EST+5", true, utc, "Tue Nov 14 17:30:00 2023 EST"},
		{"<+0330>-3:30", true, utc, "Wed Nov 15 02:00:00 2023 +0330"},
		{"UTC0", true, utc, "Tue Nov 14 22:30:00 2023 UTC"},
		{"", true, utc, "Tue Nov 14 22:30:00 2023 UTC"},
		{"EST5EDT,M3.2.0,M11.1.0", true, utc, "Tue Nov 14 22:30:00 2023 UTC"}, // DST rules: not parsed
		{"IST-5:30:00:00", true, utc, "Tue Nov 14 22:30:00 2023 UTC"},         // not an offset
	} {
		got := at.In(localFor(c.tz, c.set, c.goLo)).Format("Mon Jan _2 15:04:05 2006 MST")
		if got != c.want {
			t.Errorf("TZ=%q: got %q, want %q", c.tz, got, c.want)
		}
	}
}
