package stats

import (
	"testing"
	"time"
)

func TestPct(t *testing.T) {
	d := []time.Duration{5, 1, 4, 2, 3}
	if got := Median(d); got != 3 {
		t.Errorf("median of 1..5 = %v", got)
	}
	if got := Pct(d, 90); got != 5 {
		t.Errorf("p90 of 1..5 = %v", got)
	}
	if got := Median([]float64{4, 1, 3, 2}); got != 2 {
		t.Errorf("median of 1..4 = %v, want the lower middle", got)
	}
	if got := Pct([]float64(nil), 50); got != 0 {
		t.Errorf("no samples: %v", got)
	}
	if d[0] != 5 {
		t.Error("input sorted in place")
	}
}
