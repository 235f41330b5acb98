/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Known answers from a real OpenVPN 2.6.14 client (tests/unit/data/ctrl,
 * recipe in its README): passive captures of its hard reset under
 * tls-crypt, tls-auth (SHA1, SHA256) and tls-crypt-v2, and live exchanges
 * where the client accepted our cookie reset and answered with msg-id 1.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ovpn_ctrl.h"
#include "ovpn_key_file.h"
#include "ovpn_wrap.h"
#include "ovpn_wrap_cookie.h"
#include "ovpn_wrap_v2.h"
#include <openssl/crypto.h>

#include "sl_test.h"

#define DATA SL_TEST_DATA_DIR "/ctrl/"
#define MAX_PKTS 8

struct cap_pkt {
	char dir[4];		/* "rx" = client->server, "tx" = our reply */
	uint32_t time;
	struct sockaddr_in from;
	uint8_t data[2048];
	size_t len;
};

static struct cap_pkt pkts[MAX_PKTS];
static uint8_t key2[OVPN_KEY2_LEN];
static uint8_t v2key[OVPN_V2_SERVER_KEY_LEN];

static int unhex(const char *s, uint8_t *out, size_t cap, size_t *n)
{
	size_t len = strlen(s);

	if (len % 2 || len / 2 > cap)
		return -1;
	for (size_t i = 0; i < len / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*n = len / 2;
	return 0;
}

/* "dir unix-time ip:port hex" lines; '#' lines are notes. */
static int load_cap(const char *name)
{
	static char text[OVPN_KEY_FILE_MAX];
	char path[512], *line, *save = NULL;
	size_t len;
	int n = 0;

	snprintf(path, sizeof(path), DATA "%s", name);
	if (ovpn_key_file_load(path, text, sizeof(text) - 1, &len, NULL) < 0)
		return -1;
	text[len] = '\0';
	for (line = strtok_r(text, "\n", &save); line && n < MAX_PKTS;
	     line = strtok_r(NULL, "\n", &save)) {
		char dir[4], addr[64], hex[4200], *colon;
		struct cap_pkt *p = &pkts[n];

		if (line[0] == '#' || sscanf(line, "%3s %u %63s %4199s", dir,
					     &p->time, addr, hex) != 4)
			continue;
		memcpy(p->dir, dir, sizeof(dir));
		if ((colon = strchr(addr, ':')) == NULL)
			return -1;
		*colon = '\0';
		memset(&p->from, 0, sizeof(p->from));
		p->from.sin_family = AF_INET;
		p->from.sin_port = htons((uint16_t)atoi(colon + 1));
		inet_pton(AF_INET, addr, &p->from.sin_addr);
		if (unhex(hex, p->data, sizeof(p->data), &p->len) < 0)
			return -1;
		n++;
	}
	return n;
}

static int load_keys(void)
{
	static char text[OVPN_KEY_FILE_MAX];
	size_t len;

	if (ovpn_key_file_load(DATA "ta.key", text, sizeof(text), &len, NULL) ||
	    ovpn_key_file_parse_static(text, len, key2, NULL))
		return -1;
	if (ovpn_key_file_load(DATA "srv.key", text, sizeof(text), &len, NULL) ||
	    ovpn_key_file_parse_v2_server(text, len, v2key, NULL))
		return -1;
	return 0;
}

/* Client hard reset retransmissions: replay-ids 1, 2, 3 under one time. */
static int check_resets(struct ovpn_wrap *srv, struct ovpn_wrap *cli, int n,
			size_t expect_len)
{
	struct ovpn_wrap_replay rp;
	uint8_t plain[256], again[256];
	struct ovpn_wrap_rid rid;
	struct ovpn_ctrl_pkt p;

	ovpn_wrap_replay_init(&rp);
	for (int i = 0; i < n; i++) {
		int len = ovpn_wrap_unwrap(srv, &rp, pkts[i].data, pkts[i].len,
					   plain, sizeof(plain), &rid);

		CHECK_EQ(pkts[i].len, expect_len);
		CHECK_EQ(len, 14);
		CHECK_EQ(rid.counter, i + 1);
		CHECK_EQ(ovpn_ctrl_parse(plain, (size_t)len, &p), 0);
		CHECK_EQ(p.opcode, OVPN_P_CONTROL_HARD_RESET_CLIENT_V2);
		CHECK_EQ(p.n_acks, 0);
		CHECK_EQ(p.msg_id, 0);
		/* Our client-side wrap of the same plain packet is identical. */
		if (ovpn_wrap_mode(cli) == OVPN_WRAP_TLS_AUTH)
			len = ovpn_wrap_tls_auth_wrap(cli, &rid, plain, 14,
						      again, sizeof(again));
		else
			len = ovpn_wrap_tls_crypt_wrap(cli, &rid, plain, 14,
						       again, sizeof(again));
		CHECK_EQ(len, pkts[i].len);
		CHECK_MEM(again, pkts[i].data, pkts[i].len);
	}
	CHECK_EQ(ovpn_wrap_unwrap(srv, &rp, pkts[0].data, pkts[0].len, plain,
				  sizeof(plain), &rid), -OVPN_WRAP_E_REPLAY);
	return 0;
}

static int test_tls_crypt_capture(void)
{
	int err, n = load_cap("cap_tlscrypt.txt"), rc;
	struct ovpn_wrap *srv = ovpn_wrap_tls_crypt_new(key2, true, &err);
	struct ovpn_wrap *cli = ovpn_wrap_tls_crypt_new(key2, false, &err);

	CHECK_EQ(n, 3);
	rc = check_resets(srv, cli, n, 54);
	ovpn_wrap_free(srv);
	ovpn_wrap_free(cli);
	return rc;
}

static int tls_auth_capture(const char *file, enum ovpn_wrap_digest d,
			    int npkts, size_t len)
{
	int err, n = load_cap(file), rc;
	struct ovpn_wrap *srv = ovpn_wrap_tls_auth_new(key2, d, OVPN_KEY_DIR_NORMAL, &err);
	struct ovpn_wrap *cli = ovpn_wrap_tls_auth_new(key2, d, OVPN_KEY_DIR_INVERSE, &err);
	struct ovpn_wrap *bidi = ovpn_wrap_tls_auth_new(key2, d, OVPN_KEY_DIR_BIDI, &err);
	struct ovpn_wrap_rid rid;
	uint8_t plain[256];

	CHECK_EQ(n, npkts);
	rc = check_resets(srv, cli, n, len);
	/* Without key-direction the receiver would use key[0]: refused. */
	if (rc == 0 && ovpn_wrap_unwrap(bidi, NULL, pkts[0].data, pkts[0].len,
					plain, sizeof(plain), &rid) != -OVPN_WRAP_E_AUTH)
		rc = -1;
	ovpn_wrap_free(srv);
	ovpn_wrap_free(cli);
	ovpn_wrap_free(bidi);
	return rc;
}

static int test_tls_auth_capture(void)
{
	return tls_auth_capture("cap_tlsauth.txt", OVPN_WRAP_SHA1, 3, 42);
}

static int test_tls_auth256_capture(void)
{
	return tls_auth_capture("cap_tlsauth256.txt", OVPN_WRAP_SHA256, 2, 54);
}

static int test_tls_crypt_v2_capture(void)
{
	static char text[OVPN_KEY_FILE_MAX];
	uint8_t kc[256], file_kc[256], file_wkc[1024], meta[800], plain[512];
	uint8_t wkc[1024];
	size_t mlen, wlen, tlen, off;
	struct ovpn_wrap_rid rid;
	struct ovpn_ctrl_pkt p;
	uint64_t ts;
	uint8_t type;
	int err, n = load_cap("cap_tlscryptv2.txt"), len;
	struct ovpn_wrap_v2_server *s = ovpn_wrap_v2_server_new(v2key, &err);
	struct ovpn_wrap *tc = ovpn_wrap_tls_crypt_new(key2, true, &err);

	CHECK_EQ(n, 2);
	CHECK_EQ(ovpn_key_file_load(DATA "cli.key", text, sizeof(text), &tlen, NULL), 0);
	CHECK_EQ(ovpn_key_file_parse_v2_client(text, tlen, file_kc, file_wkc,
					       sizeof(file_wkc), &wlen, NULL), 0);
	for (int i = 0; i < n; i++) {
		len = ovpn_wrap_v2_server_unwrap(s, tc, NULL, pkts[i].data,
						 pkts[i].len, plain, sizeof(plain),
						 &rid, kc, meta, sizeof(meta), &mlen);
		CHECK_EQ(len, 14);
		CHECK_EQ(rid.counter, OVPN_V2_EARLY_NEG_START + 1 + (unsigned)i);
		CHECK(ovpn_wrap_v2_early_neg(rid.counter));
		CHECK_EQ(ovpn_ctrl_parse(plain, (size_t)len, &p), 0);
		CHECK_EQ(p.opcode, OVPN_P_CONTROL_HARD_RESET_CLIENT_V3);
		CHECK_MEM(kc, file_kc, 256);
		CHECK_EQ(ovpn_wrap_v2_split(pkts[i].data, pkts[i].len, &off), wlen);
		CHECK_MEM(pkts[i].data + off, file_wkc, wlen);
	}
	/* --genkey default metadata: TIMESTAMP, 8 bytes; WKc 299 bytes. */
	CHECK_EQ(wlen, 299);
	CHECK_EQ(ovpn_wrap_v2_meta_parse(meta, mlen, &type, &ts), 0);
	CHECK_EQ(type, OVPN_V2_META_TIMESTAMP);
	CHECK(ts > 1700000000u && ts <= pkts[0].time);
	/* Re-wrapping Kc + metadata reproduces openvpn's WKc exactly. */
	CHECK_EQ(ovpn_wrap_v2_wrap_client_key(s, kc, meta, mlen, wkc, sizeof(wkc)), 299);
	CHECK_MEM(wkc, file_wkc, 299);
	ovpn_wrap_v2_server_free(s);
	ovpn_wrap_free(tc);
	return 0;
}

/*
 * Live exchange: pkts[0] client reset, pkts[1] our cookie reply, pkts[2]
 * the client's msg-id 1 that acks our msg 0 and echoes the cookie.
 */
static int check_live(struct ovpn_wrap *srv, struct ovpn_wrap *cli,
		      struct ovpn_wrap_v2_server *v2)
{
	static const uint8_t ck[32] = { [0 ... 31] = 0x42 };
	uint8_t plain[2048], kc[256], meta[800];
	struct ovpn_wrap_rid rid;
	struct ovpn_ctrl_pkt reset, reply, next;
	size_t mlen;
	int err, len;
	struct ovpn_wrap_cookie *c = ovpn_wrap_cookie_new(ck, 60, &err);
	struct sockaddr_in other;

	CHECK_EQ(load_cap(v2 ? "live_v2.txt" : (ovpn_wrap_mode(srv) ==
		 OVPN_WRAP_TLS_AUTH ? "live_tlsauth.txt" : "live_tlscrypt.txt")), 3);
	CHECK_STR(pkts[1].dir, "tx");
	len = v2 ? ovpn_wrap_v2_server_unwrap(v2, srv, NULL, pkts[0].data, pkts[0].len,
					      plain, sizeof(plain), &rid, kc,
					      meta, sizeof(meta), &mlen)
		 : ovpn_wrap_unwrap(srv, NULL, pkts[0].data, pkts[0].len, plain,
				    sizeof(plain), &rid);
	CHECK(len > 0);
	CHECK_EQ(ovpn_ctrl_parse(plain, (size_t)len, &reset), 0);
	/* Our reply, as the client sees it. */
	if (v2)
		CHECK_EQ(ovpn_wrap_tls_crypt_rekey(cli, kc, false), 0);
	len = ovpn_wrap_unwrap(cli, NULL, pkts[1].data, pkts[1].len, plain,
			       sizeof(plain), &rid);
	CHECK(len > 0);
	CHECK_EQ(rid.counter, 1);
	CHECK_EQ(ovpn_ctrl_parse(plain, (size_t)len, &reply), 0);
	CHECK_EQ(reply.opcode, OVPN_P_CONTROL_HARD_RESET_SERVER_V2);
	CHECK_EQ(reply.n_acks, 1);
	CHECK_MEM(reply.peer_sid, reset.sid, 8);
	CHECK_EQ(reply.payload_len, v2 ? 6 : 0);
	/* The client's answer: acks [0], echoes the cookie, ClientHello. */
	len = v2 ? ovpn_wrap_v2_server_unwrap(v2, srv, NULL, pkts[2].data, pkts[2].len,
					      plain, sizeof(plain), &rid, kc,
					      meta, sizeof(meta), &mlen)
		 : ovpn_wrap_unwrap(srv, NULL, pkts[2].data, pkts[2].len, plain,
				    sizeof(plain), &rid);
	CHECK(len > 0);
	CHECK_EQ(ovpn_ctrl_parse(plain, (size_t)len, &next), 0);
	CHECK_EQ(next.opcode, v2 ? OVPN_P_CONTROL_WKC_V1 : OVPN_P_CONTROL_V1);
	CHECK_EQ(next.n_acks, 1);
	CHECK_EQ(next.acks[0], 0);
	CHECK_EQ(next.msg_id, 1);
	CHECK_EQ(next.payload[0], 0x16);	/* TLS handshake record */
	CHECK_MEM(next.peer_sid, reply.sid, 8);
	CHECK_EQ(ovpn_wrap_cookie_check(c, pkts[2].time, (struct sockaddr *)&pkts[2].from,
					next.sid, next.peer_sid), 0);
	other = pkts[2].from;
	other.sin_port ^= 1;
	CHECK_EQ(ovpn_wrap_cookie_check(c, pkts[2].time, (struct sockaddr *)&other,
					next.sid, next.peer_sid), -OVPN_WRAP_E_COOKIE);
	CHECK_EQ(ovpn_wrap_cookie_check(c, pkts[2].time + 90, (struct sockaddr *)&pkts[2].from,
					next.sid, next.peer_sid), -OVPN_WRAP_E_COOKIE);
	ovpn_wrap_cookie_free(c);
	OPENSSL_cleanse(kc, sizeof(kc));
	return 0;
}

static int test_live_tls_crypt(void)
{
	int err, rc;
	struct ovpn_wrap *srv = ovpn_wrap_tls_crypt_new(key2, true, &err);
	struct ovpn_wrap *cli = ovpn_wrap_tls_crypt_new(key2, false, &err);

	rc = check_live(srv, cli, NULL);
	ovpn_wrap_free(srv);
	ovpn_wrap_free(cli);
	return rc;
}

static int test_live_tls_auth(void)
{
	int err, rc;
	struct ovpn_wrap *srv = ovpn_wrap_tls_auth_new(key2, OVPN_WRAP_SHA1,
						       OVPN_KEY_DIR_NORMAL, &err);
	struct ovpn_wrap *cli = ovpn_wrap_tls_auth_new(key2, OVPN_WRAP_SHA1,
						       OVPN_KEY_DIR_INVERSE, &err);

	rc = check_live(srv, cli, NULL);
	ovpn_wrap_free(srv);
	ovpn_wrap_free(cli);
	return rc;
}

static int test_live_tls_crypt_v2(void)
{
	int err, rc;
	struct ovpn_wrap_v2_server *s = ovpn_wrap_v2_server_new(v2key, &err);
	struct ovpn_wrap *srv = ovpn_wrap_tls_crypt_new(key2, true, &err);
	struct ovpn_wrap *cli = ovpn_wrap_tls_crypt_new(key2, false, &err);

	rc = check_live(srv, cli, s);
	ovpn_wrap_v2_server_free(s);
	ovpn_wrap_free(srv);
	ovpn_wrap_free(cli);
	return rc;
}

static const struct sl_test_case cases[] = {
	{ "2.6.14 client reset, tls-crypt", test_tls_crypt_capture },
	{ "2.6.14 client reset, tls-auth SHA1 key-dir 1", test_tls_auth_capture },
	{ "2.6.14 client reset, tls-auth SHA256", test_tls_auth256_capture },
	{ "2.6.14 client reset V3, tls-crypt-v2 + WKc", test_tls_crypt_v2_capture },
	{ "live cookie handshake, tls-crypt", test_live_tls_crypt },
	{ "live cookie handshake, tls-auth", test_live_tls_auth },
	{ "live cookie handshake, tls-crypt-v2 WKC_V1", test_live_tls_crypt_v2 },
	{ NULL, NULL }
};

int main(void)
{
	if (load_keys() < 0) {
		fprintf(stderr, "cannot load keys from " DATA "\n");
		return 1;
	}
	return sl_test_run("wrap_real", cases);
}
