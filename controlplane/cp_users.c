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
 * (it is slow on purpose) and compares in constant time. A durable user
 * store may take its place later; it should keep reading this format.
 * Read-only after cp_users_open(): thread-safe.
 */
#include <errno.h>
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
#define CP_SALT_MAX		32
#define CP_ITER_MIN		1000

struct cp_user {
	char name[CP_NAME_MAX];
	unsigned iter;
	size_t salt_len;
	uint8_t salt[CP_SALT_MAX];
	uint8_t hash[CP_HASH_LEN];
};

struct cp_users {
	unsigned n;
	struct cp_user u[];
};

static int unhex(const char *s, size_t n, uint8_t *out, size_t cap)
{
	if (n % 2 != 0 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
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

/* "name:pbkdf2-sha256$ITER$SALT$HASH" -> u; -1 if malformed, with a
 * reason in *why when it is more than the format. */
static int parse_line(char *line, struct cp_user *u, const char **why)
{
	char *colon = strchr(line, ':'), *salt, *hash;
	int n;

	if (colon == NULL || colon == line)
		return -1;
	*colon = '\0';
	if (!cp_users_name_ok(line)) {
		*why = "user name: 1 to " CP_STR(CP_IDENTITY_MAX) " printable ASCII characters, "
		       "no spaces";
		return -1;
	}
	memcpy(u->name, line, (size_t)(colon - line) + 1);
	if (strncmp(colon + 1, "pbkdf2-sha256$", 14) != 0)
		return -1;
	u->iter = (unsigned)strtoul(colon + 15, &salt, 10);
	if (*salt != '$' || u->iter < CP_ITER_MIN || (hash = strchr(salt + 1, '$')) == NULL)
		return -1;
	n = unhex(salt + 1, (size_t)(hash - salt - 1), u->salt, sizeof(u->salt));
	if (n <= 0)
		return -1;
	u->salt_len = (size_t)n;
	hash[strcspn(hash, "\r\n")] = '\0';
	return unhex(hash + 1, strlen(hash + 1), u->hash, CP_HASH_LEN) == CP_HASH_LEN ? 0 : -1;
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
		const char *why = "expected NAME:pbkdf2-sha256$ITERATIONS$SALT_HEX$HASH_HEX";

		lineno++;
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if (us->n == CP_USERS_MAX || parse_line(line, &us->u[us->n], &why) != 0) {
			snprintf(err, errlen, "users.store %s:%d: %s", path, lineno, why);
			goto fail;
		}
		us->n++;
	}
	fclose(f);
	return us;
fail:
	if (f != NULL)
		fclose(f);
	cp_users_free(us);
	return NULL;
}

void cp_users_free(struct cp_users *u)
{
	if (u == NULL)
		return;
	OPENSSL_cleanse(u->u, u->n * sizeof(u->u[0]));
	free(u);
}

int cp_users_check(struct cp_users *us, const char *user, const char *password)
{
	uint8_t h[CP_HASH_LEN];
	const struct cp_user *u = NULL;
	int rc;

	for (unsigned i = 0; i < us->n && u == NULL; i++)
		if (strcmp(us->u[i].name, user) == 0)
			u = &us->u[i];
	if (u == NULL)
		return -ENOENT;
	if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), u->salt, (int)u->salt_len,
			      (int)u->iter, EVP_sha256(), sizeof(h), h) != 1)
		return -EIO;
	rc = CRYPTO_memcmp(h, u->hash, sizeof(h)) == 0 ? 0 : -EACCES;
	OPENSSL_cleanse(h, sizeof(h));
	return rc;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

int cp_users_hash(const char *password, unsigned iter, char *out, size_t len)
{
	uint8_t salt[16], h[CP_HASH_LEN];
	char salt_hex[2 * sizeof(salt) + 1], h_hex[2 * sizeof(h) + 1];
	int n, rc = -EIO;

	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, sizeof(salt), (int)iter,
			      EVP_sha256(), sizeof(h), h) != 1)
		goto wipe;
	hex(salt, sizeof(salt), salt_hex);
	hex(h, sizeof(h), h_hex);
	n = snprintf(out, len, "pbkdf2-sha256$%u$%s$%s", iter, salt_hex, h_hex);
	/* A cut line would be a hash of nothing: refuse it whole. */
	rc = n > 0 && (size_t)n < len ? 0 : -ENOSPC;
wipe:
	OPENSSL_cleanse(h, sizeof(h));
	OPENSSL_cleanse(h_hex, sizeof(h_hex));
	return rc;
}
