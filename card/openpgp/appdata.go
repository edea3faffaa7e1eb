// Package openpgp maps the OpenPGP card application (specification 3.4)
// onto Go: data objects parsed into types, and the card operations front
// needs (VERIFY, PSO:CDS, PSO:DECIPHER, INTERNAL AUTHENTICATE, GENERATE,
// PUT DATA, PIN changes) over an apdu.Client. The PIN rules of
// ../shared/design/card.md live in Run: one transaction per operation, no
// VERIFY on a blocked PIN, no automatic retry, verification reset at the end.
package openpgp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/frontpgp/front/card/tlv"
)

// RID ‖ PIX of the OpenPGP application: what SELECT sends.
var AppletAID = []byte{0xD2, 0x76, 0x00, 0x01, 0x24, 0x01}

// AID is the parsed application identifier (DO 4F).
type AID struct {
	Raw          []byte
	Major, Minor byte
	Manufacturer uint16
	Serial       uint32
}

// ParseAID parses the 16-byte AID: RID‖PIX, version, manufacturer, serial, RFU.
func ParseAID(b []byte) (AID, error) {
	if len(b) != 16 || !bytes.HasPrefix(b, AppletAID) {
		return AID{}, fmt.Errorf("openpgp: not an OpenPGP card AID: %X", b)
	}
	return AID{
		Raw:          bytes.Clone(b),
		Major:        b[6],
		Minor:        b[7],
		Manufacturer: binary.BigEndian.Uint16(b[8:10]),
		Serial:       binary.BigEndian.Uint32(b[10:14]),
	}, nil
}

// SerialString is the serial as gpg prints it (8 hex digits).
func (a AID) SerialString() string { return fmt.Sprintf("%08X", a.Serial) }

// Algorithm IDs of the algorithm attributes' first byte.
const (
	AlgoRSA   = 0x01
	AlgoECDH  = 0x12
	AlgoECDSA = 0x13
	AlgoEdDSA = 0x16
)

// Curve OIDs (DER contents, no tag) and the names gpg gives them.
var curves = []struct {
	oid  []byte
	name string
}{
	{[]byte{0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01}, "ed25519"},
	{[]byte{0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01}, "cv25519"},
	{[]byte{0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07}, "nistp256"},
	{[]byte{0x2B, 0x81, 0x04, 0x00, 0x22}, "nistp384"},
	{[]byte{0x2B, 0x81, 0x04, 0x00, 0x23}, "nistp521"},
	{[]byte{0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07}, "brainpoolP256r1"},
}

// Attributes are the algorithm attributes of one key slot (C1–C3).
type Attributes struct {
	Algo byte
	Bits int    // RSA modulus size
	OID  []byte // ECC curve, without the import-format byte
	Raw  []byte
}

// ParseAttributes parses C1/C2/C3: RSA 01 n(2) e(2) format, ECC id ‖ OID
// [‖ FF import format].
func ParseAttributes(b []byte) (Attributes, error) {
	if len(b) < 2 {
		return Attributes{}, fmt.Errorf("openpgp: algorithm attributes too short: %X", b)
	}
	a := Attributes{Algo: b[0], Raw: bytes.Clone(b)}
	switch b[0] {
	case AlgoRSA:
		if len(b) < 5 {
			return Attributes{}, fmt.Errorf("openpgp: RSA attributes too short: %X", b)
		}
		a.Bits = int(binary.BigEndian.Uint16(b[1:3]))
	case AlgoECDH, AlgoECDSA, AlgoEdDSA:
		oid := b[1:]
		if n := len(oid); n > 1 && oid[n-1] == 0xFF {
			oid = oid[:n-1]
		}
		a.OID = bytes.Clone(oid)
	default:
		return Attributes{}, fmt.Errorf("openpgp: unknown algorithm %02X", b[0])
	}
	return a, nil
}

// Name is how gpg --card-status names the algorithm: rsa2048, ed25519,
// cv25519, nistp256, …; an unknown curve is "E_" plus its OID in hex.
func (a Attributes) Name() string {
	if a.Algo == AlgoRSA {
		return fmt.Sprintf("rsa%d", a.Bits)
	}
	for _, c := range curves {
		if bytes.Equal(c.oid, a.OID) {
			return c.name
		}
	}
	return fmt.Sprintf("E_%X", a.OID)
}

// PWStatus is C4.
type PWStatus struct {
	PW1Multiple bool   // PW1 81 stays valid for several signatures
	MaxLen      [3]int // PW1, RC, PW3
	Tries       [3]int // PW1, RC, PW3 retry counters
}

// ParsePWStatus parses the seven bytes of C4.
func ParsePWStatus(b []byte) (PWStatus, error) {
	if len(b) < 7 {
		return PWStatus{}, fmt.Errorf("openpgp: PW status of %d bytes", len(b))
	}
	return PWStatus{
		PW1Multiple: b[0] != 0,
		MaxLen:      [3]int{int(b[1]), int(b[2]), int(b[3])},
		Tries:       [3]int{int(b[4]), int(b[5]), int(b[6])},
	}, nil
}

// AppData is the application related data (6E).
type AppData struct {
	AID            AID
	Historical     []byte
	ExtendedLength bool // the card accepts extended APDUs (7F66 or historical bytes)
	ExtCaps        []byte
	Attrs          [3]Attributes
	PW             PWStatus
	Fingerprints   [3][20]byte
	CAFingerprints [3][20]byte
	Created        [3]uint32 // key generation times, 0 if unset
}

var errMissing = errors.New("openpgp: application data lacks a mandatory object")

// ParseAppData parses the value of 6E (or the whole 6E object).
func ParseAppData(b []byte) (*AppData, error) {
	objs, err := tlv.Parse(b)
	if err != nil {
		return nil, err
	}
	if len(objs) == 1 && objs[0].Tag == 0x6E {
		objs = objs[0].Children
	}
	get := func(tag uint16) ([]byte, bool) {
		o, ok := tlv.Find(objs, tag)
		return o.Value, ok
	}
	d := &AppData{}
	aid, ok := get(0x4F)
	if !ok {
		return nil, fmt.Errorf("%w (4F)", errMissing)
	}
	if d.AID, err = ParseAID(aid); err != nil {
		return nil, err
	}
	if h, ok := get(0x5F52); ok {
		d.Historical = bytes.Clone(h)
		d.ExtendedLength = historicalExtended(h)
	}
	if _, ok := get(0x7F66); ok {
		d.ExtendedLength = true
	}
	if c, ok := get(0xC0); ok {
		d.ExtCaps = bytes.Clone(c)
	}
	for i := range d.Attrs {
		v, ok := get(uint16(0xC1 + i))
		if !ok {
			return nil, fmt.Errorf("%w (C%d)", errMissing, i+1)
		}
		if d.Attrs[i], err = ParseAttributes(v); err != nil {
			return nil, err
		}
	}
	pw, ok := get(0xC4)
	if !ok {
		return nil, fmt.Errorf("%w (C4)", errMissing)
	}
	if d.PW, err = ParsePWStatus(pw); err != nil {
		return nil, err
	}
	if fp, ok := get(0xC5); ok && len(fp) >= 60 {
		for i := range d.Fingerprints {
			copy(d.Fingerprints[i][:], fp[20*i:])
		}
	}
	if fp, ok := get(0xC6); ok && len(fp) >= 60 {
		for i := range d.CAFingerprints {
			copy(d.CAFingerprints[i][:], fp[20*i:])
		}
	}
	if ts, ok := get(0xCD); ok && len(ts) >= 12 {
		for i := range d.Created {
			d.Created[i] = binary.BigEndian.Uint32(ts[4*i:])
		}
	}
	return d, nil
}

// historicalExtended finds the card capabilities (compact TLV 73) in the
// historical bytes and reports its "extended Lc and Le fields" bit.
func historicalExtended(h []byte) bool {
	if len(h) == 0 || h[0] != 0x00 {
		return false
	}
	for i := 1; i < len(h); {
		tag, n := h[i]>>4, int(h[i]&0x0F)
		if i+1+n > len(h) {
			return false
		}
		if tag == 0x7 && n >= 3 {
			return h[i+3]&0x40 != 0
		}
		i += 1 + n
	}
	return false
}

// Cardholder is 65.
type Cardholder struct {
	Name string // "Surname<<Given"
	Lang string
	Sex  byte // ISO 5218: '1' male, '2' female, '9' not announced
}

// ParseCardholder parses 65 (or its value).
func ParseCardholder(b []byte) (Cardholder, error) {
	objs, err := tlv.Parse(b)
	if err != nil {
		return Cardholder{}, err
	}
	var ch Cardholder
	if o, ok := tlv.Find(objs, 0x5B); ok {
		ch.Name = string(o.Value)
	}
	if o, ok := tlv.Find(objs, 0x5F2D); ok {
		ch.Lang = string(o.Value)
	}
	if o, ok := tlv.Find(objs, 0x5F35); ok && len(o.Value) == 1 {
		ch.Sex = o.Value[0]
	}
	return ch, nil
}

// PublicKey is a key read from the card (7F49).
type PublicKey struct {
	N, E  []byte // RSA
	Point []byte // ECC: native for Ed25519/X25519, 04‖x‖y for NIST curves
}

// ParsePublicKey parses the 7F49 template.
func ParsePublicKey(b []byte) (PublicKey, error) {
	objs, err := tlv.Parse(b)
	if err != nil {
		return PublicKey{}, err
	}
	if len(objs) != 1 || objs[0].Tag != 0x7F49 {
		return PublicKey{}, errors.New("openpgp: public key is not a 7F49 template")
	}
	var pk PublicKey
	for _, o := range objs[0].Children {
		switch o.Tag {
		case 0x81:
			pk.N = bytes.Clone(o.Value)
		case 0x82:
			pk.E = bytes.Clone(o.Value)
		case 0x86:
			pk.Point = bytes.Clone(o.Value)
		}
	}
	if (pk.N == nil) != (pk.E == nil) || (pk.N == nil) == (pk.Point == nil) {
		return PublicKey{}, errors.New("openpgp: public key template has neither RSA nor ECC parts")
	}
	return pk, nil
}
