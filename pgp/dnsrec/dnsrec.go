// Package dnsrec writes the DNS records gpg 2.2.40 prints instead of a key
// export with --export-options export-dane (OPENPGPKEY, RFC 7929, in the
// generic TYPE61 syntax of RFC 3597) and export-pka (the old PKA TYPE37
// records): one record per user ID that has a mailbox, each carrying the
// exported key (DANE) or the fingerprint (PKA).
package dnsrec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/frontpgp/front/wkd"
)

// UserID is one user ID of the exported key: Name is the raw user ID (its
// mailbox names the record), Shown how the comment line prints it.
type UserID struct {
	Name, Shown string
}

// Write writes the records of one exported key: fpr is its primary
// fingerprint, data the exported key bytes (binary, as they would have been
// written), uids its usable user IDs in keyblock order (the caller leaves
// out revoked and expired ones, as gpg does). For each user ID with a
// mailbox the PKA record comes first, then the DANE record. Both name the
// record by a hash of the mailbox's local part (lower-cased, as gpg's
// mailbox_from_userid makes it): z-base-32 of its SHA-1 for PKA, the first
// 28 bytes of its SHA-256 in hex for DANE.
func Write(w io.Writer, fpr []byte, uids []UserID, data []byte, pka, dane bool) error {
	var b bytes.Buffer
	hexFpr := fmt.Sprintf("%X", fpr)
	hexData := hex.EncodeToString(data)
	for _, u := range uids {
		mbox := wkd.Mailbox(u.Name)
		if mbox == "" {
			continue
		}
		domain := mbox[strings.IndexByte(mbox, '@')+1:]
		local := mbox[:len(mbox)-len(domain)-1]
		if pka {
			fmt.Fprintf(&b, "$ORIGIN _pka.%s.\n; %s\n; %s\n", domain, hexFpr, u.Shown)
			fmt.Fprintf(&b, "%s TYPE37 \\# %d 0006 0000 00 %02X %s\n\n",
				wkd.Hash(local), 6+len(fpr), len(fpr), hexFpr)
		}
		if dane {
			fmt.Fprintf(&b, "$ORIGIN _openpgpkey.%s.\n; %s\n; %s\n", domain, hexFpr, u.Shown)
			sum := sha256.Sum256([]byte(local))
			fmt.Fprintf(&b, "%x TYPE61 \\# %d (\n", sum[:28], len(data))
			// 32 bytes a line; a last line, empty if the data fills the
			// previous one exactly (gpg's loop)
			s := hexData
			for len(s) >= 64 {
				fmt.Fprintf(&b, "\t%s\n", s[:64])
				s = s[64:]
			}
			fmt.Fprintf(&b, "\t%s\n\t)\n\n", s)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}
