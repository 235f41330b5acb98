/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry endpoints (socket /var/run/dpdk/<file_prefix>/dpdk_telemetry.v2,
 * e.g. with dpdk-telemetry.py):
 *   /sluice/drops    drops by reason (names with '_' for '-'), summed over workers
 *   /sluice/lcores   per worker: packets, bursts, busy share, cycles per packet
 *   /sluice/peers    installed peers and the table size
 * The callbacks run on the telemetry thread and only read counters that
 * workers write (64-bit loads, no locks).
 */
#include <stdio.h>

#include <rte_telemetry.h>

#include "dp.h"

static const struct dp *tel_dp;

static int tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct sl_status *s = tel_dp->status;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (int r = 0; r < SL_DROP_MAX; r++) {
		uint64_t sum = 0;
		char name[32];

		for (unsigned i = 0; i < s->n_workers; i++)
			sum += s->lcore[i].drop[r];
		/* Telemetry names allow [A-Za-z0-9_]: "no-key" becomes "no_key". */
		snprintf(name, sizeof(name), "%s", sl_drop_name(r));
		for (char *c = name; *c != '\0'; c++)
			if (*c == '-')
				*c = '_';
		rte_tel_data_add_dict_u64(d, name, sum);
	}
	return 0;
}

static int tel_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct sl_status *s = tel_dp->status;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < s->n_workers; i++) {
		const struct sl_lcore_stats *l = &s->lcore[i];
		struct rte_tel_data *c = rte_tel_data_alloc();
		uint64_t total = l->busy_cycles + l->idle_cycles;
		char name[32];

		if (c == NULL)
			return -1;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "lcore", s->worker_lcore[i]);
		rte_tel_data_add_dict_u64(c, "rx_pkts", l->rx_pkts);
		rte_tel_data_add_dict_u64(c, "tx_pkts", l->tx_pkts);
		rte_tel_data_add_dict_u64(c, "rx_bursts", l->rx_bursts);
		rte_tel_data_add_dict_u64(c, "busy_permille", total ? 1000 * l->busy_cycles / total : 0);
		rte_tel_data_add_dict_u64(c, "cycles_per_pkt",
					  l->rx_pkts ? l->busy_cycles / l->rx_pkts : 0);
		snprintf(name, sizeof(name), "worker%u", i);
		rte_tel_data_add_dict_container(d, name, c, 0);
	}
	return 0;
}

static int tel_peers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "peers", tel_dp->status->n_peers);
	rte_tel_data_add_dict_u64(d, "max_peers", tel_dp->status->max_peers);
	return 0;
}

void dp_telemetry_init(const struct dp *dp)
{
	tel_dp = dp;
	rte_telemetry_register_cmd("/sluice/drops", tel_drops, "Drops by reason. No parameters");
	rte_telemetry_register_cmd("/sluice/lcores", tel_lcores,
				   "Per-worker packets, busy share, cycles per packet. No parameters");
	rte_telemetry_register_cmd("/sluice/peers", tel_peers, "Installed peers. No parameters");
}
