package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	cardpgp "github.com/frontpgp/front/card/openpgp"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/keylist"
)

// cardCall runs req in a fresh cardhelper, which talks to pcscd.
func cardCall(req *ipc.CardRequest, res ipc.Message) error {
	h, err := startHelper("cardhelper", nil)
	if err != nil {
		return err
	}
	return cardSession(h, req, res, nil)
}

// cardSession runs req on the started cardhelper h; ask answers its
// question for the PIN (nil: the request needs none, a question is an
// error).
func cardSession(h *helperProc, req *ipc.CardRequest, res ipc.Message, ask ipc.CardPINHandler) error {
	if ask == nil {
		ask = func(*ipc.CardStatus) ([]byte, bool, error) {
			return nil, false, errors.New("cardhelper asked for a PIN it has")
		}
	}
	return h.run(ipc.RoleCard, func(c *ipc.Conn) error { return c.CallCard(req, res, ask) })
}

// cardStatusCmd is --card-status: the card's data objects as gpg 2.2.40
// prints them, in its human or --with-colons form.
func (a *app) cardStatusCmd(args []string) error {
	if len(args) != 0 {
		return &usageError{"usage: gpg [options] --card-status"}
	}
	st, err := a.readCard("", true)
	if err != nil {
		if errors.Is(err, errNoCard) {
			a.exitCode = 2
			return nil
		}
		return err
	}
	return a.printCard(a.stdout, st)
}

// errNoCard is a card status read that found no card (already reported).
var errNoCard = errors.New("no card")

// readCard reads the status of the card with serial ("" any); without a
// card it prints gpg's two lines and returns errNoCard. With announce, it
// emits CARDCTRL as gpg's first card access does (3 and the AID, or 4).
func (a *app) readCard(serial string, announce bool) (*ipc.CardStatus, error) {
	var st ipc.CardStatus
	if err := cardCall(&ipc.CardRequest{Op: ipc.CardOpStatus, Serial: serial}, &st); err != nil {
		var e *ipc.Error
		if errors.As(err, &e) && e.Code == ipc.ErrCodeNoCard {
			if announce {
				a.status.Emit("CARDCTRL", "4")
			}
			fmt.Fprintln(a.stderr, "gpg: selecting card failed: No such device")
			fmt.Fprintln(a.stderr, "gpg: OpenPGP card not available: No such device")
			return nil, errNoCard
		}
		return nil, err
	}
	if announce {
		a.status.Emit("CARDCTRL", "3", fmt.Sprintf("%X", st.AID))
	}
	return &st, nil
}

// printCard prints st as --card-status does (gpg's current_card_status):
// human-readable, or the --with-colons records; the card's keys get
// their secret-store stubs first, as gpg's LEARN does.
func (a *app) printCard(w io.Writer, st *ipc.CardStatus) error {
	aid, err := cardpgp.ParseAID(st.AID)
	if err != nil {
		return err
	}
	var attrs [3]cardpgp.Attributes
	for i, k := range st.Keys {
		if attrs[i], err = cardpgp.ParseAttributes(k.Attributes); err != nil {
			return err
		}
	}
	// as gpg's LEARN does, the card's keys get secret-store stubs first,
	// so the key info below already shows them on the card
	a.learnCard(st)
	if a.opts.has("with-colons") {
		fmt.Fprint(w, cardColons(st, aid, attrs))
	} else {
		fmt.Fprint(w, cardHuman(st, aid, attrs))
		fmt.Fprint(w, a.cardKeyInfo(st))
	}
	return nil
}

// learnCard records the card's keys whose certificates are in the store
// as keys on this card (keyhelper writes the stubs). Only what is not
// recorded yet is sent, so reading a known card writes nothing. A failure
// is reported and does not fail --card-status.
func (a *app) learnCard(st *ipc.CardStatus) {
	serial := fmt.Sprintf("%X", st.AID)
	req := &ipc.CardStubsRequest{AID: st.AID}
	seen := map[string]bool{}
	need := false
	for _, k := range st.Keys {
		if !cardFprSet(k.Fingerprint) {
			continue
		}
		key := a.keyByFingerprint(k.Fingerprint)
		if key == nil {
			continue
		}
		req.OnCard = append(req.OnCard, k.Fingerprint)
		if a.secretKeys()[fmt.Sprintf("%X", k.Fingerprint)].CardSerial != serial {
			need = true
		}
		primary := key.Entity.PrimaryKey.Fingerprint
		if seen[string(primary)] {
			continue
		}
		seen[string(primary)] = true
		raw, err := a.store.GetRaw(primary)
		if err != nil {
			continue
		}
		req.Certs = append(req.Certs, raw)
	}
	if !need || len(req.Certs) == 0 {
		return
	}
	var res ipc.CardStubsResult
	if err := a.callKeyhelper(true, req, &res); err != nil {
		a.errorf("error learning the card's keys: %v", err)
		return
	}
	a.recordListing(res.Listing)
}

// cardKeyInfo is gpg's "General key info" line: the certificate of the
// card's first key if the store has it, with each of its keys marked as
// on a card ('>', with the card number), here (' ') or missing ('#').
func (a *app) cardKeyInfo(st *ipc.CardStatus) string {
	var fpr []byte
	for _, k := range st.Keys {
		if cardFprSet(k.Fingerprint) {
			fpr = k.Fingerprint
			break
		}
	}
	var key *openpgp.Key
	if fpr != nil && !bytes.Equal(fpr, bytes.Repeat([]byte{0xff}, len(fpr))) {
		key = a.keyByFingerprint(fpr)
	}
	if key == nil {
		return "General key info..: [none]\n"
	}
	var b strings.Builder
	kind := "sub"
	if key.PublicKey == key.Entity.PrimaryKey {
		kind = "pub"
	}
	uid := ""
	if id := key.Entity.PrimaryIdentity(); id != nil {
		uid = id.Name
	}
	fmt.Fprintf(&b, "General key info..: %s  %s/%s %s %s\n", kind, keylist.AlgoName(key.PublicKey),
		keylist.KeyIDString(key.PublicKey.KeyId, ""), cardDate(key.PublicKey.CreationTime), uid)
	for _, k := range allKeys(key.Entity) {
		s, ok := a.secretKeys()[fmt.Sprintf("%X", k.PublicKey.Fingerprint)]
		mark := byte('#')
		switch {
		case ok && s.CardSerial != "":
			mark = '>'
		case ok && !s.Stub:
			mark = ' '
		}
		kind := "ssb"
		if k.PublicKey == key.Entity.PrimaryKey {
			kind = "sec"
		}
		head := fmt.Sprintf("%s%c  %s/%s  ", kind, mark, keylist.AlgoName(k.PublicKey), keylist.KeyIDString(k.PublicKey.KeyId, ""))
		expires := "never" // gpg pads it to the width of a date
		if life := keyLifetime(k); life != 0 {
			expires = cardDate(k.PublicKey.CreationTime.Add(time.Duration(life) * time.Second))
		}
		fmt.Fprintf(&b, "%screated: %s  expires: %-10s", head, cardDate(k.PublicKey.CreationTime), expires)
		if mark == '>' {
			fmt.Fprintf(&b, "\n%*scard-no: %s", len(head), "", keylist.CardNumber(s.CardSerial))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// keyLifetime is a key's lifetime in seconds from its binding (0: none).
func keyLifetime(k openpgp.Key) uint32 {
	var sig *packet.Signature
	if k.PublicKey == k.Entity.PrimaryKey {
		sig, _ = k.Entity.PrimarySelfSignature()
	} else {
		sig = k.SelfSignature
	}
	if sig == nil || sig.KeyLifetimeSecs == nil {
		return 0
	}
	return *sig.KeyLifetimeSecs
}

func cardDate(t time.Time) string { return t.UTC().Format("2006-01-02") }

// cardHolderName is gpg's print_isoname: "Surname<<Given" with '<' as
// spaces, given name first; ok is false when nothing is stored.
func cardHolderName(name string) (given, surname string, ok bool) {
	if name == "" {
		return "", "", false
	}
	surname, given, found := strings.Cut(name, "<<")
	if !found || given == "" {
		surname, given = strings.ReplaceAll(name, "<", " "), ""
	}
	return strings.ReplaceAll(given, "<", " "), strings.ReplaceAll(surname, "<", " "), true
}

func cardHuman(st *ipc.CardStatus, aid cardpgp.AID, attrs [3]cardpgp.Attributes) string {
	var b strings.Builder
	orNotSet := func(s string) string {
		if s == "" {
			return "[not set]"
		}
		return s
	}
	fmt.Fprintf(&b, "Reader ...........: %s\n", st.Reader)
	fmt.Fprintf(&b, "Application ID ...: %X\n", st.AID)
	fmt.Fprintf(&b, "Application type .: OpenPGP\n")
	fmt.Fprintf(&b, "Version ..........: %x.%x\n", aid.Major, aid.Minor)
	fmt.Fprintf(&b, "Manufacturer .....: %s\n", cardManufacturer(aid.Manufacturer))
	fmt.Fprintf(&b, "Serial number ....: %s\n", aid.SerialString())
	name := "[not set]"
	if given, surname, ok := cardHolderName(st.Name); ok {
		name = strings.TrimSpace(given + " " + surname)
	}
	fmt.Fprintf(&b, "Name of cardholder: %s\n", name)
	fmt.Fprintf(&b, "Language prefs ...: %s\n", orNotSet(st.Lang))
	fmt.Fprintf(&b, "Salutation .......: %s\n", map[uint8]string{'1': "Mr.", '2': "Ms."}[st.Sex])
	fmt.Fprintf(&b, "URL of public key : %s\n", orNotSet(st.URL))
	fmt.Fprintf(&b, "Login data .......: %s\n", orNotSet(st.Login))
	fmt.Fprintf(&b, "Signature PIN ....: %s\n", map[bool]string{false: "forced", true: "not forced"}[st.PW1Multiple])
	fmt.Fprintf(&b, "Key attributes ...: %s %s %s\n", attrs[0].Name(), attrs[1].Name(), attrs[2].Name())
	fmt.Fprintf(&b, "Max. PIN lengths .: %d %d %d\n", st.PINMaxLen[0], st.PINMaxLen[1], st.PINMaxLen[2])
	fmt.Fprintf(&b, "PIN retry counter : %d %d %d\n", st.PINTries[0], st.PINTries[1], st.PINTries[2])
	fmt.Fprintf(&b, "Signature counter : %d\n", st.SigCounter)
	for i, label := range []string{"Signature key ....", "Encryption key....", "Authentication key"} {
		k := st.Keys[i]
		if !cardFprSet(k.Fingerprint) {
			fmt.Fprintf(&b, "%s: [none]\n", label)
			continue
		}
		fmt.Fprintf(&b, "%s: %s\n", label, spacedFingerprint(k.Fingerprint))
		if k.Created != 0 {
			fmt.Fprintf(&b, "      created ....: %s\n", time.Unix(int64(k.Created), 0).UTC().Format("2006-01-02 15:04:05"))
		}
	}
	return b.String()
}

func cardColons(st *ipc.CardStatus, aid cardpgp.AID, attrs [3]cardpgp.Attributes) string {
	var b strings.Builder
	esc := func(s string) string { return colonSanitized([]byte(s)) }
	fmt.Fprintf(&b, "Reader:%s:AID:%X:openpgp-card:\n", esc(st.Reader), st.AID)
	fmt.Fprintf(&b, "version:%02X%02X:\n", aid.Major, aid.Minor)
	fmt.Fprintf(&b, "vendor:%04x:%s:\n", aid.Manufacturer, cardManufacturer(aid.Manufacturer))
	fmt.Fprintf(&b, "serial:%s:\n", aid.SerialString())
	if given, surname, ok := cardHolderName(st.Name); ok {
		fmt.Fprintf(&b, "name:%s:%s:\n", esc(given), esc(surname))
	} else {
		b.WriteString("name:::\n")
	}
	fmt.Fprintf(&b, "lang:%s:\n", esc(st.Lang))
	sex := map[uint8]string{'1': "m", '2': "f"}[st.Sex]
	if sex == "" {
		sex = "u"
	}
	fmt.Fprintf(&b, "sex:%s:\n", sex)
	fmt.Fprintf(&b, "url:%s:\n", esc(st.URL))
	fmt.Fprintf(&b, "login:%s:\n", esc(st.Login))
	fmt.Fprintf(&b, "forcepin:%d:::\n", map[bool]int{false: 1, true: 0}[st.PW1Multiple])
	for i, at := range attrs {
		if at.Algo == cardpgp.AlgoRSA {
			fmt.Fprintf(&b, "keyattr:%d:1:%d:\n", i+1, at.Bits)
			continue
		}
		// ECC attributes use OpenPGP's numbers: 18 ECDH, 19 ECDSA, 22 EdDSA
		fmt.Fprintf(&b, "keyattr:%d:%d:%s:\n", i+1, at.Algo, cardCurveName(at))
	}
	fmt.Fprintf(&b, "maxpinlen:%d:%d:%d:\n", st.PINMaxLen[0], st.PINMaxLen[1], st.PINMaxLen[2])
	fmt.Fprintf(&b, "pinretry:%d:%d:%d:\n", st.PINTries[0], st.PINTries[1], st.PINTries[2])
	fmt.Fprintf(&b, "sigcount:%d:::\n", st.SigCounter)
	b.WriteString("cafpr:")
	for _, k := range st.Keys {
		if cardFprSet(k.CAFingerprint) {
			fmt.Fprintf(&b, "%X", k.CAFingerprint)
		}
		b.WriteByte(':')
	}
	b.WriteString("\nfpr:")
	for _, k := range st.Keys {
		if cardFprSet(k.Fingerprint) {
			fmt.Fprintf(&b, "%X", k.Fingerprint)
		}
		b.WriteByte(':')
	}
	fmt.Fprintf(&b, "\nfprtime:%d:%d:%d:\ngrp:", st.Keys[0].Created, st.Keys[1].Created, st.Keys[2].Created)
	for i, k := range st.Keys {
		grip := keylist.KeygripOf(int(attrs[i].Algo), attrs[i].OID, k.Public...)
		if grip == "" {
			grip = strings.Repeat("0", 40) // gpg's grip of an empty slot
		}
		b.WriteString(grip + ":")
	}
	b.WriteByte('\n')
	return b.String()
}

// cardFprSet: the card stores all zeros for an empty slot.
func cardFprSet(fpr []byte) bool { return len(fpr) > 0 && !bytes.Equal(fpr, make([]byte, len(fpr))) }

// cardCurveName is the name gpg's --with-colons --card-status gives a curve
// (its OID table's canonical name).
func cardCurveName(at cardpgp.Attributes) string {
	if n, ok := map[string]string{
		"ed25519": "Ed25519", "cv25519": "Curve25519",
		"nistp256": "NIST P-256", "nistp384": "NIST P-384", "nistp521": "NIST P-521",
	}[at.Name()]; ok {
		return n
	}
	return at.Name()
}

// cardManufacturer is gpg 2.2.40's name for an AID manufacturer ID.
func cardManufacturer(id uint16) string {
	if n, ok := map[uint16]string{
		0x0001: "PPC Card Systems", 0x0002: "Prism", 0x0003: "OpenFortress", 0x0004: "Wewid",
		0x0005: "ZeitControl", 0x0006: "Yubico", 0x0007: "OpenKMS", 0x0008: "LogoEmail",
		0x0009: "Fidesmo", 0x000A: "VivoKey", 0x000B: "Feitian Technologies",
		0x000D: "Dangerous Things", 0x000E: "Excelsecu", 0x002A: "Magrathea",
		0x0042: "GnuPG e.V.", 0x1337: "Warsaw Hackerspace", 0x2342: "warpzone",
		0x4354: "Confidential Technologies", 0x5443: "TIF-IT e.V.", 0x63AF: "Trustica",
		0xBA53: "c-base e.V.", 0xBD0E: "Paranoidlabs", 0xF517: "FSIJ", 0xF5EC: "F-Secure",
		0x0000: "test card", 0xFFFF: "test card",
	}[id]; ok {
		return n
	}
	return "unknown"
}
