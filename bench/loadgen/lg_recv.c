// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The load generator's receiver, attached to the generator's interface: it counts answers per
 * service only after checking them (ports, lengths, IPv4 header checksum, the UDP checksum summed
 * over the whole datagram, and for NTP a server reply with the time to our request, for DNS the
 * answer's header), then drops them, so the benchmark's figure is correct answers, not
 * frames seen. Anything that is not from a service port (ARP, ND, ...) goes to the kernel.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "loadgen_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lg_recv_config);
} lg_recv_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lg_recv_counts);
} lg_counts SEC(".maps");

static __always_inline __u16 lg_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

static __always_inline int lg_bad(struct lg_recv_counts *c, __u32 slot, __u32 reason)
{
	if (slot < LG_SERVICES)
		c->bad[slot]++;
	if (reason < LG_BAD_REASONS)
		c->bad_reason[reason]++;
	return XDP_DROP;
}

/* --- DNS --- */
/* The answer to the generator's query (LG_CHECK_DNS): the DNS header only; the checksum (when
 * the answer has one) vouched for the bytes. */
static __always_inline int lg_dns_answer_ok(const struct lg_recv_config *cfg, const __u8 *dns, const __u8 *end,
					    __u32 udp_len)
{
	if (udp_len < 8 + 12 || dns + 12 > end)
		return 0;
	__u16 flags = bpf_ntohs(*(__u16 *)(dns + 2));
	return bpf_ntohs(*(__u16 *)dns) == cfg->dns_id &&
	       (flags & 0xfa0f) == 0x8000 && /* QR, opcode QUERY, TC clear, rcode NOERROR */
	       bpf_ntohs(*(__u16 *)(dns + 4)) == 1 && *(__u16 *)(dns + 6) != 0;
}
/* --- end DNS --- */

struct lg_sum_state {
	struct xdp_md *xdp;
	__u64 sum;
	__u32 off;
	__u32 left;
};

static long lg_sum_chunk(__u64 index, void *data)
{
	struct lg_sum_state *st = data;
	__u64 buf[8] = {};
	__u64 n = st->left < 64 ? st->left : 64;

	/* clang drops a mask it can prove redundant; the verifier needs to see it */
	asm volatile("%0 &= 0x7f" : "+r"(n));
	if (n == 0 || n > 64 || bpf_xdp_load_bytes(st->xdp, st->off, buf, (__u32)n))
		return 1; /* st->left stays non-zero: the caller counts it */
#pragma unroll
	for (int w = 0; w < 8; w++)
		st->sum += (buf[w] & 0xffffffff) + (buf[w] >> 32);
	st->off += (__u32)n;
	st->left -= (__u32)n;
	return st->left == 0;
}

SEC("xdp")
int lg_recv(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct lg_recv_config *cfg = bpf_map_lookup_elem(&lg_recv_cfg, &zero);
	struct lg_recv_counts *c = bpf_map_lookup_elem(&lg_counts, &zero);
	if (!cfg || !c)
		return XDP_PASS;

	__u8 *data = (__u8 *)(long)ctx->data;
	__u8 *end = (__u8 *)(long)ctx->data_end;
	__u8 *p = data + 12;
	if (p + 2 > end)
		goto other;
	__u16 proto = *(__u16 *)p;
#pragma unroll
	for (int t = 0; t < 2; t++) {
		if (proto != bpf_htons(0x8100) && proto != bpf_htons(0x88a8))
			break;
		p += 4;
		if (p + 2 > end)
			goto other;
		proto = *(__u16 *)p;
	}
	__u8 *ip = p + 2;
	__u8 *udp;
	__u64 sum = 0;
	__u32 ip_payload;

	if (proto == bpf_htons(0x0800)) {
		udp = ip + 20;
		if (udp + 8 > end || ip[0] != 0x45 || ip[9] != 17 || (*(__u16 *)(ip + 6) & bpf_htons(0x3fff)))
			goto other; /* options, fragments, not UDP: not something we sent an answer for */
		ip_payload = (__u32)bpf_ntohs(*(__u16 *)(ip + 2)) - 20;
		sum = (__u64)*(__u32 *)(ip + 12) + *(__u32 *)(ip + 16); /* pseudo-header addresses */
	} else if (proto == bpf_htons(0x86dd)) {
		udp = ip + 40;
		if (udp + 8 > end || ip[6] != 17)
			goto other;
		ip_payload = bpf_ntohs(*(__u16 *)(ip + 4));
#pragma unroll
		for (int k = 8; k < 40; k += 4)
			sum += *(__u32 *)(ip + k);
	} else {
		goto other;
	}

	__u16 sport = bpf_ntohs(*(__u16 *)udp);
	__u32 slot = LG_SERVICES;
#pragma unroll
	for (__u32 s = 0; s < LG_SERVICES; s++)
		if (cfg->service_port[s] && cfg->service_port[s] == sport && slot == LG_SERVICES)
			slot = s;
	if (slot == LG_SERVICES)
		goto other;

	if (proto == bpf_htons(0x0800)) {
		__u64 h = 0;
#pragma unroll
		for (int k = 0; k < 20; k += 4)
			h += *(__u32 *)(ip + k);
		if (lg_fold(h) != 0xffff)
			return lg_bad(c, slot, LG_BAD_HEADER);
	}
	__u32 udp_len = bpf_ntohs(*(__u16 *)(udp + 4));
	if (ip_payload != udp_len || udp + udp_len > end || udp_len < 8)
		return lg_bad(c, slot, LG_BAD_HEADER);
	if ((cfg->udp_len && udp_len != cfg->udp_len) || udp_len > LG_RECV_MAX_UDP)
		return lg_bad(c, slot, LG_BAD_LENGTH);
	__u32 dport = bpf_ntohs(*(__u16 *)(udp + 2));
	if (dport < cfg->dport_base || dport - cfg->dport_base >= cfg->dport_count)
		return lg_bad(c, slot, LG_BAD_PORT);
	/* --- DNS --- */
	/* IPv4 allows "no checksum" (RFC 768), and Knot's XDP mode sends that: counted only if asked */
	int unsummed = *(__u16 *)(udp + 6) == 0;
	if (unsummed && !(cfg->v4_unsummed_ok && proto == bpf_htons(0x0800)))
		return lg_bad(c, slot, LG_BAD_CHECKSUM);
	/* --- end DNS --- */

	/*
	 * The whole datagram, copied out 64 bytes at a time by bpf_loop: loops written out in the
	 * program (over packet pointers, or over copies) made the verifier's walk explode with the
	 * paths before them. The last piece is zero-padded, which is how the ones'-complement sum
	 * treats an odd byte anyway.
	 */
	struct lg_sum_state st = {.xdp = ctx, .sum = sum + bpf_htons(17) + bpf_htons((__u16)udp_len),
				  .off = (__u32)(udp - data), .left = udp_len};
	bpf_loop(LG_RECV_MAX_UDP / 64, lg_sum_chunk, &st, 0);
	if (st.left)
		return lg_bad(c, slot, LG_BAD_HEADER);
	sum = st.sum;
	if (!unsummed && lg_fold(sum) != 0xffff)
		return lg_bad(c, slot, LG_BAD_CHECKSUM);
	/* --- DNS --- */
	if (cfg->check[slot] == LG_CHECK_DNS && !lg_dns_answer_ok(cfg, udp + 8, end, udp_len))
		return lg_bad(c, slot, LG_BAD_CONTENT);
	/* --- end DNS --- */

	if (cfg->check[slot] == LG_CHECK_NTP) {
		__u8 *n = udp + 8;
		if (n + 48 > end)
			return lg_bad(c, slot, LG_BAD_CONTENT);
		__u8 version = (n[0] >> 3) & 7;
		if ((n[0] & 7) != 4 || (version != 3 && version != 4) || n[1] == 0 || n[1] > 15 ||
		    *(__u32 *)(n + 24) != cfg->ntp_origin[0] || *(__u32 *)(n + 28) != cfg->ntp_origin[1])
			return lg_bad(c, slot, LG_BAD_CONTENT);
	}

	c->good[slot]++;
	c->good_bytes[slot] += (__u64)(end - data);
	return XDP_DROP;
other:
	c->other++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
