// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The chain lab's observer, at slot 2 of `chain` (after anycastd, which tail-calls it with what
 * it does not answer): counts the frames that reach it in `observed` (0: UDP, 1: TCP, 2: other
 * IPv4/IPv6, 3: not IP) and passes every one to the kernel.
 */
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include "chain.h"

enum { OBS_UDP = 0, OBS_TCP = 1, OBS_OTHER_IP = 2, OBS_NOT_IP = 3, OBS_N = 4 };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OBS_N);
	__type(key, __u32);
	__type(value, __u64);
} observed SEC(".maps");

SEC("xdp.frags")
int lab_chain_observer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (struct ethhdr *)data;
	__u32 key = OBS_NOT_IP;
	int proto = -1;
	if ((void *)(eth + 1) <= end) {
		if (eth->h_proto == bpf_htons(ETH_P_IP)) {
			struct iphdr *ip = (struct iphdr *)(eth + 1);
			if ((void *)(ip + 1) <= end)
				proto = ip->protocol;
		} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
			struct ipv6hdr *ip6 = (struct ipv6hdr *)(eth + 1);
			if ((void *)(ip6 + 1) <= end)
				proto = ip6->nexthdr;
		}
	}
	if (proto == IPPROTO_UDP)
		key = OBS_UDP;
	else if (proto == IPPROTO_TCP)
		key = OBS_TCP;
	else if (proto >= 0)
		key = OBS_OTHER_IP;
	__u64 *n = bpf_map_lookup_elem(&observed, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
