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
//	                        p256: NIST P-256 attributes (ECDSA, ECDH,
//	                        ECDSA), no key.
//	                        decoy: a second applet (PIV-like) that is
//	                        selected at power-on, as on a YubiKey.
//	                        blank: no key is generated (with rsa: RSA 2048
//	                        attributes, empty slots), for gpg --card-edit.
//	                        claimki: the card announces key import (C0), for
//	                        generate's backup question and keytocard.
//	                        short: no extended length (ATR and 7F66): long
//	                        commands are chained, long answers come by
//	                        61xx and GET RESPONSE.
//	                        One cardrig per script (pcscd is one per machine:
//	                        scripts take turns). Use [root] and [have:pcscd];
//	                        GnuPG needs a home with scdaemon.conf
//	                        "disable-ccid" and "pcsc-shared".
//	cardswap SERIAL|none|back|fresh|removing N
//	                        a new blank card with SERIAL in the reader
//	                        instead of the script's; none: the reader
//	                        empty; back: the script's card again; fresh:
//	                        a new card made as cardrig made the script's
//	                        (ours and gpg run the same commands on equal
//	                        cards; kill gpg's agent first, scdaemon caches
//	                        card state); removing N: the script's card,
//	                        removed after N APDUs (from pcscd's own
//	                        power-up on).
//	cardhold DURATION       another program holds the reader exclusively
//	                        for DURATION (in the background; cardhold
//	                        returns once it holds it).
//	cardinterfere start|stop
//	                        another program, in a loop: selects the decoy
//	                        applet, and every 5th time resets the card;
//	                        stop prints "interfered N" (N commands).
//	cardpcscd stop|noreaders
//	                        stop: stops the script's pcscd (by PID):
//	                        clients find no pcscd; noreaders: replaces it
//	                        by a pcscd without any reader (an empty
//	                        reader configuration directory). No other
//	                        script starts a pcscd until this one ends.
//	cardlog [INS]           stdout := the commands the card got since the
//	                        last cardlog, one "CLA INS P1 P2" (hex) per line;
//	                        with INS (hex), only those with that INS.

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ebfe/scard"
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
		if f != "keys" && f != "rsa" && f != "p256" && f != "holder" && f != "blank" && f != "decoy" && f != "claimki" && f != "short" {
			ts.Fatalf("cardrig: unknown flag %q", f)
		}
		flags[f] = true
	}
	opts := cardemu.Options{Serial: uint32(serial), Decoy: flags["decoy"], ClaimKeyImport: flags["claimki"], ShortOnly: flags["short"]}
	var slots []openpgp.Slot
	switch {
	case flags["rsa"]:
		rsa := cardemu.AttrRSA(2048)
		opts.Attrs = [3][]byte{rsa, rsa, rsa}
		slots = []openpgp.Slot{openpgp.SlotSign}
	case flags["p256"]:
		opts.Attrs = [3][]byte{cardemu.AttrP256ECDSA, cardemu.AttrP256ECDH, cardemu.AttrP256ECDSA}
	case flags["keys"]:
		slots = []openpgp.Slot{openpgp.SlotSign, openpgp.SlotDecrypt, openpgp.SlotAuth}
	}
	if flags["blank"] {
		slots = nil
	}
	fresh := func() *cardemu.Card {
		card := cardemu.New(opts)
		ts.Check(provisionCard(card, slots, flags["holder"]))
		return card
	}
	card := fresh()
	p, err := cardemu.StartPCSCD()
	ts.Check(err)
	ts.Defer(p.Stop)
	rc := &rigCard{card: card, own: card, fresh: fresh, pcscd: p}
	rigCards.Store(ts, rc)
	ts.Defer(func() {
		rigCards.Delete(ts)
		if rc.slot != nil {
			rc.slot.Remove()
		}
	})
	rc.insert(ts, card)
}

// insert puts card into the reader and waits until clients see it.
func (rc *rigCard) insert(ts *testscript.TestScript, card *cardemu.Card) {
	rc.insertWith(ts, card, cardemu.InsertOptions{})
}

func (rc *rigCard) insertWith(ts *testscript.TestScript, card *cardemu.Card, opts cardemu.InsertOptions) {
	s, err := cardemu.Insert(card, cardemu.VPCDAddr, opts, time.Now().Add(10*time.Second))
	ts.Check(err)
	rc.slot, rc.card, rc.seen = s, card, 0
	ts.Check(s.WaitPowered(10 * time.Second))
	ts.Check(pcscwait.WaitVisible(10 * time.Second))
}

// cmdCardSwap: cardswap SERIAL puts a new blank card with SERIAL into the
// reader instead of the script's card; cardswap none leaves the reader
// empty; cardswap back puts the script's card back; cardswap fresh puts a
// new card made as cardrig made the script's; cardswap removing N puts the
// script's card back, to be removed after N APDUs.
func cmdCardSwap(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 && !(len(args) == 2 && args[0] == "removing") {
		ts.Fatalf("usage: cardswap SERIAL|none|back|fresh|removing N")
	}
	v, ok := rigCards.Load(ts)
	if !ok {
		ts.Fatalf("cardswap: no cardrig in this script")
	}
	rc := v.(*rigCard)
	if rc.slot != nil {
		ts.Check(rc.slot.Remove())
		rc.slot = nil
	}
	switch args[0] {
	case "none":
		// pcscd notices the closed connection at once; give clients a
		// moment to see the reader empty
		time.Sleep(200 * time.Millisecond)
	case "back":
		rc.insert(ts, rc.own)
	case "fresh":
		rc.insert(ts, rc.fresh())
	case "removing":
		// the script's card, removed after it answered N more APDUs
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		rc.insertWith(ts, rc.own, cardemu.InsertOptions{RemoveAfter: n})
	default:
		serial, err := strconv.ParseUint(args[0], 16, 32)
		ts.Check(err)
		rc.insert(ts, cardemu.New(cardemu.Options{Serial: uint32(serial)}))
	}
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

// rigCard is a script's card (own), the card in the reader and its slot
// (nil: none), and how much of its log cardlog has shown.
type rigCard struct {
	own, card *cardemu.Card
	slot      *cardemu.Slot
	seen      int
	fresh     func() *cardemu.Card // a new card made as cardrig made own
	pcscd     *cardemu.PCSCD
}

func cmdCardPCSCD(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 || args[0] != "stop" && args[0] != "noreaders" {
		ts.Fatalf("usage: cardpcscd stop|noreaders")
	}
	v, ok := rigCards.Load(ts)
	if !ok {
		ts.Fatalf("cardpcscd: no cardrig in this script")
	}
	p := v.(*rigCard).pcscd
	if args[0] == "stop" {
		p.Halt()
		return
	}
	dir := ts.MkAbs("empty-reader.conf.d")
	ts.Check(os.MkdirAll(dir, 0o755))
	ts.Check(p.RestartWithoutReaders(dir))
}

// rigCards maps a running script to its card.
var rigCards sync.Map

func cmdCardLog(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 1 {
		ts.Fatalf("usage: cardlog [INS]")
	}
	v, ok := rigCards.Load(ts)
	if !ok {
		ts.Fatalf("cardlog: no cardrig in this script")
	}
	rc := v.(*rigCard)
	log := rc.card.Log()
	var b strings.Builder
	for _, c := range log[rc.seen:] {
		if len(args) == 1 && fmt.Sprintf("%02X", c.INS) != strings.ToUpper(args[0]) {
			continue
		}
		fmt.Fprintf(&b, "%02X %02X %02X %02X\n", c.CLA, c.INS, c.P1, c.P2)
	}
	rc.seen = len(log)
	ts.Stdout().Write([]byte(b.String()))
}

// readerName is the reader the script's card is in.
func readerName(ts *testscript.TestScript) (*scard.Context, string) {
	ctx, err := scard.EstablishContext()
	ts.Check(err)
	readers, err := ctx.ListReaders()
	ts.Check(err)
	if len(readers) == 0 {
		ts.Fatalf("no reader")
	}
	return ctx, readers[0]
}

func cmdCardHold(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: cardhold DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	ctx, reader := readerName(ts)
	// a shared connection another client is closing may linger a moment
	var card *scard.Card
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		card, err = ctx.Connect(reader, scard.ShareExclusive, scard.ProtocolAny)
		if err != scard.ErrSharingViolation || time.Now().After(deadline) {
			break
		}
	}
	ts.Check(err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(d)
		card.Disconnect(scard.LeaveCard)
		ctx.Release()
	}()
	ts.Defer(func() { <-done })
}

// interferer is a running cardinterfere.
type interferer struct {
	stop chan struct{}
	done chan int
}

var interferers sync.Map

func cmdCardInterfere(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 || args[0] != "start" && args[0] != "stop" {
		ts.Fatalf("usage: cardinterfere start|stop")
	}
	if args[0] == "stop" {
		v, ok := interferers.LoadAndDelete(ts)
		if !ok {
			ts.Fatalf("cardinterfere: not started")
		}
		in := v.(*interferer)
		close(in.stop)
		fmt.Fprintf(ts.Stdout(), "interfered %d\n", <-in.done)
		return
	}
	ctx, reader := readerName(ts)
	card, err := ctx.Connect(reader, scard.ShareShared, scard.ProtocolAny)
	ts.Check(err)
	in := &interferer{stop: make(chan struct{}), done: make(chan int, 1)}
	interferers.Store(ts, in)
	go func() {
		n := 0
		defer func() {
			card.Disconnect(scard.LeaveCard)
			ctx.Release()
			in.done <- n
		}()
		selectDecoy := append([]byte{0x00, 0xA4, 0x04, 0x00, byte(len(cardemu.DecoyAID))}, cardemu.DecoyAID...)
		for i := 0; ; i++ {
			select {
			case <-in.stop:
				return
			default:
			}
			var err error
			if i%5 == 4 {
				err = card.Reconnect(scard.ShareShared, scard.ProtocolAny, scard.ResetCard)
			} else {
				_, err = card.Transmit(selectDecoy)
			}
			if err == scard.ErrResetCard || err == scard.ErrRemovedCard {
				card.Reconnect(scard.ShareShared, scard.ProtocolAny, scard.LeaveCard)
			} else if err == nil {
				n++
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	ts.Defer(func() {
		if v, ok := interferers.LoadAndDelete(ts); ok {
			close(v.(*interferer).stop)
			<-v.(*interferer).done
		}
	})
}
