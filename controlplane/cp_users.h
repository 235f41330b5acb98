/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_USERS_H
#define SL_CP_USERS_H

/* The file-backed user store for auth-user-pass, PBKDF2-SHA256 hashes (cp_users.c). */
#include <stddef.h>

#include <stdbool.h>

struct cp_users;

/* A username: 1..CP_IDENTITY_MAX bytes of printable ASCII without spaces
 * ('!'..'~'), what the store holds and what a client may send. */
bool cp_users_name_ok(const char *name);

struct cp_users *cp_users_open(const char *path, char *err, size_t errlen);
/* Stores are reference counted: cp_users_open gives one reference,
 * cp_users_hold takes another, cp_users_free drops one (the last frees),
 * so a store swapped out while the TLS workers check against it
 * (cp_ctx_users_get) lives until their checks are done. */
void cp_users_hold(struct cp_users *u);
void cp_users_free(struct cp_users *u);
/* 0 if user/password match; -EACCES wrong, -ENOENT unknown user (after
 * the same PBKDF2 work), -EIO. Thread-safe. */
int cp_users_check(struct cp_users *u, const char *user, const char *password);
/* Does the store hold USER? (No password check: for sessions adopted
 * after a restart, whose users may have been removed meanwhile.) */
bool cp_users_has(const struct cp_users *u, const char *user);
/* Do A and B both hold USER with the same hash (iterations, salt, hash)? */
bool cp_users_same(const struct cp_users *a, const struct cp_users *b, const char *user);
/* PBKDF2 runs of cp_users_check() so far (tests, statistics). */
unsigned long cp_users_hash_runs(const struct cp_users *u);
/* PBKDF2 iterations those runs did, summed: the work, counted. */
unsigned long cp_users_hash_iters(const struct cp_users *u);
/* "pbkdf2-sha256$ITER$SALT_HEX$HASH_HEX" for password into out: a fresh
 * 16-byte salt; -EINVAL for an iteration count the store would refuse,
 * -ENOSPC when out is too small, -EIO. */
int cp_users_hash(const char *password, unsigned iter, char *out, size_t len);

#endif
