#!/bin/sh
# Regenerates the fixed key material in keys/ with Debian's gpg 2.2.40.
# Run once; the outputs are committed so that both programs see the same
# fingerprints. Keys are created at T0 = 1700000000 (2023-11-14T22:13:20Z);
# the harness runs at 1750000000 (2025-06-15), after carol's expiry.
set -eu
cd "$(dirname "$0")"
out=$PWD/keys
rm -rf "$out"; mkdir -p "$out"
G=$(mktemp -d); chmod 700 "$G"
trap 'gpgconf --homedir "$G" --kill all; rm -rf "$G"' EXIT
export LC_ALL=C TZ=UTC
T0=1700000000
g() { gpg --homedir "$G" --batch --no-tty --pinentry-mode loopback "$@"; }
gt() { t=$1; shift; g --faked-system-time "$t!" "$@"; }
fpr() { g --with-colons -k "$1" | awk -F: '$1=="fpr"{print $10; exit}'; }

gt $T0 --passphrase '' --quick-gen-key 'Alice Example <alice@example.org>' ed25519 cert,sign never
gt $T0 --passphrase '' --quick-add-key "$(fpr alice@)" cv25519 encr never
gt $T0 --passphrase bobpass --quick-gen-key 'Bob Example <bob@example.org>' rsa2048 cert,sign never
gt $T0 --passphrase bobpass --quick-add-key "$(fpr bob@)" rsa2048 encr never
gt $T0 --passphrase '' --quick-gen-key 'Carol Expired <carol@example.org>' ed25519 cert,sign 1y
gt $T0 --passphrase '' --quick-add-key "$(fpr carol@)" cv25519 encr 1y
gt $T0 --passphrase '' --quick-gen-key 'Dave Revoked <dave@example.org>' ed25519 cert,sign never
gt $T0 --passphrase '' --quick-add-key "$(fpr dave@)" cv25519 encr never
gt $T0 --passphrase '' --quick-gen-key 'Eve Subkeys <eve@example.org>' ed25519 cert never
gt $T0 --passphrase '' --quick-add-key "$(fpr eve@)" ed25519 sign never
gt $T0 --passphrase '' --quick-add-key "$(fpr eve@)" cv25519 encr never
gt $T0 --passphrase '' --quick-gen-key 'Mallory Unknown <mallory@example.org>' ed25519 cert,sign never
gt $T0 --passphrase '' --quick-add-key "$(fpr mallory@)" cv25519 encr never

for k in alice bob carol dave eve mallory; do fpr $k@ > "$out/$k.fpr"; done

T1=$((T0+1000))
printf 'The quick brown fox jumps over the lazy dog.\nSecond line of the signed text.\n' > "$out/data.txt"
sed 's/lazy/LAZY/' "$out/data.txt" > "$out/data-bad.txt"
for k in alice bob carol dave eve mallory; do
  p=''; [ $k = bob ] && p=bobpass
  gt $T1 --passphrase "$p" -u $k@ -b -o "$out/$k.sig" "$out/data.txt"
  gt $T1 --passphrase "$p" -u $k@ -a -b -o "$out/$k.asc" "$out/data.txt"
done
gt $T1 --passphrase '' -u alice@ --compress-algo none -s -o "$out/alice-inline.gpg" "$out/data.txt"
gt $T1 --passphrase '' -u alice@ -a -s -o "$out/alice-inline.asc" "$out/data.txt"
gt $T1 --passphrase '' -u alice@ --clearsign -o "$out/alice-clear.asc" "$out/data.txt"
gt $T1 --passphrase bobpass -u bob@ --clearsign -o "$out/bob-clear.asc" "$out/data.txt"
gt $T1 --passphrase '' -u carol@ --clearsign -o "$out/carol-clear.asc" "$out/data.txt"
gt $T1 --passphrase '' -u dave@ --clearsign -o "$out/dave-clear.asc" "$out/data.txt"
gt $T1 --passphrase '' -u eve@ -a -s -o "$out/eve-inline.asc" "$out/data.txt"
# a clearsigned message whose text was changed afterwards
sed 's/lazy/LAZY/' "$out/alice-clear.asc" > "$out/alice-clear-bad.asc"

gt $T1 --trust-model always -r alice@ -e -o "$out/enc-alice.gpg" "$out/data.txt"
gt $T1 --trust-model always -r alice@ -a -e -o "$out/enc-alice.asc" "$out/data.txt"
gt $T1 --trust-model always -r bob@ -e -o "$out/enc-bob.gpg" "$out/data.txt"
gt $T1 --trust-model always -r mallory@ -e -o "$out/enc-mallory.gpg" "$out/data.txt"
gt $T1 --trust-model always --passphrase '' -u eve@ -r alice@ -s -e -o "$out/encsign-eve-alice.gpg" "$out/data.txt"
gt $T1 --trust-model always --passphrase '' -u mallory@ -r alice@ -s -e -o "$out/encsign-mallory-alice.gpg" "$out/data.txt"
gt $T1 --passphrase sympass -c -o "$out/sym.gpg" "$out/data.txt"
gt $T1 --passphrase sympass -a -c -o "$out/sym.asc" "$out/data.txt"
# legacy ciphers gpg still decrypts (SEIPD, SED without MDC, session keys)
gt $T1 --passphrase sympass -c --cipher-algo IDEA -o "$out/sym-idea.gpg" "$out/data.txt"
gt $T1 --passphrase sympass -c --cipher-algo TWOFISH -o "$out/sym-twofish.gpg" "$out/data.txt"
gt $T1 --passphrase sympass --rfc2440 -c --cipher-algo BLOWFISH -o "$out/sym-sed-blowfish.gpg" "$out/data.txt"
gt $T1 --trust-model always -r alice@ -e --cipher-algo CAST5 -o "$out/enc-alice-cast5.gpg" "$out/data.txt"
gt $T1 --trust-model always -r alice@ -e --cipher-algo BLOWFISH -o "$out/enc-alice-blowfish.gpg" "$out/data.txt"
printf 'sympass\n' > "$out/sympass.txt"
head -c -25 "$out/enc-alice.gpg" > "$out/enc-alice-trunc.gpg"
# enc-alice.gpg's session key, for --override-session-key(-fd)
g --show-session-key --status-fd 1 -o /dev/null -d "$out/enc-alice.gpg" |
  awk '$2=="SESSION_KEY"{print $3}' > "$out/enc-alice.seskey"
head -c -40 "$out/alice.sig" > "$out/alice-trunc.sig"
printf 'this is not an OpenPGP message at all\n\001\002\003\377\376garbage\n' > "$out/garbage.bin"
printf -- '-----BEGIN PGP MESSAGE-----\n\nnot*base64!!\n-----END PGP MESSAGE-----\n' > "$out/badarmor.asc"

# dave's revocation certificate (made at key creation), applied
sed 's/^:-----/-----/' "$G/openpgp-revocs.d/$(cat "$out/dave.fpr").rev" > "$out/dave-rev.asc"
g --import "$out/dave-rev.asc"

for k in alice bob carol dave eve mallory; do
  g -a --export $k@ > "$out/$k.pub.asc"
  g --export $k@ > "$out/$k.pub.gpg"
done
g --export alice@ bob@ carol@ dave@ eve@ > "$out/all.pub.gpg"
g --export-options export-minimal -a --export alice@ > "$out/alice-min.pub.asc"
g --passphrase '' -a --export-secret-keys alice@ > "$out/alice.sec.asc"
g --passphrase bobpass -a --export-secret-keys bob@ > "$out/bob.sec.asc"
g --passphrase '' -a --export-secret-keys eve@ > "$out/eve.sec.asc"
echo "$(cat "$out/alice.fpr"):6:" > "$out/ownertrust.txt"
echo "$(cat "$out/bob.fpr"):5:" >> "$out/ownertrust.txt"
# gpgv keyring: binary public keys of alice and eve
cat "$out/alice.pub.gpg" "$out/eve.pub.gpg" > "$out/gpgv-ring.gpg"
ls -l "$out"
