/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OpenVPN data channel on a worker: decrypt (public -> private) and
 * encrypt (private -> public) stages, keepalive pings and idle detection.
 * Only the owner of a peer runs these for it, so the packet-ids, replay
 * windows, counters and remote address below have one writer.
 *
 * Untrusted input is checked in a fixed order: peer and key by header,
 * authenticate and decrypt, replay window, compression framing, in-band
 * messages, inner IPv4 header, anti-spoofing, then routing.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lpm.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dp_neigh.h"
#include "dp_peer.h"
#include "dp_pkt.h"
#include "ovpn_inband.h"

static void raise_event(struct dp_worker *w, uint16_t type, const struct dp_peer *p,
			uint8_t key_id)
{
	struct sl_event e = {
		.type = type, .peer_id = p->id, .remote = p->remote, .key_id = key_id,
	};

	/* Events are best effort: a full ring loses one, the CP's timers cover it. */
	rte_ring_enqueue_elem(w->dp->evt, &e, sizeof(e));
}

/* ---- decrypt ---- */

/* An authenticated packet from a new address moves the peer (float). */
static void check_float(struct dp_worker *w, struct dp_peer *p, struct rte_mbuf *m)
{
	const struct sl_cp_meta *meta = dp_meta(m);
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	p->remote_mac = eth->src_addr;
	/* Address and port decide almost always; the rest only when they match. */
	if (likely(meta->peer.addr.v4 == p->remote.addr.v4 && meta->peer.port == p->remote.port &&
		   sl_endpoint_eq(&meta->peer, &p->remote)))
		return;
	p->remote = meta->peer;
	p->stats->remote = p->remote;
	raise_event(w, SL_EVT_PEER_FLOAT, p, 0);
}

/* Authenticate, decrypt and replay-check; on success the payload is at *pl. */
static int open_packet(struct dp_worker *w, struct dp_peer *p, struct rte_mbuf *m,
		       uint8_t **pl, unsigned *len)
{
	struct sl_cp_meta *meta = dp_meta(m);
	uint8_t *pkt = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->payload_off);
	struct ovpn_data_rx rx;
	struct dp_key *k = dp_peer_rx_key(p, ovpn_op_key_id(pkt[0]));
	size_t off;
	int n;

	if (k == NULL)
		return SL_DROP_NO_KEY;
	n = ovpn_data_open(&k->rx, pkt, meta->payload_len, &rx);
	if (n < 0)
		return SL_DROP_AUTH;
	if (ovpn_pktid_recv_check(&k->replay, rx.pid) != 0)
		return SL_DROP_REPLAY;
	p->last_rx_tsc = w->now_tsc;
	p->idle_reported = 0;
	p->stats->last_rx = w->dp->status->started + w->now_s;
	check_float(w, p, m);
	n = ovpn_comp_strip(p->framing, pkt + rx.off, (size_t)n, &off);
	if (n < 0)
		return n == OVPN_DATA_ERR_LZO || n == OVPN_DATA_ERR_COMPRESSED ?
			SL_DROP_COMPRESSED : SL_DROP_BAD_INNER;
	*pl = pkt + rx.off + off;
	*len = (unsigned)n;
	return -1;
}

/* Keepalive pings are consumed; OCC EXIT tells the control plane. */
static bool inband(struct dp_worker *w, struct dp_peer *p, const uint8_t *pl, unsigned len)
{
	struct ovpn_occ_msg occ;

	switch (ovpn_inband_parse(pl, len, &occ)) {
	case OVPN_INBAND_PING:
		return true;
	case OVPN_INBAND_OCC:
		if (occ.op == OVPN_OCC_EXIT)
			raise_event(w, SL_EVT_PEER_EXIT, p, 0);
		return true;
	default:
		return false;
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
		return SL_DROP_INNER_IPV6;	/* e.g. the client's router solicitations */
	if (len < sizeof(*ip) || (ip->version_ihl >> 4) != 4)
		return SL_DROP_BAD_INNER;
	hl = rte_ipv4_hdr_len(ip);
	if (hl < sizeof(*ip) || rte_be_to_cpu_16(ip->total_length) < hl ||
	    rte_be_to_cpu_16(ip->total_length) > len)
		return SL_DROP_BAD_INNER;
	src = rte_be_to_cpu_32(ip->src_addr);
	if (src != p->vpn_ip &&
	    (rte_lpm_lookup(w->dp->lpm, src, &id) != 0 || id != p->id))
		return SL_DROP_SPOOFED;
	return -1;
}

void dp_arp_request_send(struct dp_worker *w, struct dp_port *port, uint32_t hop)
{
	struct rte_mbuf *arp = dp_neigh_arp_request(w->dp->pool, port->addr, &port->mac, hop);

	if (arp == NULL)
		return;
	if (rte_eth_tx_burst(port->port_id, w->index, &arp, 1) == 0)
		rte_pktmbuf_free(arp);
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
		return SL_DROP_NO_NEIGHBOR;
	w->pending[w->n_pending].m = m;
	w->pending[w->n_pending].hop = hop;
	w->pending[w->n_pending++].since = w->now_tsc;
	return DP_V_HELD;
}

/* Turn the decrypted payload into an Ethernet frame for the private port. */
static int to_private(struct dp_worker *w, struct rte_mbuf *m, uint8_t *pl)
{
	struct dp *dp = w->dp;
	struct dp_port *priv = &dp->port[CFG_PORT_PRIVATE];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)pl;
	uint32_t dst = rte_be_to_cpu_32(ip->dst_addr), hop;
	unsigned ip_len = rte_be_to_cpu_16(ip->total_length);
	struct rte_ether_hdr *eth;
	struct rte_ether_addr mac;
	bool request;

	/* Client-to-client is off: nothing goes back into the tunnel. */
	if ((dst & dp->pool_mask) == dp->pool_net || rte_lpm_lookup(dp->lpm, dst, &hop) == 0)
		return SL_DROP_NO_ROUTE;
	hop = dp_neigh_next_hop(priv->neigh, dst);
	if (hop == 0)
		return SL_DROP_NO_ROUTE;
	if (dp->mss)
		dp_mss_clamp(ip, ip_len, dp->mss);
	rte_pktmbuf_adj(m, (uint16_t)(pl - rte_pktmbuf_mtod(m, uint8_t *) -
				      sizeof(struct rte_ether_hdr)));
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - sizeof(*eth) - ip_len));
	dp_realign(m);
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eth->src_addr = priv->mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	if (dp_neigh_lookup(priv->neigh, hop, w->now_s, &mac, &request) != 0) {
		if (request)
			dp_arp_request_send(w, priv, hop);
		return hold(w, m, hop);
	}
	eth->dst_addr = mac;
	return -1;
}

void dp_pending_flush(struct dp_worker *w, struct rte_mbuf **out, uint16_t *n_out, uint16_t max)
{
	struct dp_neigh *neigh = w->dp->port[CFG_PORT_PRIVATE].neigh;
	uint64_t limit = w->dp->tsc_hz / 1000 * DP_PENDING_MS;
	unsigned kept = 0;

	for (unsigned i = 0; i < w->n_pending; i++) {
		struct dp_pending *pd = &w->pending[i];
		struct rte_ether_addr mac;
		bool request;

		if (dp_neigh_lookup(neigh, pd->hop, w->now_s, &mac, &request) == 0 && *n_out < max) {
			rte_pktmbuf_mtod(pd->m, struct rte_ether_hdr *)->dst_addr = mac;
			out[(*n_out)++] = pd->m;
		} else if (w->now_tsc - pd->since > limit) {
			w->stats->drop[SL_DROP_NO_NEIGHBOR]++;
			rte_pktmbuf_free(pd->m);
		} else {
			w->pending[kept++] = *pd;
		}
	}
	w->n_pending = kept;
}

static int decrypt_one(struct dp_worker *w, struct rte_mbuf *m)
{
	struct dp *dp = w->dp;
	struct dp_peer *p = dp_peer_get(dp->peers, dp->max_peers, dp_meta(m)->peer_id);
	unsigned len;
	uint8_t *pl;
	int r;

	if (p == NULL)
		return dp_drop_v(SL_DROP_UNKNOWN_PEER);
	if ((r = open_packet(w, p, m, &pl, &len)) >= 0)
		return dp_drop_v(r);
	if (inband(w, p, pl, len))
		return DP_V_DONE;
	if ((r = inner_check(w, p, pl, len)) >= 0)
		return dp_drop_v(r);
	p->stats->rx_pkts++;
	p->stats->rx_bytes += len;
	if ((r = to_private(w, m, pl)) >= 0)
		return r == DP_V_HELD ? r : dp_drop_v(r);
	return DP_V_TX;
}

void dp_decrypt_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n,
		      struct rte_mbuf **out, uint16_t *n_out)
{
	for (uint16_t i = 0; i < n; i++) {
		int r = decrypt_one(w, pkts[i]);

		if (r == DP_V_TX) {
			out[(*n_out)++] = pkts[i];
			continue;
		}
		if (r == DP_V_HELD)
			continue;	/* waits in w->pending for its next hop */
		if (r >= DP_V_DROP_BASE)
			w->stats->drop[r - DP_V_DROP_BASE]++;
		rte_pktmbuf_free(pkts[i]);
	}
}

/* ---- encrypt ---- */

/* The packet-id for this packet; raises the rekey event once per key. */
static int next_pid(struct dp_worker *w, struct dp_peer *p, struct dp_key *k, uint32_t *pid)
{
	int rc = ovpn_pktid_send_next(&k->tx_pid, pid);

	if (rc == 0)
		return -1;
	if (!k->exhausted) {
		k->exhausted = 1;
		raise_event(w, SL_EVT_KEY_EXHAUSTED, p, k->key_id);
	}
	return rc == OVPN_PKTID_REKEY ? -1 : SL_DROP_PKTID_EXHAUSTED;
}

int dp_encap(struct dp_worker *w, struct dp_peer *p, struct rte_mbuf *m)
{
	struct dp_key *k = dp_peer_tx_key(p);
	size_t head, tail, fhead = 0;
	uint16_t len = (uint16_t)m->pkt_len;
	uint32_t pid;
	uint8_t *pkt;
	int n, r;

	if (k == NULL)
		return SL_DROP_NO_KEY;
	if ((r = next_pid(w, p, k, &pid)) >= 0)
		return r;
	n = ovpn_comp_frame(p->framing, rte_pktmbuf_mtod(m, uint8_t *), len,
			    rte_pktmbuf_headroom(m), rte_pktmbuf_tailroom(m), &fhead);
	if (n < 0)
		return SL_DROP_TOO_BIG;
	rte_pktmbuf_prepend(m, (uint16_t)fhead);
	if ((size_t)n > len + fhead)
		rte_pktmbuf_append(m, (uint16_t)(n - len - fhead));
	head = ovpn_data_head_len(&k->tx);
	tail = ovpn_data_tail_max(&k->tx);
	if (rte_pktmbuf_headroom(m) < head + DP_OUTER_MAX + 1 || rte_pktmbuf_tailroom(m) < tail)
		return SL_DROP_TOO_BIG;
	pkt = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)head);
	if (tail > 0)
		rte_pktmbuf_append(m, (uint16_t)tail);
	n = ovpn_data_seal(&k->tx, pkt, (size_t)n, m->pkt_len, pid);
	if (n < 0)
		return SL_DROP_TOO_BIG;
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - n));
	if ((r = dp_outer_push(w, m, &p->remote, &p->remote_mac, 0)) != 0)
		return r - DP_V_DROP_BASE;
	p->last_tx_tsc = w->now_tsc;
	p->stats->tx_key_id = k->key_id;
	return -1;
}

/*
 * Bigger than the tunnel: fragment if allowed (the tail goes to *extra),
 * else tell the sender the MTU. Returns -1 to go on, or a drop reason.
 */
static int too_big(struct dp_worker *w, struct rte_mbuf *m, struct rte_mbuf **extra)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint16_t mtu = w->dp->tun_mtu;

	if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)) {
		struct dp_port *priv = &w->dp->port[CFG_PORT_PRIVATE];
		struct rte_mbuf *icmp;

		rte_pktmbuf_prepend(m, sizeof(struct rte_ether_hdr));
		icmp = dp_icmp_frag_needed(w, m, mtu);
		if (icmp != NULL && rte_eth_tx_burst(priv->port_id, w->index, &icmp, 1) == 0)
			rte_pktmbuf_free(icmp);
		return SL_DROP_TOO_BIG;
	}
	if (dp_ip_fragment(w->dp->pool, m, mtu, extra) != 0)
		return SL_DROP_TOO_BIG;
	return -1;
}

static int encrypt_one(struct dp_worker *w, struct rte_mbuf *m, struct rte_mbuf **extra)
{
	struct dp *dp = w->dp;
	struct dp_peer *p = dp_peer_get(dp->peers, dp->max_peers, dp_meta(m)->peer_id);
	struct rte_ipv4_hdr *ip;
	unsigned ip_len;
	int r;

	if (p == NULL)
		return dp_drop_v(SL_DROP_NO_ROUTE);
	rte_pktmbuf_adj(m, sizeof(struct rte_ether_hdr));
	ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	ip_len = rte_be_to_cpu_16(ip->total_length);
	if (ip_len < sizeof(*ip) || ip_len > m->pkt_len)
		return dp_drop_v(SL_DROP_BAD_HEADER);
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - ip_len));	/* Ethernet padding */
	if (dp->mss)
		dp_mss_clamp(ip, ip_len, dp->mss);
	if (unlikely(ip_len > dp->tun_mtu) && (r = too_big(w, m, extra)) >= 0)
		return dp_drop_v(r);
	p->stats->tx_pkts++;
	p->stats->tx_bytes += ip_len;
	if ((r = dp_encap(w, p, m)) >= 0)
		return dp_drop_v(r);
	if (*extra != NULL && (r = dp_encap(w, p, *extra)) >= 0) {
		w->stats->drop[r]++;
		rte_pktmbuf_free(*extra);
		*extra = NULL;
	}
	return DP_V_TX;
}

void dp_encrypt_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n,
		      struct rte_mbuf **out, uint16_t *n_out)
{
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *extra = NULL;
		int r = encrypt_one(w, pkts[i], &extra);

		if (r == DP_V_TX) {
			out[(*n_out)++] = pkts[i];
			if (extra != NULL)
				out[(*n_out)++] = extra;
			continue;
		}
		w->stats->drop[r - DP_V_DROP_BASE]++;
		rte_pktmbuf_free(pkts[i]);
	}
}

/* ---- keepalive ---- */

static void keepalive_peer(struct dp_worker *w, struct dp_peer *p, struct rte_mbuf **out,
			   uint16_t *n_out)
{
	struct rte_mbuf *m;
	uint8_t *d;

	if (p->ka_timeout_tsc && !p->idle_reported &&
	    w->now_tsc - p->last_rx_tsc > p->ka_timeout_tsc) {
		p->idle_reported = 1;
		raise_event(w, SL_EVT_PEER_IDLE, p, 0);
	}
	if (!p->ka_interval_tsc || w->now_tsc - p->last_tx_tsc < p->ka_interval_tsc ||
	    dp_peer_tx_key(p) == NULL || rte_is_zero_ether_addr(&p->remote_mac))
		return;
	m = rte_pktmbuf_alloc(w->dp->pool);
	if (m == NULL) {
		w->stats->drop[SL_DROP_NO_MBUF]++;
		return;
	}
	d = (uint8_t *)rte_pktmbuf_append(m, OVPN_PING_LEN);
	ovpn_inband_ping_build(d, OVPN_PING_LEN);
	if (dp_encap(w, p, m) >= 0) {
		rte_pktmbuf_free(m);
		return;
	}
	out[(*n_out)++] = m;
}

/*
 * Visit a slice of the peer table every millisecond: the whole table is
 * covered about every (max_peers / 64) ms, far below the 1 s keepalive
 * granularity for tables up to 64k peers.
 */
void dp_keepalive_scan(struct dp_worker *w, struct rte_mbuf **out, uint16_t *n_out,
		       uint16_t max)
{
	struct dp *dp = w->dp;
	uint32_t slice = RTE_MAX(64u, dp->max_peers / 1000);

	if (w->now_tsc - w->scan_tsc < dp->tsc_hz / 1000)
		return;
	w->scan_tsc = w->now_tsc;
	for (uint32_t i = 0; i < slice && *n_out < max; i++) {
		struct dp_peer *p = dp_peer_get(dp->peers, dp->max_peers, w->scan_next);

		if (++w->scan_next >= dp->max_peers)
			w->scan_next = 0;
		if (p != NULL && p->owner == w->index)
			keepalive_peer(w, p, out, n_out);
	}
}

/* ---- MSS clamp ---- */

/* RFC 1624 incremental update of a checksum (network order in and out). */
static uint16_t csum_replace16(uint16_t sum, uint16_t old, uint16_t new)
{
	uint32_t s = (uint16_t)~rte_be_to_cpu_16(sum) + (uint16_t)~old + new;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return rte_cpu_to_be_16((uint16_t)~s);
}

void dp_mss_clamp(struct rte_ipv4_hdr *ip, unsigned len, uint16_t mss)
{
	unsigned hl = rte_ipv4_hdr_len(ip), thl, o;
	struct rte_tcp_hdr *tcp;
	uint8_t *opt;

	if (ip->next_proto_id != IPPROTO_TCP || len < hl + sizeof(*tcp) ||
	    (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK)))
		return;
	tcp = (struct rte_tcp_hdr *)((uint8_t *)ip + hl);
	thl = (tcp->data_off >> 4) * 4u;
	if (!(tcp->tcp_flags & RTE_TCP_SYN_FLAG) || thl < sizeof(*tcp) || hl + thl > len)
		return;
	opt = (uint8_t *)(tcp + 1);
	for (o = 0; o + sizeof(*tcp) < thl;) {
		uint8_t kind = opt[o];

		if (kind == 0)
			break;
		if (kind == 1) {
			o++;
			continue;
		}
		if (o + 1 + sizeof(*tcp) >= thl || opt[o + 1] < 2)
			break;
		if (kind == 2 && opt[o + 1] == 4 && o + 4 + sizeof(*tcp) <= thl) {
			uint16_t old = (uint16_t)(opt[o + 2] << 8 | opt[o + 3]);

			if (old > mss) {
				opt[o + 2] = (uint8_t)(mss >> 8);
				opt[o + 3] = (uint8_t)mss;
				tcp->cksum = csum_replace16(tcp->cksum, old, mss);
			}
			return;
		}
		o += opt[o + 1];
	}
}
