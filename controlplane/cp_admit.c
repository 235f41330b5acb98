/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admission of packets from clients without a session, on the event
 * loop: nothing here allocates per packet beyond the reply, and no TLS
 * work happens before a client proved it can receive at its address. It
 * is OpenVPN 2.6's stateless cookie (src/openvpn/mudp.c,
 * do_pre_decrypt_check; ssl_pkt.c, tls_pre_decrypt_lite,
 * calculate_session_id_hmac, check_session_id_hmac) with early
 * negotiation for tls-crypt-v2 (ssl_pkt.c, tls_reset_standalone):
 *
 *   1. header: length, key-id 0, an opcode a new client may send;
 *   2. wrap check (tls-auth / tls-crypt / tls-crypt-v2) without the replay
 *      window, as OpenVPN does on this path; failures are counted;
 *   3. hard reset  -> stateless HARD_RESET_SERVER_V2 with the HMAC cookie
 *                     as our session id (per-source reply limit);
 *      CONTROL_V1 / ACK_V1 / CONTROL_WKC_V1 acking msg 0 and echoing a
 *                     valid cookie -> a new session may be made; where a
 *                     session lives at that endpoint, only for a hard
 *                     reset answered since it began (reset_noted);
 *   4. the limits: handshakes in progress, sessions, new sessions per
 *      source (cp_admit_session).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "cp_admit.h"
#include "cp_v2user.h"
#include "cp_wrapkeys.h"
#include "ovpn_wrap_cookie.h"
#include "sl_log.h"

#define CP_RATE_SLOTS		4096
#define CP_RATE_WINDOW_S	10
#define CP_REPLIES_PER_SESSION	4	/* cookie replies per allowed session */
/* Unwraps per allowed session: its cookie replies and its third packet. */
#define CP_UNWRAPS_PER_SESSION	(CP_REPLIES_PER_SESSION + 1)

struct cp_rate {
	struct sl_addr addr;
	uint32_t window;
	uint32_t sessions;
	uint32_t replies;
	uint32_t unwraps;
};

struct cp_admit {
	struct cp_ctx *ctx;
	enum cp_wrap_mode mode;
	struct ovpn_wrap_cookie *cookie;
	struct ovpn_wrap *wrap;		/* tls-auth / tls-crypt, or v2 scratch (Kc) */
	struct cp_rate rate[CP_RATE_SLOTS];
};

struct cp_admit *cp_admit_new(struct cp_ctx *ctx)
{
	struct cp_admit *a = calloc(1, sizeof(*a));
	uint8_t key[OVPN_KEY2_LEN];
	int err;

	if (a == NULL || RAND_bytes(key, sizeof(key)) != 1)
		goto free_admit;
	a->ctx = ctx;
	a->mode = cp_wrapkeys_mode(ctx->keys);
	/* The cookie key lives as long as the process: restarts void old cookies. */
	a->cookie = ovpn_wrap_cookie_new(key, ctx->cfg->vpn.hand_window, &err);
	if (a->mode == CP_WRAP_TLS_CRYPT_V2)
		a->wrap = ovpn_wrap_tls_crypt_new(key, true, &err);	/* rekeyed per packet */
	else
		a->wrap = cp_wrapkeys_wrap_new(ctx->keys, NULL);
	OPENSSL_cleanse(key, sizeof(key));
	if (a->cookie == NULL || (a->mode != CP_WRAP_NONE && a->wrap == NULL))
		goto free_admit;
	return a;
free_admit:
	OPENSSL_cleanse(key, sizeof(key));
	cp_admit_free(a);
	return NULL;
}

void cp_admit_free(struct cp_admit *a)
{
	if (a == NULL)
		return;
	ovpn_wrap_cookie_free(a->cookie);
	ovpn_wrap_free(a->wrap);
	free(a);
}

static struct cp_rate *rate_of(struct cp_admit *a, const struct sl_addr *addr, uint64_t now_s)
{
	struct cp_rate *r = &a->rate[cp_addr_hash(addr) % CP_RATE_SLOTS];
	uint32_t w = (uint32_t)(now_s / CP_RATE_WINDOW_S);

	/* A collision restarts the other address's window: cheap, and only lenient. */
	if (!sl_addr_eq(&r->addr, addr) || r->window != w) {
		r->addr = *addr;
		r->window = w;
		r->sessions = r->replies = r->unwraps = 0;
	}
	return r;
}

/* Per-source new-session limit (control.connect_rate per 10 s); counts one. */
static bool sessions_ok(struct cp_admit *a, const struct sl_addr *addr, uint64_t now_s)
{
	struct cp_rate *r = rate_of(a, addr, now_s);

	if (r->sessions >= a->ctx->cfg->ctl.connect_rate)
		return false;
	r->sessions++;
	return true;
}

static bool replies_ok(struct cp_admit *a, const struct sl_addr *addr, uint64_t now_s)
{
	struct cp_rate *r = rate_of(a, addr, now_s);

	if (r->replies >= a->ctx->cfg->ctl.connect_rate * CP_REPLIES_PER_SESSION)
		return false;
	r->replies++;
	return true;
}

/*
 * Every admission packet is unwrapped before anything else is known of
 * it, and with tls-crypt-v2 that unwraps the client key and re-keys a
 * context: a source gets a budget per window, counted before the unwrap,
 * so neither forged nor replayed packets can make more work than the
 * handshakes it may start (the data plane already bounds the packets per
 * source and second, control.rx_rate).
 */
static bool unwrap_ok(struct cp_admit *a, const struct sl_addr *addr, uint64_t now_s)
{
	struct cp_rate *r = rate_of(a, addr, now_s);

	if (r->unwraps >= a->ctx->cfg->ctl.connect_rate * CP_UNWRAPS_PER_SESSION)
		return false;
	r->unwraps++;
	return true;
}

/* The client key's metadata, as much as a session keeps. */
static void meta_keep(struct cp_v2meta *m, const uint8_t *meta, size_t len)
{
	m->cut = len > sizeof(m->data);
	m->len = (uint8_t)(m->cut ? sizeof(m->data) : len);
	memcpy(m->data, meta, m->len);
}

static int unwrap(struct cp_admit *a, const struct cp_pkt *in, uint8_t *out, size_t cap,
		  struct ovpn_wrap_rid *rid, struct cp_admit_ok *ok)
{
	uint8_t meta[OVPN_V2_META_MAX];
	size_t meta_len;
	int rc;

	switch (a->mode) {
	case CP_WRAP_NONE:
		memcpy(out, in->data, in->len);
		return in->len;
	case CP_WRAP_TLS_CRYPT_V2:
		rc = ovpn_wrap_v2_server_unwrap(cp_wrapkeys_v2_server(a->ctx->keys), a->wrap, NULL,
						in->data, in->len, out, cap, rid, ok->kc,
						meta, sizeof(meta), &meta_len);
		if (rc >= 0 && !cp_v2user_allowed(a->ctx, meta, meta_len, &in->peer))
			rc = -EACCES;	/* a removed or disabled user: before any TLS work */
		ok->has_kc = rc >= 0;
		if (rc >= 0)
			meta_keep(&ok->meta, meta, meta_len);
		OPENSSL_cleanse(meta, sizeof(meta));
		return rc;
	default:
		return ovpn_wrap_unwrap(a->wrap, NULL, in->data, in->len, out, cap, rid);
	}
}

/* The sender as the cookie hashes it: its sockaddr_in or sockaddr_in6. */
static const struct sockaddr *sockaddr_of(const struct cp_pkt *in, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (sl_addr_is_v4(&in->peer.addr)) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(in->peer.port);
		in4->sin_addr.s_addr = htonl(in->peer.addr.v4);
	} else {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(in->peer.port);
		memcpy(&in6->sin6_addr, in->peer.addr.v6, sizeof(in6->sin6_addr));
	}
	return (const struct sockaddr *)ss;
}

/* HARD_RESET_SERVER_V2: cookie sid, ack [0], msg-id 0, fresh replay-id 1. */
static struct cp_pkt *cookie_reply(struct cp_admit *a, const struct cp_pkt *in,
				   const struct ovpn_ctrl_pkt *pkt,
				   const struct ovpn_wrap_rid *rid, uint64_t now_s)
{
	struct ovpn_ctrl_pkt r = { .opcode = OVPN_P_CONTROL_HARD_RESET_SERVER_V2,
				   .n_acks = 1, .has_msg_id = true };
	uint8_t plain[128], wire[256], tlv[OVPN_EARLY_NEG_TLV_LEN];
	struct ovpn_wrap_pid_tx tx;
	struct sockaddr_storage ss;
	int n;

	if (ovpn_wrap_cookie_make(a->cookie, now_s, sockaddr_of(in, &ss), pkt->sid, r.sid) != 0)
		return NULL;
	memcpy(r.peer_sid, pkt->sid, OVPN_SID_LEN);
	/* Only a V3 client that signalled early negotiation may get the TLV. */
	if (pkt->opcode == OVPN_P_CONTROL_HARD_RESET_CLIENT_V3 &&
	    ovpn_wrap_v2_early_neg(rid->counter) &&
	    ovpn_ctrl_tlv_build(OVPN_EARLY_NEG_FLAG_RESEND_WKC, tlv, sizeof(tlv)) > 0) {
		r.payload = tlv;
		r.payload_len = sizeof(tlv);
	}
	n = ovpn_ctrl_build(&r, plain, sizeof(plain));
	if (n > 0 && a->mode != CP_WRAP_NONE) {
		ovpn_wrap_pid_tx_init(&tx, 0);
		n = ovpn_wrap_wrap(a->wrap, &tx, (uint32_t)now_s, plain, (size_t)n, wire,
				   sizeof(wire));
	} else if (n > 0) {
		memcpy(wire, plain, (size_t)n);
	}
	return n > 0 ? cp_pkt_new(wire, (size_t)n, &in->peer, in->mac) : NULL;
}

/* The third packet: it must ack our msg 0 and echo a cookie of ours. */
static bool cookie_valid(struct cp_admit *a, const struct cp_pkt *in,
			 const struct ovpn_ctrl_pkt *pkt, uint64_t now_s)
{
	struct sockaddr_storage ss;

	if (pkt->n_acks == 0 || (pkt->has_msg_id && pkt->msg_id > 1))
		return false;
	for (unsigned i = 0; i < pkt->n_acks; i++)
		if (pkt->acks[i] > 1)
			return false;
	return ovpn_wrap_cookie_check(a->cookie, now_s, sockaddr_of(in, &ss), pkt->sid,
				      pkt->peer_sid) == 0;
}

static bool opcode_ok(uint8_t op, enum cp_wrap_mode mode)
{
	switch (op) {
	case OVPN_P_CONTROL_HARD_RESET_CLIENT_V2:
	case OVPN_P_CONTROL_V1:
	case OVPN_P_ACK_V1:
		return mode != CP_WRAP_TLS_CRYPT_V2;
	case OVPN_P_CONTROL_HARD_RESET_CLIENT_V3:
	case OVPN_P_CONTROL_WKC_V1:
		return mode == CP_WRAP_TLS_CRYPT_V2;
	default:
		return false;
	}
}

static bool is_reset(uint8_t op)
{
	return op == OVPN_P_CONTROL_HARD_RESET_CLIENT_V2 ||
	       op == OVPN_P_CONTROL_HARD_RESET_CLIENT_V3;
}

/*
 * A cookie proves the client received our reply at its address, not when:
 * it stays good for vpn.hand_window, so the third packet of a session
 * that has ended can be replayed from the same address and port, and
 * would make a session replacing the one the client has there now. What
 * tells them apart is the order: a client starting over sends its hard
 * reset after its current session began, so the hard resets answered at
 * a live session's endpoint are noted with it (the last CP_RESETS_KEPT;
 * a client retransmits its reset with the same session id), and a third
 * packet whose reset is not among them is older than that session: a
 * replay. Event loop only, like the table LIVE was found in.
 */
static bool reset_noted(const struct cp_session *live, const uint8_t *sid)
{
	for (unsigned i = 0; i < live->n_resets; i++)
		if (memcmp(live->resets[i], sid, OVPN_SID_LEN) == 0)
			return true;
	return false;
}

static void reset_note(struct cp_session *live, const uint8_t *sid)
{
	if (live == NULL || reset_noted(live, sid))
		return;
	if (live->n_resets == CP_RESETS_KEPT) {
		memmove(live->resets[0], live->resets[1],
			(CP_RESETS_KEPT - 1) * sizeof(live->resets[0]));
		live->n_resets--;
	}
	memcpy(live->resets[live->n_resets++], sid, OVPN_SID_LEN);
}

static enum cp_admit_verdict drop(struct cp_admit *a, enum cp_stat why)
{
	cp_count(a->ctx, why);
	return CP_ADMIT_DROP;
}

enum cp_admit_verdict cp_admit_packet(struct cp_admit *a, const struct cp_pkt *in,
				      struct cp_session *live, uint64_t now_s,
				      struct cp_pkt **reply, struct cp_admit_ok *ok)
{
	uint8_t plain[CP_PKT_MAX], op, kid, sid[OVPN_SID_LEN];
	struct ovpn_wrap_rid rid = { 0 };
	struct ovpn_ctrl_pkt pkt;
	int n;

	if (ovpn_ctrl_peek(in->data, in->len, &op, &kid, sid) != 0 ||
	    memcmp(sid, "\0\0\0\0\0\0\0\0", OVPN_SID_LEN) == 0)
		return drop(a, CP_ST_DROP_SHORT);
	if (kid != 0 || !opcode_ok(op, a->mode))
		return drop(a, CP_ST_DROP_OPCODE);
	if (!unwrap_ok(a, &in->peer.addr, now_s))
		return drop(a, CP_ST_DROP_RATE);
	n = unwrap(a, in, plain, sizeof(plain), &rid, ok);
	if (n < 0)
		return drop(a, CP_ST_DROP_WRAP);
	if (ovpn_ctrl_parse(plain, (size_t)n, &pkt) != 0)
		return drop(a, CP_ST_DROP_PARSE);
	if (is_reset(op)) {
		if (pkt.msg_id != 0)
			return drop(a, CP_ST_DROP_OPCODE);
		if (!replies_ok(a, &in->peer.addr, now_s))
			return drop(a, CP_ST_DROP_RATE);
		*reply = cookie_reply(a, in, &pkt, &rid, now_s);
		cp_count(a->ctx, CP_ST_COOKIES);
		if (*reply == NULL)
			return CP_ADMIT_DROP;
		reset_note(live, pkt.sid);
		return CP_ADMIT_REPLY;
	}
	if (!cookie_valid(a, in, &pkt, now_s))
		return drop(a, CP_ST_DROP_COOKIE);
	if (live != NULL && !reset_noted(live, pkt.sid))
		return drop(a, CP_ST_DROP_REPLAY);
	ok->peer = in->peer;
	memcpy(ok->mac, in->mac, 6);
	memcpy(ok->sid, pkt.peer_sid, OVPN_SID_LEN);
	memcpy(ok->peer_sid, pkt.sid, OVPN_SID_LEN);
	return CP_ADMIT_NEW;
}

struct cp_session *cp_admit_session(struct cp_admit *a, const struct cp_admit_ok *ok,
				    uint64_t now_s, uint64_t now_ms)
{
	struct cp_ctx *ctx = a->ctx;
	struct cp_session *s = NULL;

	if (atomic_load(&ctx->half_open) >= ctx->cfg->ctl.max_half_open)
		cp_count(ctx, CP_ST_DROP_HALF_OPEN);
	else if (atomic_load(&ctx->n_sessions) >= ctx->cfg->vpn.max_clients + 16)
		cp_count(ctx, CP_ST_DROP_FULL);	/* a few spare for replacements */
	else if (!sessions_ok(a, &ok->peer.addr, now_s))
		cp_count(ctx, CP_ST_DROP_RATE);
	else
		s = cp_session_new(ctx, ok, now_ms);
	if (s != NULL)
		cp_count(ctx, CP_ST_SESSIONS);
	return s;
}
