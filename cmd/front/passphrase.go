package main

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/frontpgp/front/keyslot"
	"io"
	"os"
	"strconv"

	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/keylist"
	"github.com/frontpgp/front/pinentry"
	"github.com/frontpgp/front/secretcache"
	"golang.org/x/term"
)

// maxPassphrase bounds what is read from a passphrase source.
const maxPassphrase = 1024

// fixedPassphrase returns the passphrase given by --passphrase,
// --passphrase-file or --passphrase-fd, read once per process as gpg does.
func (a *app) fixedPassphrase() ([]byte, bool, error) {
	if a.passphraseRead {
		return a.passphrase, a.passphrase != nil, nil
	}
	a.passphraseRead = true
	switch {
	case a.opts.has("passphrase"):
		a.passphrase = []byte(a.opts.last("passphrase"))
	case a.opts.has("passphrase-file"):
		f, err := os.Open(a.opts.last("passphrase-file"))
		if err != nil {
			return nil, false, err
		}
		defer f.Close()
		a.passphrase, err = firstLine(f)
		if err != nil {
			return nil, false, err
		}
	case a.opts.has("passphrase-fd"):
		fd, err := strconv.Atoi(a.opts.last("passphrase-fd"))
		if err != nil || fd < 0 {
			return nil, false, fmt.Errorf("invalid passphrase-fd")
		}
		f := os.NewFile(uintptr(fd), "passphrase-fd")
		if f == nil {
			return nil, false, fmt.Errorf("invalid passphrase-fd")
		}
		a.passphrase, err = firstLine(f)
		if err != nil {
			return nil, false, err
		}
	}
	return a.passphrase, a.passphrase != nil, nil
}

// firstLine reads up to the first newline without reading beyond it, so
// a passphrase on stdin does not eat the data that follows (gpg reads the
// fd byte by byte for the same reason).
func firstLine(r io.Reader) ([]byte, error) {
	var line []byte
	var b [1]byte
	for len(line) <= maxPassphrase {
		n, err := r.Read(b[:])
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			line = append(line, b[0])
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(line) > maxPassphrase {
		return nil, errors.New("passphrase too long")
	}
	return bytes.TrimSuffix(line, []byte("\r")), nil
}

// errNoPassphrase ends an operation that needs a passphrase nobody can give.
var errNoPassphrase = errors.New("no passphrase given")

// answerInquiry answers keyhelper's passphrase inquiries.
func (a *app) answerInquiry(q *ipc.Inquiry) ([]byte, bool, error) {
	// key generation unlocks the new key once more for its revocation
	// certificate; gpg-agent does not ask again (cache nonce)
	if q.Kind == ipc.InquirePassphrase && q.Attempt == 1 && a.newKeyPassphrase != nil {
		return a.newKeyPassphrase, true, nil
	}
	pass, ok, err := a.answerInquiryOnce(q)
	if err == nil && ok && q.Kind == ipc.InquireNewPassphrase && a.keepNewPassphrase {
		a.newKeyPassphrase = append([]byte{}, pass...)
	}
	return pass, ok, err
}

// answerInquiryOnce answers from the first source that has an answer, in
// this order:
//  1. --passphrase, --passphrase-file, --passphrase-fd (front uses them in
//     every pinentry mode; gpg 2.2 only with --pinentry-mode loopback),
//     unless gpg-agent.conf says no-allow-loopback-pinentry;
//  2. the passphrase cache (existing keys only; see cachedPassphrase);
//  3. --command-fd with --pinentry-mode loopback (EasyPG's dialog);
//  4. --pinentry-mode cancel or error: gpg's failures;
//  5. a pinentry, when the program exists and has a terminal or display;
//  6. front's own prompt on the terminal, unless --batch or --no-tty.
//
// Answers from 3, 5 and 6 are cached once keyhelper accepts them (settle).
func (a *app) answerInquiryOnce(q *ipc.Inquiry) ([]byte, bool, error) {
	a.settle(q, false)
	conf := a.agentConf()
	mode := a.opts.last("pinentry-mode")
	if mode == "loopback" && !conf.loopbackAllowed {
		if !a.loopbackRefused {
			// gpg-agent refuses the mode; gpg says so and goes on in ask mode
			a.loopbackRefused = true
			a.errorf("setting pinentry mode 'loopback' failed: Not supported")
			a.status.Emit("ERROR", "set_pinentry_mode", strconv.Itoa(gpgError(srcAgent, errNotSupported)))
		}
		mode = "ask"
	}
	if conf.loopbackAllowed {
		pass, ok, err := a.fixedPassphrase()
		if err != nil {
			return nil, false, err
		}
		if ok {
			if q.Attempt > 1 {
				// A fixed source gives the same answer again: stop here.
				a.badPassphrase = true
				return nil, false, nil
			}
			return pass, true, nil
		}
	}
	if pass, ok := a.cachedPassphrase(q); ok && !a.askingPIN {
		return pass, true, nil
	}
	var pass []byte
	var ok bool
	var err error
	switch {
	case mode == "loopback" && a.commandFD():
		// gpg relays the agent's inquiry to the front-end
		pass, ok, err = a.commandPassphrase(q)
	case mode == "cancel":
		a.fe.passFailure = &passphraseFailure{gpgError(srcAgent, errCanceled), "Operation cancelled"}
		return nil, false, nil
	case mode == "error":
		a.fe.passFailure = &passphraseFailure{gpgError(srcAgent, errNoPinentry), "No pinentry"}
		return nil, false, nil
	case a.pinentryUsable(conf):
		release := a.holdSSH()
		pass, ok, err = a.askPinentry(q, conf)
		release()
	case a.opts.has("batch") || a.opts.has("no-tty"):
		if q.Kind == ipc.InquireNewPassphrase {
			// gpg in batch mode with an empty loopback answer makes an
			// unprotected key; we do the same when no source exists.
			return []byte{}, true, nil
		}
		return nil, false, errNoPassphrase
	default:
		// gpg announces a passphrase request only when it will really ask;
		// with a fixed --passphrase* source it prints nothing.
		if q.Kind == ipc.InquirePassphrase && !a.askingPIN {
			if q.Attempt > 1 {
				a.status.Emit("BAD_PASSPHRASE", a.hintKeyID(q))
			}
			a.emitPassphraseHints(q)
		}
		release := a.holdSSH()
		pass, ok, err = a.promptTTY(q)
		release()
	}
	if err == nil && ok && q.Kind == ipc.InquirePassphrase && !a.askingPIN {
		a.pending = &pendingAnswer{q: *q, pass: append([]byte{}, pass...)}
	}
	return pass, ok, err
}

func (a *app) hintKeyID(q *ipc.Inquiry) string {
	if len(q.UserIDHint) >= 16 {
		return q.UserIDHint[:16]
	}
	return q.UserIDHint
}

func (a *app) emitPassphraseHints(q *ipc.Inquiry) {
	a.status.Emit("USERID_HINT", a.hintKeyID(q), escapedTail(q.UserIDHint))
	main := a.hintKeyID(q)
	algo := "1"
	if k := a.keyByFingerprint(q.KeyFingerprint); k != nil {
		main = fmt.Sprintf("%016X", k.Entity.PrimaryKey.KeyId)
		algo = strconv.Itoa(int(k.PublicKey.PubKeyAlgo))
	}
	a.status.Emit("NEED_PASSPHRASE", a.hintKeyID(q), main, algo, "0")
}

func escapedTail(hint string) string {
	if len(hint) > 17 {
		return hint[17:]
	}
	return ""
}

// promptTTY asks on the controlling terminal with echo off.
func (a *app) promptTTY(q *ipc.Inquiry) ([]byte, bool, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, false, errNoPassphrase
	}
	defer tty.Close()
	label := "Passphrase: "
	if a.askingPIN {
		label = "PIN: "
	}
	read := func(prompt string) ([]byte, error) {
		fmt.Fprintf(tty, "%s\n%s", prompt, label)
		p, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		return p, err
	}
	p, err := read(q.Prompt)
	if err != nil {
		return nil, false, errNoPassphrase
	}
	if q.Kind == ipc.InquireNewPassphrase {
		again, err := read("Please re-enter this passphrase")
		if err != nil || !bytes.Equal(p, again) {
			return nil, false, errors.New("passphrases do not match")
		}
	}
	return p, true, nil
}

// pendingAnswer is a passphrase given to keyhelper whose verdict is not
// known yet. keyhelper tries an answer at once: a new inquiry for the same
// key with a higher Attempt, or an ErrCodeBadPassphrase at the end, means
// it was wrong; any other frame after it (an inquiry for another key, the
// result, another error) means the key was unlocked with it.
type pendingAnswer struct {
	q         ipc.Inquiry
	pass      []byte
	fromCache bool
}

// settle judges the pending answer by the inquiry that follows it (q), or
// at the session's end (q nil) by whether the session failed: a right
// answer is cached, a wrong cached one is dropped, never tried again.
func (a *app) settle(q *ipc.Inquiry, failed bool) {
	p := a.pending
	if p == nil {
		return
	}
	a.pending = nil
	wrong := failed
	if q != nil {
		wrong = q.Kind == p.q.Kind && bytes.Equal(q.KeyFingerprint, p.q.KeyFingerprint) && q.Attempt > p.q.Attempt
	}
	c := a.passphraseCache()
	k := a.cacheKey(&p.q)
	switch {
	case wrong && p.fromCache:
		c.Forget(k)
	case !wrong && !p.fromCache && !keyslot.IsToken(p.pass):
		// an access token is the application's to keep, never cached
		if err := c.Put(k, p.pass); err != nil && a.opts.has("verbose") {
			a.infof("passphrase not cached: %v", err)
		}
	}
	clear(p.pass)
}

// finishInquiries ends a keyhelper session's passphrase dialog: the last
// answer is judged by the session's outcome and the pinentry is closed.
// Only a failure that is not about the passphrase, or none, counts as
// acceptance (keyhelper ends with ErrCodeBadPassphrase after the last
// wrong try; a cancel or a broken pipe says nothing about it).
func (a *app) finishInquiries(err error) {
	var he *ipc.Error
	failed := err != nil && (!errors.As(err, &he) || he.Code == ipc.ErrCodeBadPassphrase || he.Code == ipc.ErrCodeCanceled)
	a.settle(nil, failed)
	if a.pin != nil {
		a.pin.Close()
		a.pin = nil
	}
}

func (a *app) cacheKey(q *ipc.Inquiry) secretcache.Key {
	return secretcache.Key{Scope: secretcache.ScopeOf(a.home), ID: fmt.Sprintf("%X", q.KeyFingerprint)}
}

// passphraseCache opens the cache gpg-agent.conf and --passphrase-cache
// choose, once per run; nil caches nothing.
func (a *app) passphraseCache() *secretcache.Cache {
	if a.cacheOpened {
		return a.cache
	}
	a.cacheOpened = true
	conf := a.agentConf()
	c, err := secretcache.Open(conf.cache, conf.policy)
	if err != nil {
		// a backend that was asked for by name and does not work
		a.infof("WARNING: %v", err)
	}
	a.cache = c
	return c
}

// cachedPassphrase looks the key up in the cache on the first try. With
// ignore-cache-for-signing, signing never uses the cache (and, as with
// gpg-agent, still fills it).
func (a *app) cachedPassphrase(q *ipc.Inquiry) ([]byte, bool) {
	if q.Kind != ipc.InquirePassphrase || q.Attempt != 1 {
		return nil, false
	}
	if a.agentConf().ignoreForSigning && a.keyhelperOp == ipc.TypeSignRequest {
		return nil, false
	}
	pass, ok, err := a.passphraseCache().Get(a.cacheKey(q))
	if err != nil && a.opts.has("verbose") {
		a.infof("passphrase cache: %v", err)
	}
	if !ok {
		return nil, false
	}
	a.pending = &pendingAnswer{q: *q, pass: append([]byte{}, pass...), fromCache: true}
	return pass, true
}

// pinentryTTY is the terminal a pinentry is told to use: --ttyname, then
// GPG_TTY, then the terminal on stdin, stdout or stderr, then the
// controlling terminal. "" when there is none.
func (a *app) pinentryTTY() string {
	if v := a.opts.last("ttyname"); v != "" {
		return v
	}
	if v := os.Getenv("GPG_TTY"); v != "" {
		return v
	}
	for fd := 0; fd <= 2; fd++ {
		if term.IsTerminal(fd) {
			if name, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd)); err == nil {
				return name
			}
		}
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
		tty.Close()
		return "/dev/tty"
	}
	return ""
}

// pinentryUsable: in ask mode gpg always goes through pinentry; front does
// when the program exists and can show itself (a terminal, or a display
// for a graphical one), and otherwise falls back to its own prompt.
func (a *app) pinentryUsable(conf *agentConfig) bool {
	if a.pin != nil {
		return true
	}
	st, err := os.Stat(conf.pinentryProgram)
	if err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
		return false
	}
	return a.pinentryTTY() != "" || os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}

// askPinentry asks through the pinentry, started on the first question of
// the session and kept for the retries (SETERROR shows the failed try).
func (a *app) askPinentry(q *ipc.Inquiry, conf *agentConfig) ([]byte, bool, error) {
	if err := a.startPinentry(conf); err != nil {
		return nil, false, err
	}
	req := pinentry.Request{Desc: q.Prompt, Prompt: "Passphrase:"}
	if k := a.keyByFingerprint(q.KeyFingerprint); k != nil {
		req.KeyInfo = "n/" + keylist.Keygrip(k.PublicKey)
	}
	if a.askingPIN {
		// gpg-agent's prompt for a card PIN, naming no key
		req.Prompt, req.KeyInfo = "PIN", "--clear"
	}
	if q.Kind == ipc.InquireNewPassphrase {
		req.Repeat, req.RepeatError = "Repeat:", "does not match - try again"
	}
	if q.Attempt > 1 {
		req.Error = fmt.Sprintf("Bad Passphrase (try %d of %d)", q.Attempt, maxPassphraseTries)
	}
	pass, err := a.pin.GetPIN(req)
	if err != nil {
		return nil, false, a.pinentryFailed(err)
	}
	return pass, true, nil
}

// startPinentry starts the pinentry of this session unless it runs.
func (a *app) startPinentry(conf *agentConfig) error {
	if a.pin == nil {
		display := a.opts.last("display")
		if display == "" {
			display = os.Getenv("DISPLAY")
		}
		ttytype := a.opts.last("ttytype")
		if ttytype == "" {
			ttytype = os.Getenv("TERM")
		}
		lcCtype := a.opts.last("lc-ctype")
		if lcCtype == "" {
			lcCtype = os.Getenv("LC_ALL")
		}
		pin, err := pinentry.Start(pinentry.Options{
			Program: conf.pinentryProgram, TTYName: a.pinentryTTY(), TTYType: ttytype,
			LCCtype: lcCtype, LCMessages: a.opts.last("lc-messages"), Display: display,
			Timeout: conf.pinentryTimeout,
		})
		if err != nil {
			return a.pinentryFailed(err)
		}
		a.pin = pin
		a.status.Emit("PINENTRY_LAUNCHED", strconv.Itoa(pin.Pid()), pin.Flavor+":"+pin.Version, pin.TTYInfo)
	}
	return nil
}

// maxPassphraseTries is keyhelper's (and gpg-agent's) number of tries.
const maxPassphraseTries = 3

// pinentryFailed records a pinentry failure as gpg reports it (FAILURE
// with the pinentry's error source, or the agent's "No pinentry"); the
// inquiry is cancelled and the operation ends with that failure. A dead
// or hung pinentry is not started again.
func (a *app) pinentryFailed(err error) error {
	var pe *pinentry.Error
	if !errors.As(err, &pe) {
		return err
	}
	src := srcAgent
	if pe.FromPinentry() {
		src = srcPinentry
	}
	a.fe.passFailure = &passphraseFailure{gpgError(src, pe.Code), pe.Text}
	if a.opts.has("verbose") {
		a.infof("pinentry: %v", err)
	}
	return nil
}
