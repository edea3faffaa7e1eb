package cardemu

import (
	"errors"
	"os"
	"testing"
	"time"
)

// Rig is a pcscd started for one test with an emulated card in its vpcd
// reader.
type Rig struct {
	PCSCD *PCSCD
	Card  *Card
	Slot  *Slot
}

// StartRig starts pcscd, inserts card and registers the cleanup (card
// removed, pcscd stopped by PID). A missing tool or a non-root uid skips
// the test, except under CI=true where it is an error.
func StartRig(t testing.TB, card *Card, opts InsertOptions) *Rig {
	t.Helper()
	p, err := StartPCSCD()
	if err != nil {
		if (errors.Is(err, ErrMissing) || os.Geteuid() != 0) && os.Getenv("CI") != "true" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	r := &Rig{PCSCD: p, Card: card}
	r.Reinsert(t, opts)
	return r
}

// Reinsert puts the card (back) into the reader and waits until pcscd has
// read its ATR.
func (r *Rig) Reinsert(t testing.TB, opts InsertOptions) {
	t.Helper()
	s, err := Insert(r.Card, VPCDAddr, opts, time.Now().Add(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Remove() })
	if err := s.WaitPowered(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	r.Slot = s
}
