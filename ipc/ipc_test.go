package ipc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
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
		&ImportResult{Public: []byte{9}, Keys: []ImportedKey{{Fingerprint: []byte{1}, New: true}}, Listing: []SecretEntry{{Fingerprint: []byte{1}, Primary: []byte{1}, Protected: true}}},
		&Error{Code: ErrCodeBadPassphrase, Message: "bad passphrase"},
		&CertifyRequest{Signer: []byte{1}, PrimaryKey: []byte{0xc6, 1, 4}, Items: []CertifyItem{{Class: 0x13, Component: []byte{0xcd, 1, 'a'}, Hashed: []byte{5, 2, 0, 0, 0, 1}}, {Class: 0x20}}},
		&CertifyResult{Signatures: [][]byte{{0xc2, 0}, {0xc2, 1, 4}}},
		&AddSubkeyRequest{Primary: []byte{1}, Key: KeySpec{"cv25519", "encr", 0}, Created: 5},
		&AddSubkeyResult{Public: []byte{1}, Listing: []SecretEntry{{Fingerprint: []byte{2}}}},
		&PasswdRequest{Primary: []byte{1}},
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
	f.Add(frame(TypeCertifyRequest, Marshal(&CertifyRequest{Signer: []byte{1}, Items: []CertifyItem{{Class: 0x10, Hashed: []byte{1}}}})))
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
