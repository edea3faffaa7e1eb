package keylist

import "time"

// ListedParts returns the user IDs and subkey IDs of k in the order Write
// lists them, and only those it lists: human listings hide revoked and
// expired user IDs and subkeys (gpg's show-unusable-* off), colon listings
// show all. Callers that interleave records with a listing (--list-sigs)
// use it to know which uid or sub line belongs to which packet.
func ListedParts(k Key, now time.Time, colons bool) (uids []string, subs []uint64, err error) {
	m, err := merge(k.Entity, k.UIDOrder, now.Unix())
	if err != nil {
		return nil, nil, err
	}
	for _, u := range m.uids {
		if !colons && (u.revoked || u.expired) {
			continue
		}
		uids = append(uids, u.name)
	}
	for i := range m.subs {
		s := &m.subs[i]
		if !colons && (s.revoked || s.expired) {
			continue
		}
		subs = append(subs, s.pk.KeyId)
	}
	return uids, subs, nil
}
