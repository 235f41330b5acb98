/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DP_PKT_H
#define SL_DP_PKT_H

/*
 * Per-packet verdicts of the input stages. A verdict >= 0 is an action; a
 * drop carries its reason: DP_V_DROP_BASE + enum sl_drop.
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dp.h"

enum {
	DP_V_TX = 0,		/* reply built in place: send back out the same port */
	DP_V_CP = 1,		/* control packet: to the control plane */
	DP_V_DATA = 2,		/* public: data packet for meta->peer_id, to decrypt */
	DP_V_FWD = 3,		/* private: to the tunnel of meta->peer_id, to encrypt */
	DP_V_DONE = 4,		/* consumed (ARP reply learnt): free, not a drop */
	DP_V_HELD = 5,		/* kept until its next hop resolves (w->pending) */
	DP_V_DROP_BASE = 16,
};

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

static inline int dp_drop_v(enum sl_drop reason)
{
	return DP_V_DROP_BASE + (int)reason;
}

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

/* dp_outer.c: outer headers toward a peer's endpoint. */

/* The most header room dp_outer_push() needs (Ethernet + IPv4 + UDP). */
#define DP_OUTER_MAX	(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + 8)

enum {
	DP_OUTER_DF = 1 << 0,		/* IPv4: set don't-fragment */
	DP_OUTER_UDP_CSUM = 1 << 1,	/* compute the UDP checksum (else 0) */
};

/*
 * Prepend Ethernet/IP/transport headers to the OpenVPN packet in m, from
 * the public port and vpn.listen_port to TO, through next hop NH. 0, or a
 * drop verdict: too big for the public port, or a family/transport this
 * data plane does not build yet.
 */
int dp_outer_push(struct dp_worker *w, struct rte_mbuf *m, const struct sl_endpoint *to,
		  const struct rte_ether_addr *nh, unsigned flags);

int dp_local_arp(const struct dp_port *p, struct rte_mbuf *m, struct sl_lcore_stats *st);
int dp_local_icmp(const struct dp_port *p, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		  struct sl_lcore_stats *st);

/* The lists one input burst is sorted into. */
struct dp_sorted {
	struct rte_mbuf *tx[DP_BURST_MAX];	/* replies, same port */
	struct rte_mbuf *cp[DP_BURST_MAX];	/* to the control plane */
	struct rte_mbuf *data[DP_BURST_MAX];	/* public data, to decrypt */
	struct rte_mbuf *fwd[DP_BURST_MAX];	/* private, to encrypt */
	uint16_t n_tx, n_cp, n_data, n_fwd;
};

/* Stage (dp_input.c): classify a burst from port P; drops are freed and counted. */
void dp_input_burst(struct dp_worker *w, const struct dp_port *p,
		    struct rte_mbuf **pkts, uint16_t n, struct dp_sorted *out);

/*
 * Stages (dp_data.c), run by the owner of every packet's peer:
 *  decrypt: public data packets -> plain IPv4 frames for the private port,
 *  encrypt: private IPv4 frames -> OpenVPN/UDP frames for the public port;
 *           a packet over vpn.tun_mtu may become two (room for 2n in out[]).
 * Both write their output to out[] (n_out) and free and count the drops.
 */
void dp_decrypt_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n,
		      struct rte_mbuf **out, uint16_t *n_out);
void dp_encrypt_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n,
		      struct rte_mbuf **out, uint16_t *n_out);

/*
 * Keep the packets this worker owns in pkts[] (returns their count, order
 * kept) and hand the others to their owner's ring in RINGS, one burst per
 * owner; a full ring is a handoff-full drop.
 */
uint16_t dp_handoff_split(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n,
			  struct rte_ring **rings);

/* Encapsulate one inner payload (mbuf data = payload) for peer P. */
int dp_encap(struct dp_worker *w, struct dp_peer *p, struct rte_mbuf *m);

/* dp_frag.c: LAN packets bigger than the tunnel MTU. */
int dp_ip_fragment(struct rte_mempool *pool, struct rte_mbuf *m, uint16_t mtu,
		   struct rte_mbuf **second);
struct rte_mbuf *dp_icmp_frag_needed(struct dp_worker *w, const struct rte_mbuf *m,
				     uint16_t mtu);

/* An ARP request for hop out of PORT (the neighbour table said: ask). */
void dp_arp_request_send(struct dp_worker *w, struct dp_port *port, uint32_t hop);

/* dp_cp.c: control packets to the control plane, and from it to the wire. */
void dp_cp_to_control_plane(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n);
void dp_cp_send_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n,
		      struct rte_mbuf **out, uint16_t *n_out);

/* Send the held frames whose next hop resolved; drop those too old. */
void dp_pending_flush(struct dp_worker *w, struct rte_mbuf **out, uint16_t *n_out,
		      uint16_t max);

/* Keepalive pings and idle detection for the peers this worker owns. */
void dp_keepalive_scan(struct dp_worker *w, struct rte_mbuf **out, uint16_t *n_out,
		       uint16_t max);

/* TCP MSS clamp on an IPv4 packet (ip points at its header, len bytes valid). */
void dp_mss_clamp(struct rte_ipv4_hdr *ip, unsigned len, uint16_t mss);

#endif
