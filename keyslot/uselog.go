package keyslot

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"
)

// LogName is the use log's file name in the home. keyhelper appends one
// line per token use; front reads it for --list-tokens. It holds no
// secret: token IDs are one-way.
const LogName = "token-use.log"

// maxLogLine bounds a log line; longer lines are not ours and are skipped.
const maxLogLine = 256

// UseLine is one log line: time (UTC, RFC 3339), token ID, application,
// operation, the key's primary fingerprint. Every field is free of
// spaces and newlines (ValidApp), so one write is one parseable line.
func UseLine(t time.Time, m *Meta, op Ops) string {
	return fmt.Sprintf("%s %s %s %s %X\n", t.UTC().Format(time.RFC3339), m.ID, m.App, op, m.Primary)
}

// LastUses reads a use log and returns each token's latest use. Lines that
// do not parse (a torn last line after a crash, edits by hand) are skipped.
func LastUses(r io.Reader) (map[ID]time.Time, error) {
	out := map[ID]time.Time{}
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// an overlong line: skip to its end
			for err == bufio.ErrBufferFull {
				_, err = br.ReadSlice('\n')
			}
			continue
		}
		if len(line) <= maxLogLine {
			if id, t, ok := parseUse(string(line)); ok && t.After(out[id]) {
				out[id] = t
			}
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func parseUse(line string) (ID, time.Time, bool) {
	var id ID
	line, ok := strings.CutSuffix(line, "\n")
	f := strings.Split(line, " ")
	if !ok || len(f) != 5 || !ValidApp(f[2]) {
		return id, time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, f[0])
	id, idOK := ParseID(f[1])
	op, opErr := ParseOps(f[3])
	fpr, fprErr := hex.DecodeString(f[4])
	if err != nil || !idOK || opErr != nil || !op.Valid() || fprErr != nil || (len(fpr) != 20 && len(fpr) != 32) {
		return id, time.Time{}, false
	}
	return id, t, true
}
