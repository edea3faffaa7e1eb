package keyslot

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func testMeta() Meta {
	return Meta{Primary: bytes.Repeat([]byte{0xab}, 20), App: "git", Ops: OpSign, Created: 1700000000, Expires: 1800000000}
}

func TestTokenSyntax(t *testing.T) {
	s, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	tok := s.String()
	if len(tok) != TokenLen || !strings.HasPrefix(tok, "fpt_") {
		t.Fatalf("token %q", tok)
	}
	got, ok := ParseToken([]byte(tok))
	if !ok || got != s {
		t.Fatal("token does not round-trip")
	}
	for _, bad := range []string{"", tok[:TokenLen-1], tok + "a", strings.ToUpper(tok), "fpx_" + tok[4:], tok[:10] + "1" + tok[11:], "correct horse battery staple"} {
		if IsToken([]byte(bad)) {
			t.Errorf("%q taken for a token", bad)
		}
	}
	if id, ok := ParseID(s.ID().String()); !ok || id != s.ID() {
		t.Error("ID does not round-trip")
	}
	var other Secret
	other[0] = 1
	if other.ID() == s.ID() {
		t.Error("two secrets, one ID")
	}
}

func TestSealOpen(t *testing.T) {
	s, _ := NewSecret()
	p, _ := NewPepper()
	slot, err := Seal(testMeta(), s, p, []byte("secret key packets"))
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseSlot(slot.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if parsed.ID != s.ID() || parsed.App != "git" || parsed.Ops != OpSign {
		t.Fatalf("metadata %+v", parsed.Meta)
	}
	pt, err := parsed.Open(s, p)
	if err != nil || string(pt) != "secret key packets" {
		t.Fatalf("open: %q %v", pt, err)
	}
	// the wrong token, the wrong pepper (a revoked slot whose file was
	// kept), and any changed byte of the file open nothing
	other, _ := NewSecret()
	otherPepper, _ := NewPepper()
	if _, err := parsed.Open(other, p); !errors.Is(err, ErrOpen) {
		t.Errorf("wrong token: %v", err)
	}
	if _, err := parsed.Open(s, otherPepper); !errors.Is(err, ErrOpen) {
		t.Errorf("wrong pepper: %v", err)
	}
	raw := slot.Marshal()
	for i := range raw {
		c := bytes.Clone(raw)
		c[i] ^= 1
		if ps, err := ParseSlot(c); err == nil {
			if _, err := ps.Open(s, p); err == nil {
				t.Fatalf("byte %d changed and the slot still opens", i)
			}
		}
	}
	// a wrong token whose ID was written into the file is still refused
	forged := *parsed
	forged.ID = other.ID()
	if _, err := forged.Open(other, p); !errors.Is(err, ErrOpen) {
		t.Errorf("forged ID: %v", err)
	}
}

func TestExpiry(t *testing.T) {
	m := testMeta()
	if m.Expired(time.Unix(m.Expires-1, 0)) || !m.Expired(time.Unix(m.Expires, 0)) {
		t.Error("expiry boundary")
	}
	m.Expires = 0
	if m.Expired(time.Unix(1<<40, 0)) {
		t.Error("no expiry expired")
	}
}

func TestOps(t *testing.T) {
	for in, want := range map[string]Ops{"sign": OpSign, "decrypt": OpDecrypt, "sign,decrypt": OpSign | OpDecrypt, "decrypt, sign": OpSign | OpDecrypt} {
		if o, err := ParseOps(in); err != nil || o != want {
			t.Errorf("%q: %v %v", in, o, err)
		}
	}
	for _, bad := range []string{"", "encrypt", "sign,", "certify"} {
		if _, err := ParseOps(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if (OpSign|OpDecrypt).String() != "sign,decrypt" || Ops(4).Valid() || Ops(0).Valid() {
		t.Error("Ops")
	}
}

func TestSealRejectsBadMeta(t *testing.T) {
	s, _ := NewSecret()
	p, _ := NewPepper()
	for _, mod := range []func(*Meta){
		func(m *Meta) { m.App = "two words" },
		func(m *Meta) { m.App = strings.Repeat("a", MaxApp+1) },
		func(m *Meta) { m.Ops = 0 },
		func(m *Meta) { m.Primary = []byte{1} },
	} {
		m := testMeta()
		mod(&m)
		if _, err := Seal(m, s, p, nil); err == nil {
			t.Errorf("%+v sealed", m)
		}
	}
}

func TestIndex(t *testing.T) {
	ix := Index{}
	for i := range 3 {
		var id ID
		id[0] = byte(3 - i)
		ix[id] = Pepper{byte(i)}
	}
	got, err := ParseIndex(ix.Marshal())
	if err != nil || len(got) != 3 || got[ID{1}] != (Pepper{2}) {
		t.Fatalf("%v %v", got, err)
	}
	raw := ix.Marshal()
	// unsorted or duplicate entries, a wrong count, trailing bytes
	swapped := bytes.Clone(raw)
	copy(swapped[12:52], raw[52:92])
	copy(swapped[52:92], raw[12:52])
	for name, b := range map[string][]byte{
		"unsorted": swapped, "truncated": raw[:len(raw)-1], "trailing": append(bytes.Clone(raw), 0),
		"magic": append([]byte("FPKSIDX2"), raw[8:]...),
	} {
		if _, err := ParseIndex(b); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestLastUses(t *testing.T) {
	s, _ := NewSecret()
	m := testMeta()
	m.ID = s.ID()
	t1, t2 := time.Unix(1700000100, 0), time.Unix(1700000200, 0)
	log := UseLine(t2, &m, OpSign) + "garbage line\n" + strings.Repeat("x", 5000) + "\n" + UseLine(t1, &m, OpSign) + UseLine(t1, &m, OpDecrypt)[:20]
	got, err := LastUses(strings.NewReader(log))
	if err != nil || len(got) != 1 || !got[m.ID].Equal(t2) {
		t.Fatalf("%v %v", got, err)
	}
}

// FuzzParseSlot: no panic, and what parses re-encodes to the same bytes.
func FuzzParseSlot(f *testing.F) {
	s, _ := NewSecret()
	p, _ := NewPepper()
	slot, _ := Seal(testMeta(), s, p, []byte("x"))
	f.Add(slot.Marshal())
	f.Add([]byte(slotMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		sl, err := ParseSlot(b)
		if err != nil {
			return
		}
		if !bytes.Equal(sl.Marshal(), b) {
			t.Fatal("parse/marshal not identical")
		}
		if _, err := sl.Open(s, p); err == nil && !bytes.Equal(b, slot.Marshal()) {
			t.Fatal("a changed keyslot opened")
		}
	})
}

// FuzzParseIndex: no panic, and what parses re-encodes to the same bytes.
func FuzzParseIndex(f *testing.F) {
	f.Add(Index{ID{1}: Pepper{2}, ID{3}: Pepper{4}}.Marshal())
	f.Add([]byte(indexMagic + "\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ix, err := ParseIndex(b)
		if err == nil && !bytes.Equal(ix.Marshal(), b) {
			t.Fatal("parse/marshal not identical")
		}
	})
}

// FuzzLastUses: no panic on any log content; every reported ID comes
// from a line that parses.
func FuzzLastUses(f *testing.F) {
	m := testMeta()
	f.Add(UseLine(time.Unix(1700000000, 0), &m, OpSign))
	f.Add("2023-11-14T22:13:20Z 0000000000000000 git sign AB\n")
	f.Fuzz(func(t *testing.T, log string) {
		got, _ := LastUses(strings.NewReader(log))
		for id := range got {
			if !strings.Contains(log, id.String()) && !strings.Contains(strings.ToLower(log), id.String()) {
				t.Fatalf("ID %s not in the log", id)
			}
		}
	})
}
