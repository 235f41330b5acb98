/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_PROFILE_H
#define SL_PROFILE_H

/*
 * Client profiles: a complete .ovpn a stock OpenVPN 2.4-2.6 client accepts
 * (options as OpenVPN src/openvpn/options.c reads them; inline blocks
 * <ca> <cert> <key> <tls-crypt-v2> <tls-crypt> <tls-auth>), or the same
 * as separate files in a folder (--split): client.ovpn naming ca.crt,
 * USER.crt, USER.key, the wrapping key and auth.txt by relative names, so
 * the client runs it from that folder (openvpn --cd DIR --config
 * client.ovpn).
 *
 * tls-crypt-v2 needs a 2.5+ client; 2.4 clients use tls-crypt or tls-auth.
 * The username-only auth.txt (password prompted) needs a 2.6 client.
 */
#include <stdbool.h>
#include <stdint.h>

#include "sl_pki.h"

#define SL_PROFILE_HOST_MAX	256

struct sl_profile_remote {
	char host[SL_PROFILE_HOST_MAX];	/* DNS name or address */
	uint16_t port;
	bool tcp;			/* "tcp-client", else "udp" */
};

enum sl_profile_wrap {
	SL_PROFILE_WRAP_NONE = 0,
	SL_PROFILE_WRAP_TC2,		/* <tls-crypt-v2>: the user's client key */
	SL_PROFILE_WRAP_TC,		/* <tls-crypt>: the shared static key */
	SL_PROFILE_WRAP_TA,		/* <tls-auth> + key-direction */
};

struct sl_profile {
	const char *user;		/* username: comment, split file names */
	const struct sl_profile_remote *remotes;
	unsigned n_remotes;		/* >= 1 */
	const char *data_ciphers;	/* "AES-256-GCM:AES-128-GCM", NULL: omitted */
	const char *cipher;		/* fallback / 2.4 cipher, NULL: omitted */
	const char *auth;		/* HMAC digest ("SHA256"), NULL: omitted */
	const char *server_cn;		/* verify-x509-name, NULL: omitted */
	bool auth_user_pass;
	enum sl_profile_wrap wrap;
	const char *wrap_key;		/* key text for the wrapping mode */
	int key_direction;		/* tls-auth: the client's (1), or -1 */
	const char *ca_pem, *cert_pem, *key_pem;	/* key_pem NULL: no <key> */
};

/*
 * The inline profile, malloc'd NUL-terminated text (the caller wipes and
 * frees it: it holds the private key). NULL with *e filled when a field is
 * missing or unsafe (a host, user or cipher name with whitespace or
 * control characters, a PEM block with a "</" line).
 */
char *sl_profile_render(const struct sl_profile *p, struct sl_pki_error *e);

/*
 * The split profile in DIR (created 0700 if missing): client.ovpn, ca.crt,
 * USER.crt, USER.key, the wrapping key (tls-crypt-v2.key, tls-crypt.key or
 * tls-auth.key), USER.enc.key when key_pem_enc != NULL (the passphrase-
 * protected copy), and auth.txt when auth_user_pass (the username, then
 * password on a second line only when password != NULL). All files 0600,
 * each written to a temporary file and renamed, so a rerun replaces them
 * whole. 0 or -1 with *e filled.
 */
int sl_profile_split(const struct sl_profile *p, const char *dir,
		     const char *key_pem_enc, const char *password,
		     struct sl_pki_error *e);

#endif
