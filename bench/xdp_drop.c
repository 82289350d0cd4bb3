// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Drops every frame: the edge side of a generator's ceiling (lab_bench.sh's "drop" system), what
 * a generator sends per second when nothing answers and the receiving side costs the least.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
