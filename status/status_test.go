package status

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestEmitFormat(t *testing.T) {
	var b bytes.Buffer
	s := New(&b)
	s.Emit("NEWSIG")
	s.Emit("GOODSIG", "0123456789ABCDEF", Escape("Alice <a@example.org>"))
	want := "[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG 0123456789ABCDEF Alice <a@example.org>\n"
	if b.String() != want {
		t.Fatalf("got %q want %q", b.String(), want)
	}
	if s.Err() != nil {
		t.Fatal(s.Err())
	}
}

// A hostile user ID must not be able to forge a second status line, whether
// or not the caller remembered to pass it through Escape.
func TestNoLineInjection(t *testing.T) {
	uid := "Mallory\n[GNUPG:] GOODSIG 0000000000000000 Alice\r\n"
	for _, arg := range []string{uid, Escape(uid)} {
		var b bytes.Buffer
		New(&b).Emit("GOODSIG", "1111111111111111", arg)
		out := b.String()
		if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
			t.Fatalf("not exactly one line: %q", out)
		}
		if strings.ContainsRune(out[:len(out)-1], '\r') {
			t.Fatalf("raw CR in %q", out)
		}
		want := "[GNUPG:] GOODSIG 1111111111111111 Mallory%0A[GNUPG:] GOODSIG 0000000000000000 Alice%0D%0A\n"
		if out != want {
			t.Fatalf("got %q want %q", out, want)
		}
	}
}

func TestEscape(t *testing.T) {
	cases := map[string]string{
		"plain":        "plain",
		"100%":         "100%25",
		"a\x00b\x1fc":  "a%00b%1Fc",
		"del\x7f":      "del%7F",
		"tab\there":    "tab%09here",
		"Jürgen <j@x>": "Jürgen <j@x>",
		"":             "",
	}
	for in, want := range cases {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q want %q", in, got, want)
		}
	}
}

func TestPercentRoundTrip(t *testing.T) {
	for _, in := range []string{"100%", "%25", "%%0A%", "a\nb%c\x7f", "%zz", "ü%"} {
		esc := Escape(in)
		if got := Unescape(esc); got != in {
			t.Errorf("round trip %q -> %q -> %q", in, esc, got)
		}
		// Emit must not alter already-escaped text (no double escaping).
		var b bytes.Buffer
		New(&b).Emit("X", esc)
		if b.String() != "[GNUPG:] X "+esc+"\n" {
			t.Errorf("Emit altered escaped arg: %q", b.String())
		}
	}
}

func TestNilSafe(t *testing.T) {
	var s *Writer
	s.Emit("ANY", "x")
	if s.Err() != nil {
		t.Fatal("nil writer reported error")
	}
	New(nil).Emit("ANY")
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, errors.New("broken pipe")
}

func TestErrFirstAndStops(t *testing.T) {
	fw := &failWriter{}
	s := New(fw)
	s.Emit("A")
	s.Emit("B")
	if s.Err() == nil || s.Err().Error() != "broken pipe" {
		t.Fatalf("Err = %v", s.Err())
	}
	if fw.n != 1 {
		t.Fatalf("writes after error: %d", fw.n)
	}
}

type countWriter struct{ calls int }

func (c *countWriter) Write(p []byte) (int, error) { c.calls++; return len(p), nil }

func TestOneWritePerLine(t *testing.T) {
	cw := &countWriter{}
	New(cw).Emit("VALIDSIG", "a", "b", "c", "d")
	if cw.calls != 1 {
		t.Fatalf("writes = %d", cw.calls)
	}
}

func TestEscapeFieldAndWrap(t *testing.T) {
	if got := EscapeField("a b%\nc"); got != "a%20b%25%0Ac" {
		t.Fatalf("EscapeField: %q", got)
	}
	var b bytes.Buffer
	w := New(&b)
	w.EmitWrapped("NOTATION_DATA", []byte(strings.Repeat("x", 60)+"\n[GNUPG:] GOODSIG"), 50)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", lines)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "[GNUPG:] NOTATION_DATA ") {
			t.Fatalf("line without prefix: %q", l)
		}
	}
	if lines[1] != "[GNUPG:] NOTATION_DATA xxxxxxxxxx%0A[GNUPG:]%20GOODSIG" {
		t.Fatalf("second line %q", lines[1])
	}
}

// While a key is being retrieved only the import's lines pass (gpg's
// status_currently_allowed); nesting and the end restore everything.
func TestRetrieving(t *testing.T) {
	var b bytes.Buffer
	s := New(&b)
	done := s.Retrieving()
	inner := s.Retrieving()
	s.Emit("KEY_CONSIDERED", "AB", "0")
	s.Emit("IMPORT_OK", "1", "AB")
	inner()
	s.Emit("NODATA", "1")
	s.Emit("IMPORT_RES", "1")
	done()
	s.Emit("KEY_CONSIDERED", "AB", "0")
	want := "[GNUPG:] IMPORT_OK 1 AB\n[GNUPG:] IMPORT_RES 1\n[GNUPG:] KEY_CONSIDERED AB 0\n"
	if b.String() != want {
		t.Fatalf("got %q want %q", b.String(), want)
	}
	var nilWriter *Writer
	nilWriter.Retrieving()()
}
