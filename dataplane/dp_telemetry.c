/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry endpoints (socket /var/run/dpdk/<file_prefix>/dpdk_telemetry.v2,
 * e.g. with dpdk-telemetry.py):
 *   /sluice/drops       drops by reason (names with '_' for '-'), summed over workers
 *   /sluice/lcores      per worker: every lcore counter, busy share, cycles per packet
 *   /sluice/peers       installed peers and the table size
 *   /sluice/peers,ID    one installed peer's counters
 *   /sluice/crypto      the crypto backend of each cipher, and its "arch"
 * Every counter comes from the tables of lib/sl_counters.c, so a counter
 * added to a list in sl_api.h shows up here by itself. The callbacks run on
 * the telemetry thread and only read counters that workers write (64-bit
 * loads, no locks).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_telemetry.h>

#include "dp.h"
#include "ovpn_engine.h"
#include "sl_counters.h"

static const struct dp *tel_dp;

/* Every counter of a table, read from base, as dict entries. */
static void tel_counters(struct rte_tel_data *d, const void *base,
			 const struct sl_counter_def *t, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		rte_tel_data_add_dict_u64(d, t[i].name, sl_counter_read(base, &t[i]));
}

/* Telemetry names allow [A-Za-z0-9_]: "no-key" becomes "no_key". */
static const char *tel_name(const char *in, char *out, size_t len)
{
	snprintf(out, len, "%s", in);
	for (char *c = out; *c != '\0'; c++)
		if (*c == '-')
			*c = '_';
	return out;
}

static int tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sl_lcore_stats sum;
	unsigned n;
	const struct sl_counter_def *t = sl_drop_defs(&n);
	char name[32];

	(void)cmd;
	(void)params;
	sl_lcore_sum(tel_dp->status, &sum);
	rte_tel_data_start_dict(d);
	for (unsigned r = 0; r < n; r++)
		rte_tel_data_add_dict_u64(d, tel_name(t[r].name, name, sizeof(name)), sum.drop[r]);
	return 0;
}

/* /sluice/crypto: {"AES_128_GCM": "ipsec-mb", ..., "arch": "avx512"} */
static int tel_crypto(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct sl_status *s = tel_dp->status;
	char name[32];

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned c = 0; c < SL_CIPHER_COUNT; c++)
		if (dp_cipher_name(c) != NULL)
			rte_tel_data_add_dict_string(d, tel_name(dp_cipher_name(c), name, sizeof(name)),
						     ovpn_backend_name(s->crypto_backend[c]));
	rte_tel_data_add_dict_string(d, "arch", s->crypto_arch);
	return 0;
}

static int tel_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct sl_status *s = tel_dp->status;
	unsigned n;
	const struct sl_counter_def *t = sl_lcore_defs(&n);

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < s->n_workers && i < SL_MAX_LCORES; i++) {
		const struct sl_lcore_stats *l = &s->lcore[i];
		struct rte_tel_data *c = rte_tel_data_alloc();
		uint64_t total = l->busy_cycles + l->idle_cycles;
		char name[32];

		if (c == NULL)
			return -1;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "lcore", s->worker_lcore[i]);
		tel_counters(c, l, t, n);
		rte_tel_data_add_dict_u64(c, "busy_permille", total ? 1000 * l->busy_cycles / total : 0);
		rte_tel_data_add_dict_u64(c, "cycles_per_pkt",
					  l->rx_pkts ? l->busy_cycles / l->rx_pkts : 0);
		snprintf(name, sizeof(name), "worker%u", i);
		rte_tel_data_add_dict_container(d, name, c, 0);
	}
	return 0;
}

/* /sluice/peers,ID: the counters of installed peer ID. */
static int tel_peer(const char *params, struct rte_tel_data *d)
{
	const struct sl_status *s = tel_dp->status;
	const struct sl_peer_stats *p;
	unsigned long id;
	unsigned n;
	const struct sl_counter_def *t = sl_peer_defs(&n);
	char *end;

	errno = 0;
	id = strtoul(params, &end, 10);
	if (errno != 0 || end == params || *end != '\0' || id >= s->max_peers)
		return -EINVAL;
	p = &s->peers[id];
	/* Acquire: pairs with the release in dp_peer.c that sets in_use. */
	if (!__atomic_load_n(&p->in_use, __ATOMIC_ACQUIRE))
		return -ENOENT;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "peer_id", id);
	rte_tel_data_add_dict_string(d, "name", p->name);
	tel_counters(d, p, t, n);
	return 0;
}

static int tel_peers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	if (params != NULL && *params != '\0')
		return tel_peer(params, d);
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
				   "Per-worker counters, busy share, cycles per packet. No parameters");
	rte_telemetry_register_cmd("/sluice/peers", tel_peers,
				   "Installed peers; with a peer-id parameter, that peer's counters");
	rte_telemetry_register_cmd("/sluice/crypto", tel_crypto,
				   "Crypto backend per cipher and what it runs on. No parameters");
}
