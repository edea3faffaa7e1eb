// Package dump describes OpenPGP packets as gpg 2.2.40's --list-packets
// does, for the packets cmd/front's lister hands to it.
package dump

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Trust describes a trust packet (tag 12) as gpg's parse_ring_trust lists
// it: legacy keyrings written by gpg carry one after keys, user IDs and
// signatures. The body is a trust value, then (when present) a signature
// cache byte, then optionally "gpg" and a subtype (0 signature cache, 1 key,
// 2 user ID); key and user ID subtypes add the key origin, the time of the
// last update and a URL. Fields the body is too short for stay zero, as
// gpg reads them; what follows them is ignored.
func Trust(body []byte) string {
	if len(body) == 0 {
		return ":trust packet: empty"
	}
	flag, rest := body[0], body[1:]
	var sigcache byte
	if len(rest) > 0 {
		if flag == 0 && rest[0]&0x80 == 0 {
			sigcache = rest[0]
		}
		rest = rest[1:]
	}
	subtype := byte(0)
	if len(rest) > 3 {
		if string(rest[:3]) == "gpg" {
			subtype = rest[3]
		}
		// Not "gpg": gpg marks it foreign, but lists it by subtype 0
		// all the same.
		rest = rest[4:]
	}
	switch subtype {
	case 0:
		return fmt.Sprintf(":trust packet: sig flag=%02x sigcache=%02x", flag, sigcache)
	case 1, 2:
		var origin byte
		var updated uint32
		var url []byte
		if len(rest) >= 6 {
			origin, updated = rest[0], binary.BigEndian.Uint32(rest[1:5])
			n := int(rest[5])
			url = rest[6:min(len(rest), 6+n)]
		}
		kind := "key"
		if subtype == 2 {
			kind = "uid"
		}
		var s strings.Builder
		fmt.Fprintf(&s, ":trust packet: %s upd=%d src=%d", kind, updated, origin)
		if len(url) > 0 {
			s.WriteString(" url=")
			for _, c := range url {
				if c == 0 {
					break // gpg keeps the URL as a C string
				}
				if c >= ' ' && c <= 'z' {
					s.WriteByte(c)
				} else {
					fmt.Fprintf(&s, "\\x%02x", c)
				}
			}
		}
		return s.String()
	}
	return fmt.Sprintf(":trust packet: subtype=%02x", subtype)
}
