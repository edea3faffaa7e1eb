#!/usr/bin/env bash
# Moving in from GnuPG (issue 13), ours vs gpg in one run:
#   a GnuPG 2.2 home holding the Debian keyring (debian-keyring.gpg), 5
#   secret keys (ed25519 and rsa3072, with passphrases) and ownertrust
#   values is built by gpg; gpg's time (and peak memory) to import the same
#   into a fresh home is the peer number. Then front imports that home
#   (front --migrate-gnupg on a fresh copy, no store of ours yet): median
#   of RUNS runs, wall time and peak RSS (/usr/bin/time), and the cost the
#   stat check adds to every later run.
# Needs: make build; apt packages debian-keyring, time (make deps).
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C
KEYRING=/usr/share/keyrings/debian-keyring.gpg
OURS=$PWD/bin/gpg
RUNS=${RUNS:-3}
[ -x "$OURS" ] || { echo "run make build first" >&2; exit 1; }
[ -r "$KEYRING" ] || { echo "missing $KEYRING (apt-get install debian-keyring)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "missing /usr/bin/time (apt-get install time)" >&2; exit 1; }
W=$(mktemp -d /tmp/bmig.XXXXXX)
trap 'for h in "$W"/*/; do gpgconf --homedir "$h" --kill all 2>/dev/null || true; done; rm -rf "$W"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
P=(--batch --pinentry-mode loopback)

# 5 secret keys made elsewhere, exported with their passphrases
mkdir -m700 "$W/keys"
for i in 1 2 3 4 5; do
  algo=ed25519; [ $((i % 2)) = 0 ] && algo=rsa3072
  gpg --homedir "$W/keys" "${P[@]}" --passphrase "pass$i" --quick-gen-key "key$i <key$i@example.org>" $algo default never 2>/dev/null
done
# each key needs its own passphrase to export: one by one
: >"$W/secret.pgp"
for i in 1 2 3 4 5; do
  gpg --homedir "$W/keys" "${P[@]}" --passphrase "pass$i" --export-secret-keys "<key$i@example.org>" >>"$W/secret.pgp" 2>/dev/null
done
gpg --homedir "$W/keys" --batch --export-ownertrust >"$W/ownertrust.txt"
# and a few keys of the keyring marginally trusted, so the trustdb has a web
# (gpg stops on the closed pipe: its exit status does not matter)
gpg --homedir "$W/keys" --batch --with-colons --show-keys "$KEYRING" 2>/dev/null |
  awk -F: '/^pub/ {p=1; next} p && /^fpr/ {print $10 ":4:"; p=0; if (++n == 20) exit}' >>"$W/ownertrust.txt" || true

echo "== gpg: import of $(basename $KEYRING) ($(du -h $KEYRING | cut -f1)), 5 secret keys and $(grep -c : "$W/ownertrust.txt") ownertrust values into a fresh home"
mkdir -m700 "$W/gnupg"
/usr/bin/time -f '%e %M' -o "$W/gpg.time" sh -c '
  gpg --homedir "$1" --batch --import "$2" 2>/dev/null &&
  gpg --homedir "$1" --batch --pinentry-mode loopback --passphrase-fd 0 --import "$3" 2>/dev/null </dev/null &&
  gpg --homedir "$1" --batch --import-ownertrust "$4" 2>/dev/null &&
  gpg --homedir "$1" --batch --check-trustdb 2>/dev/null' sh "$W/gnupg" "$KEYRING" "$W/secret.pgp" "$W/ownertrust.txt"
read -r GPG_T GPG_KB <"$W/gpg.time"
gpgconf --homedir "$W/gnupg" --kill all
NKEYS=$(gpg --homedir "$W/gnupg" --batch --with-colons -k 2>/dev/null | grep -c '^pub:')
NSEC=$(gpg --homedir "$W/gnupg" --batch --with-colons -K 2>/dev/null | grep -c '^sec:')
echo "gpg:  ${GPG_T}s, peak RSS of the largest step $((GPG_KB / 1024)) MiB ($NKEYS keys, $NSEC secret)"
echo "home: pubring.kbx $(du -h "$W/gnupg/pubring.kbx" | cut -f1), trustdb.gpg $(du -h "$W/gnupg/trustdb.gpg" | cut -f1), $(ls "$W/gnupg/private-keys-v1.d" | wc -l) key files"

# gpg --import leaves secret keys in the agent's transfer format
# (openpgp-native) until their first use; a home whose keys have been used
# holds them in gpg-agent's own protection. The home front imports gets the
# key files of the home that made the keys (same keygrips): what the
# user's home holds once each key has been used.
mkdir -m700 "$W/src"; cp -a "$W/gnupg/." "$W/src/"
rm -f "$W/src/private-keys-v1.d/"*; cp "$W/keys/private-keys-v1.d/"*.key "$W/src/private-keys-v1.d/"

echo "== ours: front --migrate-gnupg of that home (fresh copy, no store yet), median of $RUNS"
: >"$W/ours.t"; : >"$W/ours.m"
for r in $(seq "$RUNS"); do
  rm -rf "$W/m"; cp -a "$W/src" "$W/m"
  /usr/bin/time -f '%e %M' -o "$W/ours.time" "$OURS" --homedir "$W/m" --batch --migrate-gnupg 2>"$W/ours.err"
  read -r t kb <"$W/ours.time"; echo "$t" >>"$W/ours.t"; echo "$kb" >>"$W/ours.m"
done
OURS_T=$(median <"$W/ours.t"); OURS_KB=$(median <"$W/ours.m")
echo "ours: ${OURS_T}s, peak RSS $((OURS_KB / 1024)) MiB   ours/gpg time = $(ratio "$OURS_T" "$GPG_T")"
echo "      $(cat "$W/ours.err")"
# the listing of the migrated home against gpg's listing of the same home,
# and against ours after a plain --import of the keyring (the store's own
# differences from gpg, not the migration's)
gpg --homedir "$W/m" --batch --with-colons -k 2>/dev/null | grep -v '^tru:' >"$W/list.gpg"
"$OURS" --homedir "$W/m" --batch --with-colons -k 2>/dev/null | grep -v '^tru:' >"$W/list.ours"
mkdir -m700 "$W/plainimport"
gpg --homedir "$W/keys" --batch --export >"$W/public5.pgp"
"$OURS" --homedir "$W/plainimport" --batch --import "$KEYRING" "$W/public5.pgp" 2>/dev/null
mask() { awk -F: -v OFS=: '{$2 = ""; $9 = ""; print}'; }
if cmp -s "$W/list.gpg" "$W/list.ours"; then
  echo "      --with-colons -k after the import: same as gpg's (validity included)"
else
  echo "      --with-colons -k after the import: $(diff "$W/list.gpg" "$W/list.ours" | grep -c '^[<>]') lines differ from gpg's"
fi
echo "      primary key lines (validity, ownertrust, capabilities): $(diff <(grep '^pub:' "$W/list.gpg" | sort) <(grep '^pub:' "$W/list.ours" | sort) | grep -c '^[<>]') of $(grep -c '^pub:' "$W/list.gpg") differ from gpg's"
echo "      ours after a plain --import of the keyring, validity and ownertrust masked: $(diff <(mask <"$W/list.ours") <("$OURS" --homedir "$W/plainimport" --batch --with-colons -k 2>/dev/null | grep -v '^tru:' | mask) | grep -c '^[<>]') lines differ from the migrated home's"
"$OURS" --homedir "$W/m" --batch --with-colons -K 2>/dev/null | grep -c '^sec:' | sed 's/^/      secret keys listed by ours: /'

echo "== GnuPG adds one key to that home; the next run of ours imports it (one run each)"
mkdir -m700 "$W/new"
gpg --homedir "$W/new" --batch --pinentry-mode loopback --passphrase '' --quick-gen-key 'new <new@example.org>' ed25519 default never 2>/dev/null
gpg --homedir "$W/new" --batch --export >"$W/new.pgp"
FPR0=$(gpg --homedir "$W/gnupg" --batch --with-colons -k 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
for variant in with-key-files without-key-files; do
  rm -rf "$W/r"; cp -a "$W/m" "$W/r"
  [ "$variant" = without-key-files ] && rm -f "$W/r/private-keys-v1.d/"*.key && "$OURS" --homedir "$W/r" --batch --migrate-gnupg 2>/dev/null
  gpg --homedir "$W/r" --batch --import "$W/new.pgp" 2>/dev/null
  gpgconf --homedir "$W/r" --kill all 2>/dev/null || true
  sleep 1.1 # past the racy window of the stamps
  /usr/bin/time -f '%e %M' -o "$W/re.time" "$OURS" --homedir "$W/r" --batch --verbose --with-colons -k "$FPR0" >/dev/null 2>"$W/re.err"
  read -r t kb <"$W/re.time"
  echo "$variant: ${t}s, peak RSS $((kb / 1024)) MiB   $(grep imported "$W/re.err")"
done

echo "== the check every later run makes (stats and the state file), mean of 20 runs of -k FPR"
FPR=$(gpg --homedir "$W/gnupg" --batch --with-colons -k 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
mean() {
  local home=$1 t0 t1; shift
  "$OURS" --homedir "$home" --batch "$@" >/dev/null 2>&1 || true
  t0=$(date +%s.%N); for _ in $(seq 20); do "$OURS" --homedir "$home" --batch "$@" >/dev/null 2>&1 || true; done; t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.5f", (b-a)/20}'
}
# the same store without GnuPG's files: no check to make
mkdir -m700 "$W/plain"; cp -a "$W/m/pubring.cert.d" "$W/m/frontpgp-ownertrust" "$W/plain/"
WITH=$(mean "$W/m" --with-colons -k "$FPR"); WITHOUT=$(mean "$W/plain" --with-colons -k "$FPR")
echo "with GnuPG's files ${WITH}s, without ${WITHOUT}s, ratio $(ratio "$WITH" "$WITHOUT")"
