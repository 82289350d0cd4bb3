// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * How far bpf_xdp_adjust_tail grows a received frame here (docs/dns.md, "Frame growth"): for
 * each IPv4 UDP frame, the largest growth in 4-byte steps up to 4096 that the kernel grants
 * (each step undone at once), and the frame's length, into `out` (keys 0 and 1). Passes every
 * frame. Two programs, a plain one and a frags-aware one, share `out`: generic XDP gives them
 * different room. Run by bench/xdp_tail_growth.sh.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} out SEC(".maps");

static __always_inline int measure(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data, *end = (const __u8 *)(long)ctx->data_end;
	__u32 len = end - data;
	/* the probe's IPv4 UDP datagrams only (not ARP, ND, MLD): ethertype 0x0800, protocol 17 */
	if (data + 24 > end || data[12] != 0x08 || data[13] != 0x00 || data[23] != 17)
		return XDP_PASS;
	__u32 best = 0;
	for (__u32 d = 4; d <= 4096; d += 4) {
		if (bpf_xdp_adjust_tail(ctx, (int)d))
			break;
		best = d;
		bpf_xdp_adjust_tail(ctx, -(int)d);
	}
	__u32 k0 = 0, k1 = 1;
	bpf_map_update_elem(&out, &k0, &best, BPF_ANY);
	bpf_map_update_elem(&out, &k1, &len, BPF_ANY);
	return XDP_PASS;
}

SEC("xdp")
int tail_growth(struct xdp_md *ctx)
{
	return measure(ctx);
}

/* The same, loaded frags-aware (BPF_F_XDP_HAS_FRAGS): generic XDP copies its frames differently. */
SEC("xdp.frags")
int tail_growth_frags(struct xdp_md *ctx)
{
	return measure(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
