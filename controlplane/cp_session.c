/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One client's control channel after admission: its life cycle, its inbox
 * and signals, and cp_session_run(), which takes it through the steps in
 * order (cp_session.h): packets into the key states and TLS, key method 2
 * and auth, keys and PUSH_REPLY, the timers, then the packets and the end
 * that go back to the event loop.
 *
 * cp_session_run() is the only entry point that touches s->p, and it runs
 * on one worker at a time (cp_ctx.h). It never blocks and never sends:
 * packets, data-plane commands and the session's end are outputs for the
 * event loop (cp_out.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cp_datakeys.h"
#include "cp_keystate.h"
#include "cp_out.h"
#include "cp_wrapkeys.h"
#include "sl_log.h"

/* Longest wait for a final message (AUTH_FAILED, HALT) to be acked. */
#define CP_LINGER_MS		5000

static const char *const end_names[] = {
	[CP_END_NONE] = "none", [CP_END_TLS] = "TLS handshake failed",
	[CP_END_HAND_WINDOW] = "handshake window expired",
	[CP_END_AUTH] = "authentication failed", [CP_END_EXIT] = "client exit",
	[CP_END_IDLE] = "ping-restart (idle)", [CP_END_KILLED] = "killed by the administrator",
	[CP_END_REPLACED] = "replaced by a new session", [CP_END_SHUTDOWN] = "shutdown",
	[CP_END_ERROR] = "internal error", [CP_END_REVOKED] = "certificate revoked",
	[CP_END_RENEG] = "renegotiation not completed",
	[CP_END_USER_GONE] = "user removed", [CP_END_USER_CHANGED] = "user changed",
	[CP_END_CRL_UNKNOWN] = "CRL changed and its certificate is unknown (adopted)",
	[CP_END_VPN_OFF] = "VPN access disabled",
};

const char *cp_end_name(enum cp_end e)
{
	return e <= CP_END_VPN_OFF ? end_names[e] : "?";
}

const char *cp_who(const char *user, const char *cn, const char *addr, char *buf,
		   size_t len)
{
	snprintf(buf, len, "user %s cn %s from %s", user[0] ? SL_ESC(user) : "-",
		 cn[0] ? SL_ESC(cn) : "-", addr);
	return buf;
}

/* ---- life cycle ---- */

struct cp_session *cp_session_alloc(void)
{
	struct cp_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	atomic_init(&s->refs, 1);
	pthread_mutex_init(&s->lock, NULL);
	s->p.peer_id = UINT32_MAX;
	s->p.old_slot = -1;
	s->info.peer_id = UINT32_MAX;
	return s;
}

struct cp_session *cp_session_new(struct cp_ctx *ctx, const struct cp_admit_ok *a,
				  uint64_t now)
{
	struct cp_session *s = cp_session_alloc();

	if (s == NULL)
		return NULL;
	s->peer = a->peer;
	memcpy(s->mac, a->mac, 6);
	memcpy(s->p.sid, a->sid, OVPN_SID_LEN);
	memcpy(s->p.peer_sid, a->peer_sid, OVPN_SID_LEN);
	s->p.v2 = a->has_kc;
	s->v2meta = a->meta;
	s->p.wrap = cp_wrapkeys_wrap_new(ctx->keys, a->has_kc ? a->kc : NULL);
	/* The cookie reply used replay-id 1: continue at 2 (OpenVPN
	 * src/openvpn/ssl.c, session_skip_to_pre_start). */
	ovpn_wrap_pid_tx_init(&s->p.pid_tx, 1);
	ovpn_wrap_replay_init(&s->p.replay);
	/* msg-id 0 both ways counts as delivered (same place). */
	s->p.ks = cp_ks_new(ctx, 0, 1, now);
	s->p.next_key_id = 1;
	sl_endpoint_str(&a->peer, s->p.addr, sizeof(s->p.addr));
	if (s->p.ks == NULL ||
	    (cp_wrapkeys_mode(ctx->keys) != CP_WRAP_NONE && s->p.wrap == NULL)) {
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

void cp_session_leave_half_open(struct cp_ctx *ctx, struct cp_session *s)
{
	if (!s->p.half_open)
		return;
	s->p.half_open = false;
	atomic_fetch_sub(&ctx->half_open, 1);
}

void cp_session_end(struct cp_session *s, enum cp_end why)
{
	if (s->p.ended)
		return;
	s->p.ended = true;
	OPENSSL_cleanse(&s->p.cred, sizeof(s->p.cred));
	/* An end already under way (AUTH_FAILED, HALT sent) keeps its reason. */
	if (s->p.end_ms == 0 || s->p.end_reason == CP_END_NONE)
		s->p.end_reason = why;
}

/* ---- from the event loop ---- */

bool cp_session_post(struct cp_ctx *ctx, struct cp_session *s, struct cp_pkt *pkt)
{
	bool ok;

	pthread_mutex_lock(&s->lock);
	/* Before the handshake is done, anyone who knows the client's address,
	 * port and clear session id can post here: a smaller inbox bounds
	 * what one run does for them. */
	ok = s->in_n < (s->info.established ? CP_INBOX_MAX : CP_INBOX_HANDSHAKE);
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

/*
 * Revoked: HALT tells a 2.6 client to stop (OpenVPN push.c,
 * server_pushed_signal) instead of retrying with the same certificate,
 * which TLS would now refuse anyway; the session ends in this run
 * (PEER_DEL right after the HALT), not after its ack: a revoked client
 * gets no more data-channel time by not acking.
 */
static void halt_end(struct cp_session *s, enum cp_end why)
{
	char msg[64];

	if (s->p.ended)
		return;
	snprintf(msg, sizeof(msg), "HALT,%s", cp_end_name(why));
	if (s->p.ks->state == CP_KS_ACTIVE)
		cp_ks_text(s->p.ks, msg);
	cp_session_end(s, why);
	s->p.end_reason = why;
}

void cp_session_revoke(struct cp_session *s)
{
	halt_end(s, CP_END_REVOKED);
}

static void signals(struct cp_session *s, unsigned sig, uint64_t now)
{
	if (sig & CP_SIG_SHUTDOWN)
		cp_session_end(s, CP_END_SHUTDOWN);
	if (sig & CP_SIG_REPLACED)
		cp_session_end(s, CP_END_REPLACED);
	if (sig & CP_SIG_ERROR)
		cp_session_end(s, CP_END_ERROR);
	if (sig & CP_SIG_IDLE)
		cp_session_end(s, CP_END_IDLE);
	if (sig & CP_SIG_EXIT)
		cp_session_end(s, CP_END_EXIT);
	if ((sig & CP_SIG_KILL) && !s->p.ended) {
		/* Tell an established client to stop; then end after one send. */
		if (s->p.ks->state == CP_KS_ACTIVE &&
		    cp_ks_text(s->p.ks, "HALT,killed by the administrator") == 0)
			s->p.end_ms = now + 1;
		else
			cp_session_end(s, CP_END_KILLED);
		s->p.end_reason = CP_END_KILLED;
	}
	if (sig & CP_SIG_REVOKED)
		cp_session_revoke(s);
	/* A user store change, the same end (cp_ctx_user_gone). */
	if (sig & CP_SIG_USER_GONE)
		halt_end(s, CP_END_USER_GONE);
	if (sig & CP_SIG_USER_CHANGED)
		halt_end(s, CP_END_USER_CHANGED);
	if (sig & CP_SIG_VPN_OFF)
		halt_end(s, CP_END_VPN_OFF);
	/* Packet-id near exhaustion: a trigger that stays until a new key is in,
	 * so a renegotiation already under way or abandoned still answers it. */
	if (sig & CP_SIG_REKEY)
		s->p.exhausted = true;
	if (sig & CP_SIG_PEER_UP)
		s->p.peer_up = true;
}

/* ---- timers ---- */

/* The first handshake's window, and a scheduled end once its last message
 * was acked; then the key timers. */
static void timers(struct cp_ctx *ctx, struct cp_session *s, uint64_t now)
{
	uint64_t hw = (uint64_t)ctx->cfg->vpn.hand_window * 1000;

	if (s->p.ks->state == CP_KS_HANDSHAKE && now >= s->p.ks->start_ms + hw) {
		SL_INFO("auth: %s: no handshake within %us", s->p.addr, ctx->cfg->vpn.hand_window);
		cp_session_end(s, CP_END_HAND_WINDOW);
		return;
	}
	if (s->p.end_ms != 0 && now >= s->p.end_ms &&
	    (ovpn_rel_unacked(&s->p.ks->rel) == 0 || now >= s->p.end_ms + CP_LINGER_MS)) {
		cp_session_end(s, s->p.end_reason);
		return;
	}
	cp_datakeys_timers(ctx, s, now);
}

static uint64_t due_of(const struct cp_session *s, uint64_t now)
{
	const struct cp_ks *k[2] = { s->p.ks, s->p.next };
	uint64_t due = now + 1000;	/* timers are checked at least every second */

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

/* ---- the run ---- */

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
			cp_ks_input(ctx, s, in, now);
		else
			cp_count(ctx, CP_ST_DROP_ENDED);
		free(in);
	}
	if (s->p.ended && s->p.end_posted)
		return;
	signals(s, sig, now);
	cp_ks_tls(ctx, s, s->p.ks, now);
	cp_ks_tls(ctx, s, s->p.next, now);
	if (!s->p.ended)
		timers(ctx, s, now);
	cp_out_flush(ctx, s, s->p.ks, now);
	cp_out_flush(ctx, s, s->p.next, now);
	if (s->p.ended && !s->p.end_posted) {
		s->p.end_posted = true;
		cp_session_leave_half_open(ctx, s);
		cp_out_end(ctx, s);
	}
	cp_session_update_info(s);
	atomic_store(&s->due_ms, s->p.ended ? UINT64_MAX : due_of(s, now));
}

bool cp_session_revoked(struct cp_ctx *ctx, struct cp_session *s)
{
	struct cp_cert_id id;

	pthread_mutex_lock(&s->lock);
	id = s->cert;
	pthread_mutex_unlock(&s->lock);
	return ctx->tls != NULL && cp_tls_revoked(ctx->tls, &id);
}

void cp_session_update_info(struct cp_session *s)
{
	struct cp_session_info *i = &s->info;

	pthread_mutex_lock(&s->lock);
	snprintf(i->cn, sizeof(i->cn), "%s", s->p.cn);
	snprintf(i->user, sizeof(i->user), "%s", s->p.user);
	snprintf(i->cipher, sizeof(i->cipher), "%s", s->p.cipher);
	i->digest = cp_datakeys_digest(&s->p.kc);
	i->framing = (uint8_t)s->p.framing;
	i->vpn_ip = s->p.vpn_ip;
	i->peer_id = s->p.installed ? s->p.peer_id : UINT32_MAX;
	i->key_id = s->p.ks ? s->p.ks->key_id : 0;
	i->established = s->p.pushed && !s->p.ended;
	i->since = s->p.since;
	pthread_mutex_unlock(&s->lock);
}
