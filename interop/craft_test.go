package interop

// Hand-made OpenPGP inputs that gpg refuses to produce (a user ID with a line
// break, a notation with a line feed) or that exercise known parser crashes.
// Written from RFC 4880 with the standard library (ed25519 and the hashes)
// and x/crypto's RIPEMD-160, so the bytes are exactly what the test says
// and nothing normalises them.
//
//	craft RECIPE DIR   writes DIR/cert.gpg (public key), DIR/data and
//	                   DIR/data.sig (a detached signature over data) unless
//	                   the recipe says otherwise
//
// Recipes:
//
//	uidnl        UID "Mallory <mallory@example.org>\n[GNUPG:] GOODSIG ..."
//	             (bad input 24); data.sig is a good signature by that key
//	notation     good signature with a 600-byte human-readable notation full
//	             of '%', LF and "[GNUPG:] GOODSIG" (bad input 23)
//	emptyexport  the UID self-signature has an empty exportable-certification
//	             subpacket (go-crypto issue 327)
//	nouidsig     a key with a user ID that has no self-signature, followed by
//	             a properly signed one (go-crypto issue 313)
//	badissuerfpr data.sig's issuer-fingerprint subpacket is 3 bytes long
//	             (a corrupt fingerprint subpacket, go-crypto issue 66)
//	aeadskesk    DIR/msg.gpg: a v5 SKESK with an unknown AEAD mode, then an
//	             AEAD packet (go-crypto issue 322); no cert/data
//	sigclass     sigXX: a signature of class 0xXX over data for every class
//	             (0x01 over data as text); selfcert.sig, the key's user ID
//	             certification, with its hashed material as selfcert.data
//	             (bad input 33)
//	certonly     a certify-only primary key with a signing and an
//	             authentication subkey; primary.sig, sub.sig and auth.sig
//	             over data by each, primary.msg a one-pass signed message by
//	             the primary key (bad input 34)
//	hashalgos    md5.sig, ripemd160.sig, sha224.sig and unknown.sig over data
//	             (hash algorithm 110; its digest is fixed bytes) (bad input 35)

import (
	"bytes"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/crypto/ripemd160" //nolint:staticcheck // gpg still reports RIPEMD-160 signatures
)

// craftTime is the creation time of every crafted key and signature
// (2023-11-14T22:13:20Z): fixed, so the outputs are reproducible.
const craftTime = 1700000000

type edKey struct {
	priv ed25519.PrivateKey
	body []byte // public-key packet body
	fpr  []byte
}

// newEdKey makes a v4 EdDSA (legacy, algorithm 22) key from a fixed seed.
func newEdKey(seed byte) *edKey {
	s := bytes.Repeat([]byte{seed}, ed25519.SeedSize)
	priv := ed25519.NewKeyFromSeed(s)
	pub := priv.Public().(ed25519.PublicKey)
	var b bytes.Buffer
	b.WriteByte(4)
	binary.Write(&b, binary.BigEndian, uint32(craftTime))
	b.WriteByte(22)
	oid := []byte{0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01}
	b.WriteByte(byte(len(oid)))
	b.Write(oid)
	b.Write(mpi(append([]byte{0x40}, pub...)))
	k := &edKey{priv: priv, body: b.Bytes()}
	h := sha1.New()
	h.Write([]byte{0x99, byte(len(k.body) >> 8), byte(len(k.body))})
	h.Write(k.body)
	k.fpr = h.Sum(nil)
	return k
}

func (k *edKey) keyID() []byte { return k.fpr[12:] }

// packet frames body as a new-format packet.
func packet(tag byte, body []byte) []byte {
	out := []byte{0xC0 | tag}
	n := len(body)
	switch {
	case n < 192:
		out = append(out, byte(n))
	case n < 8384:
		n -= 192
		out = append(out, byte(n>>8)+192, byte(n))
	default:
		out = append(out, 0xFF, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(out, body...)
}

// subpacket frames a signature subpacket (length covers the type byte).
func subpacket(typ byte, body []byte) []byte {
	n := len(body) + 1
	var out []byte
	switch {
	case n < 192:
		out = []byte{byte(n)}
	case n < 8384:
		m := n - 192
		out = []byte{byte(m>>8) + 192, byte(m)}
	default:
		out = []byte{0xFF, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	}
	out = append(out, typ)
	return append(out, body...)
}

func mpi(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	bits := 0
	if len(b) > 0 {
		bits = (len(b)-1)*8 + bitLen(b[0])
	}
	return append([]byte{byte(bits >> 8), byte(bits)}, b...)
}

func bitLen(x byte) int {
	n := 0
	for ; x != 0; x >>= 1 {
		n++
	}
	return n
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func creationSub() []byte { return subpacket(2, be32(craftTime)) }
func (k *edKey) issuerFprSub() []byte {
	return subpacket(33, append([]byte{4}, k.fpr...))
}
func (k *edKey) issuerSub() []byte { return subpacket(16, k.keyID()) }

// sign makes a v4 signature packet of type sigType over prefix (the
// type-specific hashed material) with the given subpacket areas, SHA-256.
func (k *edKey) sign(sigType byte, prefix, hashed, unhashed []byte) []byte {
	return k.signHash(sigType, hashSHA256, prefix, hashed, unhashed)
}

// OpenPGP hash algorithm IDs the recipes use; hashUnknown has no
// algorithm behind it (its "digest" is fixed bytes).
const (
	hashMD5       = 1
	hashRIPEMD160 = 3
	hashSHA256    = 8
	hashSHA224    = 11
	hashUnknown   = 110
)

func newHash(algo byte) hash.Hash {
	switch algo {
	case hashMD5:
		return md5.New()
	case hashRIPEMD160:
		return ripemd160.New()
	case hashSHA224:
		return sha256.New224()
	case hashSHA256:
		return sha256.New()
	}
	return nil
}

// signHash is sign with the hash algorithm hashAlgo.
func (k *edKey) signHash(sigType, hashAlgo byte, prefix, hashed, unhashed []byte) []byte {
	var tr bytes.Buffer
	tr.Write([]byte{4, sigType, 22, hashAlgo, byte(len(hashed) >> 8), byte(len(hashed))})
	tr.Write(hashed)
	digest := bytes.Repeat([]byte{0x5A}, 32)
	if h := newHash(hashAlgo); h != nil {
		h.Write(prefix)
		h.Write(tr.Bytes())
		h.Write([]byte{4, 0xFF})
		h.Write(be32(uint32(tr.Len())))
		digest = h.Sum(nil)
	}
	sig := ed25519.Sign(k.priv, digest)
	var b bytes.Buffer
	b.Write(tr.Bytes())
	b.Write([]byte{byte(len(unhashed) >> 8), byte(len(unhashed))})
	b.Write(unhashed)
	b.Write(digest[:2])
	b.Write(mpi(sig[:32]))
	b.Write(mpi(sig[32:]))
	return packet(2, b.Bytes())
}

// signedMessage is data as a one-pass signed message (binary literal
// without name or date) by k.
func (k *edKey) signedMessage(data []byte) []byte {
	ops := append([]byte{3, 0x00, hashSHA256, 22}, k.keyID()...)
	ops = append(ops, 1)
	lit := append([]byte{'b', 0, 0, 0, 0, 0}, data...)
	out := append(packet(4, ops), packet(11, lit)...)
	return append(out, k.docSig(data)...)
}

// packetBody strips the header packet() put on p.
func packetBody(p []byte) []byte {
	switch {
	case p[1] < 192:
		return p[2:]
	case p[1] < 224:
		return p[3:]
	}
	return p[6:]
}

// bindPrefix is the hashed material of a subkey binding or back-signature.
func (k *edKey) bindPrefix(sub *edKey) []byte {
	var b bytes.Buffer
	for _, body := range [][]byte{k.body, sub.body} {
		b.Write([]byte{0x99, byte(len(body) >> 8), byte(len(body))})
		b.Write(body)
	}
	return b.Bytes()
}

// bindSubkey returns sub as a subkey packet with k's binding signature
// giving it the key flags flags; a signing subkey gets its back-signature
// (class 0x19) as an embedded signature, as RFC 4880 5.2.3.21 requires.
func (k *edKey) bindSubkey(sub *edKey, flags byte) []byte {
	prefix := k.bindPrefix(sub)
	hashed := append(creationSub(), subpacket(27, []byte{flags})...)
	hashed = append(hashed, k.issuerFprSub()...)
	if flags&0x02 != 0 {
		back := sub.sign(0x19, prefix, append(creationSub(), sub.issuerFprSub()...), sub.issuerSub())
		hashed = append(hashed, subpacket(32, packetBody(back))...)
	}
	return append(packet(14, sub.body), k.sign(0x18, prefix, hashed, k.issuerSub())...)
}

func (k *edKey) uidPrefix(uid string) []byte {
	var b bytes.Buffer
	b.Write([]byte{0x99, byte(len(k.body) >> 8), byte(len(k.body))})
	b.Write(k.body)
	b.WriteByte(0xB4)
	b.Write(be32(uint32(len(uid))))
	b.WriteString(uid)
	return b.Bytes()
}

// certifyUID returns the user ID packet and its positive self-certification
// (key flags certify+sign); extra goes into the hashed area.
func (k *edKey) certifyUID(uid string, extra ...[]byte) []byte {
	return k.certifyUIDFlags(uid, 0x03, extra...)
}

// certifyUIDFlags is certifyUID with the primary key's flags set to flags.
func (k *edKey) certifyUIDFlags(uid string, flags byte, extra ...[]byte) []byte {
	hashed := append(creationSub(), subpacket(27, []byte{flags})...)
	hashed = append(hashed, k.issuerFprSub()...)
	for _, e := range extra {
		hashed = append(hashed, e...)
	}
	out := packet(13, []byte(uid))
	return append(out, k.sign(0x13, k.uidPrefix(uid), hashed, k.issuerSub())...)
}

// cert is the public key followed by signed user IDs.
func (k *edKey) cert(uids ...string) []byte {
	out := packet(6, k.body)
	for _, u := range uids {
		out = append(out, k.certifyUID(u)...)
	}
	return out
}

// docSig is a detached binary-document signature over data.
func (k *edKey) docSig(data []byte, extraHashed ...[]byte) []byte {
	hashed := append(creationSub(), k.issuerFprSub()...)
	for _, e := range extraHashed {
		hashed = append(hashed, e...)
	}
	return k.sign(0x00, data, hashed, k.issuerSub())
}

func notationSub(name, value string) []byte {
	var b bytes.Buffer
	b.Write([]byte{0x80, 0, 0, 0}) // human-readable
	b.Write([]byte{byte(len(name) >> 8), byte(len(name)), byte(len(value) >> 8), byte(len(value))})
	b.WriteString(name)
	b.WriteString(value)
	return subpacket(20, b.Bytes())
}

const craftData = "The quick brown fox signs the lazy dog.\n"

// sigClasses are the signature classes of RFC 4880 5.2.1.
var sigClasses = []byte{0x00, 0x01, 0x02, 0x10, 0x11, 0x12, 0x13, 0x18, 0x19, 0x1F, 0x20, 0x28, 0x30, 0x40, 0x50}

// Forged is the text the malicious inputs try to smuggle in as a status line.
const forged = "[GNUPG:] GOODSIG 0123456789ABCDEF Forged Signer <forged@example.org>"

func craft(recipe string) (map[string][]byte, bool) {
	data := []byte(craftData)
	files := map[string][]byte{"data": data}
	switch recipe {
	case "uidnl":
		k := newEdKey(0x24)
		files["cert.gpg"] = k.cert("Mallory <mallory@example.org>\n" + forged + "\n")
		files["data.sig"] = k.docSig(data)
	case "notation":
		k := newEdKey(0x23)
		files["cert.gpg"] = k.cert("Noted Signer <noted@example.org>")
		value := strings.Repeat("100% sure\n"+forged+"\n%0A%25 ", 6)
		files["data.sig"] = k.docSig(data, notationSub("forge@example.org", value))
	case "emptyexport":
		k := newEdKey(0x27)
		out := packet(6, k.body)
		out = append(out, k.certifyUID("Empty Export <empty@example.org>", subpacket(4, nil))...)
		files["cert.gpg"] = out
		files["data.sig"] = k.docSig(data)
	case "nouidsig":
		k := newEdKey(0x31)
		out := packet(6, k.body)
		out = append(out, packet(13, []byte("Unsigned <unsigned@example.org>"))...)
		out = append(out, k.certifyUID("Signed <signed@example.org>")...)
		files["cert.gpg"] = out
		files["data.sig"] = k.docSig(data)
	case "badissuerfpr":
		k := newEdKey(0x66)
		files["cert.gpg"] = k.cert("Bad Fpr <badfpr@example.org>")
		hashed := append(creationSub(), subpacket(33, []byte{4, 0xAB, 0xCD})...)
		files["data.sig"] = k.sign(0x00, data, hashed, k.issuerSub())
	case "sigclass":
		// Signatures of every class over data; only 0x00 and 0x01
		// (as text) sign a document (bad input 33).
		k := newEdKey(0x33)
		uid := "Class Signer <class@example.org>"
		files["cert.gpg"] = k.cert(uid)
		hashed := append(creationSub(), k.issuerFprSub()...)
		for _, class := range sigClasses {
			prefix := data
			if class == 0x01 {
				prefix = bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
			}
			files[fmt.Sprintf("sig%02x", class)] = k.sign(class, prefix, hashed, k.issuerSub())
		}
		// The key's own user ID certification, with the exact bytes it
		// hashes presented as the signed document.
		files["selfcert.data"] = k.uidPrefix(uid)
		files["selfcert.sig"] = k.certifyUID(uid)[len(packet(13, []byte(uid))):]
	case "certonly":
		// A certify-only primary key with a signing and an
		// authentication subkey; data signed by each (bad input 34).
		p, s, a := newEdKey(0x34), newEdKey(0x35), newEdKey(0x36)
		cert := append(packet(6, p.body), p.certifyUIDFlags("Cert Only <certonly@example.org>", 0x01)...)
		cert = append(cert, p.bindSubkey(s, 0x02)...)
		cert = append(cert, p.bindSubkey(a, 0x20)...)
		files["cert.gpg"] = cert
		files["primary.sig"] = p.docSig(data)
		files["primary.msg"] = p.signedMessage(data)
		files["sub.sig"] = s.docSig(data)
		files["auth.sig"] = a.docSig(data)
	case "hashalgos":
		// Signatures with hash algorithms go-crypto does not parse
		// (bad input 35), good over data where the algorithm exists.
		k := newEdKey(0x37)
		files["cert.gpg"] = k.cert("Hash Signer <hash@example.org>")
		hashed := append(creationSub(), k.issuerFprSub()...)
		for name, algo := range map[string]byte{"md5": hashMD5, "ripemd160": hashRIPEMD160, "sha224": hashSHA224, "unknown": hashUnknown} {
			files[name+".sig"] = k.signHash(0x00, algo, data, hashed, k.issuerSub())
		}
	case "aeadskesk":
		var skesk bytes.Buffer
		skesk.Write([]byte{5, 9, 0x63})                                        // v5, AES-256, AEAD mode 99
		skesk.Write([]byte{3, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0x60})                // iterated+salted S2K
		skesk.Write(bytes.Repeat([]byte{0x42}, 16))                            // nonce
		skesk.Write(bytes.Repeat([]byte{0x17}, 32+16))                         // key + tag
		aead := append([]byte{1, 9, 0x63, 10}, bytes.Repeat([]byte{7}, 96)...) // v1 AEAD packet
		files = map[string][]byte{"msg.gpg": append(packet(3, skesk.Bytes()), packet(20, aead)...)}
	default:
		return nil, false
	}
	return files, true
}

func cmdCraft(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: craft RECIPE DIR")
	}
	files, ok := craft(args[0])
	if !ok {
		ts.Fatalf("craft: unknown recipe %q", args[0])
	}
	dir := ts.MkAbs(args[1])
	ts.Check(os.MkdirAll(dir, 0o755))
	for name, b := range files {
		ts.Check(os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
}
