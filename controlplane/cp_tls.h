/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_TLS_H
#define SL_CP_TLS_H

/*
 * The TLS server context of the control channel (cp_tls.c): certificate,
 * key, CA and CRL from pki.*, the CRL re-read when its file changes.
 * Thread-safe.
 */
#include <openssl/ssl.h>

#include "cfg.h"

struct cp_tls;

struct cp_tls *cp_tls_new(const struct cfg_pki *pki, char *err, size_t errlen);
void cp_tls_free(struct cp_tls *t);
/* A server-side TLS object for a new key state. */
SSL *cp_tls_ssl_new(struct cp_tls *t);
/* Re-read the CRL if its file changed; 1 reloaded, 0 unchanged, < 0 error. */
int cp_tls_reload(struct cp_tls *t, char *err, size_t errlen);
/* Common name of the verified client certificate into cn. */
int cp_tls_peer_cn(SSL *ssl, char *cn, size_t len);

#endif
