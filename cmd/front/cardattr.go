package main

// key-attr in --card-edit: gpg's key_attr and ask_card_keyattr
// (card-util.c) with keygen.c's ask_curve; the new algorithm attributes
// are written with PUT DATA C1–C3 (Admin PIN), as scdaemon's KEY-ATTR
// does.

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	cardpgp "github.com/frontpgp/front/card/openpgp"
	"github.com/frontpgp/front/ipc"
)

func (s *cardEditSession) keyAttr() {
	a := s.a
	if !s.read() {
		return
	}
	if !s.st.AttrsChangeable {
		a.errorf("This command is not supported by this card")
		return
	}
	for slot := 0; slot < 3; slot++ {
		cur, err := cardpgp.ParseAttributes(s.st.Keys[slot].Attributes)
		if err != nil {
			a.errorf("error getting card info: %v", err)
			return
		}
		attrs, ok := s.askKeyAttr(cardpgp.Slot(slot), cur)
		if !ok {
			continue
		}
		err = s.putDOs(ipc.CardDO{Tag: cardpgp.DOAttrs + uint16(slot), Value: attrs})
		// scdaemon forgets the verified PINs after a change of attributes
		// (the card may have reset its state): the next change asks again
		clear(s.pw3)
		s.pw3 = nil
		if err != nil {
			a.errorf("error changing key attribute for key %d: %s", slot+1, s.errorText(err))
			if !s.read() {
				return
			}
			slot-- // gpg asks again for this key
		}
	}
}

// askKeyAttr is ask_card_keyattr: the new attributes for slot, ok false
// to keep cur.
func (s *cardEditSession) askKeyAttr(slot cardpgp.Slot, cur cardpgp.Attributes) ([]byte, bool) {
	w := s.tty
	fmt.Fprintf(w, "Changing card key attribute for: %s\n", []string{"Signature key", "Encryption key", "Authentication key"}[slot])
	fmt.Fprint(w, "Please select what kind of key you want:\n   (1) RSA\n   (2) ECC\n")
	var kind int
	for {
		ans := strings.TrimSpace(s.getLine("cardedit.genkeys.algo", "Your selection? "))
		if ans == controlDAnswer {
			return nil, false
		}
		kind, _ = strconv.Atoi(leadingDigits(ans))
		if ans == "" || kind == 1 || kind == 2 {
			break
		}
		fmt.Fprintln(w, "Invalid selection.")
	}
	var attrs []byte
	switch kind {
	case 0:
		return nil, false
	case 1:
		nbits := 2048
		if cur.Algo == cardpgp.AlgoRSA {
			nbits = cur.Bits
		}
		bits, ok := s.askCardRSASize(nbits)
		if !ok {
			return nil, false
		}
		if bits == 0 {
			if cur.Algo == cardpgp.AlgoRSA {
				return nil, false
			}
			bits = nbits
		}
		if cur.Algo == cardpgp.AlgoRSA {
			// scdaemon keeps the exponent size and import format
			attrs = bytes.Clone(cur.Raw)
			attrs[1], attrs[2] = byte(bits>>8), byte(bits)
		} else {
			attrs, _ = cardpgp.AttributesFor(slot, "rsa"+strconv.Itoa(bits))
		}
		fmt.Fprintf(w, "The card will now be re-configured to generate a key of %d bits\n", bits)
	default:
		name, ok := s.askCurve(slot, cur.Algo != cardpgp.AlgoRSA)
		if !ok {
			return nil, false
		}
		var err error
		if attrs, err = cardpgp.AttributesFor(slot, name); err != nil {
			s.a.errorf("error changing key attribute for key %d: %v", slot+1, err)
			return nil, false
		}
		fmt.Fprintf(w, "The card will now be re-configured to generate a key of type: %s\n", name)
	}
	if !s.sizeWarned {
		s.sizeWarned = true
		fmt.Fprint(w, "Note: There is no guarantee that the card supports the requested size.\n"+
			"      If the key generation does not succeed, please check the\n"+
			"      documentation of your card to see what sizes are allowed.\n")
	}
	return attrs, true
}

// askCardRSASize is ask_card_rsa_keysize: 0 keeps nbits.
func (s *cardEditSession) askCardRSASize(nbits int) (int, bool) {
	for {
		ans := strings.TrimSpace(s.getLine("cardedit.genkeys.size", fmt.Sprintf("What keysize do you want? (%d) ", nbits)))
		if ans == controlDAnswer {
			return 0, false
		}
		req := nbits
		if ans != "" {
			req, _ = strconv.Atoi(leadingDigits(ans))
		}
		if req != nbits && req%32 != 0 {
			req = (req + 31) / 32 * 32
			fmt.Fprintf(s.tty, "rounded up to %d bits\n", req)
		}
		if req == nbits {
			return 0, true
		}
		if req < 1024 || req > 4096 {
			fmt.Fprintf(s.tty, "%s keysizes must be in the range %d-%d\n", "RSA", 1024, 4096)
			continue
		}
		return req, true
	}
}

// cardCurves is ask_curve's menu, numbered as in gpg; the names are those
// cardpgp.AttributesFor takes (Curve 25519: Ed25519 to sign, cv25519 to
// decrypt), "" where the card layer has no such curve.
var cardCurves = []struct {
	name, pretty, attr string
	expertOnly         bool
}{
	{"Curve25519", "Curve 25519", "25519", false},
	{"Curve448", "", "", true}, // reserved: never offered
	{"NIST P-256", "", "nistp256", true},
	{"NIST P-384", "", "nistp384", false},
	{"NIST P-521", "", "nistp521", true},
	{"brainpoolP256r1", "Brainpool P-256", "brainpoolP256r1", true},
	{"brainpoolP384r1", "Brainpool P-384", "", true},
	{"brainpoolP512r1", "Brainpool P-512", "", true},
	{"secp256k1", "", "", true},
}

// askCurve is ask_curve for one card slot; with hasCurrent an empty answer
// keeps the current curve (ok false).
func (s *cardEditSession) askCurve(slot cardpgp.Slot, hasCurrent bool) (string, bool) {
	expert := s.a.opts.has("expert")
	offered := func(i int) bool {
		return i != 1 && (expert || !cardCurves[i].expertOnly)
	}
	fmt.Fprintln(s.tty, "Please select which elliptic curve you want:")
	for i, c := range cardCurves {
		if offered(i) {
			label := c.pretty
			if label == "" {
				label = c.name
			}
			fmt.Fprintf(s.tty, "   (%d) %s\n", i+1, label)
		}
	}
	for {
		ans := strings.TrimSpace(s.getLine("keygen.curve", "Your selection? "))
		if ans == controlDAnswer || ans == "" && hasCurrent {
			return "", false
		}
		idx := 0
		if ans != "" {
			idx, _ = strconv.Atoi(leadingDigits(ans))
		}
		switch {
		case ans == "":
			idx = 0
		case idx == 0:
			idx = -1
			for i, c := range cardCurves {
				if offered(i) && (strings.EqualFold(c.name, ans) || c.pretty != "" && strings.EqualFold(c.pretty, ans)) {
					idx = i
				}
			}
		default:
			idx--
		}
		if idx < 0 || idx >= len(cardCurves) || !offered(idx) {
			fmt.Fprintln(s.tty, "Invalid selection.")
			continue
		}
		name := cardCurves[idx].attr
		if name == "25519" {
			name = "ed25519"
			if slot == cardpgp.SlotDecrypt {
				name = "cv25519"
			}
		}
		return name, true
	}
}
