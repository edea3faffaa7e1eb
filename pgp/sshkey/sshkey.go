// Package sshkey turns an OpenPGP public key into the OpenSSH public key
// line gpg's --export-ssh-key writes, and picks the key gpg would export.
//
// The encoding works on the serialized public key packet, not on a
// library's key types: the SSH blob carries the very integers (and curve
// points) of the packet, in RFC 4253/5656/8709 framing.
package sshkey

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// The errors gpg distinguishes: an ElGamal key is "unusable", a key type
// SSH has no name for is an invalid algorithm, an ECC key on a curve SSH
// does not know is an unknown curve.
var (
	ErrUnusable     = errors.New("unusable public key")
	ErrAlgorithm    = errors.New("invalid public key algorithm")
	ErrUnknownCurve = errors.New("unknown elliptic curve")
)

// maxPacket caps the public key packet we parse; an RSA-16384 key is ~2 KiB.
const maxPacket = 1 << 16

// OpenPGP algorithm IDs (RFC 9580 9.1).
const (
	algoRSA      = 1
	algoRSASign  = 3
	algoElGamalE = 16
	algoDSA      = 17
	algoECDSA    = 19
	algoElGamal  = 20
	algoEdDSA    = 22
	algoEd25519  = 27
)

// ed25519Size is the length of an Ed25519 public key.
const ed25519Size = 32

// SSH names of the ECDSA curves by their OpenPGP OIDs (RFC 5656 6.1).
var ecdsaCurves = map[string]string{
	"\x2a\x86\x48\xce\x3d\x03\x01\x07": "nistp256",
	"\x2b\x81\x04\x00\x22":             "nistp384",
	"\x2b\x81\x04\x00\x23":             "nistp521",
}

// oidEd25519 is the legacy EdDSA OID of Ed25519 (RFC 9580 9.2).
const oidEd25519 = "\x2b\x06\x01\x04\x01\xda\x47\x0f\x01"

// Line returns pk as an OpenSSH public key line, without the newline:
// "<type> <base64 blob> openpgp:0x<low 32 bits of the key ID>".
func Line(pk *packet.PublicKey) (string, error) {
	var pkt bytes.Buffer
	if err := pk.Serialize(&pkt); err != nil {
		return "", err
	}
	if pkt.Len() > maxPacket {
		return "", fmt.Errorf("public key packet too large")
	}
	body, err := packetBody(pkt.Bytes())
	if err != nil {
		return "", err
	}
	name, blob, err := encode(body)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s %s openpgp:0x%08X", name, base64.StdEncoding.EncodeToString(blob), uint32(pk.KeyId)), nil
}

// packetBody strips the packet header (new or old format) of one packet.
func packetBody(p []byte) ([]byte, error) {
	bad := fmt.Errorf("malformed public key packet")
	if len(p) < 2 || p[0]&0x80 == 0 {
		return nil, bad
	}
	var n, hdr int
	if p[0]&0x40 != 0 { // new format
		switch l := int(p[1]); {
		case l < 192:
			n, hdr = l, 2
		case l < 224 && len(p) >= 3:
			n, hdr = (l-192)<<8+int(p[2])+192, 3
		case l == 255 && len(p) >= 6:
			n, hdr = int(binary.BigEndian.Uint32(p[2:6])), 6
		default:
			return nil, bad
		}
	} else {
		switch p[0] & 3 {
		case 0:
			n, hdr = int(p[1]), 2
		case 1:
			if len(p) < 3 {
				return nil, bad
			}
			n, hdr = int(binary.BigEndian.Uint16(p[1:3])), 3
		default:
			return nil, bad
		}
	}
	if n < 0 || hdr+n != len(p) {
		return nil, bad
	}
	return p[hdr:], nil
}

// fields reads the algorithm-specific fields of a key packet body.
type fields struct {
	b   []byte
	err error
}

// mpi returns the next MPI's value bytes (big-endian, as stored).
func (f *fields) mpi() []byte {
	if f.err != nil || len(f.b) < 2 {
		f.err = fmt.Errorf("malformed public key packet")
		return nil
	}
	n := (int(binary.BigEndian.Uint16(f.b)) + 7) / 8
	if len(f.b) < 2+n {
		f.err = fmt.Errorf("malformed public key packet")
		return nil
	}
	v := f.b[2 : 2+n]
	f.b = f.b[2+n:]
	return v
}

// oid returns the next one-octet-length-prefixed curve OID.
func (f *fields) oid() string {
	if f.err != nil || len(f.b) < 1 || len(f.b) < 1+int(f.b[0]) {
		f.err = fmt.Errorf("malformed public key packet")
		return ""
	}
	v := f.b[1 : 1+int(f.b[0])]
	f.b = f.b[1+int(f.b[0]):]
	return string(v)
}

// encode returns the SSH key type name and wire blob of a key packet body.
func encode(body []byte) (string, []byte, error) {
	if len(body) < 6 {
		return "", nil, fmt.Errorf("malformed public key packet")
	}
	f := &fields{b: body[6:]}
	switch body[0] {
	case 4:
	case 5, 6: // a four-octet length of the key material follows
		if len(body) < 10 {
			return "", nil, fmt.Errorf("malformed public key packet")
		}
		f.b = body[10:]
	default:
		return "", nil, fmt.Errorf("unsupported key version %d", body[0])
	}
	var w blob
	var name string
	switch body[5] {
	case algoRSA, algoRSASign:
		n, e := f.mpi(), f.mpi()
		name = "ssh-rsa"
		w.str(name)
		w.mpint(e)
		w.mpint(n)
	case algoDSA:
		p, q, g, y := f.mpi(), f.mpi(), f.mpi(), f.mpi()
		name = "ssh-dss"
		w.str(name)
		for _, v := range [][]byte{p, q, g, y} {
			w.mpint(v)
		}
	case algoECDSA:
		curve, ok := ecdsaCurves[f.oid()]
		point := f.mpi()
		if f.err == nil && !ok {
			return "", nil, ErrUnknownCurve
		}
		name = "ecdsa-sha2-" + curve
		w.str(name)
		w.str(curve)
		w.str(string(point))
	case algoEdDSA:
		oid, point := f.oid(), f.mpi()
		if f.err == nil && oid != oidEd25519 {
			return "", nil, ErrUnknownCurve
		}
		// the point is stored with gpg's 0x40 "native" prefix
		if f.err == nil && (len(point) != 1+ed25519Size || point[0] != 0x40) {
			return "", nil, fmt.Errorf("malformed Ed25519 public key")
		}
		name = "ssh-ed25519"
		w.str(name)
		if f.err == nil {
			w.str(string(point[1:]))
		}
	case algoEd25519:
		if len(f.b) < ed25519Size {
			return "", nil, fmt.Errorf("malformed Ed25519 public key")
		}
		name = "ssh-ed25519"
		w.str(name)
		w.str(string(f.b[:ed25519Size]))
	case algoElGamalE, algoElGamal:
		return "", nil, ErrUnusable
	default:
		return "", nil, ErrAlgorithm
	}
	if f.err != nil {
		return "", nil, f.err
	}
	return name, w, nil
}

// blob builds an SSH wire encoding (RFC 4251 5).
type blob []byte

func (b *blob) str(s string) {
	*b = binary.BigEndian.AppendUint32(*b, uint32(len(s)))
	*b = append(*b, s...)
}

// mpint writes a non-negative big-endian integer as an SSH mpint: no
// leading zero octets, and one zero octet when the top bit is set.
func (b *blob) mpint(v []byte) {
	v = bytes.TrimLeft(v, "\x00")
	if len(v) > 0 && v[0]&0x80 != 0 {
		v = append([]byte{0}, v...)
	}
	b.str(string(v))
}

// Select returns the key of e that gpg's --export-ssh-key exports when no
// exact subkey is named: the newest valid, unrevoked, unexpired subkey with
// the authentication flag that is not created in the future (on equal
// creation times the first in the certificate), else the primary key if
// it qualifies the same way; nil if none does.
func Select(e *openpgp.Entity, now time.Time) *packet.PublicKey {
	var best *openpgp.Subkey
	for i := range e.Subkeys {
		sk := &e.Subkeys[i]
		// KeyExpired is also true for a key created after now
		if sk.Sig == nil || !sk.Sig.FlagsValid || !sk.Sig.FlagAuthenticate || sk.Revoked(now) ||
			sk.PublicKey.KeyExpired(sk.Sig, now) {
			continue
		}
		if best == nil || sk.PublicKey.CreationTime.After(best.PublicKey.CreationTime) {
			best = sk
		}
	}
	if best != nil {
		return best.PublicKey
	}
	sig, _ := e.PrimarySelfSignature()
	if sig == nil || !sig.FlagsValid || !sig.FlagAuthenticate || e.Revoked(now) || e.PrimaryKey.KeyExpired(sig, now) {
		return nil
	}
	return e.PrimaryKey
}
