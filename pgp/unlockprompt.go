package pgp

import (
	"fmt"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// UnlockPrompt is gpg's description of a secret key to unlock
// (gpg_format_keydesc): the user ID, size, algorithm, key ID and creation
// date, and the primary key ID for a subkey. keyhelper shows it for a
// passphrase, front in front of a card's PIN prompt.
func UnlockPrompt(uid string, pk *packet.PublicKey, primaryKeyID uint64) string {
	bits, _ := pk.BitLength()
	prompt := fmt.Sprintf("Please enter the passphrase to unlock the OpenPGP secret key:\n\"%s\"\n%d-bit %s key, ID %016X,\ncreated %s",
		uid, bits, algoWord(pk.PubKeyAlgo), pk.KeyId, pk.CreationTime.UTC().Format("2006-01-02"))
	if pk.KeyId != primaryKeyID {
		prompt += fmt.Sprintf(" (main key ID %016X)", primaryKeyID)
	}
	return prompt + "."
}

func algoWord(a packet.PublicKeyAlgorithm) string {
	switch a {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly, packet.PubKeyAlgoRSAEncryptOnly:
		return "RSA"
	case packet.PubKeyAlgoEdDSA, packet.PubKeyAlgoEd25519, packet.PubKeyAlgoEd448:
		return "EDDSA"
	case packet.PubKeyAlgoECDSA:
		return "ECDSA"
	case packet.PubKeyAlgoECDH, packet.PubKeyAlgoX25519, packet.PubKeyAlgoX448:
		return "ECDH"
	}
	return "unknown"
}
