/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One client's control channel after admission (control-channel.md §3, §7,
 * §8): unwrap with the session's own wrap context and replay window, the
 * reliability layer per key state, TLS over memory BIOs, and the packets
 * that go back. Key method 2 and everything after it is in
 * cp_session_km.c.
 *
 * cp_session_run() is the only entry point that touches s->p, and it runs
 * on one worker at a time (see cp_session.h). It never blocks and never
 * sends: packets, data-plane commands and the session's end are outputs
 * for the event loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "cp_session.h"
#include "ovpn_push.h"
#include "sl_log.h"

static const char *const stat_names[CP_ST_MAX] = {
	[CP_ST_PKTS_IN] = "packets-in", [CP_ST_PKTS_OUT] = "packets-out",
	[CP_ST_COOKIES] = "cookie-replies", [CP_ST_SESSIONS] = "sessions-created",
	[CP_ST_DROP_SHORT] = "drop-short", [CP_ST_DROP_OPCODE] = "drop-opcode",
	[CP_ST_DROP_WRAP] = "drop-wrap", [CP_ST_DROP_REPLAY] = "drop-replay",
	[CP_ST_DROP_COOKIE] = "drop-cookie", [CP_ST_DROP_RATE] = "drop-rate",
	[CP_ST_DROP_HALF_OPEN] = "drop-half-open", [CP_ST_DROP_FULL] = "drop-full",
	[CP_ST_DROP_INBOX] = "drop-inbox", [CP_ST_DROP_SID] = "drop-sid",
	[CP_ST_DROP_PARSE] = "drop-parse", [CP_ST_DROP_KEY_ID] = "drop-key-id",
	[CP_ST_DROP_TX_RING] = "drop-tx-ring", [CP_ST_DROP_NO_MBUF] = "drop-no-mbuf",
	[CP_ST_CMD_BACKLOG] = "cmd-backlog", [CP_ST_TLS_FAIL] = "tls-failures",
	[CP_ST_AUTH_FAIL] = "auth-failures", [CP_ST_RENEG] = "renegotiations",
};

const char *cp_stat_name(enum cp_stat s)
{
	return s < CP_ST_MAX ? stat_names[s] : "?";
}

static const char *const end_names[] = {
	[CP_END_NONE] = "none", [CP_END_TLS] = "TLS handshake failed",
	[CP_END_HAND_WINDOW] = "handshake window expired",
	[CP_END_AUTH] = "authentication failed", [CP_END_EXIT] = "client exit",
	[CP_END_IDLE] = "ping-restart (idle)", [CP_END_KILLED] = "killed by the administrator",
	[CP_END_REPLACED] = "replaced by a new session", [CP_END_SHUTDOWN] = "shutdown",
	[CP_END_ERROR] = "internal error",
};

const char *cp_end_name(enum cp_end e)
{
	return e <= CP_END_ERROR ? end_names[e] : "?";
}

struct cp_pkt *cp_pkt_new(const uint8_t *data, size_t len, const struct sl_endpoint *peer,
			  const uint8_t mac[6])
{
	struct cp_pkt *p = malloc(sizeof(*p) + len);

	if (p == NULL)
		return NULL;
	p->next = NULL;
	p->peer = *peer;
	memcpy(p->mac, mac, 6);
	p->len = (uint16_t)len;
	memcpy(p->data, data, len);
	return p;
}

/* ---- outputs to the event loop ---- */

void cp_out_push(struct cp_ctx *ctx, struct cp_out *o)
{
	o->next = NULL;
	pthread_mutex_lock(&ctx->out_lock);
	if (ctx->out_tail != NULL)
		ctx->out_tail->next = o;
	else
		ctx->out_head = o;
	ctx->out_tail = o;
	pthread_mutex_unlock(&ctx->out_lock);
}

struct cp_out *cp_out_take_all(struct cp_ctx *ctx)
{
	struct cp_out *o;

	pthread_mutex_lock(&ctx->out_lock);
	o = ctx->out_head;
	ctx->out_head = ctx->out_tail = NULL;
	pthread_mutex_unlock(&ctx->out_lock);
	return o;
}

void cp_out_free(struct cp_out *o)
{
	if (o->s != NULL)
		cp_session_unref(o->s);
	free(o->pkt);
	OPENSSL_cleanse(&o->cmd, sizeof(o->cmd));
	free(o);
}

/* Queue a data-plane command; the caller's copy (keys) is wiped here. */
void cp_out_cmd(struct cp_ctx *ctx, struct cp_session *s, struct sl_cmd *c)
{
	struct cp_out *o = calloc(1, sizeof(*o));

	if (o != NULL) {
		o->type = CP_OUT_CMD;
		o->cmd = *c;
		o->s = s;
		cp_session_ref(s);
		cp_out_push(ctx, o);
	} else {
		SL_ERR("out of memory: data-plane command %u for peer %u lost", c->type,
		       c->peer_id);
	}
	OPENSSL_cleanse(c, sizeof(*c));
}

static void out_packet(struct cp_ctx *ctx, struct cp_session *s, const uint8_t *wire,
		       size_t len)
{
	struct cp_out *o = calloc(1, sizeof(*o));
	struct cp_pkt *p;

	pthread_mutex_lock(&s->lock);
	p = cp_pkt_new(wire, len, &s->peer, s->mac);
	pthread_mutex_unlock(&s->lock);
	if (o == NULL || p == NULL) {
		free(o);
		free(p);
		return;	/* the reliability layer resends it */
	}
	o->type = CP_OUT_PKT;
	o->pkt = p;
	cp_out_push(ctx, o);
}

/* ---- life cycle ---- */

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
	SSL_set_app_data(ks->ssl, ks->cert_cn);
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

struct cp_session *cp_session_new(struct cp_ctx *ctx, const struct cp_admit_ok *a,
				  uint64_t now)
{
	struct cp_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	atomic_init(&s->refs, 1);
	pthread_mutex_init(&s->lock, NULL);
	s->peer = a->peer;
	memcpy(s->mac, a->mac, 6);
	memcpy(s->p.sid, a->sid, OVPN_SID_LEN);
	memcpy(s->p.peer_sid, a->peer_sid, OVPN_SID_LEN);
	s->p.v2 = a->has_kc;
	s->p.wrap = cp_keys_wrap_new(ctx->keys, a->has_kc ? a->kc : NULL);
	/* The cookie reply used replay-id 1: continue at 2 (§6.3 step 5). */
	ovpn_wrap_pid_tx_init(&s->p.pid_tx, 1);
	ovpn_wrap_replay_init(&s->p.replay);
	/* msg-id 0 both ways counts as delivered (§6.3). */
	s->p.ks = cp_ks_new(ctx, 0, 1, now);
	s->p.next_key_id = 1;
	s->p.peer_id = UINT32_MAX;
	s->p.old_slot = -1;
	s->info.peer_id = UINT32_MAX;
	sl_endpoint_str(&a->peer, s->p.addr, sizeof(s->p.addr));
	if (s->p.ks == NULL || (cp_keys_mode(ctx->keys) != CP_WRAP_NONE && s->p.wrap == NULL)) {
		cp_session_unref(s);
		return NULL;
	}
	s->p.half_open = true;
	atomic_fetch_add(&ctx->half_open, 1);
	atomic_fetch_add(&ctx->n_sessions, 1);
	atomic_store(&s->due_ms, now + 1);
	return s;
}

void cp_session_ref(struct cp_session *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

static void session_free(struct cp_session *s)
{
	struct cp_pkt *p, *n;

	for (p = s->in_head; p != NULL; p = n) {
		n = p->next;
		free(p);
	}
	cp_ks_free(s->p.ks);
	cp_ks_free(s->p.next);
	ovpn_wrap_free(s->p.wrap);
	pthread_mutex_destroy(&s->lock);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

void cp_session_unref(struct cp_session *s)
{
	/* acq_rel: the last owner sees every write of the others. */
	if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
		session_free(s);
}

bool cp_session_post(struct cp_ctx *ctx, struct cp_session *s, struct cp_pkt *pkt)
{
	bool ok;

	pthread_mutex_lock(&s->lock);
	ok = s->in_n < CP_INBOX_MAX;
	if (ok) {
		if (s->in_tail != NULL)
			s->in_tail->next = pkt;
		else
			s->in_head = pkt;
		s->in_tail = pkt;
		s->in_n++;
	}
	pthread_mutex_unlock(&s->lock);
	if (!ok) {
		cp_count(ctx, CP_ST_DROP_INBOX);
		free(pkt);
	}
	return ok;
}

void cp_session_signal(struct cp_session *s, unsigned sig)
{
	pthread_mutex_lock(&s->lock);
	s->sig |= sig;
	pthread_mutex_unlock(&s->lock);
}

bool cp_session_has_work(struct cp_session *s, uint64_t now)
{
	bool work;

	pthread_mutex_lock(&s->lock);
	work = s->in_n > 0 || s->sig != 0;
	pthread_mutex_unlock(&s->lock);
	return work || atomic_load(&s->due_ms) <= now;
}

/* Mark the end; the END output follows the last packets of this run. */
void cp_session_end(struct cp_ctx *ctx, struct cp_session *s, enum cp_end why, uint64_t now)
{
	(void)ctx;
	(void)now;
	if (s->p.ended)
		return;
	s->p.ended = true;
	/* An end already under way (AUTH_FAILED, HALT sent) keeps its reason. */
	if (s->p.end_ms == 0 || s->p.end_reason == CP_END_NONE)
		s->p.end_reason = why;
}

static void post_end(struct cp_ctx *ctx, struct cp_session *s)
{
	struct cp_out *o = calloc(1, sizeof(*o));

	if (s->p.half_open) {
		s->p.half_open = false;
		atomic_fetch_sub(&ctx->half_open, 1);
	}
	if (o == NULL) {
		SL_ERR("out of memory: end of session %s lost", s->p.addr);
		return;
	}
	o->type = CP_OUT_END;
	o->s = s;
	cp_session_ref(s);
	o->reason = s->p.end_reason;
	o->peer_id = s->p.installed ? s->p.peer_id : UINT32_MAX;
	o->vpn_ip = s->p.vpn_ip;
	/* An allocated but never installed peer-id still goes back. */
	if (!s->p.installed && s->p.peer_id != UINT32_MAX)
		o->peer_id = s->p.peer_id | 0x80000000u;
	cp_out_push(ctx, o);
}

/* ---- receive ---- */

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
	/* A retransmitted WKc is simply stripped (§6.4). */
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

/* Client-initiated renegotiation: a SOFT_RESET on the next key-id (§13.2). */
static struct cp_ks *soft_reset_in(struct cp_ctx *ctx, struct cp_session *s,
				   const struct ovpn_ctrl_pkt *pkt, uint64_t now)
{
	struct cp_ks *ks;
	uint32_t id;

	if (pkt->opcode != OVPN_P_CONTROL_SOFT_RESET_V1 || s->p.next != NULL ||
	    s->p.ks->state != CP_KS_ACTIVE || pkt->key_id != s->p.next_key_id)
		return NULL;
	ks = cp_ks_new(ctx, pkt->key_id, 0, now);
	if (ks == NULL)
		return NULL;
	ovpn_rel_send(&ks->rel, OVPN_P_CONTROL_SOFT_RESET_V1, NULL, 0, &id);
	s->p.next = ks;
	s->p.next_key_id = pkt->key_id == OVPN_KEY_ID_MAX ? 1 : pkt->key_id + 1;
	SL_INFO("rekey: user %s cn %s from %s: key-id %u started by the client", s->p.user,
		s->p.cn, s->p.addr, ks->key_id);
	return ks;
}

static struct cp_ks *ks_for(struct cp_ctx *ctx, struct cp_session *s,
			    const struct ovpn_ctrl_pkt *pkt, uint64_t now)
{
	if (s->p.ks != NULL && pkt->key_id == s->p.ks->key_id)
		return s->p.ks;
	if (s->p.next != NULL && pkt->key_id == s->p.next->key_id)
		return s->p.next;
	return soft_reset_in(ctx, s, pkt, now);
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

static void input(struct cp_ctx *ctx, struct cp_session *s, const struct cp_pkt *in,
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
	/* Its hard reset was answered by the cookie; a late copy means nothing. */
	if (pkt.opcode == OVPN_P_CONTROL_HARD_RESET_CLIENT_V2 ||
	    pkt.opcode == OVPN_P_CONTROL_HARD_RESET_CLIENT_V3)
		return;
	ks = ks_for(ctx, s, &pkt, now);
	if (ks == NULL) {
		cp_count(ctx, CP_ST_DROP_KEY_ID);
		return;
	}
	ovpn_rel_recv(&ks->rel, &pkt);
	deliver(ks);
}

/* ---- TLS ---- */

int cp_session_write(struct cp_ks *ks, const void *msg, size_t len)
{
	/* One message, one TLS record (§7.1 step 3). */
	return SSL_write(ks->ssl, msg, (int)len) == (int)len ? 0 : -EIO;
}

int cp_session_text(struct cp_ks *ks, const char *msg)
{
	return cp_session_write(ks, msg, strlen(msg) + 1);
}

static void tls_failed(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
		       uint64_t now)
{
	long v = SSL_get_verify_result(ks->ssl);
	char e[160];

	ERR_error_string_n(ERR_peek_last_error(), e, sizeof(e));
	ERR_clear_error();
	cp_count(ctx, CP_ST_TLS_FAIL);
	/* A refused first certificate still names the session's end. */
	if (s->p.cn[0] == '\0' && ks->cert_cn[0] != '\0') {
		snprintf(s->p.cn, sizeof(s->p.cn), "%s", ks->cert_cn);
		snprintf(s->p.user, sizeof(s->p.user), "%s", ks->cert_cn);
	}
	if (v != X509_V_OK)
		SL_INFO("auth: cn %s from %s: certificate refused: %s",
			ks->cert_cn[0] ? ks->cert_cn : "-", s->p.addr,
			X509_verify_cert_error_string(v));
	else
		SL_INFO("auth: %s: TLS handshake failed: %s", s->p.addr, e);
	cp_session_end(ctx, s, CP_END_TLS, now);
}

static void text_in(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
		    const uint8_t *buf, size_t n, uint64_t now)
{
	size_t off = 0, len;
	const char *msg;
	int rc;

	if (ks->txt_len + n > sizeof(ks->txt))
		ks->txt_len = 0;	/* no NUL within 2 KB: not a message (§7.1) */
	memcpy(ks->txt + ks->txt_len, buf, n);
	ks->txt_len += n;
	while ((rc = ovpn_push_msg_next((const uint8_t *)ks->txt, ks->txt_len, &off, &msg,
					&len)) != 0)
		if (rc == 1)
			cp_km_text(ctx, s, ks, msg, len, now);
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
			cp_km_handle(ctx, s, ks, buf, (size_t)n, now);
		} else {
			text_in(ctx, s, ks, buf, (size_t)n, now);
		}
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	if (s->p.ended)
		return;
	e = SSL_get_error(ks->ssl, n);
	if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
		tls_failed(ctx, s, ks, now);
}

static void tls_drive(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
		      uint64_t now)
{
	int r, e;

	if (ks == NULL || s->p.ended)
		return;
	if (!SSL_is_init_finished(ks->ssl)) {
		r = SSL_do_handshake(ks->ssl);
		if (r != 1) {
			e = SSL_get_error(ks->ssl, r);
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				tls_failed(ctx, s, ks, now);
			return;
		}
		SL_DEBUG("%s key-id %u: %s %s", s->p.addr, ks->key_id, SSL_get_version(ks->ssl),
			 SSL_get_cipher_name(ks->ssl));
	}
	tls_read(ctx, s, ks, now);
}

/* ---- send ---- */

static void emit(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
		 const struct ovpn_rel_out *r, uint64_t now)
{
	struct ovpn_ctrl_pkt pkt = { .key_id = ks->key_id };
	uint8_t plain[CP_PKT_MAX], wire[CP_PKT_MAX];
	int n, w;

	pkt.opcode = r ? r->opcode : OVPN_P_ACK_V1;
	memcpy(pkt.sid, s->p.sid, OVPN_SID_LEN);
	memcpy(pkt.peer_sid, s->p.peer_sid, OVPN_SID_LEN);
	pkt.n_acks = (uint8_t)ovpn_rel_acks_take(&ks->rel, pkt.acks,
						 r ? OVPN_ACK_PIGGY_MAX : OVPN_ACK_MAX);
	pkt.has_msg_id = r != NULL;
	if (r != NULL) {
		pkt.msg_id = r->msg_id;
		pkt.payload = r->payload;
		pkt.payload_len = r->len;
	}
	n = ovpn_ctrl_build(&pkt, plain, sizeof(plain));
	if (n < 0)
		return;
	if (s->p.wrap == NULL) {
		out_packet(ctx, s, plain, (size_t)n);
		return;
	}
	w = ovpn_wrap_wrap(s->p.wrap, &s->p.pid_tx, (uint32_t)(now / 1000 + ctx->wall_offset),
			   plain, (size_t)n, wire, sizeof(wire));
	if (w > 0)
		out_packet(ctx, s, wire, (size_t)w);
}

static void flush(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks, uint64_t now)
{
	struct ovpn_rel_out out[OVPN_REL_SEND_WINDOW];
	uint8_t buf[CP_TLS_CHUNK];
	unsigned n;
	uint32_t id;
	int len;

	if (ks == NULL)
		return;
	/* What does not fit the send window waits in the BIO. */
	while (ovpn_rel_can_send(&ks->rel) && BIO_ctrl_pending(ks->wbio) > 0 &&
	       (len = BIO_read(ks->wbio, buf, sizeof(buf))) > 0)
		ovpn_rel_send(&ks->rel, OVPN_P_CONTROL_V1, buf, (size_t)len, &id);
	n = ovpn_rel_poll(&ks->rel, now, out, OVPN_REL_SEND_WINDOW);
	for (unsigned i = 0; i < n; i++)
		emit(ctx, s, ks, &out[i], now);
	if (ovpn_rel_ack_pending(&ks->rel))
		emit(ctx, s, ks, NULL, now);
}

/* ---- the run ---- */

static void signals(struct cp_ctx *ctx, struct cp_session *s, unsigned sig, uint64_t now)
{
	if (sig & CP_SIG_SHUTDOWN)
		cp_session_end(ctx, s, CP_END_SHUTDOWN, now);
	if (sig & CP_SIG_REPLACED)
		cp_session_end(ctx, s, CP_END_REPLACED, now);
	if (sig & CP_SIG_ERROR)
		cp_session_end(ctx, s, CP_END_ERROR, now);
	if (sig & CP_SIG_IDLE)
		cp_session_end(ctx, s, CP_END_IDLE, now);
	if (sig & CP_SIG_EXIT)
		cp_session_end(ctx, s, CP_END_EXIT, now);
	if ((sig & CP_SIG_KILL) && !s->p.ended) {
		/* Tell an established client to stop; then end after one send. */
		if (s->p.ks->state == CP_KS_ACTIVE &&
		    cp_session_text(s->p.ks, "HALT,killed by the administrator") == 0)
			s->p.end_ms = now + 1;
		else
			cp_session_end(ctx, s, CP_END_KILLED, now);
		s->p.end_reason = CP_END_KILLED;
	}
	/* Packet-id near exhaustion: a trigger that stays until a new key is in,
	 * so a renegotiation already under way or abandoned still answers it. */
	if (sig & CP_SIG_REKEY)
		s->p.exhausted = true;
	if (sig & CP_SIG_PEER_UP)
		s->p.peer_up = true;
}

static uint64_t due_of(const struct cp_session *s, uint64_t now)
{
	const struct cp_ks *k[2] = { s->p.ks, s->p.next };
	uint64_t due = now + 1000;	/* timers below are checked at least every second */

	for (int i = 0; i < 2; i++) {
		uint64_t t;

		if (k[i] == NULL)
			continue;
		t = ovpn_rel_next_timeout(&k[i]->rel, now);
		if (t != OVPN_REL_NEVER && now + t < due)
			due = now + t;
	}
	return due;
}

void cp_session_run(struct cp_ctx *ctx, struct cp_session *s, uint64_t now)
{
	struct cp_pkt *in, *n;
	unsigned sig;

	pthread_mutex_lock(&s->lock);
	in = s->in_head;
	s->in_head = s->in_tail = NULL;
	s->in_n = 0;
	sig = s->sig;
	s->sig = 0;
	pthread_mutex_unlock(&s->lock);
	for (; in != NULL; in = n) {
		n = in->next;
		if (!s->p.ended)
			input(ctx, s, in, now);
		free(in);
	}
	if (s->p.ended && s->p.end_posted)
		return;
	signals(ctx, s, sig, now);
	tls_drive(ctx, s, s->p.ks, now);
	tls_drive(ctx, s, s->p.next, now);
	if (!s->p.ended)
		cp_km_timers(ctx, s, now);
	flush(ctx, s, s->p.ks, now);
	flush(ctx, s, s->p.next, now);
	if (s->p.ended && !s->p.end_posted) {
		s->p.end_posted = true;
		post_end(ctx, s);
	}
	cp_session_update_info(s);
	atomic_store(&s->due_ms, s->p.ended ? UINT64_MAX : due_of(s, now));
}
