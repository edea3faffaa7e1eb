package secretcache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/godbus/dbus/v5"
)

// The Secret Service backend keeps each entry as an item of the default
// collection (gnome-keyring's "login", KeePassXC's, KWallet's) with the
// attributes below; `secret-tool lookup xdg:schema org.frontpgp.Passphrase
// fingerprint FPR` finds it and `secret-tool clear ...` removes it. The
// service keeps items forever, so the expiry is an attribute that every
// read checks (Cache.Get drops an expired item) and every use renews.
//
// Secrets travel over the session bus in the "plain" session algorithm:
// the bus is a private socket of the user's session, where libsecret's
// own fallback sends them the same way.

const (
	ssName      = "org.freedesktop.secrets"
	ssPath      = "/org/freedesktop/secrets"
	ssService   = "org.freedesktop.Secret.Service"
	ssColl      = "org.freedesktop.Secret.Collection"
	ssItem      = "org.freedesktop.Secret.Item"
	schema      = "org.frontpgp.Passphrase"
	attrSchema  = "xdg:schema"
	attrScope   = "frontpgp-scope"
	attrFpr     = "fingerprint"
	attrCreated = "created"
	attrExpires = "expires"

	// busTimeout bounds every call: a hung service must not hang front.
	busTimeout = 5 * time.Second
)

// ssSecret is the service's Secret struct (oayays).
type ssSecret struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

type secretService struct {
	conn       *dbus.Conn
	session    dbus.ObjectPath
	collection dbus.ObjectPath
}

// openSecretService connects to the session bus at addr, opens a session
// with the service and finds the default collection, which must be
// unlocked (front shows no unlock prompt of the desktop's).
func openSecretService(addr string) (backend, error) {
	if addr == "" {
		return nil, errors.New("no session bus (DBUS_SESSION_BUS_ADDRESS)")
	}
	conn, err := dbus.Connect(addr)
	if err != nil {
		return nil, fmt.Errorf("session bus: %w", err)
	}
	s := &secretService{conn: conn}
	if err := s.init(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("secret service: %w", err)
	}
	return s, nil
}

func (s *secretService) call(obj dbus.BusObject, method string, out []any, args ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), busTimeout)
	defer cancel()
	return obj.CallWithContext(ctx, method, 0, args...).Store(out...)
}

func (s *secretService) service() dbus.BusObject { return s.conn.Object(ssName, ssPath) }

func (s *secretService) init() error {
	var out dbus.Variant
	if err := s.call(s.service(), ssService+".OpenSession", []any{&out, &s.session}, "plain", dbus.MakeVariant("")); err != nil {
		return err
	}
	if err := s.call(s.service(), ssService+".ReadAlias", []any{&s.collection}, "default"); err != nil {
		return err
	}
	if s.collection == "/" {
		return errors.New("no default collection")
	}
	locked, err := s.conn.Object(ssName, s.collection).GetProperty(ssColl + ".Locked")
	if err != nil {
		return err
	}
	if l, _ := locked.Value().(bool); l {
		return errors.New("the default collection is locked")
	}
	return nil
}

func (secretService) name() string { return SecretService }

func (s *secretService) search(attrs map[string]string) ([]dbus.ObjectPath, error) {
	attrs[attrSchema] = schema
	var unlocked, locked []dbus.ObjectPath
	err := s.call(s.service(), ssService+".SearchItems", []any{&unlocked, &locked}, attrs)
	return unlocked, err
}

func (s *secretService) find(k Key) ([]dbus.ObjectPath, error) {
	return s.search(map[string]string{attrScope: k.Scope, attrFpr: k.ID})
}

func (s *secretService) load(k Key) (entry, bool, error) {
	items, err := s.find(k)
	if err != nil || len(items) == 0 {
		return entry{}, false, err
	}
	item := s.conn.Object(ssName, items[0])
	v, err := item.GetProperty(ssItem + ".Attributes")
	if err != nil {
		return entry{}, false, err
	}
	attrs, _ := v.Value().(map[string]string)
	created, err1 := strconv.ParseInt(attrs[attrCreated], 10, 64)
	expires, err2 := strconv.ParseInt(attrs[attrExpires], 10, 64)
	if err1 != nil || err2 != nil {
		// an item without our times never expires: drop it
		return entry{}, false, s.remove(k)
	}
	e := entry{created: time.Unix(created, 0), expires: time.Unix(expires, 0)}
	if !time.Now().Before(e.expires) {
		// expired: no need to fetch the secret, Cache.Get removes it
		return e, true, nil
	}
	var sec ssSecret
	if err := s.call(item, ssItem+".GetSecret", []any{&sec}, s.session); err != nil {
		return entry{}, false, err
	}
	e.secret = sec.Value
	return e, true, nil
}

func (s *secretService) attributes(k Key, e entry) map[string]string {
	return map[string]string{
		attrSchema: schema, attrScope: k.Scope, attrFpr: k.ID,
		attrCreated: strconv.FormatInt(e.created.Unix(), 10),
		attrExpires: strconv.FormatInt(e.expires.Unix(), 10),
	}
}

// store renews the item in place when it holds the same secret (a cache
// hit moves the expiry), else replaces it.
func (s *secretService) store(k Key, e entry) error {
	items, err := s.find(k)
	if err != nil {
		return err
	}
	if len(items) == 1 {
		item := s.conn.Object(ssName, items[0])
		var sec ssSecret
		if err := s.call(item, ssItem+".GetSecret", []any{&sec}, s.session); err == nil && bytes.Equal(sec.Value, e.secret) {
			return item.SetProperty(ssItem+".Attributes", dbus.MakeVariant(s.attributes(k, e)))
		}
	}
	for _, it := range items {
		if err := s.delete(it); err != nil {
			return err
		}
	}
	props := map[string]dbus.Variant{
		ssItem + ".Label":      dbus.MakeVariant("front: passphrase of OpenPGP key " + k.ID),
		ssItem + ".Attributes": dbus.MakeVariant(s.attributes(k, e)),
	}
	secret := ssSecret{Session: s.session, Value: e.secret, ContentType: "text/plain"}
	var item, prompt dbus.ObjectPath
	return s.call(s.conn.Object(ssName, s.collection), ssColl+".CreateItem", []any{&item, &prompt}, props, secret, true)
}

func (s *secretService) delete(item dbus.ObjectPath) error {
	var prompt dbus.ObjectPath
	return s.call(s.conn.Object(ssName, item), ssItem+".Delete", []any{&prompt})
}

func (s *secretService) remove(k Key) error {
	items, err := s.find(k)
	return s.deleteAll(items, err)
}

func (s *secretService) removeScope(scope string) error {
	items, err := s.search(map[string]string{attrScope: scope})
	return s.deleteAll(items, err)
}

func (s *secretService) deleteAll(items []dbus.ObjectPath, err error) error {
	if err != nil {
		return err
	}
	var errs []error
	for _, it := range items {
		errs = append(errs, s.delete(it))
	}
	return errors.Join(errs...)
}
