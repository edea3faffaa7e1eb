package main

// The status protocol front-ends drive gpg with: --command-fd prompts
// (GET_BOOL / GET_LINE / GET_HIDDEN answered one line each, GOT_IT after
// every answer), the loopback passphrase dialog, --exit-on-status-write-error,
// gpg's SIG_ID value and the hash a signed-and-encrypted message uses.

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/keylist"
	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/status"
)

// controlD is what gpg reads as "cancel" on the command fd; end of file
// counts as the same.
const controlD = 0x04

// maxCommandLine bounds one answer read from the command fd.
const maxCommandLine = 4096

// inquireMaxLen is the passphrase length gpg announces (INQUIRE_MAXLEN)
// before it asks for a passphrase in loopback mode.
const inquireMaxLen = "100"

// gpg error codes of the prompt dialog (libgpg-error numbers).
const (
	errInvPassphrase    = 31
	errNoPassphraseCode = 177   // GPG_ERR_NO_PASSPHRASE
	errFileExists       = 32803 // GPG_ERR_EEXIST
)

// frontendState is what the prompt protocol keeps for one invocation.
type frontendState struct {
	cmd *os.File // the --command-fd, nil without the option
	// passFailure says why the last passphrase dialog gave no passphrase,
	// so the failure is reported with gpg's code and text.
	passFailure *passphraseFailure
	// temps are output files being written; an exit forced by a status
	// write error removes them, as a failed run never leaves partial output.
	temps []*output
}

// passphraseFailure is gpg's error for a passphrase that was not given.
type passphraseFailure struct {
	code int
	msg  string
}

var (
	errPassphraseCanceled = errors.New("Operation cancelled")
	errPassphraseInvalid  = errors.New("Invalid passphrase")
)

// setupFrontend reads --passphrase-fd and opens --command-fd (or
// --command-file). gpg reads
// the passphrase line while it parses its options, before any data: a
// front-end (python-gnupg) writes it to stdin ahead of the data. gpg
// refuses a command fd that is not open.
func (a *app) setupFrontend() error {
	if a.opts.has("passphrase-fd") {
		if _, _, err := a.fixedPassphrase(); err != nil {
			return err
		}
	}
	switch a.commandSource() {
	case "command-file":
		// gpg opens the file as it parses the option and reads prompts
		// from it as from --command-fd
		name := a.opts.last("command-file")
		f, err := os.Open(name)
		if err != nil {
			a.failure("option-parser", gpgError(srcGPG, errGeneral))
			return &exitError{2, fmt.Sprintf("can't open '%s': %s", name, errText(err))}
		}
		a.fe.cmd = f
		return nil
	case "":
		return nil
	}
	fd, err := strconv.Atoi(a.opts.last("command-fd"))
	if err != nil || fd < 0 {
		return fmt.Errorf("command-fd is invalid: Bad file descriptor")
	}
	f := os.Stdin
	if fd != 0 {
		f = os.NewFile(uintptr(fd), "command-fd")
	}
	if f == nil {
		return fmt.Errorf("command-fd is invalid: Bad file descriptor")
	}
	if _, err := f.Stat(); err != nil {
		return fmt.Errorf("command-fd is invalid: Bad file descriptor")
	}
	a.fe.cmd = f
	return nil
}

// commandSource is the one of --command-fd and --command-file given last
// (both set gpg's command fd), or "".
func (a *app) commandSource() string {
	for i := len(a.opts.items) - 1; i >= 0; i-- {
		if n := a.opts.items[i].spec.name; n == "command-fd" || n == "command-file" {
			return n
		}
	}
	return ""
}

// newStatus makes the status writer for w. With
// --exit-on-status-write-error the first failed status write ends the
// process as gpg's g10_exit(0) does: the exit code is what the run has
// earned so far (2 after an error, 1 after a bad signature, else 0).
func (a *app) newStatus(w io.Writer) *status.Writer {
	if !a.opts.has("exit-on-status-write-error") {
		return status.New(w)
	}
	return status.New(&exitOnErrorWriter{w: w, exit: a.exitAfterStatusError})
}

type exitOnErrorWriter struct {
	w    io.Writer
	exit func()
}

func (e *exitOnErrorWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil {
		e.exit()
	}
	return n, err
}

func (a *app) exitAfterStatusError() {
	for _, o := range a.fe.temps {
		o.abort()
	}
	a.releasePrestarted()
	os.Exit(a.exitCode)
}

// commandFD reports whether prompts go to the command fd.
func (a *app) commandFD() bool { return a.fe.cmd != nil }

// loopbackPrompt reports whether a passphrase gpg-agent would ask for is
// asked on the command fd instead: gpg relays the agent's inquiry there
// only with --pinentry-mode loopback.
func (a *app) loopbackPrompt() bool {
	return a.commandFD() && a.opts.last("pinentry-mode") == "loopback"
}

// cprGet is gpg's do_get_from_fd: announce the prompt with its keyword,
// read one line from the command fd, acknowledge with GOT_IT. A line with
// Ctrl-D, or end of file, is a cancel.
func (a *app) cprGet(kind, keyword string) (answer string, canceled bool) {
	a.status.Emit(kind, keyword)
	var line []byte
	var b [1]byte
	for {
		// one byte at a time: what follows the line stays for the next
		// prompt (or, on stdin, for the data)
		if n, _ := a.fe.cmd.Read(b[:]); n == 0 {
			// end of file (or an error): gpg substitutes Ctrl-D, a cancel
			canceled = true
			break
		}
		if b[0] == '\n' {
			break
		}
		if b[0] == controlD {
			canceled = true
			break
		}
		if len(line) < maxCommandLine {
			line = append(line, b[0])
		}
	}
	a.status.Emit("GOT_IT")
	if canceled {
		return "", true
	}
	// gpg keeps every other byte, a carriage return included
	return string(line), false
}

// cprGetBool asks a yes/no question; gpg takes an answer starting with y
// or Y as yes and anything else, a cancel included, as no.
func (a *app) cprGetBool(keyword string) bool {
	ans, canceled := a.cprGet("GET_BOOL", keyword)
	return !canceled && len(ans) > 0 && (ans[0] == 'y' || ans[0] == 'Y')
}

// commandPassphrase runs the loopback dialog for keyhelper's inquiry as
// gpg relays gpg-agent's: USERID_HINT, NEED_PASSPHRASE, INQUIRE_MAXLEN,
// GET_HIDDEN passphrase.enter, GOT_IT. In loopback mode gpg-agent does
// not ask again after a wrong passphrase, so neither do we.
func (a *app) commandPassphrase(q *ipc.Inquiry) ([]byte, bool, error) {
	if q.Attempt > 1 {
		a.badPassphrase = true
		return nil, false, nil
	}
	existing := q.Kind == ipc.InquirePassphrase
	if existing && !a.noPassphraseHints {
		a.emitPassphraseHints(q)
	}
	a.status.Emit("INQUIRE_MAXLEN", inquireMaxLen)
	ans, canceled := a.cprGet("GET_HIDDEN", "passphrase.enter")
	switch {
	case canceled:
		// the error arises in gpg itself (its inquiry callback)
		a.fe.passFailure = &passphraseFailure{gpgError(srcGPG, errCanceled), "Operation cancelled"}
		return nil, false, nil
	case ans == "" && existing:
		a.fe.passFailure = &passphraseFailure{gpgError(srcAgent, errNoPassphraseCode), "No passphrase given"}
		return nil, false, nil
	}
	return []byte(ans), true, nil
}

// symPassphrase gets the passphrase of a symmetric key (SKESK) the way
// gpg's passphrase_to_dek does: NEED_PASSPHRASE_SYM first, then a fixed
// source (--passphrase*), the command fd in loopback mode, or the
// terminal. create is set when encrypting. A cancel returns
// errPassphraseCanceled, an empty answer errPassphraseInvalid (after gpg's
// MISSING_PASSPHRASE), no source at all errNoPassphrase.
func (a *app) symPassphrase(cipher packet.CipherFunction, s2kMode, s2kHash int, create bool) ([]byte, error) {
	a.status.Emit("NEED_PASSPHRASE_SYM", strconv.Itoa(int(cipher)), strconv.Itoa(s2kMode), strconv.Itoa(s2kHash))
	if p, ok, err := a.fixedPassphrase(); err != nil {
		return nil, err
	} else if ok {
		return p, nil
	}
	if a.loopbackPrompt() {
		// gpg announces the limit, then gpg-agent's loopback inquiry
		// announces it again before the prompt
		a.status.Emit("INQUIRE_MAXLEN", inquireMaxLen)
		a.status.Emit("INQUIRE_MAXLEN", inquireMaxLen)
		ans, canceled := a.cprGet("GET_HIDDEN", "passphrase.enter")
		if canceled {
			a.infof("cancelled by user")
			a.status.Emit("CANCELED_BY_USER")
			return nil, errPassphraseCanceled
		}
		if ans == "" {
			a.status.Emit("MISSING_PASSPHRASE")
			if !create {
				// gpg derives a key from the empty string, fails and
				// reports the missing passphrase a second time
				a.errorf("gcry_kdf_derive failed: Invalid data")
				a.status.Emit("MISSING_PASSPHRASE")
			}
			return nil, errPassphraseInvalid
		}
		return []byte(ans), nil
	}
	if a.opts.has("batch") {
		return nil, errNoPassphrase
	}
	kind := ipc.InquirePassphrase
	if create {
		kind = ipc.InquireNewPassphrase
	}
	p, ok, err := a.promptTTY(&ipc.Inquiry{Kind: kind, Prompt: "Enter passphrase"})
	if err != nil || !ok {
		return nil, errNoPassphrase
	}
	return p, nil
}

// gpgSigID is gpg's SIG_ID value: the unpadded base64 of SHA-1 over the
// public key algorithm, the hash algorithm, the 4-byte creation time and
// the signature MPIs in OpenPGP form (bit count, then the value without
// leading zero bytes). ok is false for algorithms without MPIs.
func gpgSigID(sig *packet.Signature) (id string, ok bool) {
	var mpis [][]byte
	switch sig.PubKeyAlgo {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly:
		mpis = fieldBytes(sig.RSASignature)
	case packet.PubKeyAlgoDSA:
		mpis = fieldBytes(sig.DSASigR, sig.DSASigS)
	case packet.PubKeyAlgoECDSA:
		mpis = fieldBytes(sig.ECDSASigR, sig.ECDSASigS)
	case packet.PubKeyAlgoEdDSA:
		mpis = fieldBytes(sig.EdDSASigR, sig.EdDSASigS)
	}
	if mpis == nil {
		return "", false
	}
	buf := []byte{byte(sig.PubKeyAlgo), byte(pgp.HashID(sig.Hash))}
	buf = binary.BigEndian.AppendUint32(buf, uint32(sig.CreationTime.Unix()))
	for _, m := range mpis {
		m = bytes.TrimLeft(m, "\x00")
		bits := 0
		if len(m) > 0 {
			bits = (len(m)-1)*8 + bitLen8(m[0])
		}
		buf = binary.BigEndian.AppendUint16(buf, uint16(bits))
		buf = append(buf, m...)
	}
	sum := sha1.Sum(buf)
	return base64.RawStdEncoding.EncodeToString(sum[:]), true
}

// fieldBytes returns the values of MPI fields, or nil if one is missing.
func fieldBytes(fields ...interface{ Bytes() []byte }) [][]byte {
	var out [][]byte
	for _, f := range fields {
		if f == nil {
			return nil
		}
		out = append(out, f.Bytes())
	}
	return out
}

func bitLen8(b byte) int {
	n := 0
	for ; b != 0; b >>= 1 {
		n++
	}
	return n
}

// recipientHash is the hash gpg signs with when it signs and encrypts at
// once and no --digest-algo is given: the algorithm the recipients rank
// best together (the sum of its positions in their preference lists,
// SHA-1 implied at the end of a list that lacks it; ties go to the lower
// number), taken only from algorithms every recipient lists. ok is false
// when there is none; gpg then uses its usual choice. gpg restricts the
// choice further for DSA and ECDSA signing keys; for those we keep the
// usual choice.
func recipientHash(recipients []*openpgp.Entity, signers []pgp.SignKey) (crypto.Hash, bool) {
	for _, s := range signers {
		if s.Key.PubKeyAlgo == packet.PubKeyAlgoDSA || s.Key.PubKeyAlgo == packet.PubKeyAlgoECDSA {
			return 0, false
		}
	}
	const sha1ID, md5ID = 2, 1
	var scores [256]int
	var usable [256]int // how many recipients list the algorithm
	for _, e := range recipients {
		var prefs []uint8
		if sig, _ := e.PrimarySelfSignature(); sig != nil {
			prefs = sig.PreferredHash
		}
		rank := 1
		sawSHA1 := false
		for _, h := range prefs {
			scores[h] += rank
			usable[h]++
			rank++
			if h == sha1ID {
				sawSHA1 = true
			}
		}
		if !sawSHA1 {
			scores[sha1ID] += rank
			usable[sha1ID]++
		}
	}
	if scores[md5ID] != 0 {
		for i := md5ID + 1; i < 256; i++ {
			if scores[i] != 0 {
				scores[md5ID] = 0
				break
			}
		}
	}
	best, bestScore := 0, -1
	for i := 1; i < 256; i++ {
		// gpg 2.2 knows MD5, SHA-1, RIPEMD-160 and SHA-2 (ids 1-3, 8-11)
		if scores[i] == 0 || usable[i] != len(recipients) || i > 11 {
			continue
		}
		if h, ok := pgp.HashByID(uint8(i)); !ok || !h.Available() {
			continue
		}
		if bestScore < 0 || scores[i] < bestScore {
			best, bestScore = i, scores[i]
		}
	}
	if bestScore < 0 {
		return 0, false
	}
	h, _ := pgp.HashByID(uint8(best))
	return h, true
}

// encryptionAnnouncer writes BEGIN_ENCRYPTION when a signed and encrypted
// message has grown past what gpg buffers before its encryption layer
// first sees data (gpg prints the line at that moment, so a small message
// gets it after SIG_CREATED, a large one before).
type encryptionAnnouncer struct {
	w        io.Writer
	n        int64
	announce func()
	done     bool
}

// gpgBufferedBeforeEncryption approximates gpg's buffering between the
// signing and the encryption layer.
const gpgBufferedBeforeEncryption = 16 << 10

func (e *encryptionAnnouncer) Write(p []byte) (int, error) {
	e.n += int64(len(p))
	if !e.done && e.n > gpgBufferedBeforeEncryption {
		e.done = true
		e.announce()
	}
	return e.w.Write(p)
}

// finish announces the encryption if the message stayed small.
func (e *encryptionAnnouncer) finish() {
	if !e.done {
		e.done = true
		e.announce()
	}
}

// failureLocation is the location gpg names in the FAILURE line of a
// failed command (gpg.c writes it after the command's function returns).
func (a *app) failureLocation() string {
	switch a.opts.command {
	case "sign-encrypt", "sign-encrypt-symmetric":
		return "sign-encrypt"
	case "sign-symmetric":
		return "sign-symencrypt"
	case "encrypt", "encrypt-symmetric":
		return "encrypt"
	case "symmetric":
		return "symencrypt"
	case "decrypt", "":
		return "decrypt"
	case "verify":
		return "verify"
	}
	return "sign"
}

// passphraseCipher is the cipher gpg names in NEED_PASSPHRASE_SYM when it
// asks for the passphrase of a new message: --cipher-algo, else AES-256
// (gpg asks before it has looked at the recipients' preferences).
func (a *app) passphraseCipher() packet.CipherFunction {
	if s := a.opts.last("cipher-algo"); s != "" {
		if c, err := pgp.ParseCipher(s); err == nil {
			return c
		}
	}
	return packet.CipherAES256
}

// inputName is how gpg names the input in messages.
func inputName(args []string) string {
	if n := firstArg(args); n != "" && n != "-" {
		return n
	}
	return "[stdin]"
}

// signingKeyState is what gpg learns about the key that made a
// signature while it checks it: expiry and revocation, both of which
// leave a signature good but change its status keyword.
type signingKeyState struct {
	expired bool
	expiry  int64 // the signing key's own expiry time (0: none), as KEYEXPIRED reports it
	// revocation is the revocation signature of the primary key, or of
	// the signing subkey when only that is revoked; nil if neither is.
	revocation    *packet.Signature
	subkeyRevoked bool
}

func (a *app) signingKeyState(k *openpgp.Key) signingKeyState {
	var st signingKeyState
	e := k.Entity
	primarySig, _ := e.PrimarySelfSignature()
	primaryExpired := primarySig != nil && lifetimeOver(e.PrimaryKey.CreationTime, primarySig.KeyLifetimeSecs, a.now)
	if len(e.Revocations) > 0 {
		st.revocation = e.Revocations[0]
	}
	if k.PublicKey == e.PrimaryKey || bytes.Equal(k.PublicKey.Fingerprint, e.PrimaryKey.Fingerprint) {
		st.expired = primaryExpired
		if primarySig != nil {
			st.expiry = lifetimeEnd(e.PrimaryKey.CreationTime, primarySig.KeyLifetimeSecs)
		}
		return st
	}
	// gpg marks every subkey of an expired primary key expired too, and
	// reports the subkey's own expiry time
	st.expired = primaryExpired
	for i := range e.Subkeys {
		sk := &e.Subkeys[i]
		if !bytes.Equal(sk.PublicKey.Fingerprint, k.PublicKey.Fingerprint) {
			continue
		}
		if sk.Sig != nil {
			st.expiry = lifetimeEnd(sk.PublicKey.CreationTime, sk.Sig.KeyLifetimeSecs)
			st.expired = st.expired || lifetimeOver(sk.PublicKey.CreationTime, sk.Sig.KeyLifetimeSecs, a.now)
		}
		if st.revocation == nil && len(sk.Revocations) > 0 {
			st.revocation, st.subkeyRevoked = sk.Revocations[0], true
		}
	}
	return st
}

func lifetimeEnd(created time.Time, secs *uint32) int64 {
	if secs == nil || *secs == 0 {
		return 0
	}
	return created.Unix() + int64(*secs)
}

// lifetimeOver is gpg's "expiredate < now".
func lifetimeOver(created time.Time, secs *uint32, now time.Time) bool {
	end := lifetimeEnd(created, secs)
	return end != 0 && end < now.Unix()
}

// sigExpiry is when a signature expires (0: never).
func sigExpiry(sig *packet.Signature) int64 {
	return lifetimeEnd(sig.CreationTime, sig.SigLifetimeSecs)
}

// sigLifetimeOver is gpg's test for an expired signature.
func sigLifetimeOver(sig *packet.Signature, now time.Time) bool {
	return lifetimeOver(sig.CreationTime, sig.SigLifetimeSecs, now)
}

// reportRevokedKey is gpg's warning for a good signature by a revoked
// key: KEYREVOKED, the warning, then the revocation reason (gpg looks the
// key up again for it, hence the KEY_CONSIDERED).
func (a *app) reportRevokedKey(st signingKeyState, primaryFpr string) {
	a.status.Emit("KEYREVOKED")
	if st.subkeyRevoked {
		a.infof("WARNING: This subkey has been revoked by its owner!")
	} else {
		a.infof("WARNING: This key has been revoked by its owner!")
		fmt.Fprintf(a.stderr, "%s:          This could mean that the signature is forged.\n", a.progName())
	}
	a.status.Emit("KEY_CONSIDERED", primaryFpr, "0")
	rev := st.revocation
	if rev.RevocationReason == nil {
		return
	}
	text := map[packet.ReasonForRevocation]string{
		packet.NoReason: "No reason specified", packet.KeySuperseded: "Key is superseded",
		packet.KeyCompromised: "Key has been compromised", packet.KeyRetired: "Key is no longer used",
		0x20: "User ID is no longer valid",
	}[*rev.RevocationReason]
	if text == "" {
		text = fmt.Sprintf("code=%02x", uint8(*rev.RevocationReason))
	}
	a.infof("reason for revocation: %s", text)
	for _, line := range strings.Split(rev.RevocationReasonText, "\n") {
		if line != "" {
			a.infof("revocation comment: %s", printable(line))
		}
	}
}

// confirmOutputName decides, as gpg's open_outfile does, what happens when
// the output file exists: --yes overwrites, --batch refuses (FAILURE and
// "File exists", as the refusal of a new name below); otherwise gpg
// asks (GET_BOOL openfile.overwrite.okay on the command fd, else on the
// terminal) and on "no" asks for another name (GET_LINE
// openfile.askoutname); an empty answer gives up with "File exists". A
// cancelled answer (end of file) gives up too; gpg would take the
// Ctrl-D character it substitutes as a file name.
func (a *app) confirmOutputName(name string) (string, error) {
	for {
		if _, err := os.Lstat(name); err != nil || a.opts.has("yes") {
			return name, nil
		}
		var overwrite bool
		var newName string
		switch {
		case a.opts.has("batch"):
			// gpg neither overwrites nor asks for another name
		case a.commandFD():
			if overwrite = a.cprGetBool("openfile.overwrite.okay"); !overwrite {
				ans, canceled := a.cprGet("GET_LINE", "openfile.askoutname")
				if !canceled {
					newName = strings.TrimSpace(ans)
				}
			}
		default:
			var err error
			if overwrite, newName, err = a.askOverwriteTTY(name); err != nil {
				return "", err
			}
		}
		if overwrite {
			return name, nil
		}
		if newName == "" {
			a.failure(a.failureLocation(), gpgError(srcGPG, errFileExists))
			return "", &exitError{2, a.failedWhat() + " failed: File exists"}
		}
		name = newName
	}
}

// askOverwriteTTY is gpg's terminal dialog for an existing output file.
func (a *app) askOverwriteTTY(name string) (overwrite bool, newName string, err error) {
	if a.opts.has("no-tty") {
		return false, "", &exitError{2, "Sorry, no terminal at all requested - can't get input"}
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return false, "", &exitError{2, fmt.Sprintf("cannot open '/dev/tty': %s", errText(err))}
	}
	defer tty.Close()
	fmt.Fprintf(tty, "File '%s' exists. Overwrite? (y/N) ", name)
	ans, err := firstLine(tty)
	if err != nil {
		return false, "", err
	}
	if a := strings.TrimSpace(string(ans)); a != "" && (a[0] == 'y' || a[0] == 'Y') {
		return true, "", nil
	}
	fmt.Fprint(tty, "Enter new filename: ")
	ans, err = firstLine(tty)
	if err != nil {
		return false, "", err
	}
	return false, strings.TrimSpace(string(ans)), nil
}

// failedWhat is how gpg names the failed operation in its final error.
func (a *app) failedWhat() string {
	in := inputName(a.opts.args)
	switch a.opts.command {
	case "encrypt", "encrypt-symmetric":
		return in + ": encryption"
	case "symmetric":
		return fmt.Sprintf("symmetric encryption of '%s'", in)
	case "sign-encrypt", "sign-encrypt-symmetric", "sign-symmetric", "sign", "clearsign", "detach-sign":
		return "signing"
	}
	return "handle plaintext"
}

// describeEncryptionKey is gpg's "encrypted with" line for one PKESK: the
// key's size, algorithm, ID, creation date and primary user ID when its
// public key is known (gpg looks it up: KEY_CONSIDERED), else just the
// algorithm and ID.
func (a *app) describeEncryptionKey(keyID uint64, algo packet.PublicKeyAlgorithm) {
	keys := a.keyring().KeysById(keyID)
	if len(keys) == 0 || keyID == 0 {
		a.infof("encrypted with %s key, ID %016X", pubkeyWord(algo), keyID)
		return
	}
	k := keys[0]
	a.status.Emit("KEY_CONSIDERED", fmt.Sprintf("%X", k.Entity.PrimaryKey.Fingerprint), "0")
	a.infof("encrypted with %d-bit %s key, ID %016X, created %s", keylist.KeyBits(k.PublicKey), pubkeyWord(algo), keyID,
		k.PublicKey.CreationTime.UTC().Format("2006-01-02"))
	fmt.Fprintf(a.stderr, "      \"%s\"\n", printable(primaryUID(k.Entity)))
}
