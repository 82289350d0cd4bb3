/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Frame i of a plan (lg_gen_config), written over a buffer: the one definition of what the
 * generator sends, compiled into its BPF program (lg_gen.c, the live-frame engine) and into user
 * space (the AF_XDP engine), so both engines send the same bytes and the same tests hold them.
 * Common subset of C and C++ for clang -target bpf: fixed-width types, every write checked against
 * `end`, copies with constant sizes (unaligned on any target, one instruction where it can be).
 */
#ifndef LG_FRAME_H
#define LG_FRAME_H

#include <linux/types.h>
#include <bpf/bpf_endian.h>

#include "loadgen_abi.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* Scattered over the VIPs (Knuth's multiplicative hash), so no table entry stays hot. */
static __always_inline __u32 lg_vip_index(const struct lg_gen_config *cfg, __u32 i)
{
	return (__u32)(i * 2654435761u) % cfg->vip_count;
}

static __always_inline __u16 lg_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/*
 * Paced sending, one frame per interval_ns: whether one is due at `now`. Frames fall due while
 * the sender is off the CPU (between calls, or preempted on a busy machine); up to 10 ms of them
 * are sent late, back to back, so the average rate holds. Beyond that the debt is dropped rather
 * than sent as one long burst.
 */
static __always_inline int lg_due(__u64 *next_ns, __u64 now, __u64 interval_ns)
{
	if (!*next_ns || *next_ns + 10000000 < now)
		*next_ns = now;
	if (now < *next_ns)
		return 0;
	*next_ns += interval_ns;
	return 1;
}

/*
 * Writes frame i to `vip` into data..end, which holds at least the template's length: the
 * template's first head_len bytes, then the addresses, ports and both checksums. Every field is
 * written whole, whatever the buffer held (loadgen_abi.h says why). Returns 0, or -1 when the
 * buffer is shorter than the headers (a plan error: nothing sensible was written).
 */
static __always_inline int lg_write_frame(const struct lg_gen_config *cfg, const struct lg_vip *vip, __u32 i,
					  __u8 *data, const __u8 *end)
{
	__u32 head_len = cfg->head_len;
	__u32 off;
	__u32 n;

	for (off = 0; off + 8 <= LG_HEAD_MAX; off += 8) {
		if (off + 8 > head_len || data + off + 8 > end)
			break;
		__builtin_memcpy(data + off, cfg->head + off, 8);
	}
	for (off = head_len & ~7u, n = 0; n < 8; n++, off++) {
		if (off >= head_len || off >= LG_HEAD_MAX || data + off + 1 > end)
			break;
		data[off] = cfg->head[off];
	}

	__u16 low = bpf_htons((__u16)(cfg->src_low_base + i % cfg->src_count));
	__u16 sport = bpf_htons((__u16)(cfg->sport_base + i % cfg->sport_count));
	__u16 dport = bpf_htons((__u16)cfg->dport);
	__u64 addr_sum = (__u64)cfg->src_fixed_sum + low + vip->sum;
	__u8 *ip = data + (cfg->l3_off & 0x3f);
	__u8 *udp;

	if (cfg->family == 4) {
		udp = ip + 20;
		if (udp + 8 > end)
			return -1;
		__builtin_memcpy(ip + 12, cfg->src_addr, 2);
		__builtin_memcpy(ip + 14, &low, 2);
		__builtin_memcpy(ip + 16, vip->addr, 4);
		__u16 ip_check = lg_fold((__u64)cfg->ip_base + addr_sum);
		__builtin_memcpy(ip + 10, &ip_check, 2);
	} else {
		udp = ip + 40;
		if (udp + 8 > end)
			return -1;
		__builtin_memcpy(ip + 8, cfg->src_addr, 14);
		__builtin_memcpy(ip + 22, &low, 2);
		__builtin_memcpy(ip + 24, vip->addr, 16);
	}
	__builtin_memcpy(udp, &sport, 2);
	__builtin_memcpy(udp + 2, &dport, 2);
	__u16 check = lg_fold((__u64)cfg->udp_base + addr_sum + sport + dport);
	if (!check)
		check = 0xffff; /* zero would mean "no checksum" */
	__builtin_memcpy(udp + 6, &check, 2);
	return 0;
}

#endif
