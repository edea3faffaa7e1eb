package store

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"github.com/frontpgp/front/pgp"
)

// This file reads certificates at the packet level without go-crypto: the
// index and the import merge need only tags, key fingerprints, user IDs and
// a few signature fields, and must keep every packet byte for byte.

// OpenPGP packet tags the store deals with.
const (
	tagSignature    = 2
	tagSecretKey    = 5
	tagPublicKey    = 6
	tagSecretSubkey = 7
	tagUserID       = 13
	tagPublicSubkey = 14
	tagAttribute    = 17
	tagRingTrust    = 12
)

// Signature classes (RFC 4880 5.2.1) the import rules distinguish.
const (
	sigSubkeyBinding = 0x18
	sigDirectKey     = 0x1f
	sigKeyRevocation = 0x20
	sigSubkeyRevoke  = 0x28
	sigCertRevoke    = 0x30
)

// rawPacket is one packet: its tag and its bytes with the original header.
type rawPacket struct {
	tag  int
	raw  []byte
	body []byte // a sub-slice of raw
}

var errBadPacket = errors.New("invalid packet framing")

// nextPacket reads one packet from the start of data. Partial lengths are
// refused: no packet of a certificate may use them.
func nextPacket(data []byte) (p rawPacket, rest []byte, err error) {
	if len(data) < 2 || data[0]&0x80 == 0 {
		return p, nil, errBadPacket
	}
	b := data[0]
	var hdr, length int
	if b&0x40 != 0 {
		p.tag = int(b & 0x3f)
		l1 := int(data[1])
		switch {
		case l1 < 192:
			hdr, length = 2, l1
		case l1 < 224:
			if len(data) < 3 {
				return p, nil, errBadPacket
			}
			hdr, length = 3, (l1-192)<<8+int(data[2])+192
		case l1 == 255:
			if len(data) < 6 {
				return p, nil, errBadPacket
			}
			n := binary.BigEndian.Uint32(data[2:6])
			if n > 1<<30 {
				return p, nil, errBadPacket
			}
			hdr, length = 6, int(n)
		default:
			return p, nil, errBadPacket
		}
	} else {
		p.tag = int(b>>2) & 0xf
		switch b & 3 {
		case 0:
			hdr, length = 2, int(data[1])
		case 1:
			if len(data) < 3 {
				return p, nil, errBadPacket
			}
			hdr, length = 3, int(binary.BigEndian.Uint16(data[1:3]))
		case 2:
			if len(data) < 5 {
				return p, nil, errBadPacket
			}
			n := binary.BigEndian.Uint32(data[1:5])
			if n > 1<<30 {
				return p, nil, errBadPacket
			}
			hdr, length = 5, int(n)
		default:
			hdr, length = 1, len(data)-1
		}
	}
	if length > len(data)-hdr {
		return p, nil, errBadPacket
	}
	p.raw = data[: hdr+length : hdr+length]
	p.body = p.raw[hdr:]
	return p, data[hdr+length:], nil
}

// splitPackets cuts data into packets.
func splitPackets(data []byte) ([]rawPacket, error) {
	var out []rawPacket
	for len(data) > 0 {
		p, rest, err := nextPacket(data)
		if err != nil {
			return out, err
		}
		out = append(out, p)
		data = rest
	}
	return out, nil
}

// keyInfo is what the store needs from a (sub)key packet.
type keyInfo struct {
	version     int
	created     uint32
	algo        byte
	fingerprint []byte
	keyID       uint64
}

var errUnsupportedKey = errors.New("unsupported key packet version")

// parseKey computes the fingerprint and key ID of a public (sub)key packet
// body: v4 SHA-1 over 0x99|len16|body, v6 SHA-256 over 0x9b|len32|body and
// LibrePGP v5 SHA-256 over 0x9a|len32|body. v2/v3 keys are unsupported.
func parseKey(body []byte) (keyInfo, error) {
	var k keyInfo
	if len(body) < 6 {
		return k, errBadPacket
	}
	k.version = int(body[0])
	k.created = binary.BigEndian.Uint32(body[1:5])
	k.algo = body[5]
	switch k.version {
	case 4:
		if len(body) > 0xffff {
			return k, errBadPacket
		}
		h := sha1.New()
		h.Write([]byte{0x99, byte(len(body) >> 8), byte(len(body))})
		h.Write(body)
		k.fingerprint = h.Sum(nil)
		k.keyID = binary.BigEndian.Uint64(k.fingerprint[12:20])
	case 5, 6:
		prefix := byte(0x9b)
		if k.version == 5 {
			prefix = 0x9a
		}
		h := sha256.New()
		n := len(body)
		h.Write([]byte{prefix, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
		h.Write(body)
		k.fingerprint = h.Sum(nil)
		k.keyID = binary.BigEndian.Uint64(k.fingerprint[:8])
	default:
		return k, errUnsupportedKey
	}
	return k, nil
}

// KeyIDFromFingerprint is the key ID a fingerprint implies.
func KeyIDFromFingerprint(fpr []byte) uint64 { return keyIDFromFingerprint(fpr) }

// keyIDFromFingerprint is the key ID a fingerprint implies: the low 64 bits
// of a v4 (20-byte) fingerprint, the high 64 bits of a 32-byte one.
func keyIDFromFingerprint(fpr []byte) uint64 {
	if id := pgp.IssuerKeyID(fpr); id != nil {
		return binary.BigEndian.Uint64(id)
	}
	return 0
}

// sigInfo is what the import rules read from a signature packet.
type sigInfo struct {
	version    int
	class      byte
	pubkeyAlgo byte
	hashAlgo   byte
	created    uint32
	issuer     uint64 // 0 when the signature names none
	exportable bool
	lifetime   uint32 // signature expiration time (hashed), 0: none
	primaryUID bool   // hashed primary-user-ID flag
	material   []byte // the signature values, for gpg's cmp_signatures

	// Hashed subpackets the export and import cleaning looks at.
	nonRevocable     bool     // revocable subpacket with value 0
	keyExpire        uint32   // key expiration time, 0: none
	keyFlags         byte     // first octet of the key flags
	hasKeyFlags      bool     // a key flags subpacket is present
	sensitiveRevoker bool     // a revocation key subpacket with class bit 0x40
	revokers         [][]byte // hashed revocation key subpackets (class, algo, fingerprint)
}

// parseSig reads a v3, v4, v5 or v6 signature packet body. The issuer key
// ID comes from an issuer subpacket (hashed or not), else from an issuer
// fingerprint subpacket.
func parseSig(body []byte) (sigInfo, error) {
	s := sigInfo{exportable: true}
	if len(body) < 1 {
		return s, errBadPacket
	}
	s.version = int(body[0])
	switch s.version {
	case 2, 3:
		if len(body) < 19 || body[1] != 5 {
			return s, errBadPacket
		}
		s.class = body[2]
		s.created = binary.BigEndian.Uint32(body[3:7])
		s.issuer = binary.BigEndian.Uint64(body[7:15])
		s.pubkeyAlgo, s.hashAlgo = body[15], body[16]
		s.material = body[19:]
		return s, nil
	case 4, 5, 6:
	default:
		return s, errBadPacket
	}
	if len(body) < 4 {
		return s, errBadPacket
	}
	s.class, s.pubkeyAlgo, s.hashAlgo = body[1], body[2], body[3]
	p := body[4:]
	areaLen := func() (int, bool) {
		if s.version == 6 {
			if len(p) < 4 {
				return 0, false
			}
			n := binary.BigEndian.Uint32(p)
			p = p[4:]
			return int(n), n <= uint32(len(p))
		}
		if len(p) < 2 {
			return 0, false
		}
		n := binary.BigEndian.Uint16(p)
		p = p[2:]
		return int(n), int(n) <= len(p)
	}
	n, ok := areaLen()
	if !ok {
		return s, errBadPacket
	}
	hashed := p[:n]
	p = p[n:]
	n, ok = areaLen()
	if !ok {
		return s, errBadPacket
	}
	unhashed := p[:n]
	p = p[n:]
	if len(p) < 2 {
		return s, errBadPacket
	}
	p = p[2:] // the left 16 bits of the hash
	if s.version == 6 {
		if len(p) < 1 || int(p[0]) > len(p)-1 {
			return s, errBadPacket
		}
		p = p[1+int(p[0]):]
	}
	s.material = p
	var issuerFpr []byte
	for i, area := range [][]byte{hashed, unhashed} {
		err := eachSubpacket(area, func(typ byte, data []byte) {
			switch typ {
			case 2:
				if i == 0 && len(data) >= 4 {
					s.created = binary.BigEndian.Uint32(data)
				}
			case 3:
				if i == 0 && len(data) >= 4 {
					s.lifetime = binary.BigEndian.Uint32(data)
				}
			case 4:
				if len(data) >= 1 && data[0] == 0 {
					s.exportable = false
				}
			case 25:
				if i == 0 && len(data) >= 1 && data[0] != 0 {
					s.primaryUID = true
				}
			case 7:
				if i == 0 && len(data) >= 1 && data[0] == 0 {
					s.nonRevocable = true
				}
			case 9:
				if i == 0 && len(data) >= 4 {
					s.keyExpire = binary.BigEndian.Uint32(data)
				}
			case 27:
				if i == 0 && !s.hasKeyFlags {
					s.hasKeyFlags = true
					if len(data) >= 1 {
						s.keyFlags = data[0]
					}
				}
			case 12:
				if i == 0 && len(data) >= 1 && data[0]&0x40 != 0 {
					s.sensitiveRevoker = true
				}
				if i == 0 && len(data) == 22 {
					s.revokers = append(s.revokers, data)
				}
			case 16:
				if len(data) >= 8 && s.issuer == 0 {
					s.issuer = binary.BigEndian.Uint64(data)
				}
			case 33:
				if len(data) >= 2 && issuerFpr == nil {
					issuerFpr = data[1:]
				}
			}
		})
		if err != nil {
			return s, err
		}
	}
	if s.issuer == 0 && issuerFpr != nil {
		s.issuer = keyIDFromFingerprint(issuerFpr)
	}
	return s, nil
}

// eachSubpacket walks a signature subpacket area.
func eachSubpacket(area []byte, f func(typ byte, data []byte)) error {
	sps, err := pgp.ParseSubpackets(area)
	if err != nil {
		return errBadPacket
	}
	for _, sp := range sps {
		f(sp.Type, sp.Data)
	}
	return nil
}

// CertSummary is what the index keeps of one certificate.
type CertSummary struct {
	Fingerprint []byte   // primary key
	Keys        [][]byte // fingerprints of the primary key and every subkey
	UserIDs     []string // user ID packets in order (not attributes)
}

// summarize reads a stored certificate: its first packet must be a primary
// key; trailing data that is not a packet makes the file invalid.
func summarize(data []byte) (CertSummary, error) {
	var c CertSummary
	first := true
	for len(data) > 0 {
		p, rest, err := nextPacket(data)
		if err != nil {
			return c, err
		}
		data = rest
		if first {
			if p.tag != tagPublicKey {
				return c, errors.New("does not start with a public key packet")
			}
			first = false
		}
		switch p.tag {
		case tagPublicKey, tagPublicSubkey:
			k, err := parseKey(p.body)
			if err != nil {
				if p.tag == tagPublicKey {
					return c, err
				}
				continue
			}
			if p.tag == tagPublicKey {
				if c.Fingerprint != nil {
					return c, errors.New("more than one certificate")
				}
				c.Fingerprint = k.fingerprint
			}
			c.Keys = append(c.Keys, k.fingerprint)
		case tagUserID:
			c.UserIDs = append(c.UserIDs, string(p.body))
		}
	}
	if c.Fingerprint == nil {
		return c, errors.New("empty certificate")
	}
	return c, nil
}

// UserIDOrder lists the user IDs of a stored certificate in packet order
// (gpg lists them in this order, the primary one first). go-crypto keeps
// identities in a map, so listings take the order from here; a framing
// error ends the list.
func UserIDOrder(raw []byte) []string {
	var out []string
	for len(raw) > 0 {
		p, rest, err := nextPacket(raw)
		if err != nil {
			break
		}
		if p.tag == tagUserID {
			out = append(out, string(p.body))
		}
		raw = rest
	}
	return out
}
