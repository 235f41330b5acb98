/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DP_NEIGH_H
#define SL_DP_NEIGH_H

/*
 * On-link neighbours of one port: an array indexed by the host part of the
 * port's subnet (at most 65536 entries), each a 64-bit word stored and
 * loaded atomically, so any worker may learn (from ARP) and every worker
 * reads without locks. Two workers learning the same entry store the same
 * MAC; the last store wins.
 *
 *   bit 63 set:   resolved, bits 0..47 = MAC
 *   bit 62 set:   request sent, bits 0..31 = second it was sent
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#define DP_NEIGH_MAX	65536u

struct dp_neigh {
	uint32_t net;		/* host order */
	uint32_t mask;
	uint32_t size;
	uint32_t gateway;	/* 0 = none */
	_Atomic uint64_t e[];
};

struct dp_neigh *dp_neigh_create(const char *name, uint32_t addr, uint8_t len,
				 uint32_t gateway);
void dp_neigh_free(struct dp_neigh *n);

/* The on-link next hop for dst: dst itself, the gateway, or 0 for none. */
uint32_t dp_neigh_next_hop(const struct dp_neigh *n, uint32_t dst);

void dp_neigh_learn(struct dp_neigh *n, uint32_t ip, const struct rte_ether_addr *mac);

/*
 * 0 with *mac set if ip is resolved. Otherwise -1, and *request is true for
 * exactly one caller per second per address: that caller sends the ARP
 * request (dp_neigh_arp_request).
 */
int dp_neigh_lookup(struct dp_neigh *n, uint32_t ip, uint32_t now_s,
		    struct rte_ether_addr *mac, bool *request);

/* An ARP request for ip from (our_ip, our_mac), or NULL if the pool is empty. */
struct rte_mbuf *dp_neigh_arp_request(struct rte_mempool *pool, uint32_t our_ip,
				      const struct rte_ether_addr *our_mac, uint32_t ip);

#endif
