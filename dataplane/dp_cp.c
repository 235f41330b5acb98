/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control packets between the wire and the control plane.
 *   in:  whole frames to sl_cp_rx (dp_input.c filled struct sl_cp_meta);
 *   out: OpenVPN packets from sl_cp_tx, the meta naming the destination
 *        endpoint and (or zero) the next hop's MAC. They get the same outer
 *        headers as data packets (dp_outer.c), with what the control
 *        plane's own frames always had: DF set and the UDP checksum.
 */
#include <rte_ring.h>

#include "dp_exc.h"
#include "dp_neigh.h"
#include "dp_outer.h"
#include "dp_pkt.h"
#include "sl_futex.h"

/*
 * Generic cell rate algorithm (ITU-T I.371's virtual scheduling): one
 * packet every T cycles on average, BURST at once.
 */
static bool gcra(uint64_t *tat, uint64_t now, uint64_t t, uint64_t burst)
{
	uint64_t at = *tat > now ? *tat : now;

	if (at - now > (burst - 1) * t)
		return false;
	*tat = at + t;
	return true;
}

int dp_cp_rate_check(struct dp_worker *w, uint32_t src)
{
	const struct cfg_control *c = &w->dp->cfg->ctl;
	struct dp_cp_rate *r = &w->cp_rate;
	uint64_t hz = w->dp->tsc_hz;
	unsigned i = (src * 2654435761u) >> 24;	/* DP_CP_RATE_SLOTS 256 */

	RTE_BUILD_BUG_ON(DP_CP_RATE_SLOTS != 256);
	if (r->src[i].ip != src) {
		r->src[i].ip = src;
		r->src[i].tat = 0;
	}
	if (!gcra(&r->src[i].tat, w->now_tsc, hz / c->rx_rate, c->rx_burst) ||
	    !gcra(&r->total_tat, w->now_tsc, hz / c->rx_rate_total,
		  RTE_MAX(1u, c->rx_rate_total / 10)))
		return dp_drop_v(SL_DROP_CP_RATE);
	return DP_V_CP;
}

/*
 * The control plane's event loop sleeps between its ticks; its watcher
 * thread (cp_dp_watch_start, controlplane/cp_dp.c) waits on sl_cp_rx's
 * producer tail, so a wake here has the packets taken at once rather than
 * at the next tick: a handshake is a handful of round trips, each of which
 * waited for one.
 */
void dp_cp_to_control_plane(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	unsigned done = n ? rte_ring_enqueue_burst(w->dp->cp_rx, (void **)pkts, n, NULL) : 0;

	if (done)
		sl_futex_wake(&w->dp->cp_rx->prod.tail);
	w->stats->cp_rx += done;
	if (unlikely(done < n))
		dp_drop_burst(w->stats, pkts + done, n - done, SL_DROP_CP_RING_FULL);
}

/*
 * The next hop toward the destination: the control plane's choice (the MAC
 * the client's packet came from), else the public port's neighbour table.
 */
static int next_hop(struct dp_worker *w, const struct sl_cp_meta *meta,
		    struct rte_ether_addr *mac)
{
	struct dp_port *pub = &w->dp->port[CFG_PORT_PUBLIC];
	uint32_t hop;

	rte_ether_addr_copy((const struct rte_ether_addr *)meta->mac, mac);
	if (!rte_is_zero_ether_addr(mac))
		return DP_V_OK;
	if (meta->peer.addr.family != SL_AF_INET)
		return DP_V_OK;	/* dp_outer_push() refuses it and says why */
	hop = dp_neigh_next_hop(pub->neigh, meta->peer.addr.v4);
	if (hop == 0)
		return dp_drop_v(SL_DROP_NO_ROUTE);
	return dp_neigh_resolve(w, CFG_PORT_PUBLIC, hop, mac);
}

static int cp_out(struct dp_worker *w, struct rte_mbuf *m)
{
	const struct sl_cp_meta *meta = dp_meta(m);
	struct rte_ether_addr mac;
	int r = next_hop(w, meta, &mac);

	if (r != DP_V_OK)
		return r;
	r = dp_outer_push(w, m, &meta->peer, &mac, DP_OUTER_DF | DP_OUTER_UDP_CSUM);
	if (r == DP_V_OK)
		w->stats->cp_tx++;
	return r;
}

uint16_t dp_cp_poll(struct dp_worker *w)
{
	struct rte_mbuf *pkts[DP_BURST_MAX];
	struct dp_burst b;
	uint16_t n = (uint16_t)rte_ring_dequeue_burst(w->dp->cp_tx, (void **)pkts, w->dp->burst,
						      NULL);

	if (n == 0)
		return 0;
	/* Data read from TCP connections goes to the forward path; control packets stay. */
	dp_burst_init(&b, pkts, dp_exc_data_in(w, pkts, n));
	for (uint16_t i = 0; i < b.n; i++)
		b.v[i] = (uint8_t)cp_out(w, b.pkts[i]);
	dp_burst_emit(w, &b, CFG_PORT_PUBLIC);
	return n;
}
