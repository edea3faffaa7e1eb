package openpgp

import (
	"errors"
	"fmt"

	"github.com/frontpgp/front/card/apdu"
)

// Transport is what Run needs below the APDU layer: exchanges, a
// transaction that keeps other PC/SC clients out, and a reconnect after the
// card was reset (apdu.ErrReset).
type Transport interface {
	apdu.Transport
	Begin() error
	End() error
	Reconnect() error
}

// Run performs op with ref verified, following the rules of card.md:
//   - the caller asked for pin before calling Run (no prompt inside the
//     transaction, where other programs wait);
//   - everything happens in one transaction: SELECT, read C4, VERIFY,
//     op, VERIFY FF, End;
//   - a blocked PIN (counter 0) gets no VERIFY: ErrBlocked;
//   - a wrong PIN is returned (*WrongPINError), never retried;
//   - if another program resets the card, Run reconnects and starts over
//     once, verifying again with the same PIN: the card never judged it.
//
// pin is not wiped here: the caller owns it and wipes it after Run.
func Run(t Transport, ref PIN, pin []byte, op func(*Card) error) error {
	err := runOnce(t, ref, pin, op)
	if !errors.Is(err, apdu.ErrReset) {
		return err
	}
	if err := t.Reconnect(); err != nil {
		return fmt.Errorf("reconnecting after a card reset: %w", err)
	}
	return runOnce(t, ref, pin, op)
}

// runOnce is one transaction. A reset during op means op's answer was
// lost (the card's PIN state with it), so Run may repeat the whole thing.
func runOnce(t Transport, ref PIN, pin []byte, op func(*Card) error) (err error) {
	if err := t.Begin(); err != nil {
		return err
	}
	defer func() {
		if endErr := t.End(); err == nil && endErr != nil && !errors.Is(endErr, apdu.ErrReset) {
			err = endErr
		}
	}()
	c, err := Select(t)
	if err != nil {
		return err
	}
	if ref != 0 {
		if c.Data.PW.Tries[ref.triesIndex()] == 0 {
			return ErrBlocked
		}
		if err := c.Verify(ref, pin); err != nil {
			return err
		}
	}
	if err := op(c); err != nil {
		if !errors.Is(err, apdu.ErrReset) {
			c.resetVerification(ref)
		}
		return err
	}
	c.resetVerification(ref)
	return nil
}

// resetVerification ends a verified session. Its failure is not the
// operation's: a card reset or removal at this point has dropped the PIN
// state anyway.
func (c *Card) resetVerification(ref PIN) {
	if ref == 0 {
		return
	}
	c.ResetVerification(ref)
}
