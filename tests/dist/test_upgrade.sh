#!/usr/bin/env bash
# dist.upgrade: a package upgrade under a running anycastd, in a throwaway root (root.sh) and a
# namespace lab (tests/lab/lab.sh):
#   1. package A (scripts/package.sh's) is installed, its conffile edited for the lab, and the
#      installed anycastd started from the root, chrooted, in the lab's edge namespace;
#   2. package B is installed over A with dpkg while an echo stream runs against the VIP and the
#      alias on lo is sampled every 50 ms; B's postinst restarts anycastd in place
#      (/usr/lib/anycastd/restart-after-upgrade, on the default control socket);
#   3. then: the edited conffile is kept as edited (no .dpkg-new, .dpkg-dist), `anycastctl status`
#      reports B's version and the same pid, the alias was never withdrawn, no echo was lost,
#      and anycastd's log names both versions.
#
# B without compiling again: A unpacked, its binaries' version rewritten in their
# .anycastd_version section (control/base/version.h) with objcopy --update-section, its Debian
# version raised, repacked with dpkg-deb. The bytes that run are the tested build's, and "B runs"
# is told apart from "A still runs" by the version anycastd reports.
#
#   test_upgrade.sh PACKAGES_DIR XDP_PASS_OBJECT
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=root.sh
source "$here/root.sh"
dist_private_mounts "$@"
packages=$(realpath "$1") xdp_pass=$2
# shellcheck source=../lab/lab.sh
source "$here/../lab/lab.sh"
# shellcheck source=../lab/probes.sh
source "$here/../lab/probes.sh"

VIP4=192.0.2.10
A_DEB=$(dist_deb "$packages" anycastd)
A_VERSION=$(dpkg-deb -f "$A_DEB" Version)
B_UPSTREAM=${A_VERSION%-*}+upgradetest
B_VERSION=$B_UPSTREAM-1

lab_setup "$xdp_pass"
LAB_CLEANUP_HOOKS+=(dist_cleanup)
lab_route_vip "$VIP4/32"

# --- B: A with another version ---
unpacked=$LAB_TMP/b
dpkg-deb -R "$A_DEB" "$unpacked"
field=$LAB_TMP/version-field
# The section's size is fixed: the version, then NUL padding (control/base/version.h).
size=$(objdump -h "$unpacked/usr/sbin/anycastd" | awk '$2 == ".anycastd_version" { print $3 }')
[[ -n $size ]] || dist_fail "no .anycastd_version section in the packaged anycastd"
size=$((16#$size))
head -c "$size" < <(printf '%s' "$B_UPSTREAM"; cat /dev/zero) >"$field"
for bin in anycastd anycastctl anycastd-zone-check; do
	objcopy --update-section ".anycastd_version=$field" "$unpacked/usr/sbin/$bin"
done
dist_expect_eq "B's anycastd --version (repacked)" "anycastd $B_UPSTREAM" "$("$unpacked/usr/sbin/anycastd" --version)"
sed -i "s/^Version: .*/Version: $B_VERSION/" "$unpacked/DEBIAN/control"
(cd "$unpacked" && find . -path ./DEBIAN -prune -o -type f ! -path './etc/*' -printf '%P\0' | sort -z | xargs -0 md5sum) \
	>"$unpacked/DEBIAN/md5sums"
B_DEB=$LAB_TMP/anycastd_${B_VERSION}_$(dpkg-deb -f "$A_DEB" Architecture).deb
dpkg-deb --root-owner-group -b "$unpacked" "$B_DEB" >/dev/null
dist_log "B: $B_DEB"

# --- 1. A installed, edited, running ---
dist_root_setup
export DIST_ROOT
dist_install "$A_DEB"
conf=$DIST_ROOT/etc/anycastd/anycastd.toml
# The operator's edit: this lab's interface and VIP, the marker removed.
cat >"$conf" <<-EOF2
	# edited for the upgrade lab
	[datapath]
	interface = "$LAB_EDGE_IF"
	xdp_mode = "native"

	[anycast]
	addresses = ["$VIP4"]

	[services.echo]
	port = 7
EOF2
lab_append_health_route "$conf"
edited=$(md5sum <"$conf")
dist_in_root /usr/sbin/anycastd --check --config /etc/anycastd/anycastd.toml >/dev/null

ctl() { dist_in_root /usr/sbin/anycastctl "$@"; }
lab_start_anycastd "$here/in_root_anycastd.sh" /etc/anycastd/anycastd.toml
pid=$LAB_ANYCASTD_PID
status_json
dist_expect_eq "A running: version" "${A_VERSION%-*}" "$(json_get 'd["status"]["version"]')"
lab_expect_echo "A answers on $VIP4" 3 "$VIP4" 7 --count 3

# --- 2. B over A, watched ---
rm -f "$LAB_TMP/watch.ready"
"$LAB_PYTHON" "$LAB_DIR/ctl_lab.py" watch "$LAB_EDGE" lo "$VIP4" --interval 0.05 --ready-file "$LAB_TMP/watch.ready" \
	>"$LAB_TMP/watch.out" &
LAB_PIDS+=("$!")
# shellcheck disable=SC2034 # stop_probe reads it as PID_<name>
PID_watch=$!
wait_file "$LAB_TMP/watch.ready"
start_stream stream "$VIP4"
dist_install "$B_DEB"
lab_wait_log "restarted in place from anycastd ${A_VERSION%-*} into anycastd ${B_UPSTREAM//+/\\+}" 30 # grep -E
lab_wait_log "adopted as up" 10
sleep 1
stop_probe stream
stop_probe watch

# --- 3. after ---
dist_expect_eq "dpkg's status of anycastd" "install ok installed $B_VERSION" \
	"$(dist_query anycastd Status Version)"
dist_expect_eq "the edited conffile after the upgrade (md5)" "$edited" "$(md5sum <"$conf")"
leftovers=$(find "$DIST_ROOT/etc/anycastd" -name '*.dpkg-*')
[[ -z $leftovers ]] || dist_fail "dpkg left beside the conffile: $leftovers"
kill -0 "$pid" 2>/dev/null || dist_fail "anycastd (pid $pid) is gone after the upgrade"
status_json
dist_expect_eq "anycastctl status after the upgrade: version" "$B_UPSTREAM" "$(json_get 'd["status"]["version"]')"
dist_expect_eq "anycastctl status after the upgrade: pid (restarted in place)" "$pid" "$(json_get 'd["status"]["pid"]')"
dist_expect_eq "anycastctl status after the upgrade: default group" up "$(json_get 'g("default")["state"]')"
watched=$(<"$LAB_TMP/watch.out")
stream=$(<"$LAB_TMP/stream.out")
dist_log "alias $VIP4 during the upgrade: $watched"
dist_log "echo stream during the upgrade: $stream"
dist_expect_eq "samples (every 50 ms) without the alias during the upgrade" 0 "$(lab_field "$watched" absent)"
dist_expect_eq "echo stream (every 20 ms) lost/wrong/refused during the upgrade" "lost=0 wrong=0 refused=0" \
	"lost=$(lab_field "$stream" lost) wrong=$(lab_field "$stream" wrong) refused=$(lab_field "$stream" refused)"
(($(lab_field "$stream" sent) > 0)) || dist_fail "the echo stream sent nothing: $stream"
lab_expect_echo "B answers on $VIP4" 3 "$VIP4" 7 --count 3
grep -E "restarting in place|restarted in place" "$LAB_ANYCASTD_LOG" | sed 's/^/    /' >&2
lab_stop_anycastd 20
dist_expect_eq "anycastd's exit status at SIGTERM" 0 "$LAB_ANYCASTD_RC"
echo "dist.upgrade: ok"
