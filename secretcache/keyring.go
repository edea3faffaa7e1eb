package secretcache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The kernel keyring backend keeps each entry as a key of type "user" in
// the user keyring (@u), described "frontpgp:<scope>:<id>". The kernel
// deletes it when the timeout set with KEYCTL_SET_TIMEOUT passes, so an
// expired secret is gone even if front never runs again; it is never
// swapped or written to disk and does not survive a reboot.
//
// The payload is magic, the creation and expiry times (Unix seconds, big
// endian) and the secret; the creation time carries the MaxTTL across the
// sliding renewals.

const (
	descPrefix    = "frontpgp:"
	payloadMagic  = "fpc1"
	payloadHeader = len(payloadMagic) + 16
)

// Key permissions (linux/keyctl.h): the possessor and the owning user may
// view, read, write, search and set attributes; group and others nothing.
// A process of another uid can neither find nor read the entry.
const (
	posView, posRead, posWrite, posSearch, posLink, posSetattr = 0x01000000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000
	usrView, usrRead, usrWrite, usrSearch, usrSetattr          = 0x00010000, 0x00020000, 0x00040000, 0x00080000, 0x00200000

	entryPerm = posView | posRead | posWrite | posSearch | posLink | posSetattr |
		usrView | usrRead | usrWrite | usrSearch | usrSetattr
)

type keyring struct{}

func openKeyring() (backend, error) {
	// Fails where seccomp (a container's default profile) forbids keyctl.
	if _, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, true); err != nil {
		return nil, fmt.Errorf("kernel keyring: %w", err)
	}
	return keyring{}, nil
}

func (keyring) name() string { return Keyring }

func description(k Key) string { return descPrefix + k.Scope + ":" + k.ID }

// find returns the entry's key serial; ok=false when there is none or it
// has expired (the kernel's garbage collector removes it soon after).
func find(k Key) (id int, ok bool, err error) {
	id, err = unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "user", description(k), 0)
	switch {
	case errors.Is(err, unix.ENOKEY), errors.Is(err, unix.EKEYEXPIRED), errors.Is(err, unix.EKEYREVOKED):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("kernel keyring: %w", err)
	}
	return id, true, nil
}

func (keyring) load(k Key) (entry, bool, error) {
	id, ok, err := find(k)
	if !ok {
		return entry{}, false, err
	}
	buf := make([]byte, payloadHeader+MaxSecret)
	n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, buf, 0)
	if errors.Is(err, unix.EKEYEXPIRED) || errors.Is(err, unix.ENOKEY) {
		return entry{}, false, nil
	}
	if err != nil {
		return entry{}, false, fmt.Errorf("kernel keyring: %w", err)
	}
	if n > len(buf) || n < payloadHeader || string(buf[:len(payloadMagic)]) != payloadMagic {
		// not ours or damaged: drop it rather than trust it
		unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0)
		return entry{}, false, nil
	}
	h := buf[len(payloadMagic):]
	e := entry{
		created: time.Unix(int64(binary.BigEndian.Uint64(h)), 0),
		expires: time.Unix(int64(binary.BigEndian.Uint64(h[8:])), 0),
		secret:  append([]byte{}, buf[payloadHeader:n]...),
	}
	clear(buf)
	return e, true, nil
}

// MaxSecret is the longest secret kept.
const MaxSecret = 4096

func (keyring) store(k Key, e entry) error {
	if len(e.secret) > MaxSecret {
		return errors.New("secret too long to cache")
	}
	payload := make([]byte, payloadHeader, payloadHeader+len(e.secret))
	copy(payload, payloadMagic)
	binary.BigEndian.PutUint64(payload[len(payloadMagic):], uint64(e.created.Unix()))
	binary.BigEndian.PutUint64(payload[len(payloadMagic)+8:], uint64(e.expires.Unix()))
	payload = append(payload, e.secret...)
	defer clear(payload)
	// add_key replaces the payload of an existing key of that type and
	// description in place.
	id, err := unix.AddKey("user", description(k), payload, unix.KEY_SPEC_USER_KEYRING)
	if err != nil {
		return fmt.Errorf("kernel keyring: %w", err)
	}
	// The kernel's expiry is its wall-clock second plus the timeout, so
	// counting in whole seconds of the same clock ends the entry at
	// e.expires exactly.
	secs := int(e.expires.Unix() - time.Now().Unix())
	if secs < 1 {
		secs = 1 // 0 would mean "never expires"
	}
	if err := unix.KeyctlSetperm(id, entryPerm); err != nil {
		unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0)
		return fmt.Errorf("kernel keyring: %w", err)
	}
	if _, err := unix.KeyctlInt(unix.KEYCTL_SET_TIMEOUT, id, secs, 0, 0); err != nil {
		unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0)
		return fmt.Errorf("kernel keyring: %w", err)
	}
	return nil
}

func (keyring) remove(k Key) error {
	id, ok, err := find(k)
	if !ok {
		return err
	}
	return invalidate(id)
}

func invalidate(id int) error {
	if _, err := unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0); err != nil && !errors.Is(err, unix.ENOKEY) {
		return fmt.Errorf("kernel keyring: %w", err)
	}
	return nil
}

// removeScope invalidates every entry of the scope in @u.
func (keyring) removeScope(scope string) error {
	buf := make([]byte, 4096)
	n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, unix.KEY_SPEC_USER_KEYRING, buf, 0)
	if err != nil {
		return fmt.Errorf("kernel keyring: %w", err)
	}
	if n > len(buf) {
		buf = make([]byte, n)
		if n, err = unix.KeyctlBuffer(unix.KEYCTL_READ, unix.KEY_SPEC_USER_KEYRING, buf, 0); err != nil {
			return fmt.Errorf("kernel keyring: %w", err)
		}
		n = min(n, len(buf))
	}
	prefix := descPrefix + scope + ":"
	var errs []error
	for i := 0; i+4 <= n; i += 4 {
		id := int(int32(binary.NativeEndian.Uint32(buf[i:])))
		d, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id)
		if err != nil {
			continue // expired meanwhile, or not ours to see
		}
		// "type;uid;gid;perm;description"
		f := strings.SplitN(d, ";", 5)
		if len(f) == 5 && f[0] == "user" && strings.HasPrefix(f[4], prefix) {
			errs = append(errs, invalidate(id))
		}
	}
	return errors.Join(errs...)
}
