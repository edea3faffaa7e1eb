package pgp

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"io"

	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// maxMessagePacket bounds every packet of a message other than the data
// packets, which stream: signatures, one-pass signatures, markers and
// whatever else appears. go-crypto would read a v6 signature's subpacket
// areas (4-byte lengths) or a partial-length signature into memory for as
// long as the input lasts; gpg allows 10000 bytes per subpacket area and no
// partial lengths for these packets. 128 KiB holds the largest signatures
// (SLH-DSA, about 50 KB) with full subpacket areas.
const maxMessagePacket = 128 << 10

// messagePackets reads the packets of a message: its own framing, go-crypto's
// parsers. Literal and compressed data packets are returned with their
// bodies unread, streaming from the input; every other packet is read whole
// after its length is checked. A compressed body is pushed as a new layer.
type messagePackets struct {
	layers []io.Reader
	seen   bool // a packet header was read (gpg's any_data)
	// foreignHash holds the hash algorithm octet of the signatures and
	// one-pass signatures parsed by parseForeignHash.
	foreignHash map[packet.Packet]uint8
}

// hashID is the hash algorithm octet of a signature or one-pass signature
// p that this reader returned, whose parsed hash is h.
func (m *messagePackets) hashID(p packet.Packet, h crypto.Hash) uint8 {
	if id, ok := m.foreignHash[p]; ok {
		return id
	}
	return HashID(h)
}

// Errors that classify unusable input as gpg's status lines do.
var (
	// ErrNoData: the input ended before any packet (gpg's NODATA 2).
	ErrNoData = errors.New("no valid OpenPGP data found")
	// ErrInvalidPacket: a packet could not be parsed, e.g. it is
	// truncated (gpg's NODATA 3). Errors that match it keep their own text.
	ErrInvalidPacket = errors.New("invalid packet")
	// ErrUnexpectedPacket: a packet that does not belong in a signed
	// message, such as encrypted data or a key (gpg's UNEXPECTED 0).
	ErrUnexpectedPacket = errors.New("unexpected packet")
)

// invalidPacket marks err as ErrInvalidPacket, keeping its text.
func invalidPacket(err error) error { return &classified{err: err, class: ErrInvalidPacket} }

type classified struct {
	err   error
	class error
}

func (e *classified) Error() string        { return e.err.Error() }
func (e *classified) Unwrap() []error      { return []error{e.err, e.class} }
func (e *classified) Is(target error) bool { return target == e.class }

func newMessagePackets(r io.Reader) *messagePackets {
	return &messagePackets{layers: []io.Reader{r}}
}

// push reads the following packets from r until it ends (a compressed
// packet's body). ReadSigned bounds the nesting.
func (m *messagePackets) push(r io.Reader) { m.layers = append(m.layers, r) }

// next returns the next packet; unknown and unsupported packets and
// markers are skipped, as go-crypto's packet.Reader does. The body of a
// data packet must be read to its end before next is called again.
func (m *messagePackets) next() (packet.Packet, error) {
	for len(m.layers) > 0 {
		r := m.layers[len(m.layers)-1]
		header, tag, length, err := readPacketHeader(r)
		if err == io.EOF {
			m.layers = m.layers[:len(m.layers)-1]
			continue
		}
		m.seen = true
		if err != nil {
			return nil, invalidPacket(err)
		}
		switch tag {
		case 8, 11: // compressed and literal data: the body streams
			p, err := packet.Read(io.MultiReader(bytes.NewReader(header), r))
			if err != nil {
				return nil, invalidPacket(err)
			}
			return p, nil
		case 21: // padding (RFC 9580 5.14): any size, skipped unread
			if length < 0 {
				return nil, invalidPacket(errors.New("padding packet without a definite length"))
			}
			if _, err := io.CopyN(io.Discard, r, length); err != nil {
				return nil, invalidPacket(errors.New("truncated padding packet"))
			}
			continue
		}
		if length < 0 {
			return nil, invalidPacket(fmt.Errorf("partial length invalid for packet type %d", tag))
		}
		if length > maxMessagePacket {
			return nil, invalidPacket(fmt.Errorf("packet(%d) too large", tag))
		}
		raw := make([]byte, len(header)+int(length))
		copy(raw, header)
		if _, err := io.ReadFull(r, raw[len(header):]); err != nil {
			return nil, invalidPacket(fmt.Errorf("truncated packet (type %d)", tag))
		}
		p, err := packet.Read(bytes.NewReader(raw))
		switch err.(type) {
		case nil:
		case pgperrors.UnsupportedError:
			fp, id, ok := parseForeignHash(raw, len(header), tag)
			if !ok {
				continue
			}
			if m.foreignHash == nil {
				m.foreignHash = map[packet.Packet]uint8{}
			}
			m.foreignHash[fp] = id
			return fp, nil
		case pgperrors.UnknownPacketTypeError:
			continue
		default:
			return nil, invalidPacket(err)
		}
		if _, ok := p.(*packet.Marker); ok {
			continue
		}
		return p, nil
	}
	return nil, io.EOF
}

// parseForeignHash parses a v4 signature (tag 2) or v3 one-pass signature
// (tag 4) whose hash algorithm go-crypto refuses: MD5, RIPEMD-160 or an
// ID nobody assigned. gpg still sees such a signature and reports it with
// its algorithms (bad input 35); skipping it would turn it into "no
// signature found". The packet is parsed with SHA-256 in place of its hash
// octet and then given its own back: Hash is the algorithm where Go has it
// (crypto.MD5, crypto.RIPEMD160) and 0 otherwise, and a signature's hashed
// trailer carries the original octet, so a verification hashes exactly
// what was signed. ok is false for any other reason go-crypto refused it.
func parseForeignHash(raw []byte, headerLen int, tag int) (p packet.Packet, id uint8, ok bool) {
	body := raw[headerLen:]
	var at int
	switch {
	case tag == 2 && len(body) > 3 && body[0] == 4:
		at = 3
	case tag == 4 && len(body) > 2 && body[0] == 3:
		at = 2
	default:
		return nil, 0, false
	}
	id = body[at]
	if id == 8 {
		return nil, 0, false // SHA-256 was not the problem
	}
	patched := bytes.Clone(raw)
	patched[headerLen+at] = 8
	p, err := packet.Read(bytes.NewReader(patched))
	if err != nil {
		return nil, 0, false
	}
	h, _ := HashByID(id)
	switch p := p.(type) {
	case *packet.Signature:
		// HashSuffix starts with the version, class, public-key and
		// hash octets of the packet.
		if len(p.HashSuffix) <= at {
			return nil, 0, false
		}
		p.HashSuffix[at] = id
		p.Hash = h
	case *packet.OnePassSignature:
		p.Hash = h
	default:
		return nil, 0, false
	}
	return p, id, true
}
