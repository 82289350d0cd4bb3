// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The XDP fast path: the packet core with BPF maps behind its lookups. Answers go back out of
 * the port they came in on (XDP_TX); everything else goes to the kernel untouched (XDP_PASS).
 */
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "abi.h"
#include "compat.h"
#include "dns_plan.h"

#include "maps.h"
#include "xdp_env.h"
#include "dns_env.h"
#include "respond.h"
#include "dns_lookup.h"
#include "capture.h"

/*
 * The decision as a BPF function of its own: its spills then take no room from the replies'
 * (the program has 512 bytes of stack for a whole call chain, and NTP's reply wants ~380). A
 * BPF function returns one register, so the verdict comes back packed, the VIP's series in the
 * upper half.
 */
static __attribute__((noinline)) __u64 anycast_decide(struct ac_env *env, __u8 *data, __u8 *end,
						      struct ac_headers *h)
{
	struct ac_verdict v = ac_decide(env, data, end, h);
	return v.action | (__u32)v.reason << 8 | (__u32)v.service << 16 | (__u32)v.limited << 24 |
	       (__u64)v.vip << 32;
}

/* The loopback's ifindex in every network namespace (the kernel's LOOPBACK_IFINDEX). */
#define AC_LOOPBACK_IFINDEX 1

/* Chain mode's knobs, set by control before loading (docs/deployment.md). */
const volatile __u32 ac_chain_on = 0;
const volatile __u32 ac_chain_next = 0;

static __always_inline void count_interface(struct xdp_md *ctx, __u8 action)
{
	__u32 ifindex = ctx->ingress_ifindex;
	struct ac_iface_stats *s = bpf_map_lookup_elem(&ac_iface_stats, &ifindex);
	if (s)
		s->action[action < AC_ACT__COUNT ? action : AC_ACT_PASS]++;
}

/* A frame that matched no VIP (AC_VIP_STATS_NONE) is beyond the array: no lookup succeeds. */
static __always_inline void count_vip(__u32 vip, __u8 action)
{
	struct ac_vip_stats *s = bpf_map_lookup_elem(&ac_vip_stats, &vip);
	if (s)
		s->action[action < AC_ACT__COUNT ? action : AC_ACT_PASS]++;
}

/*
 * The program's body, behind two entry points that differ only in the frags flag (below).
 *
 * Frags-aware (`xdp.frags`, BPF_F_XDP_HAS_FRAGS): without it the kernel refuses to attach the
 * program where a frame may not fit one page (veth whose peer's MTU is 9000, several NIC drivers
 * at jumbo MTUs). Such a program sees [data, data_end) as the frame's first buffer only; the
 * rest, if any, is in fragments.
 *
 * Every frame that spans buffers is passed whole (AC_PASS_MULTI_BUFFER), before any parsing.
 * The core reads and rewrites only [data, data_end), and a reply is written in place in that one
 * buffer; the exception, a request provably all in the first buffer, would be a frame
 * whose IP datagram ends there and whose fragments hold only link-layer padding: no sender does
 * that, so the rule is one comparison and the kernel answers the rest. Checking first also keeps
 * the core from mistaking a cut-off datagram for a malformed one (bad_ip_length). The cost is
 * one helper call a frame (docs/xdp.md).
 */
static __always_inline int anycast_xdp_run(struct xdp_md *ctx)
{
	__u8 *data = (__u8 *)(long)ctx->data;
	__u8 *end = (__u8 *)(long)ctx->data_end;
	struct ac_env env = {.ctx = ctx};
	struct ac_headers h;
	struct ac_verdict v;

	if (bpf_xdp_get_buff_len(ctx) > (__u64)(end - data)) {
		v = ac_pass(AC_PASS_MULTI_BUFFER);
	} else {
		__u64 packed = anycast_decide(&env, data, end, &h);
		v.action = (__u8)packed;
		v.reason = (__u8)(packed >> 8);
		v.service = (__u8)(packed >> 16);
		v.limited = (__u8)(packed >> 24);
		v.vip = (__u16)(packed >> 32);
		if (v.action == AC_ACT_ANSWER) {
			/* control's probes (below) are never captured */
			const int captured = ac_capture_on() && ctx->ingress_ifindex != AC_LOOPBACK_IFINDEX &&
					     ac_capture_wanted(&h);
			if (captured)
				ac_capture_copy(ctx, AC_CAPTURE_REQUEST, v.service);
			v = ac_respond(&env, &h, v);
			if (captured && v.action == AC_ACT_ANSWER)
				ac_capture_copy(ctx, AC_CAPTURE_ANSWER, v.service);
		}
	}

	__u32 zero = 0;
	struct ac_stats *stats = bpf_map_lookup_elem(&ac_stats, &zero);
	if (stats) {
		stats->action[v.action < AC_ACT__COUNT ? v.action : AC_ACT_PASS]++;
		if (v.action == AC_ACT_ANSWER && v.service < AC_SVC__COUNT) {
			stats->answered[v.service]++;
			/* the reply's length: a DNS reply resized the frame */
			stats->answered_bytes[v.service] += ctx->data_end - ctx->data;
			if (v.limited)
				stats->rate_limited[v.service]++;
			if (v.service == AC_SVC_DNS && h.dns.outcome < AC_DNS_OUT__COUNT) {
				stats->dns[h.dns.outcome]++;
				if (h.dns.edns_flags & AC_DNS_EDNS_DO)
					stats->dns_do++;
			}
		} else if (v.action == AC_ACT_DROP && v.service < AC_SVC__COUNT) {
			stats->rate_limited[v.service]++;
		} else if (v.reason < AC_PASS__COUNT) {
			stats->pass[v.reason]++;
		}
	}
	/*
	 * BPF_PROG_TEST_RUN gives its frames the loopback's ifindex, and nothing else reaches an XDP
	 * program on lo: control's probes are counted in the totals only (a VIP's health check would
	 * otherwise add to its series), and never run the operator's programs in the chain.
	 */
	const int probe = ctx->ingress_ifindex == AC_LOOPBACK_IFINDEX;
	if (!probe) {
		count_interface(ctx, v.action);
		count_vip(v.vip, v.action);
	}
	if (v.action == AC_ACT_DROP)
		return XDP_DROP;
	if (v.action == AC_ACT_ANSWER)
		return XDP_TX;
	/* Returns only when the next slot is empty (or the chain is too deep): then the kernel. */
	if (ac_chain_on && !probe)
		bpf_tail_call(ctx, &ac_chain, ac_chain_next);
	return XDP_PASS;
}

SEC("xdp.frags")
int anycast_xdp(struct xdp_md *ctx)
{
	return anycast_xdp_run(ctx);
}

/*
 * The same without the frags flag, for generic mode (loaded instead of anycast_xdp by control;
 * "?": not by default): there the kernel copies each frame for XDP first, and a frags-aware
 * program's copy has under 64 bytes of tailroom, a plain program's hundreds, which DNS replies
 * longer than their query need (docs/dns.md, "Frame growth"). A multi-buffer frame reaches it
 * linearized.
 */
SEC("?xdp")
int anycast_xdp_generic(struct xdp_md *ctx)
{
	return anycast_xdp_run(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
