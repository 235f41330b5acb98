/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key method 2 codec: the layouts of OpenVPN src/openvpn/ssl.c
 * key_method_2_write / key_method_2_read (399-byte
 * client message of a default Debian 2.6.14 client, 178-byte server
 * reply), round trips, and every truncation / oversize / missing field.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ovpn_km.h"
#include "sl_test.h"

/* Observed OCC strings (tests/unit/data/km/occ_default_*.txt). */
static const char cli_opts[] = "V4,dev-type tun,link-mtu 1541,tun-mtu 1500,"
	"proto UDPv4,auth SHA1,keysize 128,key-method 2,tls-client";
static const char srv_opts[] = "V4,dev-type tun,link-mtu 1541,tun-mtu 1500,"
	"proto UDPv4,auth SHA1,keysize 128,key-method 2,tls-server";
/* Peer-info of the Debian 2.6.14 client (tests/unit/data/km/peerinfo_default.txt). */
static const char debian_pi[] =
	"IV_VER=2.6.14\nIV_PLAT=linux\nIV_TCPNL=1\nIV_MTU=1600\nIV_NCP=2\n"
	"IV_CIPHERS=AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305\nIV_PROTO=990\n"
	"IV_LZO_STUB=1\nIV_COMP_STUB=1\nIV_COMP_STUBv2=1\n";

#define CLI_LEN		399
#define SRV_LEN		178
#define OPTS_END	(117 + 2 + sizeof(cli_opts))	/* 220 */

static void fill_client(struct ovpn_km_client *km)
{
	memset(km, 0, sizeof(*km));
	for (int i = 0; i < OVPN_KM_PRE_MASTER_LEN; i++)
		km->pre_master[i] = (uint8_t)(0x10 + i);
	for (int i = 0; i < OVPN_KM_RANDOM_LEN; i++) {
		km->random1[i] = (uint8_t)(0x80 + i);
		km->random2[i] = (uint8_t)(0xc0 + i);
	}
	memcpy(km->options, cli_opts, sizeof(cli_opts));
}

static int build_default_client(uint8_t *buf, size_t cap)
{
	struct ovpn_km_client km;

	fill_client(&km);
	return ovpn_km_build_client(&km, NULL, NULL, debian_pi, buf, cap);
}

/* Byte layout of the client message, offset by offset. */
static int test_client_layout(void)
{
	static uint8_t buf[OVPN_KM_MSG_MAX];
	int n = build_default_client(buf, sizeof(buf));

	CHECK_EQ(n, CLI_LEN);
	CHECK_MEM(buf, "\0\0\0\0\x02", 5);
	CHECK_EQ(buf[5], 0x10);			/* pre_master */
	CHECK_EQ(buf[52], 0x10 + 47);
	CHECK_EQ(buf[53], 0x80);		/* random1 */
	CHECK_EQ(buf[85], 0xc0);		/* random2 */
	CHECK_EQ(buf[117], 0x00);		/* options length incl. NUL */
	CHECK_EQ(buf[118], 101);
	CHECK_MEM(buf + 119, cli_opts, sizeof(cli_opts));
	CHECK_EQ(OPTS_END, 220);
	CHECK_MEM(buf + 220, "\0\0\0\0", 4);	/* empty username, password */
	CHECK_EQ(buf[224], 0);
	CHECK_EQ(buf[225], sizeof(debian_pi));	/* 173 */
	CHECK_MEM(buf + 226, debian_pi, sizeof(debian_pi));
	return 0;
}

static int test_client_parse_kat(void)
{
	static uint8_t buf[OVPN_KM_MSG_MAX];
	struct ovpn_km_client *km = ovpn_km_client_new();
	const char *why = NULL;
	int n = build_default_client(buf, sizeof(buf));

	CHECK(km != NULL);
	CHECK_EQ(ovpn_km_parse_client(buf, (size_t)n, km, &why), CLI_LEN);
	CHECK_EQ(km->pre_master[0], 0x10);
	CHECK_EQ(km->random1[31], 0x80 + 31);
	CHECK_EQ(km->random2[0], 0xc0);
	CHECK_STR(km->options, cli_opts);
	CHECK_STR(km->username, "");
	CHECK_STR(km->password, "");
	CHECK_STR(km->peer_info, debian_pi);
	CHECK_EQ(km->peer_info_len, sizeof(debian_pi) - 1);
	CHECK_EQ(km->flags, OVPN_KM_F_HAS_PEERINFO);
	ovpn_km_client_free(km);
	return 0;
}

static int test_server_layout(void)
{
	struct ovpn_km_server srv = { .options = srv_opts };
	uint8_t buf[512], r1[32], r2[32];
	char opts[OVPN_KM_OPTIONS_MAX];
	int n;

	memset(srv.random1, 0xaa, sizeof(srv.random1));
	memset(srv.random2, 0xbb, sizeof(srv.random2));
	n = ovpn_km_build_server(&srv, buf, sizeof(buf));
	CHECK_EQ(n, SRV_LEN);
	CHECK_MEM(buf, "\0\0\0\0\x02", 5);
	CHECK_EQ(buf[5], 0xaa);
	CHECK_EQ(buf[37], 0xbb);
	CHECK_EQ(buf[69], 0);
	CHECK_EQ(buf[70], 101);
	CHECK_MEM(buf + 71, srv_opts, sizeof(srv_opts));
	CHECK_MEM(buf + 172, "\0\0\0\0\0\0", 6);
	CHECK_EQ(ovpn_km_parse_server(buf, (size_t)n, r1, r2, opts,
				      sizeof(opts), NULL), SRV_LEN);
	CHECK_MEM(r1, srv.random1, 32);
	CHECK_MEM(r2, srv.random2, 32);
	CHECK_STR(opts, srv_opts);
	return 0;
}

/* Every prefix of the client message: only the field boundaries parse. */
static int test_client_truncations(void)
{
	static uint8_t buf[OVPN_KM_MSG_MAX];
	struct ovpn_km_client km;
	int n = build_default_client(buf, sizeof(buf));

	for (int t = 0; t < n; t++) {
		const char *why = NULL;
		int rc = ovpn_km_parse_client(buf, (size_t)t, &km, &why);

		/* end after options, or after password: older peers */
		if (t == 220 || t == 224) {
			CHECK_EQ(rc, t);
			CHECK_EQ(km.flags, 0);
			continue;
		}
		if (rc != -EBADMSG || why == NULL) {
			fprintf(stderr, "truncation %d: rc %d\n", t, rc);
			return -1;
		}
		/* a failed parse leaves nothing behind */
		CHECK_EQ(km.pre_master[0], 0);
	}
	return 0;
}

static int test_server_truncations(void)
{
	struct ovpn_km_server srv = { .options = srv_opts,
				      .peer_info = "IV_X=1\n" };
	uint8_t buf[512], r1[32], r2[32];
	char opts[OVPN_KM_OPTIONS_MAX];
	int n = ovpn_km_build_server(&srv, buf, sizeof(buf));

	CHECK_EQ(n, SRV_LEN + 8);
	for (int t = 0; t < n; t++) {
		const char *why = NULL;
		int rc = ovpn_km_parse_server(buf, (size_t)t, r1, r2, opts,
					      sizeof(opts), &why);

		if (t == 172 || t == 174 || t == 176) {
			CHECK_EQ(rc, t);
			continue;
		}
		CHECK_EQ(rc, -EBADMSG);
		CHECK(why != NULL);
	}
	return 0;
}

/* Raw message writer for shapes the builder refuses to make. */
struct raw {
	uint8_t b[3 * OVPN_KM_MSG_MAX];
	size_t n;
};

static void raw_head(struct raw *r, uint8_t method)
{
	memset(r->b, 0x5a, 117);
	memset(r->b, 0, 4);
	r->b[4] = method;
	r->n = 117;
}

static void raw_str(struct raw *r, const char *s, size_t len_field)
{
	r->b[r->n++] = (uint8_t)(len_field >> 8);
	r->b[r->n++] = (uint8_t)len_field;
	memcpy(r->b + r->n, s, len_field);
	r->n += len_field;
}

static void raw_fill(struct raw *r, char c, size_t chars)
{
	size_t len = chars + 1;

	r->b[r->n++] = (uint8_t)(len >> 8);
	r->b[r->n++] = (uint8_t)len;
	memset(r->b + r->n, c, chars);
	r->b[r->n + chars] = '\0';
	r->n += len;
}

static int parse_raw(struct raw *r, struct ovpn_km_client *km,
		     const char **why)
{
	return ovpn_km_parse_client(r->b, r->n, km, why);
}

static int test_options_bounds(void)
{
	static struct raw r;
	static struct ovpn_km_client km;
	const char *why = NULL;

	raw_head(&r, 2);
	raw_fill(&r, 'o', OVPN_KM_OPTIONS_MAX - 1);	/* exactly the limit */
	CHECK_EQ(parse_raw(&r, &km, &why), (int)r.n);
	CHECK_EQ(strlen(km.options), OVPN_KM_OPTIONS_MAX - 1);
	raw_head(&r, 2);
	raw_fill(&r, 'o', OVPN_KM_OPTIONS_MAX);		/* one over */
	CHECK_EQ(parse_raw(&r, &km, &why), -EMSGSIZE);
	CHECK_STR(why, "options: too long");
	raw_head(&r, 2);
	raw_str(&r, "", 0);				/* absent options */
	CHECK_EQ(parse_raw(&r, &km, &why), -EBADMSG);
	CHECK_STR(why, "options: missing");
	raw_head(&r, 2);
	raw_str(&r, "", 1);				/* only the NUL */
	CHECK_EQ(parse_raw(&r, &km, &why), -EBADMSG);
	CHECK_STR(why, "options: missing");
	r.n = 117;
	raw_str(&r, "V4", 3);
	raw_str(&r, "", 1);				/* empty username */
	raw_str(&r, "pw", 3);
	CHECK_EQ(parse_raw(&r, &km, &why), (int)r.n);
	CHECK_EQ(km.flags, OVPN_KM_F_HAS_PASS);
	raw_head(&r, 2);
	raw_str(&r, "V4x", 3);				/* no NUL */
	CHECK_EQ(parse_raw(&r, &km, &why), -EBADMSG);
	CHECK_STR(why, "options: missing NUL terminator");
	raw_head(&r, 2);
	raw_str(&r, "V4\0x", 5);			/* embedded NUL */
	CHECK_EQ(parse_raw(&r, &km, &why), -EBADMSG);
	CHECK_STR(why, "options: embedded NUL");
	raw_head(&r, 2);
	r.b[r.n++] = 0xff;		/* length far past the end */
	r.b[r.n++] = 0xff;
	r.n += 10;
	CHECK_EQ(parse_raw(&r, &km, &why), -EBADMSG);
	CHECK_STR(why, "options: string truncated");
	return 0;
}

static int test_key_method(void)
{
	static struct raw r;
	static struct ovpn_km_client km;
	const char *why = NULL;

	raw_head(&r, 1);
	raw_str(&r, "V4", 3);
	CHECK_EQ(parse_raw(&r, &km, &why), -EPROTO);
	CHECK_STR(why, "key method is not 2");
	/* OpenVPN masks the byte with 0x0F; upper bits were flags once. */
	raw_head(&r, 0x12);
	raw_str(&r, "V4", 3);
	CHECK_EQ(parse_raw(&r, &km, &why), (int)r.n);
	/* the leading four bytes are ignored by the reader */
	r.b[0] = 0xff;
	CHECK_EQ(parse_raw(&r, &km, &why), (int)r.n);
	return 0;
}

/* Over-long credentials: parse goes on (to reach peer-info), flag set. */
static int test_cred_too_long(void)
{
	static struct raw r;
	static struct ovpn_km_client km;
	const char *why = NULL;

	raw_head(&r, 2);
	raw_str(&r, "V4", 3);
	raw_fill(&r, 'u', OVPN_KM_CRED_MAX);
	raw_fill(&r, 'p', 10);
	raw_str(&r, "IV_VER=2.6.14\n", 15);
	CHECK_EQ(parse_raw(&r, &km, &why), (int)r.n);
	CHECK(km.flags & OVPN_KM_F_CRED_TOO_LONG);
	CHECK(!(km.flags & (OVPN_KM_F_HAS_USER | OVPN_KM_F_HAS_PASS)));
	CHECK_STR(km.username, "");
	CHECK_STR(km.password, "");
	CHECK_STR(km.peer_info, "IV_VER=2.6.14\n");
	raw_head(&r, 2);
	raw_str(&r, "V4", 3);
	raw_fill(&r, 'u', OVPN_KM_CRED_MAX - 1);		/* at the limit */
	raw_fill(&r, 'p', OVPN_KM_CRED_MAX - 1);
	CHECK_EQ(parse_raw(&r, &km, &why), (int)r.n);
	CHECK_EQ(km.flags, OVPN_KM_F_HAS_USER | OVPN_KM_F_HAS_PASS);
	CHECK_EQ(strlen(km.password), OVPN_KM_CRED_MAX - 1);
	return 0;
}

static int test_peerinfo_bounds(void)
{
	static struct raw r;
	static struct ovpn_km_client km;
	const char *why = NULL;

	raw_head(&r, 2);
	raw_str(&r, "V4", 3);
	raw_str(&r, "", 0);
	raw_str(&r, "", 0);
	raw_fill(&r, 'i', OVPN_KM_PEERINFO_MAX);
	CHECK_EQ(parse_raw(&r, &km, &why), -EMSGSIZE);
	CHECK_STR(why, "peer-info: too long");
	r.n -= OVPN_KM_PEERINFO_MAX + 3;
	raw_fill(&r, 'i', OVPN_KM_PEERINFO_MAX - 1);
	CHECK_EQ(parse_raw(&r, &km, &why), (int)r.n);
	CHECK_EQ(km.peer_info_len, OVPN_KM_PEERINFO_MAX - 1);
	/* a username without a password is a truncated message */
	raw_head(&r, 2);
	raw_str(&r, "V4", 3);
	raw_str(&r, "user", 5);
	CHECK_EQ(parse_raw(&r, &km, &why), -EBADMSG);
	CHECK_STR(why, "password: length truncated");
	/* trailing bytes after peer-info are left to the caller */
	raw_head(&r, 2);
	raw_str(&r, "V4", 3);
	raw_str(&r, "", 0);
	raw_str(&r, "", 0);
	raw_str(&r, "", 0);
	r.b[r.n++] = 'X';
	CHECK_EQ(parse_raw(&r, &km, &why), (int)r.n - 1);
	return 0;
}

static int test_round_trip_creds(void)
{
	static uint8_t buf[OVPN_KM_MSG_MAX];
	struct ovpn_km_client in, *out = ovpn_km_client_new();
	char pi[600];
	int n;

	CHECK(out != NULL);
	fill_client(&in);
	/* > 255 bytes so the high length byte is exercised */
	memset(pi, 'A', sizeof(pi) - 1);
	pi[sizeof(pi) - 1] = '\0';
	n = ovpn_km_build_client(&in, "alice", "s3cret", pi, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_EQ(ovpn_km_parse_client(buf, (size_t)n, out, NULL), n);
	CHECK_STR(out->username, "alice");
	CHECK_STR(out->password, "s3cret");
	CHECK_STR(out->peer_info, pi);
	CHECK_EQ(out->flags, OVPN_KM_F_HAS_USER | OVPN_KM_F_HAS_PASS |
		 OVPN_KM_F_HAS_PEERINFO);
	ovpn_km_client_wipe(out);
	for (size_t i = 0; i < sizeof(*out); i++)
		CHECK_EQ(((uint8_t *)out)[i], 0);
	ovpn_km_client_free(out);
	ovpn_km_client_free(NULL);
	return 0;
}

/* Builder: every cap below the size fails with -ENOSPC, bad input -EINVAL. */
static int test_build_errors(void)
{
	struct ovpn_km_server srv = { .options = srv_opts };
	static char big[OVPN_KM_OPTIONS_MAX + 1];
	uint8_t buf[SRV_LEN];

	for (size_t cap = 0; cap < SRV_LEN; cap++)
		CHECK_EQ(ovpn_km_build_server(&srv, buf, cap), -ENOSPC);
	CHECK_EQ(ovpn_km_build_server(&srv, buf, SRV_LEN), SRV_LEN);
	memset(big, 'x', OVPN_KM_OPTIONS_MAX);
	srv.options = big;
	CHECK_EQ(ovpn_km_build_server(&srv, buf, sizeof(buf)), -EINVAL);
	srv.options = "";
	CHECK_EQ(ovpn_km_build_server(&srv, buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(ovpn_km_build_server(NULL, buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(ovpn_km_parse_client(NULL, 5, NULL, NULL), -EINVAL);
	return 0;
}

static int test_randomize(void)
{
	struct ovpn_km_server a = { 0 }, b = { 0 };

	CHECK_EQ(ovpn_km_server_randomize(&a), 0);
	CHECK_EQ(ovpn_km_server_randomize(&b), 0);
	CHECK(memcmp(a.random1, b.random1, 32) != 0);
	CHECK(memcmp(a.random1, a.random2, 32) != 0);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "client message layout (399 B, as 2.6.14 sends it)", test_client_layout },
	{ "client message parse (Debian peer-info)", test_client_parse_kat },
	{ "server message layout (178 B, as 2.6.14 sends it)", test_server_layout },
	{ "client: every truncation 0..398", test_client_truncations },
	{ "server: every truncation", test_server_truncations },
	{ "options: bounds, missing, NUL errors", test_options_bounds },
	{ "key method byte", test_key_method },
	{ "credentials too long are not fatal", test_cred_too_long },
	{ "peer-info bounds, missing password, trailer", test_peerinfo_bounds },
	{ "round trip with credentials, wipe", test_round_trip_creds },
	{ "builder errors", test_build_errors },
	{ "server randoms", test_randomize },
	{ NULL, NULL }
};

int main(void)
{
	return sl_test_run("km", cases);
}
