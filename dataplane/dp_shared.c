/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The objects the control plane attaches to (sl_api.h): the packet pool,
 * four rings and the status memzone. Created before the ports start, freed
 * after they stop.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_memzone.h>

#include "dp.h"
#include "dp_neigh.h"
#include "sl_log.h"

static struct rte_ring *ring(const char *name, unsigned count, unsigned esize,
			     unsigned flags)
{
	struct rte_ring *r = rte_ring_create_elem(name, esize, count, rte_socket_id(), flags);

	if (r == NULL)
		SL_ERR("ring %s (%u x %u B): %s", name, count, esize, rte_strerror(rte_errno));
	return r;
}

int dp_shared_create(struct dp *dp)
{
	const struct cfg_dataplane *c = &dp->cfg->dp;
	unsigned n = c->ring_size;

	dp->pool = rte_pktmbuf_pool_create(SL_POOL_PKT, c->mbufs, c->mbuf_cache,
					   DP_MBUF_PRIV, RTE_MBUF_DEFAULT_BUF_SIZE,
					   rte_socket_id());
	if (dp->pool == NULL) {
		SL_ERR("packet pool (%u mbufs): %s", c->mbufs, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	/* Workers enqueue control packets (MP); the control plane alone reads. */
	dp->cp_rx = ring(SL_RING_CP_RX, n, sizeof(void *), RING_F_SC_DEQ);
	/* The control plane alone writes; any worker may send them (MC). */
	dp->cp_tx = ring(SL_RING_CP_TX, n, sizeof(void *), RING_F_SP_ENQ);
	dp->cmd = ring(SL_RING_CMD, n, sizeof(struct sl_cmd), RING_F_SP_ENQ | RING_F_SC_DEQ);
	/* The main lcore and the workers raise events (MP). */
	dp->evt = ring(SL_RING_EVT, n, sizeof(struct sl_event), RING_F_SC_DEQ);
	if (dp->cp_rx == NULL || dp->cp_tx == NULL || dp->cmd == NULL || dp->evt == NULL)
		goto free_rings;
	dp->status_mz = rte_memzone_reserve(SL_MZ_STATUS, sizeof(struct sl_status),
					    rte_socket_id(), 0);
	if (dp->status_mz == NULL) {
		SL_ERR("memzone %s: %s", SL_MZ_STATUS, rte_strerror(rte_errno));
		goto free_rings;
	}
	dp->status = dp->status_mz->addr;
	memset(dp->status, 0, sizeof(*dp->status));
	dp->status->version = SL_API_VERSION;
	dp->status->dp_pid = getpid();
	dp->status->tsc_hz = rte_get_tsc_hz();
	dp->status->started = (uint64_t)time(NULL);
	dp->status->main_lcore = rte_get_main_lcore();
	return 0;

free_rings:
	dp_shared_free(dp);
	return -ENOMEM;
}

/* Drop whatever mbufs are still queued, then free rings, pool, memzone. */
static void drain(struct rte_ring *r)
{
	struct rte_mbuf *m;

	while (r != NULL && rte_ring_dequeue(r, (void **)&m) == 0)
		rte_pktmbuf_free(m);
}

/* Per-worker handoff rings and per-port neighbour tables. */
int dp_shared_workers(struct dp *dp)
{
	unsigned n = dp->cfg->dp.ring_size;
	char name[32];

	for (unsigned i = 0; i < dp->n_workers; i++) {
		snprintf(name, sizeof(name), "sl_hand_rx%u", i);
		dp->handoff_rx[i] = ring(name, n, sizeof(void *), RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "sl_hand_tx%u", i);
		dp->handoff_tx[i] = ring(name, n, sizeof(void *), RING_F_SC_DEQ);
		if (dp->handoff_rx[i] == NULL || dp->handoff_tx[i] == NULL)
			return -ENOMEM;
	}
	for (int i = 0; i < CFG_PORT_COUNT; i++) {
		const struct cfg_port *cp = &dp->cfg->port[i];

		snprintf(name, sizeof(name), "sl_neigh%d", i);
		dp->port[i].neigh = dp_neigh_create(name, cp->address.addr, cp->address.len,
						    cp->gateway);
		if (dp->port[i].neigh == NULL)
			return -ENOMEM;
	}
	return 0;
}

void dp_shared_free(struct dp *dp)
{
	for (unsigned i = 0; i < SL_MAX_LCORES; i++) {
		drain(dp->handoff_rx[i]);
		drain(dp->handoff_tx[i]);
		rte_ring_free(dp->handoff_rx[i]);
		rte_ring_free(dp->handoff_tx[i]);
		dp->handoff_rx[i] = dp->handoff_tx[i] = NULL;
	}
	for (int i = 0; i < CFG_PORT_COUNT; i++) {
		dp_neigh_free(dp->port[i].neigh);
		dp->port[i].neigh = NULL;
	}
	drain(dp->cp_rx);
	drain(dp->cp_tx);
	rte_ring_free(dp->cp_rx);
	rte_ring_free(dp->cp_tx);
	rte_ring_free(dp->cmd);
	rte_ring_free(dp->evt);
	dp->cp_rx = dp->cp_tx = dp->cmd = dp->evt = NULL;
	if (dp->status_mz != NULL)
		rte_memzone_free(dp->status_mz);
	dp->status_mz = NULL;
	dp->status = NULL;
	rte_mempool_free(dp->pool);
	dp->pool = NULL;
}
