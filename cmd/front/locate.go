package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/hkp"
	"github.com/frontpgp/front/keylist"
	"github.com/frontpgp/front/netcache"
	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/store"
	"github.com/frontpgp/front/wkd"
)

// Key location as gpg 2.2.40's get_pubkey_byname does it: the
// --auto-key-locate mechanisms in order (local, wkd, keyserver, a
// keyserver URL; nodefault and clear shape the list), for --locate-keys,
// --locate-external-keys, -r ADDR and --auto-key-retrieve.

// aklMethod is one --auto-key-locate mechanism.
type aklMethod struct {
	kind   string      // "local", "wkd", "keyserver", "nodefault" or "spec"
	server *hkp.Server // kind "spec": the keyserver the list names
	uri    string      // kind "spec": as given (gpg names it in messages)
}

// autoKeyLocate is the mechanism list: gpg's default "local,wkd" until
// the first --auto-key-locate, "clear" empties it, --no-auto-key-locate
// too, duplicates are dropped. gpg's cert, pka, dane, ldap and ntds are
// refused by name.
func (a *app) autoKeyLocate() ([]aklMethod, error) {
	list := []aklMethod{{kind: "local"}, {kind: "wkd"}}
	seen := false
	for _, it := range a.opts.items {
		switch it.spec.name {
		case "no-auto-key-locate":
			list, seen = nil, true
		case "auto-key-locate":
			if !seen {
				list, seen = nil, true
			}
			for _, tok := range strings.FieldsFunc(it.value, func(r rune) bool { return r == ',' || r == ' ' }) {
				m := aklMethod{kind: strings.ToLower(tok)}
				switch m.kind {
				case "clear":
					list = nil
					continue
				case "local", "wkd", "keyserver", "nodefault":
				case "cert", "pka", "dane", "ldap", "ntds":
					return nil, &exitError{2, fmt.Sprintf("auto-key-locate mechanism '%s' is not supported by front", tok)}
				default:
					srv, err := hkp.ParseKeyserver(tok)
					if err != nil || !strings.Contains(tok, "://") {
						return nil, &exitError{2, "invalid auto-key-locate list"}
					}
					m = aklMethod{kind: "spec", server: srv, uri: tok}
				}
				dupe := false
				for _, o := range list {
					dupe = dupe || o.kind == m.kind && o.uri == m.uri
				}
				if !dupe {
					list = append(list, m)
				}
			}
		}
	}
	return list, nil
}

// locateError is why a mechanism found no key: gpg's error code (for
// FAILURE and INV_RECP's caller) and its text.
type locateError struct {
	code int
	text string
}

func (e *locateError) Error() string { return e.text }

const srcDirmngr = 10

// Errors of a lookup, as gpg's dirmngr reports them. Every HTTP status but
// 200 is "No data" in dirmngr, whatever it was (404, 500, 401, 308, a
// redirect too many).
var (
	errLocateNoPubkey = &locateError{errNoPubkey, "No public key"}
	errLocateNoData   = &locateError{gpgError(srcDirmngr, 58), "No data"}
	errLocateNoName   = &locateError{gpgError(srcDirmngr, 220), "No name"}
	errLocateTimeout  = &locateError{gpgError(srcDirmngr, 1<<15|132), "Connection timed out"}
	errLocateRefused  = &locateError{gpgError(srcDirmngr, 1<<15|25), "Connection refused"}
	errLocateTooLarge = &locateError{gpgError(srcDirmngr, 67), "Too large"}
	errLocateForbid   = &locateError{gpgError(srcDirmngr, 251), "Forbidden"}
	errLocateBadCert  = &locateError{gpgError(srcDirmngr, 36), "Bad certificate"}
	errLocateGeneral  = &locateError{gpgError(srcDirmngr, 1), "General error"}
)

// netLocateError maps a failed fetch to gpg's error.
func (a *app) netLocateError(err error) *locateError {
	switch {
	case errors.Is(err, errNetHostNotFound), errors.Is(err, errNetResolve):
		return errLocateNoName
	case errors.Is(err, errNetTimeout):
		return errLocateTimeout
	case errors.Is(err, errNetConnect):
		return errLocateRefused
	case errors.Is(err, errNetTooLarge):
		return errLocateTooLarge
	case errors.Is(err, errNetTLS):
		return errLocateBadCert
	case errors.Is(err, errNetRedirect) && strings.Contains(err.Error(), "non-https"):
		// nethelper names a redirect away from https so; dirmngr
		// warns and refuses it as forbidden
		a.infof("WARNING: unacceptable HTTP redirect from server")
		return errLocateForbid
	case errors.Is(err, errNetRedirect), errors.Is(err, errNetUnauthorized):
		return errLocateNoData
	}
	return errLocateGeneral
}

// isMailbox is gpg's is_mbox test of a name: a plain address or one in
// angle brackets alone (not "Name <addr>").
func isMailbox(name string) bool {
	if wkd.Mailbox(name) == "" {
		return false
	}
	return !strings.Contains(name, "<") || strings.HasPrefix(name, "<") && strings.HasSuffix(name, ">")
}

// locate finds the keys for name as gpg's get_best_pubkey_byname: a
// local lookup first unless the list says where "local" goes (or
// noLocal), then, for a mail address, each of methods until one yields a
// key that usable accepts (nil: any). A mechanism that fails says so
// ("error retrieving ... via ...") and the next is tried; the error of
// the last one is returned.
func (a *app) locate(name string, methods []aklMethod, noLocal bool, usable func(*openpgp.Entity) bool) (openpgp.EntityList, error) {
	mbox := isMailbox(name)
	nodefault := noLocal
	for _, m := range methods {
		nodefault = nodefault || m.kind == "nodefault" || m.kind == "local"
	}
	if !noLocal && !(nodefault && mbox) {
		if found := a.localKeys(name, usable); len(found) > 0 {
			return found, nil
		}
	}
	if !mbox {
		return nil, errLocateNoPubkey
	}
	addr := wkd.Mailbox(name)
	var last error = errLocateNoPubkey
	for _, m := range methods {
		var fpr []byte
		var mechanism string
		err := error(nil)
		switch m.kind {
		case "nodefault":
			continue
		case "local":
			if noLocal {
				continue
			}
			if found := a.localKeys(name, usable); len(found) > 0 {
				return found, nil
			}
			last = errLocateNoPubkey
			continue
		case "wkd":
			mechanism = "WKD"
			fpr, err = a.wkdImport(addr)
		case "keyserver", "spec":
			mechanism = "keyserver"
			srv := m.server
			if m.kind == "spec" {
				mechanism = m.uri
			} else if srv, _, err = a.keyserver(); err != nil {
				break
			}
			fpr, err = a.keyserverImport(srv, srv.GetByMail(addr), store.NetRequest{
				UserID: func(uid []byte) bool { return wkd.Mailbox(string(uid)) == addr },
			})
		}
		noFingerprint := err == nil && fpr == nil
		if err == nil && fpr != nil {
			found := a.certsFor(store.Query{Kind: store.QueryFingerprint, Fingerprint: fpr})
			if usable != nil && len(found) > 0 && !usable(found[0]) {
				found = nil
			}
			if len(found) > 0 {
				return found[:1], nil
			}
			err = errLocateNoPubkey
		}
		if err == nil {
			err = errLocateNoPubkey
		}
		last = err
		if err != errLocateNoPubkey || noFingerprint {
			text := err.Error()
			if noFingerprint {
				text = "No fingerprint"
			}
			fmt.Fprintf(a.stderr, "%s: error retrieving '%s' via %s: %s\n", a.progName(), name, mechanism, text)
		}
	}
	return nil, last
}

// localKeys looks name up in the store: for a mail address the best
// certificate with that address that usable accepts (gpg ranks them:
// those with an encryption key first, then the newest), else every
// match.
func (a *app) localKeys(name string, usable func(*openpgp.Entity) bool) openpgp.EntityList {
	var found openpgp.EntityList
	spec := name
	if isMailbox(name) {
		spec = "<" + wkd.Mailbox(name) + ">"
	}
	for _, e := range a.findCerts(spec) {
		if usable == nil || usable(e) {
			found = append(found, e)
		} else {
			// gpg's lookup reports the key it looked at and then
			// could not use (an expired or revoked recipient)
			a.status.Emit("KEY_CONSIDERED", fmt.Sprintf("%X", e.PrimaryKey.Fingerprint), "0")
		}
	}
	if !isMailbox(name) || len(found) < 2 {
		return found
	}
	sort.SliceStable(found, func(i, j int) bool {
		_, ei := found[i].EncryptionKey(a.now)
		_, ej := found[j].EncryptionKey(a.now)
		if ei != ej {
			return ei
		}
		return found[i].PrimaryKey.CreationTime.After(found[j].PrimaryKey.CreationTime)
	})
	return found[:1]
}

// wkdMissTTL is how long a WKD lookup that found nothing (404 for an
// address, no host for a domain) is remembered: the lookup is not sent
// again before then.
const wkdMissTTL = time.Hour

// maxWKDAnswer caps a WKD answer: a few certificates, photos included.
const maxWKDAnswer = 2 << 20

// wkdImport fetches addr's key by WKD (advanced, then direct when
// openpgpkey.DOMAIN does not resolve), keeps what wkd.Filter keeps and
// imports it as gpg imports WKD keys: with no import options (gpg passes
// only its no-secret-key flag, and Filter drops secret keys). fpr is the
// first imported certificate's; nil with a nil error when the answer held
// none for addr.
func (a *app) wkdImport(addr string) (fpr []byte, err error) {
	defer a.status.Retrieving()()
	local, domain, err := wkd.Split(addr)
	if err != nil {
		return nil, errLocateNoName
	}
	mbox := local + "@" + domain
	cache := netcache.Open(a.home)
	now := time.Now()
	if cache.Recent(netcache.WKDMiss, domain, now, wkdMissTTL) {
		return nil, errLocateNoName
	}
	if cache.Recent(netcache.WKDMiss, mbox, now, wkdMissTTL) {
		return nil, errLocateNoData
	}
	advanced, direct, err := wkd.URLs(mbox)
	if err != nil {
		return nil, errLocateNoName
	}
	o, err := a.keyserverOptions()
	if err != nil {
		return nil, err
	}
	req, err := a.netRequest(o, []string{advanced, direct}, maxWKDAnswer, nil)
	if err != nil {
		return nil, err
	}
	req.HTTPSOnly = true
	res, err := a.fetch(req)
	if err != nil {
		if errors.Is(err, errNetHostNotFound) {
			// the last URL's host, DOMAIN itself, has no address
			_ = cache.Put(netcache.WKDMiss, domain, now)
		}
		return nil, a.netLocateError(err)
	}
	if res.Status != 200 {
		if res.Status == 404 {
			_ = cache.Put(netcache.WKDMiss, mbox, now)
		}
		return nil, errLocateNoData
	}
	kept, _, err := wkd.Filter(res.Body, mbox)
	if err != nil {
		if !errors.Is(err, wkd.ErrNoMatch) {
			a.infof("WKD answer for '%s' ignored: %v", mbox, err)
		}
		return nil, nil
	}
	// gpg records the method's host (dirmngr's SOURCE: "https://" and
	// the domain asked, before any redirect) on the user IDs
	org := store.Origin{Kind: store.OriginWKD}
	if u, err := url.Parse([]string{advanced, direct}[min(int(res.URLIndex), 1)]); err == nil {
		org.URL = "https://" + u.Host
	}
	if err := a.importKeyData(kept, 0, org); err != nil {
		return nil, err
	}
	return a.firstStored(kept), nil
}

// keyserverImport fetches url from srv (an HKP get), keeps the
// certificates that match req (store.FilterNetKeys; self-signatures only
// when the keyserver import options say so) and imports them with those
// options. fpr is the first stored certificate's; nil with a nil error
// when none matched.
func (a *app) keyserverImport(srv *hkp.Server, url string, req store.NetRequest) (fpr []byte, err error) {
	defer a.status.Retrieving()()
	o, err := a.keyserverOptions()
	if err != nil {
		return nil, err
	}
	r, err := a.netRequest(o, []string{url}, maxKeyAnswer, nil)
	if err != nil {
		return nil, err
	}
	r.HTTPSOnly = srv.Scheme == "https"
	res, err := a.fetch(r)
	if err != nil {
		return nil, a.netLocateError(err)
	}
	if res.Status != 200 {
		return nil, errLocateNoData
	}
	data, err := pgp.DearmorAll(skipToArmor(res.Body))
	if err != nil {
		return nil, errLocateNoData
	}
	opts := a.netImportOptions(o)
	kept, _ := store.FilterNetKeys(data, req, store.NetOptions{SelfSigsOnly: opts&importSelfSigsOnly != 0})
	if len(kept.Certs) == 0 {
		return nil, nil
	}
	all := bytes.Join(kept.Certs, nil)
	if err := a.importKeyData(all, opts, keyserverOrigin(srv)); err != nil {
		return nil, err
	}
	return a.firstStored(all), nil
}

// firstStored is the fingerprint of the first certificate in data that
// the store now holds (what gpg's import reports back to its lookup).
func (a *app) firstStored(data []byte) []byte {
	blocks, _, _ := store.SplitImport(data)
	for _, b := range blocks {
		if b.Keyblock == nil {
			continue
		}
		fpr := b.Keyblock.Fingerprint()
		if len(a.certsFor(store.Query{Kind: store.QueryFingerprint, Fingerprint: fpr})) > 0 {
			return fpr
		}
	}
	return nil
}

// locateCmd is --locate-keys and (external) --locate-external-keys: each
// name located and its key listed. gpg takes the names last first (it
// builds their list by prepending); a name without a key is an error
// ("error reading key") unless the mechanisms simply found no key.
func (a *app) locateCmd(args []string, external bool) error {
	methods, err := a.autoKeyLocate()
	if err != nil {
		return err
	}
	if external && !slices.ContainsFunc(methods, func(m aklMethod) bool { return m.kind != "local" }) {
		// gpg's kludge: a list that could only look locally (say,
		// --no-auto-key-locate in gpg.conf) is the default list here
		methods = []aklMethod{{kind: "local"}, {kind: "wkd"}}
	}
	hdr := a.listingPrologue()
	if a.opts.has("with-colons") {
		if err := keylist.Write(a.stdout, nil, keylist.Options{Colons: true, Trust: hdr, Now: a.now}); err != nil {
			return err
		}
	}
	for i := len(args) - 1; i >= 0; i-- {
		found, err := a.locate(args[i], methods, external, nil)
		if err != nil {
			if err != errLocateNoPubkey {
				a.errorf("error reading key: %v", err)
			}
			continue
		}
		for _, e := range found {
			a.keyConsidered(e.PrimaryKey.Fingerprint, 0)
			if err := a.writeListing(openpgp.EntityList{e}, false, "", nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// locateRecipient is the network part of gpg's recipient lookup for a
// mail address that names no usable key here: the mechanisms run, and a
// key that can encrypt is used. The error is gpg's (errLocateNoPubkey when
// the mechanisms found nothing to complain about).
func (a *app) locateRecipient(name string) (openpgp.EntityList, error) {
	methods, err := a.autoKeyLocate()
	if err != nil {
		return nil, err
	}
	return a.locate(name, methods, false, func(e *openpgp.Entity) bool {
		_, ok := e.EncryptionKey(a.now)
		return ok
	})
}

// autoKeyRetrieve reports whether a signature by an unknown key makes
// front fetch the key (--auto-key-retrieve or the keyserver option).
func (a *app) autoKeyRetrieve() bool {
	o, err := a.keyserverOptions()
	if err == nil && o.autoRetrieve != nil {
		return *o.autoRetrieve
	}
	return a.opts.has("auto-key-retrieve")
}

// retrieveSigner fetches the key of a signature's issuer as gpg 2.2.40's
// check_sig_and_print: by WKD for the signer's user ID subpacket when
// "wkd" is among the --auto-key-locate mechanisms, then from the
// keyserver by the issuer fingerprint. Failures are silent, as in gpg;
// true when something was imported.
func (a *app) retrieveSigner(sig *packet.Signature) bool {
	methods, _ := a.autoKeyLocate()
	hasWKD := false
	for _, m := range methods {
		hasWKD = hasWKD || m.kind == "wkd"
	}
	if hasWKD && !a.opts.has("disable-signer-uid") && sig.SignerUserId != nil && *sig.SignerUserId != "" {
		if fpr, err := a.wkdImport(*sig.SignerUserId); err == nil && fpr != nil {
			return true
		}
	}
	if len(sig.IssuerFingerprint) == 0 {
		return false
	}
	srv, _, err := a.keyserver()
	if err != nil {
		return false
	}
	url, err := srv.GetByFingerprint(sig.IssuerFingerprint)
	if err != nil {
		return false
	}
	a.infof("requesting key %016X from %s", store.KeyIDFromFingerprint(sig.IssuerFingerprint), a.keyserverName())
	fpr, err := a.keyserverImport(srv, url, store.NetRequest{Fingerprints: [][]byte{sig.IssuerFingerprint}})
	return err == nil && fpr != nil
}
