/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The decrypt stage (public -> private), run by the owner of the packet's
 * peer only, so the replay windows, counters and remote address below have
 * one writer.
 *
 * Untrusted input is checked in a fixed order: peer by id, key by key-id,
 * authenticate and decrypt (the whole burst at once, lib/ovpn_engine.h),
 * replay window, compression framing, in-band messages, inner IPv4 header,
 * anti-spoofing. The inner packet's place is left in the meta
 * (payload_off/len) for the stages after this one.
 */
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_lpm.h>
#include <rte_prefetch.h>

#include "dp_pkt.h"
#include "ovpn_engine.h"
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

/*
 * Before the crypto: key by key-id, the op that opens the packet in place;
 * what the crypto and the replay check will read is asked for. DP_V_OK
 * with *op filled, or a drop.
 */
static int open_prepare(struct dp_peer *p, struct rte_mbuf *m, struct ovpn_data_op *op)
{
	const struct sl_cp_meta *meta = dp_meta(m);
	uint8_t *pkt = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->payload_off);
	struct dp_key *k = dp_peer_rx_key(p, ovpn_op_key_id(pkt[0]));

	if (k == NULL)
		return dp_drop_v(SL_DROP_NO_KEY);
	dp_prefetch_key(&k->rx);
	rte_prefetch0(&k->replay);
	dp_prefetch_peer_stats(p);
	*op = (struct ovpn_data_op){ .k = &k->rx, .pkt = pkt, .len = meta->payload_len };
	return DP_V_OK;
}

/*
 * After the crypto: authenticated (first), then the replay window, as
 * OpenVPN src/openvpn/crypto.c checks replay only after decryption; then
 * liveness, float and compression framing. The payload's place goes into
 * the meta.
 */
static int open_finish(struct dp_worker *w, struct dp_peer *p, struct rte_mbuf *m,
		       const struct ovpn_data_op *op)
{
	struct sl_cp_meta *meta = dp_meta(m);
	struct dp_key *k = container_of(op->k, struct dp_key, rx);
	size_t off;
	int n;

	if (op->result < 0)
		return dp_drop_v(SL_DROP_AUTH);
	if (ovpn_pktid_recv_check(&k->replay, op->rx.pid) != 0)
		return dp_drop_v(SL_DROP_REPLAY);
	p->last_rx_tsc = w->now_tsc;
	if (unlikely(p->idle_reported)) {
		/* Heard again: an idle event not acknowledged yet is stale. */
		p->idle_reported = 0;
		atomic_store_explicit(&p->evt_pending[SL_EVT_PEER_IDLE], 0,
				      memory_order_relaxed);
	}
	p->stats->last_rx = w->dp->status->started + w->now_s;
	check_float(w, p, m);
	n = ovpn_comp_strip(p->framing, op->pkt + op->rx.off, (size_t)op->result, &off);
	if (n < 0)
		return dp_drop_v(n == OVPN_DATA_ERR_LZO || n == OVPN_DATA_ERR_COMPRESSED ?
				 SL_DROP_COMPRESSED : SL_DROP_BAD_INNER);
	meta->payload_off = (uint16_t)(meta->payload_off + op->rx.off + off);
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

/* Everything after the crypto, in the order the checks run. */
static int decrypt_finish(struct dp_worker *w, struct dp_peer *p, struct rte_mbuf *m,
			  const struct ovpn_data_op *op)
{
	const struct sl_cp_meta *meta = dp_meta(m);
	const uint8_t *pl;
	int r;

	if ((r = open_finish(w, p, m, op)) != DP_V_OK)
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

/* The replay window's word op's packet-id will be checked in (the ring
 * layout of lib/ovpn_pktid.h); its header line was asked for before. */
static inline void replay_prefetch(const struct ovpn_data_op *op)
{
	const struct ovpn_pktid_recv *r = &container_of(op->k, struct dp_key, rx)->replay;

	if (op->result >= 0)
		rte_prefetch0(&r->ring[(op->rx.pid >> 6) & r->mask]);
}

/*
 * Every packet's peer by id (its table entry was asked for at input), and
 * the peer's lines and its keys' lines asked for: a pass over the burst
 * each, so that the burst's misses overlap.
 */
static void peers_fetch(struct dp_worker *w, struct dp_burst *b)
{
	struct dp *dp = w->dp;

	for (uint16_t i = 0; i < b->n; i++) {
		if (b->v[i] != DP_V_OK)
			continue;
		b->peer[i] = dp_peer_get(dp->peers, dp->max_peers, dp_meta(b->pkts[i])->peer_id);
		if (b->peer[i] != NULL)
			dp_prefetch_peer(b->peer[i]);
		else
			b->v[i] = (uint8_t)dp_drop_v(SL_DROP_UNKNOWN_PEER);
	}
	for (uint16_t i = 0; i < b->n; i++) {
		if (b->v[i] != DP_V_OK)
			continue;
		/* Which slot holds the packet's key-id is known once its key is read. */
		for (int s = 0; s < 2; s++) {
			const struct dp_key *k = atomic_load_explicit(&b->peer[i]->slot[s],
								      memory_order_relaxed);

			if (k != NULL) {
				rte_prefetch0(&k->key_id);
				dp_prefetch_range(&k->rx, sizeof(k->rx));
			}
		}
	}
}

/*
 * Four passes over the burst: (1) peers and their keys asked for
 * (peers_fetch); (2) key and an op per packet; (3) one
 * ovpn_data_open_burst() over all of them (intel-ipsec-mb keys go through
 * the engine together, OpenSSL keys one by one); (4) per packet, in burst
 * order, what follows authentication. Per-peer state is written in pass 4
 * only, packet by packet, so the replay window sees the packets in the
 * order they came, as before.
 */
void dp_decrypt_stage(struct dp_worker *w, struct dp_burst *b)
{
	struct ovpn_data_op ops[DP_STAGE_MAX];
	uint16_t at[DP_STAGE_MAX], n = 0;

	peers_fetch(w, b);
	for (uint16_t i = 0; i < b->n; i++) {
		if (b->v[i] != DP_V_OK)
			continue;
		b->v[i] = (uint8_t)open_prepare(b->peer[i], b->pkts[i], &ops[n]);
		if (b->v[i] == DP_V_OK)
			at[n++] = i;
	}
	ovpn_data_open_burst(w->engine, ops, n);
	for (uint16_t j = 0; j < n; j++) {
		uint16_t i = at[j];

		/* A burst of big packets pushed the first ones' headers out of L1. */
		if (j + 1 < n) {
			rte_prefetch0(dp_meta(b->pkts[at[j + 1]]));
			rte_prefetch0(ops[j + 1].pkt + ops[j + 1].rx.off);
			replay_prefetch(&ops[j + 1]);
		}
		b->v[i] = (uint8_t)decrypt_finish(w, b->peer[i], b->pkts[i], &ops[j]);
	}
}
