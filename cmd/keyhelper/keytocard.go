package main

import (
	"crypto/rsa"
	"fmt"
	"math/big"
	"os"
	"syscall"

	"github.com/ProtonMail/go-crypto/openpgp/ecdh"
	"github.com/ProtonMail/go-crypto/openpgp/ecdsa"
	"github.com/ProtonMail/go-crypto/openpgp/eddsa"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/card/cardkey"
	cardpgp "github.com/frontpgp/front/card/openpgp"
	"github.com/frontpgp/front/ipc"
)

// keyToCard unlocks the (sub)key r.Fingerprint and writes it, in
// card/cardkey's format, to the key pipe front handed us at our start
// (ipc.KeyPipeFD), then closes it; cardhelper reads the other end. The
// secret never goes to front: the answer on the session is empty. A
// descriptor that is not a pipe is refused, so a misstarted helper cannot
// write the key into a file. No access token unlocks for this: moving a
// key is not one of a token's operations.
func (h *handler) keyToCard(r *ipc.KeyToCardRequest) (ipc.Message, error) {
	pipe := os.NewFile(ipc.KeyPipeFD, "key pipe")
	var st syscall.Stat_t
	if pipe == nil || syscall.Fstat(ipc.KeyPipeFD, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFIFO {
		return nil, &ipc.Error{Code: ipc.ErrCodeBadRequest, Message: "no key pipe"}
	}
	defer pipe.Close()
	e, priv, err := h.store.find(r.Fingerprint, nil)
	if err != nil {
		return nil, err
	}
	if err := h.unlock(e, priv, noToken); err != nil {
		return nil, err
	}
	k, err := cardKey(priv)
	if err != nil {
		return nil, &ipc.Error{Code: ipc.ErrCodeUnsupported, Message: err.Error()}
	}
	defer k.Wipe()
	msg, err := k.Marshal()
	if err != nil {
		return nil, &ipc.Error{Code: ipc.ErrCodeUnsupported, Message: err.Error()}
	}
	defer clear(msg)
	if _, err := pipe.Write(msg); err != nil {
		return nil, fmt.Errorf("writing the key pipe: %w", err)
	}
	if err := pipe.Close(); err != nil {
		return nil, fmt.Errorf("closing the key pipe: %w", err)
	}
	return &ipc.KeyToCardResult{}, nil
}

// cardKey is an unlocked secret key in the form cards import: RSA n, e,
// p, q; ECC the curve and the private value as OpenPGP stores it.
func cardKey(priv *packet.PrivateKey) (*cardkey.Key, error) {
	switch sk := priv.PrivateKey.(type) {
	case *rsa.PrivateKey:
		if len(sk.Primes) != 2 {
			return nil, fmt.Errorf("multi-prime RSA cannot go to a card")
		}
		return &cardkey.Key{Algo: cardkey.RSA, N: sk.N.Bytes(), E: big.NewInt(int64(sk.E)).Bytes(),
			P: sk.Primes[0].Bytes(), Q: sk.Primes[1].Bytes()}, nil
	case *eddsa.PrivateKey:
		return eccKey(priv, sk.MarshalByteSecret())
	case *ecdh.PrivateKey:
		return eccKey(priv, sk.MarshalByteSecret())
	case *ecdsa.PrivateKey:
		return eccKey(priv, sk.MarshalIntegerSecret())
	}
	return nil, fmt.Errorf("a %v key cannot go to a card", priv.PubKeyAlgo)
}

// cardCurves maps go-crypto's curve names to gpg's (Curve25519 is
// Ed25519 for an EdDSA key).
var cardCurves = map[packet.Curve]string{
	packet.Curve25519: "cv25519", packet.CurveNistP256: "nistp256",
	packet.CurveNistP384: "nistp384", packet.CurveNistP521: "nistp521",
}

func eccKey(priv *packet.PrivateKey, d []byte) (*cardkey.Key, error) {
	c, err := priv.PublicKey.Curve()
	if err != nil {
		return nil, err
	}
	oid := cardpgp.CurveOID(cardCurves[c])
	if priv.PubKeyAlgo == packet.PubKeyAlgoEdDSA && c == packet.Curve25519 {
		oid = cardpgp.CurveOID("ed25519")
	}
	if oid == nil {
		return nil, fmt.Errorf("curve %s cannot go to a card", c)
	}
	return &cardkey.Key{Algo: cardkey.ECC, OID: oid, D: d}, nil
}
