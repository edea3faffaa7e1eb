package ipc

import "github.com/frontpgp/front/keyslot"

// Access tokens (keyslots, see package keyslot). Creating and revoking run
// in keyhelper's write mode, listing in read mode; a token is used in
// restricted mode, as the answer to a passphrase inquiry of a sign or
// decrypt request (InquiryToken).

// TokenInfo is the public metadata of one token's keyslot.
type TokenInfo struct {
	ID      []byte // keyslot.IDSize bytes
	Primary []byte // the key's primary fingerprint
	App     string
	Ops     uint8 // keyslot.Ops
	Created int64
	Expires int64 // 0: never
}

// TokenCreateRequest makes a token for the key Primary. The helper asks
// for the key's passphrase (one inquiry) and answers with the new token.
type TokenCreateRequest struct {
	Primary []byte
	App     string
	Ops     uint8
	Created int64
	Expires int64 // 0: never
}

// TokenCreateResult carries the token, which exists nowhere else: it is
// shown to the user once and never stored.
type TokenCreateResult struct {
	Token []byte
	Info  TokenInfo
}

// TokenListRequest lists the live tokens of the key Primary, or of every
// key when Primary is empty.
type TokenListRequest struct{ Primary []byte }

// TokenListResult answers a TokenListRequest.
type TokenListResult struct{ Tokens []TokenInfo }

// TokenRevokeRequest deletes the keyslot of the token ID.
type TokenRevokeRequest struct{ ID []byte }

// TokenRevokeResult names what was revoked. App is empty when the
// keyslot file was unreadable (it is revoked all the same).
type TokenRevokeResult struct {
	ID      []byte
	Primary []byte
	App     string
}

// InquiryToken answers a passphrase inquiry with an access token. Call
// sends it instead of an InquiryAnswer for any answer with the token's
// syntax, so every passphrase source (--passphrase, -fd, -file, loopback)
// accepts a token.
type InquiryToken struct{ Token []byte }

// ErrCodeTokenRefused: the token is valid but does not allow this use
// (another operation, expired). front maps it to GPG_ERR_FORBIDDEN.
const ErrCodeTokenRefused ErrorCode = 18

func (*TokenCreateRequest) Type() MsgType { return TypeTokenCreate }
func (*TokenListRequest) Type() MsgType   { return TypeTokenList }
func (*TokenRevokeRequest) Type() MsgType { return TypeTokenRevoke }
func (*InquiryToken) Type() MsgType       { return TypeInquiryToken }
func (*TokenCreateResult) Type() MsgType  { return TypeResult }
func (*TokenListResult) Type() MsgType    { return TypeResult }
func (*TokenRevokeResult) Type() MsgType  { return TypeResult }

// maxTokens bounds a listing (the store's keyslot limit).
const maxTokens = keyslot.MaxSlots

func (t *TokenInfo) encode(e *encoder) {
	e.bytes(t.ID)
	e.bytes(t.Primary)
	e.string(t.App)
	e.uint(uint64(t.Ops))
	e.uint(uint64(t.Created))
	e.uint(uint64(t.Expires))
}
func (t *TokenInfo) decode(d *decoder) {
	t.ID = d.bytes(keyslot.IDSize)
	t.Primary = d.bytes(maxFingerprint)
	t.App = d.string(keyslot.MaxApp)
	t.Ops = d.uint8()
	t.Created = d.int63()
	t.Expires = d.int63()
	if len(t.ID) != keyslot.IDSize {
		d.err = ErrMalformed
	}
	d.checkOps(t.Ops)
}

// checkOps refuses an empty or unknown operation set.
func (d *decoder) checkOps(o uint8) {
	if !keyslot.Ops(o).Valid() {
		d.err = ErrMalformed
	}
}

func (m *TokenCreateRequest) encode(e *encoder) {
	e.bytes(m.Primary)
	e.string(m.App)
	e.uint(uint64(m.Ops))
	e.uint(uint64(m.Created))
	e.uint(uint64(m.Expires))
}
func (m *TokenCreateRequest) decode(d *decoder) {
	m.Primary = d.bytes(maxFingerprint)
	m.App = d.string(keyslot.MaxApp)
	m.Ops = d.uint8()
	m.Created = d.int63()
	m.Expires = d.int63()
	d.checkOps(m.Ops)
}

func (m *TokenCreateResult) encode(e *encoder) { e.bytes(m.Token); m.Info.encode(e) }
func (m *TokenCreateResult) decode(d *decoder) {
	m.Token = d.bytes(keyslot.TokenLen)
	m.Info.decode(d)
}

func (m *TokenListRequest) encode(e *encoder) { e.bytes(m.Primary) }
func (m *TokenListRequest) decode(d *decoder) { m.Primary = d.bytes(maxFingerprint) }

func (m *TokenListResult) encode(e *encoder) {
	e.uint(uint64(len(m.Tokens)))
	for i := range m.Tokens {
		m.Tokens[i].encode(e)
	}
}
func (m *TokenListResult) decode(d *decoder) {
	m.Tokens = make([]TokenInfo, d.count(maxTokens))
	for i := range m.Tokens {
		m.Tokens[i].decode(d)
	}
}

func (m *TokenRevokeRequest) encode(e *encoder) { e.bytes(m.ID) }
func (m *TokenRevokeRequest) decode(d *decoder) {
	m.ID = d.bytes(keyslot.IDSize)
	if len(m.ID) != keyslot.IDSize {
		d.err = ErrMalformed
	}
}

func (m *TokenRevokeResult) encode(e *encoder) { e.bytes(m.ID); e.bytes(m.Primary); e.string(m.App) }
func (m *TokenRevokeResult) decode(d *decoder) {
	m.ID = d.bytes(keyslot.IDSize)
	m.Primary = d.bytes(maxFingerprint)
	m.App = d.string(keyslot.MaxApp)
}

func (m *InquiryToken) encode(e *encoder) { e.bytes(m.Token) }
func (m *InquiryToken) decode(d *decoder) {
	m.Token = d.bytes(keyslot.TokenLen)
	if !keyslot.IsToken(m.Token) {
		d.err = ErrMalformed
	}
}
