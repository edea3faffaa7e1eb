package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/frontpgp/front/pgp"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// Progress of the data an operation reads (the files gpg puts its progress
// filter on: the input of encrypt, sign and decrypt, the signature and the
// signed files of verify):
//   - PROGRESS status lines, as gpg writes them, when --enable-progress-filter
//     is given and status output is on: one at the start, one whenever the
//     wall-clock second changed since the last, one at the end of the input;
//   - a line on stderr that rewrites itself, only when stderr is a terminal
//     and neither --quiet nor --batch is given, and only once the input has
//     taken more than a second, so small inputs never show it.

// progressClock is the clock of both; tests replace it.
var progressClock = time.Now

// termProgressDelay is how long an input is read before the terminal line
// appears; termProgressEvery bounds how often it is redrawn.
const (
	termProgressDelay = time.Second
	termProgressEvery = 250 * time.Millisecond
)

// stdinPipeSize is the pipe buffer front asks for on a piped stdin: with the
// default 64 KiB, every read and every write of the other side is a context
// switch.
const stdinPipeSize = 1 << 20

// openDataInput opens an operation's data input: read ahead in large
// chunks, with progress reporting when asked for. A lazy input (the signed
// files of a detached verify, opened before the signature is read) reports
// its start at its first read, as gpg opens it only then.
func (a *app) openDataInput(name string, lazy bool) (io.ReadCloser, error) {
	in, err := a.openInput(name)
	if err != nil {
		return nil, err
	}
	var size int64
	if name == "" || name == "-" {
		growPipe(os.Stdin)
	} else if f, ok := in.(*os.File); ok {
		// gpg takes the total from the file's length, but never for stdin.
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
	}
	var src io.Reader = in
	if p := a.newProgress(name, size); p != nil {
		p.r = in
		if !lazy {
			p.begin()
		}
		src = p
	}
	return &dataInput{ReadAhead: pgp.NewReadAhead(src), in: in}, nil
}

// dataInput is a read-ahead input whose Close also closes the file.
type dataInput struct {
	*pgp.ReadAhead
	in io.Closer
}

func (d *dataInput) Close() error {
	d.ReadAhead.Close()
	return d.in.Close()
}

// growPipe enlarges the buffer of a piped stdin; failure only costs speed.
func growPipe(f *os.File) {
	var st unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFIFO {
		unix.FcntlInt(f.Fd(), unix.F_SETPIPE_SZ, stdinPipeSize)
	}
}

// newProgress returns the progress reporter for one input, or nil when
// neither status lines nor a terminal line are wanted.
func (a *app) newProgress(name string, size int64) *progressReader {
	statusOn := a.status != nil && a.opts.has("enable-progress-filter")
	if !statusOn && a.termLine == nil {
		return nil
	}
	what := name
	if what == "" {
		what = "stdin"
	}
	p := &progressReader{what: what, total: uint64(size), term: a.termLine, prog: a.progName()}
	if statusOn {
		p.status = a.status
		if p.total == 0 {
			p.total = a.inputSizeHint()
		}
	}
	return p
}

// inputSizeHint is --input-size-hint: the leading decimal digits of its
// value, 0 when there are none (gpg uses it only when the size is unknown).
func (a *app) inputSizeHint() uint64 {
	s := a.opts.last("input-size-hint")
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, _ := strconv.ParseUint(s[:i], 10, 64)
	return n
}

// progressReader counts the bytes read from one input and reports them.
type progressReader struct {
	r       io.Reader
	what    string
	prog    string
	total   uint64 // 0: unknown
	cur     uint64
	last    uint64 // cur at the last status line
	lastSec int64
	started time.Time
	begun   bool
	status  interface{ Emit(string, ...string) }
	term    *termLine
}

// begin writes the first status line (current 0), as gpg does when it
// pushes its filter.
func (p *progressReader) begin() {
	p.begun = true
	now := progressClock()
	p.started, p.lastSec = now, now.Unix()
	p.emit(0)
}

func (p *progressReader) Read(b []byte) (int, error) {
	if !p.begun {
		p.begin()
	}
	n, err := p.r.Read(b)
	p.cur += uint64(n)
	now := progressClock()
	// gpg's rule: a line at the end of the input unless the last line
	// already showed this count, and one whenever the second changed.
	if (err != nil && p.cur != p.last) || now.Unix() > p.lastSec {
		p.emit(p.cur)
		p.last, p.lastSec = p.cur, now.Unix()
	}
	if p.term != nil {
		if err != nil {
			p.term.clear()
		} else if now.Sub(p.started) >= termProgressDelay {
			p.term.draw(now, p.terminalText(now))
		}
	}
	return n, err
}

func (p *progressReader) emit(cur uint64) {
	if p.status == nil {
		return
	}
	c, t, unit := progressFields(cur, p.total)
	what := p.what
	if len(what) > 20 {
		what = what[:20]
	}
	p.status.Emit("PROGRESS", what, "?", c, t, unit)
}

// progressFields scales current and total the way gpg does: both are
// divided by 1024 until the total (or, without one, the current count) is
// at most 1 MiB, and the unit says how often.
func progressFields(cur, total uint64) (string, string, string) {
	const units = "BKMGTPEZY?"
	i := 0
	if total > 0 {
		cur = min(cur, total)
		for total > 1<<20 {
			total /= 1024
			cur /= 1024
			i++
		}
	} else {
		for cur > 1<<20 {
			cur /= 1024
			i++
		}
	}
	i = min(i, len(units)-1)
	unit := units[i : i+1]
	if i > 0 {
		unit += "iB"
	}
	return strconv.FormatUint(cur, 10), strconv.FormatUint(total, 10), unit
}

func (p *progressReader) terminalText(now time.Time) string {
	text := fmt.Sprintf("%s: %s: %s", p.prog, p.what, humanBytes(p.cur))
	if p.total > 0 {
		text += fmt.Sprintf(" of %s (%d%%)", humanBytes(p.total), min(100, p.cur*100/p.total))
	}
	if secs := now.Sub(p.started).Seconds(); secs > 0 {
		text += fmt.Sprintf(", %s/s", humanBytes(uint64(float64(p.cur)/secs)))
	}
	return text
}

func humanBytes(n uint64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n)/1024, 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %ciB", f, units[i])
}

// termLine is the one progress line on a terminal stderr. Any other stderr
// output goes through clearingWriter, which erases the line first, so the
// line never ends up glued to a message.
type termLine struct {
	mu       sync.Mutex
	w        io.Writer
	shown    bool
	lastDraw time.Time
}

func (t *termLine) draw(now time.Time, text string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.shown && now.Sub(t.lastDraw) < termProgressEvery {
		return
	}
	fmt.Fprintf(t.w, "\r%s\x1b[K", text)
	t.shown, t.lastDraw = true, now
}

func (t *termLine) clear() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.clearLocked()
}

func (t *termLine) clearLocked() {
	if t.shown {
		io.WriteString(t.w, "\r\x1b[K")
		t.shown = false
	}
}

type clearingWriter struct{ t *termLine }

func (c clearingWriter) Write(b []byte) (int, error) {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	c.t.clearLocked()
	return c.t.w.Write(b)
}

// isTerminal reports whether w is a terminal; tests replace it.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// setupTerminalProgress turns the terminal line on when stderr is a
// terminal and the user did not ask for quiet or batch operation; from then
// on all stderr output clears the line before it is written.
func (a *app) setupTerminalProgress() {
	if a.opts.has("quiet") || (a.opts.has("batch") && !a.opts.has("no-batch")) || !isTerminal(a.stderr) {
		return
	}
	a.termLine = &termLine{w: a.stderr}
	a.stderr = clearingWriter{a.termLine}
}

// endTerminalProgress erases a line still shown (an input not read to its
// end) before the program's last messages.
func (a *app) endTerminalProgress() {
	if a.termLine != nil {
		a.termLine.clear()
	}
}
