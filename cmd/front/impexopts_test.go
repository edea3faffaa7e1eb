package main

import "testing"

func TestParseExportOptions(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    uint32
		problem string
	}{
		{"", defaultExportOptions, ""},
		{"export-local-sigs", defaultExportOptions | exportLocalSigs, ""},
		{"no-export-attributes", 0, ""},
		{"NO-EXPORT-ATTRIBUTES,Export-Clean", exportClean, ""},
		{"export-minimal", defaultExportOptions | exportMinimal | exportClean, ""},
		{"export-min no-export-clean", defaultExportOptions | exportMinimal, ""},
		{"export-clean, export-sens", defaultExportOptions | exportClean | exportSensitiveRevkeys, ""},
		{"include-local-sigs", defaultExportOptions | exportLocalSigs, ""},
		{"export-clean-sigs,export-clean-uids,export-unusable-sigs", defaultExportOptions, ""},
		{"export-clean=yes", defaultExportOptions | exportClean, ""},
		// backup turns on what a restore needs and cleaning off.
		{"export-clean,backup", exportAttributes | exportLocalSigs | exportSensitiveRevkeys | exportBackup, ""},
		{"export-", defaultExportOptions, "ambiguous option 'export-'"},
		{"export-c", defaultExportOptions, "ambiguous option 'export-c'"},
		{"export-local-sigs,bogus", defaultExportOptions | exportLocalSigs, "unknown option 'bogus'"},
		{"no-", defaultExportOptions, "ambiguous option 'no-'"},
	} {
		bits := defaultExportOptions
		problem := applyExportOptions(c.in, &bits)
		if problem != c.problem || (problem == "" && bits != c.want) {
			t.Errorf("%q: got %#x %q, want %#x %q", c.in, bits, problem, c.want, c.problem)
		}
	}
}

func TestParseImportOptions(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    uint32
		problem string
	}{
		{"show-only", defaultImportOptions | importShow | importDryRun, ""},
		{"import-show", defaultImportOptions | importShow, ""},
		{"no-repair-keys", 0, ""},
		{"import-minimal,merge-only", defaultImportOptions | importMinimal | importClean | importMergeOnly, ""},
		{"self-sigs-only import-local-sigs", defaultImportOptions | importSelfSigsOnly | importLocalSigs, ""},
		{"allow-local-sigs,repair-hkp-subkey-bug", defaultImportOptions | importLocalSigs | importRepairPKSSubkeyBug, ""},
		{"import-clean,merge-only,restore", defaultImportOptions | importRestore | importLocalSigs | importKeepOwnertrust, ""},
		{"keep-own,fast", defaultImportOptions | importKeepOwnertrust | importFast, ""},
		{"import-export", defaultImportOptions | importExport, ""},
		{"import", defaultImportOptions, "ambiguous option 'import'"},
		{"import-drop-uids", defaultImportOptions, "unknown option 'import-drop-uids'"},
		{"no-seckey", defaultImportOptions, "unknown option 'no-seckey'"},
	} {
		bits := defaultImportOptions
		problem := applyImportOptions(c.in, &bits)
		if problem != c.problem || (problem == "" && bits != c.want) {
			t.Errorf("%q: got %#x %q, want %#x %q", c.in, bits, problem, c.want, c.problem)
		}
	}
}

func TestOptsep(t *testing.T) {
	for _, c := range []struct {
		in   string
		toks []string
	}{
		{"a,b c", []string{"a", "b", "c"}},
		{"a,,b", []string{"a", "", "b"}},
		{"a=1 2,b", []string{"a=1", "2", "b"}},
		{`a="x y",b`, []string{`a="x y"`, "b"}},
		{"a = v,b", []string{"a = v", "b"}},
	} {
		var got []string
		s, more := c.in, true
		for more {
			var tok string
			tok, s, more = optsep(s)
			got = append(got, tok)
		}
		if len(got) != len(c.toks) {
			t.Errorf("%q: got %q, want %q", c.in, got, c.toks)
			continue
		}
		for i := range got {
			if got[i] != c.toks[i] {
				t.Errorf("%q: got %q, want %q", c.in, got, c.toks)
				break
			}
		}
	}
}

func TestImpexHelp(t *testing.T) {
	h := impexHelp(exportOptTable)
	want := "export-local-sigs         export signatures that are marked as local-only\n"
	if len(h) < len(want) || h[:len(want)] != want {
		t.Errorf("help starts %q", h)
	}
}

func TestListOptions(t *testing.T) {
	bits := uint32(defaultListOptions)
	if p := applyListOptions("show-unusable-uids no-show-usage,show-unusable-sub", &bits); p != "" {
		t.Fatal(p)
	}
	if bits&listShowUnusableUIDs == 0 || bits&listShowUnusableSubkeys == 0 || bits&listShowUsage != 0 || bits&listShowUIDValidity == 0 {
		t.Errorf("bits %b", bits)
	}
	if p := applyListOptions("show-", &bits); p != "ambiguous option 'show-'" {
		t.Errorf("prefix: %q", p)
	}
	if p := applyListOptions("show-bogus", &bits); p != "unknown option 'show-bogus'" {
		t.Errorf("unknown: %q", p)
	}
}
