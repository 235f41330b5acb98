/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_STORE_H
#define SL_CP_STORE_H

/*
 * The durable user store (cp_store.c): users, roles, their addresses and
 * iroutes, certificates and revoked serials, in one SQLite database
 * (users.store). WAL, synchronous=FULL, every write one BEGIN IMMEDIATE
 * transaction: a crash at any instant leaves the old state or the new
 * one; callers in this process serialize on a mutex, other processes
 * (sqlite3, a second control plane) on SQLite's lock with a busy timeout.
 * The schema is versioned (PRAGMA user_version) and migrated forward at
 * open. Everything the TLS workers need is copied into a snapshot
 * (cp_users_from_store, cp_users.h): the workers never touch the database.
 *
 * Every refusal fills struct cp_store_err with the field at fault and a
 * message fit for an operator, and leaves the store as it was:
 *   -EINVAL  malformed input (field named), or an address/iroute refused
 *   -EEXIST  duplicate user or role, static address taken
 *   -ENOENT  unknown user or role
 *   -EBUSY   role still held by users (the message counts them)
 *   -EIO     the database failed (field "store")
 * Thread-safe.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "cfg.h"
#include "sl_api.h"

/* An email as the store keeps it: lowercase, printable, no spaces, at
 * most CP_STORE_EMAIL_MAX bytes (the session identity limit: the data
 * plane keeps a peer's name in 48 bytes, sl_cmd_peer). */
#define CP_STORE_EMAIL_MAX	47
#define CP_STORE_EMAIL_LEN	(CP_STORE_EMAIL_MAX + 1)
#define CP_STORE_ROLE_LEN	64	/* [a-z0-9._-], 1..63 bytes, + NUL */
#define CP_STORE_ROLES_MAX	16	/* roles per user */
#define CP_STORE_IROUTES_MAX	SL_PEER_ROUTES_MAX
#define CP_STORE_SERIAL_LEN	41	/* lowercase hex, up to 20 bytes (RFC 5280) */
#define CP_STORE_HASH_LEN	256	/* "pbkdf2-sha256$ITER$SALT$HASH" */
#define CP_STORE_DESC_LEN	128

struct cp_store;

struct cp_store_err {
	char field[32];		/* "email", "role", "static_ip", "iroute", ... */
	char msg[160];
};

/* A subnet: host bits zero, IPv4 len 1..32. */
struct cp_store_prefix {
	struct sl_addr addr;
	uint8_t len;
};

struct cp_store_user {
	char email[CP_STORE_EMAIL_LEN];
	char roles[CP_STORE_ROLES_MAX][CP_STORE_ROLE_LEN];
	unsigned n_roles;
	bool vpn;				/* VPN access on */
	struct sl_addr static_addr;		/* reserved address, family 0 = none */
	struct sl_addr sticky_addr;		/* last address given, family 0 = none */
	struct cp_store_prefix iroutes[CP_STORE_IROUTES_MAX];
	unsigned n_iroutes;
	char cert_serial[CP_STORE_SERIAL_LEN];	/* "" = no certificate issued */
	int64_t cert_expiry;			/* unix seconds, 0 = none */
	char pw_hash[CP_STORE_HASH_LEN];	/* cp_users_hash() format, "" = none */
	int64_t created, updated;		/* unix seconds, set by the store */
};

struct cp_store_role {
	char name[CP_STORE_ROLE_LEN];
	char description[CP_STORE_DESC_LEN];
	int64_t created;
};

struct cp_store_revoked {
	char serial[CP_STORE_SERIAL_LEN];
	int64_t time;		/* unix seconds */
	int reason;		/* CRLReason code (RFC 5280 5.3.1), 0 = unspecified */
};

/* Listing callbacks: return nonzero to stop (the list returns it). */
typedef int (*cp_store_user_fn)(const struct cp_store_user *u, void *arg);
typedef int (*cp_store_role_fn)(const struct cp_store_role *r, void *arg);
typedef int (*cp_store_revoked_fn)(const struct cp_store_revoked *r, void *arg);

/* Open or create the database at PATH (mode 0600) and migrate it to the
 * current schema. VPN gives the pool and the config's fixed addresses that
 * static addresses are checked against (NULL: static addresses refused). A
 * file that is not a SQLite database is refused (err names "users.store"). */
struct cp_store *cp_store_open(const char *path, const struct cfg_vpn *vpn,
			       struct cp_store_err *err);
void cp_store_close(struct cp_store *st);

/* The schema version the database is at, and the one this build writes. */
int cp_store_schema_version(struct cp_store *st);
int cp_store_schema_latest(void);

/* Changes with every committed write, by this process or another one
 * (PRAGMA data_version): the snapshot is rebuilt when it moves. */
uint64_t cp_store_generation(struct cp_store *st);

/* Lowercase EMAIL into out (CP_STORE_EMAIL_LEN); -EINVAL with err if it is
 * not a sane address: local@domain, printable ASCII, no spaces, one '@',
 * a dotted domain of letters, digits and hyphens. */
int cp_store_email_norm(const char *email, char *out, struct cp_store_err *err);

/* ---- users ---- */

/* Add U (email normalized; roles must exist; static address inside the
 * pool, not its gateway or broadcast, not another user's nor a config
 * fixed one; iroutes well formed and off the pool; pw_hash "" or a valid
 * hash). created/updated/sticky are set by the store. */
int cp_store_user_add(struct cp_store *st, const struct cp_store_user *u,
		      struct cp_store_err *err);
int cp_store_user_del(struct cp_store *st, const char *email, struct cp_store_err *err);
int cp_store_user_get(struct cp_store *st, const char *email, struct cp_store_user *out,
		      struct cp_store_err *err);
/* Every user by email; the count, the callback's nonzero return, or -EIO. */
int cp_store_user_list(struct cp_store *st, cp_store_user_fn fn, void *arg);
int cp_store_user_set_vpn(struct cp_store *st, const char *email, bool on,
			  struct cp_store_err *err);
/* HASH in cp_users_hash()'s format, or "" to remove the password. */
int cp_store_user_set_password(struct cp_store *st, const char *email, const char *hash,
			       struct cp_store_err *err);
/* SERIAL hex (any case, stored lowercase), "" = none; EXPIRY unix seconds. */
int cp_store_user_set_cert(struct cp_store *st, const char *email, const char *serial,
			   int64_t expiry, struct cp_store_err *err);
/* The address last given to EMAIL (family 0 forgets it); a user unknown to
 * the store (a certificate-only client) is -ENOENT, nothing written. */
int cp_store_user_set_sticky(struct cp_store *st, const char *email,
			     const struct sl_addr *addr, struct cp_store_err *err);

/* ---- roles ---- */

/* NAME: [a-z0-9._-], 1..63 bytes; DESCRIPTION printable, may be "". */
int cp_store_role_add(struct cp_store *st, const char *name, const char *description,
		      struct cp_store_err *err);
int cp_store_role_del(struct cp_store *st, const char *name, struct cp_store_err *err);
int cp_store_role_list(struct cp_store *st, cp_store_role_fn fn, void *arg);

/* ---- revoked certificates (the CRL's contents) ---- */

/* Revoke SERIAL now with REASON (0..10, RFC 5280 CRLReason); a serial
 * revoked already is -EEXIST. */
int cp_store_revoked_add(struct cp_store *st, const char *serial, int reason,
			 struct cp_store_err *err);
int cp_store_revoked_list(struct cp_store *st, cp_store_revoked_fn fn, void *arg);

/* ---- import ---- */

/* Users of a PBKDF2 text file (cp_users.c's format: "NAME:pbkdf2-sha256$...")
 * that the store does not hold yet, with that hash, VPN on, no roles. All
 * or nothing: a malformed line refuses the import (err names the line).
 * The number added. */
int cp_store_import(struct cp_store *st, const char *path, struct cp_store_err *err);

/* ---- for other modules' tables (rules) ---- */

/* Run FN inside one BEGIN IMMEDIATE transaction under the store's lock:
 * committed if FN returns 0, rolled back otherwise (its return passed on;
 * FN fills err). */
typedef int (*cp_store_txn_fn)(sqlite3 *db, void *arg, struct cp_store_err *err);
int cp_store_write(struct cp_store *st, cp_store_txn_fn fn, void *arg,
		   struct cp_store_err *err);
/* Run FN for reading, under the store's lock, in one read transaction. */
int cp_store_read(struct cp_store *st, cp_store_txn_fn fn, void *arg,
		  struct cp_store_err *err);

#endif
