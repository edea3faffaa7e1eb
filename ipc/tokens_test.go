package ipc

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/frontpgp/front/keyslot"
)

const testToken = "fpt_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func tokenMessages() []Message {
	info := TokenInfo{ID: make([]byte, keyslot.IDSize), Primary: bytes.Repeat([]byte{1}, 20), App: "git", Ops: 1, Created: 1700000000, Expires: 1800000000}
	return []Message{
		&TokenCreateRequest{Primary: bytes.Repeat([]byte{1}, 20), App: "git", Ops: 3, Created: 1700000000},
		&TokenCreateResult{Token: []byte(testToken), Info: info},
		&TokenListRequest{},
		&TokenListResult{Tokens: []TokenInfo{info, info}},
		&TokenRevokeRequest{ID: make([]byte, keyslot.IDSize)},
		&TokenRevokeResult{ID: info.ID, Primary: info.Primary, App: "git"},
		&InquiryToken{Token: []byte(testToken)},
	}
}

func TestTokenMessages(t *testing.T) {
	for _, m := range tokenMessages() {
		var buf bytes.Buffer
		c := NewConn(&buf, &buf)
		if err := c.Write(m); err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		typ, p, err := c.Recv()
		if err != nil || typ != m.Type() || !bytes.Equal(p, Marshal(m)) {
			t.Fatalf("%T: %v %v", m, typ, err)
		}
	}
	// the per-field rules: operations, ID size, token syntax, app length
	for name, c := range map[string]struct {
		t MsgType
		m Message
	}{
		"no ops":        {TypeTokenCreate, &TokenCreateRequest{App: "a"}},
		"unknown op":    {TypeTokenCreate, &TokenCreateRequest{App: "a", Ops: 4}},
		"long app":      {TypeTokenCreate, &TokenCreateRequest{App: strings.Repeat("a", keyslot.MaxApp+1), Ops: 1}},
		"short ID":      {TypeTokenRevoke, &TokenRevokeRequest{ID: []byte{1}}},
		"not a token":   {TypeInquiryToken, &InquiryToken{Token: []byte("passphrase")}},
		"token + extra": {TypeInquiryToken, &InquiryToken{Token: []byte(testToken + "a")}},
	} {
		if err := Unmarshal(c.t, Marshal(c.m), c.m); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// front sends an answer with the token's syntax as InquiryToken; the
// helper gets it from InquireUnlock and Inquire refuses it.
func TestTokenAnswer(t *testing.T) {
	for _, c := range []struct {
		answer string
		token  bool
	}{{testToken, true}, {"a passphrase", false}, {testToken + " ", false}} {
		toHelper, toFront := new(bytes.Buffer), new(bytes.Buffer)
		helper := NewConn(toHelper, toFront)
		front := NewConn(toFront, toHelper)
		// the helper's inquiry and result are queued before front runs
		helper.Write(&Inquiry{Kind: InquirePassphrase})
		helper.Write(&ListResult{})
		err := front.Call(&ListRequest{}, new(ListResult), func(*Inquiry) ([]byte, bool, error) { return []byte(c.answer), true, nil })
		if err != nil {
			t.Fatal(err)
		}
		toFront.Reset()
		if _, err := helper.ReadRequest(map[MsgType]func() Message{TypeListRequest: func() Message { return new(ListRequest) }}); err != nil {
			t.Fatal(err)
		}
		typ, p, err := helper.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if (typ == TypeInquiryToken) != c.token {
			t.Errorf("%q sent as frame %#x", c.answer, typ)
		}
		replay := func() *Conn { return NewConn(bytes.NewReader(frame(typ, p)), io.Discard) }
		secret, token, err := replay().InquireUnlock(&Inquiry{Kind: InquirePassphrase})
		if err != nil || token != c.token || string(secret) != c.answer {
			t.Errorf("InquireUnlock: %q %v %v", secret, token, err)
		}
		var e *Error
		if _, err := replay().Inquire(&Inquiry{Kind: InquirePassphrase}); c.token && (!errors.As(err, &e) || e.Code != ErrCodeNotPermitted) {
			t.Errorf("Inquire took a token: %v", err)
		}
	}
}
