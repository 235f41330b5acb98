/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry endpoints (socket /var/run/dpdk/<file_prefix>/dpdk_telemetry.v2,
 * e.g. with dpdk-telemetry.py):
 *   /sluice/drops       drops by reason (names with '_' for '-'), summed over workers
 *   /sluice/lcores      per worker: every lcore counter, busy share, cycles per packet
 *                       (busy_permille: busy cycles per mille of busy + idle,
 *                       lost_cycles aside; cycles_per_pkt: busy cycles per
 *                       packet received on both ports; busy counts the polls
 *                       that found work and the work they led to, never an
 *                       empty poll nor an interval the worker was preempted
 *                       in: dataplane/dp_cycles.h)
 *   /sluice/peers       installed peers and the table size
 *   /sluice/peers,ID    one installed peer's counters
 *   /sluice/crypto      the crypto backend of each cipher, and its "arch"
 *   /sluice/rules       the live rule set's generation, flows per worker, and
 *                       each rule's hits summed over workers as "rule_SLOT"
 *                       (first 64 rules; `sluicectl rule list` has them all)
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
#include "sl_api.h"
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

#define TEL_RULES_MAX	64	/* rules listed: the reply has 16 kB */

struct tel_walk {
	struct rte_tel_data *d;
	unsigned n;
};

/* One rule as "rule_SLOT": {"name": ..., ...}: telemetry nests one level
 * only and its keys allow [A-Za-z0-9_/], which rule names go beyond. */
static void tel_rule(void *arg, const struct sl_rule_entry *e, const struct sl_rule_hits *h)
{
	struct tel_walk *tw = arg;
	struct rte_tel_data *c;
	char name[24];

	if (tw->n++ >= TEL_RULES_MAX || (c = rte_tel_data_alloc()) == NULL)
		return;
	rte_tel_data_start_dict(c);
	rte_tel_data_add_dict_string(c, "name", e->name);
	rte_tel_data_add_dict_string(c, "action", e->action == SL_RULE_ALLOW ? "allow" : "deny");
	rte_tel_data_add_dict_u64(c, "priority", e->priority);
	rte_tel_data_add_dict_u64(c, "slot", e->slot);
	rte_tel_data_add_dict_u64(c, "pkts", h->pkts);
	rte_tel_data_add_dict_u64(c, "bytes", h->bytes);
	snprintf(name, sizeof(name), "rule_%u", e->slot);
	rte_tel_data_add_dict_container(tw->d, name, c, 0);
}

/* /sluice/rules: {"generation": G, "rules": N, "flows": [per worker], "rule_SLOT": {...}} */
static int tel_rules(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tel_walk tw = { .d = d };
	struct rte_tel_data *flows = rte_tel_data_alloc();

	(void)cmd;
	(void)params;
	if (flows == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "generation", tel_dp->status->rules_generation);
	rte_tel_data_add_dict_u64(d, "rules", tel_dp->status->rules_count);
	rte_tel_data_start_array(flows, RTE_TEL_U64_VAL);
	for (unsigned i = 0; i < tel_dp->n_workers; i++)
		rte_tel_data_add_array_u64(flows, dp_rules_flows(tel_dp, i));
	rte_tel_data_add_dict_container(d, "flows", flows, 0);
	dp_rules_walk(tel_dp, tel_rule, &tw);
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
	rte_telemetry_register_cmd("/sluice/rules", tel_rules,
				   "Live rule set, flows per worker, hits per rule. No parameters");
}
