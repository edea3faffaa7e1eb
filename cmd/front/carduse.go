package main

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	cardpgp "github.com/frontpgp/front/card/openpgp"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/keylist"
	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/pinentry"
)

// Using a key on a card: front reads the card's status (no PIN), checks
// that it is the card and the key the secret store names, asks for the
// PIN (before any transaction: other programs wait while one is open),
// then has cardhelper do VERIFY and the operation in one transaction.
// The PIN is never cached and never retried: the card counts every try.

// libgpg-error codes of card failures, reported with scdaemon's source as
// gpg reports what its scdaemon said.
const (
	srcSCD = 6

	errBadPIN         = 87
	errCard           = 108
	errCardRemoved    = 110
	errCardNotPresent = 112
	errPINBlocked     = 130
)

// cardFailure is a card operation's failure as gpg reports it.
type cardFailure struct {
	code int // libgpg-error value for FAILURE / ERROR status lines
	msg  string
}

func (e *cardFailure) Error() string { return e.msg }

// cardSign is the pgp.SignFunc of a key on the card with serial.
func (a *app) cardSign(key *packet.PublicKey, serial string, req *ipc.SignRequest) (*packet.Signature, error) {
	raw, err := a.cardSignature(key, serial, req)
	if err != nil {
		return nil, err
	}
	return pgp.ParseSignature(raw)
}

// cardSignature makes the signature packet req asks for with key on the
// card with serial: the hash is finished here, the card signs it, and the
// packet is assembled and checked around its answer (pgp.CardSig).
func (a *app) cardSignature(key *packet.PublicKey, serial string, req *ipc.SignRequest) ([]byte, error) {
	h, ok := pgp.HashByID(req.HashAlgo)
	if !ok {
		return nil, errors.New("unsupported hash algorithm")
	}
	hs := h.New()
	if err := hs.(encoding.BinaryUnmarshaler).UnmarshalBinary(req.HashState); err != nil {
		return nil, err
	}
	cs, err := pgp.NewCardDocSig(key, req.SigType, h, time.Unix(req.Created, 0), hs)
	if err != nil {
		return nil, err
	}
	out, err := a.cardOperate(key, serial, cardpgp.SlotSign, cs.CardInput())
	if err != nil {
		return nil, err
	}
	return cs.Finish(out)
}

// cardCertify makes the key signatures of req with key, a primary key on
// the card with serial: the PIN is asked once, each signature is one card
// operation (pgp.CardSig, checked before it is used).
func (a *app) cardCertify(key *packet.PublicKey, serial string, req *ipc.CertifyRequest) ([][]byte, error) {
	_, primaryBody, err := pgp.PacketBody(req.PrimaryKey)
	if err != nil {
		return nil, err
	}
	sigs := make([]*pgp.CardSig, len(req.Items))
	inputs := make([][]byte, len(req.Items))
	for i, it := range req.Items {
		var c pgp.Component
		if len(it.Component) > 0 {
			tag, body, err := pgp.PacketBody(it.Component)
			if err != nil {
				return nil, err
			}
			c = pgp.Component{Tag: tag, Body: body}
		}
		sps, err := pgp.ParseSubpackets(it.Hashed)
		if err != nil {
			return nil, err
		}
		if sigs[i], err = pgp.NewCardKeySig(key, it.Class, pgp.CertHash(key), primaryBody, c, sps); err != nil {
			return nil, err
		}
		inputs[i] = sigs[i].CardInput()
	}
	outs, err := a.cardOperateAll(key, serial, cardpgp.SlotSign, inputs)
	if err != nil {
		return nil, err
	}
	var raws [][]byte
	for i, out := range outs {
		raw, err := sigs[i].Finish(out)
		if err != nil {
			return nil, err
		}
		raws = append(raws, raw)
	}
	return raws, nil
}

// cardSessionKey decrypts the PKESK raw with key on the card with serial:
// the card deciphers (pgp.CardDecipher), front finishes (ECDH key
// derivation and unwrap, checksum).
func (a *app) cardSessionKey(key *packet.PublicKey, serial string, raw []byte) (uint8, []byte, error) {
	d, err := pgp.NewCardDecipher(raw, key)
	if err != nil {
		return 0, nil, &cardFailure{gpgError(srcGPG, errBadData), err.Error()}
	}
	out, err := a.cardOperate(key, serial, cardpgp.SlotDecrypt, d.CardInput())
	if err != nil {
		return 0, nil, err
	}
	defer clear(out)
	c, sk, err := d.SessionKey(out)
	if err != nil {
		return 0, nil, &cardFailure{gpgError(srcGPG, errBadData), err.Error()}
	}
	return uint8(c), sk, nil
}

// cardOperate runs one PIN-protected operation of slot with key on the
// card with serial (the AID in hex, as the secret store records it).
func (a *app) cardOperate(key *packet.PublicKey, serial string, slot cardpgp.Slot, data []byte) ([]byte, error) {
	outs, err := a.cardOperateAll(key, serial, slot, [][]byte{data})
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// cardOperateAll runs the operation of slot on each input in turn, each
// in its own transaction, with the PIN asked once. The first operation
// is one cardhelper session: the helper finds the card and sends what it
// read (ipc.CardInquiry), front checks it is the card and the key the
// secret store names and asks for the PIN while no transaction is open,
// the helper verifies and operates in one transaction on that same card.
// Any further operation gets the PIN with its request.
func (a *app) cardOperateAll(key *packet.PublicKey, serial string, slot cardpgp.Slot, inputs [][]byte) ([][]byte, error) {
	short := ""
	if len(serial) == 32 {
		short = serial[20:28]
	}
	op := ipc.CardOpSign
	if slot == cardpgp.SlotDecrypt {
		op = ipc.CardOpDecipher
	}
	var pin []byte
	defer func() { clear(pin) }()
	ask := func(st *ipc.CardStatus) ([]byte, bool, error) {
		if fmt.Sprintf("%X", st.AID) != serial {
			return nil, false, errOtherCard
		}
		if !bytes.Equal(st.Keys[slot].Fingerprint, key.Fingerprint) {
			return nil, false, &cardFailure{gpgError(srcSCD, errCard), "the card holds another key than " + fmt.Sprintf("%X", key.Fingerprint)}
		}
		if st.PINTries[0] == 0 {
			// no VERIFY, no prompt: the card would only refuse
			return nil, false, &cardFailure{gpgError(srcSCD, errPINBlocked), "PIN blocked"}
		}
		var err error
		pin, err = a.askCardPIN(key, st, slot)
		return pin, err == nil, err
	}
	var outs [][]byte
	for i, sought := 0, 0; i < len(inputs); {
		h, err := startHelper("cardhelper", nil)
		if err != nil {
			return nil, err
		}
		var out ipc.CardOutput
		err = cardSession(h, &ipc.CardRequest{Op: op, Serial: short, PIN: pin, Data: inputs[i]}, &out, ask)
		var e *ipc.Error
		if pin == nil && sought < maxCardSearches && (errors.Is(err, errOtherCard) || errors.As(err, &e) && e.Code == ipc.ErrCodeNoCard) {
			// not there: gpg-agent's dialog asks for it, then again
			sought++
			if _, err := a.findCard(serial, short); err != nil {
				return nil, err
			}
			continue
		}
		if errors.Is(err, errOtherCard) {
			return nil, &cardFailure{gpgError(srcAgent, errCardNotPresent), "Card not present"}
		}
		if err != nil {
			return nil, a.cardCallFailed(err)
		}
		outs = append(outs, out.Data)
		i++
	}
	return outs, nil
}

// maxCardSearches bounds the rounds of "the card is there now" followed
// by a helper that does not find it (a card going in and out).
const maxCardSearches = 3

// errOtherCard is cardhelper's card with the serial gpg prints but
// another AID.
var errOtherCard = errors.New("another card with the same serial number")

// findCard reads the status of the card with serial. If it is not in a
// reader, gpg-agent's dialog follows: with a pinentry (ask mode) the user
// is asked to insert it (or to swap the current card for it) and confirm,
// as often as needed; without one it is "Card not present".
func (a *app) findCard(serial, short string) (*ipc.CardStatus, error) {
	for {
		var st ipc.CardStatus
		err := cardCall(&ipc.CardRequest{Op: ipc.CardOpStatus, Serial: short}, &st)
		if err == nil && fmt.Sprintf("%X", st.AID) == serial {
			return &st, nil
		}
		var e *ipc.Error
		if err != nil && (!errors.As(err, &e) || e.Code != ipc.ErrCodeNoCard) {
			return nil, a.cardCallFailed(err)
		}
		conf := a.agentConf()
		if a.opts.last("pinentry-mode") == "loopback" && conf.loopbackAllowed || !a.pinentryUsable(conf) {
			return nil, &cardFailure{gpgError(srcAgent, errCardNotPresent), "Card not present"}
		}
		// is another OpenPGP card there?
		other := cardCall(&ipc.CardRequest{Op: ipc.CardOpStatus}, new(ipc.CardStatus)) == nil
		what := "Please insert the card with serial number"
		if other {
			what = "Please remove the current card and insert the one with serial number"
		}
		if err := a.askForCard(conf, what+":\n\n  "+keylist.CardNumber(serial)+"\n  "); err != nil {
			return nil, err
		}
	}
}

// askForCard puts findCard's dialog desc to the pinentry; an error (a
// cancel among them) ends the search.
func (a *app) askForCard(conf *agentConfig, desc string) error {
	defer a.holdSSH()()
	if err := a.startPinentry(conf); err != nil {
		return err
	}
	if a.pin == nil {
		return a.pinFailure()
	}
	if err := a.pin.Confirm(pinentry.Request{Desc: a.remotePrompt(desc)}); err != nil {
		a.pinentryFailed(err)
		return a.pinFailure()
	}
	return nil
}

// pinFailure is the pinentry failure pinentryFailed recorded, as a card
// operation's failure.
func (a *app) pinFailure() error {
	if pf := a.fe.passFailure; pf != nil {
		return &cardFailure{pf.code, pf.msg}
	}
	return &cardFailure{gpgError(srcAgent, errCanceled), "Operation cancelled"}
}

// cardCallFailed turns cardhelper's errors into gpg's.
func (a *app) cardCallFailed(err error) error {
	var e *ipc.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Code {
	case ipc.ErrCodeBadPassphrase:
		return &cardFailure{gpgError(srcSCD, errBadPIN), "Bad PIN"}
	case ipc.ErrCodePINBlocked:
		return &cardFailure{gpgError(srcSCD, errPINBlocked), "PIN blocked"}
	case ipc.ErrCodeNoCard:
		return &cardFailure{gpgError(srcSCD, errCardNotPresent), "Card not present"}
	case ipc.ErrCodeCardBusy:
		return &cardFailure{gpgError(srcSCD, errCard), "Card error: the reader is used exclusively by another program"}
	case ipc.ErrCodeCardError:
		if strings.Contains(e.Message, "removed") {
			return &cardFailure{gpgError(srcSCD, errCardRemoved), "Card removed"}
		}
		return &cardFailure{gpgError(srcSCD, errCard), "Card error: " + e.Message}
	}
	return err
}

// cardPINPrompt is the pinentry description gpg-agent shows for a card's
// user PIN, as scdaemon composes it: the card number, the holder, for the
// signature PIN the signature counter, and the tries left once some were
// used. scdaemon marks the fields with \x1e and \x1f for alignment;
// gpg-agent hands the pinentry the text without them, and so do we.
func cardPINPrompt(st *ipc.CardStatus, slot cardpgp.Slot) string {
	given, surname, _ := cardHolderName(st.Name)
	var b strings.Builder
	fmt.Fprintf(&b, "Please unlock the card\n\nNumber: %s\nHolder: %s",
		keylist.CardNumber(fmt.Sprintf("%X", st.AID)), strings.TrimSpace(given+" "+surname))
	if slot == cardpgp.SlotSign {
		fmt.Fprintf(&b, "\nCounter: %d", st.SigCounter)
	}
	if tries := st.PINTries[0]; tries < 3 {
		fmt.Fprintf(&b, "\n\nRemaining attempts: %d", tries)
	}
	return b.String()
}

// askCardPIN asks for the user PIN from the sources a passphrase comes
// from (answerInquiryOnce), without the cache: a PIN is not cached.
func (a *app) askCardPIN(key *packet.PublicKey, st *ipc.CardStatus, slot cardpgp.Slot) ([]byte, error) {
	uid := "[?]"
	if k := a.keyByFingerprint(key.Fingerprint); k != nil {
		if id := k.Entity.PrimaryIdentity(); id != nil {
			uid = id.Name
		}
	}
	q := &ipc.Inquiry{Kind: ipc.InquirePassphrase, KeyFingerprint: key.Fingerprint,
		UserIDHint: fmt.Sprintf("%016X %s", key.KeyId, uid), Prompt: a.remotePrompt(cardPINPrompt(st, slot)), Attempt: 1}
	return a.askPINInquiry(q)
}

// askPINInquiry asks q, a card's PIN (or Admin PIN, Reset Code), from
// the sources of a passphrase without the cache; the answer is a copy the
// caller wipes.
func (a *app) askPINInquiry(q *ipc.Inquiry) ([]byte, error) {
	a.askingPIN = true
	pin, ok, err := a.answerInquiryOnce(q)
	a.askingPIN = false
	if a.pin != nil {
		a.pin.Close()
		a.pin = nil
	}
	switch {
	case err != nil:
		return nil, err
	case !ok && a.fe.passFailure != nil:
		return nil, &cardFailure{a.fe.passFailure.code, a.fe.passFailure.msg}
	case !ok:
		return nil, &cardFailure{gpgError(srcAgent, errBadPassphrase), "Bad PIN"}
	case len(pin) == 0:
		return nil, &cardFailure{gpgError(srcSCD, errBadPIN), "Bad PIN"}
	}
	own := append([]byte{}, pin...)
	if len(a.passphrase) == 0 || &pin[0] != &a.passphrase[0] {
		clear(pin) // a fixed --passphrase* source is kept for other keys
	}
	if len(own) > ipc.MaxCardPIN {
		clear(own)
		return nil, &cardFailure{gpgError(srcSCD, errBadPIN), "Bad PIN"}
	}
	return own, nil
}

// cardFailed reports a card failure of location as gpg does; nil if err
// is not one.
func (a *app) cardFailed(err error, location string) *cardFailure {
	var cf *cardFailure
	if !errors.As(err, &cf) {
		return nil
	}
	a.failure(location, cf.code)
	return cf
}
