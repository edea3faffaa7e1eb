package ipc

import "fmt"

// Message is one typed frame payload.
type Message interface {
	Type() MsgType
	encode(e *encoder)
	decode(d *decoder)
}

// Field limits. They bound what a helper will ever hold for one field.
const (
	maxFingerprint = 32
	maxText        = 2 * kib
	maxUserID      = 2 * kib
	maxHashState   = 1 * kib
	maxPacket      = 60 * kib
	maxKeyList     = 4096
	maxSerialText  = 64 // a card serial number in hex (an OpenPGP AID is 32)
	maxBlob        = 32*mib - 64
)

// SignRequest asks for a signature over a hash front computed. front
// streams the data into the hash; the helper only finishes it, so it never
// sees the data and front never sees the secret key.
type SignRequest struct {
	KeyFingerprint []byte // primary or subkey that signs
	SigType        uint8
	HashAlgo       uint8 // OpenPGP hash algorithm id
	Created        int64 // signature creation time (unix)
	HashState      []byte
	Salt           []byte // v6 signatures only; already hashed by front
	// PrimaryFingerprint names the certificate KeyFingerprint belongs to,
	// if known: a hint of which key file to read first, never trusted
	// (keyhelper still finds KeyFingerprint in what it reads).
	PrimaryFingerprint []byte
}

// SignResult carries the serialized signature packet.
type SignResult struct{ Signature []byte }

// DecryptRequest asks to decrypt one PKESK packet (header included).
type DecryptRequest struct {
	KeyFingerprint     []byte
	PKESK              []byte
	PrimaryFingerprint []byte // as in SignRequest
}

// DecryptResult is the session key. Cipher is 0 for v6 PKESKs, whose cipher
// comes from the encrypted data packet.
type DecryptResult struct {
	Cipher     uint8
	SessionKey []byte
}

// KeySpec describes one key to generate: Algo is gpg's name ("ed25519",
// "cv25519", "rsa3072", "nistp256", …) and Usage a subset of "sign,cert,encr,auth".
type KeySpec struct {
	Algo       string
	Usage      string
	ExpireSecs int64 // 0: never
}

// GenerateRequest creates a new key with one user ID.
type GenerateRequest struct {
	UserID       string
	Primary      KeySpec
	Subkeys      []KeySpec
	Created      int64
	V6           bool
	NoProtection bool // %no-protection: store unencrypted without asking
}

// GenerateResult returns the public certificate and the new secret listing.
type GenerateResult struct {
	Public  []byte
	Listing []SecretEntry
}

// ImportRequest carries binary transferable secret keys.
type ImportRequest struct{ Data []byte }

// ImportedKey reports one secret key of an import.
type ImportedKey struct {
	Fingerprint []byte // primary
	New         bool   // false: it was already present (gpg's "secret key already imported")
}

// ImportResult returns the public parts of what was read.
type ImportResult struct {
	Public  []byte
	Keys    []ImportedKey
	Listing []SecretEntry
}

// ExportRequest names primary fingerprints to export as stored (still protected).
type ExportRequest struct {
	Fingerprints [][]byte
	SubkeysOnly  bool // primary secret replaced by a gnu-dummy stub
}

// ExportResult is binary transferable secret keys.
type ExportResult struct{ Data []byte }

// DeleteRequest removes the secret key with this primary fingerprint.
type DeleteRequest struct{ Fingerprint []byte }

// DeleteResult is the new secret listing.
type DeleteResult struct{ Listing []SecretEntry }

// ListRequest asks which secret keys exist.
type ListRequest struct{}

// ListResult answers a ListRequest.
type ListResult struct{ Listing []SecretEntry }

// CertifyRequest asks for key signatures (certifications, bindings,
// revocations) made with the primary key of Signer. The helper hashes the
// packets itself and checks each item's class and subpackets against a
// closed set, so it never signs a digest it has not composed.
type CertifyRequest struct {
	Signer     []byte // primary fingerprint of an own key
	PrimaryKey []byte // framed public key packet the signatures are about
	Items      []CertifyItem
}

// CertifyItem is one signature to make.
type CertifyItem struct {
	Class     uint8
	Component []byte // framed user ID, attribute or subkey packet; empty: the primary key alone
	Hashed    []byte // the exact hashed subpacket area
}

// CertifyResult holds one framed signature packet per item, in order.
type CertifyResult struct{ Signatures [][]byte }

// AddSubkeyRequest makes a new subkey for an own key; it is protected with
// the primary key's passphrase, as gpg-agent does.
type AddSubkeyRequest struct {
	Primary []byte
	Key     KeySpec
	Created int64
}

// AddSubkeyResult is the public subkey packet and its binding signature.
type AddSubkeyResult struct {
	Public  []byte
	Listing []SecretEntry
}

// PasswdRequest changes the passphrase of an own key and all its subkeys.
type PasswdRequest struct{ Primary []byte }

// PasswdResult is the new secret listing.
type PasswdResult struct{ Listing []SecretEntry }

// SecretEntry is public metadata about one stored secret (sub)key.
type SecretEntry struct {
	Fingerprint []byte // this key
	Primary     []byte // its primary key
	Protected   bool
	Stub        bool // no secret material (gnu-dummy or on a card)
	// CardSerial is the serial number of the card holding this key, as
	// gpg-agent records it in a shadowed key: for an OpenPGP card the AID
	// in upper-case hex (32 digits, "D2760001240103040005000012340000");
	// "" if the key is not on a card. A card key is a Stub too: the store
	// has no secret for it.
	CardSerial string
}

// InquiryKind says what the helper asks for.
type InquiryKind uint8

const (
	InquirePassphrase    InquiryKind = 1 // unlock an existing key
	InquireNewPassphrase InquiryKind = 2 // protect a new key
)

// Inquiry asks front for a secret. The helper composes Prompt itself.
type Inquiry struct {
	Kind           InquiryKind
	KeyFingerprint []byte
	UserIDHint     string
	Prompt         string
	Attempt        uint8 // 1 for the first try
}

// InquiryAnswer answers an Inquiry.
type InquiryAnswer struct{ Passphrase []byte }

// InquiryCancel declines an Inquiry; the helper ends with ErrCodeCanceled.
type InquiryCancel struct{}

// ErrorCode is a structured failure, mapped by front to gpg's status lines
// and exit codes. Messages never contain secrets.
type ErrorCode uint16

const (
	ErrCodeInternal      ErrorCode = 1
	ErrCodeBadRequest    ErrorCode = 2
	ErrCodeNoSecretKey   ErrorCode = 3
	ErrCodeBadPassphrase ErrorCode = 4
	ErrCodeCanceled      ErrorCode = 5
	ErrCodeUnsupported   ErrorCode = 6
	ErrCodeBadData       ErrorCode = 7
	ErrCodeNotPermitted  ErrorCode = 8 // request outside the helper's mode

	// nethelper's failures (see FetchRequest).
	ErrCodeHostNotFound  ErrorCode = 9  // NXDOMAIN or no address for a host
	ErrCodeResolveFailed ErrorCode = 10 // name resolution failed otherwise (SERVFAIL, no DNS server reachable)
	ErrCodeConnect       ErrorCode = 11 // connection refused, unreachable, reset, or not allowed by the sandbox
	ErrCodeTimeout       ErrorCode = 12 // the request's overall deadline passed
	ErrCodeTLS           ErrorCode = 13 // TLS handshake or certificate verification failed
	ErrCodeTooLarge      ErrorCode = 14 // the body exceeds FetchRequest.MaxBytes
	ErrCodeRedirect      ErrorCode = 15 // a redirect was refused (to http, too many, 303/308, other 3xx)
	ErrCodeUnauthorized  ErrorCode = 16 // the server answered 401; never answered with credentials
	ErrCodeBadResponse   ErrorCode = 17 // the server's answer is not valid HTTP
)

// Error is the final frame of a failed session.
type Error struct {
	Code    ErrorCode
	Message string
}

func (e *Error) Error() string { return e.Message }

func (*SignRequest) Type() MsgType      { return TypeSignRequest }
func (*DecryptRequest) Type() MsgType   { return TypeDecryptRequest }
func (*GenerateRequest) Type() MsgType  { return TypeGenerateRequest }
func (*ImportRequest) Type() MsgType    { return TypeImportRequest }
func (*ExportRequest) Type() MsgType    { return TypeExportRequest }
func (*DeleteRequest) Type() MsgType    { return TypeDeleteRequest }
func (*ListRequest) Type() MsgType      { return TypeListRequest }
func (*CertifyRequest) Type() MsgType   { return TypeCertifyRequest }
func (*AddSubkeyRequest) Type() MsgType { return TypeAddSubkey }
func (*PasswdRequest) Type() MsgType    { return TypePasswdRequest }
func (*Inquiry) Type() MsgType          { return TypeInquiry }
func (*InquiryAnswer) Type() MsgType    { return TypeInquiryAnswer }
func (*InquiryCancel) Type() MsgType    { return TypeInquiryCancel }
func (*Error) Type() MsgType            { return TypeError }

// Results share one frame type; the request type says which result to expect.
func (*SignResult) Type() MsgType      { return TypeResult }
func (*DecryptResult) Type() MsgType   { return TypeResult }
func (*GenerateResult) Type() MsgType  { return TypeResult }
func (*ImportResult) Type() MsgType    { return TypeResult }
func (*ExportResult) Type() MsgType    { return TypeResult }
func (*DeleteResult) Type() MsgType    { return TypeResult }
func (*ListResult) Type() MsgType      { return TypeResult }
func (*CertifyResult) Type() MsgType   { return TypeResult }
func (*AddSubkeyResult) Type() MsgType { return TypeResult }
func (*PasswdResult) Type() MsgType    { return TypeResult }

func (m *SignRequest) encode(e *encoder) {
	e.bytes(m.KeyFingerprint)
	e.uint(uint64(m.SigType))
	e.uint(uint64(m.HashAlgo))
	e.uint(uint64(m.Created))
	e.bytes(m.HashState)
	e.bytes(m.Salt)
	e.bytes(m.PrimaryFingerprint)
}
func (m *SignRequest) decode(d *decoder) {
	m.KeyFingerprint = d.bytes(maxFingerprint)
	m.SigType = d.uint8()
	m.HashAlgo = d.uint8()
	m.Created = d.int63()
	m.HashState = d.bytes(maxHashState)
	m.Salt = d.bytes(64)
	m.PrimaryFingerprint = d.bytes(maxFingerprint)
}

func (m *SignResult) encode(e *encoder) { e.bytes(m.Signature) }
func (m *SignResult) decode(d *decoder) { m.Signature = d.bytes(maxPacket) }

func (m *DecryptRequest) encode(e *encoder) {
	e.bytes(m.KeyFingerprint)
	e.bytes(m.PKESK)
	e.bytes(m.PrimaryFingerprint)
}
func (m *DecryptRequest) decode(d *decoder) {
	m.KeyFingerprint = d.bytes(maxFingerprint)
	m.PKESK = d.bytes(maxPacket)
	m.PrimaryFingerprint = d.bytes(maxFingerprint)
}

func (m *DecryptResult) encode(e *encoder) { e.uint(uint64(m.Cipher)); e.bytes(m.SessionKey) }
func (m *DecryptResult) decode(d *decoder) {
	m.Cipher = d.uint8()
	m.SessionKey = d.bytes(64)
}

func (k *KeySpec) encode(e *encoder) {
	e.string(k.Algo)
	e.string(k.Usage)
	e.uint(uint64(k.ExpireSecs))
}
func (k *KeySpec) decode(d *decoder) {
	k.Algo = d.string(32)
	k.Usage = d.string(64)
	k.ExpireSecs = d.int63()
}

func (m *GenerateRequest) encode(e *encoder) {
	e.string(m.UserID)
	m.Primary.encode(e)
	e.uint(uint64(len(m.Subkeys)))
	for i := range m.Subkeys {
		m.Subkeys[i].encode(e)
	}
	e.uint(uint64(m.Created))
	e.bool(m.V6)
	e.bool(m.NoProtection)
}
func (m *GenerateRequest) decode(d *decoder) {
	m.UserID = d.string(maxUserID)
	m.Primary.decode(d)
	m.Subkeys = make([]KeySpec, d.count(8))
	for i := range m.Subkeys {
		m.Subkeys[i].decode(d)
	}
	m.Created = d.int63()
	m.V6 = d.bool()
	m.NoProtection = d.bool()
}

func encodeListing(e *encoder, l []SecretEntry) {
	e.uint(uint64(len(l)))
	for _, s := range l {
		e.bytes(s.Fingerprint)
		e.bytes(s.Primary)
		e.bool(s.Protected)
		e.bool(s.Stub)
		e.string(s.CardSerial)
	}
}
func decodeListing(d *decoder) []SecretEntry {
	l := make([]SecretEntry, d.count(maxKeyList))
	for i := range l {
		l[i].Fingerprint = d.bytes(maxFingerprint)
		l[i].Primary = d.bytes(maxFingerprint)
		l[i].Protected = d.bool()
		l[i].Stub = d.bool()
		l[i].CardSerial = d.string(maxSerialText)
	}
	return l
}

func (m *GenerateResult) encode(e *encoder) { e.bytes(m.Public); encodeListing(e, m.Listing) }
func (m *GenerateResult) decode(d *decoder) {
	m.Public = d.bytes(maxBlob)
	m.Listing = decodeListing(d)
}

func (m *ImportRequest) encode(e *encoder) { e.bytes(m.Data) }
func (m *ImportRequest) decode(d *decoder) { m.Data = d.bytes(maxBlob) }

func (m *ImportResult) encode(e *encoder) {
	e.bytes(m.Public)
	e.uint(uint64(len(m.Keys)))
	for _, k := range m.Keys {
		e.bytes(k.Fingerprint)
		e.bool(k.New)
	}
	encodeListing(e, m.Listing)
}
func (m *ImportResult) decode(d *decoder) {
	m.Public = d.bytes(maxBlob)
	m.Keys = make([]ImportedKey, d.count(maxKeyList))
	for i := range m.Keys {
		m.Keys[i].Fingerprint = d.bytes(maxFingerprint)
		m.Keys[i].New = d.bool()
	}
	m.Listing = decodeListing(d)
}

func (m *ExportRequest) encode(e *encoder) {
	e.uint(uint64(len(m.Fingerprints)))
	for _, f := range m.Fingerprints {
		e.bytes(f)
	}
	e.bool(m.SubkeysOnly)
}
func (m *ExportRequest) decode(d *decoder) {
	m.Fingerprints = make([][]byte, d.count(maxKeyList))
	for i := range m.Fingerprints {
		m.Fingerprints[i] = d.bytes(maxFingerprint)
	}
	m.SubkeysOnly = d.bool()
}

func (m *ExportResult) encode(e *encoder) { e.bytes(m.Data) }
func (m *ExportResult) decode(d *decoder) { m.Data = d.bytes(maxBlob) }

func (m *DeleteRequest) encode(e *encoder) { e.bytes(m.Fingerprint) }
func (m *DeleteRequest) decode(d *decoder) { m.Fingerprint = d.bytes(maxFingerprint) }

func (m *DeleteResult) encode(e *encoder) { encodeListing(e, m.Listing) }
func (m *DeleteResult) decode(d *decoder) { m.Listing = decodeListing(d) }

func (*ListRequest) encode(*encoder) {}
func (*ListRequest) decode(*decoder) {}

func (m *ListResult) encode(e *encoder) { encodeListing(e, m.Listing) }
func (m *ListResult) decode(d *decoder) { m.Listing = decodeListing(d) }

// maxCertifyItems bounds one certification request (a key's user IDs).
const maxCertifyItems = 512

func (m *CertifyRequest) encode(e *encoder) {
	e.bytes(m.Signer)
	e.bytes(m.PrimaryKey)
	e.uint(uint64(len(m.Items)))
	for _, it := range m.Items {
		e.uint(uint64(it.Class))
		e.bytes(it.Component)
		e.bytes(it.Hashed)
	}
}
func (m *CertifyRequest) decode(d *decoder) {
	m.Signer = d.bytes(maxFingerprint)
	m.PrimaryKey = d.bytes(maxPacket)
	m.Items = make([]CertifyItem, d.count(maxCertifyItems))
	for i := range m.Items {
		m.Items[i].Class = d.uint8()
		m.Items[i].Component = d.bytes(maxPacket)
		m.Items[i].Hashed = d.bytes(0xffff)
	}
}

func (m *CertifyResult) encode(e *encoder) {
	e.uint(uint64(len(m.Signatures)))
	for _, s := range m.Signatures {
		e.bytes(s)
	}
}
func (m *CertifyResult) decode(d *decoder) {
	m.Signatures = make([][]byte, d.count(maxCertifyItems))
	for i := range m.Signatures {
		m.Signatures[i] = d.bytes(maxPacket)
	}
}

func (m *AddSubkeyRequest) encode(e *encoder) {
	e.bytes(m.Primary)
	m.Key.encode(e)
	e.uint(uint64(m.Created))
}
func (m *AddSubkeyRequest) decode(d *decoder) {
	m.Primary = d.bytes(maxFingerprint)
	m.Key.decode(d)
	m.Created = d.int63()
}

func (m *AddSubkeyResult) encode(e *encoder) { e.bytes(m.Public); encodeListing(e, m.Listing) }
func (m *AddSubkeyResult) decode(d *decoder) {
	m.Public = d.bytes(2 * maxPacket)
	m.Listing = decodeListing(d)
}

func (m *PasswdRequest) encode(e *encoder) { e.bytes(m.Primary) }
func (m *PasswdRequest) decode(d *decoder) { m.Primary = d.bytes(maxFingerprint) }

func (m *PasswdResult) encode(e *encoder) { encodeListing(e, m.Listing) }
func (m *PasswdResult) decode(d *decoder) { m.Listing = decodeListing(d) }

func (m *Inquiry) encode(e *encoder) {
	e.uint(uint64(m.Kind))
	e.bytes(m.KeyFingerprint)
	e.string(m.UserIDHint)
	e.string(m.Prompt)
	e.uint(uint64(m.Attempt))
}
func (m *Inquiry) decode(d *decoder) {
	m.Kind = InquiryKind(d.uint8())
	m.KeyFingerprint = d.bytes(maxFingerprint)
	m.UserIDHint = d.string(maxUserID)
	m.Prompt = d.string(maxText)
	m.Attempt = d.uint8()
	if m.Kind != InquirePassphrase && m.Kind != InquireNewPassphrase {
		d.err = ErrMalformed
	}
}

func (m *InquiryAnswer) encode(e *encoder) { e.bytes(m.Passphrase) }
func (m *InquiryAnswer) decode(d *decoder) { m.Passphrase = d.bytes(1 * kib) }

func (*InquiryCancel) encode(*encoder) {}
func (*InquiryCancel) decode(*decoder) {}

func (m *Error) encode(e *encoder) { e.uint(uint64(m.Code)); e.string(m.Message) }
func (m *Error) decode(d *decoder) {
	m.Code = ErrorCode(d.uint16())
	m.Message = d.string(maxText)
}

// int63 reads a non-negative int64 (times and durations).
func (d *decoder) int63() int64 {
	v := d.uint()
	if v > 1<<63-1 {
		d.err = ErrMalformed
	}
	return int64(v)
}

// bounded reads an integer that must not exceed max.
func (d *decoder) bounded(max uint64) uint64 {
	v := d.uint()
	if v > max {
		d.err = ErrMalformed
	}
	return v
}

func (d *decoder) uint8() uint8   { return uint8(d.bounded(0xff)) }
func (d *decoder) uint16() uint16 { return uint16(d.bounded(0xffff)) }
func (d *decoder) uint32() uint32 { return uint32(d.bounded(0xffffffff)) }

// Marshal encodes m's payload.
func Marshal(m Message) []byte {
	var e encoder
	m.encode(&e)
	return e.b
}

// Unmarshal decodes payload into m, which must match the frame type.
func Unmarshal(t MsgType, payload []byte, m Message) error {
	if m.Type() != t {
		return fmt.Errorf("ipc: got frame type %#x, want %#x", uint16(t), uint16(m.Type()))
	}
	d := decoder{b: payload}
	m.decode(&d)
	return d.done()
}

// Write sends m as one frame.
// The encoding (it may hold a PIN or a passphrase) is wiped once sent.
func (c *Conn) Write(m Message) error {
	b := Marshal(m)
	defer clear(b)
	return c.Send(m.Type(), b)
}
