/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The event loop: control packets from sl_cp_rx are dispatched by client
 * endpoint and session id to their session (cp_table.c), or to admission
 * (cp_admit.c); outputs of the TLS workers become packets on sl_cp_tx and
 * commands on sl_cmd; data-plane events reach their session; timers wake
 * sessions. Nothing here waits: a full ring is counted (packets) or a
 * short backlog (commands, which must not be lost). Sessions adopted from
 * a previous control plane have no worker: cp_adopt.c decides for them.
 *
 * Packets out are the OpenVPN packet alone in the mbuf; struct sl_cp_meta
 * names the client's endpoint and the next hop (the source MAC of its
 * packets), and the data plane adds the outer headers.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "cp_admit.h"
#include "cp_adopt.h"
#include "cp_float.h"
#include "cp_loop.h"
#include "cp_out.h"
#include "cp_pool.h"
#include "cp_tcp.h"
#include "cp_tls.h"
#include "cp_users.h"
#include "cp_work.h"
#include "cp_wrapkeys.h"
#include "sl_log.h"

#define CP_TIMER_MS		10	/* session timer scan */
#define CP_CRL_CHECK_MS		1000
#define CP_RX_BURST		32
#define CP_FENCE_NAP_US		20	/* between looks at the data plane's progress */
#define CP_FENCE_WAIT_US	500	/* then the outputs wait for the next tick */

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t cp_now_ms(void)
{
	return now_us() / 1000;
}

static uint64_t wall_s(const struct cp *cp, uint64_t now)
{
	return (uint64_t)((int64_t)(now / 1000) + cp->ctx.wall_offset);
}

/* ---- packets and commands out ---- */

/*
 * The data plane builds the outer headers (its own builder, the same as for
 * data packets): we hand it the OpenVPN packet, the destination and the
 * next hop we saw the client's packets come from.
 */
static void packet_send(struct cp *cp, const struct cp_pkt *p)
{
	struct rte_mbuf *m;
	uint8_t *b;
	struct sl_cp_meta *meta;

	if (p->peer.transport == SL_TRANSPORT_TCP) {	/* written on its connection */
		cp_tcp_send(cp->tcp, &p->peer, p->data, p->len);
		cp_count(&cp->ctx, CP_ST_PKTS_OUT);
		return;
	}
	m = rte_pktmbuf_alloc(cp->dp.pool);
	b = m ? (uint8_t *)rte_pktmbuf_append(m, p->len) : NULL;
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
	cp_out_append(&cp->backlog, &cp->backlog_tail, o);
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

void cp_loop_peer_del(struct cp *cp, uint32_t peer_id, uint8_t reason)
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
	char who[CP_WHO_MAX];

	pthread_mutex_lock(&s->lock);
	i = s->info;
	pthread_mutex_unlock(&s->lock);
	if (peer_id < st->max_peers && st->peers != NULL) {
		in = st->peers[peer_id].rx_bytes;
		out = st->peers[peer_id].tx_bytes;
	}
	SL_INFO("disconnect: %s: %s (%lus, in %lu out %lu bytes)",
		cp_who(i.user, i.cn, s->p.addr, who, sizeof(who)), cp_end_name(why),
		(unsigned long)(i.since ? now - i.since : 0), (unsigned long)in,
		(unsigned long)out);
}

static void session_ended(struct cp *cp, struct cp_out *o)
{
	uint32_t peer_id = o->peer_id & ~CP_PEER_UNINSTALLED;

	log_end(cp, o->s, o->reason, o->peer_id);
	if (!(o->peer_id & CP_PEER_UNINSTALLED) && o->peer_id != UINT32_MAX)
		cp_loop_peer_del(cp, o->peer_id, del_reason(o->reason));
	if (o->peer_id != UINT32_MAX)
		cp_pool_release(cp->ctx.pool, peer_id, o->vpn_ip);
	atomic_fetch_sub(&cp->ctx.n_sessions, 1);
	cp_table_del(&cp->sessions, o->s);
}

void cp_loop_end(struct cp *cp, struct cp_session *s, enum cp_end why)
{
	struct cp_out o = { 0 };

	cp_out_end_init(&o, s, why);
	cp_session_ref(s);	/* session_ended drops the table's */
	session_ended(cp, &o);
	cp_session_unref(s);
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
				cp_out_append(&cp->held, &cp->held_tail, o);
			}
			break;
		}
		switch (o->type) {
		case CP_OUT_PKT:
			packet_send(cp, o->pkt);
			break;
		case CP_OUT_CMD:
			cp_adopt_replace(cp, &o->cmd);
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

/*
 * Outputs held behind a fence used to wait for the next tick, and the data
 * plane's main lcore for its next poll: two waits of up to a tick in every
 * handshake. The main lcore is now woken by each command (cp_dp_send) and
 * runs it in microseconds, so we nap briefly (it shares our core: no
 * spinning) and send the held outputs as soon as it has, for at most
 * CP_FENCE_WAIT_US; a data plane slower than that leaves them to the ticks.
 * A full command ring (backlog) is left to the ticks too.
 */
static void fence_pass(struct cp *cp)
{
	struct timespec nap = { 0, CP_FENCE_NAP_US * 1000 };
	uint64_t end = now_us() + CP_FENCE_WAIT_US;

	while (cp->held != NULL && cp->backlog == NULL && now_us() < end) {
		if (cp_dp_executed(&cp->dp, cp->fence))
			drain_outputs(cp, false);
		else
			nanosleep(&nap, NULL);
	}
}

/* ---- packets in ---- */

static void session_start(struct cp *cp, struct cp_pkt *p, const struct cp_admit_ok *ok,
			  struct cp_session *old, uint64_t now)
{
	struct cp_ctx *ctx = &cp->ctx;
	struct cp_session *s = cp_admit_session(cp->admit, ok, wall_s(cp, now), now);

	if (s == NULL) {
		free(p);
		return;
	}
	if (old != NULL)
		cp_float_replace(cp, old);	/* its client started over */
	cp_table_add(&cp->sessions, s);
	if (cp_session_post(ctx, s, p))
		cp_work_schedule(ctx, s);
}

static void admit(struct cp *cp, struct cp_pkt *p, struct cp_session *old, uint64_t now)
{
	struct cp_admit_ok ok = { 0 };
	struct cp_pkt *reply = NULL;

	switch (cp_admit_packet(cp->admit, p, old, wall_s(cp, now), &reply, &ok)) {
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
	struct cp_session *s = cp_table_find(&cp->sessions, &p->peer);

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

void cp_loop_packet(struct cp *cp, const uint8_t *d, size_t len, const struct sl_endpoint *from,
		    const uint8_t mac[6], uint64_t now)
{
	struct cp_pkt *p = NULL;

	if (len > OVPN_CTRL_HDR_LEN && len <= CP_PKT_MAX)
		p = cp_pkt_new(d, len, from, mac);
	else
		cp_count(&cp->ctx, CP_ST_DROP_SHORT);
	if (p != NULL)
		dispatch(cp, p, now);
}

static void input(struct cp *cp, struct rte_mbuf *m, uint64_t now)
{
	const struct sl_cp_meta *meta = rte_mbuf_to_priv(m);

	/* A TCP peer's encrypted packet, for its connection (cp_tcp.h). */
	if (meta->peer.transport == SL_TRANSPORT_TCP) {
		cp_tcp_from_dp(cp->tcp, m);
		return;
	}
	if ((uint32_t)meta->payload_off + meta->payload_len <= rte_pktmbuf_data_len(m))
		cp_loop_packet(cp, rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->payload_off),
			       meta->payload_len, &meta->peer, meta->mac, now);
	else
		cp_count(&cp->ctx, CP_ST_DROP_SHORT);
	rte_pktmbuf_free(m);
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

/* Critical events stay pending in the data plane until acknowledged. */
static void event_ack(struct cp *cp, const struct sl_event *e)
{
	struct cp_out *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return;	/* raised again in a second */
	o->type = CP_OUT_CMD;
	o->cmd.type = SL_CMD_EVT_ACK;
	o->cmd.peer_id = e->peer_id;
	o->cmd.u.ack.type = e->type;
	o->cmd.u.ack.seq = e->seq;
	cmd_send(cp, o);
}

static void result(struct cp *cp, struct cp_session *s, const struct sl_event *e)
{
	if (e->result != 0 && e->cmd_type != SL_CMD_NOP && e->cmd_type != SL_CMD_EVT_ACK) {
		SL_WARN("data plane refused command %u (type %u) for peer %u: %s", e->seq,
			e->cmd_type, e->peer_id, strerror(-e->result));
		if (s != NULL && !s->adopted && e->cmd_type != SL_CMD_PEER_DEL &&
		    e->cmd_type != SL_CMD_KEY_DEL)
			cp_work_wake(&cp->ctx, s, CP_SIG_ERROR);
	} else if (s != NULL && e->cmd_type == SL_CMD_PEER_NEW) {
		/* Its traffic counters are now the session's (reneg_bytes/pkts). */
		cp_session_signal(s, CP_SIG_PEER_UP);
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

	if (e->type != SL_EVT_RESULT && e->seq != 0)
		event_ack(cp, e);
	if (e->type == SL_EVT_RESULT)
		result(cp, s, e);
	else if (s != NULL && e->type == SL_EVT_PEER_FLOAT)
		cp_float_to(cp, s, &e->remote);
	else if (s != NULL && s->adopted)
		cp_adopt_event(cp, s, e);
	else if (s != NULL && e->type < SL_EVT_MAX && sig[e->type] != 0)
		cp_work_wake(&cp->ctx, s, sig[e->type]);
}

/* ---- timers ---- */

/*
 * A new CRL also ends the live sessions it revokes: a TLS context swap
 * alone reaches only new key states, and a client that never renegotiates
 * would keep its key. Each session's certificate serial and issuer were
 * kept at its TLS handshake (s->cert); adopted ones have none
 * (cp_adopt_recheck).
 */
static void crl_check(struct cp *cp)
{
	struct cp_session *s, *next;
	enum cp_end why;

	for (s = cp->sessions.all; s != NULL; s = next) {
		next = s->next;
		if (s->adopted) {
			why = cp_adopt_recheck(&cp->ctx, s, true);
			if (why != CP_END_NONE)
				cp_adopt_end(cp, s, why);
		} else if (cp_session_revoked(&cp->ctx, s)) {
			cp_work_wake(&cp->ctx, s, CP_SIG_REVOKED);
		}
	}
}

/*
 * A user store change ends the live sessions whose verified username is
 * no longer in it, or whose password hash changed (their cached
 * credential digest would otherwise keep answering renegotiations), the
 * way a CRL change ends revoked ones. OLD is the store they were checked
 * against.
 */
static void users_check(struct cp *cp, const struct cp_users *old)
{
	struct cp_session *s, *next;
	enum cp_end why;
	unsigned sig;

	for (s = cp->sessions.all; s != NULL; s = next) {
		next = s->next;
		if (s->adopted) {
			why = cp_adopt_recheck(&cp->ctx, s, false);
			if (why != CP_END_NONE)
				cp_adopt_end(cp, s, why);
		} else if ((sig = cp_ctx_user_gone(&cp->ctx, old, s)) != 0) {
			cp_work_wake(&cp->ctx, s, sig);
		}
	}
}

static void users_reload(struct cp *cp)
{
	struct cp_users *old;
	char err[256];
	int rc;

	if (cp->ctx.users == NULL)
		return;
	rc = cp_ctx_users_reload(&cp->ctx, &old, err, sizeof(err));
	if (rc > 0) {
		SL_INFO("users.store %s changed: reloaded", cp->cfg->user_store);
		users_check(cp, old);
		cp_users_free(old);
	} else if (rc < 0) {
		SL_WARN("users.store reload failed, keeping the previous one: %s", err);
	}
}

static void timers(struct cp *cp, uint64_t now)
{
	char err[256];
	int rc;

	if (now >= cp->next_timer_ms) {
		cp->next_timer_ms = now + CP_TIMER_MS;
		for (struct cp_session *s = cp->sessions.all; s != NULL; s = s->next)
			if (atomic_load(&s->due_ms) <= now)
				cp_work_schedule(&cp->ctx, s);
	}
	if (now >= cp->next_crl_ms) {
		cp->next_crl_ms = now + CP_CRL_CHECK_MS;
		rc = cp_tls_reload(cp->ctx.tls, err, sizeof(err));
		if (rc > 0) {
			SL_INFO("pki.crl %s changed: reloaded", cp->cfg->pki.crl);
			crl_check(cp);
		} else if (rc < 0)
			SL_WARN("pki.crl reload failed, keeping the previous one: %s", err);
		users_reload(cp);
	}
}

void cp_loop_poll(struct cp *cp)
{
	uint64_t now = cp_now_ms();

	backlog_flush(cp);
	poll_packets(cp, now);
	cp_tcp_poll(cp->tcp, now);
	cp_dp_poll(&cp->dp);
	drain_outputs(cp, false);
	fence_pass(cp);
	timers(cp, now);
}

int cp_loop_wake_fd(const struct cp *cp)
{
	return cp_work_fd(cp->ctx.work);
}

void cp_loop_wake_clear(struct cp *cp)
{
	cp_work_fd_clear(cp->ctx.work);
}

/* ---- start and stop ---- */

/* A CPU set as a list of ranges ("0-3,6"), "-" when empty. */
static const char *cpus_str(const cpu_set_t *s, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && n < len; c++) {
		int last = c;

		if (!CPU_ISSET(c, s))
			continue;
		while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, s))
			last++;
		n += (size_t)snprintf(buf + n, len - n, last > c ? "%s%d-%d" : "%s%d",
				      n ? "," : "", c, last);
		c = last;
	}
	return buf[0] ? buf : "-";
}

/* The TLS workers onto control.tls_cpus, or the process's CPUs less the
 * data plane's workers (cp_work_cpus); where they run is logged with the
 * control channel. */
static void work_pin(struct cp *cp, char *buf, size_t len)
{
	cpu_set_t cpus;
	int rc;

	if (CPU_COUNT(&cp->start_cpus) == 0 ||
	    pthread_getaffinity_np(pthread_self(), sizeof(cpus), &cpus) != 0) {
		snprintf(buf, len, "?");
		return;
	}
	cpus_str(&cpus, buf, len);	/* where they are: the main lcore's */
	cp_work_cpus(&cp->start_cpus, cp->cfg, &cpus);
	rc = cp_work_pin(cp->ctx.work, &cpus);
	if (rc == 0)
		cpus_str(&cpus, buf, len);
	else
		SL_WARN("cannot move the TLS workers off the main lcore: %s", strerror(-rc));
}

int cp_loop_init(struct cp *cp)
{
	struct cp_ctx *ctx = &cp->ctx;
	char err[512], cpus[256];

	ctx->now_ms = cp_now_ms;
	ctx->peers = cp->dp.status->peers;
	ctx->max_peers = cp->dp.status->max_peers;
	ctx->wall_offset = (int64_t)time(NULL) - (int64_t)(cp_now_ms() / 1000);
	if (cp_ctx_open(ctx, cp->cfg, err, sizeof(err)) != 0) {
		SL_ERR("%s", err);
		cp_loop_fini(cp);
		return -1;
	}
	cp->admit = cp_admit_new(ctx);
	if (cp->admit == NULL) {
		SL_ERR("admission contexts: out of memory or crypto failure");
		cp_loop_fini(cp);
		return -1;
	}
	ctx->work = cp_work_start(ctx, cp->cfg->ctl.tls_workers);
	if (ctx->work == NULL) {
		SL_ERR("cannot start the TLS worker threads");
		cp_loop_fini(cp);
		return -1;
	}
	work_pin(cp, cpus, sizeof(cpus));
	/* The TLS workers' eventfd wakes the loop for control packets too. */
	if (cp_dp_watch_start(&cp->dp, cp_work_fd(ctx->work)) != 0)
		SL_WARN("no control-packet watcher: control packets wait for the loop's tick");
	if (cp_tcp_open(cp, &cp->tcp, err, sizeof(err)) != 0) {
		SL_ERR("%s", err);
		cp_loop_fini(cp);
		return -1;
	}
	cp->dp.on_event = on_event;
	cp->dp.event_arg = cp;
	cp_adopt_orphans(cp);
	SL_INFO("control channel: UDP %u, wrapping %s, %u TLS workers on CPUs %s, "
		"data ciphers %s", cp->cfg->vpn.listen_port, cp_wrapkeys_mode_name(ctx->keys),
		cp->cfg->ctl.tls_workers, cpus, ctx->data_ciphers);
	return 0;
}

/* Workers stopped: end what is left from here, then wait briefly for sl_cmd. */
static void end_all(struct cp *cp)
{
	struct cp_session *s;

	while ((s = cp->sessions.all) != NULL) {
		if (!s->p.end_posted)
			cp_loop_end(cp, s, CP_END_SHUTDOWN);
		else
			cp_table_del(&cp->sessions, s);
	}
	for (int i = 0; i < 100 && cp->backlog != NULL; i++) {
		backlog_flush(cp);
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

void cp_loop_fini(struct cp *cp)
{
	struct cp_ctx *ctx = &cp->ctx;
	struct cp_out *o, *next;

	cp_dp_watch_stop(&cp->dp);	/* it writes to the workers' eventfd */
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
	cp->admit = NULL;
	cp_tcp_close(cp->tcp);
	cp->tcp = NULL;
	cp_ctx_close(ctx);
}
