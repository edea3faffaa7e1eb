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

	// The administration of --card-edit and --change-pin. Each one is a
	// single transaction; a blocked PIN gets no command (ErrCodePINBlocked).

	// CardOpCheckPIN is VERIFY of PIN against Ref (0x82 PW1, 0x83 PW3),
	// then reset: gpg's "verify" (and "admin verify").
	CardOpCheckPIN CardOp = 4
	// CardOpPutData writes DOs (PUT DATA each, in order) with PIN as PW3.
	CardOpPutData CardOp = 5
	// CardOpChangePIN is CHANGE REFERENCE DATA of Ref (0x81 PW1, 0x83
	// PW3): PIN is the old one, NewPIN the new one.
	CardOpChangePIN CardOp = 6
	// CardOpUnblockPIN sets PW1 to NewPIN and resets its counter after
	// VERIFY of PIN as PW3 (RESET RETRY COUNTER P1=02).
	CardOpUnblockPIN CardOp = 7
	// CardOpResetWithCode sets PW1 to NewPIN with PIN as the resetting
	// code (RESET RETRY COUNTER P1=00).
	CardOpResetWithCode CardOp = 8
	// CardOpSetResetCode writes NewPIN as the resetting code (D3) after
	// VERIFY of PIN as PW3.
	CardOpSetResetCode CardOp = 9
	// CardOpGenerate generates a key pair in Slot (0 signature, 1
	// decryption, 2 authentication) after VERIFY of PIN as PW3; the
	// answer is CardPublic. Fingerprint and time are written afterwards
	// with CardOpPutData, once front has built the key packet.
	CardOpGenerate CardOp = 10
	// CardOpImportKey is keytocard: cardhelper reads the secret key from
	// its key pipe (KeyPipeFD, written by keyhelper's KeyToCardRequest;
	// front never reads it), imports it into Slot with PUT DATA 3FFF and
	// writes DOs (the slot's fingerprint and creation time), all in one
	// transaction after VERIFY of PIN as PW3.
	CardOpImportKey CardOp = 11

	maxCardOp = CardOpImportKey
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
	Ref    uint8  // the PIN of CardOpCheckPIN and CardOpChangePIN
	NewPIN []byte // the new PIN or resetting code
	Slot   uint8  // CardOpGenerate's key slot
	DOs    []CardDO
}

// CardDO is one data object for PUT DATA; cardhelper writes only the
// closed set card/openpgp.CheckAdminDO admits.
type CardDO struct {
	Tag   uint16
	Value []byte
}

// CardPublic answers CardOpGenerate: the new key as the card returns it
// (RSA modulus and exponent, or the ECC point).
type CardPublic struct{ Public [][]byte }

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
	// AttrsChangeable: the card lets PUT DATA change the algorithm
	// attributes (extended capabilities, C0).
	AttrsChangeable bool
	// KeyImport: the card announces key import (C0).
	KeyImport bool
}

// CardInquiry is cardhelper's question for the user PIN of a CardOpSign
// or CardOpDecipher request that came without one: the state of the card
// it found, read in a short transaction of its own (AID, holder,
// signature counter, PIN tries, fingerprints; no public keys, URL or
// login), so that front checks the card and composes the prompt from it.
// front answers with InquiryAnswer or InquiryCancel; the helper then sends
// VERIFY and the operation in one new transaction, on the same card only.
// One helper process per operation instead of two (status, then the
// operation) is what makes card signing cheap.
type CardInquiry struct{ Status CardStatus }

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
	// MaxCardDOs bounds one PUT DATA request: generate writes a
	// fingerprint and a time for three slots.
	MaxCardDOs  = 8
	maxCardCert = 1 * mib // one certificate of a CardStubsRequest
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
func (*CardPublic) Type() MsgType  { return TypeResult }
func (*CardInquiry) Type() MsgType { return TypeCardInquiry }

func (m *CardInquiry) encode(e *encoder) { m.Status.encode(e) }
func (m *CardInquiry) decode(d *decoder) {
	m.Status.decode(d)
	for _, k := range m.Status.Keys {
		if len(k.Public) != 0 {
			d.err = ErrMalformed // the question carries no public key
		}
	}
}

func (m *CardRequest) encode(e *encoder) {
	e.uint(uint64(m.Op))
	e.string(m.Serial)
	e.bytes(m.PIN)
	e.bytes(m.Data)
	e.uint(uint64(m.Ref))
	e.bytes(m.NewPIN)
	e.uint(uint64(m.Slot))
	e.uint(uint64(len(m.DOs)))
	for _, o := range m.DOs {
		e.uint(uint64(o.Tag))
		e.bytes(o.Value)
	}
}

func (m *CardRequest) decode(d *decoder) {
	m.Op = CardOp(d.uint8())
	if m.Op < CardOpStatus || m.Op > maxCardOp {
		d.err = ErrMalformed
	}
	m.Serial = d.string(MaxCardSerial)
	m.PIN = d.bytes(MaxCardPIN)
	m.Data = d.bytes(MaxCardData)
	m.Ref = d.uint8()
	m.NewPIN = d.bytes(MaxCardPIN)
	m.Slot = d.uint8()
	m.DOs = make([]CardDO, d.count(MaxCardDOs))
	for i := range m.DOs {
		m.DOs[i].Tag = d.uint16()
		m.DOs[i].Value = d.bytes(maxCardText)
	}
	if d.err == nil && !m.wellFormed() {
		d.err = ErrMalformed
	}
}

// wellFormed checks the fields each operation needs and admits: the PIN
// reference, the slot, a new PIN, DOs only where they belong.
func (m *CardRequest) wellFormed() bool {
	refOK := m.Ref == 0
	needNew := false
	switch m.Op {
	case CardOpCheckPIN:
		refOK = m.Ref == 0x82 || m.Ref == 0x83
	case CardOpChangePIN:
		refOK = m.Ref == 0x81 || m.Ref == 0x83
		needNew = true
	case CardOpUnblockPIN, CardOpResetWithCode, CardOpSetResetCode:
		needNew = true
	}
	switch {
	case !refOK, needNew != (len(m.NewPIN) > 0), m.Slot > 2, m.Slot != 0 && m.Op != CardOpGenerate && m.Op != CardOpImportKey:
		return false
	case m.Op == CardOpImportKey:
		// exactly the slot's fingerprint and creation time
		return len(m.DOs) == 2 && m.DOs[0].Tag == 0xC7+uint16(m.Slot) && m.DOs[1].Tag == 0xCE+uint16(m.Slot)
	case (m.Op == CardOpPutData) != (len(m.DOs) > 0):
		return false
	}
	return true
}

// KeyPipeFD is the descriptor number of the key pipe in keyhelper (write
// end) and cardhelper (read end) for keytocard: front creates the pipe,
// passes one end to each helper at its start and closes both in itself.
const KeyPipeFD = 3

// KeyToCardRequest asks keyhelper (read mode) to unlock the secret (sub)key
// Fingerprint and write it to its key pipe (KeyPipeFD) in card/cardkey's
// format, for cardhelper's CardOpImportKey. Only the public key packets
// are front's business; the secret goes to the pipe only.
type KeyToCardRequest struct{ Fingerprint []byte }

// KeyToCardResult says the key was written to the pipe and closed.
type KeyToCardResult struct{}

func (*KeyToCardRequest) Type() MsgType { return TypeKeyToCard }
func (*KeyToCardResult) Type() MsgType  { return TypeResult }

func (m *KeyToCardRequest) encode(e *encoder) { e.bytes(m.Fingerprint) }
func (m *KeyToCardRequest) decode(d *decoder) { m.Fingerprint = d.bytes(maxFingerprint) }
func (*KeyToCardResult) encode(*encoder)      {}
func (*KeyToCardResult) decode(*decoder)      {}

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
	e.bool(m.AttrsChangeable)
	e.bool(m.KeyImport)
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
	m.AttrsChangeable = d.bool()
	m.KeyImport = d.bool()
}

func (m *CardPublic) encode(e *encoder) {
	e.uint(uint64(len(m.Public)))
	for _, p := range m.Public {
		e.bytes(p)
	}
}

func (m *CardPublic) decode(d *decoder) {
	m.Public = make([][]byte, d.count(2))
	for i := range m.Public {
		m.Public[i] = d.bytes(maxCardPublic)
	}
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
	// Replace: a stored real secret of a key OnCard becomes the stub too
	// (keytocard's save, as gpg's LEARN --force); else it is kept.
	Replace bool
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
	e.bool(m.Replace)
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
	m.Replace = d.bool()
}

func (m *CardStubsResult) encode(e *encoder) { encodeListing(e, m.Listing) }
func (m *CardStubsResult) decode(d *decoder) { m.Listing = decodeListing(d) }
