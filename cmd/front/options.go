package main

import (
	"fmt"
	"sort"
	"strings"
)

// optSpec is one gpg option: its long name, short letter, whether it takes
// an argument, and whether it selects the command.
type optSpec struct {
	name    string
	short   byte
	hasArg  bool
	command bool
}

// optSpecs lists the options front understands; aliases map to one name.
var optSpecs = []optSpec{
	{name: "sign", short: 's', command: true},
	{name: "clearsign", command: true},
	{name: "detach-sign", short: 'b', command: true},
	{name: "encrypt", short: 'e', command: true},
	{name: "symmetric", short: 'c', command: true},
	{name: "decrypt", short: 'd', command: true},
	{name: "verify", command: true},
	{name: "import", command: true},
	{name: "export", command: true},
	{name: "export-secret-keys", command: true},
	{name: "export-secret-subkeys", command: true},
	{name: "list-keys", short: 'k', command: true},
	{name: "list-secret-keys", short: 'K', command: true},
	{name: "fingerprint", command: true},
	{name: "delete-keys", command: true},
	{name: "delete-secret-keys", command: true},
	{name: "delete-secret-and-public-key", command: true},
	{name: "quick-generate-key", command: true},
	{name: "generate-key", command: true},
	{name: "version", command: true},
	{name: "armor", short: 'a'},
	{name: "local-user", short: 'u', hasArg: true},
	{name: "default-key", hasArg: true},
	{name: "recipient", short: 'r', hasArg: true},
	{name: "output", short: 'o', hasArg: true},
	{name: "textmode", short: 't'},
	{name: "digest-algo", hasArg: true},
	{name: "cipher-algo", hasArg: true},
	{name: "compress-algo", hasArg: true},
	{name: "compress-level", short: 'z', hasArg: true},
	{name: "batch"},
	{name: "no-batch"},
	{name: "yes"},
	{name: "quiet", short: 'q'},
	{name: "verbose", short: 'v'},
	{name: "homedir", hasArg: true},
	{name: "status-fd", hasArg: true},
	{name: "status-file", hasArg: true},
	{name: "pinentry-mode", hasArg: true},
	{name: "passphrase", hasArg: true},
	{name: "passphrase-fd", hasArg: true},
	{name: "passphrase-file", hasArg: true},
	{name: "trust-model", hasArg: true},
	{name: "always-trust"},
	{name: "with-colons"},
	{name: "with-fingerprint"},
	{name: "keyid-format", hasArg: true},
	{name: "no-tty"},
	{name: "rfc9580"},
	{name: "no-armor"},
	{name: "set-filename", hasArg: true},
	{name: "max-output", hasArg: true},
	{name: "faked-system-time", hasArg: true},
	{name: "no-encrypt-to"},
	{name: "fixed-list-mode"},
	{name: "no-default-keyring"},
	{name: "no-options"},
	{name: "use-agent"},
	{name: "no-use-agent"},
	{name: "no-secmem-warning"},
	{name: "no-permission-warning"},
	{name: "no-greeting"},
	{name: "no-verbose"},
	{name: "charset", hasArg: true},
	{name: "display", hasArg: true},
	{name: "ttyname", hasArg: true},
	{name: "ttytype", hasArg: true},
	{name: "lc-ctype", hasArg: true},
	{name: "lc-messages", hasArg: true},
}

// aliases maps gpg's alternative spellings to the names above.
var aliases = map[string]string{
	"clear-sign":           "clearsign",
	"list-key":             "list-keys",
	"list-public-keys":     "list-keys",
	"list-secret-key":      "list-secret-keys",
	"quick-gen-key":        "quick-generate-key",
	"gen-key":              "generate-key",
	"delete-key":           "delete-keys",
	"delete-secret-key":    "delete-secret-keys",
	"fingerprints":         "fingerprint",
	"export-secret-key":    "export-secret-keys",
	"export-secret-subkey": "export-secret-subkeys",
}

// parsed is the command line after parsing: options in order (repeated
// options keep every value) and the remaining arguments.
type parsed struct {
	command string
	values  map[string][]string
	order   []string
	args    []string
}

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

func lookupLong(name string) (optSpec, error) {
	if a, ok := aliases[name]; ok {
		name = a
	}
	var matches []optSpec
	for _, s := range optSpecs {
		if s.name == name {
			return s, nil
		}
		if strings.HasPrefix(s.name, name) {
			matches = append(matches, s)
		}
	}
	for a, target := range aliases {
		if strings.HasPrefix(a, name) {
			for _, s := range optSpecs {
				if s.name == target {
					matches = append(matches, s)
				}
			}
		}
	}
	uniq := map[string]optSpec{}
	for _, m := range matches {
		uniq[m.name] = m
	}
	if len(uniq) == 1 {
		for _, m := range uniq {
			return m, nil
		}
	}
	if len(uniq) > 1 {
		names := make([]string, 0, len(uniq))
		for n := range uniq {
			names = append(names, n)
		}
		sort.Strings(names)
		return optSpec{}, &usageError{fmt.Sprintf("option \"--%s\" is ambiguous", name)}
	}
	return optSpec{}, &usageError{fmt.Sprintf("invalid option \"--%s\"", name)}
}

func lookupShort(c byte) (optSpec, error) {
	for _, s := range optSpecs {
		if s.short == c {
			return s, nil
		}
	}
	return optSpec{}, &usageError{fmt.Sprintf("invalid option \"-%c\"", c)}
}

// parseArgs parses gpg's command line: --opt, --opt=v, --opt v, bundled
// short options (-bsau KEY), "--" ends options, "-" is an argument.
func parseArgs(argv []string) (*parsed, error) {
	p := &parsed{values: map[string][]string{}}
	set := func(s optSpec, v string) error {
		if s.command {
			// gpg combines some commands: -s with -e, -b, -c; --sign --symmetric.
			p.command = combineCommands(p.command, s.name)
			if p.command == "" {
				return &usageError{"conflicting commands"}
			}
		}
		p.values[s.name] = append(p.values[s.name], v)
		p.order = append(p.order, s.name)
		return nil
	}
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		switch {
		case a == "--":
			p.args = append(p.args, argv[i+1:]...)
			return p, nil
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			s, err := lookupLong(name)
			if err != nil {
				return nil, err
			}
			if s.hasArg && !hasVal {
				if i+1 >= len(argv) {
					return nil, &usageError{fmt.Sprintf("missing argument for option \"--%s\"", s.name)}
				}
				i++
				val = argv[i]
			} else if !s.hasArg && hasVal {
				return nil, &usageError{fmt.Sprintf("option \"--%s\" does not expect an argument", s.name)}
			}
			if err := set(s, val); err != nil {
				return nil, err
			}
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				s, err := lookupShort(a[j])
				if err != nil {
					return nil, err
				}
				val := ""
				if s.hasArg {
					if j+1 < len(a) {
						val = a[j+1:]
					} else if i+1 < len(argv) {
						i++
						val = argv[i]
					} else {
						return nil, &usageError{fmt.Sprintf("missing argument for option \"-%c\"", a[j])}
					}
					if err := set(s, val); err != nil {
						return nil, err
					}
					break
				}
				if err := set(s, ""); err != nil {
					return nil, err
				}
			}
		default:
			p.args = append(p.args, a)
		}
	}
	return p, nil
}

// combineCommands merges two command options as gpg does, or returns ""
// when they conflict.
func combineCommands(have, add string) string {
	if have == "" || have == add {
		return add
	}
	pair := map[[2]string]string{
		{"sign", "encrypt"}: "sign-encrypt", {"encrypt", "sign"}: "sign-encrypt",
		{"sign", "symmetric"}: "sign-symmetric", {"symmetric", "sign"}: "sign-symmetric",
		{"encrypt", "symmetric"}: "encrypt-symmetric", {"symmetric", "encrypt"}: "encrypt-symmetric",
		{"sign", "detach-sign"}: "detach-sign", {"detach-sign", "sign"}: "detach-sign",
		{"sign", "clearsign"}: "clearsign", {"clearsign", "sign"}: "clearsign",
		{"sign-encrypt", "symmetric"}: "sign-encrypt-symmetric", {"encrypt-symmetric", "sign"}: "sign-encrypt-symmetric",
		{"sign-encrypt", "sign"}: "sign-encrypt", {"sign-encrypt", "encrypt"}: "sign-encrypt",
		{"list-keys", "fingerprint"}: "list-keys", {"fingerprint", "list-keys"}: "list-keys",
		{"list-secret-keys", "fingerprint"}: "list-secret-keys", {"fingerprint", "list-secret-keys"}: "list-secret-keys",
		{"fingerprint", "fingerprint"}: "fingerprint",
	}
	return pair[[2]string{have, add}]
}
