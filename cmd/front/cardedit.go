package main

// --card-edit and --change-pin as gpg 2.2.40's card_edit and change_pin
// (g10/card-util.c): the menu reads commands from the arguments, the
// command fd (GET_LINE cardedit.prompt) or the terminal ("gpg/card> ");
// each card operation is one cardhelper request, with the PINs asked
// before it starts (askCardPIN). What gpg prints with tty_printf goes to
// the terminal (nothing with --no-tty); its log lines and status lines are
// ours too.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	cardpgp "github.com/frontpgp/front/card/openpgp"
	"github.com/frontpgp/front/ipc"
)

// cardEditSession is one --card-edit or --change-pin run.
type cardEditSession struct {
	menuIO
	st         *ipc.CardStatus // as last read; nil without a card
	serial     string          // the card first found: every request names it
	admin      bool
	announced  bool
	sizeWarned bool // show_keysize_warning's note, once
	// pw3 is the Admin PIN once the card has accepted it: scdaemon keeps
	// CHV3 verified for the rest of its session and gpg does not ask
	// again; neither do we within this process. Wiped by close.
	pw3 []byte
}

func (a *app) newCardSession() (*cardEditSession, func()) {
	s := &cardEditSession{menuIO: menuIO{a: a}}
	closeTTY := s.openTerminal()
	return s, func() {
		clear(s.pw3)
		closeTTY()
	}
}

func (a *app) cardEditCmd(args []string) (err error) {
	defer catchBatchInput(&err)
	if !a.commandFD() && a.opts.has("batch") && len(args) == 0 {
		a.errorf("can't do this in batch mode")
		return nil
	}
	s, done := a.newCardSession()
	defer done()
	return s.loop(args)
}

// changePINCmd is --change-pin [N]: the passwd menu with admin commands
// allowed; a non-zero N unblocks with the Reset Code instead.
func (a *app) changePINCmd(args []string) (err error) {
	defer catchBatchInput(&err)
	unblock := false
	switch len(args) {
	case 0:
	case 1:
		n, _ := strconv.Atoi(args[0])
		unblock = n != 0
	default:
		return &usageError{"usage: gpg [options] --change-pin [no]"}
	}
	s, done := a.newCardSession()
	defer done()
	s.changePIN(unblock, true)
	return nil
}

// read refreshes s.st; without a card it reports as gpg and returns false.
func (s *cardEditSession) read() bool {
	st, err := s.a.readCard(s.serial, !s.announced)
	if err != nil {
		if !errors.Is(err, errNoCard) {
			s.a.errorf("OpenPGP card not available: %s", s.errorText(err))
		}
		s.a.exitCode = 2
		s.st = nil
		return false
	}
	s.announced = true
	s.st = st
	if aid, err := cardpgp.ParseAID(st.AID); err == nil {
		s.serial = aid.SerialString()
	}
	return true
}

// show is current_card_status: the colon records on stdout with
// --with-colons, else the human listing on the terminal.
func (s *cardEditSession) show() {
	if !s.read() {
		if s.a.opts.has("with-colons") {
			fmt.Fprint(s.a.stdout, "AID:::\n")
		}
		return
	}
	if s.a.opts.has("with-colons") {
		s.a.printCard(s.a.stdout, s.st)
		return
	}
	s.a.printCard(s.tty, s.st)
	fmt.Fprintln(s.tty)
}

type cardCmd struct {
	name  string
	admin bool
	desc  string
}

// cardCmds is gpg's table, in its order (help lists those with a text).
var cardCmds = []cardCmd{
	{"quit", false, "quit this menu"}, {"q", false, ""},
	{"admin", false, "show admin commands"},
	{"help", false, "show this help"}, {"?", false, ""},
	{"list", false, "list all available data"}, {"l", false, ""},
	{"name", true, "change card holder's name"},
	{"url", true, "change URL to retrieve key"},
	{"fetch", false, "fetch the key specified in the card URL"},
	{"login", true, "change the login name"},
	{"lang", true, "change the language preferences"},
	{"salutation", true, "change card holder's salutation"}, {"sex", true, ""},
	{"cafpr", true, "change a CA fingerprint"},
	{"forcesig", true, "toggle the signature force PIN flag"},
	{"generate", true, "generate new keys"},
	{"passwd", false, "menu to change or unblock the PIN"},
	{"verify", false, "verify the PIN and list all data"},
	{"unblock", false, "unblock the PIN using a Reset Code"},
	{"factory-reset", true, "destroy all keys and data"},
	{"kdf-setup", true, "setup KDF for PIN authentication"},
	{"key-attr", true, "change the key attribute"},
	{"privatedo", false, ""}, {"readcert", false, ""}, {"writecert", true, ""},
}

func (s *cardEditSession) loop(cmds []string) error {
	a := s.a
	haveCmds := len(cmds) > 0
	redisplay := true
	for {
		fmt.Fprintln(s.tty)
		if redisplay {
			s.show()
			redisplay = false
		}
		var answer string
		for {
			if haveCmds {
				switch {
				case len(cmds) > 0:
					answer, cmds = cmds[0], cmds[1:]
				case a.opts.has("batch"):
					answer = "quit"
				default:
					haveCmds = false
				}
			}
			if !haveCmds {
				answer = s.getLine("cardedit.prompt", "gpg/card> ")
			}
			answer = strings.TrimSpace(answer)
			if !strings.HasPrefix(answer, "#") {
				break
			}
		}
		name, arg, _ := strings.Cut(answer, " ")
		arg = strings.TrimSpace(arg)
		var cmd cardCmd
		switch {
		case answer == "":
			cmd.name = "list"
		case answer == controlDAnswer:
			cmd.name = "quit"
		default:
			for _, c := range cardCmds {
				if strings.EqualFold(c.name, name) {
					cmd = c
					break
				}
			}
		}
		if cmd.admin && !s.admin {
			fmt.Fprint(s.tty, "\nAdmin-only command\n")
			continue
		}
		switch cmd.name {
		case "help", "?":
			for _, c := range cardCmds {
				if c.desc != "" && (!c.admin || s.admin) {
					fmt.Fprintf(s.tty, "%-14s %s\n", c.name, c.desc)
				}
			}
		case "admin":
			switch arg {
			case "on":
				s.admin = true
			case "off":
				s.admin = false
			case "verify":
				s.admin = s.verifyAdmin()
			default:
				s.admin = !s.admin
			}
			if s.admin {
				fmt.Fprintln(s.tty, "Admin commands are allowed")
			} else {
				fmt.Fprintln(s.tty, "Admin commands are not allowed")
			}
		case "verify":
			s.verifyUser()
			redisplay = true
		case "list", "l":
			redisplay = true
		case "name":
			s.changeName()
		case "url":
			s.changeText("cardedit.change_url", "URL to retrieve public key: ", "URL", cardpgp.DOURL)
		case "login":
			s.changeLogin(arg)
		case "lang":
			s.changeLang()
		case "salutation", "sex":
			s.changeSex()
		case "cafpr":
			if n, _ := strconv.Atoi(leadingDigits(arg)); n >= 1 && n <= 3 {
				s.changeCAFpr(n)
			} else {
				fmt.Fprint(s.tty, "usage: cafpr N\n       1 <= N <= 3\n")
			}
		case "forcesig":
			s.toggleForceSig()
		case "passwd":
			s.changePIN(false, s.admin)
		case "unblock":
			s.changePIN(true, s.admin)
		case "generate":
			s.generate()
		case "key-attr":
			s.keyAttr()
		case "fetch":
			s.fetchCardKey()
		case "factory-reset", "kdf-setup", "privatedo", "readcert", "writecert":
			s.notSupported(cmd.name)
		case "quit", "q":
			return nil
		default:
			fmt.Fprint(s.tty, "\nInvalid command  (try \"help\")\n")
		}
	}
}

// leadingDigits is the number at the start of s (gpg's atoi).
func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// notSupported is a gpg command front does not have.
func (s *cardEditSession) notSupported(name string) {
	s.a.errorf("card-edit: %s is not supported by front", name)
}

// errCardBadPIN is scdaemon's verdict on a PIN it refuses unsent (too
// short, or the Admin PIN's counter at 0).
var errCardBadPIN = &cardFailure{gpgError(srcSCD, errBadPIN), "Bad PIN"}

// asCardError maps a failure to gpg's error for it.
func (s *cardEditSession) asCardError(err error) *cardFailure {
	var cf *cardFailure
	var he *ipc.Error
	switch {
	case errors.As(err, &cf):
		return cf
	case errors.Is(err, errNoPassphrase):
		return &cardFailure{gpgError(srcAgent, errNoPinentry), "No pinentry"}
	case errors.As(err, &he):
		if errors.As(s.a.cardCallFailed(err), &cf) {
			return cf
		}
	}
	return &cardFailure{gpgError(srcGPG, errGeneral), err.Error()}
}

func (s *cardEditSession) errorText(err error) string { return s.asCardError(err).msg }

// opStatus is write_sc_op_status.
func (s *cardEditSession) opStatus(err error) {
	if err == nil {
		s.a.status.Emit("SC_OP_SUCCESS")
		return
	}
	switch s.asCardError(err).code & 0xFFFF {
	case errCanceled:
		s.a.status.Emit("SC_OP_FAILURE", "1")
	case errBadPIN:
		s.a.status.Emit("SC_OP_FAILURE", "2")
	default:
		s.a.status.Emit("SC_OP_FAILURE")
	}
}

// agentOp is an operation gpg hands to its agent (setattr, change_pin,
// checkpin, genkey): on failure gpg's call-agent.c reports it with its own
// SC_OP_FAILURE line, before card-util.c reports it again.
func (s *cardEditSession) agentOp(op func() error) error {
	err := op()
	if err != nil {
		s.opStatus(err)
	}
	return err
}

// call runs one request on the session's card.
func (s *cardEditSession) call(req *ipc.CardRequest, res ipc.Message) error {
	req.Serial = s.serial
	if res == nil {
		res = new(ipc.CardOutput)
	}
	err := cardCall(req, res)
	var he *ipc.Error
	if errors.As(err, &he) && (he.Code == ipc.ErrCodeBadPassphrase || he.Code == ipc.ErrCodePINBlocked) {
		s.read() // the retry counters changed
	}
	return err
}

// triesLeft is the retry counter of PW1 (0), the Reset Code (1) or PW3 (2).
func (s *cardEditSession) triesLeft(i int) int {
	if s.st == nil {
		return 3
	}
	return int(s.st.PINTries[i])
}

// askAdmin asks for the Admin PIN as scdaemon's verify_chv3: not at all
// when its counter is 0, and one shorter than 8 never reaches the card.
func (s *cardEditSession) askAdmin() ([]byte, error) {
	if s.triesLeft(2) == 0 {
		return nil, errCardBadPIN
	}
	pin, err := s.a.askCardSecret(pinAdmin, s.triesLeft(2))
	if err != nil {
		return nil, err
	}
	if len(pin) < cardpgp.MinPW3 {
		clear(pin)
		return nil, errCardBadPIN
	}
	return pin, nil
}

// withAdmin runs op with the Admin PIN, asked unless the card accepted it
// before in this session; a PIN the card accepts is kept for the session.
func (s *cardEditSession) withAdmin(op func(pw3 []byte) error) error {
	pin := s.pw3
	if pin == nil {
		var err error
		if pin, err = s.askAdmin(); err != nil {
			return err
		}
	}
	err := op(pin)
	if err == nil {
		s.pw3 = pin
		return nil
	}
	if s.asCardError(err).code&0xFFFF == errBadPIN {
		clear(pin)
		s.pw3 = nil
	} else if s.pw3 == nil {
		clear(pin)
	}
	return err
}

// putDOs writes data objects with the Admin PIN.
func (s *cardEditSession) putDOs(dos ...ipc.CardDO) error {
	return s.agentOp(func() error {
		return s.withAdmin(func(pw3 []byte) error {
			return s.call(&ipc.CardRequest{Op: ipc.CardOpPutData, PIN: pw3, DOs: dos}, nil)
		})
	})
}

// setDO is agent_scd_setattr of one DO with gpg's error line.
func (s *cardEditSession) setDO(what string, tag uint16, value []byte) {
	err := s.putDOs(ipc.CardDO{Tag: tag, Value: value})
	if err != nil {
		s.a.errorf("error setting %s: %s", what, s.errorText(err))
	}
	s.opStatus(err)
}

// verifyAdmin is "admin verify": the Admin PIN asked and checked now.
func (s *cardEditSession) verifyAdmin() bool {
	return s.agentOp(s.checkAdmin) == nil
}

// checkAdmin asks for the Admin PIN and has the card check it.
func (s *cardEditSession) checkAdmin() error {
	clear(s.pw3)
	s.pw3 = nil
	return s.withAdmin(func(pw3 []byte) error {
		return s.call(&ipc.CardRequest{Op: ipc.CardOpCheckPIN, Ref: byte(cardpgp.PW3), PIN: pw3}, nil)
	})
}

// verifyUser is "verify": the PIN checked; gpg reports nothing either way.
func (s *cardEditSession) verifyUser() {
	s.agentOp(s.checkUser)
}

// checkUser asks for the user PIN and has the card check it (as PW1 for
// other operations than signing, gpg's "verify").
func (s *cardEditSession) checkUser() error {
	pin, err := s.a.askCardSecret(pinUser, s.triesLeft(0))
	if err != nil {
		return err
	}
	defer clear(pin)
	if len(pin) < cardpgp.MinPW1 {
		return errCardBadPIN
	}
	return s.call(&ipc.CardRequest{Op: ipc.CardOpCheckPIN, Ref: byte(cardpgp.PW1Other), PIN: pin}, nil)
}

// getOneName asks for a part of the cardholder's name until it is plain
// ASCII without '<' and double spaces; ok is false on a cancel.
func (s *cardEditSession) getOneName(keyword, prompt string) (string, bool) {
	for {
		ans := s.getLine(keyword, prompt)
		if ans == controlDAnswer {
			return "", false
		}
		name := strings.TrimSpace(ans)
		switch {
		case strings.IndexFunc(name, func(r rune) bool { return r < ' ' || r > 126 }) >= 0:
			fmt.Fprintln(s.tty, "Error: Only plain ASCII is currently allowed.")
		case strings.Contains(name, "<"):
			fmt.Fprintln(s.tty, "Error: The \"<\" character may not be used.")
		case strings.Contains(name, "  "):
			fmt.Fprintln(s.tty, "Error: Double spaces are not allowed.")
		default:
			return name, true
		}
	}
}

func (s *cardEditSession) changeName() {
	surname, ok1 := s.getOneName("keygen.smartcard.surname", "Cardholder's surname: ")
	given, ok2 := s.getOneName("keygen.smartcard.givenname", "Cardholder's given name: ")
	if !ok1 || !ok2 || surname == "" && given == "" {
		s.opStatus(&cardFailure{gpgError(srcGPG, errCanceled), "Operation cancelled"})
		return
	}
	iso := strings.ReplaceAll(surname+"<<"+given, " ", "<")
	if len(iso) > 39 {
		fmt.Fprintf(s.tty, "Error: Combined name too long (limit is %d characters).\n", 39)
		s.opStatus(&cardFailure{gpgError(srcGPG, errTooLarge), "Data too large"})
		return
	}
	s.setDO("Name", cardpgp.DOName, []byte(iso))
}

// askText is cpr_get with gpg's trim; ok is false on a cancel.
func (s *cardEditSession) askText(keyword, prompt string) (string, bool) {
	ans := s.getLine(keyword, prompt)
	return strings.TrimSpace(ans), ans != controlDAnswer
}

func (s *cardEditSession) changeText(keyword, prompt, what string, tag uint16) {
	v, ok := s.askText(keyword, prompt)
	if !ok {
		return
	}
	s.setDO(what, tag, []byte(v))
}

// maxDataFile is what gpg reads of a "login < FILE" file.
const maxDataFile = 16384

func (s *cardEditSession) changeLogin(arg string) {
	name, fromFile := strings.CutPrefix(arg, "<")
	if !fromFile {
		s.changeText("cardedit.change_login", "Login data (account name): ", "login data", cardpgp.DOLogin)
		return
	}
	name = strings.TrimSpace(name)
	f, err := os.Open(name)
	if err != nil {
		fmt.Fprintf(s.tty, "can't open '%s': %s\n", name, errText(err))
		return
	}
	defer f.Close()
	data := make([]byte, maxDataFile)
	n, err := io.ReadFull(f, data)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		fmt.Fprintf(s.tty, "error reading '%s': %s\n", name, errText(err))
		return
	}
	s.setDO("login data", cardpgp.DOLogin, data[:n])
}

func (s *cardEditSession) changeLang() {
	v, ok := s.askText("cardedit.change_lang", "Language preferences: ")
	if !ok {
		return
	}
	if len(v) > 8 || len(v)%2 != 0 {
		fmt.Fprintln(s.tty, "Error: invalid length of preference string.")
		return
	}
	if strings.IndexFunc(v, func(r rune) bool { return r < 'a' || r > 'z' }) >= 0 {
		fmt.Fprintln(s.tty, "Error: invalid characters in preference string.")
		return
	}
	s.setDO("lang", cardpgp.DOLang, []byte(v))
}

func (s *cardEditSession) changeSex() {
	v, ok := s.askText("cardedit.change_sex", "Salutation (M = Mr., F = Ms., or space): ")
	if !ok {
		return
	}
	var code string
	switch strings.ToLower(v) {
	case "":
		code = "9"
	case "m":
		code = "1"
	case "f":
		code = "2"
	default:
		fmt.Fprintln(s.tty, "Error: invalid response.")
		return
	}
	s.setDO("salutation", cardpgp.DOSex, []byte(code))
}

func (s *cardEditSession) changeCAFpr(n int) {
	v, ok := s.askText("cardedit.change_cafpr", "CA fingerprint: ")
	if !ok {
		return
	}
	fpr, ok := cardpgp.ParseCAFingerprint(v)
	if !ok {
		fmt.Fprintln(s.tty, "Error: invalid formatted fingerprint.")
		return
	}
	s.setDO("cafpr", cardpgp.DOCAFpr+uint16(n-1), fpr)
}

func (s *cardEditSession) toggleForceSig() {
	if !s.read() {
		s.a.errorf("error getting current status: %s", "No such device")
		return
	}
	// C4's first byte is 01 when PW1 stays valid for several signatures:
	// gpg's toggle flips that state
	v := byte(1)
	if s.st.PW1Multiple {
		v = 0
	}
	err := s.putDOs(ipc.CardDO{Tag: cardpgp.DOPWStatus, Value: []byte{v}})
	if err != nil {
		s.a.errorf("error toggling signature PIN flag: %s", s.errorText(err))
	}
	s.opStatus(err)
}

// changePIN is gpg's change_pin: unblock with the Reset Code, change PW1
// (no admin), or the menu of PIN changes (admin).
func (s *cardEditSession) changePIN(unblock, allowAdmin bool) {
	a := s.a
	if !s.read() {
		return
	}
	a.infof("OpenPGP card no. %X detected", s.st.AID)
	if a.opts.has("batch") {
		a.errorf("can't do this in batch mode")
		return
	}
	changed := func(err error, failMsg, okMsg string) {
		s.opStatus(err)
		if err != nil {
			fmt.Fprintf(s.tty, "%s: %s\n", failMsg, s.errorText(err))
		} else {
			fmt.Fprintln(s.tty, okMsg)
		}
	}
	switch {
	case unblock && s.st.PINTries[1] == 0:
		a.errorf("Reset Code not or not anymore available")
		return
	case unblock:
		changed(s.agentOp(s.resetWithCode), "Error changing the PIN", "PIN changed.")
		return
	case !allowAdmin:
		changed(s.agentOp(func() error { return s.changeOwnPIN(cardpgp.PW1Sign) }), "Error changing the PIN", "PIN changed.")
		return
	}
	for {
		fmt.Fprint(s.tty, "\n1 - change PIN\n2 - unblock PIN\n3 - change Admin PIN\n4 - set the Reset Code\nQ - quit\n\n")
		ans := s.getLine("cardutil.change_pin.menu", "Your selection? ")
		if ans == controlDAnswer {
			return
		}
		if len(ans) != 1 {
			continue
		}
		switch ans[0] {
		case '1':
			changed(s.agentOp(func() error { return s.changeOwnPIN(cardpgp.PW1Sign) }), "Error changing the PIN", "PIN changed.")
		case '2':
			changed(s.agentOp(func() error { return s.adminSetsPIN(ipc.CardOpUnblockPIN, pinNewUser) }),
				"Error unblocking the PIN", "PIN unblocked and new PIN set.")
		case '3':
			changed(s.agentOp(func() error { return s.changeOwnPIN(cardpgp.PW3) }), "Error changing the PIN", "PIN changed.")
		case '4':
			changed(s.agentOp(func() error { return s.adminSetsPIN(ipc.CardOpSetResetCode, pinNewResetCode) }),
				"Error setting the Reset Code", "Reset Code set.")
		case 'q', 'Q':
			return
		}
	}
}

// changeOwnPIN is CHANGE REFERENCE DATA: the old PIN (refused unasked
// when too short, as scdaemon does), then the new one twice.
func (s *cardEditSession) changeOwnPIN(ref cardpgp.PIN) error {
	ask, tries := pinUser, s.triesLeft(0)
	newPIN := pinNewUser
	if ref == cardpgp.PW3 {
		// scdaemon forgets the verified Admin PIN before changing it
		clear(s.pw3)
		s.pw3 = nil
		ask, tries, newPIN = pinAdmin, s.triesLeft(2), pinNewAdmin
		if tries == 0 {
			return errCardBadPIN
		}
	}
	old, err := s.a.askCardSecret(ask, tries)
	if err != nil {
		return err
	}
	defer clear(old)
	if len(old) < ref.MinLen() {
		return errCardBadPIN
	}
	pin, err := s.a.askCardSecret(newPIN, 0)
	if err != nil {
		return err
	}
	defer clear(pin)
	return s.call(&ipc.CardRequest{Op: ipc.CardOpChangePIN, Ref: byte(ref), PIN: old, NewPIN: pin}, nil)
}

// adminSetsPIN is unblock (new PW1) or set the Reset Code. scdaemon asks
// for the Admin PIN again each time and verifies it before it asks for
// the new PIN; so do we (a wrong one ends the dialog there, as in gpg),
// then the operation verifies it once more in its own transaction.
func (s *cardEditSession) adminSetsPIN(op ipc.CardOp, newPIN cardPIN) error {
	if err := s.checkAdmin(); err != nil {
		return err
	}
	pin, err := s.a.askCardSecret(newPIN, 0)
	if err != nil {
		return err
	}
	defer clear(pin)
	return s.withAdmin(func(pw3 []byte) error {
		return s.call(&ipc.CardRequest{Op: op, PIN: pw3, NewPIN: pin}, nil)
	})
}

// resetWithCode is "unblock": the Reset Code, then a new PIN twice.
func (s *cardEditSession) resetWithCode() error {
	code, err := s.a.askCardSecret(pinResetCode, s.triesLeft(1))
	if err != nil {
		return err
	}
	defer clear(code)
	if len(code) < cardpgp.MinResetCode {
		return errCardBadPIN
	}
	pin, err := s.a.askCardSecret(pinNewUser, 0)
	if err != nil {
		return err
	}
	defer clear(pin)
	return s.call(&ipc.CardRequest{Op: ipc.CardOpResetWithCode, PIN: code, NewPIN: pin}, nil)
}
