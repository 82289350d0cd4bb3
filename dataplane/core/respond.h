/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writing the answer the decision chose. Echo (RFC 862) is the request with its addresses
 * swapped, so its reply has the request's length and needs nothing from the datapath. NTP
 * (ntp.h) swaps the same way and rewrites the 48-byte header in place: the same length again,
 * with the datapath's clock read through the env. A source over its rate limit gets NTP's
 * kiss-o'-death instead, the same length again and without the clock.
 */
#ifndef ANYCASTD_CORE_RESPOND_H
#define ANYCASTD_CORE_RESPOND_H

#include "decide.h"
#include "reply.h"

static __always_inline void ac_respond(struct ac_env *env, struct ac_headers *h, struct ac_verdict v)
{
	switch (v.service) {
	case AC_SVC_ECHO:
		ac_reply_swap(h);
		break;
	case AC_SVC_NTP: {
		if (v.limited) {
			ac_reply_swap(h);
			ac_ntp_kod(h->udp);
			break;
		}
		__u64 receive_tai_ns = ac_env_tai_ns(env); /* as early as the reply allows */
		ac_reply_swap(h);
		ac_ntp_reply(env, (struct ac_ntp_packet *)(h->udp + 1), h->udp, h->ntp, receive_tai_ns);
		break;
	}
	default:
		break;
	}
}

#endif /* ANYCASTD_CORE_RESPOND_H */
