/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * What the load generator's two BPF programs (lg_gen.c, lg_recv.c) share with user space
 * (loadgen.cpp, templates.cpp, xdp_growth.cpp and the tests). C, fixed-width types only.
 *
 * Checksum sums are ones'-complement sums of 16-bit words read in the host's byte order (what a
 * plain __u16 load gives on either side), kept unfolded in 32 bits: user space and the program
 * only ever add them, and the result is folded once per frame.
 */
#ifndef LOADGEN_ABI_H
#define LOADGEN_ABI_H

#include <linux/types.h>

#define LG_MAX_VIPS 65536u
#define LG_HEAD_MAX 256u /* template bytes rewritten into every frame before its fields */
#define LG_SERVICES 4u /* service slots in the receiver: echo now, NTP and DNS to come */

/* One destination: an address (IPv4 in the first 4 bytes) and the sum of its words. */
struct lg_vip {
	__u8 addr[16];
	__u32 sum;
};

/*
 * The generator's frame plan. Frame i (a per-CPU sequence number) gets
 *   source port   sport_base + i % sport_count
 *   source        src_addr with its last 16 bits = src_low_base + i % src_count
 *   destination   lg_vips[(i * 2654435761) % vip_count] (scattered, so no entry stays hot)
 *   dest. port    dport
 * and both checksums computed from the sums below plus those fields. Every field is written
 * whole, never adjusted from what the frame holds: in live-frame mode a page comes back either
 * as the template or as the program (or, under tail_call, a responder) last left it. On veth
 * the responder's reply is that very page (XDP_TX hands the frame over without a copy), so its
 * rewrite (NTP's mode 4 and timestamps, a DNS answer, swapped MACs, new lengths) would come back
 * as the next request: the frame's first head_len bytes are copied from head[] every time.
 */
struct lg_gen_config {
	__u32 family;        /* 4 or 6 */
	__u32 l3_off;        /* bytes before the IP header: 14 + 4 per VLAN tag */
	__u32 ip_base;       /* IPv4 header words with the checksum and both addresses zero */
	__u32 udp_base;      /* pseudo-header protocol and length, UDP header with ports and checksum zero, payload */
	__u8 src_addr[16];   /* the source (IPv4 in the first 4 bytes) */
	__u32 src_fixed_sum; /* sum of the source's words except the last */
	__u32 src_low_base;  /* host order: the source's last 16 bits for i = 0 */
	__u32 src_count;     /* 1 .. 65536 - src_low_base */
	__u32 sport_base;    /* host order */
	__u32 sport_count;   /* 1 .. 65536 - sport_base */
	__u32 vip_count;     /* 1 .. LG_MAX_VIPS */
	__u32 dport;         /* host order */
	__u32 tail_call;     /* 1: hand the frame to slot 0 of lg_next (a responder) instead of XDP_TX */
	__u32 pad;
	__u64 interval_ns;   /* paced: at most one frame per interval on each CPU; 0: unpaced */
	__u32 head_len;      /* min(frame length, LG_HEAD_MAX) */
	__u32 pad2;
	__u8 head[LG_HEAD_MAX]; /* the template's first head_len bytes */
};

/*
 * Per CPU: what this CPU has sent and may still send. A paced run's frames are due every
 * interval_ns; a run of the program that comes early returns XDP_DROP (the page is recycled at
 * once, nothing leaves), so the kernel's loop is the pacing loop and frames leave evenly, at most
 * a batch together, instead of in one burst per system call.
 */
struct lg_gen_state {
	__u64 seq;     /* frame number */
	__u64 sent;    /* frames handed on (XDP_TX or tail call) */
	__u64 quota;   /* stop handing on at this many; 0: no limit */
	__u64 next_ns; /* paced: when the next frame is due (0: now) */
};

enum lg_bad_reason {
	LG_BAD_HEADER = 0, /* an IPv4 header checksum or IP length that does not add up */
	LG_BAD_LENGTH,     /* UDP length not what was sent, or beyond what the receiver verifies */
	LG_BAD_PORT,       /* destination port not one the generator sends from */
	LG_BAD_CHECKSUM,   /* UDP checksum wrong (or zero, which no answer to our requests may carry) */
	LG_BAD_CONTENT,    /* the service's own check failed (NTP: not a server reply with the time to our
			      request; DNS: not a whole positive answer to our query) */
	LG_BAD_REASONS,
};

/* What the receiver checks in a service's payload, beyond ports, lengths and checksums. */
enum lg_check {
	LG_CHECK_NONE = 0,
	LG_CHECK_NTP, /* mode 4, version 3 or 4, stratum 1..15 (no kiss-o'-death, not unsynchronised),
			 origin = the request's transmit time (ntp_origin) */
	/* --- DNS --- */
	LG_CHECK_DNS, /* ID dns_id, QR set, opcode QUERY, TC clear, NOERROR, one question, some answer */
	/* --- end DNS --- */
};

/* The receiver's expectations: an answer comes from a service port to a generator port. */
struct lg_recv_config {
	__u16 service_port[LG_SERVICES]; /* host order; 0: slot unused */
	__u32 dport_base;                /* host order: the generator's first source port */
	__u32 dport_count;
	__u32 udp_len; /* expected UDP length (header + payload); 0: any */
	__u8 check[LG_SERVICES]; /* enum lg_check per slot */
	__u32 ntp_origin[2];     /* LG_CHECK_NTP: the requests' transmit timestamp, as on the wire */
	/* --- DNS --- */
	__u16 dns_id; /* LG_CHECK_DNS: the query's ID, host order */
	__u16 dns_pad;
	/* 1: an IPv4 answer without a UDP checksum (zero, RFC 768) is good if the rest is: Knot's XDP
	 * mode sends them. Otherwise, as for our own answers, a zero checksum is bad. */
	__u32 v4_unsummed_ok;
	/* --- end DNS --- */
};

struct lg_recv_counts {
	__u64 good[LG_SERVICES];
	__u64 good_bytes[LG_SERVICES]; /* frame bytes */
	__u64 bad[LG_SERVICES];
	__u64 bad_reason[LG_BAD_REASONS];
	__u64 other; /* not an answer (ARP, ND, anything else): passed to the kernel */
};

/* The longest UDP datagram the receiver sums: enough for a 1500-byte MTU. */
#define LG_RECV_MAX_UDP 2048u

#endif
