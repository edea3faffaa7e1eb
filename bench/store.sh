#!/usr/bin/env bash
# Certificate store speed, ours vs peers in one run (issue 3), ratios printed.
#   1. import /usr/share/keyrings/debian-keyring.gpg into a fresh home:
#      gpg 2.2.40, rnpkeys --import, ours (targets: <= 1/25 of gpg, <= 0.5x rnp);
#      the IMPORT_RES lines of gpg and ours must be equal
#   2. --list-keys EMAIL and --with-colons --list-keys FPR in that store
#      vs the same on a one-key store (target <= 1.2x)
#   3. a synthetic 100,000-certificate store written by bench/storegen:
#      lookups (target <= 10 ms each), in-process and as whole front runs
# Needs: make build; apt packages debian-keyring, rnp (make deps installs them).
# SYNTH_N=... changes the synthetic store's size; SKIP_GPG=1 skips the slow
# gpg import (its time is then not measured).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH LC_ALL=C
KEYRING=/usr/share/keyrings/debian-keyring.gpg
OURS=$PWD/bin/gpg
SYNTH_N=${SYNTH_N:-100000}
[ -x "$OURS" ] || { echo "run make build first" >&2; exit 1; }
[ -r "$KEYRING" ] || { echo "missing $KEYRING (apt-get install debian-keyring)" >&2; exit 1; }
W=$(mktemp -d); trap 'gpgconf --homedir "$W/gpg" --kill all 2>/dev/null || true; rm -rf "$W"' EXIT
now() { date +%s.%N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
mkdir -m700 "$W/gpg" "$W/rnp" "$W/ours" "$W/one"

echo "== import of $(basename $KEYRING) ($(du -h $KEYRING | cut -f1))"
t0=$(now); "$OURS" --homedir "$W/ours" --batch --status-fd 3 --import "$KEYRING" 3>"$W/ours.status" 2>/dev/null; t1=$(now)
OURS_T=$(awk -v a=$t0 -v b=$t1 'BEGIN{print b-a}')
t0=$(now); rnpkeys --homedir "$W/rnp" --import "$KEYRING" >/dev/null 2>&1; t1=$(now)
RNP_T=$(awk -v a=$t0 -v b=$t1 'BEGIN{print b-a}')
echo "ours:    ${OURS_T}s   $(grep IMPORT_RES "$W/ours.status")"
echo "rnpkeys: ${RNP_T}s   ours/rnp = $(ratio $OURS_T $RNP_T) (target <= 0.5)"
if [ "${SKIP_GPG:-}" != 1 ]; then
  t0=$(now); gpg --homedir "$W/gpg" --batch --status-fd 3 --import "$KEYRING" 3>"$W/gpg.status" 2>/dev/null; t1=$(now)
  GPG_T=$(awk -v a=$t0 -v b=$t1 'BEGIN{print b-a}')
  echo "gpg:     ${GPG_T}s   ours/gpg = $(ratio $OURS_T $GPG_T) (target <= 0.04)"
  if diff <(grep IMPORT_RES "$W/gpg.status") <(grep IMPORT_RES "$W/ours.status") >/dev/null &&
     diff <(grep IMPORT_OK "$W/gpg.status" | sort) <(grep IMPORT_OK "$W/ours.status" | sort) >/dev/null; then
    echo "IMPORT_OK and IMPORT_RES lines: same as gpg"
  else
    echo "IMPORT_OK / IMPORT_RES lines DIFFER from gpg"
  fi
fi
t0=$(now); "$OURS" --homedir "$W/ours" --batch --status-fd 3 --import "$KEYRING" 3>"$W/ours2.status" 2>/dev/null; t1=$(now)
echo "ours, same keyring again (all unchanged): $(awk -v a=$t0 -v b=$t1 'BEGIN{print b-a}')s   $(grep IMPORT_RES "$W/ours2.status")"

echo "== lookups in the keyring store vs a one-key store (mean of 20 runs each)"
FPR=$(grep -m1 IMPORT_OK "$W/ours.status" | awk '{print $4}')
EMAIL=$("$OURS" --homedir "$W/ours" --batch --with-colons --list-keys "$FPR" | awk -F: '/^uid/ {print $10; exit}' | sed 's/.*<\(.*\)>.*/\1/')
"$OURS" --homedir "$W/ours" --batch --export "$FPR" >"$W/one.gpg"
"$OURS" --homedir "$W/one" --batch --import "$W/one.gpg" 2>/dev/null
mean() { # home args...
  local home=$1; shift; local t0 t1
  "$OURS" --homedir "$home" --batch "$@" >/dev/null 2>&1 || true
  t0=$(now); for _ in $(seq 20); do "$OURS" --homedir "$home" --batch "$@" >/dev/null 2>&1 || true; done; t1=$(now)
  awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.5f", (b-a)/20}'
}
for args in "--list-keys $EMAIL" "--with-colons --list-keys $FPR"; do
  big=$(mean "$W/ours" $args); one=$(mean "$W/one" $args)
  echo "$args: keyring store ${big}s, one-key store ${one}s, ratio $(ratio $big $one) (target <= 1.2)"
done

echo "== synthetic store of $SYNTH_N certificates"
go build -o "$W/storegen" ./bench/storegen
mkdir -m700 "$W/synth"
t0=$(now); "$W/storegen" -gen "$W/synth" -n "$SYNTH_N"; t1=$(now)
echo "written in $(awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.1f", b-a}')s"
t0=$(now); "$OURS" --homedir "$W/synth" --batch --list-keys user1@example.org >/dev/null; t1=$(now)
echo "first lookup (builds the index from $SYNTH_N files): $(awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.2f", b-a}')s"
"$W/storegen" -lookup "$W/synth" -n 500
SFPR=$("$OURS" --homedir "$W/synth" --batch --with-colons --list-keys user777@example.org | awk -F: '/^fpr/ {print $10; exit}')
echo "whole front runs (process start included): --with-colons --list-keys FPR $(mean "$W/synth" --with-colons --list-keys "$SFPR")s, --list-keys EMAIL $(mean "$W/synth" --list-keys user777@example.org)s (target <= 0.010)"
