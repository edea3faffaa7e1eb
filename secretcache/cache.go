// Package secretcache keeps passphrases for a limited time without a
// resident process of ours: in the Linux kernel keyring (the kernel
// deletes an entry when its timeout passes) or in the desktop's Secret
// Service (gnome-keyring, KeePassXC, KWallet), where the expiry is ours to
// enforce on every read.
//
// The TTLs are gpg-agent's: an entry lives TTL after its last use
// (default-cache-ttl, sliding) and never longer than MaxTTL after it was
// stored (max-cache-ttl, absolute).
package secretcache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Key names one cached secret: Scope separates homes (each home had its
// own gpg-agent), ID is the key's fingerprint in hex.
type Key struct {
	Scope string
	ID    string
}

// ScopeOf is the Scope for a home directory: a short hash of its absolute
// path, so entries do not reveal the path and cannot collide between homes.
func ScopeOf(home string) string {
	if abs, err := filepath.Abs(home); err == nil {
		home = abs
	}
	sum := sha256.Sum256([]byte(home))
	return hex.EncodeToString(sum[:8])
}

// Policy is how long entries live.
type Policy struct {
	TTL    time.Duration // after the last use; 0 caches nothing
	MaxTTL time.Duration // after storing
}

// DefaultPolicy is gpg-agent's: 600 s and 7200 s.
var DefaultPolicy = Policy{TTL: 600 * time.Second, MaxTTL: 7200 * time.Second}

// entry is what a backend keeps for one Key.
type entry struct {
	secret  []byte
	created time.Time // when stored: the MaxTTL counts from here
	expires time.Time // the backend deletes the entry (or treats it as gone) after this
}

// backend is one place to keep entries. store replaces an entry and makes
// it vanish at e.expires; load returns ok=false for a missing or expired
// entry.
type backend interface {
	name() string
	load(k Key) (e entry, ok bool, err error)
	store(k Key, e entry) error
	remove(k Key) error
	removeScope(scope string) error
}

// Cache applies a Policy to a backend.
type Cache struct {
	b   backend
	p   Policy
	now func() time.Time
}

// Backend names for Open.
const (
	Auto          = "auto"
	Keyring       = "keyring"
	SecretService = "secret-service"
	None          = "none"
)

// ErrUnavailable is Open's error when the backend asked for cannot be used.
var ErrUnavailable = errors.New("passphrase cache unavailable")

// Open returns the cache named by kind: Keyring, SecretService, None, or
// Auto, which picks the Secret Service when the session bus is set
// (DBUS_SESSION_BUS_ADDRESS) and the service answers, else the kernel
// keyring. None, and Auto when neither works, give a nil *Cache, which
// caches nothing.
func Open(kind string, p Policy) (*Cache, error) {
	var b backend
	var err error
	switch kind {
	case None:
		return nil, nil
	case Keyring:
		b, err = openKeyring()
	case SecretService:
		b, err = openSecretService(os.Getenv("DBUS_SESSION_BUS_ADDRESS"))
	case Auto, "":
		if addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); addr != "" {
			if b, err = openSecretService(addr); err == nil {
				break
			}
		}
		if b, err = openKeyring(); err != nil {
			return nil, nil
		}
	default:
		return nil, fmt.Errorf("unknown passphrase cache %q", kind)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnavailable, kind, err)
	}
	return &Cache{b: b, p: p, now: time.Now}, nil
}

// Backend is the name of the backend in use ("keyring", "secret-service").
func (c *Cache) Backend() string {
	if c == nil {
		return None
	}
	return c.b.name()
}

// Get returns the cached secret and, on a hit, restarts its TTL (never
// beyond MaxTTL after it was stored).
func (c *Cache) Get(k Key) ([]byte, bool, error) {
	if c == nil || c.p.TTL <= 0 {
		return nil, false, nil
	}
	e, ok, err := c.b.load(k)
	if err != nil || !ok {
		return nil, false, err
	}
	now := c.now()
	if !now.Before(e.expires) || !now.Before(e.created.Add(c.p.MaxTTL)) {
		return nil, false, c.b.remove(k)
	}
	e.expires = c.expiry(e.created, now)
	if err := c.b.store(k, e); err != nil {
		return nil, false, err
	}
	return e.secret, true, nil
}

// Put stores a secret that has just been verified.
func (c *Cache) Put(k Key, secret []byte) error {
	if c == nil || c.p.TTL <= 0 {
		return nil
	}
	now := c.now()
	created := now.Truncate(time.Second)
	return c.b.store(k, entry{secret: secret, created: created, expires: c.expiry(created, now)})
}

// expiry is when an entry used at now ends. Backends keep whole seconds:
// the creation time is rounded down and the expiry up, so no rounding
// ends an entry early.
func (c *Cache) expiry(created, now time.Time) time.Time {
	exp := now.Add(c.p.TTL)
	if max := created.Add(c.p.MaxTTL); max.Before(exp) {
		exp = max
	}
	if t := exp.Truncate(time.Second); t.Before(exp) {
		exp = t.Add(time.Second)
	}
	return exp
}

// Forget drops one entry (a cached passphrase that turned out wrong).
func (c *Cache) Forget(k Key) error {
	if c == nil {
		return nil
	}
	return c.b.remove(k)
}

// ForgetAll drops every entry of one scope (a home) from every backend
// that can be reached: what `gpgconf --kill gpg-agent` means.
func ForgetAll(scope string) error {
	var errs []error
	if b, err := openKeyring(); err == nil {
		errs = append(errs, b.removeScope(scope))
	}
	if addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); addr != "" {
		if b, err := openSecretService(addr); err == nil {
			errs = append(errs, b.removeScope(scope))
		}
	}
	return errors.Join(errs...)
}
