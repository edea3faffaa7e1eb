package main

// Verify option bits (gpg.c's VERIFY_* options).
const (
	verifyShowPhotos uint32 = 1 << iota
	verifyShowPolicyURLs
	verifyShowStdNotations
	verifyShowUserNotations
	verifyShowKeyserverURLs
	verifyShowUIDValidity
	verifyShowUnusableUIDs
	verifyPKALookups
	verifyPKATrustIncrease
	verifyShowPrimaryUIDOnly
)

const verifyShowNotations = verifyShowStdNotations | verifyShowUserNotations

// verifyOptTable is gpg 2.2.40's table, in its order (prefix matching and
// ambiguity depend on it).
var verifyOptTable = []impexOpt{
	{"show-photos", verifyShowPhotos, "display photo IDs during signature verification"},
	{"show-policy-urls", verifyShowPolicyURLs, "show policy URLs during signature verification"},
	{"show-notations", verifyShowNotations, "show all notations during signature verification"},
	{"show-std-notations", verifyShowStdNotations, "show IETF standard notations during signature verification"},
	{"show-standard-notations", verifyShowStdNotations, ""},
	{"show-user-notations", verifyShowUserNotations, "show user-supplied notations during signature verification"},
	{"show-keyserver-urls", verifyShowKeyserverURLs, "show preferred keyserver URLs during signature verification"},
	{"show-uid-validity", verifyShowUIDValidity, "show user ID validity during signature verification"},
	{"show-unusable-uids", verifyShowUnusableUIDs, "show revoked and expired user IDs in signature verification"},
	{"show-primary-uid-only", verifyShowPrimaryUIDOnly, "show only the primary user ID in signature verification"},
	{"pka-lookups", verifyPKALookups, "validate signatures with PKA data"},
	{"pka-trust-increase", verifyPKATrustIncrease, "elevate the trust of signatures with valid PKA data"},
}

// defaultVerifyOptions is gpg's default: user ID validity, policy URLs,
// standard notations and keyserver URLs shown.
const defaultVerifyOptions = verifyShowUIDValidity | verifyShowPolicyURLs | verifyShowStdNotations | verifyShowKeyserverURLs

func applyVerifyOptions(value string, bits *uint32) string {
	return parseImpexOptions(value, bits, verifyOptTable)
}

// verifyOptions is the final --verify-options state. gpgv has none of its
// own: it shows neither validity nor notations as text.
func (a *app) verifyOptions() uint32 {
	if a.gpgv {
		return 0
	}
	bits := uint32(defaultVerifyOptions)
	for _, v := range a.opts.values["verify-options"] {
		applyVerifyOptions(v, &bits)
	}
	return bits
}
