/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Adoption of the peers a previous control plane left in the data plane.
 *
 * The data plane keeps forwarding when the control plane crashes; the
 * client's name, VPN address, cipher, start time and current address stay
 * in sl_status.peers (written at PEER_NEW). A new control plane turns each
 * in-use entry into a session marked adopted instead of deleting the peer:
 * its peer-id and address are reserved in the pool (so nobody else gets
 * them), `sluicectl sessions` lists it and `sluicectl kill` ends it.
 *
 * The TLS state died with the old process, so an adopted session has no
 * key state and is never run by a TLS worker; the event loop ends it
 * (PEER_DEL, pool release) on PEER_IDLE, PEER_EXIT, KEY_EXHAUSTED (it
 * cannot rekey), kill, shutdown, or when a new session replaces it: the
 * client's next renegotiation finds no TLS peer, fails after its
 * hand-window, and the client starts over with a hard reset from the same
 * address, or reconnects under the same name (cp_ctrl.c). That name is
 * the one the data plane keeps and the address follows: the user name
 * with auth-user-pass, else the common name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_session.h"

const char *cp_adopt_cipher_name(uint8_t cipher)
{
	static const char *const names[] = {
		[SL_CIPHER_NONE] = "none", [SL_CIPHER_AES_128_GCM] = "AES-128-GCM",
		[SL_CIPHER_AES_256_GCM] = "AES-256-GCM",
		[SL_CIPHER_CHACHA20_POLY1305] = "CHACHA20-POLY1305",
	};

	return cipher < sizeof(names) / sizeof(names[0]) ? names[cipher] : "?";
}

/* What `sluicectl sessions` and the log lines read; fixed for its life. */
static void adopted_fill(struct cp_ctx *ctx, struct cp_session *s, uint32_t peer_id,
			 const struct sl_peer_stats *ps)
{
	struct cp_proto *p = &s->p;
	struct cp_session_info *i = &s->info;

	s->adopted = true;
	s->peer = ps->remote;
	p->peer_id = peer_id;
	p->vpn_ip = ps->vpn.v4;
	p->installed = true;
	p->old_slot = -1;
	p->since = ps->since;
	/* The data plane keeps one name, the one the address follows: the
	 * user name with auth-user-pass (the CN is not known any more),
	 * else the CN. */
	snprintf(p->user, sizeof(p->user), "%.*s", (int)sizeof(ps->name) - 1, ps->name);
	if (!ctx->cfg->pki.auth_user_pass)
		snprintf(p->cn, sizeof(p->cn), "%s", p->user);
	snprintf(p->cipher, sizeof(p->cipher), "%s", cp_adopt_cipher_name(ps->cipher));
	sl_endpoint_str(&s->peer, p->addr, sizeof(p->addr));
	snprintf(i->cn, sizeof(i->cn), "%s", p->cn);
	snprintf(i->user, sizeof(i->user), "%s", p->user);
	snprintf(i->cipher, sizeof(i->cipher), "%s", p->cipher);
	i->vpn_ip = p->vpn_ip;
	i->peer_id = peer_id;
	i->key_id = ps->tx_key_id;
	i->established = true;
	i->since = p->since;
}

int cp_adopt_session(struct cp_ctx *ctx, uint32_t peer_id, const struct sl_peer_stats *ps,
		     struct cp_session **out)
{
	struct cp_session *s;
	int rc;

	/* The pool holds IPv4 addresses only: anything else is outside it. */
	if (!sl_addr_is_v4(&ps->vpn))
		return -ERANGE;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	atomic_init(&s->refs, 1);
	pthread_mutex_init(&s->lock, NULL);
	adopted_fill(ctx, s, peer_id, ps);
	/* Never due: no worker runs it, no timer of its own. */
	atomic_store(&s->due_ms, UINT64_MAX);
	rc = cp_pool_adopt(ctx->pool, s->p.user, s, peer_id, s->p.vpn_ip);
	if (rc != 0) {
		cp_session_unref(s);
		return rc;
	}
	/* Its end (cp_ctrl.c session_ended) takes this one back. */
	atomic_fetch_add(&ctx->n_sessions, 1);
	*out = s;
	return 0;
}
