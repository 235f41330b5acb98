/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_POOL_H
#define SL_CP_POOL_H

/*
 * VPN addresses (sticky per name, fixed ones from vpn.static_addresses)
 * and peer-ids (cp_pool.c). Thread-safe: workers allocate, the event loop
 * releases.
 */
#include <stdint.h>

#include "cfg.h"

struct cp_pool;
struct cp_session;
struct cp_store;
struct cp_users;

struct cp_pool *cp_pool_new(const struct cfg_prefix *net, uint32_t max_clients);
void cp_pool_free(struct cp_pool *p);
/* Reserve IP for NAME only (vpn.static_addresses); before any allocation.
 * -EINVAL outside the clients' range or reserved already. */
int cp_pool_fix(struct cp_pool *p, const char *name, uint32_t ip);
/* The user store's static addresses from snapshot U in place of the
 * previous snapshot's (the config's stay); any time. */
void cp_pool_fix_users(struct cp_pool *p, const struct cp_users *u);
/* Keep the last address of each user in ST from now on (NULL: memory only). */
void cp_pool_set_store(struct cp_pool *p, struct cp_store *st);
/* Remember the last addresses ST holds, as cp_pool_restore does a file's;
 * before any allocation. The users read, or -errno. */
int cp_pool_restore_store(struct cp_pool *p, struct cp_store *st);
/* 0 with *peer_id and *ip for NAME's session S, or -ENOSPC. */
int cp_pool_alloc(struct cp_pool *p, const char *name, struct cp_session *s,
		  uint32_t *peer_id, uint32_t *ip);
/* Reserve a peer-id and address found in the data plane for an adopted
 * session; -ERANGE outside the pool, -EBUSY taken. */
int cp_pool_adopt(struct cp_pool *p, const char *name, struct cp_session *s,
		  uint32_t peer_id, uint32_t ip);
/* Frees the peer-id, and the address only if peer_id still holds it. */
void cp_pool_release(struct cp_pool *p, uint32_t peer_id, uint32_t ip);
/* Session holding peer_id (event loop use only: valid until its END). */
struct cp_session *cp_pool_session(struct cp_pool *p, uint32_t peer_id);
/* The remembered addresses (name -> last address), oldest first, to PATH:
 * written to PATH.tmp, synced and renamed over PATH, mode 0600. The number
 * saved, or -errno. */
int cp_pool_save(struct cp_pool *p, const char *path);
/* Remember what cp_pool_save wrote, in its order; entries outside this
 * pool or on a fixed address are skipped. Before any allocation. The
 * number restored, -ENOENT without a file, -EINVAL if it is not ours. */
int cp_pool_restore(struct cp_pool *p, const char *path);
uint32_t cp_pool_gateway(const struct cp_pool *p);
uint32_t cp_pool_netmask(const struct cp_pool *p);

#endif
