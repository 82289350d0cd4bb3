/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The decision: parse a frame, match it against the VIPs and services, and say whether the fast
 * path answers it (and with which service) or passes it to the kernel (and why).
 *
 * Lookups differ per datapath (BPF maps, DPDK tables, plain arrays in the tests), so the file
 * that includes this header first defines `struct ac_env` and these functions:
 *
 *   const struct ac_vip_value  *ac_env_vip4(struct ac_env *, const __u8 daddr[4]);
 *   const struct ac_vip_value  *ac_env_vip6(struct ac_env *, const __u8 daddr[16]);
 *   const struct ac_port_value *ac_env_port(struct ac_env *, __u16 port);  (host order)
 *   int ac_env_allowed4(struct ac_env *, __u32 service, const __u8 saddr[4]);
 *   int ac_env_allowed6(struct ac_env *, __u32 service, const __u8 saddr[16]);
 *   int ac_env_answering(struct ac_env *);   (the global switch)
 *   int ac_env_ip4_csum_verified(struct ac_env *);
 *       the NIC's verdict on this frame's IPv4 header checksum: 1 good, -1 bad, 0 unknown
 *       (then the core sums it itself); 0 wherever no hardware looked at the frame
 *
 * and ntp.h's two (the clock state and the TAI clock), ratelimit.h's four (the limiter, a
 * monotonic clock, the buckets), dns_wire.h's (the answer table), dns_edns.h's (NSID, cookie
 * secrets), and in the BPF build
 * ac_env_dns_plan_udp (see ac_dns_accepts) and ac_env_dns_cookie_check (see ac_decide).
 *
 * Addresses point into the frame, in network byte order.
 */
#ifndef ANYCASTD_CORE_DECIDE_H
#define ANYCASTD_CORE_DECIDE_H

#include "dns.h"
#include "ntp.h"
#include "parse.h"
#include "ratelimit.h"

struct ac_verdict {
	__u8 action;  /* enum ac_action */
	__u8 reason;  /* enum ac_pass_reason, AC_PASS_NONE when answered */
	__u8 service; /* enum ac_service, meaningful when answered */
	__u8 limited; /* enum ac_ratelimit_result: the source is over its rate limit (NTP: a kiss-o'-death) */
	__u16 vip;    /* the matched VIP's ac_vip_value.stats, AC_VIP_STATS_NONE before a VIP matched */
};

/* A pass once the VIP is known: counted in that VIP's series too. */
static __always_inline struct ac_verdict ac_vip_pass(__u8 reason, __u16 vip)
{
	struct ac_verdict v = {AC_ACT_PASS, reason, 0, 0, vip};
	return v;
}

static __always_inline struct ac_verdict ac_pass(__u8 reason)
{
	return ac_vip_pass(reason, AC_VIP_STATS_NONE);
}

/* Replying to these would hit nobody, or everybody. */
static __always_inline int ac_src4_invalid(const __u8 *a)
{
	return a[0] == 0 || a[0] == 127 || a[0] >= 224; /* this-net, loopback, multicast, class E + broadcast */
}

static __always_inline int ac_src6_invalid(const __u8 *a)
{
	if (a[0] == 0xff)
		return 1; /* multicast */
	__u32 high = 0;
AC_UNROLL
	for (int i = 0; i < 15; i++)
		high |= a[i];
	return high == 0 && a[15] <= 1; /* :: and ::1 */
}

/*
 * The DNS message is the UDP payload, up to the UDP length (a short frame is padded past it).
 * The BPF build plans in a function of its own that the verifier checks once, from the context
 * and the message's offset (bpf/anycast_xdp.c: ac_env_dns_plan_udp), rather than once for every
 * path that leads here: those multiply past its limit.
 */
static __always_inline __u8 ac_dns_accepts(struct ac_env *env, const __u8 *data, const struct ac_udphdr *udp,
					   const __u8 *end, struct ac_dns_plan *plan)
{
	const __u8 *msg = (const __u8 *)(udp + 1);
	const __u32 msg_len = ac_ntohs(udp->len) - sizeof(struct ac_udphdr);
#if defined(__bpf__)
	(void)end;
	return ac_env_dns_plan_udp(env, (__u32)(msg - data), msg_len, plan);
#else
	(void)data;
	return ac_dns_plan_bounded(env, msg, msg + msg_len, end, AC_DNS_UDP_SIZE, 0, plan);
#endif
}

/* Echo (RFC 862) must not answer the well-known ports, or two servers can be set ping-ponging. */
static __always_inline __u8 ac_echo_accepts(const struct ac_udphdr *udp)
{
	return ac_ntohs(udp->source) < 1024 ? AC_PASS_SRC_PORT_RESERVED : AC_PASS_NONE;
}

static __always_inline struct ac_verdict ac_decide(struct ac_env *env, __u8 *data, __u8 *end,
						   struct ac_headers *h)
{
	struct ac_cursor cur = {data, end};
	const struct ac_vip_value *vip;
	const __u8 *saddr;
	__u32 ip_payload;
	__u8 reason = AC_PASS_NONE;
	__u16 vs = AC_VIP_STATS_NONE; /* the matched VIP's series, once one matched */

	h->ip4 = 0;
	h->ip6 = 0;
	h->ntp = 0;
	h->end = end;
	__u16 proto = ac_parse_l2(&cur, h, &reason);
	if (!proto)
		return ac_pass(reason);
	h->is_ip6 = proto == AC_ETH_P_IPV6;

	if (proto == AC_ETH_P_IP) {
		struct ac_iphdr *ip = ac_parse_ip4_fixed(&cur, &reason);
		if (!ip)
			return ac_pass(reason);
		vip = ac_env_vip4(env, (const __u8 *)&ip->daddr);
		if (!vip)
			return ac_pass(AC_PASS_NOT_VIP);
		vs = (__u16)vip->stats;
		reason = ac_check_ip4(&cur, ip, ac_env_ip4_csum_verified(env));
		if (reason)
			return ac_vip_pass(reason, vs);
		h->ip4 = ip;
		ip_payload = ac_ntohs(ip->tot_len) - sizeof(struct ac_iphdr);
		saddr = (const __u8 *)&ip->saddr;
		if (ac_src4_invalid(saddr))
			reason = AC_PASS_SRC_INVALID;
	} else {
		struct ac_ipv6hdr *ip6 = ac_parse_ip6_fixed(&cur, &reason);
		if (!ip6)
			return ac_pass(reason);
		vip = ac_env_vip6(env, ip6->daddr);
		if (!vip)
			return ac_pass(AC_PASS_NOT_VIP);
		vs = (__u16)vip->stats;
		reason = ac_check_ip6(&cur, ip6);
		if (reason)
			return ac_vip_pass(reason, vs);
		h->ip6 = ip6;
		ip_payload = ac_ntohs(ip6->payload_len);
		saddr = ip6->saddr;
		if (ac_src6_invalid(saddr))
			reason = AC_PASS_SRC_INVALID;
	}

	/* A malformed UDP header outranks a bad source: both pass, but the count says more. */
	__u8 udp_reason = AC_PASS_NONE;
	struct ac_udphdr *udp = ac_parse_udp(&cur, ip_payload, &udp_reason);
	if (!udp)
		return ac_vip_pass(udp_reason, vs);
	if (h->is_ip6 && udp->check == 0)
		return ac_vip_pass(AC_PASS_BAD_UDP_CHECKSUM, vs);
	h->udp = udp;

	const struct ac_port_value *port = ac_env_port(env, ac_ntohs(udp->dest));
	if (!port || !(port->flags & AC_SVC_F_ENABLED) || port->service >= AC_SVC__COUNT)
		return ac_vip_pass(AC_PASS_PORT_UNKNOWN, vs);
	__u32 service = port->service;
	if (!(vip->services & (1u << service)))
		return ac_vip_pass(AC_PASS_SERVICE_OFF, vs);
	if (!(vip->flags & AC_VIP_F_ANSWERING) || !ac_env_answering(env))
		return ac_vip_pass(AC_PASS_NOT_ANSWERING, vs);
	if (reason)
		return ac_vip_pass(reason, vs);
	/*
	 * One branch per family, not one call behind ?:, which clang merges into a single lookup
	 * through a selected map pointer: the verifier can then not turn it into a direct call of
	 * the trie's lookup (docs/benchmarks.md, "Proposed changes" 1).
	 */
	if ((port->flags & AC_SVC_F_RESTRICTED) && h->is_ip6) {
		if (!ac_env_allowed6(env, service, saddr))
			return ac_vip_pass(AC_PASS_SRC_NOT_ALLOWED, vs);
	} else if (port->flags & AC_SVC_F_RESTRICTED) {
		if (!ac_env_allowed4(env, service, saddr))
			return ac_vip_pass(AC_PASS_SRC_NOT_ALLOWED, vs);
	}
	if (service == AC_SVC_ECHO)
		reason = ac_echo_accepts(udp);
	else if (service == AC_SVC_NTP)
		reason = ac_ntp_accepts(env, udp, end, &h->ntp);
	else if (service == AC_SVC_DNS)
		reason = ac_dns_accepts(env, data, udp, end, &h->dns);
	if (reason)
		return ac_vip_pass(reason, vs);

	/* A DNS client that returns a valid server cookie is not spoofed: no rate limit for it
	 * (RFC 9018 1). The check writes the reply's fresh cookie, or turns it into BADCOOKIE. */
	int exempt = 0;
	if (service == AC_SVC_DNS)
#if defined(__bpf__)
		/* The hashes in a BPF function of its own, off this one's stack and checked once. */
		exempt = ac_env_dns_cookie_check(env, &h->dns, saddr, h->is_ip6);
#else
		exempt = ac_dns_cookie_check(env, &h->dns, saddr, h->is_ip6);
#endif

	/* Last, so that only requests the fast path would answer spend tokens. */
	__u8 limited = exempt ? (__u8)AC_RL_ALLOW : ac_ratelimit(env, service, h->is_ip6, saddr);
	struct ac_verdict v = {AC_ACT_ANSWER, AC_PASS_NONE, (__u8)service, limited, vs};
	/* DNS RRL: a query over the limit is dropped, unless it is the slip-th, answered with TC=1
	 * and no records (ac_dns_slip): a spoofed victim gets little, a real client retries on TCP. */
	if (service == AC_SVC_DNS && limited == AC_RL_OVER)
		v.action = AC_ACT_DROP;
	else if (service == AC_SVC_DNS && limited == AC_RL_SLIP)
		ac_dns_slip(&h->dns);
	return v;
}

#endif /* ANYCASTD_CORE_DECIDE_H */
