/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keepalive for the peers this worker owns: a ping (OpenVPN's 16-byte
 * keepalive message, OpenVPN src/openvpn/ping.c) when nothing was sent for
 * the peer's interval, and SL_EVT_PEER_IDLE once when nothing authenticated
 * arrived for its timeout (the control plane ends the session, as OpenVPN's
 * ping-restart does). Critical events the control plane has not
 * acknowledged are raised again every second (sl_api.h).
 */
#include "dp_pkt.h"
#include "ovpn_inband.h"

static void reraise_pending(struct dp_worker *w, struct dp_peer *p)
{
	if (w->now_tsc - p->evt_raised_tsc < w->dp->tsc_hz)
		return;
	p->evt_raised_tsc = w->now_tsc;
	for (uint16_t t = SL_EVT_RESULT + 1; t < SL_EVT_MAX; t++) {
		struct sl_event e = {
			.type = t, .peer_id = p->id, .remote = p->remote,
			.key_id = t == SL_EVT_KEY_EXHAUSTED ? p->exhausted_key_id : 0,
		};

		e.seq = atomic_load_explicit(&p->evt_pending[t], memory_order_acquire);
		if (e.seq != 0)
			rte_ring_enqueue_elem(w->dp->evt, &e, sizeof(e));
	}
}

static void keepalive_peer(struct dp_worker *w, struct dp_peer *p)
{
	struct rte_mbuf *m;
	uint8_t *d;
	int r;

	if (p->ka_timeout_tsc && !p->idle_reported &&
	    w->now_tsc - p->last_rx_tsc > p->ka_timeout_tsc) {
		p->idle_reported = 1;
		dp_peer_event(w, SL_EVT_PEER_IDLE, p, 0);
	}
	reraise_pending(w, p);
	if (!p->ka_interval_tsc || w->now_tsc - p->last_tx_tsc < p->ka_interval_tsc ||
	    dp_peer_tx_key(p) == NULL || (p->remote.transport == SL_TRANSPORT_UDP &&
					  rte_is_zero_ether_addr(&p->remote_mac)))
		return;
	m = rte_pktmbuf_alloc(w->dp->pool);
	if (m == NULL) {
		w->stats->drop[SL_DROP_NO_MBUF]++;
		return;
	}
	d = (uint8_t *)rte_pktmbuf_append(m, OVPN_PING_LEN);
	ovpn_inband_ping_build(d, OVPN_PING_LEN);
	r = dp_encap(w, p, m);
	if (r == DP_V_HELD)
		return;	/* a TCP peer's: the control plane has it */
	if (r != DP_V_OK) {
		dp_drop(w, m, r);
		return;
	}
	dp_tx_push(w, CFG_PORT_PUBLIC, m);
}

/*
 * Visit a slice of the peer table every millisecond: the whole table is
 * covered about every (max_peers / 64) ms, far below the 1 s keepalive
 * granularity for tables up to 64k peers.
 */
void dp_keepalive_scan(struct dp_worker *w)
{
	struct dp *dp = w->dp;
	uint32_t slice = RTE_MAX(64u, dp->max_peers / 1000);

	if (w->now_tsc - w->scan_tsc < dp->tsc_hz / 1000)
		return;
	w->scan_tsc = w->now_tsc;
	for (uint32_t i = 0; i < slice; i++) {
		struct dp_peer *p = dp_peer_get(dp->peers, dp->max_peers, w->scan_next);

		if (++w->scan_next >= dp->max_peers)
			w->scan_next = 0;
		if (p != NULL && p->owner == w->index)
			keepalive_peer(w, p);
	}
}
