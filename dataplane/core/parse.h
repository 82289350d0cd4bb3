/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cursor-based header parsing. Every read is checked against the frame's end before it happens,
 * in the form the BPF verifier can follow: pointer + constant size compared with end.
 */
#ifndef ANYCASTD_CORE_PARSE_H
#define ANYCASTD_CORE_PARSE_H

#include "abi.h"
#include "csum.h"
#include "dns_plan.h"
#include "headers.h"

struct ac_cursor {
	__u8 *pos;
	__u8 *end;
};

/* Returns the header at the cursor and moves past it, or 0 when the frame is too short. */
#define ac_pull(cur, type)                                                                  \
	({                                                                                  \
		type *hdr_ = (type *)(cur)->pos;                                            \
		(cur)->pos + sizeof(type) > (cur)->end ? (type *)0                          \
						       : ((cur)->pos += sizeof(type), hdr_); \
	})

/*
 * The frame as far as the packet core understands it. Exactly one of ip4 and ip6 is set, and
 * is_ip6 says which: the verifier cannot prove a packet pointer non-null, so branching on the
 * pointer would make it walk the other family's path with a null one.
 */
struct ac_headers {
	__u8 is_ip6;
	struct ac_ethhdr *eth;
	struct ac_iphdr *ip4;
	struct ac_ipv6hdr *ip6;
	struct ac_udphdr *udp;
	__u8 *end;                      /* the frame's end: a DNS reply resizes the frame */
	const struct ac_ntp_state *ntp; /* an answered NTP request: the clock state it is answered with */
	struct ac_dns_plan dns;         /* an answered DNS query: its reply (dns_wire.h) */
};

/*
 * Ethernet and up to two VLAN tags (802.1Q, 802.1ad in any order). Leaves the cursor on the
 * network header and returns its ethertype in host order, or 0 with *reason set.
 */
static __always_inline __u16 ac_parse_l2(struct ac_cursor *cur, struct ac_headers *h, __u8 *reason)
{
	struct ac_ethhdr *eth = ac_pull(cur, struct ac_ethhdr);
	if (!eth) {
		*reason = AC_PASS_TRUNCATED;
		return 0;
	}
	h->eth = eth;
	__u16 proto = ac_ntohs(eth->proto);

AC_UNROLL
	for (int depth = 0; depth < 2; depth++) {
		if (proto != AC_ETH_P_8021Q && proto != AC_ETH_P_8021AD)
			break;
		struct ac_vlanhdr *tag = ac_pull(cur, struct ac_vlanhdr);
		if (!tag) {
			*reason = AC_PASS_TRUNCATED;
			return 0;
		}
		proto = ac_ntohs(tag->proto);
	}
	if (proto == AC_ETH_P_8021Q || proto == AC_ETH_P_8021AD) {
		*reason = AC_PASS_VLAN_TOO_DEEP;
		return 0;
	}
	if (proto != AC_ETH_P_IP && proto != AC_ETH_P_IPV6) {
		*reason = AC_PASS_NOT_IP;
		return 0;
	}
	return proto;
}

/* The fixed IPv4 header: enough to know the destination. */
static __always_inline struct ac_iphdr *ac_parse_ip4_fixed(struct ac_cursor *cur, __u8 *reason)
{
	struct ac_iphdr *ip = ac_pull(cur, struct ac_iphdr);
	if (!ip) {
		*reason = AC_PASS_TRUNCATED;
		return 0;
	}
	if ((ip->version_ihl >> 4) != 4) {
		*reason = AC_PASS_BAD_IP_HEADER;
		return 0;
	}
	return ip;
}

/*
 * The rest of an IPv4 header addressed to a VIP: the fast path owns only plain UDP, so options
 * and fragments go to the kernel, which reassembles and handles them. hw_csum is what the NIC
 * found for the header checksum (1 good, -1 bad, 0 not checked): a verified header is not summed
 * again.
 */
static __always_inline __u8 ac_check_ip4(const struct ac_cursor *cur, const struct ac_iphdr *ip, int hw_csum)
{
	__u8 ihl = ip->version_ihl & 0x0F;
	if (ihl < 5)
		return AC_PASS_BAD_IP_HEADER;
	__u16 tot_len = ac_ntohs(ip->tot_len);
	/* tot_len is compared with what is left after the header, hence the 20 on both sides */
	if (tot_len < sizeof(struct ac_iphdr) ||
	    tot_len - sizeof(struct ac_iphdr) > (__u64)(cur->end - cur->pos))
		return AC_PASS_BAD_IP_LENGTH;
	if (ihl > 5)
		return AC_PASS_IP_OPTIONS;
	/* The kernel would drop it; answering could send a reply to a corrupted source address. */
	if (hw_csum < 0 || (hw_csum == 0 && !ac_ip4_checksum_ok(ip)))
		return AC_PASS_BAD_IP_HEADER;
	if (ac_ntohs(ip->frag_off) & (AC_IP_MF | AC_IP_OFFSET))
		return AC_PASS_IP_FRAGMENT;
	if (ip->protocol != AC_IPPROTO_UDP)
		return AC_PASS_NOT_UDP;
	return AC_PASS_NONE;
}

static __always_inline struct ac_ipv6hdr *ac_parse_ip6_fixed(struct ac_cursor *cur, __u8 *reason)
{
	struct ac_ipv6hdr *ip6 = ac_pull(cur, struct ac_ipv6hdr);
	if (!ip6) {
		*reason = AC_PASS_TRUNCATED;
		return 0;
	}
	if ((((__u8 *)ip6)[0] >> 4) != 6) {
		*reason = AC_PASS_BAD_IP_HEADER;
		return 0;
	}
	return ip6;
}

static __always_inline int ac_is_ip6_ext_header(__u8 nexthdr)
{
	switch (nexthdr) {
	case AC_IPPROTO_HOPOPTS:
	case AC_IPPROTO_ROUTING:
	case AC_IPPROTO_DSTOPTS:
	case AC_IPPROTO_AH:
	case AC_IPPROTO_ESP:
	case AC_IPPROTO_MH:
	case AC_IPPROTO_HIP:
	case AC_IPPROTO_SHIM6:
	case AC_IPPROTO_EXP1:
	case AC_IPPROTO_EXP2:
		return 1;
	default:
		return 0;
	}
}

/* The fast path answers only UDP directly after the fixed header; any chain goes to the kernel. */
static __always_inline __u8 ac_check_ip6(const struct ac_cursor *cur, const struct ac_ipv6hdr *ip6)
{
	if (ac_ntohs(ip6->payload_len) > (__u64)(cur->end - cur->pos))
		return AC_PASS_BAD_IP_LENGTH;
	if (ip6->nexthdr == AC_IPPROTO_FRAGMENT)
		return AC_PASS_IP_FRAGMENT;
	if (ac_is_ip6_ext_header(ip6->nexthdr))
		return AC_PASS_IPV6_EXT_HEADER;
	if (ip6->nexthdr != AC_IPPROTO_UDP)
		return AC_PASS_NOT_UDP;
	return AC_PASS_NONE;
}

/*
 * UDP inside an IP payload of ip_payload bytes (which the IP check proved lie in the frame).
 * A datagram that ends inside the UDP header is truncated even when the frame goes on: short
 * frames arrive padded to 60 bytes, and the padding is not the rest of the header.
 */
static __always_inline struct ac_udphdr *ac_parse_udp(struct ac_cursor *cur, __u32 ip_payload,
						      __u8 *reason)
{
	struct ac_udphdr *udp = ac_pull(cur, struct ac_udphdr);
	if (!udp || ip_payload < sizeof(struct ac_udphdr)) {
		*reason = AC_PASS_TRUNCATED;
		return 0;
	}
	__u16 len = ac_ntohs(udp->len);
	if (len < sizeof(struct ac_udphdr) || len > ip_payload) {
		*reason = AC_PASS_BAD_UDP_LENGTH;
		return 0;
	}
	return udp;
}

#endif /* ANYCASTD_CORE_PARSE_H */
