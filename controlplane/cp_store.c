/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The durable user store on SQLite (cp_store.h).
 *
 * Durability: journal_mode=WAL with synchronous=FULL syncs the log at
 * every commit, so a commit that returned survives a crash or power cut,
 * and one that did not return is rolled back at the next open
 * (https://www.sqlite.org/wal.html). Every write is one BEGIN IMMEDIATE
 * transaction, which takes the database's write lock before it reads
 * anything: two writers (two threads, two processes) never interleave
 * their check-then-insert, so a check done inside the transaction still
 * holds at its commit. A writer that finds the lock taken waits up to
 * CP_STORE_BUSY_MS (busy_timeout).
 *
 * Validation happens before anything is written; a refusal rolls the
 * transaction back, so the store is unchanged and err names the field.
 *
 * Addresses are kept as text ("10.8.0.5", "10.9.0.0/24") so that the
 * database reads well with the sqlite3 shell and IPv6 fits later.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cp_store.h"
#include "cp_users.h"
#include "sl_addr.h"

#define CP_STORE_BUSY_MS	10000

struct cp_store {
	pthread_mutex_t lock;		/* one caller at a time on db */
	sqlite3 *db;
	const struct cfg_vpn *vpn;	/* pool and fixed addresses; may be NULL */
	uint64_t writes;		/* committed writes of this connection */
};

/*
 * The schema, one entry per version: entry i takes a database from
 * user_version i to i + 1. Never edit an entry once released (databases
 * in the field have run it): append a new one. A user's roles and
 * iroutes go with the user: by foreign key, and by trigger for a
 * connection without PRAGMA foreign_keys (the sqlite3 shell's default); a
 * role in use cannot be deleted (RESTRICT, and cp_store_role_del counts
 * its users first).
 */
static const char *const migrations[] = {
	/* v1: users, roles, addresses, iroutes, revoked certificates */
	"CREATE TABLE roles ("
	"  name TEXT PRIMARY KEY NOT NULL,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE users ("
	"  email TEXT PRIMARY KEY NOT NULL,"
	"  vpn INTEGER NOT NULL DEFAULT 0,"
	"  static_ip TEXT UNIQUE,"
	"  sticky_ip TEXT,"
	"  cert_serial TEXT NOT NULL DEFAULT '',"
	"  cert_expiry INTEGER NOT NULL DEFAULT 0,"
	"  pw_hash TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL);"
	"CREATE TABLE user_roles ("
	"  email TEXT NOT NULL REFERENCES users(email) ON DELETE CASCADE,"
	"  role TEXT NOT NULL REFERENCES roles(name) ON DELETE RESTRICT,"
	"  PRIMARY KEY (email, role));"
	"CREATE INDEX user_roles_role ON user_roles(role);"
	"CREATE TABLE user_iroutes ("
	"  email TEXT NOT NULL REFERENCES users(email) ON DELETE CASCADE,"
	"  prefix TEXT NOT NULL,"
	"  PRIMARY KEY (email, prefix));"
	"CREATE TABLE revoked ("
	"  serial TEXT PRIMARY KEY NOT NULL,"
	"  time INTEGER NOT NULL,"
	"  reason INTEGER NOT NULL);"
	"CREATE TRIGGER user_gone AFTER DELETE ON users BEGIN"
	"  DELETE FROM user_roles WHERE email = OLD.email;"
	"  DELETE FROM user_iroutes WHERE email = OLD.email;"
	"END;",
	/* v2: access rules added through the API (cp_rules.c): each field as
	 * the text sl_rule_set() reads; and the role ids and user tags the
	 * rules were compiled with, so they stay the same across restarts
	 * (peers adopted after a restart keep the tags they were given). */
	"CREATE TABLE rules ("
	"  name TEXT PRIMARY KEY NOT NULL,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  src TEXT NOT NULL,"
	"  dst TEXT NOT NULL,"
	"  proto TEXT NOT NULL,"
	"  sport TEXT NOT NULL,"
	"  dport TEXT NOT NULL,"
	"  priority INTEGER NOT NULL,"
	"  action TEXT NOT NULL,"
	"  direction TEXT NOT NULL,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE rule_tags ("
	"  kind TEXT NOT NULL CHECK (kind IN ('role', 'user')),"
	"  name TEXT NOT NULL,"
	"  id INTEGER NOT NULL,"
	"  PRIMARY KEY (kind, name),"
	"  UNIQUE (kind, id));",
	/* v3 and later: append here. */
};
#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

__attribute__((format(printf, 4, 5)))
static int refuse(struct cp_store_err *err, int rc, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return rc;
	snprintf(err->field, sizeof(err->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return rc;
}

static int db_fail(sqlite3 *db, struct cp_store_err *err)
{
	return refuse(err, -EIO, "store", "database: %s", sqlite3_errmsg(db));
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

int cp_store_schema_latest(void)
{
	return N_MIGRATIONS;
}

/* ---- validation (no database) ---- */

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* RFC 5322 atext and dots, no leading, trailing or double dot. */
static bool local_ok(const char *s, size_t n)
{
	if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.' && s[i + 1] == '.')
			return false;
		if (!is_alnum(s[i]) && strchr("!#$%&'*+-/=?^_`{|}~.", s[i]) == NULL)
			return false;
	}
	return true;
}

/* Two labels or more of letters, digits and inner hyphens (RFC 1035 2.3.1). */
static bool domain_ok(const char *s)
{
	unsigned labels = 0;

	while (*s != '\0') {
		size_t n = strcspn(s, ".");

		if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
			return false;
		for (size_t i = 0; i < n; i++)
			if (!is_alnum(s[i]) && s[i] != '-')
				return false;
		labels++;
		s += n;
		if (*s == '.' && *++s == '\0')
			return false;
	}
	return labels >= 2;
}

int cp_store_email_norm(const char *email, char *out, struct cp_store_err *err)
{
	char e[CP_STORE_EMAIL_LEN];
	size_t n = strlen(email);
	char *at;

	if (n == 0)
		return refuse(err, -EINVAL, "email", "empty");
	if (n > CP_STORE_EMAIL_MAX)
		return refuse(err, -EINVAL, "email", "longer than %d bytes (the session name limit)",
			      CP_STORE_EMAIL_MAX);
	for (size_t i = 0; i <= n; i++) {
		char c = email[i];

		if (i < n && (c <= ' ' || c >= 0x7f))
			return refuse(err, -EINVAL, "email",
				      "printable ASCII without spaces only (byte %zu)", i + 1);
		e[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	at = strchr(e, '@');
	if (at == NULL || strchr(at + 1, '@') != NULL)
		return refuse(err, -EINVAL, "email", "expected one '@': local@domain.tld");
	if (!local_ok(e, (size_t)(at - e)))
		return refuse(err, -EINVAL, "email", "malformed part before the '@'");
	if (!domain_ok(at + 1))
		return refuse(err, -EINVAL, "email",
			      "malformed domain: labels of letters, digits and '-', at least two");
	memcpy(out, e, n + 1);
	return 0;
}

static int role_name_ok(const char *r, struct cp_store_err *err)
{
	size_t n = strlen(r);

	if (n == 0 || n >= CP_STORE_ROLE_LEN || strspn(r, "abcdefghijklmnopqrstuvwxyz"
						       "0123456789._-") != n)
		return refuse(err, -EINVAL, "role",
			      "role names are 1 to %d of a-z 0-9 . _ -", CP_STORE_ROLE_LEN - 1);
	return 0;
}

/* Lowercase hex, 1..40 digits (RFC 5280 4.1.2.2: at most 20 octets). */
static int serial_norm(const char *s, char *out, const char *field, struct cp_store_err *err)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CP_STORE_SERIAL_LEN || strspn(s, "0123456789abcdefABCDEF") != n)
		return refuse(err, -EINVAL, field, "expected 1 to %d hex digits",
			      CP_STORE_SERIAL_LEN - 1);
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
	return 0;
}

static uint32_t mask_of(unsigned len)
{
	return len == 0 ? 0 : ~0u << (32 - len);
}

/* Do two IPv4 prefixes share an address? */
static bool overlaps(uint32_t a, unsigned alen, uint32_t b, unsigned blen)
{
	uint32_t m = mask_of(alen < blen ? alen : blen);

	return (a & m) == (b & m);
}

/* A static address: IPv4 inside the pool, a client's (not the network,
 * the gateway or the broadcast), not the config's fixed address of
 * another name. */
static int static_ok(const struct cp_store *st, const char *email, const struct sl_addr *a,
		     struct cp_store_err *err)
{
	const struct cfg_vpn *v = st->vpn;
	uint32_t m, h;

	if (a->family == 0)
		return 0;
	if (v == NULL)
		return refuse(err, -EINVAL, "static_ip", "no vpn.pool to take it from");
	if (a->family != SL_AF_INET)
		return refuse(err, -EINVAL, "static_ip", "IPv4 only (vpn.pool is IPv4)");
	m = mask_of(v->pool.len);
	h = a->v4 & ~m;
	if ((a->v4 & m) != (v->pool.addr & m))
		return refuse(err, -EINVAL, "static_ip", "outside vpn.pool");
	if (h == 0 || h == 1 || h == ~m)
		return refuse(err, -EINVAL, "static_ip", "%s of vpn.pool",
			      h == 0 ? "the network address" : h == 1 ? "the gateway" :
			      "the broadcast address");
	for (unsigned i = 0; i < v->n_statics; i++)
		if (v->statics[i].addr == a->v4 && strcmp(v->statics[i].name, email) != 0)
			return refuse(err, -EEXIST, "static_ip",
				      "reserved for another name by vpn.static_addresses");
	return 0;
}

/* Iroutes: IPv4 subnets, host bits zero, off the pool, none twice. */
static int iroutes_ok(const struct cp_store *st, const struct cp_store_user *u,
		      struct cp_store_err *err)
{
	if (u->n_iroutes > CP_STORE_IROUTES_MAX)
		return refuse(err, -EINVAL, "iroute", "at most %d per user", CP_STORE_IROUTES_MAX);
	for (unsigned i = 0; i < u->n_iroutes; i++) {
		const struct cp_store_prefix *p = &u->iroutes[i];

		if (p->addr.family != SL_AF_INET || p->len < 1 || p->len > 32)
			return refuse(err, -EINVAL, "iroute", "expected an IPv4 subnet A.B.C.D/1..32");
		if ((p->addr.v4 & ~mask_of(p->len)) != 0)
			return refuse(err, -EINVAL, "iroute", "host bits set in the subnet");
		if (st->vpn != NULL &&
		    overlaps(p->addr.v4, p->len, st->vpn->pool.addr, st->vpn->pool.len))
			return refuse(err, -EINVAL, "iroute", "overlaps vpn.pool");
		for (unsigned j = 0; j < i; j++)
			if (overlaps(p->addr.v4, p->len, u->iroutes[j].addr.v4, u->iroutes[j].len))
				return refuse(err, -EINVAL, "iroute", "two of them overlap");
	}
	return 0;
}

static int hash_ok(const char *hash, struct cp_store_err *err)
{
	char why[128];

	if (hash[0] == '\0')
		return 0;
	if (strlen(hash) >= CP_STORE_HASH_LEN || !cp_users_hash_ok(hash, why, sizeof(why)))
		return refuse(err, -EINVAL, "password", "hash: %s", why);
	return 0;
}

/* Everything about U that needs no database; its normalized email into E. */
static int user_ok(const struct cp_store *st, const struct cp_store_user *u, char *e,
		   struct cp_store_err *err)
{
	int rc = cp_store_email_norm(u->email, e, err);

	if (rc != 0)
		return rc;
	if (u->n_roles > CP_STORE_ROLES_MAX)
		return refuse(err, -EINVAL, "role", "at most %d per user", CP_STORE_ROLES_MAX);
	for (unsigned i = 0; i < u->n_roles; i++) {
		if ((rc = role_name_ok(u->roles[i], err)) != 0)
			return rc;
		for (unsigned j = 0; j < i; j++)
			if (strcmp(u->roles[i], u->roles[j]) == 0)
				return refuse(err, -EINVAL, "role", "%s given twice", u->roles[i]);
	}
	if ((rc = static_ok(st, e, &u->static_addr, err)) != 0 ||
	    (rc = iroutes_ok(st, u, err)) != 0 || (rc = hash_ok(u->pw_hash, err)) != 0)
		return rc;
	if (u->cert_serial[0] != '\0') {
		char s[CP_STORE_SERIAL_LEN];

		return serial_norm(u->cert_serial, s, "cert_serial", err);
	}
	return 0;
}

/* ---- statements ---- */

/* Prepare SQL and bind "?N" parameters from FMT: 't' text (NULL binds
 * NULL), 'i' int64; those past the statement's highest ?N are skipped. */
static sqlite3_stmt *prep(sqlite3 *db, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *q;
	va_list ap;
	int rc = SQLITE_OK;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return NULL;
	va_start(ap, fmt);
	for (int i = 0; fmt[i] != '\0' && rc == SQLITE_OK; i++) {
		bool used = i < sqlite3_bind_parameter_count(q);

		if (fmt[i] == 't') {
			const char *s = va_arg(ap, const char *);

			if (used)
				rc = s != NULL ? sqlite3_bind_text(q, i + 1, s, -1, SQLITE_TRANSIENT) :
						 sqlite3_bind_null(q, i + 1);
		} else {
			int64_t v = va_arg(ap, int64_t);

			if (used)
				rc = sqlite3_bind_int64(q, i + 1, v);
		}
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(q);
		return NULL;
	}
	return q;
}

/* Run a statement that returns no rows; 0 or -EIO. */
static int run(sqlite3 *db, sqlite3_stmt *q, struct cp_store_err *err)
{
	int rc;

	if (q == NULL)
		return db_fail(db, err);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err);
}

/* The first column of a one-row query as an integer; -1 if no row, -EIO
 * as -2 (with err). */
static int64_t scalar(sqlite3 *db, sqlite3_stmt *q, struct cp_store_err *err)
{
	int64_t v = -1;
	int rc;

	if (q == NULL) {
		db_fail(db, err);
		return -2;
	}
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	else if (rc != SQLITE_DONE)
		v = -2;
	sqlite3_finalize(q);
	if (v == -2)
		db_fail(db, err);
	return v;
}

/* ---- transactions ---- */

static int exec(sqlite3 *db, const char *sql, struct cp_store_err *err)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : db_fail(db, err);
}

/* READ: a read transaction; WRITE: a write that moves the generation;
 * QUIET: a write that does not (the pool's memory, not an operator's
 * change: nothing to rebuild). */
enum txn_kind { READ, WRITE, QUIET };

static int txn(struct cp_store *st, enum txn_kind kind, cp_store_txn_fn fn, void *arg,
	       struct cp_store_err *err)
{
	int rc;

	pthread_mutex_lock(&st->lock);
	rc = exec(st->db, kind == READ ? "BEGIN" : "BEGIN IMMEDIATE", err);
	if (rc == 0) {
		rc = fn(st->db, arg, err);
		if (rc == 0 && sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			rc = db_fail(st->db, err);
		if (rc != 0)
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		else if (kind == WRITE)
			st->writes++;
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int cp_store_write(struct cp_store *st, cp_store_txn_fn fn, void *arg,
		   struct cp_store_err *err)
{
	return txn(st, WRITE, fn, arg, err);
}

int cp_store_read(struct cp_store *st, cp_store_txn_fn fn, void *arg,
		  struct cp_store_err *err)
{
	return txn(st, READ, fn, arg, err);
}

/* ---- open, migrate ---- */

static int64_t user_version(sqlite3 *db, struct cp_store_err *err)
{
	return scalar(db, prep(db, "PRAGMA user_version", ""), err);
}

/* One version forward, if nobody did it meanwhile (BEGIN IMMEDIATE: two
 * processes opening the same new file migrate it once). */
static int migrate_step(sqlite3 *db, void *arg, struct cp_store_err *err)
{
	int v = *(int *)arg;
	int64_t now = user_version(db, err);
	char sql[64];
	int rc;

	if (now < 0)
		return -EIO;
	if (now != v)
		return 0;
	rc = exec(db, migrations[v], err);
	if (rc == 0) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		rc = exec(db, sql, err);
	}
	return rc;
}

static int migrate(struct cp_store *st, struct cp_store_err *err)
{
	int64_t v = user_version(st->db, err);
	int rc;

	if (v < 0)
		return -EIO;
	if (v > N_MIGRATIONS)
		return refuse(err, -EINVAL, "users.store",
			      "schema version %lld is newer than this build's %d",
			      (long long)v, N_MIGRATIONS);
	for (int i = (int)v; i < N_MIGRATIONS; i++) {
		rc = txn(st, WRITE, migrate_step, &i, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The file 0600 before SQLite opens it (its -wal and -shm files take the
 * database's mode), in its folder made 0700 if missing (the default
 * /var/lib/sluice on a fresh machine); existing ones are left as they are. */
static int create_private(const char *path, struct cp_store_err *err)
{
	char dir[4096];
	int fd;

	if (snprintf(dir, sizeof(dir), "%s", path) < (int)sizeof(dir) &&
	    mkdir(dirname(dir), 0700) != 0 && errno != EEXIST)
		return refuse(err, -errno, "users.store", "its folder: %s", strerror(errno));
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd >= 0)
		close(fd);
	else if (errno != EEXIST)
		return refuse(err, -errno, "users.store", "%s", strerror(errno));
	return 0;
}

/* journal_mode=WAL is where a file that is not a database shows. */
static int setup(struct cp_store *st, struct cp_store_err *err)
{
	sqlite3_stmt *q;
	int rc;

	sqlite3_busy_timeout(st->db, CP_STORE_BUSY_MS);
	q = prep(st->db, "PRAGMA journal_mode=WAL", "");
	rc = q != NULL ? sqlite3_step(q) : sqlite3_errcode(st->db);
	if (rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(q, 0), "wal") != 0)
		rc = SQLITE_CANTOPEN;
	sqlite3_finalize(q);
	if (rc == SQLITE_NOTADB || sqlite3_errcode(st->db) == SQLITE_NOTADB)
		return refuse(err, -EINVAL, "users.store",
			      "not a SQLite database (a PBKDF2 user file? give it as "
			      "users.import)");
	if (rc != SQLITE_ROW)
		return db_fail(st->db, err);
	if (exec(st->db, "PRAGMA synchronous=FULL", err) != 0 ||
	    exec(st->db, "PRAGMA foreign_keys=ON", err) != 0)
		return -EIO;
	return migrate(st, err);
}

struct cp_store *cp_store_open(const char *path, const struct cfg_vpn *vpn,
			       struct cp_store_err *err)
{
	struct cp_store *st = calloc(1, sizeof(*st));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX |
		    SQLITE_OPEN_NOFOLLOW;

	if (st == NULL) {
		refuse(err, -ENOMEM, "store", "out of memory");
		return NULL;
	}
	pthread_mutex_init(&st->lock, NULL);
	st->vpn = vpn;
	if (create_private(path, err) != 0)
		goto fail;
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		refuse(err, -EIO, "users.store", "%s",
		       st->db != NULL ? sqlite3_errmsg(st->db) : "cannot open");
		goto fail;
	}
	if (setup(st, err) != 0)
		goto fail;
	return st;
fail:
	cp_store_close(st);
	return NULL;
}

void cp_store_close(struct cp_store *st)
{
	if (st == NULL)
		return;
	sqlite3_close(st->db);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

int cp_store_schema_version(struct cp_store *st)
{
	int64_t v;

	pthread_mutex_lock(&st->lock);
	v = user_version(st->db, NULL);
	pthread_mutex_unlock(&st->lock);
	return v < 0 ? -EIO : (int)v;
}

/* PRAGMA data_version moves when another connection commits; our own
 * commits are counted in writes. */
uint64_t cp_store_generation(struct cp_store *st)
{
	int64_t dv;
	uint64_t g;

	pthread_mutex_lock(&st->lock);
	dv = scalar(st->db, prep(st->db, "PRAGMA data_version", ""), NULL);
	g = st->writes + (uint64_t)(dv > 0 ? dv : 0);
	pthread_mutex_unlock(&st->lock);
	return g;
}

/* ---- users ---- */

static void addr_text(const struct sl_addr *a, char *buf, size_t len)
{
	sl_addr_str(a, buf, len);
}

static struct sl_addr addr_parse(const unsigned char *s)
{
	struct sl_addr a = { 0 };
	uint32_t v4;

	if (s != NULL && cfg_parse_ipv4((const char *)s, &v4) == 0)
		a = sl_addr_v4(v4);
	return a;
}

static int user_exists(sqlite3 *db, const char *email, struct cp_store_err *err)
{
	int64_t n = scalar(db, prep(db, "SELECT 1 FROM users WHERE email = ?1", "t", email), err);

	return n == -2 ? -EIO : n == 1;
}

/* Another user's iroute that overlaps one of U's: -EEXIST. */
static int iroutes_free(sqlite3 *db, const struct cp_store_user *u, struct cp_store_err *err)
{
	sqlite3_stmt *q = prep(db, "SELECT email, prefix FROM user_iroutes", "");
	struct cfg_prefix p;
	int rc = 0, s;

	if (q == NULL)
		return db_fail(db, err);
	while (rc == 0 && (s = sqlite3_step(q)) == SQLITE_ROW) {
		if (cfg_parse_prefix((const char *)sqlite3_column_text(q, 1), &p) != 0)
			continue;
		for (unsigned i = 0; i < u->n_iroutes && rc == 0; i++)
			if (overlaps(p.addr, p.len, u->iroutes[i].addr.v4, u->iroutes[i].len))
				rc = refuse(err, -EEXIST, "iroute", "overlaps %s of %s",
					    sqlite3_column_text(q, 1), sqlite3_column_text(q, 0));
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = db_fail(db, err);
	sqlite3_finalize(q);
	return rc;
}

struct user_add {
	const struct cp_store_user *u;
	const char *email;
};

static int user_add_roles_iroutes(sqlite3 *db, const struct cp_store_user *u, const char *email,
				  struct cp_store_err *err)
{
	char pfx[SL_ADDR_STRLEN + 4], a[SL_ADDR_STRLEN];
	int rc = 0;

	for (unsigned i = 0; i < u->n_roles && rc == 0; i++) {
		int64_t n = scalar(db, prep(db, "SELECT 1 FROM roles WHERE name = ?1", "t",
					    u->roles[i]), err);

		if (n == -2)
			return -EIO;
		if (n != 1)
			return refuse(err, -ENOENT, "role", "no role %s (role add first)",
				      u->roles[i]);
		rc = run(db, prep(db, "INSERT INTO user_roles (email, role) VALUES (?1, ?2)", "tt",
				  email, u->roles[i]), err);
	}
	for (unsigned i = 0; i < u->n_iroutes && rc == 0; i++) {
		addr_text(&u->iroutes[i].addr, a, sizeof(a));
		snprintf(pfx, sizeof(pfx), "%s/%u", a, (unsigned)u->iroutes[i].len);
		rc = run(db, prep(db, "INSERT INTO user_iroutes (email, prefix) VALUES (?1, ?2)",
				  "tt", email, pfx), err);
	}
	return rc;
}

static int user_add_txn(sqlite3 *db, void *arg, struct cp_store_err *err)
{
	const struct user_add *ua = arg;
	const struct cp_store_user *u = ua->u;
	char ip[SL_ADDR_STRLEN], serial[CP_STORE_SERIAL_LEN] = "";
	int64_t t = now_s(), taken;
	int rc = user_exists(db, ua->email, err);

	if (rc < 0)
		return rc;
	if (rc == 1)
		return refuse(err, -EEXIST, "email", "user %s exists", ua->email);
	if (u->static_addr.family != 0) {
		addr_text(&u->static_addr, ip, sizeof(ip));
		taken = scalar(db, prep(db, "SELECT 1 FROM users WHERE static_ip = ?1", "t", ip),
			       err);
		if (taken == -2)
			return -EIO;
		if (taken == 1)
			return refuse(err, -EEXIST, "static_ip", "%s is another user's", ip);
	}
	if ((rc = iroutes_free(db, u, err)) != 0)
		return rc;
	if (u->cert_serial[0] != '\0')
		serial_norm(u->cert_serial, serial, "cert_serial", err);
	rc = run(db, prep(db, "INSERT INTO users (email, vpn, static_ip, cert_serial, cert_expiry,"
			  " pw_hash, created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
			  "tittiti", ua->email, (int64_t)u->vpn,
			  u->static_addr.family != 0 ? ip : NULL, serial, u->cert_expiry,
			  u->pw_hash, t), err);
	return rc != 0 ? rc : user_add_roles_iroutes(db, u, ua->email, err);
}

int cp_store_user_add(struct cp_store *st, const struct cp_store_user *u,
		      struct cp_store_err *err)
{
	char email[CP_STORE_EMAIL_LEN];
	struct user_add ua = { .u = u, .email = email };
	int rc = user_ok(st, u, email, err);

	return rc != 0 ? rc : txn(st, WRITE, user_add_txn, &ua, err);
}

/* The user's row (users.*), roles and iroutes into out. */
#define USER_COLS "email, vpn, static_ip, sticky_ip, cert_serial, cert_expiry, pw_hash, " \
		  "created, updated"

static void user_row(sqlite3_stmt *q, struct cp_store_user *u)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->email, sizeof(u->email), "%s", sqlite3_column_text(q, 0));
	u->vpn = sqlite3_column_int(q, 1) != 0;
	u->static_addr = addr_parse(sqlite3_column_text(q, 2));
	u->sticky_addr = addr_parse(sqlite3_column_text(q, 3));
	snprintf(u->cert_serial, sizeof(u->cert_serial), "%s", sqlite3_column_text(q, 4));
	u->cert_expiry = sqlite3_column_int64(q, 5);
	snprintf(u->pw_hash, sizeof(u->pw_hash), "%s", sqlite3_column_text(q, 6));
	u->created = sqlite3_column_int64(q, 7);
	u->updated = sqlite3_column_int64(q, 8);
}

static int user_extras(sqlite3 *db, struct cp_store_user *u, struct cp_store_err *err)
{
	sqlite3_stmt *q = prep(db, "SELECT role FROM user_roles WHERE email = ?1 ORDER BY role",
			       "t", u->email);
	struct cfg_prefix p;
	int s;

	if (q == NULL)
		return db_fail(db, err);
	while ((s = sqlite3_step(q)) == SQLITE_ROW)
		if (u->n_roles < CP_STORE_ROLES_MAX)
			snprintf(u->roles[u->n_roles++], CP_STORE_ROLE_LEN, "%s",
				 sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	if (s != SQLITE_DONE)
		return db_fail(db, err);
	q = prep(db, "SELECT prefix FROM user_iroutes WHERE email = ?1 ORDER BY prefix", "t",
		 u->email);
	if (q == NULL)
		return db_fail(db, err);
	while ((s = sqlite3_step(q)) == SQLITE_ROW)
		if (u->n_iroutes < CP_STORE_IROUTES_MAX &&
		    cfg_parse_prefix((const char *)sqlite3_column_text(q, 0), &p) == 0) {
			u->iroutes[u->n_iroutes].addr = sl_addr_v4(p.addr);
			u->iroutes[u->n_iroutes++].len = p.len;
		}
	sqlite3_finalize(q);
	return s == SQLITE_DONE ? 0 : db_fail(db, err);
}

struct user_get {
	const char *email;
	struct cp_store_user *out;
};

static int user_get_txn(sqlite3 *db, void *arg, struct cp_store_err *err)
{
	struct user_get *ug = arg;
	sqlite3_stmt *q = prep(db, "SELECT " USER_COLS " FROM users WHERE email = ?1", "t",
			       ug->email);
	int s;

	if (q == NULL)
		return db_fail(db, err);
	s = sqlite3_step(q);
	if (s == SQLITE_ROW)
		user_row(q, ug->out);
	sqlite3_finalize(q);
	if (s == SQLITE_DONE)
		return refuse(err, -ENOENT, "email", "no user %s", ug->email);
	return s == SQLITE_ROW ? user_extras(db, ug->out, err) : db_fail(db, err);
}

int cp_store_user_get(struct cp_store *st, const char *email, struct cp_store_user *out,
		      struct cp_store_err *err)
{
	char e[CP_STORE_EMAIL_LEN];
	struct user_get ug = { .email = e, .out = out };
	int rc = cp_store_email_norm(email, e, err);

	return rc != 0 ? rc : txn(st, READ, user_get_txn, &ug, err);
}

/* A listing: SQL's rows, each turned by ROW into the reader's struct and
 * given to its callback (whose return ROW passes on). */
struct each {
	const char *sql;
	int (*row)(sqlite3 *db, sqlite3_stmt *q, struct each *e, struct cp_store_err *err);
	union {
		cp_store_user_fn user;
		cp_store_role_fn role;
		cp_store_revoked_fn revoked;
	} fn;
	void *arg;
	int n;			/* rows given, or the callback's stop value */
};

static int each_txn(sqlite3 *db, void *arg, struct cp_store_err *err)
{
	struct each *e = arg;
	sqlite3_stmt *q = prep(db, e->sql, "");
	int s, rc = 0;

	if (q == NULL)
		return db_fail(db, err);
	while (rc == 0 && (s = sqlite3_step(q)) == SQLITE_ROW)
		if ((rc = e->row(db, q, e, err)) == 0)
			e->n++;
	if (rc == 0 && s != SQLITE_DONE)
		rc = db_fail(db, err);
	sqlite3_finalize(q);
	if (rc > 0) {		/* the callback stopped: a reader's answer, not a failure */
		e->n = rc;
		rc = 0;
	}
	return rc;
}

static int each_run(struct cp_store *st, struct each *e)
{
	int rc = txn(st, READ, each_txn, e, NULL);

	return rc != 0 ? rc : e->n;
}

static int user_each(sqlite3 *db, sqlite3_stmt *q, struct each *e, struct cp_store_err *err)
{
	struct cp_store_user *u = malloc(sizeof(*u));
	int rc;

	if (u == NULL)
		return -ENOMEM;
	user_row(q, u);
	rc = user_extras(db, u, err);
	if (rc == 0)
		rc = e->fn.user(u, e->arg);
	free(u);
	return rc;
}

int cp_store_user_list(struct cp_store *st, cp_store_user_fn fn, void *arg)
{
	struct each e = { .sql = "SELECT " USER_COLS " FROM users ORDER BY email",
			  .row = user_each, .fn.user = fn, .arg = arg };

	return each_run(st, &e);
}

static int user_del_txn(sqlite3 *db, void *arg, struct cp_store_err *err)
{
	const char *email = arg;
	int rc = run(db, prep(db, "DELETE FROM users WHERE email = ?1", "t", email), err);

	if (rc == 0 && sqlite3_changes(db) == 0)
		return refuse(err, -ENOENT, "email", "no user %s", email);
	return rc;
}

int cp_store_user_del(struct cp_store *st, const char *email, struct cp_store_err *err)
{
	char e[CP_STORE_EMAIL_LEN];
	int rc = cp_store_email_norm(email, e, err);

	return rc != 0 ? rc : txn(st, WRITE, user_del_txn, e, err);
}

/* One UPDATE of a user's row: ?1 email, ?2 text, ?3 int, ?4 now. */
struct user_set {
	const char *email;
	const char *sql;
	const char *text;
	int64_t num;
};

static int user_set_txn(sqlite3 *db, void *arg, struct cp_store_err *err)
{
	const struct user_set *us = arg;
	int rc = run(db, prep(db, us->sql, "ttii", us->email, us->text, us->num, now_s()), err);

	if (rc == 0 && sqlite3_changes(db) == 0)
		return refuse(err, -ENOENT, "email", "no user %s", us->email);
	return rc;
}

static int user_set(struct cp_store *st, const char *email, const char *sql, const char *text,
		    int64_t num, struct cp_store_err *err)
{
	char e[CP_STORE_EMAIL_LEN];
	struct user_set us = { .email = e, .sql = sql, .text = text, .num = num };
	int rc = cp_store_email_norm(email, e, err);

	return rc != 0 ? rc : txn(st, WRITE, user_set_txn, &us, err);
}

int cp_store_user_set_vpn(struct cp_store *st, const char *email, bool on,
			  struct cp_store_err *err)
{
	return user_set(st, email, "UPDATE users SET vpn = ?3, updated = ?4 WHERE email = ?1",
			NULL, on, err);
}

int cp_store_user_set_password(struct cp_store *st, const char *email, const char *hash,
			       struct cp_store_err *err)
{
	int rc = hash_ok(hash, err);

	return rc != 0 ? rc : user_set(st, email, "UPDATE users SET pw_hash = ?2, updated = ?4"
				       " WHERE email = ?1", hash, 0, err);
}

int cp_store_user_set_cert(struct cp_store *st, const char *email, const char *serial,
			   int64_t expiry, struct cp_store_err *err)
{
	char s[CP_STORE_SERIAL_LEN] = "";

	if (serial[0] != '\0' && serial_norm(serial, s, "cert_serial", err) != 0)
		return -EINVAL;
	if (expiry < 0)
		return refuse(err, -EINVAL, "cert_expiry", "a time in unix seconds, not negative");
	return user_set(st, email, "UPDATE users SET cert_serial = ?2, cert_expiry = ?3,"
			" updated = ?4 WHERE email = ?1", s, s[0] != '\0' ? expiry : 0, err);
}

/* The sticky address is the pool's memory, not an operator's change: the
 * updated time stays, and an unchanged address writes nothing (no sync
 * per reconnect). */
static int sticky_txn(sqlite3 *db, void *arg, struct cp_store_err *err)
{
	const struct user_set *us = arg;
	int rc = user_exists(db, us->email, err);

	if (rc < 0)
		return rc;
	if (rc == 0)
		return refuse(err, -ENOENT, "email", "no user %s", us->email);
	return run(db, prep(db, "UPDATE users SET sticky_ip = ?2 WHERE email = ?1 AND"
			    " sticky_ip IS NOT ?2", "tt", us->email, us->text), err);
}

int cp_store_user_set_sticky(struct cp_store *st, const char *email,
			     const struct sl_addr *addr, struct cp_store_err *err)
{
	char e[CP_STORE_EMAIL_LEN], ip[SL_ADDR_STRLEN];
	struct user_set us = { .email = e, .text = NULL };
	int rc = cp_store_email_norm(email, e, err);

	if (rc != 0)
		return rc;
	if (addr->family != 0) {
		if (addr->family != SL_AF_INET)
			return refuse(err, -EINVAL, "sticky_ip", "IPv4 only");
		addr_text(addr, ip, sizeof(ip));
		us.text = ip;
	}
	return txn(st, QUIET, sticky_txn, &us, err);
}

/* ---- roles ---- */

struct role_add {
	const char *name, *description;
};

static int role_add_txn(sqlite3 *db, void *arg, struct cp_store_err *err)
{
	const struct role_add *ra = arg;
	int64_t n = scalar(db, prep(db, "SELECT 1 FROM roles WHERE name = ?1", "t", ra->name), err);

	if (n == -2)
		return -EIO;
	if (n == 1)
		return refuse(err, -EEXIST, "role", "role %s exists", ra->name);
	return run(db, prep(db, "INSERT INTO roles (name, description, created) VALUES (?1, ?2, ?3)",
			    "tti", ra->name, ra->description, now_s()), err);
}

int cp_store_role_add(struct cp_store *st, const char *name, const char *description,
		      struct cp_store_err *err)
{
	struct role_add ra = { .name = name, .description = description ? description : "" };
	size_t n = strlen(ra.description);
	int rc = role_name_ok(name, err);

	if (rc != 0)
		return rc;
	if (n >= CP_STORE_DESC_LEN)
		return refuse(err, -EINVAL, "description", "at most %d bytes",
			      CP_STORE_DESC_LEN - 1);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)ra.description[i] < ' ' || ra.description[i] == 0x7f)
			return refuse(err, -EINVAL, "description", "control characters");
	return txn(st, WRITE, role_add_txn, &ra, err);
}

static int role_del_txn(sqlite3 *db, void *arg, struct cp_store_err *err)
{
	const char *name = arg;
	int64_t users = scalar(db, prep(db, "SELECT count(*) FROM user_roles WHERE role = ?1", "t",
					name), err);
	int rc;

	if (users < 0)
		return -EIO;
	if (users > 0)
		return refuse(err, -EBUSY, "role", "role %s is held by %lld user%s", name,
			      (long long)users, users == 1 ? "" : "s");
	rc = run(db, prep(db, "DELETE FROM roles WHERE name = ?1", "t", name), err);
	if (rc == 0 && sqlite3_changes(db) == 0)
		return refuse(err, -ENOENT, "role", "no role %s", name);
	return rc;
}

int cp_store_role_del(struct cp_store *st, const char *name, struct cp_store_err *err)
{
	int rc = role_name_ok(name, err);

	return rc != 0 ? rc : txn(st, WRITE, role_del_txn, (void *)name, err);
}

static int role_each(sqlite3 *db, sqlite3_stmt *q, struct each *e, struct cp_store_err *err)
{
	struct cp_store_role r;

	(void)db;
	(void)err;
	snprintf(r.name, sizeof(r.name), "%s", sqlite3_column_text(q, 0));
	snprintf(r.description, sizeof(r.description), "%s", sqlite3_column_text(q, 1));
	r.created = sqlite3_column_int64(q, 2);
	return e->fn.role(&r, e->arg);
}

int cp_store_role_list(struct cp_store *st, cp_store_role_fn fn, void *arg)
{
	struct each e = { .sql = "SELECT name, description, created FROM roles ORDER BY name",
			  .row = role_each, .fn.role = fn, .arg = arg };

	return each_run(st, &e);
}

/* ---- revoked certificates ---- */

struct revoke {
	const char *serial;
	int reason;
};

static int revoked_add_txn(sqlite3 *db, void *arg, struct cp_store_err *err)
{
	const struct revoke *r = arg;
	int64_t n = scalar(db, prep(db, "SELECT 1 FROM revoked WHERE serial = ?1", "t", r->serial),
			   err);

	if (n == -2)
		return -EIO;
	if (n == 1)
		return refuse(err, -EEXIST, "serial", "%s is revoked already", r->serial);
	return run(db, prep(db, "INSERT INTO revoked (serial, time, reason) VALUES (?1, ?2, ?3)",
			    "tii", r->serial, now_s(), (int64_t)r->reason), err);
}

int cp_store_revoked_add(struct cp_store *st, const char *serial, int reason,
			 struct cp_store_err *err)
{
	char s[CP_STORE_SERIAL_LEN];
	struct revoke r = { .serial = s, .reason = reason };

	if (serial_norm(serial, s, "serial", err) != 0)
		return -EINVAL;
	/* RFC 5280 5.3.1: 0..10, 7 is not used. */
	if (reason < 0 || reason > 10 || reason == 7)
		return refuse(err, -EINVAL, "reason", "a CRLReason code 0..10 but 7 (RFC 5280)");
	return txn(st, WRITE, revoked_add_txn, &r, err);
}

static int revoked_each(sqlite3 *db, sqlite3_stmt *q, struct each *e, struct cp_store_err *err)
{
	struct cp_store_revoked r;

	(void)db;
	(void)err;
	snprintf(r.serial, sizeof(r.serial), "%s", sqlite3_column_text(q, 0));
	r.time = sqlite3_column_int64(q, 1);
	r.reason = sqlite3_column_int(q, 2);
	return e->fn.revoked(&r, e->arg);
}

int cp_store_revoked_list(struct cp_store *st, cp_store_revoked_fn fn, void *arg)
{
	struct each e = { .sql = "SELECT serial, time, reason FROM revoked ORDER BY time, serial",
			  .row = revoked_each, .fn.revoked = fn, .arg = arg };

	return each_run(st, &e);
}

/* ---- import of a PBKDF2 text file ---- */

struct import {
	FILE *f;
	const char *path;
	int added;
};

static int import_line(sqlite3 *db, struct import *im, char *line, int lineno,
		       struct cp_store_err *err)
{
	char why[128], email[CP_STORE_EMAIL_LEN];
	struct cp_store_err e;
	const char *name, *hash;
	int rc;

	if (cp_users_line_split(line, &name, &hash, why, sizeof(why)) != 0)
		return refuse(err, -EINVAL, "users.import", "%s:%d: %s", im->path, lineno, why);
	if (cp_store_email_norm(name, email, &e) != 0)
		return refuse(err, -EINVAL, "users.import", "%s:%d: user name: %s", im->path,
			      lineno, e.msg);
	rc = user_exists(db, email, err);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = run(db, prep(db, "INSERT INTO users (email, vpn, pw_hash, created, updated)"
			  " VALUES (?1, 1, ?2, ?3, ?3)", "tti", email, hash, now_s()), err);
	if (rc == 0)
		im->added++;
	return rc;
}

static int import_txn(sqlite3 *db, void *arg, struct cp_store_err *err)
{
	struct import *im = arg;
	char line[512];
	int lineno = 0, rc = 0;

	im->added = 0;
	while (rc == 0 && fgets(line, sizeof(line), im->f) != NULL) {
		lineno++;
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
			continue;
		rc = import_line(db, im, line, lineno, err);
	}
	return rc;
}

int cp_store_import(struct cp_store *st, const char *path, struct cp_store_err *err)
{
	struct import im = { .path = path };
	int rc;

	im.f = fopen(path, "re");
	if (im.f == NULL)
		return refuse(err, -errno, "users.import", "%s: %s", path, strerror(errno));
	rc = txn(st, WRITE, import_txn, &im, err);
	fclose(im.f);
	return rc != 0 ? rc : im.added;
}
