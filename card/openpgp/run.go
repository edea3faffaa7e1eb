package openpgp

import (
	"bytes"
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
//   - if another program resets the card, Run reconnects and starts over,
//     verifying again with the same PIN: after a reset that came once the
//     PIN was sent, only once (the PIN state was lost, the PIN is right
//     or the card would have said so); before, up to maxResets times
//     (nothing of ours happened yet).
//
// pin is not wiped here: the caller owns it and wipes it after Run.
func Run(t Transport, ref PIN, pin []byte, op func(*Card) error) error {
	return RunOn(t, nil, ref, pin, op)
}

// ErrOtherCard is a card whose AID is not the one RunOn was given: it was
// swapped in after the caller read the card. It got no command but
// SELECT and GET DATA 6E.
var ErrOtherCard = errors.New("another card is in the reader")

// RunOn is Run on the card whose AID is aid (nil: any card): the AID is
// checked inside the transaction, after SELECT and before anything else,
// so a PIN asked for one card never reaches another one.
func RunOn(t Transport, aid []byte, ref PIN, pin []byte, op func(*Card) error) error {
	afterVerify := 0
	for resets := 0; ; resets++ {
		verified, err := runOnce(t, aid, ref, pin, op)
		if sw, ok := apdu.SW(err); ok && sw == 0x6D00 {
			// our application was deselected under us (a reset that
			// was not reported to us, another applet selected): as
			// after a reset, the card's PIN state is gone
			err = fmt.Errorf("%w (%v)", apdu.ErrReset, err)
		}
		if !errors.Is(err, apdu.ErrReset) {
			return err
		}
		if verified {
			afterVerify++
		}
		if afterVerify > 1 || resets == maxResets {
			return err
		}
		if err := t.Reconnect(); err != nil {
			return fmt.Errorf("reconnecting after a card reset: %w", err)
		}
	}
}

// maxResets bounds the resets by other programs Run tolerates in a row.
const maxResets = 5

// runOnce is one transaction. A reset during op means op's answer was
// lost (the card's PIN state with it), so Run may repeat the whole thing.
// verified reports that the PIN was sent in it.
func runOnce(t Transport, aid []byte, ref PIN, pin []byte, op func(*Card) error) (verified bool, err error) {
	if err := t.Begin(); err != nil {
		return false, err
	}
	defer func() {
		if endErr := t.End(); err == nil && endErr != nil && !errors.Is(endErr, apdu.ErrReset) {
			err = endErr
		}
	}()
	c, err := Select(t)
	if err != nil {
		return false, err
	}
	if aid != nil && !bytes.Equal(c.Data.AID.Raw, aid) {
		return false, ErrOtherCard
	}
	if ref != 0 {
		if c.Data.PW.Tries[ref.triesIndex()] == 0 {
			return false, ErrBlocked
		}
		if err := c.Verify(ref, pin); err != nil {
			// a reset during VERIFY counts as after it: the card may
			// have judged the PIN
			return errors.Is(err, apdu.ErrReset), err
		}
	}
	if err := op(c); err != nil {
		if !errors.Is(err, apdu.ErrReset) {
			c.resetVerification(ref)
		}
		return ref != 0, err
	}
	c.resetVerification(ref)
	return ref != 0, nil
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
