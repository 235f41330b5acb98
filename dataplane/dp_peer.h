/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DP_PEER_H
#define SL_DP_PEER_H

/*
 * Peers and their keys.
 *
 * Writers: the main lcore alone creates, changes and deletes peers and keys
 * (SL_CMD_* verbs, dp_peer.c) and publishes them with release stores; the
 * workers read them with acquire loads. Anything a worker may still hold
 * (a deleted peer, a replaced key) is freed only after an rte_rcu_qsbr
 * grace period: every worker reports quiescent once per loop iteration.
 *
 * Per-peer mutable state (packet-ids, replay windows, counters, the remote
 * address after a float) has exactly one writer: the owner worker. Packets
 * for the peer that another worker receives are handed to the owner
 * through its handoff ring.
 *
 *   table[peer_id] --> struct dp_peer --> slot[0] --> struct dp_key (key_id a)
 *                                     \-> slot[1] --> struct dp_key (key_id b)
 *                      primary: the slot TX uses; RX picks by key-id.
 */
#include <stdatomic.h>
#include <stdint.h>

#include <rte_ether.h>

#include "ovpn_comp.h"
#include "ovpn_data.h"
#include "ovpn_pktid.h"
#include "sl_addr.h"
#include "sl_api.h"

/* Key of dp->v1_hash: where a P_DATA_V1 peer sends from (host order). */
struct dp_v1_key {
	uint32_t ip;
	uint16_t port;
	uint16_t zero;
};

/*
 * One rte_malloc block per key state (dp_peer.c key_make): a decrypted
 * packet reads cache line 0 (rx, its key-id among it), an encrypted one
 * line 1 (tx); then the packet-id state, then both directions' material
 * (ovpn_data_key_mem_len(): ipsec-mb schedules sized for the cipher, a CBC
 * TX key's IV pool), so a peer's key is one allocation in few pages.
 */
struct dp_key {
	struct ovpn_data_key rx __rte_cache_aligned;	/* decrypt (client -> server) */
	struct ovpn_data_key tx __rte_cache_aligned;	/* encrypt (server -> client) */
	uint8_t key_id;
	uint8_t exhausted;		/* owner: rekey event already raised */
	struct ovpn_pktid_send tx_pid;	/* owner only */
	struct ovpn_pktid_recv replay;	/* owner only */
	uint8_t mem[] __rte_cache_aligned;	/* rx's material, then tx's */
};

/*
 * 256 bytes: line 0 what the main lcore writes and every packet reads,
 * line 1 what the owner writes per packet, then events and what only the
 * main lcore reads (routes to undo at PEER_DEL).
 */
struct dp_peer {
	uint32_t id;
	uint16_t owner;			/* worker index */
	uint8_t framing;		/* enum ovpn_comp_mode */
	uint8_t data_v1;		/* P_DATA_V1 peer, found by address */
	uint32_t vpn_ip;		/* host order */
	atomic_uint primary;		/* 0 or 1: the TX slot */
	uint64_t ka_interval_tsc;	/* 0 = no keepalive pings */
	uint64_t ka_timeout_tsc;	/* 0 = never idle */
	_Atomic(struct dp_key *) slot[2];
	/*
	 * Policy tag for role: and user: rules (sl_cmd_peer.roles, user_tag):
	 * the main lcore stores it at PEER_NEW and PEER_SET with relaxed
	 * atomic stores, workers load it the same way (a burst during a
	 * PEER_SET may see the old tag, never a torn word).
	 */
	uint32_t roles[2];
	uint32_t user_tag;

	/* Owner-written state, on its own cache line. */
	struct sl_endpoint remote __rte_cache_aligned;	/* current, after float */
	struct rte_ether_addr remote_mac;	/* next hop toward the peer */
	uint8_t idle_reported;
	uint8_t exhausted_key_id;	/* of the pending KEY_EXHAUSTED */
	uint32_t evt_seq;		/* the last critical event's seq */
	uint64_t last_rx_tsc;
	uint64_t last_tx_tsc;
	struct sl_peer_stats *stats;	/* this peer's entry in sl_status.peers */

	uint64_t evt_raised_tsc __rte_cache_aligned;	/* when pending events were last raised */
	/*
	 * Critical events not acknowledged yet, by type: the event's seq, 0
	 * if none. The owner sets an entry, the main lcore clears it at
	 * SL_CMD_EVT_ACK (compare-and-swap, so an ack of an older event
	 * leaves a newer one pending).
	 */
	_Atomic uint32_t evt_pending[SL_EVT_MAX];
	/* Main lcore only: what to undo at PEER_DEL. */
	uint8_t n_routes;
	struct {
		uint32_t prefix;
		uint8_t len;
	} routes[SL_PEER_ROUTES_MAX];
	struct dp_v1_key v1_key;	/* the v1_hash key it was added with */
};

struct dp;

/* dp_peer.c, main lcore only. */
int dp_peers_init(struct dp *dp);
void dp_peers_free(struct dp *dp);
int dp_peer_cmd(struct dp *dp, const struct sl_cmd *c);
void dp_peers_reclaim(struct dp *dp);

/* dp_crypto.c: the algorithm, digest and backend of a key of enum sl_cipher
 * CIPHER and enum sl_digest DIGEST (CBC only; an unknown cipher is
 * AES-256-GCM, the control plane's default). */
void dp_crypto_key_cfg(const struct dp *dp, unsigned cipher, unsigned digest,
		       struct ovpn_data_key_cfg *kc);

/* Acquire-load of a table entry; pairs with the release store in dp_peer.c. */
static inline struct dp_peer *dp_peer_get(_Atomic(struct dp_peer *) *table, uint32_t n,
					  uint32_t id)
{
	if (id >= n)
		return NULL;
	return atomic_load_explicit(&table[id], memory_order_acquire);
}

/* The key for an RX key-id, or NULL. */
static inline struct dp_key *dp_peer_rx_key(struct dp_peer *p, unsigned key_id)
{
	for (int i = 0; i < 2; i++) {
		struct dp_key *k = atomic_load_explicit(&p->slot[i], memory_order_acquire);

		/* rx.key_id: the line the decryption reads next */
		if (k != NULL && k->rx.key_id == key_id)
			return k;
	}
	return NULL;
}

static inline struct dp_key *dp_peer_tx_key(struct dp_peer *p)
{
	unsigned s = atomic_load_explicit(&p->primary, memory_order_acquire);

	return atomic_load_explicit(&p->slot[s & 1], memory_order_acquire);
}

#endif
