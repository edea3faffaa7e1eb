package main

import (
	"bufio"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"

	"golang.org/x/crypto/ripemd160" //nolint:staticcheck // gpg's --print-mds lists RIPEMD-160
)

// --print-md ALGO [FILES] and --print-mds [FILES] (gpg.c print_mds): the
// digests of files (or stdin) in gpg's layout, or with --with-colons as
// "FILE:ALGO:HEX:" lines.

// mdAlgo is a digest gpg can print: its libgcrypt number (the colon
// output's field), the name libgcrypt reports, and a constructor.
type mdAlgo struct {
	id    int
	name  string
	label string // the "NAME = " prefix when several digests are printed
	new   func() hash.Hash
}

// mdsAlgos are the digests --print-mds and "--print-md '*'" print, in
// gpg's order.
var mdsAlgos = []mdAlgo{
	{1, "MD5", "   MD5 = ", md5.New},
	{2, "SHA1", "  SHA1 = ", sha1.New},
	{3, "RIPEMD160", "RMD160 = ", ripemd160.New},
	{11, "SHA224", "SHA224 = ", sha256.New224},
	{8, "SHA256", "SHA256 = ", sha256.New},
	{9, "SHA384", "SHA384 = ", sha512.New384},
	{10, "SHA512", "SHA512 = ", sha512.New},
}

// otherMDAlgos can be named in --print-md but are not in the "*" list.
var otherMDAlgos = []mdAlgo{
	{312, "SHA3-224", "", func() hash.Hash { return sha3.New224() }},
	{313, "SHA3-256", "", func() hash.Hash { return sha3.New256() }},
	{314, "SHA3-384", "", func() hash.Hash { return sha3.New384() }},
	{315, "SHA3-512", "", func() hash.Hash { return sha3.New512() }},
}

// mdAlgoByName is libgcrypt's gcry_md_map_name for the names above:
// case-insensitive, the canonical name only ("RMD160" and "SHA-256" are
// not names libgcrypt knows).
func mdAlgoByName(name string) (mdAlgo, bool) {
	for _, list := range [][]mdAlgo{mdsAlgos, otherMDAlgos} {
		for _, m := range list {
			if strings.EqualFold(m.name, name) {
				return m, true
			}
		}
	}
	return mdAlgo{}, false
}

func (a *app) printMDCmd(args []string) error {
	if len(args) < 1 {
		return a.wrongArgs("--print-md algo [files]")
	}
	algos := mdsAlgos
	if args[0] != "*" {
		m, ok := mdAlgoByName(args[0])
		if !ok {
			return &exitError{2, fmt.Sprintf("invalid hash algorithm '%s'", args[0])}
		}
		algos = []mdAlgo{m}
	}
	return a.printMDs(args[1:], algos, args[0] != "*")
}

func (a *app) printMDsCmd(args []string) error {
	return a.printMDs(args, mdsAlgos, false)
}

// printMDs prints the digests of each file (stdin without files); a file
// that cannot be read is an error for that file only, as in gpg.
func (a *app) printMDs(files []string, algos []mdAlgo, single bool) error {
	out := bufio.NewWriter(a.stdout)
	defer out.Flush()
	if len(files) == 0 {
		files = []string{""}
	}
	for _, name := range files {
		hashes := make([]hash.Hash, len(algos))
		writers := make([]io.Writer, len(algos))
		for i, m := range algos {
			hashes[i] = m.new()
			writers[i] = hashes[i]
		}
		if err := a.digestFile(name, io.MultiWriter(writers...)); err != nil {
			out.Flush()
			a.errorf("%s", err)
			continue
		}
		for i, m := range algos {
			sum := hashes[i].Sum(nil)
			switch {
			case a.opts.has("with-colons"):
				writeHashLine(out, name, m.id, sum)
			case single:
				writeHex(out, name, "", sum)
			default:
				writeHex(out, name, m.label, sum)
			}
		}
	}
	return nil
}

// digestFile feeds a file (stdin for "") to w. The error text is gpg's
// "NAME: REASON" ("[stdin]" for stdin).
func (a *app) digestFile(name string, w io.Writer) error {
	shown := name
	if shown == "" {
		shown = "[stdin]"
	}
	in, err := a.openInput(name)
	if err != nil {
		reason := "General error"
		if _, serr := os.Stat(name); serr != nil {
			reason = errText(serr)
		}
		return fmt.Errorf("%s: %s", shown, reason)
	}
	defer in.Close()
	if _, err := io.Copy(w, in); err != nil {
		return fmt.Errorf("%s: %s", shown, errText(err))
	}
	return nil
}

// writeHashLine is one --with-colons line: the file name with bytes
// outside printable ASCII, ':' and '%' %-escaped, the algorithm number and
// the hex digest.
func writeHashLine(w io.Writer, name string, id int, sum []byte) {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= 32 || c > 127 || c == ':' || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	fmt.Fprintf(w, "%s:%d:%X:\n", b.String(), id, sum)
}

// writeHex is gpg's print_hex: "FILE: " (on a line of its own when longer
// than 40 columns), the label, then the digest in groups (MD5: bytes with
// a double space in the middle; 20-byte digests: pairs with a double space
// in the middle; others: 4-byte groups), wrapped before column 80 and
// indented to the start of the digest.
func writeHex(w io.Writer, name, label string, sum []byte) {
	var b strings.Builder
	indent := 0
	if name != "" {
		b.WriteString(name + ": ")
		indent = len(name) + 2
	}
	if indent > 40 {
		b.WriteString("\n")
		indent = 0
	}
	b.WriteString(label)
	indent += len(label)
	count := indent
	n := len(sum)
	wrap := func() {
		b.WriteString("\n" + strings.Repeat(" ", max(indent, 1)))
		count = indent
	}
	fmt.Fprintf(&b, "%02X", sum[0])
	count += 2
	for i := 1; i < n; i++ {
		switch n {
		case 16:
			if count+2 > 79 {
				wrap()
			} else {
				b.WriteByte(' ')
				count++
			}
			if i%8 == 0 {
				b.WriteByte(' ')
				count++
			}
		case 20:
			if i%2 == 0 {
				if count+4 > 79 {
					wrap()
				} else {
					b.WriteByte(' ')
					count++
				}
			}
			if i%10 == 0 {
				b.WriteByte(' ')
				count++
			}
		default:
			if i%4 == 0 {
				if count+8 > 79 {
					wrap()
				} else {
					b.WriteByte(' ')
					count++
				}
			}
		}
		fmt.Fprintf(&b, "%02X", sum[i])
		count += 2
	}
	b.WriteString("\n")
	io.WriteString(w, b.String())
}
