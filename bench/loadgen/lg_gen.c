// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The load generator's packet program. Run by BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES
 * on a template frame, it writes the per-frame fields (see lg_gen_config in loadgen_abi.h) and
 * returns XDP_TX, which in live-frame mode transmits the frame out of the interface named in the
 * context. With tail_call set it hands the frame to a responder instead (xdp_growth: the cost of
 * a responder over many destinations, where a fixed frame would keep one table entry hot).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "loadgen_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lg_gen_config);
} lg_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LG_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct lg_vip);
} lg_vips SEC(".maps");

/* Per CPU; user space starts each CPU's frame numbers at a different point. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lg_gen_state);
} lg_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} lg_next SEC(".maps");

static __always_inline __u16 lg_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

SEC("xdp")
int lg_gen(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct lg_gen_config *cfg = bpf_map_lookup_elem(&lg_cfg, &zero);
	struct lg_gen_state *st = bpf_map_lookup_elem(&lg_state, &zero);
	if (!cfg || !st || !cfg->vip_count || !cfg->src_count || !cfg->sport_count)
		return XDP_ABORTED;
	if (st->quota && st->sent >= st->quota)
		return XDP_DROP;
	if (cfg->interval_ns) {
		__u64 now = bpf_ktime_get_ns();
		/*
		 * Frames fall due while this thread is off the CPU (between calls, or preempted on
		 * a busy machine); up to 10 ms of them are sent late, back to back, so the average
		 * rate holds. Beyond that the debt is dropped rather than sent as one long burst.
		 */
		if (!st->next_ns || st->next_ns + 10000000 < now)
			st->next_ns = now;
		if (now < st->next_ns)
			return XDP_DROP;
		st->next_ns += cfg->interval_ns;
	}
	st->sent++;
	__u32 i = (__u32)st->seq++;
	__u32 vip_index = (__u32)(i * 2654435761u) % cfg->vip_count;
	struct lg_vip *vip = bpf_map_lookup_elem(&lg_vips, &vip_index);
	if (!vip)
		return XDP_ABORTED;

	__u16 low = bpf_htons((__u16)(cfg->src_low_base + i % cfg->src_count));
	__u16 sport = bpf_htons((__u16)(cfg->sport_base + i % cfg->sport_count));
	__u16 dport = bpf_htons((__u16)cfg->dport);
	__u64 addr_sum = (__u64)cfg->src_fixed_sum + low + vip->sum;

	__u8 *data = (__u8 *)(long)ctx->data;
	__u8 *end = (__u8 *)(long)ctx->data_end;
	__u32 head_len = cfg->head_len;
	for (__u32 off = 0; off + 8 <= LG_HEAD_MAX; off += 8) {
		if (off + 8 > head_len || data + off + 8 > end)
			break;
		*(__u64 *)(data + off) = *(__u64 *)(cfg->head + off);
	}
	for (__u32 off = head_len & ~7u, n = 0; n < 8; n++, off++) {
		if (off >= head_len || off >= LG_HEAD_MAX || data + off + 1 > end)
			break;
		data[off] = cfg->head[off];
	}
	__u8 *ip = data + (cfg->l3_off & 0x3f);
	__u8 *udp;

	if (cfg->family == 4) {
		udp = ip + 20;
		if (udp + 8 > end)
			return XDP_ABORTED;
		*(__u16 *)(ip + 12) = *(__u16 *)cfg->src_addr;
		*(__u16 *)(ip + 14) = low;
		*(__u32 *)(ip + 16) = *(__u32 *)vip->addr;
		*(__u16 *)(ip + 10) = lg_fold((__u64)cfg->ip_base + addr_sum);
	} else {
		udp = ip + 40;
		if (udp + 8 > end)
			return XDP_ABORTED;
		*(__u64 *)(ip + 8) = *(__u64 *)cfg->src_addr;
		*(__u32 *)(ip + 16) = *(__u32 *)(cfg->src_addr + 8);
		*(__u16 *)(ip + 20) = *(__u16 *)(cfg->src_addr + 12);
		*(__u16 *)(ip + 22) = low;
		*(__u64 *)(ip + 24) = *(__u64 *)vip->addr;
		*(__u64 *)(ip + 32) = *(__u64 *)(vip->addr + 8);
	}
	*(__u16 *)udp = sport;
	*(__u16 *)(udp + 2) = dport;
	__u16 check = lg_fold((__u64)cfg->udp_base + addr_sum + sport + dport);
	*(__u16 *)(udp + 6) = check ? check : 0xffff; /* zero would mean "no checksum" */

	if (cfg->tail_call) {
		bpf_tail_call(ctx, &lg_next, 0);
		return XDP_ABORTED; /* slot empty: a setup error, visible as no answers */
	}
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
