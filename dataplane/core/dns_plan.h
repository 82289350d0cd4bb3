/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DNS wire constants and the plan of a reply (struct ac_dns_plan), without code: the frame
 * headers (parse.h) carry a plan from the decision to the reply, and files that include parse.h
 * before defining their env must not pull the env-calling functions of dns_wire.h in.
 */
#ifndef ANYCASTD_CORE_DNS_PLAN_H
#define ANYCASTD_CORE_DNS_PLAN_H

#include "abi.h"

#define AC_DNS_HEADER_LEN 12
#define AC_DNS_OPT_LEN 11      /* root owner, type, class, TTL, RDLEN 0 */
#define AC_DNS_QUESTION_TAIL 4 /* QTYPE, QCLASS after the name */
#define AC_DNS_MAX_NAME 255
#define AC_DNS_MAX_LABEL 63
#define AC_DNS_MIN_UDP 512     /* RFC 1035 4.2.1; also the floor of an EDNS size (RFC 6891 6.2.5) */
#define AC_DNS_CLASS_IN 1
#define AC_DNS_TYPE_OPT 41
#define AC_DNS_RCODE_REFUSED 5
#define AC_DNS_EXT_RCODE_BADVERS 1 /* BADVERS is 16: the OPT carries its upper 8 bits */
#define AC_DNS_EDNS_DO 0x8000u
#define AC_DNS_FLAG_RD 0x01u   /* header byte 2 */
#define AC_DNS_FLAG_CD 0x10u   /* header byte 3 */

/*
 * The most bytes of records a reply carries, also on TCP: 64 KiB less room for the largest
 * question and OPT, and the headers before the message. The verifier marks no packet range
 * beyond 64 KiB of offset, so the writer's pointer arithmetic needs this bound; an answer object
 * with more records is never sent (AC_PASS_DNS_SLOW_ANSWER, and the slow path's TCP server
 * refuses it alike).
 */
#define AC_DNS_MAX_RECORDS (0xFFFFu - 512u)

/* ac_dns_plan flags */
#define AC_DNS_F_ALLOW_SLOW 0x1u /* the slow path: answer objects marked AC_DNS_E_SLOW too */
#define AC_DNS_F_STREAM 0x2u     /* a TCP message: max_reply alone limits the reply, no UDP size */
#define AC_DNS_F_PROOF 0x4u      /* the slow path: plan a DO answer that needs a denial proof (AC_DNS_E_DO_PROOF) and
				  * say so in plan->proof; without it such a query is AC_PASS_DNS_SIGNED_PROOF */

#define AC_DNS_NO_ANSWER 0xFFFFFFFFu /* ac_dns_plan.answer_at of a reply without records */
#define AC_DNS_BAD_NAME 0xFFFFFFFEu  /* the name pass could not read the name (ac_dns_find_answer, XDP's ac_env_dns_find) */

/*
 * What ac_dns_write turns the query into. Meaningful only when ac_dns_plan returned AC_PASS_NONE.
 * No pointers: XDP plans and writes in two BPF functions the verifier checks apart, and a plan
 * passes between them as plain memory. The writer looks the answer object up again, in the same
 * table (`table`, the env's name for it).
 */
struct ac_dns_plan {
	__u32 answer_at;   /* arena offset of the answer object, AC_DNS_NO_ANSWER for none (REFUSED, BADVERS) */
	__u32 table;       /* the table the plan was made from (ac_env_dns_loaded) */
	__u32 reply_len;   /* the reply message's length */
	__u32 records_off; /* object offset of the records (after header, fixups and cuts) */
	__u16 records;     /* bytes of records sent: the whole object's or a cut's */
	__u16 records_sum; /* their ones'-complement sum before fixups (abi.h ac_dns_answer.sum, ac_dns_cut.sum) */
	__u16 ancount;
	__u16 nscount;
	__u16 arcount;     /* additional records besides our OPT */
	__u16 edns_flags;  /* our OPT's flags: the query's DO bit (RFC 3225) */
	__u8 qname_len;    /* wire length of the query name, root byte included */
	__u8 rcode;        /* the header's 4 bits */
	__u8 ext_rcode;    /* our OPT's upper 8 bits of the rcode (BADVERS) */
	__u8 aa;
	__u8 tc;
	__u8 edns;         /* the query had an OPT: the reply carries ours */
	__u8 outcome;      /* enum ac_dns_outcome */
	__u8 proof;        /* AC_DNS_F_PROOF: the answer object lacks its denial proof, the caller adds it */
	__u8 nsid;         /* our OPT carries our NSID: the query asked (RFC 5001) and we have one */
	__u8 cookie;       /* enum ac_dns_cookie_state (dns_edns.h) */
	__u16 opt_rdlen;   /* our OPT's options: NSID, COOKIE */
#if !defined(__bpf__)
	/* The client cookie, then the server cookie: the query's, then ours. XDP keeps them in its
	 * per-CPU DNS scratch instead (bpf/dns_env.h, ac_env_dns_cookie): the plan sits on the main
	 * function's stack, and 24 more bytes there put the deepest BPF call chain over 512 bytes.
	 * dns_edns.h's ac_dns_cookie_bytes finds them on either. */
	__u8 cookie_bytes[24];
#endif
};

/* The reply keeps its header, question and OPT but no records: RRL's slip and BADCOOKIE. */
static __always_inline void ac_dns_plan_drop_records(struct ac_dns_plan *plan)
{
	plan->reply_len -= plan->records;
	plan->records = 0;
	plan->records_sum = 0;
	plan->ancount = 0;
	plan->nscount = 0;
	plan->arcount = 0;
}

#endif /* ANYCASTD_CORE_DNS_PLAN_H */
