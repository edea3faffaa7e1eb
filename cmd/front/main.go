// Command front is a daemonless, gpg-compatible OpenPGP tool. It does all
// public-key work itself and starts a one-shot, sandboxed helper for
// anything that needs a secret key.
package main

import (
	"crypto"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/pinentry"
	"github.com/frontpgp/front/remote"
	"github.com/frontpgp/front/secretcache"
	"github.com/frontpgp/front/status"
	"github.com/frontpgp/front/store"
)

// gpgVersion is what we claim to be compatible with when invoked as gpg.
const gpgVersion = "2.2.40"

// ourVersion is this program's own version.
const ourVersion = "0.1.0"

// app is one invocation: parsed options, the home, and the outputs.
type app struct {
	argv0          string
	opts           *parsed
	home           string
	store          *store.Store
	status         *status.Writer
	stdout         io.Writer
	stderr         io.Writer
	now            time.Time
	exitCode       int
	passphrase     []byte
	passphraseRead bool
	badPassphrase  bool
	// noPassphraseHints: gpg-agent's passwd dialog runs without gpg's
	// USERID_HINT/NEED_PASSPHRASE announcements.
	noPassphraseHints bool
	failureEmitted    bool

	certs       openpgp.EntityList // loaded on first use
	certsLoaded bool
	// keyringCerts are gpg's --keyring files (read-only), searched after
	// the store.
	keyringCerts openpgp.EntityList
	secrets      map[string]store.SecretInfo
	askingPIN    bool // the question being asked is a card's PIN (not cached)
	// listNoValidity lists without validity (a key just generated on a card)
	listNoValidity bool
	prestarted     *helperProc
	termLine       *termLine     // progress line on a terminal stderr (progress.go)
	fe             frontendState // --command-fd and status-protocol state (commandfd.go)
	// gpgv is set when invoked as gpgv (gpgv.go): only the --keyring
	// certificates, no store, no TRUST_ lines, no FAILURE lines.
	gpgv             bool
	gpgvKeyringsOpen bool                 // some --keyring could be read
	weakDigestNoted  map[crypto.Hash]bool // rejection already noted (gpgv.go)
	trust            *trustState          // ownertrust and validity, loaded on first use (trustcmd.go)
	// uidCache holds the primary fingerprints gpg's user-ID cache would
	// hold: keys a lookup found in this run (lookup.go, keyConsidered).
	uidCache map[string]bool

	// keepNewPassphrase: remember the passphrase a new key gets
	// (newKeyPassphrase) to make its revocation certificate
	keepNewPassphrase bool
	newKeyPassphrase  []byte

	// sessionKeyFromFD is the line read from --override-session-key-fd.
	sessionKeyFromFD *string

	// passphrase dialog state (passphrase.go, agentconf.go)
	agent           *agentConfig       // gpg-agent.conf, read on first need
	cache           *secretcache.Cache // nil: nothing is cached
	cacheOpened     bool
	pin             *pinentry.Conn // open during one keyhelper session
	pending         *pendingAnswer // the last answer keyhelper has not judged yet
	keyhelperOp     ipc.MsgType    // the request of the running keyhelper session
	loopbackRefused bool           // no-allow-loopback-pinentry was reported

	// remoteSigner is FRONT_REMOTE_SIGNER: the socket that reaches the
	// keys of the machine this session came from (remote.go)
	remoteSigner string
	// remoteHost is the host a forwarded request came from, while front
	// ssh serves it (its prompts name it)
	remoteHost string
	// sshProc is front ssh's ssh, held while a question is asked here
	// (holdSSH)
	sshProc *os.Process
}

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

func run(argv []string, stdout, stderr io.Writer) int {
	a := &app{argv0: filepath.Base(argv[0]), stdout: stdout, stderr: stderr, now: time.Now()}
	switch a.personality() {
	case "gpgv":
		return a.runGPGV(argv[1:])
	case "gpgconf":
		return a.runGPGConf(argv[0], argv[1:])
	}
	// front ssh is front's own command: as gpg, "ssh" stays a file name
	// for gpg's default operation
	if a.argv0 == "front" && len(argv) > 1 && argv[1] == "ssh" {
		return a.runSSH(argv[2:])
	}
	a.remoteSigner = os.Getenv(remote.EnvVar)
	if code, stop := a.startGPG(argv[1:]); stop {
		return code
	}
	a.setupTerminalProgress()
	if err := a.setup(); err != nil {
		a.errorf("%v", err)
		return 2
	}
	if err := a.setupKeyrings(); err != nil {
		a.fail(err)
		return a.exitCode
	}
	if a.opts.has("passphrase-fd") {
		// gpg reads the passphrase line as soon as it has its options,
		// before any data: clients (python-gnupg) send both on stdin,
		// the passphrase first.
		if _, _, err := a.fixedPassphrase(); err != nil {
			a.errorf("%v", err)
			return 2
		}
	}
	if err := a.readOverrideSessionKeyFD(); err != nil {
		a.errorf("%v", err)
		return 2
	}
	a.autoMigrate()
	switch a.opts.command {
	case "sign", "clearsign", "detach-sign", "sign-encrypt", "sign-symmetric", "sign-encrypt-symmetric":
		a.prestartKeyhelper()
	}
	err := a.dispatch()
	if a.store != nil {
		a.store.SaveMemo()
	}
	a.releasePrestarted()
	a.endTerminalProgress()
	if err != nil {
		a.fail(err)
	}
	return a.exitCode
}

// errStop ends the run at once with exactly this exit code, the way gpg
// calls g10_exit(code) in the middle of an operation: it reports a
// FAILURE gpg-exit line unless a FAILURE line was already written.
type errStop struct{ code int }

func (e *errStop) Error() string { return fmt.Sprintf("stopped with exit code %d", e.code) }

// failure emits gpg's FAILURE status line; gpg prints at most one.
func (a *app) failure(location string, code int) {
	if a.failureEmitted || a.gpgv {
		return
	}
	a.failureEmitted = true
	a.status.Emit("FAILURE", location, strconv.Itoa(code))
}

// personality is what front acts as, from the name it is invoked by:
// gpgv, gpgconf, else gpg (gpg, gpg2, front).
func (a *app) personality() string {
	switch a.argv0 {
	case "gpgv", "gpgv2":
		return "gpgv"
	case "gpgconf":
		return "gpgconf"
	}
	return "gpg"
}

// progName is the name used in messages: gpg's when invoked as gpg.
func (a *app) progName() string {
	switch {
	case a.personality() != "gpg":
		return a.personality()
	case strings.HasPrefix(a.argv0, "gpg"):
		return "gpg"
	}
	return "front"
}

// setup opens the home (a.home, set with the options) and the outputs.
func (a *app) setup() error {
	st, err := store.Open(a.home)
	if err != nil {
		return err
	}
	a.store = st
	if t := a.opts.last("faked-system-time"); t != "" {
		ft, err := parseFakedTime(t)
		if err != nil {
			return err
		}
		a.now = ft
	}
	if err := a.setupStatus(); err != nil {
		return err
	}
	return a.setupFrontend()
}

// setupStatus opens --status-fd or --status-file.
func (a *app) setupStatus() error {
	switch {
	case a.opts.has("status-fd"):
		fd, err := strconv.Atoi(a.opts.last("status-fd"))
		if err != nil || fd < 0 {
			return fmt.Errorf("invalid status-fd")
		}
		switch fd {
		case 1:
			a.status = a.newStatus(a.stdout)
		case 2:
			a.status = a.newStatus(a.stderr)
		default:
			a.status = a.newStatus(os.NewFile(uintptr(fd), "status-fd"))
		}
	case a.opts.has("status-file"):
		f, err := os.OpenFile(a.opts.last("status-file"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		a.status = a.newStatus(f)
	}
	return nil
}

// parseFakedTime accepts gpg's --faked-system-time: epoch seconds or
// YYYYMMDDTHHMMSS, with an optional trailing '!'.
func parseFakedTime(s string) (time.Time, error) {
	s = strings.TrimSuffix(s, "!")
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	t, err := time.Parse("20060102T150405", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid time %q", s)
	}
	return t, nil
}

func (a *app) dispatch() error {
	args := a.opts.args
	if err := a.checkRemoteCommand(); err != nil {
		return err
	}
	switch a.opts.command {
	case "version":
		return a.version()
	case "list-config":
		return a.listConfig(args)
	case "quick-generate-key":
		return a.quickGenKey(args)
	case "generate-key":
		return a.genKeyBatch(args)
	case "sign", "clearsign", "detach-sign":
		return a.signCmd(args)
	case "encrypt", "symmetric", "sign-encrypt", "sign-symmetric", "encrypt-symmetric", "sign-encrypt-symmetric":
		return a.encryptCmd(args)
	case "decrypt":
		return a.decryptCmd(args)
	case "verify":
		return a.verifyCmd(args)
	case "import":
		showOnly, err := a.importShowOnly()
		if err != nil {
			return err
		}
		if showOnly {
			return a.showKeysCmd(args)
		}
		return a.importCmd(args)
	case "show-keys":
		return a.showKeysCmd(args)
	case "card-status":
		return a.cardStatusCmd(args)
	case "edit-card":
		return a.cardEditCmd(args)
	case "change-pin":
		return a.changePINCmd(args)
	case "list-signatures":
		return a.listSigsCmd(args, a.opts.has("with-sig-check"), false)
	case "check-signatures":
		return a.listSigsCmd(args, true, false)
	case "export":
		return a.exportCmd(args, false, false)
	case "export-secret-keys":
		return a.exportCmd(args, true, false)
	case "export-secret-subkeys":
		return a.exportCmd(args, true, true)
	case "export-ssh-key":
		return a.exportSSHKeyCmd(args)
	case "list-keys", "fingerprint":
		// gpg: --with-sig-list is --list-sigs, --with-sig-check
		// --check-sigs (GPGME's KEYLIST_MODE_SIGS passes the latter)
		if a.opts.has("with-sig-check") || a.opts.has("with-sig-list") {
			return a.listSigsCmd(args, a.opts.has("with-sig-check"), false)
		}
		return a.listCmd(args, false)
	case "locate-keys", "locate-external-keys":
		return a.locateCmd(args, a.opts.command == "locate-external-keys")
	case "list-secret-keys":
		// as for --list-keys: GPGME asks -K --with-sig-check
		if a.opts.has("with-sig-check") || a.opts.has("with-sig-list") {
			return a.listSigsCmd(args, a.opts.has("with-sig-check"), true)
		}
		return a.listCmd(args, true)
	case "import-ownertrust":
		return a.importOwnertrustCmd(args)
	case "export-ownertrust":
		return a.exportOwnertrustCmd(args)
	case "check-trustdb", "update-trustdb":
		return a.checkTrustdbCmd(args)
	case "delete-keys":
		return a.deleteCmd(args, false, true)
	case "delete-secret-keys":
		return a.deleteCmd(args, true, false)
	case "delete-secret-and-public-key":
		return a.deleteCmd(args, true, true)
	case "receive-keys":
		return a.recvKeysCmd(args)
	case "search-keys":
		return a.searchKeysCmd(args)
	case "send-keys":
		return a.sendKeysCmd(args)
	case "refresh-keys":
		return a.refreshKeysCmd(args)
	case "dearmor":
		return a.dearmorCmd(args)
	case "enarmor":
		return a.enarmorCmd(args)
	case "list-packets":
		return a.listPacketsCmd(args)
	case "print-md":
		return a.printMDCmd(args)
	case "print-mds":
		return a.printMDsCmd(args)
	case "quick-add-uid":
		return a.quickAddUID(args)
	case "quick-revoke-uid":
		return a.quickRevokeUID(args)
	case "quick-set-primary-uid":
		return a.quickSetPrimaryUID(args)
	case "quick-set-expire":
		return a.quickSetExpire(args)
	case "quick-add-key":
		return a.quickAddKey(args)
	case "change-passphrase":
		return a.passwdCmd(args)
	case "edit-key":
		return a.editKeyCmd(args)
	case "create-token":
		return a.createTokenCmd(args)
	case "list-tokens":
		return a.listTokensCmd(args)
	case "revoke-token":
		return a.revokeTokenCmd(args)
	case "migrate-gnupg":
		return a.migrateCmd(args)
	case "generate-revocation":
		return a.genRevokeCmd(args)
	case "sign-key":
		return a.signKeyCmd(args, false, false)
	case "lsign-key":
		return a.signKeyCmd(args, true, false)
	case "quick-sign-key":
		return a.signKeyCmd(args, false, true)
	case "quick-lsign-key":
		return a.signKeyCmd(args, true, true)
	case "":
		// gpg without a command guesses from the input: a signature is
		// verified, an encrypted message decrypted, keys listed.
		return a.decryptCmd(args)
	}
	return &usageError{fmt.Sprintf("command %q not supported", a.opts.command)}
}

// version prints gpg's --version layout: the GnuPG version it is
// compatible with first (scripts cut field 3 of that line), then what it
// really is, the home and the algorithms --list-config reports.
func (a *app) version() error {
	fmt.Fprintf(a.stdout, "%s (GnuPG) %s\n", a.personality(), gpgVersion)
	fmt.Fprintf(a.stdout, "front %s (daemonless OpenPGP; gpg-compatible interface)\n", ourVersion)
	if a.personality() == "gpgconf" {
		return nil
	}
	fmt.Fprintf(a.stdout, "\nHome: %s\n", a.home)
	fmt.Fprintln(a.stdout, "Supported algorithms:")
	names := map[string]string{}
	for _, r := range configRecords() {
		names[r.names[0]] = strings.ReplaceAll(r.value, ";", ", ")
	}
	fmt.Fprintf(a.stdout, "Pubkey: %s\nCipher: %s\nHash: %s\nCompression: %s\n",
		names["pubkeyname"], names["ciphername"], names["digestname"], names["compressname"])
	return nil
}

// errorf prints a gpg-style error line and marks the exit code as 2.
func (a *app) errorf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "%s: %s\n", a.progName(), fmt.Sprintf(format, args...))
	a.exitCode = 2
}

// infof prints an informational line unless --quiet.
func (a *app) infof(format string, args ...any) {
	if a.opts.has("quiet") {
		return
	}
	fmt.Fprintf(a.stderr, "%s: %s\n", a.progName(), fmt.Sprintf(format, args...))
}

// exitError carries a message already formatted and an exit code.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func (a *app) fail(err error) {
	var stop *errStop
	if errors.As(err, &stop) {
		a.failure("gpg-exit", gpgError(srcGPG, errGeneral))
		a.exitCode = stop.code
		return
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(a.stderr, "%s: %s\n", a.progName(), ee.msg)
		}
		if ee.code > a.exitCode {
			a.exitCode = ee.code
		}
		return
	}
	a.errorf("%v", err)
}

// openInput opens a file argument or stdin for "" and "-".
func (a *app) openInput(name string) (io.ReadCloser, error) {
	if name == "" || name == "-" {
		return io.NopCloser(os.Stdin), nil
	}
	if fd, ok := a.specialFD(name); ok {
		return os.NewFile(uintptr(fd), name), nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, &exitError{2, fmt.Sprintf("can't open '%s': %s", name, errText(err))}
	}
	return f, nil
}

func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	s := err.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// output is where results go: -o FILE (written to a temp name and renamed
// on success, so a failed run leaves no partial file) or stdout.
type output struct {
	w      io.Writer
	f      *os.File
	target string
}

func (a *app) openOutput(defaultName string) (*output, error) {
	name := a.opts.last("output")
	if name == "" {
		name = defaultName
	}
	if name == "" || name == "-" {
		return &output{w: a.stdout}, nil
	}
	if fd, ok := a.specialFD(name); ok {
		return &output{w: os.NewFile(uintptr(fd), name)}, nil
	}
	if st, err := os.Stat(name); err == nil && !st.Mode().IsRegular() {
		// Devices, fifos (/dev/null, /dev/stdout, a pipe): written as they
		// are. A rename over them would replace the device with a file.
		f, err := os.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			return nil, &exitError{2, fmt.Sprintf("can't create '%s': %s", name, errText(err))}
		}
		return &output{w: f}, nil
	}
	if resolved, err := filepath.EvalSymlinks(name); err == nil {
		// Write through a symlink, as gpg does, rather than replace it.
		name = resolved
	}
	name, err := a.confirmOutputName(name)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return nil, &exitError{2, fmt.Sprintf("can't create '%s': %s", name, errText(err))}
	}
	o := &output{w: f, f: f, target: name}
	a.fe.temps = append(a.fe.temps, o)
	return o, nil
}

// commit finishes the output; abort removes a partial file.
func (o *output) commit() error {
	if o.f == nil {
		return nil
	}
	if err := o.f.Close(); err != nil {
		return err
	}
	return os.Rename(o.f.Name(), o.target)
}

func (o *output) abort() {
	if o.f != nil {
		o.f.Close()
		os.Remove(o.f.Name())
	}
}
