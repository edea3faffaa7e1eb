package openpgp

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/frontpgp/front/card/apdu"
	"github.com/frontpgp/front/card/cardkey"
	"github.com/frontpgp/front/card/tlv"
)

// ErrAttrMismatch is a key that does not fit the slot's algorithm
// attributes (gpg: "key attribute on card doesn't match").
var ErrAttrMismatch = errors.New("openpgp: key attribute on card doesn't match")

// ImportKey writes k into slot s (PW3 verified) with PUT DATA odd
// (00 DB 3F FF) and the extended header list of specification 4.4.3.12:
// 4D { CRT, 7F48 { tags and lengths }, 5F48 { the values } }. The key
// must match the slot's attributes (c.Data.Attrs); RSA in import format
// 00 (e, p, q) or 01 (e, p, q, n), ECC with the private value padded to
// the curve's size and the public key not sent (no FF format byte).
func (c *Card) ImportKey(s Slot, k *cardkey.Key) error {
	tmpl, err := KeyTemplate(c.Data.Attrs[s], s, k)
	if err != nil {
		return err
	}
	defer clear(tmpl)
	_, err = c.c.Do(apdu.Command{INS: 0xDB, P1: 0x3F, P2: 0xFF, Data: tmpl})
	return err
}

// KeyTemplate is the 4D extended header list for k in a slot with
// attributes at.
func KeyTemplate(at Attributes, s Slot, k *cardkey.Key) ([]byte, error) {
	var tags []uint16
	var vals [][]byte
	switch {
	case k.Algo == cardkey.RSA && at.Algo == AlgoRSA:
		if len(at.Raw) < 6 {
			return nil, ErrAttrMismatch
		}
		eLen := (int(at.Raw[3])<<8 | int(at.Raw[4]) + 7) / 8
		half := at.Bits / 16
		if len(k.N)*8 != at.Bits || len(k.E) > eLen || len(k.P) > half || len(k.Q) > half {
			return nil, ErrAttrMismatch
		}
		tags = []uint16{0x91, 0x92, 0x93}
		vals = [][]byte{pad(k.E, eLen), pad(k.P, half), pad(k.Q, half)}
		switch at.Raw[5] {
		case 0x00:
		case 0x01:
			tags, vals = append(tags, 0x97), append(vals, bytes.Clone(k.N))
		default:
			for _, v := range vals {
				clear(v)
			}
			return nil, fmt.Errorf("openpgp: RSA import format %02X (CRT) not supported", at.Raw[5])
		}
	case k.Algo == cardkey.ECC && at.Algo != AlgoRSA:
		size := curveSize(at.OID)
		if !bytes.Equal(at.OID, k.OID) || size == 0 || len(k.D) > size {
			return nil, ErrAttrMismatch
		}
		tags, vals = []uint16{0x92}, [][]byte{pad(k.D, size)}
	default:
		return nil, ErrAttrMismatch
	}
	// the header list (7F48) holds tags and lengths only, 5F48 the values
	var hdr, data []byte
	for i, t := range tags {
		hdr = tlv.AppendHeader(hdr, t, len(vals[i]))
		data = append(data, vals[i]...)
		clear(vals[i])
	}
	body := append(s.crt(), tlv.Encode(0x7F48, hdr)...)
	body = tlv.Append(body, 0x5F48, data)
	clear(data)
	out := tlv.Encode(0x4D, body)
	clear(body)
	return out, nil
}

func pad(v []byte, n int) []byte {
	out := make([]byte, n)
	copy(out[n-len(v):], v)
	return out
}

// curveSize is the private value's size of the curves cards hold.
func curveSize(oid []byte) int {
	switch CurveName(oid) {
	case "ed25519", "cv25519", "nistp256", "brainpoolP256r1":
		return 32
	case "nistp384":
		return 48
	case "nistp521":
		return 66
	}
	return 0
}

// CurveName is gpg's name of a curve OID, "" if unknown.
func CurveName(oid []byte) string {
	for _, c := range curves {
		if bytes.Equal(c.oid, oid) {
			return c.name
		}
	}
	return ""
}

// CurveOID is the OID of a curve gpg names; nil if unknown.
func CurveOID(name string) []byte {
	for _, c := range curves {
		if c.name == name {
			return bytes.Clone(c.oid)
		}
	}
	return nil
}
