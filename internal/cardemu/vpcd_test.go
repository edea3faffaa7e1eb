package cardemu

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"
)

// TestVPCDProtocolAndRemoveAfter plays vpcd's side: ATR request, power
// cycle, APDUs; with RemoveAfter 2 the card hangs up after two APDUs.
func TestVPCDProtocolAndRemoveAfter(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	card := New(Options{Serial: 5})
	slot, err := Insert(card, ln.Addr().String(), InsertOptions{RemoveAfter: 2}, time.Now().Add(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	send := func(msg []byte) {
		conn.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(msg))), msg...))
	}
	recv := func() []byte {
		var hdr [2]byte
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, binary.BigEndian.Uint16(hdr[:]))
		io.ReadFull(conn, b)
		return b
	}
	send([]byte{vpcdPowerOn}) // no answer
	send([]byte{vpcdGetATR})
	if atr := recv(); !bytes.Equal(atr, card.ATR()) {
		t.Fatalf("ATR %X", atr)
	}
	if err := slot.WaitPowered(time.Second); err != nil {
		t.Fatal(err)
	}
	send([]byte{0x00, 0xA4, 0x04, 0x00, 0x06, 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01})
	if r := recv(); !bytes.Equal(r, []byte{0x90, 0x00}) {
		t.Fatalf("SELECT: %X", r)
	}
	send([]byte{0x00, 0xCA, 0x00, 0x4F, 0x00})
	if r := recv(); len(r) != 18 || !bytes.HasSuffix(r, []byte{0x90, 0x00}) {
		t.Fatalf("GET DATA 4F: %X", r)
	}
	select {
	case <-slot.Removed():
	case <-time.After(5 * time.Second):
		t.Fatal("card still inserted after RemoveAfter APDUs")
	}
	if err := slot.Remove(); err != nil {
		t.Fatal(err)
	}
}
