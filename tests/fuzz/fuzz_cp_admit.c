/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admission (controlplane/cp_admit.c) on packets from the fuzzer, from
 * endpoints it picks, under each wrapping mode: none, tls-auth, tls-crypt,
 * tls-crypt-v2. One control-plane context per mode, opened once on the
 * unit tests' throw-away PKI (tests/unit/test_cp_pki.c), no DPDK.
 *
 * Input: byte 0 picks the mode (% 4); then records
 *   endpoint(1) flags(1) len(1) bytes(len)
 * flags bit 0: wrapped by the client of that mode (the bytes are then the
 * plain control packet; without it they go as they are); bit 1: the
 * client echoes the last cookie it got into the packet's peer session id
 * (when the bytes parse); bits 2-7: seconds that pass before it.
 *
 * Properties (abort otherwise): every packet is a cookie reply, a new
 * session or one counted drop (a reply that could not be built aside);
 * a reply is a HARD_RESET_SERVER_V2 the client can unwrap, to the sender,
 * acking msg 0 and echoing the client's session id; a new session comes
 * only from a packet that echoes a cookie issued to that endpoint for
 * that client session id, and cp_admit_session() either makes it or
 * counts why not. Sessions made are ended again (the half-open and
 * session counts go back to 0).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cp_admit.h"
#include "cp_session.h"
#include "ovpn_key_file.h"
#include "test_cp_pki.h"

enum { MODE_NONE, MODE_TLS_AUTH, MODE_TLS_CRYPT, MODE_V2, N_MODES };

struct mode {
	struct sl_config cfg;
	struct cp_ctx ctx;
	struct cp_admit *admit;
	struct ovpn_wrap *client;	/* the client's side of the wrapping */
	struct ovpn_wrap_pid_tx tx;
};

static struct cp_test_pki pki;
static struct mode modes[N_MODES];
static char v2_path[64];
static uint8_t wkc[OVPN_V2_WKC_MAX];
static size_t wkc_len;
static uint64_t now_s = 1700000000;
static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };

#define COOKIES_MAX	64

/* Cookies issued: to whom, for which client session id. */
static struct issued {
	struct sl_endpoint to;
	uint8_t sid[OVPN_SID_LEN], cookie[OVPN_SID_LEN];
} issued[COOKIES_MAX];
static unsigned n_issued;

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void fini(void)
{
	for (int i = 0; i < N_MODES; i++) {
		cp_admit_free(modes[i].admit);
		ovpn_wrap_free(modes[i].client);
		cp_ctx_close(&modes[i].ctx);
	}
	unlink(v2_path);
	cp_test_pki_free(&pki);
}

/* A tls-crypt-v2 server key next to the PKI, and one client key (Kc, WKc). */
static int v2_keys(uint8_t kc[OVPN_V2_CLIENT_KEY_LEN])
{
	static char text[OVPN_KEY_FILE_MAX];
	uint8_t skey[OVPN_V2_SERVER_KEY_LEN];
	struct ovpn_key_file_error e;
	struct ovpn_wrap_v2_server *s;
	int err, n = ovpn_key_file_gen_v2_server(text, sizeof(text));
	FILE *f;

	snprintf(v2_path, sizeof(v2_path), "%s/v2s.key", pki.dir);
	if (n < 0 || (f = fopen(v2_path, "w")) == NULL)
		return -1;
	fputs(text, f);
	fclose(f);
	if (ovpn_key_file_parse_v2_server(text, (size_t)n, skey, &e) != 0 ||
	    (s = ovpn_wrap_v2_server_new(skey, &err)) == NULL)
		return -1;
	n = ovpn_key_file_gen_v2_client(s, NULL, 0, text, sizeof(text));
	ovpn_wrap_v2_server_free(s);
	if (n < 0)
		return -1;
	return ovpn_key_file_parse_v2_client(text, (size_t)n, kc, wkc, sizeof(wkc), &wkc_len, &e);
}

static void init(void)
{
	uint8_t kc[OVPN_V2_CLIENT_KEY_LEN];
	struct sl_config base = { 0 };
	char err[256];
	int e;

	if (cp_test_pki_make(&pki, &base.pki) != 0 || v2_keys(kc) != 0)
		abort();
	base.vpn.hand_window = 60;
	base.vpn.max_clients = 8;
	base.vpn.pool.addr = 0x0a0a0000;
	base.vpn.pool.len = 24;
	base.ctl.connect_rate = 2;
	base.ctl.max_half_open = 4;
	snprintf(base.vpn.data_ciphers[0], sizeof(base.vpn.data_ciphers[0]), "AES-256-GCM");
	base.vpn.n_ciphers = 1;
	for (int i = 0; i < N_MODES; i++) {
		struct mode *m = &modes[i];

		m->cfg = base;
		m->cfg.pki.tls_crypt[0] = '\0';
		if (i == MODE_TLS_AUTH) {
			snprintf(m->cfg.pki.tls_auth, sizeof(m->cfg.pki.tls_auth), "%s",
				 base.pki.tls_crypt);
			m->cfg.pki.tls_auth_direction = 0;
			m->client = ovpn_wrap_tls_auth_new(pki.tc_key, OVPN_WRAP_SHA1,
							   OVPN_KEY_DIR_INVERSE, &e);
		} else if (i == MODE_TLS_CRYPT) {
			m->cfg.pki = base.pki;
			m->client = ovpn_wrap_tls_crypt_new(pki.tc_key, false, &e);
		} else if (i == MODE_V2) {
			snprintf(m->cfg.pki.tls_crypt_v2, sizeof(m->cfg.pki.tls_crypt_v2), "%s",
				 v2_path);
			m->client = ovpn_wrap_tls_crypt_new(kc, false, &e);
		}
		if (cp_ctx_open(&m->ctx, &m->cfg, err, sizeof(err)) != 0 ||
		    (m->admit = cp_admit_new(&m->ctx)) == NULL ||
		    (i != MODE_NONE && m->client == NULL)) {
			fprintf(stderr, "fuzz_cp_admit: %s\n", err);
			abort();
		}
		ovpn_wrap_pid_tx_init(&m->tx, 0);
	}
	atexit(fini);
}

/* Eight IPv4 sources on two ports, and one IPv6 one. */
static struct sl_endpoint endpoint(unsigned b)
{
	struct sl_endpoint e = sl_endpoint_udp4(0xc0000220u + (b & 3), (uint16_t)(50000 + (b >> 2 & 1)));

	if ((b & 8) != 0) {
		e.addr.family = SL_AF_INET6;
		memset(e.addr.v6, 0, sizeof(e.addr.v6));
		e.addr.v6[0] = 0x20;
		e.addr.v6[1] = 0x01;
		e.addr.v6[15] = (uint8_t)(b & 7);
	}
	return e;
}

/* The client's packet: echo the last cookie if asked, then wrap. */
static struct cp_pkt *client_pkt(struct mode *m, unsigned flags, const struct sl_endpoint *from,
				 const uint8_t *b, size_t len)
{
	static uint8_t plain[CP_PKT_MAX], wire[CP_PKT_MAX];
	struct ovpn_ctrl_pkt p;
	int n = (int)len;

	memcpy(plain, b, len);
	if ((flags & 2) && n_issued > 0 && ovpn_ctrl_parse(b, len, &p) == 0) {
		memcpy(p.peer_sid, issued[(n_issued - 1) % COOKIES_MAX].cookie, OVPN_SID_LEN);
		if (p.n_acks == 0) {
			p.n_acks = 1;
			p.acks[0] = 0;
		}
		n = ovpn_ctrl_build(&p, plain, sizeof(plain));
		if (n < 0)
			return NULL;
	}
	if (!(flags & 1) || m->client == NULL)
		return cp_pkt_new(plain, (size_t)n, from, mac);
	n = ovpn_wrap_wrap(m->client, &m->tx, (uint32_t)now_s, plain, (size_t)n, wire,
			   sizeof(wire));
	if (n > 0 && m == &modes[MODE_V2])
		n = ovpn_wrap_v2_append_wkc(wire, (size_t)n, sizeof(wire), wkc, wkc_len);
	return n > 0 ? cp_pkt_new(wire, (size_t)n, from, mac) : NULL;
}

/* A reply must be a cookie the client can read; remember the cookie. */
static void check_reply(struct mode *m, const struct cp_pkt *in, const struct cp_pkt *r)
{
	static uint8_t plain[CP_PKT_MAX];
	struct ovpn_ctrl_pkt rep;
	struct ovpn_wrap_rid rid;
	uint8_t op, kid, sid[OVPN_SID_LEN];
	const uint8_t *p = r->data;
	int n = r->len;

	check(sl_endpoint_eq(&r->peer, &in->peer) && memcmp(r->mac, mac, 6) == 0);
	if (m->client != NULL) {
		n = ovpn_wrap_unwrap(m->client, NULL, r->data, r->len, plain, sizeof(plain), &rid);
		p = plain;
	}
	check(n > 0 && ovpn_ctrl_parse(p, (size_t)n, &rep) == 0);
	check(rep.opcode == OVPN_P_CONTROL_HARD_RESET_SERVER_V2 && rep.key_id == 0);
	check(rep.n_acks == 1 && rep.acks[0] == 0 && rep.has_msg_id && rep.msg_id == 0);
	/* The client's sid, as the server read it: from the packet's header. */
	check(ovpn_ctrl_peek(in->data, in->len, &op, &kid, sid) == 0);
	check(memcmp(rep.peer_sid, sid, OVPN_SID_LEN) == 0);
	issued[n_issued % COOKIES_MAX].to = in->peer;
	memcpy(issued[n_issued % COOKIES_MAX].sid, sid, OVPN_SID_LEN);
	memcpy(issued[n_issued % COOKIES_MAX].cookie, rep.sid, OVPN_SID_LEN);
	if (++n_issued == 2 * COOKIES_MAX)
		n_issued = COOKIES_MAX;
}

/* OK names a cookie we gave to that endpoint for that client session id. */
static bool was_issued(const struct cp_admit_ok *ok)
{
	unsigned n = n_issued < COOKIES_MAX ? n_issued : COOKIES_MAX;

	for (unsigned i = 0; i < n; i++)
		if (sl_endpoint_eq(&issued[i].to, &ok->peer) &&
		    memcmp(issued[i].cookie, ok->sid, OVPN_SID_LEN) == 0 &&
		    memcmp(issued[i].sid, ok->peer_sid, OVPN_SID_LEN) == 0)
			return true;
	return false;
}

static uint64_t count(struct mode *m, enum cp_stat s)
{
	return atomic_load(&m->ctx.stats[s]);
}

static uint64_t drops(struct mode *m)
{
	uint64_t n = 0;

	for (int s = 0; s < CP_ST_MAX; s++)
		if (s != CP_ST_COOKIES && s != CP_ST_SESSIONS)
			n += count(m, s);
	return n;
}

static void new_session(struct mode *m, const struct cp_pkt *in, const struct cp_admit_ok *ok)
{
	uint64_t made = count(m, CP_ST_SESSIONS), d = drops(m);
	struct cp_session *s;

	check(sl_endpoint_eq(&ok->peer, &in->peer) && memcmp(ok->mac, mac, 6) == 0);
	check(was_issued(ok));
	check(ok->has_kc == (m == &modes[MODE_V2]));
	s = cp_admit_session(m->admit, ok, now_s, now_s * 1000);
	check(s != NULL ? count(m, CP_ST_SESSIONS) == made + 1 && drops(m) == d :
			  count(m, CP_ST_SESSIONS) == made && drops(m) == d + 1);
	if (s == NULL)
		return;
	check(memcmp(s->p.sid, ok->sid, OVPN_SID_LEN) == 0);
	/* Gone again, as the event loop ends a session. */
	cp_session_leave_half_open(&m->ctx, s);
	atomic_fetch_sub(&m->ctx.n_sessions, 1);
	cp_session_unref(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mode *m;

	if (modes[0].admit == NULL)
		init();
	if (size < 1)
		return 0;
	m = &modes[data[0] % N_MODES];
	now_s += 1000;		/* every input in fresh rate windows; old cookies expired */
	n_issued = 0;
	for (size_t off = 1; off + 3 <= size;) {
		struct sl_endpoint from = endpoint(data[off]);
		unsigned flags = data[off + 1];
		size_t len = data[off + 2];
		struct cp_admit_ok ok = { 0 };
		struct cp_pkt *in, *reply = NULL;
		uint64_t cookies = count(m, CP_ST_COOKIES), d = drops(m);
		enum cp_admit_verdict v;

		if (len > size - off - 3)
			len = size - off - 3;
		now_s += flags >> 2;
		in = client_pkt(m, flags, &from, data + off + 3, len);
		off += 3 + len;
		if (in == NULL)
			continue;
		v = cp_admit_packet(m->admit, in, NULL, now_s, &reply, &ok);
		switch (v) {
		case CP_ADMIT_REPLY:
			check(reply != NULL && count(m, CP_ST_COOKIES) == cookies + 1 &&
			      drops(m) == d);
			check_reply(m, in, reply);
			break;
		case CP_ADMIT_NEW:
			check(reply == NULL && count(m, CP_ST_COOKIES) == cookies && drops(m) == d);
			new_session(m, in, &ok);
			break;
		default:
			check(reply == NULL);
			check(drops(m) == d + 1 ||
			      (drops(m) == d && count(m, CP_ST_COOKIES) == cookies + 1));
			break;
		}
		free(reply);
		free(in);
	}
	for (int i = 0; i < N_MODES; i++)
		check(atomic_load(&modes[i].ctx.half_open) == 0 &&
		      atomic_load(&modes[i].ctx.n_sessions) == 0);
	return 0;
}
