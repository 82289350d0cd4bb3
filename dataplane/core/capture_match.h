/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The capture filter's match (docs/capture.md, abi.h struct ac_capture_config), one definition
 * for both fast paths: the XDP program (bpf/capture.h) and the DPDK worker. It runs on a request
 * the decision chose to answer, before the reply is written, so its headers are all there and
 * still the client's.
 */
#ifndef ANYCASTD_CORE_CAPTURE_MATCH_H
#define ANYCASTD_CORE_CAPTURE_MATCH_H

#include "abi.h"
#include "parse.h"

/* (addr & mask) == net, word by word, the words read as the frame holds them. */
static __always_inline int ac_capture_prefix_match(const struct ac_capture_prefix *p, __u8 is_ip6, const __u8 *addr)
{
	if (p->is_ip6 != is_ip6)
		return 0;
	__u32 differ = (ac_even_word32(addr) & p->mask[0]) ^ p->net[0];
	if (is_ip6) {
		AC_UNROLL
		for (int w = 1; w < 4; w++)
			differ |= (ac_even_word32(addr + 4 * w) & p->mask[w]) ^ p->net[w];
	}
	return differ == 0;
}

/* Whether the capture `c` wants the request `h`: every term it has set matches. A capture that
 * is off (AC_CAPTURE_F_ON clear) wants nothing. */
static __always_inline int ac_capture_match(const struct ac_capture_config *c, const struct ac_headers *h)
{
	if (!(c->flags & AC_CAPTURE_F_ON))
		return 0;
	if (!h->udp || (h->is_ip6 ? !h->ip6 : !h->ip4))
		return 0;
	const __u8 *saddr = h->is_ip6 ? (const __u8 *)&h->ip6->saddr : (const __u8 *)&h->ip4->saddr;
	const __u8 *daddr = h->is_ip6 ? (const __u8 *)&h->ip6->daddr : (const __u8 *)&h->ip4->daddr;
	if ((c->flags & AC_CAPTURE_F_VIP) && !ac_capture_prefix_match(&c->vip, h->is_ip6, daddr))
		return 0;
	if ((c->flags & AC_CAPTURE_F_SRC) && !ac_capture_prefix_match(&c->src, h->is_ip6, saddr))
		return 0;
	if ((c->flags & AC_CAPTURE_F_PORT) && h->udp->source != c->port && h->udp->dest != c->port)
		return 0;
	return 1;
}

#endif
