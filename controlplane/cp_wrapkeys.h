/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_WRAPKEYS_H
#define SL_CP_WRAPKEYS_H

/*
 * Control-channel wrapping keys (cp_wrapkeys.c): tls-auth, tls-crypt or
 * the tls-crypt-v2 server key from pki.*, and the per-session wrap
 * contexts made from them.
 */
#include <stdint.h>

#include "cfg.h"
#include "ovpn_wrap.h"
#include "ovpn_wrap_v2.h"

enum cp_wrap_mode { CP_WRAP_NONE, CP_WRAP_TLS_AUTH, CP_WRAP_TLS_CRYPT, CP_WRAP_TLS_CRYPT_V2 };

struct cp_wrapkeys;

struct cp_wrapkeys *cp_wrapkeys_load(const struct cfg_pki *pki, char *err, size_t errlen);
void cp_wrapkeys_free(struct cp_wrapkeys *k);
enum cp_wrap_mode cp_wrapkeys_mode(const struct cp_wrapkeys *k);
/* "none", "tls-auth", "tls-crypt" or "tls-crypt-v2". */
const char *cp_wrapkeys_mode_name(const struct cp_wrapkeys *k);
/* A per-session wrap context: kc for tls-crypt-v2, NULL otherwise. */
struct ovpn_wrap *cp_wrapkeys_wrap_new(const struct cp_wrapkeys *k, const uint8_t *kc);
struct ovpn_wrap_v2_server *cp_wrapkeys_v2_server(struct cp_wrapkeys *k);

#endif
