/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Turning a request into its reply in place: the addresses and ports swap, VLAN tags stay where
 * they are, the reply leaves with a fresh TTL. Swapping leaves the ones'-complement sum of the
 * UDP pseudo-header and header unchanged, so the UDP checksum stays valid as it is; a service
 * that rewrites the payload fixes the checksum itself.
 */
#ifndef ANYCASTD_CORE_REPLY_H
#define ANYCASTD_CORE_REPLY_H

#include "csum.h"
#include "parse.h"

#define AC_REPLY_TTL 64

static __always_inline void ac_reply_swap(struct ac_headers *h)
{
	__u8 mac[AC_ETH_ALEN] __attribute__((aligned(2)));
	ac_copy_even(mac, h->eth->dst, AC_ETH_ALEN);
	ac_copy_even(h->eth->dst, h->eth->src, AC_ETH_ALEN);
	ac_copy_even(h->eth->src, mac, AC_ETH_ALEN);

	if (!h->is_ip6) {
		__u32 addr = h->ip4->saddr;
		h->ip4->saddr = h->ip4->daddr;
		h->ip4->daddr = addr;
		ac_ip4_set_ttl(h->ip4, AC_REPLY_TTL); /* the swap left the header's sum as it was */
	} else {
		__u8 addr[16] __attribute__((aligned(2)));
		ac_copy_even(addr, h->ip6->saddr, 16);
		ac_copy_even(h->ip6->saddr, h->ip6->daddr, 16);
		ac_copy_even(h->ip6->daddr, addr, 16);
		h->ip6->hop_limit = AC_REPLY_TTL;
	}

	__u16 port = h->udp->source;
	h->udp->source = h->udp->dest;
	h->udp->dest = port;
}

#endif /* ANYCASTD_CORE_REPLY_H */
