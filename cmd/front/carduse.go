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

// cardSign is the pgp.SignFunc of a key on the card with serial: the hash
// is finished here, the card signs it, and the packet is assembled and
// checked around its answer (pgp.CardSig).
func (a *app) cardSign(key *packet.PublicKey, serial string, req *ipc.SignRequest) (*packet.Signature, error) {
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
	raw, err := cs.Finish(out)
	if err != nil {
		return nil, err
	}
	return pgp.ParseSignature(raw)
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
	short := ""
	if len(serial) == 32 {
		short = serial[20:28]
	}
	var st ipc.CardStatus
	if err := cardCall(&ipc.CardRequest{Op: ipc.CardOpStatus, Serial: short}, &st); err != nil {
		return nil, a.cardCallFailed(err, serial)
	}
	if fmt.Sprintf("%X", st.AID) != serial {
		return nil, a.cardCallFailed(&ipc.Error{Code: ipc.ErrCodeNoCard, Message: "another card"}, serial)
	}
	if !bytes.Equal(st.Keys[slot].Fingerprint, key.Fingerprint) {
		return nil, &cardFailure{gpgError(srcSCD, errCard), "the card holds another key than " + fmt.Sprintf("%X", key.Fingerprint)}
	}
	if st.PINTries[0] == 0 {
		// no VERIFY, no prompt: the card would only refuse
		return nil, &cardFailure{gpgError(srcSCD, errPINBlocked), "PIN blocked"}
	}
	pin, err := a.askCardPIN(key, &st, slot)
	if err != nil {
		return nil, err
	}
	defer clear(pin)
	op := ipc.CardOpSign
	if slot == cardpgp.SlotDecrypt {
		op = ipc.CardOpDecipher
	}
	var out ipc.CardOutput
	if err := cardCall(&ipc.CardRequest{Op: op, Serial: short, PIN: pin, Data: data}, &out); err != nil {
		return nil, a.cardCallFailed(err, serial)
	}
	return out.Data, nil
}

// cardCallFailed turns cardhelper's errors into gpg's.
func (a *app) cardCallFailed(err error, serial string) error {
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
		a.infof("card with serial number %s not present", keylist.CardNumber(serial))
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

// cardPINPrompt is the pinentry description gpg-agent shows for a card
// PIN: the key's description, then what scdaemon composes (card number,
// holder, for the signature PIN the signature counter, and the tries left
// once some were used).
func cardPINPrompt(keyDesc string, st *ipc.CardStatus, slot cardpgp.Slot) string {
	aid := fmt.Sprintf("%X", st.AID)
	given, surname, _ := cardHolderName(st.Name)
	holder := strings.TrimSpace(given + " " + surname)
	var b strings.Builder
	b.WriteString(keyDesc)
	if !strings.HasSuffix(keyDesc, "\n") {
		b.WriteString("\n")
	}
	b.WriteString("\nPlease unlock the card\n\n")
	fmt.Fprintf(&b, "\x1eNumber\x1f: %s\nHolder\x1f: %s", keylist.CardNumber(aid), holder)
	if slot == cardpgp.SlotSign {
		fmt.Fprintf(&b, "\nCounter\x1f: %d", st.SigCounter)
	}
	if tries := st.PINTries[0]; tries < 3 {
		fmt.Fprintf(&b, "\n\nRemaining attempts: %d", tries)
	}
	return b.String()
}

// askCardPIN asks for the user PIN from the sources a passphrase comes
// from (answerInquiryOnce), without the cache: a PIN is not cached.
func (a *app) askCardPIN(key *packet.PublicKey, st *ipc.CardStatus, slot cardpgp.Slot) ([]byte, error) {
	desc := ""
	uid := "[?]"
	if k := a.keyByFingerprint(key.Fingerprint); k != nil {
		if id := k.Entity.PrimaryIdentity(); id != nil {
			uid = id.Name
		}
		desc = pgp.UnlockPrompt(uid, key, k.Entity.PrimaryKey.KeyId)
	}
	q := &ipc.Inquiry{Kind: ipc.InquirePassphrase, KeyFingerprint: key.Fingerprint,
		UserIDHint: fmt.Sprintf("%016X %s", key.KeyId, uid), Prompt: cardPINPrompt(desc, st, slot), Attempt: 1}
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
