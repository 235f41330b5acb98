/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Adoption of the peers a previous control plane left in the data plane.
 *
 * The data plane keeps forwarding when the control plane crashes; the
 * client's name, VPN address, cipher, start time and current endpoint
 * stay in sl_status.peers (written at PEER_NEW). A new control plane turns
 * each in-use entry into a session marked adopted instead of deleting the
 * peer: its peer-id and address are reserved in the pool (so nobody else
 * gets them), `sluicectl sessions` lists it and `sluicectl kill` ends it.
 *
 * The TLS state died with the old process, so an adopted session has no
 * key state and is never run by a TLS worker; everything that happens to
 * it is here, on the event loop, which ends it (cp_loop_end: PEER_DEL,
 * pool release) on PEER_IDLE, PEER_EXIT, KEY_EXHAUSTED (it cannot rekey),
 * kill, shutdown, or when a new session replaces it: the client's next
 * renegotiation finds no TLS peer, fails after its hand-window, and the
 * client starts over with a hard reset from the same endpoint, or
 * reconnects under the same name. That name is the one the data plane
 * keeps and the address follows: the user name with auth-user-pass, else
 * the common name.
 *
 * Revocation and removed users (cp_adopt_recheck): with auth-user-pass an
 * adopted session whose user is no longer in the store (just loaded by
 * this process) is ended at adoption. Its certificate is not known any
 * more (the data plane keeps no serial), so a CRL change cannot be checked
 * against it: every adopted session ends on a CRL change rather than
 * outlive a revocation; the clients reconnect and TLS checks them against
 * the new CRL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_adopt.h"
#include "cp_datakeys.h"
#include "cp_loop.h"
#include "cp_pool.h"
#include "cp_users.h"
#include "sl_log.h"

const char *cp_adopt_cipher_name(uint8_t cipher)
{
	return cp_datakeys_cipher_name(cipher);
}

/* What `sluicectl sessions` and the log lines read; fixed for its life. */
static void adopted_fill(struct cp_ctx *ctx, struct cp_session *s, uint32_t peer_id,
			 const struct sl_peer_stats *ps)
{
	struct cp_proto *p = &s->p;

	s->adopted = true;
	s->peer = ps->remote;
	p->peer_id = peer_id;
	p->vpn_ip = ps->vpn.v4;
	p->installed = true;
	p->pushed = true;	/* by the previous control plane */
	p->since = ps->since;
	/* The data plane keeps one name, the one the address follows: the
	 * user name with auth-user-pass (the CN is not known any more),
	 * else the CN. */
	snprintf(p->user, sizeof(p->user), "%.*s", (int)sizeof(ps->name) - 1, ps->name);
	if (!ctx->cfg->pki.auth_user_pass)
		snprintf(p->cn, sizeof(p->cn), "%s", p->user);
	snprintf(p->cipher, sizeof(p->cipher), "%s", cp_adopt_cipher_name(ps->cipher));
	p->kc.hmac_len = (uint8_t)(ps->digest == SL_DIGEST_SHA1 ? 20 :
				   ps->digest == SL_DIGEST_SHA256 ? 32 :
				   ps->digest == SL_DIGEST_SHA512 ? 64 : 0);
	sl_endpoint_str(&s->peer, p->addr, sizeof(p->addr));
	cp_session_update_info(s);
	s->info.key_id = ps->tx_key_id;	/* no key state of ours to read it from */
}

int cp_adopt_session(struct cp_ctx *ctx, uint32_t peer_id, const struct sl_peer_stats *ps,
		     struct cp_session **out)
{
	struct cp_session *s;
	int rc;

	/* The pool holds IPv4 addresses only: anything else is outside it. */
	if (!sl_addr_is_v4(&ps->vpn))
		return -ERANGE;
	s = cp_session_alloc();
	if (s == NULL)
		return -ENOMEM;
	adopted_fill(ctx, s, peer_id, ps);
	/* Never due: no worker runs it, no timer of its own. */
	atomic_store(&s->due_ms, UINT64_MAX);
	rc = cp_pool_adopt(ctx->pool, s->p.user, s, peer_id, s->p.vpn_ip);
	if (rc != 0) {
		cp_session_unref(s);
		return rc;
	}
	/* Its end (cp_loop_end) takes this one back. */
	atomic_fetch_add(&ctx->n_sessions, 1);
	*out = s;
	return 0;
}

enum cp_end cp_adopt_recheck(const struct cp_ctx *ctx, const struct cp_session *s,
			     bool crl_changed)
{
	if (ctx->users != NULL && ctx->cfg->pki.auth_user_pass &&
	    !cp_users_has(ctx->users, s->p.user))
		return CP_END_USER_GONE;
	return crl_changed ? CP_END_CRL_UNKNOWN : CP_END_NONE;
}

/* ---- on the event loop ---- */

/* One peer left by a crashed control plane: a session, or removed. */
static bool adopt_one(struct cp *cp, uint32_t peer_id, const struct sl_peer_stats *live)
{
	struct sl_peer_stats ps;
	struct cp_session *s;
	char vpn[SL_ADDR_STRLEN];
	enum cp_end why;
	int rc;

	/* Acquire pairs with the data plane's release of in_use at PEER_NEW. */
	if (!__atomic_load_n(&live->in_use, __ATOMIC_ACQUIRE))
		return false;
	memcpy(&ps, live, sizeof(ps));
	rc = cp_adopt_session(&cp->ctx, peer_id, &ps, &s);
	if (rc != 0) {
		SL_WARN("peer %u (%s, vpn %s) left by a previous control plane cannot be "
			"adopted (%s): removed", peer_id, SL_ESC(ps.name),
			sl_addr_str(&ps.vpn, vpn, sizeof(vpn)), strerror(-rc));
		cp_loop_peer_del(cp, peer_id, SL_DEL_TEARDOWN);
		return false;
	}
	cp_table_add(&cp->sessions, s);
	SL_INFO("adopt: %s vpn %s peer-id %u cipher %s (no TLS state: "
		"ends at its next renegotiation, idle or kill)", CP_WHO(s),
		sl_addr_str(&ps.vpn, vpn, sizeof(vpn)),
		peer_id, s->p.cipher);
	why = cp_adopt_recheck(&cp->ctx, s, false);
	if (why != CP_END_NONE) {
		cp_adopt_end(cp, s, why);
		return false;
	}
	return true;
}

void cp_adopt_orphans(struct cp *cp)
{
	const struct sl_status *st = cp->dp.status;
	unsigned n = 0;

	for (uint32_t i = 0; st->peers != NULL && i < st->max_peers; i++)
		n += adopt_one(cp, i, &st->peers[i]);
	if (n > 0)
		SL_WARN("adopted %u data-plane peer(s) left by a previous control plane", n);
}

bool cp_adopt_end(struct cp *cp, struct cp_session *s, enum cp_end why)
{
	if (!s->adopted)
		return false;
	if (s->in_table)
		cp_loop_end(cp, s, why);
	return true;
}

/*
 * A new session of an adopted client's name or address is about to be
 * installed: the adopted one goes first (its PEER_DEL precedes the
 * PEER_NEW on sl_cmd), as the client has given up on its old TLS session.
 */
void cp_adopt_replace(struct cp *cp, const struct sl_cmd *c)
{
	struct cp_session *s, *next;
	struct sl_addr vpn;

	if (c->type != SL_CMD_PEER_NEW)
		return;
	for (s = cp->sessions.all; s != NULL; s = next) {
		next = s->next;
		vpn = sl_addr_v4(s->p.vpn_ip);
		if (s->adopted && (sl_addr_eq(&vpn, &c->u.peer.vpn) ||
				   (c->u.peer.name[0] != '\0' &&
				    strncmp(s->p.user, c->u.peer.name, sizeof(c->u.peer.name)) == 0)))
			cp_adopt_end(cp, s, CP_END_REPLACED);
	}
}

/* Nothing but a float (cp_loop.c) keeps an adopted session. */
void cp_adopt_event(struct cp *cp, struct cp_session *s, const struct sl_event *e)
{
	switch (e->type) {
	case SL_EVT_PEER_IDLE:
		cp_adopt_end(cp, s, CP_END_IDLE);
		break;
	case SL_EVT_PEER_EXIT:
		cp_adopt_end(cp, s, CP_END_EXIT);
		break;
	case SL_EVT_KEY_EXHAUSTED:
		SL_WARN("%s: packet-ids running out and no TLS state to rekey with "
			"(adopted session): ending it, the client reconnects", CP_WHO(s));
		cp_adopt_end(cp, s, CP_END_ERROR);
		break;
	default:
		break;
	}
}
