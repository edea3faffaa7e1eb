package interop

// Hand-made OpenPGP inputs that gpg refuses to produce (a user ID with a line
// break, a notation with a line feed) or that exercise known parser crashes.
// Written from RFC 4880 with the standard library only (ed25519 + SHA-256),
// so the bytes are exactly what the test says and nothing normalises them.
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

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
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
	var tr bytes.Buffer
	tr.Write([]byte{4, sigType, 22, 8, byte(len(hashed) >> 8), byte(len(hashed))})
	tr.Write(hashed)
	h := sha256.New()
	h.Write(prefix)
	h.Write(tr.Bytes())
	h.Write([]byte{4, 0xFF})
	h.Write(be32(uint32(tr.Len())))
	digest := h.Sum(nil)
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
	hashed := append(creationSub(), subpacket(27, []byte{0x03})...)
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
