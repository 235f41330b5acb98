/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PUSH_REPLY builder and control text messages. The expected strings in
 * tests/unit/data/km/push_*.txt were sent by a real OpenVPN 2.6.14 server
 * to a real 2.6.14 client (recipe: data/km/README.md).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ovpn_ncp.h"
#include "ovpn_push.h"
#include "ovpn_push_occ.h"
#include "sl_test.h"

static const char debian_pi[] =
	"IV_VER=2.6.14\nIV_PLAT=linux\nIV_TCPNL=1\nIV_MTU=1600\nIV_NCP=2\n"
	"IV_CIPHERS=AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305\nIV_PROTO=990\n"
	"IV_LZO_STUB=1\nIV_COMP_STUB=1\nIV_COMP_STUBv2=1\n";

static struct ovpn_push_reply reply;	/* 32 KiB: keep off the stack */

/* A capture from tests/unit/data/km/. */
static int read_data(const char *name, char *buf, size_t cap)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "km/%s", name);
	return sl_test_read_data(rel, buf, cap);
}

/* Line i (0-based) of a data file, without its newline. */
static const char *data_line(const char *name, unsigned i, char *buf,
			     size_t cap)
{
	char *s = buf, *nl;

	if (read_data(name, buf, cap) < 0)
		return NULL;
	for (; i > 0 && s != NULL; i--) {
		s = strchr(s, '\n');
		s = s != NULL ? s + 1 : NULL;
	}
	if (s == NULL)
		return NULL;
	nl = strchr(s, '\n');
	if (nl != NULL)
		*nl = '\0';
	return s;
}

static struct in_addr a4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

static struct ovpn_push_route lab_routes[2];
static struct in_addr lab_dns[1];

/* The lab server: topology subnet, server 10.8.0.0/24, keepalive 10 60. */
static void lab_opts(struct ovpn_push_opts *o, const struct ovpn_peerinfo *pi,
		     const char *cipher)
{
	lab_routes[0] = (struct ovpn_push_route){ a4("192.168.77.0"),
						  a4("255.255.255.0") };
	lab_routes[1] = (struct ovpn_push_route){ a4("192.168.78.0"),
						  a4("255.255.255.0") };
	lab_dns[0] = a4("10.8.0.1");
	memset(o, 0, sizeof(*o));
	o->routes = lab_routes;
	o->n_routes = 2;
	o->dns = lab_dns;
	o->n_dns = 1;
	o->has_route_gateway = true;
	o->route_gateway = a4("10.8.0.1");
	o->topology = OVPN_PUSH_TOPO_SUBNET;
	o->ping = 10;
	o->ping_restart = 60;
	o->has_ifconfig = true;
	o->ifconfig_local = a4("10.8.0.2");
	o->ifconfig_mask = a4("255.255.255.0");
	ovpn_push_opts_from_peer(o, pi, cipher, true, 0, 1500);
	/* a stock 2.6 server always adds it; we only for the comparison */
	o->flags |= OVPN_PUSH_F_DYN_TLS_CRYPT;
}

static int check_capture(const struct ovpn_push_opts *o, const char *file)
{
	char buf[4096];
	const char *want = data_line(file, 0, buf, sizeof(buf));

	CHECK(want != NULL);
	CHECK_EQ(ovpn_push_reply_build(o, &reply), 1);
	CHECK_STR(reply.msg[0], want);
	CHECK_EQ(reply.len[0], strlen(want));
	return 0;
}

static int test_capture_default(void)
{
	struct ovpn_peerinfo pi;
	struct ovpn_ncp_result ncp;
	struct ovpn_push_opts o;

	CHECK_EQ(ovpn_peerinfo_parse(debian_pi, strlen(debian_pi), &pi, NULL), 0);
	CHECK_EQ(ovpn_ncp_select("AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305",
				 &pi, NULL, NULL, &ncp, NULL), 0);
	lab_opts(&o, &pi, ncp.cipher);
	CHECK_EQ(check_capture(&o, "push_default.txt"), 0);
	/* what Sluice sends by default: no dyn-tls-crypt */
	o.flags &= ~OVPN_PUSH_F_DYN_TLS_CRYPT;
	CHECK_EQ(ovpn_push_reply_build(&o, &reply), 1);
	CHECK(strstr(reply.msg[0], ",protocol-flags cc-exit tls-ekm,tun-mtu 1500")
	      != NULL);
	return 0;
}

static int test_capture_aes128(void)
{
	struct ovpn_peerinfo pi;
	struct ovpn_ncp_result ncp;
	struct ovpn_push_opts o;

	CHECK_EQ(ovpn_peerinfo_parse(debian_pi, strlen(debian_pi), &pi, NULL), 0);
	CHECK_EQ(ovpn_ncp_select("AES-128-GCM", &pi, NULL, NULL, &ncp, NULL), 0);
	lab_opts(&o, &pi, ncp.cipher);
	return check_capture(&o, "push_aes128.txt");
}

/* comp-lzo client + "compress migrate": OCC comp-lzo and IV_COMP_STUBv2. */
static int test_capture_migrate(void)
{
	char pib[1024], occb[1024];
	struct ovpn_peerinfo pi;
	struct ovpn_occ occ;
	struct ovpn_push_opts o;
	int n = read_data("peerinfo_comp_lzo.txt", pib, sizeof(pib));
	int m = read_data("occ_migrate_client.txt", occb, sizeof(occb));

	CHECK(n > 0 && m > 1);
	CHECK_EQ(ovpn_peerinfo_parse(pib, (size_t)n, &pi, NULL), 0);
	CHECK_EQ(ovpn_push_occ_parse(occb, (size_t)m - 1, &occ, NULL), 0);
	lab_opts(&o, &pi, "AES-256-GCM");
	o.comp = ovpn_push_comp_select(ovpn_occ_has(&occ, OVPN_OCC_COMP_LZO),
				       &pi);
	CHECK_EQ(o.comp, OVPN_PUSH_COMP_STUB_V2);
	return check_capture(&o, "push_migrate.txt");
}

/* Server config "comp-lzo no" + push "comp-lzo no": a config push line. */
static int test_capture_comp_lzo_no(void)
{
	static const char *const extra[] = { "comp-lzo no" };
	struct ovpn_peerinfo pi;
	struct ovpn_push_opts o;

	CHECK_EQ(ovpn_peerinfo_parse(debian_pi, strlen(debian_pi), &pi, NULL), 0);
	lab_opts(&o, &pi, "AES-256-GCM");
	o.extra = extra;
	o.n_extra = 1;
	CHECK_EQ(check_capture(&o, "push_comp_lzo_no.txt"), 0);
	/* migrate for a 2.3 client (no IV_COMP_STUBv2): per-client position */
	CHECK_EQ(ovpn_push_comp_select(true, NULL), OVPN_PUSH_COMP_LZO_NO);
	CHECK_EQ(ovpn_push_comp_select(false, &pi), OVPN_PUSH_COMP_NONE);
	o.extra = NULL;
	o.n_extra = 0;
	o.comp = OVPN_PUSH_COMP_LZO_NO;
	CHECK_EQ(ovpn_push_reply_build(&o, &reply), 1);
	CHECK(strstr(reply.msg[0], ",ping-restart 60,comp-lzo no,ifconfig ")
	      != NULL);
	return 0;
}

/* The PUSH_REPLY a real 2.6.14 server sent with server-ipv6 fd00:8::/64,
 * topology subnet, keepalive 10 60 and three push lines. */
static int test_capture_ipv6(void)
{
	static const char want[] = "PUSH_REPLY,route 192.168.77.0 255.255.255.0,"
		"dhcp-option DNS 10.8.0.1,route-ipv6 fd00:77::/64,tun-ipv6,"
		"route-gateway 10.8.0.1,topology subnet,ping 10,ping-restart 60,"
		"ifconfig-ipv6 fd00:8::1000/64 fd00:8::1,ifconfig 10.8.0.2 "
		"255.255.255.0,peer-id 0,cipher AES-256-GCM,protocol-flags "
		"cc-exit tls-ekm dyn-tls-crypt,tun-mtu 1500";
	static const char *const extra[] = { "route-ipv6 fd00:77::/64" };
	struct ovpn_peerinfo pi;
	struct ovpn_push_opts o;

	CHECK_EQ(ovpn_peerinfo_parse(debian_pi, strlen(debian_pi), &pi, NULL), 0);
	lab_opts(&o, &pi, "AES-256-GCM");
	o.n_routes = 1;
	o.extra = extra;
	o.n_extra = 1;
	o.tun_ipv6 = true;
	o.has_ifconfig6 = true;
	inet_pton(AF_INET6, "fd00:8::1000", &o.ifconfig6_local);
	inet_pton(AF_INET6, "fd00:8::1", &o.ifconfig6_remote);
	o.ifconfig6_bits = 64;
	CHECK_EQ(ovpn_push_reply_build(&o, &reply), 1);
	CHECK_STR(reply.msg[0], want);
	/* the same route given as a typed IPv6 route */
	struct ovpn_push_route6 r6 = { .bits = 64 };
	inet_pton(AF_INET6, "fd00:77::", &r6.net);
	o.extra = NULL;
	o.n_extra = 0;
	o.routes6 = &r6;
	o.n_routes6 = 1;
	o.dns = NULL;
	o.n_dns = 0;
	CHECK_EQ(ovpn_push_reply_build(&o, &reply), 1);
	static const char head[] = "PUSH_REPLY,route 192.168.77.0 255.255.255.0,"
		"route-ipv6 fd00:77::/64,tun-ipv6,route-gateway";
	CHECK(strncmp(reply.msg[0], head, sizeof(head) - 1) == 0);
	return 0;
}

static struct ovpn_push_route many[2000];

static void make_routes(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		char net[32];

		snprintf(net, sizeof(net), "172.%u.%u.0", 16 + i / 250,
			 1 + i % 250);
		many[i].net = a4(net);
		many[i].mask = a4("255.255.255.0");
	}
}

/* 70 routes, 2.6 server buffer (1024): three parts, byte for byte. */
static int test_capture_routes70(void)
{
	static char buf[8192];
	struct ovpn_push_opts o = {
		.routes = many, .n_routes = 70, .topology = OVPN_PUSH_TOPO_SUBNET,
		.has_route_gateway = true, .ping = 10, .ping_restart = 60,
		.has_ifconfig = true, .has_peer_id = true, .peer_id = 0,
		.cipher = "AES-256-GCM", .tun_mtu = 1500,
		.flags = OVPN_PUSH_F_CC_EXIT | OVPN_PUSH_F_TLS_EKM |
			 OVPN_PUSH_F_DYN_TLS_CRYPT,
		.msg_cap = OVPN_PUSH_BUNDLE_SIZE,
	};

	make_routes(70);
	o.route_gateway = a4("10.8.0.1");
	o.ifconfig_local = a4("10.8.0.2");
	o.ifconfig_mask = a4("255.255.255.0");
	CHECK_EQ(ovpn_push_reply_build(&o, &reply), 3);
	for (unsigned i = 0; i < 3; i++) {
		const char *want = data_line("push_routes70.txt", i, buf,
					     sizeof(buf));

		CHECK(want != NULL);
		CHECK_STR(reply.msg[i], want);
	}
	CHECK_EQ(reply.len[0], 949);
	CHECK_EQ(reply.len[1], 958);
	CHECK_EQ(reply.len[2], 596);
	return 0;
}

/* Default cap (OVPN_MAX_CONTROL_MSG): split over 2048 bytes. */
static int test_split_2048(void)
{
	static char joined[65536];
	struct ovpn_push_opts o = { .routes = many, .n_routes = 200,
				    .ping = 10 };
	size_t off = 0;
	int n;

	make_routes(200);
	n = ovpn_push_reply_build(&o, &reply);
	CHECK(n >= 4);
	for (int i = 0; i < n; i++) {
		const char *tag = i + 1 < n ? ",push-continuation 2"
					    : ",push-continuation 1";
		size_t tl = strlen(tag), l = reply.len[i];

		CHECK(l + 1 <= OVPN_MAX_CONTROL_MSG);
		if (i + 1 < n)	/* really the 2 KiB cap */
			CHECK(l > OVPN_PUSH_BUNDLE_SIZE);
		CHECK_EQ(strlen(reply.msg[i]), l);
		CHECK(strncmp(reply.msg[i], "PUSH_REPLY,", 11) == 0);
		CHECK(l > tl && strcmp(reply.msg[i] + l - tl, tag) == 0);
		/* rebuild the option list without commands and tags */
		memcpy(joined + off, reply.msg[i] + 10, l - 10 - tl);
		off += l - 10 - tl;
	}
	joined[off] = '\0';
	/* every route once, in order, then ping */
	char *p = joined;
	for (unsigned i = 0; i < 200; i++) {
		char want[64], net[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &many[i].net, net, sizeof(net));
		snprintf(want, sizeof(want), ",route %s 255.255.255.0", net);
		CHECK(strncmp(p, want, strlen(want)) == 0);
		p += strlen(want);
	}
	CHECK_STR(p, ",ping 10");
	return 0;
}

static int test_build_errors(void)
{
	static char longopt[300];
	const char *extra[1];
	struct ovpn_push_opts o = { 0 };

	CHECK_EQ(ovpn_push_reply_build(&o, &reply), 1);
	CHECK_STR(reply.msg[0], "PUSH_REPLY");
	o.extra = extra;
	o.n_extra = 1;
	extra[0] = "route 1.2.3.0 255.255.255.0,route 4.5.6.0";
	CHECK_EQ(ovpn_push_reply_build(&o, &reply), -EINVAL);
	extra[0] = "";
	CHECK_EQ(ovpn_push_reply_build(&o, &reply), -EINVAL);
	extra[0] = "dhcp-option DOMAIN a\nb";
	CHECK_EQ(ovpn_push_reply_build(&o, &reply), -EINVAL);
	memset(longopt, 'x', 200);
	extra[0] = longopt;
	o.msg_cap = 256;		/* safe cap 172 */
	CHECK_EQ(ovpn_push_reply_build(&o, &reply), -EMSGSIZE);
	o.msg_cap = 255;
	CHECK_EQ(ovpn_push_reply_build(&o, &reply), -EINVAL);
	o.msg_cap = OVPN_MAX_CONTROL_MSG + 1;
	CHECK_EQ(ovpn_push_reply_build(&o, &reply), -EINVAL);
	o = (struct ovpn_push_opts){ .routes = many, .n_routes = 2000,
				     .msg_cap = 256 };
	make_routes(2000);
	CHECK_EQ(ovpn_push_reply_build(&o, &reply), -ENOSPC);
	o = (struct ovpn_push_opts){ .has_peer_id = true, .peer_id = 0xFFFFFF };
	CHECK_EQ(ovpn_push_reply_build(&o, &reply), -EINVAL);
	o = (struct ovpn_push_opts){ .cipher = "AES,256" };
	CHECK_EQ(ovpn_push_reply_build(&o, &reply), -EINVAL);
	o = (struct ovpn_push_opts){ .n_routes = 1 };
	CHECK_EQ(ovpn_push_reply_build(&o, &reply), -EINVAL);
	CHECK_EQ(ovpn_push_reply_build(NULL, &reply), -EINVAL);
	return 0;
}

/* Per-client fields for older / partial clients. */
static int test_opts_from_peer(void)
{
	struct ovpn_peerinfo pi;
	struct ovpn_push_opts o = { 0 };

	/* 2.5-style: DATA_V2 | TLS_KEY_EXPORT, no cc-exit, no IV_MTU */
	CHECK_EQ(ovpn_peerinfo_parse("IV_NCP=2\nIV_PROTO=10\n", 21, &pi, NULL), 0);
	ovpn_push_opts_from_peer(&o, &pi, "AES-256-GCM", true, 7, 1500);
	CHECK_EQ(ovpn_push_reply_build(&o, &reply), 1);
	CHECK_STR(reply.msg[0], "PUSH_REPLY,peer-id 7,cipher AES-256-GCM,"
		  "key-derivation tls-ekm");
	CHECK(ovpn_push_uses_ekm(o.flags));
	/* no DATA_V2, not NCP capable, no EKM: legacy PRF, nothing pushed */
	CHECK_EQ(ovpn_peerinfo_parse("IV_VER=2.3.18\n", 14, &pi, NULL), 0);
	ovpn_push_opts_from_peer(&o, &pi, "AES-256-CBC", false, 7, 1500);
	CHECK_EQ(ovpn_push_reply_build(&o, &reply), 1);
	CHECK_STR(reply.msg[0], "PUSH_REPLY");
	CHECK(!ovpn_push_uses_ekm(o.flags));
	/* dyn-tls-crypt without cc-exit, as OpenVPN formats it */
	o.flags = OVPN_PUSH_F_TLS_EKM | OVPN_PUSH_F_DYN_TLS_CRYPT;
	CHECK_EQ(ovpn_push_reply_build(&o, &reply), 1);
	CHECK_STR(reply.msg[0], "PUSH_REPLY,key-derivation tls-ekm,"
		  "protocol-flags dyn-tls-crypt");
	return 0;
}

static int test_messages(void)
{
	char out[OVPN_PUSH_BUNDLE_SIZE + 8], buf[256];
	static char big[OVPN_PUSH_BUNDLE_SIZE];

	CHECK_EQ(ovpn_push_auth_failed(out, sizeof(out), NULL), 11);
	CHECK_STR(out, data_line("auth_failed.txt", 0, buf, sizeof(buf)));
	CHECK_EQ(ovpn_push_auth_failed(out, sizeof(out), ""), 11);
	CHECK(ovpn_push_auth_failed(out, sizeof(out), OVPN_NCP_FAIL_REASON) > 0);
	CHECK_STR(out, "AUTH_FAILED,Data channel cipher negotiation failed "
		  "(no shared cipher)");
	CHECK_EQ(ovpn_push_auth_failed(out, sizeof(out), "a\nb"), -EINVAL);
	CHECK_EQ(ovpn_push_auth_failed(out, 11, NULL), -EMSGSIZE);
	memset(big, 'r', sizeof(big) - 1);
	CHECK_EQ(ovpn_push_auth_failed(out, sizeof(out), big), -EMSGSIZE);
	CHECK(ovpn_push_auth_failed_temp(out, sizeof(out), 5,
					 OVPN_PUSH_ADVANCE_ADDR, "busy") > 0);
	CHECK_STR(out, "AUTH_FAILED,TEMP[backoff 5,advance addr]:busy");
	CHECK(ovpn_push_auth_failed_temp(out, sizeof(out), 0,
					 OVPN_PUSH_ADVANCE_DEFAULT, NULL) > 0);
	CHECK_STR(out, "AUTH_FAILED,TEMP:");
	CHECK(ovpn_push_auth_failed_temp(out, sizeof(out), 30,
					 OVPN_PUSH_ADVANCE_DEFAULT, "x") > 0);
	CHECK_STR(out, "AUTH_FAILED,TEMP[backoff 30]:x");
	CHECK(ovpn_push_auth_failed_temp(out, sizeof(out), 0,
					 OVPN_PUSH_ADVANCE_REMOTE, "y") > 0);
	CHECK_STR(out, "AUTH_FAILED,TEMP[advance remote]:y");
	CHECK(ovpn_push_restart(out, sizeof(out), 0, NULL) > 0);
	CHECK_STR(out, "RESTART");
	CHECK(ovpn_push_restart(out, sizeof(out), OVPN_PUSH_RESTART_F_NEXT_REMOTE,
				NULL) > 0);
	CHECK_STR(out, "RESTART,[N]");
	CHECK(ovpn_push_restart(out, sizeof(out), 3, "bye") > 0);
	CHECK_STR(out, "RESTART,[PN]bye");
	CHECK(ovpn_push_restart(out, sizeof(out), 0, "maintenance") > 0);
	CHECK_STR(out, "RESTART,maintenance");
	CHECK(ovpn_push_restart(out, sizeof(out), 0, "[x]") > 0);
	CHECK_STR(out, "RESTART,[][x]");
	CHECK_EQ(ovpn_push_restart(out, sizeof(out), 4, NULL), -EINVAL);
	CHECK(ovpn_push_halt(out, sizeof(out), NULL) > 0);
	CHECK_STR(out, "HALT");
	CHECK(ovpn_push_halt(out, sizeof(out), "gone") > 0);
	CHECK_STR(out, "HALT,gone");
	CHECK(ovpn_push_auth_pending(out, sizeof(out), 300) > 0);
	CHECK_STR(out, "AUTH_PENDING,timeout 300");
	CHECK(ovpn_push_auth_pending(out, sizeof(out), 0) > 0);
	CHECK_STR(out, "AUTH_PENDING");
	CHECK_EQ(ovpn_push_halt(NULL, 10, NULL), -EINVAL);
	return 0;
}

static int test_msg_parse(void)
{
	static const struct {
		const char *s;
		enum ovpn_push_msg_type t;
		const char *arg;
	} t[] = {
		/* 1 */ { "PUSH_REQUEST", OVPN_PUSH_MSG_PUSH_REQUEST, "" },
		/* 2 */ { "EXIT", OVPN_PUSH_MSG_EXIT, "" },
		/* 3 */ { "PUSH_REPLY,ping 10", OVPN_PUSH_MSG_PUSH_REPLY, "ping 10" },
		/* 4 */ { "AUTH_FAILED,x,y", OVPN_PUSH_MSG_AUTH_FAILED, "x,y" },
		/* 5 */ { "INFO,hello", OVPN_PUSH_MSG_INFO, "hello" },
		/* 6 */ { "INFO_PRE,WEB_AUTH::u", OVPN_PUSH_MSG_INFO_PRE, "WEB_AUTH::u" },
		/* 7 */ { "CR_RESPONSE,dGVzdA==", OVPN_PUSH_MSG_CR_RESPONSE, "dGVzdA==" },
		/* 8 */ { "RESTART,[N]", OVPN_PUSH_MSG_RESTART, "[N]" },
		/* 9 */ { "HALT", OVPN_PUSH_MSG_HALT, "" },
		/* 10 */ { "AUTH_PENDING,timeout 5", OVPN_PUSH_MSG_AUTH_PENDING, "timeout 5" },
		/* 11 */ { "PUSH_REQUESTX", OVPN_PUSH_MSG_UNKNOWN, "" },
		/* 12 */ { "EXITING", OVPN_PUSH_MSG_UNKNOWN, "" },
		/* 13 */ { "push_request", OVPN_PUSH_MSG_UNKNOWN, "" },
		/* 14 */ { "", OVPN_PUSH_MSG_UNKNOWN, "" },
		/* 15 */ { "PUSH_UPDATE,x", OVPN_PUSH_MSG_PUSH_UPDATE, "x" },
		/* 16 */ { "EXIT,", OVPN_PUSH_MSG_EXIT, "" },
	};
	struct ovpn_push_msg m;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ovpn_push_msg_parse(t[i].s, strlen(t[i].s), &m);
		if (m.type != t[i].t || m.arg_len != strlen(t[i].arg) ||
		    memcmp(m.arg, t[i].arg, m.arg_len) != 0) {
			fprintf(stderr, "case %zu: type %d\n", i + 1, m.type);
			return -1;
		}
	}
	CHECK_STR(ovpn_push_msg_name(OVPN_PUSH_MSG_EXIT), "EXIT");
	CHECK_STR(ovpn_push_msg_name((enum ovpn_push_msg_type)99), "UNKNOWN");
	return 0;
}

static int test_msg_next(void)
{
	static const uint8_t rec[] = "PUSH_REQUEST\0EXIT\r\n\0bad\x01x\0\0part";
	const char *m;
	size_t off = 0, len;

	CHECK_EQ(ovpn_push_msg_next(rec, sizeof(rec) - 1, &off, &m, &len), 1);
	CHECK(len == 12 && memcmp(m, "PUSH_REQUEST", 12) == 0);
	CHECK_EQ(ovpn_push_msg_next(rec, sizeof(rec) - 1, &off, &m, &len), 1);
	CHECK(len == 4 && memcmp(m, "EXIT", 4) == 0);
	CHECK_EQ(ovpn_push_msg_next(rec, sizeof(rec) - 1, &off, &m, &len),
		 -EBADMSG);
	CHECK_EQ(ovpn_push_msg_next(rec, sizeof(rec) - 1, &off, &m, &len), 1);
	CHECK_EQ(len, 0);			/* an empty message */
	CHECK_EQ(ovpn_push_msg_next(rec, sizeof(rec) - 1, &off, &m, &len), 0);
	CHECK_EQ(off, sizeof(rec) - 1 - 4);	/* "part" kept for later */
	/* every truncation of the record: never reads past len */
	for (size_t t = 0; t < sizeof(rec) - 1; t++) {
		int rc;

		off = 0;
		while ((rc = ovpn_push_msg_next(rec, t, &off, &m, &len)) != 0)
			CHECK(off <= t && (rc < 0 || m + len <= (const char *)rec + t));
	}
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "PUSH_REPLY == real 2.6 server (default)", test_capture_default },
	{ "PUSH_REPLY == real 2.6 server (AES-128-GCM)", test_capture_aes128 },
	{ "PUSH_REPLY == real 2.6 server (migrate)", test_capture_migrate },
	{ "PUSH_REPLY == real 2.6 server (comp-lzo no)", test_capture_comp_lzo_no },
	{ "PUSH_REPLY == real 2.6 server (IPv6)", test_capture_ipv6 },
	{ "70 routes: 3 parts == real 2.6 server", test_capture_routes70 },
	{ "200 routes: split at 2048", test_split_2048 },
	{ "builder errors", test_build_errors },
	{ "per-client options from peer-info", test_opts_from_peer },
	{ "AUTH_FAILED/TEMP/RESTART/HALT/AUTH_PENDING", test_messages },
	{ "message classification (numbered)", test_msg_parse },
	{ "message splitting", test_msg_next },
	{ NULL, NULL }
};

int main(void)
{
	return sl_test_run("push", cases);
}
