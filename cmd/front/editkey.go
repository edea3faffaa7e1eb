package main

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/gpgtime"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/keylist"
	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/store"
	"github.com/frontpgp/front/trust"
)

// --edit-key as gpg 2.2.40's keyedit_menu: the key is shown, then
// commands are read from the command-line arguments, the command fd or
// the terminal. Changes to the keyblock are made in memory and written by
// save (quit without save keeps the stored key as it was); ownertrust,
// enable/disable and passwd take effect at once, as in gpg.

const controlDAnswer = "\x04"

type editSession struct {
	menuIO
	a        *app
	k        *editKey
	cmds     []string
	haveCmds bool
	selUID   map[string]bool // by user ID packet
	selKey   map[string]bool // by subkey fingerprint
	edits    []keyEdit
	modified bool
	haveSec  bool
	// validity shown is taken once, as gpg's (it warns that it may be
	// stale after a trust change)
	keyValid  *trust.Level
	uidValid  map[string]trust.Level
	warnStale bool
	didWarn   bool
	uidsSeen  bool
	order     map[string]int // user ID packet -> position when opened
	// primaryPkt is the user ID gpg flags primary (merge_keys_and_selfsig)
	primaryPkt []byte
	// moved are the keys keytocard put on a card: gpg's sec_shadowing,
	// their local secrets become stubs on save
	moved []movedKey
	card  *cardEditSession // keytocard's card, nil until used
}

// mergeSelfsigs notes the primary user ID as gpg's merge_keys_and_selfsig.
func (s *editSession) mergeSelfsigs(uids []store.EditUserID) {
	s.primaryPkt = []byte{}
	if p := primaryIndex(uids); p >= 0 {
		s.primaryPkt = uids[p].Packet
	}
}

// primaryIndex is the user ID gpg takes as primary: the flagged one with
// the newest self-signature, else the valid one with the newest
// self-signature; -1 if none.
func primaryIndex(uids []store.EditUserID) int {
	best, bestFlag := -1, false
	var bestTime uint32
	for i, u := range uids {
		if u.SelfSig == nil || u.Revoked {
			continue
		}
		if best < 0 || (u.Primary && !bestFlag) || (u.Primary == bestFlag && u.SelfSigCreated > bestTime) {
			best, bestFlag, bestTime = i, u.Primary, u.SelfSigCreated
		}
	}
	return best
}

// errBatchInput and errNoTTYInput are gpg's fatal cpr_get without a
// command fd in batch mode and with --no-tty.
var (
	errBatchInput = &exitError{2, "Sorry, we are in batchmode - can't get input"}
	errNoTTYInput = &exitError{2, "Sorry, no terminal at all requested - can't get input"}
)

// catchBatchInput turns the errBatchInput or errNoTTYInput panic of a
// dialog into its error.
func catchBatchInput(err *error) {
	if r := recover(); r != nil {
		e, ok := r.(*exitError)
		if !ok || e != errBatchInput && e != errNoTTYInput {
			panic(r)
		}
		*err = e
	}
}

func (a *app) editKeyCmd(args []string) (err error) {
	defer catchBatchInput(&err)
	if len(args) < 1 {
		return &usageError{"usage: gpg [options] --edit-key USER-ID [COMMANDS]"}
	}
	if !a.commandFD() && a.opts.has("batch") && len(args) == 1 {
		return &exitError{2, "can't do this in batch mode"}
	}
	return a.editKeyMenu(args[0], args[1:], true)
}

// editKeyMenu is gpg's keyedit_menu: --edit-key, and --sign-key and
// --lsign-key as the commands "sign"/"lsign" and "save" without the
// secret key check (seckeyCheck false).
func (a *app) editKeyMenu(spec string, cmds []string, seckeyCheck bool) error {
	k, err := a.loadEdit(spec, false)
	if err != nil {
		return err
	}
	a.status.Emit("KEY_CONSIDERED", fmt.Sprintf("%X", k.fpr), "0")
	if len(a.opts.values["local-user"]) > 0 {
		// gpg looks up the -u key (and the edited key again) first
		if signer, err := a.certifier(); err == nil {
			a.status.Emit("KEY_CONSIDERED", fmt.Sprintf("%X", signer.PrimaryKey.Fingerprint), "0")
			a.status.Emit("KEY_CONSIDERED", fmt.Sprintf("%X", k.fpr), "0")
		}
	}
	s := &editSession{menuIO: menuIO{a: a}, a: a, k: k, cmds: cmds, haveCmds: len(cmds) > 0,
		selUID: map[string]bool{}, selKey: map[string]bool{}, uidValid: map[string]trust.Level{}}
	defer s.openTerminal()()
	defer func() {
		if s.card != nil {
			clear(s.card.pw3)
		}
	}()
	s.haveSec = a.hasSecret(k.e.PrimaryKey)
	if seckeyCheck && s.haveSec {
		fmt.Fprintf(s.tty, "Secret key is available.\n")
	} else if seckeyCheck && a.isOwn(k.e) {
		fmt.Fprintf(s.tty, "Secret subkeys are available.\n")
	}
	return s.loop()
}

type editCmd struct {
	name, desc string
	needSK     bool
}

var editCmds = []editCmd{
	{"quit", "quit this menu", false},
	{"q", "", false},
	{"save", "save and quit", false},
	{"help", "show this help", false},
	{"?", "", false},
	{"fpr", "show key fingerprint", false},
	{"list", "list key and user IDs", false},
	{"l", "", false},
	{"uid", "select user ID N", false},
	{"key", "select subkey N", false},
	{"sign", "sign selected user IDs [* see below for related commands]", false},
	{"s", "", false},
	{"lsign", "sign selected user IDs locally", false},
	{"adduid", "add a user ID", true},
	{"deluid", "delete selected user IDs", false},
	{"addkey", "add a subkey", true},
	{"keytocard", "move a key to a smartcard", true},
	{"expire", "change the expiration date for the key or selected subkeys", true},
	{"primary", "flag the selected user ID as primary", true},
	{"passwd", "change the passphrase", true},
	{"trust", "change the ownertrust", false},
	{"disable", "disable key", false},
	{"enable", "enable key", false},
	{"toggle", "", false},
}

func (s *editSession) loop() error {
	a := s.a
	redisplay := true
	for {
		fmt.Fprintln(s.tty)
		if redisplay {
			s.show(true)
			fmt.Fprintln(s.tty)
			redisplay = false
		}
		var answer string
		for {
			if s.haveCmds {
				if len(s.cmds) > 0 {
					answer, s.cmds = s.cmds[0], s.cmds[1:]
				} else if a.opts.has("batch") {
					answer = "quit"
				} else {
					s.haveCmds = false
				}
			}
			if !s.haveCmds {
				answer = s.getLine("keyedit.prompt", "gpg> ")
			}
			answer = strings.TrimSpace(answer)
			if !strings.HasPrefix(answer, "#") {
				break
			}
		}
		cmd, arg := answer, ""
		switch {
		case answer == "":
			cmd = "list"
		case answer == controlDAnswer:
			cmd = "quit"
		case isDigits(answer):
			cmd, arg = "uid", answer
		default:
			if i := strings.IndexByte(answer, ' '); i >= 0 {
				cmd, arg = strings.TrimSpace(answer[:i]), strings.TrimSpace(answer[i+1:])
			}
			cmd = strings.ToLower(cmd)
			known := false
			for _, c := range editCmds {
				if c.name == cmd {
					known = true
					if c.needSK && !s.haveSec {
						fmt.Fprintf(s.tty, "Need the secret key to do this.\n")
						cmd = "nop"
					}
				}
			}
			if !known {
				cmd = "invalid"
			}
		}
		switch cmd {
		case "nop":
		case "help", "?":
			for _, c := range editCmds {
				if c.desc != "" && (!c.needSK || s.haveSec) {
					fmt.Fprintf(s.tty, "%-11s %s\n", c.name, c.desc)
				}
			}
			fmt.Fprintf(s.tty, "\n* The 'sign' command may be prefixed with an 'l' for local signatures (lsign),\n"+
				"  a 't' for trust signatures (tsign), an 'nr' for non-revocable signatures\n"+
				"  (nrsign), or any combination thereof (ltsign, tnrsign, etc.).\n")
		case "list", "l", "toggle":
			redisplay = true
		case "fpr":
			s.showFingerprint()
		case "uid":
			redisplay = s.selectUID(arg)
		case "key":
			redisplay = s.selectKey(arg)
		case "sign", "s", "lsign":
			if err := s.sign(cmd == "lsign"); err != nil {
				return err
			}
		case "trust":
			s.show(false)
			fmt.Fprintln(s.tty)
			if set, changed, err := s.editOwnertrust(); err != nil {
				return err
			} else if set {
				redisplay = true
				// the validity shown is stale only when the trustdb
				// needs a check (gpg's TRUST_FLAG_PENDING_CHECK)
				s.warnStale = s.warnStale || changed
			}
		case "enable", "disable":
			if err := s.setDisabled(cmd == "disable"); err != nil {
				return err
			}
		case "adduid":
			ok, err := s.addUID()
			if err != nil {
				return err
			}
			if ok {
				redisplay, s.modified = true, true
			}
		case "deluid":
			if s.delUID() {
				redisplay, s.modified = true, true
			}
		case "expire":
			ok, err := s.expire()
			if err != nil {
				return err
			}
			if ok {
				redisplay, s.modified = true, true
			}
		case "primary":
			ok, err := s.primary()
			if err != nil {
				return err
			}
			if ok {
				redisplay, s.modified = true, true
			}
		case "addkey":
			ok, err := s.addKey()
			if err != nil {
				return err
			}
			if ok {
				redisplay, s.modified = true, true
			}
		case "keytocard":
			if s.keyToCard() {
				redisplay = true
			}
		case "passwd":
			var res ipc.PasswdResult
			if err := a.callKeyhelper(true, &ipc.PasswdRequest{Primary: s.k.fpr}, &res); err != nil {
				code, e := helperErrorCode(err)
				a.failure("keyedit.passwd", code)
				msg := err.Error()
				if e != nil {
					msg = e.Message
				}
				a.errorf("key %016X: error changing passphrase: %s", s.k.e.PrimaryKey.KeyId, msg)
			} else {
				a.recordListing(res.Listing)
			}
		case "quit", "q":
			if s.haveCmds || (!s.modified && len(s.moved) == 0) {
				return nil
			}
			if !s.askYes("keyedit.save.okay", "Save changes? (y/N) ") {
				if a.commandFD() || s.askYes("keyedit.cancel.okay", "Quit without saving? (y/N) ") {
					return nil
				}
				break
			}
			return s.save()
		case "save":
			return s.save()
		default:
			fmt.Fprintf(s.tty, "\nInvalid command  (try \"help\")\n")
		}
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (s *editSession) save() error {
	if !s.modified && len(s.moved) == 0 {
		fmt.Fprintf(s.tty, "Key not changed so no update needed.\n")
		return nil
	}
	if s.modified {
		if err := s.a.commitEdits(s.k.fpr, s.edits, false); err != nil {
			return &exitError{2, "update failed: " + err.Error()}
		}
		s.edits, s.modified = nil, false
	}
	if err := s.saveMoved(); err != nil {
		return &exitError{2, "update failed: " + err.Error()}
	}
	return nil
}

// apply makes edits in memory (and queues them for save).
func (s *editSession) apply(edits []keyEdit) error {
	for _, ed := range edits {
		if ed.deleteUID {
			s.k.kb.DeleteUserID(ed.anchor)
		} else if err := s.k.kb.ApplyEdit(ed.anchor, ed.replaces, ed.sig); err != nil {
			return err
		}
	}
	s.edits = append(s.edits, edits...)
	el, err := openpgp.ReadKeyRing(bytes.NewReader(s.k.kb.Bytes()))
	if err == nil && len(el) == 1 {
		s.k.e = el[0]
	}
	if len(edits) > 0 && !edits[0].deleteUID {
		s.mergeSelfsigs(s.uids())
	}
	return nil
}

// uids are the user IDs in gpg's order: fix_keyblock's reorder_keyblock
// puts the primary user ID first when the key is opened.
func (s *editSession) uids() []store.EditUserID {
	list := s.k.kb.UserIDsForEdit(s.a.nowSecs())
	if s.order == nil {
		s.order = map[string]int{}
		p := primaryIndex(list)
		if p >= 0 {
			s.order[string(list[p].Packet)] = 0
		}
		for i, u := range list {
			if i != p {
				s.order[string(u.Packet)] = i + 1
			}
		}
	}
	rank := func(u store.EditUserID) int {
		if r, ok := s.order[string(u.Packet)]; ok {
			return r
		}
		return len(s.order) + 1
	}
	sort.SliceStable(list, func(i, j int) bool { return rank(list[i]) < rank(list[j]) })
	return list
}
func (s *editSession) subkeys() []store.EditSubkey {
	return s.k.kb.SubkeysForEdit(s.a.nowSecs())
}

func (s *editSession) selectedUIDs() []store.EditUserID {
	var out []store.EditUserID
	for _, u := range s.uids() {
		if s.selUID[string(u.Packet)] {
			out = append(out, u)
		}
	}
	return out
}

func (s *editSession) selectedKeys() []store.EditSubkey {
	var out []store.EditSubkey
	for _, k := range s.subkeys() {
		if s.selKey[string(k.Fingerprint)] {
			out = append(out, k)
		}
	}
	return out
}

func (s *editSession) selectUID(arg string) bool {
	uids := s.uids()
	if arg == "*" {
		for _, u := range uids {
			s.selUID[string(u.Packet)] = true
		}
		return true
	}
	n, _ := strconv.Atoi(arg)
	if n == 0 {
		s.selUID = map[string]bool{}
		return true
	}
	if n < 0 || n > len(uids) {
		fmt.Fprintf(s.tty, "No user ID with index %d\n", n)
		return false
	}
	p := string(uids[n-1].Packet)
	s.selUID[p] = !s.selUID[p]
	return true
}

func (s *editSession) selectKey(arg string) bool {
	subs := s.subkeys()
	if arg == "*" {
		for _, k := range subs {
			s.selKey[string(k.Fingerprint)] = true
		}
		return true
	}
	if isFingerprintSpec(arg) || (isHex(arg) && (len(arg) == 16 || len(arg) == 8)) {
		for _, k := range subs {
			if strings.HasSuffix(fmt.Sprintf("%X", k.Fingerprint), strings.ToUpper(strings.TrimPrefix(arg, "0x"))) {
				f := string(k.Fingerprint)
				s.selKey[f] = !s.selKey[f]
				return true
			}
		}
		fmt.Fprintf(s.tty, "No subkey with key ID '%s'.\n", arg)
		return false
	}
	n, _ := strconv.Atoi(arg)
	if n == 0 {
		s.selKey = map[string]bool{}
		return true
	}
	if n < 0 || n > len(subs) {
		fmt.Fprintf(s.tty, "No subkey with index %d\n", n)
		return false
	}
	f := string(subs[n-1].Fingerprint)
	s.selKey[f] = !s.selKey[f]
	return true
}

// show is show_key_with_all_names with subkeys (and, for the main
// display, revokers).
func (s *editSession) show(_ bool) {
	a, e, w := s.a, s.k.e, s.tty
	fpr := fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
	kind := "pub"
	if s.haveSec {
		kind = "sec"
	}
	fmt.Fprintf(w, "%s  %s/%016X\n", kind, keylist.AlgoName(e.PrimaryKey), e.PrimaryKey.KeyId)
	sig, _ := e.PrimarySelfSignature()
	var life *uint32
	if sig != nil {
		life = sig.KeyLifetimeSecs
	}
	fmt.Fprintf(w, "     created: %s  %s  usage: %s\n", e.PrimaryKey.CreationTime.UTC().Format("2006-01-02"), s.expiry(e.PrimaryKey.CreationTime, life), usageLetters(e))
	if model := a.trustModel(); model != "always" {
		fmt.Fprint(w, "     ")
		if model == "pgp" || model == "classic" || model == "auto" {
			ot := a.ownertrustOf(fpr).Word()
			fmt.Fprintf(w, "trust: %s%*s", ot, max(14-len(ot), 1), "")
		}
		if s.keyValid == nil {
			v := a.keyValidity(e)
			s.keyValid = &v
		}
		fmt.Fprintf(w, "validity: %s\n", s.keyValid.Word())
	}
	if a.ownertrustOf(fpr)&trust.Disabled != 0 {
		fmt.Fprintf(w, "*** This key has been disabled\n")
	}
	for _, sk := range s.subkeys() {
		var sub *openpgp.Subkey
		for i := range e.Subkeys {
			if bytes.Equal(e.Subkeys[i].PublicKey.Fingerprint, sk.Fingerprint) {
				sub = &e.Subkeys[i]
			}
		}
		if sub == nil {
			continue
		}
		kind := "sub"
		if a.hasSecret(sub.PublicKey) {
			kind = "ssb"
		}
		mark := ' '
		if s.selKey[string(sk.Fingerprint)] {
			mark = '*'
		}
		fmt.Fprintf(w, "%s%c %s/%016X\n", kind, mark, keylist.AlgoName(sub.PublicKey), sub.PublicKey.KeyId)
		var life *uint32
		if sub.Sig != nil {
			life = sub.Sig.KeyLifetimeSecs
		}
		when := s.expiry(sub.PublicKey.CreationTime, life)
		if sk.Revoked {
			when = "revoked: " + s.revokedDate(sub)
		}
		fmt.Fprintf(w, "     created: %s  %s  usage: %s\n", sub.PublicKey.CreationTime.UTC().Format("2006-01-02"), when, subUsage(sub.Sig))
	}
	uids := s.uids()
	if !s.uidsSeen {
		// gpg's validity cache: user IDs added later show as unknown
		s.uidsSeen = true
		for _, u := range uids {
			s.uidValid[u.Text] = a.uidValidity(e, u.Text)
		}
	}
	if s.primaryPkt == nil {
		s.mergeSelfsigs(uids)
	}
	for i, u := range uids {
		tag := "[ unknown]"
		switch {
		case u.Revoked:
			tag = "[ revoked]"
		default:
			if v, ok := s.uidValid[u.Text]; ok {
				tag = trustTagOf(v)
			}
		}
		mark := "  "
		if s.selUID[string(u.Packet)] {
			mark = "* "
		} else if string(u.Packet) == string(s.primaryPkt) {
			mark = ". "
		}
		_ = i
		fmt.Fprintf(w, "%s (%d)%s%s\n", tag, i+1, mark, printable(u.Text))
	}
	if s.warnStale && !s.didWarn {
		s.didWarn = true
		fmt.Fprintf(w, "Please note that the shown key validity is not necessarily correct\nunless you restart the program.\n")
	}
}

func (s *editSession) revokedDate(sub *openpgp.Subkey) string {
	if len(sub.Revocations) > 0 {
		return sub.Revocations[0].CreationTime.UTC().Format("2006-01-02")
	}
	return "?"
}

// expiry is "expires: DATE|never" or "expired: DATE".
func (s *editSession) expiry(created time.Time, life *uint32) string {
	if life == nil || *life == 0 {
		return "expires: never     "
	}
	end := created.Add(time.Duration(*life) * time.Second)
	if !end.After(s.a.now) {
		return "expired: " + end.UTC().Format("2006-01-02")
	}
	return "expires: " + end.UTC().Format("2006-01-02")
}

// subUsage is usagestr_from_pk for a subkey.
func subUsage(sig *packet.Signature) string {
	var b strings.Builder
	if sig != nil && sig.FlagsValid {
		if sig.FlagSign {
			b.WriteByte('S')
		}
		if sig.FlagCertify {
			b.WriteByte('C')
		}
		if sig.FlagEncryptCommunications || sig.FlagEncryptStorage {
			b.WriteByte('E')
		}
		if sig.FlagAuthenticate {
			b.WriteByte('A')
		}
	}
	return fmt.Sprintf("%-4s", b.String())
}

func trustTagOf(v trust.Level) string {
	switch v.Value() {
	case trust.Ultimate:
		return "[ultimate]"
	case trust.Fully:
		return "[  full  ]"
	case trust.Marginal:
		return "[marginal]"
	case trust.Never:
		return "[  never ]"
	case trust.Undefined:
		return "[  undef ]"
	case trust.Expired:
		return "[ expired]"
	}
	return "[ unknown]"
}

func (s *editSession) showFingerprint() {
	e := s.k.e
	kind := "pub"
	if s.haveSec {
		kind = "sec"
	}
	sig, _ := e.PrimarySelfSignature()
	var life *uint32
	if sig != nil {
		life = sig.KeyLifetimeSecs
	}
	exp := ""
	if life != nil && *life != 0 {
		exp = "  expires: " + e.PrimaryKey.CreationTime.Add(time.Duration(*life)*time.Second).UTC().Format("2006-01-02")
	}
	_, _ = kind, exp
	name := "[?]"
	if uids := s.uids(); len(uids) > 0 {
		name = uids[0].Text
	}
	fmt.Fprintf(s.tty, "pub   %s/%016X %s %s\n", keylist.AlgoName(e.PrimaryKey), e.PrimaryKey.KeyId,
		e.PrimaryKey.CreationTime.UTC().Format("2006-01-02"), printable(name))
	fmt.Fprintf(s.tty, " Primary key fingerprint: %s\n", spacedFingerprint(e.PrimaryKey.Fingerprint))
}

func (s *editSession) sign(local bool) error {
	uids := s.uids()
	sel := s.selectedUIDs()
	if len(uids) > 1 && len(sel) == 0 {
		if !s.askYes("keyedit.sign_all.okay", "Really sign all user IDs? (y/N) ") {
			fmt.Fprintf(s.tty, "Hint: Select the user IDs to sign\n")
			s.haveCmds = false
			return nil
		}
	}
	var names []string
	for _, u := range sel {
		names = append(names, u.Text)
	}
	if signer, err := s.a.certifier(); err == nil && bytes.Equal(signer.PrimaryKey.Fingerprint, s.k.fpr) {
		// the self-signatures count as signatures by the key
		s.a.status.Emit("KEY_CONSIDERED", fmt.Sprintf("%X", s.k.fpr), "0")
		s.a.status.Emit("KEY_CONSIDERED", fmt.Sprintf("%X", s.k.fpr), "0")
		todo := sel
		if len(todo) == 0 {
			todo = uids
		}
		for _, u := range todo {
			if u.SelfSig != nil && !u.Revoked {
				fmt.Fprintf(s.tty, "\"%s\" was already signed by key %016X\n", printable(u.Text), signer.PrimaryKey.KeyId)
				s.a.status.Emit("ALREADY_SIGNED", fmt.Sprintf("%016X", signer.PrimaryKey.KeyId))
			}
		}
		fmt.Fprintf(s.tty, "Nothing to sign with key %016X\n", signer.PrimaryKey.KeyId)
		return nil
	}
	edits, err := s.a.signUIDs(s.tty, s.k, names, local, false)
	if err != nil {
		if ee, ok := err.(*exitError); ok && ee.code == 2 && strings.Contains(ee.msg, "batchmode") {
			return err
		}
		s.a.errorf("%s", err.Error())
		return nil
	}
	if len(edits) > 0 {
		s.modified = true
		return s.apply(edits)
	}
	return nil
}

// updateOwnertrust writes a new ownertrust value for the key now (gpg's
// update_ownertrust).
func (a *app) updateOwnertrust(fpr string, v trust.Level) error {
	if _, err := a.trustState(); err != nil {
		return err
	}
	unlock, err := a.store.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	o, err := trust.Load(a.home)
	if err != nil {
		return &exitError{2, "reading ownertrust: " + err.Error()}
	}
	o.Set(fpr, v)
	if o.Created == 0 {
		o.Created = a.now.Unix()
	}
	if err := store.WriteAtomic(trust.Path(a.home), o.Marshal(), 0o600); err != nil {
		return &exitError{2, "trustdb: sync failed: " + err.Error()}
	}
	a.trust.owner = o
	a.markRevalidation()
	return nil
}

// editOwnertrust is edit_ownertrust in mode 1 (from the menu): set when a
// value was chosen, changed when it differs from the stored one (gpg's
// update_ownertrust writes and marks the trustdb for a check only then).
func (s *editSession) editOwnertrust() (set, changed bool, err error) {
	w := s.tty
	didHelp := false
	for {
		if !didHelp {
			fmt.Fprintf(w, "Please decide how far you trust this user to correctly verify other users' keys\n"+
				"(by looking at passports, checking fingerprints from different sources, etc.)\n\n")
			fmt.Fprintf(w, "  1 = I don't know or won't say\n  2 = I do NOT trust\n  3 = I trust marginally\n  4 = I trust fully\n  5 = I trust ultimately\n  m = back to the main menu\n\n")
			didHelp = true
		}
		p := strings.TrimSpace(s.getLine("edit_ownertrust.value", "Your decision? "))
		switch {
		case p == "":
			didHelp = false
		case len(p) > 1:
		case p[0] >= '1' && p[0] <= '5':
			v := trust.Level(p[0]-'1') + trust.Undefined
			if v == trust.Ultimate && !s.askYes("edit_ownertrust.set_ultimate.okay", "Do you really want to set this key to ultimate trust? (y/N) ") {
				continue
			}
			fpr := fmt.Sprintf("%X", s.k.fpr)
			old := s.a.ownertrustOf(fpr)
			if v |= old & trust.Disabled; v == old {
				return true, false, nil
			}
			return true, true, s.a.updateOwnertrust(fpr, v)
		case p == "m" || p == "M" || p == controlDAnswer:
			return false, false, nil
		}
	}
}

func (s *editSession) setDisabled(disable bool) error {
	fpr := fmt.Sprintf("%X", s.k.fpr)
	old := s.a.ownertrustOf(fpr)
	v := old &^ trust.Disabled
	if disable {
		v |= trust.Disabled
	}
	if v == old {
		return nil
	}
	if _, assigned := s.a.usableTrust().owner.Get(fpr); !assigned && old.Value() == trust.Ultimate {
		// the implied ultimate trust of an own key becomes explicit
		v = v&trust.Disabled | trust.Ultimate
	}
	return s.a.updateOwnertrust(fpr, v)
}

// askUserID is keygen.c's ask_user_id(1, 1, keyblock); "" when canceled.
func (s *editSession) askUserID() string {
	return s.askNewUserID(func(uid string) bool {
		for _, u := range s.uids() {
			if !u.Attribute && u.Text == uid {
				return true
			}
		}
		return false
	})
}

// askNewUserID is keygen.c's ask_user_id; exists says whether the key has
// the user ID already (nil for a new key); "" when canceled.
func (s *menuIO) askNewUserID(exists func(uid string) bool) string {
	w := s.tty
	var name, mail, comment string
	haveName, haveMail, haveComment := false, false, false
	for {
		for !haveName {
			name = strings.TrimSpace(s.getLine("keygen.name", "Real name: "))
			if name == controlDAnswer {
				return ""
			}
			switch {
			case strings.ContainsAny(name, "<>"):
				fmt.Fprintf(w, "Invalid character in name\nThe characters '<' and '>' may not appear in name\n")
			case isDigits(name):
				fmt.Fprintf(w, "Name may not start with a digit\n")
			case name != "" && len(name) < 5:
				fmt.Fprintf(w, "Name must be at least 5 characters long\n")
			default:
				haveName = true
			}
		}
		for !haveMail {
			mail = strings.TrimSpace(s.getLine("keygen.email", "Email address: "))
			if mail == controlDAnswer {
				return ""
			}
			if mail == "" || validMailbox(mail) {
				haveMail = true
			} else {
				fmt.Fprintf(w, "Not a valid email address\n")
			}
		}
		for !haveComment {
			comment = strings.TrimSpace(s.getLine("keygen.comment", "Comment: "))
			if comment == controlDAnswer {
				return ""
			}
			if strings.ContainsAny(comment, "()") {
				fmt.Fprintf(w, "Invalid character in comment\n")
			} else {
				haveComment = true
			}
		}
		uid := name
		if name == "" && mail != "" && comment == "" {
			uid = mail
		} else {
			if comment != "" {
				uid += " (" + comment + ")"
			}
			if mail != "" {
				uid += " <" + mail + ">"
			}
		}
		fmt.Fprintf(w, "You selected this USER-ID:\n    \"%s\"\n\n", uid)
		fail := false
		if mail == "" && (strings.Contains(name, "@") || strings.Contains(comment, "@")) {
			fail = true
			fmt.Fprintf(w, "Please don't put the email address into the real name or the comment\n")
		}
		if !fail && exists != nil && exists(uid) {
			fmt.Fprintf(w, "Such a user ID already exists on this key!\n")
			fail = true
		}
		for {
			var ans string
			if s.a.commandFD() {
				ans = "o"
				if fail {
					ans = "q"
				}
			} else if fail {
				ans = s.getLine("keygen.userid.cmd", "Change (N)ame, (C)omment, (E)mail or (Q)uit? ")
			} else {
				ans = s.getLine("keygen.userid.cmd", "Change (N)ame, (C)omment, (E)mail or (O)kay/(Q)uit? ")
			}
			switch strings.ToLower(strings.TrimSpace(ans)) {
			case "n":
				haveName = false
			case "c":
				haveComment = false
			case "e":
				haveMail = false
			case "o":
				if fail {
					fmt.Fprintf(w, "Please correct the error first\n")
					continue
				}
				return uid
			case "q", controlDAnswer:
				return ""
			default:
				continue
			}
			break
		}
	}
}

// validMailbox is gpg's is_valid_mailbox, roughly: local@domain with a
// dot in the domain and no spaces or brackets.
func validMailbox(m string) bool {
	at := strings.IndexByte(m, '@')
	if at <= 0 || at != strings.LastIndexByte(m, '@') || strings.ContainsAny(m, " <>\t") {
		return false
	}
	dom := m[at+1:]
	return strings.Contains(dom, ".") && !strings.HasPrefix(dom, ".") && !strings.HasSuffix(dom, ".") && !strings.Contains(dom, "..")
}

func (s *editSession) addUID() (bool, error) {
	uid := s.askUserID()
	if uid == "" {
		return false, nil
	}
	k := s.k
	tmpl := primaryTemplate(s.uids())
	if tmpl == nil {
		s.a.errorf("adding the user ID failed: No user ID")
		return false, nil
	}
	class, hashed, err := pgp.ReviseHashed(tmpl, s.a.nowSecs(), []pgp.Subpacket{pgp.IssuerFprSubpacket(k.fpr)}, pgp.SubPrimaryUID, pgp.SubSigExpire)
	if err != nil {
		return false, err
	}
	if class&^3 != 0x10 {
		class = pgp.ClassPositiveCert
	}
	anchor := pgp.FramePacket(pgp.TagUserID, []byte(uid))
	sigs, err := s.a.certify(k.fpr, k, []ipc.CertifyItem{{Class: class, Component: anchor, Hashed: hashed}})
	if err != nil {
		s.a.helperFailed("adduid", "adding the user ID", err)
		return false, nil
	}
	return true, s.apply([]keyEdit{{anchor: anchor, sig: sigs[0]}})
}

func (s *editSession) delUID() bool {
	sel := s.selectedUIDs()
	if len(sel) == 0 {
		fmt.Fprintf(s.tty, "You must select at least one user ID.\n")
		if !s.a.opts.has("expert") {
			fmt.Fprintf(s.tty, "(Use the '%s' command.)\n", "uid")
		}
		return false
	}
	if len(s.uids())-len(sel) < 1 {
		fmt.Fprintf(s.tty, "You can't delete the last user ID!\n")
		return false
	}
	prompt := "Really remove this user ID? (y/N) "
	if len(sel) > 1 {
		prompt = "Really remove all selected user IDs? (y/N) "
	}
	if !s.askYes("keyedit.remove.uid.okay", prompt) {
		return false
	}
	var edits []keyEdit
	for _, u := range sel {
		edits = append(edits, keyEdit{anchor: u.Packet, deleteUID: true})
		delete(s.selUID, string(u.Packet))
	}
	return s.apply(edits) == nil
}

// askExpire is ask_expiredate: the absolute expiry (0: never).
func (s *menuIO) askExpire() (int64, bool) {
	w := s.tty
	fmt.Fprintf(w, "Please specify how long the key should be valid.\n"+
		"         0 = key does not expire\n"+
		"      <n>  = key expires in n days\n"+
		"      <n>w = key expires in n weeks\n"+
		"      <n>m = key expires in n months\n"+
		"      <n>y = key expires in n years\n")
	for {
		ans := strings.TrimSpace(s.getLine("keygen.valid", "Key is valid for? (0) "))
		if ans == controlDAnswer {
			return 0, false
		}
		secs, err := parseExpire(ans, s.a.now)
		if err != nil {
			fmt.Fprintf(w, "invalid value\n")
			continue
		}
		if secs == 0 {
			fmt.Fprintf(w, "Key does not expire at all\n")
		} else {
			fmt.Fprintf(w, "Key expires at %s\n", gpgtime.Asc(s.a.now.Add(time.Duration(secs)*time.Second)))
		}
		if s.a.commandFD() || s.askYes("keygen.valid.okay", "Is this correct? (y/N) ") {
			if secs == 0 {
				return 0, true
			}
			return s.a.now.Unix() + secs, true
		}
	}
}

func (s *editSession) expire() (bool, error) {
	sel := s.selectedKeys()
	if len(sel) > 1 {
		if !s.askYes("keyedit.expire_multiple_subkeys.okay", "Are you sure you want to change the expiration time for multiple subkeys? (y/N) ") {
			return false, nil
		}
	} else if len(sel) == 1 {
		fmt.Fprintf(s.tty, "Changing expiration time for a subkey.\n")
	} else {
		fmt.Fprintf(s.tty, "Changing expiration time for the primary key.\n")
	}
	expireAt, ok := s.askExpire()
	if !ok {
		return false, nil
	}
	k := s.k
	issuer := pgp.IssuerFprSubpacket(k.fpr)
	var items []ipc.CertifyItem
	var edits []keyEdit
	if len(sel) == 0 {
		var err error
		if items, edits, err = primaryExpiryEdits(k, s.uids(), s.a.nowSecs(), expireAt); err != nil {
			return false, err
		}
	} else {
		for _, sk := range sel {
			if sk.Binding == nil || sk.Revoked {
				continue
			}
			set, drop := expireSubpackets(sk.Created, expireAt)
			class, hashed, err := pgp.ReviseHashed(sk.Binding, s.a.nowSecs(), append(set, issuer), drop...)
			if err != nil {
				return false, err
			}
			items = append(items, ipc.CertifyItem{Class: class, Component: sk.Packet, Hashed: hashed})
			edits = append(edits, keyEdit{anchor: sk.Packet, replaces: sk.Binding})
		}
	}
	if len(items) == 0 {
		return false, nil
	}
	sigs, err := s.a.certify(k.fpr, k, items)
	if err != nil {
		s.a.helperFailed("set_expire", "setting the expiration time", err)
		return false, nil
	}
	for i := range edits {
		edits[i].sig = sigs[i]
	}
	return true, s.apply(edits)
}

func (s *editSession) primary() (bool, error) {
	sel := s.selectedUIDs()
	if len(sel) != 1 {
		fmt.Fprintf(s.tty, "Please select exactly one user ID.\n")
		return false, nil
	}
	k := s.k
	var items []ipc.CertifyItem
	var edits []keyEdit
	for _, u := range validUserIDs(s.uids()) {
		selected := bytes.Equal(u.Packet, sel[0].Packet)
		var class byte
		var hashed []byte
		var err error
		if selected {
			if u.Primary {
				continue // gpg re-signs only where the flag changes
			}
			class, hashed, err = pgp.ReviseHashed(u.SelfSig, s.a.nowSecs(), []pgp.Subpacket{{Type: pgp.SubPrimaryUID, Data: []byte{1}}, pgp.IssuerFprSubpacket(k.fpr)})
		} else if u.Primary {
			class, hashed, err = pgp.ReviseHashed(u.SelfSig, s.a.nowSecs(), []pgp.Subpacket{pgp.IssuerFprSubpacket(k.fpr)}, pgp.SubPrimaryUID)
		} else {
			continue
		}
		if err != nil {
			return false, err
		}
		items = append(items, ipc.CertifyItem{Class: class, Component: u.Packet, Hashed: hashed})
		edits = append(edits, keyEdit{anchor: u.Packet, replaces: u.SelfSig})
	}
	if len(items) == 0 {
		return false, nil
	}
	sigs, err := s.a.certify(k.fpr, k, items)
	if err != nil {
		s.a.helperFailed("keyedit.primary", "setting the primary user ID", err)
		return false, nil
	}
	for i := range edits {
		edits[i].sig = sigs[i]
	}
	return true, s.apply(edits)
}

// addKey is generate_subkeypair's dialog (keygen.algo, keygen.size or
// keygen.curve, keygen.valid); the subkey is made by keyhelper at once
// (as gpg-agent makes it) and bound to the key at save.
func (s *editSession) addKey() (bool, error) {
	w := s.tty
	expert := s.a.opts.has("expert")
	fmt.Fprintf(w, "Please select what kind of key you want:\n")
	fmt.Fprintf(w, "   (3) DSA (sign only)\n   (4) RSA (sign only)\n   (5) Elgamal (encrypt only)\n   (6) RSA (encrypt only)\n")
	if expert {
		fmt.Fprintf(w, "   (7) DSA (set your own capabilities)\n   (8) RSA (set your own capabilities)\n  (10) ECC (sign only)\n  (11) ECC (set your own capabilities)\n  (12) ECC (encrypt only)\n  (13) Existing key\n")
	}
	fmt.Fprintf(w, "  (14) Existing key from card\n")
	var algo, usage string
	for algo == "" {
		ans := strings.TrimSpace(s.getLine("keygen.algo", "Your selection? "))
		switch {
		case ans == controlDAnswer:
			return false, nil
		case ans == "4":
			algo, usage = "rsa", "sign"
		case ans == "6":
			algo, usage = "rsa", "encr"
		case expert && ans == "10":
			algo, usage = "ecc", "sign"
		case expert && ans == "12":
			algo, usage = "ecc", "encr"
		default:
			fmt.Fprintf(w, "Invalid selection.\n")
		}
	}
	if algo == "rsa" {
		fmt.Fprintf(w, "RSA keys may be between 1024 and 4096 bits long.\n")
		for {
			ans := strings.TrimSpace(s.getLine("keygen.size", "What keysize do you want? (3072) "))
			if ans == controlDAnswer {
				return false, nil
			}
			n := 3072
			if ans != "" {
				n, _ = strconv.Atoi(ans)
			}
			if n < 1024 || n > 4096 {
				fmt.Fprintf(w, "%s keysizes must be in the range %d-%d\n", "RSA", 1024, 4096)
				continue
			}
			n = (n + 31) / 32 * 32
			fmt.Fprintf(w, "Requested keysize is %d bits\n", n)
			algo = fmt.Sprintf("rsa%d", n)
			break
		}
	} else {
		fmt.Fprintf(w, "Please select which elliptic curve you want:\n   (1) Curve 25519\n   (3) NIST P-256\n   (4) NIST P-384\n   (5) NIST P-521\n")
		curves := map[string][2]string{"1": {"ed25519", "cv25519"}, "3": {"nistp256", "nistp256"}, "4": {"nistp384", "nistp384"}, "5": {"nistp521", "nistp521"}}
		for {
			ans := strings.TrimSpace(s.getLine("keygen.curve", "Your selection? "))
			if ans == controlDAnswer {
				return false, nil
			}
			if ans == "" {
				ans = "1"
			}
			c, ok := curves[ans]
			if !ok {
				fmt.Fprintf(w, "Invalid selection.\n")
				continue
			}
			algo = c[0]
			if usage == "encr" {
				algo = c[1]
			}
			break
		}
	}
	expireAt, ok := s.askExpire()
	if !ok {
		return false, nil
	}
	if !s.a.commandFD() && !s.askYes("keygen.sub.okay", "Really create? (y/N) ") {
		return false, nil
	}
	var secs int64
	if expireAt != 0 {
		secs = expireAt - s.a.now.Unix()
	}
	req := &ipc.AddSubkeyRequest{Primary: s.k.fpr, Key: ipc.KeySpec{Algo: algo, Usage: usage, ExpireSecs: secs}, Created: s.a.now.Unix()}
	var res ipc.AddSubkeyResult
	if err := s.a.callKeyhelper(true, req, &res); err != nil {
		s.a.status.Emit("KEY_NOT_CREATED")
		s.a.helperFailed("addkey", "Key generation", err)
		return false, nil
	}
	s.a.recordListing(res.Listing)
	pkts, err := pgp.SplitPackets(res.Public)
	if err != nil || len(pkts) != 2 {
		return false, &exitError{2, "key generation returned an invalid subkey"}
	}
	if p, err := packet.Read(bytes.NewReader(pkts[0])); err == nil {
		if pk, ok := p.(*packet.PublicKey); ok {
			s.a.status.Emit("KEY_CREATED", "S", fmt.Sprintf("%X", pk.Fingerprint))
		}
	}
	return true, s.apply([]keyEdit{{anchor: pkts[0], sig: pkts[1]}})
}
