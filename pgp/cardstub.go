package pgp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Card stubs are secret key packets in gpg's own form for a key whose
// secret lives on a smart card: S2K usage 255, cipher 0, S2K type 101 with
// "GNU" and mode 2 (gpg's 1002, divert-to-card), then the length of the
// card's serial number and the serial number (for an OpenPGP card its
// 16-byte AID). gpg --export-secret-keys writes exactly this, so a store
// holding these packets exports what gpg exports.
//
// go-crypto reads only the GNU dummy mode (1001), so a stored keyring is
// passed through ReadCardStubs before parsing (divert packets become
// dummies, their serials are returned) and through WriteCardStubs after
// serializing (the dummies of card keys become divert packets again).

var gnuDivertS2K = []byte{0xff, 0x00, 0x65, 0x00, 'G', 'N', 'U', 0x02}

// maxCardSerialBytes caps the serial of a divert packet; gpg keeps it in a
// 16-byte IV field.
const maxCardSerialBytes = 16

// Secret and public key packet tags.
const (
	tagSecretKey    = 5
	tagSecretSubkey = 7
)

// keyPacket splits a key packet (public or secret, primary or subkey):
// the parsed public key and the length of its public part in body.
func keyPacket(tag int, body []byte) (*packet.PublicKey, int, error) {
	pubTag := TagPublicKey
	if tag == tagSecretSubkey || tag == TagPublicSubkey {
		pubTag = TagPublicSubkey
	}
	p, err := packet.Read(bytes.NewReader(framePacket(pubTag, body)))
	pk, ok := p.(*packet.PublicKey)
	if err != nil || !ok {
		return nil, 0, errors.New("invalid key packet")
	}
	// The public part is a prefix of the body: its length is what go-crypto
	// writes back, which must be that prefix exactly.
	var re bytes.Buffer
	if err := pk.Serialize(&re); err != nil {
		return nil, 0, err
	}
	_, pubBody, err := packetBody(re.Bytes())
	if err != nil || !bytes.HasPrefix(body, pubBody) {
		return nil, 0, errors.New("invalid key packet")
	}
	return pk, len(pubBody), nil
}

// divertSerial returns the serial of a divert-to-card packet's secret part.
func divertSerial(secret []byte) ([]byte, bool) {
	if !bytes.HasPrefix(secret, gnuDivertS2K) || len(secret) < len(gnuDivertS2K)+1 {
		return nil, false
	}
	n := int(secret[len(gnuDivertS2K)])
	rest := secret[len(gnuDivertS2K)+1:]
	if n > maxCardSerialBytes || len(rest) != n {
		return nil, false
	}
	return rest, true
}

// ReadCardStubs returns keyring with its divert-to-card packets turned
// into GNU dummy packets (which go-crypto parses) and the card serial of
// each such key, in upper-case hex, keyed by its upper-case hex
// fingerprint. Other packets are kept as they are.
func ReadCardStubs(keyring []byte) ([]byte, map[string]string, error) {
	if !bytes.Contains(keyring, []byte("GNU\x02")) {
		return keyring, nil, nil // the common case: no card keys
	}
	raws, err := SplitPackets(keyring)
	if err != nil {
		return nil, nil, err
	}
	serials := map[string]string{}
	var out []byte
	for _, raw := range raws {
		tag, body, err := packetBody(raw)
		if err != nil {
			return nil, nil, err
		}
		if tag == tagSecretKey || tag == tagSecretSubkey {
			pk, n, err := keyPacket(tag, body)
			if err != nil {
				return nil, nil, err
			}
			if serial, ok := divertSerial(body[n:]); ok {
				serials[fmt.Sprintf("%X", pk.Fingerprint)] = fmt.Sprintf("%X", serial)
				raw = framePacket(tag, append(append([]byte{}, body[:n]...), gnuDummyS2K...))
			}
		}
		out = append(out, raw...)
	}
	return out, serials, nil
}

// WriteCardStubs is ReadCardStubs' inverse: the GNU dummy packets of the
// keys in serials become divert-to-card packets with their serial.
func WriteCardStubs(keyring []byte, serials map[string]string) ([]byte, error) {
	if len(serials) == 0 {
		return keyring, nil
	}
	raws, err := SplitPackets(keyring)
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, raw := range raws {
		tag, body, err := packetBody(raw)
		if err != nil {
			return nil, err
		}
		if tag == tagSecretKey || tag == tagSecretSubkey {
			pk, n, err := keyPacket(tag, body)
			if err != nil {
				return nil, err
			}
			if s, ok := serials[fmt.Sprintf("%X", pk.Fingerprint)]; ok && bytes.Equal(body[n:], gnuDummyS2K) {
				serial, err := hex.DecodeString(s)
				if err != nil || len(serial) > maxCardSerialBytes {
					return nil, errors.New("invalid card serial number")
				}
				raw = divertPacket(tag, body[:n], serial)
			}
		}
		out = append(out, raw...)
	}
	return out, nil
}

func divertPacket(tag int, pubBody, serial []byte) []byte {
	b := append(append([]byte{}, pubBody...), gnuDivertS2K...)
	b = append(b, byte(len(serial)))
	return framePacket(tag, append(b, serial...))
}

// DivertToCard marks the keys onCard (fingerprints in upper-case hex) of
// one transferable key as held by the card with serial. keyring is a
// transferable public key (every other key becomes a GNU dummy) or a
// stored transferable secret key (run through ReadCardStubs first or not:
// both forms are understood). A key whose real secret is in keyring keeps
// it, as gpg-agent keeps an existing key when it learns a card, unless
// force (keytocard's save, gpg's LEARN --force): then it is replaced by
// the stub. changed lists the keys now diverted that were not diverted to
// serial before.
func DivertToCard(keyring []byte, serial []byte, onCard map[string]bool, force bool) (out []byte, changed []string, err error) {
	if len(serial) == 0 || len(serial) > maxCardSerialBytes {
		return nil, nil, errors.New("invalid card serial number")
	}
	raws, err := SplitPackets(keyring)
	if err != nil {
		return nil, nil, err
	}
	for i, raw := range raws {
		tag, body, err := packetBody(raw)
		if err != nil {
			return nil, nil, err
		}
		isKey := tag == tagSecretKey || tag == tagSecretSubkey || tag == TagPublicKey || tag == TagPublicSubkey
		if i == 0 && tag != tagSecretKey && tag != TagPublicKey {
			return nil, nil, errors.New("not a transferable key")
		}
		if !isKey {
			out = append(out, raw...)
			continue
		}
		pk, n, err := keyPacket(tag, body)
		if err != nil {
			return nil, nil, err
		}
		secTag := tagSecretKey
		if tag == tagSecretSubkey || tag == TagPublicSubkey {
			secTag = tagSecretSubkey
		}
		secret := body[n:]
		old, diverted := divertSerial(secret)
		isStub := tag == TagPublicKey || tag == TagPublicSubkey || diverted || bytes.Equal(secret, gnuDummyS2K) || force
		fpr := fmt.Sprintf("%X", pk.Fingerprint)
		switch {
		case onCard[fpr] && isStub:
			if !diverted || !bytes.Equal(old, serial) {
				changed = append(changed, fpr)
			}
			out = append(out, divertPacket(secTag, body[:n], serial)...)
		case tag == TagPublicKey || tag == TagPublicSubkey:
			out = append(out, framePacket(secTag, append(append([]byte{}, body[:n]...), gnuDummyS2K...))...)
		default:
			out = append(out, raw...)
		}
	}
	return out, changed, nil
}
