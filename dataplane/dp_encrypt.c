/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The encrypt stages (private -> public), run by the owner of the packet's
 * peer only, so the TX packet-ids and counters below have one writer.
 *
 *   check:   the peer (by the id dp_input.c's LPM lookup found), the inner
 *            IPv4 length; the Ethernet header and padding go;
 *   encrypt: MSS clamp, tunnel MTU (fragment, or ICMP "fragmentation
 *            needed"), TX key, packet-id, compression framing; the AEAD
 *            seal of the whole burst at once (lib/ovpn_engine.h); outer
 *            headers toward the peer's current endpoint.
 */
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_prefetch.h>

#include "dp_outer.h"
#include "dp_pkt.h"
#include "ovpn_engine.h"

/* The packet-id for this packet; raises the rekey event once per key. */
static int next_pid(struct dp_worker *w, struct dp_peer *p, struct dp_key *k, uint32_t *pid)
{
	int rc = ovpn_pktid_send_next(&k->tx_pid, pid);

	if (rc == 0)
		return DP_V_OK;
	if (!k->exhausted) {
		k->exhausted = 1;
		dp_peer_event(w, SL_EVT_KEY_EXHAUSTED, p, k->key_id);
	}
	return rc == OVPN_PKTID_REKEY ? DP_V_OK : dp_drop_v(SL_DROP_PKTID_EXHAUSTED);
}

/*
 * Before the crypto: TX key, packet-id, compression framing, room for the
 * header and tag; *op seals the payload in place. DP_V_OK or a drop.
 */
static int encap_prepare(struct dp_worker *w, struct dp_peer *p, struct rte_mbuf *m,
			 struct ovpn_data_op *op)
{
	struct dp_key *k = dp_peer_tx_key(p);
	size_t head, tail, fhead = 0;
	uint16_t len = (uint16_t)m->pkt_len;
	uint32_t pid;
	uint8_t *pkt;
	int n, r;

	if (k == NULL)
		return dp_drop_v(SL_DROP_NO_KEY);
	dp_prefetch_key(&k->tx);
	if ((r = next_pid(w, p, k, &pid)) != DP_V_OK)
		return r;
	n = ovpn_comp_frame(p->framing, rte_pktmbuf_mtod(m, uint8_t *), len,
			    rte_pktmbuf_headroom(m), rte_pktmbuf_tailroom(m), &fhead);
	if (n < 0)
		return dp_drop_v(SL_DROP_TOO_BIG);
	rte_pktmbuf_prepend(m, (uint16_t)fhead);
	if ((size_t)n > len + fhead)
		dp_append(m, (uint16_t)(n - len - fhead));
	head = ovpn_data_head_len(&k->tx);
	tail = ovpn_data_tail_max(&k->tx);
	if (rte_pktmbuf_headroom(m) < head + DP_OUTER_MAX + 1 || rte_pktmbuf_tailroom(m) < tail)
		return dp_drop_v(SL_DROP_TOO_BIG);
	pkt = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)head);
	if (tail > 0)
		dp_append(m, (uint16_t)tail);
	*op = (struct ovpn_data_op){ .k = &k->tx, .pkt = pkt, .len = (size_t)n,
				     .cap = m->pkt_len, .pid = pid };
	return DP_V_OK;
}

/* After the crypto: the packet's real length, outer headers toward the peer. */
static int encap_finish(struct dp_worker *w, struct dp_peer *p, struct rte_mbuf *m,
			const struct ovpn_data_op *op)
{
	int r;

	if (op->result < 0)
		return dp_drop_v(SL_DROP_TOO_BIG);
	dp_trim(m, (uint16_t)(m->pkt_len - op->result));
	if ((r = dp_outer_push(w, m, &p->remote, &p->remote_mac, 0)) != DP_V_OK)
		return r;
	p->last_tx_tsc = w->now_tsc;
	p->stats->tx_key_id = op->k->key_id;
	return DP_V_OK;
}

/* One packet on its own (keepalive pings): a burst of one. */
int dp_encap(struct dp_worker *w, struct dp_peer *p, struct rte_mbuf *m)
{
	struct ovpn_data_op op;
	int r = encap_prepare(w, p, m, &op);

	if (r != DP_V_OK)
		return r;
	ovpn_data_seal_burst(w->engine, &op, 1);
	return encap_finish(w, p, m, &op);
}

static int check_one(struct dp_worker *w, struct rte_mbuf *m, struct dp_peer **pp)
{
	struct dp *dp = w->dp;
	struct rte_ipv4_hdr *ip;
	unsigned ip_len;

	*pp = dp_peer_get(dp->peers, dp->max_peers, dp_meta(m)->peer_id);
	if (*pp == NULL)
		return dp_drop_v(SL_DROP_NO_ROUTE);
	dp_prefetch_peer(*pp);
	rte_pktmbuf_adj(m, sizeof(struct rte_ether_hdr));
	ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	ip_len = rte_be_to_cpu_16(ip->total_length);
	if (ip_len < sizeof(*ip) || ip_len > m->pkt_len)
		return dp_drop_v(SL_DROP_BAD_HEADER);
	dp_trim(m, (uint16_t)(m->pkt_len - ip_len));	/* Ethernet padding */
	return DP_V_OK;
}

void dp_encrypt_check_stage(struct dp_worker *w, struct dp_burst *b)
{
	for (uint16_t i = 0; i < b->n; i++)
		if (b->v[i] == DP_V_OK)
			b->v[i] = (uint8_t)check_one(w, b->pkts[i], &b->peer[i]);
}

/*
 * Bigger than the tunnel: fragment if allowed (the tail goes to *extra),
 * else tell the sender the MTU.
 */
static int too_big(struct dp_worker *w, struct rte_mbuf *m, struct rte_mbuf **extra)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint16_t mtu = w->dp->tun_mtu;

	if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)) {
		struct rte_mbuf *icmp;

		rte_pktmbuf_prepend(m, sizeof(struct rte_ether_hdr));
		icmp = dp_icmp_frag_needed(w, m, mtu);
		if (icmp != NULL)
			dp_tx_push(w, CFG_PORT_PRIVATE, icmp);
		return dp_drop_v(SL_DROP_TOO_BIG);
	}
	if (dp_ip_fragment(w->dp->pool, m, mtu, extra) != 0)
		return dp_drop_v(SL_DROP_TOO_BIG);
	return DP_V_OK;
}

/* The ops of one encrypt burst, and which packet each belongs to. */
struct seal_list {
	uint16_t n;
	uint16_t at[DP_STAGE_MAX];	/* op -> index in the burst */
	uint8_t follows[DP_STAGE_MAX];	/* op is the second fragment of op - 1 */
	struct ovpn_data_op ops[DP_STAGE_MAX];
};

/* Prepare packet I's op; DP_V_OK (queued on L) or its verdict. */
static int seal_add(struct dp_worker *w, struct dp_burst *b, uint16_t i, struct seal_list *l,
		    bool follows)
{
	int r = encap_prepare(w, b->peer[i], b->pkts[i], &l->ops[l->n]);

	if (r != DP_V_OK)
		return r;
	l->at[l->n] = i;
	l->follows[l->n++] = follows;
	return DP_V_OK;
}

/*
 * Before the crypto: MSS clamp, tunnel MTU (fragment, or ICMP
 * "fragmentation needed"), the counters, then the op; a second fragment
 * is appended to the burst and prepared right after the first, so its
 * packet-id is the next one.
 */
static int encrypt_prepare(struct dp_worker *w, struct dp_burst *b, uint16_t i,
			   struct seal_list *l)
{
	struct rte_mbuf *m = b->pkts[i], *extra = NULL;
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	struct dp_peer *p = b->peer[i];
	unsigned ip_len = m->pkt_len;
	uint16_t mss = w->dp->mss;
	int r;

	if (mss)
		dp_mss_clamp(ip, ip_len, mss);
	if (unlikely(ip_len > w->dp->tun_mtu) && (r = too_big(w, m, &extra)) != DP_V_OK)
		return r;
	p->stats->tx_pkts++;
	p->stats->tx_bytes += ip_len;
	r = seal_add(w, b, i, l, false);
	if (unlikely(extra != NULL)) {
		/* The second fragment follows the first, or shares its fate. */
		dp_burst_add(b, extra, p);
		b->v[b->n - 1] = (uint8_t)(r != DP_V_OK ? r : seal_add(w, b, b->n - 1, l, true));
	}
	return r;
}

/*
 * Every packet's TX key lines and its peer's counters asked for (its peer's
 * lines were, by the check stage): a pass over the burst, so that the
 * burst's misses overlap.
 */
static void keys_fetch(const struct dp_burst *b)
{
	for (uint16_t i = 0; i < b->n; i++) {
		const struct dp_key *k;

		if (b->v[i] != DP_V_OK)
			continue;
		k = dp_peer_tx_key(b->peer[i]);
		if (k != NULL) {
			dp_prefetch_range(&k->tx, sizeof(k->tx));
			rte_prefetch0(&k->tx_pid);
		}
		dp_prefetch_peer_stats(b->peer[i]);
	}
}

/*
 * Four passes, as in the decrypt stage: (1) keys asked for (keys_fetch);
 * (2) per packet, everything up to the op; (3) one ovpn_data_seal_burst()
 * over the burst; (4) per packet, the length and outer headers. A second
 * fragment shares a failed first one's verdict.
 */
void dp_encrypt_stage(struct dp_worker *w, struct dp_burst *b)
{
	struct seal_list l;
	uint16_t n = b->n;	/* second fragments are appended, already done */

	keys_fetch(b);
	l.n = 0;
	for (uint16_t i = 0; i < n; i++)
		if (b->v[i] == DP_V_OK)
			b->v[i] = (uint8_t)encrypt_prepare(w, b, i, &l);
	ovpn_data_seal_burst(w->engine, l.ops, l.n);
	for (uint16_t j = 0; j < l.n; j++) {
		uint16_t i = l.at[j];

		/* A burst of big packets pushed the first ones' headers out of L1. */
		if (j + 1 < l.n) {
			rte_prefetch0(b->pkts[l.at[j + 1]]);
			rte_prefetch0(l.ops[j + 1].pkt - DP_OUTER_MAX);
		}
		if (unlikely(l.follows[j]) && b->v[l.at[j - 1]] != DP_V_OK)
			b->v[i] = b->v[l.at[j - 1]];
		else
			b->v[i] = (uint8_t)encap_finish(w, b->peer[i], b->pkts[i], &l.ops[j]);
	}
}
