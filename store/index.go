package store

// The index: pubring.cert.d/_frontpgp/index maps key IDs, primary and
// subkey fingerprints, e-mail addresses and user IDs to certificates, so a
// lookup reads one small file and the matching certificates instead of
// parsing the whole store.
//
// Freshness. The index records, for pubring.cert.d and each of its
// two-hex-digit subdirectories, the inode and modification time (ns), and
// for every certificate file its inode, size and mtime. Every change of a
// certificate by any cert-d writer is a rename or unlink in a
// subdirectory, which changes that directory's mtime; a new or removed
// subdirectory changes the top directory's mtime. So one stat of the top
// directory and one per subdirectory (at most 257) tell whether the index is
// current; only the subdirectories that changed are re-read, and only files
// whose identity changed are parsed again. Our own writers update the index
// under the write lock right after their change, so after a front write the
// index is current. A directory whose mtime is within racyWindow of the
// moment the index was written is marked racy (a second change within the
// file system's timestamp granularity could leave the mtime unchanged);
// readers re-check the listing of racy directories.
//
// Consistency. The index is replaced like a certificate: temp file, fsync,
// rename, so a reader sees the old or the new index, never a mix. Readers
// take no lock: a reader that finds the index stale brings it up to date in
// memory and writes it back only if it gets the write lock without waiting.
// A corrupt or foreign index file is rebuilt. Lookups return candidates;
// callers check them against the certificate they load.

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const (
	indexDirName  = "_frontpgp"
	indexFileName = "index"
	indexMagic    = "FRNTIDX1"
	tmpPrefix     = ".tmp-"
	// racyWindow: directory times closer than this to the index's writing
	// are not trusted to reveal a later change.
	racyWindow = 2 * time.Second
)

// fileID identifies one version of a file: a replaced file has a new inode.
type fileID struct {
	ino   uint64
	size  int64
	mtime int64
}

type dirState struct {
	name  string // two hex digits; ".." for pubring.cert.d itself
	ino   uint64
	mtime int64
	racy  bool
}

type certRecord struct {
	fpr  []byte
	seq  uint64 // insertion order: listings follow it, as gpg's keyring order
	file fileID
	keys [][]byte
	uids []string
}

func (c *certRecord) dir() string  { return hex.EncodeToString(c.fpr[:1]) }
func (c *certRecord) name() string { return hex.EncodeToString(c.fpr)[2:] }

// rejectedFile is a file with a certificate's name that could not be used.
type rejectedFile struct {
	dir, name string
	file      fileID
	reason    string
}

// indexData is the decoded index, as writers and refreshes handle it.
type indexData struct {
	top      dirState
	dirs     []dirState     // sorted by name
	certs    []*certRecord  // sorted by fingerprint
	rejected []rejectedFile // sorted by dir, name
}

func fileIDOf(fi os.FileInfo) fileID {
	st, _ := fi.Sys().(*syscall.Stat_t)
	id := fileID{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st != nil {
		id.ino = st.Ino
	}
	return id
}

func statDir(path string) (ino uint64, mtime int64, err error) {
	return statDirAt(unix.AT_FDCWD, path)
}

// statDirAt is statDir of name relative to dirfd ("": dirfd itself),
// following symlinks as stat does.
func statDirAt(dirfd int, name string) (ino uint64, mtime int64, err error) {
	var st unix.Stat_t
	if name == "" {
		err = unix.Fstat(dirfd, &st)
	} else {
		err = unix.Fstatat(dirfd, name, &st, 0)
	}
	if err != nil {
		return 0, 0, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return 0, 0, errors.New("not a directory")
	}
	return st.Ino, st.Mtim.Sec*1e9 + st.Mtim.Nsec, nil
}

func isDirName(s string) bool { return len(s) == 2 && isLowerHex(s) }

func isCertName(s string) bool { return (len(s) == 38 || len(s) == 62) && isLowerHex(s) }

// ---- encoding ----

const (
	secDirs = iota
	secCerts
	secKeys
	secKeyIDs
	secUIDs
	secUIDSorted
	secMails
	secUIDBlob
	secUIDLower
	secMailBlob
	secRejected
	numSections
)

const (
	headerSize  = 24 + numSections*16
	dirRecSize  = 32
	certRecSize = 88
	keyRecSize  = 40
	kidRecSize  = 12
	strRecSize  = 12
)

// crc32c is CRC-32C (Castagnoli), the index checksum, computed byte by
// byte from a 1 KiB table built on first use. Not hash/crc32: its first
// Castagnoli table builds the SSE4.2 combining tables (about 1.5 MB of CRC
// work, 0.1–0.2 ms), which every process paid in package init while the
// checksum covers only the header and the directory states (at most
// about 8 KiB).
func crc32c(crc uint32, b []byte) uint32 {
	t := crc32cTable()
	crc = ^crc
	for _, c := range b {
		crc = t[byte(crc)^c] ^ crc>>8
	}
	return ^crc
}

var crc32cTable = sync.OnceValue(func() *[256]uint32 {
	const poly = 0x82f63b78 // Castagnoli, reversed
	var t [256]uint32
	for i := range t {
		c := uint32(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ poly
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return &t
})

func lowerASCII(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// mailOf is the address gpg's keybox search compares for a user ID: the
// text between the first '<' and the next '>', else the whole user ID if
// it is a plain valid address; nil when there is none.
func mailOf(uid string) []byte {
	if i := strings.IndexByte(uid, '<'); i >= 0 && len(uid)-i >= 2 {
		rest := uid[i+1:]
		j := strings.IndexByte(rest, '>')
		if j <= 0 {
			return nil
		}
		return []byte(rest[:j])
	}
	if validMailbox(uid) {
		return []byte(uid)
	}
	return nil
}

// validMailbox is gpg's is_valid_mailbox.
func validMailbox(s string) bool {
	if s == "" || strings.Count(s, "@") != 1 || s[0] == '@' || s[len(s)-1] == '@' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	const valid = "01234567890_-.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	at := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 0:
			return true
		case c&0x80 != 0:
		case c == '@':
			at = true
		case !at && !strings.ContainsRune(valid, rune(c)) && !strings.ContainsRune("!#$%&'*+/=?^`{|}~", rune(c)):
			return false
		case at && !strings.ContainsRune(valid, rune(c)):
			return false
		}
	}
	return true
}

func (d *indexData) encode(now time.Time) []byte {
	le := binary.LittleEndian
	var secs [numSections][]byte
	racy := func(ds dirState) dirState {
		ds.racy = ds.racy || now.UnixNano()-ds.mtime < int64(racyWindow)
		return ds
	}
	putDir := func(ds dirState) {
		rec := make([]byte, dirRecSize)
		copy(rec[0:2], ds.name)
		if ds.racy {
			rec[2] = 1
		}
		le.PutUint64(rec[8:], ds.ino)
		le.PutUint64(rec[16:], uint64(ds.mtime))
		secs[secDirs] = append(secs[secDirs], rec...)
	}
	putDir(racy(d.top))
	for _, ds := range d.dirs {
		putDir(racy(ds))
	}
	type kid struct {
		id  uint64
		key uint32
	}
	var kids []kid
	type mail struct {
		cert uint32
		addr []byte
	}
	var mails []mail
	type uidRef struct {
		off, n uint32
	}
	var uids []uidRef
	var blob []byte
	nkeys := 0
	for ci, c := range d.certs {
		rec := make([]byte, certRecSize)
		copy(rec[0:32], c.fpr)
		rec[32] = byte(len(c.fpr))
		le.PutUint64(rec[40:], c.file.ino)
		le.PutUint64(rec[48:], uint64(c.file.size))
		le.PutUint64(rec[56:], uint64(c.file.mtime))
		le.PutUint32(rec[64:], uint32(nkeys))
		le.PutUint32(rec[68:], uint32(len(c.keys)))
		le.PutUint32(rec[72:], uint32(len(uids)))
		le.PutUint32(rec[76:], uint32(len(c.uids)))
		le.PutUint64(rec[80:], c.seq)
		secs[secCerts] = append(secs[secCerts], rec...)
		for _, k := range c.keys {
			kr := make([]byte, keyRecSize)
			copy(kr[0:32], k)
			kr[32] = byte(len(k))
			le.PutUint32(kr[36:], uint32(ci))
			secs[secKeys] = append(secs[secKeys], kr...)
			kids = append(kids, kid{keyIDFromFingerprint(k), uint32(nkeys)})
			nkeys++
		}
		for _, u := range c.uids {
			ur := make([]byte, strRecSize)
			le.PutUint32(ur[0:], uint32(ci))
			le.PutUint32(ur[4:], uint32(len(blob)))
			le.PutUint32(ur[8:], uint32(len(u)))
			secs[secUIDs] = append(secs[secUIDs], ur...)
			uids = append(uids, uidRef{uint32(len(blob)), uint32(len(u))})
			blob = append(blob, u...)
			if m := mailOf(u); m != nil {
				mails = append(mails, mail{uint32(ci), lowerASCII(m)})
			}
		}
	}
	secs[secUIDBlob] = blob
	secs[secUIDLower] = lowerASCII(blob)
	sort.Slice(kids, func(i, j int) bool { return kids[i].id < kids[j].id })
	for _, k := range kids {
		r := make([]byte, kidRecSize)
		le.PutUint64(r[0:], k.id)
		le.PutUint32(r[8:], k.key)
		secs[secKeyIDs] = append(secs[secKeyIDs], r...)
	}
	order := make([]uint32, len(uids))
	for i := range order {
		order[i] = uint32(i)
	}
	uidBytes := func(i uint32) []byte { return blob[uids[i].off : uids[i].off+uids[i].n] }
	sort.Slice(order, func(i, j int) bool { return bytes.Compare(uidBytes(order[i]), uidBytes(order[j])) < 0 })
	for _, o := range order {
		secs[secUIDSorted] = le.AppendUint32(secs[secUIDSorted], o)
	}
	sort.SliceStable(mails, func(i, j int) bool { return bytes.Compare(mails[i].addr, mails[j].addr) < 0 })
	for _, m := range mails {
		r := make([]byte, strRecSize)
		le.PutUint32(r[0:], m.cert)
		le.PutUint32(r[4:], uint32(len(secs[secMailBlob])))
		le.PutUint32(r[8:], uint32(len(m.addr)))
		secs[secMails] = append(secs[secMails], r...)
		secs[secMailBlob] = append(secs[secMailBlob], m.addr...)
	}
	for _, r := range d.rejected {
		var b []byte
		b = append(b, r.dir...)
		b = le.AppendUint64(b, r.file.ino)
		b = le.AppendUint64(b, uint64(r.file.size))
		b = le.AppendUint64(b, uint64(r.file.mtime))
		b = le.AppendUint16(b, uint16(len(r.name)))
		b = append(b, r.name...)
		reason := r.reason
		if len(reason) > 1000 {
			reason = reason[:1000]
		}
		b = le.AppendUint16(b, uint16(len(reason)))
		b = append(b, reason...)
		secs[secRejected] = append(secs[secRejected], b...)
	}
	out := make([]byte, headerSize)
	copy(out, indexMagic)
	for i, s := range secs {
		le.PutUint64(out[24+16*i:], uint64(len(out)))
		le.PutUint64(out[24+16*i+8:], uint64(len(s)))
		out = append(out, s...)
	}
	le.PutUint64(out[16:], uint64(len(out)))
	le.PutUint32(out[8:], checksum(out))
	return out
}

// checksum covers the header and the directory states: what decides
// freshness. The other sections are bounds-checked on use, and lookups
// are checked against the certificates they return.
func checksum(b []byte) uint32 {
	le := binary.LittleEndian
	off, n := le.Uint64(b[24+16*secDirs:]), le.Uint64(b[24+16*secDirs+8:])
	return crc32c(crc32c(0, b[16:headerSize]), b[off:off+n])
}

// indexView reads an encoded index in place (usually a read-only mapping
// of the file).
type indexView struct {
	b    []byte
	secs [numSections][]byte
	top  dirState
	dirs []dirState
}

var errBadIndex = errors.New("invalid index")

func parseIndex(b []byte) (*indexView, error) {
	le := binary.LittleEndian
	if len(b) < headerSize || string(b[:8]) != indexMagic || le.Uint64(b[16:]) != uint64(len(b)) {
		return nil, errBadIndex
	}
	v := &indexView{b: b}
	for i := range v.secs {
		off, n := le.Uint64(b[24+16*i:]), le.Uint64(b[24+16*i+8:])
		if off > uint64(len(b)) || n > uint64(len(b))-off {
			return nil, errBadIndex
		}
		v.secs[i] = b[off : off+n]
	}
	if checksum(b) != le.Uint32(b[8:]) {
		return nil, errBadIndex
	}
	recSizes := map[int]int{secDirs: dirRecSize, secCerts: certRecSize, secKeys: keyRecSize, secKeyIDs: kidRecSize, secUIDs: strRecSize, secUIDSorted: 4, secMails: strRecSize}
	for s, size := range recSizes {
		if len(v.secs[s])%size != 0 {
			return nil, errBadIndex
		}
	}
	if len(v.secs[secUIDBlob]) != len(v.secs[secUIDLower]) || len(v.secs[secDirs]) < dirRecSize {
		return nil, errBadIndex
	}
	d := v.secs[secDirs]
	for i := 0; i+dirRecSize <= len(d); i += dirRecSize {
		ds := dirState{name: string(d[i : i+2]), racy: d[i+2] != 0, ino: le.Uint64(d[i+8:]), mtime: int64(le.Uint64(d[i+16:]))}
		if i == 0 {
			v.top = ds
		} else {
			v.dirs = append(v.dirs, ds)
		}
	}
	return v, nil
}

func (v *indexView) numCerts() int { return len(v.secs[secCerts]) / certRecSize }
func (v *indexView) numKeys() int  { return len(v.secs[secKeys]) / keyRecSize }
func (v *indexView) numUIDs() int  { return len(v.secs[secUIDs]) / strRecSize }

func (v *indexView) certFpr(i int) []byte {
	r := v.secs[secCerts][i*certRecSize:]
	n := int(r[32])
	if n > 32 {
		n = 32
	}
	return r[:n]
}

func (v *indexView) certSeq(i int) uint64 {
	return binary.LittleEndian.Uint64(v.secs[secCerts][i*certRecSize+80:])
}

func (v *indexView) keyFpr(k int) ([]byte, int) {
	r := v.secs[secKeys][k*keyRecSize:]
	n := int(r[32])
	if n > 32 {
		n = 32
	}
	return r[:n], int(binary.LittleEndian.Uint32(r[36:]))
}

// str reads a (cert, offset, length) record against a blob.
func str(rec, blob []byte) (cert int, s []byte, ok bool) {
	le := binary.LittleEndian
	off, n := uint64(le.Uint32(rec[4:])), uint64(le.Uint32(rec[8:]))
	if off+n > uint64(len(blob)) {
		return 0, nil, false
	}
	return int(le.Uint32(rec[0:])), blob[off : off+n], true
}

// decode turns the view into indexData for a refresh or an update.
func (v *indexView) decode() (*indexData, error) {
	le := binary.LittleEndian
	d := &indexData{top: v.top, dirs: append([]dirState(nil), v.dirs...)}
	nk, nu := v.numKeys(), v.numUIDs()
	for i := 0; i < v.numCerts(); i++ {
		r := v.secs[secCerts][i*certRecSize:]
		c := &certRecord{fpr: append([]byte(nil), v.certFpr(i)...)}
		if len(c.fpr) != 20 && len(c.fpr) != 32 {
			return nil, errBadIndex
		}
		c.file = fileID{ino: le.Uint64(r[40:]), size: int64(le.Uint64(r[48:])), mtime: int64(le.Uint64(r[56:]))}
		c.seq = le.Uint64(r[80:])
		fk, nks, fu, nus := int(le.Uint32(r[64:])), int(le.Uint32(r[68:])), int(le.Uint32(r[72:])), int(le.Uint32(r[76:]))
		if fk < 0 || nks < 0 || fk+nks > nk || fu < 0 || nus < 0 || fu+nus > nu {
			return nil, errBadIndex
		}
		for k := fk; k < fk+nks; k++ {
			f, _ := v.keyFpr(k)
			c.keys = append(c.keys, append([]byte(nil), f...))
		}
		for u := fu; u < fu+nus; u++ {
			_, s, ok := str(v.secs[secUIDs][u*strRecSize:], v.secs[secUIDBlob])
			if !ok {
				return nil, errBadIndex
			}
			c.uids = append(c.uids, string(s))
		}
		d.certs = append(d.certs, c)
	}
	rj := v.secs[secRejected]
	for len(rj) > 0 {
		if len(rj) < 2+24+2 {
			return nil, errBadIndex
		}
		r := rejectedFile{dir: string(rj[:2])}
		r.file = fileID{ino: le.Uint64(rj[2:]), size: int64(le.Uint64(rj[10:])), mtime: int64(le.Uint64(rj[18:]))}
		n := int(le.Uint16(rj[26:]))
		rj = rj[28:]
		if len(rj) < n+2 {
			return nil, errBadIndex
		}
		r.name = string(rj[:n])
		rj = rj[n:]
		m := int(le.Uint16(rj))
		rj = rj[2:]
		if len(rj) < m {
			return nil, errBadIndex
		}
		r.reason = string(rj[:m])
		rj = rj[m:]
		d.rejected = append(d.rejected, r)
	}
	return d, nil
}

// ---- lookups on a view ----

// certsByKeyID returns the certificates with a (sub)key of this key ID.
func (v *indexView) certsByKeyID(id uint64) []int {
	t := v.secs[secKeyIDs]
	n := len(t) / kidRecSize
	le := binary.LittleEndian
	i := sort.Search(n, func(i int) bool { return le.Uint64(t[i*kidRecSize:]) >= id })
	var out []int
	for ; i < n && le.Uint64(t[i*kidRecSize:]) == id; i++ {
		k := int(le.Uint32(t[i*kidRecSize+8:]))
		if k < v.numKeys() {
			_, c := v.keyFpr(k)
			out = append(out, c)
		}
	}
	return out
}

func (v *indexView) certsByFingerprint(fpr []byte) []int {
	var out []int
	t := v.secs[secKeyIDs]
	le := binary.LittleEndian
	id := keyIDFromFingerprint(fpr)
	n := len(t) / kidRecSize
	i := sort.Search(n, func(i int) bool { return le.Uint64(t[i*kidRecSize:]) >= id })
	for ; i < n && le.Uint64(t[i*kidRecSize:]) == id; i++ {
		k := int(le.Uint32(t[i*kidRecSize+8:]))
		if k >= v.numKeys() {
			continue
		}
		if f, c := v.keyFpr(k); bytes.Equal(f, fpr) {
			out = append(out, c)
		}
	}
	return out
}

func (v *indexView) certsByShortKeyID(id uint32) []int {
	t := v.secs[secKeyIDs]
	le := binary.LittleEndian
	var out []int
	for i := 0; i+kidRecSize <= len(t); i += kidRecSize {
		if uint32(le.Uint64(t[i:])) == id {
			if k := int(le.Uint32(t[i+8:])); k < v.numKeys() {
				_, c := v.keyFpr(k)
				out = append(out, c)
			}
		}
	}
	return out
}

func (v *indexView) certsByMail(addr []byte) []int {
	addr = lowerASCII(addr)
	t := v.secs[secMails]
	n := len(t) / strRecSize
	get := func(i int) []byte {
		_, s, _ := str(t[i*strRecSize:], v.secs[secMailBlob])
		return s
	}
	i := sort.Search(n, func(i int) bool { return bytes.Compare(get(i), addr) >= 0 })
	var out []int
	for ; i < n && bytes.Equal(get(i), addr); i++ {
		c, _, _ := str(t[i*strRecSize:], v.secs[secMailBlob])
		out = append(out, c)
	}
	return out
}

func (v *indexView) certsByExactUID(uid []byte) []int {
	ord := v.secs[secUIDSorted]
	n := len(ord) / 4
	le := binary.LittleEndian
	get := func(i int) (int, []byte) {
		u := int(le.Uint32(ord[i*4:]))
		if u >= v.numUIDs() {
			return 0, nil
		}
		c, s, _ := str(v.secs[secUIDs][u*strRecSize:], v.secs[secUIDBlob])
		return c, s
	}
	i := sort.Search(n, func(i int) bool { _, s := get(i); return bytes.Compare(s, uid) >= 0 })
	var out []int
	for ; i < n; i++ {
		c, s := get(i)
		if !bytes.Equal(s, uid) {
			break
		}
		out = append(out, c)
	}
	return out
}

// substring finds the records (cert, offset, length; ordered by offset)
// whose text in blob contains needle, which must already be lower-case.
func substring(recs, blob, needle []byte) []int {
	le := binary.LittleEndian
	n := len(recs) / strRecSize
	var out []int
	pos := 0
	for pos <= len(blob) {
		j := bytes.Index(blob[pos:], needle)
		if j < 0 {
			break
		}
		hit := pos + j
		// The record whose text starts at or before the hit.
		r := sort.Search(n, func(i int) bool { return int(le.Uint32(recs[i*strRecSize+4:])) > hit }) - 1
		if r < 0 {
			pos = hit + 1
			continue
		}
		off, l := int(le.Uint32(recs[r*strRecSize+4:])), int(le.Uint32(recs[r*strRecSize+8:]))
		if hit+len(needle) <= off+l {
			out = append(out, int(le.Uint32(recs[r*strRecSize:])))
			pos = off + l // on to the next record
			if l == 0 {
				pos++
			}
			continue
		}
		pos = hit + 1
	}
	return out
}

func (v *indexView) certsByUIDSubstring(sub []byte) []int {
	if len(sub) == 0 {
		return nil
	}
	return substring(v.secs[secUIDs], v.secs[secUIDLower], lowerASCII(sub))
}

func (v *indexView) certsByMailSubstring(sub []byte) []int {
	if len(sub) == 0 {
		return nil
	}
	return substring(v.secs[secMails], v.secs[secMailBlob], lowerASCII(sub))
}

// ---- freshness and refresh ----

// staleDirs compares the recorded directory states with the file system:
// changed lists subdirectories to re-read (changed, new, removed), racy
// those whose listing must be re-checked.
//
// The subdirectories are checked relative to a descriptor of certDir: a
// stat by full path would walk every component of it again, 256 times in
// a full store (a third of the time of listing one key there).
func staleDirs(certDir string, top dirState, dirs []dirState) (changed, racy []string, topChanged bool, err error) {
	dirfd, err := unix.Open(certDir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, false, err
	}
	defer unix.Close(dirfd)
	ino, mtime, err := statDirAt(dirfd, "")
	if err != nil {
		return nil, nil, false, err
	}
	known := make(map[string]bool, len(dirs))
	for _, d := range dirs {
		known[d.name] = true
		dino, dm, err := statDirAt(dirfd, d.name)
		switch {
		case err != nil || dino != d.ino || dm != d.mtime:
			changed = append(changed, d.name)
		case d.racy:
			racy = append(racy, d.name)
		}
	}
	if ino != top.ino || mtime != top.mtime || top.racy {
		topChanged = ino != top.ino || mtime != top.mtime
		names, err := readDirNames(certDir)
		if err != nil {
			return nil, nil, false, err
		}
		for _, n := range names {
			if isDirName(n) && !known[n] {
				changed = append(changed, n)
				topChanged = true
			}
		}
	}
	return changed, racy, topChanged, nil
}

func readDirNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// scanDir re-reads one subdirectory: records whose file is unchanged are
// kept, others parsed again. Leftover temp files are removed when the
// caller holds the write lock (cleanTemps).
func scanDir(certDir, name string, old []*certRecord, oldRejected []rejectedFile, cleanTemps bool) (certs []*certRecord, rejected []rejectedFile, ds dirState, exists bool) {
	dir := filepath.Join(certDir, name)
	ino, mtime, err := statDir(dir)
	if err != nil {
		return nil, nil, dirState{}, false
	}
	ds = dirState{name: name, ino: ino, mtime: mtime}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, ds, true
	}
	byName := map[string]*certRecord{}
	for _, c := range old {
		byName[c.name()] = c
	}
	rejByName := map[string]rejectedFile{}
	for _, r := range oldRejected {
		rejByName[r.name] = r
	}
	for _, e := range entries {
		fname := e.Name()
		if strings.HasPrefix(fname, tmpPrefix) {
			if cleanTemps {
				os.Remove(filepath.Join(dir, fname))
			}
			continue
		}
		if !isCertName(fname) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		id := fileIDOf(fi)
		if !fi.Mode().IsRegular() {
			rejected = append(rejected, rejectedFile{dir: name, name: fname, file: id, reason: "not a regular file"})
			continue
		}
		if c, ok := byName[fname]; ok && c.file == id {
			certs = append(certs, c)
			continue
		}
		if r, ok := rejByName[fname]; ok && r.file == id {
			rejected = append(rejected, r)
			continue
		}
		c, err := readRecord(filepath.Join(dir, fname), name+fname)
		if err != nil {
			rejected = append(rejected, rejectedFile{dir: name, name: fname, file: id, reason: err.Error()})
			continue
		}
		if old, ok := byName[fname]; ok {
			c.seq = old.seq // replaced in place: keeps its position
		}
		certs = append(certs, c)
	}
	if cleanTemps {
		// Removing temp files changed the directory: record its new state.
		if ino, mtime, err := statDir(dir); err == nil {
			ds.ino, ds.mtime = ino, mtime
		}
	}
	return certs, rejected, ds, true
}

// readRecord parses one certificate file for the index.
func readRecord(path, hexName string) (*certRecord, error) {
	data, fi, err := readCertFile(path)
	if err != nil {
		return nil, err
	}
	sum, err := summarize(data)
	if err != nil {
		return nil, fmt.Errorf("unparseable certificate: %v", err)
	}
	if hex.EncodeToString(sum.Fingerprint) != hexName {
		return nil, errors.New("content does not match file name")
	}
	return &certRecord{fpr: sum.Fingerprint, file: fileIDOf(fi), keys: sum.Keys, uids: sum.UserIDs}, nil
}

// refresh brings d up to date with the file system; it reports whether
// anything changed (including racy marks that can now be cleared). New
// certificates are numbered in the order given (a writer's insertion
// order), the rest by file time.
func refresh(certDir string, d *indexData, cleanTemps bool, order ...[]byte) (bool, error) {
	changed, racy, topChanged, err := staleDirs(certDir, d.top, d.dirs)
	if err != nil {
		return false, err
	}
	now := time.Now().UnixNano()
	settled := func(mtime int64) bool { return now-mtime >= int64(racyWindow) }
	if len(changed) == 0 && len(racy) == 0 && !topChanged && !(d.top.racy && settled(d.top.mtime)) {
		return false, nil
	}
	todo := append(append([]string(nil), changed...), racy...)
	sort.Strings(todo)
	// Group the old records by directory.
	oldCerts := map[string][]*certRecord{}
	for _, c := range d.certs {
		oldCerts[c.dir()] = append(oldCerts[c.dir()], c)
	}
	oldRej := map[string][]rejectedFile{}
	for _, r := range d.rejected {
		oldRej[r.dir] = append(oldRej[r.dir], r)
	}
	states := map[string]dirState{}
	for _, ds := range d.dirs {
		states[ds.name] = ds
	}
	type result struct {
		certs  []*certRecord
		rej    []rejectedFile
		ds     dirState
		exists bool
	}
	results := make([]result, len(todo))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, name := range todo {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, name string) {
			defer wg.Done()
			defer func() { <-sem }()
			c, r, ds, ok := scanDir(certDir, name, oldCerts[name], oldRej[name], cleanTemps)
			results[i] = result{c, r, ds, ok}
		}(i, name)
	}
	wg.Wait()
	modified := topChanged || (d.top.racy && settled(d.top.mtime))
	for i, name := range todo {
		res := results[i]
		if !res.exists {
			delete(oldCerts, name)
			delete(oldRej, name)
			delete(states, name)
			modified = true
			continue
		}
		old := states[name]
		if !sameRecords(oldCerts[name], res.certs) || len(oldRej[name]) != len(res.rej) || old.ino != res.ds.ino || old.mtime != res.ds.mtime {
			modified = true
		} else if old.racy {
			// Unchanged: the racy mark goes once the window has passed.
			res.ds.racy = !settled(res.ds.mtime)
			modified = modified || !res.ds.racy
		}
		oldCerts[name], oldRej[name], states[name] = res.certs, res.rej, res.ds
	}
	if !modified {
		return false, nil
	}
	d.certs, d.rejected, d.dirs = nil, nil, nil
	for _, ds := range states {
		d.dirs = append(d.dirs, ds)
	}
	sort.Slice(d.dirs, func(i, j int) bool { return d.dirs[i].name < d.dirs[j].name })
	for _, ds := range d.dirs {
		d.certs = append(d.certs, oldCerts[ds.name]...)
		d.rejected = append(d.rejected, oldRej[ds.name]...)
	}
	sort.Slice(d.certs, func(i, j int) bool { return bytes.Compare(d.certs[i].fpr, d.certs[j].fpr) < 0 })
	if len(order) == 0 {
		order = readOrderJournal(certDir)
	}
	d.numberNew(order)
	ino, mtime, err := statDir(certDir)
	if err != nil {
		return false, err
	}
	d.top = dirState{name: "..", ino: ino, mtime: mtime}
	return true, nil
}

// numberNew gives certificates without a sequence number the next ones:
// first those in order (a writer's own insertion order, or the journal a
// killed writer left: orderjournal.go), then the rest by file time, so a
// rebuilt index keeps the order certificates came in.
func (d *indexData) numberNew(order [][]byte) {
	var max uint64
	var fresh []*certRecord
	byFpr := map[string]*certRecord{}
	for _, c := range d.certs {
		if c.seq > max {
			max = c.seq
		}
		if c.seq == 0 {
			fresh = append(fresh, c)
			byFpr[string(c.fpr)] = c
		}
	}
	for _, f := range order {
		if c := byFpr[string(f)]; c != nil && c.seq == 0 {
			max++
			c.seq = max
		}
	}
	sort.SliceStable(fresh, func(i, j int) bool { return fresh[i].file.mtime < fresh[j].file.mtime })
	for _, c := range fresh {
		if c.seq == 0 {
			max++
			c.seq = max
		}
	}
}

func sameRecords(a, b []*certRecord) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[*certRecord]bool{}
	for _, c := range a {
		m[c] = true
	}
	for _, c := range b {
		if !m[c] {
			return false
		}
	}
	return true
}
