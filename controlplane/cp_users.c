/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The users the TLS workers check against: an in-memory snapshot of the
 * durable store (cp_store.c), rebuilt and swapped after every store change
 * (cp_ctx_users_reload). Read-only once built: thread-safe, and reference
 * counted so that workers finish their checks on the snapshot they took.
 *
 * Passwords are PBKDF2-HMAC-SHA256 hashes,
 *
 *   pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>
 *
 * hash = PBKDF2-HMAC-SHA256(password, salt, iterations, 32 bytes). Only
 * hashes are stored, never clear text; the check runs on a TLS worker
 * (it is slow on purpose) and compares in constant time. Work factors too
 * cheap to slow a guesser down are refused: iterations from CP_ITER_MIN
 * (the order of magnitude OWASP's password storage guidance gives for
 * PBKDF2-HMAC-SHA256) to CP_ITER_MAX, salts of CP_SALT_MIN bytes or more;
 * new hashes use users.pbkdf2_iter. An unknown user, one whose VPN access
 * is off and one without a password cost the same PBKDF2 run as a known
 * one (a dummy entry at the snapshot's highest work factor), so the time
 * to an answer does not tell which accounts exist or are enabled.
 *
 * The text format the store imports (users.import) is one user per line,
 *
 *   # comment
 *   alice@example.com:pbkdf2-sha256$600000$<salt hex>$<hash hex>
 *
 * cp_users_open() reads such a file straight into a snapshot (the unit
 * tests' way to make one).
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "cp_ctx.h"
#include "cp_store.h"
#include "cp_users.h"

#define CP_HASH_LEN		32
#define CP_SALT_MIN		16
#define CP_SALT_MAX		64
#define CP_ITER_MIN		CP_USERS_ITER_MIN
#define CP_ITER_MAX		CP_USERS_ITER_MAX
#define CP_SCHEME		"pbkdf2-sha256$"
#define CP_HASH_FORMAT		CP_SCHEME "ITERATIONS$SALT_HEX$HASH_HEX"

struct cp_users_entry {
	char name[CP_NAME_MAX];
	bool vpn;			/* VPN access on */
	bool has_pw;			/* a password is set */
	unsigned iter;
	size_t salt_len;
	uint8_t salt[CP_SALT_MAX];
	uint8_t hash[CP_HASH_LEN];
	struct sl_addr static_addr;	/* family 0 = none */
	unsigned n_iroutes;
	struct cp_store_prefix iroutes[CP_STORE_IROUTES_MAX];
};

struct cp_users {
	atomic_uint refs;		/* cp_users_hold / cp_users_free */
	atomic_ulong runs;		/* PBKDF2 runs of cp_users_check() */
	atomic_ulong iters;		/* ... and their iterations, summed */
	struct cp_users_entry dummy;	/* what an unknown user is checked against */
	unsigned n, cap;
	struct cp_users_entry *u;	/* n entries, sorted by name */
};

/* N hex digits (even, at least two) into out; the byte count or -1. */
static int unhex(const char *s, size_t n, uint8_t *out, size_t cap)
{
	if (n == 0 || n % 2 != 0 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = OPENSSL_hexchar2int((unsigned char)s[2 * i]);
		int lo = OPENSSL_hexchar2int((unsigned char)s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

bool cp_users_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > CP_IDENTITY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] <= ' ' || name[i] >= 0x7f)
			return false;
	return true;
}

/* The iteration count: digits only, CP_ITER_MIN..CP_ITER_MAX. */
static int parse_iter(const char *it, size_t digits, struct cp_users_entry *u, char *why,
		      size_t len)
{
	unsigned long iter = digits <= 9 ? strtoul(it, NULL, 10) : ULONG_MAX;

	if (iter < CP_ITER_MIN) {
		snprintf(why, len, "iterations %lu below the minimum %u (PBKDF2-SHA256)", iter,
			 CP_ITER_MIN);
		return -1;
	}
	if (iter > CP_ITER_MAX) {
		snprintf(why, len, "iterations %.*s above the maximum %u", (int)digits, it,
			 CP_ITER_MAX);
		return -1;
	}
	u->iter = (unsigned)iter;
	return 0;
}

/* "pbkdf2-sha256$ITER$SALT$HASH" (up to a newline) -> u; -1 if it is not
 * one, with what is wrong in why (left as the caller's default unless a
 * part says more). */
static int parse_hash(const char *h, struct cp_users_entry *u, char *why, size_t len)
{
	const char *it, *salt, *hash;
	size_t digits;
	int n;

	if (strncmp(h, CP_SCHEME, strlen(CP_SCHEME)) != 0)
		return -1;
	it = h + strlen(CP_SCHEME);
	digits = strspn(it, "0123456789");
	if (digits == 0 || it[digits] != '$' || (hash = strchr(it + digits + 1, '$')) == NULL)
		return -1;
	if (parse_iter(it, digits, u, why, len) != 0)
		return -1;
	salt = it + digits + 1;
	n = unhex(salt, (size_t)(hash - salt), u->salt, sizeof(u->salt));
	if (n < 0)
		return -1;
	if (n < CP_SALT_MIN) {
		snprintf(why, len, "salt of %d bytes, at least %d", n, CP_SALT_MIN);
		return -1;
	}
	u->salt_len = (size_t)n;
	hash++;
	if (unhex(hash, strcspn(hash, "\r\n"), u->hash, CP_HASH_LEN) != CP_HASH_LEN)
		return -1;
	u->has_pw = true;
	return 0;
}

/* Whole (nothing after it) and well formed; why keeps its default. */
static bool hash_valid(const char *hash, char *why, size_t len)
{
	struct cp_users_entry e;
	bool ok = parse_hash(hash, &e, why, len) == 0 && hash[strcspn(hash, "\r\n")] == '\0';

	OPENSSL_cleanse(&e, sizeof(e));
	return ok;
}

bool cp_users_hash_ok(const char *hash, char *why, size_t len)
{
	snprintf(why, len, "expected " CP_HASH_FORMAT);
	return hash_valid(hash, why, len);
}

int cp_users_line_split(char *line, const char **name, const char **hash, char *why,
			size_t len)
{
	char *colon = strchr(line, ':');

	snprintf(why, len, "expected NAME:" CP_HASH_FORMAT);
	if (colon == NULL || colon == line)
		return -1;
	*colon = '\0';
	if (!cp_users_name_ok(line)) {
		snprintf(why, len, "user name: 1 to %d printable ASCII characters, no spaces",
			 CP_IDENTITY_MAX);
		return -1;
	}
	colon[1 + strcspn(colon + 1, "\r\n")] = '\0';
	if (!hash_valid(colon + 1, why, len))
		return -1;
	*name = line;
	*hash = colon + 1;
	return 0;
}

/* An unknown user is hashed against this: random salt and hash, the
 * snapshot's highest iteration count. */
static int dummy_make(struct cp_users *us)
{
	struct cp_users_entry *d = &us->dummy;

	d->iter = CP_ITER_MIN;
	for (unsigned i = 0; i < us->n; i++)
		if (us->u[i].iter > d->iter)
			d->iter = us->u[i].iter;
	d->salt_len = CP_SALT_MIN;
	return RAND_bytes(d->salt, CP_SALT_MIN) == 1 &&
	       RAND_bytes(d->hash, sizeof(d->hash)) == 1 ? 0 : -1;
}

static struct cp_users *users_new(void)
{
	struct cp_users *us = calloc(1, sizeof(*us));

	if (us != NULL)
		atomic_init(&us->refs, 1);
	return us;
}

/* A new entry at the end, zeroed; NULL without memory. */
static struct cp_users_entry *entry_add(struct cp_users *us)
{
	if (us->n == us->cap) {
		unsigned cap = us->cap ? 2 * us->cap : 64;
		struct cp_users_entry *u = calloc(cap, sizeof(*u));

		if (u == NULL)
			return NULL;
		if (us->n > 0)
			memcpy(u, us->u, us->n * sizeof(*u));
		OPENSSL_cleanse(us->u, us->n * sizeof(*u));
		free(us->u);
		us->u = u;
		us->cap = cap;
	}
	return &us->u[us->n++];
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cp_users_entry *)a)->name,
		      ((const struct cp_users_entry *)b)->name);
}

/* Sorted for bsearch, no name twice, the dummy made: ready for checks. */
static int users_seal(struct cp_users *us, char *err, size_t errlen, const char *what)
{
	if (us->n > 0)
		qsort(us->u, us->n, sizeof(us->u[0]), entry_cmp);
	for (unsigned i = 1; i < us->n; i++)
		if (strcmp(us->u[i - 1].name, us->u[i].name) == 0) {
			snprintf(err, errlen, "%s: user %s twice", what, us->u[i].name);
			return -1;
		}
	if (dummy_make(us) != 0) {
		snprintf(err, errlen, "%s: no random bytes", what);
		return -1;
	}
	return 0;
}

struct cp_users *cp_users_open(const char *path, char *err, size_t errlen)
{
	struct cp_users *us = users_new();
	FILE *f = fopen(path, "re");
	char line[512], why[128];
	const char *name, *hash;
	struct cp_users_entry *e;
	int lineno = 0;

	if (us == NULL || f == NULL) {
		snprintf(err, errlen, "users file %s: %s", path, strerror(f ? ENOMEM : errno));
		goto fail;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if (cp_users_line_split(line, &name, &hash, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "users file %s:%d: %s", path, lineno, why);
			goto fail;
		}
		if ((e = entry_add(us)) == NULL) {
			snprintf(err, errlen, "users file %s: out of memory", path);
			goto fail;
		}
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->vpn = true;
		parse_hash(hash, e, why, sizeof(why));
	}
	fclose(f);
	f = NULL;
	if (users_seal(us, err, errlen, path) != 0)
		goto fail;
	return us;
fail:
	if (f != NULL)
		fclose(f);
	cp_users_free(us);
	return NULL;
}

static int from_store_one(const struct cp_store_user *su, void *arg)
{
	struct cp_users *us = arg;
	struct cp_users_entry *e = entry_add(us);
	char why[128];

	if (e == NULL)
		return -ENOMEM;
	snprintf(e->name, sizeof(e->name), "%s", su->email);
	e->vpn = su->vpn;
	e->static_addr = su->static_addr;
	e->n_iroutes = su->n_iroutes;
	memcpy(e->iroutes, su->iroutes, sizeof(e->iroutes));
	/* The store validated it; one edited by hand that no longer parses
	 * is a user without a password. */
	if (su->pw_hash[0] != '\0' && parse_hash(su->pw_hash, e, why, sizeof(why)) != 0)
		e->has_pw = false;
	return 0;
}

struct cp_users *cp_users_from_store(struct cp_store *st, char *err, size_t errlen)
{
	struct cp_users *us = users_new();
	int rc;

	if (us == NULL) {
		snprintf(err, errlen, "users.store: out of memory");
		return NULL;
	}
	rc = cp_store_user_list(st, from_store_one, us);
	if (rc < 0) {
		snprintf(err, errlen, "users.store: reading the users failed (%s)",
			 strerror(-rc));
		cp_users_free(us);
		return NULL;
	}
	if (users_seal(us, err, errlen, "users.store") != 0) {
		cp_users_free(us);
		return NULL;
	}
	return us;
}

void cp_users_hold(struct cp_users *u)
{
	atomic_fetch_add(&u->refs, 1);
}

void cp_users_free(struct cp_users *u)
{
	if (u == NULL || atomic_fetch_sub(&u->refs, 1) != 1)
		return;
	OPENSSL_cleanse(u->u, u->n * sizeof(u->u[0]));
	free(u->u);
	free(u);
}

/* 0 if PASSWORD hashes to U's hash, -EACCES if not, -EIO. */
static int hash_check(struct cp_users *us, const struct cp_users_entry *u,
		      const char *password)
{
	uint8_t h[CP_HASH_LEN];
	int rc = -EIO;

	atomic_fetch_add_explicit(&us->runs, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&us->iters, u->iter, memory_order_relaxed);
	if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), u->salt, (int)u->salt_len,
			      (int)u->iter, EVP_sha256(), sizeof(h), h) == 1)
		rc = CRYPTO_memcmp(h, u->hash, sizeof(h)) == 0 ? 0 : -EACCES;
	OPENSSL_cleanse(h, sizeof(h));
	return rc;
}

static const struct cp_users_entry *find(const struct cp_users *us, const char *user)
{
	struct cp_users_entry key;

	if (us->n == 0 || snprintf(key.name, sizeof(key.name), "%s", user) >= (int)sizeof(key.name))
		return NULL;
	return bsearch(&key, us->u, us->n, sizeof(us->u[0]), entry_cmp);
}

int cp_users_check(struct cp_users *us, const char *user, const char *password)
{
	const struct cp_users_entry *u = find(us, user);
	int rc;

	/* Unknown or without a password: the same work against the dummy,
	 * whose hash nothing matches. */
	rc = hash_check(us, u != NULL && u->has_pw ? u : &us->dummy, password);
	if (rc == -EIO)
		return rc;
	if (u == NULL)
		return -ENOENT;
	if (!u->has_pw)
		return -EACCES;
	return rc == 0 && !u->vpn ? -EPERM : rc;
}

bool cp_users_has(const struct cp_users *us, const char *user)
{
	return find(us, user) != NULL;
}

bool cp_users_vpn(const struct cp_users *us, const char *user)
{
	const struct cp_users_entry *u = find(us, user);

	return u != NULL && u->vpn;
}

unsigned cp_users_count(const struct cp_users *us)
{
	return us->n;
}

int cp_users_iroutes(const struct cp_users *us, const char *user, struct cp_store_prefix *out,
		     unsigned max)
{
	const struct cp_users_entry *u = find(us, user);
	unsigned n = u == NULL ? 0 : u->n_iroutes < max ? u->n_iroutes : max;

	if (n > 0)
		memcpy(out, u->iroutes, n * sizeof(out[0]));
	return (int)n;
}

struct sl_addr cp_users_static(const struct cp_users *us, const char *user)
{
	const struct cp_users_entry *u = find(us, user);
	struct sl_addr none = { 0 };

	return u != NULL ? u->static_addr : none;
}

void cp_users_each_static(const struct cp_users *us,
			  void (*fn)(const char *user, struct sl_addr a, void *arg), void *arg)
{
	for (unsigned i = 0; i < us->n; i++)
		if (us->u[i].static_addr.family != 0)
			fn(us->u[i].name, us->u[i].static_addr, arg);
}

/* Field by field: the struct has padding. The same user, credentials and
 * access in A and B. */
bool cp_users_same(const struct cp_users *a, const struct cp_users *b, const char *user)
{
	const struct cp_users_entry *x = find(a, user), *y = find(b, user);

	return x != NULL && y != NULL && x->vpn == y->vpn && x->has_pw == y->has_pw &&
	       x->iter == y->iter && x->salt_len == y->salt_len &&
	       memcmp(x->salt, y->salt, x->salt_len) == 0 &&
	       memcmp(x->hash, y->hash, sizeof(x->hash)) == 0;
}

unsigned long cp_users_hash_runs(const struct cp_users *u)
{
	return atomic_load_explicit(&u->runs, memory_order_relaxed);
}

unsigned long cp_users_hash_iters(const struct cp_users *u)
{
	return atomic_load_explicit(&u->iters, memory_order_relaxed);
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

int cp_users_hash(const char *password, unsigned iter, char *out, size_t len)
{
	uint8_t salt[CP_SALT_MIN], h[CP_HASH_LEN];
	char salt_hex[2 * sizeof(salt) + 1], h_hex[2 * sizeof(h) + 1];
	int n, rc = -EIO;

	if (iter < CP_ITER_MIN || iter > CP_ITER_MAX)
		return -EINVAL;
	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, sizeof(salt), (int)iter,
			      EVP_sha256(), sizeof(h), h) != 1)
		goto wipe;
	hex(salt, sizeof(salt), salt_hex);
	hex(h, sizeof(h), h_hex);
	n = snprintf(out, len, CP_SCHEME "%u$%s$%s", iter, salt_hex, h_hex);
	/* A cut line would be a hash of nothing: refuse it whole. */
	rc = n > 0 && (size_t)n < len ? 0 : -ENOSPC;
wipe:
	OPENSSL_cleanse(h, sizeof(h));
	OPENSSL_cleanse(h_hex, sizeof(h_hex));
	return rc;
}
