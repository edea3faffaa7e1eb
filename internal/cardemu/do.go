package cardemu

import (
	"bytes"
	"encoding/binary"

	"github.com/frontpgp/front/card/tlv"
)

// getData answers GET DATA for the data objects of the specification's
// table 4.2 that this card has; anything else is 6A88.
func (c *Card) getData(tag uint16) ([]byte, uint16) {
	switch tag {
	case 0x4F:
		return c.AID(), swOK
	case 0x5F52:
		return c.historical(), swOK
	case 0x6E:
		return tlv.Encode(0x6E, c.appRelated()), swOK
	case 0x65:
		var v []byte
		v = tlv.Append(v, 0x5B, c.name)
		v = tlv.Append(v, 0x5F2D, c.lang)
		v = tlv.Append(v, 0x5F35, []byte{c.sex})
		return tlv.Encode(0x65, v), swOK
	case 0x5B:
		return c.name, swOK
	case 0x5F2D:
		return c.lang, swOK
	case 0x5F35:
		return []byte{c.sex}, swOK
	case 0x5F50:
		return c.url, swOK
	case 0x5E:
		return c.login, swOK
	case 0x7A:
		return tlv.Encode(0x7A, tlv.Encode(0x93, c.counter())), swOK
	case 0x93:
		return c.counter(), swOK
	case 0xC4:
		return c.pwStatus(), swOK
	case 0x7F21:
		return tlv.Encode(0x7F21, c.certs[c.certOcc]), swOK
	case 0xC0:
		return c.extCaps(), swOK
	case 0xC1, 0xC2, 0xC3:
		return c.attrs[tag-0xC1], swOK
	case 0xC5:
		return c.fingerprints(&c.fps), swOK
	case 0xC6:
		return c.fingerprints(&c.cafps), swOK
	case 0xCD:
		return c.genTimes(), swOK
	case 0x7F66:
		if c.opts.ShortOnly {
			return nil, swRefNotFound
		}
		return tlv.Encode(0x7F66, c.extLengthInfo()), swOK
	}
	return nil, swRefNotFound
}

// appRelated is the value of 6E: AID, historical bytes, extended length
// information (unless ShortOnly) and the discretionary data objects 73.
func (c *Card) appRelated() []byte {
	var v []byte
	v = tlv.Append(v, 0x4F, c.AID())
	v = tlv.Append(v, 0x5F52, c.historical())
	if !c.opts.ShortOnly {
		v = tlv.Append(v, 0x7F66, c.extLengthInfo())
	}
	var d []byte
	d = tlv.Append(d, 0xC0, c.extCaps())
	for i := range c.attrs {
		d = tlv.Append(d, uint16(0xC1+i), c.attrs[i])
	}
	d = tlv.Append(d, 0xC4, c.pwStatus())
	d = tlv.Append(d, 0xC5, c.fingerprints(&c.fps))
	d = tlv.Append(d, 0xC6, c.fingerprints(&c.cafps))
	d = tlv.Append(d, 0xCD, c.genTimes())
	d = tlv.Append(d, 0xDE, []byte{0x01, c.keyInfo[0], 0x02, c.keyInfo[1], 0x03, c.keyInfo[2]})
	return tlv.Append(v, 0x73, d)
}

// extCaps is C0: GET CHALLENGE, PW status changeable, algorithm attributes
// changeable; no secure messaging, no key import (unless claimed), no
// private DOs, no KDF; challenge ≤ 255, certificate ≤ 2048, special DOs ≤
// 255 bytes.
func (c *Card) extCaps() []byte {
	caps := byte(0x40 | 0x10 | 0x04)
	if c.opts.ClaimKeyImport {
		caps |= 0x20
	}
	return []byte{caps, 0x00, 0x00, 0xFF, 0x08, 0x00, 0x00, 0xFF, 0x00, 0x00}
}

func (c *Card) extLengthInfo() []byte {
	var v []byte
	v = tlv.Append(v, 0x02, binary.BigEndian.AppendUint16(nil, maxCommand))
	return tlv.Append(v, 0x02, binary.BigEndian.AppendUint16(nil, maxResponse))
}

func (c *Card) pwStatus() []byte {
	return []byte{c.forcedSig, maxPIN, maxPIN, maxPIN, byte(c.tries[0]), byte(c.tries[1]), byte(c.tries[2])}
}

func (c *Card) counter() []byte {
	return []byte{byte(c.sigCount >> 16), byte(c.sigCount >> 8), byte(c.sigCount)}
}

func (c *Card) fingerprints(fps *[3][20]byte) []byte {
	return append(append(fps[0][:], fps[1][:]...), fps[2][:]...)
}

func (c *Card) genTimes() []byte {
	var v []byte
	for _, t := range c.times {
		v = binary.BigEndian.AppendUint32(v, t)
	}
	return v
}

// putData writes one data object; every DO written here needs PW3.
func (c *Card) putData(tag uint16, data []byte) ([]byte, uint16) {
	if !c.verified[2] {
		return nil, swSecurityStatus
	}
	limit := func(n int) uint16 {
		if len(data) > n {
			return swWrongLength
		}
		return swOK
	}
	switch tag {
	case 0x5B:
		if sw := limit(39); sw != swOK {
			return nil, sw
		}
		c.name = clone(data)
	case 0x5F2D:
		if sw := limit(8); sw != swOK {
			return nil, sw
		}
		c.lang = clone(data)
	case 0x5F35:
		if len(data) != 1 {
			return nil, swWrongLength
		}
		c.sex = data[0]
	case 0x5F50:
		if sw := limit(255); sw != swOK {
			return nil, sw
		}
		c.url = clone(data)
	case 0x5E:
		if sw := limit(255); sw != swOK {
			return nil, sw
		}
		c.login = clone(data)
	case 0x7F21:
		if sw := limit(2048); sw != swOK {
			return nil, sw
		}
		c.certs[c.certOcc] = clone(data)
	case 0xC4:
		if len(data) != 1 && len(data) != 4 && len(data) != 7 || data[0] > 1 {
			return nil, swWrongData
		}
		c.forcedSig = data[0]
	case 0xC1, 0xC2, 0xC3:
		i := tag - 0xC1
		if _, err := parseAttr(data, int(i)); err != nil {
			return nil, swWrongData
		}
		// A new algorithm invalidates the slot's key, as on real cards.
		c.attrs[i] = clone(data)
		c.keys[i] = nil
		c.keyInfo[i] = 0
	case 0xC7, 0xC8, 0xC9:
		if len(data) != 20 {
			return nil, swWrongLength
		}
		copy(c.fps[tag-0xC7][:], data)
	case 0xCA, 0xCB, 0xCC:
		if len(data) != 20 {
			return nil, swWrongLength
		}
		copy(c.cafps[tag-0xCA][:], data)
	case 0xCE, 0xCF, 0xD0:
		if len(data) != 4 {
			return nil, swWrongLength
		}
		c.times[tag-0xCE] = binary.BigEndian.Uint32(data)
	case 0xD3:
		if len(data) != 0 && len(data) < 8 || len(data) > maxPIN {
			return nil, swWrongLength
		}
		c.rc = clone(data)
		c.tries[1] = 0
		if len(data) > 0 {
			c.tries[1] = retries
		}
	default:
		return nil, swRefNotFound
	}
	return nil, swOK
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// selectData is SELECT DATA (specification 3.4, 7.2.5): P1 the occurrence
// (0–2) of the cardholder certificate 7F21 that GET DATA and PUT DATA of
// 7F21 use next, P2 04, data 60 04 5C 02 7F 21. Only 7F21 has occurrences
// here; the choice holds until another SELECT DATA or a reset.
func (c *Card) selectData(p1, p2 byte, data []byte) ([]byte, uint16) {
	if p1 > 2 || p2 != 0x04 {
		return nil, swWrongP1P2
	}
	objs, err := tlv.Parse(data)
	if err != nil || len(objs) != 1 || objs[0].Tag != 0x60 {
		return nil, swWrongData
	}
	ref, ok := tlv.Find(objs[0].Children, 0x5C)
	if !ok || !bytes.Equal(ref.Value, []byte{0x7F, 0x21}) {
		return nil, swRefNotFound
	}
	c.certOcc = int(p1)
	return nil, swOK
}
