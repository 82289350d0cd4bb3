/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * The chain lab's prog array (lab.chain, issue 21): the root program attached to the edge's veth
 * tail-calls slot 0 of it; the filter (slot 0) tail-calls slot 1, where anycastd puts its program
 * (attach = "chain", chain_index = 1), which tail-calls slot 2, the observer. Every program that
 * uses the array declares it the same way, so that bpftool can hand them the one pinned map
 * (`map name chain pinned PATH`). All of them are SEC("xdp.frags"): the kernel lets a prog array
 * hold programs of one type and one frags setting only, and anycastd's program is frags-aware.
 */
#ifndef LAB_CHAIN_H
#define LAB_CHAIN_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define LAB_CHAIN_SLOTS 4

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, LAB_CHAIN_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} chain SEC(".maps");

#endif
