package store

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
)

// The order journal keeps listings in the order certificates came in when
// a writer is killed between renaming its certificates into place and
// saving the index. Certificates the index does not know yet are numbered
// by it (numberNew), so a rebuilt index lists them in the writer's order
// rather than by file time, whose coarse clock ties whole batches (then
// the directory order, the fingerprints, decides: not gpg's keyring
// order).
//
// The file is written before the renames and removed after the index is
// saved. It is not fsynced: it only orders what a crash left unindexed,
// never decides what is stored, and a process killed with -9 leaves its
// page cache written. Lines of lowercase hex fingerprints; anything else
// is skipped.
const (
	orderJournalName = "order"
	maxOrderJournal  = 16 << 20 // 250,000 v6 fingerprints
)

func orderJournalPath(certDir string) string {
	return filepath.Join(certDir, indexDirName, orderJournalName)
}

// writeOrderJournal records the fingerprints (hex) a batch is about to
// rename into place, in its order. One certificate needs no journal.
func writeOrderJournal(certDir string, order []string) error {
	if len(order) < 2 {
		return nil
	}
	dir := filepath.Join(certDir, indexDirName)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var b bytes.Buffer
	for _, k := range order {
		b.WriteString(k)
		b.WriteByte('\n')
	}
	tmp, err := writeTemp(dir, b.Bytes(), 0o600, false)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, orderJournalPath(certDir)); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// readOrderJournal is the order a killed writer left, or nil.
func readOrderJournal(certDir string) [][]byte {
	f, err := os.Open(orderJournalPath(certDir))
	if err != nil {
		return nil
	}
	defer f.Close()
	b := make([]byte, maxOrderJournal+1)
	n, _ := f.Read(b)
	return parseOrderJournal(b[:n])
}

// parseOrderJournal keeps the lines that are certificate names (v4 or v6
// fingerprints in lowercase hex) of a journal at most maxOrderJournal long.
func parseOrderJournal(b []byte) [][]byte {
	if len(b) > maxOrderJournal {
		return nil
	}
	var order [][]byte
	for len(b) > 0 {
		line, rest, _ := bytes.Cut(b, []byte{'\n'})
		b = rest
		if (len(line) == 40 || len(line) == 64) && isLowerHex(string(line)) {
			fpr, _ := hex.DecodeString(string(line))
			order = append(order, fpr)
		}
	}
	return order
}
