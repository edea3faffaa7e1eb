// Package pinentry asks for a passphrase through a pinentry program, the
// way gpg-agent does: the program is started directly (never through a
// shell) and spoken to in the Assuan protocol over its stdin and stdout.
//
// One Conn serves one operation: a wrong passphrase is asked again on the
// same pinentry with SETERROR, as gpg-agent does, and Close ends it.
package pinentry

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxLine is the longest Assuan line, without its line feed (libassuan's
// ASSUAN_LINELENGTH is 1002 with CR LF).
const MaxLine = 1000

// MaxPIN bounds a returned passphrase; longer answers are an error.
const MaxPIN = 1024

// Assuan error codes a pinentry returns (libgpg-error: source 5, pinentry).
const (
	codeCanceled  = 99    // GPG_ERR_CANCELED
	codeNoPIN     = 85    // GPG_ERR_NO_PIN_ENTRY: gpg-agent's, when the program cannot be used
	codeTimeout   = 62    // GPG_ERR_TIMEOUT
	codeEOF       = 16383 // GPG_ERR_EOF
	codeFullyCanc = 198   // GPG_ERR_FULLY_CANCELED
)

// Error is a failure of the dialog in gpg's terms: Code is the
// libgpg-error code (without source) and Text gpg's message for it.
// Canceled, NoPinentry, Timeout and Died are the ones callers map to gpg's
// status lines; Code distinguishes them.
type Error struct {
	Code int
	Text string
	err  error // the underlying cause, for the verbose log
}

func (e *Error) Error() string {
	if e.err != nil {
		return e.Text + ": " + e.err.Error()
	}
	return e.Text
}

func (e *Error) Unwrap() error { return e.err }

// FromPinentry reports whether the failure comes from the pinentry itself
// (gpg prints those with the pinentry's error source) rather than from
// starting it.
func (e *Error) FromPinentry() bool { return e.Code != codeNoPIN }

// Canceled reports whether the user cancelled (or closed) the dialog.
func (e *Error) Canceled() bool { return e.Code == codeCanceled || e.Code == codeFullyCanc }

var (
	errNoPinentry = func(err error) *Error { return &Error{Code: codeNoPIN, Text: "No pinentry", err: err} }
	errDied       = func(err error) *Error { return &Error{Code: codeEOF, Text: "End of file", err: err} }
	errTimeout    = func() *Error { return &Error{Code: codeTimeout, Text: "Timeout"} }
)

// Options says which program to run and what it is told about the
// terminal and display. Empty fields are not sent.
type Options struct {
	Program    string
	TTYName    string // OPTION ttyname
	TTYType    string // OPTION ttytype
	LCCtype    string // OPTION lc-ctype
	LCMessages string // OPTION lc-messages
	Display    string // OPTION display
	// Env is the program's environment; nil is front's own, which carries
	// DISPLAY, WAYLAND_DISPLAY, XAUTHORITY, DBUS_SESSION_BUS_ADDRESS and
	// the locale as gpg-agent passes them on.
	Env []string
	// StartTimeout bounds the start-up dialog (greeting, options): a
	// program that hangs there is killed.
	StartTimeout time.Duration
	// Timeout, if not zero, bounds each question: SETTIMEOUT tells the
	// program, and the program is killed a few seconds after it.
	Timeout time.Duration
}

// Request is one question. Desc, Prompt and KeyInfo are shown as given;
// Error is shown on a retry (SETERROR).
type Request struct {
	Title   string
	Desc    string
	Prompt  string
	KeyInfo string // "n/<keygrip>"
	Error   string
	// Repeat asks for the passphrase twice (SETREPEAT), for a new one;
	// RepeatError is shown by the pinentry when the two differ.
	Repeat      string
	RepeatError string
}

// Conn is a running pinentry.
type Conn struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	lines   chan lineOrErr
	opts    Options
	Flavor  string // GETINFO flavor, e.g. "tty", "curses"
	Version string // GETINFO version
	TTYInfo string // GETINFO ttyinfo
}

type lineOrErr struct {
	line []byte
	err  error
}

// Start runs the program and sets its options. Any failure here is
// "No pinentry" (gpg-agent's answer when the program cannot be used).
func Start(opts Options) (*Conn, error) {
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 15 * time.Second
	}
	cmd := exec.Command(opts.Program)
	cmd.Env = opts.Env
	cmd.Stderr = nil // pinentry-curses draws on the tty, not stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, errNoPinentry(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, errNoPinentry(err)
	}
	if err := cmd.Start(); err != nil {
		return nil, errNoPinentry(err)
	}
	c := &Conn{cmd: cmd, in: in, lines: make(chan lineOrErr, 1), opts: opts}
	go c.readLines(out)
	ctx, cancel := context.WithTimeout(context.Background(), opts.StartTimeout)
	defer cancel()
	if err := c.handshake(ctx); err != nil {
		c.kill()
		return nil, errNoPinentry(err)
	}
	return c, nil
}

// Pid is the pinentry's process id (gpg's PINENTRY_LAUNCHED reports it).
func (c *Conn) Pid() int { return c.cmd.Process.Pid }

func (c *Conn) handshake(ctx context.Context) error {
	if _, err := c.response(ctx); err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	for _, o := range []struct{ name, value string }{
		{"ttyname", c.opts.TTYName}, {"ttytype", c.opts.TTYType},
		{"lc-ctype", c.opts.LCCtype}, {"lc-messages", c.opts.LCMessages},
		{"display", c.opts.Display},
	} {
		if o.value == "" {
			continue
		}
		// Options are advice: a pinentry that does not know one says so
		// and still works (gpg-agent ignores these errors too).
		if _, err := c.command(ctx, "OPTION "+o.name+"="+o.value); err != nil && !isAssuanErr(err) {
			return err
		}
	}
	for _, info := range []struct {
		what string
		into *string
	}{{"flavor", &c.Flavor}, {"version", &c.Version}, {"ttyinfo", &c.TTYInfo}} {
		d, err := c.command(ctx, "GETINFO "+info.what)
		if err != nil && !isAssuanErr(err) {
			return err
		}
		*info.into = string(d)
	}
	return nil
}

// GetPIN asks one question and returns the answer. Cancel and failures are
// *Error; after one, the Conn is unusable except for Close.
func (c *Conn) GetPIN(r Request) ([]byte, error) {
	return c.ask("GETPIN", r)
}

// Confirm asks for a yes (nil) or no (an *Error, cancelled) with r's
// description; no PIN is read.
func (c *Conn) Confirm(r Request) error {
	_, err := c.ask("CONFIRM", r)
	return err
}

// ask sets r's texts and sends the question cmd.
func (c *Conn) ask(cmd string, r Request) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.StartTimeout)
	defer cancel()
	set := []struct{ cmd, text string }{
		{"SETTITLE", r.Title}, {"SETKEYINFO", r.KeyInfo}, {"SETDESC", r.Desc},
		{"SETPROMPT", r.Prompt}, {"SETERROR", r.Error},
		{"SETREPEAT", r.Repeat}, {"SETREPEATERROR", r.RepeatError},
	}
	if c.opts.Timeout > 0 {
		set = append(set, struct{ cmd, text string }{"SETTIMEOUT", strconv.Itoa(int(c.opts.Timeout / time.Second))})
	}
	for _, s := range set {
		if s.text == "" {
			continue
		}
		if _, err := c.command(ctx, s.cmd+" "+Escape(s.text, MaxLine-len(s.cmd)-1)); err != nil && !isAssuanErr(err) {
			return nil, c.fail(err)
		}
	}
	// The user may take as long as the configured timeout allows; with
	// none, only the program's death ends the wait.
	wait := context.Background()
	if c.opts.Timeout > 0 {
		var cancel context.CancelFunc
		wait, cancel = context.WithTimeout(wait, c.opts.Timeout+5*time.Second)
		defer cancel()
	}
	pin, err := c.command(wait, cmd)
	if err != nil {
		return nil, c.fail(err)
	}
	return pin, nil
}

// fail turns a dialog error into an *Error and ends the program unless it
// only answered ERR.
func (c *Conn) fail(err error) error {
	var ae *assuanErr
	if errors.As(err, &ae) {
		code := ae.code & 0xffff
		text := ae.text
		if code == codeCanceled || code == codeFullyCanc {
			text = "Operation cancelled"
		}
		return &Error{Code: code, Text: text}
	}
	c.kill()
	if errors.Is(err, context.DeadlineExceeded) {
		return errTimeout()
	}
	return errDied(err)
}

// Close says BYE and waits briefly for the program to exit; a program
// that does not is killed.
func (c *Conn) Close() error {
	if c.cmd.ProcessState != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c.command(ctx, "BYE")
	c.in.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		c.cmd.Process.Kill()
		return <-done
	}
}

func (c *Conn) kill() {
	if c.cmd.ProcessState == nil {
		c.in.Close()
		c.cmd.Process.Kill()
		c.cmd.Wait()
	}
}

// readLines delivers the program's lines; it ends at EOF or at a line
// longer than MaxLine, which is a protocol error.
func (c *Conn) readLines(out io.Reader) {
	br := bufio.NewReaderSize(out, MaxLine+2)
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull || len(line) > MaxLine+1 {
			c.lines <- lineOrErr{err: fmt.Errorf("line longer than %d bytes", MaxLine)}
			return
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			c.lines <- lineOrErr{err: err}
			return
		}
		c.lines <- lineOrErr{line: bytes.TrimRight(append([]byte{}, line...), "\r\n")}
	}
}

// assuanErr is an ERR line.
type assuanErr struct {
	code int
	text string
}

func (e *assuanErr) Error() string { return fmt.Sprintf("ERR %d %s", e.code, e.text) }

func isAssuanErr(err error) bool {
	var ae *assuanErr
	return errors.As(err, &ae)
}

// command sends one line and collects the response's data.
func (c *Conn) command(ctx context.Context, line string) ([]byte, error) {
	if len(line) > MaxLine {
		return nil, fmt.Errorf("command longer than %d bytes", MaxLine)
	}
	if _, err := io.WriteString(c.in, line+"\n"); err != nil {
		return nil, err
	}
	return c.response(ctx)
}

// response reads lines up to OK or ERR: D lines are data (percent-escaped,
// concatenated), S and # lines are status and comments, INQUIRE is
// answered with END (the only inquiry pinentries make is for a quality
// bar, which gets no data).
func (c *Conn) response(ctx context.Context) ([]byte, error) {
	var data []byte
	for {
		var l lineOrErr
		select {
		case l = <-c.lines:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if l.err != nil {
			return nil, l.err
		}
		word, rest, _ := strings.Cut(string(l.line), " ")
		switch word {
		case "OK":
			return data, nil
		case "ERR":
			codeText, text, _ := strings.Cut(rest, " ")
			code, _ := strconv.Atoi(codeText)
			return nil, &assuanErr{code: code, text: text}
		case "D":
			d, err := Unescape(rest)
			if err != nil {
				return nil, err
			}
			if len(data)+len(d) > MaxPIN {
				return nil, fmt.Errorf("answer longer than %d bytes", MaxPIN)
			}
			data = append(data, d...)
		case "S", "#", "":
		case "INQUIRE":
			if _, err := io.WriteString(c.in, "END\n"); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("unexpected line %q", word)
		}
	}
}

// Escape percent-escapes s for an Assuan command line: '%', CR, LF and
// the other control characters become %XX. The result is cut to at most
// max bytes, never inside an escape or a UTF-8 sequence.
func Escape(s string, max int) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		piece := s[i : i+n]
		if r == '%' || r < 0x20 || r == 0x7f {
			piece = fmt.Sprintf("%%%02X", s[i])
		}
		if b.Len()+len(piece) > max {
			break
		}
		b.WriteString(piece)
		i += n
	}
	return b.String()
}

// Unescape undoes Assuan's percent-escaping of a data line.
func Unescape(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			out = append(out, s[i])
			continue
		}
		if i+2 >= len(s) {
			return nil, errors.New("truncated escape in data line")
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return nil, errors.New("bad escape in data line")
		}
		out = append(out, byte(v))
		i += 2
	}
	return out, nil
}
