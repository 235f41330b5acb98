/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control-plane session state machine with injected time, no threads
 * and no DPDK: a test client (OpenSSL over memory BIOs, tls-crypt with
 * client keys, its own reliability layer) talks to cp_admit + cp_session
 * directly. Cases: the stateless cookie, retransmission with backoff when
 * acks are lost, duplicates acked again, hand-window expiry, a full
 * handshake whose KEY_NEW keys equal the client's own EKM derivation, and
 * the server's renegotiation triggers other than time (reneg_bytes and
 * reneg_pkts against injected data-plane counters, packet-id exhaustion),
 * a renegotiation left unanswered past tran_window, a CRL change that
 * ends the live session of the certificate it revokes, and a user store
 * change that ends the live sessions of removed or changed users.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "cp_admit.h"
#include "cp_out.h"
#include "cp_pool.h"
#include "cp_store.h"
#include "cp_users.h"
#include "ovpn_key_file.h"
#include "ovpn_km.h"
#include "sl_test.h"
#include "test_cp_pki.h"

static uint64_t now_ms;
static uint64_t test_now(void) { return now_ms; }

/* A user with a fixed address (vpn.static_addresses). */
#define VICTIM		"victim"
#define VICTIM_IP	0x0a0a0032u	/* 10.10.0.50 */

/* The control plane's log lines (stderr) between log_begin and log_end. */
static char log_path[] = "/tmp/sl_cp_session_log.XXXXXX";
static int log_saved = -1;

static void log_begin(void)
{
	int fd = mkstemp(log_path);

	fflush(stderr);
	log_saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/* What was logged, NUL-terminated in buf (cut to fit). */
static void log_end(char *buf, size_t len)
{
	FILE *f = fopen(log_path, "r");
	size_t n = f != NULL ? fread(buf, 1, len - 1, f) : 0;

	buf[n] = '\0';
	if (f != NULL)
		fclose(f);
	fflush(stderr);
	dup2(log_saved, STDERR_FILENO);
	close(log_saved);
	unlink(log_path);
	memcpy(log_path + strlen(log_path) - 6, "XXXXXX", 6);
	fputs(buf, stderr);	/* still shown with the test's output */
}

static struct cp_test_pki pki;
static struct sl_config cfg;
static struct cp_ctx ctx;
static struct cp_admit *admit;
static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
static struct sl_endpoint client_ep;	/* 192.0.2.2:40000, set in setup() */
static X509 *cl_cert;			/* the test client's certificate, if not client1's */

static int setup(void)
{
	char err[256];

	client_ep = sl_endpoint_udp4(0xc0000202, 40000);
	CHECK_EQ(cp_test_pki_make(&pki, &cfg.pki), 0);
	cfg.vpn.hand_window = 60;
	cfg.vpn.tran_window = 3600;
	cfg.vpn.ping = 10;
	cfg.vpn.ping_restart = 60;
	cfg.vpn.tun_mtu = 1500;
	cfg.vpn.max_clients = 16;
	cfg.vpn.pool.addr = 0x0a0a0000;
	cfg.vpn.pool.len = 24;
	cfg.ctl.connect_rate = 10;
	cfg.ctl.max_half_open = 16;
	snprintf(cfg.vpn.data_ciphers[0], sizeof(cfg.vpn.data_ciphers[0]), "AES-256-GCM");
	snprintf(cfg.vpn.data_ciphers[1], sizeof(cfg.vpn.data_ciphers[1]), "AES-128-GCM");
	cfg.vpn.n_ciphers = 2;
	snprintf(cfg.vpn.auth, sizeof(cfg.vpn.auth), "SHA1");
	ctx.now_ms = test_now;
	CHECK_EQ(cp_ctx_open(&ctx, &cfg, err, sizeof(err)), 0);
	CHECK_STR(ctx.data_ciphers, "AES-256-GCM:AES-128-GCM");
	CHECK_EQ(cp_pool_fix(ctx.pool, VICTIM, VICTIM_IP), 0);
	admit = cp_admit_new(&ctx);
	CHECK(admit != NULL);
	return 0;
}

/* ---- the test client ---- */

struct tcl {
	uint8_t sid[OVPN_SID_LEN], srv_sid[OVPN_SID_LEN];
	struct ovpn_wrap *wrap;
	struct ovpn_wrap_pid_tx tx;
	struct ovpn_rel rel;
	uint8_t key_id;			/* ours: 0, then what cl_renegotiate() set */
	SSL_CTX *sctx;
	SSL *ssl;
	BIO *rbio, *wbio;
	struct cp_session *s;
	/* what came back */
	unsigned n_pkts, n_acks_of[8], n_sends_of[8];
	unsigned n_cmds, n_end;
	unsigned n_soft;		/* SOFT_RESET packets from the server */
	uint8_t soft_key_id;
	uint8_t hello[1000];		/* our first TLS slice, for duplicates */
	size_t hello_len;
	uint8_t reset[CP_PKT_MAX];	/* our hard reset on the wire, for replays */
	size_t reset_len;
	enum cp_end end;
	struct sl_cmd key_new, peer_new, last_cmd;
	struct sl_cmd routes[4];	/* ROUTE_ADDs, in order */
	unsigned n_routes, routes_before_peer;
};

static struct cp_pkt *cl_wire(struct tcl *c, const struct ovpn_ctrl_pkt *pkt)
{
	uint8_t plain[CP_PKT_MAX], wire[CP_PKT_MAX];
	int n = ovpn_ctrl_build(pkt, plain, sizeof(plain));

	n = ovpn_wrap_wrap(c->wrap, &c->tx, (uint32_t)(now_ms / 1000 + 1000000), plain,
			   (size_t)n, wire, sizeof(wire));
	return n > 0 ? cp_pkt_new(wire, (size_t)n, &client_ep, mac) : NULL;
}

/* A packet of ours: acks from our reliability layer, our sid, theirs. */
static struct cp_pkt *cl_pkt(struct tcl *c, uint8_t op, uint32_t msg_id, const uint8_t *p,
			     size_t len)
{
	struct ovpn_ctrl_pkt pkt = { .opcode = op, .key_id = c->key_id,
				     .has_msg_id = op != OVPN_P_ACK_V1,
				     .msg_id = msg_id, .payload = p, .payload_len = len };

	memcpy(pkt.sid, c->sid, OVPN_SID_LEN);
	memcpy(pkt.peer_sid, c->srv_sid, OVPN_SID_LEN);
	pkt.n_acks = (uint8_t)ovpn_rel_acks_take(&c->rel, pkt.acks,
						 op == OVPN_P_ACK_V1 ? 8 : 4);
	return cl_wire(c, &pkt);
}

static void cl_take(struct tcl *c, const struct cp_pkt *p)
{
	uint8_t plain[CP_PKT_MAX];
	struct ovpn_ctrl_pkt pkt;
	const struct ovpn_rel_msg *m;
	struct ovpn_wrap_rid rid;
	int n = ovpn_wrap_unwrap(c->wrap, NULL, p->data, p->len, plain, sizeof(plain), &rid);

	if (n < 0 || ovpn_ctrl_parse(plain, (size_t)n, &pkt) != 0)
		return;
	c->n_pkts++;
	memcpy(c->srv_sid, pkt.sid, OVPN_SID_LEN);
	if (pkt.opcode == OVPN_P_CONTROL_SOFT_RESET_V1 && pkt.key_id != c->key_id) {
		/* The server's renegotiation: this client keeps its key-id. */
		c->n_soft++;
		c->soft_key_id = pkt.key_id;
		return;
	}
	if (pkt.key_id != c->key_id)
		return;		/* the key state we left */
	for (unsigned i = 0; i < pkt.n_acks; i++)
		if (pkt.acks[i] < 8)
			c->n_acks_of[pkt.acks[i]]++;
	if (pkt.has_msg_id && pkt.msg_id < 8)
		c->n_sends_of[pkt.msg_id]++;
	ovpn_rel_recv(&c->rel, &pkt);
	while ((m = ovpn_rel_next(&c->rel)) != NULL) {
		if (m->opcode == OVPN_P_CONTROL_V1)
			BIO_write(c->rbio, m->data, m->len);
		ovpn_rel_pop(&c->rel);
	}
}

/* Everything the session produced; packets are "lost" unless deliver. */
static void cl_outputs(struct tcl *c, bool deliver)
{
	struct cp_out *o = cp_out_take_all(&ctx), *next;

	for (; o != NULL; o = next) {
		next = o->next;
		if (o->type == CP_OUT_PKT && deliver)
			cl_take(c, o->pkt);
		if (o->type == CP_OUT_CMD) {
			c->n_cmds++;
			c->last_cmd = o->cmd;
			if (o->cmd.type == SL_CMD_KEY_NEW)
				c->key_new = o->cmd;
			if (o->cmd.type == SL_CMD_PEER_NEW)
				c->peer_new = o->cmd;
			if (o->cmd.type == SL_CMD_ROUTE_ADD && c->n_routes < 4) {
				if (c->peer_new.type != SL_CMD_PEER_NEW)
					c->routes_before_peer++;
				c->routes[c->n_routes++] = o->cmd;
			}
		}
		if (o->type == CP_OUT_END) {
			c->n_end++;
			c->end = o->reason;
		}
		cp_out_free(o);
	}
}

static void run(struct tcl *c, bool deliver)
{
	cp_session_run(&ctx, c->s, now_ms);
	cl_outputs(c, deliver);
}

/* Admission: hard reset -> cookie; then CONTROL_V1 msg 1 -> session. */
static int cl_connect(struct tcl *c)
{
	struct ovpn_ctrl_pkt reset = { .opcode = OVPN_P_CONTROL_HARD_RESET_CLIENT_V2,
				       .has_msg_id = true };
	struct cp_pkt *in, *reply = NULL;
	struct cp_admit_ok ok = { 0 };

	memset(c, 0, sizeof(*c));
	RAND_bytes(c->sid, sizeof(c->sid));
	c->wrap = ovpn_wrap_tls_crypt_new(pki.tc_key, false, &(int){ 0 });
	ovpn_wrap_pid_tx_init(&c->tx, 0);
	ovpn_rel_init(&c->rel, 1, 1, 0);
	memcpy(reset.sid, c->sid, OVPN_SID_LEN);
	in = cl_wire(c, &reset);
	CHECK(in != NULL);
	memcpy(c->reset, in->data, in->len);
	c->reset_len = in->len;
	CHECK_EQ(cp_admit_packet(admit, in, NULL, now_ms / 1000, &reply, &ok), CP_ADMIT_REPLY);
	free(in);
	cl_take(c, reply);	/* learns the cookie sid; msg 0 sits in the window */
	free(reply);
	c->sctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_use_certificate(c->sctx, cl_cert != NULL ? cl_cert : pki.cli_cert);
	SSL_CTX_use_PrivateKey(c->sctx, pki.cli_key);
	c->ssl = SSL_new(c->sctx);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(c->rbio, -1);
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_connect_state(c->ssl);
	SSL_do_handshake(c->ssl);
	return 0;
}

/* Our queued TLS bytes into reliable packets, sent to the session (or lost). */
static int cl_flush(struct tcl *c, bool first)
{
	struct ovpn_rel_out out[OVPN_REL_SEND_WINDOW];
	uint8_t buf[1000];
	struct cp_admit_ok ok = { 0 };
	struct cp_pkt *reply = NULL;
	uint32_t id;
	unsigned n;
	int len;

	while (ovpn_rel_can_send(&c->rel) && (len = BIO_read(c->wbio, buf, sizeof(buf))) > 0)
		ovpn_rel_send(&c->rel, OVPN_P_CONTROL_V1, buf, (size_t)len, &id);
	n = ovpn_rel_poll(&c->rel, now_ms, out, OVPN_REL_SEND_WINDOW);
	for (unsigned i = 0; i < n; i++) {
		struct cp_pkt *p = cl_pkt(c, out[i].opcode, out[i].msg_id, out[i].payload, out[i].len);

		if (first && i == 0) {
			memcpy(c->hello, out[0].payload, out[0].len);
			c->hello_len = out[0].len;
			CHECK_EQ(cp_admit_packet(admit, p, NULL, now_ms / 1000, &reply, &ok), CP_ADMIT_NEW);
			c->s = cp_session_new(&ctx, &ok, now_ms);
			CHECK(c->s != NULL);
		}
		CHECK(cp_session_post(&ctx, c->s, p));
	}
	if (ovpn_rel_ack_pending(&c->rel))
		CHECK(cp_session_post(&ctx, c->s, cl_pkt(c, OVPN_P_ACK_V1, 0, NULL, 0)));
	return 0;
}

static void cl_free(struct tcl *c)
{
	SSL_free(c->ssl);
	SSL_CTX_free(c->sctx);
	ovpn_wrap_free(c->wrap);
	if (c->s != NULL && c->n_end == 0) {
		cp_session_end(c->s, CP_END_SHUTDOWN);
		run(c, false);
	}
	if (c->s != NULL && c->s->p.peer_id != UINT32_MAX)
		cp_pool_release(ctx.pool, c->s->p.peer_id, c->s->p.vpn_ip);
	if (c->s != NULL)
		cp_session_unref(c->s);	/* the "table" reference */
}

/* ---- cases ---- */

static int test_cookie(void)
{
	struct tcl c;

	now_ms = 1000000;
	CHECK_EQ(cl_connect(&c), 0);
	CHECK_EQ(c.n_pkts, 1);
	CHECK_EQ(c.n_acks_of[0], 1);	/* the reset acks our msg 0 */
	CHECK_EQ(c.n_sends_of[0], 1);
	CHECK_EQ(cl_flush(&c, true), 0);
	run(&c, true);
	CHECK(c.n_acks_of[1] >= 1);	/* ClientHello acked */
	CHECK(c.n_sends_of[1] >= 1);	/* server flight started at msg-id 1 */
	cl_free(&c);
	return 0;
}

static int test_retransmit_lost_acks(void)
{
	struct tcl c;
	unsigned first;

	now_ms = 2000000;
	CHECK_EQ(cl_connect(&c), 0);
	CHECK_EQ(cl_flush(&c, true), 0);
	run(&c, false);			/* server flight lost */
	now_ms += 1000;
	run(&c, false);			/* nothing due yet */
	now_ms += 1000;
	run(&c, true);			/* 2 s: resent, delivered this time */
	first = c.n_sends_of[1];
	CHECK_EQ(first, 1);
	now_ms += 3000;			/* client never acks: 4 s backoff not over */
	run(&c, true);
	CHECK_EQ(c.n_sends_of[1], first);
	now_ms += 1500;			/* 2 + 4 s after the first send */
	run(&c, true);
	CHECK_EQ(c.n_sends_of[1], first + 1);
	cl_free(&c);
	return 0;
}

static int test_duplicates_acked_again(void)
{
	struct tcl c;
	unsigned acks;

	now_ms = 3000000;
	CHECK_EQ(cl_connect(&c), 0);
	CHECK_EQ(cl_flush(&c, true), 0);
	run(&c, true);
	acks = c.n_acks_of[1];
	/* Our ClientHello again, as a retransmission (new replay-id, same msg-id). */
	now_ms += 2000;
	CHECK(cp_session_post(&ctx, c.s, cl_pkt(&c, OVPN_P_CONTROL_V1, 1, c.hello,
						c.hello_len)));
	run(&c, true);
	CHECK(c.n_acks_of[1] > acks);
	CHECK_EQ(c.n_end, 0);		/* TLS did not see the copy */
	cl_free(&c);
	return 0;
}

static int test_hand_window(void)
{
	unsigned before = atomic_load(&ctx.half_open);
	struct tcl c;

	now_ms = 4000000;
	CHECK_EQ(cl_connect(&c), 0);
	CHECK_EQ(cl_flush(&c, true), 0);
	run(&c, true);
	CHECK_EQ(atomic_load(&ctx.half_open), before + 1);
	now_ms += 59000;
	run(&c, false);
	CHECK_EQ(c.n_end, 0);
	now_ms += 1001;
	run(&c, false);
	CHECK_EQ(c.n_end, 1);
	CHECK_EQ(c.end, CP_END_HAND_WINDOW);
	CHECK_EQ(atomic_load(&ctx.half_open), before);
	cl_free(&c);
	return 0;
}

/* The client's key method 2 message, with USER/PASS unless NULL. */
static int send_km_as(struct tcl *c, const char *user, const char *pass)
{
	struct ovpn_km_client km = { 0 };
	uint8_t buf[2048];
	int n;

	RAND_bytes(km.pre_master, sizeof(km.pre_master));
	RAND_bytes(km.random1, sizeof(km.random1));
	RAND_bytes(km.random2, sizeof(km.random2));
	snprintf(km.options, sizeof(km.options), "V4,dev-type tun,link-mtu 1541,tun-mtu 1500,"
		 "proto UDPv4,auth SHA1,keysize 128,key-method 2,tls-client");
	n = ovpn_km_build_client(&km, user, pass, "IV_VER=2.6.14\nIV_PROTO=990\n"
				 "IV_CIPHERS=AES-256-GCM:AES-128-GCM\n", buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_EQ(SSL_write(c->ssl, buf, n), n);
	return 0;
}

/* Admission and the TLS handshake, up to the client's key method 2. */
static int cl_tls(struct tcl *c)
{
	CHECK_EQ(cl_connect(c), 0);
	CHECK_EQ(cl_flush(c, true), 0);
	for (int i = 0; i < 20 && !SSL_is_init_finished(c->ssl); i++) {
		run(c, true);
		SSL_do_handshake(c->ssl);
		CHECK_EQ(cl_flush(c, false), 0);
	}
	CHECK(SSL_is_init_finished(c->ssl));
	return 0;
}

/* Exchange packets until the session queued WANT commands or ended. */
static void cl_until(struct tcl *c, unsigned want)
{
	for (int i = 0; i < 10 && c->n_cmds < want && c->n_end == 0; i++) {
		cl_flush(c, false);
		run(c, true);
	}
}

/*
 * The client renegotiates on key-id KID (OpenVPN src/openvpn/ssl.c,
 * key_state_soft_reset): SOFT_RESET and a new TLS session over a new
 * reliability layer, to the end of the handshake.
 */
static int cl_renegotiate(struct tcl *c, uint8_t kid)
{
	uint32_t id;

	SSL_free(c->ssl);
	c->key_id = kid;
	ovpn_rel_init(&c->rel, 0, 0, 0);
	c->ssl = SSL_new(c->sctx);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(c->rbio, -1);
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_connect_state(c->ssl);
	ovpn_rel_send(&c->rel, OVPN_P_CONTROL_SOFT_RESET_V1, NULL, 0, &id);
	if (c->n_soft > 0 && c->soft_key_id == kid) {
		/* Answering the server's SOFT_RESET (cl_take set it aside):
		 * its msg-id 0 is received, and acked with our packets. */
		struct ovpn_ctrl_pkt sr = { .opcode = OVPN_P_CONTROL_SOFT_RESET_V1,
					    .key_id = kid, .has_msg_id = true };

		ovpn_rel_recv(&c->rel, &sr);
		while (ovpn_rel_next(&c->rel) != NULL)
			ovpn_rel_pop(&c->rel);
	}
	SSL_do_handshake(c->ssl);
	for (int i = 0; i < 20 && !SSL_is_init_finished(c->ssl); i++) {
		CHECK_EQ(cl_flush(c, false), 0);
		run(c, true);
		SSL_do_handshake(c->ssl);
	}
	CHECK(SSL_is_init_finished(c->ssl));
	return 0;
}

/* Exchange packets, time going on, until the session ended. */
static void cl_until_end(struct tcl *c)
{
	for (int i = 0; i < 60 && c->n_end == 0; i++) {
		cl_flush(c, false);
		now_ms += 100;
		run(c, true);
	}
}

/* The first text message from the server that starts with PREFIX into
 * msg (after its key method 2 reply); -1 if none came. */
static int cl_read_msg(struct tcl *c, const char *prefix, char *msg, size_t len)
{
	char buf[2048];
	int n;

	while ((n = SSL_read(c->ssl, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		if (strncmp(buf, prefix, strlen(prefix)) == 0) {
			snprintf(msg, len, "%.*s", (int)len - 1, buf);
			return 0;
		}
	}
	return -1;
}

/* TLS and key method 2 (with USER/PASS unless NULL) to the end: PEER_NEW
 * and KEY_NEW are out. */
static int cl_establish_as(struct tcl *c, const char *user, const char *pass)
{
	CHECK_EQ(cl_tls(c), 0);
	CHECK_EQ(send_km_as(c, user, pass), 0);
	cl_until(c, 2);
	CHECK_EQ(c->n_cmds, 2);			/* PEER_NEW, KEY_NEW */
	return 0;
}

static int cl_establish(struct tcl *c)
{
	return cl_establish_as(c, NULL, NULL);
}

static int test_full_handshake_keys(void)
{
	unsigned before = atomic_load(&ctx.half_open);
	uint8_t key2[256], buf[2048];
	struct tcl c;
	int n;

	now_ms = 5000000;
	CHECK_EQ(cl_establish(&c), 0);
	n = SSL_read(c.ssl, buf, sizeof(buf));	/* server KM2 */
	CHECK(n > 0);
	n = SSL_read(c.ssl, buf, sizeof(buf));	/* PUSH_REPLY, unasked (REQUEST_PUSH) */
	CHECK(n > 11 && memcmp(buf, "PUSH_REPLY,", 11) == 0);
	CHECK(strstr((char *)buf, "ifconfig 10.10.0.2 255.255.255.0") != NULL);
	CHECK(strstr((char *)buf, "protocol-flags cc-exit tls-ekm") != NULL);
	CHECK_EQ(SSL_export_keying_material(c.ssl, key2, sizeof(key2), "EXPORTER-OpenVPN-datakeys",
					    25, NULL, 0, 0), 1);
	CHECK_EQ(c.key_new.u.key.cipher, SL_CIPHER_AES_256_GCM);
	CHECK_MEM(c.key_new.u.key.decrypt.key, key2, 32);		/* client -> server */
	CHECK_MEM(c.key_new.u.key.decrypt.nonce_tail, key2 + 64, 8);
	CHECK_MEM(c.key_new.u.key.encrypt.key, key2 + 128, 32);	/* server -> client */
	CHECK_MEM(c.key_new.u.key.encrypt.nonce_tail, key2 + 192, 8);
	CHECK_EQ(atomic_load(&ctx.half_open), before);	/* established */
	cl_free(&c);
	return 0;
}

static uint64_t count(enum cp_stat st)
{
	return atomic_load(&ctx.stats[st]);
}

/* A copy of the client's hard reset, as an attacker on the path replays it. */
static uint64_t reset_replayed(struct tcl *c)
{
	uint64_t before = count(CP_ST_DROP_REPLAY);

	cp_session_post(&ctx, c->s, cp_pkt_new(c->reset, c->reset_len, &client_ep, mac));
	run(c, true);
	return count(CP_ST_DROP_REPLAY) - before;
}

/*
 * The session exists because its hard reset was answered (statelessly,
 * cp_admit.c), so every later copy of it is a replay, counted as one. The
 * first copy is the one the wrap's window lets through: its replay-id 1
 * is below the session's first (2, OpenVPN src/openvpn/ssl.c,
 * session_skip_to_pre_start) and was never seen by this session.
 */
static int test_hard_reset_replayed(void)
{
	struct tcl c;

	now_ms = 5500000;
	CHECK_EQ(cl_establish(&c), 0);
	CHECK_EQ(reset_replayed(&c), 1);	/* the first copy */
	CHECK_EQ(reset_replayed(&c), 1);	/* and the next */
	CHECK_EQ(c.n_end, 0);			/* the session goes on */
	cl_free(&c);
	return 0;
}

/* The data plane's per-peer counters, as sl_status.peers would show them. */
static struct sl_peer_stats peers[16];

static void traffic_set(uint32_t peer_id, uint64_t bytes, uint64_t pkts)
{
	peers[peer_id].rx_bytes = bytes / 2;
	peers[peer_id].tx_bytes = bytes - bytes / 2;
	peers[peer_id].rx_pkts = pkts / 2;
	peers[peer_id].tx_pkts = pkts - pkts / 2;
}

/* Until the limit nothing happens; at it, a SOFT_RESET on key-id 1. */
static int reneg_at_limit(struct tcl *c, uint64_t bytes, uint64_t pkts, uint64_t b_step,
			  uint64_t p_step)
{
	uint32_t pid = c->s->p.peer_id;

	traffic_set(pid, bytes - b_step, pkts - p_step);
	now_ms += 1000;
	run(c, true);
	CHECK(c->s->p.next == NULL);
	CHECK_EQ(c->n_soft, 0);
	traffic_set(pid, bytes, pkts);
	now_ms += 1000;
	run(c, true);
	CHECK(c->s->p.next != NULL);
	CHECK_EQ(c->n_soft, 1);
	CHECK_EQ(c->soft_key_id, 1);
	return 0;
}

static int test_reneg_bytes(void)
{
	struct tcl c;
	uint32_t pid;

	now_ms = 6000000;
	ctx.peers = peers;
	ctx.max_peers = 16;
	cfg.vpn.reneg_bytes = 200000;
	CHECK_EQ(cl_establish(&c), 0);
	pid = c.s->p.peer_id;
	CHECK(pid < 16);
	/* Until PEER_NEW is done the slot shows its previous owner's counters. */
	traffic_set(pid, 5000000, 5000);
	now_ms += 1000;
	run(&c, true);
	CHECK(c.s->p.next == NULL);
	traffic_set(pid, 0, 0);
	cp_session_signal(c.s, CP_SIG_PEER_UP);
	CHECK_EQ(reneg_at_limit(&c, 200000, 10, 1, 0), 0);
	/* The client never answers: abandoned at hand_window, counting restarts
	 * (its key lives on until tran_window: test_tran_window). */
	now_ms += 60000;
	run(&c, true);
	CHECK(c.s->p.next == NULL);
	now_ms += 1000;
	traffic_set(pid, 399999, 20);
	run(&c, true);
	CHECK(c.s->p.next == NULL);
	traffic_set(pid, 400000, 20);
	now_ms += 1000;
	run(&c, true);
	CHECK(c.s->p.next != NULL);
	CHECK_EQ(c.s->p.next->key_id, 2);
	cfg.vpn.reneg_bytes = 0;
	cl_free(&c);
	memset(peers, 0, sizeof(peers));
	return 0;
}

static int test_reneg_pkts(void)
{
	struct tcl c;

	now_ms = 7000000;
	cfg.vpn.reneg_pkts = 1000;
	CHECK_EQ(cl_establish(&c), 0);
	cp_session_signal(c.s, CP_SIG_PEER_UP);
	CHECK_EQ(reneg_at_limit(&c, 50000, 1000, 0, 1), 0);
	cfg.vpn.reneg_pkts = 0;
	cl_free(&c);
	memset(peers, 0, sizeof(peers));
	return 0;
}

/* SL_EVT_KEY_EXHAUSTED reaches the session as CP_SIG_REKEY (cp_loop.c). */
static int test_reneg_exhausted(void)
{
	struct tcl c;

	now_ms = 8000000;
	CHECK_EQ(cl_establish(&c), 0);
	now_ms += 1000;
	run(&c, true);
	CHECK(c.s->p.next == NULL);
	cp_session_signal(c.s, CP_SIG_REKEY);
	run(&c, true);
	CHECK(c.s->p.next != NULL);
	CHECK_EQ(c.n_soft, 1);
	CHECK_EQ(c.soft_key_id, 1);
	cl_free(&c);
	return 0;
}

/*
 * Without a user store nothing checks a username: one sent anyway must not
 * become the session's identity, or a client with any valid certificate
 * would take VICTIM's fixed (or sticky) address, end an adopted session of
 * VICTIM's and be matched by `sluicectl kill VICTIM`. The certificate's
 * common name is the identity; the name sent is logged as ignored.
 */
static int test_unverified_username(void)
{
	char log[8192];
	struct tcl c;
	int rc;

	now_ms = 9000000;
	log_begin();
	rc = cl_establish_as(&c, VICTIM, "any password");
	log_end(log, sizeof(log));
	CHECK_EQ(rc, 0);
	CHECK_STR(c.s->p.user, "client1");
	CHECK_STR(c.s->info.user, "client1");		/* what kill matches */
	CHECK_STR(c.peer_new.u.peer.name, "client1");	/* what adoption matches */
	CHECK(c.peer_new.u.peer.vpn.v4 != VICTIM_IP);
	CHECK(c.s->p.vpn_ip != VICTIM_IP);
	CHECK(strstr(log, "unverified username ignored") != NULL);
	CHECK(strstr(log, "auth: user client1 cn client1 from ") != NULL);
	cl_free(&c);
	return 0;
}

/*
 * Key method 2 with USER/PASS (unless NULL) is refused: the session ends
 * for auth, no peer, the client was told plain "AUTH_FAILED" (whatever
 * the reason: no account enumeration) and our log says LOGGED (and has
 * no line a username forged).
 */
static int auth_refused(const char *user, const char *pass, const char *logged)
{
	char log[8192], msg[256] = "";
	struct tcl c;

	log_begin();
	cl_tls(&c);
	send_km_as(&c, user, pass);
	cl_until_end(&c);
	cl_read_msg(&c, "AUTH_FAILED", msg, sizeof(msg));
	log_end(log, sizeof(log));
	CHECK_EQ(c.n_end, 1);
	CHECK_EQ(c.end, CP_END_AUTH);
	CHECK_EQ(c.n_cmds, 0);				/* no PEER_NEW */
	CHECK_STR(msg, "AUTH_FAILED");
	CHECK(strstr(log, logged) != NULL);
	CHECK(strstr(log, "\nauth: forged") == NULL);
	cl_free(&c);
	return 0;
}

/*
 * A username is 1..47 bytes of printable ASCII without spaces: anything
 * else is refused with AUTH_FAILED before any lookup, also with passwords
 * off, and logged escaped (a newline in it must not start a log line).
 */
static int username_refused(const char *user, const char *logged)
{
	char want[256];

	snprintf(want, sizeof(want), ": refused: invalid username; username %s", logged);
	return auth_refused(user, "pw", want);
}

static int test_username_invalid(void)
{
	char long_name[49];
	char log[8192];
	struct tcl c;
	int rc;

	now_ms = 10000000;
	/* Escaped where it is logged: the newline as \x0a. */
	CHECK_EQ(username_refused("bob\nauth: forged line",
				  "bob\\x0aauth:\\x20forged\\x20line\n"), 0);
	CHECK_EQ(username_refused("bob smith", "bob\\x20smith\n"), 0);
	CHECK_EQ(username_refused("bob\x7f", "bob\\x7f\n"), 0);
	CHECK_EQ(username_refused("b\xc3\xb6" "b", "b\\xc3\\xb6" "b\n"), 0);
	memset(long_name, 'u', 48);
	long_name[48] = '\0';
	CHECK_EQ(username_refused(long_name, long_name), 0);
	/* 47 bytes is still a name (ignored here: passwords are off). */
	long_name[47] = '\0';
	log_begin();
	rc = cl_establish_as(&c, long_name, "pw");
	log_end(log, sizeof(log));
	CHECK_EQ(rc, 0);
	CHECK(strstr(log, "unverified username ignored: uuuuuuuu") != NULL);
	cl_free(&c);
	return 0;
}

/* ---- passwords on: a user store with ALICE and BOB ---- */

#define ALICE		"alice@example.com"
#define ALICE_PW	"s3cret pass"
#define BOB		"bob@example.com"
#define BOB_PW		"bobs pass"
#define CAROL		"carol@example.com"
#define CAROL_PW	"carols pass"

static int users_on(void)
{
	char path[] = "/tmp/sl_cp_session_users.XXXXXX", a[160], b[160], err[256];
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	CHECK(f != NULL);
	CHECK_EQ(cp_users_hash(ALICE_PW, 100000, a, sizeof(a)), 0);
	CHECK_EQ(cp_users_hash(BOB_PW, 100000, b, sizeof(b)), 0);
	fprintf(f, ALICE ":%s\n" BOB ":%s\n", a, b);
	fclose(f);
	ctx.users = cp_users_open(path, err, sizeof(err));
	unlink(path);
	CHECK(ctx.users != NULL);
	return 0;
}

static void users_off(void)
{
	cp_users_free(ctx.users);
	ctx.users = NULL;
}

/* Wrong password, unknown user, no credentials: the same "AUTH_FAILED";
 * only our log tells them apart. */
static int test_auth_failed_plain(void)
{
	int rc;

	now_ms = 12000000;
	CHECK_EQ(users_on(), 0);
	rc = auth_refused(ALICE, "wrong", "refused: wrong password; username " ALICE "\n");
	if (rc == 0)
		rc = auth_refused("mallory@example.com", "wrong",
				  "refused: unknown user; username mallory@example.com\n");
	if (rc == 0)
		rc = auth_refused(NULL, NULL, "refused: username and password required\n");
	users_off();
	return rc;
}

/*
 * A client's renegotiation sends the username and password again (OpenVPN
 * src/openvpn/ssl.c, key_method_2_write): the same ones are checked
 * against the session's cached digest, not hashed again; a wrong password
 * is hashed and refused; another account is refused even with its own
 * right password.
 */
static int test_reneg_cached(void)
{
	unsigned long runs;
	struct tcl c;
	char msg[64];

	now_ms = 13000000;
	CHECK_EQ(users_on(), 0);
	CHECK_EQ(cl_establish_as(&c, ALICE, ALICE_PW), 0);
	CHECK_STR(c.s->p.user, ALICE);
	runs = cp_users_hash_runs(ctx.users);
	CHECK_EQ(cl_renegotiate(&c, 1), 0);
	CHECK_EQ(send_km_as(&c, ALICE, ALICE_PW), 0);
	cl_until(&c, 3);
	CHECK_EQ(c.n_cmds, 3);				/* KEY_NEW for key-id 1 */
	CHECK_EQ(c.key_new.u.key.key_id, 1);
	CHECK_EQ(cp_users_hash_runs(ctx.users), runs);	/* no PBKDF2 */
	/* Key-id 1 takes over TX, then the next renegotiation, wrong password. */
	cl_flush(&c, false);
	now_ms += 1500;
	run(&c, true);
	CHECK(c.s->p.next == NULL);
	CHECK_EQ(c.s->p.ks->key_id, 1);
	CHECK_EQ(cl_renegotiate(&c, 2), 0);
	CHECK_EQ(send_km_as(&c, ALICE, "wrong"), 0);
	cl_until_end(&c);
	CHECK_EQ(cp_users_hash_runs(ctx.users), runs + 1);
	CHECK_EQ(c.end, CP_END_AUTH);
	CHECK_EQ(cl_read_msg(&c, "AUTH_FAILED", msg, sizeof(msg)), 0);
	CHECK_STR(msg, "AUTH_FAILED");
	cl_free(&c);
	/* Bob's right password in Alice's session: refused unhashed. */
	CHECK_EQ(cl_establish_as(&c, ALICE, ALICE_PW), 0);
	runs = cp_users_hash_runs(ctx.users);
	CHECK_EQ(cl_renegotiate(&c, 1), 0);
	CHECK_EQ(send_km_as(&c, BOB, BOB_PW), 0);
	cl_until_end(&c);
	CHECK_EQ(c.end, CP_END_AUTH);
	CHECK_EQ(c.n_cmds, 2);				/* no KEY_NEW */
	CHECK_EQ(cp_users_hash_runs(ctx.users), runs);
	cl_free(&c);
	users_off();
	return 0;
}

/* The one escaping helper of everything logged or listed from outside. */
static int test_escape(void)
{
	char out[12];

	CHECK_STR(SL_ESC("alice@example.com"), "alice@example.com");
	CHECK_STR(SL_ESC("a b\\c\n\x01\x7f\xff"), "a\\x20b\\x5cc\\x0a\\x01\\x7f\\xff");
	CHECK_STR(SL_ESC(""), "");
	CHECK_STR(sl_esc("abcdefghijk", out, sizeof(out)), "abcdefghijk");	/* fits */
	CHECK_STR(sl_esc("abcdefghijkl", out, sizeof(out)), "abcdefgh...");
	CHECK_STR(sl_esc("abcdef\n\n", out, sizeof(out)), "abcdef...");	/* no half escape */
	CHECK_STR(sl_esc("abc", out, 2), "a");
	return 0;
}

/* A client certificate whose subject has these common names (and O=unit). */
struct cn_entry {
	int type;			/* V_ASN1_UTF8STRING, V_ASN1_BMPSTRING, ... */
	const char *bytes;
	int len;
};

static X509 *cert_with(const struct cn_entry *e, unsigned n)
{
	X509_NAME *name = X509_NAME_new();
	X509 *x;

	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"unit",
				   -1, -1, 0);
	for (unsigned i = 0; i < n; i++)
		X509_NAME_add_entry_by_NID(name, NID_commonName, e[i].type,
					   (const unsigned char *)e[i].bytes, e[i].len, -1, 0);
	x = cp_test_pki_client(&pki, name);
	X509_NAME_free(name);
	return x;
}

/* The session with certificate X (freed) ends at TLS and the log says WHY. */
static int cert_refused(X509 *x, const char *why)
{
	char log[8192];
	struct tcl c;

	cl_cert = x;
	log_begin();
	cl_tls(&c);
	cl_until_end(&c);	/* TLS 1.3: the server checks after the client is done */
	if (c.n_end == 0) {
		send_km_as(&c, NULL, NULL);
		cl_until(&c, 2);
	}
	log_end(log, sizeof(log));
	cl_cert = NULL;
	X509_free(x);
	CHECK_EQ(c.n_end, 1);
	CHECK_EQ(c.end, CP_END_TLS);
	CHECK_EQ(c.n_cmds, 0);
	CHECK(strstr(log, why) != NULL);
	cl_free(&c);
	return 0;
}

/*
 * A common name is the identity of a session without passwords: it must
 * be one name, shown as it is. Refused in the TLS handshake: no CN, two
 * CNs, a NUL inside (would read as a shorter name), bytes outside
 * printable ASCII (BMPString, UTF-8, control characters), more than the
 * 47 bytes the data plane keeps.
 */
static int test_cert_names(void)
{
	static const struct cn_entry two[] = { { V_ASN1_UTF8STRING, "alice", 5 },
					       { V_ASN1_UTF8STRING, "bob", 3 } };
	static const struct cn_entry bmp = { V_ASN1_BMPSTRING, "\0J\0\xfc\0" "r", 6 };
	static const struct cn_entry utf8 = { V_ASN1_UTF8STRING, "J\xc3\xbcrgen", 7 };
	static const struct cn_entry nul = { V_ASN1_UTF8STRING, "alice\0evil", 10 };
	static const struct cn_entry ctl = { V_ASN1_UTF8STRING, "bad\nname", 8 };
	static const struct cn_entry lng = { V_ASN1_UTF8STRING,
		"a-common-name-of-forty-eight-bytes-is-too-long-x", 48 };
	static const struct cn_entry space = { V_ASN1_UTF8STRING, "Jane Doe", 8 };
	char log[8192];
	struct tcl c;
	int rc;

	now_ms = 11000000;
	CHECK_EQ(cert_refused(cert_with(NULL, 0), "certificate refused: no common name"), 0);
	CHECK_EQ(cert_refused(cert_with(two, 2), "certificate refused: more than one common name"), 0);
	CHECK_EQ(cert_refused(cert_with(&bmp, 1), "certificate refused: common name not printable ASCII"), 0);
	CHECK_EQ(cert_refused(cert_with(&utf8, 1), "certificate refused: common name not printable ASCII"), 0);
	CHECK_EQ(cert_refused(cert_with(&ctl, 1), "certificate refused: common name not printable ASCII"), 0);
	CHECK_EQ(cert_refused(cert_with(&nul, 1), "certificate refused: common name with a NUL byte"), 0);
	CHECK_EQ(cert_refused(cert_with(&lng, 1), "certificate refused: common name longer than 47 bytes"), 0);
	/* A space is printable: accepted, and escaped where the name is shown. */
	cl_cert = cert_with(&space, 1);
	log_begin();
	rc = cl_establish(&c);
	log_end(log, sizeof(log));
	X509_free(cl_cert);
	cl_cert = NULL;
	CHECK_EQ(rc, 0);
	CHECK_STR(c.s->p.cn, "Jane Doe");
	CHECK(strstr(log, "auth: user Jane\\x20Doe cn Jane\\x20Doe from ") != NULL);
	cl_free(&c);
	return 0;
}

/*
 * A client that never answers our renegotiation keeps its key for
 * tran_window after we first asked (OpenVPN ssl.c, the lame duck's
 * must_die), retries included; then KEY_DEL of its key's slot and the
 * session ends. One that completes it is not touched.
 */
static int test_tran_window(void)
{
	uint64_t t0;
	struct tcl c;
	uint8_t slot;

	now_ms = 15000000;
	cfg.vpn.tran_window = 120;
	CHECK_EQ(cl_establish(&c), 0);
	slot = c.s->p.ks->slot;
	cp_session_signal(c.s, CP_SIG_REKEY);
	run(&c, true);
	CHECK_EQ(c.n_soft, 1);
	t0 = now_ms;
	now_ms = t0 + 61000;		/* abandoned at hand_window, asked again */
	run(&c, true);
	CHECK_EQ(c.n_soft, 2);
	now_ms = t0 + 119000;
	run(&c, true);
	CHECK_EQ(c.n_end, 0);
	now_ms = t0 + 120000;
	run(&c, true);
	CHECK_EQ(c.n_end, 1);
	CHECK_EQ(c.end, CP_END_RENEG);
	CHECK_EQ(c.last_cmd.type, SL_CMD_KEY_DEL);
	CHECK_EQ(c.last_cmd.u.key.slot, slot);
	CHECK_STR(cp_end_name(CP_END_RENEG), "renegotiation not completed");
	cl_free(&c);
	/* Answered: the clock stops with the swap. */
	CHECK_EQ(cl_establish(&c), 0);
	cp_session_signal(c.s, CP_SIG_REKEY);
	run(&c, true);
	CHECK_EQ(c.n_soft, 1);
	CHECK_EQ(cl_renegotiate(&c, c.soft_key_id), 0);
	CHECK_EQ(send_km_as(&c, NULL, NULL), 0);
	cl_until(&c, 3);
	cl_flush(&c, false);
	now_ms += 1500;
	run(&c, true);
	CHECK_EQ(c.s->p.ks->key_id, 1);
	CHECK_EQ(c.s->p.reneg_req_ms, 0);
	now_ms += 200000;
	run(&c, true);
	CHECK_EQ(c.n_end, 0);
	cl_free(&c);
	cfg.vpn.tran_window = 3600;
	return 0;
}

/*
 * A CRL change (cp_tls_reload) revokes one certificate: the live session
 * made with it is found (cp_session_revoked, what the event loop asks of
 * every session) and, signalled, ends at once with HALT; another
 * certificate's session stays, and the revoked one cannot come back.
 */
static int test_crl_revoked(void)
{
	static const struct cn_entry mal = { V_ASN1_UTF8STRING, "mallory", 7 };
	X509 *x = cert_with(&mal, 1);
	char msg[64] = "", err[256];
	struct tcl a, b;

	now_ms = 16000000;
	cl_cert = x;
	CHECK_EQ(cl_establish(&a), 0);
	cl_cert = NULL;
	CHECK_EQ(cl_establish(&b), 0);
	CHECK(!cp_session_revoked(&ctx, a.s));
	CHECK_EQ(cp_test_pki_crl(&pki, &cfg.pki, &x, 1), 0);
	CHECK_EQ(cp_tls_reload(ctx.tls, err, sizeof(err)), 1);
	CHECK(cp_session_revoked(&ctx, a.s));
	CHECK(!cp_session_revoked(&ctx, b.s));
	cp_session_signal(a.s, CP_SIG_REVOKED);
	run(&a, true);
	CHECK_EQ(a.n_end, 1);
	CHECK_EQ(a.end, CP_END_REVOKED);
	CHECK_STR(cp_end_name(CP_END_REVOKED), "certificate revoked");
	CHECK_EQ(cl_read_msg(&a, "HALT", msg, sizeof(msg)), 0);
	CHECK_STR(msg, "HALT,certificate revoked");
	now_ms += 1000;
	run(&b, true);
	CHECK_EQ(b.n_end, 0);
	cl_free(&a);
	cl_free(&b);
	CHECK_EQ(cert_refused(X509_dup(x), "certificate refused: certificate revoked"), 0);
	X509_free(x);
	return 0;
}

/* One end by a user store change: signalled as the event loop does, the
 * session ends in its next run with HALT naming why. */
static int user_ends(struct tcl *c, unsigned sig, enum cp_end why, const char *halt)
{
	char msg[64] = "";

	cp_session_signal(c->s, sig);
	run(c, true);
	CHECK_EQ(c->n_end, 1);
	CHECK_EQ(c->end, why);
	CHECK_EQ(cl_read_msg(c, "HALT", msg, sizeof(msg)), 0);
	CHECK_STR(msg, halt);
	return 0;
}

/* USER with a password hash of PW into the store; 0 or -1. */
static int store_add(struct cp_store *st, const char *user, const char *pw)
{
	struct cp_store_user u = { .vpn = true };

	snprintf(u.email, sizeof(u.email), "%s", user);
	if (cp_users_hash(pw, 100000, u.pw_hash, sizeof(u.pw_hash)) != 0)
		return -1;
	return cp_store_user_add(st, &u, NULL);
}

/*
 * A user store change (cp_ctx_users_reload, what the event loop does every
 * second): the live session of a removed user is found (cp_ctx_user_gone)
 * and ends at once with HALT; another user's session stays; no change, no
 * new snapshot; a user whose VPN access is turned off ends too, and a
 * changed password hash ends its user's session (its cached credential
 * digest no longer counts).
 */
static int test_user_removed(void)
{
	char path[] = "/tmp/sl_cp_session_store.XXXXXX", hash[160], err[256];
	struct cp_users *old = NULL;
	struct tcl x, y, z;
	int fd = mkstemp(path);

	now_ms = 17000000;
	CHECK(fd >= 0);
	close(fd);
	cfg.pki.auth_user_pass = true;
	ctx.store = cp_store_open(path, &cfg.vpn, NULL);
	CHECK(ctx.store != NULL);
	CHECK_EQ(store_add(ctx.store, ALICE, ALICE_PW), 0);
	CHECK_EQ(store_add(ctx.store, BOB, BOB_PW), 0);
	CHECK_EQ(store_add(ctx.store, CAROL, CAROL_PW), 0);
	CHECK_EQ(cp_ctx_users_reload(&ctx, &old, err, sizeof(err)), 1);
	CHECK(old == NULL && ctx.users != NULL);
	CHECK_EQ(cl_establish_as(&x, ALICE, ALICE_PW), 0);
	CHECK_EQ(cl_establish_as(&y, BOB, BOB_PW), 0);
	CHECK_EQ(cl_establish_as(&z, CAROL, CAROL_PW), 0);
	CHECK_EQ(cp_ctx_users_reload(&ctx, &old, err, sizeof(err)), 0);	/* unchanged */
	/* Alice removed. */
	CHECK_EQ(cp_store_user_del(ctx.store, ALICE, NULL), 0);
	CHECK_EQ(cp_ctx_users_reload(&ctx, &old, err, sizeof(err)), 1);
	CHECK(old != NULL && !cp_users_has(ctx.users, ALICE));
	CHECK_EQ(cp_ctx_user_gone(&ctx, old, x.s), CP_SIG_USER_GONE);
	CHECK_EQ(cp_ctx_user_gone(&ctx, old, y.s), 0);
	CHECK_EQ(cp_ctx_user_gone(&ctx, old, z.s), 0);
	cp_users_free(old);
	CHECK_EQ(user_ends(&x, CP_SIG_USER_GONE, CP_END_USER_GONE, "HALT,user removed"), 0);
	now_ms += 1000;
	run(&y, true);
	CHECK_EQ(y.n_end, 0);
	/* Carol's VPN access off: her session ends like a removal. */
	CHECK_EQ(cp_store_user_set_vpn(ctx.store, CAROL, false, NULL), 0);
	CHECK_EQ(cp_ctx_users_reload(&ctx, &old, err, sizeof(err)), 1);
	CHECK_EQ(cp_ctx_user_gone(&ctx, old, z.s), CP_SIG_USER_GONE);
	CHECK_EQ(cp_ctx_user_gone(&ctx, old, y.s), 0);
	cp_users_free(old);
	CHECK_EQ(user_ends(&z, CP_SIG_USER_GONE, CP_END_USER_GONE, "HALT,user removed"), 0);
	/* Bob's hash changed (same password, new salt): his session ends. */
	CHECK_EQ(cp_users_hash(BOB_PW, 100000, hash, sizeof(hash)), 0);
	CHECK_EQ(cp_store_user_set_password(ctx.store, BOB, hash, NULL), 0);
	CHECK_EQ(cp_ctx_users_reload(&ctx, &old, err, sizeof(err)), 1);
	CHECK_EQ(cp_ctx_user_gone(&ctx, old, y.s), CP_SIG_USER_CHANGED);
	cp_users_free(old);
	CHECK_EQ(user_ends(&y, CP_SIG_USER_CHANGED, CP_END_USER_CHANGED, "HALT,user changed"), 0);
	cl_free(&x);
	cl_free(&y);
	cl_free(&z);
	users_off();
	cp_store_close(ctx.store);
	ctx.store = NULL;
	ctx.users_gen = 0;
	cfg.pki.auth_user_pass = false;
	unlink(path);
	return 0;
}

/* An older client's key method 2 message: peer-info PI and OCC string OPTS. */
static int send_km_old(struct tcl *c, const char *pi, const char *opts)
{
	struct ovpn_km_client km = { 0 };
	uint8_t buf[2048];
	int n;

	RAND_bytes(km.pre_master, sizeof(km.pre_master));
	RAND_bytes(km.random1, sizeof(km.random1));
	RAND_bytes(km.random2, sizeof(km.random2));
	snprintf(km.options, sizeof(km.options), "%s", opts);
	n = ovpn_km_build_client(&km, NULL, NULL, pi, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_EQ(SSL_write(c->ssl, buf, n), n);
	return 0;
}

#define OPTS_CBC "V4,dev-type tun,link-mtu 1570,tun-mtu 1500,proto UDPv4,comp-lzo," \
		 "cipher AES-256-CBC,auth SHA256,keysize 256,key-method 2,tls-client"

/* Only the first H bytes of a CBC key's hmac field are key material. */
static bool hmac_field_ok(const struct sl_key_dir *d, size_t h)
{
	uint8_t acc = 0, rest = 0;

	for (size_t i = 0; i < h; i++)
		acc |= d->hmac[i];
	for (size_t i = h; i < sizeof(d->hmac); i++)
		rest |= d->hmac[i];
	return acc != 0 && rest == 0;
}

/*
 * The Scalingo-style profile on a 2.4 client without NCP (IV_PROTO 2: no
 * IV_CIPHERS, no IV_NCP, no EKM; OCC "cipher AES-256-CBC", "comp-lzo"), an
 * AEAD-only vpn.data_ciphers, vpn.cipher AES-256-CBC and vpn.auth SHA256:
 * the fallback, its keys by the TLS PRF with SHA256 HMAC keys, P_DATA_V2
 * (DATA_V2 bit), comp-lzo framing.
 */
static int test_fallback_cipher(void)
{
	struct tcl c;

	now_ms = 13000000;
	snprintf(cfg.vpn.cipher, sizeof(cfg.vpn.cipher), "AES-256-CBC");
	snprintf(cfg.vpn.auth, sizeof(cfg.vpn.auth), "SHA256");
	CHECK_EQ(cl_tls(&c), 0);
	CHECK_EQ(send_km_old(&c, "IV_VER=2.4.12\nIV_PROTO=2\n", OPTS_CBC), 0);
	cl_until(&c, 2);
	CHECK_EQ(c.n_cmds, 2);
	CHECK_EQ(c.peer_new.u.peer.cipher, SL_CIPHER_AES_256_CBC);
	CHECK_EQ(c.peer_new.u.peer.digest, SL_DIGEST_SHA256);
	CHECK_EQ(c.peer_new.u.peer.data_v1, 0);
	CHECK_EQ(c.peer_new.u.peer.framing, SL_FRAMING_COMP_LZO);
	CHECK_EQ(c.key_new.u.key.cipher, SL_CIPHER_AES_256_CBC);
	CHECK_EQ(c.key_new.u.key.digest, SL_DIGEST_SHA256);
	CHECK(hmac_field_ok(&c.key_new.u.key.encrypt, 32));
	CHECK(hmac_field_ok(&c.key_new.u.key.decrypt, 32));
	CHECK(memcmp(c.key_new.u.key.encrypt.hmac, c.key_new.u.key.decrypt.hmac, 32) != 0);
	cl_free(&c);
	cfg.vpn.cipher[0] = '\0';
	snprintf(cfg.vpn.auth, sizeof(cfg.vpn.auth), "SHA1");
	return 0;
}

/*
 * A 2.3 client (no IV_PROTO: P_DATA_V1 without a peer-id) is refused with
 * vpn.data_v1 false; with it true its peer is a P_DATA_V1 peer. Its OCC
 * cipher names another cipher than the fallback: refused too.
 */
static int test_pre24_client(void)
{
	char log[8192];
	struct tcl c;

	now_ms = 14000000;
	snprintf(cfg.vpn.cipher, sizeof(cfg.vpn.cipher), "AES-256-CBC");
	log_begin();
	CHECK_EQ(cl_tls(&c), 0);
	CHECK_EQ(send_km_old(&c, "IV_VER=2.3.18\nIV_PLAT=linux\n", OPTS_CBC), 0);
	cl_until_end(&c);
	log_end(log, sizeof(log));
	CHECK_EQ(c.end, CP_END_AUTH);
	CHECK_EQ(c.n_cmds, 0);
	CHECK(strstr(log, "pre-2.4 client (P_DATA_V1, no peer-id) and vpn.data_v1 is false") != NULL);
	cl_free(&c);

	cfg.vpn.data_v1 = true;
	now_ms += 60000;
	CHECK_EQ(cl_tls(&c), 0);
	CHECK_EQ(send_km_old(&c, "IV_VER=2.3.18\nIV_PLAT=linux\n", OPTS_CBC), 0);
	cl_until(&c, 2);
	CHECK_EQ(c.n_cmds, 2);
	CHECK_EQ(c.peer_new.u.peer.data_v1, 1);
	CHECK_EQ(c.key_new.u.key.cipher, SL_CIPHER_AES_256_CBC);
	CHECK_EQ(c.key_new.u.key.digest, SL_DIGEST_SHA1);	/* vpn.auth default */
	cl_free(&c);

	now_ms += 60000;
	CHECK_EQ(cl_tls(&c), 0);
	CHECK_EQ(send_km_old(&c, "IV_VER=2.3.18\n", "V4,dev-type tun,cipher BF-CBC,auth SHA1,"
			     "keysize 128,key-method 2,tls-client"), 0);
	cl_until_end(&c);
	CHECK_EQ(c.end, CP_END_AUTH);
	CHECK_EQ(c.n_cmds, 0);
	cl_free(&c);
	cfg.vpn.data_v1 = false;
	cfg.vpn.cipher[0] = '\0';
	return 0;
}

/*
 * A store user with a static address and two iroutes: PEER_NEW gives the
 * static address, and one ROUTE_ADD per iroute follows it for the same
 * peer-id (the data plane then routes those subnets to the session).
 */
static int test_store_iroutes(void)
{
	char path[] = "/tmp/sl_cp_session_iroutes.XXXXXX", err[256];
	struct cp_store_user u = { .vpn = true };
	struct cp_users *old = NULL;
	struct tcl x;
	int fd = mkstemp(path);

	now_ms = 18000000;
	CHECK(fd >= 0);
	close(fd);
	cfg.pki.auth_user_pass = true;
	ctx.store = cp_store_open(path, &cfg.vpn, NULL);
	CHECK(ctx.store != NULL);
	snprintf(u.email, sizeof(u.email), ALICE);
	CHECK_EQ(cp_users_hash(ALICE_PW, 100000, u.pw_hash, sizeof(u.pw_hash)), 0);
	u.static_addr = sl_addr_v4(0x0a0a0021);			/* 10.10.0.33 */
	u.iroutes[0].addr = sl_addr_v4(0xc0a80a00);		/* 192.168.10.0/24 */
	u.iroutes[0].len = 24;
	u.iroutes[1].addr = sl_addr_v4(0xac100000);		/* 172.16.0.0/16 */
	u.iroutes[1].len = 16;
	u.n_iroutes = 2;
	CHECK_EQ(cp_store_user_add(ctx.store, &u, NULL), 0);
	CHECK_EQ(cp_ctx_users_reload(&ctx, &old, err, sizeof(err)), 1);
	CHECK_EQ(cl_tls(&x), 0);
	CHECK_EQ(send_km_as(&x, ALICE, ALICE_PW), 0);
	cl_until(&x, 4);
	CHECK_EQ(x.n_cmds, 4);			/* PEER_NEW, 2 x ROUTE_ADD, KEY_NEW */
	CHECK_EQ(x.peer_new.u.peer.vpn.v4, 0x0a0a0021);
	CHECK_EQ(x.n_routes, 2);
	CHECK_EQ(x.routes_before_peer, 0);
	for (unsigned i = 0; i < 2; i++)
		CHECK_EQ(x.routes[i].peer_id, x.peer_new.peer_id);
	/* The snapshot lists them in the store's order (by text). */
	CHECK_EQ(x.routes[0].u.route.prefix.v4, 0xac100000);
	CHECK_EQ(x.routes[0].u.route.len, 16);
	CHECK_EQ(x.routes[1].u.route.prefix.v4, 0xc0a80a00);
	CHECK_EQ(x.routes[1].u.route.len, 24);
	cl_free(&x);
	users_off();
	cp_store_close(ctx.store);
	ctx.store = NULL;
	ctx.users_gen = 0;
	cfg.pki.auth_user_pass = false;
	unlink(path);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "stateless cookie, then a session at msg-id 1", test_cookie },
	{ "lost acks: retransmit after 2 s, then 4 s", test_retransmit_lost_acks },
	{ "duplicate packet acked again, not re-fed", test_duplicates_acked_again },
	{ "hand-window expiry ends the session", test_hand_window },
	{ "full handshake: KEY_NEW keys = client EKM", test_full_handshake_keys },
	{ "the client's hard reset replayed into its session: every copy counted as a "
	  "replay, the first too", test_hard_reset_replayed },
	{ "reneg_bytes: counted after PEER_NEW, soft reset at the limit, recounted "
	  "after an abandoned one",
	  test_reneg_bytes },
	{ "reneg_pkts: soft reset at the limit", test_reneg_pkts },
	{ "packet-id exhaustion signal: soft reset", test_reneg_exhausted },
	{ "passwords off: a username sent is not the identity (fixed address, name)",
	  test_unverified_username },
	{ "invalid usernames (newline, space, non-ASCII, 48 bytes): AUTH_FAILED, logged "
	  "escaped", test_username_invalid },
	{ "passwords on: wrong password, unknown user, none: plain AUTH_FAILED",
	  test_auth_failed_plain },
	{ "client renegotiation: same credentials not hashed again, wrong ones and "
	  "another account refused", test_reneg_cached },
	{ "escaping: printable kept, other bytes as \\xNN, cut with ...", test_escape },
	{ "certificate names: none, two, NUL, non-ASCII, too long refused; a space "
	  "escaped", test_cert_names },
	{ "tran_window: our renegotiation unanswered, the key deleted and the session "
	  "ended; answered, kept", test_tran_window },
	{ "CRL change: the revoked certificate's live session ends with HALT, another "
	  "stays, a reconnect is refused", test_crl_revoked },
	{ "user store change: a removed user's live session ends with HALT, another "
	  "stays, VPN access off ends too, a changed hash ends too", test_user_removed },
	{ "store user: static address in PEER_NEW, its iroutes as ROUTE_ADD after it",
	  test_store_iroutes },
	{ "pre-NCP client, no IV_CIPHERS: the fallback cipher, CBC keys by PRF",
	  test_fallback_cipher },
	{ "pre-2.4 client: P_DATA_V1 peer only with vpn.data_v1", test_pre24_client },
	{ NULL, NULL }
};

int main(void)
{
	int rc;

	if (setup() != 0)
		return 1;
	rc = sl_test_run("cp_session", cases);
	cp_admit_free(admit);
	cp_ctx_close(&ctx);
	cp_test_pki_free(&pki);
	return rc;
}
