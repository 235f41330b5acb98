/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop: RX burst on each port's queue, the input stage, then TX
 * of replies, control packets to the control plane's ring, and control
 * packets from it out of the public port. Busy and idle cycles are counted
 * per lcore so `sluicectl status` can show cycles per packet.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "dp_pkt.h"

/* Send what we can; the rest is dropped as tx-full. */
static void tx_burst(struct dp_worker *w, uint16_t port_id, struct rte_mbuf **pkts,
		     uint16_t n)
{
	uint16_t sent = n ? rte_eth_tx_burst(port_id, w->index, pkts, n) : 0;

	w->stats->tx_pkts += sent;
	if (unlikely(sent < n)) {
		w->stats->drop[SL_DROP_TX_FULL] += n - sent;
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
}

static void to_control_plane(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	unsigned q = n ? rte_ring_enqueue_burst(w->dp->cp_rx, (void **)pkts, n, NULL) : 0;

	w->stats->cp_rx += q;
	if (unlikely(q < n)) {
		w->stats->drop[SL_DROP_CP_RING_FULL] += n - q;
		rte_pktmbuf_free_bulk(pkts + q, n - q);
	}
}

static uint16_t poll_port(struct dp_worker *w, const struct dp_port *p)
{
	struct rte_mbuf *pkts[DP_BURST_MAX], *tx[DP_BURST_MAX], *cp[DP_BURST_MAX];
	uint16_t n, n_tx = 0, n_cp = 0;

	n = rte_eth_rx_burst(p->port_id, w->index, pkts, w->dp->burst);
	if (n == 0)
		return 0;
	w->stats->rx_pkts += n;
	w->stats->rx_bursts++;
	dp_input_burst(w, p, pkts, n, tx, &n_tx, cp, &n_cp);
	tx_burst(w, p->port_id, tx, n_tx);
	to_control_plane(w, cp, n_cp);
	return n;
}

/* Control packets the control plane built: out of the public port. */
static uint16_t poll_cp_tx(struct dp_worker *w)
{
	struct rte_mbuf *pkts[DP_BURST_MAX];
	unsigned n = rte_ring_dequeue_burst(w->dp->cp_tx, (void **)pkts, w->dp->burst, NULL);

	if (n == 0)
		return 0;
	w->stats->cp_tx += n;
	tx_burst(w, w->dp->port[CFG_PORT_PUBLIC].port_id, pkts, n);
	return n;
}

int dp_worker_loop(void *arg)
{
	struct dp_worker *w = arg;
	struct dp *dp = w->dp;
	uint64_t prev = rte_rdtsc(), now;

	while (!atomic_load_explicit(&dp->quit, memory_order_relaxed)) {
		uint32_t work = 0;

		for (int i = 0; i < CFG_PORT_COUNT; i++)
			work += poll_port(w, &dp->port[i]);
		work += poll_cp_tx(w);
		now = rte_rdtsc();
		if (work)
			w->stats->busy_cycles += now - prev;
		else
			w->stats->idle_cycles += now - prev;
		prev = now;
	}
	return 0;
}
