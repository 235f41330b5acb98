/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DP_PKT_H
#define SL_DP_PKT_H

/*
 * The worker's packet stages and what they share.
 *
 *   dp_input.c      sort an RX burst (replies, control, data, forward, drops)
 *   dp_cp.c         control packets to and from the control plane
 *   dp_decrypt.c    public -> private: peer, AEAD open, replay, float, in-band
 *   dp_route.c      next hop, neighbours, frames held for ARP, Ethernet header
 *   dp_encrypt.c    private -> public: peer, inner checks, MTU, AEAD seal
 *   dp_crypto.c     the crypto backend, each worker's engine (dp.h)
 *   dp_outer.h      outer Ethernet/IP/UDP toward a peer's endpoint
 *   dp_keepalive.c  pings and idle detection
 *   dp_mss.c        TCP MSS clamp
 *   dp_frag.c       inner fragmentation and ICMP "fragmentation needed"
 *   dp_local.c      ARP and ICMP echo for our own addresses
 *   dp_worker.c     the loop, handoff to owners, the stage order, TX lists
 *
 * Stage-result convention, the same in every stage and helper: an int that
 * is
 *   DP_V_OK (0)          go on (after the last stage: send the packet),
 *   another DP_V_*       an action decided here (send a reply, to the
 *                        control plane, consumed, held for ARP, ...),
 *   dp_drop_v(reason)    drop it, counted under enum sl_drop reason.
 * A stage takes a struct dp_burst and leaves one such verdict per packet in
 * b->v[]; it only looks at packets whose verdict is still DP_V_OK, so later
 * stages (an access-rule classifier, dp_rules_stage()) slot in between.
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "dp.h"
#include "dp_neigh.h"
#include "dp_peer.h"

enum {
	DP_V_OK = 0,		/* go on / send */
	DP_V_TX = 1,		/* reply built in place: send back out the same port */
	DP_V_CP = 2,		/* control packet: to the control plane */
	DP_V_DATA = 3,		/* public: data packet for meta->peer_id, to decrypt */
	DP_V_FWD = 4,		/* private: to the tunnel of meta->peer_id, to encrypt */
	DP_V_DONE = 5,		/* consumed (ARP reply learnt, ping): free, not a drop */
	DP_V_HELD = 6,		/* kept until its next hop resolves (w->pending) */
	DP_V_DROP_BASE = 16,	/* + enum sl_drop */
};

static inline int dp_drop_v(enum sl_drop reason)
{
	return DP_V_DROP_BASE + (int)reason;
}

/* Metadata in the mbuf private area: struct sl_cp_meta (sl_api.h). */
static inline struct sl_cp_meta *dp_meta(struct rte_mbuf *m)
{
	return rte_mbuf_to_priv(m);
}

/* Frees every packet in pkts[0..n) as a drop for REASON. */
static inline void dp_drop_burst(struct sl_lcore_stats *st, struct rte_mbuf **pkts,
				 uint16_t n, enum sl_drop reason)
{
	if (n == 0)
		return;
	st->drop[reason] += n;
	rte_pktmbuf_free_bulk(pkts, n);
}

/* Frees m as a drop verdict V (>= DP_V_DROP_BASE). */
static inline void dp_drop(struct dp_worker *w, struct rte_mbuf *m, int v)
{
	w->stats->drop[v - DP_V_DROP_BASE]++;
	rte_pktmbuf_free(m);
}

/* ---- prefetching ---- */

/*
 * With thousands of peers, a packet's peer, key and key schedules are in
 * no cache, nor is a packet the NIC just wrote. The stages ask for them
 * ahead of use, a pass over the burst at a time, so that the misses of a
 * burst overlap instead of following one another: the input stage for
 * every packet's mbuf, then headers and meta, then (as it sorts them) its
 * peer-table entry; the decrypt and encrypt stages for all the burst's
 * peers, then all their keys, then key schedules, replay windows and
 * counters, before the one crypto call of the burst.
 */

/* Every cache line of [p, p + len). */
static inline void dp_prefetch_range(const void *p, size_t len)
{
	const char *c = (const char *)((uintptr_t)p & ~(uintptr_t)(RTE_CACHE_LINE_SIZE - 1));

	for (const char *end = (const char *)p + len; c < end; c += RTE_CACHE_LINE_SIZE)
		rte_prefetch0(c);
}

/*
 * What the crypto reads of key K besides its own line (read already when
 * this is called): the ipsec-mb key schedules, its material; an OpenSSL
 * key's context.
 */
static inline void dp_prefetch_key(const struct ovpn_data_key *k)
{
	if (k->imb != NULL)
		dp_prefetch_range(k->imb, k->mem_len);
	else
		rte_prefetch0(k->cctx);
}

/* The peer-table entry of ID (< max_peers): the owner reads it first. */
static inline void dp_prefetch_peer_id(const struct dp *dp, uint32_t id)
{
	rte_prefetch0(&dp->peers[id]);
}

/* Peer P's lines: the key slots (its first), the owner-written state. */
static inline void dp_prefetch_peer(const struct dp_peer *p)
{
	rte_prefetch0(p);
	rte_prefetch0(&p->remote);
}

/* The counters every packet of peer P adds to (its sl_status entry). */
static inline void dp_prefetch_peer_stats(const struct dp_peer *p)
{
	dp_prefetch_range(p->stats, offsetof(struct sl_peer_stats, tx_key_id) + 1);
}

/*
 * rte_pktmbuf_trim() and rte_pktmbuf_append() for a packet in one segment,
 * which every packet on the data path is: the library's find the last
 * segment through m->next, on the mbuf's second cache line, which nothing
 * else per packet reads (a cache miss per packet on a NIC's mbufs). A
 * chained mbuf takes the library's way.
 */
static inline int dp_trim(struct rte_mbuf *m, uint16_t len)
{
	if (unlikely(m->nb_segs != 1))
		return rte_pktmbuf_trim(m, len);
	if (unlikely(len > m->data_len))
		return -1;
	m->data_len = (uint16_t)(m->data_len - len);
	m->pkt_len -= len;
	return 0;
}

static inline char *dp_append(struct rte_mbuf *m, uint16_t len)
{
	char *tail;

	if (unlikely(m->nb_segs != 1))
		return rte_pktmbuf_append(m, len);
	if (unlikely(len > rte_pktmbuf_tailroom(m)))
		return NULL;
	tail = rte_pktmbuf_mtod_offset(m, char *, m->data_len);
	m->data_len = (uint16_t)(m->data_len + len);
	m->pkt_len += len;
	return tail;
}

/* ---- TX lists (dp_worker.c) ---- */

/* Send the port's list now; what the queue does not take is a tx-full drop. */
void dp_tx_flush(struct dp_worker *w, int port);

/* Queue a frame for the port; sent at the end of the loop iteration. */
static inline void dp_tx_push(struct dp_worker *w, int port, struct rte_mbuf *m)
{
	struct dp_txq *q = &w->tx[port];

	if (unlikely(q->n == DP_TXQ_MAX))
		dp_tx_flush(w, port);
	q->pkts[q->n++] = m;
}

/* ---- bursts through the stages ---- */

#define DP_STAGE_MAX	(2 * DP_BURST_MAX)	/* a burst plus second fragments */

struct dp_burst {
	uint16_t n;
	uint8_t v[DP_STAGE_MAX];		/* verdict so far */
	struct rte_mbuf *pkts[DP_STAGE_MAX];
	struct dp_peer *peer[DP_STAGE_MAX];	/* looked up once, by the first stage */
};

static inline void dp_burst_init(struct dp_burst *b, struct rte_mbuf **pkts, uint16_t n)
{
	b->n = n;
	memcpy(b->pkts, pkts, n * sizeof(pkts[0]));
	memset(b->v, DP_V_OK, n);
}

/* Append a packet that goes on with peer p (a second fragment). */
static inline void dp_burst_add(struct dp_burst *b, struct rte_mbuf *m, struct dp_peer *p)
{
	b->pkts[b->n] = m;
	b->peer[b->n] = p;
	b->v[b->n++] = DP_V_OK;
}

/* The end of a burst: DP_V_OK to the port's TX list, drops counted and freed. */
void dp_burst_emit(struct dp_worker *w, struct dp_burst *b, int port);

/*
 * The two data paths, run by the owner of every packet's peer (dp_worker.c):
 *  forward: public data packets -> plain IPv4 frames for the private port,
 *  reverse: private IPv4 frames -> OpenVPN/UDP frames for the public port.
 */
void dp_forward_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n);
void dp_reverse_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n);

/* The stages, in the order the paths run them. */
void dp_decrypt_stage(struct dp_worker *w, struct dp_burst *b);		/* dp_decrypt.c */
void dp_route_stage(struct dp_worker *w, struct dp_burst *b);		/* dp_route.c */
void dp_encrypt_check_stage(struct dp_worker *w, struct dp_burst *b);	/* dp_encrypt.c */
void dp_encrypt_stage(struct dp_worker *w, struct dp_burst *b);		/* dp_encrypt.c */

enum dp_dir { DP_DIR_FORWARD, DP_DIR_REVERSE };

/*
 * Access rules (dp_rules.c): once per burst, when peer and inner header are
 * known and before anything is routed or encrypted (forward: after decrypt;
 * reverse: after the LPM lookup and the inner checks). Packets of allowed
 * flows go on; denied ones become acl-deny drops. Before the first rule set
 * is published every packet goes on.
 */
void dp_rules_stage(struct dp_worker *w, struct dp_burst *b, enum dp_dir dir);

/* ---- input (dp_input.c) ---- */

/* The lists one input burst is sorted into. */
struct dp_sorted {
	struct rte_mbuf *tx[DP_BURST_MAX];	/* replies, same port */
	struct rte_mbuf *cp[DP_BURST_MAX];	/* to the control plane */
	struct rte_mbuf *data[DP_BURST_MAX];	/* public data, to decrypt */
	struct rte_mbuf *fwd[DP_BURST_MAX];	/* private, to encrypt */
	uint16_t n_tx, n_cp, n_data, n_fwd;
};

/* Classify a burst from port P; drops are freed and counted. */
void dp_input_burst(struct dp_worker *w, const struct dp_port *p,
		    struct rte_mbuf **pkts, uint16_t n, struct dp_sorted *out);

int dp_local_arp(const struct dp_port *p, struct rte_mbuf *m, struct sl_lcore_stats *st);
int dp_local_icmp(const struct dp_port *p, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		  struct sl_lcore_stats *st);

/*
 * Keep the packets this worker owns in pkts[] (returns their count, order
 * kept) and hand the others to their owner's ring in RINGS, one burst per
 * owner; a full ring is a handoff-full drop. The owner is peer_id %
 * n_workers: no table lookup.
 */
uint16_t dp_handoff_split(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n,
			  struct rte_ring **rings);

/* ---- control packets (dp_cp.c) ---- */

/* A control packet from SRC (IPv4, host order) within control.rx_rate,
 * rx_burst and rx_rate_total: DP_V_CP, else the cp-rate drop. */
int dp_cp_rate_check(struct dp_worker *w, uint32_t src);
void dp_cp_to_control_plane(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n);
/* Frame what the control plane queued on sl_cp_tx; returns how many were taken. */
uint16_t dp_cp_poll(struct dp_worker *w);

/* ---- encapsulation (dp_encrypt.c; outer headers: dp_outer.h) ---- */

/* Encrypt one inner payload (mbuf data = payload) for peer P, with outer
 * headers: a seal burst of one, for keepalive pings. */
int dp_encap(struct dp_worker *w, struct dp_peer *p, struct rte_mbuf *m);

/*
 * P_DATA_V1's 1-byte header puts frames at odd addresses; the Ethernet
 * header wants 2-byte alignment, so move the (rare) V1 frame by one byte.
 */
static inline void dp_realign(struct rte_mbuf *m)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);

	if (likely(((uintptr_t)d & 1) == 0))
		return;
	memmove(d - 1, d, m->data_len);
	m->data_off--;
}

/* ---- next hops (dp_route.c) ---- */

/* dp_neigh_resolve()'s slow path: queue the ARP request if REQUEST; a no-neighbor drop. */
int dp_neigh_unresolved(struct dp_worker *w, int port, uint32_t hop, bool request);

/*
 * The MAC of on-link next hop HOP of port PORT: DP_V_OK with *mac set, or a
 * no-neighbor drop, in which case an ARP request is queued on that port
 * (one per address per second).
 */
static inline int dp_neigh_resolve(struct dp_worker *w, int port, uint32_t hop,
				   struct rte_ether_addr *mac)
{
	bool request;

	if (likely(dp_neigh_lookup(w->dp->port[port].neigh, hop, w->now_s, mac, &request) == 0))
		return DP_V_OK;
	return dp_neigh_unresolved(w, port, hop, request);
}

/* Send the held frames whose next hop resolved; drop those too old. */
void dp_pending_flush(struct dp_worker *w);

/* ---- the rest ---- */

/* dp_frag.c: LAN packets bigger than the tunnel MTU. */
int dp_ip_fragment(struct rte_mempool *pool, struct rte_mbuf *m, uint16_t mtu,
		   struct rte_mbuf **second);
struct rte_mbuf *dp_icmp_frag_needed(struct dp_worker *w, const struct rte_mbuf *m,
				     uint16_t mtu);

/* dp_keepalive.c: pings and idle detection for the peers this worker owns. */
void dp_keepalive_scan(struct dp_worker *w);

/* dp_mss.c: TCP MSS clamp on an IPv4 packet (ip points at its header, len bytes valid). */
void dp_mss_clamp(struct rte_ipv4_hdr *ip, unsigned len, uint16_t mss);

/*
 * A critical event about peer p for the control plane (sl_api.h): pending
 * until acknowledged, so a full ring delays it and dp_keepalive.c raises
 * it again.
 */
static inline void dp_peer_event(struct dp_worker *w, uint16_t type, struct dp_peer *p,
				 uint8_t key_id)
{
	struct sl_event e = {
		.type = type, .peer_id = p->id, .remote = p->remote, .key_id = key_id,
	};

	if (++p->evt_seq == 0)
		p->evt_seq = 1;
	e.seq = p->evt_seq;
	if (type == SL_EVT_KEY_EXHAUSTED)
		p->exhausted_key_id = key_id;
	atomic_store_explicit(&p->evt_pending[type], e.seq, memory_order_release);
	p->evt_raised_tsc = w->now_tsc;
	rte_ring_enqueue_elem(w->dp->evt, &e, sizeof(e));
}

#endif
