/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one header for everything that crosses the kernel/user boundary: map keys and values,
 * counters and the names control prints for them. The XDP program, the packet core, the DPDK
 * datapath, control and the tests all include this file; nothing here is ever re-declared.
 *
 * Freestanding: only fixed-width types from <linux/types.h>, no libc.
 */
#ifndef ANYCASTD_ABI_H
#define ANYCASTD_ABI_H

#include <linux/types.h>

/* Services the fast path can answer. The order is the bit order of ac_vip_value.services. */
enum ac_service {
	AC_SVC_ECHO = 0,
	AC_SVC_NTP,
	AC_SVC_DNS,
	AC_SVC__COUNT,
};

enum ac_action {
	AC_ACT_ANSWER = 0, /* the frame was rewritten in place into the reply */
	AC_ACT_PASS,       /* the kernel gets the frame untouched */
	AC_ACT_DROP,       /* dropped: a DNS query over its source's response rate limit (RRL) */
	AC_ACT__COUNT,
};

/*
 * Why a frame went to the kernel. Malformed frames are passed rather than dropped: the kernel
 * is the slow path and always correct, it drops what is really broken and counts it itself.
 */
enum ac_pass_reason {
	AC_PASS_NONE = 0,          /* not passed (answered) */
	AC_PASS_NOT_IP,            /* ARP, LLDP, any other ethertype */
	AC_PASS_VLAN_TOO_DEEP,     /* more than two VLAN tags */
	AC_PASS_TRUNCATED,         /* the frame ends inside a header */
	AC_PASS_BAD_IP_HEADER,     /* wrong version, IHL below 5, IPv4 header checksum wrong */
	AC_PASS_BAD_IP_LENGTH,     /* IP length beyond the frame or below the header */
	AC_PASS_NOT_VIP,           /* destination is none of ours */
	AC_PASS_IP_OPTIONS,        /* IPv4 header longer than 20 bytes */
	AC_PASS_IP_FRAGMENT,       /* any fragment, first or not */
	AC_PASS_IPV6_EXT_HEADER,   /* an IPv6 extension header before the transport */
	AC_PASS_NOT_UDP,           /* TCP, ICMP, ICMPv6 (ND), anything else */
	AC_PASS_BAD_UDP_LENGTH,    /* UDP length below 8 or beyond the IP payload */
	AC_PASS_BAD_UDP_CHECKSUM,  /* an IPv6 UDP checksum of zero (RFC 8200 8.1) */
	AC_PASS_PORT_UNKNOWN,      /* no service on this destination port */
	AC_PASS_SERVICE_OFF,       /* the service is not carried by this VIP */
	AC_PASS_NOT_ANSWERING,     /* this VIP, or the whole fast path, is switched off */
	AC_PASS_SRC_INVALID,       /* broadcast, multicast, unspecified or loopback source */
	AC_PASS_SRC_NOT_ALLOWED,   /* the service is limited to source prefixes, this is not one */
	AC_PASS_SRC_PORT_RESERVED, /* echo to a source port below 1024: a reflection loop */
	AC_PASS_NTP_LENGTH,        /* NTP payload not exactly 48 bytes: short, extension fields, MAC, NTS */
	AC_PASS_NTP_VERSION,       /* NTP version other than 3 and 4 */
	AC_PASS_NTP_CONTROL,       /* NTP mode 6 or 7 (control, monlist): never answered, amplifiers */
	AC_PASS_NTP_MODE,          /* any other NTP mode than 3 (client) */
	AC_PASS_NTP_NO_CLOCK,      /* control has not written the clock state yet */
	AC_PASS_DNS_MALFORMED,     /* header or question cut short, a label or name too long, a pointer in the question */
	AC_PASS_DNS_NOT_QUERY,     /* QR set, or an opcode other than QUERY */
	AC_PASS_DNS_QDCOUNT,       /* not exactly one question */
	AC_PASS_DNS_CLASS,         /* a class other than IN */
	AC_PASS_DNS_QTYPE,         /* ANY, AXFR, IXFR, TSIG, OPT and other meta types, and type 0 */
	AC_PASS_DNS_SECTIONS,      /* records in answer or authority, or an additional record other than one OPT (TSIG, SIG(0)) */
	AC_PASS_DNS_EDNS,          /* an OPT record that is malformed (owner not root, RDATA beyond the message, a COOKIE of a bad length), or more options than the fast path walks */
	AC_PASS_DNS_LONG_NAME,     /* more labels than the fast path walks (AC_DNS_MAX_LABELS) */
	AC_PASS_DNS_SLOW_ANSWER,   /* the answer is marked for the slow path (too large to be sent whole on UDP) */
	AC_PASS_DNS_NO_ROOM,       /* the frame could not grow to the reply's length */
	AC_PASS_DNS_NO_TABLE,      /* no answer table loaded yet */
	AC_PASS_DNS_SIGNED_PROOF,  /* DO set, and the denial proof depends on where the name sorts (NXDOMAIN, wildcard): the slow path builds it */
	AC_PASS_MULTI_BUFFER,      /* the frame spans buffers (XDP frags, a chained mbuf): the core sees one */
	AC_PASS__COUNT,
};

/* Counters, one instance per CPU (XDP) or per lcore (DPDK); readers sum them. */
/* What the DNS fast path answered; the sum equals answered[AC_SVC_DNS]. */
enum ac_dns_outcome {
	AC_DNS_OUT_NOERROR = 0, /* records in the answer section */
	AC_DNS_OUT_NODATA,      /* the name exists, the type does not: SOA in authority */
	AC_DNS_OUT_NXDOMAIN,
	AC_DNS_OUT_REFERRAL,    /* below a zone cut: NS in authority, AA clear */
	AC_DNS_OUT_REFUSED,     /* the name is in none of our zones */
	AC_DNS_OUT_TRUNCATED,   /* TC=1: the whole answer did not fit the client's UDP size */
	AC_DNS_OUT_BADVERS,     /* EDNS version above 0 */
	AC_DNS_OUT_SLIPPED,     /* over the source's rate limit: TC=1 and no records, so a real client retries on TCP */
	AC_DNS_OUT_BADCOOKIE,   /* a server cookie that is not ours or expired (RFC 7873 5.2.3, as Knot): rcode 23, a fresh cookie */
	AC_DNS_OUT__COUNT,
};

struct ac_stats {
	__u64 action[AC_ACT__COUNT];
	__u64 pass[AC_PASS__COUNT];
	__u64 answered[AC_SVC__COUNT];
	__u64 answered_bytes[AC_SVC__COUNT];
	__u64 dns[AC_DNS_OUT__COUNT];
	__u64 dns_do; /* of those, answers to queries with DO set (from a signed zone's DO variant when signed) */
	/* Requests over their source's rate limit (ratelimit.h); NTP answered them with a RATE
	 * kiss-o'-death, so they are in answered[] too; DNS dropped them (action[AC_ACT_DROP]) or,
	 * every slip-th, answered them truncated (dns[AC_DNS_OUT_SLIPPED]). */
	__u64 rate_limited[AC_SVC__COUNT];
};

/*
 * XDP only: what the program did on each interface, at the index of the frame's ingress ifindex
 * (an interface of its own, or any the operator's root program sees in chain mode). An array,
 * so counting costs one inlined lookup; an ifindex from AC_IFACE_MAX up is counted only in the
 * totals. Control zeroes an interface's entry when it is gone (its ifindex is not reused).
 */
#define AC_IFACE_MAX 1024
struct ac_iface_stats {
	__u64 action[AC_ACT__COUNT];
};

/*
 * Packet capture (docs/capture.md): while a capture runs, the XDP program copies each request it
 * answers that the filter matches, and the answer it sent, into the perf event array ac_capture_ring
 * (a struct ac_capture_meta, then the frame). Control writes the filter into the single entry of
 * ac_capture and clears AC_CAPTURE_F_ON when the capture ends, when it starts and when it adopts
 * a running program: with the flag clear the program's whole cost is one load and one branch.
 */
#define AC_CAPTURE_F_ON 0x1u
#define AC_CAPTURE_F_VIP 0x2u  /* the request's destination in vip */
#define AC_CAPTURE_F_SRC 0x4u  /* the request's source (the client) in src */
#define AC_CAPTURE_F_PORT 0x8u /* the request's source or destination port is port */

/* A prefix as the frame's bytes, read as words: a match is (addr & mask) == net, word by word. */
struct ac_capture_prefix {
	__u32 is_ip6;
	__u32 net[4];
	__u32 mask[4];
};

struct ac_capture_config {
	__u32 flags; /* AC_CAPTURE_F_* */
	__u16 port;  /* network byte order */
	__u16 pad;
	struct ac_capture_prefix vip;
	struct ac_capture_prefix src;
};

enum ac_capture_kind {
	AC_CAPTURE_REQUEST = 0,
	AC_CAPTURE_ANSWER,
};

/* Ahead of each copied frame in the ring; the perf sample's raw size may add padding after it. */
struct ac_capture_meta {
	__u64 mono_ns; /* CLOCK_MONOTONIC when copied */
	__u32 len;     /* bytes of frame that follow: the whole frame */
	__u8 kind;     /* enum ac_capture_kind */
	__u8 service;  /* enum ac_service */
	__u16 pad;
};

/* Per CPU, zeroed by control when a capture starts. */
struct ac_capture_counts {
	__u64 copied; /* frames put into the ring */
	__u64 lost;   /* frames that matched but found the ring full (or no reader on the CPU) */
};

/*
 * A VIP is one address or a whole prefix, matched longest prefix first. The XDP program keeps
 * each family's VIPs as a set (bpf/vip_lookup.h, docs/benchmarks.md "VIP lookups"): up to
 * AC_VIP_SCAN_MAX of them are scanned in the set itself, longest first; a larger set is a hash
 * of these keys (the address masked to prefixlen bits, network byte order), looked up once per
 * prefix length the set has, longest first, so an exact VIP is one lookup.
 */
struct ac_vip4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct ac_vip6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

#define AC_VIP_F_ANSWERING 0x1u

struct ac_vip_value {
	__u32 flags;    /* AC_VIP_F_* */
	__u32 services; /* bit (1 << enum ac_service) set for each service this VIP carries */
	__u32 group;    /* index of the control group that owns the VIP */
	__u32 stats;    /* its entry of the per-VIP counters (below), so counting needs no second lookup */
};

/*
 * Per-VIP counters: what the fast path did with the frames addressed to each VIP, at the index
 * ac_vip_value.stats (a per-CPU array in XDP, per-lcore arrays in DPDK). Control gives each of
 * the first `[metrics] vip_series` VIPs (at most AC_VIP_SERIES_MAX) an entry of its own and the
 * rest AC_VIP_STATS_OTHER, one shared series. There are twice as many entries as series, so that
 * a reload can give a new VIP an entry that neither the set packets read now nor the new one
 * uses: zeroed, then published, while no packet counts into it (control/datapath/vip_series.h).
 */
#define AC_VIP_SERIES_MAX 1024u
#define AC_VIP_STATS_OTHER (2u * AC_VIP_SERIES_MAX)
#define AC_VIP_STATS_ENTRIES (AC_VIP_STATS_OTHER + 1u)
#define AC_VIP_STATS_NONE 0xffffu /* ac_verdict.vip of a frame that matched no VIP */

struct ac_vip_stats {
	__u64 action[AC_ACT__COUNT];
};

/* Above this many VIPs of a family, the hash: a scan of more costs more than a lookup. */
#define AC_VIP_SCAN_MAX 8u
/* ac_vip*_set.count of a set held in the hash. */
#define AC_VIP_SET_HASHED 0xffffffffu

/* Addresses and masks as the frame's bytes, read as words: a match is (daddr & mask) == addr. */
struct ac_vip4_scan {
	__u32 addr;
	__u32 mask;
	struct ac_vip_value value;
};

struct ac_vip6_scan {
	__u32 addr[4];
	__u32 mask[4];
	struct ac_vip_value value;
};

struct ac_vip4_set {
	__u32 count;    /* scan[] entries in use, longest prefix first; or AC_VIP_SET_HASHED */
	__u32 nlengths; /* hashed: lengths[] in use */
	struct ac_vip4_scan scan[AC_VIP_SCAN_MAX];
	__u8 lengths[33]; /* hashed: every prefix length of the set, longest first */
	__u8 pad[3];
};

struct ac_vip6_set {
	__u32 count;
	__u32 nlengths;
	struct ac_vip6_scan scan[AC_VIP_SCAN_MAX];
	__u8 lengths[129];
	__u8 pad[7];
};

/* Destination port -> service: an array of 65536 entries indexed by port in host order. */
#define AC_SVC_F_ENABLED    0x1u
#define AC_SVC_F_RESTRICTED 0x2u /* answer only sources found in the allow tries */

struct ac_port_value {
	__u32 flags;   /* AC_SVC_F_* */
	__u32 service; /* enum ac_service */
};

/*
 * Source allow lists of all services share one trie per family: the service id is the first
 * 32 bits of the key, so prefixlen = 32 + the source prefix length.
 */
struct ac_allow4_key {
	__u32 prefixlen;
	__u32 service; /* network byte order, so it sorts as the key's leading bits */
	__u8 addr[4];
};

struct ac_allow6_key {
	__u32 prefixlen;
	__u32 service;
	__u8 addr[16];
};

#define AC_ALLOW_KEY_SERVICE_BITS 32u

/* The single entry of the control map: switches the whole fast path at once. */
struct ac_control {
	__u32 answering; /* 0: every VIP passes to the kernel (AC_PASS_NOT_ANSWERING) */
	__u32 vip_slot;  /* which of the two VIP sets packets match (bpf/vip_lookup.h) */
};

/*
 * NTP server state (the single entry of the ac_ntp map, or the DPDK datapath's copy), written by
 * control about once a second from its clock source. The packet path reads the TAI clock and
 * turns it into UTC with tai_offset; a pending leap second is a switch to next_tai_offset at
 * TAI time switch_tai_ns, computed by control ahead of time, so the answers step with the
 * kernel's own UTC and not up to a refresh later. All fields in host byte order.
 */
#define AC_NTP_F_VALID 0x1u

struct ac_ntp_state {
	__u32 flags;           /* AC_NTP_F_*: without VALID every request passes (AC_PASS_NTP_NO_CLOCK) */
	__u8 leap;             /* leap indicator answered: 0 none, 1 insert, 2 delete, 3 unsynchronised */
	__u8 stratum;          /* stratum answered: the source's + 1, 16 when unsynchronised */
	__s8 precision;        /* log2 seconds */
	__u8 pad;
	__u32 root_delay;      /* NTP short format (16.16 seconds) */
	__u32 root_dispersion; /* NTP short format */
	__u32 refid;           /* reference ID as the wire carries it, first byte in the high bits */
	__u32 pad2;
	__u64 reference_time;  /* NTP timestamp format (32.32 seconds since 1900) */
	__s64 tai_offset;      /* TAI - UTC, seconds */
	__s64 next_tai_offset; /* TAI - UTC from switch_tai_ns on */
	__u64 switch_tai_ns;   /* TAI nanoseconds of a pending leap second; ~0 when none */
};

/*
 * DNS answer table, compiled by control from the zones (docs/dns.md). The packet path only looks
 * up, copies and patches: every answer it can send is precomputed as an answer object in the
 * arena, and a hash of (owner name, qtype) leads to it.
 *
 * Names are hashed in wire form, lowercased, from the last label (the root) to the first
 * (dns_hash.h), so the hash of every suffix of a query name falls out of one pass over it.
 */
#define AC_DNS_TABLE_MAGIC 0x31534e44u /* "DNS1" little-endian */
#define AC_DNS_TABLE_VERSION 4u /* 4: DNSSEC, the entries' DO variants (answer_do) and the zones' signed answers */
#define AC_DNS_CHUNK 4096u      /* arena unit: a BPF array value; a fast answer object never crosses one */
#define AC_DNS_MAX_LABELS 16u   /* the fast path walks names of at most this many labels (root excluded) */
#define AC_DNS_UDP_SIZE 1232u   /* our EDNS UDP payload size (RFC 9715), and the largest UDP reply */
#define AC_DNS_FAST_MAX 1200u   /* an answer object (header + fixups + cuts + records) at most this long is fast */

struct ac_dns_key {
	__u64 hash;     /* dns_hash.h over the lowercased wire name, with the table's seed */
	__u16 qtype;    /* host order; 0 is the node entry: the name exists, answer for types it lacks */
	__u8 name_len;  /* wire length with the root byte, 1..255; 0 marks an empty slot in the image */
	__u8 pad[5];
};

#define AC_DNS_E_DELEGATION 0x1u /* node entry of a zone cut: names at and below get its referral */
#define AC_DNS_E_SLOW 0x2u       /* the answer object is not fast (AC_DNS_FAST_MAX): slow path only */
#define AC_DNS_E_DO_SLOW 0x4u    /* the same for answer_do */
#define AC_DNS_E_DO_PROOF 0x8u   /* with DO, the answer needs a denial proof that depends on the query name
				  * (a wildcard's next closer name): AC_PASS_DNS_SIGNED_PROOF, the slow path adds it */

/*
 * answer_do is the answer to a query with the DO bit (RFC 3225) from a signed zone: the RRsets
 * with their RRSIGs and the NSEC/NSEC3 proofs that do not depend on the query name
 * (dataplane/core/dns_dnssec.h). In an unsigned zone it equals answer.
 */
struct ac_dns_entry {
	__u32 answer;    /* arena offset of the answer object */
	__u16 zone;      /* index into the zone array: NXDOMAIN below this node comes from there */
	__u16 flags;     /* AC_DNS_E_* */
	__u32 answer_do; /* arena offset of the answer object for DO queries */
};

#define AC_DNS_A_AA 0x1u   /* authoritative answer (clear for referrals) */
#define AC_DNS_A_GLUE 0x2u /* the additional records are a referral's glue: a reply without all of them is truncated (RFC 9471) */
#define AC_DNS_A_WILDCARD 0x4u /* the query name is a wildcard's expansion: with DO the slow path proves it does not exist */
#define AC_DNS_A_END_PROOF 0x8u /* DO, a CNAME chain whose last target, in the zone, does not exist (rcode 3) or is a
				 * wildcard's expansion: the slow path adds the proof about that target (knotd does) */

/*
 * An answer object: this header, then __u16 fixup[nfixups], then struct ac_dns_cut cut[ncuts],
 * then `size` bytes of resource records ready for the wire, laid out for a question whose name
 * is base_qname_len bytes long. Compression pointers into the question's name suffixes or into
 * the records themselves move with the query name's length (wildcards, negative answers,
 * referrals): each fixup is the offset, within the records, of a 2-byte pointer to which the
 * packet path adds (query name length - base_qname_len). Pointers to offset 12 (the whole query
 * name) never move and are not listed. 4-byte aligned in the arena.
 *
 * `sum` and each cut's `sum` are the ones'-complement sums (RFC 1071) of the records, whole or
 * up to the cut, as big-endian words from their first byte, folded to 16 bits, with the fixups'
 * pointers as laid out: the UDP checksum of a reply starts from them (docs/dns.md, "The UDP
 * checksum"). The zone compiler makes them, and only it.
 */
struct ac_dns_answer {
	__u16 size;     /* bytes of records */
	__u16 ancount;  /* records in the answer section (all of them) */
	__u16 nscount;  /* records in the authority section */
	__u16 arcount;  /* records in the additional section: A and AAAA of NS and MX targets, glue */
	__u8 rcode;     /* 0 NOERROR, 3 NXDOMAIN */
	__u8 flags;     /* AC_DNS_A_* */
	__u8 base_qname_len;
	__u8 nfixups;
	__u8 ncuts;
	__u8 outcome;   /* enum ac_dns_outcome when sent whole */
	__u16 sum;      /* of the `size` bytes of records */
};

/*
 * A truncated UDP reply keeps the whole RRsets that fit, in order, and sets TC (as Knot does),
 * unless all it leaves out is additional records that are not glue (RFC 2181 9): cut i says
 * that records [0, end) hold ancount + nscount + arcount records ending on an RRset boundary.
 * One cut per RRset, in order; the last equals the whole answer.
 */
struct ac_dns_cut {
	__u16 end;
	__u16 ancount;
	__u16 nscount;
	__u16 arcount;
	__u16 sum;      /* of records [0, end) */
};

#define AC_DNS_Z_SIGNED 0x1u /* the zone has RRSIGs: a DO query's NXDOMAIN needs its proof (AC_PASS_DNS_SIGNED_PROOF) */
#define AC_DNS_Z_NSEC3 0x2u  /* its denials are NSEC3 (proofs: hashes), else NSEC (proofs: names in canonical order) */

struct ac_dns_zone {
	__u32 nxdomain; /* arena offset of the zone's NXDOMAIN answer object (SOA in authority) */
	__u32 serial;
	__u32 nxdomain_do; /* the same for DO queries: SOA and its RRSIGs (the slow path adds the NSEC/NSEC3 proof) */
	__u32 flags;       /* AC_DNS_Z_* */
	__u32 proofs;      /* signed: arena offset of its struct ac_dns_proofs (slow path only) */
	__u32 pad;
};

/*
 * A signed zone's denial chain, read by the slow path alone (control/dns_server/proof.cpp) to add
 * the proofs that depend on where a query name sorts: this header, then `count` links in
 * order (NSEC: owners in canonical order, RFC 4034 6.1; NSEC3: hashes ascending), each a struct
 * ac_dns_proof_link, its key, and its records (the NSEC or NSEC3 record and its RRSIGs, names
 * uncompressed, ready for the wire). Host byte order but the records.
 */
struct ac_dns_proofs {
	__u32 size;       /* bytes of the whole object */
	__u32 count;      /* links */
	__u16 iterations; /* NSEC3 hash parameters (RFC 5155 5) */
	__u8 salt_len;
	__u8 origin_len;
	__u8 salt[255];
	__u8 origin[255]; /* the zone's origin, lowercased wire form */
	__u16 pad;
};

struct ac_dns_proof_link {
	__u16 size;      /* bytes of the link: this header, the key, the records */
	__u8 key_len;    /* NSEC: the owner, lowercased wire form; NSEC3: the raw hash */
	__u8 records;    /* how many records follow the key */
	__u16 records_len;
	__u16 pad;
};

/*
 * The compiled image, one contiguous block: this header, then the slots (open addressing,
 * linear probing from ac_dns_slot_index()), the zones and the arena, at the byte offsets given.
 * Control hands the image to the DPDK datapath as is (sealed memfd) and to the slow path, and
 * spreads it over the BPF maps for XDP.
 */
struct ac_dns_slot {
	struct ac_dns_key key;
	struct ac_dns_entry entry;
};

struct ac_dns_table {
	__u32 magic;   /* AC_DNS_TABLE_MAGIC */
	__u32 version; /* AC_DNS_TABLE_VERSION */
	__u64 seed;    /* random per compilation: the hash is keyed so collisions cannot be aimed */
	__u32 slot_count;  /* a power of two, at least twice entry_count */
	__u32 entry_count;
	__u32 zone_count;
	__u32 arena_size;  /* bytes, a multiple of AC_DNS_CHUNK */
	__u32 slots;       /* byte offset of struct ac_dns_slot[slot_count] from the table's start */
	__u32 zones;       /* byte offset of struct ac_dns_zone[zone_count] */
	__u32 arena;       /* byte offset of the arena, AC_DNS_CHUNK aligned */
	__u32 pad;
};

/*
 * BPF side: each table is a set of inner maps (entries: hash ac_dns_key -> ac_dns_entry; arena:
 * array of struct ac_dns_chunk; zones: array of ac_dns_zone) placed in slot 0 or 1 of the
 * array-of-maps; control fills the idle slot with fresh maps, then flips `active` here, so a
 * query reads one whole table, old or new.
 */
struct ac_dns_chunk {
	__u8 bytes[AC_DNS_CHUNK];
};

/*
 * What our OPT says besides its fixed part (dataplane/core/dns_edns.h): the NSID (RFC 5001) and
 * the server cookie secrets (RFC 7873, RFC 9018). One per datapath (XDP: the ac_dns_edns map;
 * natively a copy in the env), written by control at start, on reloads and every second for `now`.
 */
#define AC_DNS_NSID_MAX 64u
#define AC_DNS_COOKIE_SECRET 16u
struct ac_dns_edns {
	__u32 now;      /* wall-clock seconds since 1970 (the cookie timestamp, RFC 9018 4.3), low 32 bits */
	__u8 nsid_len;  /* 0: no NSID is sent */
	__u8 secrets;   /* 0: COOKIE options are ignored; 1: secret[0]; 2: secret[1] is still accepted (rollover) */
	__u16 nsid_sum; /* ones'-complement sum of nsid[] as big-endian words from its first byte, folded */
	__u8 nsid[AC_DNS_NSID_MAX];
	__u8 secret[2][AC_DNS_COOKIE_SECRET]; /* the current secret, then the previous one */
};

#if !defined(__bpf__)
/* Control's and the tests' one way to set the NSID: its bytes (at most AC_DNS_NSID_MAX) and
 * their sum together. */
static inline void ac_dns_edns_set_nsid(struct ac_dns_edns *conf, const __u8 *nsid, __u32 len)
{
	if (len > AC_DNS_NSID_MAX)
		len = AC_DNS_NSID_MAX;
	__u32 sum = 0;
	for (__u32 i = 0; i < len; i++) {
		conf->nsid[i] = nsid[i];
		sum += (i & 1) ? nsid[i] : (__u32)nsid[i] << 8;
	}
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	conf->nsid_len = (__u8)len;
	conf->nsid_sum = (__u16)sum;
}
#endif

struct ac_dns_state {
	__u32 active;  /* 0 or 1: the slot queries read; */
	__u32 loaded;  /* 0 until a table is in the active slot (AC_PASS_DNS_NO_TABLE) */
	__u64 seed[2]; /* each slot's table seed */
};
/* ---- Per-source rate limiting (dataplane/core/ratelimit.h) -------------------------------- */

/*
 * A service's limiter, one per service (the ac_ratelimit_cfg map, indexed by enum ac_service, or the
 * DPDK table set's copy). interval_ns 0: the service is not limited. Control writes
 * interval_ns = 1 s / rate and keeps burst * interval_ns far below 2^63.
 */
struct ac_ratelimit_config {
	__u64 interval_ns; /* refill time of one token: 10^9 / (requests per second per source) */
	__u32 burst;       /* tokens a bucket holds: requests a quiet source may send at once */
	__u8 prefix4;      /* sources sharing a bucket: IPv4 prefix length, 0 to 32 */
	__u8 prefix6;      /* IPv6 prefix length, 0 to 128 */
	__u16 slip;        /* DNS: every slip-th request over the limit answered truncated; 0 never */
	/* The prefix lengths as byte masks (ac_ratelimit_config_masks), so that the packet path cuts
	 * an address without a branch per byte: the verifier walks every branch. */
	__u8 mask4[4];
	__u8 mask6[16];
	__u8 pad[4];
};

/* A bucket's key: the source address cut to the prefix length, the bytes after it zero. */
struct ac_ratelimit_key {
	__u32 service; /* enum ac_service, host order */
	__u32 family;  /* 4 or 6 */
	__u8 addr[16];
};

struct ac_ratelimit_bucket {
	__u64 tokens_ns; /* tokens held, in nanoseconds of refill time (one token = interval_ns) */
	__u64 last_ns;   /* monotonic time of the last refill */
	__u32 limited;   /* requests over the limit since the last one allowed */
	__u32 pad;
};

#if !defined(__bpf__)
/* Fills the config's byte masks from its prefix lengths: control and tests, never the packet path. */
static inline void ac_ratelimit_config_masks(struct ac_ratelimit_config *c)
{
	for (__u32 i = 0; i < 16; i++) {
		__s32 left4 = (__s32)c->prefix4 - (__s32)(8 * i), left6 = (__s32)c->prefix6 - (__s32)(8 * i);
		if (i < 4)
			c->mask4[i] = left4 >= 8 ? 0xFF : left4 <= 0 ? 0 : (__u8)(0xFF << (8 - left4));
		c->mask6[i] = left6 >= 8 ? 0xFF : left6 <= 0 ? 0 : (__u8)(0xFF << (8 - left6));
	}
}

#endif

/* Buckets kept: per XDP program (shared by the CPUs), per DPDK worker lcore. */
#define AC_RATELIMIT_BUCKETS_DEFAULT 65536u

/* ---- end of rate limiting ---------------------------------------------------------------- */

#define AC_PORTS 65536u
#define AC_VIP_MAX_DEFAULT 65536u
#define AC_ALLOW_MAX_DEFAULT 4096u

#if !defined(__bpf__)
/* Names shared by logs, status and metrics, indexed by the enums above. */
static const char *const ac_service_names[AC_SVC__COUNT] = {"echo", "ntp", "dns"};
static const char *const ac_action_names[AC_ACT__COUNT] = {"answer", "pass", "drop"};
static const char *const ac_pass_reason_names[AC_PASS__COUNT] = {
	"none",
	"not_ip",
	"vlan_too_deep",
	"truncated",
	"bad_ip_header",
	"bad_ip_length",
	"not_vip",
	"ip_options",
	"ip_fragment",
	"ipv6_ext_header",
	"not_udp",
	"bad_udp_length",
	"bad_udp_checksum",
	"port_unknown",
	"service_off",
	"not_answering",
	"src_invalid",
	"src_not_allowed",
	"src_port_reserved",
	"ntp_length",
	"ntp_version",
	"ntp_control",
	"ntp_mode",
	"ntp_no_clock",
	"dns_malformed",
	"dns_not_query",
	"dns_qdcount",
	"dns_class",
	"dns_qtype",
	"dns_sections",
	"dns_edns",
	"dns_long_name",
	"dns_slow_answer",
	"dns_no_room",
	"dns_no_table",
	"dns_signed_proof",
	"multi_buffer",
};
static const char *const ac_dns_outcome_names[AC_DNS_OUT__COUNT] = {
	"noerror", "nodata", "nxdomain", "referral", "refused", "truncated", "badvers", "slipped", "badcookie",
};

/* Readers sum the per-CPU (XDP) or per-lcore (DPDK) instances, and counters of a datapath that
 * was restarted, with this. */
static inline void ac_stats_add(struct ac_stats *into, const struct ac_stats *more)
{
	for (int i = 0; i < AC_ACT__COUNT; i++)
		into->action[i] += more->action[i];
	for (int i = 0; i < AC_PASS__COUNT; i++)
		into->pass[i] += more->pass[i];
	for (int i = 0; i < AC_SVC__COUNT; i++) {
		into->answered[i] += more->answered[i];
		into->answered_bytes[i] += more->answered_bytes[i];
		into->rate_limited[i] += more->rate_limited[i];
	}
	for (int i = 0; i < AC_DNS_OUT__COUNT; i++)
		into->dns[i] += more->dns[i];
	into->dns_do += more->dns_do;
}
#endif

#endif /* ANYCASTD_ABI_H */
