package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/keyslot"
)

// Per-application access tokens (front's own commands; gpg has none):
//
//	--token-app NAME --token-ops sign,decrypt [--token-expire TIME] --create-token KEY
//	--list-tokens [KEY]
//	--revoke-token ID
//
// keyhelper keeps them as keyslots in the secret store (package keyslot)
// and appends every use to token-use.log in the home, which front only
// reads. A token is used wherever a passphrase is given (--passphrase,
// --passphrase-fd, --passphrase-file, loopback): ipc.Call sends an answer
// with the token's syntax as a token. --token-file FILE names a file that
// holds one.

const tokenUsage = "--token-app NAME --token-ops sign,decrypt [--token-expire TIME] --create-token KEY"

// tokenFailed reports a keyhelper failure of a token command: gpg's
// FAILURE line with the agent's error code, the helper's message, exit 2.
func (a *app) tokenFailed(location, what string, err error) error {
	code, he := helperErrorCode(err)
	if a.badPassphrase {
		// a fixed passphrase source was refused: keyhelper's retry was
		// declined, which it reports as a cancel
		code = gpgError(srcAgent, errBadPassphrase)
	}
	a.failure(location, code)
	msg := err.Error()
	switch {
	case err == errNoPassphrase:
		msg = "No passphrase given"
	case code == gpgError(srcAgent, errBadPassphrase):
		msg = "Bad passphrase"
	case he != nil:
		msg = he.Message
	}
	return &exitError{2, what + " failed: " + msg}
}

func (a *app) createTokenCmd(args []string) error {
	k, err := a.ownKeyArgs(args, 1, 1, tokenUsage)
	if err != nil {
		return err
	}
	app := a.opts.last("token-app")
	if !keyslot.ValidApp(app) {
		return &exitError{2, "--token-app needs an application name of 1 to 64 letters, digits and . _ - + @"}
	}
	if !a.opts.has("token-ops") {
		return &exitError{2, "usage: " + tokenUsage}
	}
	ops, err := keyslot.ParseOps(a.opts.last("token-ops"))
	if err != nil {
		return &exitError{2, err.Error()}
	}
	secs, err := parseExpire(a.opts.last("token-expire"), a.now)
	if err != nil {
		return &exitError{2, "invalid --token-expire"}
	}
	req := &ipc.TokenCreateRequest{Primary: k.fpr, App: app, Ops: uint8(ops), Created: a.now.Unix()}
	if secs > 0 {
		req.Expires = a.now.Unix() + secs
	}
	a.status.Emit("KEY_CONSIDERED", fmt.Sprintf("%X", k.fpr), "0")
	var res ipc.TokenCreateResult
	if err := a.callKeyhelper(true, req, &res); err != nil {
		return a.tokenFailed("create-token", "creating the access token", err)
	}
	// the only time the token exists outside the application's hands
	fmt.Fprintf(a.stdout, "%s\n", res.Token)
	a.infof("access token %x for %s (%s) on key %X, %s; it is shown only this once",
		res.Info.ID, res.Info.App, keyslot.Ops(res.Info.Ops), res.Info.Primary, expiryText(res.Info.Expires, a.now))
	return nil
}

func expiryText(expires int64, now time.Time) string {
	switch {
	case expires == 0:
		return "no expiry"
	case now.Unix() >= expires:
		return "expired " + time.Unix(expires, 0).UTC().Format("2006-01-02 15:04:05")
	}
	return "expires " + time.Unix(expires, 0).UTC().Format("2006-01-02 15:04:05")
}

// listTokensCmd lists the live tokens of one key or all, with their last
// use from the log. --with-colons prints
// tok:ID:APP:OPS:FPR:CREATED:EXPIRES:LASTUSE: (times in epoch seconds,
// empty for never).
func (a *app) listTokensCmd(args []string) error {
	req := &ipc.TokenListRequest{}
	if len(args) > 0 {
		k, err := a.ownKeyArgs(args, 1, 1, "--list-tokens [KEY]")
		if err != nil {
			return err
		}
		req.Primary = k.fpr
	}
	var res ipc.TokenListResult
	if err := a.callKeyhelper(false, req, &res); err != nil {
		return a.tokenFailed("list-tokens", "listing the access tokens", err)
	}
	last, err := a.tokenLastUses()
	if err != nil {
		return err
	}
	for _, t := range res.Tokens {
		id := keyslot.ID(t.ID)
		used, ok := last[id]
		if a.opts.has("with-colons") {
			lastUse, expires := "", ""
			if ok {
				lastUse = fmt.Sprint(used.Unix())
			}
			if t.Expires != 0 {
				expires = fmt.Sprint(t.Expires)
			}
			fmt.Fprintf(a.stdout, "tok:%s:%s:%s:%X:%d:%s:%s:\n", id, t.App, keyslot.Ops(t.Ops), t.Primary, t.Created, expires, lastUse)
			continue
		}
		lastUse := "never used"
		if ok {
			lastUse = "last used " + used.UTC().Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(a.stdout, "%s  %s  %s  key %X  created %s, %s, %s\n", id, t.App, keyslot.Ops(t.Ops), t.Primary,
			time.Unix(t.Created, 0).UTC().Format("2006-01-02"), expiryText(t.Expires, a.now), lastUse)
	}
	return nil
}

// maxLogRead bounds how much of the use log --list-tokens reads: its end,
// where the latest uses are.
const maxLogRead = 4 << 20

func (a *app) tokenLastUses() (map[keyslot.ID]time.Time, error) {
	f, err := os.Open(filepath.Join(a.home, keyslot.LogName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if st, err := f.Stat(); err == nil && st.Size() > maxLogRead {
		if _, err := f.Seek(st.Size()-maxLogRead, io.SeekStart); err != nil {
			return nil, err
		}
		// drop the partial line the seek landed in
		if _, err := firstLine(f); err != nil {
			return nil, err
		}
		r = io.LimitReader(f, maxLogRead)
	}
	return keyslot.LastUses(r)
}

func (a *app) revokeTokenCmd(args []string) error {
	if len(args) != 1 {
		return &exitError{2, "usage: --revoke-token ID"}
	}
	id, ok := keyslot.ParseID(args[0])
	if !ok {
		return &exitError{2, fmt.Sprintf("%q is not a token ID (16 hex digits, see --list-tokens)", args[0])}
	}
	var res ipc.TokenRevokeResult
	if err := a.callKeyhelper(true, &ipc.TokenRevokeRequest{ID: id[:]}, &res); err != nil {
		return a.tokenFailed("revoke-token", "revoking the access token", err)
	}
	app := res.App
	if app == "" {
		app = "unreadable keyslot"
	}
	a.infof("access token %s (%s) on key %X revoked", id, app, res.Primary)
	return nil
}

// answerKeyhelper answers keyhelper's inquiries: an unlock from the token
// in --token-file when that is given, anything else as answerInquiry does.
func (a *app) answerKeyhelper(q *ipc.Inquiry) ([]byte, bool, error) {
	q.Prompt = a.remotePrompt(q.Prompt)
	if q.Kind != ipc.InquirePassphrase || !a.opts.has("token-file") {
		return a.answerInquiry(q)
	}
	name := a.opts.last("token-file")
	f, err := os.Open(name)
	if err != nil {
		return nil, false, fmt.Errorf("can't open '%s': %s", name, errText(err))
	}
	defer f.Close()
	tok, err := firstLine(f)
	tok = bytes.TrimSpace(tok)
	if err != nil || !keyslot.IsToken(tok) {
		return nil, false, fmt.Errorf("'%s' does not hold an access token", name)
	}
	return tok, true, nil
}
