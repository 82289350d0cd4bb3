// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * An XDP program that does nothing but return XDP_TX. Under BPF_PROG_TEST_RUN with `repeat` its
 * per-packet cost is the test harness alone (the loop, the call through the XDP dispatcher, the
 * timer checks), which xdp_cost subtracts to show how much of the floor and of anycast_xdp is
 * the programs' own work. Not a floor: it sends the request back unchanged.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* xdp.frags, as anycast_xdp: xdp_growth puts both behind the same generator's tail call. */
SEC("xdp.frags")
int xdp_harness(struct xdp_md *ctx)
{
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
