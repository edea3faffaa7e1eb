package openpgp

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/frontpgp/front/card/apdu"
	"github.com/frontpgp/front/internal/cardemu"
)

// memT is an in-memory Transport on the emulator that counts VERIFYs and
// can reset the card (as another program would) before the n-th APDU.
type memT struct {
	card       *cardemu.Card
	verifies   int
	resetAt    int // 1-based APDU number that finds the card reset; 0 never
	n          int
	begun      int
	reconnects int
}

func (m *memT) Transmit(cmd []byte) ([]byte, error) {
	m.n++
	if m.n == m.resetAt {
		m.card.Reset()
		return nil, apdu.ErrReset
	}
	if len(cmd) > 4 && cmd[1] == 0x20 && cmd[2] == 0x00 {
		m.verifies++
	}
	return m.card.Transmit(cmd)
}
func (m *memT) Begin() error     { m.begun++; return nil }
func (m *memT) End() error       { return nil }
func (m *memT) Reconnect() error { m.reconnects++; return nil }

func generated(t *testing.T, opts cardemu.Options) (*cardemu.Card, [3]PublicKey) {
	t.Helper()
	card := cardemu.New(opts)
	var pubs [3]PublicKey
	err := Run(&memT{card: card}, PW3, []byte(cardemu.DefaultPW3), func(c *Card) error {
		for s := SlotSign; s <= SlotAuth; s++ {
			pk, err := c.Generate(s)
			if err != nil {
				return err
			}
			pubs[s] = pk
			if err := c.SetKeyMeta(s, bytes.Repeat([]byte{byte(s + 1)}, 20), 1700000000); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return card, pubs
}

func TestStatusAndOperations(t *testing.T) {
	card, pubs := generated(t, cardemu.Options{Serial: 0xD00D})
	m := &memT{card: card}
	c, err := Select(m)
	if err != nil {
		t.Fatal(err)
	}
	d := c.Data
	if d.AID.Serial != 0xD00D || d.AID.Major != 3 || d.AID.Minor != 4 || d.AID.Manufacturer != 0xFFFF {
		t.Fatalf("AID %+v", d.AID)
	}
	if d.Attrs[0].Name() != "ed25519" || d.Attrs[1].Name() != "cv25519" || !d.ExtendedLength {
		t.Fatalf("attrs %s %s ext %v", d.Attrs[0].Name(), d.Attrs[1].Name(), d.ExtendedLength)
	}
	if d.PW.Tries != [3]int{3, 0, 3} || d.PW.PW1Multiple || d.Fingerprints[1][0] != 2 || d.Created[2] != 1700000000 {
		t.Fatalf("PW %+v fp %X created %v", d.PW, d.Fingerprints, d.Created)
	}

	digest := bytes.Repeat([]byte{0x5A}, 32)
	var sig, secret, auth []byte
	if err := Run(m, PW1Sign, []byte(cardemu.DefaultPW1), func(c *Card) (err error) {
		sig, err = c.Sign(digest)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(pubs[0].Point, digest, sig) {
		t.Fatal("card signature does not verify")
	}
	eph, _ := ecdh.X25519().GenerateKey(rand.Reader)
	if err := Run(m, PW1Other, []byte(cardemu.DefaultPW1), func(c *Card) (err error) {
		if secret, err = c.DecipherECDH(eph.PublicKey().Bytes()); err != nil {
			return err
		}
		auth, err = c.Authenticate(digest)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	cardPub, _ := ecdh.X25519().NewPublicKey(pubs[1].Point)
	want, _ := eph.ECDH(cardPub)
	if !bytes.Equal(secret, want) || !ed25519.Verify(pubs[2].Point, digest, auth) {
		t.Fatal("decipher or authenticate gave a wrong answer")
	}
	// Run left no PIN verified behind.
	for _, ref := range []PIN{PW1Sign, PW1Other, PW3} {
		if ok, _, err := c.PINState(ref); ok || err != nil {
			t.Fatalf("%X still verified after Run (%v)", ref, err)
		}
	}
	if n, err := c.SignatureCounter(); err != nil || n != 1 {
		t.Fatalf("counter %d, %v", n, err)
	}
}

// TestWrongAndBlockedPIN: a wrong PIN is one VERIFY on the wire and no
// retry; a blocked PIN sends none.
func TestWrongAndBlockedPIN(t *testing.T) {
	card, _ := generated(t, cardemu.Options{})
	m := &memT{card: card}
	called := false
	op := func(*Card) error { called = true; return nil }
	err := Run(m, PW1Sign, []byte("999999"), op)
	var wrong *WrongPINError
	if !errors.As(err, &wrong) || wrong.Left != 2 || m.verifies != 1 || called {
		t.Fatalf("err %v, %d VERIFYs, op called %v", err, m.verifies, called)
	}
	Run(m, PW1Sign, []byte("999999"), op)
	if err := Run(m, PW1Sign, []byte("999999"), op); !errors.Is(err, ErrBlocked) {
		t.Fatalf("third wrong PIN: %v", err)
	}
	m.verifies = 0
	if err := Run(m, PW1Sign, []byte(cardemu.DefaultPW1), op); !errors.Is(err, ErrBlocked) || m.verifies != 0 || called {
		t.Fatalf("blocked: %v, %d VERIFYs", err, m.verifies)
	}
	// Unblock with PW3, change PW1, then the new one works.
	if err := Run(m, PW3, []byte(cardemu.DefaultPW3), func(c *Card) error { return c.UnblockPIN([]byte("222222")) }); err != nil {
		t.Fatal(err)
	}
	if err := Run(m, 0, nil, func(c *Card) error { return c.ChangePIN(PW1Sign, []byte("222222"), []byte("333333")) }); err != nil {
		t.Fatal(err)
	}
	if err := Run(m, PW1Sign, []byte("333333"), op); err != nil || !called {
		t.Fatal(err)
	}
}

// TestResetReverifiesOnce: a reset in the middle of the operation leads to
// one reconnect, a second SELECT and VERIFY, and success; a second reset is
// an error.
func TestResetReverifiesOnce(t *testing.T) {
	card, pubs := generated(t, cardemu.Options{})
	// APDUs: SELECT, GET DATA 6E, VERIFY, PSO ← reset here.
	m := &memT{card: card, resetAt: 4}
	digest := bytes.Repeat([]byte{1}, 32)
	var sig []byte
	err := Run(m, PW1Sign, []byte(cardemu.DefaultPW1), func(c *Card) (err error) {
		sig, err = c.Sign(digest)
		return err
	})
	if err != nil || !ed25519.Verify(pubs[0].Point, digest, sig) || m.reconnects != 1 || m.verifies != 2 {
		t.Fatalf("err %v, %d reconnects, %d VERIFYs", err, m.reconnects, m.verifies)
	}
	m = &memT{card: card, resetAt: 4}
	calls := 0
	err = Run(m, PW1Sign, []byte(cardemu.DefaultPW1), func(c *Card) error {
		calls++
		m.resetAt = m.n + 1 // reset again inside every attempt
		_, err := c.Sign(digest)
		return err
	})
	if !errors.Is(err, apdu.ErrReset) || m.reconnects != 1 {
		t.Fatalf("double reset: %v, %d reconnects", err, m.reconnects)
	}
}

func FuzzParseAppData(f *testing.F) {
	c := cardemu.New(cardemu.Options{})
	c.Transmit([]byte{0x00, 0xA4, 0x04, 0x00, 0x06, 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01})
	r, _ := c.Transmit([]byte{0x00, 0xCA, 0x00, 0x6E, 0x00})
	f.Add(r[:len(r)-2])
	f.Add([]byte{0x7F, 0x49, 0x03, 0x86, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseAppData(b)
		ParseCardholder(b)
		ParsePublicKey(b)
		historicalExtended(b)
		if fpr, ok := ParseCAFingerprint(string(b)); ok && len(fpr) != 20 {
			t.Fatalf("%q: %d bytes accepted", b, len(fpr))
		}
	})
}

// TestAdminOperations: the reset code unblocks PW1 (and is refused
// without a command when not set), PUT DATA of the admin DOs lands on the
// card, a blocked PW3 gets no CHANGE REFERENCE DATA.
func TestAdminOperations(t *testing.T) {
	card, _ := generated(t, cardemu.Options{})
	m := &memT{card: card}
	n := m.n
	err := Run(m, 0, nil, func(c *Card) error { return c.ResetWithCode([]byte("12345678"), []byte("222222")) })
	if !errors.Is(err, ErrBlocked) || m.n != n+2 { // SELECT and GET DATA only
		t.Fatalf("no reset code: %v after %d APDUs", err, m.n-n)
	}
	attrs, err := AttributesFor(SlotSign, "rsa2048")
	if err != nil {
		t.Fatal(err)
	}
	dos := map[uint16][]byte{DOName: []byte("Doe<<Jo"), DOLang: []byte("deen"), DOSex: []byte("2"),
		DOURL: []byte("https://example.org/k"), DOLogin: []byte("jo"), DOPWStatus: {1}, DOAttrs: attrs}
	err = Run(m, PW3, []byte(cardemu.DefaultPW3), func(c *Card) error {
		for tag, v := range dos {
			if err := CheckAdminDO(tag, v); err != nil {
				return err
			}
			if err := c.PutData(tag, v); err != nil {
				return err
			}
		}
		return c.SetResetCode([]byte("abcdefgh"))
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Select(m)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := c.Cardholder()
	if err != nil || ch.Name != "Doe<<Jo" || ch.Lang != "deen" || ch.Sex != '2' {
		t.Fatalf("cardholder %+v, %v", ch, err)
	}
	if !c.Data.PW.PW1Multiple || c.Data.Attrs[0].Name() != "rsa2048" || c.Data.PW.Tries[1] != 3 {
		t.Fatalf("PW %+v attrs %s", c.Data.PW, c.Data.Attrs[0].Name())
	}
	if err := Run(m, 0, nil, func(c *Card) error { return c.ResetWithCode([]byte("abcdefgh"), []byte("222222")) }); err != nil {
		t.Fatal(err)
	}
	if err := Run(m, PW1Sign, []byte("222222"), func(*Card) error { return nil }); err != nil {
		t.Fatalf("new PW1 after reset code: %v", err)
	}
	for range 3 {
		Run(m, PW3, []byte("87654321"), func(*Card) error { return nil })
	}
	n = m.n
	err = Run(m, 0, nil, func(c *Card) error { return c.ChangePIN(PW3, []byte(cardemu.DefaultPW3), []byte("87654321")) })
	if !errors.Is(err, ErrBlocked) || m.n != n+2 {
		t.Fatalf("blocked PW3: %v after %d APDUs", err, m.n-n)
	}
}

func TestCheckAdminDOAndAttributes(t *testing.T) {
	for _, bad := range []struct {
		tag uint16
		v   string
	}{{DOName, "a\x01"}, {DOName, string(bytes.Repeat([]byte{'a'}, 40))}, {DOLang, "d"}, {DOLang, "DE"},
		{DOSex, "3"}, {DOPWStatus, "\x02"}, {DOAttrs, "\x99"}, {DOFingerprint, "short"}, {DOCreated + 2, "12345"},
		{0xD3, "abcdefgh"}, {0x7F21, "x"}} {
		if CheckAdminDO(bad.tag, []byte(bad.v)) == nil {
			t.Errorf("DO %X %q accepted", bad.tag, bad.v)
		}
	}
	for _, tc := range []struct {
		s    Slot
		name string
		want string
	}{{SlotSign, "ed25519", "ed25519"}, {SlotDecrypt, "cv25519", "cv25519"}, {SlotAuth, "nistp256", "nistp256"},
		{SlotDecrypt, "rsa4096", "rsa4096"}} {
		b, err := AttributesFor(tc.s, tc.name)
		if err != nil {
			t.Fatal(err)
		}
		a, err := ParseAttributes(b)
		if err != nil || a.Name() != tc.want {
			t.Fatalf("%s in slot %d: %X %v", tc.name, tc.s, b, err)
		}
	}
	for _, tc := range []struct {
		s    Slot
		name string
	}{{SlotSign, "cv25519"}, {SlotDecrypt, "ed25519"}, {SlotSign, "rsa1024"}, {SlotSign, "secp256k1"}} {
		if _, err := AttributesFor(tc.s, tc.name); err == nil {
			t.Errorf("%s in slot %d accepted", tc.name, tc.s)
		}
	}
}

func TestParseCAFingerprint(t *testing.T) {
	want := []byte{0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0, 0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0, 0x12, 0x34, 0x56, 0x78}
	for _, in := range []string{"123456789ABCDEF0123456789ABCDEF012345678", "12:34:56:78:9a:bc:de:f0:12:34:56:78:9A:BC:DE:F0:12:34:56:78",
		"1234 5678 9ABC DEF0 1234  5678 9ABC DEF0 1234 5678"} {
		if got, ok := ParseCAFingerprint(in); !ok || !bytes.Equal(got, want) {
			t.Errorf("%q: %X %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "123456789ABCDEF0123456789ABCDEF0123456", "123456789ABCDEF0123456789ABCDEF012345678 ",
		"123456789ABCDEF0123456789ABCDEF01234567890", "123456789ABCDEF0123456789ABCDEF01234567G", "::12"} {
		if _, ok := ParseCAFingerprint(in); ok {
			t.Errorf("%q accepted", in)
		}
	}
}

// TestRunOnOtherCard: RunOn on a card with another AID (one swapped in
// after the caller read its card) sends no VERIFY and runs nothing; on
// the right AID it runs.
func TestRunOnOtherCard(t *testing.T) {
	card, _ := generated(t, cardemu.Options{Serial: 0xAB})
	other, _ := generated(t, cardemu.Options{Serial: 0xCD})
	c, err := Select(&memT{card: card})
	if err != nil {
		t.Fatal(err)
	}
	aid := c.Data.AID.Raw
	called := false
	op := func(*Card) error { called = true; return nil }
	m := &memT{card: other}
	if err := RunOn(m, aid, PW1Sign, []byte(cardemu.DefaultPW1), op); !errors.Is(err, ErrOtherCard) || m.verifies != 0 || called {
		t.Fatalf("other card: %v, %d VERIFYs, op called %v", err, m.verifies, called)
	}
	m = &memT{card: card}
	if err := RunOn(m, aid, PW1Sign, []byte(cardemu.DefaultPW1), op); err != nil || m.verifies != 1 || !called {
		t.Fatalf("right card: %v, %d VERIFYs, op called %v", err, m.verifies, called)
	}
}
