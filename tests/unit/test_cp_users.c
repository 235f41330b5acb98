/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The users the TLS workers check (cp_users.c): the text format (comments,
 * blank lines, NAME:pbkdf2-sha256$ITER$SALT_HEX$HASH_HEX), a known PBKDF2
 * vector, right and wrong passwords, unknown users, hashes made by
 * cp_users_hash(), and the malformed lines (and names a client could not
 * send) that refuse the whole file with their line number; the snapshot
 * built from the store: VPN access off and no password refused after the
 * same work, iroutes and static addresses, what counts as a change.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cp_store.h"
#include "cp_users.h"
#include "sl_addr.h"
#include "sl_test.h"

/* PBKDF2-HMAC-SHA256("password", "saltSALTsaltSALT", 100000 iterations,
 * 32 bytes), as Python's hashlib.pbkdf2_hmac and `openssl kdf` compute it. */
#define KAT_SALT "73616c7453414c5473616c7453414c54"
#define KAT_HASH "a7e3b4657d7ec5eee255d87157b73f2907eb21576c3926644f9ed7664dcc6e5d"
#define KAT_LINE "pbkdf2-sha256$100000$" KAT_SALT "$" KAT_HASH

static char path[] = "/tmp/sl_cp_users.XXXXXX";

/* TEXT as the store file, opened; NULL with the message in err. */
static struct cp_users *open_text(const char *text, char *err, size_t len)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return NULL;
	fputs(text, f);
	fclose(f);
	return cp_users_open(path, err, len);
}

static int test_known_vector(void)
{
	char err[256] = "";
	struct cp_users *u = open_text("# users\n\n  \nalice@example.com:" KAT_LINE "\n",
				       err, sizeof(err));

	CHECK(u != NULL);
	CHECK_EQ(cp_users_check(u, "alice@example.com", "password"), 0);
	CHECK_EQ(cp_users_check(u, "alice@example.com", "Password"), -EACCES);
	CHECK_EQ(cp_users_check(u, "alice@example.com", ""), -EACCES);
	CHECK_EQ(cp_users_check(u, "alice", "password"), -ENOENT);
	CHECK_EQ(cp_users_check(u, "", "password"), -ENOENT);
	cp_users_free(u);
	return 0;
}

/* cp_users_hash() writes what the store reads; every user has its own line. */
static int test_hash_round_trip(void)
{
	char a[160], b[160], text[512], err[256];
	struct cp_users *u;

	CHECK_EQ(cp_users_hash("s3cret", 100000, a, sizeof(a)), 0);
	CHECK_EQ(cp_users_hash("s3cret", 100000, b, sizeof(b)), 0);
	CHECK(strcmp(a, b) != 0);		/* a fresh salt each time */
	CHECK(strncmp(a, "pbkdf2-sha256$100000$", 21) == 0);
	CHECK_EQ(cp_users_hash("x", 100000, a, 40), -ENOSPC);
	CHECK_EQ(cp_users_hash("x", 99999, a, sizeof(a)), -EINVAL);	/* below the minimum */
	CHECK_EQ(cp_users_hash("s3cret", 100000, a, sizeof(a)), 0);
	CHECK_EQ(cp_users_hash("other", 120000, b, sizeof(b)), 0);
	snprintf(text, sizeof(text), "bob:%s\r\ncarol:%s\n", a, b);
	u = open_text(text, err, sizeof(err));
	CHECK(u != NULL);
	CHECK_EQ(cp_users_check(u, "bob", "s3cret"), 0);
	CHECK_EQ(cp_users_check(u, "carol", "other"), 0);
	CHECK_EQ(cp_users_check(u, "bob", "other"), -EACCES);
	cp_users_free(u);
	return 0;
}

/*
 * Work factors too cheap to slow down a guesser are refused with the
 * file's line and the minimum: PBKDF2-SHA256 needs >= 100000 iterations
 * and a salt of >= 16 bytes; more than 10000000 iterations is refused too
 * (each check runs on a TLS worker).
 */
static int test_minimums(void)
{
	static const struct {
		const char *line, *why;
	} bad[] = {
		{ "alice:pbkdf2-sha256$99999$" KAT_SALT "$" KAT_HASH,
		  ":3: iterations 99999 below the minimum 100000 (PBKDF2-SHA256)" },
		{ "alice:pbkdf2-sha256$1000$" KAT_SALT "$" KAT_HASH,
		  ":3: iterations 1000 below the minimum 100000 (PBKDF2-SHA256)" },
		{ "alice:pbkdf2-sha256$10000001$" KAT_SALT "$" KAT_HASH,
		  ":3: iterations 10000001 above the maximum 10000000" },
		{ "alice:pbkdf2-sha256$4294967396$" KAT_SALT "$" KAT_HASH,	/* wraps 32 bits */
		  ":3: iterations 4294967396 above the maximum 10000000" },
		{ "alice:pbkdf2-sha256$100000$73616c74$" KAT_HASH,
		  ":3: salt of 4 bytes, at least 16" },
		{ "alice:pbkdf2-sha256$100000$73616c7453414c5473616c7453414c$" KAT_HASH,
		  ":3: salt of 15 bytes, at least 16" },
	};
	char text[512], err[256], want[128];
	struct cp_users *u;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "# ok so far\nbob:%s\n%s\n", KAT_LINE, bad[i].line);
		err[0] = '\0';
		u = open_text(text, err, sizeof(err));
		if (u != NULL) {
			fprintf(stderr, "line %u accepted: %s\n", i, bad[i].line);
			cp_users_free(u);
			return -1;
		}
		snprintf(want, sizeof(want), "users file %s%s", path, bad[i].why);
		if (strstr(err, want) == NULL) {
			fprintf(stderr, "got \"%s\", want \"%s\"\n", err, want);
			return -1;
		}
	}
	return 0;
}

/*
 * An unknown user costs what a known one does: a hash of the password at
 * the store's work factor, then "no", so the time to an answer does not
 * tell which accounts exist. The work is counted (PBKDF2 runs and their
 * iterations), not timed: tests never assert on clocks.
 */
static int test_unknown_user_same_work(void)
{
	char err[256];
	struct cp_users *u = open_text("alice@example.com:" KAT_LINE "\n", err, sizeof(err));
	unsigned long runs, it0, known, unknown;

	CHECK(u != NULL);
	runs = cp_users_hash_runs(u);
	it0 = cp_users_hash_iters(u);
	CHECK_EQ(cp_users_check(u, "alice@example.com", "wrong"), -EACCES);
	known = cp_users_hash_iters(u) - it0;
	it0 = cp_users_hash_iters(u);
	CHECK_EQ(cp_users_check(u, "mallory@example.com", "wrong"), -ENOENT);
	unknown = cp_users_hash_iters(u) - it0;
	CHECK_EQ(cp_users_hash_runs(u), runs + 2);
	CHECK(known >= 100000);
	CHECK_EQ(unknown, known);	/* before the dummy entry: 0 */
	cp_users_free(u);
	return 0;
}

/* One bad line refuses the file and names its line. */
static int test_malformed(void)
{
	static const char *const bad[] = {
		"alice" KAT_LINE,					/* no colon */
		":" KAT_LINE,						/* no name */
		"alice:sha1$4096$73616c74$00",				/* another scheme */
		"alice:pbkdf2-sha256$100000$$" KAT_HASH,		/* no salt */
		"alice:pbkdf2-sha256$100000$" KAT_SALT "0$" KAT_HASH,	/* odd salt hex */
		"alice:pbkdf2-sha256$100000$" KAT_SALT "$c5e478d5",	/* short hash */
		"alice:pbkdf2-sha256$100000$" KAT_SALT "$"		/* not hex */
		"zze478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a",
		"alice:pbkdf2-sha256$100000",				/* cut short */
		"alice:pbkdf2-sha256$$" KAT_SALT "$" KAT_HASH,		/* no count */
		"alice:pbkdf2-sha256$-1$" KAT_SALT "$" KAT_HASH,	/* negative */
		"alice:pbkdf2-sha256$+100000$" KAT_SALT "$" KAT_HASH,	/* signed */
		"alice:pbkdf2-sha256$ 100000$" KAT_SALT "$" KAT_HASH,	/* space */
	};
	/* Names the wire could not carry: 48 bytes, a space, a control byte. */
	static const char *const bad_name[] = {
		"a-name-of-forty-eight-bytes-is-one-too-long-wxyz:" KAT_LINE,
		"alice smith:" KAT_LINE,
		"alice\x01:" KAT_LINE,
	};
	char text[512], err[256], want[128];
	struct cp_users *u;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "# ok so far\nbob:%s\n%s\n", KAT_LINE, bad[i]);
		err[0] = '\0';
		if (open_text(text, err, sizeof(err)) != NULL) {
			fprintf(stderr, "line %u accepted: %s\n", i, bad[i]);
			return -1;
		}
		snprintf(want, sizeof(want), "%s:3: expected NAME:pbkdf2-sha256$", path);
		CHECK(strstr(err, want) != NULL);
	}
	for (unsigned i = 0; i < sizeof(bad_name) / sizeof(bad_name[0]); i++) {
		snprintf(text, sizeof(text), "# ok so far\nbob:%s\n%s\n", KAT_LINE, bad_name[i]);
		err[0] = '\0';
		if (open_text(text, err, sizeof(err)) != NULL) {
			fprintf(stderr, "name %u accepted: %s\n", i, bad_name[i]);
			return -1;
		}
		snprintf(want, sizeof(want), "%s:3: user name: 1 to 47 printable ASCII "
			 "characters, no spaces", path);
		CHECK(strstr(err, want) != NULL);
	}
	/* 47 bytes is a name. */
	snprintf(text, sizeof(text), "a-name-of-forty-seven-bytes-is-just-right-vwxyz:%s\n", KAT_LINE);
	u = open_text(text, err, sizeof(err));
	CHECK(u != NULL);
	cp_users_free(u);
	return 0;
}

static int test_missing_file(void)
{
	char err[256] = "";

	CHECK(cp_users_open("/nonexistent/users", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "users file /nonexistent/users: ") != NULL);
	return 0;
}

static int test_hash_ok_and_split(void)
{
	char why[128], line[300];
	const char *name, *hash;

	CHECK(cp_users_hash_ok(KAT_LINE, why, sizeof(why)));
	CHECK(!cp_users_hash_ok(KAT_LINE "\nx", why, sizeof(why)));
	CHECK(!cp_users_hash_ok("pbkdf2-sha256$1000$" KAT_SALT "$" KAT_HASH, why, sizeof(why)));
	CHECK(strstr(why, "below the minimum 100000") != NULL);
	CHECK(!cp_users_hash_ok("", why, sizeof(why)));
	snprintf(line, sizeof(line), "bob@example.com:%s\r\n", KAT_LINE);
	CHECK_EQ(cp_users_line_split(line, &name, &hash, why, sizeof(why)), 0);
	CHECK_STR(name, "bob@example.com");
	CHECK_STR(hash, KAT_LINE);
	return 0;
}

/* A store of three users: alice (password, VPN on, an iroute, a static
 * address), bob (password, VPN off), carol (no password). */
static struct cp_store *three_users(char *db, size_t len)
{
	static struct cfg_vpn vpn = { .pool = { 0x0a080000, 24 } };
	struct cp_store_user u = { .vpn = true };
	struct cp_store *st;

	snprintf(db, len, "%s.db", path);
	unlink(db);
	st = cp_store_open(db, &vpn, NULL);
	if (st == NULL)
		return NULL;
	snprintf(u.email, sizeof(u.email), "alice@example.com");
	snprintf(u.pw_hash, sizeof(u.pw_hash), "%s", KAT_LINE);
	u.static_addr = sl_addr_v4(0x0a080009);
	u.iroutes[0].addr = sl_addr_v4(0xc0a80100);
	u.iroutes[0].len = 24;
	u.n_iroutes = 1;
	cp_store_user_add(st, &u, NULL);
	memset(&u, 0, sizeof(u));
	snprintf(u.email, sizeof(u.email), "bob@example.com");
	snprintf(u.pw_hash, sizeof(u.pw_hash), "%s", KAT_LINE);
	cp_store_user_add(st, &u, NULL);
	snprintf(u.email, sizeof(u.email), "carol@example.com");
	u.pw_hash[0] = '\0';
	u.vpn = true;
	cp_store_user_add(st, &u, NULL);
	return st;
}

/*
 * From the store: a user whose VPN access is off is refused even with the
 * right password (-EPERM, the client hears what a wrong password gets),
 * one without a password is refused whatever it sends; both after the
 * same PBKDF2 work as alice, counted.
 */
static int test_from_store(void)
{
	char db[300], err[256];
	struct cp_store *st = three_users(db, sizeof(db));
	struct cp_users *u, *v;
	struct cp_store_prefix ir[4];
	unsigned long it0, alice, bob, carol;

	CHECK(st != NULL);
	u = cp_users_from_store(st, err, sizeof(err));
	CHECK(u != NULL);
	CHECK_EQ(cp_users_count(u), 3);
	it0 = cp_users_hash_iters(u);
	CHECK_EQ(cp_users_check(u, "alice@example.com", "password"), 0);
	alice = cp_users_hash_iters(u) - it0;
	it0 = cp_users_hash_iters(u);
	CHECK_EQ(cp_users_check(u, "bob@example.com", "password"), -EPERM);
	bob = cp_users_hash_iters(u) - it0;
	it0 = cp_users_hash_iters(u);
	CHECK_EQ(cp_users_check(u, "carol@example.com", ""), -EACCES);
	carol = cp_users_hash_iters(u) - it0;
	CHECK_EQ(bob, alice);
	CHECK_EQ(carol, alice);
	CHECK_EQ(cp_users_check(u, "bob@example.com", "wrong"), -EACCES);
	CHECK(cp_users_vpn(u, "alice@example.com"));
	CHECK(!cp_users_vpn(u, "bob@example.com"));
	CHECK(!cp_users_vpn(u, "dave@example.com"));
	CHECK(cp_users_has(u, "bob@example.com"));
	CHECK_EQ(cp_users_iroutes(u, "alice@example.com", ir, 4), 1);
	CHECK_EQ(ir[0].addr.v4, 0xc0a80100);
	CHECK_EQ(ir[0].len, 24);
	CHECK_EQ(cp_users_iroutes(u, "bob@example.com", ir, 4), 0);
	CHECK_EQ(cp_users_static(u, "alice@example.com").v4, 0x0a080009);
	CHECK_EQ(cp_users_static(u, "bob@example.com").family, 0);
	/* Access turned off is a change for the sessions; a sticky address
	 * is not. */
	CHECK_EQ(cp_store_user_set_vpn(st, "alice@example.com", false, NULL), 0);
	CHECK_EQ(cp_store_user_set_sticky(st, "bob@example.com", &(struct sl_addr){
		.family = SL_AF_INET, .v4 = 0x0a080007 }, NULL), 0);
	v = cp_users_from_store(st, err, sizeof(err));
	CHECK(v != NULL);
	CHECK(!cp_users_same(u, v, "alice@example.com"));
	CHECK(cp_users_same(u, v, "bob@example.com"));
	CHECK(!cp_users_same(u, v, "dave@example.com"));
	cp_users_free(u);
	cp_users_free(v);
	cp_store_close(st);
	unlink(db);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "known PBKDF2 vector: right and wrong password, unknown user", test_known_vector },
	{ "cp_users_hash output is read back", test_hash_round_trip },
	{ "malformed lines refuse the file", test_malformed },
	{ "work factor minimums: iterations and salt length, with file:line", test_minimums },
	{ "unknown user: the same PBKDF2 work as a known one", test_unknown_user_same_work },
	{ "missing file", test_missing_file },
	{ "hash check and line split (what the store and import use)", test_hash_ok_and_split },
	{ "from the store: VPN off and no password refused after the same work",
	  test_from_store },
	{ NULL, NULL }
};

int main(void)
{
	int fd = mkstemp(path), rc;

	if (fd < 0)
		return 1;
	close(fd);
	rc = sl_test_run("cp_users", cases);
	unlink(path);
	return rc;
}
