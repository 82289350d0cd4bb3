/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wire headers, declared here rather than taken from <linux/ip.h> and friends: those clash with
 * glibc's <netinet/in.h> in C++ and drag kernel types into user space. Multi-byte fields are in
 * network byte order.
 */
#ifndef ANYCASTD_CORE_HEADERS_H
#define ANYCASTD_CORE_HEADERS_H

#include "compat.h"

#define AC_ETH_ALEN 6
#define AC_ETH_P_IP 0x0800
#define AC_ETH_P_IPV6 0x86DD
#define AC_ETH_P_8021Q 0x8100
#define AC_ETH_P_8021AD 0x88A8

#define AC_IPPROTO_HOPOPTS 0
#define AC_IPPROTO_UDP 17
#define AC_IPPROTO_ROUTING 43
#define AC_IPPROTO_FRAGMENT 44
#define AC_IPPROTO_ESP 50
#define AC_IPPROTO_AH 51
#define AC_IPPROTO_DSTOPTS 60
#define AC_IPPROTO_MH 135
#define AC_IPPROTO_HIP 139
#define AC_IPPROTO_SHIM6 140
#define AC_IPPROTO_EXP1 253
#define AC_IPPROTO_EXP2 254

#define AC_IP_MF 0x2000
#define AC_IP_OFFSET 0x1FFF

/*
 * Where a header sits is the driver's choice: behind 14 bytes of Ethernet and 4-byte VLAN tags,
 * the IP header is often at 2 modulo 4 (NET_IP_ALIGN is 0 on x86, DPDK's headroom is 128 bytes),
 * and a frame may start anywhere. Native builds (DPDK, tests, fuzzers) therefore declare the
 * headers packed, so that reading them in place is defined behaviour rather than something x86
 * forgives (UBSan reports the misaligned access otherwise); on x86 the loads are the same plain
 * moves. The BPF build keeps natural alignment: the verifier and JIT handle packet access, and
 * packed fields would make clang split every load into bytes.
 */
#if defined(__bpf__)
#define AC_WIRE_HEADER
#else
#define AC_WIRE_HEADER __attribute__((packed))
#endif

struct AC_WIRE_HEADER ac_ethhdr {
	__u8 dst[AC_ETH_ALEN];
	__u8 src[AC_ETH_ALEN];
	__u16 proto;
};

struct AC_WIRE_HEADER ac_vlanhdr {
	__u16 tci;
	__u16 proto; /* the ethertype of what follows the tag */
};

struct AC_WIRE_HEADER ac_iphdr {
	__u8 version_ihl;
	__u8 tos;
	__u16 tot_len;
	__u16 id;
	__u16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__u16 check;
	__u32 saddr;
	__u32 daddr;
};

struct AC_WIRE_HEADER ac_ipv6hdr {
	__u32 version_class_flow;
	__u16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct AC_WIRE_HEADER ac_udphdr {
	__u16 source;
	__u16 dest;
	__u16 len;
	__u16 check;
};

#endif /* ANYCASTD_CORE_HEADERS_H */
