package cardemu

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// VPCDAddr is where vsmartcard-vpcd (loaded by pcscd from
// /etc/reader.conf.d/vpcd) waits for its virtual card.
const VPCDAddr = "127.0.0.1:35963"

// vpcd control messages: a one-byte payload; anything longer is an APDU.
const (
	vpcdPowerOff = 0x00
	vpcdPowerOn  = 0x01
	vpcdReset    = 0x02
	vpcdGetATR   = 0x04
)

// Slot is a card inserted into the vpcd reader: a connection whose
// closing is, for pcscd, the card's removal.
type Slot struct {
	card    *Card
	conn    net.Conn
	powered chan struct{}
	once    sync.Once
	done    chan struct{}
	err     error
}

// InsertOptions tunes one insertion.
type InsertOptions struct {
	// RemoveAfter removes the card when it has answered this many APDUs
	// (0: never), to test removal in the middle of an operation.
	RemoveAfter int
}

// Insert connects card to vpcd at addr, retrying until deadline (pcscd
// loads the driver, and vpcd starts listening, a moment after pcscd
// starts). The card is served until Remove, RemoveAfter, or pcscd closing
// the connection.
func Insert(card *Card, addr string, opts InsertOptions, deadline time.Time) (*Slot, error) {
	var conn net.Conn
	for {
		var err error
		conn, err = net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("cardemu: connecting to vpcd at %s: %w", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s := &Slot{card: card, conn: conn, powered: make(chan struct{}), done: make(chan struct{})}
	go s.serve(opts.RemoveAfter)
	return s, nil
}

// maxVPCDMessage bounds one message from vpcd: an extended APDU with 64 KiB
// of data and its header.
const maxVPCDMessage = 0xFFFF

func (s *Slot) serve(removeAfter int) {
	defer close(s.done)
	defer s.conn.Close()
	var hdr [2]byte
	buf := make([]byte, maxVPCDMessage)
	apdus := 0
	for {
		quickAck(s.conn)
		if _, err := io.ReadFull(s.conn, hdr[:]); err != nil {
			s.finish(err)
			return
		}
		msg := buf[:binary.BigEndian.Uint16(hdr[:])]
		if _, err := io.ReadFull(s.conn, msg); err != nil {
			s.finish(err)
			return
		}
		var reply []byte
		switch {
		case len(msg) == 1 && msg[0] == vpcdGetATR:
			reply = s.card.ATR()
			s.once.Do(func() { close(s.powered) })
		case len(msg) == 1 && (msg[0] == vpcdPowerOff || msg[0] == vpcdPowerOn || msg[0] == vpcdReset):
			s.card.Reset()
			continue // control messages other than GetATR have no answer
		case len(msg) == 1:
			s.finish(fmt.Errorf("cardemu: unknown vpcd control %02X", msg[0]))
			return
		default:
			reply, _ = s.card.Transmit(msg)
			apdus++
		}
		out := binary.BigEndian.AppendUint16(nil, uint16(len(reply)))
		if _, err := s.conn.Write(append(out, reply...)); err != nil {
			s.finish(err)
			return
		}
		if removeAfter > 0 && apdus >= removeAfter {
			s.finish(nil)
			return
		}
	}
}

// quickAck makes the kernel acknowledge the next data at once. vpcd sends
// a message's length and its body in two writes with Nagle's algorithm
// on, so its body waits for our ACK of the length, which Linux would
// delay by up to 40 ms: every APDU would take that long. Linux leaves
// quick-ACK mode by itself, so it is set again before each message.
func quickAck(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	if raw, err := tc.SyscallConn(); err == nil {
		raw.Control(func(fd uintptr) { unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_QUICKACK, 1) })
	}
}

func (s *Slot) finish(err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		err = nil
	}
	s.err = err
}

// WaitPowered waits until pcscd has read the ATR, i.e. has seen the card.
func (s *Slot) WaitPowered(timeout time.Duration) error {
	select {
	case <-s.powered:
		return nil
	case <-s.done:
		return fmt.Errorf("cardemu: vpcd closed the connection before reading the ATR: %v", s.err)
	case <-time.After(timeout):
		return fmt.Errorf("cardemu: pcscd did not read the ATR within %v", timeout)
	}
}

// Removed is closed when the card has left the reader.
func (s *Slot) Removed() <-chan struct{} { return s.done }

// Remove takes the card out of the reader and returns the serving error,
// if any.
func (s *Slot) Remove() error {
	s.conn.Close()
	<-s.done
	return s.err
}
