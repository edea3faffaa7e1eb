package pgp

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// RawPKESK keeps the exact bytes of a public-key encrypted session key
// packet: front forwards them unchanged to the helper that owns the key.
type RawPKESK struct {
	Raw    []byte
	Parsed *packet.EncryptedKey
}

// Envelope is the head of a message: its session key packets and, if the
// message is encrypted, the encrypted data packet whose body streams on.
type Envelope struct {
	PKESKs []RawPKESK
	SKESKs []RawSKESK
	// Encrypted is *packet.SymmetricallyEncrypted or *packet.AEADEncrypted;
	// nil if the message is not encrypted.
	Encrypted packet.Packet
	// Rest is the whole message again when it is not encrypted.
	Rest io.Reader
}

const (
	maxSessionKeyPackets = 128
	maxSessionKeyPacket  = 60 << 10 // matches ipc's packet field limit
)

// ReadEnvelope reads session key packets up to the encrypted data packet.
// Packet headers are parsed here so the PKESK bytes can be kept verbatim.
func ReadEnvelope(r io.Reader) (env *Envelope, err error) {
	defer recoverParse(&err)
	env = &Envelope{}
	var consumed bytes.Buffer
	// Every packet before the data counts: markers and unparsable session
	// key packets are kept in consumed too, so they are bounded alike.
	packets := 0
	for {
		header, tag, length, err := readPacketHeader(r)
		if err == io.EOF && consumed.Len() == 0 {
			return nil, ErrNoData
		}
		if err == io.EOF {
			return nil, err
		}
		if err != nil {
			return nil, invalidPacket(err)
		}
		switch tag {
		case 1, 3, 10: // PKESK, SKESK, marker: small, definite length
			if length < 0 || length > maxSessionKeyPacket {
				return nil, fmt.Errorf("session key packet with bad length")
			}
			if packets++; packets > maxSessionKeyPackets {
				return nil, errors.New("too many session key packets")
			}
			body := make([]byte, length)
			if _, err := io.ReadFull(r, body); err != nil {
				return nil, invalidPacket(errors.New("truncated session key packet"))
			}
			raw := append(header, body...)
			consumed.Write(raw)
			if tag == 10 {
				continue
			}
			pk, sk := ParseSessionKeyPacket(raw)
			if pk != nil {
				env.PKESKs = append(env.PKESKs, *pk)
			}
			if sk != nil {
				env.SKESKs = append(env.SKESKs, *sk)
			}
		case 9, 18, 20:
			p, err := packet.Read(io.MultiReader(bytes.NewReader(header), r))
			if err != nil {
				return nil, err
			}
			env.Encrypted = p
			return env, nil
		default:
			if len(env.PKESKs)+len(env.SKESKs) > 0 {
				return nil, fmt.Errorf("unexpected packet (tag %d) after session keys", tag)
			}
			env.Rest = io.MultiReader(bytes.NewReader(consumed.Bytes()), bytes.NewReader(header), r)
			return env, nil
		}
	}
}

// ParseSessionKeyPacket parses one whole session key packet: a PKESK
// (tag 1) or an SKESK (tag 3). Both results are nil for other packets and
// for those gpg skips (unknown versions, algorithms or S2K types).
func ParseSessionKeyPacket(raw []byte) (pk *RawPKESK, sk *RawSKESK) {
	defer func() {
		if recover() != nil { // go-crypto parsing bugs: skip the packet
			pk, sk = nil, nil
		}
	}()
	tag, body, err := packetBody(raw)
	switch {
	case err != nil:
	case tag == 3:
		if s, ok := parseSKESK(raw, body); ok {
			sk = &s
		}
	case tag == 1:
		if p, err := packet.Read(bytes.NewReader(raw)); err == nil {
			if ek, ok := p.(*packet.EncryptedKey); ok {
				pk = &RawPKESK{Raw: raw, Parsed: ek}
			}
		}
	}
	return pk, sk
}

// readPacketHeader returns the raw header bytes, the tag and the body
// length; length is -1 for partial or indeterminate lengths.
func readPacketHeader(r io.Reader) (header []byte, tag int, length int64, err error) {
	var b [1]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return nil, 0, 0, err
	}
	header = append(header, b[0])
	if b[0]&0x80 == 0 {
		return nil, 0, 0, errors.New("invalid packet header (bit 7 clear)")
	}
	more := func(n int) ([]byte, error) {
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, errors.New("truncated packet header")
		}
		header = append(header, buf...)
		return buf, nil
	}
	if b[0]&0x40 == 0 { // old format
		tag = int(b[0]&0x3f) >> 2
		switch b[0] & 3 {
		case 0:
			l, err := more(1)
			if err != nil {
				return nil, 0, 0, err
			}
			return header, tag, int64(l[0]), nil
		case 1:
			l, err := more(2)
			if err != nil {
				return nil, 0, 0, err
			}
			return header, tag, int64(l[0])<<8 | int64(l[1]), nil
		case 2:
			l, err := more(4)
			if err != nil {
				return nil, 0, 0, err
			}
			return header, tag, int64(l[0])<<24 | int64(l[1])<<16 | int64(l[2])<<8 | int64(l[3]), nil
		}
		return header, tag, -1, nil
	}
	tag = int(b[0] & 0x3f)
	l, err := more(1)
	if err != nil {
		return nil, 0, 0, err
	}
	switch {
	case l[0] < 192:
		return header, tag, int64(l[0]), nil
	case l[0] < 224:
		l2, err := more(1)
		if err != nil {
			return nil, 0, 0, err
		}
		return header, tag, (int64(l[0])-192)<<8 + int64(l2[0]) + 192, nil
	case l[0] == 255:
		l4, err := more(4)
		if err != nil {
			return nil, 0, 0, err
		}
		return header, tag, int64(l4[0])<<24 | int64(l4[1])<<16 | int64(l4[2])<<8 | int64(l4[3]), nil
	}
	return header, tag, -1, nil
}

// OpenEncrypted decrypts the data packet with a session key. The returned
// reader yields the inner message; its Close reports an integrity failure,
// which the caller must check before it declares success, and must not be
// trusted when IntegrityProtected is false.
func (env *Envelope) OpenEncrypted(cipher packet.CipherFunction, key []byte) (io.ReadCloser, error) {
	return env.open(cipher, key, false)
}

// OpenEncryptedWithPassphraseKey is OpenEncrypted for a session key that
// came from a passphrase: like gpg, it checks the prefix's repeated bytes
// first and fails with ErrBadQuickCheck on a wrong passphrase.
func (env *Envelope) OpenEncryptedWithPassphraseKey(cipher packet.CipherFunction, key []byte) (io.ReadCloser, error) {
	return env.open(cipher, key, true)
}

func (env *Envelope) open(cipher packet.CipherFunction, key []byte, quickCheck bool) (rc io.ReadCloser, err error) {
	defer recoverParse(&err)
	switch p := env.Encrypted.(type) {
	case *packet.SymmetricallyEncrypted:
		if !p.IntegrityProtected {
			return openSED(p.Contents, cipher, key, quickCheck)
		}
		if p.Version == 1 {
			return openSEIPDv1(p.Contents, cipher, key, quickCheck)
		}
		return p.Decrypt(cipher, key)
	case *packet.AEADEncrypted:
		return p.Decrypt(cipher, key)
	}
	return nil, errors.New("message is not encrypted")
}

// IntegrityProtected reports whether the data packet has an integrity
// check (SEIPD or AEAD), which the reader's Close reports on. Without one
// (SED, tag 9) nothing tells a changed message from the original.
func (env *Envelope) IntegrityProtected() bool {
	p, ok := env.Encrypted.(*packet.SymmetricallyEncrypted)
	return !ok || p.IntegrityProtected
}

// SEIPDv2 reports whether the data packet names its own cipher (v2 SEIPD),
// so session key packets carry none.
func (env *Envelope) SEIPDv2() bool {
	p, ok := env.Encrypted.(*packet.SymmetricallyEncrypted)
	return ok && p.Version == 2
}

// AEADSuite is the cipher and AEAD mode a v2 SEIPD packet names; zero
// values for any other container.
func (env *Envelope) AEADSuite() (packet.CipherFunction, packet.AEADMode) {
	if p, ok := env.Encrypted.(*packet.SymmetricallyEncrypted); ok && p.Version == 2 {
		return p.Cipher, p.Mode
	}
	return 0, 0
}

// SplitPackets cuts a buffer of definite-length packets into raw packets.
func SplitPackets(data []byte) (raws [][]byte, err error) {
	r := bytes.NewReader(data)
	for r.Len() > 0 {
		header, _, length, err := readPacketHeader(r)
		if err != nil {
			return nil, err
		}
		if length < 0 || length > int64(r.Len()) {
			return nil, errors.New("packet with indeterminate or overlong length")
		}
		raw := append(header, make([]byte, length)...)
		r.Read(raw[len(header):])
		raws = append(raws, raw)
	}
	return raws, nil
}

// packetBody returns the tag and body of one raw packet.
func packetBody(raw []byte) (int, []byte, error) {
	header, tag, length, err := readPacketHeader(bytes.NewReader(raw))
	if err != nil || length < 0 || int64(len(raw)-len(header)) != length {
		return 0, nil, errors.New("invalid packet")
	}
	return tag, raw[len(header):], nil
}

// newPacket frames body as a new-format packet with tag.
func newPacket(tag int, body []byte) []byte {
	out := []byte{0xc0 | byte(tag), 0xff, 0, 0, 0, 0}
	n := len(body)
	out[2], out[3], out[4], out[5] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return append(out, body...)
}

// gnuDummyS2K marks a secret key packet that holds no secret: usage 255,
// cipher 0, S2K type 101 with "GNU" mode 1, as gpg writes it.
var gnuDummyS2K = []byte{0xff, 0x00, 0x65, 0x00, 'G', 'N', 'U', 0x01}

// StubPrimary rewrites a serialized transferable secret key so its primary
// key carries no secret (gpg's --export-secret-subkeys).
func StubPrimary(secret []byte) ([]byte, error) {
	raws, err := SplitPackets(secret)
	if err != nil || len(raws) == 0 {
		return nil, errors.New("invalid secret key")
	}
	tag, body, err := packetBody(raws[0])
	if err != nil || tag != 5 {
		return nil, errors.New("invalid secret key")
	}
	pub, err := packet.Read(bytes.NewReader(newPacket(6, body)))
	pk, ok := pub.(*packet.PublicKey)
	if err != nil || !ok {
		// The public part is a prefix of the secret body; find its length
		// by re-serializing what go-crypto parsed.
		return nil, errors.New("cannot parse primary key")
	}
	var pubRaw bytes.Buffer
	if err := pk.Serialize(&pubRaw); err != nil {
		return nil, err
	}
	_, pubBody, err := packetBody(pubRaw.Bytes())
	if err != nil {
		return nil, err
	}
	out := newPacket(5, append(append([]byte(nil), pubBody...), gnuDummyS2K...))
	for _, r := range raws[1:] {
		out = append(out, r...)
	}
	return out, nil
}

// GNUDummy is the secret key packet (tag 5) or subkey packet (tag 7) of
// the public key body pubBody that holds no secret, as gpg exports a key
// whose secret it lacks.
func GNUDummy(tag int, pubBody []byte) []byte {
	return newPacket(tag, append(append([]byte(nil), pubBody...), gnuDummyS2K...))
}

// PacketTag returns the tag of a raw packet, or -1.
func PacketTag(raw []byte) int {
	_, tag, _, err := readPacketHeader(bytes.NewReader(raw))
	if err != nil {
		return -1
	}
	return tag
}
