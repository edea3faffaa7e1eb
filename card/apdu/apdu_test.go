package apdu

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/frontpgp/front/internal/cardemu"
)

// logT records the raw APDUs sent to the emulated card.
type logT struct {
	card *cardemu.Card
	sent [][]byte
}

func (l *logT) Transmit(cmd []byte) ([]byte, error) {
	l.sent = append(l.sent, bytes.Clone(cmd))
	return l.card.Transmit(cmd)
}

var selectCmd = Command{INS: 0xA4, P1: 0x04, Data: []byte{0xD2, 0x76, 0x00, 0x01, 0x24, 0x01}}

func TestEncode(t *testing.T) {
	for _, tc := range []struct {
		cmd      Command
		extended bool
		want     string
	}{
		{Command{INS: 0xCA, P2: 0x6E, Ne: 256}, false, "00CA006E00"},
		{Command{INS: 0xCA, P2: 0x6E, Ne: 65536}, true, "00CA006E000000"},
		{Command{INS: 0xCA, P2: 0x6E, Ne: 256}, true, "00CA006E00"},
		{Command{INS: 0x20, P2: 0x81}, false, "00200081"},
		{Command{INS: 0x20, P2: 0x81, Data: []byte{1, 2}}, false, "002000810201 02"},
		{Command{INS: 0x2A, P1: 0x9E, P2: 0x9A, Data: make([]byte, 300), Ne: 512}, true,
			"002A9E9A00012C" + hex.EncodeToString(make([]byte, 300)) + "0200"},
	} {
		got, err := Encode(tc.cmd, tc.extended)
		want, _ := hex.DecodeString(removeSpaces(tc.want))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("Encode(%+v, %v) = %X, %v; want %X", tc.cmd, tc.extended, got, err, want)
		}
	}
	if _, err := Encode(Command{Data: make([]byte, 256)}, false); err == nil {
		t.Error("256 data bytes fit a short APDU")
	}
}

func removeSpaces(s string) string { return string(bytes.ReplaceAll([]byte(s), []byte(" "), nil)) }

// TestChainingAndGetResponse: 1000 bytes of certificate go to a short-only
// card in four chained blocks and come back through 61xx/GET RESPONSE.
func TestChainingAndGetResponse(t *testing.T) {
	card := cardemu.New(cardemu.Options{ShortOnly: true})
	l := &logT{card: card}
	c := &Client{T: l}
	if _, err := c.Do(selectCmd); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(Command{INS: 0x20, P2: 0x83, Data: []byte(cardemu.DefaultPW3)}); err != nil {
		t.Fatal(err)
	}
	cert := bytes.Repeat([]byte("0123456789"), 100)
	l.sent = nil
	if _, err := c.Do(Command{INS: 0xDA, P1: 0x7F, P2: 0x21, Data: cert}); err != nil {
		t.Fatal(err)
	}
	if len(l.sent) != 4 || l.sent[0][0] != 0x10 || l.sent[2][0] != 0x10 || l.sent[3][0] != 0x00 {
		t.Fatalf("chaining sent %d APDUs: %X", len(l.sent), l.sent)
	}
	l.sent = nil
	got, err := c.Do(Command{INS: 0xCA, P1: 0x7F, P2: 0x21, Ne: 256})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(got, cert) || len(l.sent) != 4 || l.sent[1][1] != 0xC0 {
		t.Fatalf("GET DATA: %d bytes in %d APDUs: %X", len(got), len(l.sent), l.sent)
	}

	// The same through extended APDUs on a card that has them: one each.
	ext := &logT{card: cardemu.New(cardemu.Options{})}
	c = &Client{T: ext, Extended: true}
	c.Do(selectCmd)
	c.Do(Command{INS: 0x20, P2: 0x83, Data: []byte(cardemu.DefaultPW3)})
	ext.sent = nil
	if _, err := c.Do(Command{INS: 0xDA, P1: 0x7F, P2: 0x21, Data: cert}); err != nil {
		t.Fatal(err)
	}
	if got, err = c.Do(Command{INS: 0xCA, P1: 0x7F, P2: 0x21, Ne: MaxResponse}); err != nil || !bytes.HasSuffix(got, cert) {
		t.Fatal(err)
	}
	if len(ext.sent) != 2 {
		t.Fatalf("extended: %d APDUs", len(ext.sent))
	}
}

// script is a transport that answers from a list.
type script struct {
	answers []string
	sent    []string
}

func (s *script) Transmit(cmd []byte) ([]byte, error) {
	s.sent = append(s.sent, hex.EncodeToString(cmd))
	if len(s.answers) == 0 {
		return nil, errors.New("script exhausted")
	}
	a, _ := hex.DecodeString(s.answers[0])
	s.answers = s.answers[1:]
	return a, nil
}

func TestWrongLeResend(t *testing.T) {
	s := &script{answers: []string{"6C04", "0102030461029000"[:12], "05069000"}}
	got, err := (&Client{T: s}).Do(Command{INS: 0xCA, P2: 0x93, Ne: 256})
	if err != nil || hex.EncodeToString(got) != "010203040506" {
		t.Fatalf("got %X, %v", got, err)
	}
	want := []string{"00ca009300", "00ca009304", "00c0000002"}
	if len(s.sent) != 3 || s.sent[0] != want[0] || s.sent[1] != want[1] || s.sent[2] != want[2] {
		t.Fatalf("sent %v", s.sent)
	}
}

func TestStatusErrors(t *testing.T) {
	for answer, want := range map[string]uint16{"63C2": 0x63C2, "6983": 0x6983, "6D00": 0x6D00, "6C006C00": 0x6C00} {
		_, err := (&Client{T: &script{answers: []string{answer[:4], answer[len(answer)-4:]}}}).Do(Command{INS: 0x20, P2: 0x81})
		if sw, ok := SW(err); !ok || sw != want {
			t.Errorf("%s: err %v", answer, err)
		}
	}
	if _, err := (&Client{T: &script{answers: []string{"90"}}}).Do(Command{}); err == nil {
		t.Error("one-byte response accepted")
	}
	if _, err := (&Client{T: &script{answers: []string{"6100", "6100"}}}).Do(Command{}); err == nil {
		t.Error("empty GET RESPONSE loop accepted")
	}
}

func FuzzResponses(f *testing.F) {
	f.Add([]byte{0x61, 0x02, 0x01, 0x02, 0x90, 0x00})
	f.Add([]byte{0x6C, 0x05, 0x01, 0x61, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		// b holds the card's answers, separated by 0xFF bytes.
		var answers []string
		for _, part := range bytes.Split(b, []byte{0xFF}) {
			answers = append(answers, hex.EncodeToString(part))
		}
		s := &script{answers: answers}
		got, err := (&Client{T: s}).Do(Command{INS: 0xCA, Ne: 256})
		if err == nil && len(got) > MaxResponse {
			t.Fatal("response over the limit")
		}
		// At most one command past the script (which then fails).
		if len(s.sent) > len(answers)+1 {
			t.Fatal("kept sending after the transport failed")
		}
	})
}
