package store

// Key origins (gpg's "key origin" meta data, colon fields 19 and 20):
// where a certificate and each of its user IDs came from, when they were
// last updated from there and the URL to update them from. gpg keeps them
// in its keyring's trust packets; here they live in a sidecar file of the
// store, pubring.cert.d/_frontpgp/origins, one line per certificate and
// one per user ID with an origin:
//
//	k FPR KIND UPDATED URL
//	u FPR UIDHASH KIND UPDATED URL
//
// FPR is the lowercase hex fingerprint, UIDHASH the first 16 bytes of the
// SHA-256 of the user ID packet's body in hex, KIND gpg's KEYORG_ number,
// UPDATED seconds since the epoch and URL "-" for none, else the URL with
// '%', controls, space and non-ASCII bytes %-escaped. Writers rewrite the
// file under the store's lock (temp file, fsync, rename) in the same batch
// as the certificates; readers take no lock. Lines that do not parse are
// ignored (their origin reads as unknown) and dropped by the next writer.
// Origins are local: they are never exported.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// OriginKind is gpg's KEYORG_ code.
type OriginKind uint8

// gpg's key origins.
const (
	OriginUnknown OriginKind = iota
	OriginKeyserver
	OriginPreferredKeyserver
	OriginDANE
	OriginWKD
	OriginURL
	OriginFile
	OriginSelf
	maxOriginKind = OriginSelf
)

// originNames are gpg's names of the origins (--key-origin, the
// --with-key-origin listing), in the order gpg lists them.
var originNames = []struct {
	name string
	kind OriginKind
}{
	{"self", OriginSelf}, {"file", OriginFile}, {"url", OriginURL}, {"wkd", OriginWKD},
	{"dane", OriginDANE}, {"ks-pref", OriginPreferredKeyserver}, {"ks", OriginKeyserver},
	{"unknown", OriginUnknown},
}

// OriginNames lists the origin names gpg accepts, in gpg's order.
func OriginNames() []string {
	out := make([]string, len(originNames))
	for i, n := range originNames {
		out[i] = n.name
	}
	return out
}

// ParseOriginKind reads an origin name, case-insensitively.
func ParseOriginKind(name string) (OriginKind, bool) {
	for _, n := range originNames {
		if strings.EqualFold(n.name, name) {
			return n.kind, true
		}
	}
	return 0, false
}

func (k OriginKind) String() string {
	for _, n := range originNames {
		if n.kind == k {
			return n.name
		}
	}
	return "?"
}

// Origin is the origin of a certificate or a user ID: the kind, the last
// update (seconds since the epoch, 0 for none) and the URL ("" for none).
// As an import's input, Updated is the time of the import.
type Origin struct {
	Kind    OriginKind
	Updated int64
	URL     string
}

func (o Origin) isZero() bool { return o == Origin{} }

// CertOrigin is what the store knows of one certificate's origin.
type CertOrigin struct {
	Key  Origin
	uids map[string]Origin // by uidHash
}

// UserID is the origin of the user ID with packet body uid.
func (c CertOrigin) UserID(uid []byte) Origin { return c.uids[uidHash(uid)] }

func (c CertOrigin) isZero() bool { return c.Key.isZero() && len(c.uids) == 0 }

func uidHash(uid []byte) string {
	h := sha256.Sum256(uid)
	return hex.EncodeToString(h[:16])
}

// Origins is a snapshot of the origins file.
type Origins struct {
	certs map[string]*CertOrigin
	// damaged: the file had lines that did not parse (or was no origins
	// file at all); the next writer replaces it.
	damaged bool
}

// Cert is the origin of the certificate with primary fingerprint fpr (the
// zero value when none is recorded).
func (o *Origins) Cert(fpr []byte) CertOrigin {
	if c := o.certs[hex.EncodeToString(fpr)]; c != nil {
		return *c
	}
	return CertOrigin{}
}

const (
	originsFileName = "origins"
	originsHeader   = "# frontpgp key origins 1\n"
	maxOriginsFile  = 64 << 20
	maxOriginURL    = 4096
	maxOriginTime   = 1 << 40
)

func (s *Store) originsPath() string { return filepath.Join(s.indexDir(), originsFileName) }

// Origins reads the origins file. A missing, unreadable or damaged file
// gives what could be read: unknown origins, never an error for a listing.
func (s *Store) Origins() *Origins {
	f, err := os.OpenFile(s.originsPath(), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return parseOrigins(nil)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return parseOrigins(nil)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxOriginsFile+1))
	if err != nil {
		return parseOrigins(nil)
	}
	return parseOrigins(data)
}

// parseOrigins reads the file's records; a file without the header or
// larger than maxOriginsFile holds none, a line that does not parse is
// skipped.
func parseOrigins(data []byte) *Origins {
	o := &Origins{certs: map[string]*CertOrigin{}}
	if len(data) > maxOriginsFile || !bytes.HasPrefix(data, []byte(originsHeader)) {
		o.damaged = data != nil
		return o
	}
	for _, line := range strings.Split(string(data[len(originsHeader):]), "\n") {
		f := strings.Split(line, " ")
		var fpr, hash string
		switch {
		case len(f) == 5 && f[0] == "k":
			fpr, f = f[1], f[2:]
		case len(f) == 6 && f[0] == "u" && len(f[2]) == 32 && isLowerHex(f[2]):
			fpr, hash, f = f[1], f[2], f[3:]
		default:
			o.damaged = o.damaged || line != ""
			continue
		}
		org, ok := parseOriginFields(f[0], f[1], f[2])
		if !ok || len(fpr) != 40 && len(fpr) != 64 || !isLowerHex(fpr) {
			o.damaged = true
			continue
		}
		c := o.certs[fpr]
		if c == nil {
			c = &CertOrigin{}
			o.certs[fpr] = c
		}
		if hash == "" {
			c.Key = org
			continue
		}
		if c.uids == nil {
			c.uids = map[string]Origin{}
		}
		c.uids[hash] = org
	}
	return o
}

func parseOriginFields(kind, updated, url string) (Origin, bool) {
	k, err1 := strconv.ParseUint(kind, 10, 8)
	t, err2 := strconv.ParseUint(updated, 10, 64)
	if err1 != nil || err2 != nil || k > uint64(maxOriginKind) || t >= maxOriginTime {
		return Origin{}, false
	}
	o := Origin{Kind: OriginKind(k), Updated: int64(t)}
	if url != "-" {
		u, ok := unescapeOriginURL(url)
		if !ok {
			return Origin{}, false
		}
		o.URL = u
	}
	return o, true
}

// encode writes the records, sorted, so that equal sets give equal files.
func (o *Origins) encode() []byte {
	var b bytes.Buffer
	b.WriteString(originsHeader)
	fprs := make([]string, 0, len(o.certs))
	for k := range o.certs {
		fprs = append(fprs, k)
	}
	sort.Strings(fprs)
	field := func(org Origin) string {
		u := "-"
		if org.URL != "" {
			u = escapeOriginURL(org.URL)
		}
		return fmt.Sprintf("%d %d %s\n", org.Kind, org.Updated, u)
	}
	for _, fpr := range fprs {
		c := o.certs[fpr]
		if !c.Key.isZero() {
			b.WriteString("k " + fpr + " " + field(c.Key))
		}
		hashes := make([]string, 0, len(c.uids))
		for h := range c.uids {
			hashes = append(hashes, h)
		}
		sort.Strings(hashes)
		for _, h := range hashes {
			b.WriteString("u " + fpr + " " + h + " " + field(c.uids[h]))
		}
	}
	return b.Bytes()
}

func escapeOriginURL(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == '%' || c >= 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func unescapeOriginURL(s string) (string, bool) {
	if s == "" || len(s) > 3*maxOriginURL {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f {
			return "", false
		}
		if c == '%' {
			if i+2 >= len(s) {
				return "", false
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return "", false
			}
			c, i = byte(v), i+2
		}
		b.WriteByte(c)
	}
	if b.Len() > maxOriginURL {
		return "", false
	}
	return b.String(), true
}

// clampURL drops a URL longer than the file may hold.
func clampURL(o Origin) Origin {
	if len(o.URL) > maxOriginURL {
		o.URL = ""
	}
	return o
}

// insertedKeyOrigin is gpg's insert_key_origin_pk: the key's origin when
// it is stored new with origin o.
func insertedKeyOrigin(o Origin) Origin {
	switch o.Kind {
	case OriginWKD, OriginDANE, OriginFile:
		return Origin{Kind: o.Kind, Updated: o.Updated}
	case OriginKeyserver:
		if o.URL == "" {
			return Origin{}
		}
		return o
	case OriginURL:
		return o
	}
	return Origin{}
}

// insertedUIDOrigin is gpg's insert_key_origin_uid: a user ID's origin
// when it is stored new with origin o.
func insertedUIDOrigin(o Origin) Origin {
	switch o.Kind {
	case OriginWKD, OriginDANE:
		return o
	case OriginKeyserver:
		if o.URL == "" {
			return Origin{}
		}
		return Origin{Kind: o.Kind, Updated: o.Updated}
	case OriginFile, OriginURL:
		return Origin{Kind: o.Kind, Updated: o.Updated}
	}
	return Origin{}
}

// updatedKeyOrigin is gpg's update_key_origin: the key's origin after a
// merge with origin o changed the certificate whose origin was old.
func updatedKeyOrigin(old, o Origin) Origin {
	switch {
	case old.Updated > o.Updated: // a time warp
		return old
	case o.Kind == OriginWKD || o.Kind == OriginDANE:
		if old.Kind != OriginUnknown && old.Kind != OriginWKD && old.Kind != OriginDANE {
			return old
		}
		if o.Kind == OriginDANE {
			o.URL = ""
		}
		return o
	case o.Kind == OriginKeyserver || o.Kind == OriginURL:
		return o
	case o.Kind == OriginFile:
		return Origin{Kind: o.Kind, Updated: o.Updated}
	}
	return old
}

// batchOrigins is the origins file as the batch will leave it, read on
// first use (the caller holds the lock).
func (b *Batch) batchOrigins() *Origins {
	if b.origins == nil {
		b.origins = b.s.Origins()
	}
	return b.origins
}

// OriginNew records the origin of kb, a certificate this batch stores
// new, imported with origin o: gpg's insert_key_origin. It replaces what
// was recorded for the fingerprint before.
func (b *Batch) OriginNew(kb *Keyblock, o Origin) {
	o = clampURL(o)
	c := &CertOrigin{Key: insertedKeyOrigin(o)}
	if u := insertedUIDOrigin(o); !u.isZero() {
		c.uids = map[string]Origin{}
		for _, n := range kb.nodes[1:] {
			if n.tag == tagUserID {
				c.uids[uidHash(n.body)] = u
			}
		}
	}
	b.setOrigin(kb.Fingerprint(), c)
}

// OriginMerged records the origin of kb, the stored copy of a certificate
// that a merge (Keyblock.Merge) with data of origin o changed: gpg's
// update_key_origin for the key, and the origin of o for the user IDs the
// merge added.
func (b *Batch) OriginMerged(kb *Keyblock, o Origin) {
	o = clampURL(o)
	old := b.batchOrigins().Cert(kb.Fingerprint())
	c := &CertOrigin{Key: updatedKeyOrigin(old.Key, o), uids: map[string]Origin{}}
	for h, u := range old.uids {
		c.uids[h] = u
	}
	if u := insertedUIDOrigin(o); !u.isZero() {
		for _, n := range kb.nodes[1:] {
			if n.tag == tagUserID && n.added {
				c.uids[uidHash(n.body)] = u
			}
		}
	}
	b.setOrigin(kb.Fingerprint(), c)
}

func (b *Batch) setOrigin(fpr []byte, c *CertOrigin) {
	certs := b.batchOrigins().certs
	k := hex.EncodeToString(fpr)
	if c.isZero() {
		if _, ok := certs[k]; !ok {
			return
		}
		delete(certs, k)
	} else {
		certs[k] = c
	}
	b.originsChanged = true
}

// writeOrigins replaces the origins file (the caller holds the lock).
func (s *Store) writeOrigins(o *Origins) error {
	if err := os.MkdirAll(s.indexDir(), 0o700); err != nil {
		return err
	}
	// Something other than a file at its place is ours to clear, as for
	// the index.
	if fi, err := os.Lstat(s.originsPath()); err == nil && !fi.Mode().IsRegular() {
		os.RemoveAll(s.originsPath())
	}
	return replaceFile(s.originsPath(), o.encode(), 0o644)
}

// forgetOrigin drops the record of a deleted certificate (the caller
// holds the lock).
func (s *Store) forgetOrigin(fpr []byte) error {
	o := s.Origins()
	k := hex.EncodeToString(fpr)
	if _, ok := o.certs[k]; !ok {
		return nil
	}
	delete(o.certs, k)
	return s.writeOrigins(o)
}
