// Package stats holds the summaries every benchmark here prints: nearest-rank
// percentiles and medians of the timed rounds, milliseconds, and the goal
// verdict, so that all the tables read the same way.
package stats

import (
	"cmp"
	"slices"
	"time"
)

// Pct is the nearest-rank p-th percentile of v (the zero value for no
// samples); v is left unsorted.
func Pct[T cmp.Ordered](v []T, p int) T {
	var zero T
	if len(v) == 0 {
		return zero
	}
	s := slices.Clone(v)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[i]
}

// Median is Pct(v, 50): the lower middle sample for an even count.
func Median[T cmp.Ordered](v []T) T { return Pct(v, 50) }

// MS is d in milliseconds.
func MS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Verdict is the goal column: "ok" or "MISSED".
func Verdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}
