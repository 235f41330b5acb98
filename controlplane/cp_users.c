/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A minimal file-backed user store for auth-user-pass (users.store): one
 * user per line,
 *
 *   # comment
 *   alice@example.com:pbkdf2-sha256$200000$<salt hex>$<hash hex>
 *
 * hash = PBKDF2-HMAC-SHA256(password, salt, iterations, 32 bytes). Only
 * hashes are stored, never clear text; the check runs on a TLS worker
 * (it is slow on purpose) and compares in constant time. Work factors too
 * cheap to slow a guesser down are refused with the file's line:
 * iterations from CP_ITER_MIN (the order of magnitude OWASP's password
 * storage guidance gives for PBKDF2-HMAC-SHA256) to CP_ITER_MAX, salts of
 * CP_SALT_MIN bytes or more. An unknown user costs the same PBKDF2 run as
 * a known one (a dummy entry at the store's highest work factor), so the
 * time to an answer does not tell which accounts exist. A durable user
 * store may take its place later; it should keep reading this format.
 * Read-only after cp_users_open(): thread-safe.
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
#include "cp_users.h"

#define CP_USERS_MAX		4096
#define CP_HASH_LEN		32
#define CP_SALT_MIN		16
#define CP_SALT_MAX		64
#define CP_ITER_MIN		100000
#define CP_ITER_MAX		10000000	/* ~seconds of one worker per check */
#define CP_SCHEME		"pbkdf2-sha256$"

struct cp_user {
	char name[CP_NAME_MAX];
	unsigned iter;
	size_t salt_len;
	uint8_t salt[CP_SALT_MAX];
	uint8_t hash[CP_HASH_LEN];
};

struct cp_users {
	atomic_uint refs;		/* cp_users_hold / cp_users_free */
	atomic_ulong runs;		/* PBKDF2 runs of cp_users_check() */
	atomic_ulong iters;		/* ... and their iterations, summed */
	struct cp_user dummy;		/* what an unknown user is checked against */
	unsigned n;
	struct cp_user u[];
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
static int parse_iter(const char *it, size_t digits, struct cp_user *u, char *why, size_t len)
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

/* "name:pbkdf2-sha256$ITER$SALT$HASH" -> u; -1 if it is not one, with what
 * is wrong in why (left as the format unless a part says more). */
static int parse_line(char *line, struct cp_user *u, char *why, size_t len)
{
	char *colon = strchr(line, ':'), *it, *salt, *hash;
	size_t digits;
	int n;

	if (colon == NULL || colon == line)
		return -1;
	*colon = '\0';
	if (!cp_users_name_ok(line)) {
		snprintf(why, len, "user name: 1 to %d printable ASCII characters, no spaces",
			 CP_IDENTITY_MAX);
		return -1;
	}
	memcpy(u->name, line, (size_t)(colon - line) + 1);
	if (strncmp(colon + 1, CP_SCHEME, strlen(CP_SCHEME)) != 0)
		return -1;
	it = colon + 1 + strlen(CP_SCHEME);
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
	hash[strcspn(hash, "\r\n")] = '\0';
	return unhex(hash, strlen(hash), u->hash, CP_HASH_LEN) == CP_HASH_LEN ? 0 : -1;
}

/* An unknown user is hashed against this: random salt and hash, the
 * store's highest iteration count. */
static int dummy_make(struct cp_users *us)
{
	struct cp_user *d = &us->dummy;

	d->iter = CP_ITER_MIN;
	for (unsigned i = 0; i < us->n; i++)
		if (us->u[i].iter > d->iter)
			d->iter = us->u[i].iter;
	d->salt_len = CP_SALT_MIN;
	return RAND_bytes(d->salt, CP_SALT_MIN) == 1 &&
	       RAND_bytes(d->hash, sizeof(d->hash)) == 1 ? 0 : -1;
}

struct cp_users *cp_users_open(const char *path, char *err, size_t errlen)
{
	struct cp_users *us = calloc(1, sizeof(*us) + CP_USERS_MAX * sizeof(struct cp_user));
	FILE *f = fopen(path, "r");
	char line[512];
	int lineno = 0;

	if (us == NULL || f == NULL) {
		snprintf(err, errlen, "users.store %s: %s", path, strerror(f ? ENOMEM : errno));
		goto fail;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char why[128] = "expected NAME:" CP_SCHEME "ITERATIONS$SALT_HEX$HASH_HEX";

		lineno++;
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if (us->n == CP_USERS_MAX ||
		    parse_line(line, &us->u[us->n], why, sizeof(why)) != 0) {
			snprintf(err, errlen, "users.store %s:%d: %s", path, lineno, why);
			goto fail;
		}
		us->n++;
	}
	fclose(f);
	f = NULL;
	if (dummy_make(us) != 0) {
		snprintf(err, errlen, "users.store %s: no random bytes", path);
		goto fail;
	}
	atomic_init(&us->refs, 1);
	return us;
fail:
	if (f != NULL)
		fclose(f);
	if (us != NULL)
		atomic_init(&us->refs, 1);
	cp_users_free(us);
	return NULL;
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
	free(u);
}

/* 0 if PASSWORD hashes to U's hash, -EACCES if not, -EIO. */
static int hash_check(struct cp_users *us, const struct cp_user *u, const char *password)
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

int cp_users_check(struct cp_users *us, const char *user, const char *password)
{
	const struct cp_user *u = NULL;
	int rc;

	for (unsigned i = 0; i < us->n; i++)
		if (u == NULL && strcmp(us->u[i].name, user) == 0)
			u = &us->u[i];
	/* Unknown: the same work against the dummy, whose hash nothing matches. */
	rc = hash_check(us, u != NULL ? u : &us->dummy, password);
	return u == NULL && rc != -EIO ? -ENOENT : rc;
}

static const struct cp_user *find(const struct cp_users *us, const char *user)
{
	for (unsigned i = 0; i < us->n; i++)
		if (strcmp(us->u[i].name, user) == 0)
			return &us->u[i];
	return NULL;
}

bool cp_users_has(const struct cp_users *us, const char *user)
{
	return find(us, user) != NULL;
}

/* Field by field: the struct has padding. */
bool cp_users_same(const struct cp_users *a, const struct cp_users *b, const char *user)
{
	const struct cp_user *x = find(a, user), *y = find(b, user);

	return x != NULL && y != NULL && x->iter == y->iter && x->salt_len == y->salt_len &&
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
