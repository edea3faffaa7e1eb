package store

import (
	"os"
	"testing"
)

// BenchmarkCleanDebianKeyring splits and checks the Debian keyring the way
// an import does, without writing (profile with -cpuprofile).
func BenchmarkCleanDebianKeyring(b *testing.B) {
	data, err := os.ReadFile("/usr/share/keyrings/debian-keyring.gpg")
	if err != nil {
		b.Skip("debian-keyring not installed")
	}
	for i := 0; i < b.N; i++ {
		blocks, _, err := SplitImport(data)
		if err != nil {
			b.Fatal(err)
		}
		for _, blk := range blocks {
			if res, _ := blk.Keyblock.Clean(CleanOptions{}); res != Clean {
				b.Fatalf("%X not clean", blk.Keyblock.Fingerprint())
			}
		}
	}
}
