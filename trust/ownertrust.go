// Package trust computes key and user ID validity the way GnuPG 2.2.40's
// trustdb does for the classic/pgp, direct and always trust models, and
// keeps the user's ownertrust assignments in a small text file in the home.
//
// gpg keeps both in trustdb.gpg and recomputes validity on --check-trustdb;
// we keep only the ownertrust (the user's input) and compute validity from
// the public certificates whenever it is needed, so there is no cached
// state to go stale.
package trust

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/frontpgp/front/gpgtime"
)

// Level is gpg's trust value (TRUST_* in trustdb.h); the same numbers are
// used for ownertrust and validity and in --export-ownertrust.
type Level uint8

const (
	Unknown   Level = 0
	Expired   Level = 1
	Undefined Level = 2
	Never     Level = 3
	Marginal  Level = 4
	Fully     Level = 5
	Ultimate  Level = 6

	// levelMask selects the trust value; gpg keeps flags (128 = disabled)
	// in the high bits of an ownertrust byte.
	levelMask Level = 15
	// Disabled is gpg's TRUST_FLAG_DISABLED in an ownertrust byte.
	Disabled Level = 128
)

// Value is the trust value without flags.
func (l Level) Value() Level { return l & levelMask }

// Letter is the validity/ownertrust letter of colon listings.
func (l Level) Letter() byte {
	return "-eqnmfu"[min(int(l.Value()), 6)]
}

// Word is gpg's trust_value_to_string, as in "[  full  ]" and
// "Good signature from ... [full]".
func (l Level) Word() string {
	return [...]string{"unknown", "expired", "undefined", "never", "marginal", "full", "ultimate"}[min(int(l.Value()), 6)]
}

// StatusKeyword is the TRUST_* status line gpg emits after a good
// signature for a key of this validity.
func (l Level) StatusKeyword() string {
	switch l.Value() {
	case Never:
		return "TRUST_NEVER"
	case Marginal:
		return "TRUST_MARGINAL"
	case Fully:
		return "TRUST_FULLY"
	case Ultimate:
		return "TRUST_ULTIMATE"
	}
	return "TRUST_UNDEFINED"
}

// fileName is the ownertrust file in the home. gpg's own trustdb.gpg is a
// binary record file; ours is text so that it can be read and repaired by
// hand.
const fileName = "frontpgp-ownertrust"

const fileHeader = "# frontpgp ownertrust v1: FINGERPRINT:VALUE: as gpg --export-ownertrust"

// Ownertrust is the set of ownertrust assignments, in the order they were
// first made (gpg exports them in trustdb record order, which is that).
type Ownertrust struct {
	// Created is when the file was first written (the "tru" record's
	// creation date); zero when no file exists yet.
	Created int64
	order   []string         // uppercase hex fingerprints
	values  map[string]Level // raw values, flags included
}

// New returns an empty set.
func New() *Ownertrust { return &Ownertrust{values: map[string]Level{}} }

// Get returns the raw ownertrust of fpr (uppercase or lowercase hex).
func (o *Ownertrust) Get(fpr string) (Level, bool) {
	v, ok := o.values[strings.ToUpper(fpr)]
	return v, ok
}

// Set assigns a raw value; 0 removes the assignment, as gpg does not
// export zero values.
func (o *Ownertrust) Set(fpr string, v Level) {
	fpr = strings.ToUpper(fpr)
	if v == 0 {
		if _, ok := o.values[fpr]; ok {
			delete(o.values, fpr)
			for i, f := range o.order {
				if f == fpr {
					o.order = append(o.order[:i], o.order[i+1:]...)
					break
				}
			}
		}
		return
	}
	if _, ok := o.values[fpr]; !ok {
		o.order = append(o.order, fpr)
	}
	o.values[fpr] = v
}

// Fingerprints lists the assigned fingerprints in assignment order.
func (o *Ownertrust) Fingerprints() []string { return append([]string(nil), o.order...) }

// Path is the ownertrust file of a home.
func Path(home string) string { return filepath.Join(home, fileName) }

// TrustdbName is gpg's trustdb file in the home. front does not use it,
// but clients test for it: pacman-key runs `gpg --update-trustdb` when it
// is missing and then refuses to work unless the file is readable.
const TrustdbName = "trustdb.gpg"

// EnsureTrustdb creates an empty trustdb.gpg in home if there is none. gpg
// 2.2.40 takes an empty file for "no trustdb yet" (tdbio_set_dbname) and
// writes a real one there when it needs one, so the placeholder does not
// get in gpg's way in a shared home.
func EnsureTrustdb(home string) error {
	f, err := os.OpenFile(filepath.Join(home, TrustdbName), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if os.IsExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// Load reads the home's ownertrust file; a missing file is an empty set.
func Load(home string) (*Ownertrust, error) {
	data, err := os.ReadFile(Path(home))
	if os.IsNotExist(err) {
		return New(), nil
	}
	if err != nil {
		return nil, err
	}
	o := New()
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "created:"); ok {
			o.Created, err = strconv.ParseInt(rest, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: bad creation time", Path(home), i+1)
			}
			continue
		}
		fpr, v, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", Path(home), i+1, err)
		}
		o.Set(fpr, v)
	}
	return o, nil
}

// Marshal is the file content: a header, the creation time, then one
// gpg-style line per assignment.
func (o *Ownertrust) Marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\ncreated:%d\n", fileHeader, o.Created)
	for _, f := range o.order {
		fmt.Fprintf(&b, "%s:%d:\n", f, o.values[f])
	}
	return b.Bytes()
}

// parseLine reads "FPR:VALUE:" as gpg's import_ownertrust does: a run of
// hex digits of 32 (v3), 40 (v4) or 64 (v6, as GnuPG 2.4 takes v5)
// characters, a colon, a decimal value.
func parseLine(line string) (string, Level, error) {
	i := 0
	for i < len(line) && isHexDigit(line[i]) {
		i++
	}
	if i == len(line) || line[i] != ':' {
		return "", 0, errColonMissing
	}
	if i != 32 && i != 40 && i != 64 {
		return "", 0, errBadFingerprint
	}
	rest := line[i+1:]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	// gpg's sscanf(":%u:") needs the digits and the closing colon
	if j == 0 || j == len(rest) || rest[j] != ':' {
		return "", 0, errValueMissing
	}
	n, err := strconv.ParseUint(rest[:j], 10, 8)
	if err != nil {
		return "", 0, errValueMissing
	}
	return strings.ToUpper(line[:i]), Level(n), nil
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// The messages gpg prints after "error in 'FILE': ".
var (
	errColonMissing   = fmt.Errorf("colon missing")
	errBadFingerprint = fmt.Errorf("invalid fingerprint")
	errValueMissing   = fmt.Errorf("ownertrust value missing")
	errLineTooLong    = fmt.Errorf("line too long")
)

// ImportNote is one message of an --import-ownertrust run, in gpg's words.
type ImportNote struct {
	Error bool // printed as an error ("gpg: error in 'F': ...")
	Text  string
}

// Import reads gpg's --export-ownertrust format and applies it. Lines
// with errors are reported and skipped; a line without a newline ends the
// input, as in gpg. implied says, for a fingerprint without an assignment
// here, whether gpg would hold a trust record for it anyway (a key with
// computed validity, or an own key, ultimately trusted when generated)
// and with which value: gpg's messages differ for those. It returns the
// notes in order and whether anything changed.
func (o *Ownertrust) Import(r io.Reader, name string, implied func(fpr string) (Level, bool)) ([]ImportNote, bool) {
	var notes []ImportNote
	changed := false
	br := bufio.NewReaderSize(r, 4096)
	for {
		line, err := br.ReadString('\n')
		if line == "" && err != nil {
			break
		}
		// only comments are skipped; an empty line is an error in gpg too
		if line[0] == '#' {
			continue
		}
		// gpg reads lines into a 254-byte buffer; longer lines and a last
		// line without a newline stop the import
		if !strings.HasSuffix(line, "\n") || len(line) > 254 {
			notes = append(notes, ImportNote{true, fmt.Sprintf("error in '%s': %v", name, errLineTooLong)})
			break
		}
		fpr, v, perr := parseLine(strings.TrimSuffix(line, "\n"))
		if perr != nil {
			notes = append(notes, ImportNote{true, fmt.Sprintf("error in '%s': %v", name, perr)})
			continue
		}
		if v == 0 {
			continue
		}
		// a 32-digit (v3) fingerprint is padded with zeros to 20 bytes
		if len(fpr) == 32 {
			fpr += strings.Repeat("0", 8)
		}
		old, ok := o.Get(fpr)
		if !ok && implied != nil {
			old, ok = implied(fpr)
		}
		switch {
		case ok && old == v:
			if _, assigned := o.Get(fpr); !assigned {
				o.Set(fpr, v) // make the implied value explicit
				changed = true
			}
		case ok && old == 0:
			notes = append(notes, ImportNote{false, fmt.Sprintf("setting ownertrust to %d", v)})
			o.Set(fpr, v)
			changed = true
		case ok:
			notes = append(notes, ImportNote{false, fmt.Sprintf("changing ownertrust from %d to %d", old, v)})
			o.Set(fpr, v)
			changed = true
		default:
			notes = append(notes, ImportNote{false, fmt.Sprintf("inserting ownertrust of %d", v)})
			o.Set(fpr, v)
			changed = true
		}
	}
	return notes, changed
}

// Export writes gpg's --export-ownertrust text: the comment header with
// the time in gpg's asctimestamp form, then "FPR:VALUE:" lines.
func Export(w io.Writer, fprs []string, values map[string]Level, now time.Time) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# List of assigned trustvalues, created %s\n", gpgtime.Asc(now))
	b.WriteString("# (Use \"gpg --import-ownertrust\" to restore them)\n")
	for _, f := range fprs {
		if values[f] != 0 {
			fmt.Fprintf(&b, "%s:%d:\n", f, values[f])
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}
