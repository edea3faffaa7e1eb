#!/usr/bin/env bash
# Small operations at the speed of process start (issue 14): verify,
# --with-colons -k (one-key and Debian keyring homes), sign, git log
# --show-signature over 300 signed commits, ours (bin/gpg) vs GnuPG
# interleaved, medians and ratios; then ours' start-up budget. Builds first.
# The first run imports the Debian keyring into a cached gpg home (minutes).
#   bench/latency.sh                  N=50 rounds, GITN=5 git log rounds
#   bench/latency.sh -no-debian       without the Debian keyring home
#   bench/latency.sh -base OLD/gpg    also an earlier build, interleaved:
#                                     before/after ratios from one run
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
make --no-print-directory build >/dev/null
exec go run ./bench/latency -n "${N:-50}" -gitn "${GITN:-5}" -ours bin/gpg "$@"
