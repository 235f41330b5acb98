/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Traffic for the concentrator's own addresses that the data plane answers
 * itself: ARP requests and ICMP echo. Replies are written into the request's
 * mbuf, so answering allocates nothing.
 */
#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "dp.h"
#include "dp_neigh.h"
#include "dp_pkt.h"

/*
 * ARP request for our address -> reply in place. Returns DP_V_TX, or a drop.
 *
 *   request:  sha=peer spa=peer_ip tha=?   tpa=our_ip
 *   reply:    sha=our  spa=our_ip  tha=peer tpa=peer_ip
 */
int dp_local_arp(const struct dp_port *p, struct rte_mbuf *m, struct sl_lcore_stats *st)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	uint32_t peer_ip;

	if (m->data_len < sizeof(*eth) + sizeof(*arp))
		return dp_drop_v(SL_DROP_BAD_HEADER);
	if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4)
		return dp_drop_v(SL_DROP_BAD_HEADER);
	if (rte_be_to_cpu_32(arp->arp_data.arp_tip) != p->addr)
		return dp_drop_v(SL_DROP_NOT_FOR_US);
	/* Whoever asks for us or answers us is a neighbour worth knowing. */
	dp_neigh_learn(p->neigh, rte_be_to_cpu_32(arp->arp_data.arp_sip),
		       &arp->arp_data.arp_sha);
	if (arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY))
		return DP_V_DONE;
	if (arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST))
		return dp_drop_v(SL_DROP_BAD_HEADER);

	peer_ip = arp->arp_data.arp_sip;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_tha = arp->arp_data.arp_sha;
	arp->arp_data.arp_tip = peer_ip;
	arp->arp_data.arp_sha = p->mac;
	arp->arp_data.arp_sip = rte_cpu_to_be_32(p->addr);
	eth->dst_addr = eth->src_addr;
	eth->src_addr = p->mac;
	st->arp_replies++;
	return DP_V_TX;
}

/* ICMP echo request to our address -> echo reply in place. */
int dp_local_icmp(const struct dp_port *p, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		  struct sl_lcore_stats *st)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	unsigned hl = rte_ipv4_hdr_len(ip), len = rte_be_to_cpu_16(ip->total_length);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)((char *)ip + hl);
	uint32_t sum;

	if (len < hl + sizeof(*icmp))
		return dp_drop_v(SL_DROP_BAD_HEADER);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0)
		return dp_drop_v(SL_DROP_NOT_FOR_US);

	/*
	 * Type 8 -> 0: adjust the checksum incrementally (RFC 1624, eqn. 3).
	 * A result of 0x0000 means the reply sums to zero, and if that is +0
	 * (id, sequence and data all zero) only 0xffff verifies; 0xffff also
	 * verifies a -0 sum, so it is the checksum to send either way.
	 */
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	sum = (~rte_be_to_cpu_16(icmp->icmp_cksum) & 0xffff) + (~(8u << 8) & 0xffff);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	icmp->icmp_cksum = rte_cpu_to_be_16(sum != 0 ? sum : 0xffff);

	ip->dst_addr = ip->src_addr;
	ip->src_addr = rte_cpu_to_be_32(p->addr);
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	eth->dst_addr = eth->src_addr;
	eth->src_addr = p->mac;
	st->icmp_replies++;
	return DP_V_TX;
}
