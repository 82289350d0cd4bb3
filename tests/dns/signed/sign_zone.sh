#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Signs a zone with ldns (Debian's ldnsutils), for the DNSSEC tests and labs: a fresh
# ECDSAP256SHA256 KSK and ZSK, fixed inception/expiration so a test knows the validity window.
#
#   sign_zone.sh VARIANT ORIGIN ZONEFILE OUTDIR [INCEPTION EXPIRATION]
#     VARIANT     nsec | nsec3 | nsec3-optout | nsec3-iter (NSEC3 with 5 iterations: RFC 9276 warning)
#     ORIGIN      example.net
#     INCEPTION, EXPIRATION  YYYYMMDD[hhmmss] or epoch seconds; default 20260101 .. 20360101
#   writes OUTDIR/ORIGIN.signed (the signed zone), OUTDIR/ORIGIN.ds (the KSK's DS, for a parent),
#   OUTDIR/ORIGIN.anchor (the KSK's DNSKEY, a trust anchor for unbound: trust-anchor-file) and the
#   keys OUTDIR/K*.{key,private}; prints the signed file's path.
#   ECDSA signatures are random: sign once and keep the file when bytes must be stable.
set -euo pipefail
if [ $# -ne 4 ] && [ $# -ne 6 ]; then
	echo "usage: $0 nsec|nsec3|nsec3-optout|nsec3-iter ORIGIN ZONEFILE OUTDIR [INCEPTION EXPIRATION]" >&2
	exit 2
fi
variant=$1 origin=${2%.} zone=$3 out=$4
inception=${5:-20260101} expiration=${6:-20360101}
case $variant in
nsec) opts=() ;;
nsec3) opts=(-n -a 1 -t 0) ;;
nsec3-optout) opts=(-n -a 1 -t 0 -p) ;;
nsec3-iter) opts=(-n -a 1 -t 5 -s abcd) ;;
*) echo "$0: unknown variant '$variant' (nsec, nsec3, nsec3-optout, nsec3-iter)" >&2; exit 2 ;;
esac
[ -r "$zone" ] || { echo "$0: cannot read zone file '$zone'" >&2; exit 2; }
zone=$(realpath "$zone")
mkdir -p "$out"
cd "$out"
ksk=$(ldns-keygen -a ECDSAP256SHA256 -k "$origin")
zsk=$(ldns-keygen -a ECDSAP256SHA256 "$origin")
rm -f "$ksk.ds" "$zsk.ds"
ldns-signzone "${opts[@]}" -o "$origin" -i "$inception" -e "$expiration" -f "$origin.signed" "$zone" "$ksk" "$zsk"
ldns-key2ds -n -2 "$ksk.key" > "$origin.ds"
grep -v '^;' "$ksk.key" > "$origin.anchor"
echo "$PWD/$origin.signed"
