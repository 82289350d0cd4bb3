/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writing the answer the decision chose. Echo (RFC 862) is the request with its addresses
 * swapped, so its reply has the request's length and needs nothing from the datapath. NTP
 * (ntp.h) swaps the same way and rewrites the 48-byte header in place: the same length again,
 * with the datapath's clock read through the env. A source over its rate limit gets NTP's
 * kiss-o'-death instead, the same length again and without the clock. A DNS reply has a length
 * of its own, so the frame is resized through the env, besides the DNS hooks of dns_wire.h:
 *
 *   int ac_env_resize(struct ac_env *, __s32 delta, __u8 **data, __u8 **end);
 *       grows (delta > 0) or shrinks the frame at its tail by delta bytes; 0 on success with
 *       *data and *end the frame's new bounds (every other pointer into the frame is stale
 *       then: XDP may move the data), nonzero with the frame untouched when it cannot
 *
 * and, in the BPF build only, ac_env_dns_reply (see ac_dns_respond).
 *
 * ac_respond returns the verdict that stands: the decision's, or a pass when the reply could not
 * be made (the frame could not grow), and then the frame is as it came.
 */
#ifndef ANYCASTD_CORE_RESPOND_H
#define ANYCASTD_CORE_RESPOND_H

#include "decide.h"
#include "reply.h"

/* The largest offset of the network header: Ethernet and two VLAN tags (parse.h). */
#define AC_L3_MAX_OFFSET (sizeof(struct ac_ethhdr) + 2 * sizeof(struct ac_vlanhdr))

/*
 * The DNS reply of `plan` into the frame data..end, whose network header is at l3: the frame is
 * resized first, the only step that can fail, so that a failure leaves it untouched (the pass
 * reason comes back then, AC_PASS_NONE when the reply is made). The headers are then found again
 * at their offsets, the lengths set before the swap computes the IPv4 header checksum. The UDP
 * checksum (IPv6 requires one, and an IPv4 reply gets one too) is put together from parts
 * (docs/dns.md, "The UDP checksum"): the pseudo-header, the query's own bytes up to the end of
 * the question summed, the records' sum the zone compiler made with the changes of the pointers
 * that moved, and the OPT's from its fields; no pass over the records.
 */
static __always_inline __u8 ac_dns_reply_frame(struct ac_env *env, __u8 *data, __u8 *end, __u32 l3, __u8 is_ip6,
					       const struct ac_dns_plan *plan)
{
	if (l3 > AC_L3_MAX_OFFSET) /* parse.h put it there; the bound is for the verifier */
		return AC_PASS_DNS_NO_ROOM;
	const __u32 l4 = l3 + (is_ip6 ? sizeof(struct ac_ipv6hdr) : sizeof(struct ac_iphdr));
	__u64 udp_len = sizeof(struct ac_udphdr) + (__u64)plan->reply_len;
	AC_BPF_PIN(udp_len);
	if (udp_len > sizeof(struct ac_udphdr) + AC_DNS_UDP_SIZE)
		return AC_PASS_DNS_NO_ROOM;
	__s32 delta = (__s32)(l4 + udp_len) - (__s32)(end - data);
	if (delta && ac_env_resize(env, delta, &data, &end))
		return AC_PASS_DNS_NO_ROOM;

	/* From here on the frame is the reply's size, and each check below holds by construction. */
	if (data + sizeof(struct ac_ethhdr) > end)
		return AC_PASS_DNS_NO_ROOM;
	struct ac_headers h;
	h.is_ip6 = is_ip6;
	h.eth = (struct ac_ethhdr *)data;
	h.ip4 = 0;
	h.ip6 = 0;
	struct ac_udphdr *udp;
	/* The pseudo-header's sum: swapping the addresses leaves it alone, so it is taken here. */
	__u64 sum = ac_htons(AC_IPPROTO_UDP) + ac_htons((__u16)udp_len);
	if (is_ip6) {
		struct ac_ipv6hdr *ip6 = (struct ac_ipv6hdr *)(data + l3);
		udp = (struct ac_udphdr *)(ip6 + 1);
		if ((__u8 *)(udp + 1) > end)
			return AC_PASS_DNS_NO_ROOM;
		ip6->payload_len = ac_htons((__u16)udp_len);
		h.ip6 = ip6;
		AC_UNROLL
		for (int i = 0; i < 8; i++) {
			sum += ac_even_word32((const __u8 *)ip6 + 8 + 4 * i); /* saddr, daddr */
		}
	} else {
		struct ac_iphdr *ip4 = (struct ac_iphdr *)(data + l3);
		udp = (struct ac_udphdr *)(ip4 + 1);
		if ((__u8 *)(udp + 1) > end)
			return AC_PASS_DNS_NO_ROOM;
		__u16 request_len = ip4->tot_len;
		ip4->tot_len = ac_htons((__u16)(sizeof(struct ac_iphdr) + udp_len));
		ip4->check = ac_csum_update(ip4->check, request_len, ip4->tot_len);
		h.ip4 = ip4;
		sum += (__u64)ip4->saddr + ip4->daddr;
	}
	h.udp = udp;
	udp->len = ac_htons((__u16)udp_len);
	ac_reply_swap(&h);

	__u32 moved = 0;
	if (!ac_dns_write(env, (__u8 *)(udp + 1), end, plan, &moved))
		return AC_PASS_DNS_NO_ROOM;
	udp->check = 0;
	const __u32 records_at = sizeof(struct ac_udphdr) + AC_DNS_HEADER_LEN + plan->qname_len + AC_DNS_QUESTION_TAIL;
	sum = ac_csum_bytes((const __u8 *)udp, records_at, end, sum);
	if (!sum) /* as for ac_dns_write: the frame was sized for the reply */
		return AC_PASS_DNS_NO_ROOM;
	sum += ac_htons(ac_csum_shift(ac_csum_fold16((__u64)plan->records_sum + moved), records_at));
	if (plan->edns)
		sum += ac_htons(ac_csum_shift(ac_dns_opt_sum(env, plan), records_at + plan->records + 1));
	__u16 check = (__u16)~ac_csum_fold16(sum);
	udp->check = check ? check : 0xFFFF; /* 0 would say "no checksum" (RFC 768) */
	return AC_PASS_NONE;
}

/*
 * The BPF build makes the reply in a function of its own that the verifier checks once, from
 * the context and the offsets (bpf/anycast_xdp.c: ac_env_dns_reply), rather than once for every
 * path that leads here: those multiply past its limit.
 */
static __always_inline __u8 ac_dns_respond(struct ac_env *env, struct ac_headers *h)
{
	__u8 *data = (__u8 *)h->eth;
	__u32 l3 = (__u32)((h->is_ip6 ? (__u8 *)h->ip6 : (__u8 *)h->ip4) - data);
#if defined(__bpf__)
	return ac_env_dns_reply(env, l3, h->is_ip6, &h->dns);
#else
	return ac_dns_reply_frame(env, data, h->end, l3, h->is_ip6, &h->dns);
#endif
}

/*
 * The decision proved that an NTP request's 48 bytes are in the frame and its clock state is
 * there when it chose NTP; the BPF verifier, which sees the verdict come back packed in one
 * register, cannot tie either to the service, so ac_respond says it again before it touches the
 * frame, and the two reply functions, which the verifier checks on their own, once more.
 */
static __always_inline struct ac_ntp_packet *ac_ntp_request(const struct ac_headers *h)
{
	struct ac_ntp_packet *p = (struct ac_ntp_packet *)(h->udp + 1);
	return (const __u8 *)(p + 1) > h->end ? 0 : p;
}

AC_BPF_SUBPROG void ac_ntp_respond(struct ac_env *env, const struct ac_headers *h, __u64 receive_tai_ns)
{
	struct ac_ntp_packet *p = ac_ntp_request(h);
	if (p && h->ntp)
		ac_ntp_reply(env, p, h->udp, h->ntp, receive_tai_ns);
}

/* The kiss-o'-death sums the 48 bytes as the reply does: a frame of its own too. */
AC_BPF_SUBPROG void ac_ntp_kiss(const struct ac_headers *h)
{
	struct ac_ntp_packet *p = ac_ntp_request(h);
	if (p)
		ac_ntp_kod(h->udp, p);
}

static __always_inline struct ac_verdict ac_respond(struct ac_env *env, struct ac_headers *h, struct ac_verdict v)
{
	switch (v.service) {
	case AC_SVC_ECHO:
		ac_reply_swap(h);
		break;
	case AC_SVC_NTP: {
		if (!ac_ntp_request(h) || !h->ntp) /* see ac_ntp_request */
			return ac_vip_pass(AC_PASS_NTP_LENGTH, v.vip);
		if (v.limited) {
			ac_reply_swap(h);
			ac_ntp_kiss(h);
			break;
		}
		__u64 receive_tai_ns = ac_env_tai_ns(env); /* as early as the reply allows */
		ac_reply_swap(h);
		ac_ntp_respond(env, h, receive_tai_ns);
		break;
	}
	case AC_SVC_DNS: {
		__u8 reason = ac_dns_respond(env, h);
		if (reason)
			return ac_vip_pass(reason, v.vip);
		break;
	}
	default:
		break;
	}
	return v;
}

#endif /* ANYCASTD_CORE_RESPOND_H */
