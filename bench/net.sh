#!/usr/bin/env bash
# Key retrieval on loopback: HKP recv from Debian's sks and (as root) a WKD
# hit on an HTTPS server with a test CA, ours (bin/gpg) vs GnuPG with a cold
# dirmngr (fresh home) and a warm one, N rounds (default 20) alternating;
# prints the medians and the ratios ours/gpg (goals: cold <= 0.5, warm <=
# 1.0). Without root the WKD part is skipped. Builds first.
#   bench/net.sh                 N=20
#   N=50 bench/net.sh -check     (exit 1 if a goal is missed)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
make --no-print-directory build >/dev/null
exec go run ./bench/netbench -n "${N:-20}" -ours bin/gpg "$@"
