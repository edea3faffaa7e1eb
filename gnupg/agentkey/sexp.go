package agentkey

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
)

// sexp is one S-expression node: an atom (list == nil, atom set, possibly
// empty) or a list.
type sexp struct {
	atom   []byte
	list   []*sexp
	isList bool
}

// Limits on what a key file may hold: a 16384-bit RSA key has six numbers
// of at most 2 KiB; nothing in a key nests deeper than five levels.
const (
	maxDepth = 16
	maxNodes = 256
)

var errSyntax = errors.New("agentkey: invalid S-expression")

// parseCanonical reads one canonical S-expression ("(3:abc(1:x1:y))") that
// must fill data exactly.
func parseCanonical(data []byte) (*sexp, error) {
	p := &canonParser{b: data}
	n, err := p.node(0)
	if err != nil {
		return nil, err
	}
	if p.i != len(p.b) {
		return nil, errSyntax
	}
	return n, nil
}

// canonicalPrefix reads one canonical S-expression at the start of data
// and returns it with its encoded length (decrypted plaintext is followed
// by padding).
func canonicalPrefix(data []byte) (*sexp, int, error) {
	p := &canonParser{b: data}
	n, err := p.node(0)
	return n, p.i, err
}

type canonParser struct {
	b     []byte
	i     int
	nodes int
}

func (p *canonParser) node(depth int) (*sexp, error) {
	if p.nodes++; p.nodes > maxNodes || depth > maxDepth || p.i >= len(p.b) {
		return nil, errSyntax
	}
	if p.b[p.i] == '(' {
		p.i++
		n := &sexp{isList: true}
		for {
			if p.i >= len(p.b) {
				return nil, errSyntax
			}
			if p.b[p.i] == ')' {
				p.i++
				return n, nil
			}
			c, err := p.node(depth + 1)
			if err != nil {
				return nil, err
			}
			n.list = append(n.list, c)
		}
	}
	// length-prefixed atom: no leading zeros, no display hints
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' && p.i-start < 7 {
		p.i++
	}
	if p.i == start || p.i >= len(p.b) || p.b[p.i] != ':' || (p.b[start] == '0' && p.i-start > 1) {
		return nil, errSyntax
	}
	l, _ := strconv.Atoi(string(p.b[start:p.i]))
	p.i++
	if l > len(p.b)-p.i {
		return nil, errSyntax
	}
	a := p.b[p.i : p.i+l]
	p.i += l
	return &sexp{atom: a}, nil
}

// parseAdvanced reads libgcrypt's advanced (human readable) format as the
// Key: value of an extended key file holds it: tokens, "quoted strings"
// with C escapes, #hex#, |base64| and length-prefixed atoms, separated by
// white space (allowed inside hex and base64 too, as the file folds them).
func parseAdvanced(data []byte) (*sexp, error) {
	p := &advParser{b: data}
	p.space()
	n, err := p.node(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.b) {
		return nil, errSyntax
	}
	return n, nil
}

type advParser struct {
	b     []byte
	i     int
	nodes int
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func (p *advParser) space() {
	for p.i < len(p.b) && isSpace(p.b[p.i]) {
		p.i++
	}
}

func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || bytes.IndexByte([]byte("-./_:*+="), c) >= 0
}

func (p *advParser) node(depth int) (*sexp, error) {
	if p.nodes++; p.nodes > maxNodes || depth > maxDepth || p.i >= len(p.b) {
		return nil, errSyntax
	}
	c := p.b[p.i]
	switch {
	case c == '(':
		p.i++
		n := &sexp{isList: true}
		for {
			p.space()
			if p.i >= len(p.b) {
				return nil, errSyntax
			}
			if p.b[p.i] == ')' {
				p.i++
				return n, nil
			}
			ch, err := p.node(depth + 1)
			if err != nil {
				return nil, err
			}
			n.list = append(n.list, ch)
		}
	case c == '#':
		raw, err := p.delimited('#')
		if err != nil {
			return nil, err
		}
		a, err := hex.DecodeString(string(raw))
		if err != nil {
			return nil, errSyntax
		}
		return &sexp{atom: a}, nil
	case c == '|':
		raw, err := p.delimited('|')
		if err != nil {
			return nil, err
		}
		a, err := base64.StdEncoding.DecodeString(string(raw))
		if err != nil {
			return nil, errSyntax
		}
		return &sexp{atom: a}, nil
	case c == '"':
		return p.quoted()
	case c >= '0' && c <= '9':
		// a length-prefixed atom ("3:abc"), else a token starting with a digit
		start := p.i
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' && p.i-start < 7 {
			p.i++
		}
		if p.i < len(p.b) && p.b[p.i] == ':' {
			l, _ := strconv.Atoi(string(p.b[start:p.i]))
			p.i++
			if l > len(p.b)-p.i {
				return nil, errSyntax
			}
			a := p.b[p.i : p.i+l]
			p.i += l
			return &sexp{atom: a}, nil
		}
		p.i = start
		return p.token()
	case isTokenChar(c):
		return p.token()
	}
	return nil, errSyntax
}

func (p *advParser) token() (*sexp, error) {
	start := p.i
	for p.i < len(p.b) && isTokenChar(p.b[p.i]) {
		p.i++
	}
	return &sexp{atom: p.b[start:p.i]}, nil
}

// delimited returns the text up to the closing delimiter with white space
// removed.
func (p *advParser) delimited(d byte) ([]byte, error) {
	p.i++
	var out []byte
	for ; p.i < len(p.b); p.i++ {
		c := p.b[p.i]
		if c == d {
			p.i++
			return out, nil
		}
		if !isSpace(c) {
			out = append(out, c)
		}
	}
	return nil, errSyntax
}

func (p *advParser) quoted() (*sexp, error) {
	p.i++
	var out []byte
	for p.i < len(p.b) {
		c := p.b[p.i]
		p.i++
		switch c {
		case '"':
			return &sexp{atom: out}, nil
		case '\\':
			if p.i >= len(p.b) {
				return nil, errSyntax
			}
			e := p.b[p.i]
			p.i++
			switch e {
			case 'b':
				out = append(out, '\b')
			case 't':
				out = append(out, '\t')
			case 'v':
				out = append(out, '\v')
			case 'n':
				out = append(out, '\n')
			case 'f':
				out = append(out, '\f')
			case 'r':
				out = append(out, '\r')
			case '"', '\'', '\\':
				out = append(out, e)
			case '\n', '\r':
				// a line continuation: an escaped line break adds nothing
				if p.i < len(p.b) && (p.b[p.i] == '\n' || p.b[p.i] == '\r') && p.b[p.i] != e {
					p.i++
				}
			case 'x':
				if p.i+2 > len(p.b) {
					return nil, errSyntax
				}
				v, err := strconv.ParseUint(string(p.b[p.i:p.i+2]), 16, 8)
				if err != nil {
					return nil, errSyntax
				}
				out = append(out, byte(v))
				p.i += 2
			default:
				if e < '0' || e > '7' || p.i+2 > len(p.b) {
					return nil, errSyntax
				}
				v, err := strconv.ParseUint(string(p.b[p.i-1:p.i+2]), 8, 8)
				if err != nil {
					return nil, errSyntax
				}
				out = append(out, byte(v))
				p.i += 2
			}
		default:
			out = append(out, c)
		}
	}
	return nil, errSyntax
}

// canonical appends n's canonical encoding to b.
func (n *sexp) canonical(b []byte) []byte {
	if !n.isList {
		b = strconv.AppendInt(b, int64(len(n.atom)), 10)
		b = append(b, ':')
		return append(b, n.atom...)
	}
	b = append(b, '(')
	for _, c := range n.list {
		b = c.canonical(b)
	}
	return append(b, ')')
}

// head is the first element of a list when it is an atom ("rsa" in
// "(rsa (n …))"), else "".
func (n *sexp) head() string {
	if n == nil || !n.isList || len(n.list) == 0 || n.list[0].isList {
		return ""
	}
	return string(n.list[0].atom)
}

// find returns the first sublist whose head is name.
func (n *sexp) find(name string) *sexp {
	if !n.isList || len(n.list) == 0 {
		return nil
	}
	for _, c := range n.list[1:] {
		if c.head() == name {
			return c
		}
	}
	return nil
}

// value is the atom after name in the sublist (name value); ok=false if
// the sublist is missing or not exactly that shape.
func (n *sexp) value(name string) ([]byte, bool) {
	c := n.find(name)
	if c == nil || len(c.list) != 2 || c.list[1].isList {
		return nil, false
	}
	return c.list[1].atom, true
}
