// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The load generator's live-frame engine. Run by BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES
 * on a template frame, it writes frame i of the plan (lg_frame.h, shared with the AF_XDP engine)
 * and returns XDP_TX, which in live-frame mode transmits the frame out of the interface named in the
 * context. With tail_call set it hands the frame to a responder instead (xdp_growth: the cost of
 * a responder over many destinations, where a fixed frame would keep one table entry hot).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lg_frame.h"

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

/* xdp.frags: it tail-calls anycast_xdp, and a prog array holds programs of one frags setting. */
SEC("xdp.frags")
int lg_gen(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct lg_gen_config *cfg = bpf_map_lookup_elem(&lg_cfg, &zero);
	struct lg_gen_state *st = bpf_map_lookup_elem(&lg_state, &zero);
	if (!cfg || !st || !cfg->vip_count || !cfg->src_count || !cfg->sport_count)
		return XDP_ABORTED;
	if (st->quota && st->sent >= st->quota)
		return XDP_DROP;
	if (cfg->interval_ns && !lg_due(&st->next_ns, bpf_ktime_get_ns(), cfg->interval_ns))
		return XDP_DROP;
	st->sent++;
	__u32 i = (__u32)st->seq++;
	__u32 vip_index = lg_vip_index(cfg, i);
	struct lg_vip *vip = bpf_map_lookup_elem(&lg_vips, &vip_index);
	if (!vip)
		return XDP_ABORTED;
	if (lg_write_frame(cfg, vip, i, (__u8 *)(long)ctx->data, (__u8 *)(long)ctx->data_end))
		return XDP_ABORTED;

	if (cfg->tail_call) {
		bpf_tail_call(ctx, &lg_next, 0);
		return XDP_ABORTED; /* slot empty: a setup error, visible as no answers */
	}
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
