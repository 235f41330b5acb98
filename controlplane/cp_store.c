/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The durable user store on SQLite (cp_store.h). Skeleton: the API the
 * admin protocol builds on; the implementation follows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_store.h"

static int nosys(struct cp_store_err *err)
{
	if (err != NULL) {
		snprintf(err->field, sizeof(err->field), "store");
		snprintf(err->msg, sizeof(err->msg), "not implemented yet");
	}
	return -ENOSYS;
}

struct cp_store *cp_store_open(const char *path, const struct cfg_vpn *vpn,
			       struct cp_store_err *err)
{
	(void)path;
	(void)vpn;
	nosys(err);
	return NULL;
}

void cp_store_close(struct cp_store *st)
{
	(void)st;
}

int cp_store_schema_version(struct cp_store *st)
{
	(void)st;
	return -ENOSYS;
}

int cp_store_schema_latest(void)
{
	return 1;
}

uint64_t cp_store_generation(struct cp_store *st)
{
	(void)st;
	return 0;
}

int cp_store_email_norm(const char *email, char *out, struct cp_store_err *err)
{
	(void)email;
	(void)out;
	return nosys(err);
}

int cp_store_user_add(struct cp_store *st, const struct cp_store_user *u,
		      struct cp_store_err *err)
{
	(void)st;
	(void)u;
	return nosys(err);
}

int cp_store_user_del(struct cp_store *st, const char *email, struct cp_store_err *err)
{
	(void)st;
	(void)email;
	return nosys(err);
}

int cp_store_user_get(struct cp_store *st, const char *email, struct cp_store_user *out,
		      struct cp_store_err *err)
{
	(void)st;
	(void)email;
	(void)out;
	return nosys(err);
}

int cp_store_user_list(struct cp_store *st, cp_store_user_fn fn, void *arg)
{
	(void)st;
	(void)fn;
	(void)arg;
	return -ENOSYS;
}

int cp_store_user_set_vpn(struct cp_store *st, const char *email, bool on,
			  struct cp_store_err *err)
{
	(void)st;
	(void)email;
	(void)on;
	return nosys(err);
}

int cp_store_user_set_password(struct cp_store *st, const char *email, const char *hash,
			       struct cp_store_err *err)
{
	(void)st;
	(void)email;
	(void)hash;
	return nosys(err);
}

int cp_store_user_set_cert(struct cp_store *st, const char *email, const char *serial,
			   int64_t expiry, struct cp_store_err *err)
{
	(void)st;
	(void)email;
	(void)serial;
	(void)expiry;
	return nosys(err);
}

int cp_store_user_set_sticky(struct cp_store *st, const char *email,
			     const struct sl_addr *addr, struct cp_store_err *err)
{
	(void)st;
	(void)email;
	(void)addr;
	return nosys(err);
}

int cp_store_role_add(struct cp_store *st, const char *name, const char *description,
		      struct cp_store_err *err)
{
	(void)st;
	(void)name;
	(void)description;
	return nosys(err);
}

int cp_store_role_del(struct cp_store *st, const char *name, struct cp_store_err *err)
{
	(void)st;
	(void)name;
	return nosys(err);
}

int cp_store_role_list(struct cp_store *st, cp_store_role_fn fn, void *arg)
{
	(void)st;
	(void)fn;
	(void)arg;
	return -ENOSYS;
}

int cp_store_revoked_add(struct cp_store *st, const char *serial, int reason,
			 struct cp_store_err *err)
{
	(void)st;
	(void)serial;
	(void)reason;
	return nosys(err);
}

int cp_store_revoked_list(struct cp_store *st, cp_store_revoked_fn fn, void *arg)
{
	(void)st;
	(void)fn;
	(void)arg;
	return -ENOSYS;
}

int cp_store_import(struct cp_store *st, const char *path, struct cp_store_err *err)
{
	(void)st;
	(void)path;
	return nosys(err);
}

int cp_store_write(struct cp_store *st, cp_store_txn_fn fn, void *arg,
		   struct cp_store_err *err)
{
	(void)st;
	(void)fn;
	(void)arg;
	return nosys(err);
}

int cp_store_read(struct cp_store *st, cp_store_txn_fn fn, void *arg,
		  struct cp_store_err *err)
{
	(void)st;
	(void)fn;
	(void)arg;
	return nosys(err);
}
