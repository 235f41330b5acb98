/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admission (cp_admit.c) with tls-crypt, injected time and a client made
 * of packets: the stateless cookie reply to a hard reset, what is dropped
 * before any state (bad wrap, header, opcode, key-id) and counted, the
 * per-source reply and session limits, the half-open and session caps,
 * and the third packet that echoes the cookie and starts a session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "cp_admit.h"
#include "ovpn_key_file.h"
#include "sl_test.h"
#include "test_cp_pki.h"

static struct cp_test_pki pki;
static struct sl_config cfg;
static struct cp_ctx ctx;
static struct cp_admit *admit;
static uint64_t now_s = 1700000000;
static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 7 };
static struct ovpn_wrap *cl_wrap;	/* the clients' side of tls-crypt */
static struct ovpn_wrap_pid_tx cl_tx;

static int setup(void)
{
	char err[256];

	CHECK_EQ(cp_test_pki_make(&pki, &cfg.pki), 0);
	cfg.vpn.hand_window = 60;
	cfg.vpn.max_clients = 16;
	cfg.vpn.pool.addr = 0x0a0a0000;
	cfg.vpn.pool.len = 24;
	cfg.ctl.connect_rate = 2;
	cfg.ctl.max_half_open = 4;
	snprintf(cfg.vpn.data_ciphers[0], sizeof(cfg.vpn.data_ciphers[0]), "AES-256-GCM");
	cfg.vpn.n_ciphers = 1;
	CHECK_EQ(cp_ctx_open(&ctx, &cfg, err, sizeof(err)), 0);
	admit = cp_admit_new(&ctx);
	cl_wrap = ovpn_wrap_tls_crypt_new(pki.tc_key, false, &(int){ 0 });
	CHECK(admit != NULL && cl_wrap != NULL);
	ovpn_wrap_pid_tx_init(&cl_tx, 0);
	return 0;
}

static void teardown(void)
{
	ovpn_wrap_free(cl_wrap);
	cp_admit_free(admit);
	cp_ctx_close(&ctx);
	cp_test_pki_free(&pki);
}

static uint64_t count(enum cp_stat s)
{
	return atomic_load(&ctx.stats[s]);
}

/* ---- the client ---- */

static struct cp_pkt *wire(const struct ovpn_ctrl_pkt *pkt, const struct sl_endpoint *from)
{
	uint8_t plain[CP_PKT_MAX], w[CP_PKT_MAX];
	int n = ovpn_ctrl_build(pkt, plain, sizeof(plain));

	if (n > 0)
		n = ovpn_wrap_wrap(cl_wrap, &cl_tx, (uint32_t)now_s, plain, (size_t)n, w,
				   sizeof(w));
	return n > 0 ? cp_pkt_new(w, (size_t)n, from, mac) : NULL;
}

static struct cp_pkt *hard_reset(const uint8_t *sid, uint8_t key_id, uint32_t msg_id,
				 const struct sl_endpoint *from)
{
	struct ovpn_ctrl_pkt r = { .opcode = OVPN_P_CONTROL_HARD_RESET_CLIENT_V2,
				   .key_id = key_id, .has_msg_id = true, .msg_id = msg_id };

	memcpy(r.sid, sid, OVPN_SID_LEN);
	return wire(&r, from);
}

/* CONTROL_V1 msg-id 1 (a ClientHello's place) acking ACKED, echoing COOKIE. */
static struct cp_pkt *third(const uint8_t *sid, const uint8_t *cookie, uint32_t acked,
			    const struct sl_endpoint *from)
{
	static const uint8_t hello[16] = { 0x16, 3, 1 };
	struct ovpn_ctrl_pkt r = { .opcode = OVPN_P_CONTROL_V1, .n_acks = 1,
				   .has_msg_id = true, .msg_id = 1, .payload = hello,
				   .payload_len = sizeof(hello) };

	r.acks[0] = acked;
	memcpy(r.sid, sid, OVPN_SID_LEN);
	memcpy(r.peer_sid, cookie, OVPN_SID_LEN);
	return wire(&r, from);
}

/* IN's verdict with LIVE the session at its endpoint (or NULL); a reply
 * is unwrapped into *rep (when given) and freed. */
static enum cp_admit_verdict admit_at(struct cp_pkt *in, struct cp_session *live,
				      struct ovpn_ctrl_pkt *rep, struct cp_admit_ok *ok)
{
	static uint8_t plain[CP_PKT_MAX];
	struct cp_admit_ok scratch = { 0 };
	struct cp_pkt *reply = NULL;
	struct ovpn_wrap_rid rid;
	enum cp_admit_verdict v = cp_admit_packet(admit, in, live, now_s, &reply,
						  ok ? ok : &scratch);
	int n;

	if (reply != NULL && rep != NULL) {
		n = ovpn_wrap_unwrap(cl_wrap, NULL, reply->data, reply->len, plain, sizeof(plain),
				     &rid);
		if (n < 0 || ovpn_ctrl_parse(plain, (size_t)n, rep) != 0)
			v = CP_ADMIT_DROP;	/* not what a client can read */
		if (!sl_endpoint_eq(&reply->peer, &in->peer) || memcmp(reply->mac, mac, 6) != 0)
			v = CP_ADMIT_DROP;	/* not addressed to the client */
	}
	free(reply);
	free(in);
	return v;
}

/* The same where no session lives at IN's endpoint. */
static enum cp_admit_verdict admit_one(struct cp_pkt *in, struct ovpn_ctrl_pkt *rep,
				       struct cp_admit_ok *ok)
{
	return admit_at(in, NULL, rep, ok);
}

/* A hard reset from FROM (where LIVE lives, or NULL) and the cookie it gets back. */
static int cookie_at(const uint8_t *sid, const struct sl_endpoint *from,
		     struct cp_session *live, uint8_t *cookie)
{
	struct ovpn_ctrl_pkt rep;

	CHECK_EQ(admit_at(hard_reset(sid, 0, 0, from), live, &rep, NULL), CP_ADMIT_REPLY);
	memcpy(cookie, rep.sid, OVPN_SID_LEN);
	return 0;
}

static int cookie_of(const uint8_t *sid, const struct sl_endpoint *from, uint8_t *cookie)
{
	return cookie_at(sid, from, NULL, cookie);
}

/* A session made by cp_admit_session() goes, as its end would take it back. */
static void drop_session(struct cp_session *s)
{
	cp_session_leave_half_open(&ctx, s);
	atomic_fetch_sub(&ctx.n_sessions, 1);
	cp_session_unref(s);
}

/* ---- cases ---- */

static int test_cookie_reply(void)
{
	struct sl_endpoint a = sl_endpoint_udp4(0xc0000210, 50000);
	uint8_t sid[OVPN_SID_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 }, cookie[OVPN_SID_LEN];
	uint64_t before = count(CP_ST_COOKIES);
	struct ovpn_ctrl_pkt rep;

	now_s += 100;
	CHECK_EQ(admit_one(hard_reset(sid, 0, 0, &a), &rep, NULL), CP_ADMIT_REPLY);
	CHECK_EQ(rep.opcode, OVPN_P_CONTROL_HARD_RESET_SERVER_V2);
	CHECK_EQ(rep.key_id, 0);
	CHECK_EQ(rep.n_acks, 1);
	CHECK_EQ(rep.acks[0], 0);		/* the client's msg 0 */
	CHECK_MEM(rep.peer_sid, sid, OVPN_SID_LEN);
	CHECK(rep.has_msg_id);
	CHECK_EQ(rep.msg_id, 0);
	CHECK(memcmp(rep.sid, "\0\0\0\0\0\0\0\0", OVPN_SID_LEN) != 0);
	CHECK_EQ(count(CP_ST_COOKIES), before + 1);
	/* Stateless: the same reset in the same time slot, the same cookie. */
	CHECK_EQ(cookie_of(sid, &a, cookie), 0);
	CHECK_MEM(cookie, rep.sid, OVPN_SID_LEN);
	return 0;
}

/* Dropped before any state, each for its reason. */
static int test_drops_counted(void)
{
	struct sl_endpoint a = sl_endpoint_udp4(0xc0000211, 50000);
	uint8_t sid[OVPN_SID_LEN] = { 9, 9, 9, 9, 9, 9, 9, 9 }, zero[OVPN_SID_LEN] = { 0 };
	uint64_t wrap = count(CP_ST_DROP_WRAP), op = count(CP_ST_DROP_OPCODE);
	uint64_t shrt = count(CP_ST_DROP_SHORT);
	struct cp_pkt *p;

	now_s += 100;
	p = hard_reset(sid, 0, 0, &a);
	p->data[p->len / 2] ^= 0x40;		/* tampered with on the way */
	CHECK_EQ(admit_one(p, NULL, NULL), CP_ADMIT_DROP);
	CHECK_EQ(count(CP_ST_DROP_WRAP), wrap + 1);
	p = hard_reset(sid, 0, 0, &a);
	p->len = 5;
	CHECK_EQ(admit_one(p, NULL, NULL), CP_ADMIT_DROP);
	CHECK_EQ(admit_one(hard_reset(zero, 0, 0, &a), NULL, NULL), CP_ADMIT_DROP);
	CHECK_EQ(count(CP_ST_DROP_SHORT), shrt + 2);
	CHECK_EQ(admit_one(hard_reset(sid, 1, 0, &a), NULL, NULL), CP_ADMIT_DROP);
	CHECK_EQ(admit_one(hard_reset(sid, 0, 1, &a), NULL, NULL), CP_ADMIT_DROP);
	CHECK_EQ(count(CP_ST_DROP_OPCODE), op + 2);
	CHECK_EQ(count(CP_ST_DROP_WRAP), wrap + 1);
	return 0;
}

/* control.connect_rate 2: 8 cookie replies and 2 sessions per source and 10 s. */
static int test_rate_limit(void)
{
	struct sl_endpoint a = sl_endpoint_udp4(0xc0000212, 50000);
	struct sl_endpoint b = sl_endpoint_udp4(0xc0000213, 50000);
	uint8_t sid[OVPN_SID_LEN] = { 7, 7, 7, 7, 7, 7, 7, 7 }, cookie[OVPN_SID_LEN];
	struct cp_admit_ok ok = { .peer = a };
	uint64_t rate = count(CP_ST_DROP_RATE);
	struct cp_session *s[2];

	now_s = (now_s / 10 + 100) * 10;	/* the start of a window */
	for (int i = 0; i < 8; i++)
		CHECK_EQ(cookie_of(sid, &a, cookie), 0);
	CHECK_EQ(admit_one(hard_reset(sid, 0, 0, &a), NULL, NULL), CP_ADMIT_DROP);
	CHECK_EQ(count(CP_ST_DROP_RATE), rate + 1);
	CHECK_EQ(cookie_of(sid, &b, cookie), 0);	/* another source */
	for (int i = 0; i < 2; i++) {
		s[i] = cp_admit_session(admit, &ok, now_s, now_s * 1000);
		CHECK(s[i] != NULL);
	}
	CHECK(cp_admit_session(admit, &ok, now_s, now_s * 1000) == NULL);
	CHECK_EQ(count(CP_ST_DROP_RATE), rate + 2);
	now_s += 10;				/* the next window */
	CHECK_EQ(cookie_of(sid, &a, cookie), 0);
	drop_session(s[0]);
	drop_session(s[1]);
	return 0;
}

/*
 * Unwrapping is the costly part of admission (with tls-crypt-v2 it
 * unwraps the client key and re-keys a context for every packet): a source
 * gets control.connect_rate x 5 unwraps per 10 s (a cookie reply's four
 * and a third packet per session it may make); the rest are dropped as
 * drop-rate before any unwrapping, whatever they hold.
 */
static int test_unwrap_budget(void)
{
	struct sl_endpoint c = sl_endpoint_udp4(0xc0000215, 50000);
	struct sl_endpoint d = sl_endpoint_udp4(0xc0000216, 50000);
	uint8_t sid[OVPN_SID_LEN] = { 9, 9, 9, 9, 9, 9, 9, 9 };
	uint64_t rate = count(CP_ST_DROP_RATE), wrap = count(CP_ST_DROP_WRAP);
	struct cp_pkt *p;

	now_s = (now_s / 10 + 200) * 10;	/* the start of a window */
	for (int i = 0; i < 11; i++) {
		p = hard_reset(sid, 0, 0, i < 10 ? &c : &d);
		CHECK(p != NULL);
		p->data[20] ^= 1;		/* forged: the tag is wrong */
		CHECK_EQ(admit_one(p, NULL, NULL), CP_ADMIT_DROP);
	}
	CHECK_EQ(count(CP_ST_DROP_WRAP), wrap + 11);
	CHECK_EQ(count(CP_ST_DROP_RATE), rate);
	p = hard_reset(sid, 0, 0, &c);		/* even a genuine one */
	CHECK_EQ(admit_one(p, NULL, NULL), CP_ADMIT_DROP);
	CHECK_EQ(count(CP_ST_DROP_WRAP), wrap + 11);
	CHECK_EQ(count(CP_ST_DROP_RATE), rate + 1);
	now_s += 10;				/* the next window */
	CHECK_EQ(cookie_of(sid, &c, (uint8_t[OVPN_SID_LEN]){ 0 }), 0);
	return 0;
}

/* control.max_half_open, and vpn.max_clients with its 16 spare. */
static int test_caps(void)
{
	struct cp_admit_ok ok = { .peer = sl_endpoint_udp4(0xc0000214, 50000) };
	uint64_t half = count(CP_ST_DROP_HALF_OPEN), full = count(CP_ST_DROP_FULL);
	struct cp_session *s;

	now_s += 100;
	atomic_store(&ctx.half_open, 4);
	CHECK(cp_admit_session(admit, &ok, now_s, now_s * 1000) == NULL);
	CHECK_EQ(count(CP_ST_DROP_HALF_OPEN), half + 1);
	atomic_store(&ctx.half_open, 0);
	atomic_store(&ctx.n_sessions, 32);
	CHECK(cp_admit_session(admit, &ok, now_s, now_s * 1000) == NULL);
	CHECK_EQ(count(CP_ST_DROP_FULL), full + 1);
	atomic_store(&ctx.n_sessions, 31);
	atomic_store(&ctx.half_open, 3);
	s = cp_admit_session(admit, &ok, now_s, now_s * 1000);
	CHECK(s != NULL);
	CHECK_EQ(atomic_load(&ctx.half_open), 4);
	drop_session(s);
	atomic_store(&ctx.half_open, 0);
	atomic_store(&ctx.n_sessions, 0);
	return 0;
}

/* The third packet echoes the cookie for its own endpoint: a session. */
static int test_third_packet(void)
{
	struct sl_endpoint a = sl_endpoint_udp4(0xc0000215, 50000);
	struct sl_endpoint a2 = sl_endpoint_udp4(0xc0000215, 50001);
	uint8_t sid[OVPN_SID_LEN] = { 5, 4, 3, 2, 1, 0, 1, 2 }, cookie[OVPN_SID_LEN];
	uint8_t forged[OVPN_SID_LEN];
	uint64_t bad = count(CP_ST_DROP_COOKIE), made = count(CP_ST_SESSIONS);
	struct cp_admit_ok ok = { 0 };
	struct cp_session *s;

	now_s += 100;
	CHECK_EQ(cookie_of(sid, &a, cookie), 0);
	memcpy(forged, cookie, sizeof(forged));
	forged[0] ^= 1;
	CHECK_EQ(admit_one(third(sid, forged, 0, &a), NULL, NULL), CP_ADMIT_DROP);
	CHECK_EQ(admit_one(third(sid, cookie, 0, &a2), NULL, NULL), CP_ADMIT_DROP);
	CHECK_EQ(admit_one(third(sid, cookie, 2, &a), NULL, NULL), CP_ADMIT_DROP);
	CHECK_EQ(count(CP_ST_DROP_COOKIE), bad + 3);
	CHECK_EQ(admit_one(third(sid, cookie, 0, &a), NULL, &ok), CP_ADMIT_NEW);
	CHECK(sl_endpoint_eq(&ok.peer, &a));
	CHECK_MEM(ok.mac, mac, 6);
	CHECK_MEM(ok.sid, cookie, OVPN_SID_LEN);
	CHECK_MEM(ok.peer_sid, sid, OVPN_SID_LEN);
	CHECK(!ok.has_kc);
	s = cp_admit_session(admit, &ok, now_s, now_s * 1000);
	CHECK(s != NULL);
	CHECK(sl_endpoint_eq(&s->peer, &a));
	CHECK_MEM(s->p.sid, cookie, OVPN_SID_LEN);
	CHECK_MEM(s->p.peer_sid, sid, OVPN_SID_LEN);
	CHECK_STR(s->p.addr, "192.0.2.21:50000");
	CHECK_EQ(atomic_load(&ctx.half_open), 1);
	CHECK_EQ(atomic_load(&ctx.n_sessions), 1);
	CHECK_EQ(count(CP_ST_SESSIONS), made + 1);
	drop_session(s);
	return 0;
}

/*
 * A finished session's third packet, replayed from its endpoint while its
 * cookie is still good (vpn.hand_window), once the client has a new
 * session there: older than that session, so refused and counted as a
 * replay, and the client's session stays. The client's genuine reconnect
 * from the same endpoint (a new hard reset answered while that session
 * lives, a new session id and cookie) is admitted and replaces it.
 */
static int test_stale_third_packet(void)
{
	struct sl_endpoint a = sl_endpoint_udp4(0xc0000216, 40001);
	uint8_t first[OVPN_SID_LEN] = { 1, 1, 1, 1, 1, 1, 1, 1 }, c_first[OVPN_SID_LEN];
	uint8_t second[OVPN_SID_LEN] = { 2, 2, 2, 2, 2, 2, 2, 2 }, c_second[OVPN_SID_LEN];
	uint8_t third_sid[OVPN_SID_LEN] = { 3, 3, 3, 3, 3, 3, 3, 3 }, c_third[OVPN_SID_LEN];
	uint64_t replays = count(CP_ST_DROP_REPLAY), cookies = count(CP_ST_DROP_COOKIE);
	struct cp_session *live = cp_session_alloc();
	struct cp_admit_ok ok = { 0 };

	CHECK(live != NULL);
	live->peer = a;
	now_s += 100;
	/* The first session from this endpoint, its third packet captured. */
	CHECK_EQ(cookie_of(first, &a, c_first), 0);
	CHECK_EQ(admit_one(third(first, c_first, 0, &a), NULL, NULL), CP_ADMIT_NEW);
	/* It ended; the client came back on the same port: LIVE. */
	CHECK_EQ(cookie_of(second, &a, c_second), 0);
	CHECK_EQ(admit_one(third(second, c_second, 0, &a), NULL, NULL), CP_ADMIT_NEW);
	now_s += 10;	/* a new unwrap budget; the cookies are still good */
	/* The first third packet again, its cookie still good, twice. */
	CHECK_EQ(admit_at(third(first, c_first, 0, &a), live, NULL, NULL), CP_ADMIT_DROP);
	CHECK_EQ(admit_at(third(first, c_first, 0, &a), live, NULL, NULL), CP_ADMIT_DROP);
	CHECK_EQ(count(CP_ST_DROP_REPLAY), replays + 2);
	CHECK_EQ(count(CP_ST_DROP_COOKIE), cookies);
	/* The client starts over on the same port: a new session replaces LIVE. */
	CHECK_EQ(cookie_at(third_sid, &a, live, c_third), 0);
	CHECK_EQ(admit_at(third(third_sid, c_third, 0, &a), live, NULL, &ok), CP_ADMIT_NEW);
	CHECK_MEM(ok.peer_sid, third_sid, OVPN_SID_LEN);
	CHECK_MEM(ok.sid, c_third, OVPN_SID_LEN);
	/* Its retransmitted hard reset answered again: still one client. */
	CHECK_EQ(cookie_at(third_sid, &a, live, c_third), 0);
	CHECK_EQ(admit_at(third(third_sid, c_third, 0, &a), live, NULL, NULL), CP_ADMIT_NEW);
	CHECK_EQ(count(CP_ST_DROP_REPLAY), replays + 2);
	cp_session_unref(live);
	return 0;
}

/* ---- tls-crypt-v2: a second admission with a server key ---- */

static struct cp_ctx v2ctx;

/* A client packet OP wrapped with KC, its WKc appended (OpenVPN
 * ssl_pkt.c, tls_wrap: HARD_RESET_CLIENT_V3 and CONTROL_WKC_V1). */
static struct cp_pkt *v2_wire(struct ovpn_wrap *cli, struct ovpn_wrap_pid_tx *tx,
			      const struct ovpn_ctrl_pkt *pkt, const uint8_t *wkc, int wkc_len,
			      const struct sl_endpoint *from)
{
	uint8_t plain[CP_PKT_MAX], w[CP_PKT_MAX];
	int n = ovpn_ctrl_build(pkt, plain, sizeof(plain));

	n = ovpn_wrap_wrap(cli, tx, (uint32_t)now_s, plain, (size_t)n, w, sizeof(w));
	n = ovpn_wrap_v2_append_wkc(w, (size_t)n, sizeof(w), wkc, (size_t)wkc_len);
	return n > 0 ? cp_pkt_new(w, (size_t)n, from, mac) : NULL;
}

/*
 * The metadata of a client key (type 0x00, user-defined: here a user
 * name) arrives with the session; a key with none leaves it empty.
 */
static int v2_session_meta(struct cp_admit *a2, struct ovpn_wrap_v2_server *srv,
			   const uint8_t *meta, size_t meta_len, struct cp_v2meta *got)
{
	struct sl_endpoint from = sl_endpoint_udp4(0xc0000230, 50100);
	uint8_t kc[OVPN_V2_CLIENT_KEY_LEN], wkc[OVPN_V2_WKC_MAX], plain[CP_PKT_MAX];
	uint8_t sid[OVPN_SID_LEN] = { 9, 8, 7, 6, 5, 4, 3, 2 }, hello[16] = { 0x16, 3, 1 };
	struct ovpn_ctrl_pkt r = { .opcode = OVPN_P_CONTROL_HARD_RESET_CLIENT_V3,
				   .has_msg_id = true }, rep;
	struct ovpn_wrap_pid_tx tx;
	struct ovpn_wrap_rid rid;
	struct cp_admit_ok ok = { 0 };
	struct cp_pkt *in, *reply = NULL;
	struct ovpn_wrap *cli;
	struct cp_session *s;
	int wl, n;

	RAND_bytes(kc, sizeof(kc));
	cli = ovpn_wrap_tls_crypt_new(kc, false, &(int){ 0 });
	CHECK(cli != NULL);
	wl = ovpn_wrap_v2_wrap_client_key(srv, kc, meta, meta_len, wkc, sizeof(wkc));
	CHECK(wl > 0);
	ovpn_wrap_pid_tx_init(&tx, OVPN_V2_EARLY_NEG_START);
	memcpy(r.sid, sid, OVPN_SID_LEN);
	in = v2_wire(cli, &tx, &r, wkc, wl, &from);
	CHECK_EQ(cp_admit_packet(a2, in, NULL, now_s, &reply, &ok), CP_ADMIT_REPLY);
	free(in);
	CHECK(reply != NULL);
	n = ovpn_wrap_unwrap(cli, NULL, reply->data, reply->len, plain, sizeof(plain), &rid);
	free(reply);
	CHECK(n > 0 && ovpn_ctrl_parse(plain, (size_t)n, &rep) == 0);
	r = (struct ovpn_ctrl_pkt){ .opcode = OVPN_P_CONTROL_WKC_V1, .n_acks = 1,
				    .has_msg_id = true, .msg_id = 1, .payload = hello,
				    .payload_len = sizeof(hello) };
	memcpy(r.sid, sid, OVPN_SID_LEN);
	memcpy(r.peer_sid, rep.sid, OVPN_SID_LEN);
	in = v2_wire(cli, &tx, &r, wkc, wl, &from);
	memset(&ok, 0, sizeof(ok));
	CHECK_EQ(cp_admit_packet(a2, in, NULL, now_s, &reply, &ok), CP_ADMIT_NEW);
	free(in);
	CHECK(ok.has_kc);
	s = cp_admit_session(a2, &ok, now_s, now_s * 1000);
	CHECK(s != NULL);
	*got = s->v2meta;
	cp_session_leave_half_open(&v2ctx, s);
	atomic_fetch_sub(&v2ctx.n_sessions, 1);
	cp_session_unref(s);
	ovpn_wrap_free(cli);
	return 0;
}

static int test_v2_meta(void)
{
	static const uint8_t user[] = "\x00" "alice@example.com";
	uint8_t key[OVPN_V2_SERVER_KEY_LEN], big[400] = { 0 };
	struct sl_config cfg2 = cfg;
	struct ovpn_key_file_error e;
	struct ovpn_wrap_v2_server *srv;
	struct cp_admit *a2;
	struct cp_v2meta got;
	char text[2048], err[256];
	FILE *f;
	int rc = 0;

	CHECK(ovpn_key_file_gen_v2_server(text, sizeof(text)) > 0);
	CHECK_EQ(ovpn_key_file_parse_v2_server(text, strlen(text), key, &e), 0);
	cfg2.pki.tls_crypt[0] = '\0';
	snprintf(cfg2.pki.tls_crypt_v2, sizeof(cfg2.pki.tls_crypt_v2), "%s/v2s.key", pki.dir);
	f = fopen(cfg2.pki.tls_crypt_v2, "w");
	CHECK(f != NULL);
	fputs(text, f);
	fclose(f);
	v2ctx.now_ms = ctx.now_ms;
	CHECK_EQ(cp_ctx_open(&v2ctx, &cfg2, err, sizeof(err)), 0);
	unlink(cfg2.pki.tls_crypt_v2);
	a2 = cp_admit_new(&v2ctx);
	srv = ovpn_wrap_v2_server_new(key, &(int){ 0 });
	CHECK(a2 != NULL && srv != NULL);
	now_s += 100;
	if (v2_session_meta(a2, srv, user, sizeof(user) - 1, &got) != 0 ||
	    got.len != sizeof(user) - 1 || got.cut || memcmp(got.data, user, got.len) != 0)
		rc = -1;
	now_s += 100;
	if (rc == 0 && (v2_session_meta(a2, srv, NULL, 0, &got) != 0 || got.len != 0))
		rc = -1;
	/* More than a session keeps: cut, and marked so. */
	big[399] = 0x5a;
	now_s += 100;
	if (rc == 0 && (v2_session_meta(a2, srv, big, sizeof(big), &got) != 0 ||
			got.len != CP_V2META_MAX || !got.cut))
		rc = -1;
	ovpn_wrap_v2_server_free(srv);
	cp_admit_free(a2);
	cp_ctx_close(&v2ctx);
	return rc;
}

static const struct sl_test_case cases[] = {
	{ "hard reset: stateless cookie reply", test_cookie_reply },
	{ "bad wrap, header, key-id, opcode: dropped and counted", test_drops_counted },
	{ "per-source limits on replies and sessions", test_rate_limit },
	{ "per-source unwrap budget, checked before unwrapping", test_unwrap_budget },
	{ "half-open and session caps", test_caps },
	{ "the third packet echoes the cookie: a session", test_third_packet },
	{ "a finished session's third packet replayed at the client's new session: "
	  "refused as a replay; a reconnect from there admitted", test_stale_third_packet },
	{ "tls-crypt-v2: the client key's metadata kept with the session (cut "
	  "beyond 255 bytes)", test_v2_meta },
	{ NULL, NULL }
};

int main(void)
{
	int rc;

	RAND_poll();
	if (setup() != 0)
		return 1;
	rc = sl_test_run("cp_admit", cases);
	teardown();
	return rc;
}
