#!/usr/bin/env bash
# Signing 1 KiB with a passphrase-protected key whose passphrase is cached:
# ours (bin/gpg, kernel keyring) vs GnuPG with a warm gpg-agent, alternating
# N rounds (default 50); prints the medians and the ratio ours/gpg (target
# <= 0.6). Builds first. Uncached sign and verify: bench/latency.sh.
#   bench/sign_verify.sh            N=50
#   N=200 bench/sign_verify.sh -check   (exit 1 if the target is missed)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
make --no-print-directory build >/dev/null
exec go run ./bench/signverify -n "${N:-50}" -ours bin/gpg "$@"
