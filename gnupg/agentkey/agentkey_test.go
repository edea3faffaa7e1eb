package agentkey

import (
	"bytes"
	"crypto"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/internal/gpghome"
	"github.com/frontpgp/front/keylist"
)

// gpgHome makes a GnuPG home with Debian's gpg 2.2.40 and has gpg
// generate keys in it from a parameter file (gpg --gen-key --batch; none
// if params is empty).
func gpgHome(t *testing.T, agentConf string, params string) string {
	t.Helper()
	if _, err := exec.LookPath("gpg"); err != nil {
		t.Skip("gpg not installed")
	}
	home := gpghome.New(t, "/tmp", "agentkey-")
	// the lowest S2K count gpg-agent takes: the tests try many passphrases
	os.WriteFile(filepath.Join(home, "gpg-agent.conf"), []byte("s2k-count 65536\n"+agentConf), 0o600)
	if params == "" {
		return home
	}
	cmd := exec.Command("gpg", "--homedir", home, "--batch", "--pinentry-mode", "loopback", "--gen-key")
	cmd.Stdin = strings.NewReader(params + "Name-Real: Test\nName-Email: t@example.org\n%commit\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gpg --gen-key: %v\n%s", err, out)
	}
	return home
}

// keysOf returns every (sub)key of the home's certificates.
func keysOf(t *testing.T, home string) []*packet.PublicKey {
	t.Helper()
	out, err := exec.Command("gpg", "--homedir", home, "--export").Output()
	if err != nil {
		t.Fatal(err)
	}
	el, err := openpgp.ReadKeyRing(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	var keys []*packet.PublicKey
	for _, e := range el {
		keys = append(keys, e.PrimaryKey)
		for _, s := range e.Subkeys {
			keys = append(keys, s.PublicKey)
		}
	}
	return keys
}

func keyFile(t *testing.T, home string, pk *packet.PublicKey) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, "private-keys-v1.d", keylist.Keygrip(pk)+".key"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// proveSecret signs with priv and verifies with its public key, or for
// an encryption key checks go-crypto accepted the secret (it validates
// the point or the RSA factors when parsing).
func proveSecret(t *testing.T, priv *packet.PrivateKey) {
	t.Helper()
	if !priv.PublicKey.CanSign() {
		return
	}
	h := crypto.SHA256.New()
	h.Write([]byte("data"))
	sig := &packet.Signature{Version: 4, SigType: packet.SigTypeBinary, PubKeyAlgo: priv.PubKeyAlgo, Hash: crypto.SHA256}
	if err := sig.Sign(h, priv, nil); err != nil {
		t.Fatal(err)
	}
	h = crypto.SHA256.New()
	h.Write([]byte("data"))
	if err := priv.PublicKey.VerifySignature(h, sig); err != nil {
		t.Fatalf("signature by the unlocked key does not verify: %v", err)
	}
}

const (
	ed25519Params = "Key-Type: eddsa\nKey-Curve: ed25519\nSubkey-Type: ecdh\nSubkey-Curve: cv25519\n"
	rsa3072       = "Key-Type: rsa\nKey-Length: 3072\nSubkey-Type: rsa\nSubkey-Length: 3072\n"
	nistp256      = "Key-Type: ecdsa\nKey-Curve: nistp256\nSubkey-Type: ecdh\nSubkey-Curve: nistp256\n"
	oldFormat     = "disable-extended-key-format\n" // gpg-agent then writes bare S-expressions, CBC-protected
)

func TestGnuPGHomes(t *testing.T) {
	for _, tc := range []struct {
		name, conf string
		pass       string
		gen        string
		wantProt   Protection
		wantFirst  string // the file's first bytes
	}{
		{"ed25519-ocb", "", "pw", ed25519Params + "Passphrase: pw\n", Protected, "Created:"},
		{"rsa3072-clear", "", "", rsa3072 + "%no-protection\n", Clear, "Created:"},
		{"nistp256-ocb", "", "pw", nistp256 + "Passphrase: pw\n", Protected, "Created:"},
		{"ed25519-old-cbc", oldFormat, "pw", ed25519Params + "Passphrase: pw\n", Protected, "(21:protected-private-key"},
		{"rsa2048-old-clear", oldFormat, "", "Key-Type: rsa\nKey-Length: 2048\nSubkey-Type: rsa\nSubkey-Length: 2048\n%no-protection\n", Clear, "(11:private-key"},
		{"nistp384-old-cbc", oldFormat, "pw", "Key-Type: ecdsa\nKey-Curve: nistp384\nSubkey-Type: ecdh\nSubkey-Curve: nistp384\nPassphrase: pw\n", Protected, "(21:protected-private-key"},
		{"dsa-elg-ocb", "", "pw", "Key-Type: dsa\nKey-Length: 2048\nSubkey-Type: ELG-E\nSubkey-Length: 2048\nPassphrase: pw\n", Protected, "Created:"},
		{"dsa-elg-old-clear", oldFormat, "", "Key-Type: dsa\nKey-Length: 1024\nSubkey-Type: ELG-E\nSubkey-Length: 1024\n%no-protection\n", Clear, "(11:private-key"},
		{"nistp521-rsa-ocb", "", "pw", "Key-Type: ecdsa\nKey-Curve: nistp521\nSubkey-Type: rsa\nSubkey-Length: 2048\nPassphrase: pw\n", Protected, "Created:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := gpgHome(t, tc.conf, tc.gen)
			keys := keysOf(t, home)
			if len(keys) < 2 {
				t.Fatalf("%d keys", len(keys))
			}
			for _, pk := range keys {
				data := keyFile(t, home, pk)
				if !strings.HasPrefix(string(data), tc.wantFirst) {
					t.Fatalf("file starts %q", data[:20])
				}
				unlockKeyFile(t, data, pk, tc.wantProt, tc.pass)
			}
			// the secret of one key does not pass for another
			k, _ := Parse(keyFile(t, home, keys[0]))
			if _, err := k.PrivateKey(keys[1], []byte(tc.pass)); err == nil {
				t.Fatal("a key file unlocked as another key")
			}
		})
	}
}

// TestOpenPGPNative: keys gpg imports (--import of exported secret keys)
// stay in openpgp-native protection until gpg-agent first uses them.
func TestOpenPGPNative(t *testing.T) {
	for _, tc := range []struct {
		name, params, pass string
		want               Protection
	}{
		{"protected", ed25519Params + "Passphrase: pw\n", "pw", Protected},
		{"unprotected", "Key-Type: rsa\nKey-Length: 2048\nSubkey-Type: rsa\nSubkey-Length: 2048\n%no-protection\n", "", Clear},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := gpgHome(t, "", tc.params)
			exp, err := exec.Command("gpg", "--homedir", src, "--batch", "--pinentry-mode", "loopback", "--passphrase", tc.pass, "--export-secret-keys").Output()
			if err != nil {
				t.Fatal(err)
			}
			dst := gpgHome(t, "", "")
			imp := exec.Command("gpg", "--homedir", dst, "--batch", "--import")
			imp.Stdin = bytes.NewReader(exp)
			if out, err := imp.CombinedOutput(); err != nil {
				t.Fatalf("import: %v\n%s", err, out)
			}
			for _, pk := range keysOf(t, dst) {
				data := keyFile(t, dst, pk)
				if !bytes.Contains(data, []byte("openpgp-native")) {
					t.Fatalf("not openpgp-native:\n%s", data)
				}
				unlockKeyFile(t, data, pk, tc.want, tc.pass)
			}
		})
	}
}

// unlockKeyFile parses the key file data of pk, checks its protection,
// that a wrong passphrase is refused as such (for a protected key) and
// that pass unlocks a secret that really is pk's.
func unlockKeyFile(t *testing.T, data []byte, pk *packet.PublicKey, want Protection, pass string) {
	t.Helper()
	k, err := Parse(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if k.Protection != want {
		t.Fatalf("protection %v", k.Protection)
	}
	if pass != "" {
		if _, err := k.PrivateKey(pk, []byte("wrong")); !errors.Is(err, ErrBadPassphrase) {
			t.Fatalf("wrong passphrase: %v", err)
		}
	}
	priv, err := k.PrivateKey(pk, []byte(pass))
	if err != nil {
		t.Fatal(err)
	}
	proveSecret(t, priv)
}
