/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_V2USER_H
#define SL_CP_V2USER_H

/*
 * The user check at the tls-crypt-v2 unwrap (cp_v2user.c): a client key
 * made by `sluicectl user profile` carries metadata naming its user
 * (type USER, OpenVPN src/openvpn/tls_crypt.c; sl_pki_tc2_client_key), so
 * a removed or disabled user is refused before any TLS work.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cp_ctx.h"
#include "sl_api.h"

/*
 * May the client key whose metadata is META (LEN bytes, as unwrapped)
 * open a session? False when it names a user the user store does not
 * hold or holds with VPN access off (logged with the user, the reason and
 * FROM, once per user per few seconds); true for other metadata (keys
 * made elsewhere: TLS and the CRL judge them) and without a user store.
 */
bool cp_v2user_allowed(struct cp_ctx *ctx, const uint8_t *meta, size_t len,
		       const struct sl_endpoint *from);

#endif
