// Package keylist renders key listings byte for byte like GnuPG 2.2.40:
// --list-keys, --list-secret-keys, --fingerprint (once or twice),
// --keyid-format and --with-colons.
//
// Trust is not computed here: the caller supplies the trustdb view (key
// validity, per-UID validity, ownertrust, the "tru" record numbers). What can
// be derived from the key material alone -- expiry, revocation, usage, the
// primary user ID, the uid hash, the keygrip -- is derived here, following
// gpg's merge_selfsigs rules, at Options.Now.
package keylist

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/frontpgp/front/store"
)

// SecretState says which secret part is available for a primary key or
// subkey. Absence from Key.Secret means public only.
type SecretState int

const (
	// SecretPresent: the secret key is usable here ("sec"/"ssb", field 15 "+").
	SecretPresent SecretState = iota + 1
	// SecretStub: only a stub exists (gnu-dummy S2K, e.g. after
	// --export-secret-subkeys): "sec#"/"ssb#", field 15 "#".
	SecretStub
	// SecretCard: the key lives on a smartcard: "sec>"/"ssb>", field 15 is
	// the card serial number from Key.CardSerial.
	SecretCard
)

// Revoker is a designated revoker: its class, algorithm and fingerprint.
type Revoker struct {
	Class, Algo byte
	Fingerprint []byte
}

// Key is one keyblock to list plus the trust information gpg would take
// from its trustdb.
type Key struct {
	Entity *openpgp.Entity
	// Secret maps key IDs (primary or subkey) to their secret availability.
	Secret map[uint64]SecretState
	// CardSerial maps key IDs with SecretCard to the card serial number.
	CardSerial map[uint64]string
	// Validity is the key's validity letter as the trustdb computes it:
	// 'u' ultimate, 'f' full, 'm' marginal, '-' unknown, 'q' undefined,
	// 'n' never. Expired ('e'), revoked ('r') and invalid ('i') states are
	// derived from the key itself and override this.
	Validity byte
	// UIDValidity optionally gives per-user-ID validity letters (keyed by
	// the user ID string) for keys whose validity is not 'u'; user IDs not
	// in it get Validity. gpg shows 'u' for every user ID of an ultimately
	// valid key in colon mode but uses the per-UID value in human listings.
	UIDValidity map[string]byte
	// Ownertrust is field 9 of the pub/sec record: 'u' for own keys, '-'
	// unknown, 'f', 'm', 'n', 'q'... (0 prints nothing).
	Ownertrust byte
	// Disabled marks a key disabled in the trustdb (capability 'D').
	Disabled bool
	// Revokers are the designated revokers (rvk records in colon mode).
	Revokers []Revoker
	// UIDOrder lists the user IDs in keyblock (packet) order. go-crypto
	// stores identities in a map, so without it the order is reconstructed
	// from self-signature dates; ReadKeyRing fills it in.
	UIDOrder []string
	// Origin is the store's record of where the key and its user IDs
	// came from (colon fields 19 and 20, --with-key-origin).
	Origin store.CertOrigin
}

// TrustHeader holds the numbers of the colon-mode "tru" record:
// tru:<flags>:<model>:<created>:<nextcheck>:<marginals>:<completes>:<depth>.
type TrustHeader struct {
	Model     int   // trust model stored in the trustdb (1 = pgp)
	Created   int64 // trustdb creation time
	NextCheck int64 // next scheduled trustdb check, 0 = none
	Marginals int   // marginals-needed (3)
	Completes int   // completes-needed (1)
	CertDepth int   // max-cert-depth (5)
	// Flags are extra flag letters gpg prints after "tru:" when the stored
	// options differ from the current ones ('t', 'm', 'c', 'd', 'l'); the
	// 'o' (check overdue) flag is derived from NextCheck and Options.Now.
	Flags string
}

// Options select the listing style.
type Options struct {
	Colons       bool
	Secret       bool // --list-secret-keys: sec/ssb records, public-only keys skipped
	WithSecret   bool // --with-secret: mark secret availability in a public listing
	Fingerprints int  // number of --fingerprint/--with-fingerprint (2+: subkeys too)
	// SubkeyFingerprints is --with-subkey-fingerprint: subkey fingerprints
	// too, compact unless --fingerprint asked for the spaced form.
	SubkeyFingerprints bool
	// From --list-options: revoked and expired user IDs and subkeys are
	// shown too; HideUsage and HideUIDValidity turn show-usage and
	// show-uid-validity (gpg's defaults) off.
	ShowUnusableUIDs, ShowUnusableSubkeys bool
	HideUsage, HideUIDValidity            bool
	// NoValidity lists keys that are not in the store (--show-keys,
	// --import-options show-only): no validity, except that a revoked or
	// expired user ID still says so, as gpg's no_validity listing.
	NoValidity bool
	// KeyIDFormat is "none" (gpg 2.2 default, also ""), "short", "long",
	// "0xshort" or "0xlong".
	KeyIDFormat string
	WithKeygrip bool
	// FastList is --fast-list-mode: colon records carry no key validity
	// and no ownertrust (a revoked, expired or invalid key still says
	// so); user ID validity stays, as in gpg.
	FastList bool
	Now      time.Time
	// Homedir is the resource name printed as the human-mode header
	// ("/home/u/.gnupg/pubring.kbx" plus a line of dashes). gpg prints it only
	// when listing all keys; pass "" when names were given.
	Homedir string
	// Trust fills the colon-mode "tru" record of public listings. The zero
	// value prints what a freshly created trustdb holds:
	// tru::1:<Now>:0:3:1:5.
	Trust TrustHeader
	// NoTrustRecord leaves the tru record out: a command that lists keys
	// one at a time (--locate-keys) writes it once, before the first.
	NoTrustRecord bool
	// Charset is the output charset for user IDs in human listings: "" or
	// "utf-8" (gpg under a UTF-8 locale) or "iso-8859-1" (gpg under LC_ALL=C,
	// which it treats as Latin-1). Colon listings are always UTF-8.
	Charset string
	// WithKeyOrigin adds gpg's origin lines to human listings.
	WithKeyOrigin bool
}

// Write lists keys in order. Errors come only from w or from keys whose
// public key material cannot be parsed (which gpg would not have stored).
func Write(w io.Writer, keys []Key, opt Options) error {
	bw := bufio.NewWriter(w)
	now := opt.Now.Unix()
	if opt.Colons && !opt.Secret && !opt.NoTrustRecord {
		writeTru(bw, opt.Trust, now)
	}
	headerDone := false
	for i := range keys {
		k := &keys[i]
		if k.Entity == nil || k.Entity.PrimaryKey == nil {
			continue
		}
		if opt.Secret && len(k.Secret) == 0 {
			continue // gpg -K lists only keyblocks with some secret part
		}
		m, err := merge(k.Entity, k.UIDOrder, now)
		if err != nil {
			bw.Flush() // keep what was listed so far, as gpg would
			return fmt.Errorf("keylist: key %X: %w", k.Entity.PrimaryKey.Fingerprint, err)
		}
		if !opt.Colons && !headerDone && opt.Homedir != "" {
			bw.WriteString(opt.Homedir + "\n" + strings.Repeat("-", len(opt.Homedir)) + "\n")
		}
		headerDone = true
		if opt.Colons {
			writeColons(bw, k, m, &opt)
		} else {
			writeHuman(bw, k, m, &opt)
		}
	}
	return bw.Flush()
}

func writeTru(w *bufio.Writer, t TrustHeader, now int64) {
	if t == (TrustHeader{}) {
		t = TrustHeader{Model: 1, Created: now}
	}
	if t.Model == 0 {
		t.Model = 1
	}
	if t.Marginals == 0 {
		t.Marginals = 3
	}
	if t.Completes == 0 {
		t.Completes = 1
	}
	if t.CertDepth == 0 {
		t.CertDepth = 5
	}
	flags := ""
	if t.NextCheck != 0 && t.NextCheck <= now {
		flags = "o"
	}
	flags += t.Flags
	fmt.Fprintf(w, "tru:%s:%d:%d:%d", flags, t.Model, t.Created, t.NextCheck)
	// Only the classic (0) and PGP (1) models carry the counts.
	if t.Model == 0 || t.Model == 1 {
		fmt.Fprintf(w, ":%d:%d:%d", t.Marginals, t.Completes, t.CertDepth)
	}
	w.WriteString("\n")
}

// KeyIDString formats a key ID per --keyid-format. "none" and "" give the
// long form, which is what gpg 2.2 uses wherever it must print a key ID
// even in KF_NONE mode.
func KeyIDString(id uint64, format string) string {
	switch strings.ToLower(format) {
	case "short":
		return fmt.Sprintf("%08X", uint32(id))
	case "0xshort":
		return fmt.Sprintf("0x%08X", uint32(id))
	case "0xlong":
		return fmt.Sprintf("0x%016X", id)
	}
	return fmt.Sprintf("%016X", id)
}

// keyIDWidth is gpg's keystrlen(): the column width a key ID takes, which
// also sets the uid line indentation (10 in KF_NONE mode).
func keyIDWidth(format string) int {
	switch strings.ToLower(format) {
	case "short":
		return 8
	case "0xshort":
		return 10
	case "long":
		return 16
	case "0xlong":
		return 18
	}
	return 10
}

func isNoneFormat(format string) bool {
	f := strings.ToLower(format)
	return f == "" || f == "none"
}

// CapabilityString renders colon field 12 for a key (lowercase own usage)
// and, for the primary, the uppercase usable capabilities of the whole
// keyblock. It is exposed for callers that print colon records themselves.
func CapabilityString(k Key, now time.Time) (primary string, subkeys []string, err error) {
	m, err := merge(k.Entity, k.UIDOrder, now.Unix())
	if err != nil {
		return "", nil, err
	}
	primary = capsLower(&m.primary) + capsUpper(m, k.Disabled)
	for i := range m.subs {
		subkeys = append(subkeys, capsLower(&m.subs[i]))
	}
	return primary, subkeys, nil
}

func capsLower(s *keyState) string {
	var b strings.Builder
	if s.usage&useEnc != 0 {
		b.WriteByte('e')
	}
	cPrinted := false
	if s.usage&useSign != 0 {
		b.WriteByte('s')
		if s.primary {
			b.WriteByte('c')
			cPrinted = true
		}
	}
	if s.usage&useCert != 0 && !cPrinted {
		b.WriteByte('c')
	}
	if s.usage&useAuth != 0 {
		b.WriteByte('a')
	}
	if s.usage&useUnknown != 0 {
		b.WriteByte('?')
	}
	return b.String()
}

// capsUpper is the union of what the keyblock can still be used for: only
// keys that are valid, unrevoked and unexpired count.
func capsUpper(m *merged, disabled bool) string {
	var enc, sign, cert, auth bool
	consider := func(s *keyState) {
		if !s.valid || s.revoked || s.expired {
			return
		}
		if s.usage&useEnc != 0 {
			enc = true
		}
		if s.usage&useSign != 0 {
			sign = true
			if s.primary {
				cert = true
			}
		}
		if s.usage&useCert != 0 {
			cert = true
		}
		if s.usage&useAuth != 0 {
			auth = true
		}
	}
	consider(&m.primary)
	for i := range m.subs {
		consider(&m.subs[i])
	}
	var b strings.Builder
	if enc {
		b.WriteByte('E')
	}
	if sign {
		b.WriteByte('S')
	}
	if cert {
		b.WriteByte('C')
	}
	if auth {
		b.WriteByte('A')
	}
	if disabled {
		b.WriteByte('D')
	}
	return b.String()
}

// usageBracket is gpg's usagestr_from_pk: "SC", "E", "A"...
func usageBracket(u int) string {
	var b strings.Builder
	if u&useSign != 0 {
		b.WriteByte('S')
	}
	if u&useCert != 0 {
		b.WriteByte('C')
	}
	if u&useEnc != 0 {
		b.WriteByte('E')
	}
	if u&useAuth != 0 {
		b.WriteByte('A')
	}
	return b.String()
}

func colonTime(t int64) string {
	if t == 0 {
		return ""
	}
	return strconv.FormatInt(t, 10)
}

// colonOrigin is colon fields 19 and 20: the last update and the
// origin, with the URL after a space.
func colonOrigin(o store.Origin) string {
	s := colonTime(o.Updated) + ":" + strconv.Itoa(int(o.Kind))
	if o.URL != "" {
		s += " " + escapeColon(o.URL)
	}
	return s
}

// originLine is gpg's --with-key-origin line under a key or user ID,
// indented by indent spaces; "" when nothing is known.
func originLine(o store.Origin, indent int, charset string) string {
	if o.Kind == store.OriginUnknown && o.Updated == 0 && o.URL == "" {
		return ""
	}
	s := fmt.Sprintf("%sorigin=%s last=%s ", strings.Repeat(" ", indent), o.Kind, dateString(o.Updated))
	if o.URL != "" {
		s += "url=" + humanName(o.URL, charset)
	}
	return s + "\n"
}

func dateString(t int64) string {
	return time.Unix(t, 0).UTC().Format("2006-01-02")
}

// escapeColon is gpg's es_write_sanitized with ":" as delimiter (colon
// field 10): control bytes, DEL, ':' and '\' become C escapes; everything
// else, including UTF-8, is passed through.
func escapeColon(s string) string {
	return sanitize(s, true)
}

func sanitize(s string, delim bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7F || (delim && (c == ':' || c == '\\')) {
			b.WriteString(cEscape(c))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func cEscape(c byte) string {
	switch c {
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\f':
		return `\f`
	case '\v':
		return `\v`
	case '\b':
		return `\b`
	case 0:
		return `\0`
	}
	return fmt.Sprintf(`\x%02x`, c)
}

// DisplayName renders a user ID as front's human listings print it.
func DisplayName(s string) string { return humanName(s, "") }

// humanName renders a user ID for a human listing in the output charset.
func humanName(s string, charset string) string {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "latin1", "latin-1", "iso8859-1":
	default:
		return sanitize(s, false)
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			if c < 0x20 || c == 0x7F {
				b.WriteString(cEscape(c))
			} else {
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError && r <= 0xFF {
			b.WriteByte(byte(r))
		} else {
			for j := 0; j < size; j++ {
				fmt.Fprintf(&b, `\x%02x`, s[i+j])
			}
		}
		i += size
	}
	return b.String()
}
