/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VPN addresses and peer-ids.
 *
 * topology subnet on vpn.pool = NET/len, as OpenVPN's `server` directive
 * lays it out (src/openvpn/helper.c, helper_client_server; pool.c):
 * NET+1 is the gateway (pushed as route-gateway), clients get NET+2 ..
 * broadcast-1. A common name keeps
 * its address across reconnects while nobody else needs it: the last
 * address of every name is remembered, and a new name takes the lowest
 * address that is free and not remembered for someone else before it
 * reuses a remembered one. Peer-ids are the lowest free index in
 * 0..max_clients-1 (as OpenVPN assigns them: multi.c, multi_assign_peer_id).
 *
 * Adopted peers (cp_adopt.c: left in the data plane by a previous control
 * plane) hold their peer-id and address like any other, but a new session
 * of the same common name may take the address over: the adopted session
 * cannot rekey, and its client comes back with a fresh handshake. Every
 * address records the peer-id that holds it, so the adopted session's
 * release, which follows, does not free an address that has moved on.
 *
 * Fixed addresses (vpn.static_addresses, cp_pool_fix, and the user
 * store's static addresses, cp_pool_fix_users) are reserved: only their
 * name gets them, and while one is busy (the same user connected twice,
 * or a store address given to a user while another session still holds
 * it) that name takes a dynamic address like anyone else.
 *
 * With a user store (cp_pool_set_store) a user's last address is durable:
 * written to the store when it changes (cp_store_user_set_sticky, on the
 * worker that allocated it) and remembered again at the next start
 * (cp_pool_restore_store), so a user keeps its address across restarts.
 *
 * The remembered addresses can be saved to a file and restored into a new
 * pool: the control plane does so when it re-executes itself after the
 * data plane died (main.c), so returning clients get their addresses back.
 * Fixed addresses come from the config and need no saving.
 *
 * Thread-safe: one mutex; workers allocate, the event loop releases.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cp_ctx.h"
#include "cp_pool.h"
#include "cp_store.h"
#include "cp_users.h"
#include "sl_log.h"

struct cp_sticky {
	char cn[CP_NAME_MAX];
	uint32_t host;			/* index in the pool, 0 = unused entry */
	bool from_store;		/* fixed: the store's, not the config's */
};

struct cp_pool {
	pthread_mutex_t lock;
	uint32_t net, mask, n_hosts;	/* hosts: index 2 .. n_hosts-2 */
	uint8_t *used;			/* per host index */
	uint8_t *remembered;		/* per host index: some name's last address */
	uint8_t *adopted;		/* per host index: held by an adopted peer */
	uint32_t *owner;		/* per host index: peer-id that holds it */
	uint8_t *reserved;		/* per host index: someone's fixed address */
	struct cp_sticky *fixed;	/* n_fixed name -> host, from the config */
	uint32_t n_fixed;
	struct cp_sticky *sticky;	/* n_sticky entries, round robin */
	uint32_t n_sticky, sticky_next;
	/* Name -> sticky entry: open addressing with linear probing, values
	 * are entry index + 1 (0 = empty), at most half full. */
	uint32_t *sticky_idx, idx_mask;
	/* Every host below it is used, reserved or remembered, and every
	 * peer-id below peer_hint is taken: where the next search starts.
	 * Lowered whenever one below it frees, so at most a preference
	 * order, never a refusal, hangs on them (see host_pick). */
	uint32_t host_hint, peer_hint;
	uint32_t max_peers;
	struct cp_session **peers;	/* by peer-id */
	struct cp_store *store;		/* where last addresses are kept, or NULL */
};

struct cp_pool *cp_pool_new(const struct cfg_prefix *net, uint32_t max_clients)
{
	struct cp_pool *p;

	if (net->len > 30)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	p->mask = net->len ? ~0u << (32 - net->len) : 0;
	p->net = net->addr & p->mask;
	p->n_hosts = ~p->mask + 1;
	p->max_peers = max_clients;
	p->n_sticky = 2 * max_clients;
	p->used = calloc(p->n_hosts, 1);
	p->remembered = calloc(p->n_hosts, 1);
	p->adopted = calloc(p->n_hosts, 1);
	p->owner = calloc(p->n_hosts, sizeof(*p->owner));
	p->reserved = calloc(p->n_hosts, 1);
	p->sticky = calloc(p->n_sticky, sizeof(*p->sticky));
	p->idx_mask = 1;
	while (p->idx_mask < 2 * p->n_sticky)
		p->idx_mask <<= 1;
	p->sticky_idx = calloc(p->idx_mask, sizeof(*p->sticky_idx));
	p->idx_mask--;
	p->host_hint = 2;
	p->peers = calloc(max_clients, sizeof(*p->peers));
	if (p->used == NULL || p->remembered == NULL || p->adopted == NULL ||
	    p->owner == NULL || p->reserved == NULL || p->sticky == NULL ||
	    p->sticky_idx == NULL || p->peers == NULL) {
		cp_pool_free(p);
		return NULL;
	}
	return p;
}

void cp_pool_free(struct cp_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p->used);
	free(p->remembered);
	free(p->adopted);
	free(p->owner);
	free(p->reserved);
	free(p->fixed);
	free(p->sticky);
	free(p->sticky_idx);
	free(p->peers);
	free(p);
}

/* Under the lock: host h may be free and unremembered now. */
static void host_freed(struct cp_pool *p, uint32_t h)
{
	if (h >= 2 && h < p->host_hint)
		p->host_hint = h;
}

/* Under the lock. */
static int fix(struct cp_pool *p, const char *name, uint32_t ip, bool from_store)
{
	uint32_t h = ip - p->net;
	struct cp_sticky *f;

	if ((ip & p->mask) != p->net || h < 2 || h + 1 >= p->n_hosts || p->reserved[h])
		return -EINVAL;
	f = realloc(p->fixed, (p->n_fixed + 1) * sizeof(*f));
	if (f == NULL)
		return -ENOMEM;
	p->fixed = f;
	snprintf(f[p->n_fixed].cn, sizeof(f[p->n_fixed].cn), "%s", name);
	f[p->n_fixed].from_store = from_store;
	f[p->n_fixed++].host = h;
	p->reserved[h] = 1;
	return 0;
}

int cp_pool_fix(struct cp_pool *p, const char *name, uint32_t ip)
{
	int rc;

	pthread_mutex_lock(&p->lock);
	rc = fix(p, name, ip, false);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

static void fix_one(const char *name, struct sl_addr a, void *arg)
{
	struct cp_pool *p = arg;

	/* The store refused an address the config reserves for another
	 * name; one the config took since is left to the config. */
	if (sl_addr_is_v4(&a) && fix(p, name, a.v4, true) != 0)
		SL_WARN("users.store: static address of %s not reserved: outside vpn.pool or "
			"reserved already", SL_ESC(name));
}

void cp_pool_fix_users(struct cp_pool *p, const struct cp_users *u)
{
	uint32_t n = 0;

	pthread_mutex_lock(&p->lock);
	for (uint32_t i = 0; i < p->n_fixed; i++) {
		if (p->fixed[i].from_store) {
			p->reserved[p->fixed[i].host] = 0;
			host_freed(p, p->fixed[i].host);
		} else
			p->fixed[n++] = p->fixed[i];
	}
	p->n_fixed = n;
	cp_users_each_static(u, fix_one, p);
	pthread_mutex_unlock(&p->lock);
}

static const struct cp_sticky *fixed_find(const struct cp_pool *p, const char *cn)
{
	for (uint32_t i = 0; i < p->n_fixed; i++)
		if (strcmp(p->fixed[i].cn, cn) == 0)
			return &p->fixed[i];
	return NULL;
}

/* FNV-1a: names are the pool's own keys, chosen by the operator or
 * verified (docs/security.md), and the table is kept at most half full. */
static uint32_t name_hash(const char *cn)
{
	uint32_t h = 2166136261u;

	for (; *cn != '\0'; cn++)
		h = (h ^ (uint8_t)*cn) * 16777619u;
	return h;
}

/* The index slot holding cn's entry, or the empty slot where it would go. */
static uint32_t idx_slot(const struct cp_pool *p, const char *cn)
{
	uint32_t i = name_hash(cn) & p->idx_mask, v;

	while ((v = p->sticky_idx[i]) != 0 && strcmp(p->sticky[v - 1].cn, cn) != 0)
		i = (i + 1) & p->idx_mask;
	return i;
}

/* Linear probing's deletion: later entries of the run move back into the
 * hole when their home slot does not lie after it (cyclically). */
static void idx_remove(struct cp_pool *p, uint32_t hole)
{
	uint32_t i = hole, v, home;

	p->sticky_idx[hole] = 0;
	for (;;) {
		i = (i + 1) & p->idx_mask;
		v = p->sticky_idx[i];
		if (v == 0)
			return;
		home = name_hash(p->sticky[v - 1].cn) & p->idx_mask;
		if (((i - home) & p->idx_mask) >= ((i - hole) & p->idx_mask)) {
			p->sticky_idx[hole] = v;
			p->sticky_idx[i] = 0;
			hole = i;
		}
	}
}

static struct cp_sticky *sticky_find(struct cp_pool *p, const char *cn)
{
	uint32_t v = p->sticky_idx[idx_slot(p, cn)];

	return v != 0 ? &p->sticky[v - 1] : NULL;
}

static void sticky_set(struct cp_pool *p, const char *cn, uint32_t host)
{
	struct cp_sticky *e = sticky_find(p, cn);

	if (e == NULL) {
		e = &p->sticky[p->sticky_next];
		p->sticky_next = (p->sticky_next + 1) % p->n_sticky;
		if (e->host != 0) {
			/* the oldest name forgets */
			p->remembered[e->host] = 0;
			host_freed(p, e->host);
			idx_remove(p, idx_slot(p, e->cn));
		}
		snprintf(e->cn, sizeof(e->cn), "%s", cn);
		p->sticky_idx[idx_slot(p, e->cn)] = (uint32_t)(e - p->sticky) + 1;
	} else {
		p->remembered[e->host] = 0;
		host_freed(p, e->host);
	}
	e->host = host;
	p->remembered[host] = 1;
}

static uint32_t host_pick(struct cp_pool *p, const char *cn)
{
	const struct cp_sticky *f = fixed_find(p, cn);
	struct cp_sticky *e = sticky_find(p, cn);
	uint32_t h, spare = 0;

	/* The name's fixed address, or its last one (also from an adopted peer). */
	if (f != NULL && (!p->used[f->host] || p->adopted[f->host]))
		return f->host;
	/* ... unless the store made it someone's fixed address since. */
	if (e != NULL && !p->reserved[e->host] && (!p->used[e->host] || p->adopted[e->host]))
		return e->host;
	/* Below the hint nothing is free and unremembered. */
	for (h = p->host_hint; h + 1 < p->n_hosts; h++)
		if (!p->used[h] && !p->reserved[h] && !p->remembered[h]) {
			p->host_hint = h;
			return h;
		}
	/* None: a remembered one, the first (or one the hint hid). */
	for (h = 2; h + 1 < p->n_hosts; h++) {
		if (p->used[h] || p->reserved[h])
			continue;
		if (!p->remembered[h])
			return h;
		if (spare == 0)
			spare = h;
	}
	return spare;
}

static int peer_pick(struct cp_pool *p, struct cp_session *s, uint32_t *peer_id)
{
	for (uint32_t i = p->peer_hint; i < p->max_peers; i++)
		if (p->peers[i] == NULL) {
			p->peers[i] = s;
			*peer_id = i;
			p->peer_hint = i + 1;
			return 0;
		}
	return -ENOSPC;
}

int cp_pool_alloc(struct cp_pool *p, const char *cn, struct cp_session *s,
		  uint32_t *peer_id, uint32_t *ip)
{
	const struct cp_sticky *e;
	bool moved = false;
	uint32_t h;
	int rc;

	pthread_mutex_lock(&p->lock);
	h = host_pick(p, cn);
	rc = h == 0 ? -ENOSPC : peer_pick(p, s, peer_id);
	if (rc == 0) {
		p->used[h] = 1;
		p->adopted[h] = 0;
		p->owner[h] = *peer_id;
		if (!p->reserved[h]) {
			e = sticky_find(p, cn);
			moved = e == NULL || e->host != h;
			sticky_set(p, cn, h);
		}
		*ip = p->net + h;
	}
	pthread_mutex_unlock(&p->lock);
	/* Durable when it changed: the store syncs, so outside the lock.
	 * Names the store does not hold (certificates of an external CA)
	 * are refused there and stay in memory only. */
	if (moved && p->store != NULL)
		cp_store_user_set_sticky(p->store, cn, &(struct sl_addr){ .family = SL_AF_INET,
									  .v4 = *ip }, NULL);
	return rc;
}

void cp_pool_set_store(struct cp_pool *p, struct cp_store *st)
{
	p->store = st;
}

static int restore_one(const struct cp_store_user *u, void *arg)
{
	struct cp_pool *p = arg;
	uint32_t ip = u->sticky_addr.v4, h = ip - p->net;

	if (sl_addr_is_v4(&u->sticky_addr) && (ip & p->mask) == p->net && h >= 2 &&
	    h + 1 < p->n_hosts && !p->reserved[h] && !p->remembered[h] &&
	    sticky_find(p, u->email) == NULL)
		sticky_set(p, u->email, h);
	return 0;
}

int cp_pool_restore_store(struct cp_pool *p, struct cp_store *st)
{
	int n;

	pthread_mutex_lock(&p->lock);
	n = cp_store_user_list(st, restore_one, p);
	pthread_mutex_unlock(&p->lock);
	return n;
}

int cp_pool_adopt(struct cp_pool *p, const char *cn, struct cp_session *s,
		  uint32_t peer_id, uint32_t ip)
{
	uint32_t h = ip - p->net;
	int rc = 0;

	if (peer_id >= p->max_peers || (ip & p->mask) != p->net || h < 2 || h + 1 >= p->n_hosts)
		return -ERANGE;
	pthread_mutex_lock(&p->lock);
	if (p->peers[peer_id] != NULL || p->used[h]) {
		rc = -EBUSY;
	} else {
		p->peers[peer_id] = s;
		p->used[h] = 1;
		p->adopted[h] = 1;
		p->owner[h] = peer_id;
		if (cn[0] != '\0')
			sticky_set(p, cn, h);
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

void cp_pool_release(struct cp_pool *p, uint32_t peer_id, uint32_t ip)
{
	uint32_t h = ip - p->net;

	pthread_mutex_lock(&p->lock);
	if (peer_id < p->max_peers) {
		p->peers[peer_id] = NULL;
		if (peer_id < p->peer_hint)
			p->peer_hint = peer_id;
	}
	/* Only its holder frees an address (see adoption above). */
	if (ip != 0 && (ip & p->mask) == p->net && p->owner[h] == peer_id) {
		p->used[h] = 0;
		p->adopted[h] = 0;
		host_freed(p, h);
	}
	pthread_mutex_unlock(&p->lock);
}

struct cp_session *cp_pool_session(struct cp_pool *p, uint32_t peer_id)
{
	struct cp_session *s = NULL;

	pthread_mutex_lock(&p->lock);
	if (peer_id < p->max_peers)
		s = p->peers[peer_id];
	pthread_mutex_unlock(&p->lock);
	return s;
}

/* ---- saving and restoring the remembered addresses ---- */

#define POOL_FILE_HEADER "sluice-pool 1\n"

/* One "A.B.C.D NAME" line per remembered name, oldest first (the next
 * round-robin slot is the oldest); names never hold a newline. */
static int save_entries(struct cp_pool *p, FILE *f)
{
	int n = 0;

	fputs(POOL_FILE_HEADER, f);
	for (uint32_t k = 0; k < p->n_sticky; k++) {
		const struct cp_sticky *e = &p->sticky[(p->sticky_next + k) % p->n_sticky];
		uint32_t ip = p->net + e->host;

		if (e->host == 0 || strchr(e->cn, '\n') != NULL)
			continue;
		fprintf(f, "%u.%u.%u.%u %s\n", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
			ip & 0xff, e->cn);
		n++;
	}
	return n;
}

int cp_pool_save(struct cp_pool *p, const char *path)
{
	char tmp[4096];
	FILE *f;
	int fd, n, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (f == NULL) {
		rc = -errno;
		close(fd);
		unlink(tmp);
		return rc;
	}
	pthread_mutex_lock(&p->lock);
	n = save_entries(p, f);
	pthread_mutex_unlock(&p->lock);
	/* Whole or not at all: a crash leaves the old file or the new one. */
	if (fflush(f) != 0 || fsync(fd) != 0)
		rc = -errno;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	return n;
}

/* "A.B.C.D NAME" into *ip and NAME (the line's newline removed); -1 if not. */
static int parse_entry(char *line, uint32_t *ip, const char **name)
{
	unsigned a, b, c, d;
	int used = 0;

	line[strcspn(line, "\n")] = '\0';
	if (sscanf(line, "%3u.%3u.%3u.%3u %n", &a, &b, &c, &d, &used) != 4 || used == 0 ||
	    a > 255 || b > 255 || c > 255 || d > 255 || line[used] == '\0' ||
	    strlen(line + used) >= CP_NAME_MAX)
		return -1;
	*ip = a << 24 | b << 16 | c << 8 | d;
	*name = line + used;
	return 0;
}

int cp_pool_restore(struct cp_pool *p, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[CP_NAME_MAX + 32];
	const char *name;
	uint32_t ip, h;
	int n = 0;

	if (f == NULL)
		return -errno;
	if (fgets(line, sizeof(line), f) == NULL || strcmp(line, POOL_FILE_HEADER) != 0) {
		fclose(f);
		return -EINVAL;
	}
	pthread_mutex_lock(&p->lock);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (parse_entry(line, &ip, &name) != 0)
			continue;
		h = ip - p->net;
		if ((ip & p->mask) != p->net || h < 2 || h + 1 >= p->n_hosts || p->reserved[h] ||
		    p->remembered[h] || sticky_find(p, name) != NULL)
			continue;
		sticky_set(p, name, h);
		n++;
	}
	pthread_mutex_unlock(&p->lock);
	fclose(f);
	return n;
}

uint32_t cp_pool_gateway(const struct cp_pool *p)
{
	return p->net + 1;
}

uint32_t cp_pool_netmask(const struct cp_pool *p)
{
	return p->mask;
}
