package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/keylist"
	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/pgp/dnsrec"
	"github.com/frontpgp/front/store"
	"github.com/frontpgp/front/trust"
)

// secretDirName must match keyhelper's; front only stats it.
const secretDirName = "private-keys.d"

// secretKeys returns which (sub)keys have secrets, refreshing the public
// list from keyhelper when it is missing or stale.
func (a *app) secretKeys() map[string]store.SecretInfo {
	if a.secrets != nil {
		return a.secrets
	}
	if a.remoteSigner != "" {
		return a.remoteSecretKeys()
	}
	// GnuPG's key directory too: keyhelper lists the keys GnuPG keeps
	// (gnupgsecrets.go), and gpg may add, delete or re-protect them
	m, ok := a.store.SecretKeys(filepath.Join(a.home, secretDirName), filepath.Join(a.home, gnupgKeyDirName))
	if !ok {
		var res ipc.ListResult
		if err := a.callKeyhelper(false, &ipc.ListRequest{}, &res); err != nil {
			a.errorf("listing secret keys: %v", err)
			return map[string]store.SecretInfo{}
		}
		m = a.recordListing(res.Listing)
	}
	a.secrets = m
	return m
}

// listingMap is keyhelper's listing keyed by fingerprint; listingEntries
// turns it back.
func listingMap(l []ipc.SecretEntry) map[string]store.SecretInfo {
	m := map[string]store.SecretInfo{}
	for _, e := range l {
		m[fmt.Sprintf("%X", e.Fingerprint)] = store.SecretInfo{Primary: e.Primary, Protected: e.Protected, Stub: e.Stub, CardSerial: e.CardSerial}
	}
	return m
}

func listingEntries(m map[string]store.SecretInfo) []ipc.SecretEntry {
	var l []ipc.SecretEntry
	for fpr, s := range m {
		b, err := hex.DecodeString(fpr)
		if err != nil {
			continue
		}
		l = append(l, ipc.SecretEntry{Fingerprint: b, Primary: s.Primary, Protected: s.Protected, Stub: s.Stub, CardSerial: s.CardSerial})
	}
	return l
}

func (a *app) recordListing(l []ipc.SecretEntry) map[string]store.SecretInfo {
	m := listingMap(l)
	if err := a.store.WriteSecretKeys(m); err != nil {
		a.infof("could not record the secret key list: %v", err)
	}
	a.secrets = m
	return m
}

// hasSecret: pk's secret is here or on a card.
func (a *app) hasSecret(pk *packet.PublicKey) bool {
	s, ok := a.secretKeys()[fmt.Sprintf("%X", pk.Fingerprint)]
	return ok && (!s.Stub || s.CardSerial != "")
}

// cardOf is the serial of the card holding pk's secret, or "".
func (a *app) cardOf(pk *packet.PublicKey) string {
	return a.secretKeys()[fmt.Sprintf("%X", pk.Fingerprint)].CardSerial
}

// markSecrets fills k.Secret (and k.CardSerial) from the secret listing.
func (a *app) markSecrets(k *keylist.Key) {
	for _, pk := range allKeys(k.Entity) {
		s, ok := a.secretKeys()[fmt.Sprintf("%X", pk.PublicKey.Fingerprint)]
		if !ok {
			continue
		}
		k.Secret[pk.PublicKey.KeyId] = secretState(s)
		if s.CardSerial != "" {
			if k.CardSerial == nil {
				k.CardSerial = map[uint64]string{}
			}
			k.CardSerial[pk.PublicKey.KeyId] = s.CardSerial
		}
	}
}

// secretState is how a listing marks a key with secret info s.
func secretState(s store.SecretInfo) keylist.SecretState {
	switch {
	case s.CardSerial != "":
		return keylist.SecretCard
	case s.Stub:
		return keylist.SecretStub
	}
	return keylist.SecretPresent
}

func (a *app) isOwn(e *openpgp.Entity) bool {
	_, ok := a.secretKeys()[fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)]
	return ok
}

// errInvalidExpire is parseExpire's error; gpg reports it as "Invalid
// value" (GPG_ERR_INV_VALUE) where it names no better message.
var errInvalidExpire = errors.New("Invalid value")

// maxExpire is the largest lifetime gpg stores: it caps at 2^32-2 seconds.
const maxExpire = 1<<32 - 2

// parseExpire reads an expiration as gpg's parse_expire_string does
// (case matters, as in gpg): "", "none", "never", "-" mean none;
// "seconds=N"; an ISO date YYYY-MM-DD, meaning noon UTC of that day, if
// that is still ahead; an ISO time YYYYMMDDTHHMMSS (UTC); else N days,
// or N with a suffix d, w, m (30 days) or y (365 days), any case. The
// result is a lifetime in seconds from now, 0 for none.
func parseExpire(s string, now time.Time) (int64, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "", "none", "never", "-":
		return 0, nil
	}
	if digits, ok := strings.CutPrefix(s, "seconds="); ok {
		n, err := strconv.ParseUint(digits, 10, 32)
		if err != nil {
			return 0, errInvalidExpire
		}
		return int64(n), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if noon := t.Unix() + 43200; noon > now.Unix() {
			return noon - now.Unix(), nil
		}
	}
	if t, err := time.Parse("20060102T150405", s); err == nil {
		if d := t.Unix() - now.Unix(); d > 0 {
			return min(d, maxExpire), nil
		}
		// gpg 2.2.40 turns an ISO time already past into a key that
		// expires one second after its creation (observed)
		return 1, nil
	}
	mult := map[byte]int64{'d': 1, 'w': 7, 'm': 30, 'y': 365}
	digits, m := s, int64(1)
	if last := s[len(s)-1]; last < '0' || last > '9' {
		digits, m = s[:len(s)-1], mult[last|0x20]
	}
	if m == 0 || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, errInvalidExpire
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return maxExpire, nil // more digits than int64 holds
	}
	if n > maxExpire/(86400*m) {
		return maxExpire, nil
	}
	return n * 86400 * m, nil
}

func (a *app) quickGenKey(args []string) error {
	if len(args) < 1 || len(args) > 4 {
		return &exitError{2, "usage: --quick-generate-key USER-ID [ALGO [USAGE [EXPIRE]]]"}
	}
	arg := func(i string, n int) string {
		if len(args) > n {
			return args[n]
		}
		return i
	}
	uid, algo, usage, expire := args[0], arg("default", 1), arg("default", 2), arg("2y", 3)
	if expire == "default" || expire == "-" {
		expire = "2y"
	}
	// gpg checks the arguments before it looks for an existing key and
	// reports a bad one without status lines
	keygenFailed := func(err error) error {
		return &exitError{2, "Key generation failed: " + err.Error()}
	}
	exp, err := parseExpire(expire, a.now)
	if err != nil {
		return keygenFailed(err)
	}
	req := &ipc.GenerateRequest{UserID: uid, Created: a.now.Unix(), V6: a.opts.has("rfc9580")}
	switch {
	case pgp.IsDefaultAlgo(algo) && pgp.IsDefaultUsage(usage):
		req.Primary = ipc.KeySpec{Algo: "ed25519", Usage: "sign,cert", ExpireSecs: exp}
		req.Subkeys = []ipc.KeySpec{{Algo: "cv25519", Usage: "encr"}}
	default:
		// an explicit algorithm or usage makes one primary key, as in gpg;
		// "default" is front's default algorithm (see the README)
		if pgp.IsDefaultAlgo(algo) {
			algo = "ed25519"
		}
		pa, pu, err := pgp.QuickPrimary(algo, usage)
		if err != nil {
			return keygenFailed(err)
		}
		req.Primary = ipc.KeySpec{Algo: pa, Usage: pu, ExpireSecs: exp}
	}
	if len(a.findCerts("="+uid)) > 0 && !a.opts.has("yes") {
		return &exitError{2, "A key for \"" + uid + "\" already exists"}
	}
	return a.generate(req)
}

func (a *app) generate(req *ipc.GenerateRequest) error {
	var res ipc.GenerateResult
	a.keepNewPassphrase = true
	defer func() { a.keepNewPassphrase, a.newKeyPassphrase = false, nil }()
	if err := a.callKeyhelper(true, req, &res); err != nil {
		code, _ := helperErrorCode(err)
		a.status.Emit("KEY_NOT_CREATED")
		a.failure("genkey", code)
		return &exitError{2, "key generation failed: " + err.Error()}
	}
	a.recordListing(res.Listing)
	el, err := openpgp.ReadKeyRing(bytes.NewReader(res.Public))
	if err != nil || len(el) != 1 {
		return &exitError{2, "key generation returned an invalid key"}
	}
	e := el[0]
	return a.keyGenerated(&newKey{e: e})
}

// newKey is a key just generated, by keyhelper or on a card.
type newKey struct {
	e *openpgp.Entity
	// onCard: the keys are on a card; stored runs once the public key is
	// in the store (the stubs are written there) and revocation is the
	// card's revocation signature (nil if the card made none).
	onCard     bool
	stored     func()
	revocation []byte
}

// keyGenerated stores the public key of a new key and does what gpg does
// after generating one: ultimate ownertrust, the revocation certificate,
// KEY_CREATED and the listing.
func (a *app) keyGenerated(nk *newKey) error {
	e := nk.e
	unlock, err := a.store.Lock()
	if err != nil {
		return err
	}
	err = a.store.Put(e)
	unlock()
	if err != nil {
		return err
	}
	a.certs = append(a.certs, e)
	if nk.stored != nil {
		nk.stored()
	}
	fpr := fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
	// gpg marks a key it generates ultimately trusted in its trustdb
	if err := a.updateOwnertrust(fpr, trust.Ultimate); err != nil {
		return err
	}
	switch {
	case !nk.onCard:
		a.infof("key %016X marked as ultimately trusted", e.PrimaryKey.KeyId)
		a.status.Emit("KEY_CONSIDERED", fpr, "0")
		a.storeRevocation(e)
	case nk.revocation != nil:
		// gpg's trustdb says nothing: the agent learns the card's keys
		// only later, so gpg does not count the key as its own yet
		a.writeRevocation(e, nk.revocation, true)
	}
	kind := "P"
	if len(e.Subkeys) > 0 {
		kind = "B"
	}
	a.status.Emit("KEY_CREATED", kind, fpr)
	switch {
	case a.opts.has("batch"):
	case nk.onCard:
		// gpg lists it before its trustdb counts it as its own key: no
		// trustdb check, no validity
		a.listNoValidity = true
		defer func() { a.listNoValidity = false }()
		return a.writeListing([]*openpgp.Entity{e}, false, "", nil)
	default:
		hdr := a.listingPrologue()
		return a.writeListing([]*openpgp.Entity{e}, false, "", &hdr)
	}
	return nil
}

// genKeyBatch reads a gpg parameter file (--batch --gen-key FILE).
func (a *app) genKeyBatch(args []string) error {
	if !a.opts.has("batch") {
		return &exitError{2, "interactive key generation is not supported; use --quick-generate-key or --batch"}
	}
	in, err := a.openInput(firstArg(args))
	if err != nil {
		return err
	}
	defer in.Close()
	params := map[string]string{}
	noProtection := false
	flush := func() error {
		if len(params) == 0 {
			return nil
		}
		defer func() { params = map[string]string{} }()
		req, err := a.paramsToRequest(params, noProtection)
		if err != nil {
			return err
		}
		if pass, ok := params["passphrase"]; ok && !noProtection {
			a.passphrase, a.passphraseRead = []byte(pass), true
		}
		return a.generate(req)
	}
	sc := bufio.NewScanner(io.LimitReader(in, 1<<20))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if line[0] == '%' {
			switch strings.ToLower(strings.Fields(line)[0]) {
			case "%commit":
				if err := flush(); err != nil {
					return err
				}
			case "%no-protection":
				noProtection = true
			case "%echo":
				a.infof("%s", strings.TrimSpace(line[5:]))
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return &exitError{2, fmt.Sprintf("invalid parameter line: %q", line)}
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if k == "key-type" && len(params) > 0 {
			if err := flush(); err != nil {
				return err
			}
		}
		params[k] = strings.TrimSpace(v)
	}
	return flush()
}

func (a *app) paramsToRequest(p map[string]string, noProtection bool) (*ipc.GenerateRequest, error) {
	uid := p["name-real"]
	if c := p["name-comment"]; c != "" {
		uid += " (" + c + ")"
	}
	if e := p["name-email"]; e != "" {
		if uid != "" {
			uid += " "
		}
		uid += "<" + e + ">"
	}
	if uid == "" {
		return nil, &exitError{2, "no user ID given in parameter file"}
	}
	exp, err := parseExpire(p["expire-date"], a.now)
	if err != nil {
		return nil, &exitError{2, err.Error()}
	}
	algo := func(typ, length, curve string) (string, error) {
		switch strings.ToLower(typ) {
		case "rsa", "1":
			return pgp.CanonicalAlgo("rsa" + length)
		case "dsa", "17":
			return pgp.CanonicalAlgo("dsa" + length)
		case "elg-e", "elg", "16":
			return pgp.CanonicalAlgo("elg" + length)
		case "eddsa", "22", "ecdh", "18", "ecdsa", "19":
			if curve == "" {
				return "", fmt.Errorf("Key-Curve missing")
			}
			switch strings.ToLower(curve) {
			case "ed25519":
				return "ed25519", nil
			case "cv25519", "curve25519":
				return "cv25519", nil
			case "nistp256", "nist p-256":
				return "nistp256", nil
			case "nistp384", "nist p-384":
				return "nistp384", nil
			}
			return "", fmt.Errorf("unsupported curve %q", curve)
		case "default":
			return "ed25519", nil
		}
		return "", fmt.Errorf("unsupported key type %q", typ)
	}
	pa, err := algo(p["key-type"], p["key-length"], p["key-curve"])
	if err != nil {
		return nil, &exitError{2, err.Error()}
	}
	usage := p["key-usage"]
	if usage == "" {
		usage = pgp.DefaultUsage(p["key-type"])
	}
	req := &ipc.GenerateRequest{
		UserID: uid, Created: a.now.Unix(), NoProtection: noProtection, V6: a.opts.has("rfc9580"),
		Primary: ipc.KeySpec{Algo: pa, Usage: usage + ",cert", ExpireSecs: exp},
	}
	if st := p["subkey-type"]; st != "" {
		sa, err := algo(st, p["subkey-length"], p["subkey-curve"])
		if err != nil {
			return nil, &exitError{2, err.Error()}
		}
		su := p["subkey-usage"]
		if su == "" {
			su = pgp.DefaultUsage(st)
		}
		req.Subkeys = []ipc.KeySpec{{Algo: sa, Usage: su, ExpireSecs: exp}}
	}
	return req, nil
}

func firstArg(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	return ""
}

func (a *app) exportCmd(args []string, secret, subkeysOnly bool) error {
	var ents openpgp.EntityList
	if len(args) == 0 {
		ents = a.loadCerts()
	}
	for _, s := range args {
		ents = append(ents, a.findCerts(s)...)
	}
	// a key named twice is exported once, all in the store's order (gpg
	// searches its keyring once for all names)
	seen := map[string]bool{}
	unique := ents[:0:0]
	for _, e := range ents {
		if !seen[string(e.PrimaryKey.Fingerprint)] {
			seen[string(e.PrimaryKey.Fingerprint)] = true
			unique = append(unique, e)
		}
	}
	ents = unique
	a.inStoreOrder(ents)
	var buf bytes.Buffer
	var exported [][]byte
	secretCount := 0
	opts := a.exportOptions()
	records := opts&(exportDANE|exportPKA) != 0
	if opts&exportDANE != 0 {
		opts |= exportMinimal | exportClean // as gpg: the smallest key in DNS
	}
	if secret {
		if records {
			return &exitError{2, "export options export-dane and export-pka are not supported by front for secret keys"}
		}
		var fprs [][]byte
		for _, e := range ents {
			if a.isOwn(e) {
				fprs = append(fprs, e.PrimaryKey.Fingerprint)
			}
		}
		if len(fprs) > 0 {
			var res ipc.ExportResult
			if err := a.callKeyhelper(false, &ipc.ExportRequest{Fingerprints: fprs, SubkeysOnly: subkeysOnly}, &res); err != nil {
				return &exitError{2, "export failed: " + err.Error()}
			}
			buf.Write(res.Data)
			for _, f := range fprs {
				a.status.Emit("KEY_CONSIDERED", fmt.Sprintf("%X", f), "0")
			}
			exported, secretCount = fprs, len(fprs)
		}
	} else {
		if err := refuseExportFormats(opts); err != nil {
			return err
		}
		// The stored packets, not a re-serialization: go-crypto's model
		// drops packets (old self-signatures, third-party certifications)
		// that the store keeps as gpg does.
		signers := a.signerKeys(nil)
		for _, e := range ents {
			raw, err := a.store.GetRaw(e.PrimaryKey.Fingerprint)
			if err != nil {
				return err
			}
			data := a.exportFilter(raw, opts, signers)
			if len(data) == 0 {
				continue
			}
			if records {
				// gpg prints DNS records instead of the key
				if err := dnsrec.Write(&buf, e.PrimaryKey.Fingerprint, a.recordUserIDs(data, opts&exportClean != 0), data,
					opts&exportPKA != 0, opts&exportDANE != 0); err != nil {
					return err
				}
			} else {
				buf.Write(data)
			}
			exported = append(exported, e.PrimaryKey.Fingerprint)
		}
	}
	for _, f := range exported {
		a.status.Emit("EXPORTED", fmt.Sprintf("%X", f))
	}
	if buf.Len() == 0 {
		a.infof("WARNING: nothing exported")
		a.status.Emit("EXPORT_RES", strconv.Itoa(len(ents)), "0", "0")
		return nil
	}
	defer a.status.Emit("EXPORT_RES", strconv.Itoa(len(ents)), strconv.Itoa(secretCount), strconv.Itoa(len(exported)))
	out, err := a.openOutput("")
	if err != nil {
		return err
	}
	w := out.w
	var aw io.WriteCloser
	if a.armor() && !records {
		typ := "PGP PUBLIC KEY BLOCK"
		if secret {
			typ = "PGP PRIVATE KEY BLOCK"
		}
		aw, err = armor.Encode(out.w, typ, nil)
		if err != nil {
			return err
		}
		w = aw
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		out.abort()
		return err
	}
	if aw != nil {
		aw.Close()
		io.WriteString(out.w, "\n")
	}
	return out.commit()
}

// exportFilter applies the export options to one stored certificate as
// gpg's do_export_stream and do_export_one_keyblock do: export-clean
// (export-minimal) first, then local signatures, signatures naming a
// sensitive revoker and attribute user IDs are left out unless asked for.
func (a *app) exportFilter(raw []byte, opts uint32, signers store.SignerKeys) []byte {
	kb, err := store.ParseKeyblock(raw)
	if err != nil {
		return raw
	}
	if opts&exportClean != 0 {
		now := uint32(a.now.Unix())
		minimal := opts&exportMinimal != 0
		kb.CleanUIDs(now, minimal, signers)
		level := store.SubkeyCleanAuthEncr
		if minimal {
			level = store.SubkeyCleanAll
		}
		kb.CleanSubkeys(now, level)
	}
	kb.ExportFilter(opts&exportLocalSigs != 0, opts&exportSensitiveRevkeys != 0, opts&exportAttributes != 0)
	return kb.Bytes()
}

// recordUserIDs lists the user IDs of an exported keyblock that gpg makes
// DNS records for. gpg leaves out revoked and expired user IDs only when
// export-clean (implied by export-dane) has worked out their state;
// otherwise (export-pka alone) it lists every user ID.
func (a *app) recordUserIDs(exported []byte, cleaned bool) []dnsrec.UserID {
	kb, err := store.ParseKeyblock(exported)
	if err != nil {
		return nil
	}
	now := a.now.Unix()
	var uids []dnsrec.UserID
	for _, u := range kb.UserIDsForEdit(uint32(now)) {
		if u.Attribute || cleaned && a.uidUnusable(u) {
			continue
		}
		uids = append(uids, dnsrec.UserID{Name: u.Text, Shown: keylist.DisplayName(u.Text)})
	}
	return uids
}

// uidUnusable: revoked, or its self-signature has expired.
func (a *app) uidUnusable(u store.EditUserID) bool {
	if u.Revoked {
		return true
	}
	p, err := packet.Read(bytes.NewReader(u.SelfSig))
	sig, ok := p.(*packet.Signature)
	return err == nil && ok && sig.SigExpired(a.now)
}

// signerKeys looks up the keys that may have made a certification: the
// stored certificates with a primary key or subkey of that key ID, then
// those of extra (keyblocks of this run not yet in the store).
func (a *app) signerKeys(extra func(keyID uint64) []*store.Keyblock) store.SignerKeys {
	cache := map[uint64][]*packet.PublicKey{}
	return func(id uint64) []*packet.PublicKey {
		if pks, ok := cache[id]; ok {
			return pks
		}
		var blocks []*store.Keyblock
		if fprs, err := a.store.Lookup(store.Query{Kind: store.QueryKeyID, KeyID: id}); err == nil {
			for _, fpr := range fprs {
				if raw, err := a.store.GetRaw(fpr); err == nil {
					if kb, err := store.ParseKeyblock(raw); err == nil {
						blocks = append(blocks, kb)
					}
				}
			}
		}
		if extra != nil {
			blocks = append(blocks, extra(id)...)
		}
		var pks []*packet.PublicKey
		for _, kb := range blocks {
			for _, pk := range kb.PublicKeys() {
				if pk.KeyId == id {
					pks = append(pks, pk)
				}
			}
		}
		cache[id] = pks
		return pks
	}
}

func (a *app) armor() bool {
	for i := len(a.opts.order) - 1; i >= 0; i-- {
		switch a.opts.order[i] {
		case "armor":
			return true
		case "no-armor":
			return false
		}
	}
	return false
}

// deleteCmd follows gpg's delete_keys: the first failure ends the command;
// a public key with a secret part needs --delete-secret-keys first (or
// --delete-secret-and-public-key); in --batch mode a key is deleted without
// confirmation only when named by fingerprint, or with --yes for public
// keys; secret keys always need --yes, as gpg-agent insists.
func (a *app) deleteCmd(args []string, secret, public bool) error {
	allowBoth := secret && public
	for _, spec := range args {
		ents := a.findCerts(spec)
		if len(ents) == 0 {
			a.status.Emit("DELETE_PROBLEM", "1")
			return &exitError{2, fmt.Sprintf("key \"%s\" not found: No public key", spec)}
		}
		e := ents[0]
		if a.isOwn(e) {
			if !secret {
				a.status.Emit("DELETE_PROBLEM", "2")
				a.errorf("there is a secret key for public key \"%s\"!", spec)
				a.infof("use option \"--delete-secret-keys\" to delete it first.")
				return &exitError{2, ""}
			}
			if err := a.deleteConfirmed(spec, e, true); err != nil {
				return err
			}
			var res ipc.DeleteResult
			if err := a.callKeyhelper(true, &ipc.DeleteRequest{Fingerprint: e.PrimaryKey.Fingerprint}, &res); err != nil {
				return &exitError{2, fmt.Sprintf("deleting secret key failed: %v", err)}
			}
			a.recordListing(res.Listing)
			if !allowBoth {
				continue
			}
		} else if !public {
			a.status.Emit("DELETE_PROBLEM", "1")
			return &exitError{2, fmt.Sprintf("key \"%s\" not found: No secret key", spec)}
		} else if err := a.deleteConfirmed(spec, e, false); err != nil {
			return err
		}
		unlock, err := a.store.Lock()
		if err != nil {
			return err
		}
		err = a.store.Delete(e.PrimaryKey.Fingerprint)
		unlock()
		if err != nil {
			return &exitError{2, fmt.Sprintf("deleting keyblock failed: %v", err)}
		}
		a.forgetCerts()
	}
	return nil
}

// deleteConfirmed applies gpg's confirmation rules for deleting e.
func (a *app) deleteConfirmed(spec string, e *openpgp.Entity, secret bool) error {
	yes := a.opts.has("yes")
	exact := isFingerprintSpec(spec)
	if a.opts.has("batch") {
		switch {
		case exact && (!secret || yes):
			return nil
		case secret && !exact:
			a.errorf("can't do this in batch mode")
			a.infof("(unless you specify the key by fingerprint)")
			return &exitError{2, ""}
		case !secret && yes:
			return nil
		case secret:
			a.errorf("%s: delete key failed: No pinentry", spec)
			a.infof("(try option \"--yes\" to delete anyway)")
			return &exitError{2, ""}
		}
		a.errorf("can't do this in batch mode without \"--yes\"")
		a.infof("(unless you specify the key by fingerprint)")
		return &exitError{2, ""}
	}
	if yes {
		return nil
	}
	what := "Delete this key from the keyring?"
	if secret {
		what = "Delete this key from the keyring? This is a secret key!"
	}
	if !a.confirm(fmt.Sprintf("%s %016X %s\n%s (y/N) ", keylist.AlgoName(e.PrimaryKey), e.PrimaryKey.KeyId, primaryUID(e), what)) {
		return &exitError{2, fmt.Sprintf("%s: delete key failed: Operation cancelled", spec)}
	}
	return nil
}

func isFingerprintSpec(spec string) bool {
	h := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(spec, "0x"), "0X"), "!")
	return isHex(h) && (len(h) == 40 || len(h) == 64)
}

// confirm asks a yes/no question on the terminal; no terminal means no.
func (a *app) confirm(question string) bool {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer tty.Close()
	fmt.Fprint(tty, question)
	line, err := bufio.NewReader(tty).ReadString('\n')
	if err != nil {
		return false
	}
	ans := strings.ToLower(strings.TrimSpace(line))
	return ans == "y" || ans == "yes"
}

func (a *app) listCmd(args []string, secret bool) error {
	hdr := a.listingPrologue()
	ents, header := a.certsToList(args, secret)
	return a.writeListing(ents, secret, header, &hdr)
}

// listingPrologue is what gpg's key listings do before they look keys
// up: the colon listing's tru record shows the trust state as stored,
// then the trustdb check runs if it is due (KEY_CONSIDERED lines for the
// keys its walk looks up come before the listing's own).
func (a *app) listingPrologue() keylist.TrustHeader {
	var hdr keylist.TrustHeader
	if a.opts.has("with-colons") {
		hdr = a.trustHeader()
	}
	a.checkIfDue()
	return hdr
}

// certsToList resolves a listing's arguments: all certificates (with the
// store's name as the header gpg prints) or those the specs name. gpg
// looks all names up as one search of its keyring, so the found keys
// come in the store's order, each once, and each is reported with
// KEY_CONSIDERED; a secret listing looks only at certificates with a
// secret key here.
func (a *app) certsToList(args []string, secret bool) (ents openpgp.EntityList, header string) {
	if len(args) == 0 {
		return a.loadCerts(), filepath.Join(a.home, "pubring.cert.d")
	}
	seen := map[string]bool{}
	for _, s := range args {
		for _, e := range a.findCerts(s) {
			if !seen[string(e.PrimaryKey.Fingerprint)] {
				seen[string(e.PrimaryKey.Fingerprint)] = true
				ents = append(ents, e)
			}
		}
	}
	// only when no name matches is it an error
	if len(ents) == 0 {
		a.errorf("error reading key: No public key")
		a.status.Emit("ERROR", "keylist.getkey", strconv.Itoa(errNoPubkey))
		return nil, ""
	}
	a.inStoreOrder(ents)
	if secret {
		own := ents[:0:0]
		for _, e := range ents {
			if a.isOwn(e) {
				own = append(own, e)
			}
		}
		if len(own) == 0 {
			a.errorf("error reading key: No secret key")
			a.status.Emit("ERROR", "keylist.getkey", strconv.Itoa(errNoSeckey))
		}
		ents = own
	}
	for _, e := range ents {
		a.keyConsidered(e.PrimaryKey.Fingerprint, 0)
	}
	return ents, ""
}

// writeListing lists ents; hdr is the colon listing's tru record (nil:
// none).
func (a *app) writeListing(ents []*openpgp.Entity, secret bool, header string, hdr *keylist.TrustHeader) error {
	var keys []keylist.Key
	origins := a.store.Origins()
	for _, e := range ents {
		k := keylist.Key{Entity: e, Validity: '-', Ownertrust: '-', Secret: map[uint64]keylist.SecretState{},
			Origin: origins.Cert(e.PrimaryKey.Fingerprint)}
		a.listingTrust(&k)
		if raw, err := a.store.GetRaw(e.PrimaryKey.Fingerprint); err == nil {
			k.UIDOrder = store.UserIDOrder(raw)
			if a.opts.has("with-colons") {
				k.Revokers = a.revokersOf(raw)
			}
		}
		a.markSecrets(&k)
		if secret && len(k.Secret) == 0 {
			continue
		}
		keys = append(keys, k)
	}
	if err := a.refuseListOptions(); err != nil {
		return err
	}
	fps := a.opts.count("fingerprint") + a.opts.count("with-fingerprint")
	format := strings.ToLower(a.opts.last("keyid-format"))
	lo := a.listOptions()
	opt := keylist.Options{
		Colons: a.opts.has("with-colons"), Secret: secret, Fingerprints: fps, SubkeyFingerprints: a.opts.has("with-subkey-fingerprint"),
		KeyIDFormat: format, Now: a.now, Homedir: header,
		WithKeygrip: a.opts.has("with-keygrip"), WithSecret: a.opts.has("with-secret"),
		FastList: a.opts.has("fast-list-mode"), WithKeyOrigin: a.opts.has("with-key-origin"),
		ShowUnusableUIDs: lo&listShowUnusableUIDs != 0, ShowUnusableSubkeys: lo&listShowUnusableSubkeys != 0,
		HideUsage: lo&listShowUsage == 0, HideUIDValidity: lo&listShowUIDValidity == 0,
		NoValidity: a.listNoValidity,
	}
	if hdr != nil {
		opt.Trust = *hdr
	} else {
		opt.NoTrustRecord = true
	}
	bw := bufio.NewWriter(a.stdout)
	if err := keylist.Write(bw, keys, opt); err != nil {
		return err
	}
	return bw.Flush()
}

// revokersOf lists the designated revokers of a stored certificate.
func (a *app) revokersOf(raw []byte) []keylist.Revoker {
	kb, err := store.ParseKeyblock(raw)
	if err != nil {
		return nil
	}
	var out []keylist.Revoker
	for _, r := range kb.Revokers(a.nowSecs()) {
		out = append(out, keylist.Revoker{Class: r.Class, Algo: r.Algo, Fingerprint: r.Fingerprint})
	}
	return out
}
