package trust

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// A computed validity is kept between runs, as gpg keeps it in its
// trustdb: the stamp names everything it was computed from (the store's
// state, the ownertrust, the trust options) and the result holds until
// the first expiry or creation time after the computation that could
// change it (ValidUntil), or until the clock goes back before it.

const cacheMagic = "frontpgp-validity 1"

// maxCache bounds the cache file read.
const maxCache = 64 << 20

// validUntil is the first time after now at which a key or signature of
// certs expires or becomes valid; 0 when there is none.
func validUntil(certs []*openpgp.Entity, now int64) int64 {
	var until int64
	note := func(t int64) {
		if t > now && (until == 0 || t < until) {
			until = t
		}
	}
	for _, e := range certs {
		note(e.PrimaryKey.CreationTime.Unix())
		if exp := keyExpiry(e); exp != 0 {
			note(exp)
		}
		for _, id := range e.Identities {
			for _, s := range append(append(id.Signatures, id.Revocations...), id.SelfSignature) {
				if s == nil {
					continue
				}
				note(s.CreationTime.Unix())
				if s.SigLifetimeSecs != nil && *s.SigLifetimeSecs != 0 {
					note(s.CreationTime.Unix() + int64(*s.SigLifetimeSecs))
				}
			}
		}
	}
	return until
}

// Cached is a result read back with the interval it holds for.
type Cached struct {
	Result              *Result
	Computed, ValidTill int64
}

// Usable reports whether the cached result holds at now.
func (c *Cached) Usable(now time.Time) bool {
	t := now.Unix()
	return t >= c.Computed && (c.ValidTill == 0 || t < c.ValidTill)
}

// MarshalCache writes r, computed from certs at now under stamp.
func MarshalCache(r *Result, certs []*openpgp.Entity, stamp []byte, now time.Time) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nstamp %x\ncomputed %d\nuntil %d\nmodel %s\nnoultimate %t\nnextcheck %d\n",
		cacheMagic, stamp, now.Unix(), validUntil(certs, now.Unix()), r.model, r.NoUltimate, r.NextCheck)
	for _, d := range r.Depths {
		fmt.Fprintf(&b, "depth %d %d %d %d %d %d %d %d %d\n", d.Depth, d.Valid, d.Signed,
			d.Unknown, d.Undefined, d.Never, d.Marginal, d.Full, d.Ultimate)
	}
	for fpr, recs := range r.uids {
		for name, u := range recs {
			fmt.Fprintf(&b, "uid %s %d %d %d %s\n", fpr, u.validity, u.full, u.marginal, hex.EncodeToString([]byte(name)))
		}
	}
	return b.Bytes()
}

var errBadCache = errors.New("invalid validity cache")

// PendingCache is a cache holding no result, only gpg's "check pending"
// next-check time 1 (revalidation_mark): no stamp matches it.
func PendingCache() []byte {
	return fmt.Appendf(nil, "%s\nstamp \ncomputed 0\nuntil 0\nmodel pgp\nnoultimate false\nnextcheck 1\n", cacheMagic)
}

// CacheHeaderMax bounds what CachedNextCheck reads: the magic line and
// the header lines, whose values are a hex digest, numbers and words.
const CacheHeaderMax = 1024

// readCacheHeader reads the magic line and the header lines in their
// fixed order.
func readCacheHeader(sc *bufio.Scanner) (map[string]string, error) {
	if !sc.Scan() || sc.Text() != cacheMagic {
		return nil, errBadCache
	}
	header := map[string]string{}
	for _, key := range []string{"stamp", "computed", "until", "model", "noultimate", "nextcheck"} {
		if !sc.Scan() {
			return nil, errBadCache
		}
		k, v, ok := strings.Cut(sc.Text(), " ")
		if !ok || k != key {
			return nil, errBadCache
		}
		header[k] = v
	}
	return header, nil
}

// CachedNextCheck is the next-check time the last validity computation
// stored, whatever it was computed from: gpg's trustdb likewise keeps the
// value of its last check until the next one, and its colon listings show
// it (flagged overdue once it has passed). head is the start of the cache
// file; at most CacheHeaderMax bytes of it are looked at.
func CachedNextCheck(head []byte) (int64, bool) {
	if len(head) > CacheHeaderMax {
		head = head[:CacheHeaderMax]
	}
	header, err := readCacheHeader(bufio.NewScanner(bytes.NewReader(head)))
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(header["nextcheck"], 10, 64)
	return n, err == nil && n >= 0
}

// UnmarshalCache reads a cache written under stamp; any other stamp, or
// anything malformed, is an error (the caller recomputes).
func UnmarshalCache(data, stamp []byte, owner func(fpr string) Level) (*Cached, error) {
	if len(data) > maxCache {
		return nil, errBadCache
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	header, err := readCacheHeader(sc)
	if err != nil || header["stamp"] != hex.EncodeToString(stamp) {
		return nil, errBadCache
	}
	r := &Result{owner: owner, uids: map[string]map[string]*uidRecord{}}
	c := &Cached{Result: r}
	num := func(s string) int64 {
		n, e := strconv.ParseInt(s, 10, 64)
		if e != nil {
			err = errBadCache
		}
		return n
	}
	c.Computed, c.ValidTill, r.NextCheck = num(header["computed"]), num(header["until"]), num(header["nextcheck"])
	r.model, r.NoUltimate = header["model"], header["noultimate"] == "true"
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 10 && f[0] == "depth":
			var d DepthStat
			for i, p := range []*int{&d.Depth, &d.Valid, &d.Signed, &d.Unknown, &d.Undefined, &d.Never, &d.Marginal, &d.Full, &d.Ultimate} {
				*p = int(num(f[i+1]))
			}
			r.Depths = append(r.Depths, d)
		case (len(f) == 6 || len(f) == 5) && f[0] == "uid":
			name := []byte{}
			if len(f) == 6 {
				if name, err = hex.DecodeString(f[5]); err != nil {
					return nil, errBadCache
				}
			}
			v := num(f[2])
			if v < 0 || v > int64(Ultimate|Disabled) {
				return nil, errBadCache
			}
			if r.uids[f[1]] == nil {
				r.uids[f[1]] = map[string]*uidRecord{}
			}
			r.uids[f[1]][string(name)] = &uidRecord{validity: Level(v), full: int(num(f[3])), marginal: int(num(f[4]))}
		default:
			return nil, errBadCache
		}
		if err != nil {
			return nil, err
		}
	}
	if sc.Err() != nil || err != nil {
		return nil, errBadCache
	}
	return c, nil
}
