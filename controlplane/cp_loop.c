/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The event loop's side of the control channel: control packets from
 * sl_cp_rx are dispatched by client endpoint and session id to their
 * session, or to admission (cp_admit.c); outputs of the TLS workers become
 * packets on sl_cp_tx and commands on sl_cmd; data-plane events reach their
 * session; timers wake sessions; `sluicectl sessions` and `kill` read and
 * signal sessions. Nothing here waits: a full ring is counted (packets) or
 * a short backlog (commands, which must not be lost). Sessions adopted from
 * a previous control plane (cp_adopt.c) never reach a worker: they are
 * ended here.
 *
 * Packets out are the OpenVPN packet alone in the mbuf; struct sl_cp_meta
 * names the client's endpoint and the next hop (the source MAC of its
 * packets), and the data plane adds the outer headers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "cp.h"
#include "sl_log.h"

#define CP_TIMER_MS		10	/* session timer scan */
#define CP_CRL_CHECK_MS		1000
#define CP_RX_BURST		32
#define CP_PEER_UNINSTALLED	0x80000000u	/* END: peer-id allocated, never installed */

uint64_t cp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t wall_s(const struct cp *cp, uint64_t now)
{
	return (uint64_t)((int64_t)(now / 1000) + cp->ctx.wall_offset);
}

/* ---- session table ---- */

static unsigned bucket(const struct sl_endpoint *e)
{
	return (cp_addr_hash(&e->addr) ^ (e->port * 40503u) ^ (e->conn * 2654435761u)) %
	       CP_HASH_SIZE;
}

static struct cp_session *table_find(struct cp *cp, const struct sl_endpoint *e)
{
	struct cp_session *s;

	for (s = cp->table[bucket(e)]; s != NULL; s = s->hnext)
		if (sl_endpoint_eq(&s->peer, e))
			return s;
	return NULL;
}

static void table_add(struct cp *cp, struct cp_session *s)
{
	struct cp_session **b = &cp->table[bucket(&s->peer)];

	s->hnext = *b;
	*b = s;
	s->prev = NULL;
	s->next = cp->all;
	if (cp->all != NULL)
		cp->all->prev = s;
	cp->all = s;
	s->in_table = true;
}

static void unhash(struct cp *cp, struct cp_session *s)
{
	struct cp_session **pp = &cp->table[bucket(&s->peer)];

	while (*pp != NULL && *pp != s)
		pp = &(*pp)->hnext;
	if (*pp == s)
		*pp = s->hnext;
	s->hnext = NULL;
}

/* Drop the table's reference; the session lives on while others hold one. */
static void table_del(struct cp *cp, struct cp_session *s)
{
	if (!s->in_table)
		return;
	unhash(cp, s);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		cp->all = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->in_table = false;
	cp_session_unref(s);
}

/* ---- packets and commands out ---- */

/*
 * The data plane builds the outer headers (its own builder, the same as for
 * data packets): we hand it the OpenVPN packet, the destination and the
 * next hop we saw the client's packets come from.
 */
static void packet_send(struct cp *cp, const struct cp_pkt *p)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(cp->dp.pool);
	uint8_t *b = m ? (uint8_t *)rte_pktmbuf_append(m, p->len) : NULL;
	struct sl_cp_meta *meta;

	if (b == NULL) {
		rte_pktmbuf_free(m);
		cp_count(&cp->ctx, CP_ST_DROP_NO_MBUF);
		return;
	}
	memcpy(b, p->data, p->len);
	meta = rte_mbuf_to_priv(m);
	memset(meta, 0, sizeof(*meta));
	meta->peer = p->peer;
	meta->payload_len = p->len;
	memcpy(meta->mac, p->mac, sizeof(meta->mac));
	/* A full ring is counted, never waited on: the sender retransmits. */
	if (rte_ring_enqueue(cp->dp.cp_tx, m) != 0) {
		rte_pktmbuf_free(m);
		cp_count(&cp->ctx, CP_ST_DROP_TX_RING);
		return;
	}
	cp_count(&cp->ctx, CP_ST_PKTS_OUT);
}

/* Commands keep their order: once one waits, the next ones queue behind it. */
static void cmd_send(struct cp *cp, struct cp_out *o)
{
	if (cp->backlog == NULL && cp_dp_send(&cp->dp, &o->cmd) == 0) {
		cp_out_free(o);	/* wipes the key material of our copy */
		return;
	}
	cp_count(&cp->ctx, CP_ST_CMD_BACKLOG);
	o->next = NULL;
	if (cp->backlog_tail != NULL)
		cp->backlog_tail->next = o;
	else
		cp->backlog = o;
	cp->backlog_tail = o;
}

static void backlog_flush(struct cp *cp)
{
	struct cp_out *o;

	while ((o = cp->backlog) != NULL && cp_dp_send(&cp->dp, &o->cmd) == 0) {
		cp->backlog = o->next;
		if (cp->backlog == NULL)
			cp->backlog_tail = NULL;
		cp_out_free(o);
		cp->fence = cp->dp.sent;	/* it may have been a key: fence it */
	}
}

static void peer_del(struct cp *cp, uint32_t peer_id, uint8_t reason)
{
	struct cp_out *o = calloc(1, sizeof(*o));

	if (o == NULL) {
		SL_ERR("out of memory: peer-del of peer %u lost", peer_id);
		return;
	}
	o->type = CP_OUT_CMD;
	o->cmd.type = SL_CMD_PEER_DEL;
	o->cmd.peer_id = peer_id;
	o->cmd.u.del_reason = reason;
	cmd_send(cp, o);
}

/* ---- session end ---- */

static uint8_t del_reason(enum cp_end e)
{
	switch (e) {
	case CP_END_IDLE: return SL_DEL_EXPIRED;
	case CP_END_EXIT: return SL_DEL_EXIT;
	case CP_END_SHUTDOWN: return SL_DEL_TEARDOWN;
	default: return SL_DEL_USERSPACE;
	}
}

static void log_end(struct cp *cp, struct cp_session *s, enum cp_end why, uint32_t peer_id)
{
	const struct sl_status *st = cp->dp.status;
	struct cp_session_info i;
	uint64_t in = 0, out = 0, now = (uint64_t)time(NULL);

	pthread_mutex_lock(&s->lock);
	i = s->info;
	pthread_mutex_unlock(&s->lock);
	if (peer_id < st->max_peers && st->peers != NULL) {
		in = st->peers[peer_id].rx_bytes;
		out = st->peers[peer_id].tx_bytes;
	}
	SL_INFO("disconnect: user %s cn %s from %s: %s (%lus, in %lu out %lu bytes)",
		i.user[0] ? i.user : "-", i.cn[0] ? i.cn : "-", s->p.addr, cp_end_name(why),
		(unsigned long)(i.since ? now - i.since : 0), (unsigned long)in,
		(unsigned long)out);
}

static void session_ended(struct cp *cp, struct cp_out *o)
{
	uint32_t peer_id = o->peer_id & ~CP_PEER_UNINSTALLED;

	log_end(cp, o->s, o->reason, o->peer_id);
	if (!(o->peer_id & CP_PEER_UNINSTALLED) && o->peer_id != UINT32_MAX)
		peer_del(cp, o->peer_id, del_reason(o->reason));
	if (o->peer_id != UINT32_MAX)
		cp_pool_release(cp->ctx.pool, peer_id, o->vpn_ip);
	atomic_fetch_sub(&cp->ctx.n_sessions, 1);
	table_del(cp, o->s);
}

/* An adopted session has no TLS state to say goodbye with: end it here. */
void cp_ctrl_end_adopted(struct cp *cp, struct cp_session *s, enum cp_end why)
{
	struct cp_out o = { .type = CP_OUT_END, .s = s, .reason = why,
			    .peer_id = s->p.peer_id, .vpn_ip = s->p.vpn_ip };

	if (!s->adopted || !s->in_table)
		return;
	cp_session_ref(s);	/* session_ended drops the table's */
	session_ended(cp, &o);
	cp_session_unref(s);
}

/*
 * A new session of an adopted client's name or address is about to be
 * installed: the adopted one goes first (its PEER_DEL precedes the
 * PEER_NEW on sl_cmd), as the client has given up on its old TLS session.
 */
static void adopted_replace(struct cp *cp, const struct sl_cmd *c)
{
	struct cp_session *s, *next;
	struct sl_addr vpn;

	if (c->type != SL_CMD_PEER_NEW)
		return;
	for (s = cp->all; s != NULL; s = next) {
		next = s->next;
		vpn = sl_addr_v4(s->p.vpn_ip);
		if (s->adopted && (sl_addr_eq(&vpn, &c->u.peer.vpn) ||
				   (c->u.peer.name[0] != '\0' &&
				    strncmp(s->p.user, c->u.peer.name, sizeof(c->u.peer.name)) == 0)))
			cp_ctrl_end_adopted(cp, s, CP_END_REPLACED);
	}
}

/*
 * A key is usable by the client as soon as our next control packet reaches
 * it (the key method 2 reply, or the ack that ends a renegotiation), so no
 * packet may leave before the data plane has installed the keys queued
 * before it: the command ring goes to the main lcore, the packets straight
 * out through a worker. Outputs after a PEER_NEW / KEY_NEW wait here (in
 * order, about a millisecond) until the data plane has run those commands.
 */
static bool fenced(const struct cp *cp)
{
	return cp->held != NULL || cp->backlog != NULL ||
	       !cp_dp_executed(&cp->dp, cp->fence);
}

static void hold(struct cp *cp, struct cp_out *o)
{
	o->next = NULL;
	if (cp->held_tail != NULL)
		cp->held_tail->next = o;
	else
		cp->held = o;
	cp->held_tail = o;
}

/* Held outputs first (they are older), then the new ones. */
static struct cp_out *take_outputs(struct cp *cp)
{
	struct cp_out *o = cp_out_take_all(&cp->ctx), *head = cp->held;

	if (head == NULL)
		return o;
	cp->held_tail->next = o;
	cp->held = cp->held_tail = NULL;
	return head;
}

/* FORCE: at shutdown, send what is held without waiting. */
static void drain_outputs(struct cp *cp, bool force)
{
	struct cp_out *o = take_outputs(cp), *next;

	for (; o != NULL; o = next) {
		next = o->next;
		if (!force && fenced(cp)) {
			for (; o != NULL; o = next) {
				next = o->next;
				hold(cp, o);
			}
			break;
		}
		switch (o->type) {
		case CP_OUT_PKT:
			packet_send(cp, o->pkt);
			break;
		case CP_OUT_CMD:
			adopted_replace(cp, &o->cmd);
			if (o->cmd.type == SL_CMD_PEER_NEW || o->cmd.type == SL_CMD_KEY_NEW) {
				cmd_send(cp, o);	/* takes o */
				cp->fence = cp->dp.sent;
				continue;
			}
			cmd_send(cp, o);
			continue;
		case CP_OUT_END:
			session_ended(cp, o);
			break;
		}
		cp_out_free(o);
	}
}

/* ---- packets in ---- */

static void session_start(struct cp *cp, struct cp_pkt *p, const struct cp_admit_ok *ok,
			  struct cp_session *old, uint64_t now)
{
	struct cp_ctx *ctx = &cp->ctx;
	struct cp_session *s = NULL;

	if (atomic_load(&ctx->half_open) >= cp->cfg->ctl.max_half_open)
		cp_count(ctx, CP_ST_DROP_HALF_OPEN);
	else if (atomic_load(&ctx->n_sessions) >= cp->cfg->vpn.max_clients + 16)
		cp_count(ctx, CP_ST_DROP_FULL);	/* a few spare for replacements */
	else if (!cp_admit_rate_ok(cp->admit, &p->peer.addr, wall_s(cp, now)))
		cp_count(ctx, CP_ST_DROP_RATE);
	else
		s = cp_session_new(ctx, ok, now);
	if (s == NULL) {
		free(p);
		return;
	}
	if (old != NULL && old->adopted) {
		/* Its client gave up on the TLS session we lost: start over. */
		cp_ctrl_end_adopted(cp, old, CP_END_REPLACED);
	} else if (old != NULL) {
		/* A client restarted from the same address: the old session goes. */
		table_del(cp, old);
		cp_session_signal(old, CP_SIG_REPLACED);
		cp_work_schedule(ctx, old);
	}
	table_add(cp, s);
	cp_count(ctx, CP_ST_SESSIONS);
	if (cp_session_post(ctx, s, p))
		cp_work_schedule(ctx, s);
}

static void admit(struct cp *cp, struct cp_pkt *p, struct cp_session *old, uint64_t now)
{
	struct cp_admit_ok ok = { 0 };
	struct cp_pkt *reply = NULL;

	switch (cp_admit_packet(cp->admit, p, wall_s(cp, now), &reply, &ok)) {
	case CP_ADMIT_REPLY:
		packet_send(cp, reply);
		free(reply);
		break;
	case CP_ADMIT_NEW:
		session_start(cp, p, &ok, old, now);
		p = NULL;
		break;
	default:
		break;
	}
	OPENSSL_cleanse(&ok, sizeof(ok));	/* the tls-crypt-v2 client key */
	free(p);
}

static void dispatch(struct cp *cp, struct cp_pkt *p, uint64_t now)
{
	struct cp_session *s = table_find(cp, &p->peer);

	/* peer_sid is fixed at creation: safe to read here. An adopted session
	 * has none (its TLS peer is gone): its client's packets go to
	 * admission, where only a new hard reset gets anywhere. */
	if (s != NULL && !s->adopted &&
	    memcmp(p->data + 1, s->p.peer_sid, OVPN_SID_LEN) == 0) {
		if (cp_session_post(&cp->ctx, s, p))
			cp_work_schedule(&cp->ctx, s);
		return;
	}
	admit(cp, p, s, now);
}

static void input(struct cp *cp, struct rte_mbuf *m, uint64_t now)
{
	const struct sl_cp_meta *meta = rte_mbuf_to_priv(m);
	struct cp_pkt *p = NULL;

	if (meta->payload_len > OVPN_CTRL_HDR_LEN && meta->payload_len <= CP_PKT_MAX &&
	    (uint32_t)meta->payload_off + meta->payload_len <= rte_pktmbuf_data_len(m))
		p = cp_pkt_new(rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->payload_off),
			       meta->payload_len, &meta->peer, meta->mac);
	else
		cp_count(&cp->ctx, CP_ST_DROP_SHORT);
	rte_pktmbuf_free(m);
	if (p != NULL)
		dispatch(cp, p, now);
}

static void poll_packets(struct cp *cp, uint64_t now)
{
	struct rte_mbuf *pkts[CP_RX_BURST];
	unsigned n = rte_ring_dequeue_burst(cp->dp.cp_rx, (void **)pkts, CP_RX_BURST, NULL);

	cp->dp.ctrl_pkts_in += n;
	for (unsigned i = 0; i < n; i++) {
		cp_count(&cp->ctx, CP_ST_PKTS_IN);
		input(cp, pkts[i], now);
	}
}

/* ---- data-plane events ---- */

static void float_to(struct cp *cp, struct cp_session *s, const struct sl_endpoint *to)
{
	char a[SL_ENDPOINT_STRLEN];

	if (!s->in_table || table_find(cp, to) != NULL)
		return;
	unhash(cp, s);
	pthread_mutex_lock(&s->lock);
	s->peer = *to;
	pthread_mutex_unlock(&s->lock);
	s->hnext = cp->table[bucket(to)];
	cp->table[bucket(to)] = s;
	SL_INFO("float: %s (%s) now at %s", s->info.cn, s->p.addr,
		sl_endpoint_str(to, a, sizeof(a)));
}

/* Events for an adopted session: only a float keeps it. */
static void adopted_event(struct cp *cp, struct cp_session *s, const struct sl_event *e)
{
	switch (e->type) {
	case SL_EVT_PEER_FLOAT:
		float_to(cp, s, &e->remote);
		break;
	case SL_EVT_PEER_IDLE:
		cp_ctrl_end_adopted(cp, s, CP_END_IDLE);
		break;
	case SL_EVT_PEER_EXIT:
		cp_ctrl_end_adopted(cp, s, CP_END_EXIT);
		break;
	case SL_EVT_KEY_EXHAUSTED:
		SL_WARN("%s (%s): packet-ids running out and no TLS state to rekey with "
			"(adopted session): ending it, the client reconnects", s->p.user, s->p.addr);
		cp_ctrl_end_adopted(cp, s, CP_END_ERROR);
		break;
	default:
		break;
	}
}

static void on_event(void *arg, const struct sl_event *e)
{
	static const unsigned sig[SL_EVT_MAX] = {
		[SL_EVT_PEER_IDLE] = CP_SIG_IDLE, [SL_EVT_PEER_EXIT] = CP_SIG_EXIT,
		[SL_EVT_KEY_EXHAUSTED] = CP_SIG_REKEY,
	};
	struct cp *cp = arg;
	struct cp_session *s = cp_pool_session(cp->ctx.pool, e->peer_id);

	if (s != NULL && s->adopted && e->type != SL_EVT_RESULT) {
		adopted_event(cp, s, e);
		return;
	}
	if (e->type == SL_EVT_RESULT && e->result != 0 && e->cmd_type != SL_CMD_NOP) {
		SL_WARN("data plane refused command %u (type %u) for peer %u: %s", e->seq,
			e->cmd_type, e->peer_id, strerror(-e->result));
		if (s != NULL && !s->adopted && e->cmd_type != SL_CMD_PEER_DEL &&
		    e->cmd_type != SL_CMD_KEY_DEL)
			cp_session_signal(s, CP_SIG_ERROR);
	} else if (s != NULL && e->type == SL_EVT_RESULT && e->cmd_type == SL_CMD_PEER_NEW) {
		/* Its traffic counters are now the session's (reneg_bytes/pkts). */
		cp_session_signal(s, CP_SIG_PEER_UP);
		return;
	} else if (s != NULL && e->type == SL_EVT_PEER_FLOAT) {
		float_to(cp, s, &e->remote);
		return;
	} else if (s != NULL && e->type < SL_EVT_MAX && sig[e->type] != 0) {
		cp_session_signal(s, sig[e->type]);
	} else {
		return;
	}
	if (s != NULL && !s->adopted)
		cp_work_schedule(&cp->ctx, s);
}

/* ---- timers ---- */

static void timers(struct cp *cp, uint64_t now)
{
	char err[256];
	int rc;

	if (now >= cp->next_timer_ms) {
		cp->next_timer_ms = now + CP_TIMER_MS;
		for (struct cp_session *s = cp->all; s != NULL; s = s->next)
			if (atomic_load(&s->due_ms) <= now)
				cp_work_schedule(&cp->ctx, s);
	}
	if (now >= cp->next_crl_ms) {
		cp->next_crl_ms = now + CP_CRL_CHECK_MS;
		rc = cp_tls_reload(cp->ctx.tls, err, sizeof(err));
		if (rc > 0)
			SL_INFO("pki.crl %s changed: reloaded", cp->cfg->pki.crl);
		else if (rc < 0)
			SL_WARN("pki.crl reload failed, keeping the previous one: %s", err);
	}
}

void cp_ctrl_poll(struct cp *cp)
{
	uint64_t now = cp_now_ms();

	backlog_flush(cp);
	poll_packets(cp, now);
	cp_dp_poll(&cp->dp);
	drain_outputs(cp, false);
	timers(cp, now);
}

/* ---- start and stop ---- */

/* One peer left by a crashed control plane: a session, or removed. */
static bool adopt_one(struct cp *cp, uint32_t peer_id, const struct sl_peer_stats *live)
{
	struct sl_peer_stats ps;
	struct cp_session *s;
	char vpn[SL_ADDR_STRLEN];
	int rc;

	/* Acquire pairs with the data plane's release of in_use at PEER_NEW. */
	if (!__atomic_load_n(&live->in_use, __ATOMIC_ACQUIRE))
		return false;
	memcpy(&ps, live, sizeof(ps));
	rc = cp_adopt_session(&cp->ctx, peer_id, &ps, &s);
	if (rc != 0) {
		SL_WARN("peer %u (%s, vpn %s) left by a previous control plane cannot be "
			"adopted (%s): removed", peer_id, ps.name,
			sl_addr_str(&ps.vpn, vpn, sizeof(vpn)), strerror(-rc));
		peer_del(cp, peer_id, SL_DEL_TEARDOWN);
		return false;
	}
	table_add(cp, s);
	SL_INFO("adopt: user %s cn %s from %s vpn %s peer-id %u cipher %s (no TLS state: "
		"ends at its next renegotiation, idle or kill)", s->p.user,
		s->p.cn[0] ? s->p.cn : "-", s->p.addr, cfg_ip_str(s->p.vpn_ip, vpn, sizeof(vpn)), peer_id,
		s->p.cipher);
	return true;
}

/*
 * Peers a crashed control plane left behind keep forwarding: adopt them
 * (cp_adopt.c) so that they are listed, can be killed, and keep their
 * peer-id and address until they end.
 */
static void adopt_orphans(struct cp *cp)
{
	const struct sl_status *st = cp->dp.status;
	unsigned n = 0;

	for (uint32_t i = 0; st->peers != NULL && i < st->max_peers; i++)
		n += adopt_one(cp, i, &st->peers[i]);
	if (n > 0)
		SL_WARN("adopted %u data-plane peer(s) left by a previous control plane", n);
}

static int join_ciphers(const struct cfg_vpn *v, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < v->n_ciphers; i++) {
		struct ovpn_kdf_cipher c;

		/* The data plane runs AEAD ciphers only. */
		if (ovpn_kdf_cipher_lookup(v->data_ciphers[i], NULL, &c) != 0 || !c.aead)
			continue;
		used += (size_t)snprintf(out + used, len - used, "%s%s", used ? ":" : "",
					 v->data_ciphers[i]);
	}
	return used > 0 && used < len ? 0 : -EINVAL;
}

static int ctx_open(struct cp *cp, char *err, size_t len)
{
	struct cp_ctx *ctx = &cp->ctx;
	const struct sl_config *cfg = cp->cfg;

	if (join_ciphers(&cfg->vpn, ctx->data_ciphers, sizeof(ctx->data_ciphers)) != 0) {
		snprintf(err, len, "vpn.data_ciphers: no AEAD cipher the data plane can run");
		return -EINVAL;
	}
	ctx->tls = cp_tls_new(&cfg->pki, err, len);
	if (ctx->tls == NULL)
		return -EINVAL;
	ctx->keys = cp_keys_load(&cfg->pki, err, len);
	if (ctx->keys == NULL)
		return -EINVAL;
	ctx->pool = cp_pool_new(&cfg->vpn.pool, cfg->vpn.max_clients);
	if (ctx->pool == NULL) {
		snprintf(err, len, "vpn.pool: cannot make the address pool");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < cfg->vpn.n_statics; i++)
		if (cp_pool_fix(ctx->pool, cfg->vpn.statics[i].name, cfg->vpn.statics[i].addr) != 0) {
			snprintf(err, len, "vpn.static_addresses[%u]: cannot reserve it", i);
			return -EINVAL;
		}
	if (cfg->pki.auth_user_pass) {
		ctx->users = cp_users_open(cfg->user_store, err, len);
		if (ctx->users == NULL)
			return -EINVAL;
	}
	cp->admit = cp_admit_new(ctx);
	if (cp->admit == NULL) {
		snprintf(err, len, "admission contexts: out of memory or crypto failure");
		return -ENOMEM;
	}
	return 0;
}

int cp_ctrl_init(struct cp *cp)
{
	struct cp_ctx *ctx = &cp->ctx;
	char err[512];

	ctx->cfg = cp->cfg;
	ctx->now_ms = cp_now_ms;
	ctx->peers = cp->dp.status->peers;
	ctx->max_peers = cp->dp.status->max_peers;
	ctx->wall_offset = (int64_t)time(NULL) - (int64_t)(cp_now_ms() / 1000);
	pthread_mutex_init(&ctx->out_lock, NULL);
	if (ctx_open(cp, err, sizeof(err)) != 0) {
		SL_ERR("%s", err);
		cp_ctrl_fini(cp);
		return -1;
	}
	ctx->work = cp_work_start(ctx, cp->cfg->ctl.tls_workers);
	if (ctx->work == NULL) {
		SL_ERR("cannot start the TLS worker threads");
		cp_ctrl_fini(cp);
		return -1;
	}
	cp->dp.on_event = on_event;
	cp->dp.event_arg = cp;
	adopt_orphans(cp);
	SL_INFO("control channel: UDP %u, wrapping %s, %u TLS workers, data ciphers %s",
		cp->cfg->vpn.listen_port,
		(const char *[]){ "none", "tls-auth", "tls-crypt", "tls-crypt-v2" }
			[cp_keys_mode(ctx->keys)],
		cp->cfg->ctl.tls_workers, ctx->data_ciphers);
	return 0;
}

/* Workers stopped: end what is left from here, then wait briefly for sl_cmd. */
static void end_all(struct cp *cp)
{
	struct cp_session *s;

	while ((s = cp->all) != NULL) {
		struct cp_out o = { .type = CP_OUT_END, .s = s, .reason = CP_END_SHUTDOWN,
				    .peer_id = UINT32_MAX, .vpn_ip = s->p.vpn_ip };

		if (s->p.peer_id != UINT32_MAX)
			o.peer_id = s->p.installed ? s->p.peer_id : s->p.peer_id | CP_PEER_UNINSTALLED;
		cp_session_ref(s);
		if (!s->p.end_posted)
			session_ended(cp, &o);
		else
			table_del(cp, s);
		cp_session_unref(s);
	}
	for (int i = 0; i < 100 && cp->backlog != NULL; i++) {
		backlog_flush(cp);
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

void cp_ctrl_fini(struct cp *cp)
{
	struct cp_ctx *ctx = &cp->ctx;
	struct cp_out *o, *next;

	cp_work_stop(ctx->work);
	ctx->work = NULL;
	if (ctx->pool != NULL) {
		drain_outputs(cp, true);
		end_all(cp);
	}
	for (o = cp->backlog; o != NULL; o = next) {
		next = o->next;
		cp_out_free(o);
	}
	cp->backlog = cp->backlog_tail = NULL;
	cp_admit_free(cp->admit);
	cp_users_free(ctx->users);
	cp_pool_free(ctx->pool);
	cp_keys_free(ctx->keys);
	cp_tls_free(ctx->tls);
	cp->admit = NULL;
	ctx->users = NULL;
	ctx->pool = NULL;
	ctx->keys = NULL;
	ctx->tls = NULL;
	pthread_mutex_destroy(&ctx->out_lock);
}
