/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * After TLS: key method 2 and peer-info (control-channel.md §9), auth
 * (certificate common name, and username/password when
 * pki.auth_user_pass), NCP and PUSH_REPLY (data-channel.md §8, §9), data
 * keys (EKM or the legacy PRF, §11) handed to the data plane, and
 * renegotiation (§13; data-channel.md §14.3-14.4):
 *
 *   key-id 0:  KM2 in -> auth, NCP -> KM2 out -> PEER_NEW, KEY_NEW slot 0
 *              -> PUSH_REPLY (at once for IV_PROTO_REQUEST_PUSH clients,
 *              else on PUSH_REQUEST)
 *   key-id n:  SOFT_RESET (either side) -> new TLS session -> KM2 both
 *              ways -> KEY_NEW into the other slot (RX works at once)
 *              -> once the client acked our KM2 reply and CP_SWAP_DELAY_MS
 *              passed: KEY_SWAP (TX moves) -> hand_window later: KEY_DEL
 *              of the old slot.
 *
 * Key material lives in locals that are wiped at one exit label per
 * function; commands carrying keys are wiped by cp_out_cmd() and, after
 * the ring copy, by the event loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "cp_session.h"
#include "ovpn_km.h"
#include "ovpn_ncp.h"
#include "ovpn_peerinfo.h"
#include "ovpn_push.h"
#include "ovpn_push_occ.h"
#include "sl_log.h"

/* Give the client a moment to install the key it derived from our reply. */
#define CP_SWAP_DELAY_MS	1000
/* Longest wait for a final message (AUTH_FAILED, HALT) to be acked. */
#define CP_LINGER_MS		5000

static uint8_t cipher_of(const char *name)
{
	if (strcasecmp(name, "AES-128-GCM") == 0)
		return SL_CIPHER_AES_128_GCM;
	if (strcasecmp(name, "AES-256-GCM") == 0)
		return SL_CIPHER_AES_256_GCM;
	if (strcasecmp(name, "CHACHA20-POLY1305") == 0)
		return SL_CIPHER_CHACHA20_POLY1305;
	return SL_CIPHER_NONE;
}

static uint8_t framing_of(enum ovpn_push_comp c)
{
	switch (c) {
	case OVPN_PUSH_COMP_LZO_NO: return SL_FRAMING_COMP_LZO;
	case OVPN_PUSH_COMP_STUB_V2: return SL_FRAMING_STUB_V2;
	default: return SL_FRAMING_NONE;
	}
}

static void refuse(struct cp_session *s, const char *why)
{
	if (s->p.auth_failed)
		return;
	s->p.auth_failed = true;
	snprintf(s->p.auth_reason, sizeof(s->p.auth_reason), "%s", why);
}

static void check_password(struct cp_ctx *ctx, struct cp_session *s,
			   const struct ovpn_km_client *km)
{
	int rc;

	if (ctx->users == NULL)
		return;
	if (!(km->flags & OVPN_KM_F_HAS_USER) || !(km->flags & OVPN_KM_F_HAS_PASS)) {
		refuse(s, "username and password required");
		return;
	}
	rc = cp_users_check(ctx->users, km->username, km->password);
	if (rc != 0)
		refuse(s, rc == -ENOENT ? "unknown user" : "wrong password");
}

/* Peer-info and the OCC string: what the client can do. */
static int read_peer(struct cp_session *s, const struct ovpn_km_client *km, struct ovpn_occ *occ)
{
	const char *why = NULL;

	if ((km->flags & OVPN_KM_F_HAS_PEERINFO) &&
	    ovpn_peerinfo_parse(km->peer_info, km->peer_info_len, &s->p.pi, &why) != 0) {
		SL_INFO("auth: %s (%s): bad peer-info: %s", s->p.cn, s->p.addr, why);
		return -EBADMSG;
	}
	/* Only compared for warnings by OpenVPN; a bad one is not fatal. */
	if (ovpn_push_occ_parse(km->options, strlen(km->options), occ, &why) != 0)
		memset(occ, 0, sizeof(*occ));
	s->p.iv_proto = s->p.pi.proto;
	s->p.ekm = (s->p.pi.proto & OVPN_IV_PROTO_TLS_KEY_EXPORT) != 0;
	s->p.push_comp = ovpn_push_comp_select(ovpn_occ_has(occ, OVPN_OCC_COMP_LZO), &s->p.pi);
	s->p.framing = framing_of(s->p.push_comp);
	return 0;
}

static void negotiate(struct cp_ctx *ctx, struct cp_session *s, const struct ovpn_occ *occ)
{
	struct ovpn_ncp_result res;
	const char *why = NULL;
	bool has_pi = s->p.pi.seen != 0;

	if (ovpn_ncp_select(ctx->data_ciphers, has_pi ? &s->p.pi : NULL,
			    ovpn_occ_has(occ, OVPN_OCC_CIPHER) ? occ->cipher : NULL, NULL,
			    &res, &why) != 0 ||
	    ovpn_kdf_cipher_lookup(res.cipher, NULL, &s->p.kc) != 0) {
		SL_INFO("auth: %s (%s): %s", s->p.cn, s->p.addr, why ? why : "no cipher");
		refuse(s, OVPN_NCP_FAIL_REASON);
		return;
	}
	snprintf(s->p.cipher, sizeof(s->p.cipher), "%.*s", (int)sizeof(s->p.cipher) - 1,
		 res.cipher);
	s->p.ncp_push = res.push;
	s->p.sl_cipher = cipher_of(res.cipher);
}

static void first_km(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
		     const struct ovpn_km_client *km)
{
	struct ovpn_occ occ = { 0 };

	cp_tls_peer_cn(ks->ssl, s->p.cn, sizeof(s->p.cn));
	snprintf(s->p.user, sizeof(s->p.user), "%.*s", (int)sizeof(s->p.user) - 1,
		 (km->flags & OVPN_KM_F_HAS_USER) ? km->username : s->p.cn);
	if (read_peer(s, km, &occ) != 0) {
		refuse(s, "malformed peer-info");
		return;
	}
	check_password(ctx, s, km);
	if (!s->p.auth_failed)
		negotiate(ctx, s, &occ);
	if (s->p.auth_failed)
		SL_INFO("auth: user %s cn %s from %s: refused: %s", s->p.user, s->p.cn,
			s->p.addr, s->p.auth_reason);
	else
		SL_INFO("auth: user %s cn %s from %s: ok (%s, IV_PROTO %u, %s)", s->p.user,
			s->p.cn, s->p.addr, s->p.pi.ver[0] ? s->p.pi.ver : "no IV_VER",
			s->p.iv_proto, s->p.ekm ? "tls-ekm" : "prf");
}

/* Renegotiations repeat KM2: the same certificate, the password again. */
static void reneg_km(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
		     const struct ovpn_km_client *km)
{
	char cn[CP_NAME_MAX];

	cp_tls_peer_cn(ks->ssl, cn, sizeof(cn));
	if (strcmp(cn, s->p.cn) != 0)
		refuse(s, "certificate changed in renegotiation");
	check_password(ctx, s, km);
}

static int reply_km(struct cp_ctx *ctx, struct cp_ks *ks, struct ovpn_km_server *srv,
		    const struct cp_session *s)
{
	uint8_t out[512];
	struct ovpn_occ occ;
	char opts[256];
	int n;

	if (ovpn_push_occ_server_init(&occ, "UDPv4", ctx->cfg->vpn.tun_mtu,
				      s->p.push_comp != OVPN_PUSH_COMP_NONE) != 0 ||
	    ovpn_push_occ_build(&occ, opts, sizeof(opts)) < 0 ||
	    ovpn_km_server_randomize(srv) != 0)
		return -EIO;
	srv->options = opts;
	n = ovpn_km_build_server(srv, out, sizeof(out));
	srv->options = NULL;
	if (n < 0)
		return n;
	return cp_session_write(ks, out, (size_t)n);
}

static int derive(struct cp_session *s, struct cp_ks *ks, const struct ovpn_km_client *km,
		  const struct ovpn_km_server *srv, struct ovpn_kdf_keys *keys)
{
	struct ovpn_kdf_prf_src src = {
		.pre_master = km->pre_master, .client_random1 = km->random1,
		.client_random2 = km->random2, .server_random1 = srv->random1,
		.server_random2 = srv->random2, .client_sid = s->p.peer_sid,
		.server_sid = s->p.sid,
	};
	uint8_t key2[OVPN_KDF_KEY2_LEN];
	int rc = s->p.ekm ? ovpn_kdf_ekm(ks->ssl, key2) : ovpn_kdf_prf(&src, key2);

	if (rc == 0)
		rc = ovpn_kdf_keys_map(key2, &s->p.kc, true, keys);
	OPENSSL_cleanse(key2, sizeof(key2));
	return rc;
}

static void send_key(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
		     struct ovpn_kdf_keys *keys)
{
	struct sl_cmd c = { .type = SL_CMD_KEY_NEW, .peer_id = s->p.peer_id };
	struct sl_cmd_key *k = &c.u.key;

	k->slot = ks->slot;
	k->key_id = ks->key_id;
	k->cipher = s->p.sl_cipher;
	memcpy(k->encrypt.key, keys->tx.key, keys->cipher.key_len);
	memcpy(k->encrypt.nonce_tail, keys->tx.nonce_tail, SL_NONCE_TAIL_LEN);
	memcpy(k->decrypt.key, keys->rx.key, keys->cipher.key_len);
	memcpy(k->decrypt.nonce_tail, keys->rx.nonce_tail, SL_NONCE_TAIL_LEN);
	cp_out_cmd(ctx, s, &c);	/* wipes c */
}

static int install_peer(struct cp_ctx *ctx, struct cp_session *s)
{
	const struct cfg_vpn *v = &ctx->cfg->vpn;
	struct sl_cmd c = { .type = SL_CMD_PEER_NEW };

	/* Addresses follow the user: the username with auth-user-pass, else the CN. */
	if (cp_pool_alloc(ctx->pool, s->p.user[0] ? s->p.user : s->p.cn, s, &s->p.peer_id,
			  &s->p.vpn_ip) != 0) {
		SL_WARN("connect: %s (%s): address pool or peer-ids exhausted", s->p.cn,
			s->p.addr);
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
	/* Kept in sl_status.peers: a restarted control plane adopts the peer
	 * under the name its address follows (the user, else the CN). */
	c.u.peer.cipher = s->p.sl_cipher;
	snprintf(c.u.peer.name, sizeof(c.u.peer.name), "%.*s",
		 (int)sizeof(c.u.peer.name) - 1, s->p.user[0] ? s->p.user : s->p.cn);
	cp_out_cmd(ctx, s, &c);
	s->p.installed = true;
	return 0;
}

static uint64_t reneg_at(struct cp_ctx *ctx, uint64_t now)
{
	uint64_t sec = ctx->cfg->vpn.reneg_sec;
	uint32_t r = 0;

	if (sec == 0)
		return UINT64_MAX;
	/* 2.6 servers pick reneg-sec in [0.9 x, x] per session (§13.1). */
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

static void push(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks, uint64_t now);

/* Keys for a finished KM2 exchange: the first go in with the peer. */
static int activate(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
		    struct ovpn_kdf_keys *keys, uint64_t now)
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
	if (ks->key_id == 0 && s->p.half_open) {
		s->p.half_open = false;
		atomic_fetch_sub(&ctx->half_open, 1);
	}
	if (ks->key_id == 0 && (s->p.iv_proto & OVPN_IV_PROTO_REQUEST_PUSH))
		push(ctx, s, ks, now);
	return 0;
}

static void auth_failed_send(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
			     uint64_t now)
{
	char msg[OVPN_PUSH_BUNDLE_SIZE];

	cp_count(ctx, CP_ST_AUTH_FAIL);
	if (ovpn_push_auth_failed(msg, sizeof(msg), s->p.auth_reason) > 0)
		cp_session_text(ks, msg);
	ks->state = CP_KS_DONE;
	s->p.end_reason = CP_END_AUTH;
	s->p.end_ms = now + 1;
}

int cp_km_handle(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
		 const uint8_t *msg, size_t len, uint64_t now)
{
	struct ovpn_km_server srv = { 0 };
	struct ovpn_kdf_keys keys = { 0 };
	struct ovpn_km_client *km = ovpn_km_client_new();
	const char *why = "out of memory";
	int rc = -ENOMEM;

	if (km == NULL || (rc = ovpn_km_parse_client(msg, len, km, &why)) < 0) {
		SL_INFO("auth: %s: bad key method 2 message: %s", s->p.addr, why);
		cp_session_end(ctx, s, CP_END_AUTH, now);
		goto free_km;
	}
	if (ks->key_id == 0)
		first_km(ctx, s, ks, km);
	else
		reneg_km(ctx, s, ks, km);
	/* The reply goes out even when auth failed, then AUTH_FAILED (§10.2). */
	rc = reply_km(ctx, ks, &srv, s);
	if (rc == 0 && s->p.auth_failed)
		auth_failed_send(ctx, s, ks, now);
	else if (rc == 0)
		rc = derive(s, ks, km, &srv, &keys);
	if (rc == 0 && !s->p.auth_failed)
		rc = activate(ctx, s, ks, &keys, now);
	if (rc != 0)
		cp_session_end(ctx, s, CP_END_ERROR, now);
	ovpn_kdf_keys_wipe(&keys);
	OPENSSL_cleanse(&srv, sizeof(srv));
free_km:
	ovpn_km_client_free(km);
	return rc;
}

/* ---- PUSH_REPLY ---- */

static void push_opts(struct cp_ctx *ctx, struct cp_session *s, struct ovpn_push_opts *o,
		      struct ovpn_push_route *routes, struct in_addr *dns)
{
	const struct cfg_vpn *v = &ctx->cfg->vpn;

	for (unsigned i = 0; i < v->n_push_routes; i++) {
		uint32_t m = v->push_routes[i].len ? ~0u << (32 - v->push_routes[i].len) : 0;

		routes[i].net.s_addr = htonl(v->push_routes[i].addr & m);
		routes[i].mask.s_addr = htonl(m);
	}
	for (unsigned i = 0; i < v->n_push_dns; i++)
		dns[i].s_addr = htonl(v->push_dns[i]);
	o->routes = routes;
	o->n_routes = v->n_push_routes;
	o->dns = dns;
	o->n_dns = v->n_push_dns;
	o->has_route_gateway = true;
	o->route_gateway.s_addr = htonl(cp_pool_gateway(ctx->pool));
	o->topology = OVPN_PUSH_TOPO_SUBNET;
	o->ping = v->ping;
	o->ping_restart = v->ping_restart;
	o->comp = s->p.push_comp;
	o->has_ifconfig = true;
	o->ifconfig_local.s_addr = htonl(s->p.vpn_ip);
	o->ifconfig_mask.s_addr = htonl(cp_pool_netmask(ctx->pool));
	ovpn_push_opts_from_peer(o, &s->p.pi, s->p.ncp_push ? s->p.cipher : NULL,
				 s->p.ncp_push, s->p.peer_id, v->tun_mtu);
}

/* The connect line names the compatible framing an old profile was given. */
static const char *const comp_names[] = {
	[OVPN_PUSH_COMP_NONE] = "", [OVPN_PUSH_COMP_LZO_NO] = " comp-lzo no",
	[OVPN_PUSH_COMP_STUB_V2] = " compress stub-v2",
};

static void push(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks, uint64_t now)
{
	struct ovpn_push_route routes[CFG_MAX_PUSH];
	struct ovpn_push_opts o = { 0 };
	struct in_addr dns[CFG_MAX_PUSH];
	struct ovpn_push_reply *r = malloc(sizeof(*r));
	char domain[160], ip[16];
	const char *extra[1] = { domain };
	int n;

	(void)now;
	push_opts(ctx, s, &o, routes, dns);
	if (ctx->cfg->vpn.push_domain[0] != '\0') {
		snprintf(domain, sizeof(domain), "dhcp-option DOMAIN %s", ctx->cfg->vpn.push_domain);
		o.extra = extra;
		o.n_extra = 1;
	}
	n = r ? ovpn_push_reply_build(&o, r) : -ENOMEM;
	for (int i = 0; i < n; i++)
		cp_session_text(ks, r->msg[i]);
	free(r);
	if (n <= 0) {
		SL_ERR("connect: %s (%s): PUSH_REPLY not built (%d)", s->p.cn, s->p.addr, n);
		cp_session_end(ctx, s, CP_END_ERROR, now);
		return;
	}
	s->p.pushed = true;
	s->p.since = (uint64_t)time(NULL);
	SL_INFO("connect: user %s cn %s from %s: vpn %s peer-id %u cipher %s%s",
		s->p.user, s->p.cn, s->p.addr, cfg_ip_str(s->p.vpn_ip, ip, sizeof(ip)),
		s->p.peer_id, s->p.cipher, comp_names[s->p.push_comp]);
}

void cp_km_text(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
		const char *msg, size_t len, uint64_t now)
{
	struct ovpn_push_msg m;

	ovpn_push_msg_parse(msg, len, &m);
	switch (m.type) {
	case OVPN_PUSH_MSG_PUSH_REQUEST:
		/* One reply per session; the reliability layer delivers it. */
		if (ks == s->p.ks && ks->state == CP_KS_ACTIVE && !s->p.pushed)
			push(ctx, s, ks, now);
		break;
	case OVPN_PUSH_MSG_EXIT:
		cp_session_end(ctx, s, CP_END_EXIT, now);
		break;
	default:
		SL_DEBUG("%s: control message %s ignored", s->p.addr, ovpn_push_msg_name(m.type));
		break;
	}
}

/* ---- renegotiation and timers ---- */

static void reneg_start(struct cp_ctx *ctx, struct cp_session *s, uint64_t now,
			const char *why)
{
	struct cp_ks *ks;
	uint32_t id;

	ks = cp_ks_new(ctx, s->p.next_key_id, 0, now);
	if (ks == NULL)
		return;
	ovpn_rel_send(&ks->rel, OVPN_P_CONTROL_SOFT_RESET_V1, NULL, 0, &id);
	s->p.next = ks;
	s->p.next_key_id = ks->key_id == OVPN_KEY_ID_MAX ? 1 : ks->key_id + 1;
	s->p.reneg_ms = UINT64_MAX;
	SL_INFO("rekey: user %s cn %s from %s: key-id %u started by the server (%s)",
		s->p.user, s->p.cn, s->p.addr, ks->key_id, why);
}

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
	cp_count(ctx, CP_ST_RENEG);
	SL_INFO("rekey: user %s cn %s from %s: now sending on key-id %u", s->p.user, s->p.cn,
		s->p.addr, next->key_id);
}

static void old_key_del(struct cp_ctx *ctx, struct cp_session *s)
{
	struct sl_cmd c = { .type = SL_CMD_KEY_DEL, .peer_id = s->p.peer_id };

	c.u.key.slot = (uint8_t)s->p.old_slot;
	cp_out_cmd(ctx, s, &c);
	s->p.old_slot = -1;
}

static void handshake_timers(struct cp_ctx *ctx, struct cp_session *s, uint64_t now)
{
	uint64_t hw = (uint64_t)ctx->cfg->vpn.hand_window * 1000;
	struct cp_ks *next = s->p.next;

	if (s->p.ks->state == CP_KS_HANDSHAKE && now >= s->p.ks->start_ms + hw) {
		SL_INFO("auth: %s: no handshake within %us", s->p.addr, ctx->cfg->vpn.hand_window);
		cp_session_end(ctx, s, CP_END_HAND_WINDOW, now);
		return;
	}
	if (next != NULL && next->state == CP_KS_HANDSHAKE && now >= next->start_ms + hw) {
		/* The client keeps the old key (§13.3); we try again later. */
		SL_INFO("rekey: user %s cn %s from %s: key-id %u not done within %us, keeping "
			"key-id %u", s->p.user, s->p.cn, s->p.addr, next->key_id,
			ctx->cfg->vpn.hand_window, s->p.ks->key_id);
		cp_ks_free(next);
		s->p.next = NULL;
		/* Retry after another full interval; an exhausted key retries at once. */
		reneg_arm(ctx, s, now, false);
	}
}

void cp_km_timers(struct cp_ctx *ctx, struct cp_session *s, uint64_t now)
{
	struct cp_ks *next;
	const char *why;
	char buf[80];

	handshake_timers(ctx, s, now);
	if (s->p.ended)
		return;
	next = s->p.next;	/* after handshake_timers(), which may free it */
	if (s->p.end_ms != 0 && now >= s->p.end_ms &&
	    (ovpn_rel_unacked(&s->p.ks->rel) == 0 || now >= s->p.end_ms + CP_LINGER_MS)) {
		cp_session_end(ctx, s, s->p.end_reason, now);
		return;
	}
	if (s->p.ks->state == CP_KS_ACTIVE && next == NULL &&
	    (why = reneg_due(ctx, s, now, buf, sizeof(buf))) != NULL)
		reneg_start(ctx, s, now, why);
	if (next != NULL && next->state == CP_KS_ACTIVE && ovpn_rel_unacked(&next->rel) == 0 &&
	    now >= next->keys_ms + CP_SWAP_DELAY_MS)
		swap(ctx, s, now);
	if (s->p.old_slot >= 0 && now >= s->p.old_del_ms)
		old_key_del(ctx, s);
}

void cp_session_update_info(struct cp_session *s)
{
	struct cp_session_info *i = &s->info;

	pthread_mutex_lock(&s->lock);
	snprintf(i->cn, sizeof(i->cn), "%s", s->p.cn);
	snprintf(i->user, sizeof(i->user), "%s", s->p.user);
	snprintf(i->cipher, sizeof(i->cipher), "%s", s->p.cipher);
	i->vpn_ip = s->p.vpn_ip;
	i->peer_id = s->p.installed ? s->p.peer_id : UINT32_MAX;
	i->key_id = s->p.ks ? s->p.ks->key_id : 0;
	i->established = s->p.pushed && !s->p.ended;
	i->since = s->p.since;
	pthread_mutex_unlock(&s->lock);
}
