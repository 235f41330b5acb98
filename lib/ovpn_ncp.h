/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_NCP_H
#define OVPN_NCP_H

/*
 * Data-cipher negotiation, server side, as OpenVPN 2.6 does it
 * (OpenVPN src/openvpn/ssl_ncp.c ncp_get_best_cipher and
 * multi.c multi_client_set_protocol_options):
 *
 *   client list = IV_CIPHERS             if the client sent it
 *               = AES-256-GCM:AES-128-GCM if IV_NCP >= 2
 *               = empty                  otherwise
 *   walk the server's data-ciphers in order; the first entry that is in
 *   the client list wins; without IV_CIPHERS an entry equal to the
 *   client's OCC "cipher" also wins (2.3/2.4 clients);
 *   no winner, and the client gave no list and either no OCC cipher or
 *   the fallback's: data-ciphers-fallback if configured;
 *   otherwise fail: AUTH_FAILED,Data channel cipher negotiation failed
 *   (no shared cipher).
 *
 * Names are compared case-insensitively (OpenSSL names are) and the
 * result is spelled as the client spelled it, because a 2.6 client checks
 * the pushed name against its own list with strcmp.
 */
#include <stdbool.h>

#include "ovpn_peerinfo.h"

#define OVPN_NCP_NAME_MAX	64
/* The reason OpenVPN puts into AUTH_FAILED when negotiation fails. */
#define OVPN_NCP_FAIL_REASON \
	"Data channel cipher negotiation failed (no shared cipher)"

enum ovpn_ncp_source {
	OVPN_NCP_SRC_IV_CIPHERS = 1,	/* matched the client's IV_CIPHERS */
	OVPN_NCP_SRC_IV_NCP,		/* matched the implied IV_NCP=2 list */
	OVPN_NCP_SRC_OCC,		/* matched the client's OCC cipher */
	OVPN_NCP_SRC_FALLBACK,		/* data-ciphers-fallback */
};

struct ovpn_ncp_result {
	char cipher[OVPN_NCP_NAME_MAX];
	enum ovpn_ncp_source source;
	/*
	 * Push "cipher <name>" only to NCP-capable clients (IV_NCP >= 2 or
	 * IV_CIPHERS); others would log an error for the unknown option.
	 */
	bool push;
};

/*
 * Select the data cipher.
 *   server_ciphers  colon-separated data-ciphers, in preference order
 *   pi              parsed peer-info, or NULL if the client sent none
 *   occ_cipher      "cipher" from the client's OCC options string or NULL
 *   fallback        data-ciphers-fallback or NULL
 * Returns 0 with *res filled, or
 *   -EINVAL   NULL server_ciphers/res, or a name longer than
 *             OVPN_NCP_NAME_MAX - 1
 *   -ENOENT   no shared cipher; *reason says why (for the log) and the
 *             client should get AUTH_FAILED,OVPN_NCP_FAIL_REASON.
 * Thread-safe.
 */
int ovpn_ncp_select(const char *server_ciphers, const struct ovpn_peerinfo *pi,
		    const char *occ_cipher, const char *fallback,
		    struct ovpn_ncp_result *res, const char **reason);

/* true if name is an entry of the colon-separated list (case-insensitive). */
bool ovpn_ncp_list_has(const char *list, const char *name);

#endif
