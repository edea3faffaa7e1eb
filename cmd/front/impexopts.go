package main

import (
	"fmt"
	"strings"
)

// --export-options and --import-options as gpg 2.2.40 reads them
// (g10/misc.c parse_options, g10/export.c parse_export_options,
// g10/import.c parse_import_options): a list of names separated by commas
// or spaces, each case-insensitive, optionally prefixed by "no-" to turn it
// off, and abbreviated to any unambiguous prefix; "help" alone lists them.
// An unknown or ambiguous name is an error at option parsing time
// ("unknown option 'x'", "invalid export options"), exit 2; in gpg.conf the
// message names the file and line.

type impexOpt struct {
	name string
	bits uint32
	help string
}

// Export option bits.
const (
	exportLocalSigs uint32 = 1 << iota
	exportAttributes
	exportSensitiveRevkeys
	exportClean
	exportMinimal
	exportPKA
	exportDANE
	exportBackup
)

// Import option bits.
const (
	importLocalSigs uint32 = 1 << iota
	importRepairPKSSubkeyBug
	importKeepOwnertrust
	importFast
	importShow
	importMergeOnly
	importClean
	importMinimal
	importSelfSigsOnly
	importExport
	importRestore
	importRepairKeys
	importDryRun
)

// exportOptTable is export.c's table, in its order (prefix matching and
// ambiguity depend on it).
var exportOptTable = []impexOpt{
	{"export-local-sigs", exportLocalSigs, "export signatures that are marked as local-only"},
	{"export-attributes", exportAttributes, "export attribute user IDs (generally photo IDs)"},
	{"export-sensitive-revkeys", exportSensitiveRevkeys, "export revocation keys marked as \"sensitive\""},
	{"export-clean", exportClean, "remove unusable parts from key during export"},
	{"export-minimal", exportMinimal | exportClean, "remove as much as possible from key during export"},
	{"export-pka", exportPKA, ""},
	{"export-dane", exportDANE, ""},
	{"backup", exportBackup, "use the GnuPG key backup format"},
	{"export-backup", exportBackup, ""},
	{"include-local-sigs", exportLocalSigs, ""},
	{"include-attributes", exportAttributes, ""},
	{"include-sensitive-revkeys", exportSensitiveRevkeys, ""},
	{"export-unusable-sigs", 0, ""},
	{"export-clean-sigs", 0, ""},
	{"export-clean-uids", 0, ""},
}

// importOptTable is import.c's table, in its order.
var importOptTable = []impexOpt{
	{"import-local-sigs", importLocalSigs, "import signatures that are marked as local-only"},
	{"repair-pks-subkey-bug", importRepairPKSSubkeyBug, "repair damage from the pks keyserver during import"},
	{"keep-ownertrust", importKeepOwnertrust, "do not clear the ownertrust values during import"},
	{"fast-import", importFast, "do not update the trustdb after import"},
	{"import-show", importShow, "show key during import"},
	{"merge-only", importMergeOnly, "only accept updates to existing keys"},
	{"import-clean", importClean, "remove unusable parts from key after import"},
	{"import-minimal", importMinimal | importClean, "remove as much as possible from key after import"},
	{"self-sigs-only", importSelfSigsOnly, "ignore key-signatures which are not self-signatures"},
	{"import-export", importExport, "run import filters and export key immediately"},
	{"restore", importRestore, "assume the GnuPG key backup format"},
	{"import-restore", importRestore, ""},
	{"repair-keys", importRepairKeys, "repair keys on import"},
	{"show-only", importShow | importDryRun, ""},
	{"allow-local-sigs", importLocalSigs, ""},
	{"repair-hkp-subkey-bug", importRepairPKSSubkeyBug, ""},
	{"import-unusable-sigs", 0, ""},
	{"import-clean-sigs", 0, ""},
	{"import-clean-uids", 0, ""},
	{"convert-sk-to-pk", 0, ""},
}

// gpg's defaults (g10/gpg.c).
const (
	defaultExportOptions = exportAttributes
	defaultImportOptions = importRepairKeys
)

// optsep is gpg's optsep: the next token of s (up to a space or comma; a
// "name=value" token runs to the next space or comma, or over a quoted
// value) and the rest, more=false at the end.
func optsep(s string) (tok, rest string, more bool) {
	end := strings.IndexAny(s, " ,=")
	if end < 0 {
		return s, "", false
	}
	p := end
	sawEquals := false
	for p < len(s) {
		if s[p] == '=' {
			sawEquals = true
		} else if s[p] != ' ' {
			break
		}
		p++
	}
	if sawEquals {
		if p < len(s) && s[p] == '"' {
			p++
			if q := strings.IndexByte(s[p:], '"'); q >= 0 {
				end = p + q + 1
			} else {
				end = -1
			}
		} else if q := strings.IndexAny(s[p:], " ,"); q >= 0 {
			end = p + q
		} else {
			end = -1
		}
	}
	if end >= 0 && end < len(s) {
		return s[:end], s[end+1:], true
	}
	return s, "", false
}

// parseImpexOptions applies one option value to *bits as parse_options
// does. problem is gpg's message for the first bad name ("" when all were
// good); the names before it have been applied.
func parseImpexOptions(value string, bits *uint32, table []impexOpt) (problem string) {
	s, more := value, true
	for more {
		var tok string
		tok, s, more = optsep(s)
		if tok == "" {
			continue
		}
		otok := tok
		rev := false
		if len(tok) >= 3 && strings.EqualFold(tok[:3], "no-") {
			rev, tok = true, tok[3:]
		}
		name := tok
		if i := strings.IndexAny(tok, " ="); i >= 0 {
			name = tok[:i]
		}
		found := -1
		for i, o := range table {
			if len(name) > len(o.name) || !strings.EqualFold(o.name[:len(name)], name) {
				continue
			}
			if len(name) != len(o.name) {
				for _, p := range table[i+1:] {
					if len(name) <= len(p.name) && strings.EqualFold(p.name[:len(name)], name) {
						return fmt.Sprintf("ambiguous option '%s'", otok)
					}
				}
			}
			found = i
			break
		}
		if found < 0 {
			return fmt.Sprintf("unknown option '%s'", otok)
		}
		if rev {
			*bits &^= table[found].bits
		} else {
			*bits |= table[found].bits
		}
	}
	return ""
}

// applyExportOptions is parse_export_options: backup implies local
// signatures, attributes and sensitive revocation keys, and no cleaning.
func applyExportOptions(value string, bits *uint32) string {
	problem := parseImpexOptions(value, bits, exportOptTable)
	if problem == "" && *bits&exportBackup != 0 {
		*bits |= exportLocalSigs | exportAttributes | exportSensitiveRevkeys
		*bits &^= exportClean | exportMinimal | exportPKA | exportDANE
	}
	return problem
}

// applyImportOptions is parse_import_options: restore implies local
// signatures and keeping ownertrust, and no cleaning, subkey repair or
// merge-only.
func applyImportOptions(value string, bits *uint32) string {
	problem := parseImpexOptions(value, bits, importOptTable)
	if problem == "" && *bits&importRestore != 0 {
		*bits |= importLocalSigs | importKeepOwnertrust
		*bits &^= importMinimal | importClean | importRepairPKSSubkeyBug | importMergeOnly
	}
	return problem
}

// impexHelp is what "--export-options help" prints: the names with a
// description, aligned.
func impexHelp(table []impexOpt) string {
	width := 0
	for _, o := range table {
		if o.help != "" && len(o.name) > width {
			width = len(o.name)
		}
	}
	var b strings.Builder
	for _, o := range table {
		if o.help != "" {
			fmt.Fprintf(&b, "%s%s%s\n", o.name, strings.Repeat(" ", width+2-len(o.name)), o.help)
		}
	}
	return b.String()
}

// checkImpexOptions reads every --import-options and --export-options in
// the order gpg does (gpg.conf, then the command line), printing gpg's
// messages for bad ones. help is the table listing to print when a value
// is "help" (gpg prints it and exits at that point); ok is false when a
// value was bad.
func (a *app) checkImpexOptions() (help string, ok bool) {
	ok = true
	var imp, exp, lst, vfy uint32 = defaultImportOptions, defaultExportOptions, defaultListOptions, defaultVerifyOptions
	for _, it := range a.opts.items {
		var table []impexOpt
		var apply func(string, *uint32) string
		var bits *uint32
		var what string
		switch it.spec.name {
		case "import-options":
			table, apply, bits, what = importOptTable, applyImportOptions, &imp, "import"
		case "export-options":
			table, apply, bits, what = exportOptTable, applyExportOptions, &exp, "export"
		case "list-options":
			table, apply, bits, what = listOptTable, applyListOptions, &lst, "list"
		case "verify-options":
			table, apply, bits, what = verifyOptTable, applyVerifyOptions, &vfy, "verify"
		default:
			continue
		}
		if it.value == "help" {
			return impexHelp(table), ok
		}
		if problem := apply(it.value, bits); problem != "" {
			fmt.Fprintf(a.stderr, "%s: %s\n", a.progName(), problem)
			if it.origin != "" {
				fmt.Fprintf(a.stderr, "%s: %s: invalid %s options\n", a.progName(), it.origin, what)
			} else {
				fmt.Fprintf(a.stderr, "%s: invalid %s options\n", a.progName(), what)
			}
			ok = false
		}
	}
	return "", ok
}

// exportOptions is the final --export-options state.
func (a *app) exportOptions() uint32 {
	bits := defaultExportOptions
	for _, v := range a.opts.values["export-options"] {
		applyExportOptions(v, &bits)
	}
	return bits
}

// importOptions is the final --import-options state.
func (a *app) importOptions() uint32 {
	bits := defaultImportOptions
	for _, v := range a.opts.values["import-options"] {
		applyImportOptions(v, &bits)
	}
	return bits
}

// refuseExportFormats refuses the export options front does not
// implement: the GnuPG backup format (which carries gpg's keyring meta
// data).
func refuseExportFormats(bits uint32) error {
	for _, f := range []struct {
		bit  uint32
		name string
	}{{exportBackup, "backup"}} {
		if bits&f.bit != 0 {
			return &exitError{2, fmt.Sprintf("export option \"%s\" is not supported by front", f.name)}
		}
	}
	return nil
}
