/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-channel wrapping keys from the config: at most one of
 * pki.tls_crypt, pki.tls_crypt_v2 (the server key) and pki.tls_auth
 * (with pki.tls_auth_direction, HMAC-SHA1 as OpenVPN's default --auth).
 * The key bytes stay here for the life of the process (every session
 * makes its own wrap context from them) and are wiped at exit. Formats
 * and directions as OpenVPN reads them (src/openvpn/crypto.c,
 * read_key_file; tls_crypt.c for tls-crypt and tls-crypt-v2).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cp_wrapkeys.h"
#include "ovpn_key_file.h"

struct cp_wrapkeys {
	enum cp_wrap_mode mode;
	enum ovpn_key_dir dir;
	uint8_t key2[OVPN_KEY2_LEN];
	struct ovpn_wrap_v2_server *v2;
};

static int read_key(const char *what, const char *path, struct cp_wrapkeys *k,
		    char *err, size_t errlen)
{
	struct ovpn_key_file_error e = { 0 };
	uint8_t v2key[OVPN_V2_SERVER_KEY_LEN];
	char text[OVPN_KEY_FILE_MAX];
	size_t len;
	int rc = ovpn_key_file_load(path, text, sizeof(text), &len, &e);

	if (rc == 0 && k->mode == CP_WRAP_TLS_CRYPT_V2)
		rc = ovpn_key_file_parse_v2_server(text, len, v2key, &e);
	else if (rc == 0)
		rc = ovpn_key_file_parse_static(text, len, k->key2, &e);
	if (rc == 0 && k->mode == CP_WRAP_TLS_CRYPT_V2) {
		k->v2 = ovpn_wrap_v2_server_new(v2key, &rc);
		if (k->v2 != NULL)
			rc = 0;
	}
	OPENSSL_cleanse(text, sizeof(text));
	OPENSSL_cleanse(v2key, sizeof(v2key));
	if (rc != 0)
		snprintf(err, errlen, "%s %s: %s", what, path,
			 e.msg[0] ? e.msg : ovpn_key_file_strerror(rc));
	return rc == 0 ? 0 : -EINVAL;
}

struct cp_wrapkeys *cp_wrapkeys_load(const struct cfg_pki *pki, char *err, size_t errlen)
{
	struct cp_wrapkeys *k = calloc(1, sizeof(*k));
	int rc = 0;

	if (k == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (pki->tls_crypt[0] != '\0') {
		k->mode = CP_WRAP_TLS_CRYPT;
		rc = read_key("pki.tls_crypt", pki->tls_crypt, k, err, errlen);
	} else if (pki->tls_crypt_v2[0] != '\0') {
		k->mode = CP_WRAP_TLS_CRYPT_V2;
		rc = read_key("pki.tls_crypt_v2", pki->tls_crypt_v2, k, err, errlen);
	} else if (pki->tls_auth[0] != '\0') {
		k->mode = CP_WRAP_TLS_AUTH;
		k->dir = pki->tls_auth_direction < 0 ? OVPN_KEY_DIR_BIDI :
			 pki->tls_auth_direction == 1 ? OVPN_KEY_DIR_INVERSE :
			 OVPN_KEY_DIR_NORMAL;
		rc = read_key("pki.tls_auth", pki->tls_auth, k, err, errlen);
	}
	if (rc != 0) {
		cp_wrapkeys_free(k);
		return NULL;
	}
	return k;
}

void cp_wrapkeys_free(struct cp_wrapkeys *k)
{
	if (k == NULL)
		return;
	ovpn_wrap_v2_server_free(k->v2);
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

enum cp_wrap_mode cp_wrapkeys_mode(const struct cp_wrapkeys *k)
{
	return k->mode;
}

const char *cp_wrapkeys_mode_name(const struct cp_wrapkeys *k)
{
	static const char *const names[] = {
		[CP_WRAP_NONE] = "none", [CP_WRAP_TLS_AUTH] = "tls-auth",
		[CP_WRAP_TLS_CRYPT] = "tls-crypt", [CP_WRAP_TLS_CRYPT_V2] = "tls-crypt-v2",
	};

	return names[k->mode];
}

struct ovpn_wrap_v2_server *cp_wrapkeys_v2_server(struct cp_wrapkeys *k)
{
	return k->v2;
}

struct ovpn_wrap *cp_wrapkeys_wrap_new(const struct cp_wrapkeys *k, const uint8_t *kc)
{
	int err;

	switch (k->mode) {
	case CP_WRAP_TLS_CRYPT:
		return ovpn_wrap_tls_crypt_new(k->key2, true, &err);
	case CP_WRAP_TLS_CRYPT_V2:
		return kc ? ovpn_wrap_tls_crypt_new(kc, true, &err) : NULL;
	case CP_WRAP_TLS_AUTH:
		return ovpn_wrap_tls_auth_new(k->key2, OVPN_WRAP_SHA1, k->dir, &err);
	default:
		return NULL;
	}
}
