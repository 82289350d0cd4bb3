// SPDX-License-Identifier: Apache-2.0
#pragma once

// The slow path's counters, for status and metrics: one array indexed by DnsSlowCounter, with a
// name per counter (the metric's label), read as a plain snapshot from any thread.

#include <array>
#include <cstdint>

#include "abi.h"

namespace anycastd::dns_server {

enum DnsSlowCounter : unsigned {
  kUdpQueries,     // datagrams received on the VIPs
  kTcpQueries,     // messages received over TCP
  // Answered from the table, by the core's outcome (ANY and class ANY included).
  kAnswerNoerror,
  kAnswerNodata,
  kAnswerNxdomain,
  kAnswerReferral,
  kAnswerRefused,
  kAnswerTruncated,
  kAnswerBadvers,
  kAnyMinimal,     // of those, ANY answered with one RRset (RFC 8482)
  kAnswerDo,       // of those, answers to queries with DO (signed zones: RRSIGs and proofs)
  kSignedProof,    // of those, with a denial proof built here (NXDOMAIN, wildcard: dns_signed_proof)
  // DNS cookies (RFC 7873, RFC 9018), with cookie secrets configured:
  kCookieValid,    // a server cookie of ours, in time
  kCookieNew,      // a client cookie alone: answered with a fresh server cookie
  kCookieBad,      // a server cookie not ours, expired or of another length: BADCOOKIE
  kCookieMalformed,// a COOKIE option of a length RFC 7873 5.2.2 calls malformed: FORMERR
  // The slow path's own replies.
  kFormerr,        // QDCOUNT != 1, a malformed question or record, trailing bytes
  kNotimp,         // an opcode we do not serve (IQUERY, STATUS, ...), QTYPE 0, AXFR over UDP
  kNotauth,        // NOTIFY, UPDATE, zone transfers, TSIG-signed queries
  kRefusedClass,   // a class other than IN (or ANY)
  kRefusedNoTable, // no answer table yet
  kServfail,       // the core would not plan a query the slow path accepted (a bug, answered safely)
  // Not answered.
  kDropShort,      // fewer than 12 bytes: no header to answer
  kDropResponse,   // QR set: a response is never answered
  kDropForeign,    // to an address of a wildcard socket that is not a VIP
  kSendErrors,     // a reply the kernel would not take
  kTcpAccepted,
  kTcpOverLimit,   // closed at once: max_connections were open
  kTcpIdleClosed,  // closed after idle_timeout without a query (or without taking its replies)
  kDnsSlowCounterCount,
};

inline constexpr std::array<const char*, kDnsSlowCounterCount> kDnsSlowCounterNames = {
    "udp_queries",      "tcp_queries",   "answer_noerror", "answer_nodata",  "answer_nxdomain",
    "answer_referral",  "answer_refused", "answer_truncated", "answer_badvers", "any_minimal",
    "answer_do",        "signed_proof",
    "cookie_valid",     "cookie_new",    "cookie_bad",     "cookie_malformed",
    "formerr",          "notimp",        "notauth",        "refused_class",  "refused_no_table",
    "servfail",
    "drop_short",       "drop_response", "drop_foreign",   "send_errors",    "tcp_accepted",
    "tcp_over_limit",   "tcp_idle_closed",
};

// The answer counter for a core outcome. AC_DNS_OUT_SLIPPED, the fast path's rate limiting,
// never happens here: the slow path is not rate-limited. AC_DNS_OUT_BADCOOKIE is counted as
// cookie_bad.
inline DnsSlowCounter answer_counter(unsigned outcome) {
  if (outcome == AC_DNS_OUT_BADCOOKIE) return kCookieBad;
  return outcome <= AC_DNS_OUT_BADVERS ? static_cast<DnsSlowCounter>(kAnswerNoerror + outcome) : kAnswerNoerror;
}
static_assert(kAnswerBadvers - kAnswerNoerror == AC_DNS_OUT_BADVERS && AC_DNS_OUT_BADCOOKIE + 1 == AC_DNS_OUT__COUNT,
              "one answer counter per ac_dns_outcome the slow path makes");

struct DnsSlowStats {
  std::array<std::uint64_t, kDnsSlowCounterCount> count{};
  std::uint64_t tcp_open = 0;  // connections open now
};

}  // namespace anycastd::dns_server
