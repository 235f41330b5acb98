/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Adoption of data-plane peers by a restarted control plane (cp_adopt.c,
 * cp_pool.c): the session reads its info from the sl_peer_stats entry,
 * the pool reserves its peer-id and address, a new session of the same
 * common name takes the address over (and the adopted session's release
 * then leaves it alone), and entries the pool cannot hold are refused.
 */
#include <errno.h>
#include <string.h>

#include "cp_session.h"
#include "sl_test.h"

#define NET	0x0a0a0000u	/* 10.10.0.0/24 */

static struct sl_config cfg;
static struct cp_ctx ctx;

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

/* vpn.static_addresses: only its name gets a fixed address; busy -> dynamic. */
static int test_fixed_address(void)
{
	uint32_t id1, id2, id3, ip1, ip2, ip3;
	struct cp_session *s = (struct cp_session *)&ctx;	/* only stored, never used */

	CHECK(setup(8) == 0);
	CHECK_EQ(cp_pool_fix(ctx.pool, "alice", NET + 2), 0);
	CHECK_EQ(cp_pool_fix(ctx.pool, "bob", NET + 2), -EINVAL);	/* taken */
	CHECK_EQ(cp_pool_fix(ctx.pool, "bob", NET + 1), -EINVAL);	/* gateway */
	CHECK_EQ(cp_pool_alloc(ctx.pool, "carol", s, &id1, &ip1), 0);
	CHECK_EQ(ip1, NET + 3);				/* .2 is alice's, even free */
	CHECK_EQ(cp_pool_alloc(ctx.pool, "alice", s, &id2, &ip2), 0);
	CHECK_EQ(ip2, NET + 2);
	CHECK_EQ(cp_pool_alloc(ctx.pool, "alice", s, &id3, &ip3), 0);
	CHECK_EQ(ip3, NET + 4);				/* a second alice: dynamic */
	cp_pool_release(ctx.pool, id2, ip2);
	cp_pool_release(ctx.pool, id3, ip3);
	CHECK_EQ(cp_pool_alloc(ctx.pool, "alice", s, &id2, &ip2), 0);
	CHECK_EQ(ip2, NET + 2);				/* back to the fixed one */
	teardown();
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "fixed addresses from vpn.static_addresses", test_fixed_address },
	{ "session info from the data plane's peer entry", test_info },
	{ "auth-user-pass: adopted by user name, CN unknown", test_cn_unknown },
	{ "name without NUL", test_long_name },
	{ "peer-id and address reserved until the end", test_reserved },
	{ "same name takes the address over; release leaves it", test_take_over },
	{ "entries the pool cannot hold are refused", test_refused },
	{ "cipher names", test_cipher_names },
	{ NULL, NULL }
};

int main(void)
{
	return sl_test_run("cp_adopt", cases);
}
