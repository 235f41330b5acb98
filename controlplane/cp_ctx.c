/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The context every module of the control channel shares (cp_ctx.h),
 * opened from the config: the data ciphers the data plane can run, the
 * TLS context, the wrapping keys, the address pool with its fixed
 * addresses and the user store. The event loop adds the clock, the data
 * plane's counters and the workers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_ctx.h"
#include "cp_pool.h"
#include "cp_session.h"
#include "cp_store.h"
#include "cp_tls.h"
#include "cp_users.h"
#include "cp_wrapkeys.h"
#include "ovpn_kdf.h"
#include "sl_log.h"

struct cp_pkt *cp_pkt_new(const uint8_t *data, size_t len, const struct sl_endpoint *peer,
			  const uint8_t mac[6])
{
	struct cp_pkt *p = malloc(sizeof(*p) + len);

	if (p == NULL)
		return NULL;
	p->next = NULL;
	p->peer = *peer;
	memcpy(p->mac, mac, 6);
	p->len = (uint16_t)len;
	memcpy(p->data, data, len);
	return p;
}

static int join_ciphers(const struct cfg_vpn *v, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < v->n_ciphers; i++) {
		struct ovpn_kdf_cipher c;

		/* The config accepts only ciphers the data plane runs, and every
		 * one of them is offered: one it cannot describe is an error. */
		if (ovpn_kdf_cipher_lookup(v->data_ciphers[i], v->auth, &c) != 0)
			return -EINVAL;
		used += (size_t)snprintf(out + used, len - used, "%s%s", used ? ":" : "",
					 v->data_ciphers[i]);
	}
	return used > 0 && used < len ? 0 : -EINVAL;
}

static int pool_open(struct cp_ctx *ctx, const struct cfg_vpn *v, char *err, size_t len)
{
	ctx->pool = cp_pool_new(&v->pool, v->max_clients);
	if (ctx->pool == NULL) {
		snprintf(err, len, "vpn.pool: cannot make the address pool");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < v->n_statics; i++)
		if (cp_pool_fix(ctx->pool, v->statics[i].name, v->statics[i].addr) != 0) {
			snprintf(err, len, "vpn.static_addresses[%u]: cannot reserve it", i);
			return -EINVAL;
		}
	return 0;
}

/*
 * The user store (users.store), the import of a PBKDF2 text file into it
 * (users.import: users it does not hold yet, once per start), the
 * addresses the pool remembers for its users, and the first snapshot.
 */
static int users_open(struct cp_ctx *ctx, const struct sl_config *cfg, char *err, size_t len)
{
	struct cp_store_err se = { "", "" };
	struct cp_users *old = NULL;
	int n;

	if (cfg->user_store[0] == '\0') {
		if (!cfg->pki.auth_user_pass)
			return 0;
		snprintf(err, len, "pki.auth_user_pass: needs users.store");
		return -EINVAL;
	}
	ctx->store = cp_store_open(cfg->user_store, &cfg->vpn, &se);
	if (ctx->store == NULL) {
		snprintf(err, len, "users.store %s: %s", cfg->user_store, se.msg);
		return -EINVAL;
	}
	if (cfg->user_import[0] != '\0') {
		n = cp_store_import(ctx->store, cfg->user_import, &se);
		if (n < 0) {
			snprintf(err, len, "users.import %s", se.msg);
			return -EINVAL;
		}
		SL_INFO("users.import %s: %d user%s added to users.store", cfg->user_import, n,
			n == 1 ? "" : "s");
	}
	cp_pool_restore_store(ctx->pool, ctx->store);
	cp_pool_set_store(ctx->pool, ctx->store);
	return cp_ctx_users_reload(ctx, &old, err, len) < 0 ? -EINVAL : 0;
}

int cp_ctx_open(struct cp_ctx *ctx, const struct sl_config *cfg, char *err, size_t len)
{
	int rc;

	ctx->cfg = cfg;
	pthread_mutex_init(&ctx->out_lock, NULL);
	pthread_mutex_init(&ctx->users_lock, NULL);
	if (join_ciphers(&cfg->vpn, ctx->data_ciphers, sizeof(ctx->data_ciphers)) != 0) {
		snprintf(err, len, "vpn.data_ciphers: a cipher the data plane cannot run");
		return -EINVAL;
	}
	ctx->tls = cp_tls_new(&cfg->pki, cfg->ctl.legacy_tls, err, len);
	if (ctx->tls == NULL)
		return -EINVAL;
	ctx->keys = cp_wrapkeys_load(&cfg->pki, err, len);
	if (ctx->keys == NULL)
		return -EINVAL;
	rc = pool_open(ctx, &cfg->vpn, err, len);
	if (rc != 0)
		return rc;
	return users_open(ctx, cfg, err, len);
}

struct cp_users *cp_ctx_users_get(struct cp_ctx *ctx)
{
	struct cp_users *u;

	pthread_mutex_lock(&ctx->users_lock);
	u = ctx->users;
	if (u != NULL)
		cp_users_hold(u);
	pthread_mutex_unlock(&ctx->users_lock);
	return u;
}

int cp_ctx_users_reload(struct cp_ctx *ctx, struct cp_users **old, char *err, size_t len)
{
	struct cp_users *u;
	uint64_t gen;

	*old = NULL;
	if (ctx->store == NULL)
		return 0;
	/* The generation first: a write while the snapshot is built is
	 * seen at the next check. */
	gen = cp_store_generation(ctx->store);
	if (gen == ctx->users_gen && ctx->users != NULL)
		return 0;
	ctx->users_gen = gen;
	u = cp_users_from_store(ctx->store, err, len);
	if (u == NULL)
		return -EINVAL;
	cp_pool_fix_users(ctx->pool, u);
	pthread_mutex_lock(&ctx->users_lock);
	*old = ctx->users;
	ctx->users = u;
	pthread_mutex_unlock(&ctx->users_lock);
	return 1;
}

unsigned cp_ctx_user_gone(struct cp_ctx *ctx, const struct cp_users *old, struct cp_session *s)
{
	char user[CP_NAME_MAX];
	bool established;

	pthread_mutex_lock(&s->lock);
	established = s->info.established;
	memcpy(user, s->info.user, sizeof(user));
	pthread_mutex_unlock(&s->lock);
	user[sizeof(user) - 1] = '\0';
	if (!established || !cp_users_has(old, user) || cp_users_same(old, ctx->users, user))
		return 0;
	return cp_users_vpn(ctx->users, user) ? CP_SIG_USER_CHANGED : CP_SIG_USER_GONE;
}

void cp_ctx_close(struct cp_ctx *ctx)
{
	cp_users_free(ctx->users);
	cp_pool_free(ctx->pool);
	cp_store_close(ctx->store);
	cp_wrapkeys_free(ctx->keys);
	cp_tls_free(ctx->tls);
	ctx->users = NULL;
	ctx->store = NULL;
	ctx->pool = NULL;
	ctx->keys = NULL;
	ctx->tls = NULL;
	pthread_mutex_destroy(&ctx->out_lock);
	pthread_mutex_destroy(&ctx->users_lock);
}
