package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/keylist"
	"github.com/frontpgp/front/pgp"
)

// --show-keys FILES and --import --import-options show-only: list the keys
// in files (or stdin) as --list-keys would, without importing them. As in
// gpg (import.c, list_keyblock_direct with no_validity), nothing is looked
// up in the trust database: user ID lines carry no validity tag, the colon
// listing has no "tru" record, and a secret key is "sec" with '#' unless
// its secret is in our store.

// importShowOnly reports whether --import-options asks for show-only
// (impexopts.go reads the options as gpg's parse_import_options).
func (a *app) importShowOnly() (bool, error) {
	return a.importOptions()&importDryRun != 0, nil
}

func (a *app) showKeysCmd(args []string) error {
	data, err := a.readKeyData(args)
	if err != nil {
		return err
	}
	if len(data) == 0 || data[0]&0x80 == 0 {
		// neither armor nor binary OpenPGP: gpg's armor filter found
		// no data
		a.status.Emit("NODATA", "1")
		return &exitError{2, "no valid OpenPGP data found."}
	}
	return a.showKeys(data)
}

// showKeys lists every keyblock of binary key data.
func (a *app) showKeys(data []byte) error {
	keys, err := keylist.ReadKeyRing(bytes.NewReader(data))
	if err != nil && len(keys) == 0 {
		return &exitError{2, "no valid OpenPGP data found."}
	}
	var listing bytes.Buffer
	format := strings.ToLower(a.opts.last("keyid-format"))
	// --show-keys (and -v) show unusable user IDs and subkeys; an
	// import's import-show follows --list-options like any listing
	lo := a.listOptions()
	for i := range keys {
		k := keys[i]
		k.Validity, k.Ownertrust = '-', '-'
		secret := len(k.Secret) > 0
		if secret {
			// What the file holds does not say whether we can use the
			// secret: as gpg asks its agent, look in our store.
			for id := range k.Secret {
				k.Secret[id] = keylist.SecretStub
			}
			for _, pk := range allKeys(k.Entity) {
				if s, ok := a.secretKeys()[fmt.Sprintf("%X", pk.PublicKey.Fingerprint)]; ok && !s.Stub {
					k.Secret[pk.PublicKey.KeyId] = keylist.SecretPresent
				}
			}
		}
		opt := keylist.Options{
			Colons: a.opts.has("with-colons"), Secret: secret,
			Fingerprints: a.opts.count("fingerprint") + a.opts.count("with-fingerprint"),
			KeyIDFormat:  format, Now: a.now,
			WithKeygrip:      a.opts.has("with-keygrip"),
			NoValidity:       true,
			ShowUnusableUIDs: lo&listShowUnusableUIDs != 0, ShowUnusableSubkeys: lo&listShowUnusableSubkeys != 0,
		}
		if err := keylist.Write(&listing, []keylist.Key{k}, opt); err != nil {
			return err
		}
	}
	out := bufio.NewWriter(a.stdout)
	writeWithoutValidity(out, listing.Bytes())
	return out.Flush()
}

// writeWithoutValidity copies a listing of keys not in the store as gpg
// prints them: without the "tru" record.
func writeWithoutValidity(w *bufio.Writer, listing []byte) {
	for _, line := range strings.SplitAfter(string(listing), "\n") {
		if !strings.HasPrefix(line, "tru:") {
			w.WriteString(line)
		}
	}
}

// --list-signatures and --check-signatures: the key listing with a sig
// (or rev) record after the user ID, subkey or primary key each signature
// belongs to, in keyblock order, as gpg's list_keyblock_print and
// list_keyblock_colon write them. --check-signatures verifies each one:
// '!' good, '-' bad, '%' could not be checked, and (colons only) '?' for
// a signer that is not in the store; the human listing leaves those out
// and counts them in the summary.

// sigInfo is what a listing shows of one signature packet.
type sigInfo struct {
	raw         []byte // the whole packet, for go-crypto's parser
	class       byte
	pubAlgo     int
	digestAlgo  int
	created     int64
	expires     int64 // 0: does not expire
	keyID       uint64
	issuerFpr   string
	exportable  bool
	revocable   bool
	policy      bool
	notation    bool
	trustDepth  int
	trustValue  int
	regexp      []byte
	hasReason   bool
	reasonCode  byte
	reasonText  []byte
	parseFailed bool
}

func parseSigInfo(raw, body []byte) sigInfo {
	s := sigInfo{raw: raw, exportable: true, revocable: true}
	f := &fields{b: body}
	v := f.u8()
	var hashed, unhashed []byte
	switch v {
	case 3:
		f.u8() // length of hashed material
		s.class = byte(f.u8())
		s.created = int64(f.u32())
		s.keyID = binary.BigEndian.Uint64(f.bytes(8))
		s.pubAlgo, s.digestAlgo = f.u8(), f.u8()
	case 4:
		s.class = byte(f.u8())
		s.pubAlgo, s.digestAlgo = f.u8(), f.u8()
		hashed = f.bytes(f.u16())
		unhashed = f.bytes(f.u16())
	case 6: // RFC 9580: four-octet subpacket area lengths
		s.class = byte(f.u8())
		s.pubAlgo, s.digestAlgo = f.u8(), f.u8()
		area := func() []byte {
			// checked first: fields.bytes would allocate the length
			if n := f.u32(); uint64(n) <= uint64(f.left()) {
				return f.bytes(int(n))
			}
			f.short = true
			return nil
		}
		hashed = area()
		unhashed = area()
	default:
		s.parseFailed = true
		return s
	}
	if f.short {
		s.parseFailed = true
		return s
	}
	both := func(typ int) []byte {
		if p := findSubpacket(hashed, typ); p != nil {
			return p
		}
		return findSubpacket(unhashed, typ)
	}
	if v >= 4 {
		if p := findSubpacket(hashed, 2); len(p) >= 4 {
			s.created = int64(binary.BigEndian.Uint32(p))
		}
		if p := findSubpacket(hashed, 3); len(p) >= 4 && binary.BigEndian.Uint32(p) != 0 {
			s.expires = s.created + int64(binary.BigEndian.Uint32(p))
		}
		// a v4 or v6 issuer fingerprint (version octet, 20 or 32 bytes)
		var issuerFpr []byte
		if p := both(33); len(p) > 1 && pgp.IssuerKeyID(p[1:]) != nil {
			issuerFpr = p[1:]
			s.issuerFpr = fmt.Sprintf("%X", issuerFpr)
		}
		if p := both(16); len(p) >= 8 {
			s.keyID = binary.BigEndian.Uint64(p)
		} else if issuerFpr != nil {
			s.keyID = binary.BigEndian.Uint64(pgp.IssuerKeyID(issuerFpr))
		}
		if p := findSubpacket(hashed, 4); len(p) > 0 && p[0] == 0 {
			s.exportable = false
		}
		if p := findSubpacket(hashed, 7); len(p) > 0 && p[0] == 0 {
			s.revocable = false
		}
		s.policy = findSubpacket(hashed, 26) != nil
		s.notation = findSubpacket(hashed, 20) != nil
		if p := findSubpacket(hashed, 5); len(p) == 2 {
			s.trustDepth, s.trustValue = int(p[0]), int(p[1])
		}
		if p := findSubpacket(hashed, 6); len(p) > 0 {
			s.regexp = bytes.TrimSuffix(p, []byte{0})
		}
		if p := both(29); len(p) > 0 {
			s.hasReason, s.reasonCode, s.reasonText = true, p[0], p[1:]
		}
	}
	return s
}

// certPart is one packet a signature can belong to: the primary key
// (uid == "" and subKeyID == 0), a user ID, or a subkey.
type certPart struct {
	uid      string
	isUID    bool
	subKeyID uint64
	sub      *packet.PublicKey
	sigs     []sigInfo
}

// splitCert groups the signatures of a stored certificate by the packet
// they follow, in keyblock order (the store keeps gpg's order).
func splitCert(raw []byte) ([]*certPart, *packet.PublicKey, error) {
	r := &offsetReader{r: bufio.NewReader(bytes.NewReader(raw))}
	var parts []*certPart
	var primary *packet.PublicKey
	cur := &certPart{}
	parts = append(parts, cur)
	for {
		start := r.n
		h, err := readPacketHeader(r)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if h.partial {
			return nil, nil, errors.New("partial length in a certificate")
		}
		body := make([]byte, h.plen)
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, nil, errPrematureEOF
		}
		whole := raw[start : start+int64(h.hlen)+int64(h.plen)]
		switch h.tag {
		case 6, 14:
			p, err := packet.Read(bytes.NewReader(whole))
			pk, ok := p.(*packet.PublicKey)
			if err != nil || !ok {
				return nil, nil, fmt.Errorf("unreadable key packet: %v", err)
			}
			if h.tag == 6 {
				primary = pk
			} else {
				cur = &certPart{subKeyID: pk.KeyId, sub: pk}
				parts = append(parts, cur)
			}
		case 13:
			cur = &certPart{uid: string(body), isUID: true}
			parts = append(parts, cur)
		case 17:
			// User attributes are not listed; their signatures neither.
			cur = &certPart{subKeyID: ^uint64(0)}
		case 2:
			cur.sigs = append(cur.sigs, parseSigInfo(whole, body))
		}
	}
	if primary == nil {
		return nil, nil, errors.New("no primary key")
	}
	return parts, primary, nil
}

type sigListing struct {
	a       *app
	check   bool
	colons  bool
	format  string
	fast    bool // --fast-list-mode: no signer user IDs are looked up
	good    int
	bad     int
	noKey   int
	errored int
}

func (a *app) listSigsCmd(args []string, check, secret bool) error {
	hdr := a.listingPrologue()
	ents, header := a.certsToList(args, secret)
	l := &sigListing{a: a, check: check, colons: a.opts.has("with-colons"),
		format: strings.ToLower(a.opts.last("keyid-format")), fast: a.opts.has("fast-list-mode")}
	out := bufio.NewWriter(a.stdout)
	first := true
	for _, e := range ents {
		k := keylist.Key{Entity: e, Validity: '-', Ownertrust: '-', Secret: map[uint64]keylist.SecretState{}}
		a.listingTrust(&k)
		a.markSecrets(&k)
		if secret && len(k.Secret) == 0 {
			continue
		}
		raw, err := a.store.GetRaw(e.PrimaryKey.Fingerprint)
		if err != nil {
			return err
		}
		if l.colons {
			k.Revokers = a.revokersOf(raw)
		}
		parts, primary, err := splitCert(raw)
		if err != nil {
			return fmt.Errorf("key %X: %v", e.PrimaryKey.Fingerprint, err)
		}
		uids, subs, err := keylist.ListedParts(k, a.now, l.colons)
		if err != nil {
			return err
		}
		opt := keylist.Options{
			Colons: l.colons, Secret: secret, Fingerprints: a.opts.count("fingerprint") + a.opts.count("with-fingerprint"),
			KeyIDFormat: l.format, Now: a.now, WithKeygrip: a.opts.has("with-keygrip"),
			WithSecret: a.opts.has("with-secret"), Trust: hdr, FastList: l.fast,
		}
		if first {
			opt.Homedir = header
		}
		var listing bytes.Buffer
		if err := keylist.Write(&listing, []keylist.Key{k}, opt); err != nil {
			return err
		}
		l.interleave(out, listing.String(), parts, primary, uids, subs, first)
		first = false
	}
	if err := out.Flush(); err != nil {
		return err
	}
	if check && !l.colons {
		// gpg counts only in its human listing.
		l.summary()
	}
	return nil
}

// interleave copies one key's listing and writes each part's signatures
// after its line: a user ID's right after the uid line, a subkey's after
// the sub line and the lines that continue it (fingerprint, keygrip),
// the primary key's before the first user ID.
func (l *sigListing) interleave(w *bufio.Writer, listing string, parts []*certPart, primary *packet.PublicKey, uids []string, subs []uint64, keepTru bool) {
	uidSigs := map[string][]*certPart{}
	subSigs := map[uint64]*certPart{}
	for _, p := range parts[1:] {
		if p.isUID {
			uidSigs[p.uid] = append(uidSigs[p.uid], p)
		} else {
			subSigs[p.subKeyID] = p
		}
	}
	var pending *certPart
	primaryDone := false
	flush := func() {
		if !primaryDone {
			l.writeSigs(w, parts[0], primary)
			primaryDone = true
		}
		if pending != nil {
			l.writeSigs(w, pending, primary)
			pending = nil
		}
	}
	ui, si := 0, 0
	lines := strings.SplitAfter(listing, "\n")
	for _, line := range lines {
		if line == "" {
			continue
		}
		isUID := strings.HasPrefix(line, "uid")
		isSub := strings.HasPrefix(line, "sub") || strings.HasPrefix(line, "ssb")
		switch {
		case strings.HasPrefix(line, "tru:") && !keepTru:
			continue
		case isUID:
			flush()
			w.WriteString(line)
			if ui < len(uids) {
				if q := uidSigs[uids[ui]]; len(q) > 0 {
					l.writeSigs(w, q[0], primary)
					uidSigs[uids[ui]] = q[1:]
				}
				ui++
			}
			continue
		case isSub:
			flush()
			w.WriteString(line)
			if si < len(subs) {
				pending = subSigs[subs[si]]
				si++
			}
			continue
		case line == "\n":
			flush()
		}
		w.WriteString(line)
	}
	flush()
}

// verify checks one signature of the certificate of primary on part.
func (l *sigListing) verify(s sigInfo, part *certPart, primary *packet.PublicKey) (byte, *packet.PublicKey) {
	var signer *packet.PublicKey
	if s.keyID == primary.KeyId {
		signer = primary
	} else {
		for _, k := range l.a.keyring().KeysById(s.keyID) {
			if k.PublicKey.KeyId == s.keyID {
				signer = k.PublicKey
				break
			}
		}
	}
	if signer == nil {
		return '?', nil
	}
	if !l.check {
		return ' ', signer
	}
	if signer != primary && l.signerRevoked(signer) {
		// gpg will not check with a revoked key (unusable public key):
		// like a missing key, '?' in colons and left out otherwise.
		return '?', signer
	}
	sig, err := pgp.ParseSignature(s.raw)
	if err != nil {
		return '%', signer
	}
	h, err := sig.PrepareVerify()
	if err != nil {
		return '%', signer
	}
	switch {
	case part.isUID:
		err = signer.VerifyUserIdSignature(part.uid, primary, sig)
	case part.sub != nil:
		if err = primary.SerializeForHash(h); err == nil {
			if err = part.sub.SerializeForHash(h); err == nil {
				err = signer.VerifySignature(h, sig)
			}
		}
	default:
		if err = primary.SerializeForHash(h); err == nil {
			err = signer.VerifySignature(h, sig)
		}
	}
	if err != nil {
		var unsupported pgperrors.UnsupportedError
		if errors.As(err, &unsupported) {
			return '%', signer
		}
		return '-', signer
	}
	return '!', signer
}

func (l *sigListing) signerRevoked(signer *packet.PublicKey) bool {
	for _, e := range l.a.findCerts(fmt.Sprintf("%X", signer.Fingerprint)) {
		if e.PrimaryKey.KeyId == signer.KeyId && e.Revoked(l.a.now) {
			return true
		}
	}
	return false
}

// signerUID is the user ID gpg's get_user_id shows for a signer; its
// lookup of the signer's certificate is reported (userIDLookup).
func (l *sigListing) signerUID(signer *packet.PublicKey) (string, bool) {
	if signer == nil {
		return "[User ID not found]", false
	}
	for _, e := range l.a.findCerts(fmt.Sprintf("%X", signer.Fingerprint)) {
		l.a.userIDLookup(e.PrimaryKey.Fingerprint)
		if id := e.PrimaryIdentity(); id != nil {
			return id.Name, true
		}
	}
	return "[User ID not found]", false
}

func (l *sigListing) writeSigs(w *bufio.Writer, part *certPart, primary *packet.PublicKey) {
	if part == nil {
		return
	}
	for _, s := range part.sigs {
		if s.parseFailed {
			continue
		}
		kind := "sig"
		switch {
		case s.class == 0x20 || s.class == 0x28 || s.class == 0x30:
			kind = "rev"
		case s.class&^3 == 0x10 || s.class == 0x18 || s.class == 0x1f:
		default:
			if l.colons {
				fmt.Fprintf(w, "sig::::::::::%02x%c:\n", s.class, exportLetter(s))
			} else {
				fmt.Fprintf(w, "sig                             [unexpected signature class 0x%02x]\n", s.class)
			}
			continue
		}
		rc, signer := l.verify(s, part, primary)
		switch rc {
		case '!':
			l.good++
		case '-':
			l.bad++
		case '%':
			l.errored++
		case '?':
			l.noKey++
		}
		if l.colons {
			l.writeColonSig(w, kind, rc, s, signer)
		} else {
			l.writeHumanSig(w, kind, rc, s, signer)
		}
	}
}

func exportLetter(s sigInfo) byte {
	if s.exportable {
		return 'x'
	}
	return 'l'
}

func (l *sigListing) writeHumanSig(w *bufio.Writer, kind string, rc byte, s sigInfo, signer *packet.PublicKey) {
	if l.check && rc == '?' {
		return // gpg leaves out what it could not check for a missing key
	}
	if rc == '?' {
		rc = ' '
	}
	level := byte(' ')
	if s.class > 0x10 && s.class < 0x14 {
		level = '0' + s.class - 0x10
	}
	flag := func(on bool, c byte) byte {
		if on {
			return c
		}
		return ' '
	}
	depth := byte(' ')
	switch {
	case s.trustDepth > 9:
		depth = 'T'
	case s.trustDepth > 0:
		depth = '0' + byte(s.trustDepth)
	}
	expired := s.expires != 0 && s.expires <= l.a.now.Unix()
	fmt.Fprintf(w, "%s%c%c %c%c%c%c%c%c %s %s  ", kind, rc, level,
		flag(!s.exportable, 'L'), flag(!s.revocable, 'R'), flag(s.policy, 'P'),
		flag(s.notation, 'N'), flag(expired, 'X'), depth,
		keylist.KeyIDString(s.keyID, l.format), time.Unix(s.created, 0).UTC().Format("2006-01-02"))
	if rc == '%' {
		w.WriteString("[Unsupported algorithm] ")
	} else if !l.fast {
		name, _ := l.signerUID(signer)
		w.WriteString(name)
	}
	w.WriteString("\n")
	if kind == "rev" && s.hasReason {
		fmt.Fprintf(w, "      reason for revocation: %s\n", revocationReasonText(s.reasonCode))
		for _, line := range strings.Split(string(s.reasonText), "\n") {
			if line != "" {
				fmt.Fprintf(w, "         revocation comment: %s\n", listSanitized([]byte(line)))
			}
		}
	}
}

func revocationReasonText(code byte) string {
	switch code {
	case 0:
		return "No reason specified"
	case 1:
		return "Key is superseded"
	case 2:
		return "Key has been compromised"
	case 3:
		return "Key is no longer used"
	case 32:
		return "User ID is no longer valid"
	}
	return fmt.Sprintf("Unknown reason (%d)", code)
}

// colonSanitized is gpg's es_write_sanitized with ':' as delimiter.
func colonSanitized(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		if c < 0x20 || c == 0x7f || c == ':' {
			fmt.Fprintf(&s, "\\x%02x", c)
		} else {
			s.WriteByte(c)
		}
	}
	return s.String()
}

func (l *sigListing) writeColonSig(w *bufio.Writer, kind string, rc byte, s sigInfo, signer *packet.PublicKey) {
	// gpg looks the signer's user ID up unless checking failed; listing
	// without checks, a signer not in the store is '?' with gpg's
	// "[User ID not found]". --fast-list-mode looks up nothing.
	uid, found, looked := "", false, false
	if rc != '%' && !(l.check && rc == '?') && !l.fast {
		uid, found = l.signerUID(signer)
		looked = true
	}
	if !l.check {
		// only listing: '?' is what the user ID lookup did not find
		rc = ' '
		if looked && !found {
			rc = '?'
		}
	}
	w.WriteString(kind + ":")
	if rc != ' ' {
		w.WriteByte(rc)
	}
	expires := ""
	if s.expires != 0 {
		expires = strconv.FormatInt(s.expires, 10)
	}
	fmt.Fprintf(w, "::%d:%016X:%d:%s:", s.pubAlgo, s.keyID, s.created, expires)
	if s.trustDepth != 0 || s.trustValue != 0 {
		fmt.Fprintf(w, "%d %d", s.trustDepth, s.trustValue)
	}
	w.WriteString(":" + colonSanitized(s.regexp) + ":")
	if rc == '%' {
		w.WriteString("[Unsupported algorithm] ")
	} else if looked {
		w.WriteString(colonSanitized([]byte(uid)))
	}
	fmt.Fprintf(w, ":%02x%c", s.class, exportLetter(s))
	if kind == "rev" && s.hasReason {
		fmt.Fprintf(w, ",%02x", s.reasonCode)
	}
	fmt.Fprintf(w, "::%s:::%d:", s.issuerFpr, s.digestAlgo)
	if kind == "rev" && s.hasReason && len(s.reasonText) > 0 {
		w.WriteString("::::" + colonSanitized(s.reasonText) + ":")
	}
	w.WriteString("\n")
}

// summary is gpg's print_signature_stats on stderr.
func (l *sigListing) summary() {
	plural := func(n int, one, many string) {
		if n == 1 {
			l.a.infof(one, n)
		} else if n > 1 {
			l.a.infof(many, n)
		}
	}
	plural(l.good, "%d good signature", "%d good signatures")
	plural(l.bad, "%d bad signature", "%d bad signatures")
	plural(l.noKey, "%d signature not checked due to a missing key", "%d signatures not checked due to missing keys")
	plural(l.errored, "%d signature not checked due to an error", "%d signatures not checked due to errors")
}
