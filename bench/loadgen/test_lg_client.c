/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-loadgen's client state machine (lg_client.c) against the control
 * plane in process, with injected time: admission (the stateless cookie),
 * TLS 1.3 and 1.2, key method 2, PUSH_REPLY; then the data keys each side
 * derived are checked against each other by sealing on one side and
 * opening on the other, both ways. A client with the wrong tls-crypt key
 * never gets past its hard reset. With tls-crypt-v2 the same against a
 * second control plane holding a server key, with a per-user client key
 * made by the project's generator (pki/, sl_pki_tc2_client_key): the
 * client sends HARD_RESET_CLIENT_V3 and then, as the cookie reply asks,
 * WKc again in P_CONTROL_WKC_V1. The PKI and the control-plane context
 * come from the control plane's own test fixture (tests/unit/test_cp_pki.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "cp_admit.h"
#include "cp_out.h"
#include "cp_pool.h"
#include "cp_session.h"
#include "lg_client.h"
#include "ovpn_key_file.h"
#include "sl_pki.h"
#include "sl_test.h"
#include "test_cp_pki.h"

static uint64_t now_ms = 1000000;
static uint64_t test_now(void) { return now_ms; }

static struct cp_test_pki pki;
static struct sl_config cfg;
static struct cp_ctx ctx;
static struct cp_admit *admit;
/* The tls-crypt-v2 control plane and its server key. */
static struct sl_config cfg2;
static struct cp_ctx ctx2;
static struct cp_admit *admit2;
static uint8_t v2_server_key[OVPN_V2_SERVER_KEY_LEN];
static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };

static int setup(void)
{
	char err[256];

	CHECK_EQ(cp_test_pki_make(&pki, &cfg.pki), 0);
	/* A small concentrator: the generator's sessions come from one address. */
	cfg.vpn.pool.addr = 0x0a1e0000;		/* 10.30.0.0/26 */
	cfg.vpn.pool.len = 26;
	cfg.vpn.max_clients = 4;
	cfg.vpn.tun_mtu = 1400;
	cfg.vpn.hand_window = 10;
	cfg.vpn.tran_window = 60;
	cfg.vpn.ping = 5;
	cfg.vpn.ping_restart = 30;
	cfg.ctl.max_half_open = 4;
	cfg.ctl.connect_rate = 1000;
	snprintf(cfg.vpn.data_ciphers[0], sizeof(cfg.vpn.data_ciphers[0]), "AES-256-GCM");
	cfg.vpn.n_ciphers = 1;
	snprintf(cfg.vpn.auth, sizeof(cfg.vpn.auth), "SHA256");
	ctx.now_ms = test_now;
	CHECK_EQ(cp_ctx_open(&ctx, &cfg, err, sizeof(err)), 0);
	admit = cp_admit_new(&ctx);
	CHECK(admit != NULL);
	return 0;
}

static int write_text(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");
	size_t n = f != NULL ? fwrite(text, 1, len, f) : 0;

	return f != NULL && fclose(f) == 0 && n == len ? 0 : -1;
}

/* The same control plane with a tls-crypt-v2 server key in place of the
 * tls-crypt key (pki.tls_crypt_v2): fresh key bytes, written as openvpn
 * --genkey tls-crypt-v2-server writes them, in the fixture's folder. */
static int setup_v2(void)
{
	char text[2048], err[256];
	int n;

	CHECK_EQ(RAND_bytes(v2_server_key, sizeof(v2_server_key)), 1);
	n = ovpn_key_file_write_v2_server(v2_server_key, text, sizeof(text));
	CHECK(n > 0);
	cfg2 = cfg;
	cfg2.pki.tls_crypt[0] = '\0';
	snprintf(cfg2.pki.tls_crypt_v2, sizeof(cfg2.pki.tls_crypt_v2), "%s/lg-v2.key", pki.dir);
	CHECK_EQ(write_text(cfg2.pki.tls_crypt_v2, text, (size_t)n), 0);
	OPENSSL_cleanse(text, sizeof(text));
	ctx2.now_ms = test_now;
	CHECK_EQ(cp_ctx_open(&ctx2, &cfg2, err, sizeof(err)), 0);
	unlink(cfg2.pki.tls_crypt_v2);
	admit2 = cp_admit_new(&ctx2);
	CHECK(admit2 != NULL);
	return 0;
}

/* The "network" between one client and the control plane. */
struct link {
	struct cp_ctx *ctx;
	struct cp_admit *admit;
	struct lg_client *c;
	struct sl_endpoint ep;
	struct cp_session *s;
	struct sl_cmd peer_new, key_new;
	unsigned n_cmds;
	struct cp_v2meta meta;			/* the session's, when it began */
	uint8_t ops[4];				/* the client's first opcodes */
	unsigned n_ops;
	struct cp_pkt *q[32];			/* on their way to the client */
	unsigned n_q;
};

/* Packets reach the client at its next round, as over a network: it
 * reads everything that came, then polls (what loadgen.c does). */
static void to_client(struct link *l, const struct cp_pkt *p)
{
	if (l->n_q < sizeof(l->q) / sizeof(l->q[0]))
		l->q[l->n_q++] = cp_pkt_new(p->data, p->len, &p->peer, mac);
}

static void client_rx(struct link *l)
{
	for (unsigned i = 0; i < l->n_q; i++) {
		if (l->q[i] != NULL)
			lg_client_input(l->c, l->q[i]->data, l->q[i]->len, now_ms);
		free(l->q[i]);
	}
	l->n_q = 0;
}

/* lg_send_fn: a client packet into admission or its session. */
static void to_server(void *arg, const uint8_t *wire, size_t len)
{
	struct link *l = arg;
	struct cp_pkt *in = cp_pkt_new(wire, len, &l->ep, mac), *reply = NULL;
	struct cp_admit_ok ok = { 0 };

	if (l->n_ops < sizeof(l->ops))
		l->ops[l->n_ops++] = wire[0] >> 3;
	if (l->s != NULL) {
		cp_session_post(l->ctx, l->s, in);
		return;
	}
	switch (cp_admit_packet(l->admit, in, NULL, now_ms / 1000, &reply, &ok)) {
	case CP_ADMIT_REPLY:
		to_client(l, reply);
		break;
	case CP_ADMIT_NEW:
		l->s = cp_session_new(l->ctx, &ok, now_ms);
		if (l->s != NULL) {
			l->meta = l->s->v2meta;
			cp_session_post(l->ctx, l->s, in);
			in = NULL;
		}
		break;
	default:
		break;
	}
	free(reply);
	free(in);
}

static void server_run(struct link *l)
{
	struct cp_out *o, *next;

	if (l->s != NULL)
		cp_session_run(l->ctx, l->s, now_ms);
	for (o = cp_out_take_all(l->ctx); o != NULL; o = next) {
		next = o->next;
		if (o->type == CP_OUT_PKT)
			to_client(l, o->pkt);
		if (o->type == CP_OUT_CMD && o->cmd.type == SL_CMD_PEER_NEW)
			l->peer_new = o->cmd;
		if (o->type == CP_OUT_CMD && o->cmd.type == SL_CMD_KEY_NEW)
			l->key_new = o->cmd;
		l->n_cmds += o->type == CP_OUT_CMD;
		cp_out_free(o);
	}
}

/* Exchange packets, 10 ms apart, until the client is up, failed, or
 * 200 rounds went by. */
static void converse(struct link *l)
{
	for (int i = 0; i < 200 && l->c->st != LG_ST_UP && l->c->st != LG_ST_FAILED; i++) {
		client_rx(l);
		lg_client_poll(l->c, now_ms, to_server, l);
		server_run(l);
		now_ms += 10;
	}
}

static void link_end(struct link *l)
{
	if (l->s != NULL) {
		cp_session_end(l->s, CP_END_SHUTDOWN);
		server_run(l);
		if (l->s->p.peer_id != UINT32_MAX)
			cp_pool_release(l->ctx->pool, l->s->p.peer_id, l->s->p.vpn_ip);
		cp_session_unref(l->s);
	}
	client_rx(l);
	lg_client_free(l->c);
}

static SSL_CTX *client_tls(int max_version)
{
	SSL_CTX *x = SSL_CTX_new(TLS_client_method());

	SSL_CTX_use_certificate(x, pki.cli_cert);
	SSL_CTX_use_PrivateKey(x, pki.cli_key);
	X509_STORE_add_cert(SSL_CTX_get_cert_store(x), pki.ca);
	SSL_CTX_set_verify(x, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_max_proto_version(x, max_version);
	return x;
}

/* A data-plane key from the control plane's KEY_NEW half D. */
static int dp_key(struct ovpn_data_key *k, const struct sl_key_dir *d, enum ovpn_data_dir dir,
		  uint32_t peer_id)
{
	struct ovpn_data_key_cfg kc = {
		.alg = OVPN_DATA_ALG_AES_256_GCM, .dir = dir, .opcode = OVPN_P_DATA_V2,
		.peer_id = peer_id, .cipher_key = d->key, .hmac_key = d->nonce_tail,
	};

	return ovpn_data_key_init(k, &kc);
}

/* Client -> server and server -> client with the keys each side made. */
static int keys_agree(struct link *l)
{
	struct ovpn_data_key srx = { 0 }, stx = { 0 };
	struct ovpn_data_rx rx;
	uint8_t pkt[256];
	size_t head = lg_client_head(l->c), pt = 0;
	int n, off;

	CHECK_EQ(l->key_new.u.key.cipher, SL_CIPHER_AES_256_GCM);
	CHECK_EQ(dp_key(&srx, &l->key_new.u.key.decrypt, OVPN_DATA_DIR_RX, 0), 0);
	CHECK_EQ(dp_key(&stx, &l->key_new.u.key.encrypt, OVPN_DATA_DIR_TX, l->c->peer_id), 0);
	memcpy(pkt + head, "to the LAN", 10);
	n = lg_client_seal(l->c, pkt, 10, sizeof(pkt));
	CHECK(n > 0);
	CHECK_EQ(pkt[0] >> 3, OVPN_P_DATA_V2);
	CHECK_EQ(ovpn_data_peer_id(pkt), l->peer_new.peer_id);
	CHECK_EQ(ovpn_data_open(&srx, pkt, (size_t)n, &rx), 10);
	CHECK_MEM(pkt + rx.off, "to the LAN", 10);
	head = ovpn_data_head_len(&stx);
	memcpy(pkt + head, "back", 4);
	n = ovpn_data_seal(&stx, pkt, 4, sizeof(pkt), 1);
	CHECK(n > 0);
	off = lg_client_open(l->c, pkt, (size_t)n, &pt);
	CHECK(off > 0);
	CHECK_EQ(pt, 4);
	CHECK_MEM(pkt + off, "back", 4);
	CHECK(lg_client_open(l->c, pkt, (size_t)n, &pt) < 0);	/* opened in place: garbage now */
	CHECK_EQ(l->c->rx_bad, 1);
	ovpn_data_key_free(&srx);
	ovpn_data_key_free(&stx);
	return 0;
}

/* A handshake to the end, with LC's wrapping key, against L's control plane. */
static int handshake_on(struct link *l, struct lg_client_cfg *lc, int max_version)
{
	struct lg_client c;

	l->c = &c;
	lc->peer_info = "IV_VER=2.6.14\nIV_PROTO=990\nIV_CIPHERS=AES-256-GCM:AES-128-GCM\n";
	lc->push_retry_ms = 1000;
	lc->sctx = client_tls(max_version);
	CHECK_EQ(lg_client_start(&c, lc, now_ms), 0);
	converse(l);
	CHECK_EQ(c.st, LG_ST_UP);
	CHECK_EQ(SSL_version(c.ssl), max_version);
	CHECK_EQ(l->n_cmds, 2);				/* PEER_NEW, KEY_NEW */
	CHECK_EQ(c.peer_id, l->peer_new.peer_id);
	CHECK_EQ(c.vpn_ip, l->peer_new.u.peer.vpn.v4);	/* what the data plane was told */
	CHECK_STR(c.cipher, "AES-256-GCM");
	CHECK_EQ(keys_agree(l), 0);
	link_end(l);
	SSL_CTX_free(lc->sctx);
	return 0;
}

static int handshake(int max_version)
{
	struct lg_client_cfg lc = { 0 };
	struct link l = { .ctx = &ctx, .admit = admit, .ep = sl_endpoint_udp4(0xc0000202, 40000) };

	memcpy(lc.tc_key, pki.tc_key, sizeof(lc.tc_key));
	CHECK_EQ(handshake_on(&l, &lc, max_version), 0);
	CHECK_EQ(l.ops[0], OVPN_P_CONTROL_HARD_RESET_CLIENT_V2);
	CHECK_EQ(l.ops[1], OVPN_P_CONTROL_V1);		/* the ClientHello */
	return 0;
}

static int test_tls13(void) { return handshake(TLS1_3_VERSION); }
static int test_tls12(void) { return handshake(TLS1_2_VERSION); }

/* A per-user tls-crypt-v2 client key from the server key, loaded as the
 * generator loads its --tls-crypt-v2 file. */
static int v2_client_key(const uint8_t *server_key, struct lg_client_cfg *lc)
{
	char text[SL_PKI_TC2_CLIENT_TEXT_MAX];
	struct ovpn_key_file_error ke;
	struct sl_pki_error e;
	int n = sl_pki_tc2_client_key(server_key, "client1", text, sizeof(text), &e);

	CHECK(n > 0);
	CHECK_EQ(ovpn_key_file_parse_v2_client(text, (size_t)n, lc->tc_key, lc->wkc,
					       sizeof(lc->wkc), &lc->wkc_len, &ke), 0);
	CHECK(lc->wkc_len >= OVPN_V2_WKC_MIN);
	return 0;
}

/* tls-crypt-v2: V3 with WKc, then WKc again in WKC_V1 with the
 * ClientHello (the cookie reply's early-negotiation flag), up, keys
 * agree; the session keeps the key's metadata (USER, "client1"). */
static int v2_handshake(int max_version)
{
	static const uint8_t meta[] = "\x00" "client1";
	struct lg_client_cfg lc = { 0 };
	struct link l = { .ctx = &ctx2, .admit = admit2, .ep = sl_endpoint_udp4(0xc0000204, 40002) };

	CHECK_EQ(v2_client_key(v2_server_key, &lc), 0);
	CHECK_EQ(handshake_on(&l, &lc, max_version), 0);
	CHECK_EQ(l.ops[0], OVPN_P_CONTROL_HARD_RESET_CLIENT_V3);
	CHECK_EQ(l.ops[1], OVPN_P_CONTROL_WKC_V1);
	CHECK_EQ(l.ops[2], OVPN_P_CONTROL_V1);		/* WKc no more */
	CHECK_EQ(l.meta.len, sizeof(meta) - 1);
	CHECK_MEM(l.meta.data, meta, sizeof(meta) - 1);
	OPENSSL_cleanse(&lc, sizeof(lc));
	return 0;
}

static int test_v2_tls13(void) { return v2_handshake(TLS1_3_VERSION); }
static int test_v2_tls12(void) { return v2_handshake(TLS1_2_VERSION); }

/* A client key wrapped under another server key: its V3 is dropped
 * unread (the WKc tag fails), no session. */
static int test_v2_foreign_key(void)
{
	struct lg_client_cfg lc = { .peer_info = "IV_PROTO=990\n", .push_retry_ms = 1000 };
	struct link l = { .ctx = &ctx2, .admit = admit2, .ep = sl_endpoint_udp4(0xc0000205, 40003) };
	uint8_t other[OVPN_V2_SERVER_KEY_LEN];
	struct lg_client c;

	memcpy(other, v2_server_key, sizeof(other));
	other[0] ^= 1;
	CHECK_EQ(v2_client_key(other, &lc), 0);
	lc.sctx = client_tls(TLS1_3_VERSION);
	l.c = &c;
	CHECK_EQ(lg_client_start(&c, &lc, now_ms), 0);
	converse(&l);
	CHECK_EQ(c.st, LG_ST_RESET);
	CHECK(l.s == NULL);
	CHECK_EQ(l.ops[0], OVPN_P_CONTROL_HARD_RESET_CLIENT_V3);
	link_end(&l);
	SSL_CTX_free(lc.sctx);
	return 0;
}

/* The wrong tls-crypt key: the server drops every packet unread; the
 * client stays in its reset state, retransmitting. */
static int test_wrong_tls_crypt(void)
{
	struct lg_client_cfg lc = { .peer_info = "IV_PROTO=990\n", .push_retry_ms = 1000 };
	struct lg_client c;
	struct link l = { .ctx = &ctx, .admit = admit, .c = &c,
			  .ep = sl_endpoint_udp4(0xc0000203, 40001) };

	lc.sctx = client_tls(TLS1_3_VERSION);
	memcpy(lc.tc_key, pki.tc_key, sizeof(lc.tc_key));
	lc.tc_key[0] ^= 1;
	CHECK_EQ(lg_client_start(&c, &lc, now_ms), 0);
	converse(&l);
	CHECK_EQ(c.st, LG_ST_RESET);
	CHECK(l.s == NULL);
	link_end(&l);
	SSL_CTX_free(lc.sctx);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "TLS 1.3: up, peer-id/ifconfig/cipher pushed, keys agree both ways", test_tls13 },
	{ "TLS 1.2: the same", test_tls12 },
	{ "wrong tls-crypt key: dropped unread, no session", test_wrong_tls_crypt },
	{ "tls-crypt-v2, TLS 1.3: V3 and WKC_V1 with WKc, up, keys agree, metadata kept",
	  test_v2_tls13 },
	{ "tls-crypt-v2, TLS 1.2: the same", test_v2_tls12 },
	{ "tls-crypt-v2 key of another server: dropped unread, no session", test_v2_foreign_key },
	{ NULL, NULL }
};

static void teardown(void)
{
	cp_admit_free(admit);
	cp_ctx_close(&ctx);
	cp_admit_free(admit2);
	cp_ctx_close(&ctx2);
	OPENSSL_cleanse(v2_server_key, sizeof(v2_server_key));
	cp_test_pki_free(&pki);
}

int main(void)
{
	int rc;

	if (setup() != 0 || setup_v2() != 0)
		return 1;	/* what setup made is left to the process exit */
	rc = sl_test_run("lg_client", cases);
	teardown();
	return rc;
}
