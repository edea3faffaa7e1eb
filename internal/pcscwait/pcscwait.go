// Package pcscwait is for tests with the emulated card: pcscd lists a
// card a moment after it read its ATR (cardemu's WaitPowered), and a
// client that comes before that finds no card. It is a package of its
// own because card/pcsc's tests use internal/cardemu.
package pcscwait

import (
	"time"

	"github.com/frontpgp/front/card/pcsc"
)

// WaitVisible waits until a PC/SC client of pcscd finds a card.
func WaitVisible(timeout time.Duration) error {
	ctx, err := pcsc.Establish()
	if err != nil {
		return err
	}
	defer ctx.Release()
	for deadline := time.Now().Add(timeout); ; time.Sleep(50 * time.Millisecond) {
		conn, err := ctx.Find(func(*pcsc.Conn) (bool, error) { return true, nil })
		if err == nil {
			return conn.Close()
		}
		if time.Now().After(deadline) {
			return err
		}
	}
}
