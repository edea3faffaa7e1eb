// Package keybox reads the OpenPGP keyblocks of a GnuPG keybox file
// (pubring.kbx, trustedkeys.kbx) as GnuPG 2.2's kbx/ code lays it out.
//
// A keybox is a sequence of blobs. Each starts with a 32-bit big-endian
// length that counts the whole blob, a type byte (0 deleted, 1 the header
// blob, 2 OpenPGP, 3 X.509), a version byte and 16 bits of blob flags. An
// OpenPGP blob then gives the offset and length of its keyblock image
// inside the blob; the rest (key and user ID tables, a checksum) repeats
// what the keyblock says and is not needed to recover it.
package keybox

import (
	"encoding/binary"
	"errors"
)

const (
	// MaxFile bounds a whole keybox we read into memory; the Debian
	// keyring (about 900 certificates) is under 30 MiB as a keybox.
	MaxFile = 256 << 20
	// MaxBlob is GnuPG's IMAGELEN_LIMIT: larger blobs are skipped as
	// gpg's search skips them, not an error.
	MaxBlob = 5 << 20

	typeDeleted = 0
	typeHeader  = 1
	typeOpenPGP = 2
	typeX509    = 3

	// flagEphemeral marks a blob gpg stores while it looks a key up
	// elsewhere; its normal searches skip such blobs.
	flagEphemeral = 2
)

// ErrTooLarge: the file is over MaxFile.
var ErrTooLarge = errors.New("keybox file too large")

// IsKeybox tells a keybox from an OpenPGP keyring as GnuPG does: the
// first blob is a version 1 header blob with the magic "KBXf".
func IsKeybox(data []byte) bool {
	return len(data) >= 12 && data[4] == typeHeader && data[5] == 1 && string(data[8:12]) == "KBXf"
}

// Contents is what a keybox holds for OpenPGP.
type Contents struct {
	// Keyblocks are the keyblock images of the OpenPGP blobs in file
	// order (ring trust packets included, as gpg stores them).
	Keyblocks [][]byte
	// Skipped counts the OpenPGP blobs left out: over MaxBlob, or
	// flagged ephemeral.
	Skipped int
}

// Read returns the keyblocks of every OpenPGP blob; X.509, deleted and
// header blobs are passed over. Every length and offset is checked
// against its blob and the file; an inconsistent one is an error, since
// the blobs after it cannot be found.
func Read(data []byte) (*Contents, error) {
	if len(data) > MaxFile {
		return nil, ErrTooLarge
	}
	c := &Contents{}
	for off := 0; off < len(data); {
		if len(data)-off < 5 {
			return nil, errors.New("truncated keybox blob")
		}
		n := binary.BigEndian.Uint32(data[off:])
		if n < 5 || uint64(n) > uint64(len(data)-off) {
			return nil, errors.New("bad keybox blob length")
		}
		blob := data[off : off+int(n)]
		off += int(n)
		switch blob[4] {
		case typeDeleted, typeHeader, typeX509:
			continue
		case typeOpenPGP:
		default:
			return nil, errors.New("unknown keybox blob type")
		}
		if n > MaxBlob {
			c.Skipped++
			continue
		}
		if len(blob) < 16 || blob[5] != 1 {
			return nil, errors.New("bad OpenPGP keybox blob")
		}
		if binary.BigEndian.Uint16(blob[6:])&flagEphemeral != 0 {
			c.Skipped++
			continue
		}
		imgOff := binary.BigEndian.Uint32(blob[8:])
		imgLen := binary.BigEndian.Uint32(blob[12:])
		if imgLen == 0 || uint64(imgOff)+uint64(imgLen) > uint64(len(blob)) {
			return nil, errors.New("keyblock outside its keybox blob")
		}
		c.Keyblocks = append(c.Keyblocks, blob[imgOff:imgOff+imgLen])
	}
	return c, nil
}
