package keylist

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// A user ID can contain any bytes. Whatever it holds, a listing must keep
// one record per line: consumers split colon output on '\n' and ':'.
func TestHostileUserIDStaysOnOneLine(t *testing.T) {
	created := time.Unix(nowEpoch, 0)
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return created }}
	e, err := openpgp.NewEntity("Mal\nuid:u::::1::X::Forged:\r\x7f\\", "", "m@example.org", cfg)
	if err != nil {
		t.Fatal(err)
	}
	keys := []Key{{Entity: e, Validity: 'u', Ownertrust: 'u'}}
	for _, opt := range []Options{
		{Now: created, Colons: true},
		{Now: created},
		{Now: created, Charset: "iso-8859-1"},
	} {
		var out bytes.Buffer
		if err := Write(&out, keys, opt); err != nil {
			t.Fatal(err)
		}
		var uids []string
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(l, "uid") {
				uids = append(uids, l)
			}
			if strings.ContainsAny(l, "\r\x7f") {
				t.Errorf("raw control byte in %q", l)
			}
		}
		if len(uids) != 1 {
			t.Fatalf("colons=%v: want one uid line, got %q", opt.Colons, out.String())
		}
		if opt.Colons {
			f := strings.Split(uids[0], ":")
			if len(f) != 21 || !strings.HasPrefix(f[9], `Mal\nuid\x3au\x3a`) || !strings.Contains(f[9], `\r\x7f\x5c`) {
				t.Errorf("bad colon escaping: %q", uids[0])
			}
		} else if !strings.Contains(uids[0], `Mal\nuid:u::::1::X::Forged:\r\x7f\ `) {
			t.Errorf("bad human escaping: %q", uids[0])
		}
	}
}

func TestKeyIDString(t *testing.T) {
	const id = 0x0123456789ABCDEF
	for f, want := range map[string]string{
		"short": "89ABCDEF", "0xshort": "0x89ABCDEF", "long": "0123456789ABCDEF",
		"0xlong": "0x0123456789ABCDEF", "none": "0123456789ABCDEF", "": "0123456789ABCDEF",
	} {
		if got := KeyIDString(id, f); got != want {
			t.Errorf("KeyIDString(%q) = %q want %q", f, got, want)
		}
	}
}
