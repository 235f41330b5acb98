/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP MSS clamp on SYNs crossing the tunnel, both ways, so TCP segments fit
 * vpn.mssfix without fragmentation (OpenVPN src/openvpn/mss.c does the same).
 */
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "dp_pkt.h"

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
