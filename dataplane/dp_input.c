/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The input stage: sort one RX burst into replies we send back (ARP, echo),
 * control packets for the control plane, data packets to decrypt, private
 * packets to encrypt, and drops by named reason. Checks run in a fixed
 * order: Ethernet, IPv4 header and length, our address (or, on the private
 * port, a destination to look up), then protocol and port, then the
 * OpenVPN opcode byte.
 *
 * Peers are not looked up here: a P_DATA_V2 packet carries its peer-id,
 * which also names its owner; private packets get theirs from one LPM bulk
 * lookup per burst, P_DATA_V1 packets from one hash bulk lookup by source
 * address. The owner looks the peer up, once (dp_decrypt.c, dp_encrypt.c);
 * the table entry it will read is asked for here (dp_pkt.h, prefetching).
 */
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_udp.h>

#include <rte_hash.h>
#include <rte_lpm.h>

#include "dp_exc.h"
#include "dp_pkt.h"
#include "ovpn_proto.h"

/* Verdicts of this stage only: a bulk lookup decides them. */
enum {
	DP_V_FWD_LPM = DP_V_HELD + 1,	/* private: peer by the LPM of the destination */
	DP_V_DATA_V1,			/* public P_DATA_V1: peer by the source address */
};
_Static_assert((int)DP_V_DATA_V1 < (int)DP_V_DROP_BASE, "input verdicts overlap the drops");

/* Opcodes the control plane takes; P_DATA_* stay here; the rest are dropped. */
static bool opcode_is_control(unsigned op)
{
	switch (op) {
	case OVPN_P_CONTROL_HARD_RESET_CLIENT_V1:
	case OVPN_P_CONTROL_SOFT_RESET_V1:
	case OVPN_P_CONTROL_V1:
	case OVPN_P_ACK_V1:
	case OVPN_P_CONTROL_HARD_RESET_CLIENT_V2:
	case OVPN_P_CONTROL_HARD_RESET_CLIENT_V3:
	case OVPN_P_CONTROL_WKC_V1:
		return true;
	default:
		return false;
	}
}

static int udp_input(struct dp_worker *w, const struct dp_port *p, struct rte_mbuf *m,
		     struct rte_ipv4_hdr *ip, unsigned ip_len)
{
	const uint8_t *payload;
	unsigned hl = rte_ipv4_hdr_len(ip);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)((char *)ip + hl);
	struct sl_cp_meta *meta;
	unsigned ulen, op;

	if (ip_len < hl + sizeof(*udp))
		return dp_drop_v(SL_DROP_BAD_HEADER);
	ulen = rte_be_to_cpu_16(udp->dgram_len);
	if (ulen < sizeof(*udp) + 1 || ulen > ip_len - hl)
		return dp_drop_v(SL_DROP_BAD_HEADER);
	if (p->listen_port == 0 || rte_be_to_cpu_16(udp->dst_port) != p->listen_port)
		return dp_drop_v(SL_DROP_NOT_FOR_US);

	payload = (const uint8_t *)(udp + 1);
	op = ovpn_op_opcode(payload[0]);
	meta = dp_meta(m);
	if (op == OVPN_P_DATA_V2) {
		if (ulen < sizeof(*udp) + 4)
			return dp_drop_v(SL_DROP_AUTH);
		/* Looked up by its owner; an id past the table is nobody's anyway. */
		meta->peer_id = (uint32_t)payload[1] << 16 | (uint32_t)payload[2] << 8 | payload[3];
		if (meta->peer_id >= w->dp->max_peers)
			return dp_drop_v(SL_DROP_UNKNOWN_PEER);
		dp_prefetch_peer_id(w->dp, meta->peer_id);
	} else if (op != OVPN_P_DATA_V1 && !opcode_is_control(op)) {
		return dp_drop_v(SL_DROP_BAD_OPCODE);
	}

	meta->peer = sl_endpoint_udp4(rte_be_to_cpu_32(ip->src_addr),
				      rte_be_to_cpu_16(udp->src_port));
	rte_ether_addr_copy(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr,
			    (struct rte_ether_addr *)meta->mac);
	meta->payload_off = (uint16_t)((char *)(udp + 1) - rte_pktmbuf_mtod(m, char *));
	meta->payload_len = (uint16_t)(ulen - sizeof(*udp));
	meta->port_id = p->port_id;
	if (op == OVPN_P_DATA_V2)
		return DP_V_DATA;
	if (op == OVPN_P_DATA_V1)
		return DP_V_DATA_V1;	/* pre-2.4 client: no peer-id, found by address */
	meta->peer_id = 0;
	/* Nothing authenticated this packet yet: bound what it can cost. */
	return dp_cp_rate_check(w, meta->peer.addr.v4);
}

/* *dst: the destination, host order, for DP_V_FWD_LPM. */
static int ipv4_input(struct dp_worker *w, const struct dp_port *p, struct rte_mbuf *m,
		      uint32_t *dst)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
							  sizeof(struct rte_ether_hdr));
	unsigned avail = m->data_len - sizeof(struct rte_ether_hdr), hl, len;

	if (avail < sizeof(*ip) || (ip->version_ihl >> 4) != 4)
		return dp_drop_v(SL_DROP_BAD_HEADER);
	hl = rte_ipv4_hdr_len(ip);
	len = rte_be_to_cpu_16(ip->total_length);
	if (hl < sizeof(*ip) || len < hl || len > avail)
		return dp_drop_v(SL_DROP_BAD_HEADER);
	*dst = rte_be_to_cpu_32(ip->dst_addr);
	if (*dst != p->addr)
		return p->role == CFG_PORT_PRIVATE ? DP_V_FWD_LPM : dp_drop_v(SL_DROP_NOT_FOR_US);
	if ((ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)))
		return dp_drop_v(SL_DROP_BAD_HEADER);
	switch (ip->next_proto_id) {
	case IPPROTO_ICMP:
		return dp_local_icmp(p, m, ip, w->stats);
	case IPPROTO_UDP:
		return udp_input(w, p, m, ip, len);
	case IPPROTO_TCP:
		return dp_exc_input(w, p, m, ip, len);	/* vpn.tcp_port, to the kernel */
	default:
		return dp_drop_v(SL_DROP_NOT_FOR_US);
	}
}

static int classify(struct dp_worker *w, const struct dp_port *p, struct rte_mbuf *m,
		    uint32_t *dst)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	if (m->data_len < sizeof(*eth))
		return dp_drop_v(SL_DROP_BAD_HEADER);
	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))
		return dp_local_arp(p, m, w->stats);
	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return ipv4_input(w, p, m, dst);
	return dp_drop_v(SL_DROP_NOT_IP);
}

/* Private packets for VPN addresses and iroutes: their peer-ids, in one LPM bulk lookup. */
static void fwd_lookup(struct dp_worker *w, struct rte_mbuf **pkts, const uint32_t *dst,
		       uint16_t n, struct dp_sorted *out)
{
	struct dp *dp = w->dp;
	uint32_t hop[DP_BURST_MAX];

	rte_lpm_lookup_bulk(dp->lpm, dst, hop, n);
	for (uint16_t j = 0; j < n; j++) {
		if (likely(hop[j] & RTE_LPM_LOOKUP_SUCCESS)) {
			dp_meta(pkts[j])->peer_id = hop[j] & 0x00FFFFFF;
			dp_prefetch_peer_id(dp, dp_meta(pkts[j])->peer_id);
			out->fwd[out->n_fwd++] = pkts[j];
			continue;
		}
		/* The rest of the pool has nobody; beyond it, not ours. */
		dp_drop(w, pkts[j], dp_drop_v((dst[j] & dp->pool_mask) == dp->pool_net ?
					      SL_DROP_NO_ROUTE : SL_DROP_NOT_FOR_US));
	}
}

/* P_DATA_V1 packets: their peer-ids by source address, in one hash bulk lookup. */
static void v1_lookup(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n,
		      struct dp_sorted *out)
{
	struct dp_v1_key keys[DP_BURST_MAX];
	const void *kp[DP_BURST_MAX];
	void *data[DP_BURST_MAX];
	uint64_t hits = 0;

	for (uint16_t j = 0; j < n; j++) {
		const struct sl_endpoint *e = &dp_meta(pkts[j])->peer;

		keys[j] = (struct dp_v1_key){ .ip = e->addr.v4, .port = e->port };
		kp[j] = &keys[j];
	}
	rte_hash_lookup_bulk_data(w->dp->v1_hash, kp, n, &hits, data);
	for (uint16_t j = 0; j < n; j++) {
		if (hits & (1ull << j)) {
			dp_meta(pkts[j])->peer_id = (uint32_t)(uintptr_t)data[j];
			out->data[out->n_data++] = pkts[j];
		} else {
			dp_drop(w, pkts[j], dp_drop_v(SL_DROP_UNKNOWN_PEER));
		}
	}
}

/* What classify() reads of m: its headers, and its meta, written for data
 * and control packets. */
static inline void prefetch_headers(struct rte_mbuf *m)
{
	rte_prefetch0(rte_pktmbuf_mtod(m, void *));
	rte_prefetch0(dp_meta(m));
}

void dp_input_burst(struct dp_worker *w, const struct dp_port *p,
		    struct rte_mbuf **pkts, uint16_t n, struct dp_sorted *out)
{
	struct rte_mbuf *lpm[DP_BURST_MAX], *v1[DP_BURST_MAX];
	uint32_t dst[DP_BURST_MAX];
	uint16_t n_lpm = 0, n_v1 = 0;

	out->n_tx = out->n_cp = out->n_data = out->n_fwd = 0;
	/* A pass for the mbufs, one for their headers: the burst's misses overlap. */
	for (uint16_t i = 0; i < n; i++)
		rte_prefetch0(pkts[i]);
	for (uint16_t i = 0; i < n; i++)
		prefetch_headers(pkts[i]);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		int v = classify(w, p, m, &dst[n_lpm]);

		switch (v) {
		case DP_V_TX: out->tx[out->n_tx++] = m; break;
		case DP_V_CP: out->cp[out->n_cp++] = m; break;
		case DP_V_DATA: out->data[out->n_data++] = m; break;
		case DP_V_FWD_LPM: lpm[n_lpm++] = m; break;
		case DP_V_DATA_V1: v1[n_v1++] = m; break;
		case DP_V_DONE: rte_pktmbuf_free(m); break;
		case DP_V_HELD: break;	/* kept by the exception path (dp_exc.c) */
		default: dp_drop(w, m, v); break;
		}
	}
	/* A peer's packets are all V1 or all V2: appending keeps each peer's order. */
	if (n_lpm)
		fwd_lookup(w, lpm, dst, n_lpm, out);
	if (unlikely(n_v1))
		v1_lookup(w, v1, n_v1, out);
}
