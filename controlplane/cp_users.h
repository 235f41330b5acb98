/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_USERS_H
#define SL_CP_USERS_H

/* The users the TLS workers check against: a snapshot of the durable
 * store, PBKDF2-SHA256 hashes (cp_users.c). */
#include <stddef.h>

#include <stdbool.h>

#include "sl_api.h"

/* PBKDF2-SHA256 iterations a hash may have (users.pbkdf2_iter's range). */
#define CP_USERS_ITER_MIN	100000
#define CP_USERS_ITER_MAX	10000000	/* ~seconds of one worker per check */

struct cp_users;
struct cp_store;
struct cp_store_prefix;

/* A username: 1..CP_IDENTITY_MAX bytes of printable ASCII without spaces
 * ('!'..'~'), what the store holds and what a client may send. */
bool cp_users_name_ok(const char *name);

/* A snapshot of the store's users; NULL with err if it cannot be read. */
struct cp_users *cp_users_from_store(struct cp_store *st, char *err, size_t errlen);
/* A snapshot of a text file in the import format (NAME:HASH lines), every
 * user's VPN access on: how unit tests make one. */
struct cp_users *cp_users_open(const char *path, char *err, size_t errlen);
/* Stores are reference counted: cp_users_open gives one reference,
 * cp_users_hold takes another, cp_users_free drops one (the last frees),
 * so a store swapped out while the TLS workers check against it
 * (cp_ctx_users_get) lives until their checks are done. */
void cp_users_hold(struct cp_users *u);
void cp_users_free(struct cp_users *u);
/* 0 if user/password match and the user's VPN access is on; -EACCES
 * wrong or no password, -ENOENT unknown user, -EPERM VPN access off (all
 * after the same PBKDF2 work, all one answer to the client), -EIO.
 * Thread-safe. */
int cp_users_check(struct cp_users *u, const char *user, const char *password);
/* Does the store hold USER? (No password check: for sessions adopted
 * after a restart, whose users may have been removed meanwhile.) */
bool cp_users_has(const struct cp_users *u, const char *user);
/* Does it hold USER with VPN access on? (The wrapping and certificate
 * checks: a disabled user is refused before any TLS work.) */
bool cp_users_vpn(const struct cp_users *u, const char *user);
unsigned cp_users_count(const struct cp_users *u);
/* USER's iroutes into out (at most max); their count, 0 for an unknown user. */
int cp_users_iroutes(const struct cp_users *u, const char *user, struct cp_store_prefix *out,
		     unsigned max);
/* USER's static address from the store, family 0 if none. */
struct sl_addr cp_users_static(const struct cp_users *u, const char *user);
/* FN for every user with a static address. */
void cp_users_each_static(const struct cp_users *u,
			  void (*fn)(const char *user, struct sl_addr a, void *arg), void *arg);
/* Do A and B both hold USER with the same hash (iterations, salt, hash)
 * and the same VPN access? */
bool cp_users_same(const struct cp_users *a, const struct cp_users *b, const char *user);
/* PBKDF2 runs of cp_users_check() so far (tests, statistics). */
unsigned long cp_users_hash_runs(const struct cp_users *u);
/* PBKDF2 iterations those runs did, summed: the work, counted. */
unsigned long cp_users_hash_iters(const struct cp_users *u);
/* "pbkdf2-sha256$ITER$SALT_HEX$HASH_HEX" for password into out: a fresh
 * 16-byte salt; -EINVAL for an iteration count the store would refuse,
 * -ENOSPC when out is too small, -EIO. */
int cp_users_hash(const char *password, unsigned iter, char *out, size_t len);
/* Is HASH one the store accepts (format, work factor, salt)? why says not. */
bool cp_users_hash_ok(const char *hash, char *why, size_t len);
/* A "NAME:HASH" line of the import format (trailing newline allowed):
 * cut in place into *name and *hash, both checked; -1 with why if not. */
int cp_users_line_split(char *line, const char **name, const char **hash, char *why,
			size_t len);

#endif
