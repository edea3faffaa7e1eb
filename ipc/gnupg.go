package ipc

// Requests about the secret keys GnuPG keeps in the same home (moving in
// from GnuPG): keyhelper reads GnuPG's private-keys-v1.d and secring.gpg,
// read-only, and never writes there.
const (
	TypeGnuPGList   MsgType = 0x40 // read mode
	TypeGnuPGImport MsgType = 0x41 // write mode
)

func init() {
	maxPayload[TypeGnuPGList] = 0
	maxPayload[TypeGnuPGImport] = 32 * mib
}

// GnuPG key file protections, as GnuPGKey.Protection reports them.
const (
	GnuPGClear     uint8 = 0 // (private-key …)
	GnuPGProtected uint8 = 1 // a passphrase unlocks it
	GnuPGShadowed  uint8 = 2 // a stub of a key on a smart card
)

// GnuPGListRequest asks which secret keys GnuPG keeps in the home.
type GnuPGListRequest struct{}

// GnuPGKey is one readable private-keys-v1.d file.
type GnuPGKey struct {
	Keygrip    []byte // 20 bytes, the file's name
	Protection uint8
	CardSerial string // shadowed keys: the card's application ID in hex
}

// GnuPGListResult lists GnuPG's key files and the primary fingerprints of
// the GnuPG 1.x secring.gpg keys.
type GnuPGListResult struct {
	Keys    []GnuPGKey
	Secring [][]byte
	// Problems are one-line reasons why some of GnuPG's secret keys could
	// not be read (a damaged secring.gpg); front shows them as warnings.
	Problems []string
}

// GnuPGImportRequest carries the public certificates (binary transferable
// public keys) of the keys whose secrets GnuPG keeps; keyhelper records
// each one whose secret it can read, and copies secring.gpg's keys.
type GnuPGImportRequest struct{ Certs []byte }

// GnuPGImportResult reports the keys recorded and the new secret listing.
type GnuPGImportResult struct {
	Keys    []ImportedKey
	Listing []SecretEntry
}

func (*GnuPGListRequest) Type() MsgType   { return TypeGnuPGList }
func (*GnuPGImportRequest) Type() MsgType { return TypeGnuPGImport }
func (*GnuPGListResult) Type() MsgType    { return TypeResult }
func (*GnuPGImportResult) Type() MsgType  { return TypeResult }

func (*GnuPGListRequest) encode(*encoder) {}
func (*GnuPGListRequest) decode(*decoder) {}

func (m *GnuPGListResult) encode(e *encoder) {
	e.uint(uint64(len(m.Keys)))
	for _, k := range m.Keys {
		e.bytes(k.Keygrip)
		e.uint(uint64(k.Protection))
		e.string(k.CardSerial)
	}
	e.uint(uint64(len(m.Secring)))
	for _, f := range m.Secring {
		e.bytes(f)
	}
	e.uint(uint64(len(m.Problems)))
	for _, p := range m.Problems {
		e.string(p)
	}
}
func (m *GnuPGListResult) decode(d *decoder) {
	m.Keys = make([]GnuPGKey, d.count(maxKeyList))
	for i := range m.Keys {
		m.Keys[i].Keygrip = d.bytes(20)
		m.Keys[i].Protection = d.uint8()
		m.Keys[i].CardSerial = d.string(64)
	}
	m.Secring = make([][]byte, d.count(maxKeyList))
	for i := range m.Secring {
		m.Secring[i] = d.bytes(maxFingerprint)
	}
	m.Problems = make([]string, d.count(8))
	for i := range m.Problems {
		m.Problems[i] = d.string(maxText)
	}
}

func (m *GnuPGImportRequest) encode(e *encoder) { e.bytes(m.Certs) }
func (m *GnuPGImportRequest) decode(d *decoder) { m.Certs = d.bytes(maxBlob) }

func (m *GnuPGImportResult) encode(e *encoder) {
	e.uint(uint64(len(m.Keys)))
	for _, k := range m.Keys {
		e.bytes(k.Fingerprint)
		e.bool(k.New)
	}
	encodeListing(e, m.Listing)
}
func (m *GnuPGImportResult) decode(d *decoder) {
	m.Keys = make([]ImportedKey, d.count(maxKeyList))
	for i := range m.Keys {
		m.Keys[i].Fingerprint = d.bytes(maxFingerprint)
		m.Keys[i].New = d.bool()
	}
	m.Listing = decodeListing(d)
}
