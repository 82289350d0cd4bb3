/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writing the answer the decision chose. Echo (RFC 862) is the request with its addresses
 * swapped, so its reply has the request's length and needs nothing from the datapath.
 */
#ifndef ANYCASTD_CORE_RESPOND_H
#define ANYCASTD_CORE_RESPOND_H

#include "decide.h"
#include "reply.h"

static __always_inline void ac_respond(struct ac_headers *h, struct ac_verdict v)
{
	switch (v.service) {
	case AC_SVC_ECHO:
		ac_reply_swap(h);
		break;
	default:
		break;
	}
}

#endif /* ANYCASTD_CORE_RESPOND_H */
