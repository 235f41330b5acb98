/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_CTX_H
#define SL_CP_CTX_H

/*
 * What every module of the control channel shares: the context (config,
 * TLS and wrapping keys, pool, users, workers, the output queue,
 * counters) and the datagram to or from a client. No DPDK: the event loop
 * (cp_loop.c) fills it from the data plane, the unit tests by hand.
 *
 * Threads and ownership:
 *
 *   event loop (main thread)                 TLS workers (cp_work.c)
 *   ------------------------                 -----------------------
 *   control packets in -> admission          cp_session_run(): unwrap,
 *   (cookie, rate limits, half-open cap)     reliability, TLS, key method 2,
 *   session table by client endpoint         auth, NCP, push, key derivation
 *   -> inbox of the session, schedule  --->  -> outputs (struct cp_out)
 *   <--- drain outputs: packets to sl_cp_tx, <---
 *        commands to sl_cmd, session ends
 *
 * A session runs on at most one worker at a time (s->queued), so its
 * protocol state (s->p) has one writer; one slow client holds one worker
 * and never the event loop. The event loop and the workers meet only in
 * s->lock (inbox, signals, endpoint, info) and ctx->out_lock (outputs).
 * Sessions are reference counted: the table holds one reference, a queued
 * or running job one, every output that names the session one.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "sl_addr.h"
#include "sl_api.h"
#include "sl_counters.h"

#define CP_NAME_MAX		64
/* Longest identity (username or certificate common name), in bytes: the
 * data plane keeps a peer's name in 48 bytes with its NUL (sl_cmd_peer). */
#define CP_IDENTITY_MAX		47
#define CP_STR_(x)		#x
#define CP_STR(x)		CP_STR_(x)	/* a number macro as text, for messages */
#define CP_PKT_MAX		2048	/* largest control datagram we accept */

struct cp_tls;
struct cp_wrapkeys;
struct cp_pool;
struct cp_users;
struct cp_work;
struct cp_out;
struct cp_rules;

/* Counters of the control plane, in the order of SL_CP_COUNTERS (whose
 * table, sl_cp_defs(), names them). */
enum cp_stat {
#define CP_ST_X_(e, name, kind, help) CP_ST_##e,
	SL_CP_COUNTERS(CP_ST_X_)
#undef CP_ST_X_
	CP_ST_MAX
};

/* Shared by the event loop and the workers. */
struct cp_ctx {
	const struct sl_config *cfg;
	struct cp_tls *tls;
	struct cp_wrapkeys *keys;
	struct cp_pool *pool;
	/* The durable user store (users.store, cp_store.h), NULL without
	 * one, and the snapshot of its users the TLS workers check against
	 * (NULL without a store). The event loop rebuilds and swaps the
	 * snapshot when the store's generation moves (cp_ctx_users_reload),
	 * under users_lock: workers take it through cp_ctx_users_get; the
	 * loop reads it directly. Passwords are asked for only with
	 * pki.auth_user_pass. */
	struct cp_store *store;
	struct cp_users *users;
	pthread_mutex_t users_lock;
	uint64_t users_gen;		/* the store generation users was built at */
	struct cp_work *work;		/* NULL: the caller runs sessions itself */
	uint64_t (*now_ms)(void);	/* monotonic ms; tests inject their own */
	int64_t wall_offset;		/* Unix s minus now_ms()/1000, for replay-ids */
	pthread_mutex_t out_lock;
	struct cp_out *out_head, *out_tail;
	atomic_uint half_open;		/* sessions still in their first handshake */
	atomic_uint n_sessions;
	atomic_ulong stats[CP_ST_MAX];
	char data_ciphers[256];		/* vpn.data_ciphers joined with ':' */
	/* The data plane's per-peer counters (sl_status.peers), for
	 * vpn.reneg_bytes / reneg_pkts and the disconnect line; NULL: those
	 * triggers are off. */
	const struct sl_peer_stats *peers;
	uint32_t max_peers;
	/* The live access rules (cp_rules.h): PEER_NEW takes the session's
	 * policy tag there. NULL: no tags (unit tests). */
	struct cp_rules *rules;
};

/*
 * Open what CFG asks for (TLS context, wrapping keys, pool with its fixed
 * addresses, user store) into CTX; 0, or < 0 with a message in err.
 * cp_ctx_close() frees what was opened, also after a failed open.
 */
int cp_ctx_open(struct cp_ctx *ctx, const struct sl_config *cfg, char *err, size_t len);
void cp_ctx_close(struct cp_ctx *ctx);

/* The user store now, held (cp_users_free drops it when done). Any thread. */
struct cp_users *cp_ctx_users_get(struct cp_ctx *ctx);
/*
 * Event loop: has the user store changed (its generation: a write through
 * any connection, cp_store_generation)? 0 not; 1 a new snapshot swapped
 * in (and the pool's static addresses with it), *old the previous one
 * (the caller frees it); < 0 it could not be read: nothing changes and
 * err says why (once per change).
 */
int cp_ctx_users_reload(struct cp_ctx *ctx, struct cp_users **old, char *err, size_t len);
struct cp_session;
/* Does S (established, its user in OLD) lose its user in the store now?
 * CP_SIG_USER_GONE (removed, or its VPN access turned off),
 * CP_SIG_USER_CHANGED (its password hash changed: the credentials it
 * proved, and its cached digest of them, no longer count), or 0. A
 * session whose name OLD does not hold (a certificate from an external
 * CA, no store user) is not the store's. Reads s->info under s->lock. */
unsigned cp_ctx_user_gone(struct cp_ctx *ctx, const struct cp_users *old, struct cp_session *s);

static inline void cp_count(struct cp_ctx *ctx, enum cp_stat s)
{
	atomic_fetch_add_explicit(&ctx->stats[s], 1, memory_order_relaxed);
}

/* A datagram from or to a client: the OpenVPN packet and who it is for. */
struct cp_pkt {
	struct cp_pkt *next;
	struct sl_endpoint peer;	/* the client: sender of a packet in, destination out */
	uint8_t mac[6];		/* next hop toward the client */
	uint16_t len;
	uint8_t data[];
};

struct cp_pkt *cp_pkt_new(const uint8_t *data, size_t len, const struct sl_endpoint *peer,
			  const uint8_t mac[6]);

/* Spreads addresses over hash tables (rate slots, the session table). */
static inline uint32_t cp_addr_hash(const struct sl_addr *a)
{
	uint32_t w[4], h = a->v4;

	if (a->family == SL_AF_INET6) {
		memcpy(w, a->v6, sizeof(w));
		h = w[0] ^ w[1] ^ w[2] ^ w[3];
	}
	return h * 2654435761u;
}

#endif
