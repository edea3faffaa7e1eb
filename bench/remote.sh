#!/usr/bin/env bash
# Remote signing latency: a detached signature of 1 KiB made through
# front ssh over a loopback sshd (needs root) vs the same signature made
# locally, N rounds (default 20) alternating; prints the medians. Builds
# first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
make --no-print-directory build >/dev/null
exec go run ./bench/remotebench -n "${N:-20}" -ours bin/gpg "$@"
