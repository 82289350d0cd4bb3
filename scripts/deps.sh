#!/usr/bin/env bash
# Installs everything anycastd needs to build, test and run its demo on Debian 12, and mounts
# bpffs. Idempotent: when every package is already installed it only checks and returns.
set -euo pipefail

if [[ $EUID -ne 0 ]]; then
	echo "deps.sh: needs root (apt-get, mount): run it as root" >&2
	exit 1
fi

PACKAGES=(
	# build
	build-essential cmake pkg-config clang llvm
	# libFuzzer and the sanitizer runtimes for the clang build (build-asan, docs/robustness.md)
	libclang-rt-14-dev
	libbpf-dev bpftool libelf-dev zlib1g-dev
	# loadgen's AF_XDP engine: libxdp's xsk API (libbpf 1.1 has none)
	libxdp-dev
	libspdlog-dev libfmt-dev libtomlplusplus-dev libmnl-dev nlohmann-json3-dev
	libgtest-dev libgmock-dev libbenchmark-dev
	libdpdk-dev dpdk-dev
	# DNS zone files are read with Knot's zone scanner (libzscanner, shipped in libknot-dev)
	libknot-dev
	# NSEC3 hashing (SHA-1, RFC 5155) for signed zones
	nettle-dev
	# labs, demo and tests
	iproute2 iputils-ping ethtool python3 python3-scapy socat tcpdump procps util-linux
	# benchmark report (bench/lab/report.py: the answered-rate plot)
	python3-matplotlib
	# a packet generator the project did not write, to cross-check loadgen (trafgen)
	netsniff-ng
	# NTP: the time source and the clients of the NTP lab
	chrony sntp ntpsec-ntpdate
	# DNS: the reference servers (knotd, nsd) and the clients (dig, kdig, dnspython; dig +yaml read
	# with python3-yaml) of the DNS lab
	knot knot-dnsutils nsd bind9-dnsutils python3-dnspython python3-yaml
	# signed zones (lab.dnssec): ldns-signzone signs them at test time, and a validating resolver
	# (unbound) resolves through anycastd's VIP; unbound's own service must not start: see below
	ldnsutils unbound
	# routing daemons for the route-signal labs (frr: bgpd, zebra and vtysh;
	# gobgpd: gobgpd and the gobgp CLI)
	bird2 exabgp frr gobgpd
	# man pages: pandoc builds them from the Markdown of docs/ (docs/man/README.md); man-db
	# (with groff) renders them in dist.man_pages
	pandoc man-db
	# bash-completion loads anycastctl's completion on demand; dist.bash_completion checks that
	# its loader finds the file where the package puts it
	bash-completion
	# promtool, to check the packaged alert rules and test them on series recorded from the real
	# metrics endpoint (tests/dist); the package's own prometheus service must not start: see below
	prometheus
	# the Debian packages (scripts/package.sh: dpkg-buildpackage, debhelper) and their tests
	# (tests/dist: lintian; systemd-analyze verify and security on the unit; objcopy, from
	# binutils, for the upgrade test's second package)
	dpkg-dev debhelper lintian systemd binutils
)

missing=()
for p in "${PACKAGES[@]}"; do
	if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]]; then
		missing+=("$p")
	fi
done

if ((${#missing[@]})); then
	echo "deps.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# The packages' own services must not start: chronyd would discipline the host clock, bird,
	# exabgp, frr, gobgpd (and unbound) would run beside the labs' own instances, prometheus would
	# listen on :9090.
	# policy-rc.d answering 101 is Debian's switch for that (invoke-rc.d, deb-systemd-invoke);
	# one already there is respected.
	policy=/usr/sbin/policy-rc.d
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\n# anycastd deps.sh: no service starts during this install\nexit 101\n' >"$policy"
		chmod 0755 "$policy"
		trap 'rm -f "$policy"' EXIT
	fi
	apt-get update
	apt-get install -y --no-install-recommends "${PACKAGES[@]}" </dev/null
	# Nor at the next boot of a machine that runs systemd: the packages enable their units. Only
	# the ones this run installed are disabled, so a service the operator enabled stays as it was.
	declare -A unit_of=([chrony]=chrony [bird2]=bird [exabgp]=exabgp [frr]=frr [gobgpd]=gobgpd [knot]=knot [nsd]=nsd [unbound]=unbound [prometheus]=prometheus)
	if command -v systemctl >/dev/null; then
		for p in "${missing[@]}"; do
			if [[ -n ${unit_of[$p]:-} ]]; then systemctl disable --quiet "${unit_of[$p]}.service"; fi
		done
	fi
else
	echo "deps.sh: all ${#PACKAGES[@]} packages installed"
fi

# bpffs: not mounted on a fresh machine; pinning and some loaders need it.
mkdir -p /sys/fs/bpf
if [[ "$(stat -f -c %T /sys/fs/bpf)" != bpf_fs ]]; then
	mount -t bpf bpf /sys/fs/bpf
	echo "deps.sh: mounted bpffs on /sys/fs/bpf"
fi
