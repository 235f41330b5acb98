/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key method 2 and authentication, the step after TLS: the client's first
 * record on a key state is its key method 2 message (OpenVPN
 * src/openvpn/ssl.c, key_method_2_read):
 *
 *   key-id 0:  peer-info and options (what the client can do), the
 *              certificate's common name, username/password when
 *              pki.auth_user_pass (cp_users.c; the verified username is
 *              then the session's identity, else the common name is),
 *              the data cipher (NCP,
 *              ssl_ncp.c) -> our key method 2 reply (key_method_2_write)
 *              -> data keys (EKM or the legacy PRF) to cp_datakeys.c
 *   key-id n:  the same certificate, the same user and its password again
 *
 * The reply goes out even when auth failed, then AUTH_FAILED, and the
 * session ends once that was acked (push.c, send_auth_failed). AUTH_FAILED
 * carries no reason (unknown user and wrong password look the same to a
 * guesser); the reason is in our log. Key material lives in locals wiped
 * at one exit label.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "cp_auth.h"
#include "cp_datakeys.h"
#include "cp_tls.h"
#include "cp_users.h"
#include "ovpn_km.h"
#include "ovpn_ncp.h"
#include "ovpn_push.h"
#include "ovpn_push_occ.h"
#include "sl_log.h"

/* enum sl_cipher of an OpenVPN cipher name (cp_datakeys.c has the table). */
static uint8_t cipher_of(const char *name)
{
	for (uint8_t c = SL_CIPHER_NONE + 1; c < SL_CIPHER_COUNT; c++)
		if (strcasecmp(name, cp_datakeys_cipher_name(c)) == 0)
			return c;
	return SL_CIPHER_NONE;
}

static uint8_t framing_of(enum ovpn_push_comp c)
{
	switch (c) {
	case OVPN_PUSH_COMP_LZO_NO: return SL_FRAMING_COMP_LZO;
	case OVPN_PUSH_COMP_STUB_V2: return SL_FRAMING_STUB_V2;
	default: return SL_FRAMING_NONE;
	}
}

/* Refused for WHY (our log); the client is told TELL (NULL: nothing). */
static void refuse_tell(struct cp_session *s, const char *why, const char *tell)
{
	if (s->p.auth_failed)
		return;
	s->p.auth_failed = true;
	s->p.auth_tell = tell;
	snprintf(s->p.auth_reason, sizeof(s->p.auth_reason), "%s", why);
}

static void refuse(struct cp_session *s, const char *why)
{
	refuse_tell(s, why, NULL);
}

/* HMAC-SHA256 of username NUL password under the session's key. The
 * username was validated (CP_IDENTITY_MAX). 0 or -EIO. */
static int cred_digest(const struct cp_session *s, const struct ovpn_km_client *km,
		       uint8_t out[32])
{
	uint8_t buf[CP_IDENTITY_MAX + 1 + OVPN_KM_CRED_MAX];
	size_t ul = strnlen(km->username, CP_IDENTITY_MAX), pl = strlen(km->password);
	unsigned int n = 0;
	bool ok;

	memcpy(buf, km->username, ul);
	buf[ul] = '\0';
	memcpy(buf + ul + 1, km->password, pl);
	ok = HMAC(EVP_sha256(), s->p.cred.key, sizeof(s->p.cred.key), buf, ul + 1 + pl, out,
		  &n) != NULL && n == 32;
	OPENSSL_cleanse(buf, ul + 1 + pl);
	return ok ? 0 : -EIO;
}

/* The same credentials as the last check that passed? Constant time. */
static bool cred_cached(const struct cp_session *s, const struct ovpn_km_client *km)
{
	uint8_t d[32];
	bool same = s->p.cred.set && cred_digest(s, km, d) == 0 &&
		    CRYPTO_memcmp(d, s->p.cred.mac, sizeof(d)) == 0;

	OPENSSL_cleanse(d, sizeof(d));
	return same;
}

static void cred_remember(struct cp_session *s, const struct ovpn_km_client *km)
{
	if (!s->p.cred.set && RAND_bytes(s->p.cred.key, sizeof(s->p.cred.key)) != 1)
		return;
	s->p.cred.set = cred_digest(s, km, s->p.cred.mac) == 0;
}

/*
 * Are passwords asked for? With the durable store the snapshot is there
 * for every session (VPN access, addresses): pki.auth_user_pass decides.
 * A snapshot set without a store (unit tests) means yes.
 */
static bool passwords(const struct cp_ctx *ctx)
{
	return ctx->users != NULL && (ctx->store == NULL || ctx->cfg->pki.auth_user_pass);
}

/*
 * With a user store: the username and password must match it. True when
 * they did (the username may then be the session's identity). A
 * renegotiation that repeats the credentials of the last check that
 * passed is answered from the session's digest (cred_cached), so a client
 * cannot make us run PBKDF2 at will by renegotiating.
 */
static bool check_password(struct cp_ctx *ctx, struct cp_session *s,
			   const struct ovpn_km_client *km)
{
	struct cp_users *users;
	int rc;

	if (!passwords(ctx))
		return false;
	if (!(km->flags & OVPN_KM_F_HAS_USER) || !(km->flags & OVPN_KM_F_HAS_PASS)) {
		refuse(s, "username and password required");
		return false;
	}
	if (cred_cached(s, km))
		return true;
	users = cp_ctx_users_get(ctx);	/* the loop may swap in a new file */
	rc = cp_users_check(users, km->username, km->password);
	cp_users_free(users);
	if (rc != 0) {
		refuse(s, rc == -ENOENT ? "unknown user" : rc == -EACCES ? "wrong password" :
			  rc == -EPERM ? "VPN access off" : "password check failed");
		return false;
	}
	cred_remember(s, km);
	return true;
}

/*
 * A username the client sends must be one the store could hold
 * (cp_users_name_ok: printable, no spaces, at most CP_IDENTITY_MAX bytes),
 * also with passwords off: it is logged, and a client sending anything
 * else is broken or probing. Refused before any lookup.
 */
static bool username_ok(struct cp_session *s, const struct ovpn_km_client *km)
{
	if (!(km->flags & OVPN_KM_F_CRED_TOO_LONG) &&
	    (!(km->flags & OVPN_KM_F_HAS_USER) || cp_users_name_ok(km->username)))
		return true;
	refuse(s, "invalid username");
	return false;
}

/* The refused line names the username tried when it is not the identity. */
static void auth_refused_log(struct cp_session *s, const struct ovpn_km_client *km)
{
	bool other = (km->flags & OVPN_KM_F_HAS_USER) && strcmp(km->username, s->p.user) != 0;

	SL_INFO("auth: %s: refused: %s%s%s", CP_WHO(s), s->p.auth_reason,
		other ? "; username " : "", other ? SL_ESC(km->username) : "");
}

/* Peer-info and the OCC string: what the client can do. */
static int read_peer(struct cp_session *s, const struct ovpn_km_client *km, struct ovpn_occ *occ)
{
	const char *why = NULL;

	if ((km->flags & OVPN_KM_F_HAS_PEERINFO) &&
	    ovpn_peerinfo_parse(km->peer_info, km->peer_info_len, &s->p.pi, &why) != 0) {
		SL_INFO("auth: %s: bad peer-info: %s", CP_WHO(s), why);
		return -EBADMSG;
	}
	/* Only compared for warnings by OpenVPN; a bad one is not fatal. */
	if (ovpn_push_occ_parse(km->options, strlen(km->options), occ, &why) != 0)
		memset(occ, 0, sizeof(*occ));
	s->p.iv_proto = s->p.pi.proto;
	s->p.ekm = (s->p.pi.proto & OVPN_IV_PROTO_TLS_KEY_EXPORT) != 0;
	s->p.push_comp = ovpn_push_comp_select(ovpn_occ_has(occ, OVPN_OCC_COMP_LZO), &s->p.pi);
	s->p.framing = framing_of(s->p.push_comp);
	return 0;
}

/*
 * The data cipher: NCP over vpn.data_ciphers (AEAD and CBC alike), the
 * client's OCC cipher for 2.3/2.4 clients without a list, else vpn.cipher
 * as OpenVPN's data-ciphers-fallback (ssl_ncp.c). CBC keys take vpn.auth,
 * which OpenVPN never negotiates: a client whose OCC string names another
 * digest gets a warning in our log (its packets will fail the HMAC), as
 * OpenVPN's options_cmp_equal only warns.
 */
static void negotiate(struct cp_ctx *ctx, struct cp_session *s, const struct ovpn_occ *occ)
{
	const struct cfg_vpn *v = &ctx->cfg->vpn;
	struct ovpn_ncp_result res;
	const char *why = NULL;
	bool has_pi = s->p.pi.seen != 0;

	if (ovpn_ncp_select(ctx->data_ciphers, has_pi ? &s->p.pi : NULL,
			    ovpn_occ_has(occ, OVPN_OCC_CIPHER) ? occ->cipher : NULL, v->cipher,
			    &res, &why) != 0 ||
	    ovpn_kdf_cipher_lookup(res.cipher, v->auth, &s->p.kc) != 0) {
		SL_INFO("auth: %s: %s", CP_WHO(s), why ? why : "no cipher");
		refuse_tell(s, OVPN_NCP_FAIL_REASON, OVPN_NCP_FAIL_REASON);
		return;
	}
	snprintf(s->p.cipher, sizeof(s->p.cipher), "%.*s", (int)sizeof(s->p.cipher) - 1,
		 res.cipher);
	s->p.ncp_push = res.push;
	s->p.sl_cipher = cipher_of(res.cipher);
	if (!s->p.kc.aead && ovpn_occ_has(occ, OVPN_OCC_AUTH) &&
	    strcasecmp(occ->auth, v->auth) != 0)
		SL_WARN("auth: %s: client's auth %s differs from vpn.auth %s", CP_WHO(s),
			SL_ESC(occ->auth), v->auth);
	if (res.source == OVPN_NCP_SRC_FALLBACK || res.source == OVPN_NCP_SRC_OCC)
		SL_INFO("auth: %s: no cipher list from the client: %s (%s)", CP_WHO(s),
			s->p.cipher, res.source == OVPN_NCP_SRC_OCC ? "its OCC cipher" : "vpn.cipher");
}

/*
 * Pre-2.4 clients: no DATA_V2 in IV_PROTO means P_DATA_V1 without a
 * peer-id (OpenVPN ssl.c, push.c: peer-id is pushed only to DATA_V2
 * clients), served only with vpn.data_v1. Legacy TLS (below TLS 1.2) is
 * logged for every session that uses it.
 */
static void legacy_checks(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks)
{
	int ver = SSL_version(ks->ssl);

	if (!ovpn_peerinfo_proto(&s->p.pi, OVPN_IV_PROTO_DATA_V2) && !ctx->cfg->vpn.data_v1)
		refuse(s, "pre-2.4 client (P_DATA_V1, no peer-id) and vpn.data_v1 is false");
	if (ver < TLS1_2_VERSION)
		SL_INFO("auth: %s: legacy TLS %s %s (control.legacy_tls)", CP_WHO(s),
			SSL_get_version(ks->ssl), SSL_get_cipher_name(ks->ssl));
}

/*
 * The session's identity (s->p.user: the name its address, its data-plane
 * peer and `sluicectl kill` follow) is only what was verified: the
 * username once its password matched the user store, else the
 * certificate's common name. With passwords off nothing checks a
 * username, so one sent anyway is ignored.
 */
static void first_km(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
		     const struct ovpn_km_client *km)
{
	struct ovpn_occ occ = { 0 };

	cp_tls_peer_cn(ks->ssl, s->p.cn, sizeof(s->p.cn));
	snprintf(s->p.user, sizeof(s->p.user), "%s", s->p.cn);
	if (read_peer(s, km, &occ) != 0) {
		refuse(s, "malformed peer-info");
		return;
	}
	if (username_ok(s, km)) {
		if (!passwords(ctx) && (km->flags & OVPN_KM_F_HAS_USER))
			SL_INFO("auth: %s: unverified username ignored: %s", CP_WHO(s),
				SL_ESC(km->username));
		else if (check_password(ctx, s, km))	/* valid names fit */
			snprintf(s->p.user, sizeof(s->p.user), "%.*s",
				 (int)sizeof(s->p.user) - 1, km->username);
	}
	legacy_checks(ctx, s, ks);
	if (!s->p.auth_failed)
		negotiate(ctx, s, &occ);
	if (s->p.auth_failed)
		auth_refused_log(s, km);
	else
		SL_INFO("auth: %s: ok (%s, IV_PROTO %u, %s)", CP_WHO(s),
			s->p.pi.ver[0] ? SL_ESC(s->p.pi.ver) : "no IV_VER", s->p.iv_proto,
			s->p.ekm ? "tls-ekm" : "prf");
}

/* Renegotiations repeat KM2: the same certificate, the same user and its
 * password again. */
static void reneg_km(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
		     const struct ovpn_km_client *km)
{
	char cn[CP_NAME_MAX];

	cp_tls_peer_cn(ks->ssl, cn, sizeof(cn));
	if (strcmp(cn, s->p.cn) != 0)
		refuse(s, "certificate changed in renegotiation");
	else if (username_ok(s, km) && passwords(ctx) &&
		 (km->flags & OVPN_KM_F_HAS_USER) && strcmp(km->username, s->p.user) != 0)
		refuse(s, "username changed in renegotiation");	/* not hashed */
	else if (!s->p.auth_failed)
		check_password(ctx, s, km);
	if (s->p.auth_failed)
		auth_refused_log(s, km);
}

static int reply_km(struct cp_ctx *ctx, struct cp_ks *ks, struct ovpn_km_server *srv,
		    const struct cp_session *s)
{
	uint8_t out[512];
	struct ovpn_occ occ;
	char opts[256];
	int n;

	if (ovpn_push_occ_server_init(&occ, "UDPv4", ctx->cfg->vpn.tun_mtu,
				      s->p.push_comp != OVPN_PUSH_COMP_NONE) != 0 ||
	    ovpn_push_occ_build(&occ, opts, sizeof(opts)) < 0 ||
	    ovpn_km_server_randomize(srv) != 0)
		return -EIO;
	srv->options = opts;
	n = ovpn_km_build_server(srv, out, sizeof(out));
	srv->options = NULL;
	if (n < 0)
		return n;
	return cp_ks_write(ks, out, (size_t)n);
}

/* The data keys of this exchange: TLS-EKM on the key state's own TLS
 * session, else the PRF over both sides' randoms (OpenVPN
 * src/openvpn/ssl.c, generate_key_expansion_tls_export and
 * generate_key_expansion_openvpn_prf). */
static int derive(struct cp_session *s, struct cp_ks *ks, const struct ovpn_km_client *km,
		  const struct ovpn_km_server *srv, struct ovpn_kdf_keys *keys)
{
	struct ovpn_kdf_prf_src src = {
		.pre_master = km->pre_master, .client_random1 = km->random1,
		.client_random2 = km->random2, .server_random1 = srv->random1,
		.server_random2 = srv->random2, .client_sid = s->p.peer_sid,
		.server_sid = s->p.sid,
	};
	uint8_t key2[OVPN_KDF_KEY2_LEN];
	int rc = s->p.ekm ? ovpn_kdf_ekm(ks->ssl, key2) : ovpn_kdf_prf(&src, key2);

	if (rc == 0)
		rc = ovpn_kdf_keys_map(key2, &s->p.kc, true, keys);
	OPENSSL_cleanse(key2, sizeof(key2));
	return rc;
}

static void auth_failed_send(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
			     uint64_t now)
{
	char msg[OVPN_PUSH_BUNDLE_SIZE];

	cp_count(ctx, CP_ST_AUTH_FAIL);
	if (ovpn_push_auth_failed(msg, sizeof(msg), s->p.auth_tell) > 0)
		cp_ks_text(ks, msg);
	ks->state = CP_KS_DONE;
	s->p.end_reason = CP_END_AUTH;
	s->p.end_ms = now + 1;
}

int cp_auth_km(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
	       const uint8_t *msg, size_t len, uint64_t now)
{
	struct ovpn_km_server srv = { 0 };
	struct ovpn_kdf_keys keys = { 0 };
	struct ovpn_km_client *km = ovpn_km_client_new();
	const char *why = "out of memory";
	int rc = -ENOMEM;

	if (km == NULL || (rc = ovpn_km_parse_client(msg, len, km, &why)) < 0) {
		SL_INFO("auth: %s: bad key method 2 message: %s", s->p.addr, why);
		cp_session_end(s, CP_END_AUTH);
		goto free_km;
	}
	if (ks->key_id == 0)
		first_km(ctx, s, ks, km);
	else
		reneg_km(ctx, s, ks, km);
	rc = reply_km(ctx, ks, &srv, s);
	if (rc == 0 && s->p.auth_failed)
		auth_failed_send(ctx, s, ks, now);
	else if (rc == 0)
		rc = derive(s, ks, km, &srv, &keys);
	if (rc == 0 && !s->p.auth_failed)
		rc = cp_datakeys_activate(ctx, s, ks, &keys, now);
	if (rc != 0)
		cp_session_end(s, CP_END_ERROR);
	ovpn_kdf_keys_wipe(&keys);
	OPENSSL_cleanse(&srv, sizeof(srv));
free_km:
	ovpn_km_client_free(km);
	return rc;
}
