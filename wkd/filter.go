package wkd

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/store"
)

// MaxCerts is how many certificates of one answer are looked at; the rest
// are ignored (bad input 3).
const MaxCerts = 5

// ErrNoMatch: the answer holds no certificate with a user ID for the
// address (bad input 2): nothing may be imported.
var ErrNoMatch = errors.New("no certificate with a user ID for the address")

// Filter reads an answer body (binary, or armored with any number of
// blocks) and returns, of its first MaxCerts certificates, those with a
// user ID whose mailbox is addr's, each cut down to its keys, those user
// IDs and the signatures that follow them (as gpg's WKD import filter
// keep-uid=mbox = ADDR: the mailboxes compare with ASCII letters folded).
// A certificate with a secret key packet is dropped; a compressed packet
// anywhere refuses the answer. kept is the binary certificates one after
// another, n how many there are.
func Filter(body []byte, addr string) (kept []byte, n int, err error) {
	local, domain, err := Split(addr)
	if err != nil {
		return nil, 0, err
	}
	mbox := local + "@" + domain
	data, err := pgp.DearmorAll(body)
	if err != nil {
		return nil, 0, err
	}
	res, err := store.FilterNetKeys(data, store.NetRequest{
		UserID: func(uid []byte) bool { return Mailbox(string(uid)) == mbox },
	}, store.NetOptions{MaxCerts: MaxCerts, MatchingUIDsOnly: true})
	if err != nil && len(res.Certs) == 0 {
		return nil, 0, fmt.Errorf("WKD answer: %w", err)
	}
	if len(res.Certs) == 0 {
		return nil, 0, ErrNoMatch
	}
	return bytes.Join(res.Certs, nil), len(res.Certs), nil
}
