/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The replies the data plane writes in place (dp_local.c: ARP, ICMP echo)
 * and the TCP MSS clamp (dp_mss.c), on an mbuf the fuzzer fills, in the
 * in-process fixture (tests/common/dp_fixture.c).
 *
 * Input: byte 0 picks the function (% 3: ARP, echo, MSS clamp) and, bit 2,
 * the port; bytes 1-2 are the MSS to clamp to; the rest is the frame
 * (Ethernet for ARP and echo) or the IPv4 packet (MSS clamp). What the
 * caller guarantees is made true first, as dp_input.c (echo) and the
 * decrypt and encrypt stages (MSS clamp) check it before these calls: an
 * IPv4 header of at least 20 bytes whose total length fits the buffer;
 * for the echo, to our address.
 *
 * Properties (abort otherwise):
 *  ARP   a reply only to a request for our address, with the fields
 *        swapped as RFC 826 says; a reply to us is consumed and its sender
 *        learnt; anything else is dropped untouched;
 *  echo  a reply only to an echo request, addresses swapped, both IPv4
 *        and ICMP checksums valid when the request's ICMP checksum was,
 *        the rest unchanged; anything else untouched;
 *  MSS   at most the MSS option's value and the TCP checksum change, the
 *        value only downwards to the MSS, and the TCP checksum (computed
 *        again with rte_ipv4_udptcp_cksum) stays valid when it was.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "dp_fixture.h"

#define BUF_MAX	2000

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void init(void)
{
	if (fx_init("fuzz_dp_local") != 0)
		abort();
	atexit(fx_fini);
}

/* ---- ARP ---- */

static void arp(const struct dp_port *p, struct rte_mbuf *m)
{
	static uint8_t before[BUF_MAX];
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	const struct rte_ether_hdr *e0 = (const struct rte_ether_hdr *)before;
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eth + 1);
	const struct rte_arp_hdr *a0 = (const struct rte_arp_hdr *)(e0 + 1);
	uint64_t replies = fx.stats[0].arp_replies;
	bool ok_hdr;
	int v;

	memcpy(before, eth, m->data_len);
	v = dp_local_arp(p, m, &fx.stats[0]);
	check(fx.stats[0].arp_replies == replies + (v == DP_V_TX));
	if (v >= DP_V_DROP_BASE) {
		check(memcmp(before, eth, m->data_len) == 0);
		return;
	}
	ok_hdr = m->data_len >= sizeof(*eth) + sizeof(*a) &&
		 a0->arp_hardware == rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) &&
		 a0->arp_protocol == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) &&
		 a0->arp_hlen == RTE_ETHER_ADDR_LEN && a0->arp_plen == 4 &&
		 rte_be_to_cpu_32(a0->arp_data.arp_tip) == p->addr;
	check(ok_hdr);
	if (v == DP_V_DONE) {
		check(a0->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY));
		check(memcmp(before, eth, m->data_len) == 0);
		return;
	}
	check(v == DP_V_TX);
	check(a0->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST));
	check(a->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY));
	check(rte_is_same_ether_addr(&eth->dst_addr, &e0->src_addr));
	check(rte_is_same_ether_addr(&eth->src_addr, &p->mac));
	check(rte_is_same_ether_addr(&a->arp_data.arp_sha, &p->mac));
	check(rte_is_same_ether_addr(&a->arp_data.arp_tha, &a0->arp_data.arp_sha));
	check(a->arp_data.arp_sip == rte_cpu_to_be_32(p->addr));
	check(a->arp_data.arp_tip == a0->arp_data.arp_sip);
	/* Nothing after the ARP header moved. */
	check(memcmp(before + sizeof(*eth) + sizeof(*a), (uint8_t *)(a + 1),
		     m->data_len - sizeof(*eth) - sizeof(*a)) == 0);
}

/* ---- IPv4 preconditions ---- */

/*
 * Make ip (avail bytes) what the callers check for: version 4, a header
 * of at least 20 bytes that fits, total length between the header's and
 * avail. Returns the total length, or 0 if avail is too short.
 */
static unsigned ipv4_fixup(struct rte_ipv4_hdr *ip, unsigned avail)
{
	unsigned hl, len;

	if (avail < sizeof(*ip))
		return 0;
	if ((ip->version_ihl & 0x0f) < 5)
		ip->version_ihl = (uint8_t)((ip->version_ihl & 0x0f) | 5);
	ip->version_ihl = (uint8_t)(0x40 | (ip->version_ihl & 0x0f));
	hl = rte_ipv4_hdr_len(ip);
	if (hl > avail)
		return 0;
	len = rte_be_to_cpu_16(ip->total_length);
	if (len < hl || len > avail)
		len = avail;
	ip->total_length = rte_cpu_to_be_16((uint16_t)len);
	return len;
}

/* ---- ICMP echo ---- */

static bool icmp_valid(const uint8_t *icmp, unsigned len)
{
	return rte_raw_cksum(icmp, len) == 0xffff;
}

static void echo(const struct dp_port *p, struct rte_mbuf *m)
{
	static uint8_t before[BUF_MAX];
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	const struct rte_ether_hdr *e0 = (const struct rte_ether_hdr *)before;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	const struct rte_ipv4_hdr *ip0 = (const struct rte_ipv4_hdr *)(e0 + 1);
	uint64_t replies = fx.stats[0].icmp_replies;
	unsigned len, hl;
	bool valid;
	int v;

	if (m->data_len < sizeof(*eth) ||
	    (len = ipv4_fixup(ip, m->data_len - sizeof(*eth))) == 0)
		return;
	ip->dst_addr = rte_cpu_to_be_32(p->addr);
	hl = rte_ipv4_hdr_len(ip);
	memcpy(before, eth, m->data_len);
	valid = len >= hl + sizeof(struct rte_icmp_hdr) && icmp_valid((uint8_t *)ip + hl, len - hl);
	v = dp_local_icmp(p, m, ip, &fx.stats[0]);
	check(fx.stats[0].icmp_replies == replies + (v == DP_V_TX));
	if (v != DP_V_TX) {
		check(v >= DP_V_DROP_BASE);
		check(memcmp(before, eth, m->data_len) == 0);
		return;
	}
	check(len >= hl + sizeof(struct rte_icmp_hdr));
	check(((const struct rte_icmp_hdr *)((const uint8_t *)ip0 + hl))->icmp_type ==
	      RTE_IP_ICMP_ECHO_REQUEST);
	check(((struct rte_icmp_hdr *)((uint8_t *)ip + hl))->icmp_type == RTE_IP_ICMP_ECHO_REPLY);
	check(rte_is_same_ether_addr(&eth->dst_addr, &e0->src_addr));
	check(rte_is_same_ether_addr(&eth->src_addr, &p->mac));
	check(ip->dst_addr == ip0->src_addr && ip->src_addr == rte_cpu_to_be_32(p->addr));
	check(rte_raw_cksum(ip, hl) == 0xffff);		/* IPv4 header checksum */
	if (valid)
		check(icmp_valid((uint8_t *)ip + hl, len - hl));
	/* From the ICMP identifier on, the reply is the request. */
	check(memcmp((const uint8_t *)ip0 + hl + 4, (uint8_t *)ip + hl + 4,
		     m->data_len - sizeof(*eth) - hl - 4) == 0);
}

/* ---- MSS clamp ---- */

/* The TCP checksum of ip computed afresh equals the one it carries (0 and 0xffff alike). */
static bool tcp_valid(struct rte_ipv4_hdr *ip, struct rte_tcp_hdr *tcp)
{
	uint16_t carried = tcp->cksum, computed;

	tcp->cksum = 0;
	computed = rte_ipv4_udptcp_cksum(ip, tcp);
	tcp->cksum = carried;
	return computed == carried ||
	       ((computed == 0 || computed == 0xffff) && (carried == 0 || carried == 0xffff));
}

/*
 * The bytes that changed (at[], offsets from ip) are the checksum and the
 * value of an MSS option (kind 2, length 4) inside the TCP header, which
 * was above CLAMP and is CLAMP now. t0, t: the TCP header before, after.
 */
static bool value_clamped(const uint8_t *t0, const uint8_t *t, const unsigned *at,
			  unsigned n, unsigned hl, uint16_t clamp)
{
	unsigned thl = (t[12] >> 4) * 4u, lo = UINT32_MAX, hi = 0;

	for (unsigned i = 0; i < n; i++) {
		unsigned o = at[i] - hl;

		if (o == 16 || o == 17)
			continue;
		lo = o < lo ? o : lo;
		hi = o > hi ? o : hi;
	}
	if (lo == UINT32_MAX)
		return false;	/* the checksum alone changed */
	if (hi > lo + 1)
		return false;
	/* The value starts at lo, or at lo - 1 when its high byte stayed. */
	for (unsigned i = 0; i < 2; i++) {
		unsigned v = lo - i;

		if (v < sizeof(struct rte_tcp_hdr) + 2 || v + 1 >= thl || hi > v + 1)
			continue;
		if (t[v - 2] == 2 && t[v - 1] == 4 && (t[v] << 8 | t[v + 1]) == clamp &&
		    (t0[v] << 8 | t0[v + 1]) > clamp)
			return true;
	}
	return false;
}

static void mss(struct rte_mbuf *m, uint16_t clamp)
{
	static uint8_t before[BUF_MAX];
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	struct rte_tcp_hdr *tcp;
	unsigned len, hl, diff = 0, at[4];
	bool tcp_ok, valid = false;

	if ((len = ipv4_fixup(ip, m->data_len)) == 0)
		return;
	hl = rte_ipv4_hdr_len(ip);
	tcp = (struct rte_tcp_hdr *)((uint8_t *)ip + hl);
	tcp_ok = ip->next_proto_id == IPPROTO_TCP && len >= hl + sizeof(*tcp);
	if (tcp_ok)
		valid = tcp_valid(ip, tcp);
	memcpy(before, ip, m->data_len);
	dp_mss_clamp(ip, len, clamp);
	for (unsigned i = 0; i < m->data_len; i++)
		if (before[i] != ((uint8_t *)ip)[i]) {
			if (diff == 4)
				abort();	/* more than value and checksum */
			at[diff++] = i;
		}
	if (diff == 0)
		return;
	check(tcp_ok);
	if (valid)
		check(tcp_valid(ip, tcp));
	check(value_clamped(before + hl, (uint8_t *)tcp, at, diff, hl, clamp));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct dp_port *p;
	struct rte_mbuf *m;
	uint8_t *d;
	size_t len;

	if (fx.dp.pool == NULL)
		init();
	if (size < 3)
		return 0;
	p = &fx.dp.port[data[0] & 4 ? CFG_PORT_PRIVATE : CFG_PORT_PUBLIC];
	len = size - 3 < BUF_MAX ? size - 3 : BUF_MAX;
	m = rte_pktmbuf_alloc(fx.dp.pool);
	if (m == NULL || (d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len)) == NULL)
		abort();
	memcpy(d, data + 3, len);
	switch (data[0] % 3) {
	case 0:
		arp(p, m);
		break;
	case 1:
		echo(p, m);
		break;
	default:
		mss(m, (uint16_t)(data[1] << 8 | data[2]));
		break;
	}
	rte_pktmbuf_free(m);
	return 0;
}
