package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"golang.org/x/term"
)

// cardPIN names a PIN a card operation needs; its prompt is what gpg's
// agent shows (divert-scd.c) for the same PIN.
type cardPIN struct {
	desc, label string
	repeat      string // non-empty for a new PIN: asked twice, until both match
}

var (
	pinUser         = cardPIN{desc: "Please enter the PIN", label: "PIN"}
	pinAdmin        = cardPIN{desc: "Please enter the Admin PIN", label: "Admin PIN"}
	pinResetCode    = cardPIN{desc: "Please enter the Reset Code for the card", label: "Reset Code"}
	pinNewUser      = cardPIN{desc: "New PIN", label: "PIN", repeat: "Repeat this PIN"}
	pinNewAdmin     = cardPIN{desc: "New Admin PIN", label: "Admin PIN", repeat: "Repeat this PIN"}
	pinNewResetCode = cardPIN{desc: "New Reset Code", label: "Reset Code", repeat: "Repeat this Reset Code"}
)

// Why a PIN could not be had, with gpg's texts.
var (
	errPINCanceled   = errors.New("Operation cancelled")
	errNoPinentryPIN = errors.New("No pinentry")
)

// askCardPIN asks for one PIN before any card transaction starts (card.md:
// other programs wait while one is open). The sources are those of a
// passphrase that gpg-agent would ask for:
//   - --pinentry-mode loopback: --passphrase* if given, else the command
//     fd (INQUIRE_MAXLEN, GET_HIDDEN passphrase.enter), as gpg relays the
//     agent's inquiry;
//   - --pinentry-mode cancel or error: gpg's failures;
//   - the terminal, with echo off, unless --batch or --no-tty.
//
// A new PIN is asked twice and again while the two differ (gpg-agent's
// repeat). tries is the PIN's retry counter, shown on the terminal when
// below 3. The caller wipes the answer.
func (a *app) askCardPIN(p cardPIN, tries int) ([]byte, error) {
	mode := a.opts.last("pinentry-mode")
	if mode == "loopback" && a.agentConf().loopbackAllowed {
		if pass, ok, err := a.fixedPassphrase(); err != nil {
			return nil, err
		} else if ok {
			return bytes.Clone(pass), nil
		}
		if a.commandFD() {
			return a.askPINTwice(p, func(string) ([]byte, error) {
				a.status.Emit("INQUIRE_MAXLEN", inquireMaxLen)
				ans, canceled := a.cprGet("GET_HIDDEN", "passphrase.enter")
				if canceled {
					return nil, errPINCanceled
				}
				return []byte(ans), nil
			})
		}
	}
	switch {
	case mode == "cancel":
		return nil, errPINCanceled
	case mode == "error" || a.opts.has("batch") || a.opts.has("no-tty"):
		return nil, errNoPinentryPIN
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, errNoPinentryPIN
	}
	defer tty.Close()
	first := true
	return a.askPINTwice(p, func(desc string) ([]byte, error) {
		fmt.Fprintln(tty, desc)
		if first && tries > 0 && tries < 3 {
			fmt.Fprintf(tty, "Attempts left: %d\n", tries)
		}
		first = false
		fmt.Fprintf(tty, "%s: ", p.label)
		pin, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		if err != nil {
			return nil, errPINCanceled
		}
		return pin, nil
	})
}

// askPINTwice asks once, or for a new PIN until two answers match.
func (a *app) askPINTwice(p cardPIN, ask func(desc string) ([]byte, error)) ([]byte, error) {
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
