/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The input stage: sort one RX burst into replies we send back (ARP, echo),
 * control packets for the control plane, and drops by named reason.
 * Checks run in a fixed order: Ethernet, IPv4 header and length, our
 * address, then protocol and port, then the OpenVPN opcode byte.
 */
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_udp.h>

#include <rte_hash.h>
#include <rte_lpm.h>

#include "dp_peer.h"
#include "dp_pkt.h"
#include "ovpn_proto.h"

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
	struct dp *dp = w->dp;
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
		meta->peer_id = (uint32_t)payload[1] << 16 | (uint32_t)payload[2] << 8 | payload[3];
		if (dp_peer_get(dp->peers, dp->max_peers, meta->peer_id) == NULL)
			return dp_drop_v(SL_DROP_UNKNOWN_PEER);
	} else if (op == OVPN_P_DATA_V1) {
		/* Pre-2.4 clients: no peer-id on the wire, found by address. */
		struct dp_v1_key k = { .ip = rte_be_to_cpu_32(ip->src_addr),
				       .port = rte_be_to_cpu_16(udp->src_port) };
		void *id;

		if (rte_hash_lookup_data(dp->v1_hash, &k, &id) < 0)
			return dp_drop_v(SL_DROP_UNKNOWN_PEER);
		meta->peer_id = (uint32_t)(uintptr_t)id;
	} else if (!opcode_is_control(op)) {
		return dp_drop_v(SL_DROP_BAD_OPCODE);
	}

	meta->peer = sl_endpoint_udp4(rte_be_to_cpu_32(ip->src_addr),
				      rte_be_to_cpu_16(udp->src_port));
	rte_ether_addr_copy(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr,
			    (struct rte_ether_addr *)meta->mac);
	meta->payload_off = (uint16_t)((char *)(udp + 1) - rte_pktmbuf_mtod(m, char *));
	meta->payload_len = (uint16_t)(ulen - sizeof(*udp));
	meta->port_id = p->port_id;
	if (op == OVPN_P_DATA_V2 || op == OVPN_P_DATA_V1)
		return DP_V_DATA;
	meta->peer_id = 0;
	return DP_V_CP;
}

/* A private-side packet for a VPN client: find its peer. */
static int fwd_input(struct dp_worker *w, struct rte_mbuf *m, struct rte_ipv4_hdr *ip)
{
	struct dp *dp = w->dp;
	uint32_t dst = rte_be_to_cpu_32(ip->dst_addr), id;

	/* VPN addresses and iroutes; the rest of the pool has nobody. */
	if (rte_lpm_lookup(dp->lpm, dst, &id) != 0)
		return dp_drop_v((dst & dp->pool_mask) == dp->pool_net ? SL_DROP_NO_ROUTE :
								       SL_DROP_NOT_FOR_US);
	dp_meta(m)->peer_id = id;
	return DP_V_FWD;
}

static int ipv4_input(struct dp_worker *w, const struct dp_port *p, struct rte_mbuf *m)
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
	if (rte_be_to_cpu_32(ip->dst_addr) != p->addr)
		return p->role == CFG_PORT_PRIVATE ? fwd_input(w, m, ip) :
						     dp_drop_v(SL_DROP_NOT_FOR_US);
	if ((ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)))
		return dp_drop_v(SL_DROP_BAD_HEADER);
	switch (ip->next_proto_id) {
	case IPPROTO_ICMP:
		return dp_local_icmp(p, m, ip, w->stats);
	case IPPROTO_UDP:
		return udp_input(w, p, m, ip, len);
	default:
		return dp_drop_v(SL_DROP_NOT_FOR_US);
	}
}

static int classify(struct dp_worker *w, const struct dp_port *p, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	if (m->data_len < sizeof(*eth))
		return dp_drop_v(SL_DROP_BAD_HEADER);
	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))
		return dp_local_arp(p, m, w->stats);
	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return ipv4_input(w, p, m);
	return dp_drop_v(SL_DROP_NOT_IP);
}

void dp_input_burst(struct dp_worker *w, const struct dp_port *p,
		    struct rte_mbuf **pkts, uint16_t n, struct dp_sorted *out)
{
	struct sl_lcore_stats *st = w->stats;

	out->n_tx = out->n_cp = out->n_data = out->n_fwd = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		int v = classify(w, p, m);

		switch (v) {
		case DP_V_TX: out->tx[out->n_tx++] = m; break;
		case DP_V_CP: out->cp[out->n_cp++] = m; break;
		case DP_V_DATA: out->data[out->n_data++] = m; break;
		case DP_V_FWD: out->fwd[out->n_fwd++] = m; break;
		case DP_V_DONE: rte_pktmbuf_free(m); break;
		default:
			st->drop[v - DP_V_DROP_BASE]++;
			rte_pktmbuf_free(m);
			break;
		}
	}
}
