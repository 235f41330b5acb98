/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A control-plane session (controlplane/cp_session.c and its steps) fed a
 * sequence of events the fuzzer chooses, in process with injected time,
 * no threads and no DPDK: the context runs on the unit tests' throw-away
 * PKI (tests/unit/test_cp_pki.c) with tls-crypt, and a client made of
 * OpenSSL and lib/ (its own reliability layer and TLS over memory BIOs)
 * can take the session as far as the fuzzer lets it.
 *
 * Input: operations, one byte each (% 12) with their arguments:
 *   0 raw packet (len, bytes), posted as it is
 *   1 plain packet (len, bytes) wrapped by the client
 *   2 client packet: opcode (byte), msg-id offset (byte), payload (len,
 *     bytes) with the client's session ids and acks, wrapped
 *   3 TLS application data from the client (len, bytes)
 *   4 client step: TLS handshake, its bytes out as reliable packets
 *   5 session run; its packets reach the client unless byte & 1
 *   6 time passes (byte * 250 ms)    7 time passes (byte * 10 s)
 *   8 data-plane event (byte % 5: peer up, idle, exit, key exhausted, error)
 *   9 kill, replaced or shutdown (byte % 3)
 *  10 the client's key method 2 message (byte & 1: with a username)
 *  11 PUSH_REQUEST from the client
 * At the end the session is shut down as the event loop would do it.
 *
 * Properties (abort otherwise): nothing crashes, leaks or asserts; a
 * session ends exactly once (one END output, none after it), with the
 * half-open and session counts back to 0 and no address or peer-id left
 * in the pool naming it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "cp_out.h"
#include "cp_pool.h"
#include "ovpn_km.h"
#include "ovpn_reliable.h"
#include "test_cp_pki.h"

#define LEN_MAX	600	/* bytes of one packet or TLS write */

static struct cp_test_pki pki;
static struct sl_config cfg;
static struct cp_ctx ctx;
static SSL_CTX *cl_ctx;
static uint64_t now_ms;
static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t cl_sid[OVPN_SID_LEN] = { 0xc1, 1, 2, 3, 4, 5, 6, 7 };
static const uint8_t srv_sid[OVPN_SID_LEN] = { 0x5e, 9, 8, 7, 6, 5, 4, 3 };

static uint64_t test_now(void)
{
	return now_ms;
}

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* The client and what the session did. */
static struct {
	struct sl_endpoint ep;
	struct ovpn_wrap *wrap;
	struct ovpn_wrap_pid_tx tx;
	struct ovpn_rel rel;
	SSL *ssl;
	BIO *rbio, *wbio;
	struct cp_session *s;
	unsigned n_end;
	struct cp_out end;
} cl;

static void fini(void)
{
	SSL_CTX_free(cl_ctx);
	cp_ctx_close(&ctx);
	cp_test_pki_free(&pki);
}

static void init(void)
{
	char err[256];

	sl_log_init("fuzz_cp_session", SL_LOG_ERR);	/* a line per session end is noise here */
	if (cp_test_pki_make(&pki, &cfg.pki) != 0)
		abort();
	cfg.vpn.hand_window = 60;
	cfg.vpn.ping = 10;
	cfg.vpn.ping_restart = 60;
	cfg.vpn.tun_mtu = 1500;
	cfg.vpn.max_clients = 16;
	cfg.vpn.pool.addr = 0x0a0a0000;
	cfg.vpn.pool.len = 24;
	cfg.vpn.reneg_sec = 120;
	cfg.ctl.connect_rate = 10;
	cfg.ctl.max_half_open = 16;
	snprintf(cfg.vpn.data_ciphers[0], sizeof(cfg.vpn.data_ciphers[0]), "AES-256-GCM");
	snprintf(cfg.vpn.data_ciphers[1], sizeof(cfg.vpn.data_ciphers[1]), "CHACHA20-POLY1305");
	cfg.vpn.n_ciphers = 2;
	ctx.now_ms = test_now;
	if (cp_ctx_open(&ctx, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_cp_session: %s\n", err);
		abort();
	}
	cl_ctx = SSL_CTX_new(TLS_client_method());
	if (cl_ctx == NULL || SSL_CTX_use_certificate(cl_ctx, pki.cli_cert) != 1 ||
	    SSL_CTX_use_PrivateKey(cl_ctx, pki.cli_key) != 1)
		abort();
	atexit(fini);
}

/* ---- reading the input ---- */

struct in {
	const uint8_t *p;
	size_t n;
};

static unsigned byte(struct in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

/* LEN (one byte, scaled up to LEN_MAX) bytes; *len may come out shorter. */
static const uint8_t *bytes(struct in *in, size_t *len)
{
	const uint8_t *p = in->p;

	*len = byte(in) * LEN_MAX / 255;
	if (*len > in->n)
		*len = in->n;
	in->p += *len;
	in->n -= *len;
	return p;
}

/* ---- the client ---- */

static void post(struct cp_pkt *p)
{
	if (p != NULL)
		cp_session_post(&ctx, cl.s, p);	/* a full inbox frees it */
}

static struct cp_pkt *wrapped(const uint8_t *plain, size_t len)
{
	static uint8_t wire[CP_PKT_MAX];
	int n = ovpn_wrap_wrap(cl.wrap, &cl.tx, (uint32_t)(now_ms / 1000 + 1000000), plain, len,
			       wire, sizeof(wire));

	return n > 0 ? cp_pkt_new(wire, (size_t)n, &cl.ep, mac) : NULL;
}

static void send_pkt(uint8_t op, uint32_t msg_id, const uint8_t *p, size_t len)
{
	static uint8_t plain[CP_PKT_MAX];
	struct ovpn_ctrl_pkt pkt = { .opcode = op, .has_msg_id = op != OVPN_P_ACK_V1,
				     .msg_id = msg_id, .payload = p, .payload_len = len };
	int n;

	memcpy(pkt.sid, cl_sid, OVPN_SID_LEN);
	memcpy(pkt.peer_sid, srv_sid, OVPN_SID_LEN);
	pkt.n_acks = (uint8_t)ovpn_rel_acks_take(&cl.rel, pkt.acks,
						 op == OVPN_P_ACK_V1 ? OVPN_ACK_MAX : OVPN_ACK_PIGGY_MAX);
	if (op == OVPN_P_ACK_V1 && pkt.n_acks == 0)
		return;
	n = ovpn_ctrl_build(&pkt, plain, sizeof(plain));
	if (n > 0)
		post(wrapped(plain, (size_t)n));
}

/* TLS bytes into reliable messages, due ones out, acks. */
static void cl_flush(void)
{
	struct ovpn_rel_out out[OVPN_REL_SEND_WINDOW];
	uint8_t buf[1000];
	unsigned n;
	int len;

	while (ovpn_rel_can_send(&cl.rel) && (len = BIO_read(cl.wbio, buf, sizeof(buf))) > 0)
		ovpn_rel_send(&cl.rel, OVPN_P_CONTROL_V1, buf, (size_t)len, NULL);
	n = ovpn_rel_poll(&cl.rel, now_ms, out, OVPN_REL_SEND_WINDOW);
	for (unsigned i = 0; i < n; i++)
		send_pkt(out[i].opcode, out[i].msg_id, out[i].payload, out[i].len);
	send_pkt(OVPN_P_ACK_V1, 0, NULL, 0);
}

static void cl_take(const struct cp_pkt *p)
{
	static uint8_t plain[CP_PKT_MAX];
	const struct ovpn_rel_msg *m;
	struct ovpn_ctrl_pkt pkt;
	struct ovpn_wrap_rid rid;
	int n = ovpn_wrap_unwrap(cl.wrap, NULL, p->data, p->len, plain, sizeof(plain), &rid);

	check(sl_endpoint_eq(&p->peer, &cl.ep));
	if (n < 0 || ovpn_ctrl_parse(plain, (size_t)n, &pkt) != 0 || pkt.key_id != 0)
		return;		/* a renegotiation: this client stays on key-id 0 */
	ovpn_rel_recv(&cl.rel, &pkt);
	while ((m = ovpn_rel_next(&cl.rel)) != NULL) {
		if (m->opcode == OVPN_P_CONTROL_V1)
			BIO_write(cl.rbio, m->data, m->len);
		ovpn_rel_pop(&cl.rel);
	}
}

/* Everything the session produced; packets reach the client if DELIVER. */
static void outputs(bool deliver)
{
	struct cp_out *o = cp_out_take_all(&ctx), *next;

	for (; o != NULL; o = next) {
		next = o->next;
		check(cl.n_end == 0);		/* nothing after the end */
		check(o->type == CP_OUT_PKT || o->s == cl.s);
		if (o->type == CP_OUT_PKT && deliver)
			cl_take(o->pkt);
		if (o->type == CP_OUT_END) {
			check(o->s == cl.s);
			cl.n_end++;
			cl.end = *o;
		}
		cp_out_free(o);
	}
}

static void run(bool deliver)
{
	cp_session_run(&ctx, cl.s, now_ms);
	outputs(deliver);
}

static void km2(bool user)
{
	struct ovpn_km_client km = { 0 };
	uint8_t buf[2048];
	int n;

	memset(km.pre_master, 0x11, sizeof(km.pre_master));
	memset(km.random1, 0x22, sizeof(km.random1));
	memset(km.random2, 0x33, sizeof(km.random2));
	snprintf(km.options, sizeof(km.options), "V4,dev-type tun,link-mtu 1541,tun-mtu 1500,"
		 "proto UDPv4,auth SHA1,keysize 128,key-method 2,tls-client");
	n = ovpn_km_build_client(&km, user ? "user" : NULL, user ? "pass" : NULL,
				 "IV_VER=2.6.14\nIV_PROTO=990\nIV_CIPHERS=AES-256-GCM:AES-128-GCM\n",
				 buf, sizeof(buf));
	if (n > 0 && SSL_is_init_finished(cl.ssl))
		SSL_write(cl.ssl, buf, n);
	cl_flush();
}

static void start(void)
{
	struct cp_admit_ok ok = { 0 };

	memset(&cl, 0, sizeof(cl));
	cl.ep = sl_endpoint_udp4(0xc0000202, 40000);
	cl.wrap = ovpn_wrap_tls_crypt_new(pki.tc_key, false, &(int){ 0 });
	ovpn_wrap_pid_tx_init(&cl.tx, 0);
	/* After the cookie exchange: msg 0 both ways counts as delivered. */
	ovpn_rel_init(&cl.rel, 1, 1, 0);
	cl.ssl = SSL_new(cl_ctx);
	cl.rbio = BIO_new(BIO_s_mem());
	cl.wbio = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(cl.rbio, -1);
	SSL_set_bio(cl.ssl, cl.rbio, cl.wbio);
	SSL_set_connect_state(cl.ssl);
	ok.peer = cl.ep;
	memcpy(ok.mac, mac, 6);
	memcpy(ok.sid, srv_sid, OVPN_SID_LEN);
	memcpy(ok.peer_sid, cl_sid, OVPN_SID_LEN);
	cl.s = cp_session_new(&ctx, &ok, now_ms);
	check(cl.wrap != NULL && cl.ssl != NULL && cl.s != NULL);
}

/* Shut down as the event loop does, then check nothing is left behind. */
static void stop(void)
{
	if (cl.n_end == 0) {
		cp_session_signal(cl.s, CP_SIG_SHUTDOWN);
		run(false);
	}
	check(cl.n_end == 1);
	run(false);			/* an ended session stays quiet */
	check(cl.n_end == 1);
	if (cl.end.peer_id != UINT32_MAX)
		cp_pool_release(ctx.pool, cl.end.peer_id & ~CP_PEER_UNINSTALLED, cl.end.vpn_ip);
	atomic_fetch_sub(&ctx.n_sessions, 1);
	check(atomic_load(&ctx.half_open) == 0 && atomic_load(&ctx.n_sessions) == 0);
	for (uint32_t id = 0; id < cfg.vpn.max_clients; id++)
		check(cp_pool_session(ctx.pool, id) != cl.s);
	cp_session_unref(cl.s);		/* the table's reference */
	SSL_free(cl.ssl);
	ovpn_wrap_free(cl.wrap);
}

static void signal_dp(unsigned b)
{
	static const unsigned sig[5] = { CP_SIG_PEER_UP, CP_SIG_IDLE, CP_SIG_EXIT, CP_SIG_REKEY,
					 CP_SIG_ERROR };

	cp_session_signal(cl.s, sig[b % 5]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	const uint8_t *p;
	size_t len;

	if (cl_ctx == NULL)
		init();
	now_ms += 10000000;	/* every input far from the last */
	start();
	for (unsigned steps = 0; in.n > 0 && steps < 200; steps++) {
		unsigned op = byte(&in) % 12, b;

		switch (op) {
		case 0:
			p = bytes(&in, &len);
			post(cp_pkt_new(p, len, &cl.ep, mac));
			break;
		case 1:
			p = bytes(&in, &len);
			post(wrapped(p, len));
			break;
		case 2:
			b = byte(&in);
			op = byte(&in);
			p = bytes(&in, &len);
			send_pkt((uint8_t)(b % 12), cl.rel.next_send_id + (uint32_t)(int8_t)op, p, len);
			break;
		case 3:
			p = bytes(&in, &len);
			if (len > 0 && SSL_is_init_finished(cl.ssl))
				SSL_write(cl.ssl, p, (int)len);
			cl_flush();
			break;
		case 4:
			SSL_do_handshake(cl.ssl);
			cl_flush();
			break;
		case 5:
			run(!(byte(&in) & 1));
			break;
		case 6:
			now_ms += byte(&in) * 250u;
			break;
		case 7:
			now_ms += byte(&in) * 10000u;
			break;
		case 8:
			signal_dp(byte(&in));
			break;
		case 9:
			b = byte(&in) % 3;
			cp_session_signal(cl.s, b == 0 ? CP_SIG_KILL : b == 1 ? CP_SIG_REPLACED :
					  CP_SIG_SHUTDOWN);
			break;
		case 10:
			km2(byte(&in) & 1);
			break;
		default:
			if (SSL_is_init_finished(cl.ssl))
				SSL_write(cl.ssl, "PUSH_REQUEST", 13);
			cl_flush();
			break;
		}
	}
	stop();
	return 0;
}
