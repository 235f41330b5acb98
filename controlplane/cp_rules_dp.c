/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rule set in the process (cp_rules.h, bottom): the blob in the shared
 * hugepage heap (rte_malloc), SL_CMD_RULES_PUBLISH on sl_cmd with its
 * result awaited, the data plane's hit counters (SL_MZ_RULE_HITS), the
 * durable store, and PEER_SET for sessions whose policy tag changed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_memzone.h>

#include "cp.h"
#include "cp_out.h"
#include "cp_rules.h"
#include "cp_session.h"
#include "cp_store.h"
#include "sl_log.h"

/* The data plane builds the classifier on its main lcore before it answers:
 * about 1 s for 10 k rules (docs/architecture.md, "Publish"). The event
 * loop waits for the answer, as cp_api.c's ping does, so that a command
 * reports what the data plane enforces. */
#define PUBLISH_WAIT_MS	5000
#define RETAG_EVERY_MS	1000

/* What cp_rules_io.arg points to. */
struct rules_rt {
	struct cp *cp;
	struct cp_store *st;
	const struct sl_rule_hits *hits;
	uint64_t next_ms;
};

static struct rules_rt *rt_of(struct cp *cp)
{
	return cp->ctx.rules != NULL ? cp_rules_io_arg(cp->ctx.rules) : NULL;
}

static void *blob_alloc(void *arg, size_t size)
{
	(void)arg;
	return rte_zmalloc("sl_rule_blob", size, RTE_CACHE_LINE_SIZE);
}

static void blob_free(void *arg, void *p)
{
	(void)arg;
	rte_free(p);
}

static int publish(void *arg, struct sl_rule_blob *blob, bool *owned, char *err, size_t len)
{
	struct rules_rt *rt = arg;
	struct sl_cmd c = { .type = SL_CMD_RULES_PUBLISH, .u.rules = (uint64_t)(uintptr_t)blob };
	struct sl_event e;
	int rc = cp_dp_call(&rt->cp->dp, &c, PUBLISH_WAIT_MS, &e);

	/* Enqueued, the blob is the data plane's, answered or not (sl_api.h). */
	*owned = rc != -ENOBUFS;
	if (rc == -ENOBUFS)
		snprintf(err, len, "the command ring full (try again)");
	else if (rc != 0)
		snprintf(err, len, "no answer within %u ms", PUBLISH_WAIT_MS);
	else if (e.result != 0)
		snprintf(err, len, "a refusal: %s", strerror(-e.result));
	return rc != 0 ? rc : e.result;
}

/* The data plane makes the counters; an older one has none (all zero). */
static const struct sl_rule_hits *hits(void *arg, unsigned *n_workers)
{
	struct rules_rt *rt = arg;
	const struct rte_memzone *mz;

	if (rt->hits == NULL && (mz = rte_memzone_lookup(SL_MZ_RULE_HITS)) != NULL &&
	    mz->len >= (size_t)rt->cp->dp.status->n_workers * SL_RULES_MAX *
		       sizeof(struct sl_rule_hits))
		rt->hits = mz->addr;
	*n_workers = rt->cp->dp.status->n_workers;
	return rt->hits;
}

int cp_rules_from_config(const struct sl_config *cfg, struct sl_rule **out, unsigned *n,
			 uint8_t *default_action, char *err, size_t len)
{
	struct sl_rule *r = calloc(cfg->n_rules ? cfg->n_rules : 1, sizeof(*r));

	if (r == NULL) {
		snprintf(err, len, "rules: out of memory");
		return -ENOMEM;
	}
	memcpy(r, cfg->rules, cfg->n_rules * sizeof(*r));	/* the loader checked them */
	*out = r;
	*n = cfg->n_rules;
	*default_action = cfg->rules_default;
	return 0;
}

struct cp_store *cp_rules_store(struct cp *cp)
{
	struct rules_rt *rt = rt_of(cp);

	return rt != NULL ? rt->st : NULL;
}

/* The durable store, when users.store is one; without it API rules live
 * in memory only (said at start). */
static struct cp_store *open_store(const struct sl_config *cfg)
{
	struct cp_store_err se = { "", "" };
	struct cp_store *st;

	if (cfg->user_store[0] == '\0') {
		SL_INFO("rules: no users.store: rules added with sluicectl last until a restart");
		return NULL;
	}
	st = cp_store_open(cfg->user_store, &cfg->vpn, &se);
	if (st == NULL)
		SL_WARN("rules: users.store %s: %s: %s; rules added with sluicectl last until "
			"a restart", cfg->user_store, se.field, se.msg);
	return st;
}

int cp_rules_start(struct cp *cp)
{
	const struct cfg_prefix *pool = &cp->cfg->vpn.pool;
	struct sl_prefix vpn = { .addr = sl_addr_v4(pool->addr), .len = pool->len };
	struct rules_rt *rt = calloc(1, sizeof(*rt));
	struct cp_rules_io io = { rt, blob_alloc, blob_free, publish, hits };
	struct sl_rule *rules = NULL;
	unsigned n = 0;
	uint8_t def;
	char err[512];

	if (rt == NULL)
		return -1;
	rt->cp = cp;
	if (cp_rules_from_config(cp->cfg, &rules, &n, &def, err, sizeof(err)) != 0) {
		SL_ERR("%s", err);
		free(rt);
		return -1;
	}
	rt->st = open_store(cp->cfg);
	cp->ctx.rules = cp_rules_new(&vpn, rt->st, rules, n, def, &io, err, sizeof(err));
	free(rules);
	if (cp->ctx.rules == NULL) {
		SL_ERR("rules: %s", err);
		cp_store_close(rt->st);
		free(rt);
		return -1;
	}
	if (cp_rules_publish(cp->ctx.rules, err, sizeof(err)) != 0)
		SL_ERR("rules: %u rules not published: %s", cp_rules_info(cp->ctx.rules).count, err);
	else
		SL_INFO("rules: %u published (%u from the config file), default %s",
			cp_rules_info(cp->ctx.rules).count, n,
			def == SL_RULE_ALLOW ? "allow" : "deny");
	return 0;
}

void cp_rules_stop(struct cp *cp)
{
	struct rules_rt *rt = rt_of(cp);

	if (rt == NULL)
		return;
	cp_rules_free(cp->ctx.rules);
	cp->ctx.rules = NULL;
	cp_store_close(rt->st);
	free(rt);
}

/* PEER_SET with the new tag, behind the session's earlier commands (its
 * PEER_NEW among them) on the output queue. */
static void peer_set(struct cp *cp, struct cp_session *s, uint32_t peer_id,
		     const uint32_t roles[2], uint32_t user_tag)
{
	const struct cfg_vpn *v = &cp->cfg->vpn;
	struct sl_cmd c = { .type = SL_CMD_PEER_SET, .peer_id = peer_id };

	c.u.peer.keepalive_interval = (uint16_t)v->ping;
	c.u.peer.keepalive_timeout = (uint16_t)(v->ping_restart > 65535 ? 65535 : v->ping_restart);
	c.u.peer.framing = (uint8_t)s->p.framing;	/* set before PEER_NEW, not after */
	c.u.peer.roles[0] = roles[0];
	c.u.peer.roles[1] = roles[1];
	c.u.peer.user_tag = user_tag;
	cp_out_cmd(&cp->ctx, s, &c);
}

void cp_rules_retag(struct cp *cp)
{
	char who[CP_NAME_MAX];
	uint32_t roles[2], user_tag, peer_id;
	bool up;

	if (cp->ctx.rules == NULL)
		return;
	for (struct cp_session *s = cp->sessions.all; s != NULL; s = s->next) {
		if (s->adopted)
			continue;	/* tags from their PEER_NEW; ids are kept in the store */
		pthread_mutex_lock(&s->lock);
		up = s->info.established && s->info.peer_id != UINT32_MAX;
		peer_id = s->info.peer_id;
		snprintf(who, sizeof(who), "%s", s->info.user[0] ? s->info.user : s->info.cn);
		pthread_mutex_unlock(&s->lock);
		if (up && !cp_rules_peer_current(cp->ctx.rules, peer_id, who, roles, &user_tag)) {
			SL_INFO("rules: peer %u (%s): policy tag now roles %08x%08x user %u",
				peer_id, SL_ESC(who), roles[1], roles[0], user_tag);
			peer_set(cp, s, peer_id, roles, user_tag);
		}
	}
}

void cp_rules_poll(struct cp *cp, uint64_t now_ms)
{
	struct rules_rt *rt = rt_of(cp);

	if (rt == NULL || now_ms < rt->next_ms)
		return;
	rt->next_ms = now_ms + RETAG_EVERY_MS;
	cp_rules_refresh_users(cp->ctx.rules);
	cp_rules_retag(cp);
}
