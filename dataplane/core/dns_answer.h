/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writing the reply ac_dns_plan chose over the query, in place (docs/dns.md, "Packet core API").
 * The question stays byte for byte where it is (the owner names of the records point at it), the
 * records come after it, copied from the answer object and patched, then our OPT.
 */
#ifndef ANYCASTD_CORE_DNS_ANSWER_H
#define ANYCASTD_CORE_DNS_ANSWER_H

#include "csum.h"
#include "dns_wire.h"

/*
 * One fixup of an answer object: the 2-byte compression pointer at offset `at` of the records
 * moves by delta, unless a truncation's cut left it out of the reply's `records` bytes. Every
 * datapath walks the fixups with it (natively ac_dns_fixups below, XDP's ac_env_dns_fixups one
 * BPF loop callback per fixup). *moved gets what the move adds to the records' sum (RFC 1624
 * eqn. 3's ~m + m', at the pointer's place among the records' words), so that the UDP checksum
 * can start from the sum the compiler made of them. Returns 0, or -1 when the pointer lies
 * beyond `end`.
 */
static __always_inline int ac_dns_fix_pointer(__u8 *rec, const __u8 *end, __u64 at, __u32 records, __u16 delta,
					      __u32 *moved)
{
	AC_BPF_PIN(at); /* the register checked is the one added: see AC_BPF_PIN */
	if (at + 2 > records || at > AC_DNS_MAX_RECORDS)
		return 0;
	__u8 *p = rec + at;
	AC_BPF_PIN(p);
	if (p + 2 > end)
		return -1;
	const __u16 old = ac_dns_get16(p), pointer = (__u16)(old + delta);
	ac_dns_put16(p, pointer);
	*moved += ac_csum_shift(ac_csum_fold16((__u32)(__u16)~old + pointer), (__u32)at);
	return 0;
}

#if !defined(__bpf__)
/* The native walk over an answer object's fixups. */
static inline int ac_dns_fixups(__u8 *rec, const __u8 *end, const struct ac_dns_answer *a, __u32 records, __u16 delta,
				__u32 *moved)
{
	const __u16 *fixups = (const __u16 *)(a + 1); /* host order, 2-byte aligned (abi.h) */
	for (__u32 i = 0; i < a->nfixups; i++)
		if (ac_dns_fix_pointer(rec, end, fixups[i], records, delta, moved))
			return -1;
	return 0;
}
#endif

/*
 * The OPT record ac_dns_write writes, summed as big-endian words from its second byte: its first,
 * the root, is zero, and from there each field is a whole word, and its options start at an even
 * offset (dns_edns.h).
 */
static __always_inline __u16 ac_dns_opt_sum(struct ac_env *env, const struct ac_dns_plan *plan)
{
	return ac_csum_fold16((__u64)AC_DNS_TYPE_OPT + AC_DNS_UDP_SIZE + ((__u32)plan->ext_rcode << 8) + plan->edns_flags +
			      plan->opt_rdlen + ac_dns_edns_sum(env, plan));
}

/*
 * Turns the query msg.. into the reply of `plan`; the caller guarantees msg + plan->reply_len
 * <= end. *moved gets what the pointers moved add to the records' sum (ac_dns_fix_pointer),
 * relative to their first byte; 0 when none moved. Returns the reply's length. Every read of the answer object was checked by the plan;
 * the checks left here are the verifier's, and 0 comes back only if one of them fails, which a
 * plan from the same table rules out (or if that table was replaced in between, which control's
 * pace of reloads rules out in practice).
 */
static __always_inline __u32 ac_dns_write(struct ac_env *env, __u8 *msg, __u8 *end, const struct ac_dns_plan *plan,
					  __u32 *moved)
{
	*moved = 0;
	if (msg + AC_DNS_HEADER_LEN > end)
		return 0;
	const __u32 question_end = AC_DNS_HEADER_LEN + plan->qname_len + AC_DNS_QUESTION_TAIL;

	/* ID stays; QR set, opcode 0, AA per answer, TC, RD copied; RA, Z and AD clear, CD copied
	 * (RFC 4035 3.1.6), the rcode. */
	msg[2] = (__u8)(0x80 | (plan->aa ? 0x04 : 0) | (plan->tc ? 0x02 : 0) | (msg[2] & AC_DNS_FLAG_RD));
	msg[3] = (__u8)((msg[3] & AC_DNS_FLAG_CD) | (plan->rcode & 0x0F));
	ac_dns_put16(msg + 6, plan->ancount);
	ac_dns_put16(msg + 8, plan->nscount);
	ac_dns_put16(msg + 10, (__u16)(plan->arcount + plan->edns));

	__u32 records = plan->records;
	if (records > AC_DNS_MAX_RECORDS)
		return 0;
	if (plan->answer_at != AC_DNS_NO_ANSWER && records) {
		if (!ac_env_dns_reopen(env, plan->table))
			return 0;
		const struct ac_dns_answer *a = ac_env_dns_answer(env, plan->answer_at);
		if (!a)
			return 0;
		if (ac_env_dns_copy(env, msg + question_end, end, a, plan->records_off, records))
			return 0;
		/* Pointers that move with the query name's length (wildcards, negative answers,
		 * referrals); those past a truncation's cut are not in the reply. */
		__u16 delta = (__u16)(plan->qname_len - a->base_qname_len);
#if defined(__bpf__)
		/* One BPF loop callback per fixup: unrolled, the loop costs the verifier too much. */
		if (delta && ac_env_dns_fixups(env, msg + question_end, end, a, records, delta, moved))
			return 0;
#else
		if (delta && ac_dns_fixups(msg + question_end, end, a, records, delta, moved))
			return 0;
#endif
	}

	if (plan->edns) {
		__u8 *opt = msg + question_end + records;
		AC_BPF_PIN(opt);
		if (opt + AC_DNS_OPT_LEN > end)
			return 0;
		opt[0] = 0; /* root */
		ac_dns_put16(opt + 1, AC_DNS_TYPE_OPT);
		ac_dns_put16(opt + 3, AC_DNS_UDP_SIZE);
		opt[5] = plan->ext_rcode;
		opt[6] = 0; /* version */
		ac_dns_put16(opt + 7, plan->edns_flags);
		ac_dns_put16(opt + 9, plan->opt_rdlen);
		if (plan->opt_rdlen && ac_dns_edns_write(env, opt + AC_DNS_OPT_LEN, end, plan))
			return 0;
	}
	return plan->reply_len;
}

#endif /* ANYCASTD_CORE_DNS_ANSWER_H */
