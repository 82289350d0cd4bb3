// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Pass-through XDP program for the lab's client veth. On veth, a frame sent with XDP_TX is
 * dropped unless the peer device runs an XDP program too; this one gives every frame to the
 * kernel unchanged.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
