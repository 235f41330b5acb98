/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Adoption of data-plane peers by a restarted control plane (cp_adopt.c,
 * cp_pool.c): the session reads its info from the sl_peer_stats entry,
 * the pool reserves its peer-id and address, a new session of the same
 * common name takes the address over (and the adopted session's release
 * then leaves it alone), and entries the pool cannot hold are refused.
 * On the event loop's side, with stand-ins for the loop's two calls: every
 * in-use entry of sl_status.peers adopted or removed, a PEER_NEW of the
 * same address or name ends the adopted session first, and the events
 * that end it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cp_adopt.h"
#include "cp_float.h"
#include "cp_listing.h"
#include "cp_loop.h"
#include "cp_pool.h"
#include "cp_users.h"
#include "sl_test.h"

#define NET	0x0a0a0000u	/* 10.10.0.0/24 */

static struct sl_config cfg;
static struct cp_ctx ctx;

/* ---- the event loop's side, as cp_loop.c does it, and what was asked ---- */

static struct cp cp;
static unsigned n_ended, n_peer_del;
static enum cp_end last_end;
static uint32_t last_peer_del;

void cp_loop_end(struct cp *c, struct cp_session *s, enum cp_end why)
{
	n_ended++;
	last_end = why;
	cp_pool_release(c->ctx.pool, s->p.peer_id, s->p.vpn_ip);
	atomic_fetch_sub(&c->ctx.n_sessions, 1);
	cp_table_del(&c->sessions, s);
}

void cp_loop_peer_del(struct cp *c, uint32_t peer_id, uint8_t reason)
{
	(void)c;
	n_peer_del++;
	last_peer_del = peer_id;
	if (reason != SL_DEL_TEARDOWN)
		last_peer_del = UINT32_MAX;	/* the check in the case fails */
}

static int setup(uint32_t max_clients)
{
	struct cfg_prefix net = { .addr = NET, .len = 24 };

	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = &cfg;
	ctx.pool = cp_pool_new(&net, max_clients);
	return ctx.pool != NULL ? 0 : -1;
}

static void teardown(void)
{
	cp_pool_free(ctx.pool);
	ctx.pool = NULL;
}

static struct sl_peer_stats entry(const char *name, uint32_t vpn_ip)
{
	struct sl_peer_stats ps = {
		.remote = sl_endpoint_udp4(0xc0000202u, 41000), .since = 1700000000,
		.tx_key_id = 1, .in_use = 1, .vpn = sl_addr_v4(vpn_ip),
		.cipher = SL_CIPHER_CHACHA20_POLY1305, .rx_bytes = 5,
	};

	snprintf(ps.name, sizeof(ps.name), "%s", name);
	return ps;
}

/* End as the event loop does: pool release, then the table's reference. */
static void end(struct cp_session *s)
{
	cp_pool_release(ctx.pool, s->p.peer_id, s->p.vpn_ip);
	atomic_fetch_sub(&ctx.n_sessions, 1);
	cp_session_unref(s);
}

static int test_info(void)
{
	struct sl_peer_stats ps = entry("client1", NET + 7);
	struct cp_session *s = NULL;

	CHECK_EQ(setup(8), 0);
	CHECK_EQ(cp_adopt_session(&ctx, 3, &ps, &s), 0);
	CHECK(s->adopted);
	CHECK(s->p.ks == NULL);
	CHECK(s->p.installed);
	CHECK_EQ(atomic_load(&s->due_ms), UINT64_MAX);
	CHECK_STR(s->info.cn, "client1");
	CHECK_STR(s->info.user, "client1");
	CHECK_STR(s->info.cipher, "CHACHA20-POLY1305");
	CHECK_EQ(s->info.vpn_ip, NET + 7);
	CHECK_EQ(s->info.peer_id, 3);
	CHECK_EQ(s->info.key_id, 1);
	CHECK_EQ(s->info.since, 1700000000);
	CHECK(s->info.established);
	CHECK(sl_endpoint_eq(&s->peer, &ps.remote));
	CHECK_STR(s->p.addr, "192.0.2.2:41000");
	CHECK_EQ(atomic_load(&ctx.n_sessions), 1);
	CHECK(cp_pool_session(ctx.pool, 3) == s);
	end(s);
	CHECK(cp_pool_session(ctx.pool, 3) == NULL);
	CHECK_EQ(atomic_load(&ctx.n_sessions), 0);
	teardown();
	return 0;
}

/*
 * With auth-user-pass the data plane's name is the user (the address
 * follows it); the CN is unknown. The user's next session takes the
 * address over.
 */
static int test_cn_unknown(void)
{
	struct sl_peer_stats ps = entry("alice@example.com", NET + 5);
	struct cp_session *s = NULL;
	uint32_t id, ip;

	cfg.pki.auth_user_pass = true;
	CHECK_EQ(setup(4), 0);
	CHECK_EQ(cp_adopt_session(&ctx, 0, &ps, &s), 0);
	cfg.pki.auth_user_pass = false;
	CHECK_STR(s->info.user, "alice@example.com");
	CHECK_STR(s->info.cn, "");
	CHECK_EQ(cp_pool_alloc(ctx.pool, "alice@example.com", NULL, &id, &ip), 0);
	CHECK_EQ(ip, NET + 5);
	end(s);
	teardown();
	return 0;
}

/* A full 48-byte name without its NUL still makes a string. */
static int test_long_name(void)
{
	struct sl_peer_stats ps = entry("", NET + 2);
	struct cp_session *s = NULL;

	memset(ps.name, 'a', sizeof(ps.name));
	CHECK_EQ(setup(4), 0);
	CHECK_EQ(cp_adopt_session(&ctx, 0, &ps, &s), 0);
	CHECK_EQ(strlen(s->info.cn), sizeof(ps.name) - 1);
	end(s);
	teardown();
	return 0;
}

/* Others get other peer-ids and addresses while the adopted one lives. */
static int test_reserved(void)
{
	struct sl_peer_stats ps = entry("client1", NET + 2);
	struct cp_session *s = NULL;
	uint32_t id, ip;

	CHECK_EQ(setup(4), 0);
	CHECK_EQ(cp_adopt_session(&ctx, 0, &ps, &s), 0);
	CHECK_EQ(cp_pool_alloc(ctx.pool, "client2", NULL, &id, &ip), 0);
	CHECK_EQ(id, 1);
	CHECK_EQ(ip, NET + 3);
	cp_pool_release(ctx.pool, id, ip);
	end(s);
	/* Gone: its address is free again (and remembered for client1). */
	CHECK_EQ(cp_pool_alloc(ctx.pool, "client1", NULL, &id, &ip), 0);
	CHECK_EQ(id, 0);
	CHECK_EQ(ip, NET + 2);
	teardown();
	return 0;
}

/*
 * The client reconnects under the same name before the adopted session
 * ended: it gets its address back, and the adopted session's release
 * (which follows) frees the peer-id but not the address it lost.
 */
static int test_take_over(void)
{
	struct sl_peer_stats ps = entry("client1", NET + 9);
	struct cp_session *s = NULL;
	uint32_t id, ip, id3, ip3;

	CHECK_EQ(setup(4), 0);
	CHECK_EQ(cp_adopt_session(&ctx, 2, &ps, &s), 0);
	CHECK_EQ(cp_pool_alloc(ctx.pool, "client1", NULL, &id, &ip), 0);
	CHECK_EQ(ip, NET + 9);
	CHECK_EQ(id, 0);
	end(s);
	CHECK(cp_pool_session(ctx.pool, 2) == NULL);
	CHECK_EQ(cp_pool_alloc(ctx.pool, "client3", NULL, &id3, &ip3), 0);
	CHECK(ip3 != NET + 9);
	/* A second client1 while the first holds the address: another one. */
	CHECK_EQ(cp_pool_alloc(ctx.pool, "client1", NULL, &id3, &ip3), 0);
	CHECK(ip3 != NET + 9);
	teardown();
	return 0;
}

/* Entries the pool cannot hold are refused; the caller removes the peer. */
static int test_refused(void)
{
	static const struct {
		uint32_t peer_id, vpn_ip;
		int rc;
	} cases[] = {
		{ 4, NET + 5, -ERANGE },	/* peer-id beyond vpn.max_clients */
		{ 1, 0x0a0b0005u, -ERANGE },	/* outside vpn.pool (config changed) */
		{ 1, NET + 1, -ERANGE },	/* the gateway */
		{ 1, NET + 255, -ERANGE },	/* broadcast */
		{ 1, NET + 2, -EBUSY },		/* address of the first adopted peer */
		{ 0, NET + 6, -EBUSY },		/* its peer-id */
	};
	struct sl_peer_stats ps = entry("client1", NET + 2);
	struct cp_session *s = NULL, *t = NULL;

	CHECK_EQ(setup(4), 0);
	CHECK_EQ(cp_adopt_session(&ctx, 0, &ps, &s), 0);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ps = entry("other", cases[i].vpn_ip);
		if (cp_adopt_session(&ctx, cases[i].peer_id, &ps, &t) != cases[i].rc) {
			fprintf(stderr, "case %u: expected %d\n", i, cases[i].rc);
			return -1;
		}
	}
	CHECK_EQ(atomic_load(&ctx.n_sessions), 1);
	end(s);
	teardown();
	return 0;
}

static int test_cipher_names(void)
{
	CHECK_STR(cp_adopt_cipher_name(SL_CIPHER_AES_128_GCM), "AES-128-GCM");
	CHECK_STR(cp_adopt_cipher_name(SL_CIPHER_AES_256_GCM), "AES-256-GCM");
	CHECK_STR(cp_adopt_cipher_name(SL_CIPHER_CHACHA20_POLY1305), "CHACHA20-POLY1305");
	CHECK_STR(cp_adopt_cipher_name(SL_CIPHER_NONE), "none");
	CHECK_STR(cp_adopt_cipher_name(200), "?");
	return 0;
}

/* ---- on the event loop ---- */

static struct sl_peer_stats dp_peers[4];
static struct sl_status dp_status = { .max_peers = 4, .peers = dp_peers };

static int loop_setup(void)
{
	struct cfg_prefix net = { .addr = NET, .len = 24 };

	memset(&cp, 0, sizeof(cp));
	memset(dp_peers, 0, sizeof(dp_peers));
	n_ended = n_peer_del = 0;
	cp.ctx.cfg = &cfg;
	cp.ctx.pool = cp_pool_new(&net, 4);
	cp.dp.status = &dp_status;
	return cp.ctx.pool != NULL ? 0 : -1;
}

static void loop_teardown(void)
{
	struct cp_session *s;

	while ((s = cp.sessions.all) != NULL)
		cp_loop_end(&cp, s, CP_END_SHUTDOWN);
	cp_pool_free(cp.ctx.pool);
}

/* Every in-use entry: adopted (in the table, by its endpoint) or removed. */
static int test_orphans(void)
{
	struct sl_endpoint at;

	CHECK_EQ(loop_setup(), 0);
	dp_peers[0] = entry("client1", NET + 2);
	dp_peers[2] = entry("stale", 0x0a0b0005u);	/* outside vpn.pool now */
	dp_peers[3] = entry("bob", NET + 3);
	dp_peers[3].remote.port = 41003;
	cp_adopt_orphans(&cp);
	CHECK_EQ(atomic_load(&cp.ctx.n_sessions), 2);
	CHECK_EQ(n_peer_del, 1);
	CHECK_EQ(last_peer_del, 2);
	at = sl_endpoint_udp4(0xc0000202u, 41003);
	CHECK(cp_table_find(&cp.sessions, &at) == cp_pool_session(cp.ctx.pool, 3));
	CHECK_STR(cp_pool_session(cp.ctx.pool, 3)->info.user, "bob");
	CHECK(cp_pool_session(cp.ctx.pool, 0)->adopted);
	CHECK(cp_pool_session(cp.ctx.pool, 1) == NULL);
	loop_teardown();
	return 0;
}

/* A PEER_NEW for the adopted session's address or name ends it first. */
static int test_replace(void)
{
	struct sl_cmd c = { .type = SL_CMD_PEER_NEW };

	CHECK_EQ(loop_setup(), 0);
	dp_peers[0] = entry("client1", NET + 2);
	dp_peers[1] = entry("bob", NET + 3);
	dp_peers[1].remote.port = 41001;
	cp_adopt_orphans(&cp);
	c.u.peer.vpn = sl_addr_v4(NET + 4);
	snprintf(c.u.peer.name, sizeof(c.u.peer.name), "carol");
	cp_adopt_replace(&cp, &c);
	CHECK_EQ(n_ended, 0);
	c.type = SL_CMD_KEY_NEW;
	c.u.peer.vpn = sl_addr_v4(NET + 2);
	cp_adopt_replace(&cp, &c);
	CHECK_EQ(n_ended, 0);			/* only a PEER_NEW replaces */
	c.type = SL_CMD_PEER_NEW;
	cp_adopt_replace(&cp, &c);
	CHECK_EQ(n_ended, 1);			/* the same address */
	CHECK_EQ(last_end, CP_END_REPLACED);
	CHECK(cp_pool_session(cp.ctx.pool, 0) == NULL);
	c.u.peer.vpn = sl_addr_v4(NET + 5);
	snprintf(c.u.peer.name, sizeof(c.u.peer.name), "bob");
	cp_adopt_replace(&cp, &c);
	CHECK_EQ(n_ended, 2);			/* the same name */
	CHECK(cp.sessions.all == NULL);
	CHECK_EQ(atomic_load(&cp.ctx.n_sessions), 0);
	loop_teardown();
	return 0;
}

/* Idle, exit and packet-id exhaustion end it; other events do not. */
static int test_events(void)
{
	static const struct {
		enum sl_event_type type;
		unsigned ended;
		enum cp_end why;
	} cases[] = {
		{ SL_EVT_PEER_FLOAT, 0, CP_END_NONE },
		{ SL_EVT_PEER_IDLE, 1, CP_END_IDLE },
		{ SL_EVT_PEER_EXIT, 1, CP_END_EXIT },
		{ SL_EVT_KEY_EXHAUSTED, 1, CP_END_ERROR },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sl_event e = { .type = cases[i].type, .peer_id = 0 };

		CHECK_EQ(loop_setup(), 0);
		dp_peers[0] = entry("client1", NET + 2);
		cp_adopt_orphans(&cp);
		last_end = CP_END_NONE;
		cp_adopt_event(&cp, cp_pool_session(cp.ctx.pool, 0), &e);
		CHECK_EQ(n_ended, cases[i].ended);
		CHECK_EQ(last_end, cases[i].why);
		loop_teardown();
	}
	return 0;
}

/*
 * Re-checked after a restart: with auth-user-pass an adopted session whose
 * user is not in the store loaded now is ended at adoption; the others
 * stay, and all adopted sessions end on a CRL change (their certificate
 * serial is unknown, so a revocation cannot be ruled out).
 */
static int test_recheck(void)
{
	char path[] = "/tmp/sl_cp_adopt_users.XXXXXX", h[160], err[256];
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	struct cp_session *s;

	CHECK(f != NULL);
	CHECK_EQ(cp_users_hash("pw", 100000, h, sizeof(h)), 0);
	fprintf(f, "alice@example.com:%s\n", h);
	fclose(f);
	CHECK_EQ(loop_setup(), 0);
	cfg.pki.auth_user_pass = true;
	cp.ctx.users = cp_users_open(path, err, sizeof(err));
	unlink(path);
	CHECK(cp.ctx.users != NULL);
	dp_peers[0] = entry("alice@example.com", NET + 2);
	dp_peers[1] = entry("gone@example.com", NET + 3);
	dp_peers[1].remote.port = 41001;
	cp_adopt_orphans(&cp);
	CHECK_EQ(n_ended, 1);
	CHECK_EQ(last_end, CP_END_USER_GONE);
	CHECK(cp_pool_session(cp.ctx.pool, 1) == NULL);
	s = cp_pool_session(cp.ctx.pool, 0);
	CHECK(s != NULL);
	CHECK_EQ(cp_adopt_recheck(&cp.ctx, s, false), CP_END_NONE);
	CHECK_EQ(cp_adopt_recheck(&cp.ctx, s, true), CP_END_CRL_UNKNOWN);
	cfg.pki.auth_user_pass = false;
	cp_users_free(cp.ctx.users);
	cp.ctx.users = NULL;
	CHECK_EQ(cp_adopt_recheck(&cp.ctx, s, false), CP_END_NONE);
	loop_teardown();
	return 0;
}

/*
 * A float (SL_EVT_PEER_FLOAT, cp_float.c): the session follows its client,
 * control packets from the new endpoint find it and `sluicectl sessions`
 * shows it. A session still at that endpoint is left from before (two
 * clients cannot send from one address and port) and ends, so the two
 * planes never disagree about where the peer is.
 */
static int test_float(void)
{
	struct sl_endpoint to = sl_endpoint_udp4(0xc0000203u, 42000);
	struct sl_endpoint bob = sl_endpoint_udp4(0xc0000202u, 41003);
	struct cp_session *s;
	char list[1024];

	CHECK_EQ(loop_setup(), 0);
	dp_peers[0] = entry("client1", NET + 2);
	dp_peers[3] = entry("bob", NET + 3);
	dp_peers[3].remote.port = 41003;
	cp_adopt_orphans(&cp);
	s = cp_pool_session(cp.ctx.pool, 0);
	cp_float_to(&cp, s, &to);
	CHECK(cp_table_find(&cp.sessions, &to) == s);
	CHECK(cp_table_find(&cp.sessions, &dp_peers[0].remote) == NULL);
	CHECK(cp_listing_sessions(&cp, list, sizeof(list)) > 0);
	CHECK(strstr(list, "cn client1 real 192.0.2.3:42000 ") != NULL);
	cp_float_to(&cp, s, &to);		/* raised again: nothing changes */
	CHECK(cp_table_find(&cp.sessions, &to) == s);
	CHECK_EQ(n_ended, 0);
	/* Onto bob's endpoint: bob's session is over, client1 is there. */
	cp_float_to(&cp, s, &bob);
	CHECK_EQ(n_ended, 1);
	CHECK_EQ(last_end, CP_END_REPLACED);
	CHECK(cp_pool_session(cp.ctx.pool, 3) == NULL);
	CHECK(cp_table_find(&cp.sessions, &bob) == s);
	CHECK(cp_listing_sessions(&cp, list, sizeof(list)) > 0);
	CHECK(strstr(list, "cn client1 real 192.0.2.2:41003 ") != NULL);
	CHECK(strstr(list, "cn bob") == NULL);
	loop_teardown();
	return 0;
}

/* cp_adopt_end() leaves a session of our own alone. */
static int test_end_own(void)
{
	struct cp_session *s = cp_session_alloc();

	CHECK(s != NULL);
	n_ended = 0;
	CHECK(!cp_adopt_end(&cp, s, CP_END_KILLED));
	CHECK_EQ(n_ended, 0);
	cp_session_unref(s);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "session info from the data plane's peer entry", test_info },
	{ "float: the session follows, the one there ends", test_float },
	{ "auth-user-pass: adopted by user name, CN unknown", test_cn_unknown },
	{ "name without NUL", test_long_name },
	{ "peer-id and address reserved until the end", test_reserved },
	{ "same name takes the address over; release leaves it", test_take_over },
	{ "entries the pool cannot hold are refused", test_refused },
	{ "cipher names", test_cipher_names },
	{ "orphans: in-use entries adopted into the table or removed", test_orphans },
	{ "a PEER_NEW of the same address or name replaces it", test_replace },
	{ "idle, exit, packet-id exhaustion end it", test_events },
	{ "a session of our own is not ended as adopted", test_end_own },
	{ "re-check: user gone from the store ends it at adoption; a CRL change ends it",
	  test_recheck },
	{ NULL, NULL }
};

int main(void)
{
	return sl_test_run("cp_adopt", cases);
}
