package ipc

import (
	"errors"
	"fmt"
	"io"

	"github.com/frontpgp/front/keyslot"
)

// maxInquiries bounds how often a helper may ask within one session, so a
// confused or hostile helper cannot loop on front's prompt.
const maxInquiries = 6

// InquiryHandler answers an inquiry. ok=false cancels it.
type InquiryHandler func(q *Inquiry) (passphrase []byte, ok bool, err error)

// ErrUnexpected is a frame that has no place at this point of the session.
var ErrUnexpected = errors.New("ipc: unexpected frame")

// Call is front's side of one session after the hellos: send req, answer
// inquiries, decode the final Result into res. A helper Error is returned
// as *Error.
func (c *Conn) Call(req, res Message, inquire InquiryHandler) error {
	return c.call(req, res, TypeInquiry, func(p []byte) ([]byte, bool, error) {
		var q Inquiry
		if err := Unmarshal(TypeInquiry, p, &q); err != nil {
			return nil, false, err
		}
		return inquire(&q)
	})
}

// CardPINHandler answers a CardInquiry: the PIN, ok=false to cancel, or
// an error that ends the session (the helper sees front hang up).
type CardPINHandler func(st *CardStatus) (pin []byte, ok bool, err error)

// CallCard is Call for cardhelper: its question is a CardInquiry.
func (c *Conn) CallCard(req *CardRequest, res Message, ask CardPINHandler) error {
	return c.call(req, res, TypeCardInquiry, func(p []byte) ([]byte, bool, error) {
		var q CardInquiry
		if err := Unmarshal(TypeCardInquiry, p, &q); err != nil {
			return nil, false, err
		}
		return ask(&q.Status)
	})
}

// call sends req and answers the helper's questions, frames of type
// question that answer decodes and answers, until the final frame.
func (c *Conn) call(req, res Message, question MsgType, answer func(payload []byte) ([]byte, bool, error)) error {
	if err := c.Write(req); err != nil {
		return fmt.Errorf("ipc: sending request: %w", err)
	}
	for asked := 0; ; {
		t, p, err := c.Recv()
		if err == io.EOF {
			return fmt.Errorf("ipc: helper exited without an answer")
		}
		if err != nil {
			return err
		}
		switch t {
		case question:
			asked++
			if asked > maxInquiries {
				return fmt.Errorf("ipc: helper asked too often")
			}
			pass, ok, err := answer(p)
			if err != nil {
				return err
			}
			switch {
			case ok && keyslot.IsToken(pass):
				err = c.Write(&InquiryToken{Token: pass})
			case ok:
				err = c.Write(&InquiryAnswer{Passphrase: pass})
			default:
				err = c.Write(&InquiryCancel{})
			}
			if err != nil {
				return fmt.Errorf("ipc: answering inquiry: %w", err)
			}
		case TypeResult:
			return Unmarshal(t, p, res)
		case TypeError:
			var e Error
			if err := Unmarshal(t, p, &e); err != nil {
				return err
			}
			return &e
		default:
			return ErrUnexpected
		}
	}
}

// ReadRequest is the helper's side: it reads the one request and decodes it
// if its type is in the helper's closed set (allowed maps type to a new,
// empty message). Anything else is an error and the helper must exit.
func (c *Conn) ReadRequest(allowed map[MsgType]func() Message) (Message, error) {
	t, p, err := c.Recv()
	if err != nil {
		return nil, err
	}
	mk, ok := allowed[t]
	if !ok {
		return nil, &Error{Code: ErrCodeNotPermitted, Message: fmt.Sprintf("request type %#x not accepted here", uint16(t))}
	}
	// the decoded message holds copies; the frame (a PIN, say) is wiped
	defer clear(p)
	m := mk()
	if err := Unmarshal(t, p, m); err != nil {
		return nil, err
	}
	return m, nil
}

// Inquire sends q and waits for a passphrase. A cancel becomes *Error with
// ErrCodeCanceled; EOF means front is gone and the helper must exit. An
// access token is refused here: tokens unlock keys only where the helper
// asks with InquireUnlock (signing and decryption).
func (c *Conn) Inquire(q *Inquiry) ([]byte, error) {
	secret, token, err := c.InquireUnlock(q)
	if err == nil && token {
		return nil, &Error{Code: ErrCodeNotPermitted, Message: "an access token cannot be used for this operation"}
	}
	return secret, err
}

// InquireUnlock is Inquire that also accepts an access token (token true;
// secret is then the token's text, whose syntax the decoder checked).
func (c *Conn) InquireUnlock(q *Inquiry) (secret []byte, token bool, err error) {
	return c.inquire(q)
}

// InquireCardPIN is cardhelper's question: q carries the card's state, the
// answer is the PIN (an access token is refused: it unlocks no card).
func (c *Conn) InquireCardPIN(q *CardInquiry) ([]byte, error) {
	pin, token, err := c.inquire(q)
	if err == nil && token {
		clear(pin)
		return nil, &Error{Code: ErrCodeNotPermitted, Message: "an access token cannot unlock a card"}
	}
	return pin, err
}

// inquire sends the question q and reads front's answer.
func (c *Conn) inquire(q Message) (secret []byte, token bool, err error) {
	if err := c.Write(q); err != nil {
		return nil, false, err
	}
	t, p, err := c.Recv()
	if err != nil {
		return nil, false, err
	}
	switch t {
	case TypeInquiryAnswer:
		var a InquiryAnswer
		if err := Unmarshal(t, p, &a); err != nil {
			return nil, false, err
		}
		return a.Passphrase, false, nil
	case TypeInquiryToken:
		var a InquiryToken
		if err := Unmarshal(t, p, &a); err != nil {
			return nil, false, err
		}
		return a.Token, true, nil
	case TypeInquiryCancel:
		if len(p) != 0 {
			return nil, false, ErrMalformed
		}
		return nil, false, &Error{Code: ErrCodeCanceled, Message: "operation cancelled"}
	}
	return nil, false, ErrUnexpected
}

// AsError is the Error frame a helper ends a failed session with: an *Error
// as it is, a frame front got wrong as ErrCodeBadRequest, anything else as
// ErrCodeInternal. Callers make sure err's text holds no secret.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	code := ErrCodeInternal
	if errors.Is(err, ErrMalformed) || errors.Is(err, ErrTruncated) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrUnknownType) {
		code = ErrCodeBadRequest
	}
	return &Error{Code: code, Message: err.Error()}
}
