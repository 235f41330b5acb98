/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The durable user store (cp_store.c) on a real SQLite file: the schema
 * and its migrations, users, roles, revoked serials, the import of the
 * PBKDF2 text format, every bad input (refused with its field named, the
 * database unchanged: compared row by row through a second connection),
 * two processes writing at once (no lost update), and a writer killed
 * with SIGKILL at random points of 200 adds and deletes (the store holds
 * exactly what each call reported done).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cp_store.h"
#include "cp_users.h"
#include "sl_addr.h"
#include "sl_test.h"

#define NET		0x0a080000u	/* 10.8.0.0/24 */
#define KAT_SALT	"73616c7453414c5473616c7453414c54"
#define KAT_HASH	"a7e3b4657d7ec5eee255d87157b73f2907eb21576c3926644f9ed7664dcc6e5d"
#define KAT		"pbkdf2-sha256$100000$" KAT_SALT "$" KAT_HASH

static char dir[] = "/tmp/sl_cp_store.XXXXXX";
static char db_path[256];
static struct cfg_static fixed[] = { { .name = "fixed@example.com", .addr = NET + 50 } };
static struct cfg_vpn vpn = { .pool = { NET, 24 }, .statics = fixed, .n_statics = 1 };

/* A fresh database file for each case. */
static const char *fresh(const char *name)
{
	char p[300];

	snprintf(db_path, sizeof(db_path), "%s/%s", dir, name);
	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
	return db_path;
}

/* Every row of every table, through a connection of its own: what the
 * database holds, to compare before and after a refused call. */
static int dump(const char *path, char *out, size_t len)
{
	sqlite3 *db;
	sqlite3_stmt *t, *q;
	size_t n = 0;
	char sql[128];

	out[0] = '\0';
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
			   -1, &t, NULL);
	while (sqlite3_step(t) == SQLITE_ROW) {
		snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\" ORDER BY 1, 2",
			 sqlite3_column_text(t, 0));
		n += (size_t)snprintf(out + n, len - n, "[%s]", sqlite3_column_text(t, 0));
		sqlite3_prepare_v2(db, sql, -1, &q, NULL);
		while (sqlite3_step(q) == SQLITE_ROW && n < len)
			for (int c = 0; c < sqlite3_column_count(q) && n < len; c++)
				n += (size_t)snprintf(out + n, len - n, "%s|",
						      sqlite3_column_text(q, c) ?
						      (const char *)sqlite3_column_text(q, c) : "NULL");
		sqlite3_finalize(q);
	}
	sqlite3_finalize(t);
	sqlite3_close(db);
	return n < len ? 0 : -1;
}

static struct cp_store_prefix pfx(uint32_t a, uint8_t len)
{
	struct cp_store_prefix p = { .addr = sl_addr_v4(a), .len = len };

	return p;
}

static void user_init(struct cp_store_user *u, const char *email)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->email, sizeof(u->email), "%.*s", (int)sizeof(u->email) - 1, email);
	u->vpn = true;
}

static int test_open_and_schema(void)
{
	struct cp_store_err err;
	struct cp_store *st;
	char text[300];
	struct stat sb;
	FILE *f;

	/* A new file, then an empty one that exists: both become the schema. */
	st = cp_store_open(fresh("new.db"), &vpn, &err);
	CHECK(st != NULL);
	CHECK_EQ(cp_store_schema_version(st), cp_store_schema_latest());
	CHECK(cp_store_schema_latest() >= 1);
	cp_store_close(st);
	close(open(fresh("empty.db"), O_CREAT | O_WRONLY, 0600));
	st = cp_store_open(db_path, &vpn, &err);
	CHECK(st != NULL);
	CHECK_EQ(cp_store_schema_version(st), cp_store_schema_latest());
	cp_store_close(st);
	/* A PBKDF2 text file given as the database: told to import it. */
	f = fopen(fresh("users.txt"), "w");
	CHECK(f != NULL);
	fprintf(f, "alice@example.com:%s\n", KAT);
	fclose(f);
	CHECK(cp_store_open(db_path, &vpn, &err) == NULL);
	CHECK_STR(err.field, "users.store");
	CHECK(strstr(err.msg, "not a SQLite database") != NULL);
	CHECK(strstr(err.msg, "users.import") != NULL);
	f = fopen(db_path, "r");
	CHECK(f != NULL && fgets(text, sizeof(text), f) != NULL);	/* left as it was */
	fclose(f);
	CHECK(strncmp(text, "alice@example.com:pbkdf2", 24) == 0);
	/* A directory cannot be opened. */
	CHECK(cp_store_open(dir, &vpn, &err) == NULL);
	/* A missing folder is made 0700, the database 0600. */
	snprintf(text, sizeof(text), "%s/state/users.db", dir);
	st = cp_store_open(text, &vpn, &err);
	CHECK(st != NULL);
	cp_store_close(st);
	CHECK_EQ(stat(text, &sb), 0);
	CHECK_EQ(sb.st_mode & 0777, 0600);
	snprintf(text, sizeof(text), "%s/state", dir);
	CHECK_EQ(stat(text, &sb), 0);
	CHECK_EQ(sb.st_mode & 0777, 0700);
	return 0;
}

/* Drop every table and trigger v1 did not make. */
static int drop_after_v1(sqlite3 *db)
{
	static const char *const v1 = " roles users user_roles user_iroutes revoked user_gone ";
	char names[20][64], sql[128], key[70];
	sqlite3_stmt *q;
	int n = 0;

	if (sqlite3_prepare_v2(db, "SELECT type, name FROM sqlite_master WHERE type IN "
			       "('table', 'trigger')", -1, &q, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(q) == SQLITE_ROW && n < 20) {
		snprintf(key, sizeof(key), " %s ", sqlite3_column_text(q, 1));
		if (strstr(v1, key) == NULL)
			snprintf(names[n++], sizeof(names[0]), "%s %s", sqlite3_column_text(q, 0),
				 sqlite3_column_text(q, 1));
	}
	sqlite3_finalize(q);
	for (int i = 0; i < n; i++) {
		snprintf(sql, sizeof(sql), "DROP %.100s", names[i]);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			return -1;
	}
	return 0;
}

/* A database at the schema's first version with data, reopened by this
 * build: migrated to the latest version, the data kept. A database from
 * a newer build is refused, untouched. */
static int test_migrations(void)
{
	static char tables[16384];
	struct cp_store_err err;
	struct cp_store_user u;
	struct cp_store *st;
	sqlite3 *db;

	st = cp_store_open(fresh("v1.db"), &vpn, &err);
	CHECK(st != NULL);
	CHECK_EQ(cp_store_role_add(st, "staff", "", &err), 0);
	user_init(&u, "alice@example.com");
	snprintf(u.roles[0], sizeof(u.roles[0]), "staff");
	u.n_roles = 1;
	CHECK_EQ(cp_store_user_add(st, &u, &err), 0);
	cp_store_close(st);
	/* Back to v1: the tables later versions made dropped (they add
	 * tables), the version set to 1. Reopened: migrated again, the v1
	 * data kept, a later table usable. */
	CHECK_EQ(sqlite3_open(db_path, &db), SQLITE_OK);
	CHECK_EQ(drop_after_v1(db), 0);
	CHECK_EQ(sqlite3_exec(db, "PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = cp_store_open(db_path, &vpn, &err);
	CHECK(st != NULL);
	CHECK_EQ(cp_store_schema_version(st), cp_store_schema_latest());
	CHECK_EQ(cp_store_user_get(st, "alice@example.com", &u, &err), 0);
	CHECK_STR(u.roles[0], "staff");
	cp_store_close(st);
	CHECK_EQ(dump(db_path, tables, sizeof(tables)), 0);
	CHECK(cp_store_schema_latest() < 2 || strstr(tables, "[rules]") != NULL);
	CHECK_EQ(sqlite3_open(db_path, &db), SQLITE_OK);
	CHECK_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CHECK(cp_store_open(db_path, &vpn, &err) == NULL);
	CHECK_STR(err.field, "users.store");
	CHECK(strstr(err.msg, "schema version 99 is newer") != NULL);
	return 0;
}

/* ---- bad input: the field named, nothing written ---- */

enum { F_EMAIL, F_ROLE, F_ROLE2, F_STATIC, F_IROUTE, F_IROUTES, F_HASH, F_SERIAL };

static const struct bad {
	int what;
	const char *text;	/* the email, role, hash or serial given */
	uint32_t a;		/* the address */
	uint8_t len;		/* iroute length; static: 0 = IPv6 */
	int rc;
	const char *field;
} bad[] = {
	{ F_EMAIL, "", 0, 0, -EINVAL, "email" },
	{ F_EMAIL, "no-at-sign", 0, 0, -EINVAL, "email" },
	{ F_EMAIL, "a@b@example.com", 0, 0, -EINVAL, "email" },
	{ F_EMAIL, "al ice@example.com", 0, 0, -EINVAL, "email" },
	{ F_EMAIL, "alice@localhost", 0, 0, -EINVAL, "email" },
	{ F_EMAIL, "alice@-bad.example.com", 0, 0, -EINVAL, "email" },
	{ F_EMAIL, "alice@example.com.", 0, 0, -EINVAL, "email" },
	{ F_EMAIL, ".alice@example.com", 0, 0, -EINVAL, "email" },
	{ F_EMAIL, "alice..x@example.com", 0, 0, -EINVAL, "email" },
	{ F_EMAIL, "@example.com", 0, 0, -EINVAL, "email" },
	{ F_EMAIL, "al\"ice@example.com", 0, 0, -EINVAL, "email" },
	{ F_EMAIL, "al\x01ice@example.com", 0, 0, -EINVAL, "email" },
	{ F_EMAIL, "al\xc3\xa9ice@example.com", 0, 0, -EINVAL, "email" },
	{ F_EMAIL, "TAKEN@Example.COM", 0, 0, -EEXIST, "email" },	/* case folded */
	{ F_ROLE, "nosuch", 0, 0, -ENOENT, "role" },
	{ F_ROLE, "Bad Role", 0, 0, -EINVAL, "role" },
	{ F_ROLE, "", 0, 0, -EINVAL, "role" },
	{ F_ROLE2, "staff", 0, 0, -EINVAL, "role" },			/* twice */
	{ F_STATIC, NULL, 0x0a090005, 32, -EINVAL, "static_ip" },	/* outside */
	{ F_STATIC, NULL, NET + 1, 32, -EINVAL, "static_ip" },		/* gateway */
	{ F_STATIC, NULL, NET, 32, -EINVAL, "static_ip" },		/* network */
	{ F_STATIC, NULL, NET + 255, 32, -EINVAL, "static_ip" },	/* broadcast */
	{ F_STATIC, NULL, NET + 10, 32, -EEXIST, "static_ip" },	/* taken's */
	{ F_STATIC, NULL, NET + 50, 32, -EEXIST, "static_ip" },	/* config's */
	{ F_STATIC, NULL, NET + 20, 0, -EINVAL, "static_ip" },		/* IPv6 */
	{ F_IROUTE, NULL, NET + 128, 25, -EINVAL, "iroute" },		/* in the pool */
	{ F_IROUTE, NULL, 0x0a000000, 8, -EINVAL, "iroute" },		/* holds the pool */
	{ F_IROUTE, NULL, 0xc0a80101, 24, -EINVAL, "iroute" },		/* host bits */
	{ F_IROUTE, NULL, 0xc0a80100, 0, -EINVAL, "iroute" },
	{ F_IROUTE, NULL, 0xc0a80100, 33, -EINVAL, "iroute" },
	{ F_IROUTE, NULL, 0xc0a83280, 25, -EEXIST, "iroute" },		/* taken's */
	{ F_IROUTES, NULL, 0xc0a80000, 16, -EINVAL, "iroute" },	/* overlapping two */
	{ F_IROUTES, NULL, 0, 9, -EINVAL, "iroute" },			/* too many */
	{ F_HASH, "plain", 0, 0, -EINVAL, "password" },
	{ F_HASH, "pbkdf2-sha256$1000$" KAT_SALT "$" KAT_HASH, 0, 0, -EINVAL, "password" },
	{ F_HASH, KAT "00", 0, 0, -EINVAL, "password" },
	{ F_SERIAL, "xyz", 0, 0, -EINVAL, "cert_serial" },
	{ F_SERIAL, "0123456789012345678901234567890123456789a", 0, 0, -EINVAL, "cert_serial" },
};

static void bad_user(const struct bad *b, struct cp_store_user *u)
{
	user_init(u, b->what == F_EMAIL ? b->text : "new@example.com");
	switch (b->what) {
	case F_ROLE2:
		snprintf(u->roles[u->n_roles++], CP_STORE_ROLE_LEN, "%s", b->text);
		/* fall through */
	case F_ROLE:
		snprintf(u->roles[u->n_roles++], CP_STORE_ROLE_LEN, "%s", b->text);
		break;
	case F_STATIC:
		u->static_addr = sl_addr_v4(b->a);
		if (b->len == 0) {
			u->static_addr.family = SL_AF_INET6;
			memset(u->static_addr.v6, 0x20, sizeof(u->static_addr.v6));
		}
		break;
	case F_IROUTE:
		u->iroutes[u->n_iroutes++] = pfx(b->a, b->len);
		break;
	case F_IROUTES:
		if (b->len == 9) {
			for (unsigned i = 0; i < CP_STORE_IROUTES_MAX; i++)
				u->iroutes[u->n_iroutes++] = pfx(0xac100000 + (i << 8), 24);
			u->n_iroutes++;		/* one more than the array holds */
		} else {
			u->iroutes[u->n_iroutes++] = pfx(0xc0a80000 + 0x0700, 24);
			u->iroutes[u->n_iroutes++] = pfx(b->a, b->len);
		}
		break;
	case F_HASH:
		snprintf(u->pw_hash, sizeof(u->pw_hash), "%s", b->text);
		break;
	case F_SERIAL:
		snprintf(u->cert_serial, sizeof(u->cert_serial), "%.*s",
			 (int)sizeof(u->cert_serial) - 1, b->text);
		if (strlen(b->text) >= sizeof(u->cert_serial))	/* cut: make it bad still */
			u->cert_serial[0] = 'x';
		break;
	}
}

/* taken@example.com with a static address and an iroute, role staff. */
static struct cp_store *store_with_taken(const char *name)
{
	struct cp_store_err err;
	struct cp_store *st = cp_store_open(fresh(name), &vpn, &err);
	struct cp_store_user u;

	if (st == NULL)
		return NULL;
	user_init(&u, "taken@example.com");
	u.static_addr = sl_addr_v4(NET + 10);
	u.iroutes[u.n_iroutes++] = pfx(0xc0a83200, 24);	/* 192.168.50.0/24 */
	if (cp_store_role_add(st, "staff", "the staff", &err) != 0 ||
	    cp_store_user_add(st, &u, &err) != 0) {
		cp_store_close(st);
		return NULL;
	}
	return st;
}

static int test_bad_user_add(void)
{
	static char before[16384], after[16384];
	struct cp_store *st = store_with_taken("bad.db");
	struct cp_store_user u;
	struct cp_store_err err;
	uint64_t gen;

	CHECK(st != NULL);
	CHECK_EQ(dump(db_path, before, sizeof(before)), 0);
	gen = cp_store_generation(st);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;

		bad_user(&bad[i], &u);
		memset(&err, 0, sizeof(err));
		rc = cp_store_user_add(st, &u, &err);
		CHECK_EQ(dump(db_path, after, sizeof(after)), 0);
		if (rc != bad[i].rc || strcmp(err.field, bad[i].field) != 0 || err.msg[0] == '\0' ||
		    strcmp(before, after) != 0) {
			fprintf(stderr, "case %u (%s): rc %d field \"%s\" msg \"%s\"%s\n", i,
				bad[i].text ? bad[i].text : "-", rc, err.field, err.msg,
				strcmp(before, after) != 0 ? ", store changed" : "");
			return -1;
		}
	}
	CHECK_EQ(cp_store_generation(st), gen);
	/* The same user, right: added, and the generation moves. */
	user_init(&u, "New@Example.com");
	snprintf(u.roles[u.n_roles++], CP_STORE_ROLE_LEN, "staff");
	u.static_addr = sl_addr_v4(NET + 20);
	u.iroutes[u.n_iroutes++] = pfx(0xc0a83300, 24);
	snprintf(u.pw_hash, sizeof(u.pw_hash), "%s", KAT);
	snprintf(u.cert_serial, sizeof(u.cert_serial), "0A1B");
	CHECK_EQ(cp_store_user_add(st, &u, &err), 0);
	CHECK(cp_store_generation(st) != gen);
	CHECK_EQ(cp_store_user_get(st, "new@example.com", &u, &err), 0);
	CHECK_STR(u.email, "new@example.com");
	CHECK_STR(u.cert_serial, "0a1b");
	CHECK_EQ(u.n_roles, 1);
	CHECK_EQ(u.n_iroutes, 1);
	CHECK_EQ(u.iroutes[0].addr.v4, 0xc0a83300);
	CHECK_EQ(u.static_addr.v4, NET + 20);
	CHECK_EQ(u.sticky_addr.family, 0);
	CHECK(u.created > 0 && u.updated == u.created);
	/* The config's fixed address, for its own name: accepted. */
	user_init(&u, "fixed@example.com");
	u.static_addr = sl_addr_v4(NET + 50);
	CHECK_EQ(cp_store_user_add(st, &u, &err), 0);
	cp_store_close(st);
	/* Without a pool, no static address at all. */
	st = cp_store_open(fresh("nopool.db"), NULL, &err);
	CHECK(st != NULL);
	user_init(&u, "alice@example.com");
	u.static_addr = sl_addr_v4(NET + 20);
	CHECK_EQ(cp_store_user_add(st, &u, &err), -EINVAL);
	CHECK_STR(err.field, "static_ip");
	cp_store_close(st);
	return 0;
}

static int count_user(const struct cp_store_user *u, void *arg)
{
	char *names = arg;

	strcat(names, u->email);
	strcat(names, " ");
	return 0;
}

static int each_user(const struct cp_store_user *u, void *arg)
{
	(void)u;
	(void)arg;
	return 0;
}

static int stop_at_one(const struct cp_store_user *u, void *arg)
{
	(void)u;
	(void)arg;
	return 7;
}

/* Every update: unknown users and bad values refused and nothing
 * written; the sticky address is quiet (the generation stays). */
static int test_user_updates(void)
{
	static char before[16384], after[16384];
	struct cp_store *st = store_with_taken("upd.db");
	struct cp_store_user u;
	struct cp_store_err err;
	struct sl_addr a = sl_addr_v4(NET + 33), none = { 0 };
	char names[256] = "";
	uint64_t gen;

	CHECK(st != NULL);
	CHECK_EQ(dump(db_path, before, sizeof(before)), 0);
	CHECK_EQ(cp_store_user_set_vpn(st, "nobody@example.com", false, &err), -ENOENT);
	CHECK_STR(err.field, "email");
	CHECK_EQ(cp_store_user_set_vpn(st, "bad email", false, &err), -EINVAL);
	CHECK_STR(err.field, "email");
	CHECK_EQ(cp_store_user_set_password(st, "taken@example.com", "x", &err), -EINVAL);
	CHECK_STR(err.field, "password");
	CHECK_EQ(cp_store_user_set_cert(st, "taken@example.com", "zz", 1, &err), -EINVAL);
	CHECK_STR(err.field, "cert_serial");
	CHECK_EQ(cp_store_user_set_cert(st, "taken@example.com", "ab", -1, &err), -EINVAL);
	CHECK_STR(err.field, "cert_expiry");
	CHECK_EQ(cp_store_user_set_sticky(st, "cert-only@example.com", &a, &err), -ENOENT);
	CHECK_EQ(cp_store_user_del(st, "nobody@example.com", &err), -ENOENT);
	CHECK_EQ(cp_store_user_get(st, "nobody@example.com", &u, &err), -ENOENT);
	/* 48 bytes: longer than a session name. */
	CHECK_EQ(cp_store_user_del(st, "a-name-of-forty-eight-bytes-is-longer@example.co", &err),
		 -EINVAL);
	CHECK_STR(err.field, "email");
	CHECK(strstr(err.msg, "longer than 47 bytes") != NULL);
	CHECK_EQ(dump(db_path, after, sizeof(after)), 0);
	CHECK_STR(before, after);

	gen = cp_store_generation(st);
	CHECK_EQ(cp_store_user_set_sticky(st, "Taken@example.com", &a, &err), 0);
	CHECK_EQ(cp_store_user_set_sticky(st, "taken@example.com", &a, &err), 0);
	CHECK_EQ(cp_store_generation(st), gen);
	CHECK_EQ(cp_store_user_get(st, "taken@example.com", &u, &err), 0);
	CHECK(sl_addr_eq(&u.sticky_addr, &a));
	CHECK_EQ(cp_store_user_set_vpn(st, "taken@example.com", false, &err), 0);
	CHECK(cp_store_generation(st) != gen);
	CHECK_EQ(cp_store_user_set_password(st, "taken@example.com", KAT, &err), 0);
	CHECK_EQ(cp_store_user_set_cert(st, "taken@example.com", "FF01", 2000000000, &err), 0);
	CHECK_EQ(cp_store_user_get(st, "taken@example.com", &u, &err), 0);
	CHECK(!u.vpn);
	CHECK_STR(u.pw_hash, KAT);
	CHECK_STR(u.cert_serial, "ff01");
	CHECK_EQ(u.cert_expiry, 2000000000);
	CHECK_EQ(cp_store_user_set_cert(st, "taken@example.com", "", 5, &err), 0);
	CHECK_EQ(cp_store_user_set_sticky(st, "taken@example.com", &none, &err), 0);
	CHECK_EQ(cp_store_user_set_password(st, "taken@example.com", "", &err), 0);
	CHECK_EQ(cp_store_user_get(st, "taken@example.com", &u, &err), 0);
	CHECK_STR(u.cert_serial, "");
	CHECK_EQ(u.cert_expiry, 0);
	CHECK_EQ(u.sticky_addr.family, 0);
	CHECK_STR(u.pw_hash, "");

	user_init(&u, "b@example.com");
	CHECK_EQ(cp_store_user_add(st, &u, &err), 0);
	user_init(&u, "a@example.com");
	CHECK_EQ(cp_store_user_add(st, &u, &err), 0);
	CHECK_EQ(cp_store_user_list(st, count_user, names), 3);
	CHECK_STR(names, "a@example.com b@example.com taken@example.com ");
	CHECK_EQ(cp_store_user_list(st, stop_at_one, NULL), 7);
	CHECK_EQ(cp_store_user_del(st, "B@example.com", &err), 0);
	CHECK_EQ(cp_store_user_get(st, "b@example.com", &u, &err), -ENOENT);
	cp_store_close(st);
	return 0;
}

static int role_names(const struct cp_store_role *r, void *arg)
{
	strcat(arg, r->name);
	strcat(arg, " ");
	return 0;
}

static int test_roles(void)
{
	static char before[16384], after[16384];
	struct cp_store *st = store_with_taken("roles.db");
	struct cp_store_user u;
	struct cp_store_err err;
	char names[128] = "", desc[200];

	CHECK(st != NULL);
	CHECK_EQ(cp_store_role_add(st, "ops", NULL, &err), 0);
	for (unsigned i = 0; i < 2; i++) {
		user_init(&u, i ? "b@example.com" : "a@example.com");
		snprintf(u.roles[u.n_roles++], CP_STORE_ROLE_LEN, "ops");
		snprintf(u.roles[u.n_roles++], CP_STORE_ROLE_LEN, "staff");
		CHECK_EQ(cp_store_user_add(st, &u, &err), 0);
	}
	CHECK_EQ(dump(db_path, before, sizeof(before)), 0);
	CHECK_EQ(cp_store_role_add(st, "ops", "", &err), -EEXIST);
	CHECK_STR(err.field, "role");
	CHECK_EQ(cp_store_role_add(st, "Ops", "", &err), -EINVAL);
	CHECK_STR(err.field, "role");
	memset(desc, 'd', sizeof(desc) - 1);
	desc[sizeof(desc) - 1] = '\0';
	CHECK_EQ(cp_store_role_add(st, "long", desc, &err), -EINVAL);
	CHECK_STR(err.field, "description");
	CHECK_EQ(cp_store_role_add(st, "ctl", "a\nb", &err), -EINVAL);
	CHECK_STR(err.field, "description");
	CHECK_EQ(cp_store_role_del(st, "ops", &err), -EBUSY);
	CHECK_STR(err.field, "role");
	CHECK(strstr(err.msg, "held by 2 users") != NULL);
	CHECK_EQ(cp_store_role_del(st, "nosuch", &err), -ENOENT);
	CHECK_EQ(dump(db_path, after, sizeof(after)), 0);
	CHECK_STR(before, after);
	CHECK_EQ(cp_store_user_get(st, "a@example.com", &u, &err), 0);
	CHECK_EQ(u.n_roles, 2);
	CHECK_STR(u.roles[0], "ops");
	CHECK_STR(u.roles[1], "staff");
	/* A user's roles go with the user; then the role may go. */
	CHECK_EQ(cp_store_user_del(st, "a@example.com", &err), 0);
	CHECK_EQ(cp_store_role_del(st, "ops", &err), -EBUSY);
	CHECK(strstr(err.msg, "held by 1 user") != NULL);
	CHECK_EQ(cp_store_user_del(st, "b@example.com", &err), 0);
	CHECK_EQ(cp_store_role_del(st, "ops", &err), 0);
	CHECK_EQ(cp_store_role_list(st, role_names, names), 1);
	CHECK_STR(names, "staff ");
	cp_store_close(st);
	return 0;
}

static int revoked_text(const struct cp_store_revoked *r, void *arg)
{
	char *s = arg;

	sprintf(s + strlen(s), "%s:%d ", r->serial, r->reason);
	return r->time > 0 ? 0 : -1;
}

static int test_revoked(void)
{
	struct cp_store *st = cp_store_open(fresh("crl.db"), &vpn, NULL);
	struct cp_store_err err;
	char list[128] = "";

	CHECK(st != NULL);
	CHECK_EQ(cp_store_revoked_add(st, "0A", 1, &err), 0);
	CHECK_EQ(cp_store_revoked_add(st, "0a", 1, &err), -EEXIST);
	CHECK_STR(err.field, "serial");
	CHECK_EQ(cp_store_revoked_add(st, "g1", 1, &err), -EINVAL);
	CHECK_STR(err.field, "serial");
	CHECK_EQ(cp_store_revoked_add(st, "0b", 7, &err), -EINVAL);
	CHECK_STR(err.field, "reason");
	CHECK_EQ(cp_store_revoked_add(st, "0b", 11, &err), -EINVAL);
	CHECK_EQ(cp_store_revoked_add(st, "0b", 0, &err), 0);
	CHECK_EQ(cp_store_revoked_list(st, revoked_text, list), 2);
	CHECK(strstr(list, "0a:1 ") != NULL && strstr(list, "0b:0 ") != NULL);
	cp_store_close(st);
	return 0;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* The text format: users not yet present are added with their hash and
 * VPN on; a bad line refuses the whole file, naming the line. */
static int test_import(void)
{
	static char before[16384], after[16384];
	struct cp_store *st = store_with_taken("import.db");
	struct cp_store_user u;
	struct cp_store_err err;
	char file[300], text[1024];
	struct cp_users *snap;

	CHECK(st != NULL);
	snprintf(file, sizeof(file), "%s/users.txt", dir);
	snprintf(text, sizeof(text), "# users\n\nAlice@Example.com:%s\r\ntaken@example.com:%s\n",
		 KAT, KAT);
	CHECK_EQ(write_file(file, text), 0);
	CHECK_EQ(cp_store_import(st, file, &err), 1);	/* taken is there already */
	CHECK_EQ(cp_store_user_get(st, "alice@example.com", &u, &err), 0);
	CHECK(u.vpn);
	CHECK_STR(u.pw_hash, KAT);
	CHECK_EQ(cp_store_user_get(st, "taken@example.com", &u, &err), 0);
	CHECK_STR(u.pw_hash, "");			/* not overwritten */
	CHECK_EQ(cp_store_import(st, file, &err), 0);	/* twice: nothing new */
	/* The imported hash checks through the snapshot. */
	snap = cp_users_from_store(st, text, sizeof(text));
	CHECK(snap != NULL);
	CHECK_EQ(cp_users_check(snap, "alice@example.com", "password"), 0);
	cp_users_free(snap);

	CHECK_EQ(dump(db_path, before, sizeof(before)), 0);
	snprintf(text, sizeof(text), "bob@example.com:%s\ncarol@example.com:pbkdf2-sha256$10$%s$%s\n",
		 KAT, KAT_SALT, KAT_HASH);
	CHECK_EQ(write_file(file, text), 0);
	CHECK_EQ(cp_store_import(st, file, &err), -EINVAL);
	CHECK_STR(err.field, "users.import");
	CHECK(strstr(err.msg, "users.txt:2: iterations 10 below the minimum") != NULL);
	snprintf(text, sizeof(text), "bob@example.com:%s\ncarol:%s\n", KAT, KAT);
	CHECK_EQ(write_file(file, text), 0);
	CHECK_EQ(cp_store_import(st, file, &err), -EINVAL);
	CHECK(strstr(err.msg, "users.txt:2: user name: ") != NULL);
	CHECK_EQ(cp_store_import(st, "/nonexistent/users", &err), -ENOENT);
	CHECK_STR(err.field, "users.import");
	CHECK_EQ(dump(db_path, after, sizeof(after)), 0);
	CHECK_STR(before, after);
	cp_store_close(st);
	return 0;
}

/* Another connection's commit moves the generation too (the control plane
 * sees an operator's sqlite3 edit). */
static int test_generation_other_writer(void)
{
	struct cp_store *a = cp_store_open(fresh("gen.db"), &vpn, NULL);
	struct cp_store *b = cp_store_open(db_path, &vpn, NULL);
	struct cp_store_user u;
	uint64_t g;

	CHECK(a != NULL && b != NULL);
	g = cp_store_generation(a);
	user_init(&u, "alice@example.com");
	CHECK_EQ(cp_store_user_add(b, &u, NULL), 0);
	CHECK(cp_store_generation(a) != g);
	CHECK_EQ(cp_store_user_get(a, "alice@example.com", &u, NULL), 0);
	cp_store_close(a);
	cp_store_close(b);
	return 0;
}

/* ---- two processes at once ---- */

#define RACE_OWN	40
#define RACE_SHARED	20

/* Each child adds RACE_OWN users of its own and tries the RACE_SHARED
 * shared ones; its exit status: how many shared adds it won, or 255. */
static int race_child(int id)
{
	struct cp_store *st = cp_store_open(db_path, &vpn, NULL);
	struct cp_store_user u;
	struct cp_store_err err;
	char email[64];
	int won = 0, rc;

	if (st == NULL)
		return 255;
	for (int i = 0; i < RACE_OWN + RACE_SHARED; i++) {
		if (i % 3 == 0 && i / 3 < RACE_SHARED)
			snprintf(email, sizeof(email), "shared%d@example.com", i / 3);
		else
			snprintf(email, sizeof(email), "c%d-%d@example.com", id, i);
		user_init(&u, email);
		rc = cp_store_user_add(st, &u, &err);
		if (rc == 0 && strncmp(email, "shared", 6) == 0)
			won++;
		else if (rc != 0 && (rc != -EEXIST || strncmp(email, "shared", 6) != 0))
			return 255;
	}
	cp_store_close(st);
	return won;
}

static int test_two_processes(void)
{
	struct cp_store *st = cp_store_open(fresh("race.db"), &vpn, NULL);
	int status[2], won = 0;
	pid_t pid[2];

	CHECK(st != NULL);
	for (int c = 0; c < 2; c++) {
		pid[c] = fork();
		CHECK(pid[c] >= 0);
		if (pid[c] == 0)
			_exit(race_child(c));
	}
	for (int c = 0; c < 2; c++) {
		CHECK_EQ(waitpid(pid[c], &status[c], 0), pid[c]);
		CHECK(WIFEXITED(status[c]) && WEXITSTATUS(status[c]) != 255);
		won += WEXITSTATUS(status[c]);
	}
	CHECK_EQ(won, RACE_SHARED);		/* each shared name exactly once */
	CHECK_EQ(cp_store_user_list(st, stop_at_one, NULL), 7);
	CHECK_EQ(cp_store_user_list(st, each_user, NULL), 2 * (RACE_OWN + RACE_SHARED) -
		 RACE_SHARED);
	cp_store_close(st);
	return 0;
}

/* ---- SIGKILL at random points ---- */

#define CRASH_OPS	200
#define CRASH_NAMES	24

static void crash_name(int j, char *out, size_t len)
{
	snprintf(out, len, "u%d@example.com", j);
}

/*
 * Ops FROM.. of the sequence: op k works on name k*7 % CRASH_NAMES and
 * adds it if the store lacks it, deletes it if not. Before each call the
 * child reports "B k j", after it returned 0 "D k" (one write(2) each: a
 * pipe keeps what was written when the writer is killed).
 */
static void crash_child(int fd, int from)
{
	struct cp_store *st = cp_store_open(db_path, &vpn, NULL);
	struct cp_store_user u;
	char email[64], line[64];
	int n;

	if (st == NULL)
		_exit(2);
	for (int k = from; k < CRASH_OPS; k++) {
		int j = k * 7 % CRASH_NAMES;
		bool there;

		crash_name(j, email, sizeof(email));
		there = cp_store_user_get(st, email, &u, NULL) == 0;
		n = snprintf(line, sizeof(line), "B %d %d\n", k, j);
		if (write(fd, line, (size_t)n) != n)
			_exit(3);
		if (there) {
			if (cp_store_user_del(st, email, NULL) != 0)
				_exit(4);
		} else {
			user_init(&u, email);
			u.iroutes[u.n_iroutes++] = pfx(0xac100000 + ((uint32_t)j << 8), 24);
			if (cp_store_user_add(st, &u, NULL) != 0)
				_exit(4);
		}
		n = snprintf(line, sizeof(line), "D %d\n", k);
		if (write(fd, line, (size_t)n) != n)
			_exit(3);
	}
	cp_store_close(st);
	_exit(0);
}

struct crash_state {
	bool model[CRASH_NAMES];	/* what the reported calls made */
	bool store[CRASH_NAMES];	/* what the reopened store holds */
	int done;			/* ops reported done */
	int inflight;			/* name of a call begun, not reported; -1 */
};

/* Apply the child's reports to the model. */
static int crash_read(int fd, struct crash_state *cs)
{
	static char buf[16384];
	size_t n = 0;
	ssize_t r;
	int k, j;

	while ((r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	cs->inflight = -1;
	for (char *l = strtok(buf, "\n"); l != NULL; l = strtok(NULL, "\n")) {
		if (sscanf(l, "B %d %d", &k, &j) == 2) {
			if (k != cs->done)
				return -1;
			cs->inflight = j;
		} else if (sscanf(l, "D %d", &k) == 1 && k == cs->done && cs->inflight >= 0) {
			cs->model[cs->inflight] = !cs->model[cs->inflight];
			cs->inflight = -1;
			cs->done++;
		} else {
			return -1;
		}
	}
	return 0;
}

static int crash_seen(const struct cp_store_user *u, void *arg)
{
	struct crash_state *cs = arg;
	int j;

	if (sscanf(u->email, "u%d@", &j) != 1 || j < 0 || j >= CRASH_NAMES || cs->store[j] ||
	    u->n_iroutes != 1 || u->iroutes[0].addr.v4 != 0xac100000 + ((uint32_t)j << 8))
		return -1;	/* a name twice, or a torn row */
	cs->store[j] = true;
	return 0;
}

/* The store equals the model, but for the one call in flight, which may
 * have committed before the kill (then it counts as done). */
static int crash_check(struct crash_state *cs)
{
	struct cp_store *st = cp_store_open(db_path, &vpn, NULL);
	int rc;

	if (st == NULL)
		return -1;
	memset(cs->store, 0, sizeof(cs->store));
	rc = cp_store_user_list(st, crash_seen, cs);
	cp_store_close(st);
	if (rc < 0)
		return -1;
	for (int j = 0; j < CRASH_NAMES; j++) {
		if (cs->store[j] == cs->model[j])
			continue;
		if (j != cs->inflight)
			return -1;
		cs->model[j] = cs->store[j];
		cs->done++;
	}
	return 0;
}

static int test_sigkill(void)
{
	struct crash_state cs = { .inflight = -1 };
	unsigned seed = (unsigned)getpid(), kills = 0, rounds = 0, in_call = 0;
	unsigned max_us = 20000;
	struct cp_store *st = cp_store_open(fresh("crash.db"), &vpn, NULL);

	CHECK(st != NULL);
	cp_store_close(st);
	srand(seed);
	while (cs.done < CRASH_OPS) {
		int p[2], status, before = cs.done;
		pid_t pid;

		CHECK_EQ(pipe(p), 0);
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			close(p[0]);
			crash_child(p[1], cs.done);
		}
		close(p[1]);
		/* A few ms: a handful of calls, the kill lands anywhere in one.
		 * A round without progress (a slow disk) doubles the span. */
		usleep((useconds_t)(rand() % max_us));
		if (kill(pid, SIGKILL) == 0)
			kills++;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0));
		if (crash_read(p[0], &cs) != 0 || crash_check(&cs) != 0) {
			fprintf(stderr, "seed %u round %u: store and reports differ at op %d\n",
				seed, rounds, cs.done);
			close(p[0]);
			return -1;
		}
		close(p[0]);
		if (cs.inflight >= 0)
			in_call++;
		if (cs.done == before && max_us < 2000000)
			max_us *= 2;
		CHECK(++rounds < 5000);
		if (getenv("SL_VERBOSE") != NULL)
			printf("# round %u: %d done\n", rounds, cs.done);
	}
	printf("# %d calls, %u rounds, %u kills, %u inside a call (seed %u)\n", cs.done, rounds,
	       kills, in_call, seed);
	CHECK(kills > 0);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "open: new, empty, a text file refused (users.import), a directory, modes",
	  test_open_and_schema },
	{ "migrations: from v1 with data; a newer schema refused", test_migrations },
	{ "user add: every bad input names its field, the store unchanged", test_bad_user_add },
	{ "user updates, sticky address quiet, list, del", test_user_updates },
	{ "roles: bad names, in use (counted), cascade with the user", test_roles },
	{ "revoked serials for the CRL", test_revoked },
	{ "import of the PBKDF2 text file: all or nothing", test_import },
	{ "generation moves with another connection's commit", test_generation_other_writer },
	{ "two processes adding at once: no lost update", test_two_processes },
	{ "SIGKILL at random points of 200 adds and deletes", test_sigkill },
	{ NULL, NULL }
};

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	int rc;

	if (mkdtemp(dir) == NULL)
		return 1;
	rc = sl_test_run("cp_store", cases);
	if (nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS) != 0)
		rc = 1;
	return rc;
}
