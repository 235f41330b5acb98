/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_ADMIT_H
#define SL_CP_ADMIT_H

/*
 * Admission (cp_admit.c): packets from clients without a session, on the
 * event loop. The stateless cookie reply to a hard reset, the third
 * packet that echoes it, and the limits on the sessions it may start.
 */
#include "cp_session.h"

enum cp_admit_verdict { CP_ADMIT_DROP, CP_ADMIT_REPLY, CP_ADMIT_NEW };

struct cp_admit;

struct cp_admit *cp_admit_new(struct cp_ctx *ctx);
void cp_admit_free(struct cp_admit *a);
/*
 * REPLY: *reply is the cookie reply to send; NEW: *ok describes the
 * session. LIVE is the session at IN's endpoint whose client session id
 * IN does not carry (cp_table.c), or NULL: a hard reset answered there is
 * noted with it, and only a third packet for one of those may start a
 * session that replaces it.
 */
enum cp_admit_verdict cp_admit_packet(struct cp_admit *a, const struct cp_pkt *in,
				      struct cp_session *live, uint64_t now_s,
				      struct cp_pkt **reply, struct cp_admit_ok *ok);
/*
 * The session OK describes, unless a limit says no (counted): handshakes
 * in progress (control.max_half_open), sessions (vpn.max_clients and a
 * few spare for replacements), new sessions per source (control.connect_rate
 * per 10 s). NULL when refused or out of memory.
 */
struct cp_session *cp_admit_session(struct cp_admit *a, const struct cp_admit_ok *ok,
				    uint64_t now_s, uint64_t now_ms);

#endif
