/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_ADOPT_H
#define SL_CP_ADOPT_H

/*
 * Adoption of the data-plane peers a previous control plane left behind
 * (cp_adopt.c): sessions without TLS state, listed and killable, ended by
 * the event loop.
 */
#include "cp.h"

/*
 * A session for the data-plane peer peer_id (its entry of
 * sl_status.peers, in use): info from the entry, peer-id and address
 * reserved in the pool. 0 with *out (one reference, for the caller's
 * table), -ENOMEM, or cp_pool_adopt()'s error (-ERANGE, -EBUSY).
 */
int cp_adopt_session(struct cp_ctx *ctx, uint32_t peer_id, const struct sl_peer_stats *ps,
		     struct cp_session **out);
const char *cp_adopt_cipher_name(uint8_t cipher);
/*
 * Must the adopted session S end now? At adoption (crl_changed false)
 * and on every CRL change (true): CP_END_USER_GONE when passwords are on
 * and its user is not in the store any more; CP_END_CRL_UNKNOWN on a
 * CRL change, as its certificate's serial died with the previous
 * control plane and cannot be checked; else CP_END_NONE.
 */
enum cp_end cp_adopt_recheck(const struct cp_ctx *ctx, const struct cp_session *s,
			     bool crl_changed);
/* At start: adopt every in-use peer of sl_status.peers, remove the rest. */
void cp_adopt_orphans(struct cp *cp);
/* C is about to go to the data plane: a PEER_NEW for an adopted session's
 * address or name ends that session first. */
void cp_adopt_replace(struct cp *cp, const struct sl_cmd *c);
/* A data-plane event (not a command result) for the adopted session S. */
void cp_adopt_event(struct cp *cp, struct cp_session *s, const struct sl_event *e);
/* End S now if it is adopted (no worker can); false if it is not. */
bool cp_adopt_end(struct cp *cp, struct cp_session *s, enum cp_end why);

#endif
