package main

// The keyserver commands (--recv-keys, --search-keys, --send-keys,
// --refresh-keys) as gpg 2.2.40 with its dirmngr runs them. Every request
// goes through a one-shot sandboxed nethelper (a.fetch); what comes back
// is filtered (store.FilterNetKeys: only what was asked for, no secret
// keys, self-signatures only) before the ordinary import sees it.

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/hkp"
	"github.com/frontpgp/front/keylist"
	"github.com/frontpgp/front/netcache"
	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/store"
	"github.com/frontpgp/front/wkd"
)

// gpg's error codes for keyserver failures: dirmngr's (source 10) for
// what the server or the network did, gpg's own (source 2) for "Not
// found" of a search or of a key to send.
const (
	errNoData         = 58
	errNoKeyserver    = 186 // dirmngr's answer for a dead host
	errNoName         = 220
	errNotFound       = 27
	errKeyserverBadDa = 89
)

// errNothingFound: the keyserver answered, but with no key.
var errNothingFound = errors.New("No data")

// keyserverFailure reports a failed keyserver operation as gpg does: the
// message lines, FAILURE op code, exit code 2.
func (a *app) keyserverFailure(op string, prefixes []string, err error) error {
	text, code := "No keyserver available", gpgError(srcDirmngr, errNoKeyserver)
	switch {
	case errors.Is(err, errNothingFound):
		text, code = "No data", gpgError(srcDirmngr, errNoData)
	case errors.Is(err, errNetHostNotFound), errors.Is(err, errNetResolve):
		text, code = "No name", gpgError(srcDirmngr, errNoName)
	case errors.Is(err, errNetTooLarge), errors.Is(err, store.ErrCompressed):
		text, code = "Bad data", gpgError(srcDirmngr, errKeyserverBadDa)
	case errors.Is(err, errNetHelper), errors.Is(err, errNetBadRequest):
		text = err.Error()
	}
	for _, p := range prefixes[:len(prefixes)-1] {
		a.errorf("%s: %s", p, text)
	}
	a.failure(op, code)
	return &exitError{2, prefixes[len(prefixes)-1] + ": " + text}
}

// keySpecForNet classifies a --recv-keys argument as gpg does: a
// fingerprint (40 or 64 hex digits) or a long key ID (16), with or
// without 0x; anything else is not a key ID.
func keySpecForNet(arg string) (fpr []byte, keyID uint64, ok bool) {
	h := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(arg), "0x"), "0X")
	switch len(h) {
	case 40, 64:
		b, err := hex.DecodeString(h)
		return b, 0, err == nil
	case 16:
		id, err := strconv.ParseUint(h, 16, 64)
		return nil, id, err == nil
	}
	return nil, 0, false
}

// keyserverSetup is what every keyserver command needs first: the
// keyserver options and the keyserver, parsed and as named.
func (a *app) keyserverSetup() (ksOptions, *hkp.Server, string, error) {
	o, err := a.keyserverOptions()
	if err != nil {
		return o, nil, "", err
	}
	ks, name, err := a.keyserver()
	return o, ks, name, err
}

// addLookup adds the lookup of spec (a fingerprint or long key ID) on ks
// to urls and what it asks for to req; false when spec is neither.
func addLookup(ks *hkp.Server, spec string, req *store.NetRequest, urls *[]string) bool {
	fpr, id, ok := keySpecForNet(spec)
	switch {
	case !ok:
		return false
	case fpr != nil:
		u, err := ks.GetByFingerprint(fpr)
		if err != nil {
			return false
		}
		*urls = append(*urls, u)
		req.Fingerprints = append(req.Fingerprints, fpr)
	default:
		*urls = append(*urls, ks.GetByKeyID(id))
		req.KeyIDs = append(req.KeyIDs, id)
	}
	return true
}

func (a *app) recvKeysCmd(args []string) error {
	o, ks, _, err := a.keyserverSetup()
	if err != nil {
		return err
	}
	var req store.NetRequest
	var urls []string
	skipped := false
	for _, arg := range args {
		if !addLookup(ks, arg, &req, &urls) {
			a.errorf("\"%s\" not a key ID: skipping", arg)
			skipped = true
		}
	}
	if len(urls) == 0 {
		if skipped {
			return &exitError{2, "keyserver receive failed: No data"}
		}
		return &usageError{"usage: gpg [options] --receive-keys key IDs"}
	}
	if err := a.recvKeys(o, ks, urls, req, "recv-keys"); err != nil {
		return err
	}
	if skipped {
		a.exitCode = 2
	}
	return nil
}

// recvKeys fetches urls from ks, keeps the certificates that req asked
// for and imports them with the network import options.
func (a *app) recvKeys(o ksOptions, ks *hkp.Server, urls []string, req store.NetRequest, op string) error {
	fail := []string{"keyserver receive failed"}
	var data []byte
	var lastErr error
	// last first: gpg hands dirmngr its patterns as a list it built by
	// prepending, so the keys come back (and are imported) in reverse
	for i := len(urls) - 1; i >= 0; i-- {
		r, err := a.netRequest(o, []string{urls[i]}, maxKeyAnswer, nil)
		if err != nil {
			return err
		}
		res, err := a.fetch(r)
		if err != nil {
			lastErr = err
			continue
		}
		if res.Status != 200 {
			continue // 404: the server has no such key
		}
		if blob, err := pgp.DearmorAll(res.Body); err == nil {
			data = append(data, blob...)
		}
	}
	if len(data) == 0 {
		if lastErr == nil {
			lastErr = errNothingFound
		}
		return a.keyserverFailure(op, fail, lastErr)
	}
	opts := a.netImportOptions(o)
	res, err := store.FilterNetKeys(data, req, store.NetOptions{SelfSigsOnly: opts&importSelfSigsOnly != 0})
	if errors.Is(err, store.ErrCompressed) {
		return a.keyserverFailure(op, fail, err)
	}
	for _, id := range res.Rejected {
		a.infof("key %s: rejected by import screener", keylist.KeyIDString(id, a.opts.last("keyid-format")))
	}
	if res.Secret > 0 {
		a.infof("secret key from a keyserver: rejected")
	}
	if len(res.Certs) == 0 {
		return a.keyserverFailure(op, fail, errNothingFound)
	}
	return a.importKeyData(bytes.Join(res.Certs, nil), opts, keyserverOrigin(ks))
}

// keyserverOrigin is the origin of keys from ks: the keyserver, with the
// URL gpg records (dirmngr's "data source": scheme, host and port).
func keyserverOrigin(ks *hkp.Server) store.Origin {
	return store.Origin{Kind: store.OriginKeyserver, URL: ks.Base()}
}

// searchKeysCmd is --search-keys: the keyserver's machine-readable index,
// passed through with --with-colons, else listed and offered on the
// terminal (or the command fd) for retrieval.
func (a *app) searchKeysCmd(args []string) error {
	o, ks, _, err := a.keyserverSetup()
	if err != nil {
		return err
	}
	query := strings.Join(args, " ")
	pattern, exact := query, false
	if addr := strings.TrimSuffix(strings.TrimPrefix(query, "<"), ">"); !strings.ContainsAny(addr, " \t") {
		if _, _, err := wkd.Split(addr); err == nil {
			pattern, exact = addr, true
		}
	}
	fail := []string{"error searching keyserver", "keyserver search failed"}
	req, err := a.netRequest(o, []string{ks.Index(pattern, exact)}, maxIndexAnswer, nil)
	if err != nil {
		return err
	}
	res, err := a.fetch(req)
	if err != nil {
		return a.keyserverFailure("search-keys", fail, err)
	}
	a.infof("data source: %s", ks.Base())
	var keys []hkp.IndexKey
	if res.Status == 200 {
		keys, err = hkp.ParseIndex(res.Body)
	}
	if res.Status != 200 || err != nil || len(keys) == 0 {
		a.infof("key \"%s\" not found on keyserver", query)
		a.failure("search-keys", gpgError(srcGPG, errNotFound))
		return &exitError{2, "keyserver search failed: Not found"}
	}
	if !o.includeRevoked {
		keys = dropRevoked(keys)
	}
	if a.opts.has("with-colons") {
		writeIndexLines(a, res.Body)
		if a.opts.has("batch") {
			return nil
		}
	} else {
		for i, k := range keys {
			fmt.Fprint(a.stdout, indexEntry(i+1, k, a.opts.last("keyid-format"), a.now))
		}
	}
	return a.chooseFromIndex(o, ks, keys, query)
}

// dropRevoked leaves out revoked keys (no-include-revoked).
func dropRevoked(keys []hkp.IndexKey) []hkp.IndexKey {
	out := keys[:0]
	for _, k := range keys {
		if !k.Revoked {
			out = append(out, k)
		}
	}
	return out
}

// writeIndexLines passes the index through as gpg does with --with-colons:
// line by line, a trailing CR dropped. A line can carry no control
// character, and none that would look like a status line.
func writeIndexLines(a *app, body []byte) {
	w := bufio.NewWriter(a.stdout)
	for _, line := range strings.Split(strings.TrimSuffix(string(body), "\n"), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.HasPrefix(line, "[GNUPG:]") {
			continue
		}
		w.WriteString(strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return '?'
			}
			return r
		}, line))
		w.WriteByte('\n')
	}
	w.Flush()
}

// indexEntry is gpg's listing of one search result.
func indexEntry(n int, k hkp.IndexKey, keyIDFormat string, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "(%d)\t", n)
	for _, u := range k.UIDs {
		b.WriteString(u.Text + "\n\t")
	}
	b.WriteString("  ")
	if k.Bits > 0 {
		fmt.Fprintf(&b, "%d bit ", k.Bits)
	}
	if k.Algo != 0 {
		b.WriteString(sigAlgoWord(packet.PublicKeyAlgorithm(k.Algo)) + " ")
	}
	id := k.ID
	switch len(id) {
	case 40, 64:
		fpr, _ := hex.DecodeString(id)
		b.WriteString("key " + keylist.KeyIDString(store.KeyIDFromFingerprint(fpr), keyIDFormat))
	case 16:
		v, _ := strconv.ParseUint(id, 16, 64)
		b.WriteString("key " + keylist.KeyIDString(v, keyIDFormat))
	default:
		b.WriteString("key " + id)
	}
	if k.Created > 0 {
		b.WriteString(", created: " + time.Unix(k.Created, 0).UTC().Format("2006-01-02"))
	}
	if k.Expires > 0 {
		b.WriteString(", expires: " + time.Unix(k.Expires, 0).UTC().Format("2006-01-02"))
	}
	if k.Revoked {
		b.WriteString(" (revoked)")
	}
	if k.Disabled {
		b.WriteString(" (disabled)")
	}
	if k.Expired || k.Expires > 0 && k.Expires < now.Unix() {
		b.WriteString(" (expired)")
	}
	b.WriteString("\n")
	return b.String()
}

// chooseFromIndex is gpg's search prompt: numbers to retrieve, N)ext (all
// results are shown at once here), Q)uit. In --batch without a command fd
// gpg cannot ask.
func (a *app) chooseFromIndex(o ksOptions, ks *hkp.Server, keys []hkp.IndexKey, query string) error {
	var answer string
	switch {
	case a.commandFD():
		ans, canceled := a.cprGet("GET_LINE", "keysearch.prompt")
		if canceled {
			return nil
		}
		answer = ans
	case a.opts.has("batch"):
		fmt.Fprintf(a.stderr, "Keys 1-%d of %d for \"%s\".  ", len(keys), len(keys), query)
		return &exitError{2, "Sorry, we are in batchmode - can't get input"}
	default:
		tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
		if err != nil {
			return &exitError{2, "Sorry, no terminal at all requested - can't get input"}
		}
		defer tty.Close()
		fmt.Fprintf(tty, "Keys 1-%d of %d for \"%s\".  Enter number(s), N)ext, or Q)uit > ", len(keys), len(keys), query)
		line, err := bufio.NewReader(tty).ReadString('\n')
		if err != nil {
			return nil
		}
		answer = strings.TrimSpace(line)
	}
	var req store.NetRequest
	var urls []string
	for _, f := range strings.FieldsFunc(answer, func(r rune) bool { return r == ' ' || r == ',' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > len(keys) {
			continue
		}
		addLookup(ks, keys[n-1].ID, &req, &urls)
	}
	if len(urls) == 0 {
		return nil
	}
	return a.recvKeys(o, ks, urls, req, "search-keys")
}

// sendKeysCmd is --send-keys: each named key as it would be exported,
// armored, to the keyserver's /pks/add.
func (a *app) sendKeysCmd(args []string) error {
	o, ks, ksName, err := a.keyserverSetup()
	if err != nil {
		return err
	}
	var ents openpgp.EntityList
	for _, spec := range args {
		found := a.findCerts(spec)
		if len(found) == 0 {
			a.errorf("skipped \"%s\": Not found", spec)
			continue
		}
		ents = append(ents, found...)
	}
	if len(ents) == 0 {
		a.infof("WARNING: nothing exported")
		a.failure("send-keys", gpgError(srcGPG, errNotFound))
		return &exitError{2, "keyserver send failed: Not found"}
	}
	signers := a.signerKeys(nil)
	for _, e := range ents {
		raw, err := a.store.GetRaw(e.PrimaryKey.Fingerprint)
		if err != nil {
			return err
		}
		var armored bytes.Buffer
		w, err := armor.Encode(&armored, "PGP PUBLIC KEY BLOCK", nil)
		if err != nil {
			return err
		}
		w.Write(a.exportFilter(raw, a.exportOptions(), signers))
		w.Close()
		a.infof("sending key %016X to %s", e.PrimaryKey.KeyId, ksName)
		req, err := a.netRequest(o, []string{ks.Add()}, 1<<20, hkp.AddBody(armored.Bytes()))
		if err != nil {
			return err
		}
		res, err := a.fetch(req)
		if err == nil && res.Status/100 != 2 {
			err = fmt.Errorf("%w: HTTP status %d", errNetBadResponse, res.Status)
		}
		if err != nil {
			return a.keyserverFailure("send-keys", []string{"keyserver send failed"}, err)
		}
		a.status.Emit("EXPORTED", fmt.Sprintf("%X", e.PrimaryKey.Fingerprint))
	}
	return nil
}

// refreshKeysCmd is --refresh-keys: every key in the store (or the named
// ones) fetched again by fingerprint; the time is kept in the network
// cache.
func (a *app) refreshKeysCmd(args []string) error {
	o, ks, ksName, err := a.keyserverSetup()
	if err != nil {
		return err
	}
	var ents openpgp.EntityList
	if len(args) == 0 {
		ents = a.loadCerts()
	}
	for _, spec := range args {
		ents = append(ents, a.findCerts(spec)...)
	}
	if len(ents) == 0 {
		return nil
	}
	var req store.NetRequest
	var urls []string
	for _, e := range ents {
		u, err := ks.GetByFingerprint(e.PrimaryKey.Fingerprint)
		if err != nil {
			continue
		}
		urls = append(urls, u)
		req.Fingerprints = append(req.Fingerprints, e.PrimaryKey.Fingerprint)
	}
	plural := "s"
	if len(urls) == 1 {
		plural = ""
	}
	a.infof("refreshing %d key%s from %s", len(urls), plural, ksName)
	if err := a.recvKeys(o, ks, urls, req, "refresh-keys"); err != nil {
		return err
	}
	cache := netcache.Open(a.home)
	for _, f := range req.Fingerprints {
		cache.Put(netcache.Refresh, fmt.Sprintf("%X", f), a.now)
	}
	return nil
}
