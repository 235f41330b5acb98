/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DP_PKT_H
#define SL_DP_PKT_H

/*
 * Per-packet verdicts of the input stages. A verdict >= 0 is an action; a
 * drop carries its reason: DP_V_DROP_BASE + enum sl_drop.
 */
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dp.h"

enum {
	DP_V_TX = 0,		/* reply built in place: send back out the same port */
	DP_V_CP = 1,		/* control packet: to the control plane */
	DP_V_DROP_BASE = 16,
};

static inline int dp_drop_v(enum sl_drop reason)
{
	return DP_V_DROP_BASE + (int)reason;
}

int dp_local_arp(const struct dp_port *p, struct rte_mbuf *m, struct sl_lcore_stats *st);
int dp_local_icmp(const struct dp_port *p, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		  struct sl_lcore_stats *st);

/* Stage: classify a burst from port P into tx[], cp[]; drops are freed and counted. */
uint16_t dp_input_burst(struct dp_worker *w, const struct dp_port *p,
			struct rte_mbuf **pkts, uint16_t n,
			struct rte_mbuf **tx, uint16_t *n_tx,
			struct rte_mbuf **cp, uint16_t *n_cp);

#endif
