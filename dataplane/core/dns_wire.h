/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a DNS query message and planning its reply (docs/dns.md, "Packet core API"): which
 * queries the fast path answers, the name pass that hashes every suffix of the query name, the
 * lookup in the answer table, EDNS0 and truncation. Works on a message (a UDP payload or a TCP
 * message), so the XDP and DPDK fast paths and the slow-path server share it; the writing half
 * is dns_answer.h.
 *
 * The file that includes this header first defines `struct ac_env` and:
 *
 *   int ac_env_dns_loaded(struct ac_env *, __u32 *table);
 *       a table is loaded; reads which table is active, once per message: the other hooks
 *       answer from that table, and *table names it for ac_env_dns_reopen
 *   int ac_env_dns_reopen(struct ac_env *, __u32 table);
 *       the hooks answer from that table again (the writer's, after the plan); 0 when it is gone
 *   __u64 ac_env_dns_seed(struct ac_env *);     (native builds: XDP's name pass reads its own)
 *   const struct ac_dns_entry *ac_env_dns_entry(struct ac_env *, const struct ac_dns_key *);
 *   const struct ac_dns_zone *ac_env_dns_zone(struct ac_env *, __u32 zone);
 *   const struct ac_dns_answer *ac_env_dns_answer(struct ac_env *, __u32 arena_offset);
 *       the answer object there, its header readable; 0 when the datapath cannot read the
 *       object whole (XDP: larger than AC_DNS_FAST_MAX or across a chunk)
 *   const void *ac_env_dns_bytes(struct ac_env *, const struct ac_dns_answer *, __u32 off, __u32 n);
 *       n bytes at offset off of the object, or 0 when they lie outside it; native users return
 *       (const __u8 *)answer + off. XDP bounds each read this way for the verifier.
 *   int ac_env_dns_copy(struct ac_env *, __u8 *dst, const __u8 *end, const struct ac_dns_answer *,
 *                       __u32 off, __u32 n);
 *       copies n bytes at offset off of the object to dst (dst + n <= end); 0 on success
 *
 * and in the BPF build ac_env_dns_find (ac_dns_find_answer's arguments but `bound`),
 * ac_env_dns_plan_answer (ac_dns_plan_answer's) and ac_env_dns_fixups (ac_dns_fixups' with the
 * env first: each fixup through ac_dns_fix_pointer, dns_answer.h, its sum added up).
 *
 * Reads are checked twice: against the message's length, which is the DNS rule, and against
 * `bound`, the end of what may be read at all. Natively both are the message's end; in XDP the
 * message ends where the UDP length says and `bound` is the frame's end, the only pointer the
 * verifier accepts as a limit for packet reads.
 */
#ifndef ANYCASTD_CORE_DNS_WIRE_H
#define ANYCASTD_CORE_DNS_WIRE_H

#include "dns_dnssec.h"
#include "dns_hash.h"
#include "dns_plan.h"
#include "dns_edns.h"

/*
 * The most labels the name walk follows: AC_DNS_MAX_LABELS (16) on the fast paths, whose arrays
 * live on the BPF stack; more is AC_PASS_DNS_LONG_NAME. A native includer with room to spare (the
 * slow path) defines it first as 127, the most labels a 255-byte name has, and walks every name.
 */
#ifndef AC_DNS_WALK_LABELS
#define AC_DNS_WALK_LABELS AC_DNS_MAX_LABELS
#endif

static __always_inline __u16 ac_dns_get16(const __u8 *p)
{
	return (__u16)((p[0] << 8) | p[1]);
}

static __always_inline void ac_dns_put16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

/* Meta types and type 0 (RFC 6895 3.1, RFC 1035 3.2.3, RFC 5936): nothing a table answers. */
static __always_inline int ac_dns_meta_qtype(__u16 qtype)
{
	return qtype == 0 || qtype == AC_DNS_TYPE_OPT || (qtype >= 249 && qtype <= 255);
}

/*
 * The question's name: labels only (a compression pointer or an extended label type there is
 * malformed), each at most 63 bytes, the whole at most 255, at most AC_DNS_WALK_LABELS labels.
 * starts[i] is where label i begins, relative to the name; starts[nlabels] is the root byte.
 * Returns the name's wire length, or 0 with *reason set.
 */
static __always_inline __u32 ac_dns_walk_name(const __u8 *msg, __u32 len, const __u8 *bound,
					      __u8 starts[AC_DNS_WALK_LABELS + 1], __u32 *nlabels, __u8 *reason)
{
	__u32 off = AC_DNS_HEADER_LEN;
	for (__u32 i = 0; i <= AC_DNS_WALK_LABELS; i++) {
		const __u8 *p = msg + off;
		if (off >= len || p + 1 > bound) {
			*reason = AC_PASS_DNS_MALFORMED;
			return 0;
		}
		__u8 c = *p;
		starts[i] = (__u8)(off - AC_DNS_HEADER_LEN);
		if (c == 0) {
			*nlabels = i;
			return off - AC_DNS_HEADER_LEN + 1;
		}
		if (c > AC_DNS_MAX_LABEL) {
			*reason = AC_PASS_DNS_MALFORMED;
			return 0;
		}
		if (i == AC_DNS_WALK_LABELS) {
			*reason = AC_PASS_DNS_LONG_NAME;
			return 0;
		}
		off += 1 + c;
		if (off - AC_DNS_HEADER_LEN + 1 > AC_DNS_MAX_NAME) { /* + 1: the root byte still to come */
			*reason = AC_PASS_DNS_MALFORMED;
			return 0;
		}
	}
	*reason = AC_PASS_DNS_LONG_NAME;
	return 0;
}

#if !defined(__bpf__)
/*
 * The name hashed backwards in one pass: hashes[i] is the hash of the suffix starting at label i
 * (hashes[nlabels] the root's). Native only: XDP takes the same steps one label per BPF loop
 * callback (bpf/dns_lookup.h, ac_dns_hash_label_cb), which its verifier checks once. The walk
 * proved every byte lies in the message, and the header before the name is there for the first
 * label's first word (dns_hash.h); the one check here is that bound agrees.
 */
static inline int ac_dns_hash_suffixes(const __u8 *name, const __u8 *bound,
				       const __u8 starts[AC_DNS_WALK_LABELS + 1], __u32 nlabels,
				       __u64 seed, __u64 hashes[AC_DNS_WALK_LABELS + 1])
{
	if (nlabels > AC_DNS_WALK_LABELS || name + starts[nlabels] + 1 > bound)
		return 0;
	__u64 h = ac_dns_hash_root(seed);
	hashes[nlabels] = h;
	for (__u32 k = nlabels; k-- > 0;) {
		h = ac_dns_hash_label(h, name + starts[k], (__u32)(starts[k + 1] - starts[k]));
		hashes[k] = h;
	}
	return 1;
}
#endif

/* One key for every lookup of a query: the BPF stack is small. */
static __always_inline const struct ac_dns_entry *ac_dns_find(struct ac_env *env, struct ac_dns_key *key, __u64 hash,
							      __u16 qtype, __u32 name_len)
{
	key->hash = hash;
	key->qtype = qtype;
	key->name_len = (__u8)name_len;
	return ac_env_dns_entry(env, key);
}

/*
 * The lookup of docs/dns.md: (name, qtype), the name's node entry, else the closest encloser:
 * its referral, the wildcard below it, or its zone's NXDOMAIN. *entry_flags gets the flags of
 * the entry answering (0 for NXDOMAIN, which comes from the zone). Returns the arena offset of
 * the answer object, or AC_DNS_NO_ANSWER when the name is in none of our zones.
 */
static __always_inline __u32 ac_dns_lookup(struct ac_env *env, __u16 qtype, __u32 name_len,
					   const __u8 starts[AC_DNS_WALK_LABELS + 1], __u32 nlabels,
					   const __u64 hashes[AC_DNS_WALK_LABELS + 1], __u32 dnssec,
					   __u16 *entry_flags)
{
	struct ac_dns_key key;
	__builtin_memset(&key, 0, sizeof key); /* the padding is part of the hashed map key */
	const struct ac_dns_entry *e = ac_dns_find(env, &key, hashes[0], qtype, name_len);
	if (!e)
		e = ac_dns_find(env, &key, hashes[0], 0, name_len);
	if (e)
		return ac_dns_entry_answer(e, dnssec, entry_flags);

	__u32 k = 1;
	for (; k <= AC_DNS_WALK_LABELS; k++) {
		if (k > nlabels)
			return AC_DNS_NO_ANSWER;
		e = ac_dns_find(env, &key, hashes[k], 0, name_len - starts[k]);
		if (e)
			break;
	}
	if (!e)
		return AC_DNS_NO_ANSWER;
	if (e->flags & AC_DNS_E_DELEGATION)
		return ac_dns_entry_answer(e, dnssec, entry_flags);
	if (k > AC_DNS_WALK_LABELS) /* the loop made it so; the bound before indexing is the verifier's */
		return AC_DNS_NO_ANSWER;
	const __u32 zone_index = e->zone;
	__u64 wild = ac_dns_hash_wildcard(hashes[k]);
	__u32 wild_len = name_len - starts[k] + 2;
	e = ac_dns_find(env, &key, wild, qtype, wild_len);
	if (!e)
		e = ac_dns_find(env, &key, wild, 0, wild_len);
	if (e)
		return ac_dns_entry_answer(e, dnssec, entry_flags);
	const struct ac_dns_zone *zone = ac_env_dns_zone(env, zone_index);
	if (!zone)
		return AC_DNS_NO_ANSWER;
	return ac_dns_zone_nxdomain(zone, dnssec, entry_flags);
}

#if !defined(__bpf__)
/* The name pass and the lookup: the answer object's arena offset, AC_DNS_NO_ANSWER outside our
 * zones, AC_DNS_BAD_NAME when the name could not be read. */
static __always_inline __u32 ac_dns_find_answer(struct ac_env *env, const __u8 *name, const __u8 *bound,
						const __u8 starts[AC_DNS_WALK_LABELS + 1], __u32 nlabels,
						__u32 name_len, __u16 qtype, __u32 dnssec, __u16 *entry_flags)
{
	__u64 hashes[AC_DNS_WALK_LABELS + 1];
	if (!ac_dns_hash_suffixes(name, bound, starts, nlabels, ac_env_dns_seed(env), hashes))
		return AC_DNS_BAD_NAME;
	return ac_dns_lookup(env, qtype, name_len, starts, nlabels, hashes, dnssec, entry_flags);
}
#endif

/*
 * The plan's second half: the answer object at arena offset `at` (found for an entry with
 * entry_flags), whole or cut to `limit`, for a question ending at question_end and an OPT of
 * opt_len bytes. plan->tc is 0 and plan->records 0 on entry.
 */
static __always_inline __u8 ac_dns_plan_answer(struct ac_env *env, __u32 at, __u16 entry_flags, __u32 flags,
					       __u32 question_end, __u32 opt_len, __u32 limit,
					       struct ac_dns_plan *plan)
{
	if ((entry_flags & AC_DNS_E_DO_PROOF) && !(flags & AC_DNS_F_PROOF))
		return AC_PASS_DNS_SIGNED_PROOF;
	if ((entry_flags & AC_DNS_E_SLOW) && !(flags & AC_DNS_F_ALLOW_SLOW))
		return AC_PASS_DNS_SLOW_ANSWER;

	const struct ac_dns_answer *a = ac_env_dns_answer(env, at);
	if (!a || a->size > AC_DNS_MAX_RECORDS)
		return AC_PASS_DNS_SLOW_ANSWER;
	/* Everything ac_dns_write reads of the object is checked here, so that writing, which
	 * comes after the frame was resized, cannot fail. */
	__u32 nfixups = a->nfixups, ncuts = a->ncuts;
	__u32 cuts_off = sizeof(struct ac_dns_answer) + 2 * nfixups;
	__u32 records_off = cuts_off + sizeof(struct ac_dns_cut) * ncuts;
	if (!ac_env_dns_bytes(env, a, sizeof(struct ac_dns_answer), records_off - sizeof(struct ac_dns_answer) + a->size))
		return AC_PASS_DNS_SLOW_ANSWER;

	plan->answer_at = at;
	plan->proof = (entry_flags & AC_DNS_E_DO_PROOF) ? 1 : 0;
	plan->records_off = records_off;
	plan->aa = a->flags & AC_DNS_A_AA;
	plan->rcode = a->rcode & 0x0F;
	plan->outcome = a->outcome;
	if (question_end + a->size + opt_len <= limit) {
		plan->records = a->size;
		plan->records_sum = a->sum;
		plan->ancount = a->ancount;
		plan->nscount = a->nscount;
		plan->arcount = a->arcount;
	} else {
		/* The whole RRsets that fit, in order, and TC (as Knot does; docs/dns.md). */
		__u32 room = limit - question_end - opt_len; /* limit >= 512 > the largest question + OPT */
		plan->tc = 1;
		plan->outcome = AC_DNS_OUT_TRUNCATED;
		__u32 fits = 0; /* cuts that fit: they only grow, the first too large ends it */
		for (__u32 i = 0; i < 255; i++) {
			if (i >= ncuts)
				break;
			const struct ac_dns_cut *cut = (const struct ac_dns_cut *)ac_env_dns_bytes(
				env, a, cuts_off + sizeof(struct ac_dns_cut) * i, sizeof(struct ac_dns_cut));
			if (!cut || cut->end > room)
				break;
			fits = i + 1;
		}
		if (fits) {
			const struct ac_dns_cut *cut = (const struct ac_dns_cut *)ac_env_dns_bytes(
				env, a, cuts_off + sizeof(struct ac_dns_cut) * (fits - 1), sizeof(struct ac_dns_cut));
			if (!cut)
				return AC_PASS_DNS_SLOW_ANSWER;
			plan->records = cut->end;
			plan->records_sum = cut->sum;
			plan->ancount = cut->ancount;
			plan->nscount = cut->nscount;
			plan->arcount = cut->arcount;
			/* Additional records that are not glue may be left out without TC (RFC 2181 9). */
			if (cut->ancount == a->ancount && cut->nscount == a->nscount && !(a->flags & AC_DNS_A_GLUE)) {
				plan->tc = 0;
				plan->outcome = a->outcome;
			}
		}
	}
	plan->reply_len = question_end + plan->records + opt_len;
	return AC_PASS_NONE;
}


/*
 * Whether the fast path (or, with AC_DNS_F_ALLOW_SLOW, the slow path) answers the query
 * msg..end, and how: AC_PASS_NONE with *plan filled, else the dns_* pass reason. max_reply is
 * the largest reply the caller can send (AC_DNS_UDP_SIZE on UDP, at least 512); bound is
 * described at the top.
 */
static __always_inline __u8 ac_dns_plan_bounded(struct ac_env *env, const __u8 *msg, const __u8 *end,
						const __u8 *bound, __u32 max_reply, __u32 flags,
						struct ac_dns_plan *plan)
{
	__u32 len = (__u32)(end - msg);
	AC_BPF_PIN(msg);
	if (len < AC_DNS_HEADER_LEN || len > 0xFFFF || msg + AC_DNS_HEADER_LEN > bound)
		return AC_PASS_DNS_MALFORMED;
	if (msg[2] & 0xF8) /* QR and the opcode */
		return AC_PASS_DNS_NOT_QUERY;
	if (ac_dns_get16(msg + 4) != 1)
		return AC_PASS_DNS_QDCOUNT;
	__u16 arcount = ac_dns_get16(msg + 10);
	if (ac_dns_get16(msg + 6) || ac_dns_get16(msg + 8) || arcount > 1)
		return AC_PASS_DNS_SECTIONS;

	__u8 starts[AC_DNS_WALK_LABELS + 1];
	__u32 nlabels = 0;
	__u8 reason = AC_PASS_NONE;
	__u32 name_len = ac_dns_walk_name(msg, len, bound, starts, &nlabels, &reason);
	if (!name_len)
		return reason;

	__u32 off = AC_DNS_HEADER_LEN + name_len;
	const __u8 *tail = msg + off;
	if (off + AC_DNS_QUESTION_TAIL > len || tail + AC_DNS_QUESTION_TAIL > bound)
		return AC_PASS_DNS_MALFORMED;
	__u16 qtype = ac_dns_get16(tail);
	if (ac_dns_get16(tail + 2) != AC_DNS_CLASS_IN)
		return AC_PASS_DNS_CLASS;
	if (ac_dns_meta_qtype(qtype))
		return AC_PASS_DNS_QTYPE;
	off += AC_DNS_QUESTION_TAIL;
	const __u32 question_end = off;

	/* The one additional record may be an OPT (RFC 6891 6.1.1: root owner, type 41). A TSIG or
	 * SIG(0) has a key's name as owner: we walk no second name, a labelled owner is simply not
	 * ours. A compressed owner is looked at only to tell a misplaced OPT from the rest. */
	__u32 udp_size = AC_DNS_MIN_UDP;
	__u8 version = 0;
	plan->edns = 0;
	plan->edns_flags = 0;
	plan->nsid = 0;
	plan->cookie = AC_DNS_COOKIE_NONE;
	plan->opt_rdlen = 0;
	if (arcount) {
		const __u8 *rr = msg + off;
		if (off + AC_DNS_OPT_LEN > len || rr + AC_DNS_OPT_LEN > bound) /* shorter than any record */
			return AC_PASS_DNS_MALFORMED;
		if (rr[0] != 0) {
			if ((rr[0] & 0xC0) != 0xC0)
				return AC_PASS_DNS_SECTIONS;
			return ac_dns_get16(rr + 2) == AC_DNS_TYPE_OPT ? AC_PASS_DNS_EDNS : AC_PASS_DNS_SECTIONS;
		}
		if (ac_dns_get16(rr + 1) != AC_DNS_TYPE_OPT)
			return AC_PASS_DNS_SECTIONS;
		__u32 size = ac_dns_get16(rr + 3);
		udp_size = size > AC_DNS_MIN_UDP ? size : AC_DNS_MIN_UDP;
		version = rr[6];
		plan->edns_flags = ac_dns_get16(rr + 7) & AC_DNS_EDNS_DO;
		plan->edns = 1;
		__u32 rdlen = ac_dns_get16(rr + 9);
		if (off + AC_DNS_OPT_LEN + rdlen > len)
			return AC_PASS_DNS_EDNS;
		/* Options mean what their EDNS version says: under a version we do not know (BADVERS
		 * below) none is read. */
		if (version == 0) {
#if defined(__bpf__)
			/* A BPF function of its own, checked once: inside the plan its loop doubled the
			 * verifier's work (docs/dns.md, "NSID and cookies"). */
			__u8 options = ac_env_dns_options(env, rr + AC_DNS_OPT_LEN, rdlen, plan);
#else
			__u8 options = ac_dns_edns_options(env, rr + AC_DNS_OPT_LEN, rdlen, bound, plan);
#endif
			if (options != AC_PASS_NONE)
				return options;
		}
		off += AC_DNS_OPT_LEN + rdlen;
	}
	if (off != len) /* bytes after the last record */
		return AC_PASS_DNS_MALFORMED;

	if (!ac_env_dns_loaded(env, &plan->table))
		return AC_PASS_DNS_NO_TABLE;

	__u32 limit = max_reply;
	if (!(flags & AC_DNS_F_STREAM) && udp_size < limit)
		limit = udp_size;
	const __u32 opt_len = plan->edns ? AC_DNS_OPT_LEN + plan->opt_rdlen : 0;

	plan->qname_len = (__u8)name_len;
	plan->answer_at = AC_DNS_NO_ANSWER;
	plan->proof = 0;
	plan->arcount = 0;
	plan->records_off = 0;
	plan->records = 0;
	plan->records_sum = 0;
	plan->ancount = 0;
	plan->nscount = 0;
	plan->aa = 0;
	plan->tc = 0;
	plan->rcode = 0;
	plan->reply_len = question_end + opt_len;

	plan->ext_rcode = 0;
	if (version > 0) { /* RFC 6891 6.1.3: BADVERS, and nothing else */
		plan->ext_rcode = AC_DNS_EXT_RCODE_BADVERS;
		plan->outcome = AC_DNS_OUT_BADVERS;
		return AC_PASS_NONE;
	}

	__u16 entry_flags = 0;
#if defined(__bpf__)
	/* A function of its own in BPF, that the verifier checks once: its loops, followed for each
	 * way the walk could end, multiply past the verifier's limit. */
	__u32 at = ac_env_dns_find(env, msg + AC_DNS_HEADER_LEN, starts, nlabels, name_len, qtype,
				   plan->edns_flags & AC_DNS_EDNS_DO, &entry_flags);
#else
	__u32 at = ac_dns_find_answer(env, msg + AC_DNS_HEADER_LEN, bound, starts, nlabels, name_len, qtype,
				      plan->edns_flags & AC_DNS_EDNS_DO, &entry_flags);
#endif
	if (at == AC_DNS_BAD_NAME)
		return AC_PASS_DNS_MALFORMED;
	if (at == AC_DNS_NO_ANSWER) {
		plan->rcode = AC_DNS_RCODE_REFUSED;
		plan->outcome = AC_DNS_OUT_REFUSED;
		return AC_PASS_NONE;
	}
#if defined(__bpf__)
	/* A function of its own in BPF, that the verifier checks once: its loop, followed for each
	 * way the name walk could end, multiplies past the verifier's limit. */
	return ac_env_dns_plan_answer(env, at, entry_flags, flags, question_end, opt_len, limit, plan);
#else
	return ac_dns_plan_answer(env, at, entry_flags, flags, question_end, opt_len, limit, plan);
#endif
}

/*
 * Response rate limiting's slip (decide.h): the planned reply keeps its header flags, rcode,
 * question and OPT but no records, and says TC, so a real client behind a limited prefix asks
 * again over TCP, where spoofing is impossible, and a spoofed victim gets a reply no larger than
 * the query.
 */
static __always_inline void ac_dns_slip(struct ac_dns_plan *plan)
{
	ac_dns_plan_drop_records(plan);
	plan->tc = 1;
	plan->outcome = AC_DNS_OUT_SLIPPED;
}

static __always_inline __u8 ac_dns_plan(struct ac_env *env, const __u8 *msg, const __u8 *end, __u32 max_reply,
					__u32 flags, struct ac_dns_plan *plan)
{
	return ac_dns_plan_bounded(env, msg, end, end, max_reply, flags, plan);
}

#endif /* ANYCASTD_CORE_DNS_WIRE_H */
