/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NTP server mode (RFC 5905): which requests the fast path answers, and the reply written over
 * the request in place. Only a plain client request is answered: mode 3, version 3 or 4, exactly
 * the 48-byte header (no extension fields, MACs or NTS), so a reply is never longer than its
 * request and nothing the fast path sends can be used to amplify. The rest goes to the kernel.
 *
 * The datapath supplies, besides decide.h's lookups:
 *
 *   const struct ac_ntp_state *ac_env_ntp_state(struct ac_env *);   (0 when control wrote none)
 *   __u64 ac_env_tai_ns(struct ac_env *);   the packet path's TAI clock, nanoseconds since 1970
 */
#ifndef ANYCASTD_CORE_NTP_H
#define ANYCASTD_CORE_NTP_H

#include "abi.h"
#include "headers.h"

#define AC_NTP_PACKET_LEN 48
#define AC_NTP_UNIX_EPOCH 2208988800ull /* seconds from 1900-01-01 to 1970-01-01 */
#define AC_NTP_MODE_CLIENT 3
#define AC_NTP_MODE_SERVER 4
#define AC_NS_PER_S 1000000000ull

struct AC_WIRE_HEADER ac_ntp_packet {
	__u8 li_vn_mode;
	__u8 stratum;
	__s8 poll;
	__s8 precision;
	__u32 root_delay;
	__u32 root_dispersion;
	__u32 refid;
	__u32 reference[2]; /* each timestamp: seconds, fraction; network byte order */
	__u32 origin[2];
	__u32 receive[2];
	__u32 transmit[2];
};

/*
 * The verdict on a datagram to the NTP port. Modes 6 and 7 are named first, whatever their
 * length: they are what amplification attacks send. On AC_PASS_NONE *state is the clock state
 * to answer with.
 */
static __always_inline __u8 ac_ntp_accepts(struct ac_env *env, const struct ac_udphdr *udp,
					   const __u8 *end, const struct ac_ntp_state **state)
{
	const struct ac_ntp_packet *p = (const struct ac_ntp_packet *)(udp + 1);
	if (ac_ntohs(udp->len) <= sizeof(struct ac_udphdr) || (const __u8 *)p + 1 > end)
		return AC_PASS_NTP_LENGTH;
	__u8 mode = p->li_vn_mode & 7;
	if (mode == 6 || mode == 7)
		return AC_PASS_NTP_CONTROL;
	if (ac_ntohs(udp->len) != sizeof(struct ac_udphdr) + AC_NTP_PACKET_LEN || (const __u8 *)(p + 1) > end)
		return AC_PASS_NTP_LENGTH;
	__u8 version = (p->li_vn_mode >> 3) & 7;
	if (version != 3 && version != 4)
		return AC_PASS_NTP_VERSION;
	if (mode != AC_NTP_MODE_CLIENT)
		return AC_PASS_NTP_MODE;
	const struct ac_ntp_state *s = ac_env_ntp_state(env);
	if (!s || !(s->flags & AC_NTP_F_VALID))
		return AC_PASS_NTP_NO_CLOCK;
	*state = s;
	return AC_PASS_NONE;
}

/*
 * TAI nanoseconds to an NTP timestamp (era 0; seconds wrap in 2036 as the format does). The
 * fraction is floor(ns * 2^32 / 10^9), computed without a second division (BPF's is a real
 * divide, tens of cycles): a multiply by floor(2^62 / 10^9) is at most one short, and one
 * comparison corrects it.
 */
static __always_inline __u64 ac_ntp_time(const struct ac_ntp_state *s, __u64 tai_ns)
{
	__s64 offset = tai_ns >= s->switch_tai_ns ? s->next_tai_offset : s->tai_offset;
	__u64 utc_ns = tai_ns - (__u64)offset * AC_NS_PER_S;
	__u64 secs = utc_ns / AC_NS_PER_S;
	__u64 ns = utc_ns - secs * AC_NS_PER_S; /* < 2^30, so every product below fits 64 bits */
	__u64 frac = (ns * 4611686018ull) >> 30;
	if ((frac + 1) * AC_NS_PER_S <= ns << 32)
		frac++;
	return ((secs + AC_NTP_UNIX_EPOCH) << 32) | frac;
}

/* A timestamp in the packet is not 4-aligned behind an odd number of VLAN tags, but it is 2-aligned
 * (compat.h: ac_copy_even). */
static __always_inline void ac_ntp_put(void *field, __u64 timestamp)
{
	__u32 words[2] = {ac_htonl((__u32)(timestamp >> 32)), ac_htonl((__u32)timestamp)};
	ac_copy_even(field, words, sizeof words);
}

/* Ones'-complement sum of the 48-byte NTP header, for the incremental UDP checksum update. */
static __always_inline __u32 ac_ntp_sum(const struct ac_ntp_packet *p)
{
	const __u8 *bytes = (const __u8 *)p;
	__u32 sum = 0;
	AC_UNROLL
	for (int i = 0; i < AC_NTP_PACKET_LEN / 2; i++) {
		sum += ac_even_word16(bytes + 2 * i);
		AC_BPF_SERIAL(sum);
	}
	return sum;
}

static __always_inline __u16 ac_fold16(__u32 sum)
{
	sum = (sum & 0xFFFF) + (sum >> 16);
	sum = (sum & 0xFFFF) + (sum >> 16);
	return (__u16)sum;
}

/* RFC 1624: HC' = ~(~HC + ~m + m'), with m and m' the sums of the header's old and new words. */
static __always_inline void ac_ntp_recheck(struct ac_udphdr *udp, const struct ac_ntp_packet *p, __u16 before)
{
	if (udp->check == 0)
		return; /* IPv4 without a checksum stays without (IPv6 never gets here with 0) */
	__u16 after = ac_fold16(ac_ntp_sum(p));
	__u32 sum = (__u16)~udp->check;
	sum += (__u16)~before;
	sum += after;
	__u16 check = (__u16)~ac_fold16(sum);
	udp->check = check ? check : 0xFFFF; /* 0 would mean "no checksum" */
}

/*
 * Rewrites the request (already swapped by the caller) into the reply. The caller read the
 * receive time first thing; the transmit time is read last, just before the checksum that
 * covers it.
 */
static __always_inline void ac_ntp_reply(struct ac_env *env, struct ac_ntp_packet *p,
					 struct ac_udphdr *udp, const struct ac_ntp_state *s,
					 __u64 receive_tai_ns)
{
	__u64 receive = ac_ntp_time(s, receive_tai_ns);
	__u16 before = ac_fold16(ac_ntp_sum(p));

	__u8 version = (p->li_vn_mode >> 3) & 7;
	p->li_vn_mode = (__u8)(((s->leap & 3) << 6) | (version << 3) | AC_NTP_MODE_SERVER);
	p->stratum = s->stratum;
	p->precision = s->precision; /* poll stays: the server echoes the client's */
	p->root_delay = ac_htonl(s->root_delay);
	p->root_dispersion = ac_htonl(s->root_dispersion);
	p->refid = ac_htonl(s->refid);
	ac_ntp_put(p->reference, s->reference_time);
	p->origin[0] = p->transmit[0];
	p->origin[1] = p->transmit[1];
	ac_ntp_put(p->receive, receive);
	ac_ntp_put(p->transmit, ac_ntp_time(s, ac_env_tai_ns(env)));

	ac_ntp_recheck(udp, p, before);
}

/*
 * The kiss-o'-death for a source over its rate limit (RFC 5905 7.4), written the way ntpd and
 * ntpsec write theirs: leap 3 (unsynchronised), version echoed, mode 4, stratum 0 and the kiss
 * code "RATE" as reference ID; origin, receive and transmit all the request's transmit time, so
 * the client matches it to its request and learns nothing of our clock. Poll, precision, root
 * delay, root dispersion and reference time stay as the request had them. No clock read: a
 * kiss costs less than an answer and tells nothing a flood could use (docs/ntp.md).
 */
static __always_inline void ac_ntp_kod(struct ac_udphdr *udp, struct ac_ntp_packet *p)
{
	__u16 before = ac_fold16(ac_ntp_sum(p));

	__u8 version = (p->li_vn_mode >> 3) & 7;
	p->li_vn_mode = (__u8)((3 << 6) | (version << 3) | AC_NTP_MODE_SERVER);
	p->stratum = 0;
	const __u8 rate[4] = {'R', 'A', 'T', 'E'};
	ac_copy(&p->refid, rate, 4);
	p->origin[0] = p->transmit[0];
	p->origin[1] = p->transmit[1];
	p->receive[0] = p->transmit[0];
	p->receive[1] = p->transmit[1];

	ac_ntp_recheck(udp, p, before);
}

#endif /* ANYCASTD_CORE_NTP_H */
