package keylist

import (
	"bytes"
	"errors"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// UserIDOrder scans a binary keyring (public or secret) and returns, per
// primary key fingerprint (raw bytes as a string), the user IDs in packet
// order. go-crypto's Entity keeps identities in a map, and gpg lists the
// non-primary user IDs in keyblock order, so this is needed for exact output.
func UserIDOrder(keyring []byte) (map[string][]string, error) {
	out := make(map[string][]string)
	r := packet.NewReader(bytes.NewReader(keyring))
	cur := ""
	for {
		p, err := r.NextWithUnsupported()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		switch pkt := p.(type) {
		case *packet.PublicKey:
			if !pkt.IsSubkey {
				cur = string(pkt.Fingerprint)
			}
		case *packet.PrivateKey:
			if !pkt.IsSubkey {
				cur = string(pkt.Fingerprint)
			}
		case *packet.UnsupportedPacket:
			// Possibly a primary key we cannot parse: stop attributing user
			// IDs until the next key we recognise.
			cur = ""
		case *packet.UserId:
			if cur != "" {
				out[cur] = append(out[cur], pkt.Id)
			}
		}
	}
}

// ReadKeyRing parses a binary keyring (as produced by gpg --export or
// --export-secret-keys) into Keys with Entity, UIDOrder and Secret filled
// in: secret key packets become SecretPresent, gnu-dummy stubs SecretStub.
// Validity and Ownertrust are left for the caller.
func ReadKeyRing(r io.Reader) ([]Key, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	el, err := openpgp.ReadKeyRing(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	order, err := UserIDOrder(data)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	keys := make([]Key, 0, len(el))
	for _, e := range el {
		k := Key{Entity: e, UIDOrder: order[string(e.PrimaryKey.Fingerprint)]}
		add := func(id uint64, priv *packet.PrivateKey) {
			if priv == nil {
				return
			}
			if k.Secret == nil {
				k.Secret = make(map[uint64]SecretState)
			}
			if priv.Dummy() {
				k.Secret[id] = SecretStub
			} else {
				k.Secret[id] = SecretPresent
			}
		}
		add(e.PrimaryKey.KeyId, e.PrivateKey)
		for _, s := range e.Subkeys {
			add(s.PublicKey.KeyId, s.PrivateKey)
		}
		keys = append(keys, k)
	}
	return keys, nil
}
