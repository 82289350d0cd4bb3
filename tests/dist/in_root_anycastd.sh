#!/bin/sh
# in_root_anycastd.sh ARGS...: the throwaway root's installed /usr/sbin/anycastd (DIST_ROOT, see
# root.sh), run chrooted in it with ARGS, for lab_start_anycastd under `ip netns exec`. The
# root gets the sysfs and bpffs of the namespace it runs in (ip netns exec gave this process a
# mount namespace of its own, so they stay there). exec all the way: the pid lab.sh holds is
# anycastd's.
set -eu
mount -t sysfs sysfs "$DIST_ROOT/sys"
mount -t bpf bpf "$DIST_ROOT/sys/fs/bpf"
exec chroot "$DIST_ROOT" /usr/sbin/anycastd "$@"
