package keylist

import "testing"

// v4 fingerprints look as gpg prints them; v6 ones are grouped the same
// way (halves split by two spaces) instead of being left as one word.
func TestFormatFingerprint(t *testing.T) {
	for in, want := range map[string]string{
		"ADF6BFB293B646F2BD205E78CC6C768A6322C4C1":                         "ADF6 BFB2 93B6 46F2 BD20  5E78 CC6C 768A 6322 C4C1",
		"81E4D68AE2584CDB203698D7ED300FF2F7A3493DA3887BE2FC2783D27C560D5D": "81E4 D68A E258 4CDB 2036 98D7 ED30 0FF2  F7A3 493D A388 7BE2 FC27 83D2 7C56 0D5D",
		"ABCD": "ABCD",
	} {
		if got := FormatFingerprint(in); got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}
