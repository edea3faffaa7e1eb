#!/usr/bin/env bash
# A tour of front in a throwaway home: key generation, listing, cleartext and
# detached signatures, encryption and decryption with a loopback passphrase,
# then the real GnuPG (gpg in a second throwaway home, and gpgv) checks our
# signatures. Every command is echoed before it runs; any failure stops the
# demo with a non-zero exit.
set -euo pipefail
cd "$(dirname "$0")/.."

FRONT=${FRONT:-$PWD/bin/front}
[ -x "$FRONT" ] || { echo "demo: $FRONT not found; run make build first" >&2; exit 1; }
command -v gpg >/dev/null && command -v gpgv >/dev/null ||
	{ echo "demo: gpg and gpgv are needed for the interop part (make deps)" >&2; exit 1; }

export LC_ALL=C
GNUPGHOME=$(mktemp -d)
chmod 700 "$GNUPGHOME"
export GNUPGHOME
GPGHOME=$(mktemp -d)
chmod 700 "$GPGHOME"
WORK=$(mktemp -d)
cleanup() {
	gpgconf --homedir "$GPGHOME" --kill all >/dev/null 2>&1 || true
	rm -rf "$GNUPGHOME" "$GPGHOME" "$WORK"
}
trap cleanup EXIT
trap 'echo; echo "demo: FAILED at line $LINENO" >&2' ERR

step() {
	printf '\n$'
	printf ' %q' "$@"
	printf '\n'
	"$@"
}

# The same options a script or git would pass: no prompts, passphrase inline.
P=(--batch --pinentry-mode loopback --passphrase demo)
cd "$WORK"
echo "GNUPGHOME=$GNUPGHOME (front's throwaway home)"

step "$FRONT" "${P[@]}" --quick-gen-key 'Demo <demo@example.org>' default default 1y
step "$FRONT" --list-keys

printf 'Hello from front.\nThis file is signed and encrypted by the demo.\n' >msg.txt
step cat msg.txt

step "$FRONT" "${P[@]}" --clearsign -o clearsigned.asc msg.txt
step cat clearsigned.asc
step "$FRONT" --verify clearsigned.asc

step "$FRONT" "${P[@]}" -b -o msg.txt.sig msg.txt
step "$FRONT" --verify msg.txt.sig msg.txt

step "$FRONT" --batch -e -a -r demo@example.org -o msg.txt.gpg msg.txt
step head -3 msg.txt.gpg
step "$FRONT" "${P[@]}" -o msg.out -d msg.txt.gpg
step cmp msg.txt msg.out

echo
echo "--- interop: the real GnuPG checks our signatures ---"
step "$FRONT" --export -a -o demo.asc demo@example.org
step "$FRONT" --export -o demo.keyring demo@example.org
step gpg --homedir "$GPGHOME" --batch --import demo.asc
step gpg --homedir "$GPGHOME" --batch --verify clearsigned.asc
step gpg --homedir "$GPGHOME" --batch --verify msg.txt.sig msg.txt
step gpgv --keyring "$WORK/demo.keyring" msg.txt.sig msg.txt

echo
echo "demo: all steps succeeded"
