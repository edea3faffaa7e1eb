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

// Why a PIN could not be had.
var (
	errPINCanceled   = errors.New("Operation cancelled")
	errNoPinentryPIN = errors.New("No pinentry")
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
		savedHints := a.noPassphraseHints
		a.askingPIN, a.noPassphraseHints = true, true
		a.fe.passFailure = nil
		pin, ok, err := a.answerInquiryOnce(q)
		a.askingPIN, a.noPassphraseHints = false, savedHints
		if a.pin != nil {
			a.pin.Close()
			a.pin = nil
		}
		switch {
		case errors.Is(err, errNoPassphrase):
			return nil, errNoPinentryPIN
		case err != nil:
			return nil, err
		case !ok && a.fe.passFailure != nil && a.fe.passFailure.code&0xFFFF == errCanceled:
			return nil, errPINCanceled
		case !ok && a.fe.passFailure != nil && a.fe.passFailure.code&0xFFFF == errNoPassphraseCode:
			return nil, errCardBadPIN // scdaemon finds an empty PIN too short
		case !ok && a.fe.passFailure != nil:
			return nil, &cardFailure{a.fe.passFailure.code, a.fe.passFailure.msg}
		case !ok:
			return nil, errCardBadPIN
		}
		own := bytes.Clone(pin)
		if len(a.passphrase) == 0 || len(pin) == 0 || &pin[0] != &a.passphrase[0] {
			clear(pin) // a fixed --passphrase* source stays for the next question
		}
		if len(own) > ipc.MaxCardPIN {
			clear(own)
			return nil, errCardBadPIN
		}
		return own, nil
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
