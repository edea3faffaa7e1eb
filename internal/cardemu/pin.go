package cardemu

import "crypto/subtle"

// pinSlot maps a VERIFY/CHANGE reference to the PIN, its retry counter
// index in C4 and its minimum length.
func (c *Card) pinSlot(ref byte) (pin *[]byte, try, min int, ok bool) {
	switch ref {
	case PW1Sign, PW1Other:
		return &c.pw1, 0, 6, true
	case PW3:
		return &c.pw3, 2, 8, true
	}
	return nil, 0, 0, false
}

// verifiedIndex maps a reference to its entry in c.verified.
func verifiedIndex(ref byte) int { return int(ref - PW1Sign) }

// checkPIN compares pin with the stored one, counting a failure against
// the retry counter; a blocked PIN is never compared.
func (c *Card) checkPIN(stored []byte, try int, pin []byte) uint16 {
	if c.tries[try] == 0 {
		return swBlocked
	}
	if len(pin) != len(stored) || subtle.ConstantTimeCompare(pin, stored) != 1 {
		c.tries[try]--
		if c.tries[try] == 0 {
			return swBlocked
		}
		return 0x63C0 | uint16(c.tries[try])
	}
	c.tries[try] = retries
	return swOK
}

// verify is VERIFY: P1=00 with data checks the PIN, without data reports
// the state (9000 verified, 63Cx not verified with x tries left, 6983
// blocked) without using a try; P1=FF resets the verification state.
func (c *Card) verify(p1, p2 byte, data []byte) ([]byte, uint16) {
	stored, try, _, ok := c.pinSlot(p2)
	if !ok {
		return nil, swWrongP1P2
	}
	v := verifiedIndex(p2)
	switch p1 {
	case 0xFF:
		if len(data) != 0 {
			return nil, swWrongLength
		}
		c.verified[v] = false
		return nil, swOK
	case 0x00:
	default:
		return nil, swWrongP1P2
	}
	if len(data) == 0 {
		switch {
		case c.verified[v]:
			return nil, swOK
		case c.tries[try] == 0:
			return nil, swBlocked
		}
		return nil, 0x63C0 | uint16(c.tries[try])
	}
	if len(data) > maxPIN {
		return nil, swWrongLength
	}
	sw := c.checkPIN(*stored, try, data)
	c.verified[v] = sw == swOK
	return nil, sw
}

// changeReference is CHANGE REFERENCE DATA: data is old PIN ‖ new PIN; the
// card splits it at the length of the stored PIN.
func (c *Card) changeReference(p1, p2 byte, data []byte) ([]byte, uint16) {
	stored, try, min, ok := c.pinSlot(p2)
	if p1 != 0x00 || !ok || p2 == PW1Other {
		return nil, swWrongP1P2
	}
	n := len(*stored)
	if len(data) < n {
		// Too short to hold the old PIN: a wrong PIN, counted.
		return nil, c.checkPIN(*stored, try, data)
	}
	if sw := c.checkPIN(*stored, try, data[:n]); sw != swOK {
		return nil, sw
	}
	newPIN := data[n:]
	if len(newPIN) < min || len(newPIN) > maxPIN {
		return nil, swWrongLength
	}
	*stored = clone(newPIN)
	c.verified[verifiedIndex(p2)] = false
	return nil, swOK
}

// resetRetryCounter is RESET RETRY COUNTER for PW1: P1=00 with resetting
// code ‖ new PIN, P1=02 with the new PIN after PW3.
func (c *Card) resetRetryCounter(p1, p2 byte, data []byte) ([]byte, uint16) {
	if p2 != PW1Sign {
		return nil, swWrongP1P2
	}
	var newPIN []byte
	switch p1 {
	case 0x00:
		if len(c.rc) == 0 {
			return nil, swSecurityStatus
		}
		n := len(c.rc)
		if len(data) < n {
			return nil, c.checkPIN(c.rc, 1, data)
		}
		if sw := c.checkPIN(c.rc, 1, data[:n]); sw != swOK {
			return nil, sw
		}
		newPIN = data[n:]
	case 0x02:
		if !c.verified[2] {
			return nil, swSecurityStatus
		}
		newPIN = data
	default:
		return nil, swWrongP1P2
	}
	if len(newPIN) < 6 || len(newPIN) > maxPIN {
		return nil, swWrongLength
	}
	c.pw1 = clone(newPIN)
	c.tries[0] = retries
	return nil, swOK
}
