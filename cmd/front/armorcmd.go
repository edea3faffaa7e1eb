package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/frontpgp/front/pgp"
)

// --enarmor and --dearmor (gpg's dearmor.c): wrap any file in ASCII armor
// of type "PGP ARMORED FILE", and unwrap armor to the binary it carries.
// Both stream with fixed buffers, whatever the input size.

// enarmorComment is the one header gpg writes on --enarmor output.
const enarmorComment = `Comment: Use "gpg --dearmor" for unpacking`

// gpgErrENOENT is libgpg-error's code for ENOENT (system errors are
// 0x8000 | their index in libgpg-error's errno table).
const gpgErrENOENT = 0x8051

func (a *app) enarmorCmd(args []string) error {
	if len(args) > 1 {
		return a.wrongArgs("--enarmor [file]")
	}
	return a.armorFilter(args, "enarmor", ".asc", writeArmoredFile)
}

func (a *app) dearmorCmd(args []string) error {
	if len(args) > 1 {
		return a.wrongArgs("--dearmor [file]")
	}
	return a.armorFilter(args, "dearmor", ".gpg", func(w io.Writer, r io.Reader) error {
		err := dearmorStream(w, r)
		if err == errDearmorNoData {
			// gpg's armor filter found no armored data
			a.status.Emit("NODATA", "1")
		}
		return err
	})
}

// openFailure is why the input name could not be opened, in gpg's words
// and as gpg's error code (a system error for a missing file).
func openFailure(name string) (reason string, code int) {
	reason, code = "General error", gpgError(srcGPG, errGeneral)
	if _, serr := os.Stat(name); serr != nil {
		reason = errText(serr)
		if errors.Is(serr, os.ErrNotExist) {
			code = gpgError(srcGPG, gpgErrENOENT)
		}
	}
	return reason, code
}

// wrongArgs is gpg's wrong_args: the usage line on stderr, without the
// "gpg: " prefix of log lines, and exit code 2.
func (a *app) wrongArgs(usage string) error {
	fmt.Fprintf(a.stderr, "usage: %s [options] %s\n", a.progName(), usage)
	// gpg ends through g10_exit(2), which reports the general failure
	a.failure("gpg-exit", gpgError(srcGPG, errGeneral))
	return &exitError{2, ""}
}

// armorFilter runs convert from the file argument (or stdin) to -o, or to
// the file name plus ext when a file is given (gpg's open_outfile), or to
// stdout. On failure no partial output file is left.
func (a *app) armorFilter(args []string, what, ext string, convert func(io.Writer, io.Reader) error) error {
	name, defaultOut := "", ""
	if len(args) == 1 && args[0] != "-" {
		name = args[0]
		if !a.isPipeName(name) {
			defaultOut = name + ext
		}
	}
	in, err := a.openInput(name)
	if err != nil {
		// gpg prints the open error, then "<what>ing failed" with the
		// same reason, and reports it in a FAILURE line.
		a.fail(err)
		reason, code := openFailure(name)
		a.failure(what, code)
		return &exitError{2, fmt.Sprintf("%sing failed: %s", what, reason)}
	}
	defer in.Close()
	out, err := a.openOutput(defaultOut)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out.w, 64<<10)
	if err := convert(bw, in); err != nil {
		// gpg has written what it decoded before the error: on stdout
		// that stays; an output file is removed.
		bw.Flush()
		out.abort()
		return err
	}
	if err := bw.Flush(); err != nil {
		out.abort()
		return err
	}
	return out.commit()
}

// writeArmoredFile writes r as gpg's --enarmor does: the armor lines, the
// comment header, base64 in 64-character lines, the CRC-24 line (also for
// empty input), and the tail.
func writeArmoredFile(w io.Writer, r io.Reader) error {
	if _, err := fmt.Fprintf(w, "-----BEGIN PGP ARMORED FILE-----\n%s\n\n", enarmorComment); err != nil {
		return err
	}
	// 48 input bytes make one 64-character line; reading whole lines'
	// worth keeps every line but the last full.
	buf := make([]byte, 48*1024)
	line := make([]byte, 64)
	crc := uint32(crc24Init)
	pending := 0 // bytes in buf not yet encoded
	for {
		n, err := io.ReadFull(r, buf[pending:])
		pending += n
		full := pending - pending%48
		if err != nil {
			full = pending
		}
		for off := 0; off < full; off += 48 {
			end := min(off+48, full)
			chunk := buf[off:end]
			crc = crc24Update(crc, chunk)
			base64.StdEncoding.Encode(line, chunk)
			if _, werr := w.Write(append(line[:base64.StdEncoding.EncodedLen(len(chunk))], '\n')); werr != nil {
				return werr
			}
		}
		pending = copy(buf, buf[full:pending])
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return err
		}
	}
	sum := []byte{byte(crc >> 16), byte(crc >> 8), byte(crc)}
	_, err := fmt.Fprintf(w, "=%s\n-----END PGP ARMORED FILE-----\n", base64.StdEncoding.EncodeToString(sum))
	return err
}

const (
	crc24Init = 0xb704ce
	crc24Poly = 0x1864cfb
)

func crc24Update(crc uint32, data []byte) uint32 {
	for _, b := range data {
		crc ^= uint32(b) << 16
		for i := 0; i < 8; i++ {
			crc <<= 1
			if crc&0x1000000 != 0 {
				crc ^= crc24Poly
			}
		}
	}
	return crc & 0xffffff
}

// dearmorStream copies the body of the first armored block in r to w,
// checking its CRC-24 when the block has one (RFC 9580 makes it optional).
// As gpg, input that starts with a binary packet header (a first byte with
// the high bit set) is not armored and is copied unchanged; input with no
// armor, or that ends inside the block, is "no valid OpenPGP data" (after
// writing what was decoded, as gpg does). Lines are bounded by the reader's
// buffer, so no input makes it buffer without limit.
// errDearmorNoData: the input of --dearmor holds no armor.
var errDearmorNoData = &exitError{2, "no valid OpenPGP data found."}

func dearmorStream(w io.Writer, r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if head, _ := br.Peek(2); looksBinary(head) {
		_, err := io.Copy(w, br)
		return err
	}
	noData := errDearmorNoData
	// The header line, then header fields up to the empty line.
	for {
		line, err := readArmorLine(br)
		if err != nil {
			return noData
		}
		if bytes.HasPrefix(line, []byte("-----BEGIN PGP ")) && bytes.HasSuffix(line, []byte("-----")) {
			break
		}
	}
	for {
		line, err := readArmorLine(br)
		if err != nil {
			return noData
		}
		if len(line) == 0 {
			break
		}
	}
	crc := uint32(crc24Init)
	var text []byte // base64 characters of a partial quantum
	out := make([]byte, 48<<10)
	for {
		line, err := readArmorLine(br)
		if err != nil {
			return noData
		}
		if bytes.HasPrefix(line, []byte("-----")) {
			return nil // tail without checksum
		}
		if len(line) == 5 && line[0] == '=' {
			if len(text) != 0 {
				return &exitError{2, "invalid armor: incomplete base64 data"}
			}
			want, derr := base64.StdEncoding.DecodeString(string(line[1:]))
			if derr != nil || len(want) != 3 {
				return &exitError{2, "invalid armor: bad checksum line"}
			}
			got := uint32(want[0])<<16 | uint32(want[1])<<8 | uint32(want[2])
			if got != crc {
				return &exitError{2, fmt.Sprintf("CRC error; %06X - %06X", crc, got)}
			}
			return nil
		}
		text = append(text, line...)
		n := len(text) - len(text)%4
		if n == 0 {
			continue
		}
		dn, derr := base64.StdEncoding.Decode(out[:base64.StdEncoding.DecodedLen(n)], text[:n])
		if derr != nil {
			return &exitError{2, "invalid armor: bad base64 data"}
		}
		crc = crc24Update(crc, out[:dn])
		if _, err := w.Write(out[:dn]); err != nil {
			return err
		}
		text = append(text[:0], text[n:]...)
	}
}

// looksBinary is gpg's test (armor.c is_armored) that input starts with a
// binary OpenPGP packet header: the high bit set, a packet type gpg knows,
// and no indeterminate length where the type does not allow one.
func looksBinary(head []byte) bool {
	if len(head) == 0 || head[0]&0x80 == 0 {
		return false
	}
	return len(head) < 2 || !pgp.WantsDearmor(head)
}

// readArmorLine returns the next line without surrounding white space; a
// line longer than the reader's buffer is an error (no armor line is that
// long), as is the end of the input.
func readArmorLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return nil, errors.New("armor line too long")
	}
	if err != nil && len(line) == 0 {
		return nil, err
	}
	return bytes.TrimSpace(line), nil
}
