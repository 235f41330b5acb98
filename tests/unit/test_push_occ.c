/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OCC options string: parse the strings real 2.6.14 clients sent, build
 * the exact strings a real 2.6.14 server sent (data/km/occ_*.txt),
 * malformed fields, every truncation.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ovpn_push_occ.h"
#include "sl_test.h"

/* A one-line capture from tests/unit/data/km/, without its newline. */
static int read_line(const char *name, char *buf, size_t cap)
{
	char rel[256];
	int n;

	snprintf(rel, sizeof(rel), "km/%s", name);
	n = sl_test_read_data(rel, buf, cap);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return n;
}

static int test_parse_client(void)
{
	char s[512];
	struct ovpn_occ o;
	int n = read_line("occ_default_client.txt", s, sizeof(s));

	CHECK_EQ(n, 100);
	CHECK_EQ(ovpn_push_occ_parse(s, (size_t)n, &o, NULL), 0);
	CHECK_STR(o.dev_type, "tun");
	CHECK_EQ(o.link_mtu, 1541);
	CHECK_EQ(o.tun_mtu, 1500);
	CHECK_STR(o.proto, "UDPv4");
	CHECK_STR(o.auth, "SHA1");
	CHECK_EQ(o.keysize, 128);
	CHECK_EQ(o.key_method, 2);
	CHECK(ovpn_occ_has(&o, OVPN_OCC_TLS_CLIENT));
	CHECK(!ovpn_occ_has(&o, OVPN_OCC_TLS_SERVER));
	CHECK(!ovpn_occ_has(&o, OVPN_OCC_COMP_LZO));
	CHECK(!ovpn_occ_has(&o, OVPN_OCC_CIPHER));
	CHECK_EQ(o.n_unknown, 0);
	n = read_line("occ_migrate_client.txt", s, sizeof(s));
	CHECK_EQ(ovpn_push_occ_parse(s, (size_t)n, &o, NULL), 0);
	CHECK(ovpn_occ_has(&o, OVPN_OCC_COMP_LZO));
	CHECK_EQ(o.link_mtu, 1542);
	return 0;
}

static int test_parse_old_client(void)
{
	static const char s[] = "V4,dev-type tun,link-mtu 1557,tun-mtu 1500,"
		"proto TCPv4_CLIENT,comp-lzo,mtu-dynamic,keydir 1,cipher "
		"AES-256-CBC,auth SHA256,keysize 256,tls-auth,key-method 2,"
		"tls-client,ifconfig 10.8.0.6 10.8.0.5,no-replay";
	struct ovpn_occ o;

	CHECK_EQ(ovpn_push_occ_parse(s, strlen(s), &o, NULL), 0);
	CHECK_STR(o.cipher, "AES-256-CBC");
	CHECK_STR(o.proto, "TCPv4_CLIENT");
	CHECK_EQ(o.keydir, 1);
	CHECK(ovpn_occ_has(&o, OVPN_OCC_MTU_DYNAMIC));
	CHECK(ovpn_occ_has(&o, OVPN_OCC_TLS_AUTH));
	CHECK_EQ(o.n_unknown, 2);
	return 0;
}

/* The server strings a real 2.6.14 server sent, rebuilt. */
static int test_build_server(void)
{
	char want[512], got[512];
	struct ovpn_occ o;

	CHECK(read_line("occ_default_server.txt", want, sizeof(want)) > 0);
	CHECK_EQ(ovpn_push_occ_server_init(&o, "UDPv4", 1500, false), 0);
	CHECK_EQ(ovpn_push_occ_build(&o, got, sizeof(got)), (int)strlen(want));
	CHECK_STR(got, want);
	CHECK(read_line("occ_compnopush_server.txt", want, sizeof(want)) > 0);
	CHECK_EQ(ovpn_push_occ_server_init(&o, "UDPv4", 1500, true), 0);
	CHECK(ovpn_push_occ_build(&o, got, sizeof(got)) > 0);
	CHECK_STR(got, want);
	/* every cap too small fails cleanly */
	for (size_t cap = 0; cap <= strlen(want); cap++)
		CHECK_EQ(ovpn_push_occ_build(&o, got, cap), -ENOSPC);
	/* parse(build(x)) == x */
	struct ovpn_occ back;
	CHECK_EQ(ovpn_push_occ_parse(want, strlen(want), &back, NULL), 0);
	CHECK_MEM(&back, &o, sizeof(o));
	CHECK_EQ(ovpn_push_occ_server_init(&o, "", 1500, false), -EINVAL);
	return 0;
}

static int test_malformed(void)
{
	static const struct {
		const char *s;
		int rc;
		const char *why;
	} t[] = {
		/* 1 */ { "", -EBADMSG, "missing V4 version field" },
		/* 2 */ { "V3,dev-type tun", -EBADMSG, "missing V4 version field" },
		/* 3 */ { "V44,dev-type tun", -EBADMSG, "missing V4 version field" },
		/* 4 */ { "V4,,tls-client", -EBADMSG, "empty field" },
		/* 5 */ { "V4,tls-client,", -EBADMSG, "empty field" },
		/* 6 */ { "V4,tun-mtu abc", -EBADMSG, "bad number" },
		/* 7 */ { "V4,tun-mtu", -EBADMSG, "bad number" },
		/* 8 */ { "V4,tun-mtu 1234567890", -EBADMSG, "bad number" },
		/* 9 */ { "V4,tls-client yes", -EBADMSG, "unexpected value for a flag field" },
		/* 10 */ { "V4,cipher", -EBADMSG, "missing value" },
		/* 11 */ { "V4,cipher ", -EBADMSG, "missing value" },
		/* 12 */ { "V4,proto UDPv4,proto TCPv4", -EBADMSG, "duplicate field" },
		/* 13 */ { "V4,auth \x01", -EBADMSG, "control or non-ASCII character" },
		/* 14 */ { "V4,cipher AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
			   -EMSGSIZE, "value too long" },
	};
	struct ovpn_occ o;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *why = NULL;
		int rc = ovpn_push_occ_parse(t[i].s, strlen(t[i].s), &o, &why);

		if (rc != t[i].rc || why == NULL || strcmp(why, t[i].why) != 0) {
			fprintf(stderr, "case %zu: rc %d why %s\n", i + 1, rc,
				why ? why : "(null)");
			return -1;
		}
		CHECK_EQ(o.seen, 0);
	}
	CHECK_EQ(ovpn_push_occ_parse("V4", 2, &o, NULL), 0);
	CHECK_EQ(ovpn_push_occ_parse(NULL, 2, &o, NULL), -EINVAL);
	return 0;
}

/* Every prefix: parses, or fails with a reason; never reads beyond. */
static int test_truncations(void)
{
	char s[512];
	int n = read_line("occ_migrate_client.txt", s, sizeof(s));

	CHECK(n > 0);
	for (int t = 0; t <= n; t++) {
		struct ovpn_occ o;
		const char *why = NULL;
		int rc = ovpn_push_occ_parse(s, (size_t)t, &o, &why);

		CHECK(rc == 0 || why != NULL);
		if (t >= 2 && (t == n || s[t] == ','))
			CHECK_EQ(rc, 0);	/* whole-field prefixes are valid */
	}
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "parse real 2.6.14 client strings", test_parse_client },
	{ "parse an old-style client string", test_parse_old_client },
	{ "build == real 2.6.14 server strings", test_build_server },
	{ "malformed fields (numbered)", test_malformed },
	{ "every truncation", test_truncations },
	{ NULL, NULL }
};

int main(void)
{
	return sl_test_run("push_occ", cases);
}
