package pcsc

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"github.com/frontpgp/front/card/apdu"
	"github.com/frontpgp/front/card/openpgp"
	"github.com/frontpgp/front/internal/cardemu"
)

// bySerial matches the OpenPGP card with the given AID serial.
func bySerial(serial uint32) func(*Conn) (bool, error) {
	return func(c *Conn) (bool, error) {
		card, err := openpgp.Select(c)
		if err != nil {
			return false, err
		}
		return card.Data.AID.Serial == serial, nil
	}
}

// find waits (pcscd notices an inserted card a moment after reading its
// ATR) for the card with serial.
func find(t *testing.T, ctx *Context, serial uint32) *Conn {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := ctx.Find(bySerial(serial))
		if err == nil {
			t.Cleanup(func() { conn.Close() })
			return conn
		}
		if time.Now().After(deadline) {
			t.Fatalf("card %08X: %v", serial, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func establish(t *testing.T) *Context {
	t.Helper()
	ctx, err := Establish()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ctx.Release() })
	return ctx
}

// provision generates the signature key through the transport.
func provision(t *testing.T, conn *Conn) openpgp.PublicKey {
	t.Helper()
	var pk openpgp.PublicKey
	if err := openpgp.Run(conn, openpgp.PW3, []byte(cardemu.DefaultPW3), func(c *openpgp.Card) (err error) {
		pk, err = c.Generate(openpgp.SlotSign)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return pk
}

func sign(conn *Conn, digest []byte) ([]byte, error) {
	var sig []byte
	err := openpgp.Run(conn, openpgp.PW1Sign, []byte(cardemu.DefaultPW1), func(c *openpgp.Card) (err error) {
		sig, err = c.Sign(digest)
		return err
	})
	return sig, err
}

// TestFindBySerialAndSign: two cards in vpcd's two readers; each is found
// by its serial whatever reader it sits in, and signs through pcscd in
// short-APDU-only mode too.
func TestFindBySerialAndSign(t *testing.T) {
	rig := cardemu.StartRig(t, cardemu.New(cardemu.Options{Serial: 0xAAAA0001}), cardemu.InsertOptions{})
	second := cardemu.New(cardemu.Options{Serial: 0xBBBB0002, ShortOnly: true})
	s, err := cardemu.Insert(second, "127.0.0.1:35964", cardemu.InsertOptions{}, time.Now().Add(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Remove()
	if err := s.WaitPowered(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	ctx := establish(t)
	for _, tc := range []struct {
		serial uint32
		card   *cardemu.Card
	}{{0xBBBB0002, second}, {0xAAAA0001, rig.Card}} {
		conn := find(t, ctx, tc.serial)
		pk := provision(t, conn)
		digest := bytes.Repeat([]byte{0x42}, 32)
		sig, err := sign(conn, digest)
		if err != nil || !ed25519.Verify(pk.Point, digest, sig) || tc.card.SignatureCount() != 1 {
			t.Fatalf("%08X in %s: %v", tc.serial, conn.Reader, err)
		}
	}
}

// TestResetByOtherProgram: another client resets the card; our next
// command sees apdu.ErrReset, and Run reconnects, re-selects, re-verifies.
func TestResetByOtherProgram(t *testing.T) {
	rig := cardemu.StartRig(t, cardemu.New(cardemu.Options{Serial: 7}), cardemu.InsertOptions{})
	ctx := establish(t)
	conn := find(t, ctx, 7)
	pk := provision(t, conn)

	other := establish(t)
	oc, err := other.ctx.Connect(conn.Reader, scard.ShareShared, scard.ProtocolAny)
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Disconnect(scard.LeaveCard)
	if err := oc.Reconnect(scard.ShareShared, scard.ProtocolAny, scard.ResetCard); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Transmit([]byte{0x00, 0xCA, 0x00, 0x4F, 0x00}); !errors.Is(err, apdu.ErrReset) {
		t.Fatalf("after a reset: %v", err)
	}
	if err := oc.Reconnect(scard.ShareShared, scard.ProtocolAny, scard.ResetCard); err != nil {
		t.Fatal(err)
	}
	before := len(rig.Card.Log())
	digest := bytes.Repeat([]byte{1}, 32)
	sig, err := sign(conn, digest)
	if err != nil || !ed25519.Verify(pk.Point, digest, sig) {
		t.Fatalf("sign after a reset: %v", err)
	}
	verifies := 0
	for _, c := range rig.Card.Log()[before:] {
		if c.INS == 0x20 && c.P1 == 0x00 {
			verifies++
		}
	}
	if verifies != 1 {
		t.Fatalf("%d VERIFYs after the reset", verifies)
	}
}

// TestRemovedAndExclusive: a card removed mid-session is apdu.ErrRemoved;
// a card held exclusively by another client is ErrBusy after the back-off.
func TestRemovedAndExclusive(t *testing.T) {
	rig := cardemu.StartRig(t, cardemu.New(cardemu.Options{Serial: 9}), cardemu.InsertOptions{})
	ctx := establish(t)
	conn := find(t, ctx, 9)
	reader := conn.Reader

	other := establish(t)
	oc, err := other.ctx.Connect(reader, scard.ShareExclusive, scard.ProtocolAny)
	if err == nil {
		t.Fatal("exclusive connect succeeded next to our shared connection")
	}
	conn.Close()
	if oc, err = other.ctx.Connect(reader, scard.ShareExclusive, scard.ProtocolAny); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := ctx.Connect(reader); !errors.Is(err, ErrBusy) {
		t.Fatalf("next to an exclusive holder: %v", err)
	}
	if d := time.Since(start); d < 700*time.Millisecond {
		t.Fatalf("gave up after %v, before the back-off", d)
	}
	oc.Disconnect(scard.LeaveCard)

	conn = find(t, ctx, 9)
	rig.Slot.Remove()
	var terr error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, terr = conn.Transmit([]byte{0x00, 0xCA, 0x00, 0x4F, 0x00}); terr != nil {
			break
		}
	}
	if !errors.Is(terr, apdu.ErrRemoved) {
		t.Fatalf("after removal: %v", terr)
	}
}

// TestTransactionsKeepInterferersOut: two signers and a client that keeps
// selecting another applet and resetting the PIN state. With transactions
// every signature succeeds; the control run without them must see
// failures, or the test could not fail.
func TestTransactionsKeepInterferersOut(t *testing.T) {
	card := cardemu.New(cardemu.Options{Serial: 11, Decoy: true})
	cardemu.StartRig(t, card, cardemu.InsertOptions{})
	ctx := establish(t)
	conn := find(t, ctx, 11)
	pk := provision(t, conn)
	run := func(noTx bool) (fails int) {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // the interferer
			defer wg.Done()
			ictx := establish(t)
			ic, err := ictx.Connect(conn.Reader)
			if err != nil {
				t.Error(err)
				return
			}
			defer ic.Close()
			for {
				select {
				case <-stop:
					return
				default:
				}
				ic.Transmit(append([]byte{0x00, 0xA4, 0x04, 0x00, 0x05}, cardemu.DecoyAID...))
				time.Sleep(time.Millisecond)
			}
		}()
		var mu sync.Mutex
		var signers sync.WaitGroup
		for range 2 {
			signers.Add(1)
			go func() {
				defer signers.Done()
				sctx := establish(t)
				sc, err := sctx.Connect(conn.Reader)
				if err != nil {
					t.Error(err)
					return
				}
				defer sc.Close()
				var tr openpgp.Transport = sc
				if noTx {
					tr = noTransactions{sc}
				}
				for i := range 15 {
					digest := bytes.Repeat([]byte{byte(i)}, 32)
					var sig []byte
					err := openpgp.Run(tr, openpgp.PW1Sign, []byte(cardemu.DefaultPW1), func(c *openpgp.Card) (err error) {
						sig, err = c.Sign(digest)
						return err
					})
					if err != nil || !ed25519.Verify(pk.Point, digest, sig) {
						mu.Lock()
						fails++
						mu.Unlock()
					}
				}
			}()
		}
		signers.Wait()
		close(stop)
		wg.Wait()
		return fails
	}
	if fails := run(false); fails != 0 {
		t.Fatalf("with transactions: %d of 30 signatures failed", fails)
	}
	if fails := run(true); fails == 0 {
		t.Fatal("control run without transactions: no failure, so the test cannot tell")
	}
}

// noTransactions is the control: Begin and End do nothing.
type noTransactions struct{ *Conn }

func (noTransactions) Begin() error { return nil }
func (noTransactions) End() error   { return nil }

// TestNoService: without pcscd, Establish (or the first call) is
// ErrNoService.
func TestNoService(t *testing.T) {
	if c, err := net.Dial("unix", cardemu.PCSCDSocket); err == nil {
		c.Close()
		t.Skip("a pcscd is running")
	}
	ctx, err := Establish()
	if err == nil {
		_, err = ctx.Readers()
		ctx.Release()
	}
	if !errors.Is(err, ErrNoService) {
		t.Fatalf("without pcscd: %v", err)
	}
}
