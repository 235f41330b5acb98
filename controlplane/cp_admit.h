/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_ADMIT_H
#define SL_CP_ADMIT_H

/*
 * Admission (cp_admit.c): packets from clients without a session, on the
 * event loop. The stateless cookie reply to a hard reset, and the third
 * packet that echoes it, which may start a session.
 */
#include "cp_session.h"

enum cp_admit_verdict { CP_ADMIT_DROP, CP_ADMIT_REPLY, CP_ADMIT_NEW };

struct cp_admit;

struct cp_admit *cp_admit_new(struct cp_ctx *ctx);
void cp_admit_free(struct cp_admit *a);
/* REPLY: *reply is the cookie reply to send; NEW: *ok describes the session. */
enum cp_admit_verdict cp_admit_packet(struct cp_admit *a, const struct cp_pkt *in,
				      uint64_t now_s, struct cp_pkt **reply,
				      struct cp_admit_ok *ok);
/* Per-source new-session limit (control.connect_rate per 10 s); counts one. */
bool cp_admit_rate_ok(struct cp_admit *a, const struct sl_addr *addr, uint64_t now_s);

#endif
