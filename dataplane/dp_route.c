/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where a frame goes next on a port: the route stage of the forward path
 * (a decrypted packet becomes an Ethernet frame for the private port), the
 * next hop's MAC from the port's neighbour table (an ARP request when it is
 * unknown), and the frames held while that request is out.
 */
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_lpm.h>

#include "dp_neigh.h"
#include "dp_pkt.h"

int dp_neigh_unresolved(struct dp_worker *w, int port, uint32_t hop, bool request)
{
	struct dp_port *p = &w->dp->port[port];
	struct rte_mbuf *arp;

	if (request) {
		arp = dp_neigh_arp_request(w->dp->pool, p->addr, &p->mac, hop);
		if (arp != NULL)
			dp_tx_push(w, port, arp);
		else
			w->stats->drop[SL_DROP_NO_MBUF]++;
	}
	return dp_drop_v(SL_DROP_NO_NEIGHBOR);
}

/*
 * Next hop unknown: keep the frame (up to DP_PENDING_MAX per worker, for
 * DP_PENDING_MS) instead of losing the first packets of every new LAN
 * destination, as a host's neighbour queue does; dp_pending_flush() sends
 * or drops it.
 */
static int hold(struct dp_worker *w, struct rte_mbuf *m, uint32_t hop)
{
	if (w->n_pending >= DP_PENDING_MAX)
		return dp_drop_v(SL_DROP_NO_NEIGHBOR);
	w->pending[w->n_pending].m = m;
	w->pending[w->n_pending].hop = hop;
	w->pending[w->n_pending++].since = w->now_tsc;
	return DP_V_HELD;
}

/* Turn the decrypted payload into an Ethernet frame for the private port. */
static int to_private(struct dp_worker *w, struct rte_mbuf *m)
{
	struct dp *dp = w->dp;
	struct dp_port *priv = &dp->port[CFG_PORT_PRIVATE];
	const struct sl_cp_meta *meta = dp_meta(m);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
							  meta->payload_off);
	uint32_t dst = rte_be_to_cpu_32(ip->dst_addr), hop;
	unsigned ip_len = rte_be_to_cpu_16(ip->total_length);
	struct rte_ether_hdr *eth;
	struct rte_ether_addr mac;

	/* Client-to-client is off: nothing goes back into the tunnel. */
	if ((dst & dp->pool_mask) == dp->pool_net || rte_lpm_lookup(dp->lpm, dst, &hop) == 0)
		return dp_drop_v(SL_DROP_NO_ROUTE);
	hop = dp_neigh_next_hop(priv->neigh, dst);
	if (hop == 0)
		return dp_drop_v(SL_DROP_NO_ROUTE);
	if (dp->mss)
		dp_mss_clamp(ip, ip_len, dp->mss);
	rte_pktmbuf_adj(m, (uint16_t)(meta->payload_off - sizeof(struct rte_ether_hdr)));
	dp_trim(m, (uint16_t)(m->pkt_len - sizeof(*eth) - ip_len));
	dp_realign(m);
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eth->src_addr = priv->mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	if (dp_neigh_resolve(w, CFG_PORT_PRIVATE, hop, &mac) != DP_V_OK)
		return hold(w, m, hop);
	eth->dst_addr = mac;
	return DP_V_OK;
}

void dp_route_stage(struct dp_worker *w, struct dp_burst *b)
{
	for (uint16_t i = 0; i < b->n; i++)
		if (b->v[i] == DP_V_OK)
			b->v[i] = (uint8_t)to_private(w, b->pkts[i]);
}

void dp_pending_flush(struct dp_worker *w)
{
	struct dp_neigh *neigh = w->dp->port[CFG_PORT_PRIVATE].neigh;
	uint64_t limit = w->dp->tsc_hz / 1000 * DP_PENDING_MS;
	unsigned kept = 0;

	for (unsigned i = 0; i < w->n_pending; i++) {
		struct dp_pending *pd = &w->pending[i];
		struct rte_ether_addr mac;
		bool request;

		if (dp_neigh_lookup(neigh, pd->hop, w->now_s, &mac, &request) == 0) {
			rte_pktmbuf_mtod(pd->m, struct rte_ether_hdr *)->dst_addr = mac;
			dp_tx_push(w, CFG_PORT_PRIVATE, pd->m);
		} else if (w->now_tsc - pd->since > limit) {
			dp_drop(w, pd->m, dp_drop_v(SL_DROP_NO_NEIGHBOR));
		} else {
			w->pending[kept++] = *pd;
		}
	}
	w->n_pending = kept;
}
