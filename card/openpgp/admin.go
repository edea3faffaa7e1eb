package openpgp

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/frontpgp/front/card/apdu"
)

// Minimum PIN lengths of the specification (4.3): a shorter PIN is refused
// before it reaches the card, where it would cost a try.
const (
	MinPW1       = 6
	MinPW3       = 8
	MinResetCode = 8
)

// MinLen is the minimum length of ref's PIN.
func (p PIN) MinLen() int {
	if p == PW3 {
		return MinPW3
	}
	return MinPW1
}

// TriesLeft is ref's retry counter as last read (c.Data).
func (c *Card) TriesLeft(ref PIN) int { return c.Data.PW.Tries[ref.triesIndex()] }

// ResetWithCode is RESET RETRY COUNTER P1=00: a new PW1 set with the
// resetting code. A card without a resetting code (counter 0) gets no
// command: ErrBlocked.
func (c *Card) ResetWithCode(code, new []byte) error {
	if c.Data.PW.Tries[1] == 0 {
		return ErrBlocked
	}
	data := append(append([]byte{}, code...), new...)
	defer clear(data)
	_, err := c.c.Do(apdu.Command{INS: 0x2C, P2: byte(PW1Sign), Data: data})
	return pinError(err)
}

// SetResetCode writes the resetting code (D3; PW3 verified).
func (c *Card) SetResetCode(code []byte) error { return c.PutData(0xD3, code) }

// Data objects front writes with PUT DATA (all need PW3).
const (
	DOName        = 0x5B
	DOLang        = 0x5F2D
	DOSex         = 0x5F35
	DOURL         = 0x5F50
	DOLogin       = 0x5E
	DOPWStatus    = 0xC4 // first byte: PW1 valid for several PSO:CDS
	DOAttrs       = 0xC1 // + slot
	DOFingerprint = 0xC7 // + slot
	DOCAFpr       = 0xCA // + slot
	DOCreated     = 0xCE // + slot
)

// CheckAdminDO says whether value may be written to tag: the closed set
// of data objects --card-edit changes, each with its size and shape (the
// specification's limits; name, language and sex as gpg checks them).
func CheckAdminDO(tag uint16, value []byte) error {
	bad := func(why string) error { return fmt.Errorf("openpgp: DO %X: %s", tag, why) }
	switch {
	case tag == DOName:
		if len(value) > 39 {
			return bad("name longer than 39 characters")
		}
		return printable(value, bad)
	case tag == DOLang:
		if len(value) > 8 || len(value)%2 != 0 {
			return bad("language preferences are 1 to 4 two-letter codes")
		}
		for _, b := range value {
			if b < 'a' || b > 'z' {
				return bad("language preferences are lower-case letters")
			}
		}
	case tag == DOSex:
		if len(value) != 1 || (value[0] != '0' && value[0] != '1' && value[0] != '2' && value[0] != '9') {
			return bad("salutation is one ISO 5218 digit")
		}
	case tag == DOURL || tag == DOLogin:
		if len(value) > 254 {
			return bad("longer than 254 bytes")
		}
	case tag == DOPWStatus:
		if len(value) != 1 || value[0] > 1 {
			return bad("PW status byte is 00 or 01")
		}
	case tag >= DOAttrs && tag <= DOAttrs+2:
		if _, err := ParseAttributes(value); err != nil {
			return err
		}
	case tag >= DOFingerprint && tag <= DOFingerprint+2, tag >= DOCAFpr && tag <= DOCAFpr+2:
		if len(value) != 20 {
			return bad("fingerprints are 20 bytes")
		}
	case tag >= DOCreated && tag <= DOCreated+2:
		if len(value) != 4 {
			return bad("times are 4 bytes")
		}
	default:
		return bad("not a data object front writes")
	}
	return nil
}

func printable(v []byte, bad func(string) error) error {
	for _, b := range v {
		if b < ' ' || b > '~' {
			return bad("only printable ASCII")
		}
	}
	return nil
}

// EncodeTime is a creation time as CE–D0 store it.
func EncodeTime(t uint32) []byte { return binary.BigEndian.AppendUint32(nil, t) }

// AttributesFor builds the algorithm attributes gpg's key-attr sets for a
// slot: "rsa2048", "rsa3072", "rsa4096" (e 32 bits, standard import
// format), or a curve name gpg uses ("ed25519", "cv25519", "nistp256",
// "nistp384", "nistp521", "brainpoolP256r1") with the algorithm the slot
// needs: ECDH for decryption, EdDSA or ECDSA for the others.
func AttributesFor(s Slot, name string) ([]byte, error) {
	if bits, ok := strings.CutPrefix(name, "rsa"); ok {
		n, err := strconv.Atoi(bits)
		if err != nil || (n != 2048 && n != 3072 && n != 4096) {
			return nil, fmt.Errorf("openpgp: unsupported RSA size %q", bits)
		}
		return []byte{AlgoRSA, byte(n >> 8), byte(n), 0x00, 0x20, 0x00}, nil
	}
	for _, c := range curves {
		if c.name != name {
			continue
		}
		algo := byte(AlgoECDSA)
		switch {
		case s == SlotDecrypt:
			if name == "ed25519" {
				return nil, fmt.Errorf("openpgp: %s cannot decrypt", name)
			}
			algo = AlgoECDH
		case name == "cv25519":
			return nil, fmt.Errorf("openpgp: %s cannot sign", name)
		case name == "ed25519":
			algo = AlgoEdDSA
		}
		return append([]byte{algo}, c.oid...), nil
	}
	return nil, fmt.Errorf("openpgp: unknown curve %q", name)
}

// ParseCAFingerprint reads a CA fingerprint as gpg's change_cafpr does:
// 20 hex byte pairs, each optionally preceded by blanks and one colon,
// nothing after them.
func ParseCAFingerprint(v string) ([]byte, bool) {
	var fpr []byte
	i := 0
	skip := func() {
		for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
			i++
		}
	}
	for len(fpr) < 20 && i < len(v) {
		skip()
		if i < len(v) && v[i] == ':' {
			i++
		}
		skip()
		if i+2 > len(v) {
			break
		}
		b, err := strconv.ParseUint(v[i:i+2], 16, 8)
		if err != nil {
			break
		}
		fpr = append(fpr, byte(b))
		i += 2
	}
	return fpr, len(fpr) == 20 && i == len(v)
}
