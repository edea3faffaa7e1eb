#!/usr/bin/env bash
# Card signing latency: a detached signature of 1 KiB with a key on an
# emulated OpenPGP card (pcscd + vpcd, needs root), ours vs gpg+scdaemon
# (warm and cold), N rounds (default 20); prints the medians and ratios.
# Builds first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
make --no-print-directory build >/dev/null
exec go run ./bench/cardbench -n "${N:-20}" -ours bin/gpg "$@"
