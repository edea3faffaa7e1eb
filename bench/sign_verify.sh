#!/usr/bin/env bash
# Sign and verify 1 KiB with ours and with gpg (warm agent), alternating,
# and print medians and ratios. Both use the same unprotected ed25519 key.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-50}
OURS=$PWD/bin/gpg
H_OURS=$(mktemp -d); H_GPG=$(mktemp -d); W=$(mktemp -d)
trap 'gpgconf --homedir "$H_GPG" --kill all 2>/dev/null || true; rm -rf "$H_OURS" "$H_GPG" "$W"' EXIT
gpg --homedir "$H_GPG" --batch --pinentry-mode loopback --passphrase '' --quick-gen-key 'Bench <bench@example.org>' future-default 2>/dev/null
gpg --homedir "$H_GPG" --batch --pinentry-mode loopback --passphrase '' --export-secret-keys > "$W/sec.gpg"
"$OURS" --homedir "$H_OURS" --batch --import "$W/sec.gpg" 2>/dev/null
head -c 1024 /dev/urandom > "$W/data"
gpg --homedir "$H_GPG" --batch -b -o "$W/warm.sig" "$W/data"   # warm the agent
now() { date +%s%N; }
declare -a os gs ov gv
for i in $(seq "$N"); do
  t=$(now); "$OURS" --homedir "$H_OURS" --batch --yes -b -o "$W/o.sig" "$W/data"; os+=($(( $(now) - t )))
  t=$(now); gpg --homedir "$H_GPG" --batch --yes -b -o "$W/g.sig" "$W/data"; gs+=($(( $(now) - t )))
  t=$(now); "$OURS" --homedir "$H_OURS" --batch --verify "$W/o.sig" "$W/data" 2>/dev/null; ov+=($(( $(now) - t )))
  t=$(now); gpg --homedir "$H_GPG" --batch --verify "$W/g.sig" "$W/data" 2>/dev/null; gv+=($(( $(now) - t )))
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms() { awk -v n="$1" 'BEGIN {printf "%.2f", n/1e6}'; }
mos=$(median "${os[@]}"); mgs=$(median "${gs[@]}"); mov=$(median "${ov[@]}"); mgv=$(median "${gv[@]}")
printf 'sign 1KiB:   ours %s ms  gpg %s ms  ratio %s (target <= 0.6)\n' "$(ms $mos)" "$(ms $mgs)" "$(awk -v a=$mos -v b=$mgs 'BEGIN{printf "%.2f", a/b}')"
printf 'verify 1KiB: ours %s ms  gpg %s ms  ratio %s (target <= 0.4)\n' "$(ms $mov)" "$(ms $mgv)" "$(awk -v a=$mov -v b=$mgv 'BEGIN{printf "%.2f", a/b}')"
