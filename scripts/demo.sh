#!/usr/bin/env bash
# Shows keygen -> sign -> verify -> encrypt -> decrypt with front in a
# throwaway home, and checks our signature with the real gpgv.
set -euo pipefail
cd "$(dirname "$0")/.."
GPG=$PWD/bin/gpg
export GNUPGHOME=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$GNUPGHOME" "$work"' EXIT
step() { echo; echo "\$ $*"; "$@"; }
P=(--batch --pinentry-mode loopback --passphrase demo)
step "$GPG" "${P[@]}" --quick-gen-key 'Demo <demo@example.org>' default default 1y
step "$GPG" --list-keys
echo "hello from front" > "$work/msg.txt"
step "$GPG" "${P[@]}" --clearsign -o "$work/msg.txt.asc" "$work/msg.txt"
step cat "$work/msg.txt.asc"
step "$GPG" --verify "$work/msg.txt.asc"
step "$GPG" "${P[@]}" -b -o "$work/msg.txt.sig" "$work/msg.txt"
step "$GPG" --verify "$work/msg.txt.sig" "$work/msg.txt"
step "$GPG" --batch -e -a -r demo@example.org -o "$work/msg.txt.enc" "$work/msg.txt"
step "$GPG" "${P[@]}" -d "$work/msg.txt.enc"
"$GPG" --export demo@example.org > "$work/demo.kbx"
step gpgv --keyring "$work/demo.kbx" "$work/msg.txt.sig" "$work/msg.txt"
echo; echo "demo: all steps succeeded"
