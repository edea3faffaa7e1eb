#!/usr/bin/env bash
# Writes bin/.build/go.mod (and go.sum): this module's go.mod plus a
# replace of each module patched under _patched/ by a copy of the module
# from the module cache with the patches applied. Builds and unit tests
# use it with -modfile, so what ships is what is tested. (go build
# -overlay refuses files in the module cache.)
#
# Under _patched/NAME/ (NAME as in _patched/SHA256SUMS):
#   PATH.go    replaces the module's PATH.go, or adds it
#   PATH.diff  is applied to the module's PATH (git apply)
# SHA256SUMS names, for each replaced or patched file, the SHA-256 of the
# upstream file the patch was made for ("new" for an added file): a
# dependency bump that changes such a file stops the build here, so the
# patch is redone against the new file, never laid over it blindly.
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
	# A fresh copy each time: a diff applies to the upstream file only.
	rm -rf "$dst.tmp"
	cp -r "$src" "$dst.tmp"
	chmod -R u+w "$dst.tmp"
	for p in $(cd "$patched" && find . -type f \( -name '*.go' -o -name '*.diff' \) | sort); do
		p=${p#./}
		f=${p%.diff}
		want=$(awk -v f="$name/$f" '$2 == f {print $1}' _patched/SHA256SUMS)
		if [ -e "$src/$f" ]; then have=$(sha256sum "$src/$f" | cut -d' ' -f1); else have=new; fi
		if [ -z "$want" ] || [ "$want" != "$have" ]; then
			echo "patched-modfile: $mod $ver: $f is ${have} (sha256), the patch was made for ${want:-nothing}: redo _patched/$name/$p" >&2
			exit 1
		fi
		if [ "$p" = "$f" ]; then
			cp "$patched/$p" "$dst.tmp/$f"
		else
			git apply --unsafe-paths --directory="$dst.tmp" -p1 "$patched/$p"
		fi
	done
	rm -rf "$dst"
	mv "$dst.tmp" "$dst"
	echo "replace $mod => $dst" >>"$out/go.mod.tmp"
done
mv "$out/go.mod.tmp" "$out/go.mod"
