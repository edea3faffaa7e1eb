package main

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/pgp/dump"
)

// --list-packets (gpg's list mode of parse-packet.c): one "# off=… ctb=…"
// header line per packet and gpg's description of its fields. Compressed
// packets are listed with the packets inside them; encrypted data is
// decrypted as gpg's list mode does (secret keys through keyhelper, a
// passphrase, --override-session-key) and the packets inside listed.
//
// Bounds: packets whose fields are parsed are read into memory only up to
// maxListedPacket; literal, compressed and encrypted data stream; nesting
// of compressed packets stops at maxListNesting and the number of packets
// at maxListPackets, so hostile input ends with a clean error.

const (
	maxListedPacket = 1 << 20
	maxListNesting  = 8
	maxListPackets  = 1 << 20
	// maxKeyPacket is gpg's MAX_KEY_PACKET_LENGTH.
	maxKeyPacket = 256 << 10
)

var errPrematureEOF = errors.New("premature eof while reading packet")

func (a *app) listPacketsCmd(args []string) error {
	if len(args) > 1 {
		return a.wrongArgs("--list-packets [filename]")
	}
	name := ""
	if len(args) == 1 {
		name = args[0]
	}
	in, err := a.openInput(name)
	if err != nil {
		return err
	}
	defer in.Close()
	br := bufio.NewReaderSize(in, 64<<10)
	var r io.Reader = br
	dearmorErr := func() error { return nil }
	if head, _ := br.Peek(2); len(head) > 0 && !looksBinary(head) {
		if peek, _ := br.Peek(br.Size()); cleartextHashes(peek) != nil {
			out := bufio.NewWriter(a.stdout)
			listClearsigned(out, cleartextHashes(peek))
			return out.Flush()
		}
		// Armored (or not OpenPGP at all): list what the armor holds,
		// whatever its first packet (gpg's armor filter decides on the
		// outer input only).
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			err := dearmorStream(pw, br)
			pw.CloseWithError(err)
			done <- err
		}()
		defer pr.Close()
		r = pr
		dearmorErr = func() error {
			pr.Close() // the lister may have stopped early
			return <-done
		}
	}
	out := bufio.NewWriter(a.stdout)
	defer out.Flush()
	l := &packetLister{w: out, errorf: a.errorf}
	l.dec = &listDecrypt{a: a, res: newSessionKeyResult(), flush: func() { out.Flush() }}
	err = l.list(&offsetReader{r: bufio.NewReader(r)}, 0, 0)
	if l.packets == l.trust && err == nil {
		// gpg: NODATA 1 when its armor filter found no armor, NODATA 2
		// as the parser found no packet, and its EOF (-1) as the failure
		out.Flush()
		msg := "processing message failed: Unknown system error"
		switch derr := dearmorErr(); {
		case derr == nil:
		case derr != errDearmorNoData:
			// an invalid armor body: front decodes none of it
			// (#dearmor-badarmor), gpg reports no armored data
			a.status.Emit("NODATA", "1")
			return &exitError{2, "no valid OpenPGP data found."}
		default:
			a.status.Emit("NODATA", "1")
			msg = "no valid OpenPGP data found.\n" + a.progName() + ": " + msg
		}
		a.status.Emit("NODATA", "2")
		a.failure("-", gpgErrEOF)
		return &exitError{2, msg}
	}
	if l.packets == 0 && errors.Is(err, io.ErrUnexpectedEOF) {
		out.Flush()
		return &exitError{2, "no valid OpenPGP data found."}
	}
	if err != nil {
		out.Flush()
		var ee *exitError
		if errors.As(err, &ee) {
			return err
		}
		return &exitError{2, err.Error()}
	}
	return nil
}

// cleartextHashes returns the digest algorithms named by the Hash headers
// of a cleartext signature whose "BEGIN PGP SIGNED MESSAGE" line is the
// first armor line in head (SHA-1 if none is named; gpg's armor filter
// keeps RIPEMD-160 and the SHA-1/SHA-2 family), or nil if head does not
// start a cleartext signature.
func cleartextHashes(head []byte) []byte {
	lines := strings.Split(string(head), "\n")
	i := 0
	for ; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], " \t\r")
		if strings.HasPrefix(l, "-----BEGIN PGP ") {
			if l != "-----BEGIN PGP SIGNED MESSAGE-----" {
				return nil
			}
			break
		}
	}
	if i == len(lines) {
		return nil
	}
	names := map[string]int{"RIPEMD160": 1, "SHA1": 2, "SHA224": 8, "SHA256": 16, "SHA384": 32, "SHA512": 64}
	found := 0
	for _, l := range lines[i+1:] {
		l = strings.TrimRight(l, " \t\r")
		if l == "" {
			break
		}
		if v, ok := strings.CutPrefix(l, "Hash:"); ok {
			for _, n := range strings.Split(v, ",") {
				found |= names[strings.TrimSpace(n)]
			}
		}
	}
	if found == 0 {
		found = 2
	}
	var ids []byte
	for _, h := range []struct {
		bit int
		id  byte
	}{{1, 3}, {2, 2}, {8, 11}, {16, 8}, {32, 9}, {64, 10}} {
		if found&h.bit != 0 {
			ids = append(ids, h.id)
		}
	}
	return ids
}

// listClearsigned prints what gpg's --list-packets shows of a cleartext
// signature: the control packet its armor filter makes up (session marker,
// type, signature class, one byte a digest algorithm), then the text as a
// literal data packet of unknown length. gpg lists nothing after that (not
// the signature) and exits 0.
func listClearsigned(w io.Writer, hashes []byte) {
	const sessionMarker = 16
	plen := sessionMarker + 2 + len(hashes)
	fmt.Fprintf(w, "# off=0 ctb=ff tag=63 hlen=2 plen=%d new-ctb\n", plen)
	fmt.Fprint(w, ":packet 63: length ", plen, " - gpg control packet")
	fmt.Fprintf(w, "# off=%d ctb=cb tag=11 hlen=2 plen=0 partial new-ctb\n", plen+2)
	fmt.Fprint(w, ":literal data packet:\n\tmode t (74), created 0, name=\"\",\n\traw data: unknown length\n")
}

// offsetReader counts the bytes read, for the off= field; base is the
// offset of its first byte in gpg's numbering (nested streams continue the
// numbering of the packet that holds them).
type offsetReader struct {
	r    *bufio.Reader
	base int64
	n    int64
}

func (o *offsetReader) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	o.n += int64(n)
	return n, err
}

func (o *offsetReader) ReadByte() (byte, error) {
	c, err := o.r.ReadByte()
	if err == nil {
		o.n++
	}
	return c, err
}

type packetLister struct {
	w       *bufio.Writer
	packets int
	// trust counts trust packets, which gpg's parser lists but skips:
	// input of nothing else is "no packet" to it.
	trust int
	dec   listDecrypter // nil: encrypted data ends the listing (unit tests)
	// errorf logs an error that does not end the listing (and makes
	// the exit code 2); nil in unit tests, which count errors.
	errorf func(format string, args ...any)
	errors int
}

func (l *packetLister) logError(format string, args ...any) {
	l.errors++
	if l.errorf != nil {
		l.errorf(format, args...)
	}
}

// listDecrypter decrypts for the lister as gpg's list mode does: each
// session key packet when it is listed (so the status lines come between
// the packets, as in gpg), then the encrypted data, whose packets list
// lists as they are decrypted.
type listDecrypter interface {
	sessionKeyPacket(raw []byte) error
	// encrypted decrypts env's data and calls list with the plaintext
	// and the cipher; an error ends the listing.
	encrypted(env *pgp.Envelope, list func(plain io.Reader, cipher packet.CipherFunction) error) error
}

// listDecrypt is the lister's decrypter: crypt.go's session key search
// and decryption, with the listing flushed before each status line.
type listDecrypt struct {
	a     *app
	res   *sessionKeyResult
	flush func()
}

func (d *listDecrypt) sessionKeyPacket(raw []byte) error {
	d.flush()
	switch pk, sk := pgp.ParseSessionKeyPacket(raw); {
	case pk != nil:
		return d.a.pkeskSessionKey(d.res, *pk)
	case sk != nil:
		return d.a.skeskSessionKey(d.res, *sk)
	}
	return nil
}

func (d *listDecrypt) encrypted(env *pgp.Envelope, list func(io.Reader, packet.CipherFunction) error) error {
	d.flush()
	// encrypted data nested in this one starts afresh, as gpg's nested
	// processing context does
	res := d.res
	d.res = newSessionKeyResult()
	return d.a.decryptData(env, res, func(plain io.Reader) (func() error, error) {
		err := list(plain, res.cipher)
		d.flush()
		return nil, err
	})
}

// packetHeader is a parsed packet header.
type packetHeader struct {
	off     int64
	ctb     byte
	tag     int
	hlen    int
	plen    uint32
	partial bool // partial body lengths (new format) or indeterminate (old)
	newCTB  bool
	raw     []byte // the header's bytes
}

// readPacketHeader reads one header; io.EOF means a clean end.
func readPacketHeader(r *offsetReader) (packetHeader, error) {
	h := packetHeader{off: r.base + r.n}
	ctb, err := r.ReadByte()
	if err != nil {
		return h, io.EOF
	}
	h.ctb, h.hlen, h.raw = ctb, 1, []byte{ctb}
	if ctb&0x80 == 0 {
		return h, fmt.Errorf("invalid packet (ctb=%02x)", ctb)
	}
	next := func(what string) (uint32, error) {
		c, err := r.ReadByte()
		if err != nil {
			return 0, errors.New(what)
		}
		h.hlen++
		h.raw = append(h.raw, c)
		return uint32(c), nil
	}
	if ctb&0x40 != 0 {
		h.newCTB = true
		h.tag = int(ctb & 0x3f)
		c, err := next("1st length byte missing")
		if err != nil {
			return h, err
		}
		switch {
		case c < 192:
			h.plen = c
		case c < 224:
			c2, err := next("2nd length byte missing")
			if err != nil {
				return h, err
			}
			h.plen = (c-192)<<8 + c2 + 192
		case c == 255:
			for i := 0; i < 4; i++ {
				c, err := next("4 byte length invalid")
				if err != nil {
					return h, err
				}
				h.plen = h.plen<<8 | c
			}
		default:
			switch h.tag {
			case 8, 9, 11, 18, 20:
			default:
				return h, fmt.Errorf("partial length invalid for packet type %d", h.tag)
			}
			h.partial = true
			h.plen = 1 << (c & 0x1f) // the first chunk; plen= shows 0
		}
	} else {
		h.tag = int(ctb>>2) & 0xf
		if ctb&3 == 3 {
			switch h.tag {
			case 8, 9, 11:
			default:
				return h, fmt.Errorf("indeterminate length for invalid packet type %d", h.tag)
			}
			h.partial = true
		} else {
			for n := 1 << (ctb & 3); n > 0; n-- {
				c, err := next("length invalid")
				if err != nil {
					return h, err
				}
				h.plen = h.plen<<8 | c
			}
		}
	}
	if h.tag == 63 && h.plen == 0xffffffff {
		return h, errors.New("garbled packet detected")
	}
	return h, nil
}

// body returns a reader of the packet's body.
func (h *packetHeader) body(r *offsetReader) io.Reader {
	switch {
	case h.partial && h.newCTB:
		return &partialBody{r: r, left: int64(h.plen)}
	case h.partial:
		return r
	}
	return io.LimitReader(r, int64(h.plen))
}

// partialBody reads a new-format partial body: chunks of 2^n bytes, each
// followed by the next length, the last one with a regular length.
type partialBody struct {
	r    *offsetReader
	left int64
	last bool
	err  error
}

func (p *partialBody) Read(b []byte) (int, error) {
	for p.left == 0 {
		if p.last {
			return 0, io.EOF
		}
		if p.err != nil {
			return 0, p.err
		}
		c, err := p.r.ReadByte()
		if err != nil {
			p.err = io.ErrUnexpectedEOF
			return 0, p.err
		}
		switch {
		case c < 192:
			p.left, p.last = int64(c), true
		case c < 224:
			c2, err := p.r.ReadByte()
			if err != nil {
				p.err = io.ErrUnexpectedEOF
				return 0, p.err
			}
			p.left, p.last = int64(c-192)<<8+int64(c2)+192, true
		case c == 255:
			var buf [4]byte
			if _, err := io.ReadFull(p.r, buf[:]); err != nil {
				p.err = io.ErrUnexpectedEOF
				return 0, p.err
			}
			p.left, p.last = int64(binary.BigEndian.Uint32(buf[:])), true
		default:
			p.left = 1 << (c & 0x1f)
		}
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	n, err := p.r.Read(b)
	p.left -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// list lists the packets of one stream (the input, or the contents of a
// compressed packet at nesting depth depth).
func (l *packetLister) list(r *offsetReader, base int64, depth int) error {
	r.base = base
	for {
		h, err := readPacketHeader(r)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if l.packets++; l.packets > maxListPackets {
			return errors.New("too many packets")
		}
		plen := h.plen
		if h.partial {
			plen = 0
		}
		fmt.Fprintf(l.w, "# off=%d ctb=%02x tag=%d hlen=%d plen=%d", h.off, h.ctb, h.tag, h.hlen, plen)
		if h.partial {
			if h.newCTB {
				l.w.WriteString(" partial")
			} else {
				l.w.WriteString(" indeterminate")
			}
		}
		if h.newCTB {
			l.w.WriteString(" new-ctb")
		}
		l.w.WriteString("\n")
		body := h.body(r)
		consumed, err := l.packet(&h, body, r, depth)
		if err != nil {
			return err
		}
		if consumed {
			continue
		}
		if _, err := io.Copy(io.Discard, body); err != nil {
			return errPrematureEOF
		}
	}
}

// packet lists one packet's fields. consumed is set for encrypted data,
// which the decryption has read to its end.
func (l *packetLister) packet(h *packetHeader, body io.Reader, r *offsetReader, depth int) (consumed bool, err error) {
	w := l.w
	switch h.tag {
	case 8:
		algo := []byte{0}
		if _, err := io.ReadFull(body, algo); err != nil {
			return false, errPrematureEOF
		}
		fmt.Fprintf(w, ":compressed packet: algo=%d\n", algo[0])
		if depth+1 > maxListNesting {
			return false, errors.New("packets nested too deeply")
		}
		var dec io.Reader
		switch algo[0] {
		case 0:
			dec = body
		case 1:
			dec = flate.NewReader(body)
		case 2:
			z, err := zlib.NewReader(body)
			if err != nil {
				return false, errors.New("invalid compressed data")
			}
			dec = z
		case 3:
			dec = bzip2.NewReader(body)
		default:
			return false, fmt.Errorf("unknown compress algorithm %d", algo[0])
		}
		inner := &offsetReader{r: bufio.NewReader(dec)}
		err := l.list(inner, h.off+int64(h.hlen)+1, depth+1)
		if err != nil && !isExitError(err) {
			return false, fmt.Errorf("uncompressing failed: %v", err)
		}
		return false, err
	case 9, 18, 20:
		return l.encrypted(h, r, depth)
	case 11:
		return false, l.literal(h, body)
	}
	// The remaining packets are parsed from memory.
	isKey := h.tag == 5 || h.tag == 6 || h.tag == 7 || h.tag == 14
	if h.partial || isKey && h.plen > maxKeyPacket {
		if isKey {
			w.WriteString(":key packet: [too larget]\n") // sic, gpg's spelling
		} else {
			fmt.Fprintf(w, ":%s packet: [too large]\n", packetName(h.tag))
		}
		return false, fmt.Errorf("packet(%d) too large", h.tag)
	}
	// A longer packet is parsed from its start (a signature's hashed
	// area length is checked there, as in gpg) and the rest skipped.
	data := make([]byte, min(h.plen, maxListedPacket))
	n, _ := io.ReadFull(body, data)
	truncated := n < len(data)
	data = data[:n]
	f := &fields{b: data, unknown: -1}
	switch h.tag {
	case 1, 3:
		if h.tag == 1 {
			listPKESK(w, f)
		} else {
			listSKESK(w, f)
		}
		if l.dec != nil && !f.fatal && f.unknown < 0 && !truncated {
			if err := l.dec.sessionKeyPacket(append(h.raw, data...)); err != nil {
				return false, err
			}
		}
	case 2:
		listSignature(w, f)
	case 4:
		listOnePass(w, f)
	case 5, 6, 7, 14:
		listKey(w, h.tag, f)
	case 10:
		if string(data) == "PGP" {
			w.WriteString(":marker packet: PGP\n")
		} else {
			f.bad(w, ":marker packet: [invalid]\n")
			return false, errors.New("invalid marker packet")
		}
	case 12:
		l.trust++
		w.WriteString(dump.Trust(data) + "\n")
	case 13:
		fmt.Fprintf(w, ":user ID packet: \"%s\"\n", escapeListed(data))
	case 17:
		fmt.Fprintf(w, ":attribute packet: [%d bytes]\n", len(data))
	case 19:
		fmt.Fprintf(w, ":mdc packet: length=%d\n", h.plen)
	default:
		fmt.Fprintf(w, ":unknown packet: type %2d, length %d\n", h.tag, h.plen)
		dumpHex(w, data, truncated)
		return false, nil
	}
	if f.unknown >= 0 {
		if h.tag == 4 {
			l.logError("onepass_sig with unknown version %d", f.unknown)
		} else {
			l.logError("packet(%d) with unknown version %d", h.tag, f.unknown)
		}
		return false, nil
	}
	// gpg lists what a truncated packet has and goes on (exit 0), except
	// for the errors it logs (f.fatal: "[too short]", a signature's
	// subpacket area cut off, ...).
	if f.fatal {
		return false, errPrematureEOF
	}
	return false, nil
}

// encrypted lists an encrypted data packet (SED, SEIPD v1, or gpg 2.2's
// AEAD packet) and, with a decrypter, decrypts it and lists the packets
// inside. Its fields are peeked at, so that the decryption reads the
// packet from its header.
func (l *packetLister) encrypted(h *packetHeader, r *offsetReader, depth int) (consumed bool, err error) {
	w := l.w
	length := "unknown"
	if !h.partial {
		length = strconv.FormatUint(uint64(h.plen), 10)
	}
	// head is what precedes the prefix: SEIPD's version; the AEAD
	// packet's version, cipher, mode and chunk size
	headLen := map[int]int{9: 0, 18: 1, 20: 4}[h.tag]
	if !h.partial && int(h.plen) < headLen {
		return false, errPrematureEOF
	}
	head, err := r.r.Peek(headLen)
	if err != nil {
		return false, errPrematureEOF
	}
	var prefix func(packet.CipherFunction) int64
	switch h.tag {
	case 20:
		if !h.partial && h.plen < 19 {
			w.WriteString(":aead encrypted packet: [too short]\n")
			return false, fmt.Errorf("packet(%d) too short", h.tag)
		}
		if head[0] != 1 {
			w.WriteString(":aead encrypted packet: [unknown version]\n")
			l.logError("aead encrypted packet with unknown version %d", head[0])
			return false, nil
		}
		fmt.Fprintf(w, ":aead encrypted packet: cipher=%d aead=%d cb=%d\n\tlength: %s\n", head[1], head[2], head[3], length)
		// gpg reads the start IV (EAX 16 bytes, OCB 15) before it
		// decrypts
		iv := int64(16)
		if head[2] == 2 {
			iv = 15
		}
		prefix = func(packet.CipherFunction) int64 { return 4 + iv }
	default:
		if h.tag == 18 && head[0] != 1 {
			// RFC 9580's v2 SEIPD among them. gpg goes on parsing
			// right after the version byte, reading ciphertext as
			// packets; front skips the packet (README #v6-keys).
			w.WriteString(":encrypted data packet: [unknown version]\n")
			l.logError("encrypted_mdc packet with unknown version %d", head[0])
			return false, nil
		}
		// an IV of at least 8 bytes and the 2 check bytes
		if !h.partial && int(h.plen)-headLen < 10 {
			w.WriteString(":encrypted data packet: [too short]\n")
			return false, fmt.Errorf("packet(%d) too short", h.tag)
		}
		fmt.Fprintf(w, ":encrypted data packet:\n\tlength: %s\n", length)
		if h.tag == 18 {
			w.WriteString("\tmdc_method: 2\n")
		}
		// the version byte, then the random prefix: a block and the
		// repetition of its last two bytes
		prefix = func(c packet.CipherFunction) int64 { return int64(headLen + pgp.BlockSize(c) + 2) }
	}
	if l.dec == nil {
		return false, &exitError{2, "decryption failed: No secret key"}
	}
	if depth+1 > maxListNesting {
		return false, errors.New("packets nested too deeply")
	}
	env, err := pgp.ReadEnvelope(io.MultiReader(bytes.NewReader(h.raw), r))
	if err != nil {
		return false, err
	}
	// gpg's inner offsets go on from the outer ones: its decryption
	// filter sits on the input after the prefix was read from it
	start := h.off + int64(h.hlen)
	return true, l.dec.encrypted(env, func(plain io.Reader, c packet.CipherFunction) error {
		return l.list(&offsetReader{r: bufio.NewReader(plain)}, start+prefix(c), depth+1)
	})
}

func isExitError(err error) bool {
	var ee *exitError
	return errors.As(err, &ee)
}

func packetName(tag int) string {
	switch tag {
	case 1:
		return "pubkey enc"
	case 2:
		return "signature"
	case 3:
		return "symkey enc"
	case 4:
		return "onepass_sig"
	case 13:
		return "user ID"
	}
	return "unknown"
}

// dumpHex is gpg's dump of an unknown packet: bytes in groups of eight,
// 24 to a line, each line after the first numbered.
func dumpHex(w *bufio.Writer, data []byte, truncated bool) {
	w.WriteString("dump:")
	i := 0
	put := func(s string) {
		if i > 0 && i%8 == 0 {
			if i%24 == 0 {
				fmt.Fprintf(w, "\n%4d:", i)
			} else {
				w.WriteByte(' ')
			}
		}
		w.WriteString(s)
		i++
	}
	for _, c := range data {
		put(fmt.Sprintf(" %02x", c))
	}
	if truncated {
		put(" EOF")
	}
	w.WriteString("\n")
}

// escapeListed writes bytes as gpg's list mode does for user IDs, literal
// file names: ' '…'z' as they are, everything else as \xNN.
func escapeListed(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		if c >= ' ' && c <= 'z' {
			s.WriteByte(c)
		} else {
			fmt.Fprintf(&s, "\\x%02x", c)
		}
	}
	return s.String()
}

func (l *packetLister) literal(h *packetHeader, body io.Reader) error {
	head := make([]byte, 2)
	if _, err := io.ReadFull(body, head); err != nil {
		l.w.WriteString(":literal data packet: [too short]\n")
		return errPrematureEOF
	}
	mode, nameLen := head[0], int(head[1])
	rest := make([]byte, nameLen+4)
	if _, err := io.ReadFull(body, rest); err != nil {
		l.w.WriteString(":literal data packet: [too short]\n")
		return errPrematureEOF
	}
	shown := byte('?')
	if mode >= ' ' && mode < 'z' {
		shown = mode
	}
	fmt.Fprintf(l.w, ":literal data packet:\n\tmode %c (%X), created %d, name=\"%s\",\n\traw data: ",
		shown, mode, binary.BigEndian.Uint32(rest[nameLen:]), escapeListed(rest[:nameLen]))
	if h.partial {
		l.w.WriteString("unknown length\n")
	} else {
		fmt.Fprintf(l.w, "%d bytes\n", int64(h.plen)-6-int64(nameLen))
	}
	return nil
}

// fields reads packet fields from memory; reading past the end sets short
// and yields zeros, so a listing of a truncated packet stays bounded.
type fields struct {
	b     []byte
	short bool
	fatal bool // an error gpg reports with exit code 2
	// unknown is the packet's version when gpg does not know it, else -1
	unknown int
}

// unknownVersion lists a packet of a version gpg 2.2.40 does not know
// (RFC 9580's v6 keys, signatures and session key packets among them):
// gpg logs an error, skips the packet and lists the next one.
func (f *fields) unknownVersion(w *bufio.Writer, line string, v int) {
	w.WriteString(line)
	f.unknown = v
	f.bytes(f.left())
}

func (f *fields) left() int { return len(f.b) }

// bad lists a packet gpg cannot parse ("[too short]", "[unknown
// version]"); gpg logs an error for these, so the exit code becomes 2.
// subpacketArea reads a v4 signature's length-prefixed subpacket area,
// reporting gpg's message and stopping the listing when it is too long or
// cut off.
func (f *fields) subpacketArea(w *bufio.Writer, which string) ([]byte, bool) {
	n := f.u16()
	if n > 10000 {
		f.bad(w, ":signature packet: ["+which+" data too long]\n")
		f.short, f.fatal = true, true
		return nil, false
	}
	if n > f.left() {
		f.bad(w, ":signature packet: [premature eof]\n")
		f.short, f.fatal = true, true
		return nil, false
	}
	return f.bytes(n), true
}

func (f *fields) bad(w *bufio.Writer, line string) {
	w.WriteString(line)
	f.fatal = true
}

func (f *fields) bytes(n int) []byte {
	if n > len(f.b) {
		f.short = true
		out := make([]byte, n)
		copy(out, f.b)
		f.b = nil
		return out
	}
	out := f.b[:n]
	f.b = f.b[n:]
	return out
}

func (f *fields) u8() int     { return int(f.bytes(1)[0]) }
func (f *fields) u16() int    { return int(binary.BigEndian.Uint16(f.bytes(2))) }
func (f *fields) u32() uint32 { return binary.BigEndian.Uint32(f.bytes(4)) }

// mpi reads an MPI and returns its size as gpg prints it, "[N bits]".
func (f *fields) mpi() (string, bool) {
	if f.left() < 2 {
		f.short = true
		return "", false
	}
	bits := f.u16()
	n := (bits + 7) / 8
	if n > f.left() {
		f.short = true
		return "", false
	}
	f.bytes(n)
	return fmt.Sprintf("[%d bits]", bits), true
}

// sized reads a one-byte-length-prefixed field (curve OID, KDF
// parameters, ECDH wrapped key); gpg prints its size with the prefix.
func (f *fields) sized() ([]byte, string, bool) {
	if f.left() < 1 {
		f.short = true
		return nil, "", false
	}
	n := f.u8()
	if n > f.left() || n == 0 || n == 255 {
		f.short = true
		return nil, "", false
	}
	return f.bytes(n), fmt.Sprintf("[%d bits]", (n+1)*8), true
}

// listPKESK lists a public-key encrypted session key packet.
func listPKESK(w *bufio.Writer, f *fields) {
	if f.left() < 12 {
		f.bad(w, ":pubkey enc packet: [too short]\n")
		return
	}
	v := f.u8()
	if v != 2 && v != 3 {
		f.unknownVersion(w, ":pubkey enc packet: [unknown version]\n", v)
		return
	}
	id := f.bytes(8)
	algo := f.u8()
	fmt.Fprintf(w, ":pubkey enc packet: version %d, algo %d, keyid %X\n", v, algo, id)
	var n int
	switch algo {
	case 1, 2:
		n = 1
	case 16, 20, 18:
		n = 2
	default:
		fmt.Fprintf(w, "\tunsupported algorithm %d\n", algo)
		return
	}
	for i := 0; i < n; i++ {
		var s string
		var good bool
		if algo == 18 && i == 1 {
			_, s, good = f.sized()
		} else {
			s, good = f.mpi()
		}
		if !good {
			return
		}
		fmt.Fprintf(w, "\tdata: %s\n", s)
	}
}

func listSKESK(w *bufio.Writer, f *fields) {
	if f.left() < 4 {
		f.bad(w, ":symkey enc packet: [too short]\n")
		return
	}
	v := f.u8()
	if v != 4 && v != 5 {
		f.unknownVersion(w, ":symkey enc packet: [unknown version]\n", v)
		return
	}
	if f.left() > 200 {
		f.bad(w, ":symkey enc packet: [too large]\n")
		return
	}
	cipher, aead := f.u8(), 0
	if v == 5 {
		aead = f.u8()
	}
	if f.left() < 2 {
		f.bad(w, ":symkey enc packet: [too short]\n")
		return
	}
	mode, hash := f.u8(), f.u8()
	minLen := map[int]int{0: 0, 1: 8, 3: 9}
	need, ok := minLen[mode]
	if !ok {
		f.bad(w, ":symkey enc packet: [unknown S2K mode]\n")
		return
	}
	if need > f.left() {
		f.bad(w, ":symkey enc packet: [too short]\n")
		return
	}
	var salt []byte
	count := 0
	if mode == 1 || mode == 3 {
		salt = f.bytes(8)
	}
	if mode == 3 {
		count = f.u8()
	}
	seskey := f.left()
	fmt.Fprintf(w, ":symkey enc packet: version %d, cipher %d, aead %d,s2k %d, hash %d", v, cipher, aead, mode, hash)
	if seskey > 0 {
		if aead != 0 {
			fmt.Fprintf(w, ", encrypted seskey %d bytes", seskey)
		} else {
			fmt.Fprintf(w, ", seskey %d bits", (seskey-1)*8)
		}
	}
	w.WriteString("\n")
	if salt != nil {
		fmt.Fprintf(w, "\tsalt %X", salt)
		if mode == 3 {
			fmt.Fprintf(w, ", count %d (%d)", s2kCount(count), count)
		}
		w.WriteString("\n")
	}
	f.bytes(seskey)
}

// s2kCount decodes the one-byte iteration count of RFC 4880 3.7.1.3.
func s2kCount(c int) int { return (16 + c&15) << (c>>4 + 6) }

func listOnePass(w *bufio.Writer, f *fields) {
	if f.left() < 13 {
		f.bad(w, ":onepass_sig packet: [too short]\n")
		return
	}
	v := f.u8()
	if v != 3 {
		f.unknownVersion(w, ":onepass_sig packet: [unknown version]\n", v)
		return
	}
	class, digest, pk := f.u8(), f.u8(), f.u8()
	keyID := f.bytes(8)
	last := f.u8()
	fmt.Fprintf(w, ":onepass_sig packet: keyid %X\n\tversion %d, sigclass 0x%02x, digest %d, pubkey %d, last=%d\n",
		keyID, v, class, digest, pk, last)
}

// sigDataCount is how many MPIs a signature of the algorithm has (0:
// unknown).
func sigDataCount(algo int) int {
	switch algo {
	case 1, 3:
		return 1
	case 17, 19, 22, 20:
		return 2
	}
	return 0
}

func listSignature(w *bufio.Writer, f *fields) {
	if f.left() < 16 {
		f.bad(w, ":signature packet: [too short]\n")
		return
	}
	v := f.u8()
	if v != 2 && v != 3 && v != 4 {
		f.unknownVersion(w, ":signature packet: [unknown version]\n", v)
		return
	}
	var md5len, class int
	var created uint32
	var keyID []byte
	if v != 4 {
		md5len = f.u8()
		class = f.u8()
		created = f.u32()
		keyID = f.bytes(8)
	} else {
		class = f.u8()
	}
	algo, digest := f.u8(), f.u8()
	var hashed, unhashed []byte
	if v == 4 {
		var ok bool
		if hashed, ok = f.subpacketArea(w, "hashed"); !ok {
			return
		}
		if unhashed, ok = f.subpacketArea(w, "unhashed"); !ok {
			return
		}
	}
	if f.left() < 2 {
		f.bad(w, ":signature packet: [too short]\n")
		f.short = true
		return
	}
	start := f.bytes(2)
	if v == 4 {
		keyID = make([]byte, 8)
		if p := findSubpacket(hashed, 2); len(p) >= 4 {
			created = binary.BigEndian.Uint32(p)
		}
		if p := findSubpacket(hashed, 16); len(p) >= 8 {
			copy(keyID, p)
		} else if p := findSubpacket(unhashed, 16); len(p) >= 8 {
			copy(keyID, p)
		} else if p := findSubpacket(hashed, 33); len(p) == 21 && p[0] == 4 {
			copy(keyID, p[13:])
		} else if p := findSubpacket(unhashed, 33); len(p) == 21 && p[0] == 4 {
			copy(keyID, p[13:])
		}
	}
	fmt.Fprintf(w, ":signature packet: algo %d, keyid %X\n\tversion %d, created %d, md5len %d, sigclass 0x%02x\n\tdigest algo %d, begin of digest %02x %02x\n",
		algo, keyID, v, created, md5len, class, digest, start[0], start[1])
	if v == 4 {
		listSubpackets(w, hashed, true)
		listSubpackets(w, unhashed, false)
	}
	n := sigDataCount(algo)
	if n == 0 {
		fmt.Fprintf(w, "\tunknown algorithm %d\n", algo)
		f.bytes(f.left())
		return
	}
	for i := 0; i < n; i++ {
		s, ok := f.mpi()
		if !ok {
			// gpg's name for an MPI it could not read.
			s = "[MPI_NULL]"
		}
		fmt.Fprintf(w, "\tdata: %s\n", s)
	}
}

// subpackets splits a subpacket area; it stops at the first malformed
// length, as gpg's parser does.
func subpackets(area []byte, each func(typ int, critical bool, body []byte)) {
	for len(area) > 0 {
		n := int(area[0])
		area = area[1:]
		switch {
		case n == 255:
			if len(area) < 4 {
				return
			}
			n = int(binary.BigEndian.Uint32(area))
			area = area[4:]
		case n >= 192:
			if len(area) < 2 {
				return
			}
			n = (n-192)<<8 + int(area[0]) + 192
			area = area[1:]
		}
		if n > len(area) || n == 0 {
			return
		}
		each(int(area[0]&0x7f), area[0]&0x80 != 0, area[1:n])
		area = area[n:]
	}
}

func findSubpacket(area []byte, typ int) []byte {
	var found []byte
	subpackets(area, func(t int, _ bool, body []byte) {
		if t == typ && found == nil {
			found = body
		}
	})
	return found
}

func listSubpackets(w *bufio.Writer, area []byte, hashed bool) {
	subpackets(area, func(typ int, critical bool, b []byte) {
		if typ == 13 && !hashed {
			fmt.Fprintf(w, "\tsubpkt %d len %d (additional recipient request)\nWARNING: PGP versions > 5.0 and < 6.5.8 will automagically encrypt to this key and thereby reveal the plaintext to the owner of this ARR key. Detailed info follows:\n", typ, len(b)+1)
		}
		w.WriteString("\t")
		if critical {
			w.WriteString("critical ")
		}
		if hashed {
			w.WriteString("hashed ")
		}
		fmt.Fprintf(w, "subpkt %d len %d (%s)\n", typ, len(b), describeSubpacket(typ, b))
	})
}

// listSanitized approximates gpg's es_write_sanitized with ")" as the
// extra delimiter: control characters, DEL, ')' and '\\' are escaped.
func listSanitized(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		switch {
		case c < 0x20 || c == 0x7f || c == ')' || c == '\\':
			switch c {
			case '\n':
				s.WriteString(`\n`)
			case '\r':
				s.WriteString(`\r`)
			case '\f':
				s.WriteString(`\f`)
			case '\v':
				s.WriteString(`\v`)
			case '\b':
				s.WriteString(`\b`)
			case 0:
				s.WriteString(`\0`)
			default:
				fmt.Fprintf(&s, "\\x%02x", c)
			}
		default:
			s.WriteByte(c)
		}
	}
	return s.String()
}

func listBytes(b []byte, format string) string {
	var s strings.Builder
	for _, c := range b {
		fmt.Fprintf(&s, format, c)
	}
	return s.String()
}

func describeSubpacket(typ int, b []byte) string {
	n := len(b)
	u32 := func() uint32 { return binary.BigEndian.Uint32(b) }
	switch typ {
	case 2:
		if n >= 4 {
			return "sig created " + time.Unix(int64(u32()), 0).UTC().Format("2006-01-02")
		}
	case 3:
		if n >= 4 {
			if u32() == 0 {
				return "sig does not expire"
			}
			return "sig expires after " + timeValue(u32())
		}
	case 4:
		if n > 0 {
			return map[bool]string{true: "exportable", false: "not exportable"}[b[0] != 0]
		}
	case 5:
		if n != 2 {
			return "[invalid trust subpacket]"
		}
		return fmt.Sprintf("trust signature of depth %d, value %d", b[0], b[1])
	case 6:
		if n == 0 {
			return "[invalid regexp subpacket]"
		}
		return `regular expression: "` + listSanitized(b) + `"`
	case 7:
		if n > 0 {
			return map[bool]string{true: "revocable", false: "not revocable"}[b[0] != 0]
		}
	case 9:
		if n >= 4 {
			if u32() == 0 {
				return "key does not expire"
			}
			return "key expires after " + timeValue(u32())
		}
	case 11:
		return "pref-sym-algos:" + listBytes(b, " %d")
	case 34:
		return "pref-aead-algos:" + listBytes(b, " %d")
	case 12:
		if n < 22 {
			return "revocation key: [too short]"
		}
		return fmt.Sprintf("revocation key: c=%02x a=%d f=%X", b[0], b[1], b[2:])
	case 16:
		if n >= 8 {
			return fmt.Sprintf("issuer key ID %X", b[:8])
		}
	case 33:
		if n >= 21 {
			return fmt.Sprintf("issuer fpr v%d %X", b[0], b[1:])
		}
	case 20:
		if n < 8 {
			return "notation: [too short]"
		}
		n1 := int(b[4])<<8 | int(b[5])
		n2 := int(b[6])<<8 | int(b[7])
		if 8+n1+n2 != n {
			return "notation: [error]"
		}
		s := "notation: " + listSanitized(b[8:8+n1]) + "="
		if b[0]&0x80 != 0 {
			return s + listSanitized(b[8+n1:])
		}
		return s + "[not human readable]"
	case 21:
		return "pref-hash-algos:" + listBytes(b, " %d")
	case 22:
		return "pref-zip-algos:" + listBytes(b, " %d")
	case 23:
		return "keyserver preferences:" + listBytes(b, " %02X")
	case 24:
		return "preferred keyserver: " + listSanitized(b)
	case 25:
		return "primary user ID"
	case 26:
		return "policy: " + listSanitized(b)
	case 27:
		return "key flags:" + listBytes(b, " %02X")
	case 28:
		return "signer's user ID"
	case 29:
		if n > 0 {
			return fmt.Sprintf("revocation reason 0x%02x (%s)", b[0], listSanitized(b[1:]))
		}
	case 10:
		if n < 22 {
			return "Big Brother's key (ignored): [too short]"
		}
		return fmt.Sprintf("Big Brother's key (ignored): c=%02x a=%d f=%X", b[0], b[1], b[2:])
	case 30:
		return "features:" + listBytes(b, " %02x")
	case 32:
		if n < 17 {
			return "signature: [too short]"
		}
		if b[0] == 3 {
			return fmt.Sprintf("signature: v%d, class 0x%02X, algo %d, digest algo %d", b[0], b[2], b[15], b[16])
		}
		return fmt.Sprintf("signature: v%d, class 0x%02X, algo %d, digest algo %d", b[0], b[1], b[2], b[3])
	default:
		if typ >= 100 && typ <= 110 {
			return "experimental / private subpacket"
		}
		return "?"
	}
	return ""
}

// timeValue is gpg's strtimevalue: "NyNdNhNm" without leading zero years
// and days ("2d0h0m", "0h5m"); minutes are always there.
func timeValue(v uint32) string {
	years := v / (365 * 86400)
	v %= 365 * 86400
	days := v / 86400
	v %= 86400
	hm := fmt.Sprintf("%dh%dm", v/3600, v%3600/60)
	switch {
	case years > 0:
		return fmt.Sprintf("%dy%dd", years, days) + hm
	case days > 0:
		return fmt.Sprintf("%dd", days) + hm
	}
	return hm
}

// listedCurveNames are the curves gpg names in listings (its short aliases
// where it has them).
var listedCurveNames = map[string]string{
	"1.3.6.1.4.1.3029.1.5.1": "cv25519",
	"1.3.6.1.4.1.11591.15.1": "ed25519",
	"1.2.840.10045.3.1.7":    "nistp256",
	"1.3.132.0.34":           "nistp384",
	"1.3.132.0.35":           "nistp521",
	"1.3.36.3.3.2.8.1.1.7":   "brainpoolP256r1",
	"1.3.36.3.3.2.8.1.1.11":  "brainpoolP384r1",
	"1.3.36.3.3.2.8.1.1.13":  "brainpoolP512r1",
	"1.3.132.0.10":           "secp256k1",
}

// oidString is the dotted form of a DER-encoded OID.
func oidString(der []byte) string {
	if len(der) == 0 {
		return ""
	}
	parts := []string{strconv.Itoa(int(der[0]) / 40), strconv.Itoa(int(der[0]) % 40)}
	v := uint64(0)
	for _, c := range der[1:] {
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 == 0 {
			parts = append(parts, strconv.FormatUint(v, 10))
			v = 0
		}
	}
	return strings.Join(parts, ".")
}

// keyFieldCounts is gpg's pubkey_get_npkey / nskey.
func keyFieldCounts(algo int) (public, secret int) {
	switch algo {
	case 1, 2, 3:
		return 2, 4
	case 16, 20:
		return 3, 1
	case 17:
		return 4, 1
	case 18:
		return 3, 1
	case 19, 22:
		return 2, 1
	}
	return 0, 0
}

func listKey(w *bufio.Writer, tag int, f *fields) {
	whole := f.b
	if f.left() < 1 {
		f.bad(w, ":key packet: [too short]\n")
		return
	}
	v := f.u8()
	switch {
	case v == 2 || v == 3:
		fmt.Fprintf(w, ":key packet: [obsolete version %d]\n", v)
		f.bytes(f.left())
		return
	case v != 4:
		f.unknownVersion(w, ":key packet: [unknown version]\n", v)
		return
	}
	if f.left() < 10 {
		f.bad(w, ":key packet: [too short]\n")
		f.short = true
		return
	}
	created := f.u32()
	algo := f.u8()
	name := map[int]string{5: "secret", 6: "public", 7: "secret sub", 14: "public sub"}[tag]
	fmt.Fprintf(w, ":%s key packet:\n\tversion %d, algo %d, created %d, expires 0\n", name, v, algo, created)
	npub, nsec := keyFieldCounts(algo)
	if npub == 0 {
		fmt.Fprintf(w, "\tunknown algorithm %d\n", algo)
		f.bytes(f.left())
		return
	}
	for i := 0; i < npub; i++ {
		ecc := (algo == 19 || algo == 22 || algo == 18) && i == 0 || algo == 18 && i == 2
		var s string
		var ok bool
		var raw []byte
		if ecc {
			raw, s, ok = f.sized()
		} else {
			s, ok = f.mpi()
		}
		if !ok {
			return
		}
		fmt.Fprintf(w, "\tpkey[%d]: %s", i, s)
		if ecc && i == 0 {
			oid := oidString(raw)
			fmt.Fprintf(w, " %s (%s)", listedCurveNames[oid], oid)
		}
		w.WriteString("\n")
	}
	public := whole[:len(whole)-f.left()]
	sum := sha1.New()
	sum.Write([]byte{0x99, byte(len(public) >> 8), byte(len(public))})
	sum.Write(public)
	keyID := sum.Sum(nil)[12:]
	if tag == 5 || tag == 7 {
		if !listSecretFields(w, f, npub, nsec) {
			return
		}
	}
	fmt.Fprintf(w, "\tkeyid: %X\n", keyID)
}

// listSecretFields lists the protection parameters of a secret key
// packet (never the secret values: gpg prints only their sizes, or
// "[v4 protected]" when they are encrypted).
func listSecretFields(w *bufio.Writer, f *fields, npub, nsec int) bool {
	if f.left() < 1 {
		f.short = true
		return false
	}
	usage := f.u8()
	if usage == 0 {
		for i := npub; i < npub+nsec; i++ {
			s, ok := f.mpi()
			if !ok {
				return false
			}
			fmt.Fprintf(w, "\tskey[%d]: %s\n", i, s)
		}
		if f.left() < 2 {
			f.short = true
			return false
		}
		fmt.Fprintf(w, "\tchecksum: %04x\n", f.u16())
		return true
	}
	if usage != 254 && usage != 255 {
		// Pre-S2K protection: the byte is the cipher; gpg calls it
		// "protect algo" with hash MD5 (1).
		fmt.Fprintf(w, "\tprotect algo: %d  (hash algo: %d)\n", usage, 1)
		f.bytes(min(f.left(), blockLen(usage)))
		fmt.Fprintf(w, "\tskey[%d]: [v4 protected]\n", npub)
		f.bytes(f.left())
		return true
	}
	if f.left() < 3 {
		f.short = true
		return false
	}
	cipher, mode, hash := f.u8(), f.u8(), f.u8()
	if mode == 101 {
		gnu := f.bytes(min(4, f.left()))
		if len(gnu) < 4 || string(gnu[:3]) != "GNU" {
			fmt.Fprintf(w, "\tunknown S2K %d\n", mode)
			return false
		}
		mode = 1000 + int(gnu[3])
	}
	var salt []byte
	if mode == 1 || mode == 3 {
		if f.left() < 8 {
			f.short = true
			return false
		}
		salt = f.bytes(8)
	}
	switch mode {
	case 0:
		w.WriteString("\tsimple S2K")
	case 1:
		w.WriteString("\tsalted S2K")
	case 3:
		w.WriteString("\titer+salt S2K")
	case 1001:
		w.WriteString("\tgnu-dummy S2K")
	case 1002:
		w.WriteString("\tgnu-divert-to-card S2K")
	default:
		prefix := ""
		if mode >= 1000 {
			prefix = "GNU "
		}
		fmt.Fprintf(w, "\tunknown %sS2K %d\n", prefix, mode)
		return false
	}
	check := " simple checksum,"
	if usage == 254 {
		check = " SHA1 protection,"
	}
	fmt.Fprintf(w, ", algo: %d,%s hash: %d", cipher, check, hash)
	if salt != nil {
		fmt.Fprintf(w, ", salt: %X", salt)
	}
	w.WriteString("\n")
	if mode == 3 {
		if f.left() < 1 {
			f.short = true
			return false
		}
		c := f.u8()
		fmt.Fprintf(w, "\tprotect count: %d (%d)\n", s2kCount(c), c)
	}
	ivLen := blockLen(cipher)
	label := "\tprotect IV: "
	switch mode {
	case 1001:
		ivLen = 0
	case 1002:
		if f.left() < 1 {
			f.short = true
			return false
		}
		sn := f.u8()
		if sn > f.left() {
			f.short = true
			return false
		}
		ivLen = min(sn, 16)
		label = "\tserial-number: "
	}
	if f.left() < ivLen {
		f.short = true
		return false
	}
	// gpg prints the line also for gnu-dummy keys, which have no IV.
	w.WriteString(label)
	for _, c := range f.bytes(ivLen) {
		fmt.Fprintf(w, " %02x", c)
	}
	w.WriteString("\n")
	if mode != 1001 && mode != 1002 {
		// Stub keys (no secret, or on a card) have no skey line.
		fmt.Fprintf(w, "\tskey[%d]: [v4 protected]\n", npub)
	}
	f.bytes(f.left())
	return true
}

// blockLen is the block size of an OpenPGP cipher (gpg's
// openpgp_cipher_blocklen): 16 for AES, Twofish and Camellia, else 8.
func blockLen(cipher int) int {
	switch cipher {
	case 7, 8, 9, 10, 11, 12, 13:
		return 16
	}
	return 8
}
