package ipc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

func frame(t MsgType, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(2+len(payload)))
	b = binary.BigEndian.AppendUint16(b, uint16(t))
	return append(b, payload...)
}

func TestRoundTrip(t *testing.T) {
	msgs := []Message{
		&SignRequest{KeyFingerprint: bytes.Repeat([]byte{1}, 20), SigType: 0, HashAlgo: 8, Created: 1700000000, HashState: []byte("state")},
		&DecryptRequest{KeyFingerprint: []byte{2}, PKESK: []byte{0xc1, 1, 2}},
		&GenerateRequest{UserID: "A <a@b>", Primary: KeySpec{"ed25519", "sign,cert", 0}, Subkeys: []KeySpec{{"cv25519", "encr", 3600}}, NoProtection: true},
		&Inquiry{Kind: InquirePassphrase, KeyFingerprint: []byte{3}, Prompt: "p", Attempt: 1},
		&ImportResult{Public: []byte{9}, Keys: []ImportedKey{{Fingerprint: []byte{1}, New: true}}, Listing: []SecretEntry{{Fingerprint: []byte{1}, Primary: []byte{1}, Protected: true}, {Fingerprint: []byte{2}, Primary: []byte{1}, Stub: true, CardSerial: "D2760001240103040005000012340000"}}},
		&Error{Code: ErrCodeBadPassphrase, Message: "bad passphrase"},
		&CertifyRequest{Signer: []byte{1}, PrimaryKey: []byte{0xc6, 1, 4}, Items: []CertifyItem{{Class: 0x13, Component: []byte{0xcd, 1, 'a'}, Hashed: []byte{5, 2, 0, 0, 0, 1}}, {Class: 0x20}}},
		&CertifyResult{Signatures: [][]byte{{0xc2, 0}, {0xc2, 1, 4}}},
		&AddSubkeyRequest{Primary: []byte{1}, Key: KeySpec{"cv25519", "encr", 0}, Created: 5},
		&AddSubkeyResult{Public: []byte{1}, Listing: []SecretEntry{{Fingerprint: []byte{2}}}},
		&CardStubsRequest{AID: bytes.Repeat([]byte{0xD2}, 16), Certs: [][]byte{{1, 2}}, OnCard: [][]byte{bytes.Repeat([]byte{3}, 20)}},
		&PasswdRequest{Primary: []byte{1}},
		&FetchRequest{Method: "POST", URLs: []string{"https://a.example/x", "https://b.example/y"}, Body: []byte("keytext=1"),
			ContentType: "application/x-www-form-urlencoded", HTTPSOnly: true, MaxRedirects: 2, MaxBytes: 1 << 20,
			TimeoutMillis: 30000, CACerts: []byte("pem"), Resolve: []string{"a.example:443:127.0.0.1"}, Proxy: "http://p:3128"},
		&FetchResult{URL: "https://a.example/x", Status: 404, ContentType: "text/html", Body: []byte("<html>")},
		&CardRequest{Op: CardOpSign, Serial: "0000BEEF", PIN: []byte("123456"), Data: []byte{1, 2}},
		cardStatusSeed(),
		&CardOutput{Data: []byte{3}},
		&GnuPGListRequest{},
		&GnuPGListResult{Keys: []GnuPGKey{{Keygrip: bytes.Repeat([]byte{7}, 20), Protection: GnuPGProtected}, {Keygrip: bytes.Repeat([]byte{8}, 20), Protection: GnuPGShadowed, CardSerial: "D2760001240103040005000012340000"}},
			Secring: [][]byte{bytes.Repeat([]byte{9}, 20)}, Problems: []string{"secring.gpg: invalid key data"}},
		&GnuPGImportRequest{Certs: []byte{0x99, 0, 1, 4}},
		&GnuPGImportResult{Keys: []ImportedKey{{Fingerprint: []byte{1}, New: true}}, Listing: []SecretEntry{{Fingerprint: []byte{1}, Primary: []byte{1}, Protected: true}}},
		&CardRequest{Op: CardOpPutData, PIN: []byte("12345678"), DOs: []CardDO{{Tag: 0x5B, Value: []byte("Doe<<Jo")}, {Tag: 0xC4, Value: []byte{1}}}},
		&CardRequest{Op: CardOpChangePIN, Ref: 0x83, PIN: []byte("12345678"), NewPIN: []byte("87654321")},
		&CardRequest{Op: CardOpGenerate, Slot: 2, PIN: []byte("12345678")},
		&CardPublic{Public: [][]byte{{1, 2}, {3}}},
	}
	for _, m := range msgs {
		var buf bytes.Buffer
		c := NewConn(&buf, &buf)
		if err := c.Write(m); err != nil {
			t.Fatal(err)
		}
		typ, p, err := c.Recv()
		if err != nil || typ != m.Type() {
			t.Fatalf("%T: %v %v", m, typ, err)
		}
		if !bytes.Equal(p, Marshal(m)) {
			t.Fatalf("%T: payload changed", m)
		}
	}
}

// Bad input 31: truncated frame, oversized length, unknown type, second
// request, EOF mid-inquiry.
func TestHostileFrames(t *testing.T) {
	allowed := map[MsgType]func() Message{TypeSignRequest: func() Message { return new(SignRequest) }}
	good := frame(TypeSignRequest, Marshal(&SignRequest{HashState: []byte{1}}))
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"truncated header", []byte{0, 0, 0}, ErrTruncated},
		{"truncated payload", good[:len(good)-1], ErrTruncated},
		{"oversized length", binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint32(nil, 1<<31), uint16(TypeSignRequest)), ErrTooLarge},
		{"unknown type", frame(0x7777, nil), ErrUnknownType},
		{"trailing bytes in payload", frame(TypeSignRequest, append(Marshal(&SignRequest{}), 0)), ErrMalformed},
		{"empty", nil, io.EOF},
	}
	for _, c := range cases {
		conn := NewConn(bytes.NewReader(c.in), io.Discard)
		_, err := conn.ReadRequest(allowed)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	conn := NewConn(bytes.NewReader(frame(TypeExportRequest, Marshal(&ExportRequest{}))), io.Discard)
	var e *Error
	if _, err := conn.ReadRequest(allowed); !errors.As(err, &e) || e.Code != ErrCodeNotPermitted {
		t.Errorf("request outside the closed set: %v", err)
	}
	// A second request where an inquiry answer is due is unexpected.
	conn = NewConn(bytes.NewReader(good), io.Discard)
	if _, err := conn.Inquire(&Inquiry{Kind: InquirePassphrase}); !errors.Is(err, ErrUnexpected) {
		t.Errorf("request instead of answer: %v", err)
	}
	conn = NewConn(bytes.NewReader(nil), io.Discard)
	if _, err := conn.Inquire(&Inquiry{Kind: InquirePassphrase}); err != io.EOF {
		t.Errorf("EOF mid-inquiry: %v", err)
	}
}

func TestHello(t *testing.T) {
	var buf bytes.Buffer
	c := NewConn(&buf, &buf)
	c.WriteHello(RoleKey)
	if err := c.ReadHello(RoleCard); err != ErrBadRole {
		t.Fatalf("role mismatch: %v", err)
	}
	c.WriteHello(RoleKey)
	if err := c.ReadHello(RoleKey); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("FRONTPGQ\x00\x01\x01")
	if err := c.ReadHello(RoleKey); err != ErrBadMagic {
		t.Fatalf("bad magic: %v", err)
	}
}

func TestSessionCap(t *testing.T) {
	var in bytes.Buffer
	big := Marshal(&ImportRequest{Data: make([]byte, 30<<20)})
	for i := 0; i < 3; i++ {
		in.Write(frame(TypeImportRequest, big))
	}
	c := NewConn(&in, io.Discard)
	var err error
	for i := 0; i < 3 && err == nil; i++ {
		_, _, err = c.Recv()
	}
	if err != ErrSessionCap {
		t.Fatalf("got %v, want session cap", err)
	}
}

// FuzzDecode feeds arbitrary bytes to the helper's request reader and every
// message decoder: no panic, and anything that decodes re-encodes to the same bytes.
func FuzzDecode(f *testing.F) {
	f.Add(frame(TypeSignRequest, Marshal(&SignRequest{HashState: []byte{1, 2}})))
	f.Add(frame(TypeGenerateRequest, Marshal(&GenerateRequest{UserID: "x", Subkeys: []KeySpec{{"a", "b", 0}}})))
	f.Add(frame(TypeInquiry, Marshal(&Inquiry{Kind: InquirePassphrase})))
	f.Add([]byte{0, 0, 0, 2, 0, 0x16})
	f.Add(frame(TypeFetchRequest, Marshal(&FetchRequest{Method: "GET", URLs: []string{"https://openpgpkey.example.org/.well-known/openpgpkey/example.org/hu/x?l=a", "https://example.org/"},
		HTTPSOnly: true, MaxRedirects: 2, MaxBytes: 1 << 20, TimeoutMillis: 1, Resolve: []string{"example.org:443:[::1]"}})))
	f.Add(frame(TypeResult, Marshal(&FetchResult{URL: "u", Status: 200, ContentType: "application/octet-stream", Body: []byte{0x99}})))
	f.Add(frame(TypeCertifyRequest, Marshal(&CertifyRequest{Signer: []byte{1}, Items: []CertifyItem{{Class: 0x10, Hashed: []byte{1}}}})))
	f.Add(frame(TypeCardRequest, Marshal(&CardRequest{Op: CardOpDecipher, Data: bytes.Repeat([]byte{0x42}, 32)})))
	f.Add(frame(TypeResult, Marshal(cardStatusSeed())))
	f.Add(frame(TypeCardRequest, Marshal(&CardRequest{Op: CardOpPutData, PIN: []byte("12345678"), DOs: []CardDO{{Tag: 0x5F2D, Value: []byte("de")}}})))
	f.Add(frame(TypeCardRequest, Marshal(&CardRequest{Op: CardOpResetWithCode, PIN: []byte("abcdefgh"), NewPIN: []byte("123456")})))
	f.Add(frame(TypeResult, Marshal(&CardPublic{Public: [][]byte{make([]byte, 32)}})))
	f.Add(frame(TypeKeyToCard, Marshal(&KeyToCardRequest{Fingerprint: make([]byte, 20)})))
	f.Add(frame(TypeCardRequest, Marshal(&CardRequest{Op: CardOpImportKey, Slot: 1, PIN: []byte("12345678"),
		DOs: []CardDO{{Tag: 0xC8, Value: make([]byte, 20)}, {Tag: 0xCF, Value: make([]byte, 4)}}})))
	f.Add(frame(TypeCardInquiry, Marshal(&CardInquiry{Status: CardStatus{AID: make([]byte, 16), PINTries: [3]uint8{3, 0, 3}}})))
	for _, m := range tokenMessages() {
		f.Add(frame(m.Type(), Marshal(m)))
	}
	f.Add(frame(TypeResult, Marshal(&GnuPGListResult{Keys: []GnuPGKey{{Keygrip: make([]byte, 20), Protection: GnuPGShadowed, CardSerial: "D2760001240103040005000012340000"}}, Secring: [][]byte{make([]byte, 20)}})))
	f.Add(frame(TypeGnuPGImport, Marshal(&GnuPGImportRequest{Certs: []byte{0x99, 0, 1, 4}})))
	newMsgs := []func() Message{
		func() Message { return new(SignRequest) }, func() Message { return new(DecryptRequest) },
		func() Message { return new(GenerateRequest) }, func() Message { return new(ImportRequest) },
		func() Message { return new(ExportRequest) }, func() Message { return new(DeleteRequest) },
		func() Message { return new(ListRequest) }, func() Message { return new(Inquiry) },
		func() Message { return new(InquiryAnswer) }, func() Message { return new(Error) },
		func() Message { return new(ImportResult) }, func() Message { return new(GenerateResult) },
		func() Message { return new(ListResult) }, func() Message { return new(DecryptResult) },
		func() Message { return new(CertifyRequest) }, func() Message { return new(CertifyResult) },
		func() Message { return new(AddSubkeyRequest) }, func() Message { return new(AddSubkeyResult) },
		func() Message { return new(PasswdRequest) }, func() Message { return new(PasswdResult) },
		func() Message { return new(FetchRequest) }, func() Message { return new(FetchResult) },
		func() Message { return new(TokenCreateRequest) }, func() Message { return new(TokenCreateResult) },
		func() Message { return new(TokenListRequest) }, func() Message { return new(TokenListResult) },
		func() Message { return new(TokenRevokeRequest) }, func() Message { return new(TokenRevokeResult) },
		func() Message { return new(InquiryToken) },
		func() Message { return new(CardRequest) }, func() Message { return new(CardStatus) },
		func() Message { return new(CardOutput) }, func() Message { return new(CardPublic) },
		func() Message { return new(GnuPGListRequest) }, func() Message { return new(GnuPGListResult) },
		func() Message { return new(GnuPGImportRequest) }, func() Message { return new(GnuPGImportResult) },
		func() Message { return new(KeyToCardRequest) }, func() Message { return new(CardStubsRequest) },
		func() Message { return new(CardInquiry) },
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := NewConn(bytes.NewReader(data), io.Discard)
		typ, p, err := c.Recv()
		if err != nil {
			return
		}
		if limit, _ := MaxPayload(typ); len(p) > limit {
			t.Fatalf("payload %d over limit %d", len(p), limit)
		}
		for _, mk := range newMsgs {
			m := mk()
			d := decoder{b: p}
			m.decode(&d)
			if d.done() == nil && !bytes.Equal(Marshal(m), p) {
				t.Fatalf("%T: decode/encode not identical", m)
			}
		}
	})
}

// Every field of a fetch request or result at its limit still fits its
// frame type, so nethelper can never produce, nor front send, a frame the
// peer must reject.
func TestFetchLimits(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	req := &FetchRequest{Method: "POST", Body: make([]byte, MaxPostBody), ContentType: long(MaxContentType),
		HTTPSOnly: true, MaxRedirects: 255, MaxBytes: MaxFetchBody, TimeoutMillis: MaxFetchTimeoutMillis,
		CACerts: make([]byte, MaxCACerts), Proxy: long(MaxURL)}
	for range MaxFetchURLs {
		req.URLs = append(req.URLs, long(MaxURL))
	}
	for range MaxResolveEntries {
		req.Resolve = append(req.Resolve, long(MaxResolveEntry))
	}
	res := &FetchResult{URL: long(MaxURL), Status: 599, ContentType: long(MaxContentType), Body: make([]byte, MaxFetchBody)}
	for _, m := range []Message{req, res} {
		var buf bytes.Buffer
		c := NewConn(&buf, &buf)
		if err := c.Write(m); err != nil {
			t.Fatalf("%T at its limits: %v", m, err)
		}
		typ, p, err := c.Recv()
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		if err := Unmarshal(typ, p, m); err != nil {
			t.Fatalf("%T at its limits does not decode: %v", m, err)
		}
	}
	// One more URL, or an unknown method, does not decode.
	over := *req
	over.URLs = append(over.URLs, "https://x/")
	if err := Unmarshal(TypeFetchRequest, Marshal(&over), new(FetchRequest)); err != ErrMalformed {
		t.Errorf("too many URLs: %v", err)
	}
	over = *req
	over.Method = "PUT"
	if err := Unmarshal(TypeFetchRequest, Marshal(&over), new(FetchRequest)); err != ErrMalformed {
		t.Errorf("method PUT: %v", err)
	}
}

func TestFetchPorts(t *testing.T) {
	for _, c := range []struct {
		req  FetchRequest
		want []uint16
		fail bool
	}{
		{req: FetchRequest{URLs: []string{"https://openpgpkey.a.example/x", "https://a.example/y"}}, want: []uint16{53, 443}},
		{req: FetchRequest{URLs: []string{"http://ks.example:11371/pks", "https://[::1]:8443/"}, Proxy: "http://proxy:3128"}, want: []uint16{53, 3128, 8443, 11371}},
		{req: FetchRequest{URLs: []string{"http://ks.example/"}, Proxy: "http://proxy"}, want: []uint16{53, 80}},
		{req: FetchRequest{URLs: []string{"ftp://x/"}}, fail: true},
		{req: FetchRequest{URLs: []string{"https://x:0/"}}, fail: true},
		{req: FetchRequest{URLs: []string{"https://x:65536/"}}, fail: true},
		{req: FetchRequest{URLs: []string{"https://x/"}, Proxy: "socks5://p:1080"}, fail: true},
	} {
		got, err := c.req.Ports()
		if (err != nil) != c.fail || !slices.Equal(got, c.want) {
			t.Errorf("%v: %v %v, want %v (failure %v)", c.req.URLs, got, err, c.want, c.fail)
		}
	}
}

func cardStatusSeed() *CardStatus {
	s := &CardStatus{Reader: "Virtual PCD 00 00", AID: bytes.Repeat([]byte{0xD2}, 16), Name: "Doe<<Jo", Lang: "en", Sex: '9',
		URL: "https://example.org/k", SigCounter: 7, PINMaxLen: [3]uint8{127, 127, 127}, PINTries: [3]uint8{3, 0, 3}, ExtendedAPDU: true}
	s.Keys[0] = CardKey{Attributes: []byte{0x16, 0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01}, Fingerprint: make([]byte, 20), Created: 1700000000,
		Public: [][]byte{make([]byte, 32)}}
	return s
}

// A card request at its limits fits its frame type; one with an unknown
// operation or an over-long field is refused.
func TestCardLimits(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	dos := make([]CardDO, MaxCardDOs)
	for i := range dos {
		dos[i] = CardDO{Tag: 0x5F50, Value: make([]byte, maxCardText)}
	}
	for _, req := range []*CardRequest{
		{Op: CardOpDecipher, Serial: long(MaxCardSerial), PIN: make([]byte, MaxCardPIN), Data: make([]byte, MaxCardData)},
		{Op: CardOpPutData, Serial: long(MaxCardSerial), PIN: make([]byte, MaxCardPIN), Data: make([]byte, MaxCardData), DOs: dos},
		{Op: CardOpChangePIN, Ref: 0x83, PIN: make([]byte, MaxCardPIN), NewPIN: make([]byte, MaxCardPIN)},
		{Op: CardOpImportKey, Slot: 2, PIN: []byte("12345678"), DOs: []CardDO{{Tag: 0xC9, Value: make([]byte, 20)}, {Tag: 0xD0, Value: make([]byte, 4)}}},
	} {
		var buf bytes.Buffer
		if err := NewConn(&buf, &buf).Write(req); err != nil {
			t.Fatalf("card request at its limits: %v", err)
		}
		var m CardRequest
		if err := Unmarshal(TypeCardRequest, Marshal(req), &m); err != nil {
			t.Fatalf("%v: %v", req.Op, err)
		}
	}
	for _, bad := range []*CardRequest{
		{Op: 0}, {Op: maxCardOp + 1},
		{Op: CardOpPutData, DOs: append(dos, CardDO{})},
		{Op: CardOpPutData, DOs: []CardDO{{Value: make([]byte, maxCardText+1)}}},
		{Op: CardOpSign, DOs: []CardDO{{Tag: 0x5B}}}, {Op: CardOpPutData},
		{Op: CardOpCheckPIN, Ref: 0x81}, {Op: CardOpChangePIN, Ref: 0x82, NewPIN: []byte("1")},
		{Op: CardOpChangePIN, Ref: 0x81}, {Op: CardOpSign, Ref: 0x81},
		{Op: CardOpUnblockPIN}, {Op: CardOpSign, NewPIN: []byte("1")},
		{Op: CardOpGenerate, Slot: 3}, {Op: CardOpSign, Slot: 1},
		// keytocard writes exactly the slot's fingerprint and time
		{Op: CardOpImportKey, Slot: 1}, {Op: CardOpImportKey, Slot: 1, DOs: []CardDO{{Tag: 0xC7}, {Tag: 0xCE}}},
		{Op: CardOpImportKey, Slot: 0, DOs: []CardDO{{Tag: 0xC7}, {Tag: 0xCE}, {Tag: 0x5B}}},
		{Op: CardOpStatus, Serial: long(MaxCardSerial + 1)},
		{Op: CardOpSign, PIN: make([]byte, MaxCardPIN+1)},
		{Op: CardOpSign, Data: make([]byte, MaxCardData+1)},
	} {
		d := decoder{b: Marshal(bad)}
		var m CardRequest
		m.decode(&d)
		if d.done() == nil {
			t.Errorf("%+v decoded", bad)
		}
	}
}

// cardhelper's PIN question: front's handler sees the card's state and
// its answer reaches the helper; an access token is refused there; a
// question carrying public keys (or too long for its frame) is refused.
func TestCardInquiry(t *testing.T) {
	st := *cardStatusSeed()
	st.Keys[0].Public = nil
	for _, answer := range []string{"123456", testToken} {
		toHelper, toFront := new(bytes.Buffer), new(bytes.Buffer)
		helper := NewConn(toHelper, toFront)
		front := NewConn(toFront, toHelper)
		helper.Write(&CardInquiry{Status: st})
		helper.Write(&CardOutput{Data: []byte{1}})
		var seen *CardStatus
		var out CardOutput
		err := front.CallCard(&CardRequest{Op: CardOpSign, Data: []byte{1}}, &out, func(s *CardStatus) ([]byte, bool, error) {
			seen = s
			return []byte(answer), true, nil
		})
		if err != nil || seen == nil || seen.Name != st.Name || seen.SigCounter != 7 || !bytes.Equal(out.Data, []byte{1}) {
			t.Fatalf("CallCard: %v %+v %x", err, seen, out.Data)
		}
		if _, err := helper.ReadRequest(map[MsgType]func() Message{TypeCardRequest: func() Message { return new(CardRequest) }}); err != nil {
			t.Fatal(err)
		}
		toFront.Reset()
		pin, err := helper.InquireCardPIN(&CardInquiry{Status: st})
		var e *Error
		switch {
		case answer == testToken && (!errors.As(err, &e) || e.Code != ErrCodeNotPermitted):
			t.Errorf("a token unlocked the card: %q %v", pin, err)
		case answer != testToken && (err != nil || string(pin) != answer):
			t.Errorf("InquireCardPIN: %q %v", pin, err)
		}
	}
	// the frames front refuses
	withKey := *cardStatusSeed()
	long := st
	long.Name, long.URL, long.Login, long.Lang, long.Reader = strings.Repeat("x", maxCardText), strings.Repeat("x", maxCardText),
		strings.Repeat("x", maxCardText), strings.Repeat("x", maxCardText), strings.Repeat("x", maxCardText)
	if err := Unmarshal(TypeCardInquiry, Marshal(&CardInquiry{Status: withKey}), new(CardInquiry)); err == nil {
		t.Error("a CardInquiry with a public key was accepted")
	}
	if max, _ := MaxPayload(TypeCardInquiry); len(Marshal(&CardInquiry{Status: long})) > max {
		t.Errorf("the longest CardInquiry (%d bytes) does not fit its frame (%d)", len(Marshal(&CardInquiry{Status: long})), max)
	}
}
