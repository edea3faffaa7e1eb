package pgp

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
)

// ASCII armor decoding (RFC 9580 section 6) for messages and signatures.
// go-crypto's decoder appends every continuation of an overlong header line
// to the header's value, without a bound and copying the value each time,
// and decodes the body one short line per read; this one bounds the
// headers, streams the body in large batches, and otherwise accepts what
// go-crypto accepts: leading garbage, any header keys, no checksum check.

const (
	armorLineBuffer = 64 << 10 // the longest armor line accepted
	maxArmorHeaders = 64 << 10 // header lines in total
	armorBatch      = 48 << 10 // base64 characters decoded per batch
)

// ErrArmor is armor that cannot be decoded.
var ErrArmor = errors.New("invalid ASCII armor")

// ErrNoArmor means the input holds no armor header line at all (gpg's
// "no valid OpenPGP data found", NODATA 1).
var ErrNoArmor = errors.New("no armored data found")

// ArmorBlock is one armored block: its type ("PGP MESSAGE"), its headers,
// and its decoded body, which streams from the input.
type ArmorBlock struct {
	Type   string
	Header map[string]string
	Body   io.Reader
}

// DecodeArmor finds the first armored block in r (skipping anything before
// it) and returns it with its body unread. Like go-crypto's decoder, a
// header section line without a colon abandons the block and the search
// goes on from the next line.
func DecodeArmor(r io.Reader) (*ArmorBlock, error) {
	br := bufio.NewReaderSize(r, armorLineBuffer)
search:
	for {
		line, err := readArmorLine(br)
		if err != nil {
			return nil, ErrNoArmor
		}
		line = bytes.TrimSpace(line)
		typ, ok := bytes.CutPrefix(line, []byte("-----BEGIN "))
		if !ok || !bytes.HasSuffix(typ, []byte("-----")) || len(typ) <= 5 {
			continue
		}
		b := &ArmorBlock{Type: string(typ[:len(typ)-5]), Header: map[string]string{}}
		size := 0
		for {
			line, err := readArmorLine(br)
			if err != nil {
				return nil, ErrArmor
			}
			if size += len(line); size > maxArmorHeaders {
				return nil, errors.New("armor headers too large")
			}
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				break
			}
			i := bytes.IndexByte(line, ':')
			if i < 0 {
				continue search
			}
			value := ""
			if len(line) > i+2 {
				value = string(line[i+2:])
			}
			b.Header[string(line[:i])] = value
		}
		b.Body = &armorBody{r: br, buf: make([]byte, armorBatch/4*3)}
		return b, nil
	}
}

// readArmorLine returns the next line (with its line end); a line longer
// than the buffer is an error, as no armor line is that long.
func readArmorLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull:
		return nil, ErrArmor
	case err == io.EOF && len(line) > 0:
		return line, nil
	}
	return line, err
}

// armorBody decodes base64 lines up to the checksum line or the armor
// tail, a batch at a time.
type armorBody struct {
	r    *bufio.Reader
	text []byte // base64 characters not decoded yet
	buf  []byte
	out  []byte // decoded bytes not returned yet
	done bool   // the last body line has been read
	err  error  // returned once out is empty
}

func (a *armorBody) Read(p []byte) (int, error) {
	for len(a.out) == 0 {
		if a.err != nil {
			return 0, a.err
		}
		a.fill()
	}
	n := copy(p, a.out)
	a.out = a.out[n:]
	return n, nil
}

func (a *armorBody) fill() {
	for len(a.text) < armorBatch && !a.done {
		line, err := readArmorLine(a.r)
		if err != nil && err != io.EOF {
			a.err = err
			return
		}
		// The input may end without checksum or tail (go-crypto accepts
		// that too); readArmorLine reports io.EOF only with no line left.
		line = bytes.TrimSpace(line)
		if err == io.EOF || (len(line) == 5 && line[0] == '=') || bytes.HasPrefix(line, []byte("-----")) {
			a.done = true
			break
		}
		a.text = append(a.text, line...)
	}
	n := len(a.text) - len(a.text)%4
	if a.done {
		n = len(a.text)
	}
	if n > len(a.buf)/3*4 {
		n = len(a.buf) / 3 * 4
	}
	decoded, err := base64.StdEncoding.Decode(a.buf, a.text[:n])
	if err != nil {
		a.err = ErrArmor
		return
	}
	a.out = a.buf[:decoded]
	a.text = append(a.text[:0], a.text[n:]...)
	if a.done && len(a.text) == 0 {
		a.err = io.EOF
	}
}

// WantsDearmor is gpg's use_armor_filter: input is read as armor unless
// its first two bytes start a plausible binary packet. Empty input and a
// single byte are binary.
func WantsDearmor(head []byte) bool {
	if len(head) < 2 {
		return false
	}
	ctb := head[0]
	if ctb&0x80 == 0 {
		return true
	}
	var tag int
	if ctb&0x40 != 0 {
		tag = int(ctb & 0x3f)
	} else {
		tag = int(ctb>>2) & 0xf
	}
	switch tag {
	case 1, 2, 3, 4, 5, 6, 7, 10, 12, 13, 14, 17, 19:
		// packets that never have an indeterminate length
		if ctb&0x40 != 0 {
			return head[1] >= 224 && head[1] < 255
		}
		return ctb&3 == 3
	case 8, 9, 18, 11, 16, 61, 63:
		return false
	}
	return true
}
