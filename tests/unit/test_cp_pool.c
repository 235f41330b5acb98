/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The address pool and peer-ids (cp_pool.c): topology subnet layout,
 * addresses sticky per name, fixed addresses from vpn.static_addresses,
 * release by the holder only, exhaustion of addresses and of peer-ids,
 * and the lowest free peer-id; the remembered addresses saved to a file
 * and restored (the control plane's re-attach to a new data plane); with
 * the user store: its static addresses reserved (and replaced when the
 * store changes), each user's last address written to the store and
 * remembered by a new pool (a restart).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cp_pool.h"
#include "cp_store.h"
#include "cp_users.h"
#include "sl_addr.h"
#include "sl_test.h"

#define NET	0x0a0a0000u	/* 10.10.0.0 */

static struct cp_pool *pool;
/* Only stored by the pool, never used. */
static struct cp_session *const S = (struct cp_session *)&pool;

static int make(unsigned len, uint32_t max_clients)
{
	struct cfg_prefix net = { .addr = NET | 1, .len = (uint8_t)len };

	pool = cp_pool_new(&net, max_clients);
	return pool != NULL ? 0 : -1;
}

static void drop(void)
{
	cp_pool_free(pool);
	pool = NULL;
}

/* NET+1 is the gateway, clients from NET+2; peer-ids from 0. */
static int test_layout(void)
{
	struct cfg_prefix too_small = { .addr = NET, .len = 31 };
	uint32_t id, ip;

	CHECK(cp_pool_new(&too_small, 4) == NULL);
	CHECK_EQ(make(24, 4), 0);
	CHECK_EQ(cp_pool_gateway(pool), NET + 1);	/* host bits of the config ignored */
	CHECK_EQ(cp_pool_netmask(pool), 0xffffff00u);
	CHECK_EQ(cp_pool_alloc(pool, "alice", S, &id, &ip), 0);
	CHECK_EQ(id, 0);
	CHECK_EQ(ip, NET + 2);
	CHECK(cp_pool_session(pool, 0) == S);
	CHECK(cp_pool_session(pool, 1) == NULL);
	CHECK(cp_pool_session(pool, 99) == NULL);
	CHECK_EQ(cp_pool_alloc(pool, "bob", S, &id, &ip), 0);
	CHECK_EQ(id, 1);
	CHECK_EQ(ip, NET + 3);
	drop();
	return 0;
}

/* A name gets its last address back; others avoid it while they can. */
static int test_sticky(void)
{
	uint32_t id[4], ip[4];

	CHECK_EQ(make(24, 8), 0);
	CHECK_EQ(cp_pool_alloc(pool, "alice", S, &id[0], &ip[0]), 0);
	CHECK_EQ(cp_pool_alloc(pool, "bob", S, &id[1], &ip[1]), 0);
	cp_pool_release(pool, id[0], ip[0]);
	CHECK_EQ(cp_pool_alloc(pool, "carol", S, &id[2], &ip[2]), 0);
	CHECK_EQ(ip[2], NET + 4);		/* not alice's .2 */
	CHECK_EQ(id[2], 0);			/* the lowest free peer-id */
	CHECK_EQ(cp_pool_alloc(pool, "alice", S, &id[3], &ip[3]), 0);
	CHECK_EQ(ip[3], NET + 2);
	CHECK_EQ(id[3], 2);
	drop();
	return 0;
}

/* /29: five client addresses. Remembered ones are used last, then none is left. */
static int test_exhaustion(void)
{
	static const char *const names[] = { "a", "b", "c", "d", "e" };
	uint32_t id[5], ip[5], fid, fip;

	CHECK_EQ(make(29, 8), 0);
	for (int i = 0; i < 5; i++) {
		CHECK_EQ(cp_pool_alloc(pool, names[i], S, &id[i], &ip[i]), 0);
		CHECK_EQ(ip[i], NET + 2 + (uint32_t)i);
	}
	CHECK_EQ(cp_pool_alloc(pool, "f", S, &fid, &fip), -ENOSPC);
	cp_pool_release(pool, id[0], ip[0]);
	CHECK_EQ(cp_pool_alloc(pool, "f", S, &fid, &fip), 0);
	CHECK_EQ(fip, NET + 2);			/* a's, the only one left */
	CHECK_EQ(cp_pool_alloc(pool, "a", S, &fid, &fip), -ENOSPC);
	cp_pool_release(pool, id[1], ip[1]);
	CHECK_EQ(cp_pool_alloc(pool, "a", S, &fid, &fip), 0);
	CHECK_EQ(fip, NET + 3);
	drop();
	return 0;
}

/*
 * A /12 with 100 000 clients: addresses past the first /16, each name its
 * own, and a returning name finds its address among 100 000 remembered.
 */
static int test_large_pool(void)
{
	enum { N = 100000 };
	uint32_t id, ip, net;
	char name[32];

	CHECK_EQ(make(12, N), 0);
	net = cp_pool_gateway(pool) - 1;
	CHECK_EQ(net, 0x0a000000u);		/* 10.0.0.0/12 holds 10.10.0.1 */
	for (uint32_t i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "user%u@example.com", i);
		CHECK_EQ(cp_pool_alloc(pool, name, S, &id, &ip), 0);
		CHECK_EQ(id, i);
		CHECK_EQ(ip, net + 2 + i);
	}
	CHECK_EQ(cp_pool_alloc(pool, "one@too.many", S, &id, &ip), -ENOSPC);
	cp_pool_release(pool, 70000, net + 2 + 70000);
	CHECK_EQ(cp_pool_alloc(pool, "user70000@example.com", S, &id, &ip), 0);
	CHECK_EQ(id, 70000);
	CHECK_EQ(ip, net + 2 + 70000);		/* 10.1.17.114: past the first /16 */
	drop();
	return 0;
}

/*
 * 2 x max_clients names are remembered, the oldest forgotten first: the
 * name index finds the ones kept after others were removed from it, and
 * a forgotten name's address is the first one handed out again.
 */
static int test_forgetting(void)
{
	/* n0..n3 get .2-.5; n4 .6 and n0 is forgotten; n5 n0's .2, n1 forgotten */
	static const uint32_t first[6] = { 2, 3, 4, 5, 6, 2 };
	static const uint32_t again[4] = { 5, 6, 4, 2 };	/* n3 n4 n2 n5 */
	static const char *const order[4] = { "n3", "n4", "n2", "n5" };
	uint32_t id, ip;
	char name[16];

	CHECK_EQ(make(24, 2), 0);		/* 4 names remembered */
	for (uint32_t i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "n%u", i);
		CHECK_EQ(cp_pool_alloc(pool, name, S, &id, &ip), 0);
		CHECK_EQ(ip, NET + first[i]);
		cp_pool_release(pool, id, ip);
	}
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(cp_pool_alloc(pool, order[i], S, &id, &ip), 0);
		CHECK_EQ(ip, NET + again[i]);
		cp_pool_release(pool, id, ip);
	}
	CHECK_EQ(cp_pool_alloc(pool, "n0", S, &id, &ip), 0);
	CHECK_EQ(ip, NET + 3);			/* n1's: forgotten, free again */
	drop();
	return 0;
}

/* vpn.max_clients peer-ids; a refused allocation takes no address. */
static int test_peer_ids(void)
{
	uint32_t id[3], ip[3];

	CHECK_EQ(make(24, 2), 0);
	CHECK_EQ(cp_pool_alloc(pool, "a", S, &id[0], &ip[0]), 0);
	CHECK_EQ(cp_pool_alloc(pool, "b", S, &id[1], &ip[1]), 0);
	CHECK_EQ(cp_pool_alloc(pool, "c", S, &id[2], &ip[2]), -ENOSPC);
	cp_pool_release(pool, id[0], ip[0]);
	CHECK_EQ(cp_pool_alloc(pool, "c", S, &id[2], &ip[2]), 0);
	CHECK_EQ(id[2], 0);
	CHECK_EQ(ip[2], NET + 4);		/* .2 is remembered for a, .3 is b's */
	drop();
	return 0;
}

/* Only the peer-id holding an address frees it. */
static int test_release(void)
{
	uint32_t id[3], ip[3];

	CHECK_EQ(make(24, 4), 0);
	CHECK_EQ(cp_pool_alloc(pool, "a", S, &id[0], &ip[0]), 0);
	CHECK_EQ(cp_pool_alloc(pool, "b", S, &id[1], &ip[1]), 0);
	cp_pool_release(pool, id[1], ip[0]);	/* b's peer-id, a's address */
	CHECK(cp_pool_session(pool, id[1]) == NULL);
	CHECK(cp_pool_session(pool, id[0]) == S);
	CHECK_EQ(cp_pool_alloc(pool, "a", S, &id[2], &ip[2]), 0);
	CHECK(ip[2] != ip[0]);			/* still a's first session's */
	cp_pool_release(pool, 99, 0);		/* out of range: nothing */
	cp_pool_release(pool, id[0], ip[0]);
	cp_pool_release(pool, id[1], ip[1]);
	cp_pool_release(pool, id[2], ip[2]);
	for (uint32_t i = 0; i < 4; i++)
		CHECK(cp_pool_session(pool, i) == NULL);
	drop();
	return 0;
}

/* vpn.static_addresses: only its name gets a fixed address; busy -> dynamic. */
static int test_fixed_address(void)
{
	uint32_t id1, id2, id3, ip1, ip2, ip3;

	CHECK(make(24, 8) == 0);
	CHECK_EQ(cp_pool_fix(pool, "alice", NET + 2), 0);
	CHECK_EQ(cp_pool_fix(pool, "bob", NET + 2), -EINVAL);	/* taken */
	CHECK_EQ(cp_pool_fix(pool, "bob", NET + 1), -EINVAL);	/* gateway */
	CHECK_EQ(cp_pool_fix(pool, "bob", NET + 255), -EINVAL);	/* broadcast */
	CHECK_EQ(cp_pool_fix(pool, "bob", 0x0a0b0002), -EINVAL);	/* outside */
	CHECK_EQ(cp_pool_alloc(pool, "carol", S, &id1, &ip1), 0);
	CHECK_EQ(ip1, NET + 3);				/* .2 is alice's, even free */
	CHECK_EQ(cp_pool_alloc(pool, "alice", S, &id2, &ip2), 0);
	CHECK_EQ(ip2, NET + 2);
	CHECK_EQ(cp_pool_alloc(pool, "alice", S, &id3, &ip3), 0);
	CHECK_EQ(ip3, NET + 4);				/* a second alice: dynamic */
	cp_pool_release(pool, id2, ip2);
	cp_pool_release(pool, id3, ip3);
	CHECK_EQ(cp_pool_alloc(pool, "alice", S, &id2, &ip2), 0);
	CHECK_EQ(ip2, NET + 2);				/* back to the fixed one */
	drop();
	return 0;
}

/*
 * Remembered addresses survive a save and a restore into a fresh pool (the
 * control plane re-executing itself after the data plane died): each name
 * gets its address back, others still avoid it, the oldest-first order of
 * forgetting is kept, and the file is replaced atomically (no temporary
 * left, mode 0600). Entries outside a changed pool or on a fixed address
 * are skipped; a missing file is -ENOENT, a foreign one -EINVAL.
 */
static int test_save_restore(void)
{
	char dir[] = "/tmp/sl-pool-XXXXXX", path[64], tmp[80];
	struct cfg_prefix other = { .addr = 0x0a0b0000u, .len = 24 };
	uint32_t id[4], ip[4];
	struct stat st;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/pool", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	CHECK_EQ(make(24, 2), 0);	/* 4 remembered names at most */
	CHECK_EQ(cp_pool_alloc(pool, "alice", S, &id[0], &ip[0]), 0);
	CHECK_EQ(cp_pool_alloc(pool, "bob", S, &id[1], &ip[1]), 0);
	cp_pool_release(pool, id[0], ip[0]);
	cp_pool_release(pool, id[1], ip[1]);
	CHECK_EQ(cp_pool_alloc(pool, "carol", S, &id[2], &ip[2]), 0);
	CHECK_EQ(ip[2], NET + 4);
	CHECK_EQ(cp_pool_save(pool, path), 3);
	CHECK_EQ(cp_pool_save(pool, path), 3);	/* replaces it */
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_mode & 0777, 0600);
	CHECK(access(tmp, F_OK) != 0);
	drop();

	CHECK_EQ(make(24, 2), 0);
	CHECK_EQ(cp_pool_fix(pool, "dave", NET + 3), 0);	/* bob's, now fixed */
	CHECK_EQ(cp_pool_restore(pool, path), 2);
	CHECK_EQ(cp_pool_alloc(pool, "erin", S, &id[3], &ip[3]), 0);
	CHECK_EQ(ip[3], NET + 5);		/* .2 and .4 remembered, .3 fixed */
	cp_pool_release(pool, id[3], ip[3]);
	CHECK_EQ(cp_pool_alloc(pool, "carol", S, &id[2], &ip[2]), 0);
	CHECK_EQ(ip[2], NET + 4);
	CHECK_EQ(cp_pool_alloc(pool, "alice", S, &id[0], &ip[0]), 0);
	CHECK_EQ(ip[0], NET + 2);
	cp_pool_release(pool, id[0], ip[0]);
	cp_pool_release(pool, id[2], ip[2]);
	/* Order kept: alice, the oldest, is forgotten first. */
	CHECK_EQ(cp_pool_alloc(pool, "f1", S, &id[0], &ip[0]), 0);
	CHECK_EQ(ip[0], NET + 6);
	CHECK_EQ(cp_pool_alloc(pool, "f2", S, &id[1], &ip[1]), 0);
	CHECK_EQ(ip[1], NET + 7);
	cp_pool_release(pool, id[0], ip[0]);
	cp_pool_release(pool, id[1], ip[1]);
	CHECK_EQ(cp_pool_alloc(pool, "g", S, &id[0], &ip[0]), 0);
	CHECK_EQ(ip[0], NET + 2);		/* carol's .4 still remembered */
	drop();

	pool = cp_pool_new(&other, 2);
	CHECK(pool != NULL);
	CHECK_EQ(cp_pool_restore(pool, path), 0);	/* another pool: nothing */
	drop();
	CHECK_EQ(make(24, 2), 0);
	CHECK_EQ(cp_pool_restore(pool, tmp), -ENOENT);
	f = fopen(tmp, "w");
	CHECK(f != NULL);
	fputs("not a pool file\n", f);
	fclose(f);
	CHECK_EQ(cp_pool_restore(pool, tmp), -EINVAL);
	drop();
	unlink(tmp);
	unlink(path);
	rmdir(dir);
	return 0;
}

static int store_add(struct cp_store *st, const char *email, uint32_t fixed)
{
	struct cp_store_user u = { .vpn = true };

	snprintf(u.email, sizeof(u.email), "%s", email);
	if (fixed != 0)
		u.static_addr = sl_addr_v4(fixed);
	return cp_store_user_add(st, &u, NULL);
}

/*
 * The store's static address is alice's only, also while another session
 * holds it when the store gives it to her; a removed static address is
 * free again. Bob's last address is written to the store (once: the same
 * address again writes nothing) and a new pool on the same store (a
 * restart) gives it back to him first.
 */
static int test_store_addresses(void)
{
	char path[] = "/tmp/sl_cp_pool_store.XXXXXX", err[128];
	struct cfg_vpn vpn = { .pool = { NET, 24 } };
	struct cp_store_user u;
	struct cp_store *st;
	struct cp_users *snap;
	uint32_t id[3], ip[3];
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	st = cp_store_open(path, &vpn, NULL);
	CHECK(st != NULL);
	CHECK_EQ(make(24, 8), 0);
	cp_pool_set_store(pool, st);
	CHECK_EQ(store_add(st, "alice@example.com", NET + 2), 0);
	CHECK_EQ(store_add(st, "bob@example.com", 0), 0);
	snap = cp_users_from_store(st, err, sizeof(err));
	CHECK(snap != NULL);
	cp_pool_fix_users(pool, snap);
	cp_users_free(snap);
	CHECK_EQ(cp_pool_alloc(pool, "bob@example.com", S, &id[0], &ip[0]), 0);
	CHECK_EQ(ip[0], NET + 3);			/* .2 is alice's */
	CHECK_EQ(cp_pool_alloc(pool, "alice@example.com", S, &id[1], &ip[1]), 0);
	CHECK_EQ(ip[1], NET + 2);
	CHECK_EQ(cp_store_user_get(st, "bob@example.com", &u, NULL), 0);
	CHECK_EQ(u.sticky_addr.v4, NET + 3);
	CHECK_EQ(cp_store_user_get(st, "alice@example.com", &u, NULL), 0);
	CHECK_EQ(u.sticky_addr.family, 0);		/* a fixed address is not sticky */
	/* Carol gets bob's address as her static one while bob holds it:
	 * bob keeps it until he goes, then it is carol's only. */
	cp_pool_release(pool, id[1], ip[1]);
	CHECK_EQ(store_add(st, "carol@example.com", NET + 3), 0);
	snap = cp_users_from_store(st, err, sizeof(err));
	CHECK(snap != NULL);
	cp_pool_fix_users(pool, snap);
	cp_users_free(snap);
	CHECK_EQ(cp_pool_alloc(pool, "carol@example.com", S, &id[2], &ip[2]), 0);
	CHECK(ip[2] != NET + 3);			/* bob still holds it */
	cp_pool_release(pool, id[2], ip[2]);
	cp_pool_release(pool, id[0], ip[0]);
	CHECK_EQ(cp_pool_alloc(pool, "bob@example.com", S, &id[0], &ip[0]), 0);
	CHECK(ip[0] != NET + 3);			/* carol's now */
	cp_pool_release(pool, id[0], ip[0]);
	CHECK_EQ(cp_pool_alloc(pool, "carol@example.com", S, &id[2], &ip[2]), 0);
	CHECK_EQ(ip[2], NET + 3);
	cp_pool_release(pool, id[2], ip[2]);
	/* Alice's static address removed from the store: .2 is anyone's. */
	CHECK_EQ(cp_store_user_del(st, "alice@example.com", NULL), 0);
	snap = cp_users_from_store(st, err, sizeof(err));
	CHECK(snap != NULL);
	cp_pool_fix_users(pool, snap);
	cp_users_free(snap);
	CHECK_EQ(cp_pool_alloc(pool, "dave@example.com", S, &id[1], &ip[1]), 0);
	CHECK_EQ(ip[1], NET + 2);
	drop();
	/* A restart: bob's last address (the store has the dynamic one he
	 * had last) is his again before anyone else's. */
	CHECK_EQ(cp_store_user_get(st, "bob@example.com", &u, NULL), 0);
	ip[0] = u.sticky_addr.v4;
	CHECK_EQ(make(24, 8), 0);
	CHECK(cp_pool_restore_store(pool, st) >= 2);
	CHECK_EQ(cp_pool_alloc(pool, "erin@example.com", S, &id[1], &ip[1]), 0);
	CHECK(ip[1] != ip[0]);
	CHECK_EQ(cp_pool_alloc(pool, "bob@example.com", S, &id[2], &ip[2]), 0);
	CHECK_EQ(ip[2], ip[0]);
	drop();
	cp_store_close(st);
	unlink(path);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "gateway, first address, first peer-id", test_layout },
	{ "an address sticks to its name", test_sticky },
	{ "addresses run out; remembered ones go last", test_exhaustion },
	{ "peer-ids run out; the lowest free one is reused", test_peer_ids },
	{ "a /12 pool with 100 000 clients", test_large_pool },
	{ "the oldest names are forgotten first", test_forgetting },
	{ "only the holder frees an address", test_release },
	{ "fixed addresses from vpn.static_addresses", test_fixed_address },
	{ "remembered addresses saved and restored", test_save_restore },
	{ "user store: static addresses reserved, last addresses kept across a restart",
	  test_store_addresses },
	{ NULL, NULL }
};

int main(void)
{
	return sl_test_run("cp_pool", cases);
}
