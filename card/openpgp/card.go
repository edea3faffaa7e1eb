package openpgp

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/frontpgp/front/card/apdu"
	"github.com/frontpgp/front/card/tlv"
)

// PIN references (VERIFY P2).
type PIN byte

const (
	PW1Sign  PIN = 0x81 // PW1 for PSO:CDS
	PW1Other PIN = 0x82 // PW1 for decipher and authenticate
	PW3      PIN = 0x83 // admin PIN
)

// triesIndex is the PIN's retry counter in PWStatus.Tries.
func (p PIN) triesIndex() int {
	if p == PW3 {
		return 2
	}
	return 0
}

// Key slots, in the order of C1–C3, C5 and CD.
type Slot int

const (
	SlotSign Slot = iota
	SlotDecrypt
	SlotAuth
)

// crt is the control reference template GENERATE names the slot with.
func (s Slot) crt() []byte { return []byte{[]byte{0xB6, 0xB8, 0xA4}[s], 0x00} }

// Card is a selected OpenPGP application.
type Card struct {
	c    *apdu.Client
	Data *AppData // as read at Select; refresh with ReadAppData
}

// Select selects the application and reads its application related data;
// extended APDUs are used from then on if the card announces them.
func Select(t apdu.Transport) (*Card, error) {
	c := &Card{c: &apdu.Client{T: t}}
	if _, err := c.c.Do(apdu.Command{INS: 0xA4, P1: 0x04, Data: AppletAID}); err != nil {
		return nil, fmt.Errorf("selecting the OpenPGP application: %w", err)
	}
	if err := c.ReadAppData(); err != nil {
		return nil, err
	}
	return c, nil
}

// ReadAppData rereads 6E into c.Data.
func (c *Card) ReadAppData() error {
	b, err := c.GetData(0x6E)
	if err != nil {
		return err
	}
	d, err := ParseAppData(b)
	if err != nil {
		return err
	}
	c.Data = d
	c.c.Extended = d.ExtendedLength
	return nil
}

// GetData reads one data object.
func (c *Card) GetData(tag uint16) ([]byte, error) {
	return c.c.Do(apdu.Command{INS: 0xCA, P1: byte(tag >> 8), P2: byte(tag), Ne: c.ne()})
}

// ne is the largest response to ask for.
func (c *Card) ne() int {
	if c.c.Extended {
		return apdu.MaxResponse
	}
	return 256
}

// PutData writes one data object (PW3 verified).
func (c *Card) PutData(tag uint16, value []byte) error {
	_, err := c.c.Do(apdu.Command{INS: 0xDA, P1: byte(tag >> 8), P2: byte(tag), Data: value})
	return err
}

// Cardholder reads 65.
func (c *Card) Cardholder() (Cardholder, error) {
	b, err := c.GetData(0x65)
	if err != nil {
		return Cardholder{}, err
	}
	return ParseCardholder(b)
}

// SignatureCounter reads 93 from the security support template 7A.
func (c *Card) SignatureCounter() (uint32, error) {
	b, err := c.GetData(0x7A)
	if err != nil {
		return 0, err
	}
	objs, err := tlv.Parse(b)
	if err != nil {
		return 0, err
	}
	o, ok := tlv.Find(objs, 0x93)
	if !ok || len(o.Value) != 3 {
		return 0, errors.New("openpgp: no signature counter in 7A")
	}
	return uint32(o.Value[0])<<16 | uint32(o.Value[1])<<8 | uint32(o.Value[2]), nil
}

// PINState asks the card whether ref is verified (the empty VERIFY, which
// uses no try). It returns true when verified, else the tries left.
func (c *Card) PINState(ref PIN) (verified bool, tries int, err error) {
	_, err = c.c.Do(apdu.Command{INS: 0x20, P2: byte(ref)})
	sw, isSW := apdu.SW(err)
	switch {
	case err == nil:
		return true, 0, nil
	case isSW && sw&0xFFF0 == 0x63C0:
		return false, int(sw & 0xF), nil
	case isSW && sw == 0x6983:
		return false, 0, nil
	}
	return false, 0, err
}

// Verify sends VERIFY once. A wrong PIN is *WrongPINError; a blocked PIN
// ErrBlocked. It never retries.
func (c *Card) Verify(ref PIN, pin []byte) error {
	if len(pin) == 0 {
		return errors.New("openpgp: empty PIN")
	}
	_, err := c.c.Do(apdu.Command{INS: 0x20, P2: byte(ref), Data: pin})
	return pinError(err)
}

// ResetVerification drops the verification state of ref (VERIFY P1=FF).
func (c *Card) ResetVerification(ref PIN) error {
	_, err := c.c.Do(apdu.Command{INS: 0x20, P1: 0xFF, P2: byte(ref)})
	return err
}

// WrongPINError is 63Cx.
type WrongPINError struct{ Left int }

func (e *WrongPINError) Error() string {
	return fmt.Sprintf("wrong PIN (%d tries left)", e.Left)
}

// ErrBlocked is a PIN whose retry counter is 0.
var ErrBlocked = errors.New("PIN blocked")

func pinError(err error) error {
	sw, ok := apdu.SW(err)
	switch {
	case ok && sw&0xFFF0 == 0x63C0:
		return &WrongPINError{Left: int(sw & 0xF)}
	case ok && sw == 0x6983:
		return ErrBlocked
	}
	return err
}

// ChangePIN is CHANGE REFERENCE DATA (PW1 or PW3): old ‖ new. A blocked
// PIN (counter 0 in c.Data) gets no command: ErrBlocked.
func (c *Card) ChangePIN(ref PIN, old, new []byte) error {
	if ref == PW1Other {
		ref = PW1Sign
	}
	if c.TriesLeft(ref) == 0 {
		return ErrBlocked
	}
	data := append(append([]byte{}, old...), new...)
	defer clear(data)
	_, err := c.c.Do(apdu.Command{INS: 0x24, P2: byte(ref), Data: data})
	return pinError(err)
}

// UnblockPIN sets a new PW1 and its retry counter after PW3 (RESET RETRY
// COUNTER P1=02).
func (c *Card) UnblockPIN(new []byte) error {
	_, err := c.c.Do(apdu.Command{INS: 0x2C, P1: 0x02, P2: byte(PW1Sign), Data: new})
	return err
}

// Sign is PSO:COMPUTE DIGITAL SIGNATURE. data is a DigestInfo for RSA and
// the bare hash for ECDSA and EdDSA.
func (c *Card) Sign(data []byte) ([]byte, error) {
	return c.c.Do(apdu.Command{INS: 0x2A, P1: 0x9E, P2: 0x9A, Data: data, Ne: c.ne()})
}

// Authenticate is INTERNAL AUTHENTICATE with the authentication key.
func (c *Card) Authenticate(data []byte) ([]byte, error) {
	return c.c.Do(apdu.Command{INS: 0x88, Data: data, Ne: c.ne()})
}

// DecipherRSA is PSO:DECIPHER with an RSA ciphertext (padding indicator 00
// prepended here); it returns the PKCS#1 v1.5 plaintext.
func (c *Card) DecipherRSA(ciphertext []byte) ([]byte, error) {
	return c.c.Do(apdu.Command{INS: 0x2A, P1: 0x80, P2: 0x86, Data: append([]byte{0x00}, ciphertext...), Ne: c.ne()})
}

// DecipherECDH is PSO:DECIPHER with the sender's ephemeral point (native
// 32 bytes for X25519, 04‖x‖y for NIST curves); it returns the shared secret.
func (c *Card) DecipherECDH(point []byte) ([]byte, error) {
	if len(point) > 0x7F {
		return nil, errors.New("openpgp: ECDH point too long")
	}
	data := tlv.Encode(0xA6, tlv.Encode(0x7F49, tlv.Encode(0x86, point)))
	return c.c.Do(apdu.Command{INS: 0x2A, P1: 0x80, P2: 0x86, Data: data, Ne: c.ne()})
}

// Generate creates a new key pair in slot (PW3 verified) and returns its
// public key. The caller then writes its fingerprint and time (SetKeyMeta).
func (c *Card) Generate(s Slot) (PublicKey, error) {
	return c.generate(0x80, s)
}

// ReadPublicKey returns the public key of an existing key in slot.
func (c *Card) ReadPublicKey(s Slot) (PublicKey, error) {
	return c.generate(0x81, s)
}

func (c *Card) generate(p1 byte, s Slot) (PublicKey, error) {
	b, err := c.c.Do(apdu.Command{INS: 0x47, P1: p1, Data: s.crt(), Ne: c.ne()})
	if err != nil {
		return PublicKey{}, err
	}
	return ParsePublicKey(b)
}

// SetKeyMeta writes a slot's fingerprint (C7–C9) and creation time (CE–D0).
func (c *Card) SetKeyMeta(s Slot, fingerprint []byte, created uint32) error {
	if len(fingerprint) != 20 {
		return errors.New("openpgp: the card stores v4 (20-byte) fingerprints")
	}
	if err := c.PutData(0xC7+uint16(s), fingerprint); err != nil {
		return err
	}
	return c.PutData(0xCE+uint16(s), binary.BigEndian.AppendUint32(nil, created))
}
