/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_AUTH_H
#define SL_CP_AUTH_H

/*
 * Key method 2 and authentication (cp_auth.c): the client's first record
 * on a key state -> peer-info, certificate name, username/password, NCP
 * -> our key method 2 reply -> data keys derived and handed on
 * (cp_datakeys.c), or AUTH_FAILED.
 */
#include "cp_keystate.h"

/* MSG is the client's key method 2 message on KS. 0 or < 0 (session ended). */
int cp_auth_km(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
	       const uint8_t *msg, size_t len, uint64_t now);

#endif
