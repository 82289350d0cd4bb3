// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The DNS lookup's BPF functions and loop callbacks: hashing the name one label per callback,
 * fixing compression pointers one per callback, and anycast_dns_find / _answer / _reply, each a
 * function the verifier checks once (docs/dns.md). Included by anycast_xdp.c after the core
 * (respond.h), whose functions they call.
 */
#ifndef AC_BPF_DNS_LOOKUP_H
#define AC_BPF_DNS_LOOKUP_H

/* The message's offset is the headers' length: at most two tags, IPv6 and UDP. */
#define AC_DNS_MSG_MAX_OFFSET (AC_L3_MAX_OFFSET + sizeof(struct ac_ipv6hdr) + sizeof(struct ac_udphdr))

/* One fixup per BPF loop callback: the callback is verified once, where the unrolled loop over up
 * to 255 fixups cost the verifier ~800k instructions (docs/dns.md, "XDP"). */
struct ac_dns_fixup_walk {
	struct xdp_md *ctx;
	const __u8 *chunk; /* the answer object's chunk */
	__u32 fixups;      /* chunk offset of fixup[0] */
	__u32 rec;         /* frame offset of the records */
	__u32 records;     /* bytes of records in the reply */
	__u32 moved;       /* what the moves add to the records' sum (ac_dns_fix_pointer) */
	__u16 delta;
	__u16 failed;
};

static long ac_dns_fixup_one(__u32 i, void *arg)
{
	struct ac_dns_fixup_walk *w = arg;
	__u64 from = w->fixups + 2 * (__u64)i, rec = w->rec;
	AC_BPF_PIN(from); /* the registers checked are the ones added: see AC_BPF_PIN */
	AC_BPF_PIN(rec);
	if (from > AC_DNS_CHUNK - 2 || rec > AC_DNS_MSG_MAX_OFFSET + AC_DNS_HEADER_LEN + AC_DNS_MAX_NAME + AC_DNS_QUESTION_TAIL) {
		w->failed = 1;
		return 1;
	}
	__u16 at;
	__builtin_memcpy(&at, w->chunk + from, sizeof at);
	__u8 *data = (__u8 *)(long)w->ctx->data;
	if (ac_dns_fix_pointer(data + rec, (const __u8 *)(long)w->ctx->data_end, at, w->records, w->delta, &w->moved)) {
		w->failed = 1;
		return 1;
	}
	return 0;
}

static __always_inline int ac_env_dns_fixups(struct ac_env *env, __u8 *rec, const __u8 *end,
					     const struct ac_dns_answer *a, __u32 records, __u16 delta, __u32 *moved)
{
	struct ac_dns_scratch *s = ac_dns_scratch_get();
	if (!s)
		return -1;
	struct ac_dns_fixup_walk w = {
		.ctx = env->ctx,
		.chunk = ac_dns_chunk(s),
		.fixups = s->at + sizeof(struct ac_dns_answer),
		.rec = (__u32)(rec - (__u8 *)(long)env->ctx->data),
		.records = records,
		.delta = delta,
	};
	if (!w.chunk)
		return -1;
	bpf_loop(a->nfixups, ac_dns_fixup_one, &w, 0);
	*moved = w.moved;
	return w.failed ? -1 : 0;
}

__attribute__((noinline)) __u8 anycast_dns_plan(struct xdp_md *ctx, __u32 msg_off, __u32 msg_len,
						struct ac_dns_plan *plan)
{
	struct ac_env env = {.ctx = ctx};
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	__u64 off = msg_off;
	AC_BPF_PIN(off); /* the register checked is the one added: see AC_BPF_PIN */
	if (!plan || off > AC_DNS_MSG_MAX_OFFSET || msg_len > 0xFFFF)
		return AC_PASS_DNS_MALFORMED;
	const __u8 *msg = data + off;
	return ac_dns_plan_bounded(&env, msg, msg + msg_len, end, AC_DNS_UDP_SIZE, 0, plan);
}

/* The frame offset of a query OPT's options: the headers, the question, the OPT's fixed part. */
#define AC_DNS_OPTS_MAX_OFFSET \
	(AC_DNS_MSG_MAX_OFFSET + AC_DNS_HEADER_LEN + AC_DNS_MAX_NAME + AC_DNS_QUESTION_TAIL + AC_DNS_OPT_LEN)

__attribute__((noinline)) __u8 anycast_dns_options(struct xdp_md *ctx, __u32 opts_off, __u32 rdlen,
						   struct ac_dns_plan *plan)
{
	struct ac_env env = {.ctx = ctx};
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	__u64 off = opts_off;
	AC_BPF_PIN(off); /* the register checked is the one added: see AC_BPF_PIN */
	if (!plan || off > AC_DNS_OPTS_MAX_OFFSET || rdlen > 0xFFFF)
		return AC_PASS_DNS_EDNS;
	return ac_dns_edns_options(&env, data + off, rdlen, end, plan);
}

__attribute__((noinline)) __u32 anycast_dns_cookie(struct ac_dns_plan *plan, __u32 is_ip6)
{
	struct ac_env env = {.ctx = 0}; /* the check's hooks read maps only */
	struct ac_dns_scratch *s = ac_dns_scratch_get();
	if (!plan || !s)
		return 0;
	return (__u32)ac_dns_cookie_check(&env, plan, s->cookie_addr, is_ip6);
}

/* The name hashed backwards (dns_hash.h), one label per BPF loop callback: the callback is
 * verified once, where loops over labels and words unrolled in line cost the verifier ~850k
 * instructions (docs/dns.md, "XDP"). Each label stores the hash of the suffix it starts. */
struct ac_dns_hash_walk {
	struct xdp_md *ctx;
	struct ac_dns_scratch *s; /* the walk's state (stack is scarce): hash_*, start, hashes */
};

static long ac_dns_hash_label_cb(__u32 j, void *arg)
{
	struct ac_dns_hash_walk *w = arg;
	struct ac_dns_scratch *s = w->s;
	const __u32 k = s->hash_label;
	if (k >= AC_DNS_MAX_LABELS)
		goto fail;
	const __u32 end = s->start[k + 1];
	__u64 len = end - s->start[k]; /* the length byte included */
	AC_BPF_PIN(len); /* the register checked is the one compared below: see AC_BPF_PIN */
	if (len > AC_DNS_MAX_LABEL + 1 || len == 0)
		goto fail;
	const __u64 stop = (__u64)s->hash_name + end; /* frame offset just past the label */
	const __u64 full = (len - 1) / 4; /* words before the first, which holds 1 to 4 bytes */
	__u64 h = s->hash;
	for (__u32 b = 0; b < (AC_DNS_MAX_LABEL + 1) / 4; b++) {
		if (b > full)
			break;
		/* The first word starts up to 3 bytes before the label: the message header is there. */
		__u64 at = stop - 4 * (__u64)(b + 1);
		AC_BPF_PIN(at);
		const __u8 *p = (const __u8 *)(long)w->ctx->data + at;
		if (at > AC_DNS_MSG_MAX_OFFSET + AC_DNS_HEADER_LEN + AC_DNS_MAX_NAME ||
		    p + 4 > (const __u8 *)(long)w->ctx->data_end)
			goto fail;
		__u32 word = ac_dns_le32(p);
		if (b == full)
			word = ac_dns_first_word(word, (__u32)len);
		h = ac_dns_hash_word(h, word);
	}
	s->hash = h;
	s->hashes[k] = h;
	s->hash_label = k - 1;
	return 0;
fail:
	s->hash_label = AC_DNS_MAX_LABELS; /* not ~0: the walk did not end */
	return 1;
}

/* The walk of ac_dns_hash_label_cb over the name at frame offset name_off, labels as s->start says
 * and from s->hash_label down; 0 when every label was hashed into s->hashes. */
static __always_inline int ac_dns_hash_name(struct ac_env *env, struct ac_dns_scratch *s, __u32 name_off)
{
	__u32 n = s->hash_label + 1u;
	if (n > AC_DNS_MAX_LABELS)
		return -1;
	s->hash = ac_dns_hash_root(s->seed);
	s->hash_name = name_off;
	s->hashes[n] = s->hash;
	struct ac_dns_hash_walk w = {.ctx = env->ctx, .s = s};
	bpf_loop(n, ac_dns_hash_label_cb, &w, 0);
	return s->hash_label == ~0u ? 0 : -1;
}

__attribute__((noinline)) __u32 anycast_dns_find(struct xdp_md *ctx, __u32 nlabels, struct ac_dns_find *find)
{
	struct ac_env env = {.ctx = ctx};
	struct ac_dns_scratch *s = ac_dns_scratch_get();
	__u64 n = nlabels;
	AC_BPF_PIN(n); /* the register checked is the one used: see AC_BPF_PIN */
	if (!find || !s || n > AC_DNS_MAX_LABELS)
		return AC_DNS_BAD_NAME;
	return ac_dns_lookup(&env, find->qtype, find->name_len, s->start, (__u32)n, s->hashes, find->dnssec,
			     &find->entry_flags);
}

__attribute__((noinline)) __u8 anycast_dns_answer(const struct ac_dns_fit *fit, struct ac_dns_plan *plan)
{
	struct ac_env env = {.ctx = 0}; /* the answer's hooks read maps only */
	if (!fit || !plan)
		return AC_PASS_DNS_SLOW_ANSWER;
	__u64 question_end = fit->question_end, opt_len = fit->opt_len, limit = fit->limit;
	AC_BPF_PIN(question_end); /* the registers checked are the ones used: see AC_BPF_PIN */
	AC_BPF_PIN(opt_len);
	AC_BPF_PIN(limit);
	if (question_end > AC_DNS_HEADER_LEN + AC_DNS_MAX_NAME + AC_DNS_QUESTION_TAIL || opt_len > AC_DNS_OPT_MAX ||
	    limit > 0xFFFF || limit < question_end + opt_len)
		return AC_PASS_DNS_SLOW_ANSWER;
	return ac_dns_plan_answer(&env, fit->at, fit->entry_flags, fit->flags, (__u32)question_end, (__u32)opt_len,
				  (__u32)limit, plan);
}

__attribute__((noinline)) __u8 anycast_dns_reply(struct xdp_md *ctx, __u32 l3, __u8 is_ip6,
						 const struct ac_dns_plan *plan)
{
	struct ac_env env = {.ctx = ctx};
	__u64 l3_off = l3;
	AC_BPF_PIN(l3_off); /* the register checked is the one added: see AC_BPF_PIN */
	if (!plan || l3_off > AC_L3_MAX_OFFSET)
		return AC_PASS_DNS_NO_ROOM;
	return ac_dns_reply_frame(&env, (__u8 *)(long)ctx->data, (__u8 *)(long)ctx->data_end, (__u32)l3_off, is_ip6,
				  plan);
}

#endif
