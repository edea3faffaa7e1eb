package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/store"
)

// Key management as gpg's keyedit.c: front decides which signatures to
// make from the stored keyblock, keyhelper makes them (it hashes the
// packets itself and checks them against a closed set), and front puts
// them into the stored keyblock under the store lock.

// editKey is a stored keyblock being edited.
type editKey struct {
	fpr []byte
	kb  *store.Keyblock
	e   *openpgp.Entity
}

// keyEdit is one change to a keyblock (see store.Keyblock.ApplyEdit).
type keyEdit struct {
	anchor, replaces, sig []byte
	// deleteUID: remove the user ID anchor with its signatures instead.
	deleteUID bool
}

// gpg error codes of key editing (libgpg-error).
const (
	errNoUserID  = 16
	errInvUserID = 37
	errDupUserID = 304
)

// loadEdit finds the key spec names; own requires a secret key here.
// gpg's KEY_CONSIDERED for the edited key comes when it is written back
// (commitEdits), so a failed edit shows none.
func (a *app) loadEdit(spec string, own bool) (*editKey, error) {
	ents := a.findCerts(spec)
	if len(ents) == 0 {
		return nil, &exitError{2, fmt.Sprintf("key \"%s\" not found: No public key", spec)}
	}
	e := ents[0]
	if own && !a.isOwn(e) {
		return nil, &exitError{2, fmt.Sprintf("key \"%s\" not found: No secret key", spec)}
	}
	raw, err := a.store.GetRaw(e.PrimaryKey.Fingerprint)
	if err != nil {
		return nil, err
	}
	kb, err := store.ParseKeyblock(raw)
	if err != nil {
		return nil, err
	}
	return &editKey{fpr: e.PrimaryKey.Fingerprint, kb: kb, e: e}, nil
}

// ownKeyArgs checks a command's argument count and loads the own key its
// first argument names.
func (a *app) ownKeyArgs(args []string, min, max int, usage string) (*editKey, error) {
	if len(args) < min || len(args) > max {
		return nil, &exitError{2, "usage: " + usage}
	}
	return a.loadEdit(args[0], true)
}

func (a *app) nowSecs() uint32 { return uint32(a.now.Unix()) }

// certify has keyhelper make the items with signer's primary key over the
// keyblock k.
func (a *app) certify(signer []byte, k *editKey, items []ipc.CertifyItem) ([][]byte, error) {
	req := &ipc.CertifyRequest{Signer: signer, PrimaryKey: k.kb.PrimaryPacket(), Items: items}
	var res ipc.CertifyResult
	if sk := a.keyByFingerprint(signer); sk != nil && a.cardOf(sk.PublicKey) != "" && a.remoteSigner == "" {
		sigs, err := a.cardCertify(sk.PublicKey, a.cardOf(sk.PublicKey), req)
		if err != nil {
			return nil, err
		}
		res.Signatures = sigs
	} else if err := a.callKeyhelper(false, req, &res); err != nil {
		return nil, err
	}
	if len(res.Signatures) != len(items) {
		return nil, fmt.Errorf("keyhelper returned %d signatures for %d requests", len(res.Signatures), len(items))
	}
	// nothing goes into the store that does not verify
	signerKey := a.keyByFingerprint(signer)
	_, primaryBody, err := pgp.PacketBody(req.PrimaryKey)
	if signerKey == nil || err != nil {
		return nil, fmt.Errorf("cannot check the new signatures")
	}
	for i, sig := range res.Signatures {
		var c pgp.Component
		if len(items[i].Component) > 0 {
			tag, body, err := pgp.PacketBody(items[i].Component)
			if err != nil {
				return nil, err
			}
			c = pgp.Component{Tag: tag, Body: body}
		}
		if err := pgp.VerifyKeySignature(signerKey.PublicKey, primaryBody, c, sig); err != nil {
			return nil, fmt.Errorf("keyhelper returned a signature that does not verify: %v", err)
		}
	}
	return res.Signatures, nil
}

// commitEdits applies edits to the stored keyblock as it is now, under
// the store lock: a concurrent change since loadEdit is kept. announce:
// gpg's quick commands look the key up again as they write it.
func (a *app) commitEdits(fpr []byte, edits []keyEdit, announce bool) error {
	unlock, err := a.store.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	raw, err := a.store.GetRaw(fpr)
	if err != nil {
		return err
	}
	kb, err := store.ParseKeyblock(raw)
	if err != nil {
		return err
	}
	for _, ed := range edits {
		if ed.deleteUID {
			kb.DeleteUserID(ed.anchor)
			continue
		}
		if err := kb.ApplyEdit(ed.anchor, ed.replaces, ed.sig); err != nil {
			return err
		}
	}
	b := a.store.NewBatch()
	b.Put(fpr, kb.Bytes())
	if err := b.Commit(); err != nil {
		return err
	}
	a.forgetCerts()
	if announce {
		a.status.Emit("KEY_CONSIDERED", fmt.Sprintf("%X", fpr), "0")
	}
	return nil
}

// selfSign makes self-signatures on k and stores them: each item's edit
// gets the signature made for it.
func (a *app) selfSign(k *editKey, items []ipc.CertifyItem, edits []keyEdit) error {
	sigs, err := a.certify(k.fpr, k, items)
	if err != nil {
		return err
	}
	for i := range edits {
		edits[i].sig = sigs[i]
	}
	return a.commitEdits(k.fpr, edits, true)
}

// editFailed reports a failed key edit as gpg does: a message, an ERROR
// status line with the location, exit code 2.
func (a *app) editFailed(location, what string, code int, reason string) error {
	a.status.Emit("ERROR", location, fmt.Sprint(gpgError(srcGPG, code)))
	return &exitError{2, fmt.Sprintf("%s failed: %s", what, reason)}
}

// helperFailed turns a keyhelper error into gpg's messages.
func (a *app) helperFailed(location, what string, err error) error {
	code, e := helperErrorCode(err)
	a.failure(location, code)
	if e != nil {
		return &exitError{2, fmt.Sprintf("%s failed: %s", what, e.Message)}
	}
	return &exitError{2, fmt.Sprintf("%s failed: %v", what, err)}
}

// validUserIDs are the user IDs with a self-signature that are not revoked.
func validUserIDs(uids []store.EditUserID) []store.EditUserID {
	var out []store.EditUserID
	for _, u := range uids {
		if u.SelfSig != nil && !u.Revoked {
			out = append(out, u)
		}
	}
	return out
}

// findUserID is the valid user ID whose text is exactly text.
func findUserID(uids []store.EditUserID, text string) (store.EditUserID, bool) {
	for _, u := range validUserIDs(uids) {
		if !u.Attribute && u.Text == text {
			return u, true
		}
	}
	return store.EditUserID{}, false
}

// primaryTemplate is the self-signature new user IDs copy their
// preferences, usage and expiry from: the primary user ID's.
func primaryTemplate(uids []store.EditUserID) []byte {
	valid := validUserIDs(uids)
	for _, u := range valid {
		if u.Primary {
			return u.SelfSig
		}
	}
	if len(valid) > 0 {
		return valid[0].SelfSig
	}
	return nil
}

func (a *app) quickAddUID(args []string) error {
	k, err := a.ownKeyArgs(args, 2, 2, "--quick-add-uid USER-ID NEW-USER-ID")
	if err != nil {
		return err
	}
	uid := strings.TrimSpace(args[1])
	if uid == "" || len(uid) > 2048 {
		return a.editFailed("adduid", "adding the user ID", errInvUserID, "Invalid user ID")
	}
	uids := k.kb.UserIDsForEdit(a.nowSecs())
	for _, u := range uids {
		if !u.Attribute && u.Text == uid {
			fmt.Fprintf(a.stderr, "%s: Such a user ID already exists on this key!\n", a.progName())
			a.status.Emit("ERROR", "adduid", fmt.Sprint(gpgError(srcGPG, errDupUserID)))
			return &exitError{2, ""}
		}
	}
	tmpl := primaryTemplate(uids)
	if tmpl == nil {
		return a.editFailed("adduid", "adding the user ID", errNoUserID, "No user ID")
	}
	class, hashed, err := pgp.ReviseHashed(tmpl, a.nowSecs(), []pgp.Subpacket{pgp.IssuerFprSubpacket(k.fpr)}, pgp.SubPrimaryUID, pgp.SubSigExpire)
	if err != nil {
		return err
	}
	if class&^3 != 0x10 {
		class = pgp.ClassPositiveCert
	}
	anchor := pgp.FramePacket(pgp.TagUserID, []byte(uid))
	items := []ipc.CertifyItem{{Class: class, Component: anchor, Hashed: hashed}}
	if err := a.selfSign(k, items, []keyEdit{{anchor: anchor}}); err != nil {
		return a.helperFailed("adduid", "adding the user ID", err)
	}
	return nil
}

// revocationHashed is what gpg hashes into a revocation it makes; it is
// dated after the signature it revokes (after, not at: the newer one wins).
func (a *app) revocationHashed(issuer []byte, after uint32, reason byte, text string) []byte {
	created := a.nowSecs()
	if created <= after {
		created = after + 1
	}
	return pgp.EncodeSubpackets([]pgp.Subpacket{
		pgp.IssuerFprSubpacket(issuer), pgp.CreatedSubpacket(created),
		{Type: pgp.SubReason, Data: append([]byte{reason}, text...)},
	})
}

func (a *app) quickRevokeUID(args []string) error {
	k, err := a.ownKeyArgs(args, 2, 3, "--quick-revoke-uid USER-ID USER-ID-TO-REVOKE")
	if err != nil {
		return err
	}
	uids := k.kb.UserIDsForEdit(a.nowSecs())
	u, ok := findUserID(uids, args[1])
	if !ok {
		return a.editFailed("keyedit.revoke.uid", "revoking the user ID", errNoUserID, "No user ID")
	}
	if len(validUserIDs(uids)) < 2 {
		fmt.Fprintf(a.stderr, "%s: cannot revoke the last valid user ID.\n", a.progName())
		return a.editFailed("keyedit.revoke.uid", "revoking the user ID", errInvUserID, "Invalid user ID")
	}
	// gpg looks the key up again before it writes the revocation.
	a.status.Emit("KEY_CONSIDERED", fmt.Sprintf("%X", k.fpr), "0")
	items := []ipc.CertifyItem{{Class: pgp.ClassCertRevoke, Component: u.Packet, Hashed: a.revocationHashed(k.fpr, u.SelfSigCreated, 0x20, "")}}
	if err := a.selfSign(k, items, []keyEdit{{anchor: u.Packet}}); err != nil {
		return a.helperFailed("keyedit.revoke.uid", "revoking the user ID", err)
	}
	return nil
}

func (a *app) quickSetPrimaryUID(args []string) error {
	k, err := a.ownKeyArgs(args, 2, 2, "--quick-set-primary-uid USER-ID PRIMARY-USER-ID")
	if err != nil {
		return err
	}
	uids := k.kb.UserIDsForEdit(a.nowSecs())
	chosen, ok := findUserID(uids, args[1])
	if !ok {
		return a.editFailed("keyedit.primary", "setting the primary user ID", errNoUserID, "No user ID")
	}
	var items []ipc.CertifyItem
	var edits []keyEdit
	for _, u := range validUserIDs(uids) {
		selected := bytes.Equal(u.Packet, chosen.Packet)
		if selected == u.Primary {
			continue
		}
		var class byte
		var hashed []byte
		if selected {
			class, hashed, err = pgp.ReviseHashed(u.SelfSig, a.nowSecs(), []pgp.Subpacket{{Type: pgp.SubPrimaryUID, Data: []byte{1}}, pgp.IssuerFprSubpacket(k.fpr)})
		} else {
			class, hashed, err = pgp.ReviseHashed(u.SelfSig, a.nowSecs(), []pgp.Subpacket{pgp.IssuerFprSubpacket(k.fpr)}, pgp.SubPrimaryUID)
		}
		if err != nil {
			return err
		}
		items = append(items, ipc.CertifyItem{Class: class, Component: u.Packet, Hashed: hashed})
		edits = append(edits, keyEdit{anchor: u.Packet, replaces: u.SelfSig})
	}
	if len(items) == 0 {
		return nil
	}
	if err := a.selfSign(k, items, edits); err != nil {
		return a.helperFailed("keyedit.primary", "setting the primary user ID", err)
	}
	return nil
}

// expireSubpackets sets or drops the key expiration of a key created at
// created so that it expires at expireAt (0: never).
func expireSubpackets(created uint32, expireAt int64) (set []pgp.Subpacket, drop []byte) {
	if expireAt == 0 {
		return nil, []byte{pgp.SubKeyExpire}
	}
	return []pgp.Subpacket{pgp.KeyExpireSubpacket(uint32(expireAt - int64(created)))}, nil
}

// primaryExpiryEdits revises the self-signatures that state the primary
// key's expiry: those of every valid user ID, as gpg does, and for a v6
// key also its direct-key signature, where RFC 9580 keeps the key's
// properties (go-crypto reads a v6 key's expiry only from there).
func primaryExpiryEdits(k *editKey, uids []store.EditUserID, now uint32, expireAt int64) ([]ipc.CertifyItem, []keyEdit, error) {
	set, drop := expireSubpackets(k.kb.Created(), expireAt)
	set = append(set, pgp.IssuerFprSubpacket(k.fpr))
	var items []ipc.CertifyItem
	var edits []keyEdit
	revise := func(anchor, sig []byte) error {
		class, hashed, err := pgp.ReviseHashed(sig, now, set, drop...)
		if err != nil {
			return err
		}
		items = append(items, ipc.CertifyItem{Class: class, Component: anchor, Hashed: hashed})
		edits = append(edits, keyEdit{anchor: anchor, replaces: sig})
		return nil
	}
	if dk := k.kb.DirectKeySigForEdit(now); dk != nil && len(k.fpr) == 32 {
		if err := revise(nil, dk); err != nil {
			return nil, nil, err
		}
	}
	for _, u := range validUserIDs(uids) {
		if err := revise(u.Packet, u.SelfSig); err != nil {
			return nil, nil, err
		}
	}
	return items, edits, nil
}

func (a *app) quickSetExpire(args []string) error {
	if len(args) < 2 {
		return &exitError{2, "usage: --quick-set-expire FINGERPRINT EXPIRE [SUBKEY-FPRS]"}
	}
	spec := strings.ReplaceAll(args[0], " ", "")
	if !isFingerprintSpec(spec) {
		return &exitError{2, fmt.Sprintf("\"%s\" is not a fingerprint", args[0])}
	}
	k, err := a.loadEdit(spec, true)
	if err != nil {
		return err
	}
	secs, err := parseExpire(args[1], a.now)
	if err != nil {
		return &exitError{2, err.Error()}
	}
	var expireAt int64
	if secs > 0 {
		expireAt = a.now.Unix() + secs
	}
	issuer := pgp.IssuerFprSubpacket(k.fpr)
	var items []ipc.CertifyItem
	var edits []keyEdit
	if len(args) == 2 {
		if items, edits, err = primaryExpiryEdits(k, k.kb.UserIDsForEdit(a.nowSecs()), a.nowSecs(), expireAt); err != nil {
			return err
		}
	} else {
		all := len(args) == 3 && args[2] == "*"
		for _, sk := range k.kb.SubkeysForEdit(a.nowSecs()) {
			if sk.Binding == nil || sk.Revoked {
				continue
			}
			chosen := all
			for _, s := range args[2:] {
				chosen = chosen || strings.EqualFold(strings.ReplaceAll(s, " ", ""), fmt.Sprintf("%X", sk.Fingerprint))
			}
			if !chosen {
				continue
			}
			set, drop := expireSubpackets(sk.Created, expireAt)
			class, hashed, err := pgp.ReviseHashed(sk.Binding, a.nowSecs(), append(set, issuer), drop...)
			if err != nil {
				return err
			}
			items = append(items, ipc.CertifyItem{Class: class, Component: sk.Packet, Hashed: hashed})
			edits = append(edits, keyEdit{anchor: sk.Packet, replaces: sk.Binding})
		}
		if len(items) == 0 {
			return a.editFailed("set_expire", "setting the expiration time", errNoPubkey, "No public key")
		}
	}
	if err := a.selfSign(k, items, edits); err != nil {
		return a.helperFailed("set_expire", "setting the expiration time", err)
	}
	return nil
}

func (a *app) quickAddKey(args []string) error {
	if len(args) < 1 || len(args) > 4 {
		return &exitError{2, "usage: --quick-add-key FINGERPRINT [ALGO [USAGE [EXPIRE]]]"}
	}
	arg := func(n int) string {
		if len(args) > n && args[n] != "-" {
			return args[n]
		}
		return "default"
	}
	spec := strings.ReplaceAll(args[0], " ", "")
	if !isFingerprintSpec(spec) {
		return &exitError{2, fmt.Sprintf("\"%s\" is not a fingerprint", args[0])}
	}
	k, err := a.loadEdit(spec, true)
	if err != nil {
		return err
	}
	algo, usage, expire := strings.ToLower(arg(1)), strings.ToLower(arg(2)), arg(3)
	if algo == "default" || algo == "future-default" {
		// gpg 2.2.40's default subkey: rsa3072 for encryption.
		algo = "rsa3072"
		if arg(1) == "future-default" {
			algo = "cv25519"
		}
	}
	if canon, err := pgp.CanonicalAlgo(algo); err == nil {
		algo = canon // gpg's sizes: elg is elg3072, rsa5000 is rsa4096
	}
	if usage == "default" {
		usage = pgp.DefaultUsage(algo)
		if strings.Contains(usage, "encr") {
			usage = "encr"
		}
	}
	if expire == "default" {
		expire = "never"
	}
	secs, err := parseExpire(expire, a.now)
	if err != nil {
		return &exitError{2, err.Error()}
	}
	req := &ipc.AddSubkeyRequest{Primary: k.fpr, Key: ipc.KeySpec{Algo: algo, Usage: usage, ExpireSecs: secs}, Created: a.now.Unix()}
	var res ipc.AddSubkeyResult
	if err := a.callKeyhelper(true, req, &res); err != nil {
		a.status.Emit("KEY_NOT_CREATED")
		return a.helperFailed("addkey", "Key generation", err)
	}
	a.recordListing(res.Listing)
	pkts, err := pgp.SplitPackets(res.Public)
	if err != nil || len(pkts) != 2 {
		return &exitError{2, "key generation returned an invalid subkey"}
	}
	if err := verifyNewSubkey(k, pkts[0], pkts[1]); err != nil {
		return &exitError{2, "key generation returned an invalid subkey: " + err.Error()}
	}
	if err := a.commitEdits(k.fpr, []keyEdit{{anchor: pkts[0], sig: pkts[1]}}, true); err != nil {
		return err
	}
	if p, err := packet.Read(bytes.NewReader(pkts[0])); err == nil {
		if pk, ok := p.(*packet.PublicKey); ok {
			a.status.Emit("KEY_CREATED", "S", fmt.Sprintf("%X", pk.Fingerprint))
		}
	}
	return nil
}

// verifyNewSubkey checks the binding keyhelper made for a new subkey (and,
// for a signing subkey, its back-signature) before it is stored.
func verifyNewSubkey(k *editKey, subPkt, bindPkt []byte) error {
	p, err := packet.Read(bytes.NewReader(subPkt))
	sub, ok := p.(*packet.PublicKey)
	if err != nil || !ok {
		return fmt.Errorf("invalid subkey packet")
	}
	sig, err := pgp.ParseSignature(bindPkt)
	if err != nil {
		return err
	}
	return k.e.PrimaryKey.VerifyKeySignature(sub, sig)
}

func (a *app) passwdCmd(args []string) error {
	k, err := a.ownKeyArgs(args, 1, 1, "--passwd USER-ID")
	if err != nil {
		return err
	}
	a.status.Emit("KEY_CONSIDERED", fmt.Sprintf("%X", k.fpr), "0")
	a.noPassphraseHints = true
	var res ipc.PasswdResult
	if err := a.callKeyhelper(true, &ipc.PasswdRequest{Primary: k.fpr}, &res); err != nil {
		code, e := helperErrorCode(err)
		a.failure("keyedit.passwd", code)
		msg := err.Error()
		if e != nil {
			msg = e.Message
		}
		return &exitError{2, fmt.Sprintf("key %016X: error changing passphrase: %s", k.e.PrimaryKey.KeyId, msg)}
	}
	a.recordListing(res.Listing)
	a.status.Emit("SUCCESS", "keyedit.passwd")
	return nil
}
