/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data-channel keys and renegotiation: what follows a key method 2
 * exchange, and the life of the keys after it (OpenVPN src/openvpn/ssl.c,
 * tls_process, key_state_soft_reset, lame_duck_must_die; the data plane's
 * slots follow the Linux ovpn key slots, ovpn_key_new/ovpn_key_swap):
 *
 *   key-id 0:  PEER_NEW (address and peer-id from the pool), KEY_NEW into
 *              slot 0 -> PUSH_REPLY at once for IV_PROTO_REQUEST_PUSH
 *              clients (cp_pushreply.c), else on their PUSH_REQUEST
 *   key-id n:  SOFT_RESET (either side, cp_ks_renegotiate) -> new TLS
 *              session -> key method 2 both ways -> KEY_NEW into the other
 *              slot (RX works at once) -> once the client acked our reply
 *              and CP_SWAP_DELAY_MS passed: KEY_SWAP (TX moves) ->
 *              hand_window later: KEY_DEL of the old slot.
 *
 * The server starts a renegotiation at reneg_sec, reneg_bytes or
 * reneg_pkts of the current key, or when the data plane says its
 * packet-ids are running out. A client that does not complete what we
 * asked for within tran_window loses the key it has (OpenVPN ssl.c: the
 * lame duck's must_die, tran-window): KEY_DEL of its slot, and as it has
 * no other key the session ends. Commands that carry keys are wiped by
 * cp_out_cmd() and, after the ring copy, by the event loop.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "cp_datakeys.h"
#include "cp_out.h"
#include "cp_pool.h"
#include "cp_pushreply.h"
#include "cp_rules.h"
#include "cp_store.h"
#include "cp_users.h"
#include "ovpn_peerinfo.h"
#include "sl_log.h"

/* Give the client a moment to install the key it derived from our reply. */
#define CP_SWAP_DELAY_MS	1000

const char *cp_datakeys_cipher_name(uint8_t cipher)
{
	static const char *const names[] = {
		[SL_CIPHER_NONE] = "none", [SL_CIPHER_AES_128_GCM] = "AES-128-GCM",
		[SL_CIPHER_AES_256_GCM] = "AES-256-GCM",
		[SL_CIPHER_CHACHA20_POLY1305] = "CHACHA20-POLY1305",
		[SL_CIPHER_AES_128_CBC] = "AES-128-CBC", [SL_CIPHER_AES_256_CBC] = "AES-256-CBC",
	};

	return cipher < sizeof(names) / sizeof(names[0]) ? names[cipher] : "?";
}

const char *cp_datakeys_digest_name(uint8_t digest)
{
	static const char *const names[] = {
		[SL_DIGEST_NONE] = "none", [SL_DIGEST_SHA1] = "SHA1",
		[SL_DIGEST_SHA256] = "SHA256", [SL_DIGEST_SHA512] = "SHA512",
	};

	return digest < sizeof(names) / sizeof(names[0]) ? names[digest] : "?";
}

uint8_t cp_datakeys_digest(const struct ovpn_kdf_cipher *kc)
{
	if (kc->aead)
		return SL_DIGEST_NONE;
	switch (kc->hmac_len) {
	case 20: return SL_DIGEST_SHA1;
	case 32: return SL_DIGEST_SHA256;
	case 64: return SL_DIGEST_SHA512;
	default: return SL_DIGEST_NONE;
	}
}

/* One direction: the cipher key, then the first bytes of the hmac slice,
 * the AEAD nonce tail or the CBC HMAC key (OpenVPN src/openvpn/crypto.h
 * struct key; ovpn_kdf.h). */
static void key_dir(struct sl_key_dir *d, const struct ovpn_kdf_dir *src,
		    const struct ovpn_kdf_cipher *kc)
{
	memcpy(d->key, src->key, kc->key_len);
	if (kc->aead)
		memcpy(d->nonce_tail, src->nonce_tail, SL_NONCE_TAIL_LEN);
	else
		memcpy(d->hmac, src->hmac, kc->hmac_len);
}

static void send_key(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
		     const struct ovpn_kdf_keys *keys)
{
	struct sl_cmd c = { .type = SL_CMD_KEY_NEW, .peer_id = s->p.peer_id };
	struct sl_cmd_key *k = &c.u.key;

	k->slot = ks->slot;
	k->key_id = ks->key_id;
	k->cipher = s->p.sl_cipher;
	k->digest = cp_datakeys_digest(&keys->cipher);
	key_dir(&k->encrypt, &keys->tx, &keys->cipher);
	key_dir(&k->decrypt, &keys->rx, &keys->cipher);
	cp_out_cmd(ctx, s, &c);	/* wipes c */
}

/* The user's iroutes from the store (subnets behind its client), after
 * PEER_NEW: the data plane routes them to the peer and accepts them as
 * its inner sources (OpenVPN's iroute, multi.c); PEER_DEL drops them. */
static void send_iroutes(struct cp_ctx *ctx, struct cp_session *s, const char *name)
{
	struct cp_store_prefix r[SL_PEER_ROUTES_MAX];
	struct cp_users *u = cp_ctx_users_get(ctx);
	int n = u != NULL ? cp_users_iroutes(u, name, r, SL_PEER_ROUTES_MAX) : 0;

	cp_users_free(u);
	for (int i = 0; i < n; i++) {
		struct sl_cmd c = { .type = SL_CMD_ROUTE_ADD, .peer_id = s->p.peer_id };

		c.u.route.prefix = r[i].addr;
		c.u.route.len = r[i].len;
		cp_out_cmd(ctx, s, &c);
	}
}

static int install_peer(struct cp_ctx *ctx, struct cp_session *s)
{
	const struct cfg_vpn *v = &ctx->cfg->vpn;
	struct sl_cmd c = { .type = SL_CMD_PEER_NEW };

	/* Addresses follow the user: the username with auth-user-pass, else the CN. */
	if (cp_pool_alloc(ctx->pool, s->p.user[0] ? s->p.user : s->p.cn, s, &s->p.peer_id,
			  &s->p.vpn_ip) != 0) {
		SL_WARN("connect: %s: address pool or peer-ids exhausted", CP_WHO(s));
		return -ENOSPC;
	}
	c.peer_id = s->p.peer_id;
	pthread_mutex_lock(&s->lock);
	c.u.peer.remote = s->peer;
	memcpy(c.u.peer.remote_mac, s->mac, 6);
	pthread_mutex_unlock(&s->lock);
	c.u.peer.vpn = sl_addr_v4(s->p.vpn_ip);
	c.u.peer.keepalive_interval = (uint16_t)v->ping;
	c.u.peer.keepalive_timeout = (uint16_t)(v->ping_restart > 65535 ? 65535 : v->ping_restart);
	c.u.peer.framing = (uint8_t)s->p.framing;
	/* No DATA_V2 in IV_PROTO: a pre-2.4 client sends P_DATA_V1 without a
	 * peer-id (cp_auth.c refused it unless vpn.data_v1), so the data
	 * plane finds it by its address. */
	c.u.peer.data_v1 = !ovpn_peerinfo_proto(&s->p.pi, OVPN_IV_PROTO_DATA_V2);
	c.u.peer.digest = cp_datakeys_digest(&s->p.kc);
	/* Kept in sl_status.peers: a restarted control plane adopts the peer
	 * under the name its address follows (the user, else the CN). */
	c.u.peer.cipher = s->p.sl_cipher;
	snprintf(c.u.peer.name, sizeof(c.u.peer.name), "%.*s",
		 (int)sizeof(c.u.peer.name) - 1, s->p.user[0] ? s->p.user : s->p.cn);
	/* role: and user: rules see the user's policy tag (cp_rules.h). */
	if (ctx->rules != NULL)
		cp_rules_peer_tags(ctx->rules, c.peer_id, s->p.user[0] ? s->p.user : s->p.cn,
				   c.u.peer.roles, &c.u.peer.user_tag);
	cp_out_cmd(ctx, s, &c);
	send_iroutes(ctx, s, s->p.user[0] ? s->p.user : s->p.cn);
	s->p.installed = true;
	return 0;
}

static uint64_t reneg_at(struct cp_ctx *ctx, uint64_t now)
{
	uint64_t sec = ctx->cfg->vpn.reneg_sec;
	uint32_t r = 0;

	if (sec == 0)
		return UINT64_MAX;
	/* 2.6 servers pick reneg-sec in [0.9 x, x] per session (OpenVPN
	 * src/openvpn/ssl.c; reneg-sec in doc/man-sections/renegotiation.rst). */
	RAND_bytes((unsigned char *)&r, sizeof(r));
	return now + sec * 1000 - (sec * 100 * (uint64_t)(r % 1001)) / 1000;
}

/*
 * Bytes and packets the peer's keys carried both ways, from the data
 * plane's counters (one writer, its owner lcore; 64-bit loads do not tear
 * on x86-64). False when there are none to read: before PEER_NEW is done
 * the slot still shows its previous owner's counters.
 */
static bool traffic(const struct cp_ctx *ctx, const struct cp_session *s, uint64_t *bytes,
		    uint64_t *pkts)
{
	const struct sl_peer_stats *p;

	if (ctx->peers == NULL || !s->p.peer_up || s->p.peer_id >= ctx->max_peers)
		return false;
	p = &ctx->peers[s->p.peer_id];
	*bytes = __atomic_load_n(&p->rx_bytes, __ATOMIC_RELAXED) +
		 __atomic_load_n(&p->tx_bytes, __ATOMIC_RELAXED);
	*pkts = __atomic_load_n(&p->rx_pkts, __ATOMIC_RELAXED) +
		__atomic_load_n(&p->tx_pkts, __ATOMIC_RELAXED);
	return true;
}

/*
 * Arm the server-side triggers for the key that just went in: the next
 * reneg_sec deadline, and the counters reneg_bytes / reneg_pkts count
 * from. The first key's peer is new in the data plane (PEER_NEW zeroes its
 * counters), so it counts from zero.
 */
static void reneg_arm(struct cp_ctx *ctx, struct cp_session *s, uint64_t now, bool first)
{
	s->p.reneg_ms = reneg_at(ctx, now);
	s->p.key_bytes0 = 0;
	s->p.key_pkts0 = 0;
	if (!first)
		traffic(ctx, s, &s->p.key_bytes0, &s->p.key_pkts0);
}

/* Keys for a finished KM2 exchange: the first go in with the peer. */
int cp_datakeys_activate(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
			 const struct ovpn_kdf_keys *keys, uint64_t now)
{
	if (ks->key_id == 0) {
		ks->slot = 0;
		if (install_peer(ctx, s) != 0)
			return -ENOSPC;
	} else {
		ks->slot = s->p.ks->slot ^ 1;
		if (s->p.old_slot == ks->slot)
			s->p.old_slot = -1;	/* KEY_NEW replaces the lame duck */
	}
	send_key(ctx, s, ks, keys);
	ks->state = CP_KS_ACTIVE;
	ks->keys_ms = now;
	s->p.exhausted = false;
	reneg_arm(ctx, s, now, ks->key_id == 0);
	if (ks->key_id == 0)
		cp_session_leave_half_open(ctx, s);
	if (ks->key_id == 0 && (s->p.iv_proto & OVPN_IV_PROTO_REQUEST_PUSH))
		cp_pushreply_send(ctx, s, ks);
	return 0;
}

/* ---- renegotiation ---- */

/* Why the current key should be replaced now, or NULL. */
static const char *reneg_due(struct cp_ctx *ctx, struct cp_session *s, uint64_t now,
			     char *buf, size_t len)
{
	const struct cfg_vpn *v = &ctx->cfg->vpn;
	uint64_t bytes, pkts;

	if (s->p.exhausted)
		return "data-channel packet-id near exhaustion";
	if (now >= s->p.reneg_ms)
		return "reneg-sec";
	if ((v->reneg_bytes == 0 && v->reneg_pkts == 0) || !traffic(ctx, s, &bytes, &pkts))
		return NULL;
	/* Counters that went backwards belong to a new peer: count from zero. */
	bytes -= bytes >= s->p.key_bytes0 ? s->p.key_bytes0 : 0;
	pkts -= pkts >= s->p.key_pkts0 ? s->p.key_pkts0 : 0;
	if (v->reneg_bytes != 0 && bytes >= v->reneg_bytes)
		snprintf(buf, len, "reneg-bytes: %lu bytes on key-id %u", (unsigned long)bytes,
			 s->p.ks->key_id);
	else if (v->reneg_pkts != 0 && pkts >= v->reneg_pkts)
		snprintf(buf, len, "reneg-pkts: %lu packets on key-id %u", (unsigned long)pkts,
			 s->p.ks->key_id);
	else
		return NULL;
	return buf;
}

static void reneg_start(struct cp_ctx *ctx, struct cp_session *s, uint64_t now,
			const char *why)
{
	char who[128];

	snprintf(who, sizeof(who), "the server (%s)", why);
	if (cp_ks_renegotiate(ctx, s, now, who) == NULL)
		return;
	s->p.reneg_ms = UINT64_MAX;
	if (s->p.reneg_req_ms == 0)
		s->p.reneg_req_ms = now;	/* retries keep the first request's clock */
}

/*
 * tran_window after we first asked for a new key, none is in: the client
 * keeps answering nothing, so the key it has dies (KEY_DEL of its slot)
 * and the session with it. A new key already installed and waiting for
 * the swap counts as done.
 */
static bool reneg_overdue(struct cp_ctx *ctx, struct cp_session *s, uint64_t now)
{
	struct sl_cmd c = { .type = SL_CMD_KEY_DEL, .peer_id = s->p.peer_id };
	uint64_t tw = (uint64_t)ctx->cfg->vpn.tran_window * 1000;

	if (s->p.reneg_req_ms == 0 || now < s->p.reneg_req_ms + tw ||
	    (s->p.next != NULL && s->p.next->state == CP_KS_ACTIVE))
		return false;
	SL_INFO("rekey: %s: no new key within tran_window %us: key-id %u deleted",
		CP_WHO(s), ctx->cfg->vpn.tran_window, s->p.ks->key_id);
	c.u.key.slot = s->p.ks->slot;
	cp_out_cmd(ctx, s, &c);
	cp_session_end(s, CP_END_RENEG);
	return true;
}

/* A renegotiation not done within hand_window: the client keeps the old
 * key (OpenVPN src/openvpn/ssl.c, tls_multi_process); we try again later. */
static void reneg_expire(struct cp_ctx *ctx, struct cp_session *s, uint64_t now)
{
	struct cp_ks *next = s->p.next;

	if (next == NULL || next->state != CP_KS_HANDSHAKE ||
	    now < next->start_ms + (uint64_t)ctx->cfg->vpn.hand_window * 1000)
		return;
	SL_INFO("rekey: %s: key-id %u not done within %us, keeping key-id %u", CP_WHO(s),
		next->key_id,
		ctx->cfg->vpn.hand_window, s->p.ks->key_id);
	cp_ks_free(next);
	s->p.next = NULL;
	/* Retry after another full interval; an exhausted key retries at once. */
	reneg_arm(ctx, s, now, false);
}

static void swap(struct cp_ctx *ctx, struct cp_session *s, uint64_t now)
{
	struct sl_cmd c = { .type = SL_CMD_KEY_SWAP, .peer_id = s->p.peer_id };
	struct cp_ks *next = s->p.next;

	cp_out_cmd(ctx, s, &c);
	s->p.old_slot = s->p.ks->slot;
	s->p.old_del_ms = now + (uint64_t)ctx->cfg->vpn.hand_window * 1000;
	cp_ks_free(s->p.ks);
	s->p.ks = next;
	s->p.next = NULL;
	next->swapped = true;
	s->p.reneg_req_ms = 0;
	cp_count(ctx, CP_ST_RENEG);
	SL_INFO("rekey: %s: now sending on key-id %u", CP_WHO(s), next->key_id);
}

static void old_key_del(struct cp_ctx *ctx, struct cp_session *s)
{
	struct sl_cmd c = { .type = SL_CMD_KEY_DEL, .peer_id = s->p.peer_id };

	c.u.key.slot = (uint8_t)s->p.old_slot;
	cp_out_cmd(ctx, s, &c);
	s->p.old_slot = -1;
}

void cp_datakeys_timers(struct cp_ctx *ctx, struct cp_session *s, uint64_t now)
{
	struct cp_ks *next;
	const char *why;
	char buf[80];

	if (reneg_overdue(ctx, s, now))
		return;
	reneg_expire(ctx, s, now);
	next = s->p.next;	/* after reneg_expire(), which may free it */
	if (s->p.ks->state == CP_KS_ACTIVE && next == NULL &&
	    (why = reneg_due(ctx, s, now, buf, sizeof(buf))) != NULL)
		reneg_start(ctx, s, now, why);
	if (next != NULL && next->state == CP_KS_ACTIVE && ovpn_rel_unacked(&next->rel) == 0 &&
	    now >= next->keys_ms + CP_SWAP_DELAY_MS)
		swap(ctx, s, now);
	if (s->p.old_slot >= 0 && now >= s->p.old_del_ms)
		old_key_del(ctx, s);
}
