# shellcheck shell=bash
# Throwaway roots for the package tests: the packages are installed with the real dpkg, their
# maintainer scripts run, and nothing of it reaches the host.
#
# How: the test re-execs itself in a mount namespace of its own (dist_private_mounts), where a
# tmpfs holds the upper layer of an overlay whose lower layer is the host's / (read only through
# it). dpkg runs chrooted in that overlay: the host's installed libraries satisfy the packages'
# dependencies, and whatever dpkg and the maintainer scripts write (files, its database, the
# unit's enablement) lands in the tmpfs. The namespace, and with it every mount, ends with the
# test; dist_cleanup removes the empty mount point.
#
#   source tests/dist/root.sh
#   dist_private_mounts "$@"     # first thing: re-exec in a private mount namespace
#   dist_root_setup              # DIST_ROOT: the overlay, with /proc and /dev
#   dist_in_root CMD...          # CMD chrooted in DIST_ROOT
#   dist_fail / dist_log / dist_expect_eq

dist_log() { echo "[dist] $*" >&2; }
dist_fail() {
	echo "[dist] FAIL: $*" >&2
	exit 1
}
dist_expect_eq() { # WHAT EXPECTED SEEN
	[[ "$2" == "$3" ]] || dist_fail "$1: expected $2, seen $3"
	dist_log "ok: $1 ($3)"
}

dist_private_mounts() {
	if [[ $EUID -ne 0 ]]; then
		echo "[dist] needs root (mount namespace, chroot, dpkg): run it as root" >&2
		exit 1
	fi
	if [[ -z ${DIST_PRIVATE_MOUNTS:-} ]]; then
		DIST_PRIVATE_MOUNTS=1 exec unshare --mount --propagation private "$0" "$@"
	fi
}

DIST_TMP=""
DIST_ROOT=""
dist_root_setup() {
	[[ -n ${DIST_PRIVATE_MOUNTS:-} ]] || dist_fail "dist_root_setup outside the private mount namespace"
	DIST_TMP=$(mktemp -d /tmp/acdist.XXXXXX)
	mount -t tmpfs acdist "$DIST_TMP"
	mkdir "$DIST_TMP/upper" "$DIST_TMP/work" "$DIST_TMP/root"
	DIST_ROOT=$DIST_TMP/root
	mount -t overlay acdist -o "lowerdir=/,upperdir=$DIST_TMP/upper,workdir=$DIST_TMP/work" "$DIST_ROOT"
	mount -t proc proc "$DIST_ROOT/proc"
	mount --rbind /dev "$DIST_ROOT/dev"
	# /run is a tmpfs of the host's, not part of the overlay: a fresh one, as at boot.
	mount -t tmpfs run "$DIST_ROOT/run"
	dist_log "throwaway root $DIST_ROOT (overlay of /, writes in a tmpfs)"
}

# Run from the caller's EXIT trap: the mounts go with the namespace, the mount point stays.
dist_cleanup() {
	[[ -n $DIST_TMP ]] || return 0
	umount -R "$DIST_TMP" 2>/dev/null || umount -lR "$DIST_TMP" 2>/dev/null || true
	rmdir "$DIST_TMP" 2>/dev/null || true
}

dist_in_root() { chroot "$DIST_ROOT" "$@"; }

# dist_deb DIR PACKAGE: the one .deb of PACKAGE in DIR.
dist_deb() {
	local debs=("$1/$2"_*.deb)
	[[ ${#debs[@]} -eq 1 && -f ${debs[0]} ]] || dist_fail "expected one $2_*.deb in $1, seen: ${debs[*]}"
	echo "${debs[0]}"
}

# dist_query PACKAGE FIELD...: dpkg-query's fields of PACKAGE in the root, space-separated.
dist_query() {
	local package=$1 format="" field
	shift
	# shellcheck disable=SC2016 # dpkg-query's own ${Field} syntax
	for field in "$@"; do format+="${format:+ }\${$field}"; done
	dist_in_root dpkg-query -W -f="$format" "$package"
}

# dist_install DEB...: dpkg -i in the root (the .debs copied in first), output indented.
dist_install() {
	local deb names=()
	mkdir -p "$DIST_ROOT/tmp/debs"
	for deb in "$@"; do
		cp "$deb" "$DIST_ROOT/tmp/debs/"
		names+=("/tmp/debs/$(basename "$deb")")
	done
	dist_in_root env DEBIAN_FRONTEND=noninteractive dpkg -i "${names[@]}" 2>&1 | sed 's/^/    /' >&2 ||
		dist_fail "dpkg -i ${names[*]} failed in the throwaway root"
}
