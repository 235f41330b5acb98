/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_arp.h>
#include <rte_byteorder.h>
#include <string.h>

#include <rte_malloc.h>

#include "dp_neigh.h"

#define NEIGH_VALID	(1ull << 63)
#define NEIGH_PENDING	(1ull << 62)

struct dp_neigh *dp_neigh_create(const char *name, uint32_t addr, uint8_t len,
				 uint32_t gateway)
{
	uint32_t mask = len ? ~0u << (32 - len) : 0;
	uint32_t size = ~mask + 1u;
	struct dp_neigh *n;

	if (size == 0 || size > DP_NEIGH_MAX)
		size = DP_NEIGH_MAX;	/* larger subnets: the first 64k hosts */
	n = rte_zmalloc(name, sizeof(*n) + size * sizeof(n->e[0]), RTE_CACHE_LINE_SIZE);
	if (n == NULL)
		return NULL;
	n->net = addr & mask;
	n->mask = mask;
	n->size = size;
	n->gateway = gateway;
	return n;
}

void dp_neigh_free(struct dp_neigh *n)
{
	rte_free(n);
}

static _Atomic uint64_t *slot(struct dp_neigh *n, uint32_t ip)
{
	uint32_t host = ip & ~n->mask;

	if ((ip & n->mask) != n->net || host >= n->size)
		return NULL;
	return &n->e[host];
}

uint32_t dp_neigh_next_hop(const struct dp_neigh *n, uint32_t dst)
{
	if ((dst & n->mask) == n->net)
		return dst;
	return n->gateway;
}

void dp_neigh_learn(struct dp_neigh *n, uint32_t ip, const struct rte_ether_addr *mac)
{
	_Atomic uint64_t *e = slot(n, ip);
	uint64_t v = NEIGH_VALID;

	if (e == NULL || rte_is_zero_ether_addr(mac) || !rte_is_unicast_ether_addr(mac))
		return;
	for (int i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		v |= (uint64_t)mac->addr_bytes[i] << (8 * i);
	if (atomic_load_explicit(e, memory_order_relaxed) != v)
		atomic_store_explicit(e, v, memory_order_relaxed);
}

int dp_neigh_lookup(struct dp_neigh *n, uint32_t ip, uint32_t now_s,
		    struct rte_ether_addr *mac, bool *request)
{
	_Atomic uint64_t *e = slot(n, ip);
	uint64_t v, want;

	*request = false;
	if (e == NULL)
		return -1;
	v = atomic_load_explicit(e, memory_order_relaxed);
	if (v & NEIGH_VALID) {
		for (int i = 0; i < RTE_ETHER_ADDR_LEN; i++)
			mac->addr_bytes[i] = (uint8_t)(v >> (8 * i));
		return 0;
	}
	if ((v & NEIGH_PENDING) && (uint32_t)v == now_s)
		return -1;
	/* One winner per second sends the request. */
	want = NEIGH_PENDING | now_s;
	*request = atomic_compare_exchange_strong_explicit(e, &v, want, memory_order_relaxed,
							   memory_order_relaxed);
	return -1;
}

struct rte_mbuf *dp_neigh_arp_request(struct rte_mempool *pool, uint32_t our_ip,
				      const struct rte_ether_addr *our_mac, uint32_t ip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	if (m == NULL)
		return NULL;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
	arp = (struct rte_arp_hdr *)(eth + 1);
	memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
	eth->src_addr = *our_mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	arp->arp_data.arp_sha = *our_mac;
	arp->arp_data.arp_sip = rte_cpu_to_be_32(our_ip);
	memset(&arp->arp_data.arp_tha, 0, RTE_ETHER_ADDR_LEN);
	arp->arp_data.arp_tip = rte_cpu_to_be_32(ip);
	return m;
}
