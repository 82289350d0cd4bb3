// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The chain lab's root program, attached natively to the edge's veth: it tail-calls slot 0 of
 * the prog array `chain` and passes the frame to the kernel when that slot is empty.
 */
#include "chain.h"

SEC("xdp.frags")
int lab_chain_root(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &chain, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
