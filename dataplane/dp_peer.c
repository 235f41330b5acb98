/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The peer table and the SL_CMD_* verbs that change it. Main lcore only:
 * it is the single writer of the table, the key slots and the LPM of VPN
 * addresses. Old objects go through the QSBR defer queue and are freed once
 * every worker has passed a quiescent point.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_lpm.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dp.h"
#include "dp_peer.h"
#include "sl_log.h"

/* What sits in the defer queue: a peer or a key, freed after the grace period. */
struct dp_retired {
	void *obj;
	int is_key;
};

static void key_free(struct dp_key *k)
{
	/* rte_free does not wipe: ovpn_data_key_free wipes each direction's
	 * struct and its material in k->mem. */
	ovpn_data_key_free(&k->rx);
	ovpn_data_key_free(&k->tx);
	rte_free(k);
}

static void retired_free(void *ctx, void *entries, unsigned n)
{
	struct dp_retired *r = entries;

	(void)ctx;
	for (unsigned i = 0; i < n; i++) {
		if (r[i].is_key)
			key_free(r[i].obj);
		else
			rte_free(r[i].obj);
	}
}

static void retire(struct dp *dp, void *obj, int is_key)
{
	struct dp_retired r = { .obj = obj, .is_key = is_key };

	if (obj == NULL)
		return;
	/* The queue reclaims on its own when full; if that fails, wait it out. */
	if (rte_rcu_qsbr_dq_enqueue(dp->dq, &r) != 0) {
		rte_rcu_qsbr_synchronize(dp->qsbr, RTE_QSBR_THRID_INVALID);
		retired_free(NULL, &r, 1);
	}
}

/*
 * Lock-free readers (workers), one writer (main lcore); freed key slots are
 * reused only after a QSBR grace period.
 */
static int v1_hash_init(struct dp *dp)
{
	struct rte_hash_parameters hp = {
		.name = "sl_v1_peers", .entries = RTE_MAX(dp->max_peers, 8u),
		.key_len = sizeof(struct dp_v1_key), .hash_func = rte_jhash,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct rte_hash_rcu_config rc = { .v = dp->qsbr, .mode = RTE_HASH_QSBR_MODE_DQ };

	dp->v1_hash = rte_hash_create(&hp);
	if (dp->v1_hash == NULL)
		return -1;
	return rte_hash_rcu_qsbr_add(dp->v1_hash, &rc);
}

int dp_peers_init(struct dp *dp)
{
	uint32_t n = dp->cfg->vpn.max_clients;
	size_t qsz = rte_rcu_qsbr_get_memsize(dp->n_workers);
	/* Each /24 holding a peer's /32 takes a tbl8 group (1 KiB): 256 groups
	 * stopped PEER_NEW at 65 536 peers; room for every peer in its own
	 * /24 group's quarter, and 256 more for iroutes. */
	struct rte_lpm_config lc = { .max_rules = 2 * n + 16, .number_tbl8s = n / 64 + 256 };
	struct rte_rcu_qsbr_dq_parameters dq = { 0 };
	struct rte_lpm_rcu_config lrc = { 0 };

	dp->max_peers = n;
	dp->peers = rte_zmalloc("sl_peers", n * sizeof(*dp->peers), RTE_CACHE_LINE_SIZE);
	dp->peer_stats = rte_zmalloc("sl_peer_stats", n * sizeof(struct sl_peer_stats),
				     RTE_CACHE_LINE_SIZE);
	dp->qsbr = rte_zmalloc("sl_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (dp->peers == NULL || dp->peer_stats == NULL || dp->qsbr == NULL ||
	    rte_rcu_qsbr_init(dp->qsbr, dp->n_workers) != 0)
		return -ENOMEM;
	dq.name = "sl_retired";
	dq.size = 4096;
	dq.esize = sizeof(struct dp_retired);
	dq.trigger_reclaim_limit = 64;
	dq.max_reclaim_size = 256;
	dq.free_fn = retired_free;
	dq.v = dp->qsbr;
	dp->dq = rte_rcu_qsbr_dq_create(&dq);
	dp->lpm = rte_lpm_create("sl_vpn_lpm", rte_socket_id(), &lc);
	if (dp->dq == NULL || dp->lpm == NULL)
		return -ENOMEM;
	lrc.v = dp->qsbr;
	lrc.mode = RTE_LPM_QSBR_MODE_DQ;
	if (rte_lpm_rcu_qsbr_add(dp->lpm, &lrc) != 0)
		return -rte_errno;
	if (v1_hash_init(dp) != 0)
		return -ENOMEM;
	dp->status->peers = dp->peer_stats;
	dp->status->max_peers = n;
	return 0;
}

void dp_peers_free(struct dp *dp)
{
	for (uint32_t i = 0; dp->peers != NULL && i < dp->max_peers; i++) {
		struct dp_peer *p = atomic_load_explicit(&dp->peers[i], memory_order_relaxed);

		if (p == NULL)
			continue;
		for (int s = 0; s < 2; s++) {
			struct dp_key *k = atomic_load_explicit(&p->slot[s], memory_order_relaxed);

			if (k != NULL)
				key_free(k);
		}
		rte_free(p);
	}
	/* Workers are stopped: whatever is queued can go now. */
	if (dp->dq != NULL)
		rte_rcu_qsbr_dq_delete(dp->dq);
	rte_lpm_free(dp->lpm);
	rte_hash_free(dp->v1_hash);
	dp->v1_hash = NULL;
	rte_free(dp->qsbr);
	rte_free(dp->peers);
	rte_free(dp->peer_stats);
	dp->peers = NULL;
	dp->peer_stats = NULL;
	dp->dq = NULL;
	dp->lpm = NULL;
	dp->qsbr = NULL;
}

void dp_peers_reclaim(struct dp *dp)
{
	unsigned freed, pending, avail;

	rte_rcu_qsbr_dq_reclaim(dp->dq, 64, &freed, &pending, &avail);
}

static enum ovpn_comp_mode framing_mode(uint8_t f)
{
	switch (f) {
	case SL_FRAMING_COMP_LZO: return OVPN_COMP_LZO;
	case SL_FRAMING_STUB: return OVPN_COMP_STUB;
	case SL_FRAMING_STUB_V2: return OVPN_COMP_STUB_V2;
	default: return OVPN_COMP_NONE;
	}
}

static void peer_apply(struct dp_peer *p, const struct sl_cmd_peer *c)
{
	uint64_t hz = rte_get_tsc_hz();

	p->framing = framing_mode(c->framing);
	p->ka_interval_tsc = (uint64_t)c->keepalive_interval * hz;
	p->ka_timeout_tsc = (uint64_t)c->keepalive_timeout * hz;
	for (int i = 0; i < 2; i++)
		__atomic_store_n(&p->roles[i], c->roles[i], __ATOMIC_RELAXED);
	__atomic_store_n(&p->user_tag, c->user_tag, __ATOMIC_RELAXED);
}

static int v1_add(struct dp *dp, struct dp_peer *p)
{
	struct dp_v1_key k = { .ip = p->remote.addr.v4, .port = p->remote.port };

	if (rte_hash_lookup(dp->v1_hash, &k) >= 0)
		return -EADDRINUSE;
	p->data_v1 = 1;
	p->v1_key = k;
	return rte_hash_add_key_data(dp->v1_hash, &k, (void *)(uintptr_t)p->id);
}

static void peer_unroute(struct dp *dp, struct dp_peer *p)
{
	rte_lpm_delete(dp->lpm, p->vpn_ip, 32);
	for (unsigned i = 0; i < p->n_routes; i++)
		rte_lpm_delete(dp->lpm, p->routes[i].prefix, p->routes[i].len);
	if (p->data_v1)
		rte_hash_del_key(dp->v1_hash, &p->v1_key);
}

static int peer_new(struct dp *dp, const struct sl_cmd *c)
{
	struct dp_peer *p;
	int rc;

	if (c->peer_id >= dp->max_peers)
		return -ERANGE;
	if (atomic_load_explicit(&dp->peers[c->peer_id], memory_order_relaxed) != NULL)
		return -EEXIST;
	if (c->u.peer.vpn.v4 == 0 || rte_lpm_is_rule_present(dp->lpm, c->u.peer.vpn.v4, 32,
							      &(uint32_t){ 0 }) == 1)
		return -EADDRINUSE;
	p = rte_zmalloc("sl_peer", sizeof(*p), RTE_CACHE_LINE_SIZE);
	if (p == NULL)
		return -ENOMEM;
	p->id = c->peer_id;
	p->owner = (uint16_t)(c->peer_id % dp->n_workers);
	p->vpn_ip = c->u.peer.vpn.v4;
	p->remote = sl_endpoint_udp4(c->u.peer.remote.addr.v4, c->u.peer.remote.port);
	p->remote.transport = c->u.peer.remote.transport;
	p->remote.conn = c->u.peer.remote.conn;
	memcpy(p->remote_mac.addr_bytes, c->u.peer.remote_mac, RTE_ETHER_ADDR_LEN);
	p->last_rx_tsc = p->last_tx_tsc = rte_rdtsc();
	p->stats = &dp->peer_stats[c->peer_id];
	memset(p->stats, 0, sizeof(*p->stats));
	p->stats->remote = p->remote;
	p->stats->vpn = sl_addr_v4(p->vpn_ip);
	p->stats->cipher = c->u.peer.cipher;
	p->stats->digest = c->u.peer.digest;
	p->stats->since = (uint64_t)time(NULL);
	memcpy(p->stats->name, c->u.peer.name, sizeof(p->stats->name));
	p->stats->name[sizeof(p->stats->name) - 1] = '\0';
	/* Release: a reader that sees in_use sees the fields above. */
	__atomic_store_n(&p->stats->in_use, 1, __ATOMIC_RELEASE);
	peer_apply(p, &c->u.peer);
	rc = rte_lpm_add(dp->lpm, p->vpn_ip, 32, p->id);
	if (rc != 0) {
		rte_free(p);
		return rc;
	}
	if (c->u.peer.data_v1 && (rc = v1_add(dp, p)) != 0) {
		rte_lpm_delete(dp->lpm, p->vpn_ip, 32);
		rte_free(p);
		return rc;
	}
	/* Release: a worker that sees the pointer sees the whole peer. */
	atomic_store_explicit(&dp->peers[c->peer_id], p, memory_order_release);
	dp->status->n_peers++;
	return 0;
}

static struct dp_peer *peer_of(struct dp *dp, const struct sl_cmd *c)
{
	if (c->peer_id >= dp->max_peers)
		return NULL;
	return atomic_load_explicit(&dp->peers[c->peer_id], memory_order_relaxed);
}

static int peer_del(struct dp *dp, const struct sl_cmd *c)
{
	struct dp_peer *p = peer_of(dp, c);

	if (p == NULL)
		return -ENOENT;
	atomic_store_explicit(&dp->peers[c->peer_id], NULL, memory_order_release);
	peer_unroute(dp, p);
	for (int s = 0; s < 2; s++)
		retire(dp, atomic_exchange(&p->slot[s], NULL), 1);
	p->stats->in_use = 0;
	retire(dp, p, 0);
	dp->status->n_peers--;
	return 0;
}

static int peer_set(struct dp *dp, const struct sl_cmd *c)
{
	struct dp_peer *p = peer_of(dp, c);

	if (p == NULL)
		return -ENOENT;
	/* Keepalive, framing and the policy tag; the remote address is the
	 * owner's (float). */
	peer_apply(p, &c->u.peer);
	return 0;
}

/* Both directions' configuration for KEY_NEW c (backend and algorithm
 * from the cipher; the key material is expanded once, at init). */
static void key_cfgs(struct dp *dp, const struct sl_cmd *c, struct ovpn_data_key_cfg *rx,
		     struct ovpn_data_key_cfg *tx)
{
	const struct sl_cmd_key *ck = &c->u.key;
	struct dp_peer *p = peer_of(dp, c);

	*rx = (struct ovpn_data_key_cfg){
		.dir = OVPN_DATA_DIR_RX, .key_id = ck->key_id,
		.opcode = OVPN_P_DATA_V2, .peer_id = c->peer_id,
		.cipher_key = ck->decrypt.key, .hmac_key = ck->decrypt.hmac,
	};
	dp_crypto_key_cfg(dp, ck->cipher, ck->digest, rx);
	*tx = *rx;
	tx->dir = OVPN_DATA_DIR_TX;
	if (p != NULL && p->data_v1)
		tx->opcode = OVPN_P_DATA_V1;
	tx->cipher_key = ck->encrypt.key;
	tx->hmac_key = ck->encrypt.hmac;
}

/* One block: struct dp_key, then rx's and tx's material (dp_peer.h). */
static int key_make(struct dp *dp, const struct sl_cmd *c, struct dp_key **out)
{
	struct ovpn_data_key_cfg rx, tx;
	size_t rx_len, tx_len;
	struct dp_key *k;
	int rc;

	key_cfgs(dp, c, &rx, &tx);
	rx_len = ovpn_data_key_mem_len(&rx);
	tx_len = ovpn_data_key_mem_len(&tx);
	k = rte_zmalloc("sl_key", sizeof(*k) + rx_len + tx_len, RTE_CACHE_LINE_SIZE);
	if (k == NULL)
		return -ENOMEM;
	k->key_id = c->u.key.key_id;
	rc = ovpn_data_key_init_in(&k->rx, &rx, rx_len ? k->mem : NULL, rx_len);
	if (rc == 0)
		rc = ovpn_data_key_init_in(&k->tx, &tx, tx_len ? k->mem + rx_len : NULL, tx_len);
	if (rc == 0)
		rc = ovpn_pktid_recv_init(&k->replay, dp->cfg->vpn.replay_window);
	if (rc != 0) {
		key_free(k);
		return -EINVAL;
	}
	ovpn_pktid_send_init(&k->tx_pid);
	*out = k;
	return 0;
}

static int key_new(struct dp *dp, const struct sl_cmd *c)
{
	struct dp_peer *p = peer_of(dp, c);
	struct dp_key *k;
	int rc;

	if (p == NULL)
		return -ENOENT;
	rc = key_make(dp, c, &k);
	if (rc != 0)
		return rc;
	/* Release pairs with the acquire in dp_peer_rx_key()/dp_peer_tx_key(). */
	retire(dp, atomic_exchange_explicit(&p->slot[c->u.key.slot], k, memory_order_acq_rel), 1);
	return 0;
}

static int key_swap(struct dp *dp, const struct sl_cmd *c)
{
	struct dp_peer *p = peer_of(dp, c);
	unsigned next;

	if (p == NULL)
		return -ENOENT;
	next = atomic_load_explicit(&p->primary, memory_order_relaxed) ^ 1;
	if (atomic_load_explicit(&p->slot[next], memory_order_relaxed) == NULL)
		return -ENOKEY;
	atomic_store_explicit(&p->primary, next, memory_order_release);
	return 0;
}

static int key_del(struct dp *dp, const struct sl_cmd *c)
{
	struct dp_peer *p = peer_of(dp, c);

	if (p == NULL)
		return -ENOENT;
	retire(dp, atomic_exchange_explicit(&p->slot[c->u.key.slot], NULL,
					    memory_order_acq_rel), 1);
	return 0;
}

/* iroutes: a subnet behind the peer, for the reverse path and anti-spoofing. */
static int route_add(struct dp *dp, const struct sl_cmd *c)
{
	struct dp_peer *p = peer_of(dp, c);
	uint32_t prefix = c->u.route.prefix.v4, len = c->u.route.len, id;

	if (p == NULL)
		return -ENOENT;
	if (len == 0 || len > 32 || (len < 32 && (prefix & ~(~0u << (32 - len))) != 0))
		return -EINVAL;
	if (p->n_routes >= SL_PEER_ROUTES_MAX)
		return -ENOSPC;
	if (rte_lpm_is_rule_present(dp->lpm, prefix, (uint8_t)len, &id) == 1)
		return -EADDRINUSE;
	if (rte_lpm_add(dp->lpm, prefix, (uint8_t)len, p->id) != 0)
		return -ENOMEM;
	p->routes[p->n_routes].prefix = prefix;
	p->routes[p->n_routes++].len = (uint8_t)len;
	return 0;
}

static int route_del(struct dp *dp, const struct sl_cmd *c)
{
	struct dp_peer *p = peer_of(dp, c);

	if (p == NULL)
		return -ENOENT;
	for (unsigned i = 0; i < p->n_routes; i++) {
		if (p->routes[i].prefix != c->u.route.prefix.v4 || p->routes[i].len != c->u.route.len)
			continue;
		rte_lpm_delete(dp->lpm, p->routes[i].prefix, p->routes[i].len);
		p->routes[i] = p->routes[--p->n_routes];
		return 0;
	}
	return -ENOENT;
}

/*
 * The control plane has the event: it is no longer pending, unless a newer
 * one of the same type replaced it (its seq differs, so it stays).
 */
static int evt_ack(struct dp *dp, const struct sl_cmd *c)
{
	struct dp_peer *p = peer_of(dp, c);
	uint32_t seq = c->u.ack.seq;

	if (p == NULL)
		return -ENOENT;
	if (c->u.ack.type <= SL_EVT_RESULT || c->u.ack.type >= SL_EVT_MAX || seq == 0)
		return -EINVAL;
	atomic_compare_exchange_strong(&p->evt_pending[c->u.ack.type], &seq, 0);
	return 0;
}

int dp_peer_cmd(struct dp *dp, const struct sl_cmd *c)
{
	switch (c->type) {
	case SL_CMD_EVT_ACK: return evt_ack(dp, c);
	case SL_CMD_ROUTE_ADD: return route_add(dp, c);
	case SL_CMD_ROUTE_DEL: return route_del(dp, c);
	case SL_CMD_PEER_NEW: return peer_new(dp, c);
	case SL_CMD_PEER_SET: return peer_set(dp, c);
	case SL_CMD_PEER_DEL: return peer_del(dp, c);
	case SL_CMD_KEY_NEW: return key_new(dp, c);
	case SL_CMD_KEY_SWAP: return key_swap(dp, c);
	case SL_CMD_KEY_DEL: return key_del(dp, c);
	default: return -EOPNOTSUPP;
	}
}
