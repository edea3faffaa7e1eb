package main

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/frontpgp/front/ipc"
)

// cardPIN names a PIN a card administration needs; desc is what gpg's
// agent shows for it (scdaemon's prompt, divert-scd.c's repeat).
type cardPIN struct {
	desc   string
	repeat string // non-empty for a new PIN: asked twice, until both match
	label  string // for "… not correctly repeated"
}

var (
	pinUser         = cardPIN{desc: "Please enter the PIN", label: "PIN"}
	pinAdmin        = cardPIN{desc: "Please enter the Admin PIN", label: "Admin PIN"}
	pinResetCode    = cardPIN{desc: "Please enter the Reset Code for the card", label: "Reset Code"}
	pinNewUser      = cardPIN{desc: "New PIN", repeat: "Repeat this PIN", label: "PIN"}
	pinNewAdmin     = cardPIN{desc: "New Admin PIN", repeat: "Repeat this PIN", label: "PIN"}
	pinNewResetCode = cardPIN{desc: "New Reset Code", repeat: "Repeat this Reset Code", label: "Reset Code"}
)

// askCardSecret asks for a PIN, Admin PIN or Reset Code before any card
// transaction starts (card.md: other programs wait while one is open),
// from the sources of a passphrase (answerInquiryOnce, as askCardPIN for
// the PIN of a key): --passphrase* and the command fd in loopback mode
// (INQUIRE_MAXLEN, GET_HIDDEN passphrase.enter, without the key hints gpg
// has no key for), pinentry, the terminal. Nothing is cached. A new PIN is
// asked twice and again while the two differ (gpg-agent's repeat). tries
// is the retry counter, shown once some tries were used. The caller wipes
// the answer.
func (a *app) askCardSecret(p cardPIN, tries int) ([]byte, error) {
	first := true
	return askPINTwice(p, func(desc string) ([]byte, error) {
		if first && tries > 0 && tries < 3 {
			desc += fmt.Sprintf("\n\nRemaining attempts: %d", tries)
		}
		first = false
		q := &ipc.Inquiry{Kind: ipc.InquirePassphrase, Prompt: desc, Attempt: 1}
		// gpg relays no key hints for these: there is no key
		saved := a.noPassphraseHints
		a.noPassphraseHints = true
		a.fe.passFailure = nil
		defer func() { a.noPassphraseHints = saved }()
		pin, err := a.askPINInquiry(q)
		var cf *cardFailure
		if errors.As(err, &cf) && cf.code&0xFFFF == errNoPassphraseCode {
			// an empty answer reaches scdaemon, which finds it too short
			return nil, errCardBadPIN
		}
		return pin, err
	})
}

// askPINTwice asks once, or for a new PIN until two answers match.
func askPINTwice(p cardPIN, ask func(desc string) ([]byte, error)) ([]byte, error) {
	again := ""
	for {
		desc := p.desc
		if again != "" {
			desc = again + "\n" + desc
		}
		pin, err := ask(desc)
		if err != nil || p.repeat == "" {
			return pin, err
		}
		rep, err := ask(p.repeat)
		if err != nil {
			clear(pin)
			return nil, err
		}
		same := bytes.Equal(pin, rep)
		clear(rep)
		if same {
			return pin, nil
		}
		clear(pin)
		again = p.label + " not correctly repeated; try again"
	}
}
