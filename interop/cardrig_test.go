package interop

// The smart card peer, started by the script and stopped when it ends
// (ts.Defer; pcscd by PID):
//
//	cardrig SERIAL [keys]   pcscd (as root, its vpcd reader) and an emulated
//	                        OpenPGP card (internal/cardemu, served by the test
//	                        process) with serial SERIAL (8 hex digits) in the
//	                        reader; keys: Ed25519/cv25519/Ed25519 keys are
//	                        generated on it first, with fingerprints A5…,
//	                        B6…, C7… and creation time 1700000000. Use
//	                        [root] and [have:pcscd]; GnuPG needs a home with
//	                        scdaemon.conf "disable-ccid" and "pcsc-shared".

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/frontpgp/front/card/openpgp"
	"github.com/frontpgp/front/card/pcsc"
	"github.com/frontpgp/front/internal/cardemu"
	"github.com/rogpeppe/go-internal/testscript"
)

func cmdCardRig(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 || len(args) == 2 && args[1] != "keys" {
		ts.Fatalf("usage: cardrig SERIAL [keys]")
	}
	serial, err := strconv.ParseUint(args[0], 16, 32)
	ts.Check(err)
	card := cardemu.New(cardemu.Options{Serial: uint32(serial)})
	if len(args) == 2 {
		ts.Check(generateKeys(card))
	}
	p, err := cardemu.StartPCSCD()
	ts.Check(err)
	ts.Defer(p.Stop)
	s, err := cardemu.Insert(card, cardemu.VPCDAddr, cardemu.InsertOptions{}, time.Now().Add(10*time.Second))
	ts.Check(err)
	ts.Defer(func() { s.Remove() })
	ts.Check(s.WaitPowered(10 * time.Second))
	ts.Check(waitCardVisible())
}

// waitCardVisible waits until a PC/SC client sees the card: pcscd lists
// it a moment after reading its ATR.
func waitCardVisible() error {
	ctx, err := pcsc.Establish()
	if err != nil {
		return err
	}
	defer ctx.Release()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		conn, err := ctx.Find(func(*pcsc.Conn) (bool, error) { return true, nil })
		if err == nil {
			return conn.Close()
		}
		if time.Now().After(deadline) {
			return err
		}
	}
}

// generateKeys provisions card directly (no reader involved), as gpg
// --card-edit generate would, with fixed fingerprints and times.
func generateKeys(card *cardemu.Card) error {
	c, err := openpgp.Select(card)
	if err != nil {
		return err
	}
	if err := c.Verify(openpgp.PW3, []byte(cardemu.DefaultPW3)); err != nil {
		return err
	}
	for i, s := range []openpgp.Slot{openpgp.SlotSign, openpgp.SlotDecrypt, openpgp.SlotAuth} {
		if _, err := c.Generate(s); err != nil {
			return fmt.Errorf("generating key %d: %w", i, err)
		}
		if err := c.SetKeyMeta(s, bytes.Repeat([]byte{0xA5 + 0x11*byte(i)}, 20), 1700000000); err != nil {
			return err
		}
	}
	return nil
}
