/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DP_H
#define SL_DP_H

/*
 * sluice-dataplane internals. The main lcore runs dp_main_loop()
 * (dp_mainlcore.c: commands, status, link watch; it sleeps between polls so
 * the control plane can share its core); every other lcore runs dp_worker_loop()
 * (dp_worker.c) with its own RX/TX queue on each port and writes only its
 * own struct sl_lcore_stats.
 *
 *   main.c, dp_port.c, dp_shared.c, dp_cleanup.c   start-up, ports, shared objects
 *   dp_mainlcore.c, dp_peer.c (dp_peer.h)          commands; peers, keys, LPM
 *   dp_neigh.c (dp_neigh.h)                        neighbour tables
 *   dp_telemetry.c                                 DPDK telemetry endpoints
 *   dp_crypto.c                                    crypto backend, per-worker engines
 *   dp_worker.c and the stages in dp_pkt.h         the packet path
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
	uint16_t mtu;
	struct dp_neigh *neigh;	/* on-link neighbours (dp_neigh.c) */
};

struct dp;

struct dp_peer;
struct dp_neigh;
struct rte_lpm;
struct rte_hash;
struct rte_rcu_qsbr;
struct rte_rcu_qsbr_dq;
struct ovpn_engine;
struct dp_rules;
struct dp_rules_worker;
struct dp_rules_main;
struct sl_rule_blob;
struct sl_rule_entry;
struct sl_rule_hits;

#define DP_PENDING_MAX	32	/* frames held per worker for an unresolved next hop */
#define DP_PENDING_MS	1000	/* ... for at most this long */

struct dp_pending {
	struct rte_mbuf *m;
	uint32_t hop;
	uint64_t since;
};

/* Frames a worker sends at the end of its loop iteration, per port. */
#define DP_TXQ_MAX	(4 * DP_BURST_MAX)

struct dp_txq {
	uint16_t n;
	struct rte_mbuf *pkts[DP_TXQ_MAX];
};

/*
 * Control packets a worker lets through to the control plane (dp_cp.c):
 * a GCRA (virtual scheduling) per source address, in a small table
 * indexed by a hash of the address (a colliding source takes the slot
 * over, with a full burst), and one for all sources.
 */
#define DP_CP_RATE_SLOTS	256
struct dp_cp_rate {
	uint64_t total_tat;	/* TSC when the next packet is due, all sources */
	struct {
		uint32_t ip;
		uint64_t tat;
	} src[DP_CP_RATE_SLOTS];
};

struct dp_worker {
	struct dp *dp;
	unsigned lcore_id;
	unsigned index;		/* queue id and QSBR thread id */
	struct sl_lcore_stats *stats;
	struct ovpn_engine *engine;	/* this worker's crypto state (dp_crypto.c) */
	uint64_t now_tsc;	/* read once per loop iteration */
	uint32_t now_s;		/* seconds since start, for ARP pacing */
	uint32_t scan_next;	/* keepalive scan cursor into the peer table */
	uint64_t scan_tsc;
	uint16_t ip_id;
	unsigned n_pending;
	struct dp_pending pending[DP_PENDING_MAX];
	struct dp_txq tx[CFG_PORT_COUNT];	/* dp_tx_push(), dp_tx_flush() */
	struct dp_cp_rate cp_rate;
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
	/* Peers (dp_peer.c): written by the main lcore, read by workers. */
	_Atomic(struct dp_peer *) *peers;
	uint32_t max_peers;
	struct sl_peer_stats *peer_stats;
	struct rte_lpm *lpm;		/* VPN address or iroute -> peer-id */
	struct rte_hash *v1_hash;	/* P_DATA_V1: struct dp_v1_key -> peer-id */
	struct rte_rcu_qsbr *qsbr;
	struct rte_rcu_qsbr_dq *dq;
	/* Per worker, MP/SC: packets for peers it owns, from other workers. */
	struct rte_ring *handoff_rx[SL_MAX_LCORES];	/* to decrypt */
	struct rte_ring *handoff_tx[SL_MAX_LCORES];	/* to encrypt */
	uint32_t pool_net, pool_mask;	/* vpn.pool, host order */
	uint64_t tsc_hz;
	uint16_t mss;			/* MSS clamp, 0 = off */
	uint16_t tun_mtu;		/* largest inner packet sent as one */
	uint8_t key_backend[SL_CIPHER_COUNT];	/* enum ovpn_backend by enum sl_cipher */
	/* Access rules (dp_rules.c): the live set, published by the main lcore. */
	_Atomic(struct dp_rules *) rules;	/* NULL until the first publish */
	struct dp_rules_worker *rules_wk;	/* per worker: flow table, deny log share */
	struct dp_rules_main *rules_main;	/* main lcore: retired sets, deny log */
	struct sl_rule_hits *rule_hits;		/* SL_MZ_RULE_HITS [worker][slot] */
	const struct rte_memzone *rule_hits_mz;
	struct rte_ring *deny_log;		/* workers -> main lcore: denied flows */
	atomic_bool quit;	/* set by the signal handler; workers poll it (relaxed) */
};

/* dp_port.c */
int dp_ports_init(struct dp *dp);
void dp_ports_stop(struct dp *dp);
void dp_ports_status(struct dp *dp);

/* dp_shared.c: objects shared with the control plane */
int dp_shared_create(struct dp *dp);
int dp_shared_workers(struct dp *dp);
void dp_shared_free(struct dp *dp);

/* dp_worker.c */
int dp_worker_loop(void *arg);
/* One pass of the loop over every port and ring, its cycles accounted on C
 * (dp_cycles.h); the caller sets w->now_tsc and w->now_s first. */
struct dp_clock;
void dp_worker_iteration(struct dp_worker *w, struct dp_clock *c);


/* dp_crypto.c: the backend dataplane.crypto picks, logged and put in
 * sl_status; -1 if the configured one cannot run here. */
int dp_crypto_select(struct dp *dp);
/* An engine for each of w[0..n), or -1 (none left made). */
int dp_crypto_engines(struct dp_worker *w, unsigned n);
void dp_crypto_engines_free(struct dp_worker *w, unsigned n);
/* enum sl_cipher: OpenVPN's name (NULL if none) */
const char *dp_cipher_name(unsigned cipher);

/* dp_telemetry.c */
void dp_telemetry_init(const struct dp *dp);

/*
 * dp_rules.c: access rules. Init after dp_peers_init (flow tables, hit
 * counters, deny log); publish and poll on the main lcore; free after the
 * workers stopped.
 */
int dp_rules_init(struct dp *dp);
void dp_rules_free(struct dp *dp);
/*
 * SL_CMD_RULES_PUBLISH (command CMD_SEQ): the data plane owns BLOB from here
 * on. DP_CMD_PENDING: handed to the builder thread, dp_rules_poll() makes
 * it live and answers with SL_EVT_RESULT; else 0 or -errno at once.
 */
int dp_rules_publish(struct dp *dp, struct sl_rule_blob *blob, uint32_t cmd_seq);
/* Publish what the builder finished; free sets past their grace period;
 * print the deny log (rate-limited). */
void dp_rules_poll(struct dp *dp);
/* Hit counters of SLOT summed over workers. */
void dp_rules_hits(const struct dp *dp, uint32_t slot, struct sl_rule_hits *sum);
/* FN for each rule of the live set with its counters (any thread); the
 * count, or -1 if no set is live. */
int dp_rules_walk(const struct dp *dp, void (*fn)(void *arg, const struct sl_rule_entry *e,
						   const struct sl_rule_hits *h), void *arg);
/* No rule set, no flows, counters zero (tests; no worker may run). */
void dp_rules_clear(struct dp *dp);
/* Flows in worker WORKER's table. */
uint32_t dp_rules_flows(const struct dp *dp, unsigned worker);

/* dp_cleanup.c */
void dp_cleanup_files(const char *file_prefix);

/* dp_mainlcore.c: the main lcore */
void dp_main_loop(struct dp *dp);
/* Check and run one command; 0 or -errno (the SL_EVT_RESULT result), or
 * DP_CMD_PENDING: the result event comes later (rules publish). */
#define DP_CMD_PENDING	1
int dp_cmd_exec(struct dp *dp, const struct sl_cmd *c);
/* Run every command waiting in sl_cmd, answer each with SL_EVT_RESULT. */
void dp_cmd_poll(struct dp *dp);

#endif
