// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The floor every fast-path figure is compared with: the least an XDP UDP reflector can do and
 * still send a well-formed reply. It swaps MAC, IP and UDP addresses and returns XDP_TX.
 *
 * What it leaves out is the point: no VLAN tags, no maps, no validation beyond the bounds the
 * verifier insists on (and the ethertype, which says where the addresses are), no TTL reset.
 * Swapping is a permutation of 16-bit words, so neither the IPv4 header checksum nor the UDP
 * checksum changes and none is computed. Anything it does not recognise goes to the kernel, so
 * a mistaken attach cannot black-hole a host.
 *
 * Defined once, here; docs/benchmarks.md quotes every ratio against this program.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "headers.h"

/*
 * Word-sized loads and stores on purpose: the header structs are byte arrays, and a
 * __builtin_memcpy of them compiles to one BPF instruction per byte, which would put the floor
 * well above what a reflector needs. The verifier accepts unaligned packet access on machines
 * with efficient unaligned access (x86-64, arm64), and the JIT emits plain moves.
 */
#define FLOOR_SWAP(type, a, b)                    \
	do {                                      \
		type t_ = *(type *)(a);           \
		*(type *)(a) = *(type *)(b);      \
		*(type *)(b) = t_;                \
	} while (0)

/* xdp.frags, as anycast_xdp: xdp_growth puts both behind the same generator's tail call. */
SEC("xdp.frags")
int xdp_floor(struct xdp_md *ctx)
{
	__u8 *data = (__u8 *)(long)ctx->data;
	__u8 *end = (__u8 *)(long)ctx->data_end;
	struct ac_ethhdr *eth = (struct ac_ethhdr *)data;

	if ((__u8 *)(eth + 1) > end)
		return XDP_PASS;

	if (eth->proto == ac_htons(AC_ETH_P_IP)) {
		struct ac_iphdr *ip = (struct ac_iphdr *)(eth + 1);
		struct ac_udphdr *udp = (struct ac_udphdr *)(ip + 1); /* IHL assumed 5: a floor, not a parser */
		if ((__u8 *)(udp + 1) > end)
			return XDP_PASS;
		FLOOR_SWAP(__u32, &ip->saddr, &ip->daddr);
		FLOOR_SWAP(__u16, &udp->source, &udp->dest);
	} else if (eth->proto == ac_htons(AC_ETH_P_IPV6)) {
		struct ac_ipv6hdr *ip6 = (struct ac_ipv6hdr *)(eth + 1);
		struct ac_udphdr *udp = (struct ac_udphdr *)(ip6 + 1);
		if ((__u8 *)(udp + 1) > end)
			return XDP_PASS;
		FLOOR_SWAP(__u64, ip6->saddr, ip6->daddr);
		FLOOR_SWAP(__u64, ip6->saddr + 8, ip6->daddr + 8);
		FLOOR_SWAP(__u16, &udp->source, &udp->dest);
	} else {
		return XDP_PASS;
	}
	FLOOR_SWAP(__u32, eth->dst, eth->src);
	FLOOR_SWAP(__u16, eth->dst + 4, eth->src + 4);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
