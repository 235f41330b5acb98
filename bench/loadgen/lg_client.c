/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulated client's state machine (lg_client.h). Packet order and
 * contents follow OpenVPN 2.6's own client: src/openvpn/ssl.c
 * (tls_process: reset, TLS, key_method_2_write), ssl_pkt.c (control
 * packet framing and acks), push.c (send_push_request, the PUSH_REPLY
 * options taken here: peer-id, ifconfig, cipher), ssl.c
 * tls_session_generate_data_channel_keys (EKM keys); with tls-crypt-v2,
 * ssl.c tls_session_init (the early-negotiation replay counter),
 * parse_early_negotiation_tlvs and control_packet_needs_wkc.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "lg_client.h"
#include "ovpn_kdf.h"
#include "ovpn_km.h"
#include "ovpn_push.h"

/* TLS bytes per control packet: OpenVPN's default tls-mtu (1250) minus
 * the tls-crypt and control headers leaves room for this much. */
#define LG_TLS_CHUNK	1000
/* The packet that carries WKc (up to 1024 bytes) too takes fewer TLS
 * bytes, so the datagram stays below the path MTU; at least this many. */
#define LG_TLS_CHUNK_MIN	256

static uint32_t unix_now(void)
{
	return (uint32_t)time(NULL);
}

static void fail(struct lg_client *c, const char *why)
{
	c->st = LG_ST_FAILED;
	c->why = why;
}

int lg_client_start(struct lg_client *c, const struct lg_client_cfg *cfg, uint64_t now_ms)
{
	bool v2 = cfg->wkc_len > 0;
	uint32_t id;
	int err = 0;

	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->peer_id = OVPN_PEER_ID_UNDEF;
	RAND_bytes(c->sid, sizeof(c->sid));
	c->wrap = ovpn_wrap_tls_crypt_new(cfg->tc_key, false, &err);
	c->ssl = SSL_new(cfg->sctx);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	if (c->wrap == NULL || c->ssl == NULL || c->rbio == NULL || c->wbio == NULL) {
		BIO_free(c->rbio);
		BIO_free(c->wbio);
		c->rbio = c->wbio = NULL;
		fail(c, "out of memory");
		return -1;
	}
	BIO_set_mem_eof_return(c->rbio, -1);
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_connect_state(c->ssl);
	/* A 2.6 tls-crypt-v2 client starts its replay counter at 0x0F000000:
	 * the early-negotiation signal (ssl.c tls_session_init). */
	ovpn_wrap_pid_tx_init(&c->wtx, v2 ? OVPN_V2_EARLY_NEG_START : 0);
	ovpn_wrap_replay_init(&c->wrx);
	ovpn_rel_init(&c->rel, 0, 0, 0);
	ovpn_rel_send(&c->rel, v2 ? OVPN_P_CONTROL_HARD_RESET_CLIENT_V3 :
		      OVPN_P_CONTROL_HARD_RESET_CLIENT_V2, NULL, 0, &id);
	c->push_at = now_ms;
	return 0;
}

/* Our key method 2 message (OpenVPN ssl.c key_method_2_write): fresh
 * randoms, the OCC options string, peer-info. */
static int send_km(struct lg_client *c)
{
	struct ovpn_km_client *km = ovpn_km_client_new();
	uint8_t buf[2048];
	int n = -1;

	if (km == NULL)
		return -1;
	RAND_bytes(km->pre_master, sizeof(km->pre_master));
	RAND_bytes(km->random1, sizeof(km->random1));
	RAND_bytes(km->random2, sizeof(km->random2));
	snprintf(km->options, sizeof(km->options), "V4,dev-type tun,link-mtu 1549,tun-mtu 1500,"
		 "proto UDPv4,cipher AES-256-GCM,auth [null-digest],keysize 256,"
		 "key-method 2,tls-client");
	n = ovpn_km_build_client(km, NULL, NULL, c->cfg->peer_info, buf, sizeof(buf));
	ovpn_km_client_free(km);
	if (n > 0 && SSL_write(c->ssl, buf, n) != n)
		n = -1;
	OPENSSL_cleanse(buf, sizeof(buf));
	return n > 0 ? 0 : -1;
}

static int key_init(struct ovpn_data_key *k, const struct ovpn_kdf_dir *d, int alg,
		    enum ovpn_data_dir dir, uint32_t peer_id)
{
	struct ovpn_data_key_cfg kc = {
		.alg = (enum ovpn_data_alg)alg, .md = OVPN_DATA_MD_NONE, .dir = dir,
		.key_id = 0, .opcode = OVPN_P_DATA_V2, .peer_id = peer_id,
		.cipher_key = d->key, .hmac_key = d->nonce_tail,
	};

	return ovpn_data_key_init(k, &kc);
}

/* Data keys from the TLS exporter, as both servers push tls-ekm to a
 * client that offers IV_PROTO_TLS_KEY_EXPORT. AEAD ciphers only. */
static int derive_keys(struct lg_client *c)
{
	uint8_t key2[OVPN_KDF_KEY2_LEN];
	struct ovpn_kdf_cipher kc;
	struct ovpn_kdf_keys keys;
	int alg = ovpn_data_alg_from_name(c->cipher);
	int rc = -1;

	if (alg < 0 || ovpn_kdf_cipher_lookup(c->cipher, "SHA1", &kc) != 0 || !kc.aead)
		return -1;
	if (ovpn_kdf_ekm(c->ssl, key2) == 0 && ovpn_kdf_keys_map(key2, &kc, false, &keys) == 0) {
		rc = key_init(&c->tx, &keys.tx, alg, OVPN_DATA_DIR_TX, c->peer_id);
		if (rc >= 0)
			rc = key_init(&c->rx, &keys.rx, alg, OVPN_DATA_DIR_RX, 0);
		ovpn_kdf_keys_wipe(&keys);
	}
	OPENSSL_cleanse(key2, sizeof(key2));
	ovpn_pktid_send_init(&c->tx_pid);
	ovpn_pktid_recv_init(&c->rx_pid, OVPN_PKTID_WINDOW_DEFAULT);
	return rc < 0 ? -1 : 0;
}

/* One PUSH_REPLY option (push.c: comma-separated, arguments by spaces). */
static void push_opt(struct lg_client *c, const char *o, bool *ekm)
{
	char a[64], m[64];
	struct in_addr in;

	if (sscanf(o, "peer-id %u", &c->peer_id) == 1)
		return;
	if (sscanf(o, "ifconfig %63s %63s", a, m) == 2 && inet_pton(AF_INET, a, &in) == 1)
		c->vpn_ip = ntohl(in.s_addr);
	else if (sscanf(o, "cipher %31s", c->cipher) == 1)
		return;
	else if (strncmp(o, "protocol-flags", 14) == 0 && strstr(o, "tls-ekm") != NULL)
		*ekm = true;
	else if (strcmp(o, "key-derivation tls-ekm") == 0)
		*ekm = true;
}

static void push_reply(struct lg_client *c, const char *arg, size_t len)
{
	char buf[2048], *save = NULL;
	bool ekm = false;

	snprintf(buf, sizeof(buf), "%.*s", (int)len, arg);
	for (char *o = strtok_r(buf, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save))
		push_opt(c, o, &ekm);
	if (c->peer_id == OVPN_PEER_ID_UNDEF || c->vpn_ip == 0 || c->cipher[0] == '\0')
		fail(c, "PUSH_REPLY without peer-id, ifconfig or cipher");
	else if (!ekm)
		fail(c, "PUSH_REPLY without tls-ekm");
	else if (derive_keys(c) != 0)
		fail(c, "data keys");
	else
		c->st = LG_ST_UP;
}

/* The server's key method 2 reply, then text messages (ssl_pkt.c
 * extract_command_buffer: NUL-terminated). */
static void read_text(struct lg_client *c)
{
	uint8_t r1[OVPN_KM_RANDOM_LEN], r2[OVPN_KM_RANDOM_LEN];
	char opts[OVPN_KM_OPTIONS_MAX];
	struct ovpn_push_msg m;
	const char *msg;
	size_t off = 0, mlen;
	int n;

	while (c->text_len < sizeof(c->text) &&
	       (n = SSL_read(c->ssl, c->text + c->text_len, (int)(sizeof(c->text) - c->text_len))) > 0)
		c->text_len += (size_t)n;
	if (!c->km_seen) {
		n = ovpn_km_parse_server(c->text, c->text_len, r1, r2, opts, sizeof(opts), NULL);
		if (n <= 0)
			return;		/* not all there yet */
		c->km_seen = true;
		off = (size_t)n;
	}
	while (c->st == LG_ST_PUSH &&
	       (n = ovpn_push_msg_next(c->text, c->text_len, &off, &msg, &mlen)) != 0) {
		if (n < 0)
			continue;
		ovpn_push_msg_parse(msg, mlen, &m);
		if (m.type == OVPN_PUSH_MSG_PUSH_REPLY)
			push_reply(c, m.arg, m.arg_len);
		else if (m.type == OVPN_PUSH_MSG_AUTH_FAILED || m.type == OVPN_PUSH_MSG_HALT ||
			 m.type == OVPN_PUSH_MSG_RESTART)
			fail(c, ovpn_push_msg_name(m.type));
	}
	memmove(c->text, c->text + off, c->text_len - off);
	c->text_len -= off;
}

void lg_client_input(struct lg_client *c, const uint8_t *wire, size_t len, uint64_t now_ms)
{
	uint8_t plain[LG_WIRE_MAX];
	const struct ovpn_rel_msg *m;
	struct ovpn_ctrl_pkt pkt;
	struct ovpn_wrap_rid rid;
	int n;

	(void)now_ms;
	if (c->st == LG_ST_FAILED)
		return;
	n = ovpn_wrap_unwrap(c->wrap, &c->wrx, wire, len, plain, sizeof(plain), &rid);
	if (n < 0 || ovpn_ctrl_parse(plain, (size_t)n, &pkt) != 0 || pkt.key_id != 0)
		return;		/* renegotiation is not emulated: runs are short */
	if (c->st == LG_ST_RESET && pkt.opcode == OVPN_P_CONTROL_HARD_RESET_SERVER_V2) {
		uint16_t flags = 0;

		memcpy(c->srv_sid, pkt.sid, OVPN_SID_LEN);
		c->st = LG_ST_TLS;
		c->tls_due = true;		/* the ClientHello */
		/* A cookie server asks a v2 client to send WKc again
		 * (ssl.c parse_early_negotiation_tlvs). */
		c->resend_wkc = c->cfg->wkc_len > 0 &&
				ovpn_ctrl_tlv_parse(pkt.payload, pkt.payload_len, &flags) == 0 &&
				(flags & OVPN_EARLY_NEG_FLAG_RESEND_WKC);
	} else if (c->st == LG_ST_RESET || memcmp(pkt.sid, c->srv_sid, OVPN_SID_LEN) != 0) {
		return;
	}
	ovpn_rel_recv(&c->rel, &pkt);
	while ((m = ovpn_rel_next(&c->rel)) != NULL) {
		if (m->opcode == OVPN_P_CONTROL_V1)
			c->tls_due |= BIO_write(c->rbio, m->data, m->len) > 0;
		ovpn_rel_pop(&c->rel);
	}
	if (c->st == LG_ST_PUSH || c->st == LG_ST_UP)
		read_text(c);
}

/* Handshake progress: TLS, then key method 2 and PUSH_REQUEST. */
static void step(struct lg_client *c, uint64_t now_ms)
{
	static const char push_req[] = "PUSH_REQUEST";

	/* Only when something came: a poll without news costs no TLS call. */
	if (c->st == LG_ST_TLS && c->tls_due) {
		c->tls_due = false;
		if (SSL_do_handshake(c->ssl) != 1) {
			int e = SSL_get_error(c->ssl, -1);

			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				fail(c, "TLS handshake");
			return;
		}
		if (send_km(c) != 0) {
			fail(c, "key method 2");
			return;
		}
		c->st = LG_ST_PUSH;
		/* A 2.6 server pushes unasked to IV_PROTO_REQUEST_PUSH; ask
		 * only if nothing came (push.c send_push_request). */
		c->push_at = now_ms + c->cfg->push_retry_ms;
		read_text(c);
	}
	if (c->st == LG_ST_PUSH && now_ms >= c->push_at) {
		SSL_write(c->ssl, push_req, sizeof(push_req));	/* with its NUL */
		c->push_at = now_ms + c->cfg->push_retry_ms;
	}
}

static void send_pkt(struct lg_client *c, uint8_t op, uint32_t msg_id, const uint8_t *p,
		     size_t len, lg_send_fn send, void *arg)
{
	struct ovpn_ctrl_pkt pkt = { .opcode = op, .has_msg_id = op != OVPN_P_ACK_V1,
				     .msg_id = msg_id, .payload = p, .payload_len = len };
	uint8_t plain[LG_WIRE_MAX], wire[LG_WIRE_MAX];
	int n;

	memcpy(pkt.sid, c->sid, OVPN_SID_LEN);
	memcpy(pkt.peer_sid, c->srv_sid, OVPN_SID_LEN);
	pkt.n_acks = (uint8_t)ovpn_rel_acks_take(&c->rel, pkt.acks, op == OVPN_P_ACK_V1 ?
						 OVPN_ACK_MAX : OVPN_ACK_PIGGY_MAX);
	n = ovpn_ctrl_build(&pkt, plain, sizeof(plain));
	if (n > 0)
		n = ovpn_wrap_wrap(c->wrap, &c->wtx, unix_now(), plain, (size_t)n, wire, sizeof(wire));
	if (n > 0 && (op == OVPN_P_CONTROL_HARD_RESET_CLIENT_V3 || op == OVPN_P_CONTROL_WKC_V1))
		n = ovpn_wrap_v2_append_wkc(wire, (size_t)n, sizeof(wire), c->cfg->wkc,
					    c->cfg->wkc_len);
	if (n > 0)
		send(arg, wire, (size_t)n);
}

/* After a reset that asked for it, our msg-id 1 carries WKc again, so a
 * stateless server can unwrap it (ssl.c control_packet_needs_wkc). */
static bool needs_wkc(const struct lg_client *c)
{
	return c->resend_wkc && c->rel.next_send_id == 1;
}

/* Queue what TLS wrote, as far as the send window allows. */
static void queue_tls(struct lg_client *c)
{
	uint8_t buf[LG_TLS_CHUNK];
	size_t room;
	uint32_t id;
	int len;

	while (ovpn_rel_can_send(&c->rel)) {
		bool wkc = needs_wkc(c);

		room = sizeof(buf);
		if (wkc)
			room = c->cfg->wkc_len + LG_TLS_CHUNK_MIN > LG_TLS_CHUNK ?
			       LG_TLS_CHUNK_MIN : LG_TLS_CHUNK - c->cfg->wkc_len;
		if ((len = BIO_read(c->wbio, buf, (int)room)) <= 0)
			break;
		ovpn_rel_send(&c->rel, wkc ? OVPN_P_CONTROL_WKC_V1 : OVPN_P_CONTROL_V1, buf,
			      (size_t)len, &id);
	}
	/* Only an ack to send while WKc is owed: an empty WKC_V1, reliable,
	 * so WKc is retransmitted until acked (ssl.c tls_process). */
	if (needs_wkc(c) && ovpn_rel_ack_pending(&c->rel))
		ovpn_rel_send(&c->rel, OVPN_P_CONTROL_WKC_V1, NULL, 0, &id);
}

void lg_client_poll(struct lg_client *c, uint64_t now_ms, lg_send_fn send, void *arg)
{
	struct ovpn_rel_out out[OVPN_REL_SEND_WINDOW];
	unsigned n;

	if (c->st == LG_ST_FAILED)
		return;
	step(c, now_ms);
	queue_tls(c);
	n = ovpn_rel_poll(&c->rel, now_ms, out, OVPN_REL_SEND_WINDOW);
	for (unsigned i = 0; i < n; i++) {
		c->retx += out[i].retransmit;
		send_pkt(c, out[i].opcode, out[i].msg_id, out[i].payload, out[i].len, send, arg);
	}
	if (ovpn_rel_ack_pending(&c->rel))
		send_pkt(c, OVPN_P_ACK_V1, 0, NULL, 0, send, arg);
}

size_t lg_client_head(const struct lg_client *c)
{
	return ovpn_data_head_len(&c->tx);
}

int lg_client_seal(struct lg_client *c, uint8_t *pkt, size_t pt_len, size_t cap)
{
	uint32_t pid;
	int rc = ovpn_pktid_send_next(&c->tx_pid, &pid);

	if (rc < 0)
		return rc;
	return ovpn_data_seal(&c->tx, pkt, pt_len, cap, pid);
}

int lg_client_open(struct lg_client *c, uint8_t *pkt, size_t len, size_t *pt_len)
{
	struct ovpn_data_rx rx;
	int n = ovpn_data_open(&c->rx, pkt, len, &rx);

	if (n > 0 && ovpn_pktid_recv_check(&c->rx_pid, rx.pid) != 0)
		n = OVPN_DATA_ERR_REPLAY;
	if (n <= 0) {
		c->rx_bad++;
		return n < 0 ? n : -1;
	}
	*pt_len = (size_t)n;
	return rx.off;
}

void lg_client_exit(struct lg_client *c)
{
	static const char msg[] = "EXIT";

	if (c->st == LG_ST_UP)
		SSL_write(c->ssl, msg, sizeof(msg));	/* with its NUL */
}

void lg_client_free(struct lg_client *c)
{
	SSL_free(c->ssl);	/* frees both BIOs */
	ovpn_wrap_free(c->wrap);
	ovpn_data_key_free(&c->tx);
	ovpn_data_key_free(&c->rx);
	OPENSSL_cleanse(c->text, sizeof(c->text));
	c->ssl = NULL;
	c->wrap = NULL;
}
