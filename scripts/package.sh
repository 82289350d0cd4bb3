#!/usr/bin/env bash
# package.sh [BUILD_DIR] [OUT_DIR]: the Debian packages anycastd and anycastd-dpdk, from the build
# in BUILD_DIR (default ./build), into OUT_DIR (default BUILD_DIR/packages). Compiles nothing:
# make the build first with scripts/build.sh. Why a script around dpkg-buildpackage:
# debian/README.source.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build=$(realpath -m "${1:-$root/build}")
out=$(realpath -m "${2:-$build/packages}")

if [[ ! -f $build/CMakeCache.txt || ! -x $build/control/anycastd ]]; then
	echo "package.sh: $build holds no build of anycastd: make one first with scripts/build.sh" \
		"(or cmake -S . -B $build && cmake --build $build)" >&2
	exit 1
fi
for tool in dpkg-buildpackage dh; do
	command -v "$tool" >/dev/null || {
		echo "package.sh: $tool not found: install the packages of scripts/deps.sh (dpkg-dev, debhelper)" >&2
		exit 1
	}
done

# The build's version is the project's at configure time; the changelog must say the same.
project=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
changelog=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
if [[ ${changelog%-*} != "$project" ]]; then
	echo "package.sh: debian/changelog is at $changelog, the build at $project (CMakeLists.txt project()):" \
		"add a changelog entry with dch -v $project-1" >&2
	exit 1
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/anycastd-package.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/anycastd"
cp -a "$root/debian" "$stage/anycastd/"
(
	cd "$stage/anycastd"
	ANYCASTD_BUILD_DIR=$build dpkg-buildpackage -us -uc -b
) >"$stage/build.log" 2>&1 || {
	cat "$stage/build.log" >&2
	echo "package.sh: dpkg-buildpackage failed (its output above)" >&2
	exit 1
}
mkdir -p "$out"
shopt -s nullglob
# With the two packages come anycastd-dbgsym and anycastd-dpdk-dbgsym: the binaries' debug
# information, for reading a crash report.
results=("$stage"/*.deb "$stage"/*.buildinfo "$stage"/*.changes)
mv "${results[@]}" "$out"/
printf '%s\n' "$out"/*.deb
