/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * LAN packets bigger than the tunnel MTU (vpn.tun_mtu). The data plane
 * never fragments the outer UDP packet (so it never has to reassemble
 * either); like a router it fragments the inner IPv4 packet when the
 * sender allows it, and otherwise answers ICMP "fragmentation needed" with
 * the tunnel MTU so the sender's path-MTU discovery converges. Slow path:
 * one allocation per oversized packet, no allocation for the rest.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "dp_pkt.h"

#define ICMP_QUOTE		8	/* payload bytes quoted after the IP header */
#define ICMP_DEST_UNREACH	3
#define ICMP_FRAG_NEEDED	4	/* "fragmentation needed and DF set" */

/*
 * Split the IPv4 packet in m (data = IP header, no options) in two: m keeps
 * the first MTU-sized fragment, *second gets the rest. 0, or -1 when the
 * packet can't be fragmented here (options, pool empty).
 */
int dp_ip_fragment(struct rte_mempool *pool, struct rte_mbuf *m, uint16_t mtu,
		   struct rte_mbuf **second)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *), *ip2;
	uint16_t len = rte_be_to_cpu_16(ip->total_length);
	uint16_t frag = rte_be_to_cpu_16(ip->fragment_offset);
	uint16_t first = (uint16_t)(((mtu - sizeof(*ip)) / 8) * 8), rest;
	struct rte_mbuf *m2;

	if (rte_ipv4_hdr_len(ip) != sizeof(*ip) || len <= mtu || first == 0 ||
	    len - sizeof(*ip) - first > mtu - sizeof(*ip))
		return -1;
	rest = (uint16_t)(len - sizeof(*ip) - first);
	m2 = rte_pktmbuf_alloc(pool);
	if (m2 == NULL)
		return -1;
	ip2 = (struct rte_ipv4_hdr *)rte_pktmbuf_append(m2, (uint16_t)(sizeof(*ip) + rest));
	if (ip2 == NULL) {
		rte_pktmbuf_free(m2);
		return -1;
	}
	memcpy(ip2, ip, sizeof(*ip));
	memcpy(ip2 + 1, (uint8_t *)(ip + 1) + first, rest);
	/* The tail keeps the original MF flag; offsets are in 8-byte units. */
	ip2->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + rest));
	ip2->fragment_offset = rte_cpu_to_be_16((uint16_t)((frag & RTE_IPV4_HDR_MF_FLAG) |
		((frag & RTE_IPV4_HDR_OFFSET_MASK) + first / 8)));
	ip2->hdr_checksum = 0;
	ip2->hdr_checksum = rte_ipv4_cksum(ip2);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + first));
	ip->fragment_offset = rte_cpu_to_be_16((uint16_t)(frag | RTE_IPV4_HDR_MF_FLAG));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	rte_pktmbuf_trim(m, (uint16_t)rest);
	*dp_meta(m2) = *dp_meta(m);	/* same peer */
	*second = m2;
	return 0;
}

/*
 * ICMP type 3 code 4 for the sender of the Ethernet frame m (not consumed),
 * advertising MTU, ready for the private port; NULL if the pool is empty.
 */
struct rte_mbuf *dp_icmp_frag_needed(struct dp_worker *w, const struct rte_mbuf *m,
				     uint16_t mtu)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *orig = (const struct rte_ipv4_hdr *)(eth + 1);
	struct dp_port *priv = &w->dp->port[CFG_PORT_PRIVATE];
	unsigned quote = rte_ipv4_hdr_len(orig) + ICMP_QUOTE;
	struct rte_ether_hdr *e;
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;
	struct rte_mbuf *r;

	if (m->data_len < sizeof(*eth) + quote || (r = rte_pktmbuf_alloc(w->dp->pool)) == NULL)
		return NULL;
	e = (struct rte_ether_hdr *)rte_pktmbuf_append(r, (uint16_t)(sizeof(*e) + sizeof(*ip) +
				sizeof(*icmp) + quote));
	ip = (struct rte_ipv4_hdr *)(e + 1);
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	e->dst_addr = eth->src_addr;
	e->src_addr = priv->mac;
	e->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*icmp) + quote));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = rte_cpu_to_be_32(priv->addr);
	ip->dst_addr = orig->src_addr;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp->icmp_type = ICMP_DEST_UNREACH;
	icmp->icmp_code = ICMP_FRAG_NEEDED;
	icmp->icmp_ident = 0;					/* unused */
	icmp->icmp_seq_nb = rte_cpu_to_be_16(mtu);		/* next-hop MTU */
	memcpy(icmp + 1, orig, quote);
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, sizeof(*icmp) + quote);
	return r;
}
