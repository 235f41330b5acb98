/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DP_OUTER_H
#define SL_DP_OUTER_H

/*
 * The outer headers of everything the data plane sends toward a peer:
 * encrypted data packets, keepalive pings and the control plane's packets.
 * The mbuf holds the OpenVPN packet; Ethernet, IP and transport headers go
 * in front of it, from the public port's address and vpn.listen_port to
 * the peer's endpoint, through next hop NH.
 *
 * One builder per (family, transport), chosen by the endpoint. IPv4/UDP is
 * the only one so far; an IPv6 builder and a TCP-stream one (OpenVPN's
 * 2-byte length prefix in front of each packet, OpenVPN src/openvpn/socket.c)
 * go beside it in dp_outer_push(). Inline: it is on the encrypt path of
 * every packet (dp_encrypt.c) and on the control packets' (dp_cp.c).
 */
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dp_exc.h"
#include "dp_pkt.h"

/* The most header room dp_outer_push() needs (Ethernet + IPv4 + UDP). */
#define DP_OUTER_MAX	(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + \
			 sizeof(struct rte_udp_hdr))

enum {
	DP_OUTER_DF = 1 << 0,		/* IPv4: set don't-fragment */
	DP_OUTER_UDP_CSUM = 1 << 1,	/* compute the UDP checksum (else 0) */
};

/* IPv4/UDP: DF and the UDP checksum as FLAGS say, TTL 64. */
static inline int dp_outer_udp4(struct dp_worker *w, struct rte_mbuf *m,
				const struct sl_endpoint *to, const struct rte_ether_addr *nh,
				unsigned flags)
{
	struct dp_port *pub = &w->dp->port[CFG_PORT_PUBLIC];
	uint16_t len = (uint16_t)m->pkt_len;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;

	if (len + sizeof(*ip) + sizeof(*udp) > pub->mtu)
		return dp_drop_v(SL_DROP_TOO_BIG);
	if (rte_pktmbuf_prepend(m, DP_OUTER_MAX) == NULL)
		return dp_drop_v(SL_DROP_TOO_BIG);
	dp_realign(m);
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	udp = (struct rte_udp_hdr *)(ip + 1);
	eth->dst_addr = *nh;
	eth->src_addr = pub->mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16(len + sizeof(*ip) + sizeof(*udp));
	ip->packet_id = rte_cpu_to_be_16(w->ip_id++);
	ip->fragment_offset = (flags & DP_OUTER_DF) ? rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG) : 0;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(pub->addr);
	ip->dst_addr = rte_cpu_to_be_32(to->addr.v4);
	ip->hdr_checksum = 0;
	udp->src_port = rte_cpu_to_be_16(pub->listen_port);
	udp->dst_port = rte_cpu_to_be_16(to->port);
	udp->dgram_len = rte_cpu_to_be_16(len + sizeof(*udp));
	udp->dgram_cksum = 0;	/* optional over IPv4 (RFC 768) */
	if (flags & DP_OUTER_UDP_CSUM)
		udp->dgram_cksum = rte_ipv4_udptcp_cksum_mbuf(m, ip, sizeof(*eth) + sizeof(*ip));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return DP_V_OK;
}

/*
 * Prepend Ethernet/IP/transport headers to the OpenVPN packet in m, from
 * the public port and vpn.listen_port to TO, through next hop NH. DP_V_OK,
 * or a drop: too big for the public port, or a family/transport this data
 * plane does not build yet.
 */
static inline int dp_outer_push(struct dp_worker *w, struct rte_mbuf *m,
				const struct sl_endpoint *to, const struct rte_ether_addr *nh,
				unsigned flags)
{
	switch (to->transport) {
	case SL_TRANSPORT_UDP:
		if (likely(to->addr.family == SL_AF_INET))
			return dp_outer_udp4(w, m, to, nh, flags);
		/* SL_AF_INET6: a dp_outer_udp6() goes here. */
		return dp_drop_v(SL_DROP_NOT_IP);
	case SL_TRANSPORT_TCP:
		/* The control plane writes it on the connection (dp_exc.h). */
		return dp_exc_to_cp(w, m, to);
	default:
		return dp_drop_v(SL_DROP_BAD_HEADER);
	}
}

#endif
