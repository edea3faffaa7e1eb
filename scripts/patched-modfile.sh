#!/usr/bin/env bash
# Writes bin/.build/go.mod (and go.sum): this module's go.mod plus a
# replace of each module patched under _patched/ by a copy of the module
# from the module cache with the patched files laid over it. Builds and
# unit tests use it with -modfile, so what ships is what is tested.
# (go build -overlay refuses files in the module cache.)
#
# Each patch names the upstream file's SHA-256 in _patched/SHA256SUMS: a
# dependency bump that changes a patched file stops the build here, so
# the patch is redone against the new file, never laid over it blindly.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
out=bin/.build
mkdir -p "$out"
cp go.mod "$out/go.mod.tmp"
cp go.sum "$out/go.sum"
for patched in _patched/*/; do
	name=$(basename "$patched")
	mod=$(sed -n "s|^# $name: ||p" _patched/SHA256SUMS)
	[ -n "$mod" ] || { echo "patched-modfile: _patched/SHA256SUMS names no module for $name" >&2; exit 1; }
	src=$($GO list -m -f '{{.Dir}}' "$mod")
	[ -d "$src" ] || { echo "patched-modfile: $mod is not in the module cache (make deps)" >&2; exit 1; }
	ver=$($GO list -m -f '{{.Version}}' "$mod")
	dst="$PWD/$out/$name@$ver"
	if [ ! -d "$dst" ]; then
		rm -rf "$dst.tmp"
		cp -r "$src" "$dst.tmp"
		chmod -R u+w "$dst.tmp"
		mv "$dst.tmp" "$dst"
	fi
	(cd "$patched" && find . -name '*.go' -type f) | while read -r f; do
		f=${f#./}
		want=$(awk -v f="$name/$f" '$2 == f {print $1}' _patched/SHA256SUMS)
		have=$(sha256sum "$src/$f" | cut -d' ' -f1)
		if [ "$want" != "$have" ]; then
			echo "patched-modfile: $mod $ver changed $f (sha256 $have, the patch was made for $want): redo _patched/$name/$f" >&2
			exit 1
		fi
		cp "$patched/$f" "$dst/$f"
	done
	echo "replace $mod => $dst" >>"$out/go.mod.tmp"
done
mv "$out/go.mod.tmp" "$out/go.mod"
