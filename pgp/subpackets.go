package pgp

import (
	"encoding/binary"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Signature subpacket types front reads itself (RFC 4880 5.2.3.1).
const (
	SubpacketPreferredKeyserver = 24
	SubpacketPolicyURI          = 26
)

// HashedSubpackets returns the subpackets of sig's hashed area, criticality
// included, which go-crypto does not keep: they are read from the hashed
// trailer it keeps for verification (version, class, algorithms, area
// length, area). nil when the area cannot be found or parsed.
func HashedSubpackets(sig *packet.Signature) []Subpacket {
	suffix := sig.HashSuffix
	var area []byte
	switch {
	case sig.Version == 4 && len(suffix) >= 6:
		n := int(binary.BigEndian.Uint16(suffix[4:6]))
		if 6+n <= len(suffix) {
			area = suffix[6 : 6+n]
		}
	case sig.Version == 6 && len(suffix) >= 8:
		n := binary.BigEndian.Uint32(suffix[4:8])
		if uint64(8)+uint64(n) <= uint64(len(suffix)) {
			area = suffix[8 : 8+n]
		}
	}
	sps, err := ParseSubpackets(area)
	if err != nil {
		return nil
	}
	return sps
}
