// Package cardemu is an OpenPGP card 3.4 emulator for tests: Card answers
// command APDUs in memory, and Insert serves it to pcscd through
// vsmartcard-vpcd, so that everything above PC/SC (ours, GnuPG's scdaemon,
// OpenSC) sees an ordinary reader with a card in it.
//
// It implements what the OpenPGP card specification 3.4 requires of the
// commands front and GnuPG use — SELECT, GET DATA, VERIFY (incl. the empty
// status form and P1=FF reset), CHANGE REFERENCE DATA, RESET RETRY COUNTER,
// GENERATE ASYMMETRIC KEY PAIR, PSO:CDS, PSO:DECIPHER, INTERNAL
// AUTHENTICATE, PUT DATA, GET CHALLENGE, command chaining, GET RESPONSE —
// with Ed25519, X25519, NIST P-256 and RSA keys, plus switches tests need:
// a decoy applet, short-APDU-only mode and a command log. Keys live in
// memory only; this is test code and never protects anything.
package cardemu

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"sync"
)

// Status words the emulator answers with.
const (
	swOK              = 0x9000
	swWrongLength     = 0x6700
	swChainingUnsupp  = 0x6884
	swSecurityStatus  = 0x6982
	swBlocked         = 0x6983
	swConditions      = 0x6985
	swWrongData       = 0x6A80
	swNotFound        = 0x6A82 // application not found
	swRefNotFound     = 0x6A88 // data object or key not found
	swWrongP1P2       = 0x6B00
	swINSUnsupported  = 0x6D00
	swCLAUnsupported  = 0x6E00
	swLastCmdExpected = 0x6883
)

// AID prefix of the OpenPGP application (RID D276000124, PIX 01).
var openpgpRID = []byte{0xD2, 0x76, 0x00, 0x01, 0x24, 0x01}

// DecoyAID is the second applet of a card made with Options.Decoy: the PIV
// AID, as on a YubiKey, where selecting it drops the OpenPGP application's
// PIN state.
var DecoyAID = []byte{0xA0, 0x00, 0x00, 0x03, 0x08}

// PIN references as in VERIFY P2.
const (
	PW1Sign  = 0x81
	PW1Other = 0x82
	PW3      = 0x83
)

// Default PINs of a fresh card, as on every OpenPGP card.
const (
	DefaultPW1 = "123456"
	DefaultPW3 = "12345678"
)

const (
	maxPIN       = 127 // C4 max lengths
	retries      = 3
	maxCommand   = 0xFFFF // longest command data this card accepts (7F66)
	maxResponse  = 0xFFFF
	maxChainData = 4096 // longest command data accumulated over a chain
)

// Options configures a new card.
type Options struct {
	// Serial is the card serial number in the AID; the manufacturer is
	// FFFF, the range the specification reserves for test cards.
	Serial uint32
	// Attrs are the algorithm attributes of the signature, decryption and
	// authentication keys (C1, C2, C3); zero values mean Ed25519, cv25519
	// and Ed25519. Use AttrEd25519, AttrX25519, AttrP256ECDSA, AttrP256ECDH,
	// AttrRSA(2048).
	Attrs [3][]byte
	// ShortOnly makes the card announce no extended length support
	// (historical bytes, no 7F66) and refuse extended APDUs with 6700.
	ShortOnly bool
	// Decoy adds a second applet (DecoyAID) that is selected at power-on
	// and whose selection deselects OpenPGP and clears its PIN state.
	Decoy bool
	// ClaimKeyImport sets the "key import" bit of the extended
	// capabilities (C0): gpg's generate then asks about an off-card
	// backup, and keytocard is allowed (gpg and front refuse it on a card
	// without the bit). The card accepts PUT DATA 3FFF either way.
	ClaimKeyImport bool
}

// Command is one command APDU header as the card received it.
type Command struct{ CLA, INS, P1, P2 byte }

// Card is an emulated OpenPGP card. All methods are safe for concurrent
// use; one mutex serialises APDUs and test accessors.
type Card struct {
	mu   sync.Mutex
	opts Options

	// Persistent state.
	pw1, pw3, rc []byte
	tries        [3]int // PW1, RC, PW3 retry counters (C4 order)
	forcedSig    byte   // C4[0]: 00 = PW1 81 valid for one PSO:CDS only
	attrs        [3][]byte
	keys         [3]*key
	fps, cafps   [3][20]byte
	times        [3]uint32
	keyInfo      [3]byte // DE: 00 absent, 01 generated, 02 imported
	name, lang   []byte
	sex          byte
	url, login   []byte
	certs        [3][]byte // 7F21, occurrences 0–2 (SELECT DATA)
	sigCount     uint32

	// Volatile state, cleared by a reset.
	selected int     // appNone, appOpenPGP, appDecoy
	certOcc  int     // the 7F21 occurrence SELECT DATA chose
	verified [3]bool // PW1 81, PW1 82, PW3
	chain    *chainState
	pending  []byte // response bytes waiting for GET RESPONSE

	log []Command
}

const (
	appNone = iota
	appOpenPGP
	appDecoy
)

type chainState struct {
	hdr  Command
	data []byte
}

// New returns a fresh card with default PINs and no keys.
func New(opts Options) *Card {
	c := &Card{
		opts:      opts,
		pw1:       []byte(DefaultPW1),
		pw3:       []byte(DefaultPW3),
		tries:     [3]int{retries, 0, retries},
		forcedSig: 0x00,
		lang:      []byte("en"),
		sex:       '9',
	}
	defaults := [3][]byte{AttrEd25519, AttrX25519, AttrEd25519}
	for i := range c.attrs {
		c.attrs[i] = defaults[i]
		if opts.Attrs[i] != nil {
			c.attrs[i] = bytes.Clone(opts.Attrs[i])
		}
	}
	c.reset()
	return c
}

// Reset is what a warm reset does: the selection, PIN verification and any
// command chain are lost, persistent data stays.
func (c *Card) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reset()
}

func (c *Card) reset() {
	c.selected = appNone
	if c.opts.Decoy {
		c.selected = appDecoy
	}
	c.verified = [3]bool{}
	c.certOcc = 0
	c.chain = nil
	c.pending = nil
}

// ATR returns the answer to reset: T=1, and historical bytes that carry the
// card capabilities (chaining, and extended length unless ShortOnly).
func (c *Card) ATR() []byte {
	atr := []byte{0x3B, 0xDA, 0x18, 0xFF, 0x81, 0xB1, 0xFE, 0x75, 0x1F, 0x03}
	atr = append(atr, c.historical()...)
	var tck byte
	for _, b := range atr[1:] {
		tck ^= b
	}
	return append(atr, tck)
}

// historical returns the ten historical bytes: category 00, card service
// data (31 C5), card capabilities (73: DF selection by full name, data
// coding, and 0x80 command chaining | 0x40 extended Lc/Le), status 00 90 00.
func (c *Card) historical() []byte {
	caps := byte(0xC0)
	if c.opts.ShortOnly {
		caps = 0x80
	}
	return []byte{0x00, 0x31, 0xC5, 0x73, 0xC0, 0x01, caps, 0x00, 0x90, 0x00}
}

// Log returns the command headers received so far (GET RESPONSE included).
func (c *Card) Log() []Command {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Command(nil), c.log...)
}

// Tries returns the PW1, RC and PW3 retry counters.
func (c *Card) Tries() [3]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tries
}

// SignatureCount returns the digital signature counter (93).
func (c *Card) SignatureCount() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sigCount
}

// AID returns the application identifier: RID, PIX 01, version 3.4,
// manufacturer FFFF (test card), serial, RFU 0000.
func (c *Card) AID() []byte {
	aid := append(bytes.Clone(openpgpRID), 0x03, 0x04, 0xFF, 0xFF)
	aid = binary.BigEndian.AppendUint32(aid, c.opts.Serial)
	return append(aid, 0x00, 0x00)
}

// Transmit answers one command APDU with a response APDU (data ‖ SW1 SW2).
// The error is always nil (malformed commands get the status word a card
// would send); the signature lets a Card serve as an in-memory transport.
func (c *Card) Transmit(apdu []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, sw := c.transmit(apdu)
	return binary.BigEndian.AppendUint16(data, sw), nil
}

func (c *Card) transmit(raw []byte) ([]byte, uint16) {
	cmd, err := parseAPDU(raw)
	if err != nil {
		return nil, swWrongLength
	}
	c.log = append(c.log, cmd.hdr)
	if cmd.extended && c.opts.ShortOnly {
		return nil, swWrongLength
	}
	if cmd.hdr.INS == 0xC0 && cmd.hdr.CLA&0x10 == 0 { // GET RESPONSE
		if c.pending == nil {
			return nil, swConditions
		}
		return c.respond(c.pending, cmd)
	}
	c.pending = nil
	if cmd.hdr.CLA&^0x10 != 0x00 {
		return nil, swCLAUnsupported
	}
	// Command chaining (ISO 7816-4 5.1.1.1): accumulate data while CLA has
	// bit 0x10, for the same INS P1 P2, and execute on the last block.
	if cmd.hdr.CLA&0x10 != 0 {
		if cmd.hdr.INS != 0x2A && cmd.hdr.INS != 0x88 && cmd.hdr.INS != 0xDA && cmd.hdr.INS != 0xDB {
			c.chain = nil
			return nil, swChainingUnsupp
		}
		if c.chain == nil {
			c.chain = &chainState{hdr: Command{INS: cmd.hdr.INS, P1: cmd.hdr.P1, P2: cmd.hdr.P2}}
		} else if c.chain.hdr != (Command{INS: cmd.hdr.INS, P1: cmd.hdr.P1, P2: cmd.hdr.P2}) {
			c.chain = nil
			return nil, swLastCmdExpected
		}
		if len(c.chain.data)+len(cmd.data) > maxChainData {
			c.chain = nil
			return nil, swWrongLength
		}
		c.chain.data = append(c.chain.data, cmd.data...)
		return nil, swOK
	}
	if c.chain != nil {
		ch := c.chain
		c.chain = nil
		if ch.hdr != (Command{INS: cmd.hdr.INS, P1: cmd.hdr.P1, P2: cmd.hdr.P2}) {
			return nil, swLastCmdExpected
		}
		if len(ch.data)+len(cmd.data) > maxChainData {
			return nil, swWrongLength
		}
		cmd.data = append(ch.data, cmd.data...)
	}
	out, sw := c.execute(cmd)
	if sw != swOK {
		return nil, sw
	}
	return c.respond(out, cmd)
}

// respond returns at most what the command's Le allows; the rest waits for
// GET RESPONSE behind 61xx (xx = bytes left, 00 = 256 or more).
func (c *Card) respond(out []byte, cmd apdu) ([]byte, uint16) {
	limit := 256
	if cmd.extended {
		limit = maxResponse
	}
	if cmd.le > 0 && cmd.le < limit {
		limit = cmd.le
	}
	if len(out) <= limit {
		c.pending = nil
		return out, swOK
	}
	c.pending = out[limit:]
	left := len(c.pending)
	if left > 255 {
		left = 0
	}
	// A full slice expression: Transmit appends the status word, which
	// must not overwrite the start of the pending bytes.
	return out[:limit:limit], 0x6100 | uint16(left)
}

func (c *Card) execute(cmd apdu) ([]byte, uint16) {
	h := cmd.hdr
	if h.INS == 0xA4 {
		return c.selectApp(cmd)
	}
	if c.selected != appOpenPGP {
		return nil, swINSUnsupported
	}
	switch h.INS {
	case 0xCA:
		return c.getData(uint16(h.P1)<<8 | uint16(h.P2))
	case 0x20:
		return c.verify(h.P1, h.P2, cmd.data)
	case 0x24:
		return c.changeReference(h.P1, h.P2, cmd.data)
	case 0x2C:
		return c.resetRetryCounter(h.P1, h.P2, cmd.data)
	case 0xDA:
		return c.putData(uint16(h.P1)<<8|uint16(h.P2), cmd.data)
	case 0xDB:
		return c.importKey(h.P1, h.P2, cmd.data)
	case 0x47:
		return c.generate(h.P1, h.P2, cmd.data)
	case 0x2A:
		switch {
		case h.P1 == 0x9E && h.P2 == 0x9A:
			return c.sign(cmd.data)
		case h.P1 == 0x80 && h.P2 == 0x86:
			return c.decipher(cmd.data)
		}
		return nil, swWrongP1P2
	case 0x88:
		return c.authenticate(h.P1, h.P2, cmd.data)
	case 0xA5:
		return c.selectData(h.P1, h.P2, cmd.data)
	case 0x84:
		if cmd.le == 0 || cmd.le > 0xFF {
			return nil, swWrongLength
		}
		b := make([]byte, cmd.le)
		rand.Read(b)
		return b, swOK
	}
	return nil, swINSUnsupported
}

func (c *Card) selectApp(cmd apdu) ([]byte, uint16) {
	if cmd.hdr.P1 != 0x04 {
		return nil, swWrongP1P2
	}
	switch {
	case len(cmd.data) >= 5 && len(cmd.data) <= 16 && bytes.HasPrefix(c.AID(), cmd.data):
		if c.selected != appOpenPGP {
			c.verified = [3]bool{}
		}
		c.selected = appOpenPGP
		return nil, swOK
	case c.opts.Decoy && bytes.Equal(cmd.data, DecoyAID):
		c.selected = appDecoy
		c.verified = [3]bool{}
		return nil, swOK
	}
	return nil, swNotFound
}

// apdu is a parsed command APDU (ISO 7816-4 cases 1–4, short and extended).
type apdu struct {
	hdr      Command
	data     []byte
	le       int // 0: no Le field; else 1..65536
	extended bool
}

func parseAPDU(b []byte) (apdu, error) {
	if len(b) < 4 {
		return apdu{}, errShort
	}
	a := apdu{hdr: Command{b[0], b[1], b[2], b[3]}}
	body := b[4:]
	switch {
	case len(body) == 0: // case 1
	case len(body) == 1: // case 2S
		a.le = int(body[0])
		if a.le == 0 {
			a.le = 256
		}
	case body[0] != 0: // case 3S / 4S
		lc := int(body[0])
		switch len(body) {
		case 1 + lc:
		case 2 + lc:
			a.le = int(body[1+lc])
			if a.le == 0 {
				a.le = 256
			}
		default:
			return apdu{}, errShort
		}
		a.data = body[1 : 1+lc]
	default: // extended: 00 followed by two bytes of Lc or Le
		a.extended = true
		if len(body) < 3 {
			return apdu{}, errShort
		}
		n := int(body[1])<<8 | int(body[2])
		if len(body) == 3 { // case 2E
			a.le = n
			if a.le == 0 {
				a.le = 65536
			}
			break
		}
		if n == 0 {
			return apdu{}, errShort
		}
		switch len(body) {
		case 3 + n:
		case 5 + n:
			a.le = int(body[3+n])<<8 | int(body[4+n])
			if a.le == 0 {
				a.le = 65536
			}
		default:
			return apdu{}, errShort
		}
		a.data = body[3 : 3+n]
	}
	return a, nil
}

type parseError string

func (e parseError) Error() string { return string(e) }

const errShort = parseError("cardemu: malformed APDU")
