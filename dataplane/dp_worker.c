/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop. Per iteration:
 *   1. each port: RX burst -> dp_input_burst() (dp_input.c) sorts it into
 *      replies, control packets, data to decrypt and packets to encrypt;
 *   2. packets of peers this worker owns run through the stages here
 *      (dp_forward_burst, dp_reverse_burst); the others go to the owner's
 *      handoff ring, one burst per owner (dp_handoff_split);
 *   3. the handoff rings, the control plane's sl_cp_tx (dp_cp.c), the held
 *      frames (dp_route.c) and the keepalive scan (dp_keepalive.c) add
 *      theirs;
 *   4. the TX lists go out (dp_tx_flush), then one QSBR quiescent report.
 * Every stage and every helper that sends puts frames on the worker's TX
 * lists (dp_tx_push), so every transmit path counts its tx-full drops in
 * one place. Busy and idle cycles are counted per poll (dp_cycles.h): a
 * poll that found work is busy from its call to the end of the work it led
 * to (lost if that took over a millisecond: the worker was preempted),
 * empty polls and the gaps between polls are idle, so `sluicectl status`
 * shows what the packets cost, not what spinning over empty ports or
 * sharing the core costs. With dataplane.idle_sleep_us set, a worker in an
 * idle spell (DP_IDLE_SPELL empty passes in a row) sleeps that long after
 * each pass, so on a small machine its core serves other threads (the
 * control plane's TLS workers, control.tls_cpus) while no packets come;
 * the first packet after the spell waits up to that long
 * (docs/operations.md).
 */
#include <sys/prctl.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>

#include "dp_cycles.h"
#include "dp_exc.h"
#include "dp_pkt.h"

void dp_tx_flush(struct dp_worker *w, int port)
{
	struct dp_txq *q = &w->tx[port];
	uint16_t sent;

	if (q->n == 0)
		return;
	sent = rte_eth_tx_burst(w->dp->port[port].port_id, w->index, q->pkts, q->n);
	w->stats->tx_pkts += sent;
	if (unlikely(sent < q->n))
		dp_drop_burst(w->stats, q->pkts + sent, q->n - sent, SL_DROP_TX_FULL);
	q->n = 0;
}

void dp_burst_emit(struct dp_worker *w, struct dp_burst *b, int port)
{
	struct dp_txq *q = &w->tx[port];

	if (unlikely(q->n + b->n > DP_TXQ_MAX))
		dp_tx_flush(w, port);
	for (uint16_t i = 0; i < b->n; i++) {
		if (likely(b->v[i] == DP_V_OK)) {
			q->pkts[q->n++] = b->pkts[i];
			continue;
		}
		if (b->v[i] == DP_V_DONE)
			rte_pktmbuf_free(b->pkts[i]);
		else if (b->v[i] != DP_V_HELD)	/* held: waits in w->pending */
			dp_drop(w, b->pkts[i], b->v[i]);
	}
}

/* Public -> private, on the owner of every packet's peer. */
void dp_forward_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct dp_burst b;

	if (n == 0)
		return;
	dp_burst_init(&b, pkts, n);
	dp_decrypt_stage(w, &b);		/* peer, open, replay, inner checks */
	dp_rules_stage(w, &b, DP_DIR_FORWARD);	/* access rules go here */
	dp_route_stage(w, &b);			/* next hop, Ethernet header */
	dp_burst_emit(w, &b, CFG_PORT_PRIVATE);
}

/* Private -> public, on the owner of every packet's peer (found by the LPM). */
void dp_reverse_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct dp_burst b;

	if (n == 0)
		return;
	dp_burst_init(&b, pkts, n);
	dp_encrypt_check_stage(w, &b);		/* peer, inner length */
	dp_rules_stage(w, &b, DP_DIR_REVERSE);	/* access rules go here */
	dp_encrypt_stage(w, &b);		/* MTU, seal, outer headers */
	dp_burst_emit(w, &b, CFG_PORT_PUBLIC);
}

uint16_t dp_handoff_split(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n,
			  struct rte_ring **rings)
{
	struct rte_mbuf *batch[DP_BURST_MAX];
	uint16_t owners[DP_BURST_MAX], kept = 0;
	unsigned nw = w->dp->n_workers;

	for (uint16_t i = 0; i < n; i++)
		owners[i] = (uint16_t)(dp_meta(pkts[i])->peer_id % nw);
	for (uint16_t i = 0; i < n; i++) {
		uint16_t o = owners[i], nb = 0;
		unsigned done;

		if (pkts[i] == NULL)
			continue;
		if (o == w->index) {
			pkts[kept++] = pkts[i];
			continue;
		}
		for (uint16_t j = i; j < n; j++)
			if (pkts[j] != NULL && owners[j] == o) {
				batch[nb++] = pkts[j];
				if (j != i)
					pkts[j] = NULL;
			}
		done = rte_ring_enqueue_burst(rings[o], (void **)batch, nb, NULL);
		if (unlikely(done < nb))
			dp_drop_burst(w->stats, batch + done, nb - done, SL_DROP_HANDOFF_FULL);
	}
	return kept;
}

static uint16_t poll_port(struct dp_worker *w, int port)
{
	struct rte_mbuf *pkts[DP_BURST_MAX];
	const struct dp_port *p = &w->dp->port[port];
	struct dp *dp = w->dp;
	struct dp_sorted s;
	uint16_t n;

	n = rte_eth_rx_burst(p->port_id, w->index, pkts, dp->burst);
	if (n == 0)
		return 0;
	w->stats->rx_pkts += n;
	w->stats->rx_bursts++;
	dp_input_burst(w, p, pkts, n, &s);
	for (uint16_t i = 0; i < s.n_tx; i++)
		dp_tx_push(w, port, s.tx[i]);
	dp_cp_to_control_plane(w, s.cp, s.n_cp);
	dp_forward_burst(w, s.data, dp_handoff_split(w, s.data, s.n_data, dp->handoff_rx));
	dp_reverse_burst(w, s.fwd, dp_handoff_split(w, s.fwd, s.n_fwd, dp->handoff_tx));
	return n;
}

/* Packets other workers handed to us, and control packets to send. */
static uint16_t poll_rings(struct dp_worker *w)
{
	struct rte_mbuf *pkts[DP_BURST_MAX];
	struct dp *dp = w->dp;
	uint16_t n, total;

	n = (uint16_t)rte_ring_dequeue_burst(dp->handoff_rx[w->index], (void **)pkts,
					     dp->burst, NULL);
	dp_forward_burst(w, pkts, n);
	total = n;
	n = (uint16_t)rte_ring_dequeue_burst(dp->handoff_tx[w->index], (void **)pkts,
					     dp->burst, NULL);
	dp_reverse_burst(w, pkts, n);
	total += n;
	return total + dp_cp_poll(w) + dp_exc_poll(w);
}

/*
 * The housekeeping that may produce frames without a poll finding any: held
 * frames whose next hop resolved (or timed out) and the keepalive scan
 * (pings, once a millisecond at most). Each is busy only if it queued or
 * dropped something; a scan that sent nothing is idle like an empty poll
 * (its cost is per peer, not per packet).
 */
static void housekeeping(struct dp_worker *w, struct dp_clock *c)
{
	const struct dp_txq *pub = &w->tx[CFG_PORT_PUBLIC];
	uint64_t scan = w->scan_tsc, t;
	uint16_t queued = pub->n;

	if (w->n_pending) {
		unsigned held = w->n_pending;

		t = rte_rdtsc();
		dp_pending_flush(w);
		if (w->n_pending != held)
			dp_clock_work_since(c, t);
	}
	t = rte_rdtsc();
	dp_keepalive_scan(w);
	if (w->scan_tsc != scan && pub->n != queued)
		dp_clock_work_since(c, t);
}

/*
 * Count the pass toward an idle spell (dp_clock_work() restarted the count
 * if it found work), and sleep once the spell is long enough. The
 * worker is QSBR-offline meanwhile (it reported quiescent and holds
 * nothing), so a writer waiting for a grace period does not wait for the
 * sleep. rte_delay_us_sleep is a nanosleep: the thread leaves its CPU.
 */
static void idle_nap(struct dp_worker *w, struct dp_clock *c)
{
	uint32_t us = w->dp->cfg->dp.idle_sleep_us;

	if (c->empty < DP_IDLE_SPELL)
		c->empty++;
	if (us == 0 || c->empty < DP_IDLE_SPELL)
		return;
	rte_rcu_qsbr_thread_offline(w->dp->qsbr, w->index);
	rte_delay_us_sleep(us);
	rte_rcu_qsbr_thread_online(w->dp->qsbr, w->index);
	c->naps++;
}

void dp_worker_iteration(struct dp_worker *w, struct dp_clock *c)
{
	bool queued = false;
	uint64_t t;

	for (int i = 0; i < CFG_PORT_COUNT; i++) {
		t = rte_rdtsc();
		if (poll_port(w, i) != 0)
			dp_clock_work_since(c, t);
	}
	t = rte_rdtsc();
	if (poll_rings(w) != 0)
		dp_clock_work_since(c, t);
	housekeeping(w, c);
	/* The flush is the end of the work the polls above found. */
	for (int i = 0; i < CFG_PORT_COUNT; i++)
		queued |= w->tx[i].n != 0;
	if (queued) {
		t = rte_rdtsc();
		for (int i = 0; i < CFG_PORT_COUNT; i++)
			dp_tx_flush(w, i);
		dp_clock_work_since(c, t);
	}
	/* Nothing read from the tables above is held past this point. */
	rte_rcu_qsbr_quiescent(w->dp->qsbr, w->index);
	idle_nap(w, c);		/* the count dp_clock_work() reset if work ran */
	dp_clock_idle(c, rte_rdtsc());
}

int dp_worker_loop(void *arg)
{
	struct dp_worker *w = arg;
	struct dp *dp = w->dp;
	uint64_t start = rte_rdtsc();
	struct dp_clock c;

	dp_clock_start(&c, &w->stats->busy_cycles, &w->stats->idle_cycles,
		       &w->stats->lost_cycles, start);
	/* The kernel may stretch a nanosleep by the thread's timer slack,
	 * 50 us by default: more than a short idle_sleep_us itself. */
	if (dp->cfg->dp.idle_sleep_us != 0)
		(void)prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);	/* 1 us */
	rte_rcu_qsbr_thread_register(dp->qsbr, w->index);
	rte_rcu_qsbr_thread_online(dp->qsbr, w->index);
	while (!atomic_load_explicit(&dp->quit, memory_order_relaxed)) {
		w->now_tsc = c.mark;
		w->now_s = (uint32_t)((c.mark - start) / dp->tsc_hz);
		dp_worker_iteration(w, &c);
	}
	for (unsigned i = 0; i < w->n_pending; i++)
		rte_pktmbuf_free(w->pending[i].m);
	w->n_pending = 0;
	rte_rcu_qsbr_thread_offline(dp->qsbr, w->index);
	rte_rcu_qsbr_thread_unregister(dp->qsbr, w->index);
	return 0;
}
