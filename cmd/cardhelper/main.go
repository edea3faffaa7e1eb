// Command cardhelper does one OpenPGP card operation for front: card
// status, a signature (PSO:CDS), a decipherment (PSO:DECIPHER), an
// administration request or a key import (keytocard: the secret key is
// read from the key pipe on fd 3, which keyhelper wrote and front only
// created; see ipc.CardOpImportKey). front
// starts it per request. It connects to pcscd before lockdown (the only
// socket it will ever use), locks itself down (no file, no new socket, no
// exec, no new process), reads one CardRequest over its stdin/stdout pipes,
// does it in one PC/SC transaction (card/openpgp.Run) and exits. The PIN
// came with the request, or, for a signature or decipherment, the helper
// asks front for it (ipc.CardInquiry) with the state it read while
// finding the card, in a transaction of its own that has ended: front
// prompts while no transaction is open.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/frontpgp/front/card/cardkey"
	"github.com/frontpgp/front/card/openpgp"
	"github.com/frontpgp/front/card/pcsc"
	"github.com/frontpgp/front/internal/helpermain"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/sandbox"
)

func main() { helpermain.Main(runSelfTest, run) }

func run() int {
	if len(os.Args) != 1 {
		fmt.Fprintln(os.Stderr, "cardhelper: usage: cardhelper (front speaks to it on stdin/stdout)")
		return 2
	}
	if err := sandbox.Prepare(); err != nil {
		fmt.Fprintln(os.Stderr, "cardhelper: lockdown:", err)
		return 2
	}
	// The connection to pcscd is opened here, before lockdown; every
	// later PC/SC call goes over it.
	ctx, ctxErr := pcsc.Establish()
	if err := sandbox.Apply(sandbox.CardhelperPolicy()); err != nil {
		fmt.Fprintln(os.Stderr, "cardhelper: refusing to run without sandbox:", err)
		return 2
	}
	conn, code := helpermain.Greet("cardhelper", ipc.RoleCard)
	if conn == nil {
		return code
	}
	fail := func(e *ipc.Error) int {
		conn.Write(e)
		return 2
	}
	m, err := conn.ReadRequest(map[ipc.MsgType]func() ipc.Message{
		ipc.TypeCardRequest: func() ipc.Message { return new(ipc.CardRequest) },
	})
	if err != nil {
		return fail(ipc.AsError(err))
	}
	req := m.(*ipc.CardRequest)
	defer clear(req.PIN)
	defer clear(req.NewPIN)
	if ctxErr != nil {
		return fail(cardError(ctxErr))
	}
	defer ctx.Release()
	ask := func(st *ipc.CardStatus) ([]byte, error) { return conn.InquireCardPIN(&ipc.CardInquiry{Status: *st}) }
	res, err := do(ctx, req, ask)
	if errors.Is(err, io.EOF) {
		return 2 // front hung up instead of answering: it has reported why
	}
	if err != nil {
		return fail(cardError(err))
	}
	if err := conn.Write(res); err != nil {
		return 2
	}
	return 0
}

// do finds the card and performs the request in one transaction. ask
// gets the user PIN from front for a signature or decipherment whose
// request came without one.
func do(ctx *pcsc.Context, req *ipc.CardRequest, ask func(*ipc.CardStatus) ([]byte, error)) (ipc.Message, error) {
	asking := (req.Op == ipc.CardOpSign || req.Op == ipc.CardOpDecipher) && len(req.PIN) == 0
	var found *ipc.CardStatus // the matching card as it was read
	match := func(c *pcsc.Conn) (ok bool, err error) {
		found, ok, err = readState(c, req.Serial, asking)
		return ok, err
	}
	card, err := ctx.Find(match)
	// A card another program has just reset is briefly unpowered, and
	// its reader looks empty: look again before saying there is none.
	for i := 0; errors.Is(err, pcsc.ErrNoCard) && i < len(noCardRetries); i++ {
		time.Sleep(noCardRetries[i])
		card, err = ctx.Find(match)
	}
	if err != nil {
		return nil, err
	}
	defer card.Close()
	switch req.Op {
	case ipc.CardOpStatus:
		var st *ipc.CardStatus
		err := openpgp.Run(card, 0, nil, func(c *openpgp.Card) (err error) {
			st, err = status(c)
			return err
		})
		if err != nil {
			return nil, err
		}
		st.Reader = card.Reader
		return st, nil
	case ipc.CardOpSign, ipc.CardOpDecipher:
		pin := req.PIN
		if asking {
			found.Reader = card.Reader
			if pin, err = ask(found); err != nil {
				return nil, err
			}
			defer clear(pin)
		}
		if req.Op == ipc.CardOpSign {
			return operate(card, found.AID, openpgp.PW1Sign, pin, func(c *openpgp.Card) ([]byte, error) { return c.Sign(req.Data) })
		}
		return operate(card, found.AID, openpgp.PW1Other, pin, func(c *openpgp.Card) ([]byte, error) {
			if c.Data.Attrs[openpgp.SlotDecrypt].Algo == openpgp.AlgoRSA {
				return c.DecipherRSA(req.Data)
			}
			return c.DecipherECDH(req.Data)
		})
	}
	return administer(card, req)
}

// administer does the operations of --card-edit and --change-pin. The
// PINs came with the request (front asked before it started us); each
// operation is one transaction, and a PIN is sent to the card once.
func administer(card *pcsc.Conn, req *ipc.CardRequest) (ipc.Message, error) {
	if err := checkPINs(req); err != nil {
		return nil, err
	}
	done := new(ipc.CardOutput)
	switch req.Op {
	case ipc.CardOpCheckPIN:
		return done, openpgp.Run(card, openpgp.PIN(req.Ref), req.PIN, func(*openpgp.Card) error { return nil })
	case ipc.CardOpPutData:
		for _, o := range req.DOs {
			if err := openpgp.CheckAdminDO(o.Tag, o.Value); err != nil {
				return nil, &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: err.Error()}
			}
		}
		return done, openpgp.Run(card, openpgp.PW3, req.PIN, func(c *openpgp.Card) error {
			for _, o := range req.DOs {
				if err := c.PutData(o.Tag, o.Value); err != nil {
					return err
				}
			}
			return nil
		})
	case ipc.CardOpChangePIN:
		return done, openpgp.Run(card, 0, nil, func(c *openpgp.Card) error {
			return c.ChangePIN(openpgp.PIN(req.Ref), req.PIN, req.NewPIN)
		})
	case ipc.CardOpUnblockPIN:
		return done, openpgp.Run(card, openpgp.PW3, req.PIN, func(c *openpgp.Card) error { return c.UnblockPIN(req.NewPIN) })
	case ipc.CardOpResetWithCode:
		return done, openpgp.Run(card, 0, nil, func(c *openpgp.Card) error { return c.ResetWithCode(req.PIN, req.NewPIN) })
	case ipc.CardOpSetResetCode:
		return done, openpgp.Run(card, openpgp.PW3, req.PIN, func(c *openpgp.Card) error { return c.SetResetCode(req.NewPIN) })
	case ipc.CardOpImportKey:
		return done, importKey(card, req)
	default: // ipc.CardOpGenerate: the decoder admits no other op
		out := new(ipc.CardPublic)
		err := openpgp.Run(card, openpgp.PW3, req.PIN, func(c *openpgp.Card) error {
			pk, err := c.Generate(openpgp.Slot(req.Slot))
			if err != nil {
				return err
			}
			out.Public = publicParts(pk)
			return nil
		})
		return out, err
	}
}

// checkPINs refuses PINs shorter than the specification's minimum before
// any of them reaches the card, where a short one would cost a try (a bad
// PIN to the caller, as scdaemon reports it).
func checkPINs(req *ipc.CardRequest) error {
	short := func(what string, pin []byte, min int) error {
		if len(pin) < min {
			return &ipc.Error{Code: ipc.ErrCodeBadPassphrase, Message: fmt.Sprintf("%s shorter than %d characters", what, min)}
		}
		return nil
	}
	var old, new error
	switch req.Op {
	case ipc.CardOpCheckPIN, ipc.CardOpChangePIN:
		old = short("PIN", req.PIN, openpgp.PIN(req.Ref).MinLen())
		if req.Op == ipc.CardOpChangePIN {
			new = short("new PIN", req.NewPIN, openpgp.PIN(req.Ref).MinLen())
		}
	case ipc.CardOpPutData, ipc.CardOpUnblockPIN, ipc.CardOpSetResetCode, ipc.CardOpGenerate, ipc.CardOpImportKey:
		old = short("Admin PIN", req.PIN, openpgp.MinPW3)
		switch req.Op {
		case ipc.CardOpUnblockPIN:
			new = short("new PIN", req.NewPIN, openpgp.MinPW1)
		case ipc.CardOpSetResetCode:
			new = short("Reset Code", req.NewPIN, openpgp.MinResetCode)
		}
	case ipc.CardOpResetWithCode:
		old = short("Reset Code", req.PIN, openpgp.MinResetCode)
		new = short("new PIN", req.NewPIN, openpgp.MinPW1)
	}
	if old != nil {
		return old
	}
	return new
}

// importKey is keytocard's card side: the secret key comes from the key
// pipe (keyhelper wrote it; front only created the pipe), is checked
// against the slot's attributes and imported, and the slot's fingerprint
// and time written, in one transaction after the Admin PIN.
func importKey(card *pcsc.Conn, req *ipc.CardRequest) error {
	for _, o := range req.DOs {
		if err := openpgp.CheckAdminDO(o.Tag, o.Value); err != nil {
			return &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: err.Error()}
		}
	}
	k, err := readKeyPipe()
	if err != nil {
		return err
	}
	defer k.Wipe()
	return openpgp.Run(card, openpgp.PW3, req.PIN, func(c *openpgp.Card) error {
		if err := c.ImportKey(openpgp.Slot(req.Slot), k); err != nil {
			return err
		}
		for _, o := range req.DOs {
			if err := c.PutData(o.Tag, o.Value); err != nil {
				return err
			}
		}
		return nil
	})
}

// readKeyPipe reads the one secret key message of the key pipe, which
// must be a pipe (inherited at our start, before lockdown).
func readKeyPipe() (*cardkey.Key, error) {
	var st syscall.Stat_t
	if syscall.Fstat(ipc.KeyPipeFD, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFIFO {
		return nil, &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: "no key pipe"}
	}
	pipe := os.NewFile(ipc.KeyPipeFD, "key pipe")
	defer pipe.Close()
	k, err := cardkey.Read(pipe)
	if err != nil {
		return nil, &ipc.Error{Code: ipc.ErrCodeBadData, Message: "the key pipe did not hold a secret key: " + err.Error()}
	}
	return k, nil
}

// noCardRetries are the pauses before looking for the card again.
var noCardRetries = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}

// readState selects the OpenPGP application and reads its state in one
// short transaction (openpgp.Run), so another program cannot select its
// own applet in between (a YubiKey's PIV, say): what the application
// data (6E) holds, and with prompt what a PIN prompt shows besides
// (cardholder name, signature counter). ok reports that the card has
// serial ("" any card); only then is the rest read.
func readState(c *pcsc.Conn, serial string, prompt bool) (st *ipc.CardStatus, ok bool, err error) {
	err = openpgp.Run(c, 0, nil, func(card *openpgp.Card) error {
		st = appState(card.Data)
		if ok = serial == "" || card.Data.AID.SerialString() == serial; ok && prompt {
			return readPromptData(card, st)
		}
		return nil
	})
	return st, ok, err
}

// operate runs one PIN-protected operation on the card with aid (the one
// found; a card swapped in since gets nothing) whose answer is the card's
// response data.
func operate(card *pcsc.Conn, aid []byte, ref openpgp.PIN, pin []byte, op func(*openpgp.Card) ([]byte, error)) (*ipc.CardOutput, error) {
	if len(pin) == 0 {
		return nil, &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: "no PIN"}
	}
	out := new(ipc.CardOutput)
	err := openpgp.RunOn(card, aid, ref, pin, func(c *openpgp.Card) (err error) {
		out.Data, err = op(c)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// appState is the part of the card's state its application data (6E)
// holds, read by SELECT: no further command.
func appState(d *openpgp.AppData) *ipc.CardStatus {
	st := &ipc.CardStatus{AID: d.AID.Raw, PW1Multiple: d.PW.PW1Multiple, ExtendedAPDU: d.ExtendedLength,
		AttrsChangeable: len(d.ExtCaps) > 0 && d.ExtCaps[0]&0x04 != 0, KeyImport: len(d.ExtCaps) > 0 && d.ExtCaps[0]&0x20 != 0}
	for i := range 3 {
		st.PINMaxLen[i] = uint8(d.PW.MaxLen[i])
		st.PINTries[i] = uint8(d.PW.Tries[i])
		st.Keys[i] = ipc.CardKey{Attributes: d.Attrs[i].Raw, Fingerprint: d.Fingerprints[i][:],
			CAFingerprint: d.CAFingerprints[i][:], Created: d.Created[i]}
	}
	return st
}

// readPromptData adds to st what a PIN prompt shows beyond the
// application data: the cardholder (65) and the signature counter (7A).
func readPromptData(c *openpgp.Card, st *ipc.CardStatus) error {
	ch, err := c.Cardholder()
	if err != nil {
		return err
	}
	st.Name, st.Lang, st.Sex = ch.Name, ch.Lang, ch.Sex
	st.SigCounter, err = c.SignatureCounter()
	return err
}

// status reads the data objects gpg --card-status shows.
func status(c *openpgp.Card) (*ipc.CardStatus, error) {
	st := appState(c.Data)
	for i := range 3 {
		pub, err := publicKey(c, openpgp.Slot(i))
		if err != nil {
			return nil, err
		}
		st.Keys[i].Public = pub
	}
	if err := readPromptData(c, st); err != nil {
		return nil, err
	}
	url, err := c.GetData(0x5F50)
	if err != nil {
		return nil, err
	}
	login, err := c.GetData(0x5E)
	if err != nil {
		return nil, err
	}
	st.URL, st.Login = string(url), string(login)
	return st, nil
}

// publicKey reads the public key of a slot that has a fingerprint (an empty
// slot has no key to read): RSA modulus and exponent, or the ECC point.
func publicKey(c *openpgp.Card, s openpgp.Slot) ([][]byte, error) {
	if c.Data.Fingerprints[s] == [20]byte{} {
		return nil, nil
	}
	pk, err := c.ReadPublicKey(s)
	if err != nil {
		return nil, err
	}
	return publicParts(pk), nil
}

// publicParts is a public key as ipc carries it: the ECC point, or RSA
// modulus and exponent.
func publicParts(pk openpgp.PublicKey) [][]byte {
	if pk.Point != nil {
		return [][]byte{pk.Point}
	}
	return [][]byte{pk.N, pk.E}
}

// cardError gives the card failures their codes; a wrong PIN is a bad
// passphrase, as in gpg; anything else the card, the reader or pcscd did
// (a refused command, a removed card) is ErrCodeCardError.
func cardError(err error) *ipc.Error {
	var wrong *openpgp.WrongPINError
	var e *ipc.Error
	code := ipc.ErrCodeCardError
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &wrong):
		code = ipc.ErrCodeBadPassphrase
	case errors.Is(err, openpgp.ErrBlocked):
		code = ipc.ErrCodePINBlocked
	case errors.Is(err, pcsc.ErrNoService), errors.Is(err, pcsc.ErrNoCard):
		code = ipc.ErrCodeNoCard
	case errors.Is(err, pcsc.ErrBusy):
		code = ipc.ErrCodeCardBusy
	}
	return &ipc.Error{Code: code, Message: err.Error()}
}
