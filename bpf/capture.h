// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Packet capture at the fast path (abi.h, docs/capture.md): what the program answered, copied
 * into a perf event ring with the frame appended, while control has a capture on. The filter is
 * applied here, before anything is copied, so traffic it does not match costs nothing more and
 * moves neither the ring nor the lost counter (the match is the packet core's, shared with the
 * DPDK worker: capture_match.h). Included by anycast_xdp.c, after maps.h.
 *
 * Both steps are BPF functions of their own: their stack (the meta, the filter's words) is not
 * added to the answer chain's, which nearly fills the 512 bytes BPF gives a whole call chain.
 */
#ifndef AC_BPF_CAPTURE_H
#define AC_BPF_CAPTURE_H

#include "maps.h"
#include "capture_match.h"

/* The switch: read on every answered frame, the only cost of capture while none runs. */
static __always_inline int ac_capture_on(void)
{
	__u32 zero = 0;
	const struct ac_capture_config *c = bpf_map_lookup_elem(&ac_capture, &zero);
	return c && (c->flags & AC_CAPTURE_F_ON);
}

/* Whether the capture that is on wants this request, which the decision chose to answer (so its
 * headers are all there). */
static __attribute__((noinline)) int ac_capture_wanted(const struct ac_headers *h)
{
	__u32 zero = 0;
	const struct ac_capture_config *c = bpf_map_lookup_elem(&ac_capture, &zero);
	return c && ac_capture_match(c, h);
}

/* Copies the frame as it is now. A full ring (or a CPU without a reader) loses the frame and
 * counts it: never a wait. */
static __attribute__((noinline)) void ac_capture_copy(struct xdp_md *ctx, __u32 kind, __u32 service)
{
	struct ac_capture_meta meta = {
		.mono_ns = bpf_ktime_get_ns(),
		.len = (__u32)(ctx->data_end - ctx->data),
		.kind = (__u8)kind,
		.service = (__u8)service,
	};
	const __u64 flags = BPF_F_CURRENT_CPU | ((__u64)meta.len << 32);
	const long err = bpf_perf_event_output(ctx, &ac_capture_ring, flags, &meta, sizeof meta);
	__u32 zero = 0;
	struct ac_capture_counts *counts = bpf_map_lookup_elem(&ac_capture_cnt, &zero);
	if (!counts)
		return;
	if (err)
		counts->lost++;
	else
		counts->copied++;
}

#endif
