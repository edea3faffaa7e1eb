// Package ipc is the pipe protocol between front and its one-shot helpers.
//
// A session is: the helper writes a Hello preamble (after it has locked
// itself down), front answers with its own Hello, front sends exactly one
// request frame, the helper may send inquiries (each answered before the
// next), and the helper ends with one Result or Error frame and exits.
//
// Frames are a big-endian u32 length (of type+payload), a u16 type and the
// payload. Every type has its own maximum payload size and a session has a
// total cap, so a peer can never make the other side allocate without bound.
package ipc

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Magic opens every Hello preamble.
const Magic = "FRONTPGP"

// Version is the protocol version; peers with different versions refuse each other.
const Version uint16 = 1

// Role names the helper kind, so front can never talk to the wrong binary.
type Role uint8

const (
	RoleKey  Role = 1
	RoleCard Role = 2
	RoleNet  Role = 3
)

func (r Role) String() string {
	switch r {
	case RoleKey:
		return "keyhelper"
	case RoleCard:
		return "cardhelper"
	case RoleNet:
		return "nethelper"
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// MsgType identifies a frame.
type MsgType uint16

const (
	// Requests, front → helper. Each helper accepts a closed subset.
	TypeSignRequest     MsgType = 0x10
	TypeDecryptRequest  MsgType = 0x11
	TypeGenerateRequest MsgType = 0x12
	TypeImportRequest   MsgType = 0x13
	TypeExportRequest   MsgType = 0x14
	TypeDeleteRequest   MsgType = 0x15
	TypeListRequest     MsgType = 0x16
	TypeCertifyRequest  MsgType = 0x17
	TypeAddSubkey       MsgType = 0x18
	TypePasswdRequest   MsgType = 0x19
	TypeFetchRequest    MsgType = 0x1A // nethelper's only request
	TypeTokenCreate     MsgType = 0x1B
	TypeTokenList       MsgType = 0x1C
	TypeTokenRevoke     MsgType = 0x1D
	TypeCardRequest     MsgType = 0x1E // cardhelper's only request
	TypeCardStubs       MsgType = 0x1F // keyhelper (write): record the keys of a card
	TypeKeyToCard       MsgType = 0x42 // keyhelper (read): a secret key into the key pipe (0x40, 0x41: ipc/gnupg.go)

	// Inquiry and its answers.
	TypeInquiry       MsgType = 0x20 // helper → front
	TypeInquiryAnswer MsgType = 0x21 // front → helper
	TypeInquiryCancel MsgType = 0x22 // front → helper
	TypeInquiryToken  MsgType = 0x23 // front → helper: an access token instead of a passphrase
	TypeCardInquiry   MsgType = 0x24 // cardhelper → front: the card's state, asking for its PIN

	// Final frames, helper → front.
	TypeResult MsgType = 0x30
	TypeError  MsgType = 0x31
)

const (
	helloSize     = len(Magic) + 2 + 1
	headerSize    = 6
	kib           = 1 << 10
	mib           = 1 << 20
	maxSessionIn  = 64 * mib // total payload bytes one side accepts in a session
	defaultMaxLen = 4 * kib
)

// maxPayload is the per-type limit. Types absent here are unknown and rejected
// before their payload is read.
var maxPayload = map[MsgType]int{
	TypeSignRequest:     4 * kib,
	TypeDecryptRequest:  64 * kib,
	TypeGenerateRequest: 16 * kib,
	TypeImportRequest:   32 * mib,
	TypeExportRequest:   64 * kib,
	TypeDeleteRequest:   1 * kib,
	TypeListRequest:     0,
	TypeCertifyRequest:  1 * mib,
	TypeAddSubkey:       1 * kib,
	TypePasswdRequest:   1 * kib,
	TypeFetchRequest:    maxFetchRequest,
	TypeTokenCreate:     1 * kib,
	TypeTokenList:       64,
	TypeTokenRevoke:     64,
	TypeCardRequest:     8 * kib, // PINs, data, up to MaxCardDOs data objects
	TypeCardStubs:       4 * mib,
	TypeKeyToCard:       64,
	TypeInquiry:         4 * kib,
	TypeInquiryAnswer:   4 * kib,
	TypeInquiryCancel:   0,
	TypeInquiryToken:    64,
	TypeCardInquiry:     4 * kib, // a CardStatus without public keys
	TypeResult:          32 * mib,
	TypeError:           4 * kib,
}

// MaxPayload reports the payload limit of t and whether t is a known type.
func MaxPayload(t MsgType) (int, bool) {
	n, ok := maxPayload[t]
	return n, ok
}

// Errors a peer can cause. They are protocol violations: the session ends.
var (
	ErrBadMagic    = errors.New("ipc: bad hello magic")
	ErrBadVersion  = errors.New("ipc: protocol version mismatch")
	ErrBadRole     = errors.New("ipc: peer has the wrong role")
	ErrUnknownType = errors.New("ipc: unknown frame type")
	ErrTooLarge    = errors.New("ipc: frame larger than its type allows")
	ErrSessionCap  = errors.New("ipc: session byte cap exceeded")
	ErrTruncated   = errors.New("ipc: truncated frame")
)

// Conn is one side of a session. It is not safe for concurrent use; the
// protocol never needs it (one outstanding message at a time).
type Conn struct {
	r        *bufio.Reader
	w        io.Writer
	received int64
}

// NewConn wraps the two pipe ends.
func NewConn(r io.Reader, w io.Writer) *Conn {
	return &Conn{r: bufio.NewReaderSize(r, 16*kib), w: w}
}

// WriteHello sends the preamble for role.
func (c *Conn) WriteHello(role Role) error {
	var b [helloSize]byte
	copy(b[:], Magic)
	binary.BigEndian.PutUint16(b[len(Magic):], Version)
	b[len(Magic)+2] = byte(role)
	_, err := c.w.Write(b[:])
	return err
}

// ReadHello reads the peer's preamble and checks it names want.
func (c *Conn) ReadHello(want Role) error {
	var b [helloSize]byte
	if _, err := io.ReadFull(c.r, b[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return ErrTruncated
		}
		return err
	}
	if string(b[:len(Magic)]) != Magic {
		return ErrBadMagic
	}
	if binary.BigEndian.Uint16(b[len(Magic):]) != Version {
		return ErrBadVersion
	}
	if Role(b[len(Magic)+2]) != want {
		return ErrBadRole
	}
	return nil
}

// Send writes one frame.
func (c *Conn) Send(t MsgType, payload []byte) error {
	limit, ok := maxPayload[t]
	if !ok {
		return ErrUnknownType
	}
	if len(payload) > limit {
		return ErrTooLarge
	}
	frame := make([]byte, headerSize+len(payload))
	// the copy may hold a PIN or a passphrase: wiped once written
	defer clear(frame)
	binary.BigEndian.PutUint32(frame, uint32(2+len(payload)))
	binary.BigEndian.PutUint16(frame[4:], uint16(t))
	copy(frame[headerSize:], payload)
	_, err := c.w.Write(frame)
	return err
}

// Recv reads one frame. io.EOF means the peer closed cleanly between frames.
func (c *Conn) Recv() (MsgType, []byte, error) {
	return readFrame(c.r, &c.received)
}

// readFrame enforces the limits before allocating the payload.
func readFrame(r io.Reader, received *int64) (MsgType, []byte, error) {
	var h [headerSize]byte
	n, err := io.ReadFull(r, h[:])
	if err != nil {
		if err == io.EOF && n == 0 {
			return 0, nil, io.EOF
		}
		return 0, nil, ErrTruncated
	}
	length := binary.BigEndian.Uint32(h[:4])
	if length < 2 {
		return 0, nil, ErrTruncated
	}
	t := MsgType(binary.BigEndian.Uint16(h[4:]))
	limit, ok := maxPayload[t]
	if !ok {
		return t, nil, ErrUnknownType
	}
	size := int64(length) - 2
	if size > int64(limit) {
		return t, nil, ErrTooLarge
	}
	if *received+size > maxSessionIn {
		return t, nil, ErrSessionCap
	}
	*received += size
	payload := make([]byte, size)
	if _, err := io.ReadFull(r, payload); err != nil {
		return t, nil, ErrTruncated
	}
	return t, payload, nil
}
