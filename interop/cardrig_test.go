package interop

// The smart card peer, started by the script and stopped when it ends
// (ts.Defer; pcscd by PID):
//
//	cardrig SERIAL [FLAG...]
//	                        pcscd (as root, its vpcd reader) and an emulated
//	                        OpenPGP card (internal/cardemu, served by the test
//	                        process) with serial SERIAL (8 hex digits) in the
//	                        reader. FLAGs: keys: Ed25519/cv25519/Ed25519 keys
//	                        are generated on it, with fingerprints A5…, B6…,
//	                        C7… and creation time 1700000000; rsa: RSA 2048
//	                        attributes in every slot and a signature key
//	                        only (A5…); holder: cardholder "Doe<<Jo", language
//	                        "de", salutation Ms., URL and login data set.
//	                        One cardrig per script (pcscd is one per machine:
//	                        scripts take turns). Use [root] and [have:pcscd];
//	                        GnuPG needs a home with scdaemon.conf
//	                        "disable-ccid" and "pcsc-shared".
//	cardswap                the rig's card is removed and a fresh one,
//	                        made as cardrig made it, inserted (run gpg's
//	                        agentkill first: scdaemon caches card state)

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/frontpgp/front/card/openpgp"
	"github.com/frontpgp/front/internal/cardemu"
	"github.com/frontpgp/front/internal/pcscwait"
	"github.com/rogpeppe/go-internal/testscript"
)

func cmdCardRig(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: cardrig SERIAL [keys|rsa|holder...]")
	}
	serial, err := strconv.ParseUint(args[0], 16, 32)
	ts.Check(err)
	flags := map[string]bool{}
	for _, f := range args[1:] {
		if f != "keys" && f != "rsa" && f != "holder" {
			ts.Fatalf("cardrig: unknown flag %q", f)
		}
		flags[f] = true
	}
	opts := cardemu.Options{Serial: uint32(serial)}
	var slots []openpgp.Slot
	switch {
	case flags["rsa"]:
		rsa := cardemu.AttrRSA(2048)
		opts.Attrs = [3][]byte{rsa, rsa, rsa}
		slots = []openpgp.Slot{openpgp.SlotSign}
	case flags["keys"]:
		slots = []openpgp.Slot{openpgp.SlotSign, openpgp.SlotDecrypt, openpgp.SlotAuth}
	}
	fresh := func() *cardemu.Card {
		card := cardemu.New(opts)
		ts.Check(provisionCard(card, slots, flags["holder"]))
		return card
	}
	p, err := cardemu.StartPCSCD()
	ts.Check(err)
	ts.Defer(p.Stop)
	r := &rig{fresh: fresh}
	r.insert(ts)
	rigs.Store(ts, r)
	ts.Defer(func() { rigs.Delete(ts); r.slot.Remove() })
}

// rig is the card of a script's cardrig: cardswap replaces it with a
// fresh one made the same way, so that ours and gpg can run the same
// commands on equal cards.
type rig struct {
	fresh func() *cardemu.Card
	slot  *cardemu.Slot
}

var rigs sync.Map // *testscript.TestScript -> *rig

func (r *rig) insert(ts *testscript.TestScript) {
	s, err := cardemu.Insert(r.fresh(), cardemu.VPCDAddr, cardemu.InsertOptions{}, time.Now().Add(10*time.Second))
	ts.Check(err)
	r.slot = s
	ts.Check(s.WaitPowered(10 * time.Second))
	ts.Check(pcscwait.WaitVisible(10 * time.Second))
}

// cmdCardSwap: cardswap takes the card of the script's cardrig out of its
// reader and puts a fresh one (same serial and flags) in.
func cmdCardSwap(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: cardswap")
	}
	v, ok := rigs.Load(ts)
	if !ok {
		ts.Fatalf("cardswap: no cardrig in this script")
	}
	r := v.(*rig)
	r.slot.Remove() // returns once the card has left; its error is the closed connection
	r.insert(ts)
}

// provisionCard sets card up directly (no reader involved), as gpg
// --card-edit would: keys generated in slots with fixed fingerprints and
// times, and the cardholder data if holder.
func provisionCard(card *cardemu.Card, slots []openpgp.Slot, holder bool) error {
	c, err := openpgp.Select(card)
	if err != nil {
		return err
	}
	if err := c.Verify(openpgp.PW3, []byte(cardemu.DefaultPW3)); err != nil {
		return err
	}
	for _, s := range slots {
		if _, err := c.Generate(s); err != nil {
			return fmt.Errorf("generating key %d: %w", s, err)
		}
		if err := c.SetKeyMeta(s, bytes.Repeat([]byte{0xA5 + 0x11*byte(s)}, 20), 1700000000); err != nil {
			return err
		}
	}
	if !holder {
		return nil
	}
	for tag, v := range map[uint16]string{0x5B: "Doe<<Jo", 0x5F2D: "de", 0x5F35: "2",
		0x5F50: "https://example.org/jo.asc", 0x5E: "jo"} {
		if err := c.PutData(tag, []byte(v)); err != nil {
			return fmt.Errorf("PUT DATA %X: %w", tag, err)
		}
	}
	return nil
}
