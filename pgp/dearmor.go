package pgp

import (
	"bytes"
	"fmt"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// DearmorAll turns every armor block in data into binary, one after
// another; binary data is returned as is. Armor that breaks after a good
// block ends the output there; armor broken from the start is an error.
// The output is never longer than data.
//
// Each block is cut out of data before it is decoded: the decoder reads
// ahead through a buffer, so handing it the rest of the input would lose
// the start of the next block.
func DearmorAll(data []byte) ([]byte, error) {
	if !IsArmored(data) {
		return data, nil
	}
	var out bytes.Buffer
	begin, end := []byte("-----BEGIN PGP "), []byte("\n-----END PGP ")
	for {
		i := bytes.Index(data, begin)
		if i < 0 {
			break
		}
		data = data[i:]
		block := data
		if j := bytes.Index(data, end); j >= 0 {
			if k := bytes.IndexByte(data[j+1:], '\n'); k >= 0 {
				block = data[:j+1+k+1]
			}
		}
		data = data[len(block):]
		blk, err := armor.Decode(bytes.NewReader(block))
		if err == nil {
			_, err = io.Copy(&out, blk.Body)
		}
		if err != nil {
			if out.Len() > 0 {
				break
			}
			return nil, fmt.Errorf("invalid armor: %v", err)
		}
	}
	return out.Bytes(), nil
}
