package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/frontpgp/front/ipc"
	"golang.org/x/term"
)

// maxPassphrase bounds what is read from a passphrase source.
const maxPassphrase = 1024

// fixedPassphrase returns the passphrase given by --passphrase,
// --passphrase-file or --passphrase-fd, read once per process as gpg does.
func (a *app) fixedPassphrase() ([]byte, bool, error) {
	if a.passphraseRead {
		return a.passphrase, a.passphrase != nil, nil
	}
	a.passphraseRead = true
	switch {
	case a.opts.has("passphrase"):
		a.passphrase = []byte(a.opts.last("passphrase"))
	case a.opts.has("passphrase-file"):
		f, err := os.Open(a.opts.last("passphrase-file"))
		if err != nil {
			return nil, false, err
		}
		defer f.Close()
		a.passphrase, err = firstLine(f)
		if err != nil {
			return nil, false, err
		}
	case a.opts.has("passphrase-fd"):
		fd, err := strconv.Atoi(a.opts.last("passphrase-fd"))
		if err != nil || fd < 0 {
			return nil, false, fmt.Errorf("invalid passphrase-fd")
		}
		f := os.NewFile(uintptr(fd), "passphrase-fd")
		if f == nil {
			return nil, false, fmt.Errorf("invalid passphrase-fd")
		}
		a.passphrase, err = firstLine(f)
		if err != nil {
			return nil, false, err
		}
	}
	return a.passphrase, a.passphrase != nil, nil
}

// firstLine reads up to the first newline without reading beyond it, so
// a passphrase on stdin does not eat the data that follows (gpg reads the
// fd byte by byte for the same reason).
func firstLine(r io.Reader) ([]byte, error) {
	var line []byte
	var b [1]byte
	for len(line) <= maxPassphrase {
		n, err := r.Read(b[:])
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			line = append(line, b[0])
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(line) > maxPassphrase {
		return nil, errors.New("passphrase too long")
	}
	return bytes.TrimSuffix(line, []byte("\r")), nil
}

// errNoPassphrase ends an operation that needs a passphrase nobody can give.
var errNoPassphrase = errors.New("no passphrase given")

// answerInquiry answers keyhelper's passphrase inquiries.
func (a *app) answerInquiry(q *ipc.Inquiry) ([]byte, bool, error) {
	// key generation unlocks the new key once more for its revocation
	// certificate; gpg-agent does not ask again (cache nonce)
	if q.Kind == ipc.InquirePassphrase && q.Attempt == 1 && a.newKeyPassphrase != nil {
		return a.newKeyPassphrase, true, nil
	}
	pass, ok, err := a.answerInquiryOnce(q)
	if err == nil && ok && q.Kind == ipc.InquireNewPassphrase && a.keepNewPassphrase {
		a.newKeyPassphrase = append([]byte{}, pass...)
	}
	return pass, ok, err
}

func (a *app) answerInquiryOnce(q *ipc.Inquiry) ([]byte, bool, error) {
	pass, ok, err := a.fixedPassphrase()
	if err != nil {
		return nil, false, err
	}
	if ok {
		if q.Attempt > 1 {
			// A fixed source gives the same answer again: stop here.
			a.badPassphrase = true
			return nil, false, nil
		}
		return pass, true, nil
	}
	if a.loopbackPrompt() {
		// --command-fd with --pinentry-mode loopback: gpg relays the
		// agent's inquiry to the front-end (EasyPG drives it this way)
		return a.commandPassphrase(q)
	}
	if a.opts.has("batch") || a.opts.has("no-tty") {
		if q.Kind == ipc.InquireNewPassphrase {
			// gpg in batch mode with an empty loopback answer makes an
			// unprotected key; we do the same when no source exists.
			return []byte{}, true, nil
		}
		return nil, false, errNoPassphrase
	}
	// gpg announces a passphrase request only when it will really ask;
	// with a fixed --passphrase* source it prints nothing.
	if q.Kind == ipc.InquirePassphrase {
		if q.Attempt > 1 {
			a.status.Emit("BAD_PASSPHRASE", a.hintKeyID(q))
		}
		a.emitPassphraseHints(q)
	}
	return a.promptTTY(q)
}

func (a *app) hintKeyID(q *ipc.Inquiry) string {
	if len(q.UserIDHint) >= 16 {
		return q.UserIDHint[:16]
	}
	return q.UserIDHint
}

func (a *app) emitPassphraseHints(q *ipc.Inquiry) {
	a.status.Emit("USERID_HINT", a.hintKeyID(q), escapedTail(q.UserIDHint))
	main := a.hintKeyID(q)
	algo := "1"
	if k := a.keyByFingerprint(q.KeyFingerprint); k != nil {
		main = fmt.Sprintf("%016X", k.Entity.PrimaryKey.KeyId)
		algo = strconv.Itoa(int(k.PublicKey.PubKeyAlgo))
	}
	a.status.Emit("NEED_PASSPHRASE", a.hintKeyID(q), main, algo, "0")
}

func escapedTail(hint string) string {
	if len(hint) > 17 {
		return hint[17:]
	}
	return ""
}

// promptTTY asks on the controlling terminal with echo off.
func (a *app) promptTTY(q *ipc.Inquiry) ([]byte, bool, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, false, errNoPassphrase
	}
	defer tty.Close()
	read := func(prompt string) ([]byte, error) {
		fmt.Fprintf(tty, "%s\nPassphrase: ", prompt)
		p, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		return p, err
	}
	p, err := read(q.Prompt)
	if err != nil {
		return nil, false, errNoPassphrase
	}
	if q.Kind == ipc.InquireNewPassphrase {
		again, err := read("Please re-enter this passphrase")
		if err != nil || !bytes.Equal(p, again) {
			return nil, false, errors.New("passphrases do not match")
		}
	}
	return p, true, nil
}
