// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Pass-through XDP programs for the lab's veths. On veth, a frame sent with XDP_TX is dropped
 * unless the peer device runs an XDP program too; these give every frame to the kernel unchanged.
 *
 * Two sections with the same body, because the kernel tells them apart on attach: a veth whose
 * peer's MTU is larger than what fits in one page (9000 in lab.jumbo) refuses a program that is
 * not frags-aware. `xdp.frags` (libbpf loads it with BPF_F_XDP_HAS_FRAGS) attaches at any MTU
 * and is what lab.sh loads on the client; plain `xdp` stays for the scripts that load it by that
 * name (the benchmarks, the BGP labs) and for lab.jumbo, which checks that the kernel really
 * refuses it at MTU 9000.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* A frame that spans buffers is passed whole: XDP_PASS hands the kernel every fragment. */
SEC("xdp.frags")
int xdp_pass_frags(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
