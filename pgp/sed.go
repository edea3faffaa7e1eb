package pgp

import (
	"crypto/cipher"
	"errors"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Symmetrically Encrypted Data (tag 9, RFC 9580 5.7) has no integrity
// protection and uses OpenPGP's CFB variant: the random prefix (one block
// plus two repeated bytes) is encrypted from a zero IV, then the cipher
// "resyncs": the data continues as plain CFB whose IV is the last block of
// ciphertext, i.e. ciphertext bytes 2 to bs+2. Whether to release what it
// decrypts is the caller's choice (gpg only with --ignore-mdc-error).

// openSED decrypts the prefix at once (so a quick check fails here) and
// returns a reader of the rest. Its Close reports nothing: there is no
// integrity verdict for this packet.
func openSED(body io.Reader, c packet.CipherFunction, key []byte, quickCheck bool) (io.ReadCloser, error) {
	block, err := newBlockCipher(c, key)
	if err != nil {
		return nil, err
	}
	bs := block.BlockSize()
	prefix := make([]byte, bs+2)
	if _, err := io.ReadFull(body, prefix); err != nil {
		return nil, errors.New("encrypted data too short")
	}
	plain := make([]byte, bs+2)
	cipher.NewCFBDecrypter(block, make([]byte, bs)).XORKeyStream(plain, prefix) //nolint:staticcheck // OpenPGP defines it with CFB
	if quickCheck && (plain[bs-2] != plain[bs] || plain[bs-1] != plain[bs+1]) {
		return nil, ErrBadQuickCheck
	}
	stream := cipher.NewCFBDecrypter(block, prefix[2:]) //nolint:staticcheck // OpenPGP defines it with CFB
	return io.NopCloser(&cipher.StreamReader{S: stream, R: body}), nil
}
