package store

import "errors"

// InputKind is what one block of import input is.
type InputKind int

const (
	// PublicBlock: a transferable public key (Keyblock is set).
	PublicBlock InputKind = iota
	// SecretBlock: a transferable secret key, left unparsed for keyhelper.
	SecretBlock
	// RevocationBlock: a stand-alone key revocation certificate.
	RevocationBlock
)

// InputBlock is one block of import input, as gpg's read_block cuts it.
type InputBlock struct {
	Kind     InputKind
	Raw      []byte // the block's packets as they came
	Keyblock *Keyblock
}

// ErrNoKeyData: the input holds no key block at all.
var ErrNoKeyData = errors.New("no valid OpenPGP data found")

// SplitImport cuts binary key data into blocks the way gpg's read_block
// does: a block starts at each primary key packet (public or secret) and
// takes the packets that belong in a keyblock (keys, subkeys, user IDs,
// attributes, signatures; ring trust and anything else dropped); a key
// revocation signature outside a block is a block of its own; packets
// before the first key are skipped. v2/v3 keys are skipped and counted
// (gpg's "skipped PGP-2 keys"); keys of versions nobody implements are
// skipped silently. A framing error ends the input: the blocks before it
// are returned with the error.
func SplitImport(data []byte) (blocks []InputBlock, v3Keys int, err error) {
	var cur []rawPacket
	skipping := false // inside a v3 or unknown-version key
	flush := func() {
		if len(cur) == 0 {
			return
		}
		b := InputBlock{}
		for _, p := range cur {
			b.Raw = append(b.Raw, p.raw...)
		}
		if cur[0].tag == tagSecretKey {
			b.Kind = SecretBlock
		} else if kb, err := newKeyblock(cur); err == nil {
			b.Kind, b.Keyblock = PublicBlock, kb
		} else {
			cur = nil
			return
		}
		blocks = append(blocks, b)
		cur = nil
	}
	for len(data) > 0 {
		p, rest, perr := nextPacket(data)
		if perr != nil {
			flush()
			return blocks, v3Keys, perr
		}
		data = rest
		switch p.tag {
		case tagPublicKey, tagSecretKey:
			flush()
			if len(p.body) < 1 {
				skipping = true
				continue
			}
			switch p.body[0] {
			case 4, 5, 6:
				skipping = false
				cur = []rawPacket{p}
			case 2, 3:
				v3Keys++
				skipping = true
			default:
				skipping = true
			}
		case tagSignature:
			if skipping {
				continue
			}
			if cur == nil {
				if s, err := parseSig(p.body); err == nil && s.class == sigKeyRevocation {
					blocks = append(blocks, InputBlock{Kind: RevocationBlock, Raw: p.raw})
				}
				continue
			}
			cur = append(cur, p)
		case tagPublicSubkey, tagSecretSubkey, tagUserID, tagAttribute:
			if !skipping && cur != nil {
				cur = append(cur, p)
			}
		}
	}
	flush()
	if len(blocks) == 0 && v3Keys == 0 {
		return nil, 0, ErrNoKeyData
	}
	return blocks, v3Keys, nil
}
