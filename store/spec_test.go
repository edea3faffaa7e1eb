package store

import (
	"path/filepath"
	"testing"
)

func TestParseSpec(t *testing.T) {
	fpr := "0123456789ABCDEF0123456789ABCDEF01234567"
	for _, c := range []struct {
		spec string
		kind QueryKind
		text string
		id   uint64
	}{
		{fpr, QueryFingerprint, "", 0},
		{"0x" + fpr, QueryFingerprint, "", 0},
		{fpr + "!", QueryFingerprint, "", 0},
		{"0" + fpr, QueryFingerprint, "", 0},
		{"0123 4567 89AB CDEF 0123  4567 89AB CDEF 0123 4567", QueryFingerprint, "", 0},
		// v6: 64 hex digits, plain or grouped as front prints them
		{fpr + "0123456789ABCDEF01234567", QueryFingerprint, "", 0},
		{"81E4 D68A E258 4CDB 2036 98D7 ED30 0FF2  F7A3 493D A388 7BE2 FC27 83D2 7C56 0D5D", QueryFingerprint, "", 0},
		{"81E4 D68A E258 4CDB 2036 98D7 ED30 0FF2 F7A3 493D A388 7BE2 FC27 83D2 7C56 0D5D", QueryFingerprint, "", 0},
		{"81E4 D68A E258 4CDB 2036 98D7 ED30  0FF2 F7A3 493D A388 7BE2 FC27 83D2 7C56 0D5D", QuerySubstring, "81E4 D68A E258 4CDB 2036 98D7 ED30  0FF2 F7A3 493D A388 7BE2 FC27 83D2 7C56 0D5D", 0},
		{"89ABCDEF01234567", QueryKeyID, "", 0x89ABCDEF01234567},
		{"0x89abcdef01234567!", QueryKeyID, "", 0x89ABCDEF01234567},
		{"01234567", QueryShortKeyID, "", 0x01234567},
		{"0DEADBEEF", QueryShortKeyID, "", 0xDEADBEEF},
		{"0x0DEADBEEF", QueryNone, "", 0},
		{"0xDEADBEEF trailing", QueryNone, "", 0},
		{"DEADBEEFX", QuerySubstring, "DEADBEEFX", 0},
		{"<a@example.org>", QueryMail, "a@example.org", 0},
		{"@example.org", QueryMailSub, "example.org", 0},
		{"=Alice <a@example.org>", QueryExact, "Alice <a@example.org>", 0},
		{"*lice", QuerySubstring, "lice", 0},
		{"  Alice  ", QuerySubstring, "Alice", 0},
		{"", QueryNone, "", 0},
		{"&0123", QueryNone, "", 0},
	} {
		q := ParseSpec(c.spec)
		if q.Kind != c.kind || q.Text != c.text || (c.id != 0 && q.KeyID != c.id) {
			t.Errorf("ParseSpec(%q) = %+v, want kind %d text %q id %X", c.spec, q, c.kind, c.text, c.id)
		}
	}
}

func TestLookupKinds(t *testing.T) {
	s, _ := Open(filepath.Join(t.TempDir(), "home"))
	a, b := newEntity(t, "alice"), newEntity(t, "bob")
	unlock, _ := s.Lock()
	s.Put(a)
	s.Put(b)
	unlock()
	sub := a.Subkeys[0].PublicKey
	for _, c := range []struct {
		q    Query
		want int
	}{
		{Query{Kind: QueryFingerprint, Fingerprint: a.PrimaryKey.Fingerprint}, 1},
		{Query{Kind: QueryFingerprint, Fingerprint: sub.Fingerprint}, 1},
		{Query{Kind: QueryKeyID, KeyID: sub.KeyId}, 1},
		{Query{Kind: QueryShortKeyID, KeyID: b.PrimaryKey.KeyId & 0xffffffff}, 1},
		{Query{Kind: QueryMail, Text: "ALICE@example.org"}, 1},
		{Query{Kind: QueryMail, Text: "alice@example"}, 0},
		{Query{Kind: QueryMailSub, Text: "EXAMPLE.org"}, 2},
		{Query{Kind: QueryExact, Text: "alice <alice@example.org>"}, 1},
		{Query{Kind: QueryExact, Text: "alice"}, 0},
		{Query{Kind: QuerySubstring, Text: "OB <b"}, 1},
		{Query{Kind: QuerySubstring, Text: "nobody"}, 0},
	} {
		got, err := s.Lookup(c.q)
		if err != nil || len(got) != c.want {
			t.Errorf("Lookup(%+v) = %d results (%v), want %d", c.q, len(got), err, c.want)
		}
	}
	if fprs, _ := s.Fingerprints(); len(fprs) != 2 || string(fprs[0]) != string(a.PrimaryKey.Fingerprint) {
		t.Errorf("Fingerprints not in insertion order")
	}
}
