package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/pgp"
)

// Which hashed subpackets a key signature may carry. Self-signatures may
// state preferences, usage and expiry of the key; a certification of
// somebody else's key only its own time, expiry, exportability, trust,
// policy and notations. Anything else is refused, so a compromised front
// cannot have the helper sign, say, a designated revoker into a key.
var (
	selfSubpackets = map[byte]bool{
		pgp.SubCreated: true, pgp.SubSigExpire: true, pgp.SubExportable: true, pgp.SubRevocable: true,
		pgp.SubKeyExpire: true, pgp.SubPrefCipher: true, pgp.SubNotation: true, pgp.SubPrefHash: true,
		pgp.SubPrefCompress: true, pgp.SubKSPrefs: true, pgp.SubPrefKS: true, pgp.SubPrimaryUID: true,
		pgp.SubPolicy: true, pgp.SubKeyFlags: true, pgp.SubReason: true, pgp.SubFeatures: true,
		pgp.SubEmbedded: true, pgp.SubIssuerFpr: true, pgp.SubPrefAEAD: true, pgp.SubIssuer: true,
		pgp.SubPrefAEADSuites: true,
	}
	otherSubpackets = map[byte]bool{
		pgp.SubCreated: true, pgp.SubSigExpire: true, pgp.SubExportable: true, pgp.SubTrust: true,
		pgp.SubRegexp: true, pgp.SubRevocable: true, pgp.SubNotation: true, pgp.SubPolicy: true,
		pgp.SubReason: true, pgp.SubIssuerFpr: true, pgp.SubIssuer: true,
	}
)

func notPermitted(format string, args ...any) error {
	return &ipc.Error{Code: ipc.ErrCodeNotPermitted, Message: fmt.Sprintf(format, args...)}
}

// checkItem applies the closed set to one requested signature.
func checkItem(it *ipc.CertifyItem, self bool, signerFpr []byte) ([]pgp.Subpacket, pgp.Component, error) {
	var c pgp.Component
	if len(it.Component) > 0 {
		tag, body, err := pgp.PacketBody(it.Component)
		if err != nil {
			return nil, c, &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: "invalid component packet"}
		}
		c = pgp.Component{Tag: tag, Body: body}
		if tag == pgp.TagPublicSubkey {
			if p, err := packet.Read(bytes.NewReader(it.Component)); err != nil {
				return nil, c, &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: "invalid subkey packet"}
			} else if _, ok := p.(*packet.PublicKey); !ok {
				return nil, c, &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: "invalid subkey packet"}
			}
		}
	}
	if err := pgp.ComponentFor(it.Class, c); err != nil {
		return nil, c, notPermitted("%v", err)
	}
	switch it.Class {
	case pgp.ClassSubkeyBind, pgp.ClassSubkeyRevoke, pgp.ClassDirectKey, pgp.ClassKeyRevoke:
		if !self {
			return nil, c, notPermitted("signature class %#x only on an own key", it.Class)
		}
	}
	sps, err := pgp.ParseSubpackets(it.Hashed)
	if err != nil {
		return nil, c, &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: "invalid subpackets: " + err.Error()}
	}
	allowed := otherSubpackets
	if self {
		allowed = selfSubpackets
	}
	revocation := it.Class == pgp.ClassKeyRevoke || it.Class == pgp.ClassSubkeyRevoke || it.Class == pgp.ClassCertRevoke
	created, issuer := 0, 0
	for _, sp := range sps {
		switch {
		case !allowed[sp.Type]:
			return nil, c, notPermitted("subpacket %d not allowed here", sp.Type)
		case sp.Type == pgp.SubReason && !revocation:
			return nil, c, notPermitted("a revocation reason outside a revocation")
		case sp.Type == pgp.SubEmbedded && it.Class != pgp.ClassSubkeyBind:
			return nil, c, notPermitted("an embedded signature outside a subkey binding")
		case sp.Type == pgp.SubCreated:
			if len(sp.Data) != 4 {
				return nil, c, &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: "invalid creation time"}
			}
			created++
		case sp.Type == pgp.SubIssuer:
			if !bytes.Equal(sp.Data, pgp.IssuerKeyID(signerFpr)) {
				return nil, c, notPermitted("issuer is not the signing key")
			}
		case sp.Type == pgp.SubIssuerFpr:
			if !bytes.Equal(sp.Data, pgp.IssuerFprSubpacket(signerFpr).Data) {
				return nil, c, notPermitted("issuer fingerprint is not the signing key's")
			}
			issuer++
		}
	}
	if created != 1 || issuer != 1 {
		return nil, c, &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: "a key signature needs one creation time and the issuer fingerprint"}
	}
	return sps, c, nil
}

// certify makes key signatures with an own primary key. It does not
// change the secret store.
func (h *handler) certify(r *ipc.CertifyRequest) (ipc.Message, error) {
	e, err := h.store.load(r.Signer)
	if err != nil {
		return nil, &ipc.Error{Code: ipc.ErrCodeNoSecretKey, Message: "no secret key"}
	}
	tag, primaryBody, err := pgp.PacketBody(r.PrimaryKey)
	if err != nil || tag != pgp.TagPublicKey {
		return nil, &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: "invalid primary key packet"}
	}
	p, err := packet.Read(bytes.NewReader(r.PrimaryKey))
	target, ok := p.(*packet.PublicKey)
	if err != nil || !ok {
		return nil, &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: "invalid primary key packet"}
	}
	self := bytes.Equal(target.Fingerprint, e.PrimaryKey.Fingerprint)
	if sig, _ := e.PrimarySelfSignature(); !self && sig != nil && sig.FlagsValid && !sig.FlagCertify {
		return nil, notPermitted("key cannot certify")
	}
	type job struct {
		class byte
		c     pgp.Component
		sps   []pgp.Subpacket
	}
	jobs := make([]job, len(r.Items))
	for i := range r.Items {
		sps, c, err := checkItem(&r.Items[i], self, e.PrimaryKey.Fingerprint)
		if err != nil {
			return nil, err
		}
		jobs[i] = job{r.Items[i].Class, c, sps}
	}
	priv := e.PrivateKey
	if err := h.unlock(e, priv, noToken); err != nil {
		return nil, err
	}
	res := &ipc.CertifyResult{}
	for _, j := range jobs {
		sig, err := pgp.SignKeySignature(priv, j.class, pgp.CertHash(&priv.PublicKey), primaryBody, j.c, j.sps)
		if err != nil {
			return nil, &ipc.Error{Code: ipc.ErrCodeUnsupported, Message: err.Error()}
		}
		res.Signatures = append(res.Signatures, sig)
	}
	return res, nil
}

// addSubkey makes a subkey and appends it, protected with the primary
// key's passphrase, to the stored secret key.
func (h *handler) addSubkey(r *ipc.AddSubkeyRequest) (ipc.Message, error) {
	if h.store.isRef(r.Primary) {
		return nil, errKeptByGnuPG("add a subkey")
	}
	raw, e, err := h.store.loadRaw(r.Primary)
	if err != nil {
		return nil, &ipc.Error{Code: ipc.ErrCodeNoSecretKey, Message: "no secret key"}
	}
	pass, err := h.unlockWith(e, e.PrivateKey, nil, noToken)
	if err != nil {
		return nil, err
	}
	sk, err := pgp.AddSubkey(e, r.Key, r.Created)
	if err != nil {
		return nil, &ipc.Error{Code: ipc.ErrCodeUnsupported, Message: err.Error()}
	}
	if pass != nil {
		if err := sk.PrivateKey.EncryptWithConfig(pass, s2kConfig); err != nil {
			return nil, err
		}
	}
	var secret, public bytes.Buffer
	if err := sk.PrivateKey.Serialize(&secret); err != nil {
		return nil, err
	}
	if err := sk.PublicKey.Serialize(&public); err != nil {
		return nil, err
	}
	if err := sk.Sig.Serialize(&public); err != nil {
		return nil, err
	}
	if err := sk.Sig.Serialize(&secret); err != nil {
		return nil, err
	}
	if err := h.store.lock(); err != nil {
		return nil, err
	}
	// The file is re-read under the lock: a concurrent change since the
	// first read must not be overwritten.
	now, _, err := h.store.loadRaw(r.Primary)
	if err != nil || !bytes.Equal(now, raw) {
		return nil, &ipc.Error{Code: ipc.ErrCodeInternal, Message: "secret key changed meanwhile; try again"}
	}
	if err := h.store.write(r.Primary, append(raw, secret.Bytes()...)); err != nil {
		return nil, err
	}
	l, err := h.store.listing()
	return &ipc.AddSubkeyResult{Public: public.Bytes(), Listing: l}, err
}

// passwd re-protects every secret part of a key with a new passphrase
// (none: stored unprotected, as gpg does after confirmation).
func (h *handler) passwd(r *ipc.PasswdRequest) (ipc.Message, error) {
	if h.store.isRef(r.Primary) {
		return nil, errKeptByGnuPG("change its passphrase")
	}
	e, err := h.store.load(r.Primary)
	if err != nil {
		return nil, &ipc.Error{Code: ipc.ErrCodeNoSecretKey, Message: "no secret key"}
	}
	privs := []*packet.PrivateKey{e.PrivateKey}
	for _, sk := range e.Subkeys {
		if sk.PrivateKey != nil {
			privs = append(privs, sk.PrivateKey)
		}
	}
	var known [][]byte
	unlocked := 0
	for _, priv := range privs {
		if priv.Dummy() {
			continue
		}
		pass, err := h.unlockWith(e, priv, known, noToken)
		if err != nil {
			return nil, err
		}
		if pass != nil {
			known = append(known, pass)
		}
		unlocked++
	}
	if unlocked == 0 {
		return nil, &ipc.Error{Code: ipc.ErrCodeNoSecretKey, Message: "secret key not available (stub)"}
	}
	newPass, err := h.conn.Inquire(&ipc.Inquiry{
		Kind: ipc.InquireNewPassphrase, KeyFingerprint: e.PrimaryKey.Fingerprint, UserIDHint: primaryUID(e),
		Prompt: "Please enter the new passphrase", Attempt: 1,
	})
	if err != nil {
		return nil, err
	}
	if len(newPass) > 0 {
		for _, priv := range privs {
			if priv.Dummy() {
				continue
			}
			if err := priv.EncryptWithConfig(newPass, s2kConfig); err != nil {
				return nil, err
			}
		}
	}
	var sec bytes.Buffer
	if err := e.SerializePrivateWithoutSigning(&sec, nil); err != nil {
		return nil, err
	}
	if err := h.store.lock(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(h.store.path(r.Primary)); errors.Is(err, os.ErrNotExist) {
		return nil, &ipc.Error{Code: ipc.ErrCodeNoSecretKey, Message: "secret key deleted meanwhile"}
	}
	if err := h.store.write(r.Primary, sec.Bytes()); err != nil {
		return nil, err
	}
	l, err := h.store.listing()
	return &ipc.PasswdResult{Listing: l}, err
}
