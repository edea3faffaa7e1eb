package keylist

import (
	"bufio"
	"fmt"
	"strings"
)

// trustTag is the fixed-width validity label of human uid lines
// (gpg's uid_trust_string_fixed).
func trustTag(v byte) string {
	switch v {
	case 'u':
		return "[ultimate]"
	case 'f':
		return "[  full  ]"
	case 'm':
		return "[marginal]"
	case 'n':
		return "[  never ]"
	case 'q':
		return "[  undef ]"
	case 'e':
		return "[ expired]"
	case 'r':
		return "[ revoked]"
	}
	return "[ unknown]"
}

// uidValidity is the validity of one user ID as gpg's get_validity reports
// it: a revoked key wins over everything, then expiry, then the trustdb.
func uidValidity(k *Key, m *merged, u *uidState) byte {
	if m.primary.revoked {
		return 'r'
	}
	if m.primary.expired {
		return 'e'
	}
	if v, ok := k.UIDValidity[u.name]; ok {
		return v
	}
	return k.Validity
}

// secretMarker: ' ' usable secret, '#' stub or missing, '>' on a card.
func secretMarker(k *Key, keyID uint64) byte {
	switch k.Secret[keyID] {
	case SecretPresent:
		return ' '
	case SecretCard:
		return '>'
	}
	return '#'
}

func hexFpr(fp []byte) string { return fmt.Sprintf("%X", fp) }

// formatFpr groups a v4 fingerprint in blocks of four with a double space in
// the middle, as gpg's format_hexfingerprint does; a v6 (64-hex) one the
// same way (gpg 2.2.40 knows none; this keeps the v4 look).
func formatFpr(hex string) string { return FormatFingerprint(hex) }

// FormatFingerprint is formatFpr for the other commands' messages
// ("Primary key fingerprint: ..."); other lengths are returned as they are.
func FormatFingerprint(hex string) string {
	if len(hex) != 40 && len(hex) != 64 {
		return hex
	}
	var b strings.Builder
	for i := 0; i < len(hex); i += 4 {
		if i == len(hex)/2 {
			b.WriteString("  ")
		} else if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(hex[i : i+4])
	}
	return b.String()
}

func writeHuman(w *bufio.Writer, k *Key, m *merged, opt *Options) {
	secret := opt.Secret
	noneFmt := isNoneFormat(opt.KeyIDFormat)

	keyLine := func(s *keyState) {
		kind := "pub"
		switch {
		case s.primary && secret:
			kind = "sec"
		case !s.primary && secret:
			kind = "ssb"
		case !s.primary:
			kind = "sub"
		}
		marker := byte(' ')
		if secret {
			marker = secretMarker(k, s.pk.KeyId)
		}
		fmt.Fprintf(w, "%s%c  %s", kind, marker, s.mat.algoString())
		if !noneFmt {
			w.WriteString("/" + KeyIDString(s.pk.KeyId, opt.KeyIDFormat))
		}
		w.WriteString(" " + dateString(s.pk.CreationTime.Unix()))
		if !opt.HideUsage {
			w.WriteString(" [" + usageBracket(s.usage) + "]")
		}
		switch {
		case s.revoked:
			w.WriteString(" [revoked: " + dateString(s.revokedAt) + "]")
		case s.expired:
			w.WriteString(" [expired: " + dateString(s.expires) + "]")
		case s.expires != 0:
			w.WriteString(" [expires: " + dateString(s.expires) + "]")
		}
		w.WriteString("\n")
	}
	fprLine := func(s *keyState) {
		hex := hexFpr(s.pk.Fingerprint)
		if noneFmt {
			w.WriteString("      " + formatFpr(hex) + "\n")
		} else {
			w.WriteString("      Key fingerprint = " + formatFpr(hex) + "\n")
		}
	}
	cardLine := func(s *keyState) {
		if !secret || k.Secret[s.pk.KeyId] != SecretCard {
			return
		}
		w.WriteString("      Card serial no. = " + CardNumber(k.CardSerial[s.pk.KeyId]) + "\n")
	}

	p := &m.primary
	keyLine(p)
	if opt.Fingerprints == 0 {
		// Without --fingerprint gpg 2.2 still shows the compact fingerprint.
		w.WriteString("      " + hexFpr(p.pk.Fingerprint) + "\n")
	} else {
		fprLine(p)
	}
	if opt.WithKeygrip {
		w.WriteString("      Keygrip = " + Keygrip(p.pk) + "\n")
	}
	cardLine(p)
	if opt.WithKeyOrigin {
		w.WriteString(originLine(k.Origin.Key, 6, opt.Charset))
	}

	kl := keyIDWidth(opt.KeyIDFormat)
	for _, u := range m.uids {
		// Revoked and expired user IDs are hidden unless show-unusable-uids.
		if (u.revoked || u.expired) && !opt.ShowUnusableUIDs {
			continue
		}
		var v byte
		switch {
		case u.revoked:
			v = 'r'
		case u.expired:
			v = 'e'
		case opt.HideUIDValidity || opt.NoValidity:
		default:
			v = uidValidity(k, m, u)
		}
		indent := kl + 12 // the name's column without a validity tag
		if v == 0 {
			fmt.Fprintf(w, "uid%s%s\n", strings.Repeat(" ", indent), humanName(u.name, opt.Charset))
		} else {
			// gpg indents the tag so it lines up after the key ID column:
			// kl + 11 - 10 spaces, where 10 is the tag width.
			indent = kl + 1
			fmt.Fprintf(w, "uid%s%s %s\n", strings.Repeat(" ", indent), trustTag(v), humanName(u.name, opt.Charset))
		}
		if opt.WithKeyOrigin {
			w.WriteString(originLine(k.Origin.UserID([]byte(u.name)), indent+3, opt.Charset))
		}
	}
	for i := range m.subs {
		s := &m.subs[i]
		// Revoked and expired subkeys are hidden unless show-unusable-subkeys.
		if (s.revoked || s.expired) && !opt.ShowUnusableSubkeys {
			continue
		}
		keyLine(s)
		if opt.Fingerprints > 1 || opt.SubkeyFingerprints {
			if opt.Fingerprints == 0 {
				w.WriteString("      " + hexFpr(s.pk.Fingerprint) + "\n")
			} else {
				fprLine(s)
			}
			cardLine(s)
		}
		if opt.WithKeygrip {
			w.WriteString("      Keygrip = " + Keygrip(s.pk) + "\n")
		}
	}
	w.WriteString("\n")
}

func writeColons(w *bufio.Writer, k *Key, m *merged, opt *Options) {
	secret := opt.Secret
	hasSecret := secret || (opt.WithSecret && len(k.Secret) > 0)
	withGrip := secret || hasSecret || opt.WithKeygrip

	field15 := func(id uint64) string {
		if !hasSecret {
			return ""
		}
		switch k.Secret[id] {
		case SecretPresent:
			return "+"
		case SecretCard:
			return k.CardSerial[id]
		}
		return "#"
	}
	compliance := func(s *keyState) string {
		if s.mat.deVSCompliant() {
			return "23"
		}
		return ""
	}

	p := &m.primary
	var trust byte // key validity from the trustdb; also used for subkeys
	var letter byte
	switch {
	case !p.valid:
		letter = 'i'
	case p.revoked:
		letter = 'r'
	case p.expired:
		letter = 'e'
	case !opt.FastList:
		trust = k.Validity
		letter = trust
	}
	ultimate := k.Validity == 'u' && p.valid && !p.revoked && !p.expired

	kind := "pub"
	if secret {
		kind = "sec"
	}
	w.WriteString(kind + ":")
	if letter != 0 {
		w.WriteByte(letter)
	}
	fmt.Fprintf(w, ":%d:%d:%016X:%d:%s::", p.mat.nbits(), p.mat.algo, p.pk.KeyId,
		p.pk.CreationTime.Unix(), colonTime(p.expires))
	if k.Ownertrust != 0 && !opt.FastList {
		w.WriteByte(k.Ownertrust)
	}
	fmt.Fprintf(w, ":::%s%s:::%s::%s:%s:%s:\n", capsLower(p), capsUpper(m, k.Disabled),
		field15(p.pk.KeyId), p.mat.curveName(), compliance(p), colonOrigin(k.Origin.Key))
	for _, r := range k.Revokers {
		sensitive := ""
		if r.Class&0x40 != 0 {
			sensitive = "s"
		}
		fmt.Fprintf(w, "rvk:::%d::::::%X:%02x%s:\n", r.Algo, r.Fingerprint, r.Class, sensitive)
	}
	w.WriteString("fpr:::::::::" + hexFpr(p.pk.Fingerprint) + ":\n")
	if withGrip {
		w.WriteString("grp:::::::::" + Keygrip(p.pk) + ":\n")
	}

	for _, u := range m.uids {
		var v byte
		switch {
		case u.revoked:
			v = 'r'
		case u.expired:
			v = 'e'
		case ultimate:
			v = 'u'
		default:
			v = uidValidity(k, m, u)
		}
		w.WriteString("uid:")
		if v != 0 {
			w.WriteByte(v)
		}
		h := rmd160([]byte(u.name))
		fmt.Fprintf(w, "::::%s:%s:%X::%s:::::::::%s:\n",
			colonTime(u.created), colonTime(u.expires), h[:], escapeColon(u.name), colonOrigin(k.Origin.UserID([]byte(u.name))))
	}

	for i := range m.subs {
		s := &m.subs[i]
		kind := "sub"
		if secret {
			kind = "ssb"
		}
		w.WriteString(kind + ":")
		switch {
		case !s.valid:
			w.WriteByte('i')
		case s.revoked:
			w.WriteByte('r')
		case s.expired:
			w.WriteByte('e')
		case trust != 0:
			w.WriteByte(trust)
		}
		fmt.Fprintf(w, ":%d:%d:%016X:%d:%s:::::%s:::%s::%s:%s:\n", s.mat.nbits(), s.mat.algo,
			s.pk.KeyId, s.pk.CreationTime.Unix(), colonTime(s.expires), capsLower(s),
			field15(s.pk.KeyId), s.mat.curveName(), compliance(s))
		w.WriteString("fpr:::::::::" + hexFpr(s.pk.Fingerprint) + ":\n")
		if withGrip {
			w.WriteString("grp:::::::::" + Keygrip(s.pk) + ":\n")
		}
	}
}

// CardNumber is how gpg shows a card serial number: for an OpenPGP card
// (its AID in hex) the manufacturer and serial parts, else all of it.
func CardNumber(serial string) string {
	if len(serial) == 32 && strings.HasPrefix(serial, "D27600012401") {
		return serial[16:20] + " " + serial[20:28]
	}
	return serial
}
