#!/usr/bin/env bash
# Streaming benchmark: 1 GiB encryption and decryption, ours vs gpg, and
# detached signing, ours vs rnp, then the peak memory of ours (front and
# keyhelper) in every streaming operation. Prints throughputs and ratios
# (targets: encrypt >= 1.5x gpg, decrypt >= 1.0x gpg, sign >= 1.0x rnp;
# memory <= 32 MiB). Builds first; needs rnp (make deps installs it).
#   bench/stream.sh                  3 rounds of 1024 MiB
#   N=5 SIZE=256 bench/stream.sh -check -memory=false
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
make --no-print-directory build >/dev/null
exec go run ./bench/streambench -n "${N:-3}" -size "${SIZE:-1024}" -ours bin/gpg "$@"
