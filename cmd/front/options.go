package main

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// This file is gpg's command-line grammar (GnuPG 2.2.40's argparse as gpg
// uses it), independent of what front does with the options:
//
//   - long options --name, --name=value and --name value; a unique prefix
//     of a long name works (--list-k); spellings of one option (--armour,
//     --armor) never make a prefix ambiguous;
//   - short options bundle (-bsau KEY, -sbo FILE): a short option taking an
//     argument takes the rest of its word, else the next word;
//   - option processing stops at "--" or at the first word that is not an
//     option ("-" is a word, not an option), so later words are arguments
//     even when they start with "--";
//   - integer arguments are read like strtol (leading digits, else 0);
//   - the same names, without dashes and never abbreviated, in gpg.conf
//     (config.go).
//
// Every option of gpg 2.2.40 is in the table with one of three levels of
// support, so that a gpg invocation is either honoured, or refused with a
// clear message, never misread: a typo'd or unknown option is gpg's
// "invalid option", an option gpg has and front does not is refused by
// name (see checkSupport).

// argKind is what follows an option.
type argKind uint8

const (
	argNone     argKind = iota
	argString           // required string
	argInt              // required integer (strtol, base 10)
	argUlong            // required unsigned integer (strtoul, base 0: 0x.. and 0.. work), no sign
	argOptional         // optional string: --passphrase, --passphrase=S or --passphrase S
)

// support says what front does with an option gpg knows.
type support uint8

const (
	// implemented: front's code reads the option (options_test.go checks
	// that every option the code reads is marked so).
	implemented support = iota
	// noEffect: accepted and ignored because what it controls does not
	// exist in front (gpg-agent, dirmngr, keyservers, smartcards, secure
	// memory, locale and terminal hints for pinentry, debug output) or
	// because it restates what front always does (--no-use-embedded-filename).
	noEffect
	// notImplemented: gpg has it, front does not do it yet. On the command
	// line it is an error (exit 2) rather than silently doing something
	// else; in gpg.conf it is a warning, as gpg does for options it does
	// not know there.
	notImplemented
)

// special marks the options gpg's parser itself acts on as soon as it
// reads them (it prints and exits there, ignoring the rest of the line).
type special uint8

const (
	notSpecial special = iota
	specialVersion
	specialHelp
	specialWarranty
	specialDumpOptions
)

// optSpec is one option. name is what the rest of front asks the parsed
// options for; aliases are the other spellings gpg accepts in full.
type optSpec struct {
	name    string
	aliases []string
	short   byte
	arg     argKind
	command bool
	support support
	special special
	// cancels lists options whose earlier occurrences this one undoes
	// (--no-armor undoes --armor, --no-verbose every -v): gpg's "the last
	// one wins" for option pairs, so parsed.has answers the final state.
	cancels []string
	// cmdlineOnly options are not valid in an options file.
	cmdlineOnly bool
}

// opposed is an implemented flag that cancels an earlier use of its
// opposite (--batch, --no-batch).
func opposed(name, opposite string, short byte, aliases ...string) optSpec {
	return optSpec{name: name, short: short, aliases: aliases, support: implemented, cancels: []string{opposite}}
}

// spellings is every full name of the option.
func (s *optSpec) spellings() []string {
	if s.name == "" {
		return s.aliases
	}
	return append([]string{s.name}, s.aliases...)
}

func command(name string, short byte, aliases ...string) optSpec {
	return optSpec{name: name, short: short, aliases: aliases, command: true, support: implemented}
}
func flag(sup support, name string, short byte, aliases ...string) optSpec {
	return optSpec{name: name, short: short, aliases: aliases, support: sup}
}
func str(sup support, name string, short byte, aliases ...string) optSpec {
	return optSpec{name: name, short: short, aliases: aliases, arg: argString, support: sup}
}
func integer(sup support, name string, short byte, aliases ...string) optSpec {
	return optSpec{name: name, short: short, aliases: aliases, arg: argInt, support: sup}
}
func ulong(sup support, name string, short byte, aliases ...string) optSpec {
	return optSpec{name: name, short: short, aliases: aliases, arg: argUlong, support: sup}
}
func internal(name string, sp special) optSpec {
	return optSpec{name: name, special: sp, support: implemented, cmdlineOnly: true}
}

// gpgOptions is gpg 2.2.40's option table (g10/gpg.c), plus front's own
// --rfc9580. Commands are all accepted here; dispatch says which ones front
// runs. Canonical names keep the spelling front's code uses.
var gpgOptions = &optTable{specs: []optSpec{
	// Commands.
	command("sign", 's'),
	command("clearsign", 0, "clear-sign"),
	command("detach-sign", 'b'),
	command("encrypt", 'e'),
	command("encrypt-files", 0),
	command("symmetric", 'c'),
	command("store", 0),
	command("decrypt", 'd'),
	command("decrypt-files", 0),
	command("verify", 0),
	command("verify-files", 0),
	command("list-keys", 'k', "list-public-keys", "list-key"),
	command("list-signatures", 0, "list-sigs", "list-sig"),
	command("check-signatures", 0, "check-sigs", "check-sig"),
	command("fingerprint", 0),
	command("list-secret-keys", 'K'),
	command("generate-key", 0, "gen-key"),
	command("quick-generate-key", 0, "quick-gen-key"),
	command("quick-add-uid", 0, "quick-adduid"),
	command("quick-add-key", 0, "quick-addkey"),
	command("quick-revoke-uid", 0, "quick-revuid"),
	command("quick-set-expire", 0),
	command("quick-set-primary-uid", 0),
	command("full-generate-key", 0, "full-gen-key"),
	command("generate-revocation", 0, "gen-revoke"),
	command("delete-keys", 0),
	command("delete-secret-keys", 0),
	command("quick-sign-key", 0),
	command("quick-lsign-key", 0),
	command("quick-revoke-sig", 0),
	command("sign-key", 0),
	command("lsign-key", 0),
	command("edit-key", 0, "key-edit"),
	command("change-passphrase", 0, "passwd"),
	command("generate-designated-revocation", 0, "desig-revoke"),
	command("export", 0),
	command("send-keys", 0),
	command("receive-keys", 0, "recv-keys"),
	command("search-keys", 0),
	command("refresh-keys", 0),
	command("locate-keys", 0),
	command("locate-external-keys", 0),
	command("fetch-keys", 0),
	command("show-keys", 0, "show-key"),
	command("export-secret-keys", 0),
	command("export-secret-subkeys", 0),
	command("export-ssh-key", 0),
	command("import", 0),
	command("fast-import", 0),
	command("card-status", 0),
	command("edit-card", 0, "card-edit"),
	command("change-pin", 0),
	command("list-config", 0),
	command("list-gcrypt-config", 0),
	command("gpgconf-list", 0),
	command("gpgconf-test", 0),
	command("list-packets", 0),
	command("export-ownertrust", 0),
	command("import-ownertrust", 0),
	command("update-trustdb", 0),
	command("check-trustdb", 0),
	command("fix-trustdb", 0),
	command("list-trustdb", 0),
	command("dearmor", 0, "dearmour"),
	command("enarmor", 0, "enarmour"),
	command("print-md", 0),
	command("print-mds", 0),
	command("gen-prime", 0),
	command("gen-random", 0),
	command("server", 0),
	command("tofu-policy", 0),
	// The current code names it in the singular; gpg spells it in the
	// plural, which every prefix of it also reaches.
	command("delete-secret-and-public-key", 0, "delete-secret-and-public-keys"),
	command("rebuild-keydb-caches", 0),

	// Diagnostics.
	flag(implemented, "verbose", 'v'),
	opposed("no-verbose", "verbose", 0),
	flag(implemented, "quiet", 'q'),
	flag(implemented, "no-tty", 0),
	flag(noEffect, "no-greeting", 0),
	str(noEffect, "debug", 0),
	str(noEffect, "debug-level", 0),
	flag(noEffect, "debug-all", 0),
	flag(noEffect, "debug-iolbf", 0),
	str(noEffect, "display-charset", 0, "charset"),
	optSpec{name: "options", arg: argString, support: implemented, cmdlineOnly: true},
	optSpec{name: "no-options", support: implemented, cmdlineOnly: true},
	integer(implemented, "logger-fd", 0),
	str(notImplemented, "log-file", 0, "logger-file"),
	flag(noEffect, "debug-quick-random", 0),

	// Configuration.
	optSpec{name: "homedir", arg: argString, support: implemented, cmdlineOnly: true},
	str(implemented, "faked-system-time", 0),
	str(implemented, "default-key", 0),
	str(implemented, "encrypt-to", 0),
	flag(implemented, "no-encrypt-to", 0),
	str(implemented, "hidden-encrypt-to", 0),
	flag(notImplemented, "encrypt-to-default-key", 0),
	str(implemented, "default-recipient", 0),
	flag(implemented, "default-recipient-self", 0),
	flag(implemented, "no-default-recipient", 0),
	str(implemented, "group", 0),
	str(implemented, "ungroup", 0),
	flag(implemented, "no-groups", 0),
	str(notImplemented, "compliance", 0),
	flag(noEffect, "gnupg", 0, "no-pgp2", "no-pgp6", "no-pgp7", "no-pgp8"), // the default mode
	flag(notImplemented, "rfc2440", 0),
	flag(notImplemented, "rfc4880", 0),
	flag(notImplemented, "rfc4880bis", 0),
	flag(notImplemented, "openpgp", 0),
	flag(notImplemented, "pgp6", 0),
	flag(notImplemented, "pgp7", 0),
	flag(notImplemented, "pgp8", 0),
	str(notImplemented, "default-new-key-algo", 0),
	ulong(notImplemented, "min-rsa-length", 0),
	flag(implemented, "always-trust", 0),
	str(implemented, "trust-model", 0),
	str(noEffect, "photo-viewer", 0),
	str(notImplemented, "known-notation", 0),
	str(noEffect, "agent-program", 0),   // there is no agent
	str(noEffect, "dirmngr-program", 0), // there is no dirmngr
	flag(implemented, "exit-on-status-write-error", 0),
	integer(noEffect, "limit-card-insert-tries", 0),
	flag(implemented, "enable-progress-filter", 0), // PROGRESS status lines (progress.go)
	str(noEffect, "temp-directory", 0),
	str(noEffect, "exec-path", 0), // front runs no keyserver or photo helpers
	opposed("expert", "no-expert", 0),
	opposed("no-expert", "expert", 0),
	flag(noEffect, "no-secmem-warning", 0),
	flag(noEffect, "require-secmem", 0),
	flag(noEffect, "no-require-secmem", 0),
	flag(noEffect, "no-permission-warning", 0),
	flag(notImplemented, "dry-run", 'n'),
	flag(notImplemented, "interactive", 'i'),
	str(notImplemented, "default-sig-expire", 0),
	flag(notImplemented, "ask-sig-expire", 0),
	flag(noEffect, "no-ask-sig-expire", 0),
	str(notImplemented, "default-cert-expire", 0),
	flag(notImplemented, "ask-cert-expire", 0),
	flag(noEffect, "no-ask-cert-expire", 0),
	integer(implemented, "default-cert-level", 0, "default-cert-check-level"),
	integer(notImplemented, "min-cert-level", 0),
	flag(notImplemented, "ask-cert-level", 0),
	flag(noEffect, "no-ask-cert-level", 0),
	flag(notImplemented, "only-sign-text-ids", 0),
	flag(notImplemented, "enable-large-rsa", 0),
	flag(notImplemented, "disable-large-rsa", 0),
	flag(notImplemented, "enable-dsa2", 0),
	flag(notImplemented, "disable-dsa2", 0),
	str(notImplemented, "personal-cipher-preferences", 0, "personal-cipher-prefs"),
	str(notImplemented, "personal-digest-preferences", 0, "personal-digest-prefs"),
	str(notImplemented, "personal-compress-preferences", 0, "personal-compress-prefs"),
	str(notImplemented, "default-preference-list", 0),
	str(noEffect, "default-keyserver-url", 0),
	flag(noEffect, "no-expensive-trust-checks", 0),
	flag(notImplemented, "allow-non-selfsigned-uid", 0),
	flag(noEffect, "no-allow-non-selfsigned-uid", 0),
	flag(notImplemented, "allow-freeform-uid", 0),
	flag(noEffect, "no-allow-freeform-uid", 0),
	flag(noEffect, "preserve-permissions", 0),
	str(notImplemented, "tofu-default-policy", 0),
	flag(noEffect, "lock-once", 0), // front has its own store lock
	flag(noEffect, "lock-multiple", 0),
	flag(noEffect, "lock-never", 0),
	str(implemented, "compress-algo", 0, "compression-algo"),
	flag(noEffect, "bzip2-decompress-lowmem", 0),
	integer(implemented, "completes-needed", 0),
	integer(implemented, "marginals-needed", 0),
	integer(implemented, "max-cert-depth", 0),
	str(notImplemented, "trustdb-name", 0),
	flag(noEffect, "auto-check-trustdb", 0),
	flag(noEffect, "no-auto-check-trustdb", 0),
	str(notImplemented, "force-ownertrust", 0),

	// Input.
	flag(notImplemented, "multifile", 0),
	str(implemented, "input-size-hint", 0), // the total of PROGRESS lines for stdin
	flag(noEffect, "utf8-strings", 0),      // arguments are taken as UTF-8
	flag(noEffect, "no-utf8-strings", 0),
	ulong(notImplemented, "set-filesize", 0),
	flag(notImplemented, "no-literal", 0),
	str(notImplemented, "set-notation", 'N'),
	str(notImplemented, "sig-notation", 0),
	str(notImplemented, "cert-notation", 0),
	str(notImplemented, "set-policy-url", 0),
	str(notImplemented, "sig-policy-url", 0),
	str(notImplemented, "cert-policy-url", 0),
	str(notImplemented, "sig-keyserver-url", 0),

	// Output.
	opposed("armor", "no-armor", 'a', "armour"),
	opposed("no-armor", "armor", 0, "no-armour"),
	str(implemented, "output", 'o'),
	ulong(implemented, "max-output", 0),
	str(notImplemented, "comment", 0),
	flag(noEffect, "default-comment", 0),
	flag(noEffect, "no-comments", 0), // front writes no comment lines
	flag(notImplemented, "emit-version", 0),
	flag(noEffect, "no-emit-version", 0, "no-version"), // front writes no Version: line
	flag(notImplemented, "not-dash-escaped", 0),
	flag(noEffect, "escape-from-lines", 0), // front always escapes "From " in cleartext
	flag(notImplemented, "no-escape-from-lines", 0),
	flag(notImplemented, "mimemode", 0),
	flag(implemented, "textmode", 't'),
	opposed("no-textmode", "textmode", 0),
	str(implemented, "set-filename", 0),
	flag(notImplemented, "for-your-eyes-only", 0),
	flag(noEffect, "no-for-your-eyes-only", 0),
	flag(notImplemented, "show-notation", 0),
	flag(notImplemented, "no-show-notation", 0),
	flag(implemented, "show-session-key", 0),
	flag(notImplemented, "use-embedded-filename", 0),
	flag(noEffect, "no-use-embedded-filename", 0),
	flag(implemented, "unwrap", 0),
	flag(noEffect, "mangle-dos-filenames", 0),
	flag(noEffect, "no-mangle-dos-filenames", 0),
	flag(noEffect, "no-symkey-cache", 0), // no agent, so no passphrase cache
	flag(notImplemented, "skip-verify", 0),
	flag(implemented, "list-only", 0),
	integer(implemented, "compress-level", 'z'),
	integer(noEffect, "bzip2-compress-level", 0), // front never compresses with bzip2
	flag(implemented, "disable-signer-uid", 0),   // front never writes a signer's user ID; --auto-key-retrieve does not use it for WKD

	// Import and export.
	str(implemented, "auto-key-locate", 0),
	flag(implemented, "no-auto-key-locate", 0),
	flag(notImplemented, "auto-key-import", 0),
	flag(noEffect, "no-auto-key-import", 0),
	opposed("auto-key-retrieve", "no-auto-key-retrieve", 0),
	opposed("no-auto-key-retrieve", "auto-key-retrieve", 0),
	flag(notImplemented, "include-key-block", 0),
	flag(noEffect, "no-include-key-block", 0),
	flag(noEffect, "disable-dirmngr", 0),
	str(implemented, "keyserver", 0),
	str(implemented, "keyserver-options", 0),
	// front's own: the CA bundle for HKPS and WKD (dirmngr's --hkp-cacert),
	// and curl-style HOST:PORT:ADDR name overrides (repeatable)
	str(implemented, "hkp-cacert", 0),
	str(implemented, "resolve", 0),
	str(implemented, "key-origin", 0),
	str(implemented, "import-options", 0),
	str(notImplemented, "import-filter", 0),
	str(implemented, "export-options", 0),
	str(notImplemented, "export-filter", 0),
	flag(notImplemented, "merge-only", 0),
	flag(noEffect, "allow-secret-key-import", 0), // obsolete in gpg as well

	// Key listings.
	str(implemented, "list-options", 0),
	flag(noEffect, "show-photos", 0),
	flag(noEffect, "no-show-photos", 0),
	flag(notImplemented, "show-policy-url", 0),
	flag(notImplemented, "no-show-policy-url", 0),
	flag(implemented, "with-colons", 0),
	flag(notImplemented, "with-tofu-info", 0),
	flag(notImplemented, "with-key-data", 0),
	flag(implemented, "with-sig-list", 0),
	flag(implemented, "with-sig-check", 0),
	flag(implemented, "with-fingerprint", 0),
	flag(implemented, "with-subkey-fingerprint", 0, "with-subkey-fingerprints"),
	flag(notImplemented, "with-icao-spelling", 0),
	flag(implemented, "with-keygrip", 0),
	flag(implemented, "with-secret", 0),
	flag(notImplemented, "with-wkd-hash", 0),
	flag(implemented, "with-key-origin", 0),
	flag(implemented, "fast-list-mode", 0),
	flag(noEffect, "fixed-list-mode", 0), // always on since gpg 2.1
	flag(notImplemented, "legacy-list-mode", 0),
	flag(notImplemented, "print-pka-records", 0),
	flag(notImplemented, "print-dane-records", 0),
	str(implemented, "keyid-format", 0),
	flag(notImplemented, "show-keyring", 0),

	// Key selection.
	str(implemented, "recipient", 'r', "remote-user", "user"),
	str(implemented, "hidden-recipient", 'R'),
	str(implemented, "recipient-file", 'f'),
	str(implemented, "hidden-recipient-file", 'F'),
	flag(implemented, "throw-keyids", 0),
	flag(implemented, "no-throw-keyids", 0),
	str(implemented, "local-user", 'u', "sign-with"),
	str(implemented, "trusted-key", 0),
	str(notImplemented, "sender", 0),
	str(notImplemented, "try-secret-key", 0),
	flag(notImplemented, "try-all-secrets", 0),
	flag(implemented, "no-default-keyring", 0),
	flag(implemented, "no-keyring", 0),
	str(implemented, "keyring", 0),
	str(implemented, "primary-keyring", 0),
	str(noEffect, "secret-keyring", 0), // obsolete in gpg as well
	flag(notImplemented, "skip-hidden-recipients", 0),
	flag(noEffect, "no-skip-hidden-recipients", 0),
	str(implemented, "override-session-key", 0),
	integer(implemented, "override-session-key-fd", 0),

	// Security.
	integer(notImplemented, "s2k-mode", 0),
	str(notImplemented, "s2k-digest-algo", 0),
	str(notImplemented, "s2k-cipher-algo", 0),
	integer(notImplemented, "s2k-count", 0),
	// Signing subkeys without a back signature are rejected always.
	flag(noEffect, "require-cross-certification", 0, "require-backsigs"),
	flag(notImplemented, "no-require-cross-certification", 0, "no-require-backsigs"),
	str(implemented, "verify-options", 0),
	flag(implemented, "enable-special-filenames", 0),
	flag(noEffect, "no-random-seed-file", 0),
	flag(noEffect, "no-sig-cache", 0),
	flag(noEffect, "ignore-time-conflict", 0),
	flag(notImplemented, "ignore-valid-from", 0),
	flag(notImplemented, "ignore-crc-error", 0),
	flag(implemented, "ignore-mdc-error", 0),
	str(notImplemented, "disable-cipher-algo", 0),
	str(notImplemented, "disable-pubkey-algo", 0),
	str(implemented, "cipher-algo", 0),
	str(implemented, "digest-algo", 0),
	str(notImplemented, "cert-digest-algo", 0),
	flag(notImplemented, "override-compliance-check", 0),
	flag(notImplemented, "allow-weak-key-signatures", 0),
	flag(implemented, "allow-weak-digest-algos", 0),
	str(implemented, "weak-digest", 0),
	flag(notImplemented, "allow-multisig-verification", 0),
	flag(notImplemented, "allow-multiple-messages", 0),
	flag(noEffect, "no-allow-multiple-messages", 0),

	// Unattended use.
	opposed("batch", "no-batch", 0),
	opposed("no-batch", "batch", 0),
	opposed("yes", "no", 0),
	flag(notImplemented, "no", 0),
	integer(implemented, "status-fd", 0),
	str(implemented, "status-file", 0),
	integer(notImplemented, "attribute-fd", 0),
	str(notImplemented, "attribute-file", 0),
	integer(implemented, "command-fd", 0),
	str(implemented, "command-file", 0),
	{name: "passphrase", arg: argOptional, support: implemented},
	integer(implemented, "passphrase-fd", 0),
	str(implemented, "passphrase-file", 0),
	integer(noEffect, "passphrase-repeat", 0),
	// ask (pinentry), loopback, cancel, error as gpg (passphrase.go);
	// --passphrase-cache is front's own: auto, keyring, secret-service, none
	str(implemented, "pinentry-mode", 0),
	str(implemented, "passphrase-cache", 0),
	flag(notImplemented, "force-sign-key", 0),

	// Other options: hints for gpg-agent's pinentry and similar.
	str(noEffect, "request-origin", 0),
	str(implemented, "display", 0),
	str(implemented, "ttyname", 0),
	str(implemented, "ttytype", 0),
	str(implemented, "lc-ctype", 0),
	str(implemented, "lc-messages", 0),
	str(noEffect, "xauthority", 0),
	flag(noEffect, "no-autostart", 0),
	flag(notImplemented, "forbid-gen-key", 0),
	flag(notImplemented, "require-compliance", 0),
	flag(noEffect, "use-only-openpgp-card", 0),
	flag(notImplemented, "rfc2440-text", 0),
	flag(noEffect, "no-rfc2440-text", 0),

	// Obsolete in gpg, which accepts them (some with a warning).
	flag(noEffect, "use-agent", 0),
	flag(noEffect, "no-use-agent", 0),
	str(noEffect, "gpg-agent-info", 0),
	str(noEffect, "reader-port", 0),
	str(noEffect, "ctapi-driver", 0),
	str(noEffect, "pcsc-driver", 0),
	flag(noEffect, "disable-ccid", 0),
	flag(noEffect, "honor-http-proxy", 0),
	str(noEffect, "tofu-db-format", 0),
	flag(noEffect, "strict", 0),
	flag(noEffect, "no-strict", 0),
	flag(noEffect, "load-extension", 0),
	flag(noEffect, "sk-comments", 0),
	flag(noEffect, "no-sk-comments", 0),
	flag(noEffect, "compress-keys", 0),
	flag(noEffect, "compress-sigs", 0),
	flag(noEffect, "force-v3-sigs", 0),
	flag(noEffect, "no-force-v3-sigs", 0),
	flag(noEffect, "force-v4-certs", 0),
	flag(noEffect, "no-force-v4-certs", 0),
	flag(noEffect, "no-mdc-warning", 0),
	flag(noEffect, "force-mdc", 0),
	flag(noEffect, "no-force-mdc", 0),
	flag(noEffect, "disable-mdc", 0),
	flag(noEffect, "no-disable-mdc", 0),

	// front's own: version 6 keys (RFC 9580).
	flag(implemented, "rfc9580", 0),

	// front's own: per-application access tokens (tokens.go).
	command("create-token", 0),
	command("list-tokens", 0),
	command("revoke-token", 0),
	str(implemented, "token-app", 0),
	str(implemented, "token-ops", 0),
	str(implemented, "token-expire", 0),
	str(implemented, "token-file", 0),

	// front's own: import GnuPG's files again (migrate.go).
	command("migrate-gnupg", 0),

	// What gpg's parser adds to every table.
	internal("help", specialHelp),
	internal("version", specialVersion),
	internal("warranty", specialWarranty),
	internal("dump-options", specialDumpOptions),
	{name: "dump-option-table", support: notImplemented, cmdlineOnly: true},
}}

// optTable indexes a program's options. The index is built on first use:
// front carries four tables (gpg, gpgv, gpgconf, gpg-agent.conf) and a run
// uses one or two, so building all of them in package init was start-up
// time every process paid (about 0.1 ms). The tables themselves are
// written so that the compiler lays them out as static data (a literal
// &optTable{specs: ...}, constructors that return one composite literal):
// a method call or wrapper in a table moves all of it into package init,
// code plus a 50 KB allocation at each start. TestOptionTablesStatic
// checks.
type optTable struct {
	specs []optSpec
	once  sync.Once
	names map[string]*optSpec // every full spelling
	short map[byte]*optSpec
}

func newOptTable(specs []optSpec) *optTable { return &optTable{specs: specs} }

// index builds the lookup maps; a duplicate spelling is a programming
// error caught by the first run (and the tests) that uses the table.
func (t *optTable) index() {
	t.once.Do(func() {
		// Sized once: growing a map of 600 spellings costs more than
		// filling it.
		t.names, t.short = make(map[string]*optSpec, len(t.specs)*5/4), map[byte]*optSpec{}
		add := func(n string, s *optSpec) {
			if _, dup := t.names[n]; dup {
				panic("duplicate option " + n)
			}
			t.names[n] = s
		}
		for i := range t.specs {
			s := &t.specs[i]
			if s.name != "" {
				add(s.name, s)
			}
			for _, n := range s.aliases {
				add(n, s)
			}
			if s.short != 0 {
				if _, dup := t.short[s.short]; dup {
					panic(fmt.Sprintf("duplicate short option -%c", s.short))
				}
				t.short[s.short] = s
			}
		}
	})
}

// byName returns the option with the full spelling n, or nil.
func (t *optTable) byName(n string) *optSpec { t.index(); return t.names[n] }

// byShort returns the option with the short name c, or nil.
func (t *optTable) byShort(c byte) *optSpec { t.index(); return t.short[c] }

// spec returns the option with canonical name, or nil.
func (t *optTable) spec(name string) *optSpec {
	s := t.byName(name)
	if s == nil || s.name != name {
		return nil
	}
	return s
}

// errAmbiguous marks an abbreviation matching several options.
var errAmbiguous = fmt.Errorf("ambiguous")

// lookupLong finds a long option by full spelling or unique prefix, as gpg
// does: a prefix is ambiguous only when it reaches two different options.
func (t *optTable) lookupLong(word string) (*optSpec, error) {
	if word == "" {
		return nil, nil
	}
	if s := t.byName(word); s != nil {
		return s, nil
	}
	var found *optSpec
	for i := range t.specs {
		s := &t.specs[i]
		for _, n := range s.spellings() {
			if strings.HasPrefix(n, word) {
				if found != nil && found != s {
					return nil, errAmbiguous
				}
				found = s
			}
		}
	}
	return found, nil
}

// optItem is one option occurrence, in the order given.
type optItem struct {
	spec  *optSpec
	value string
	// origin is "" for the command line, else "FILE:LINE".
	origin string
}

// parsed is the result of option parsing: gpg.conf, then the command line.
type parsed struct {
	command string
	values  map[string][]string
	order   []string
	items   []optItem
	args    []string
	// special is set when gpg's parser would have acted at once
	// (--version, --help, --warranty, --dump-options).
	special special
	// argsLookLikeOptions are arguments that start with "--": gpg and
	// gpgconf note that they are not options (even after "--", although
	// their code means to skip the note then).
	argsLookLikeOptions []string
}

func newParsed() *parsed { return &parsed{values: map[string][]string{}} }

func (p *parsed) has(name string) bool { _, ok := p.values[name]; return ok }

// last returns the last value of an option (gpg: the last one wins).
func (p *parsed) last(name string) string {
	v := p.values[name]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

func (p *parsed) count(name string) int { return len(p.values[name]) }

// usageError is a command-line problem: gpg prints it and exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// optionError is a command-line option gpg's parser rejects. gpg prints
// these without its "gpg: " prefix (they come from the argument parser of
// libgpg-error, not gpg's logger), then exits 2.
type optionError struct{ msg string }

func (e *optionError) Error() string { return e.msg }

// errConflictingCommands ends a run as gpg's set_cmd does (g10_exit(2)).
var errConflictingCommands = &usageError{"conflicting commands"}

// add records one option occurrence.
func (p *parsed) add(s *optSpec, value, origin string) error {
	if s.command {
		c, ok := combineCommands(p.command, s.name)
		if !ok {
			return errConflictingCommands
		}
		p.command = c
	}
	for _, c := range s.cancels {
		delete(p.values, c)
	}
	p.values[s.name] = append(p.values[s.name], value)
	p.order = append(p.order, s.name)
	p.items = append(p.items, optItem{spec: s, value: value, origin: origin})
	return nil
}

// parseArgs parses a gpg command line alone (no options file).
func parseArgs(argv []string) (*parsed, error) {
	p := newParsed()
	return p, gpgOptions.parseCommandLine(p, argv)
}

// parseCommandLine adds argv's options to p and sets p.args. On an error
// p holds what came before it (gpg has acted on those, e.g. --status-fd,
// when it reports the error).
func (t *optTable) parseCommandLine(p *parsed, argv []string) error {
	i := 0
	for ; i < len(argv); i++ {
		word := argv[i]
		if word == "--" {
			i++
			break
		}
		if len(word) < 2 || word[0] != '-' {
			break // the first argument ends the options
		}
		if strings.HasPrefix(word, "--") {
			name, value, hasValue := strings.Cut(word[2:], "=")
			s, err := t.lookupLong(name)
			switch {
			case err == errAmbiguous:
				return &optionError{fmt.Sprintf("option \"%.50s\" is ambiguous", word)}
			case s == nil:
				return &optionError{fmt.Sprintf("invalid option \"%.50s\"", word)}
			}
			if s.special != notSpecial {
				p.special = s.special
				return nil
			}
			switch {
			case s.arg == argNone:
				// gpg ignores a value given to an option without argument.
				value = ""
			case s.arg == argOptional && !hasValue:
				if i+1 < len(argv) && !strings.HasPrefix(argv[i+1], "-") {
					i++
					value = argv[i]
				}
			case hasValue && value == "" && s.arg != argOptional,
				!hasValue && i+1 >= len(argv):
				return &optionError{fmt.Sprintf("missing argument for option \"%.50s\"", word)}
			case !hasValue:
				i++
				value = argv[i]
			}
			if value, err = normalizeArg(s.arg, value); err != nil {
				return &optionError{fmt.Sprintf("invalid argument for option \"%.50s\"", word)}
			}
			if err := p.add(s, value, ""); err != nil {
				return err
			}
			continue
		}
		// A bundle of short options.
		for j := 1; j < len(word); j++ {
			s := t.byShort(word[j])
			if s == nil {
				if word[j] == 'h' || word[j] == '?' {
					p.special = specialHelp
					return nil
				}
				return &optionError{fmt.Sprintf("invalid option \"%.50s\"", word)}
			}
			value := ""
			if s.arg != argNone {
				switch {
				case j+1 < len(word):
					value = word[j+1:]
				case s.arg == argOptional && (i+1 >= len(argv) || len(argv[i+1]) > 1 && argv[i+1][0] == '-'):
				case i+1 < len(argv):
					i++
					value = argv[i]
				default:
					return &optionError{fmt.Sprintf("missing argument for option \"%.50s\"", word)}
				}
				var err error
				if value, err = normalizeArg(s.arg, value); err != nil {
					return &optionError{fmt.Sprintf("invalid argument for option \"%.50s\"", word)}
				}
				if err := p.add(s, value, ""); err != nil {
					return err
				}
				break
			}
			if err := p.add(s, "", ""); err != nil {
				return err
			}
		}
	}
	p.args = append(p.args, argv[i:]...)
	for _, a := range p.args {
		if strings.HasPrefix(a, "--") {
			p.argsLookLikeOptions = append(p.argsLookLikeOptions, a)
		}
	}
	return nil
}

// normalizeArg reads integer arguments as gpg does (strtol: leading digits
// count, anything else is 0) so the rest of front sees the number gpg would
// use. Unsigned arguments refuse a sign and accept 0x and 0 prefixes.
func normalizeArg(kind argKind, v string) (string, error) {
	switch kind {
	case argInt:
		n, err := strtol(v, 10)
		if err != nil || n < -1<<31 || n > 1<<31-1 {
			return "", fmt.Errorf("out of range")
		}
		return strconv.FormatInt(n, 10), nil
	case argUlong:
		t := strings.TrimLeft(v, " \t\n\v\f\r")
		if strings.HasPrefix(t, "-") {
			return "", fmt.Errorf("negative")
		}
		n, err := strtol(t, 0)
		if err != nil {
			return "", err
		}
		return strconv.FormatInt(n, 10), nil
	}
	return v, nil
}

// strtol converts the longest numeric prefix of s (after white space and
// a sign) in base (0: C's prefixes), 0 when there is none.
func strtol(s string, base int) (int64, error) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if base == 0 {
		switch {
		case len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") && isHexDigit(s[2]):
			base, s = 16, s[2:]
		case len(s) > 1 && s[0] == '0':
			base = 8
		default:
			base = 10
		}
	}
	end := 0
	for end < len(s) && digitValue(s[end]) < base {
		end++
	}
	if end == 0 {
		return 0, nil
	}
	n, err := strconv.ParseInt(s[:end], base, 64)
	if err != nil {
		return 0, err
	}
	if neg {
		n = -n
	}
	return n, nil
}

func isHexDigit(c byte) bool { return digitValue(c) < 16 }

func digitValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}

// checkSupport refuses the options front does not implement. Options from
// an options file were already reported as warnings when it was read.
func (p *parsed) checkSupport() error {
	for _, it := range p.items {
		if it.origin == "" && it.spec.support == notImplemented && !it.spec.command {
			return &usageError{fmt.Sprintf("option \"--%s\" is not supported by front", it.spec.name)}
		}
	}
	return nil
}

// dumpOptions lists the long options front accepts, as gpg's
// --dump-options does; clients probe it for support of an option, so the
// ones front refuses are left out.
func (t *optTable) dumpOptions() []string {
	var out []string
	for i := range t.specs {
		s := &t.specs[i]
		if s.support == notImplemented && !s.command {
			continue
		}
		for _, n := range s.spellings() {
			out = append(out, "--"+n)
		}
	}
	return out
}

// combineCommands merges two command options as gpg does (g10/gpg.c
// set_cmd), or reports that they conflict. --fingerprint is a command only
// when no other command is given.
func combineCommands(have, add string) (string, bool) {
	switch {
	case have == "" || have == add:
		return add, true
	case add == "fingerprint":
		return have, true
	case have == "fingerprint":
		return add, true
	}
	pair := map[[2]string]string{
		{"sign", "encrypt"}:                "sign-encrypt",
		{"encrypt", "sign"}:                "sign-encrypt",
		{"sign", "symmetric"}:              "sign-symmetric",
		{"symmetric", "sign"}:              "sign-symmetric",
		{"encrypt", "symmetric"}:           "encrypt-symmetric",
		{"symmetric", "encrypt"}:           "encrypt-symmetric",
		{"sign-encrypt", "symmetric"}:      "sign-encrypt-symmetric",
		{"sign-symmetric", "encrypt"}:      "sign-encrypt-symmetric",
		{"encrypt-symmetric", "sign"}:      "sign-encrypt-symmetric",
		{"sign-encrypt", "sign"}:           "sign-encrypt",
		{"sign-encrypt", "encrypt"}:        "sign-encrypt",
		{"sign-symmetric", "sign"}:         "sign-symmetric",
		{"sign-symmetric", "symmetric"}:    "sign-symmetric",
		{"sign", "clearsign"}:              "clearsign",
		{"clearsign", "sign"}:              "clearsign",
		{"sign", "detach-sign"}:            "detach-sign",
		{"detach-sign", "sign"}:            "detach-sign",
		{"encrypt-symmetric", "encrypt"}:   "encrypt-symmetric",
		{"encrypt-symmetric", "symmetric"}: "encrypt-symmetric",
	}
	c, ok := pair[[2]string{have, add}]
	return c, ok
}

// answerSpecial handles the commands every personality shares
// (--version, --help, --warranty, --dump-options) and reports whether the
// run ends here.
func (a *app) answerSpecial(s special, usage string, table *optTable) bool {
	switch s {
	case specialVersion:
		a.version()
	case specialHelp:
		fmt.Fprint(a.stdout, usage)
	case specialWarranty:
		fmt.Fprintln(a.stdout, warrantyText)
	case specialDumpOptions:
		for _, o := range table.dumpOptions() {
			fmt.Fprintln(a.stdout, o)
		}
	default:
		return false
	}
	return true
}
