/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The first step of a session's run: its packets and TLS, per key state.
 *
 *   packet in -> unwrap with the session's own wrap context and replay
 *   window -> session ids -> the key state of its key-id (a SOFT_RESET on
 *   the next key-id starts one) -> reliability layer -> in-order payloads
 *   into the TLS read BIO -> handshake, then records: the first is the
 *   client's key method 2 message (cp_auth.c), the rest are text messages
 *   (PUSH_REQUEST -> cp_pushreply.c, EXIT).
 *
 * As OpenVPN does it: memory BIOs around each key state's SSL object
 * (OpenVPN src/openvpn/ssl_openssl.c, key_state_ssl_init), the
 * reliability layer of reliable.c, soft resets as in ssl.c
 * (key_state_soft_reset, tls_pre_decrypt).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "cp_auth.h"
#include "cp_keystate.h"
#include "cp_pushreply.h"
#include "cp_tls.h"
#include "ovpn_push.h"
#include "sl_log.h"

struct cp_ks *cp_ks_new(struct cp_ctx *ctx, uint8_t key_id, uint32_t first_id, uint64_t now)
{
	struct cp_ks *ks = calloc(1, sizeof(*ks));

	if (ks == NULL)
		return NULL;
	ks->key_id = key_id;
	ks->start_ms = now;
	ovpn_rel_init(&ks->rel, first_id, first_id, 0);
	ks->ssl = cp_tls_ssl_new(ctx->tls);
	ks->rbio = BIO_new(BIO_s_mem());
	ks->wbio = BIO_new(BIO_s_mem());
	if (ks->ssl == NULL || ks->rbio == NULL || ks->wbio == NULL) {
		BIO_free(ks->rbio);
		BIO_free(ks->wbio);
		SSL_free(ks->ssl);
		free(ks);
		return NULL;
	}
	/* An empty read BIO means "wait for more", not end of stream. */
	BIO_set_mem_eof_return(ks->rbio, -1);
	SSL_set_bio(ks->ssl, ks->rbio, ks->wbio);
	SSL_set_app_data(ks->ssl, &ks->cert);
	SSL_set_accept_state(ks->ssl);
	return ks;
}

void cp_ks_free(struct cp_ks *ks)
{
	if (ks == NULL)
		return;
	SSL_free(ks->ssl);	/* frees both BIOs */
	OPENSSL_cleanse(ks, sizeof(*ks));
	free(ks);
}

/* Either side's renegotiation: fresh TLS and msg-ids from 0, SOFT_RESET first. */
struct cp_ks *cp_ks_renegotiate(struct cp_ctx *ctx, struct cp_session *s, uint64_t now,
				const char *who)
{
	struct cp_ks *ks = cp_ks_new(ctx, s->p.next_key_id, 0, now);
	uint32_t id;

	if (ks == NULL)
		return NULL;
	ovpn_rel_send(&ks->rel, OVPN_P_CONTROL_SOFT_RESET_V1, NULL, 0, &id);
	s->p.next = ks;
	/* 7 wraps to 1: key-id 0 is never reused (ssl.c, key_state_soft_reset). */
	s->p.next_key_id = ks->key_id == OVPN_KEY_ID_MAX ? 1 : ks->key_id + 1;
	SL_INFO("rekey: %s: key-id %u started by %s", CP_WHO(s), ks->key_id, who);
	return ks;
}

/* ---- packets in ---- */

static int unwrap(struct cp_ctx *ctx, struct cp_session *s, const struct cp_pkt *in,
		  uint8_t *out, size_t cap)
{
	unsigned op = ovpn_op_opcode(in->data[0]);
	size_t len = in->len;
	struct ovpn_wrap_rid rid;
	int rc;

	if (s->p.wrap == NULL) {
		memcpy(out, in->data, len);
		return (int)len;
	}
	/* A retransmitted WKc is simply stripped (OpenVPN src/openvpn/tls_crypt.c,
	 * tls_crypt_v2_extract_client_key on a packet that is not the first). */
	if (s->p.v2 && (op == OVPN_P_CONTROL_HARD_RESET_CLIENT_V3 ||
			op == OVPN_P_CONTROL_WKC_V1) &&
	    ovpn_wrap_v2_split(in->data, in->len, &len) < 0) {
		cp_count(ctx, CP_ST_DROP_WRAP);
		return -1;
	}
	rc = ovpn_wrap_unwrap(s->p.wrap, &s->p.replay, in->data, len, out, cap, &rid);
	if (rc < 0)
		cp_count(ctx, rc == -OVPN_WRAP_E_REPLAY ? CP_ST_DROP_REPLAY : CP_ST_DROP_WRAP);
	return rc;
}

/* The key state for PKT's key-id; a client's SOFT_RESET on the next one
 * starts a renegotiation once the current key is established. */
static struct cp_ks *ks_for(struct cp_ctx *ctx, struct cp_session *s,
			    const struct ovpn_ctrl_pkt *pkt, uint64_t now)
{
	if (s->p.ks != NULL && pkt->key_id == s->p.ks->key_id)
		return s->p.ks;
	if (s->p.next != NULL && pkt->key_id == s->p.next->key_id)
		return s->p.next;
	if (pkt->opcode != OVPN_P_CONTROL_SOFT_RESET_V1 || s->p.next != NULL ||
	    s->p.ks->state != CP_KS_ACTIVE || pkt->key_id != s->p.next_key_id)
		return NULL;
	return cp_ks_renegotiate(ctx, s, now, "the client");
}

static void deliver(struct cp_ks *ks)
{
	const struct ovpn_rel_msg *m;

	while ((m = ovpn_rel_next(&ks->rel)) != NULL) {
		/* Reset payloads are TLVs, never TLS. */
		if ((m->opcode == OVPN_P_CONTROL_V1 || m->opcode == OVPN_P_CONTROL_WKC_V1) &&
		    m->len > 0)
			BIO_write(ks->rbio, m->data, m->len);
		ovpn_rel_pop(&ks->rel);
	}
}

void cp_ks_input(struct cp_ctx *ctx, struct cp_session *s, const struct cp_pkt *in,
		 uint64_t now)
{
	uint8_t plain[CP_PKT_MAX];
	struct ovpn_ctrl_pkt pkt;
	struct cp_ks *ks;
	int n = unwrap(ctx, s, in, plain, sizeof(plain));

	if (n < 0)
		return;
	if (ovpn_ctrl_parse(plain, (size_t)n, &pkt) != 0) {
		cp_count(ctx, CP_ST_DROP_PARSE);
		return;
	}
	if (memcmp(pkt.sid, s->p.peer_sid, OVPN_SID_LEN) != 0 ||
	    (pkt.n_acks > 0 && memcmp(pkt.peer_sid, s->p.sid, OVPN_SID_LEN) != 0)) {
		cp_count(ctx, CP_ST_DROP_SID);
		return;
	}
	/*
	 * The session exists because its hard reset was answered (the
	 * stateless cookie, cp_admit.c): any copy now is a replay, or a
	 * retransmission overtaken by the third packet. Counted either way:
	 * the wrap's window alone lets the first copy of a captured reset
	 * through, as its replay-id (1) is below the session's first (2).
	 */
	if (pkt.opcode == OVPN_P_CONTROL_HARD_RESET_CLIENT_V2 ||
	    pkt.opcode == OVPN_P_CONTROL_HARD_RESET_CLIENT_V3) {
		cp_count(ctx, CP_ST_DROP_REPLAY);
		return;
	}
	ks = ks_for(ctx, s, &pkt, now);
	if (ks == NULL) {
		cp_count(ctx, CP_ST_DROP_KEY_ID);
		return;
	}
	/* Its acks are taken; a message past the window is not (reliable.c). */
	if (ovpn_rel_recv(&ks->rel, &pkt) == OVPN_REL_OUT_OF_WINDOW)
		cp_count(ctx, CP_ST_DROP_MSG_WINDOW);
	deliver(ks);
}

/* ---- TLS ---- */

int cp_ks_write(struct cp_ks *ks, const void *msg, size_t len)
{
	/* One message, one TLS record (OpenVPN src/openvpn/ssl_openssl.c,
	 * key_state_write_plaintext). */
	return SSL_write(ks->ssl, msg, (int)len) == (int)len ? 0 : -EIO;
}

int cp_ks_text(struct cp_ks *ks, const char *msg)
{
	return cp_ks_write(ks, msg, strlen(msg) + 1);
}

static void tls_failed(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks)
{
	long v = SSL_get_verify_result(ks->ssl);
	char e[160];

	ERR_error_string_n(ERR_peek_last_error(), e, sizeof(e));
	ERR_clear_error();
	cp_count(ctx, CP_ST_TLS_FAIL);
	/* A refused first certificate still names the session's end. */
	if (s->p.cn[0] == '\0' && ks->cert.cn[0] != '\0') {
		snprintf(s->p.cn, sizeof(s->p.cn), "%s", ks->cert.cn);
		snprintf(s->p.user, sizeof(s->p.user), "%s", ks->cert.cn);
	}
	if (v == X509_V_ERR_APPLICATION_VERIFICATION && ks->cert.refused != NULL)
		SL_INFO("auth: cn - from %s: certificate refused: %s", s->p.addr,
			ks->cert.refused);
	else if (v != X509_V_OK)
		SL_INFO("auth: cn %s from %s: certificate refused: %s",
			ks->cert.cn[0] ? SL_ESC(ks->cert.cn) : "-", s->p.addr,
			X509_verify_cert_error_string(v));
	else
		SL_INFO("auth: %s: TLS handshake failed: %s", s->p.addr, e);
	cp_session_end(s, CP_END_TLS);
}

/* A text message after key method 2 (OpenVPN src/openvpn/push.c, forward.c). */
static void text_msg(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
		     const char *msg, size_t len)
{
	struct ovpn_push_msg m;

	ovpn_push_msg_parse(msg, len, &m);
	switch (m.type) {
	case OVPN_PUSH_MSG_PUSH_REQUEST:
		/* One reply per session; the reliability layer delivers it. */
		if (ks == s->p.ks && ks->state == CP_KS_ACTIVE && !s->p.pushed)
			cp_pushreply_send(ctx, s, ks);
		break;
	case OVPN_PUSH_MSG_EXIT:
		cp_session_end(s, CP_END_EXIT);
		break;
	default:
		SL_DEBUG("%s: control message %s ignored", s->p.addr, ovpn_push_msg_name(m.type));
		break;
	}
}

static void text_in(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
		    const uint8_t *buf, size_t n)
{
	size_t off = 0, len;
	const char *msg;
	int rc;

	/* No NUL within 2 KB: not a message (OpenVPN src/openvpn/ssl_pkt.c,
	 * extract_command_buffer). */
	if (ks->txt_len + n > sizeof(ks->txt))
		ks->txt_len = 0;
	memcpy(ks->txt + ks->txt_len, buf, n);
	ks->txt_len += n;
	while ((rc = ovpn_push_msg_next((const uint8_t *)ks->txt, ks->txt_len, &off, &msg,
					&len)) != 0)
		if (rc == 1)
			text_msg(ctx, s, ks, msg, len);
	memmove(ks->txt, ks->txt + off, ks->txt_len - off);
	ks->txt_len -= off;
}

static void tls_read(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
		     uint64_t now)
{
	uint8_t buf[OVPN_MAX_CONTROL_MSG];
	int n = 0, e;

	while (!s->p.ended && (n = SSL_read(ks->ssl, buf, sizeof(buf))) > 0) {
		if (!ks->km_done) {
			ks->km_done = true;
			cp_auth_km(ctx, s, ks, buf, (size_t)n, now);
		} else {
			text_in(ctx, s, ks, buf, (size_t)n);
		}
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	if (s->p.ended)
		return;
	e = SSL_get_error(ks->ssl, n);
	if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
		tls_failed(ctx, s, ks);
}

void cp_ks_tls(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks, uint64_t now)
{
	int r, e;

	if (ks == NULL || s->p.ended)
		return;
	if (!SSL_is_init_finished(ks->ssl)) {
		r = SSL_do_handshake(ks->ssl);
		if (r != 1) {
			e = SSL_get_error(ks->ssl, r);
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				tls_failed(ctx, s, ks);
			return;
		}
		SL_DEBUG("%s key-id %u: %s %s", s->p.addr, ks->key_id, SSL_get_version(ks->ssl),
			 SSL_get_cipher_name(ks->ssl));
		/* What a CRL change is checked against (cp_session_revoked). A
		 * handshake that began before the change used the previous
		 * CRL: checked here against the one now loaded. */
		pthread_mutex_lock(&s->lock);
		s->cert = ks->cert.id;
		pthread_mutex_unlock(&s->lock);
		if (cp_session_revoked(ctx, s)) {
			cp_session_revoke(s);
			return;
		}
	}
	tls_read(ctx, s, ks, now);
}
