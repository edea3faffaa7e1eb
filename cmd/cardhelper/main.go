// Command cardhelper does one OpenPGP card operation for front: card
// status, a signature (PSO:CDS) or a decipherment (PSO:DECIPHER). front
// starts it per request. It connects to pcscd before lockdown (the only
// socket it will ever use), locks itself down (no file, no new socket, no
// exec, no new process), reads one CardRequest over its stdin/stdout pipes,
// does it in one PC/SC transaction (card/openpgp.Run: the PIN came with the
// request, front asked for it before) and exits.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/frontpgp/front/card/openpgp"
	"github.com/frontpgp/front/card/pcsc"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/sandbox"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--sandbox-self-test" {
		os.Exit(runSelfTest(os.Args[2:]))
	}
	os.Exit(run())
}

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
	conn := ipc.NewConn(os.Stdin, os.Stdout)
	if err := conn.WriteHello(ipc.RoleCard); err != nil {
		return 2
	}
	if err := conn.ReadHello(ipc.RoleCard); err != nil {
		if err == io.EOF {
			return 0 // front did not need us after all
		}
		fmt.Fprintln(os.Stderr, "cardhelper:", err)
		return 2
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
	if ctxErr != nil {
		return fail(cardError(ctxErr))
	}
	defer ctx.Release()
	res, err := do(ctx, req)
	if err != nil {
		return fail(cardError(err))
	}
	if err := conn.Write(res); err != nil {
		return 2
	}
	return 0
}

// do finds the card and performs the request in one transaction.
func do(ctx *pcsc.Context, req *ipc.CardRequest) (ipc.Message, error) {
	match := func(c *pcsc.Conn) (bool, error) {
		aid, err := readAID(c)
		if err != nil {
			return false, err
		}
		return req.Serial == "" || aid.SerialString() == req.Serial, nil
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
	case ipc.CardOpSign:
		return operate(card, openpgp.PW1Sign, req.PIN, func(c *openpgp.Card) ([]byte, error) { return c.Sign(req.Data) })
	default: // ipc.CardOpDecipher: the decoder admits no other op
		return operate(card, openpgp.PW1Other, req.PIN, func(c *openpgp.Card) ([]byte, error) {
			if c.Data.Attrs[openpgp.SlotDecrypt].Algo == openpgp.AlgoRSA {
				return c.DecipherRSA(req.Data)
			}
			return c.DecipherECDH(req.Data)
		})
	}
}

// noCardRetries are the pauses before looking for the card again.
var noCardRetries = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}

// readAID selects the OpenPGP application and reads its AID in one
// transaction (openpgp.Run), so another program cannot select its own
// applet in between (a YubiKey's PIV, say).
func readAID(c *pcsc.Conn) (openpgp.AID, error) {
	var aid openpgp.AID
	err := openpgp.Run(c, 0, nil, func(card *openpgp.Card) error {
		aid = card.Data.AID
		return nil
	})
	return aid, err
}

// operate runs one PIN-protected operation whose answer is the card's
// response data.
func operate(card *pcsc.Conn, ref openpgp.PIN, pin []byte, op func(*openpgp.Card) ([]byte, error)) (*ipc.CardOutput, error) {
	if len(pin) == 0 {
		return nil, &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: "no PIN in the request"}
	}
	out := new(ipc.CardOutput)
	err := openpgp.Run(card, ref, pin, func(c *openpgp.Card) (err error) {
		out.Data, err = op(c)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// status reads the data objects gpg --card-status shows.
func status(c *openpgp.Card) (*ipc.CardStatus, error) {
	d := c.Data
	st := &ipc.CardStatus{AID: d.AID.Raw, PW1Multiple: d.PW.PW1Multiple, ExtendedAPDU: d.ExtendedLength}
	for i := range 3 {
		st.PINMaxLen[i] = uint8(d.PW.MaxLen[i])
		st.PINTries[i] = uint8(d.PW.Tries[i])
		pub, err := publicKey(c, openpgp.Slot(i))
		if err != nil {
			return nil, err
		}
		st.Keys[i] = ipc.CardKey{Attributes: d.Attrs[i].Raw, Fingerprint: d.Fingerprints[i][:],
			CAFingerprint: d.CAFingerprints[i][:], Created: d.Created[i], Public: pub}
	}
	ch, err := c.Cardholder()
	if err != nil {
		return nil, err
	}
	st.Name, st.Lang, st.Sex = ch.Name, ch.Lang, ch.Sex
	if st.SigCounter, err = c.SignatureCounter(); err != nil {
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
	if pk.Point != nil {
		return [][]byte{pk.Point}, nil
	}
	return [][]byte{pk.N, pk.E}, nil
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
