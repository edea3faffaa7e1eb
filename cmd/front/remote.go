package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/pinentry"
	"github.com/frontpgp/front/remote"
	"github.com/frontpgp/front/store"
)

// remoteLogName is the log in the local home with one line per request
// served for a remote machine.
const remoteLogName = "remote-use.log"

// opName names a keyhelper request in messages and the use log.
func opName(t ipc.MsgType) string {
	switch t {
	case ipc.TypeSignRequest:
		return "sign"
	case ipc.TypeDecryptRequest:
		return "decrypt"
	case ipc.TypeListRequest:
		return "list secret keys"
	}
	return fmt.Sprintf("request %#x", uint16(t))
}

// errRemoteRefused is a secret-key operation this front cannot do because
// its keys are on the machine behind FRONT_REMOTE_SIGNER.
func errRemoteRefused(what string) error {
	return &exitError{code: 2, msg: what + " is not allowed over a remote signer"}
}

// checkRemoteCommand refuses, under a remote signer, the commands that
// would reach a card or a secret key for more than signing or decrypting
// before they start; the others are judged per request (callRemoteSigner).
func (a *app) checkRemoteCommand() error {
	if a.remoteSigner == "" {
		return nil
	}
	switch c := a.opts.command; c {
	case "card-status", "edit-card", "change-passphrase", "export-secret-keys", "export-secret-subkeys",
		"quick-generate-key", "generate-key", "full-generate-key", "delete-secret-keys", "delete-secret-and-public-key":
		return errRemoteRefused("--" + c)
	}
	return nil
}

// callRemoteSigner is callKeyhelper on a remote machine: the request goes
// to the local front of the ssh session instead of a keyhelper here.
func (a *app) callRemoteSigner(req, res ipc.Message) error {
	if !remote.Allowed(req.Type()) {
		return errRemoteRefused(fmt.Sprintf("secret key operation %#x", uint16(req.Type())))
	}
	a.keyhelperOp = req.Type()
	return remote.Call(a.remoteSigner, req, res)
}

// remoteSecretKeys asks the remote signer which keys have secrets. The
// answer is not recorded in this home: it may be shared with machines
// that reach other keys, or none.
func (a *app) remoteSecretKeys() map[string]store.SecretInfo {
	var res ipc.ListResult
	if err := a.callRemoteSigner(&ipc.ListRequest{}, &res); err != nil {
		a.errorf("listing secret keys: %v", err)
		res.Listing = nil
	}
	a.secrets = listingMap(res.Listing)
	return a.secrets
}

// sshArgOptions are ssh's options that take an argument (OpenSSH 9.2).
const sshArgOptions = "BbcDEeFIiJLlmOopQRSWw"

// splitSSHArgs splits front ssh's arguments into ssh's options, the host
// and the remote command's words, as ssh itself reads them.
func splitSSHArgs(args []string) (opts []string, host string, command []string, err error) {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			if i+1 < len(args) {
				return opts, args[i+1], args[i+2:], nil
			}
			break
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			return opts, arg, args[i+1:], nil
		}
		opts = append(opts, arg)
		for j := 1; j < len(arg); j++ {
			if strings.IndexByte(sshArgOptions, arg[j]) < 0 {
				continue
			}
			if j == len(arg)-1 {
				if i+1 == len(args) {
					return nil, "", nil, fmt.Errorf("ssh option -%c needs an argument", arg[j])
				}
				i++
				opts = append(opts, args[i])
			}
			break
		}
	}
	return nil, "", nil, errors.New("usage: gpg ssh [ssh options] HOST [COMMAND...]")
}

// shQuote quotes s for a POSIX shell.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// remoteScript is what the remote login shell runs: it exports the
// forwarded socket's path, runs the command (or a login shell) in the
// user's shell and removes the socket when it ends, or when the session
// is gone before it. It is handed to
// /bin/sh so that any login shell can start it.
func remoteScript(sock string, command []string) string {
	run := `"${SHELL:-/bin/sh}" -l`
	if len(command) > 0 {
		run = `"${SHELL:-/bin/sh}" -c ` + shQuote(strings.Join(command, " "))
	}
	rm := "rm -f " + shQuote(sock)
	// The watcher removes the socket when sshd's session process (the
	// parent) is gone while the command still runs: ssh was killed.
	watch := "(while kill -0 $PPID 2>/dev/null; do sleep 1; done; " + rm + ") </dev/null >/dev/null 2>&1 &"
	script := fmt.Sprintf("%s=%s; export %s; trap %s EXIT HUP INT TERM; %s %s",
		remote.EnvVar, shQuote(sock), remote.EnvVar, shQuote(rm), watch, run)
	return "exec /bin/sh -c " + shQuote(script)
}

// runSSH is front ssh: the system's ssh with the session's local endpoint
// forwarded to a fresh random socket path on the remote machine.
func (a *app) runSSH(args []string) int {
	if code, stop := a.startGPG(nil); stop {
		return code
	}
	if err := a.setup(); err != nil {
		a.errorf("%v", err)
		return 2
	}
	if err := a.sshCmd(args); err != nil {
		a.fail(err)
	}
	return a.exitCode
}

func (a *app) sshCmd(args []string) error {
	opts, host, command, err := splitSSHArgs(args)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	var rnd [16]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	sock := "/tmp/front-signer-" + hex.EncodeToString(rnd[:]) + ".sock"
	ep, err := remote.Listen("")
	if err != nil {
		return fmt.Errorf("making the local endpoint: %w", err)
	}
	defer ep.Close()
	// One request at a time: the passphrase dialog and cache are the
	// front process's, and each request gets its own restricted helper.
	var mu sync.Mutex
	go ep.Serve(func(req ipc.Message) (ipc.Message, error) {
		mu.Lock()
		defer mu.Unlock()
		return a.serveRemote(host, req)
	})
	sshArgs := []string{"-o", "ExitOnForwardFailure=yes", "-R", sock + ":" + ep.Path()}
	if len(command) == 0 {
		sshArgs = append(sshArgs, "-t")
	}
	sshArgs = append(append(sshArgs, opts...), "--", host, remoteScript(sock, command))
	cmd := exec.Command("ssh", sshArgs...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Signals from the terminal reach ssh too; front stays to clean up.
	// Others are passed on to ssh.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	mu.Lock()
	err = cmd.Start()
	if err == nil {
		a.sshProc = cmd.Process
	}
	mu.Unlock()
	if err != nil {
		return fmt.Errorf("starting ssh: %w", err)
	}
	go func() {
		for s := range sigs {
			if s == syscall.SIGTERM || s == syscall.SIGHUP {
				cmd.Process.Signal(s)
				// a held ssh (holdSSH) gets the signal only once it runs
				cmd.Process.Signal(syscall.SIGCONT)
			}
		}
	}()
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code := ee.ExitCode()
		if code < 0 {
			code = 255
		}
		return &exitError{code: code}
	}
	return err
}

// serveRemote answers one forwarded request with the local keys: the
// listing from this home, sign and decrypt from a fresh restricted
// keyhelper whose inquiries are answered here. Each gets a use log line.
func (a *app) serveRemote(host string, req ipc.Message) (ipc.Message, error) {
	var res ipc.Message
	var err error
	var fpr []byte
	switch r := req.(type) {
	case *ipc.ListRequest:
		a.secrets = nil
		res = &ipc.ListResult{Listing: listingEntries(a.secretKeys())}
	case *ipc.SignRequest:
		fpr, res = r.KeyFingerprint, new(ipc.SignResult)
	case *ipc.DecryptRequest:
		fpr, res = r.KeyFingerprint, new(ipc.DecryptResult)
	default:
		return nil, &ipc.Error{Code: ipc.ErrCodeNotPermitted, Message: "not allowed over a remote signer"}
	}
	a.remoteHost = host
	if fpr != nil && a.agentConf().remoteConfirm {
		err = a.confirmRemote(host, req.Type(), fpr)
	}
	if fpr != nil && err == nil {
		err = a.serveRemoteKey(req, res, fpr)
	}
	a.remoteHost = ""
	a.logRemoteUse(host, req.Type(), fpr, err)
	if err == errNoPassphrase {
		err = &ipc.Error{Code: ipc.ErrCodeCanceled, Message: "no passphrase given on the signing machine"}
	}
	return res, err
}

// holdSSH stops front ssh's ssh while a forwarded request's question is
// asked here, on the terminal or through a pinentry that may use it: ssh
// reads the same terminal and forwards what it reads to the remote
// machine, so a PIN or passphrase typed while it reads could go there.
// The returned function lets ssh go on.
func (a *app) holdSSH() func() {
	p := a.sshProc
	if p == nil || a.remoteHost == "" || p.Signal(syscall.SIGSTOP) != nil {
		return func() {}
	}
	return func() { p.Signal(syscall.SIGCONT) }
}

// remotePrompt is prompt, for a request served for a remote machine,
// headed by the host that asks and what for.
func (a *app) remotePrompt(prompt string) string {
	if a.remoteHost == "" {
		return prompt
	}
	return fmt.Sprintf("%s asks over front ssh to %s.\n%s", a.remoteHost, opName(a.keyhelperOp), prompt)
}

// serveRemoteKey does a forwarded sign or decrypt request with the key
// fpr: on its card as a local card operation does (the card matched by
// serial, the PIN asked here, never retried), else with a fresh
// restricted keyhelper. res is the request's result.
func (a *app) serveRemoteKey(req, res ipc.Message, fpr []byte) error {
	k := a.keyByFingerprint(fpr)
	serial := ""
	if k != nil {
		serial = a.cardOf(k.PublicKey)
	}
	if serial == "" {
		return a.callKeyhelper(false, req, res)
	}
	// what an earlier request left is not this one's failure
	a.fe.passFailure, a.badPassphrase = nil, false
	a.keyhelperOp = req.Type()
	var err error
	switch r := req.(type) {
	case *ipc.SignRequest:
		out := res.(*ipc.SignResult)
		out.Signature, err = a.cardSignature(k.PublicKey, serial, r)
	case *ipc.DecryptRequest:
		out := res.(*ipc.DecryptResult)
		out.Cipher, out.SessionKey, err = a.cardSessionKey(k.PublicKey, serial, r.PKESK)
	}
	return remoteCardError(err)
}

// remoteCardError is a local card failure as the answer to a remote
// request: the ipc code from which the remote front's cardCallFailed
// gives the same gpg error as a local card operation (Bad PIN, PIN
// blocked, Card not present, Card removed, Card error); a PIN that was not
// given is a cancelled request, as for a passphrase.
func remoteCardError(err error) error {
	var cf *cardFailure
	if !errors.As(err, &cf) {
		return err
	}
	e := &ipc.Error{Code: ipc.ErrCodeCanceled, Message: cf.msg}
	switch cf.code & 0xffff {
	case errBadPIN, errBadPassphrase:
		e.Code = ipc.ErrCodeBadPassphrase
	case errPINBlocked:
		e.Code = ipc.ErrCodePINBlocked
	case errCardNotPresent:
		e.Code = ipc.ErrCodeNoCard
	case errCardRemoved:
		e.Code = ipc.ErrCodeCardError
	case errCard:
		e.Code, e.Message = ipc.ErrCodeCardError, strings.TrimPrefix(cf.msg, "Card error: ")
	case errBadData:
		e.Code = ipc.ErrCodeBadData
	}
	return e
}

// logRemoteUse appends one line to the remote use log of this home.
func (a *app) logRemoteUse(host string, t ipc.MsgType, fpr []byte, err error) {
	result := "ok"
	if err != nil {
		result = "failed: " + strings.ReplaceAll(err.Error(), "\n", " ")
	}
	line := fmt.Sprintf("%s host=%s op=%q key=%X %s\n", time.Now().UTC().Format(time.RFC3339), host, opName(t), fpr, result)
	f, ferr := os.OpenFile(filepath.Join(a.home, remoteLogName), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if ferr != nil {
		a.infof("could not write the remote use log: %v", ferr)
		return
	}
	defer f.Close()
	f.WriteString(line)
}

// confirmRemote asks the local pinentry whether host may use key fpr for
// op (gpg-agent.conf: remote-confirm); a no is a cancelled request.
func (a *app) confirmRemote(host string, op ipc.MsgType, fpr []byte) error {
	defer a.holdSSH()()
	if err := a.startPinentry(a.agentConf()); err != nil {
		return err
	}
	defer func() {
		a.pin.Close()
		a.pin = nil
	}()
	desc := fmt.Sprintf("%s asks over front ssh to %s with key %X.\nAllow it?", host, opName(op), fpr)
	if err := a.pin.Confirm(pinentry.Request{Desc: desc}); err != nil {
		return &ipc.Error{Code: ipc.ErrCodeCanceled, Message: "not confirmed on the signing machine"}
	}
	return nil
}
