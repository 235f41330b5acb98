/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The decrypt stage (public -> private), run by the owner of the packet's
 * peer only, so the replay windows, counters and remote address below have
 * one writer.
 *
 * Untrusted input is checked in a fixed order: peer by id, key by key-id,
 * authenticate and decrypt, replay window, compression framing, in-band
 * messages, inner IPv4 header, anti-spoofing. The inner packet's place is
 * left in the meta (payload_off/len) for the stages after this one.
 */
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_lpm.h>

#include "dp_pkt.h"
#include "ovpn_inband.h"

/* An authenticated packet from a new address moves the peer (float). */
static void check_float(struct dp_worker *w, struct dp_peer *p, struct rte_mbuf *m)
{
	const struct sl_cp_meta *meta = dp_meta(m);

	rte_ether_addr_copy((const struct rte_ether_addr *)meta->mac, &p->remote_mac);
	/* Address and port decide almost always; the rest only when they match. */
	if (likely(meta->peer.addr.v4 == p->remote.addr.v4 && meta->peer.port == p->remote.port &&
		   sl_endpoint_eq(&meta->peer, &p->remote)))
		return;
	p->remote = meta->peer;
	p->stats->remote = p->remote;
	dp_peer_event(w, SL_EVT_PEER_FLOAT, p, 0);
}

/* Authenticate, decrypt and replay-check; the payload's place goes into the meta. */
static int open_packet(struct dp_worker *w, struct dp_peer *p, struct rte_mbuf *m)
{
	struct sl_cp_meta *meta = dp_meta(m);
	uint8_t *pkt = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->payload_off);
	struct ovpn_data_rx rx;
	struct dp_key *k = dp_peer_rx_key(p, ovpn_op_key_id(pkt[0]));
	size_t off;
	int n;

	if (k == NULL)
		return dp_drop_v(SL_DROP_NO_KEY);
	n = ovpn_data_open(&k->rx, pkt, meta->payload_len, &rx);
	if (n < 0)
		return dp_drop_v(SL_DROP_AUTH);
	if (ovpn_pktid_recv_check(&k->replay, rx.pid) != 0)
		return dp_drop_v(SL_DROP_REPLAY);
	p->last_rx_tsc = w->now_tsc;
	p->idle_reported = 0;
	p->stats->last_rx = w->dp->status->started + w->now_s;
	check_float(w, p, m);
	n = ovpn_comp_strip(p->framing, pkt + rx.off, (size_t)n, &off);
	if (n < 0)
		return dp_drop_v(n == OVPN_DATA_ERR_LZO || n == OVPN_DATA_ERR_COMPRESSED ?
				 SL_DROP_COMPRESSED : SL_DROP_BAD_INNER);
	meta->payload_off = (uint16_t)(meta->payload_off + rx.off + off);
	meta->payload_len = (uint16_t)n;
	return DP_V_OK;
}

/* Keepalive pings are consumed; OCC EXIT tells the control plane. */
static int inband(struct dp_worker *w, struct dp_peer *p, const uint8_t *pl, unsigned len)
{
	struct ovpn_occ_msg occ;

	switch (ovpn_inband_parse(pl, len, &occ)) {
	case OVPN_INBAND_PING:
		return DP_V_DONE;
	case OVPN_INBAND_OCC:
		if (occ.op == OVPN_OCC_EXIT)
			dp_peer_event(w, SL_EVT_PEER_EXIT, p, 0);
		return DP_V_DONE;
	default:
		return DP_V_OK;
	}
}

/* Inner IPv4 checks and the anti-spoofing check. */
static int inner_check(struct dp_worker *w, struct dp_peer *p, const uint8_t *pl,
		       unsigned len)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)pl;
	uint32_t src, id;
	unsigned hl;

	if (len >= 1 && (pl[0] >> 4) == 6)
		return dp_drop_v(SL_DROP_INNER_IPV6);	/* e.g. the client's router solicitations */
	if (len < sizeof(*ip) || (ip->version_ihl >> 4) != 4)
		return dp_drop_v(SL_DROP_BAD_INNER);
	hl = rte_ipv4_hdr_len(ip);
	if (hl < sizeof(*ip) || rte_be_to_cpu_16(ip->total_length) < hl ||
	    rte_be_to_cpu_16(ip->total_length) > len)
		return dp_drop_v(SL_DROP_BAD_INNER);
	src = rte_be_to_cpu_32(ip->src_addr);
	if (src != p->vpn_ip &&
	    (rte_lpm_lookup(w->dp->lpm, src, &id) != 0 || id != p->id))
		return dp_drop_v(SL_DROP_SPOOFED);
	return DP_V_OK;
}

static int decrypt_one(struct dp_worker *w, struct rte_mbuf *m, struct dp_peer **pp)
{
	struct dp *dp = w->dp;
	const struct sl_cp_meta *meta = dp_meta(m);
	struct dp_peer *p = dp_peer_get(dp->peers, dp->max_peers, meta->peer_id);
	const uint8_t *pl;
	int r;

	*pp = p;
	if (p == NULL)
		return dp_drop_v(SL_DROP_UNKNOWN_PEER);
	if ((r = open_packet(w, p, m)) != DP_V_OK)
		return r;
	pl = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->payload_off);
	if ((r = inband(w, p, pl, meta->payload_len)) != DP_V_OK)
		return r;
	if ((r = inner_check(w, p, pl, meta->payload_len)) != DP_V_OK)
		return r;
	p->stats->rx_pkts++;
	p->stats->rx_bytes += meta->payload_len;
	return DP_V_OK;
}

void dp_decrypt_stage(struct dp_worker *w, struct dp_burst *b)
{
	for (uint16_t i = 0; i < b->n; i++)
		if (b->v[i] == DP_V_OK)
			b->v[i] = (uint8_t)decrypt_one(w, b->pkts[i], &b->peer[i]);
}
