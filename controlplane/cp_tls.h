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
#include "cp_ctx.h"

struct cp_tls;

/*
 * Which certificate a session was verified with, kept so a CRL change can
 * be checked against live sessions without their TLS state: the serial
 * (the DER of its ASN1_INTEGER; RFC 5280 allows 20 content octets) and
 * the SHA-256 of the issuer name's DER. len 0: unknown.
 */
#define CP_SERIAL_DER_MAX	24
struct cp_cert_id {
	uint8_t serial[CP_SERIAL_DER_MAX];
	uint8_t len;
	uint8_t issuer[32];
};

/* What verification saw of a client's certificate: the SSL object's app
 * data (SSL_set_app_data), filled by the verify callback. */
struct cp_tls_peer {
	char cn[CP_NAME_MAX];		/* the leaf's common name; "" if refused */
	const char *refused;		/* why its name was refused, or NULL */
	struct cp_cert_id id;		/* the leaf's serial and issuer */
};

/* legacy: control.legacy_tls (TLS 1.0+, SHA-1 suites; RSA key required). */
struct cp_tls *cp_tls_new(const struct cfg_pki *pki, bool legacy, char *err, size_t errlen);
void cp_tls_free(struct cp_tls *t);
/* A server-side TLS object for a new key state. */
SSL *cp_tls_ssl_new(struct cp_tls *t);
/* Re-read the CRL if its file changed; 1 reloaded, 0 unchanged, < 0 error. */
int cp_tls_reload(struct cp_tls *t, char *err, size_t errlen);
/* Is the certificate ID revoked by the CRL now loaded (pki.crl)? False
 * when there is no CRL or ID is unknown. Thread-safe. */
bool cp_tls_revoked(struct cp_tls *t, const struct cp_cert_id *id);
/* Common name of the verified client certificate into cn (len >=
 * CP_NAME_MAX); 0, or -EINVAL when it has none we accept. */
int cp_tls_peer_cn(SSL *ssl, char *cn, size_t len);

#endif
