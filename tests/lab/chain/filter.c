// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The chain lab's filter, at slot 0 of `chain`: drops IPv4 frames from one client source
 * (198.51.100.66, the lab's "attacker"), counting them in `filter_drops`, and tail-calls slot 1
 * (anycastd) with everything else; XDP_PASS when slot 1 is empty.
 */
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include "chain.h"

#define LAB_FILTERED_SOURCE 0xC6336442u /* 198.51.100.66 */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} filter_drops SEC(".maps");

SEC("xdp.frags")
int lab_chain_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (struct ethhdr *)data;
	if ((void *)(eth + 1) <= end && eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (struct iphdr *)(eth + 1);
		if ((void *)(ip + 1) <= end && ip->saddr == bpf_htonl(LAB_FILTERED_SOURCE)) {
			__u32 key = 0;
			__u64 *n = bpf_map_lookup_elem(&filter_drops, &key);
			if (n)
				__sync_fetch_and_add(n, 1);
			return XDP_DROP;
		}
	}
	bpf_tail_call(ctx, &chain, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
