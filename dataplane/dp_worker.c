/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop. Per iteration:
 *   1. each port: RX burst -> dp_input_burst() sorts it into replies,
 *      control packets, data to decrypt and packets to encrypt;
 *   2. data for peers this worker owns runs through the decrypt/encrypt
 *      stages here; data for peers owned elsewhere goes to the owner's
 *      handoff ring, in bursts;
 *   3. the handoff rings, the control plane's TX ring and the keepalive
 *      scan add their packets;
 *   4. TX bursts, then one QSBR quiescent report.
 * Busy and idle cycles are counted so `sluicectl status` shows cycles/packet.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>

#include "dp_peer.h"
#include "dp_pkt.h"

/* Output lists of one iteration, one per port. */
struct dp_txq {
	struct rte_mbuf *pkts[CFG_PORT_COUNT][4 * DP_BURST_MAX];
	uint16_t n[CFG_PORT_COUNT];
};

static void tx_flush(struct dp_worker *w, struct dp_txq *q)
{
	for (int port = 0; port < CFG_PORT_COUNT; port++) {
		uint16_t n = q->n[port], sent;

		if (n == 0)
			continue;
		sent = rte_eth_tx_burst(w->dp->port[port].port_id, w->index, q->pkts[port], n);
		w->stats->tx_pkts += sent;
		if (unlikely(sent < n))
			dp_drop_burst(w->stats, q->pkts[port] + sent, n - sent, SL_DROP_TX_FULL);
		q->n[port] = 0;
	}
}

/*
 * Room left in a port's output list before a stage may add up to two
 * bursts (the encrypt stage can split a packet over the tunnel MTU in two).
 */
static void make_room(struct dp_worker *w, struct dp_txq *q, int port)
{
	if (q->n[port] + 2 * DP_BURST_MAX > (int)RTE_DIM(q->pkts[port]))
		tx_flush(w, q);
}

static uint16_t owner_of(struct dp_worker *w, struct rte_mbuf *m)
{
	struct dp_peer *p = dp_peer_get(w->dp->peers, w->dp->max_peers, dp_meta(m)->peer_id);

	/* A peer deleted meanwhile: keep it here, the stage drops and counts it. */
	return p != NULL ? p->owner : (uint16_t)w->index;
}

uint16_t dp_handoff_split(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n,
			  struct rte_ring **rings)
{
	struct rte_mbuf *batch[DP_BURST_MAX];
	uint16_t owners[DP_BURST_MAX], kept = 0;

	for (uint16_t i = 0; i < n; i++)
		owners[i] = owner_of(w, pkts[i]);
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

static void run_stages(struct dp_worker *w, struct dp_sorted *s, struct dp_txq *q)
{
	struct dp *dp = w->dp;
	uint16_t n;

	n = dp_handoff_split(w, s->data, s->n_data, dp->handoff_rx);
	make_room(w, q, CFG_PORT_PRIVATE);
	dp_decrypt_burst(w, s->data, n, q->pkts[CFG_PORT_PRIVATE], &q->n[CFG_PORT_PRIVATE]);
	n = dp_handoff_split(w, s->fwd, s->n_fwd, dp->handoff_tx);
	make_room(w, q, CFG_PORT_PUBLIC);
	dp_encrypt_burst(w, s->fwd, n, q->pkts[CFG_PORT_PUBLIC], &q->n[CFG_PORT_PUBLIC]);
}

static uint16_t poll_port(struct dp_worker *w, int port, struct dp_txq *q)
{
	struct rte_mbuf *pkts[DP_BURST_MAX];
	const struct dp_port *p = &w->dp->port[port];
	struct dp_sorted s;
	uint16_t n;

	n = rte_eth_rx_burst(p->port_id, w->index, pkts, w->dp->burst);
	if (n == 0)
		return 0;
	w->stats->rx_pkts += n;
	w->stats->rx_bursts++;
	dp_input_burst(w, p, pkts, n, &s);
	make_room(w, q, port);
	for (uint16_t i = 0; i < s.n_tx; i++)
		q->pkts[port][q->n[port]++] = s.tx[i];
	dp_cp_to_control_plane(w, s.cp, s.n_cp);
	run_stages(w, &s, q);
	return n;
}

/* Packets other workers handed to us, and control packets to send. */
static uint16_t poll_rings(struct dp_worker *w, struct dp_txq *q)
{
	struct rte_mbuf *pkts[DP_BURST_MAX];
	struct dp *dp = w->dp;
	unsigned n, total;

	make_room(w, q, CFG_PORT_PRIVATE);
	n = rte_ring_dequeue_burst(dp->handoff_rx[w->index], (void **)pkts, dp->burst, NULL);
	dp_decrypt_burst(w, pkts, n, q->pkts[CFG_PORT_PRIVATE], &q->n[CFG_PORT_PRIVATE]);
	total = n;
	make_room(w, q, CFG_PORT_PUBLIC);
	n = rte_ring_dequeue_burst(dp->handoff_tx[w->index], (void **)pkts, dp->burst, NULL);
	dp_encrypt_burst(w, pkts, n, q->pkts[CFG_PORT_PUBLIC], &q->n[CFG_PORT_PUBLIC]);
	total += n;
	make_room(w, q, CFG_PORT_PUBLIC);
	n = rte_ring_dequeue_burst(dp->cp_tx, (void **)pkts, dp->burst, NULL);
	dp_cp_send_burst(w, pkts, n, q->pkts[CFG_PORT_PUBLIC], &q->n[CFG_PORT_PUBLIC]);
	return (uint16_t)(total + n);
}

int dp_worker_loop(void *arg)
{
	struct dp_worker *w = arg;
	struct dp *dp = w->dp;
	static __thread struct dp_txq q;	/* ~8 KB: off the stack */
	uint64_t prev = rte_rdtsc(), start = prev;

	rte_rcu_qsbr_thread_register(dp->qsbr, w->index);
	rte_rcu_qsbr_thread_online(dp->qsbr, w->index);
	while (!atomic_load_explicit(&dp->quit, memory_order_relaxed)) {
		uint32_t work = 0;

		w->now_tsc = prev;
		w->now_s = (uint32_t)((prev - start) / dp->tsc_hz);
		for (int i = 0; i < CFG_PORT_COUNT; i++)
			work += poll_port(w, i, &q);
		work += poll_rings(w, &q);
		if (w->n_pending) {
			make_room(w, &q, CFG_PORT_PRIVATE);
			dp_pending_flush(w, q.pkts[CFG_PORT_PRIVATE], &q.n[CFG_PORT_PRIVATE],
					 RTE_DIM(q.pkts[CFG_PORT_PRIVATE]));
		}
		make_room(w, &q, CFG_PORT_PUBLIC);
		dp_keepalive_scan(w, q.pkts[CFG_PORT_PUBLIC], &q.n[CFG_PORT_PUBLIC],
				  RTE_DIM(q.pkts[CFG_PORT_PUBLIC]));
		tx_flush(w, &q);
		/* Nothing read from the tables above is held past this point. */
		rte_rcu_qsbr_quiescent(dp->qsbr, w->index);
		uint64_t now = rte_rdtsc();

		if (work)
			w->stats->busy_cycles += now - prev;
		else
			w->stats->idle_cycles += now - prev;
		prev = now;
	}
	for (unsigned i = 0; i < w->n_pending; i++)
		rte_pktmbuf_free(w->pending[i].m);
	w->n_pending = 0;
	rte_rcu_qsbr_thread_offline(dp->qsbr, w->index);
	rte_rcu_qsbr_thread_unregister(dp->qsbr, w->index);
	return 0;
}
