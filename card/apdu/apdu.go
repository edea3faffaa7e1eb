// Package apdu frames ISO 7816-4 command APDUs and reads responses: short
// and extended length, command chaining for data longer than a short APDU
// holds, GET RESPONSE after 61xx, one resend with the right Le after 6Cxx,
// and status words decoded into errors. It sits between a Transport (PC/SC,
// or an in-memory card in tests) and the OpenPGP card mapping.
package apdu

import (
	"errors"
	"fmt"
)

// Transport exchanges one command APDU for one response APDU (response
// data ‖ SW1 SW2).
type Transport interface {
	Transmit(cmd []byte) ([]byte, error)
}

// Transports wrap these when the card was reset or removed by someone
// else, so that the layers above can tell them from other failures.
var (
	ErrReset   = errors.New("the card was reset by another program")
	ErrRemoved = errors.New("the card was removed")
)

// Limits: a response assembled from GET RESPONSE pieces never exceeds
// MaxResponse bytes, and command data never exceeds MaxCommand.
const (
	MaxResponse = 0x10000
	MaxCommand  = 0xFFFF
	maxShort    = 255
)

// Command is one command APDU before framing.
type Command struct {
	CLA, INS, P1, P2 byte
	Data             []byte
	// Ne is the number of response bytes expected: 0 for none (no Le
	// field), else 1..65536; 256 or more means "all" in a short APDU.
	Ne int
}

// StatusError is a status word other than 9000.
type StatusError struct{ SW uint16 }

func (e *StatusError) Error() string {
	sw := e.SW
	var what string
	switch {
	case sw&0xFFF0 == 0x63C0:
		what = fmt.Sprintf("wrong PIN, %d tries left", sw&0xF)
	case sw == 0x6983:
		what = "PIN blocked"
	case sw == 0x6982:
		what = "security status not satisfied"
	case sw == 0x6985:
		what = "conditions of use not satisfied"
	case sw == 0x6A80:
		what = "incorrect data"
	case sw == 0x6A82:
		what = "application not found"
	case sw == 0x6A88:
		what = "referenced data not found"
	case sw == 0x6700:
		what = "wrong length"
	case sw == 0x6D00:
		what = "instruction not supported (another application selected?)"
	case sw == 0x6E00:
		what = "class not supported"
	case sw == 0x6285:
		what = "application terminated"
	default:
		what = "card error"
	}
	return fmt.Sprintf("%s (SW %04X)", what, sw)
}

// SW returns the status word of a StatusError in err's chain.
func SW(err error) (uint16, bool) {
	var se *StatusError
	if errors.As(err, &se) {
		return se.SW, true
	}
	return 0, false
}

// Client sends commands through a Transport.
type Client struct {
	T Transport
	// Extended is set when both card and reader handle extended length
	// APDUs; otherwise long command data is chained in short APDUs and
	// long responses come through GET RESPONSE.
	Extended bool
}

// Do sends cmd and returns the response data of a 9000 answer; any other
// final status word is a *StatusError (with the data discarded).
func (c *Client) Do(cmd Command) ([]byte, error) {
	if len(cmd.Data) > MaxCommand || cmd.Ne < 0 || cmd.Ne > MaxResponse {
		return nil, fmt.Errorf("apdu: command out of range (%d bytes, Ne %d)", len(cmd.Data), cmd.Ne)
	}
	if cmd.CLA&0x10 != 0 {
		return nil, errors.New("apdu: the chaining bit is the client's to set")
	}
	if c.Extended || len(cmd.Data) <= maxShort {
		return c.exchange(cmd)
	}
	// Command chaining: every block but the last has CLA bit 0x10 and no
	// Le; each must be accepted with 9000 before the next is sent.
	data := cmd.Data
	for len(data) > maxShort {
		block := Command{CLA: cmd.CLA | 0x10, INS: cmd.INS, P1: cmd.P1, P2: cmd.P2, Data: data[:maxShort]}
		if _, err := c.exchange(block); err != nil {
			return nil, err
		}
		data = data[maxShort:]
	}
	last := cmd
	last.Data = data
	return c.exchange(last)
}

// exchange sends one framed APDU and follows 6Cxx (once) and 61xx.
func (c *Client) exchange(cmd Command) ([]byte, error) {
	resp, sw, err := c.transmit(cmd)
	if err != nil {
		return nil, err
	}
	if sw>>8 == 0x6C {
		// Wrong Le: the card says how many bytes it has. Resend once.
		cmd.Ne = int(sw & 0xFF)
		if cmd.Ne == 0 {
			cmd.Ne = 256
		}
		if resp, sw, err = c.transmit(cmd); err != nil {
			return nil, err
		}
	}
	out := resp
	for sw>>8 == 0x61 {
		n := int(sw & 0xFF)
		if n == 0 {
			n = 256
		}
		if len(out)+n > MaxResponse {
			return nil, fmt.Errorf("apdu: response longer than %d bytes", MaxResponse)
		}
		if resp, sw, err = c.transmit(Command{INS: 0xC0, Ne: n}); err != nil {
			return nil, err
		}
		out = append(out, resp...)
		if len(resp) == 0 && sw>>8 == 0x61 {
			return nil, errors.New("apdu: GET RESPONSE returned no data")
		}
	}
	if sw != 0x9000 {
		return nil, &StatusError{SW: sw}
	}
	return out, nil
}

func (c *Client) transmit(cmd Command) ([]byte, uint16, error) {
	raw, err := Encode(cmd, c.Extended)
	if err != nil {
		return nil, 0, err
	}
	r, err := c.T.Transmit(raw)
	if err != nil {
		return nil, 0, err
	}
	if len(r) < 2 {
		return nil, 0, fmt.Errorf("apdu: response of %d bytes has no status word", len(r))
	}
	if len(r)-2 > MaxResponse {
		return nil, 0, fmt.Errorf("apdu: response longer than %d bytes", MaxResponse)
	}
	n := len(r) - 2
	return r[:n:n], uint16(r[n])<<8 | uint16(r[n+1]), nil
}

// Encode frames cmd as a short APDU, or as an extended one when extended
// is set and the command needs it (more than 255 data bytes or more than
// 256 expected). Data too long for the chosen form is an error: chaining
// is Client.Do's job.
func Encode(cmd Command, extended bool) ([]byte, error) {
	lc := len(cmd.Data)
	out := []byte{cmd.CLA, cmd.INS, cmd.P1, cmd.P2}
	if extended && (lc > maxShort || cmd.Ne > 256) {
		if lc > MaxCommand || cmd.Ne > MaxResponse {
			return nil, errors.New("apdu: command too long for an extended APDU")
		}
		out = append(out, 0x00)
		if lc > 0 {
			out = append(out, byte(lc>>8), byte(lc))
			out = append(out, cmd.Data...)
		}
		if cmd.Ne > 0 {
			ne := cmd.Ne & 0xFFFF // 65536 is encoded as 0000
			out = append(out, byte(ne>>8), byte(ne))
		}
		return out, nil
	}
	if lc > maxShort {
		return nil, errors.New("apdu: command data too long for a short APDU")
	}
	if lc > 0 {
		out = append(out, byte(lc))
		out = append(out, cmd.Data...)
	}
	if cmd.Ne > 0 {
		out = append(out, byte(min(cmd.Ne, 256))) // 256 is encoded as 00
	}
	return out, nil
}
