// Package status writes gpg-style machine-readable status lines
// ("[GNUPG:] KEYWORD args") to the --status-fd / --status-file target.
//
// Invariant: every Emit produces exactly one line. No argument can inject a
// raw line break (or any other control byte) into the stream, so a consumer
// that splits on '\n' and matches "[GNUPG:] GOODSIG" can never be fooled by
// attacker-controlled text such as a user ID.
package status

import (
	"io"
	"sync"
)

// Prefix starts every status line.
const Prefix = "[GNUPG:] "

// Writer emits status lines. A nil *Writer is valid and discards everything,
// so callers need not check whether --status-fd was given.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	err error
	// retrieving counts nested Retrieving calls; while it is above 0
	// only retrievalKeywords are written.
	retrieving int
}

// retrievalKeywords are the lines gpg writes while it fetches a key in
// the middle of another operation (cpr.c, status_currently_allowed):
// the import's own results and prompts. Everything else a fetch would
// say (a KEY_CONSIDERED of the lookup, a NODATA of a bad answer) could be
// misread as the outer operation's.
var retrievalKeywords = map[string]bool{
	"GET_BOOL": true, "GET_LINE": true, "GET_HIDDEN": true, "GOT_IT": true,
	"IMPORTED": true, "IMPORT_OK": true, "IMPORT_CHECK": true, "IMPORT_RES": true,
}

// Retrieving starts a key retrieval (gpg's in_auto_key_retrieve): until
// the returned function is called, only the import's status lines are
// written. Calls nest.
func (s *Writer) Retrieving() (done func()) {
	if s == nil {
		return func() {}
	}
	s.mu.Lock()
	s.retrieving++
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.retrieving--
		s.mu.Unlock()
	}
}

// New returns a Writer emitting to w. A nil w yields a Writer that discards.
func New(w io.Writer) *Writer {
	return &Writer{w: w}
}

// Emit writes "[GNUPG:] KEYWORD arg1 arg2...\n" with a single Write call, so a
// line is never interleaved with other output sharing the same descriptor.
//
// Free-text arguments should be passed through Escape by the caller. Emit
// additionally escapes any control byte (< 0x20, 0x7F) in the keyword and all
// arguments as a last line of defence. It deliberately does not escape '%':
// that keeps it idempotent on Escape's output (no double escaping), and hex
// key IDs / fingerprints / numbers contain neither and pass through unchanged.
//
// After the first write error further lines are dropped: a partially failed
// stream cannot be trusted to stay line-aligned. Err reports that error.
func (s *Writer) Emit(keyword string, args ...string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil || s.err != nil || s.retrieving > 0 && !retrievalKeywords[keyword] {
		return
	}
	n := len(Prefix) + len(keyword) + 1
	for _, a := range args {
		n += len(a) + 1
	}
	buf := make([]byte, 0, n+8)
	buf = append(buf, Prefix...)
	buf = appendControlEscaped(buf, keyword)
	for _, a := range args {
		buf = append(buf, ' ')
		buf = appendControlEscaped(buf, a)
	}
	buf = append(buf, '\n')
	if _, err := s.w.Write(buf); err != nil {
		s.err = err
	}
}

// Err returns the first write error, or nil. It is what
// --exit-on-status-write-error consults. A nil Writer never fails.
func (s *Writer) Err() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

const hexDigits = "0123456789ABCDEF"

func isControl(c byte) bool { return c <= 0x1F || c == 0x7F }

// Escape applies gpg's escaping for free-text status arguments (user IDs,
// file names, notation values): '%' and bytes <= 0x1F or == 0x7F become %XX
// with uppercase hex. All other bytes, including UTF-8 sequences and spaces,
// are kept as is (gpg does the same; consumers split only on the first
// fields and take the rest of the line as the text).
func Escape(text string) string {
	clean := true
	for i := 0; i < len(text); i++ {
		if c := text[i]; c == '%' || isControl(c) {
			clean = false
			break
		}
	}
	if clean {
		return text
	}
	buf := make([]byte, 0, len(text)+8)
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == '%' || isControl(c) {
			buf = append(buf, '%', hexDigits[c>>4], hexDigits[c&0x0F])
		} else {
			buf = append(buf, c)
		}
	}
	return string(buf)
}

// Unescape reverses Escape (any %XX with valid hex is decoded; other '%' are
// kept literally). Provided for tests and for consumers of our own output.
func Unescape(text string) string {
	buf := make([]byte, 0, len(text))
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == '%' && i+2 < len(text) {
			hi, ok1 := unhex(text[i+1])
			lo, ok2 := unhex(text[i+2])
			if ok1 && ok2 {
				buf = append(buf, hi<<4|lo)
				i += 2
				continue
			}
		}
		buf = append(buf, c)
	}
	return string(buf)
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func appendControlEscaped(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isControl(c) {
			buf = append(buf, '%', hexDigits[c>>4], hexDigits[c&0x0F])
		} else {
			buf = append(buf, c)
		}
	}
	return buf
}

// EscapeField escapes like Escape and also spaces, so the text stays one
// field: gpg does this for file names (PLAINTEXT) and notation names.
func EscapeField(text string) string {
	return string(appendBufferEscaped(nil, []byte(text), ' '))
}

func appendBufferEscaped(buf, data []byte, lowerLimit byte) []byte {
	for _, c := range data {
		if c == '%' || c <= lowerLimit || c == 0x7F {
			buf = append(buf, '%', hexDigits[c>>4], hexDigits[c&0x0F])
		} else {
			buf = append(buf, c)
		}
	}
	return buf
}

// EmitWrapped writes data as the argument of keyword, escaped like
// EscapeField and split over several lines of the same keyword after about
// every wrap input bytes, as gpg writes NOTATION_DATA (wrap 50 for text, 250 for
// binary values). Every line starts with the prefix: a long value can never
// produce a line a consumer would misread (bad input 23).
func (s *Writer) EmitWrapped(keyword string, data []byte, wrap int) {
	if s == nil {
		return
	}
	if wrap <= 0 {
		wrap = len(data) + 1
	}
	for first := true; first || len(data) > 0; first = false {
		n := min(wrap, len(data))
		// gpg counts the byte that crosses the limit before it breaks the
		// line; an escaped one is still written on the current line.
		if n < len(data) && (data[n] == '%' || data[n] <= ' ' || data[n] == 0x7F) {
			n++
		}
		s.Emit(keyword, string(appendBufferEscaped(nil, data[:n], ' ')))
		data = data[n:]
	}
}
