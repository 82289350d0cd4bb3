/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DNS packet core on a message (docs/dns.md, "Packet core API"), shared by the fast paths
 * (through decide.h and respond.h, on the UDP payload) and the slow-path server (UDP datagrams
 * and TCP messages):
 *
 *   __u8 ac_dns_plan(struct ac_env *, const __u8 *msg, const __u8 *end, __u32 max_reply,
 *                    __u32 flags, struct ac_dns_plan *plan);          dns_wire.h
 *   __u32 ac_dns_write(struct ac_env *, __u8 *msg, __u8 *end, const struct ac_dns_plan *, __u32 *moved);
 *                                                                      dns_answer.h
 *
 * The env hooks they call are listed in dns_wire.h.
 */
#ifndef ANYCASTD_CORE_DNS_H
#define ANYCASTD_CORE_DNS_H

#include "dns_answer.h"
#include "dns_wire.h"

#endif /* ANYCASTD_CORE_DNS_H */
