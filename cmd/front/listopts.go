package main

import (
	"fmt"
	"strings"
)

// List option bits (gpg.c's keylist options).
const (
	listShowPhotos uint32 = 1 << iota
	listShowUsage
	listShowPolicyURLs
	listShowNotations
	listShowStdNotations
	listShowUserNotations
	listShowKeyserverURLs
	listShowUIDValidity
	listShowUnusableUIDs
	listShowUnusableSubkeys
	listShowKeyring
	listShowSigExpire
	listShowSigSubpackets
	listShowOnlyFprMbox
)

// listOptTable is gpg 2.2.40's table, in its order (prefix matching and
// ambiguity depend on it).
var listOptTable = []impexOpt{
	{"show-photos", listShowPhotos, "display photo IDs during key listings"},
	{"show-usage", listShowUsage, "show key usage information during key listings"},
	{"show-policy-urls", listShowPolicyURLs, "show policy URLs during signature listings"},
	{"show-notations", listShowNotations, "show all notations during signature listings"},
	{"show-std-notations", listShowStdNotations, "show IETF standard notations during signature listings"},
	{"show-standard-notations", listShowStdNotations, ""},
	{"show-user-notations", listShowUserNotations, "show user-supplied notations during signature listings"},
	{"show-keyserver-urls", listShowKeyserverURLs, "show preferred keyserver URLs during signature listings"},
	{"show-uid-validity", listShowUIDValidity, "show user ID validity during key listings"},
	{"show-unusable-uids", listShowUnusableUIDs, "show revoked and expired user IDs in key listings"},
	{"show-unusable-subkeys", listShowUnusableSubkeys, "show revoked and expired subkeys in key listings"},
	{"show-keyring", listShowKeyring, "show the keyring name in key listings"},
	{"show-sig-expire", listShowSigExpire, "show expiration dates during signature listings"},
	{"show-sig-subpackets", listShowSigSubpackets, ""},
	{"show-only-fpr-mbox", listShowOnlyFprMbox, ""},
}

const defaultListOptions = listShowUIDValidity | listShowUsage

// listOptionsImplemented are the list options whose effect front has;
// setting another is refused rather than ignored.
const listOptionsImplemented = listShowUsage | listShowUIDValidity | listShowUnusableUIDs | listShowUnusableSubkeys

func applyListOptions(value string, bits *uint32) string {
	return parseImpexOptions(value, bits, listOptTable)
}

// listOptions is the final --list-options state; --verbose and
// --show-keys show unusable user IDs and subkeys too, as in gpg.
func (a *app) listOptions() uint32 {
	bits := defaultListOptions
	if a.opts.has("verbose") || a.opts.command == "show-keys" {
		bits |= listShowUnusableUIDs | listShowUnusableSubkeys
	}
	for _, v := range a.opts.values["list-options"] {
		applyListOptions(v, &bits)
	}
	return bits
}

// refuseListOptions refuses list options that are set but not implemented.
func (a *app) refuseListOptions() error {
	var bits uint32
	for _, v := range a.opts.values["list-options"] {
		applyListOptions(v, &bits)
	}
	var names []string
	for _, o := range listOptTable {
		if bits&o.bits != 0 && o.bits&listOptionsImplemented == 0 && o.help != "" {
			names = append(names, o.name)
			bits &^= o.bits
		}
	}
	if len(names) > 0 {
		return &exitError{2, fmt.Sprintf("list option \"%s\" is not supported by front", strings.Join(names, ","))}
	}
	return nil
}
