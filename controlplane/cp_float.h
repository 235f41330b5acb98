/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_FLOAT_H
#define SL_CP_FLOAT_H

/*
 * Sessions moving between client endpoints (cp_float.c), event loop only:
 * a float the data plane made, and a session whose endpoint a new one
 * takes. Built apart from cp_loop.c so the unit tests run it with
 * stand-ins for the loop.
 */
#include "cp.h"

/* OLD had an endpoint a new session or a float takes: it ends. */
void cp_float_replace(struct cp *cp, struct cp_session *old);
/* The data plane moved S's peer to TO (SL_EVT_PEER_FLOAT). */
void cp_float_to(struct cp *cp, struct cp_session *s, const struct sl_endpoint *to);

#endif
