package main

// keytocard in --edit-key, as gpg 2.2.40's cmdKEYTOCARD and
// card_store_subkey (g10/keyedit.c, g10/card-util.c) with gpg-agent's
// KEYTOCARD and scdaemon's writekey: the selected (sub)key, or the primary
// after a question, goes to the slot chosen from those its usage allows.
//
// The unlocked secret never enters front: front creates a pipe, starts a
// keyhelper with the write end and a cardhelper with the read end (each as
// its ipc.KeyPipeFD) and closes both ends in itself before it asks for
// anything. keyhelper unlocks the key (its passphrase inquiry) and writes
// it to the pipe (KeyToCardRequest); then front asks for the Admin PIN and
// cardhelper reads the pipe and imports the key, fingerprint and creation
// time in one transaction (CardOpImportKey). On save the local secret is
// replaced by a divert-to-card stub (CardStubsRequest with Replace, gpg's
// LEARN --force); quit without save keeps it, as gpg does.

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	cardpgp "github.com/frontpgp/front/card/openpgp"
	"github.com/frontpgp/front/ipc"
)

// movedKey is a key keytocard wrote to a card in this session.
type movedKey struct {
	fpr []byte
	aid []byte
}

// keyToCard is cmdKEYTOCARD; true when a key went to the card.
func (s *editSession) keyToCard() bool {
	var pk *packet.PublicKey
	var use byte
	switch sel := s.selectedKeys(); len(sel) {
	case 0:
		if !s.askYes("keyedit.keytocard.use_primary", "Really move the primary key? (y/N) ") {
			return false
		}
		pk = s.k.e.PrimaryKey
		if sig, _ := s.k.e.PrimarySelfSignature(); sig != nil && sig.FlagsValid {
			use = usageFlags(sig) | packet.KeyFlagCertify
		}
	case 1:
		for _, sk := range s.k.e.Subkeys {
			if bytes.Equal(sk.PublicKey.Fingerprint, sel[0].Fingerprint) {
				pk = sk.PublicKey
				if sk.Sig != nil && sk.Sig.FlagsValid {
					use = usageFlags(sk.Sig)
				}
			}
		}
		if pk == nil {
			return false
		}
	default:
		fmt.Fprintf(s.tty, "You must select exactly one key.\n")
		return false
	}
	return s.storeOnCard(pk, use)
}

// usageFlags are a signature's key flags as one byte.
func usageFlags(sig *packet.Signature) byte {
	var f byte
	for _, b := range []struct {
		set  bool
		flag byte
	}{{sig.FlagCertify, packet.KeyFlagCertify}, {sig.FlagSign, packet.KeyFlagSign},
		{sig.FlagEncryptCommunications, packet.KeyFlagEncryptCommunications},
		{sig.FlagEncryptStorage, packet.KeyFlagEncryptStorage}, {sig.FlagAuthenticate, 0x20}} {
		if b.set {
			f |= b.flag
		}
	}
	return f
}

// storeOnCard is card_store_subkey: the slot menu, the replace question,
// the attributes, then the move itself.
func (s *editSession) storeOnCard(pk *packet.PublicKey, use byte) bool {
	a := s.a
	if s.card == nil {
		// one per edit session: the Admin PIN the card accepted is not
		// asked again (scdaemon keeps CHV3 verified); wiped at the end
		s.card = &cardEditSession{menuIO: s.menuIO}
	}
	cs := s.card
	if !cs.read() {
		return false
	}
	if !cs.st.KeyImport {
		fmt.Fprintf(s.tty, "The card does not support the import of keys\n\n")
		return false
	}
	const sign, cert, enc, auth = packet.KeyFlagSign, packet.KeyFlagCertify, packet.KeyFlagEncryptCommunications | packet.KeyFlagEncryptStorage, 0x20
	allow := [3]bool{use == 0 || use&(sign|cert) != 0, use == 0 || use&enc != 0, use == 0 || use&(sign|auth) != 0}
	fmt.Fprintf(s.tty, "Please select where to store the key:\n")
	for i, name := range []string{"Signature key", "Encryption key", "Authentication key"} {
		if allow[i] {
			fmt.Fprintf(s.tty, "   (%d) %s\n", i+1, name)
		}
	}
	var slot cardpgp.Slot
	for {
		ans := strings.TrimSpace(s.getLine("cardedit.genkeys.storekeytype", "Your selection? "))
		if ans == "" || ans == controlDAnswer {
			return false
		}
		n, _ := strconv.Atoi(leadingDigits(ans))
		if n >= 1 && n <= 3 && allow[n-1] {
			slot = cardpgp.Slot(n - 1)
			break
		}
		fmt.Fprintf(s.tty, "Invalid selection.\n")
	}
	if cardFprSet(cs.st.Keys[slot].Fingerprint) {
		fmt.Fprintln(s.tty)
		a.infof("WARNING: such a key has already been stored on the card!")
		fmt.Fprintln(s.tty)
		if !s.askYes("cardedit.genkeys.replace_key", "Replace existing key? (y/N) ") {
			return false
		}
	}
	// one agent operation in gpg (KEYTOCARD): one SC_OP_FAILURE on failure
	if err := cs.agentOp(func() error { return s.moveKey(cs, pk, slot) }); err != nil {
		a.errorf("KEYTOCARD failed: %s", cs.errorText(err))
		return false
	}
	s.moved = append(s.moved, movedKey{fpr: pk.Fingerprint, aid: cs.st.AID})
	return true
}

// moveKey sets the slot's attributes to the key's if they differ (the
// card must allow it, as scdaemon's writekey requires), then moves the
// secret through the key pipe.
func (s *editSession) moveKey(cs *cardEditSession, pk *packet.PublicKey, slot cardpgp.Slot) error {
	if len(pk.Fingerprint) != 20 {
		return fmt.Errorf("only v4 keys fit an OpenPGP card")
	}
	if s.a.cardOf(pk) != "" {
		// gpg-agent's KEYTOCARD on a shadowed key
		return &cardFailure{gpgError(srcAgent, errUnusableSeckey), "Unusable secret key"}
	}
	want, err := keyAttributes(pk, slot)
	if err != nil {
		return err
	}
	have, _ := cardpgp.ParseAttributes(cs.st.Keys[slot].Attributes)
	if have.Algo != want[0] || !sameAttrs(have, want) {
		if !cs.st.AttrsChangeable {
			return cardpgp.ErrAttrMismatch
		}
		err := cs.withAdmin(func(pw3 []byte) error {
			return cs.call(&ipc.CardRequest{Op: ipc.CardOpPutData, PIN: pw3, DOs: []ipc.CardDO{{Tag: cardpgp.DOAttrs + uint16(slot), Value: want}}}, nil)
		})
		if err != nil {
			return err
		}
	}
	return s.a.pipeKeyToCard(cs, pk, slot)
}

// keyAttributes are the algorithm attributes pk needs in slot.
func keyAttributes(pk *packet.PublicKey, slot cardpgp.Slot) ([]byte, error) {
	switch pk.PubKeyAlgo {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly, packet.PubKeyAlgoRSAEncryptOnly:
		bits, err := pk.BitLength()
		if err != nil {
			return nil, err
		}
		return cardpgp.AttributesFor(slot, fmt.Sprintf("rsa%d", bits))
	case packet.PubKeyAlgoEdDSA:
		return cardpgp.AttributesFor(slot, "ed25519")
	case packet.PubKeyAlgoECDH, packet.PubKeyAlgoECDSA:
		c, err := pk.Curve()
		if err != nil {
			return nil, err
		}
		name := map[packet.Curve]string{packet.Curve25519: "cv25519", packet.CurveNistP256: "nistp256",
			packet.CurveNistP384: "nistp384", packet.CurveNistP521: "nistp521"}[c]
		return cardpgp.AttributesFor(slot, name)
	}
	return nil, fmt.Errorf("a %v key cannot go to an OpenPGP card", pk.PubKeyAlgo)
}

// sameAttrs: the slot already takes the key (same algorithm and curve, or
// same RSA size; the RSA import format is the card's own business).
func sameAttrs(have cardpgp.Attributes, want []byte) bool {
	w, err := cardpgp.ParseAttributes(want)
	if err != nil || have.Algo != w.Algo {
		return false
	}
	if w.Algo == cardpgp.AlgoRSA {
		return have.Bits == w.Bits
	}
	return bytes.Equal(have.OID, w.OID)
}

// pipeKeyToCard runs the two helpers of a move joined by the key pipe.
// Both ends are closed in front as soon as the helpers hold them: front
// can neither read the secret nor keep the pipe alive.
func (a *app) pipeKeyToCard(cs *cardEditSession, pk *packet.PublicKey, slot cardpgp.Slot) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	kh, err := a.startKeyhelper(helperMode(&ipc.KeyToCardRequest{}), w)
	w.Close()
	if err != nil {
		r.Close()
		return err
	}
	ch, err := startHelperWith("cardhelper", nil, []*os.File{r})
	r.Close()
	if err != nil {
		kh.abandon()
		return err
	}
	cardUsed := false
	defer func() {
		if !cardUsed {
			ch.abandon()
		}
	}()
	a.keyhelperOp = ipc.TypeKeyToCard
	// gpg-agent asks for this passphrase itself: gpg emits no
	// USERID_HINT/NEED_PASSPHRASE for it
	saved := a.noPassphraseHints
	a.noPassphraseHints = true
	// The keyhelper that held the unlocked key is gone before the card is
	// touched (TestKeyToCardPipeNotInFront): waited for, not reaped later.
	kh.reapLater = false
	err = kh.session(ipc.RoleKey, &ipc.KeyToCardRequest{Fingerprint: pk.Fingerprint}, new(ipc.KeyToCardResult), a.answerKeyhelper)
	a.noPassphraseHints = saved
	a.finishInquiries(err)
	if err != nil {
		return err
	}
	return cs.withAdmin(func(pw3 []byte) error {
		cardUsed = true
		req := &ipc.CardRequest{Op: ipc.CardOpImportKey, Serial: cs.serial, Slot: uint8(slot), PIN: pw3, DOs: []ipc.CardDO{
			{Tag: cardpgp.DOFingerprint + uint16(slot), Value: pk.Fingerprint},
			{Tag: cardpgp.DOCreated + uint16(slot), Value: cardpgp.EncodeTime(uint32(pk.CreationTime.Unix()))}}}
		return cardSession(ch, req, new(ipc.CardOutput), nil)
	})
}

// saveMoved replaces the local secrets of the moved keys by
// divert-to-card stubs (gpg's save after keytocard: LEARN --force).
func (s *editSession) saveMoved() error {
	for _, m := range s.moved {
		raw, err := s.a.store.GetRaw(s.k.fpr)
		if err != nil {
			return err
		}
		req := &ipc.CardStubsRequest{AID: m.aid, Certs: [][]byte{raw}, OnCard: [][]byte{m.fpr}, Replace: true}
		var res ipc.CardStubsResult
		if err := s.a.callKeyhelper(true, req, &res); err != nil {
			return err
		}
		s.a.recordListing(res.Listing)
	}
	s.moved = nil
	return nil
}
