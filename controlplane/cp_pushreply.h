/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_PUSHREPLY_H
#define SL_CP_PUSHREPLY_H

/*
 * PUSH_REPLY (cp_pushreply.c): the client's configuration (address,
 * routes, DNS, ping, cipher, peer-id, compression framing) once its first
 * keys are in; the "connect:" log line.
 */
#include "cp_keystate.h"

void cp_pushreply_send(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks);

#endif
