package pgp

import (
	"bytes"
	"crypto/cipher"
	"crypto/sha1"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"
)

// RawSKESK is a symmetric-key encrypted session key packet with the S2K
// parameters gpg reports in NEED_PASSPHRASE_SYM. Version 4 packets are
// read here, since go-crypto refuses the legacy ciphers (IDEA, Blowfish,
// Twofish) gpg still decrypts; versions 5 and 6 (AEAD) are go-crypto's.
type RawSKESK struct {
	// Cipher encrypts the session key (v4: and the data, when the packet
	// carries no session key of its own).
	Cipher  packet.CipherFunction
	S2KMode uint8
	S2KHash uint8

	v4  *skeskV4
	aed *packet.SymmetricKeyEncrypted // v5 and v6
}

type skeskV4 struct {
	s2k          func(out, in []byte)
	encryptedKey []byte // empty: the S2K output is the session key
}

// parseSKESK reads the body of a tag 3 packet. ok is false for packets
// gpg skips (unknown versions, ciphers or S2K types).
func parseSKESK(raw, body []byte) (sk RawSKESK, ok bool) {
	if len(body) >= 4 && body[0] == 4 {
		// v4: version, cipher, S2K specifier, then the encrypted key
		// (RFC 9580 5.3.1)
		c := packet.CipherFunction(body[1])
		if cipherKeySize(c) == 0 {
			return sk, false
		}
		r := bytes.NewReader(body[2:])
		f, err := s2k.Parse(r)
		if err != nil {
			return sk, false
		}
		rest := body[len(body)-r.Len():]
		return RawSKESK{Cipher: c, S2KMode: body[2], S2KHash: body[3],
			v4: &skeskV4{s2k: f, encryptedKey: append([]byte(nil), rest...)}}, true
	}
	p, err := packet.Read(bytes.NewReader(raw))
	if err != nil {
		return sk, false
	}
	ske, ok := p.(*packet.SymmetricKeyEncrypted)
	if !ok {
		return sk, false
	}
	return RawSKESK{Cipher: ske.CipherFunc, aed: ske}, true
}

// HasSessionKey reports whether the packet carries an encrypted session
// key (gpg: "encrypted session key") rather than being the key itself
// ("encrypted data").
func (sk *RawSKESK) HasSessionKey() bool {
	return sk.aed != nil || len(sk.v4.encryptedKey) > 0
}

// Decrypt derives the key from the passphrase and returns the session key
// and its cipher (0 for v6, whose data packet names the cipher). An error
// means the passphrase is wrong or the packet is broken.
//
// A v4 session key that decrypts to no known cipher of the right key size
// (a wrong passphrase, almost always) is, as in gpg 2.2.40, no error here:
// gpg then goes on with the passphrase's own key and the packet's cipher,
// so the data packet's quick check is what fails (with its
// DECRYPTION_INFO and bad-passphrase status lines).
func (sk *RawSKESK) Decrypt(passphrase []byte) ([]byte, packet.CipherFunction, error) {
	if sk.aed != nil {
		return sk.aed.Decrypt(passphrase)
	}
	key := make([]byte, cipherKeySize(sk.Cipher))
	sk.v4.s2k(key, passphrase)
	if len(sk.v4.encryptedKey) == 0 {
		return key, sk.Cipher, nil
	}
	block, err := newBlockCipher(sk.Cipher, key)
	if err != nil {
		return nil, 0, err
	}
	// CFB with a zero IV over cipher octet and session key
	plain := make([]byte, len(sk.v4.encryptedKey))
	cipher.NewCFBDecrypter(block, make([]byte, block.BlockSize())).XORKeyStream(plain, sk.v4.encryptedKey) //nolint:staticcheck // OpenPGP defines it with CFB
	c := packet.CipherFunction(plain[0])
	if n := cipherKeySize(c); n == 0 || n != len(plain)-1 {
		return key, sk.Cipher, nil
	}
	return plain[1:], c, nil
}

// ConventionalKey is the key of encrypted data that no session key packet
// precedes (PGP 2's conventional encryption) as gpg 2.2.40 assumes it:
// IDEA, keyed by a simple S2K with SHA-1 over the passphrase.
func ConventionalKey(passphrase []byte) (packet.CipherFunction, []byte) {
	key := make([]byte, cipherKeySize(CipherIDEA))
	s2k.Simple(key, sha1.New(), passphrase)
	return CipherIDEA, key
}
