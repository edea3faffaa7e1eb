// Command front is a daemonless, gpg-compatible OpenPGP tool. It does all
// public-key work itself and starts a one-shot, sandboxed helper for
// anything that needs a secret key.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
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
	failureEmitted bool

	certs       openpgp.EntityList // loaded on first use
	certsLoaded bool
	secrets     map[string]store.SecretInfo
	prestarted  *helperProc
}

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

func run(argv []string, stdout, stderr io.Writer) int {
	a := &app{argv0: filepath.Base(argv[0]), stdout: stdout, stderr: stderr, now: time.Now()}
	opts, err := parseArgs(argv[1:])
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", a.progName(), err)
		return 2
	}
	a.opts = opts
	if err := a.setup(); err != nil {
		a.errorf("%v", err)
		return 2
	}
	switch a.opts.command {
	case "sign", "clearsign", "detach-sign", "sign-encrypt", "sign-symmetric", "sign-encrypt-symmetric":
		a.prestartKeyhelper()
	}
	err = a.dispatch()
	a.releasePrestarted()
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
	if a.failureEmitted {
		return
	}
	a.failureEmitted = true
	a.status.Emit("FAILURE", location, strconv.Itoa(code))
}

// progName is the name used in messages: gpg's when invoked as gpg.
func (a *app) progName() string {
	if a.argv0 == "gpgv" {
		return "gpgv"
	}
	if strings.HasPrefix(a.argv0, "gpg") {
		return "gpg"
	}
	return "front"
}

func (a *app) setup() error {
	a.home = a.opts.last("homedir")
	if a.home == "" {
		a.home = os.Getenv("GNUPGHOME")
	}
	if a.home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return err
		}
		a.home = filepath.Join(h, ".gnupg")
	}
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
	switch {
	case a.opts.has("status-fd"):
		fd, err := strconv.Atoi(a.opts.last("status-fd"))
		if err != nil || fd < 0 {
			return fmt.Errorf("invalid status-fd")
		}
		switch fd {
		case 1:
			a.status = status.New(a.stdout)
		case 2:
			a.status = status.New(a.stderr)
		default:
			a.status = status.New(os.NewFile(uintptr(fd), "status-fd"))
		}
	case a.opts.has("status-file"):
		f, err := os.OpenFile(a.opts.last("status-file"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		a.status = status.New(f)
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
	switch a.opts.command {
	case "version":
		return a.version()
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
		return a.importCmd(args)
	case "export":
		return a.exportCmd(args, false, false)
	case "export-secret-keys":
		return a.exportCmd(args, true, false)
	case "export-secret-subkeys":
		return a.exportCmd(args, true, true)
	case "list-keys", "fingerprint":
		return a.listCmd(args, false)
	case "list-secret-keys":
		return a.listCmd(args, true)
	case "delete-keys":
		return a.deleteCmd(args, false, true)
	case "delete-secret-keys":
		return a.deleteCmd(args, true, false)
	case "delete-secret-and-public-key":
		return a.deleteCmd(args, true, true)
	case "":
		// gpg without a command guesses from the input: a signature is
		// verified, an encrypted message decrypted, keys listed.
		return a.decryptCmd(args)
	}
	return &usageError{fmt.Sprintf("command %q not supported", a.opts.command)}
}

func (a *app) version() error {
	name := a.progName()
	if name == "gpg" {
		fmt.Fprintf(a.stdout, "gpg (GnuPG) %s\n", gpgVersion)
		fmt.Fprintf(a.stdout, "front %s (daemonless OpenPGP; gpg-compatible interface)\n", ourVersion)
	} else {
		fmt.Fprintf(a.stdout, "front %s\n", ourVersion)
	}
	fmt.Fprintf(a.stdout, "Home: %s\n", a.home)
	fmt.Fprintln(a.stdout, "Supported algorithms:")
	fmt.Fprintln(a.stdout, "Pubkey: RSA, ECDH, ECDSA, EDDSA")
	fmt.Fprintln(a.stdout, "Cipher: AES, AES192, AES256")
	fmt.Fprintln(a.stdout, "Hash: SHA1, SHA224, SHA256, SHA384, SHA512")
	fmt.Fprintln(a.stdout, "Compression: Uncompressed, ZIP, ZLIB")
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
	if _, err := os.Stat(name); err == nil && !a.opts.has("yes") {
		if a.opts.has("batch") {
			return nil, &exitError{2, fmt.Sprintf("'%s' exists; use --yes to overwrite", name)}
		}
	}
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return nil, &exitError{2, fmt.Sprintf("can't create '%s': %s", name, errText(err))}
	}
	return &output{w: f, f: f, target: name}, nil
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
