package keyslot

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// Index is the secret store's record of live keyslots: token ID to pepper.
// A keyslot whose ID is missing here is dead, whatever its file says.
type Index map[ID]Pepper

const (
	indexMagic = "FPKSIDX1"
	// MaxSlots bounds the live keyslots of one store.
	MaxSlots = 4096
	// MaxIndexFile bounds the index file.
	MaxIndexFile = len(indexMagic) + 4 + MaxSlots*(IDSize+len(Pepper{}))
)

// Marshal is the index file: magic, a u32 count, then ID and pepper per
// entry in ascending ID order (so equal indexes are equal files).
func (ix Index) Marshal() []byte {
	ids := make([]ID, 0, len(ix))
	for id := range ix {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b ID) int { return bytes.Compare(a[:], b[:]) })
	b := binary.BigEndian.AppendUint32([]byte(indexMagic), uint32(len(ids)))
	for _, id := range ids {
		p := ix[id]
		b = append(b, id[:]...)
		b = append(b, p[:]...)
	}
	return b
}

// ParseIndex reads an index file. IDs must be strictly ascending (no
// duplicates) and the count must match the size exactly.
func ParseIndex(b []byte) (Index, error) {
	if len(b) > MaxIndexFile {
		return nil, ErrFormat
	}
	r := &reader{b: b}
	if string(r.take(len(indexMagic))) != indexMagic {
		return nil, ErrFormat
	}
	n := r.take(4)
	if r.bad {
		return nil, ErrFormat
	}
	count := binary.BigEndian.Uint32(n)
	entry := IDSize + len(Pepper{})
	if count > MaxSlots || len(r.b) != int(count)*entry {
		return nil, ErrFormat
	}
	ix := make(Index, count)
	var prev []byte
	for range count {
		var id ID
		var p Pepper
		copy(id[:], r.take(IDSize))
		copy(p[:], r.take(len(p)))
		if prev != nil && bytes.Compare(prev, id[:]) >= 0 {
			return nil, ErrFormat
		}
		prev = id[:]
		ix[id] = p
	}
	return ix, nil
}
