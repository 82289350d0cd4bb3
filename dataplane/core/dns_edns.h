/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The options of EDNS (RFC 6891 6.1.2) the packet core reads and answers: NSID (RFC 5001) and
 * COOKIE (RFC 7873, server cookies per RFC 9018). ac_dns_plan reads the query's options
 * (ac_dns_edns_options), the caller that knows the client's address checks the cookie
 * (ac_dns_cookie_check: decide.h on the fast paths, the slow path's responder), ac_dns_write
 * writes our options after our OPT's fixed part (ac_dns_edns_write) and the UDP checksum adds
 * their sum (ac_dns_edns_sum). docs/dns.md, "NSID and cookies".
 *
 * The includer's env provides, besides dns_wire.h's hooks:
 *
 *   const struct ac_dns_edns *ac_env_dns_edns(struct ac_env *);
 *       the NSID and cookie secrets, 0 when none are configured
 *
 * and in the BPF build __u8 *ac_env_dns_cookie(struct ac_env *), the packet's 24 cookie bytes
 * (see ac_dns_cookie_bytes), plus the hooks that run the walk and the check as BPF functions of
 * their own (dns_wire.h, decide.h: ac_env_dns_options, ac_env_dns_cookie_check).
 */
#ifndef ANYCASTD_CORE_DNS_EDNS_H
#define ANYCASTD_CORE_DNS_EDNS_H

#include "csum.h"
#include "dns_plan.h"
#include "siphash.h"

#define AC_DNS_OPT_NSID 3u
#define AC_DNS_OPT_COOKIE 10u
#define AC_DNS_OPTION_HEADER 4u  /* code, length */
#define AC_DNS_CLIENT_COOKIE 8u
#define AC_DNS_SERVER_COOKIE 16u /* ours, RFC 9018: version, reserved, timestamp, hash */
#define AC_DNS_COOKIE_OPTION (AC_DNS_OPTION_HEADER + AC_DNS_CLIENT_COOKIE + AC_DNS_SERVER_COOKIE)
/* Our OPT at its longest: the fixed part, an NSID of the most bytes and a cookie. */
#define AC_DNS_OPT_MAX (AC_DNS_OPT_LEN + AC_DNS_OPTION_HEADER + AC_DNS_NSID_MAX + AC_DNS_COOKIE_OPTION)
#define AC_DNS_COOKIE_VERSION 1u
#define AC_DNS_RCODE_BADCOOKIE 23u /* RFC 7873 8: header rcode 7, our OPT's upper 8 bits 1 */
/* RFC 9018 4.3: a timestamp more than an hour old, or more than 5 minutes ahead, is invalid. */
#define AC_DNS_COOKIE_MAX_AGE 3600
#define AC_DNS_COOKIE_MAX_AHEAD 300

/*
 * The most options the walk reads: 8 on the fast paths (a loop the BPF verifier follows for each
 * way through it); a query with more passes as dns_edns. The slow path defines it first to walk
 * any number (the most 4-byte options a message holds).
 */
#ifndef AC_DNS_WALK_OPTIONS
#define AC_DNS_WALK_OPTIONS 8u
#endif

/*
 * How far into the options the walk reads: all RDLEN can say natively. The BPF verifier takes a
 * packet pointer's range only below 64 KiB of offset, headers included, so the XDP program
 * defines less (bpf/dns_env.h): its frames are one page.
 */
#ifndef AC_DNS_OPTIONS_MAX
#define AC_DNS_OPTIONS_MAX 0xFFFFu
#endif

enum ac_dns_cookie_state {
	AC_DNS_COOKIE_NONE = 0, /* no COOKIE option, or cookies are off: our OPT carries none */
	AC_DNS_COOKIE_CLIENT,   /* a client cookie alone (RFC 7873 5.2.2) */
	AC_DNS_COOKIE_SERVER,   /* a client cookie and a 16-byte server cookie, to be checked */
	AC_DNS_COOKIE_FOREIGN,  /* a server cookie of another length (8 to 32 bytes): none of ours */
	/* after ac_dns_cookie_check: */
	AC_DNS_COOKIE_VALID,    /* ours, from either secret, in time: the client is not spoofed */
	AC_DNS_COOKIE_NEW,      /* a client cookie alone: answered with a fresh server cookie */
	AC_DNS_COOKIE_BAD,      /* a server cookie not ours or expired: BADCOOKIE */
};

static __always_inline __u32 ac_dns_be16(const __u8 *p)
{
	return ((__u32)p[0] << 8) | p[1];
}

/*
 * A plan's cookie bytes: the client cookie, then the server cookie (the query's, then ours). In
 * the plan natively; in XDP in the per-CPU DNS scratch, off the 512-byte stack (dns_plan.h says
 * why). 0 only if XDP's scratch lookup failed.
 */
static __always_inline __u8 *ac_dns_cookie_bytes(struct ac_env *env, const struct ac_dns_plan *plan)
{
#if defined(__bpf__)
	(void)plan;
	return ac_env_dns_cookie(env);
#else
	(void)env;
	return (__u8 *)plan->cookie_bytes;
#endif
}

/*
 * The query OPT's options, RDLEN bytes at opts: which of ours the reply carries. Called by the
 * plan once the OPT's RDATA is known to lie within the message; bound as in dns_wire.h. Returns
 * AC_PASS_NONE, or AC_PASS_DNS_EDNS for an option beyond the RDATA, a COOKIE of a length RFC 7873
 * 5.2.2 calls malformed (FORMERR, from the slow path), or more options than the walk reads.
 */
static __always_inline __u8 ac_dns_edns_options(struct ac_env *env, const __u8 *opts, __u32 rdlen, const __u8 *bound,
						struct ac_dns_plan *plan)
{
	plan->nsid = 0;
	plan->cookie = AC_DNS_COOKIE_NONE;
	plan->opt_rdlen = 0;
	__u32 at = 0, cookie_at = 0;
	for (__u32 i = 0; i < AC_DNS_WALK_OPTIONS; i++) {
		if (at >= rdlen)
			break;
		__u64 o_at = at;
		AC_BPF_PIN(o_at); /* the register checked is the one added: see AC_BPF_PIN */
		if (o_at > AC_DNS_OPTIONS_MAX)
			return AC_PASS_DNS_EDNS;
		const __u8 *o = opts + o_at;
		AC_BPF_PIN(o);
		if (at + AC_DNS_OPTION_HEADER > rdlen || o + AC_DNS_OPTION_HEADER > bound)
			return AC_PASS_DNS_EDNS;
		const __u32 code = ac_dns_be16(o), olen = ac_dns_be16(o + 2);
		if (at + AC_DNS_OPTION_HEADER + olen > rdlen)
			return AC_PASS_DNS_EDNS;
		if (code == AC_DNS_OPT_NSID) {
			plan->nsid = 1;
		} else if (code == AC_DNS_OPT_COOKIE) {
			if (olen < AC_DNS_CLIENT_COOKIE || (olen > AC_DNS_CLIENT_COOKIE && olen < AC_DNS_CLIENT_COOKIE + 8) ||
			    olen > AC_DNS_CLIENT_COOKIE + 32)
				return AC_PASS_DNS_EDNS;
			cookie_at = at + AC_DNS_OPTION_HEADER; /* copied after the walk, below */
			plan->cookie = AC_DNS_COOKIE_FOREIGN;
			if (olen == AC_DNS_CLIENT_COOKIE)
				plan->cookie = AC_DNS_COOKIE_CLIENT;
			else if (olen == AC_DNS_CLIENT_COOKIE + AC_DNS_SERVER_COOKIE)
				plan->cookie = AC_DNS_COOKIE_SERVER;
		}
		at += AC_DNS_OPTION_HEADER + olen;
	}
	if (at < rdlen)
		return AC_PASS_DNS_EDNS;

	/* What we have to say: an NSID only if we have one, a cookie only if cookies are on (a
	 * server without them ignores the option, RFC 7873 5.2). */
	const struct ac_dns_edns *conf = ac_env_dns_edns(env);
	__u32 nsid_len = conf ? conf->nsid_len : 0;
	if (!nsid_len || nsid_len > AC_DNS_NSID_MAX)
		plan->nsid = 0;
	if (!conf || !conf->secrets)
		plan->cookie = AC_DNS_COOKIE_NONE;

	/* The cookie's bytes, after the walk: in XDP, where they go to the scratch map, a lookup
	 * inside the loop spilled the walk's state onto the stack, and the plan's call chain has
	 * little of it (docs/dns.md, "NSID and cookies"). */
	if (plan->cookie) {
		__u64 c_at = cookie_at;
		AC_BPF_PIN(c_at); /* the register checked is the one added: see AC_BPF_PIN */
		if (c_at > AC_DNS_OPTIONS_MAX)
			return AC_PASS_DNS_EDNS;
		const __u8 *c = opts + c_at;
		__u8 *bytes = ac_dns_cookie_bytes(env, plan);
		AC_BPF_PIN(c);
		if (!bytes || c + AC_DNS_CLIENT_COOKIE > bound)
			return AC_PASS_DNS_EDNS;
		ac_copy(bytes, c, AC_DNS_CLIENT_COOKIE);
		if (plan->cookie == AC_DNS_COOKIE_SERVER) {
			if (c + AC_DNS_CLIENT_COOKIE + AC_DNS_SERVER_COOKIE > bound)
				return AC_PASS_DNS_EDNS;
			ac_copy(bytes + AC_DNS_CLIENT_COOKIE, c + AC_DNS_CLIENT_COOKIE, AC_DNS_SERVER_COOKIE);
		}
	}
	plan->opt_rdlen = (__u16)((plan->nsid ? AC_DNS_OPTION_HEADER + nsid_len : 0) +
				  (plan->cookie ? AC_DNS_COOKIE_OPTION : 0));
	return AC_PASS_NONE;
}

/*
 * The server cookie's hash (RFC 9018 4.4): SipHash-2-4 of client cookie | version | reserved |
 * timestamp | client address under the secret. `in` holds the first 16 bytes, the address is
 * appended here (4 or 16 bytes: 20 or 32 in all).
 */
static __always_inline __u64 ac_dns_cookie_hash(const __u8 secret[AC_DNS_COOKIE_SECRET], __u8 in[32], const __u8 *saddr,
						__u32 is_ip6)
{
	if (is_ip6) {
		ac_copy(in + 16, saddr, 16);
		return ac_siphash24(secret, in, 32);
	}
	ac_copy(in + 16, saddr, 4);
	return ac_siphash24(secret, in, 20);
}

/*
 * The cookie of a planned reply, for the client at saddr (network order, 4 or 16 bytes): checks
 * a server cookie it sent against the current and the previous secret and the timestamp's window
 * (RFC 9018 4.3), then puts a fresh server cookie (version 1, now, the current secret) in
 * the plan's cookie bytes. A server cookie that is not valid turns the reply into BADCOOKIE (no
 * records, rcode 23), as Knot 3.2 answers. Returns 1 for a valid server cookie: the client is
 * not spoofed, and response rate limiting lets it through (RFC 9018 1, decide.h).
 */
static __always_inline int ac_dns_cookie_check(struct ac_env *env, struct ac_dns_plan *plan, const __u8 *saddr, __u32 is_ip6)
{
	const __u8 state = plan->cookie;
	if (state != AC_DNS_COOKIE_CLIENT && state != AC_DNS_COOKIE_SERVER && state != AC_DNS_COOKIE_FOREIGN)
		return 0;
	const struct ac_dns_edns *conf = ac_env_dns_edns(env);
	__u8 *bytes = ac_dns_cookie_bytes(env, plan);
	if (!conf || !conf->secrets || !bytes) { /* a reload turned cookies off since the plan: none in the reply */
		plan->cookie = AC_DNS_COOKIE_NONE;
		plan->reply_len -= AC_DNS_COOKIE_OPTION;
		plan->opt_rdlen -= AC_DNS_COOKIE_OPTION;
		return 0;
	}
	__u8 in[32];
	ac_copy(in, bytes, 16); /* client cookie, version, reserved, timestamp */
	int valid = 0;
	if (state == AC_DNS_COOKIE_SERVER && in[8] == AC_DNS_COOKIE_VERSION) {
		const __u32 stamp = ((__u32)in[12] << 24) | ((__u32)in[13] << 16) | ((__u32)in[14] << 8) | in[15];
		const __s32 age = (__s32)(conf->now - stamp); /* serial arithmetic: the 32-bit clock wraps */
		if (age <= AC_DNS_COOKIE_MAX_AGE && age >= -AC_DNS_COOKIE_MAX_AHEAD) {
			const __u64 sent = ac_sip_load(bytes + 16, 8); /* as ac_siphash_put wrote it */
			valid = ac_dns_cookie_hash(conf->secret[0], in, saddr, is_ip6) == sent;
			if (!valid && conf->secrets > 1)
				valid = ac_dns_cookie_hash(conf->secret[1], in, saddr, is_ip6) == sent;
		}
	}

	/* Ours: version 1, reserved 0, the time now, the hash under the current secret. */
	in[8] = AC_DNS_COOKIE_VERSION;
	in[9] = in[10] = in[11] = 0;
	in[12] = (__u8)(conf->now >> 24);
	in[13] = (__u8)(conf->now >> 16);
	in[14] = (__u8)(conf->now >> 8);
	in[15] = (__u8)conf->now;
	ac_copy(bytes + 8, in + 8, 8);
	ac_siphash_put(bytes + 16, ac_dns_cookie_hash(conf->secret[0], in, saddr, is_ip6));

	if (valid) {
		plan->cookie = AC_DNS_COOKIE_VALID;
		return 1;
	}
	if (state == AC_DNS_COOKIE_CLIENT) {
		plan->cookie = AC_DNS_COOKIE_NEW;
		return 0;
	}
	plan->cookie = AC_DNS_COOKIE_BAD;
	ac_dns_plan_drop_records(plan);
	plan->answer_at = AC_DNS_NO_ANSWER;
	plan->aa = 0;
	plan->tc = 0;
	plan->rcode = AC_DNS_RCODE_BADCOOKIE & 0x0F;
	plan->ext_rcode = AC_DNS_RCODE_BADCOOKIE >> 4;
	plan->outcome = AC_DNS_OUT_BADCOOKIE;
	return 0;
}

/*
 * Our options after our OPT's fixed part at opts (the caller guarantees plan->opt_rdlen bytes
 * there, opts + opt_rdlen <= end): the NSID, then the cookie. 0, or -1 if a check the verifier
 * needs fails (a plan from another configuration).
 */
static __always_inline int ac_dns_edns_write(struct ac_env *env, __u8 *opts, const __u8 *end,
					     const struct ac_dns_plan *plan)
{
	__u8 *o = opts;
	if (plan->nsid) {
		const struct ac_dns_edns *conf = ac_env_dns_edns(env);
		if (!conf)
			return -1;
		__u32 n = conf->nsid_len;
		AC_BPF_PIN(o);
		if (n > AC_DNS_NSID_MAX || o + AC_DNS_OPTION_HEADER > end)
			return -1;
		o[0] = 0;
		o[1] = AC_DNS_OPT_NSID;
		o[2] = 0;
		o[3] = (__u8)n;
		o += AC_DNS_OPTION_HEADER;
		for (__u32 i = 0; i < AC_DNS_NSID_MAX; i++) {
			if (i >= n)
				break;
			__u8 *d = o + i;
			AC_BPF_PIN(d);
			if (d + 1 > end)
				return -1;
			*d = conf->nsid[i];
		}
		o += n;
	}
	if (plan->cookie) {
		const __u8 *bytes = ac_dns_cookie_bytes(env, plan);
		AC_BPF_PIN(o);
		if (o + AC_DNS_COOKIE_OPTION > end || !bytes)
			return -1;
		o[0] = 0;
		o[1] = AC_DNS_OPT_COOKIE;
		o[2] = 0;
		o[3] = AC_DNS_CLIENT_COOKIE + AC_DNS_SERVER_COOKIE;
		ac_copy(o + AC_DNS_OPTION_HEADER, bytes, AC_DNS_CLIENT_COOKIE + AC_DNS_SERVER_COOKIE);
	}
	return 0;
}

/*
 * The sum of our options as big-endian words from their first byte (which is an even offset from
 * our OPT's second byte, where ac_dns_opt_sum starts), RDLEN not included.
 */
static __always_inline __u32 ac_dns_edns_sum(struct ac_env *env, const struct ac_dns_plan *plan)
{
	__u32 sum = 0, at = 0;
	if (plan->nsid) {
		const struct ac_dns_edns *conf = ac_env_dns_edns(env);
		if (!conf)
			return 0;
		sum += AC_DNS_OPT_NSID + conf->nsid_len + conf->nsid_sum;
		at = AC_DNS_OPTION_HEADER + conf->nsid_len;
	}
	if (plan->cookie) {
		const __u8 *bytes = ac_dns_cookie_bytes(env, plan);
		if (!bytes)
			return 0;
		__u32 c = AC_DNS_OPT_COOKIE + AC_DNS_CLIENT_COOKIE + AC_DNS_SERVER_COOKIE;
		AC_UNROLL
		for (int i = 0; i < 24; i += 2)
			c += ac_dns_be16(bytes + i);
		sum += ac_csum_shift(ac_csum_fold16(c), at);
	}
	return sum;
}

#endif /* ANYCASTD_CORE_DNS_EDNS_H */
