// Package pcsc is the card transport: PC/SC through pcscd with
// github.com/ebfe/scard (libpcsclite). It connects in shared mode only —
// never exclusive, so other programs (GnuPG's scdaemon in pcsc-shared mode,
// OpenSC, a second front) keep working — wraps operations in PC/SC
// transactions, reconnects after another program reset the card, and finds
// cards by what is on them rather than by reader name.
//
// Errors are mapped onto sentinels the upper layers test with errors.Is:
// ErrNoService (no pcscd), ErrBusy (a reader held exclusively),
// apdu.ErrReset and apdu.ErrRemoved.
package pcsc

import (
	"errors"
	"fmt"
	"time"

	"github.com/ebfe/scard"

	"github.com/frontpgp/front/card/apdu"
)

var (
	// ErrNoService is returned when pcscd does not answer.
	ErrNoService = errors.New("no PC/SC service (is pcscd running?)")
	// ErrBusy is returned when another program holds the card
	// exclusively for longer than the back-off.
	ErrBusy = errors.New("the card is in exclusive use by another program")
	// ErrNoCard is returned when no reader has a matching card.
	ErrNoCard = errors.New("no matching card found")
)

// busyBackoff is how long Connect retries a sharing violation: long enough
// for another client's short exclusive use, short enough to fail clearly.
var busyBackoff = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}

// mapErr turns libpcsclite errors into this package's and apdu's sentinels,
// keeping the original in the chain for the message.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var sentinel error
	switch err {
	case scard.ErrNoService, scard.ErrServiceStopped:
		sentinel = ErrNoService
	case scard.ErrNoReadersAvailable:
		sentinel = ErrNoCard
	case scard.ErrSharingViolation:
		sentinel = ErrBusy
	case scard.ErrResetCard:
		sentinel = apdu.ErrReset
	case scard.ErrRemovedCard, scard.ErrNoSmartcard:
		sentinel = apdu.ErrRemoved
	default:
		return fmt.Errorf("pcsc: %s: %w", op, err)
	}
	return fmt.Errorf("pcsc: %s: %w (%w)", op, sentinel, err)
}

// Context is a PC/SC context (one connection to pcscd).
type Context struct{ ctx *scard.Context }

// Establish connects to pcscd.
func Establish() (*Context, error) {
	ctx, err := scard.EstablishContext()
	if err != nil {
		return nil, mapErr("establishing a context", err)
	}
	return &Context{ctx: ctx}, nil
}

// Release closes the context.
func (c *Context) Release() error { return mapErr("release", c.ctx.Release()) }

// Readers lists the reader names; none is an empty list, not an error.
func (c *Context) Readers() ([]string, error) {
	r, err := c.ctx.ListReaders()
	if err == scard.ErrNoReadersAvailable {
		return nil, nil
	}
	return r, mapErr("listing readers", err)
}

// Conn is a shared connection to the card in one reader. It implements
// apdu.Transport and openpgp.Transport.
type Conn struct {
	card   *scard.Card
	Reader string
}

// Connect connects to the card in reader, shared, T=0 or T=1. A sharing
// violation is retried briefly, then ErrBusy.
func (c *Context) Connect(reader string) (*Conn, error) {
	for i := 0; ; i++ {
		card, err := c.ctx.Connect(reader, scard.ShareShared, scard.ProtocolAny)
		if err == nil {
			return &Conn{card: card, Reader: reader}, nil
		}
		if err != scard.ErrSharingViolation || i == len(busyBackoff) {
			return nil, mapErr("connecting to "+reader, err)
		}
		time.Sleep(busyBackoff[i])
	}
}

// Find connects to each reader's card in turn and returns the first for
// which match reports true (e.g. the OpenPGP AID has the wanted serial):
// cards are identified by content, since reader names and order change.
// Readers without a card, or held exclusively, are skipped; if one was
// busy and none matched, the error says so.
func (c *Context) Find(match func(*Conn) (bool, error)) (*Conn, error) {
	readers, err := c.Readers()
	if err != nil {
		return nil, err
	}
	var busy error
	for _, r := range readers {
		conn, err := c.Connect(r)
		if errors.Is(err, ErrBusy) {
			busy = err
			continue
		}
		if err != nil {
			continue // no card in this reader, or it is mute
		}
		ok, err := match(conn)
		if err == nil && ok {
			return conn, nil
		}
		conn.Close()
	}
	if busy != nil {
		return nil, busy
	}
	return nil, ErrNoCard
}

// Transmit sends one APDU. scard panics on an empty command; refuse it.
func (c *Conn) Transmit(cmd []byte) ([]byte, error) {
	if len(cmd) < 4 {
		return nil, errors.New("pcsc: command APDU shorter than its header")
	}
	r, err := c.card.Transmit(cmd)
	if err == scard.ErrNotTransacted && c.removed() {
		// A reader driver that loses the card mid-command (vpcd, some
		// CCID readers) reports a failed transaction; pcscd reports the
		// removal only on the next call.
		err = scard.ErrRemovedCard
	}
	return r, mapErr("transmit", err)
}

// removed asks pcscd whether the card has left the reader, for up to
// removalPoll: pcscd notices a removal by polling the driver.
func (c *Conn) removed() bool {
	for deadline := time.Now().Add(removalPoll); ; time.Sleep(50 * time.Millisecond) {
		st, err := c.card.Status()
		if err != nil {
			return err == scard.ErrRemovedCard || err == scard.ErrNoSmartcard
		}
		if st.State&0xFFFF&scard.Present == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

const removalPoll = time.Second

// Begin starts a transaction: pcscd makes other clients' commands wait
// until End. Begin itself waits while another client's transaction is open.
func (c *Conn) Begin() error { return mapErr("begin transaction", c.card.BeginTransaction()) }

// End ends the transaction, leaving the card as it is (no reset: the PIN
// state was already reset by the caller, and a reset would hurt others).
func (c *Conn) End() error { return mapErr("end transaction", c.card.EndTransaction(scard.LeaveCard)) }

// Reconnect re-establishes the connection after apdu.ErrReset, shared and
// without resetting the card again.
func (c *Conn) Reconnect() error {
	return mapErr("reconnect", c.card.Reconnect(scard.ShareShared, scard.ProtocolAny, scard.LeaveCard))
}

// ATR returns the card's answer to reset.
func (c *Conn) ATR() ([]byte, error) {
	st, err := c.card.Status()
	if err != nil {
		return nil, mapErr("status", err)
	}
	return st.Atr, nil
}

// Close disconnects, leaving the card as it is.
func (c *Conn) Close() error { return mapErr("disconnect", c.card.Disconnect(scard.LeaveCard)) }
