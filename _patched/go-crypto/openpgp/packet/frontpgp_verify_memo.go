// frontpgp: this file is added to github.com/ProtonMail/go-crypto's
// openpgp/packet package in front's builds (see scripts/patched-modfile.sh
// and _patched/README.md), with public_key.go.diff, which makes
// VerifySignature check RSA signatures through verifyRSAMemo.

package packet

import (
	"crypto"
	"crypto/rsa"
)

// RSAVerifyMemo remembers RSA signature checks that succeeded, so that a
// later process need not repeat the public-key operation for the same
// key, hash, digest and signature (GnuPG keeps a signature cache in its
// keyring for the same reason). A check is a pure function of these four
// values, so a remembered success is the result the check would give.
type RSAVerifyMemo interface {
	// Known reports whether this exact check succeeded before.
	Known(pk *PublicKey, h crypto.Hash, digest, sig []byte) bool
	// Verified records a check that has just succeeded.
	Verified(pk *PublicKey, h crypto.Hash, digest, sig []byte)
}

// VerifyMemo is consulted by VerifySignature for RSA signatures over keys
// and user IDs (signature types 0x10 and up: certifications, bindings,
// revocations), when set: they are checked again whenever a certificate
// is read. Signatures over data (types 0x00, 0x01) are not: each is
// checked once, and remembering them would only grow the memo. It is set
// once, before any verification, and must be safe for concurrent use.
var VerifyMemo RSAVerifyMemo

func verifyRSAMemo(pk *PublicKey, pub *rsa.PublicKey, sigType SignatureType, h crypto.Hash, digest, sig []byte) error {
	memo := VerifyMemo
	if sigType < SigTypeGenericCert {
		memo = nil
	}
	if memo != nil && memo.Known(pk, h, digest, sig) {
		return nil
	}
	if err := rsa.VerifyPKCS1v15(pub, h, digest, sig); err != nil {
		return err
	}
	if memo != nil {
		memo.Verified(pk, h, digest, sig)
	}
	return nil
}
