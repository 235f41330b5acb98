/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DP_H
#define SL_DP_H

/*
 * sluice-dataplane internals. The main lcore runs dp_main_loop() (commands,
 * status, link watch; it sleeps between polls so the control plane can share
 * its core); every other lcore runs dp_worker_loop() with its own RX/TX queue
 * on each port and writes only its own struct sl_lcore_stats.
 */
#include <stdatomic.h>
#include <stdbool.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "cfg.h"
#include "sl_api.h"

#define DP_BURST_MAX	64
#define DP_MBUF_PRIV	RTE_ALIGN(sizeof(struct sl_cp_meta), RTE_MBUF_PRIV_ALIGN)

struct dp_port {
	uint16_t port_id;
	enum cfg_port_id role;
	struct rte_ether_addr mac;
	uint32_t addr;		/* host order */
	uint32_t mask;
	uint16_t listen_port;	/* public side only, host order; 0 on private */
};

struct dp;

struct dp_worker {
	struct dp *dp;
	unsigned lcore_id;
	unsigned index;		/* queue id on every port */
	struct sl_lcore_stats *stats;
} __rte_cache_aligned;

struct dp {
	const struct sl_config *cfg;
	struct dp_port port[CFG_PORT_COUNT];
	struct rte_mempool *pool;
	struct rte_ring *cp_rx, *cp_tx, *cmd, *evt;
	const struct rte_memzone *status_mz;
	struct sl_status *status;
	struct dp_worker worker[SL_MAX_LCORES];
	unsigned n_workers;
	uint16_t burst;
	atomic_bool quit;	/* set by the signal handler; workers poll it (relaxed) */
};

/* dp_port.c */
int dp_ports_init(struct dp *dp);
void dp_ports_stop(struct dp *dp);
void dp_ports_status(struct dp *dp);

/* dp_shared.c: objects shared with the control plane */
int dp_shared_create(struct dp *dp);
void dp_shared_free(struct dp *dp);

/* dp_worker.c */
int dp_worker_loop(void *arg);


/* dp_cleanup.c */
void dp_cleanup_files(const char *file_prefix);

/* dp_ctl.c: the main lcore */
void dp_main_loop(struct dp *dp);

#endif
