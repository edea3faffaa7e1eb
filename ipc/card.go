package ipc

// CardOp is what a CardRequest asks cardhelper to do.
type CardOp uint8

const (
	// CardOpStatus reads the card's data objects (no PIN).
	CardOpStatus CardOp = 1
	// CardOpSign is PSO:COMPUTE DIGITAL SIGNATURE with PW1 81 over Data:
	// a DigestInfo for an RSA key, the raw hash for ECDSA and EdDSA.
	CardOpSign CardOp = 2
	// CardOpDecipher is PSO:DECIPHER with PW1 82: Data is the RSA
	// ciphertext, or the ephemeral ECDH point (X25519 without the 0x40
	// prefix); the answer is the plaintext or the shared secret.
	CardOpDecipher CardOp = 3
)

// CardRequest is cardhelper's only request: one card operation inside one
// PC/SC transaction (see card/openpgp.Run). front asks for the PIN before
// it starts cardhelper; cardhelper never prompts.
type CardRequest struct {
	Op CardOp
	// Serial selects the card by the serial in its AID (8 hex digits as
	// gpg prints it); "" takes the first OpenPGP card found.
	Serial string
	PIN    []byte // empty for CardOpStatus
	Data   []byte // the operation's input; empty for CardOpStatus
}

// CardKey is one key slot of the card (signature, decryption,
// authentication, in that order).
type CardKey struct {
	Attributes    []byte // C1–C3 as the card has them
	Fingerprint   []byte // 20 bytes, all zero if the slot is empty
	CAFingerprint []byte // 20 bytes, all zero if unset
	Created       uint32 // unix time, 0 if unset
	// Public is the slot's public key as the card returns it: RSA
	// modulus and exponent, or the ECC point; empty if no key.
	Public [][]byte
}

// CardStatus answers CardOpStatus with the card's data objects, parsed and
// checked by cardhelper.
type CardStatus struct {
	Reader       string
	AID          []byte // 16 bytes
	Name         string // "Surname<<Given" as stored
	Lang         string
	Sex          uint8 // ISO 5218 as a digit character, 0 if not stored
	URL          string
	Login        string
	SigCounter   uint32
	PW1Multiple  bool     // PW1 81 stays valid for several signatures
	PINMaxLen    [3]uint8 // PW1, RC, PW3
	PINTries     [3]uint8
	Keys         [3]CardKey
	ExtendedAPDU bool
}

// CardOutput answers CardOpSign and CardOpDecipher: the card's response
// data (signature, plaintext or shared secret).
type CardOutput struct{ Data []byte }

// Card limits. An OpenPGP card DO is at most a few hundred bytes; RSA 4096
// ciphertexts are 512 bytes.
const (
	MaxCardSerial = 8
	MaxCardPIN    = 127 // C4 stores PIN lengths in one byte; 127 is the spec's maximum
	MaxCardData   = 1 * kib
	maxCardText   = 512 // name, language, URL, login, reader name
	maxCardAttrs  = 32
	maxCardAID    = 16
	maxCardPublic = 1 * kib // an RSA 4096 modulus is 512 bytes
	maxCardCert   = 1 * mib // one certificate of a CardStubsRequest
)

// cardhelper's failures (wrong PIN: ErrCodeBadPassphrase).
const (
	ErrCodeNoCard     ErrorCode = 18 // no pcscd, no reader, no OpenPGP card (with the serial)
	ErrCodeCardBusy   ErrorCode = 19 // another program holds the reader exclusively
	ErrCodePINBlocked ErrorCode = 20 // the retry counter is 0; no VERIFY was sent
	ErrCodeCardError  ErrorCode = 21 // the card refused the operation or was removed
)

func (*CardRequest) Type() MsgType { return TypeCardRequest }
func (*CardStatus) Type() MsgType  { return TypeResult }
func (*CardOutput) Type() MsgType  { return TypeResult }

func (m *CardRequest) encode(e *encoder) {
	e.uint(uint64(m.Op))
	e.string(m.Serial)
	e.bytes(m.PIN)
	e.bytes(m.Data)
}

func (m *CardRequest) decode(d *decoder) {
	m.Op = CardOp(d.uint8())
	if m.Op < CardOpStatus || m.Op > CardOpDecipher {
		d.err = ErrMalformed
	}
	m.Serial = d.string(MaxCardSerial)
	m.PIN = d.bytes(MaxCardPIN)
	m.Data = d.bytes(MaxCardData)
}

func (m *CardStatus) encode(e *encoder) {
	e.string(m.Reader)
	e.bytes(m.AID)
	e.string(m.Name)
	e.string(m.Lang)
	e.uint(uint64(m.Sex))
	e.string(m.URL)
	e.string(m.Login)
	e.uint(uint64(m.SigCounter))
	e.bool(m.PW1Multiple)
	for i := range 3 {
		e.uint(uint64(m.PINMaxLen[i]))
		e.uint(uint64(m.PINTries[i]))
	}
	for _, k := range m.Keys {
		e.bytes(k.Attributes)
		e.bytes(k.Fingerprint)
		e.bytes(k.CAFingerprint)
		e.uint(uint64(k.Created))
		e.uint(uint64(len(k.Public)))
		for _, p := range k.Public {
			e.bytes(p)
		}
	}
	e.bool(m.ExtendedAPDU)
}

func (m *CardStatus) decode(d *decoder) {
	m.Reader = d.string(maxCardText)
	m.AID = d.bytes(maxCardAID)
	m.Name = d.string(maxCardText)
	m.Lang = d.string(maxCardText)
	m.Sex = d.uint8()
	m.URL = d.string(maxCardText)
	m.Login = d.string(maxCardText)
	m.SigCounter = d.uint32()
	m.PW1Multiple = d.bool()
	for i := range 3 {
		m.PINMaxLen[i] = d.uint8()
		m.PINTries[i] = d.uint8()
	}
	for i := range m.Keys {
		m.Keys[i].Attributes = d.bytes(maxCardAttrs)
		m.Keys[i].Fingerprint = d.bytes(maxFingerprint)
		m.Keys[i].CAFingerprint = d.bytes(maxFingerprint)
		m.Keys[i].Created = d.uint32()
		m.Keys[i].Public = make([][]byte, d.count(2))
		for j := range m.Keys[i].Public {
			m.Keys[i].Public[j] = d.bytes(maxCardPublic)
		}
	}
	m.ExtendedAPDU = d.bool()
}

func (m *CardOutput) encode(e *encoder) { e.bytes(m.Data) }
func (m *CardOutput) decode(d *decoder) { m.Data = d.bytes(MaxCardData) }

// CardStubsRequest asks keyhelper (write mode) to record that the keys
// OnCard are held by the card with AID: each certificate in Certs (binary
// transferable public keys, the ones holding those keys) gets secret-store
// stubs in gpg's divert-to-card form. A key whose real secret is stored
// keeps it. front sends it after --card-status read the card.
type CardStubsRequest struct {
	AID    []byte   // the card's 16-byte AID: gpg's serial number
	Certs  [][]byte // one transferable public key each
	OnCard [][]byte // fingerprints (at most the card's three)
}

// CardStubsResult is the new secret listing.
type CardStubsResult struct{ Listing []SecretEntry }

func (*CardStubsRequest) Type() MsgType { return TypeCardStubs }
func (*CardStubsResult) Type() MsgType  { return TypeResult }

func (m *CardStubsRequest) encode(e *encoder) {
	e.bytes(m.AID)
	e.uint(uint64(len(m.Certs)))
	for _, c := range m.Certs {
		e.bytes(c)
	}
	e.uint(uint64(len(m.OnCard)))
	for _, f := range m.OnCard {
		e.bytes(f)
	}
}

func (m *CardStubsRequest) decode(d *decoder) {
	m.AID = d.bytes(maxCardAID)
	m.Certs = make([][]byte, d.count(3))
	for i := range m.Certs {
		m.Certs[i] = d.bytes(maxCardCert)
	}
	m.OnCard = make([][]byte, d.count(3))
	for i := range m.OnCard {
		m.OnCard[i] = d.bytes(maxFingerprint)
	}
}

func (m *CardStubsResult) encode(e *encoder) { encodeListing(e, m.Listing) }
func (m *CardStubsResult) decode(d *decoder) { m.Listing = decodeListing(d) }
