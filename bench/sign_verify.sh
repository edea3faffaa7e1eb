#!/usr/bin/env bash
# Sign and verify a 1 KiB file with ours (bin/gpg) and with GnuPG, alternating
# N rounds (default 50) after warming gpg-agent, and print the medians and the
# ratios ours/gpg (targets: sign <= 0.6, verify <= 0.4). Builds first.
#   bench/sign_verify.sh            N=50
#   N=200 bench/sign_verify.sh -check   (exit 1 if a target is missed)
#   bench/sign_verify.sh -cached        signing with a protected key whose
#                                       passphrase is cached (target <= 0.6)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
make --no-print-directory build >/dev/null
exec go run ./bench/signverify -n "${N:-50}" -ours bin/gpg "$@"
