// Package trustdb reads the ownertrust values of a GnuPG trustdb.gpg
// (g10/tdbio.c in GnuPG 2.2): a file of 40-byte records, the first a
// version record, then hash tables, trust records (one per primary key:
// fingerprint and ownertrust) and validity records. Only the user's input
// is read here, the ownertrust and the version record's settings;
// validity is derived data that front computes itself.
package trustdb

import (
	"encoding/binary"
	"errors"
)

const (
	// RecordLen is TRUST_RECORD_LEN.
	RecordLen = 40
	// MaxFile bounds the file read into memory: a trustdb for the whole
	// Debian keyring is well under 1 MiB.
	MaxFile = 64 << 20

	recFree    = 0
	recVersion = 1
	recHTable  = 10
	recHList   = 11
	recTrust   = 12
	recValid   = 13
	recFree254 = 254

	// flagTrustedKey marks a trust record gpg made for --trusted-key; gpg
	// does not export it as the user's ownertrust.
	flagTrustedKey = 1
)

// Trust models of the version record (TM_* in trustdb.h).
const (
	ModelClassic = 0
	ModelPGP     = 1
	ModelAlways  = 3
	ModelDirect  = 4
)

// Ownertrust is one assigned value.
type Ownertrust struct {
	Fingerprint [20]byte
	// Value is the raw byte: the trust level (trust.Level numbers) and
	// flags in the high bits (128: disabled).
	Value byte
}

// DB is what a trustdb holds for the user.
type DB struct {
	// Created is the version record's creation time (Unix seconds).
	Created uint32
	// TrustModel is the model the trustdb was last built with.
	TrustModel byte
	// Ownertrust lists the assigned values in record order, as gpg
	// --export-ownertrust prints them: zero values, all-zero
	// fingerprints and --trusted-key records are left out.
	Ownertrust []Ownertrust
}

var errBadRecord = errors.New("trustdb: bad record type")

// ErrNotTrustdb: the first record is no version 3 GnuPG version record.
var ErrNotTrustdb = errors.New("not a trustdb file")

// Parse reads a trustdb. An empty file is an empty trustdb (gpg's
// placeholder state: it writes the version record on first need). As in
// gpg's export, a short last record ends the file, and a record of an
// unknown type ends the reading with an error (db holds what came before).
func Parse(data []byte) (*DB, error) {
	if len(data) > MaxFile {
		return nil, errors.New("trustdb file too large")
	}
	db := &DB{}
	if len(data) == 0 {
		return db, nil
	}
	if len(data) < RecordLen || data[0] != recVersion || string(data[1:4]) != "gpg" || data[4] != 3 {
		return nil, ErrNotTrustdb
	}
	db.TrustModel = data[8]
	db.Created = binary.BigEndian.Uint32(data[12:])
	for off := RecordLen; off+RecordLen <= len(data); off += RecordLen {
		r := data[off : off+RecordLen]
		switch r[0] {
		case recTrust:
		case recFree, recHTable, recHList, recValid, recFree254:
			continue
		default:
			// gpg's reader fails on a version record past the first
			// and on an unknown type, and its export ends there: the
			// values read so far are returned with the error
			return db, errBadRecord
		}
		var t Ownertrust
		copy(t.Fingerprint[:], r[2:22])
		t.Value = r[22]
		if t.Value == 0 || r[25]&flagTrustedKey != 0 || t.Fingerprint == ([20]byte{}) {
			continue
		}
		db.Ownertrust = append(db.Ownertrust, t)
	}
	return db, nil
}
