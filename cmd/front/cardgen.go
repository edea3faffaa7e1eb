package main

// generate in --card-edit: gpg's generate_card_keys and its card path of
// generate_keypair (keygen.c): GENERATE in each slot through cardhelper,
// the certificate built here (pgp.NewCardKey, pgp.CardUserIDSig, …) and
// every self-signature made by the card (PSO:CDS, pgp.CardSig checks
// each before it is used), fingerprints and times written to the card,
// the certificate stored with stubs naming the card (learnCard), as
// gpg's key generation ends (ownertrust, revocation certificate,
// KEY_CREATED).

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	cardpgp "github.com/frontpgp/front/card/openpgp"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/pgp"
)

func (s *cardEditSession) generate() {
	a := s.a
	if !s.read() {
		return
	}
	if s.st.KeyImport {
		// gpg asks with cpr_get (GET_LINE); all but no is yes
		ans := strings.TrimSpace(s.getLine("cardedit.genkeys.backup_enc", "Make off-card backup of encryption key? (Y/n) "))
		if ans == controlDAnswer {
			return
		}
		if !strings.EqualFold(ans, "n") && !strings.EqualFold(ans, "no") {
			// the backup means an encryption key made here and imported:
			// keys travel to a card only through keytocard, not done
			a.errorf("an off-card backup of the encryption key is not supported by front")
			return
		}
	}
	for _, k := range s.st.Keys {
		if cardFprSet(k.Fingerprint) {
			fmt.Fprintln(s.tty)
			a.infof("Note: keys are already stored on the card!")
			fmt.Fprintln(s.tty)
			if !s.askYes("cardedit.genkeys.replace_keys", "Replace existing keys? (y/N) ") {
				return
			}
			break
		}
	}
	if s.st.Name == "" {
		fmt.Fprintf(s.tty, "\nPlease note that the factory settings of the PINs are\n"+
			"   PIN = '%s'     Admin PIN = '%s'\n"+
			"You should change them using the command --change-pin\n\n", "123456", "12345678")
	}
	// check_pin_for_key_operation: PW1 stays valid for all the
	// self-signatures, and is checked now rather than asked for each
	forced := !s.st.PW1Multiple
	if forced {
		if err := s.putDOs(ipc.CardDO{Tag: cardpgp.DOPWStatus, Value: []byte{1}}); err != nil {
			a.errorf("error clearing forced signature PIN flag: %s", s.errorText(err))
			return
		}
		defer func() {
			if err := s.putDOs(ipc.CardDO{Tag: cardpgp.DOPWStatus, Value: []byte{0}}); err != nil {
				a.errorf("error setting forced signature PIN flag: %s", s.errorText(err))
			}
		}()
	}
	err := s.agentOp(s.checkUser)
	if err != nil {
		a.errorf("error checking the PIN: %s", s.errorText(err))
		s.opStatus(err)
		return
	}
	if a.opts.has("batch") {
		a.errorf("can't do this in batch mode")
		if a.opts.has("verbose") {
			a.infof("(further info: key generation with card serial number)")
		}
		return
	}
	expireAt, ok := s.askExpire()
	if !ok {
		return
	}
	fmt.Fprint(s.tty, "\nGnuPG needs to construct a user ID to identify your key.\n\n")
	uid := s.askNewUserID(nil)
	if uid == "" {
		a.errorf("Key generation canceled.")
		return
	}
	if err := s.generateKeys(uid, expireAt); err != nil {
		fmt.Fprintf(s.tty, "Key generation failed: %s\n", s.errorText(err))
		code := s.asCardError(err).code
		a.status.Emit("ERROR", "card_key_generate", strconv.Itoa(code))
		a.status.Emit("KEY_NOT_CREATED")
		a.exitCode = 2
	}
}

// generateKeys is do_generate_keypair for a card: signature key (the
// primary) and its user ID, authentication key, encryption key, in gpg's
// order, all created now. The PIN for the self-signatures is asked once,
// before the first (gpg-agent asks then, for the new key), and wiped at
// the end.
func (s *cardEditSession) generateKeys(uid string, expireAt int64) error {
	created := s.a.nowSecs()
	var lifetime uint32
	if expireAt != 0 {
		lifetime = uint32(expireAt - int64(created))
	}
	primary, err := s.generateSlot(cardpgp.SlotSign, created)
	if err != nil {
		return err
	}
	var pw1 []byte
	defer func() { clear(pw1) }()
	sign := func(cs *pgp.CardSig, err error) ([]byte, error) {
		if err != nil {
			return nil, err
		}
		if pw1 == nil {
			if pw1, err = s.signPIN(primary); err != nil {
				return nil, err
			}
		}
		var out ipc.CardOutput
		if err := s.call(&ipc.CardRequest{Op: ipc.CardOpSign, PIN: pw1, Data: cs.CardInput()}, &out); err != nil {
			return nil, err
		}
		return cs.Finish(out.Data)
	}
	uidSig, err := sign(pgp.CardUserIDSig(primary, uid, created, lifetime))
	if err != nil {
		return err
	}
	var subs []*pgp.CardKey
	var subSigs [][]byte
	for _, sub := range []struct {
		slot  cardpgp.Slot
		flags byte
	}{{cardpgp.SlotAuth, pgp.CardFlagsAuth}, {cardpgp.SlotDecrypt, pgp.CardFlagsEncrypt}} {
		k, err := s.generateSlot(sub.slot, created)
		if err != nil {
			return err
		}
		sig, err := sign(pgp.CardBindingSig(primary, k, sub.flags, created, lifetime))
		if err != nil {
			return err
		}
		subs, subSigs = append(subs, k), append(subSigs, sig)
	}
	el, err := openpgp.ReadKeyRing(bytes.NewReader(pgp.CardCert(primary, uid, uidSig, subs, subSigs)))
	if err != nil || len(el) != 1 {
		return fmt.Errorf("the new certificate does not parse: %v", err)
	}
	e := el[0]
	rev, err := sign(pgp.CardRevocationSig(primary, created))
	if err != nil {
		s.a.infof("Note: no revocation certificate made: %s", s.errorText(err))
	}
	return s.a.keyGenerated(&newKey{e: e, onCard: true, revocation: rev, stored: func() {
		// the stubs name the card holding the new keys
		if s.read() {
			s.a.learnCard(s.st)
		}
	}})
}

// generateSlot is gen_card_key: GENERATE with the Admin PIN, the key
// packet built from the card's answer, and its fingerprint and creation
// time written to the card.
func (s *cardEditSession) generateSlot(slot cardpgp.Slot, created uint32) (*pgp.CardKey, error) {
	at, err := cardpgp.ParseAttributes(s.st.Keys[slot].Attributes)
	if err != nil {
		return nil, err
	}
	var k *pgp.CardKey
	err = s.agentOp(func() error {
		return s.withAdmin(func(pw3 []byte) error {
			var pub ipc.CardPublic
			if err := s.call(&ipc.CardRequest{Op: ipc.CardOpGenerate, Slot: uint8(slot), PIN: pw3}, &pub); err != nil {
				return err
			}
			var err error
			if k, err = pgp.NewCardKey(at.Algo, at.OID, pub.Public, created); err != nil {
				return err
			}
			return s.call(&ipc.CardRequest{Op: ipc.CardOpPutData, PIN: pw3, DOs: []ipc.CardDO{
				{Tag: cardpgp.DOFingerprint + uint16(slot), Value: k.Key.Fingerprint},
				{Tag: cardpgp.DOCreated + uint16(slot), Value: cardpgp.EncodeTime(created)}}}, nil)
		})
	})
	return k, err
}

// signPIN asks for the PIN of the new signature key as gpg-agent does for
// its first self-signature; the key is in no keyring yet, so its user ID
// hint is "[?]".
func (s *cardEditSession) signPIN(primary *pgp.CardKey) ([]byte, error) {
	a := s.a
	if a.loopbackPrompt() {
		keyID := fmt.Sprintf("%016X", primary.Key.KeyId)
		a.status.Emit("USERID_HINT", keyID, "[?]")
		a.status.Emit("NEED_PASSPHRASE", keyID, keyID, strconv.Itoa(int(primary.Key.PubKeyAlgo)), "0")
	}
	saved := a.noPassphraseHints
	a.noPassphraseHints = true
	defer func() { a.noPassphraseHints = saved }()
	return a.askCardPIN(primary.Key, s.st, cardpgp.SlotSign)
}
