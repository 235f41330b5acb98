/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Peer-info parser: the Debian 2.6.14 client's string
 * (tests/unit/data/km/peerinfo_default.txt), the string of a comp-lzo client captured from a real session
 * (tests/unit/data/km/peerinfo_comp_lzo.txt), malformed lines, and every
 * truncation.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ovpn_peerinfo.h"
#include "sl_test.h"

static const char debian_pi[] =
	"IV_VER=2.6.14\nIV_PLAT=linux\nIV_TCPNL=1\nIV_MTU=1600\nIV_NCP=2\n"
	"IV_CIPHERS=AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305\nIV_PROTO=990\n"
	"IV_LZO_STUB=1\nIV_COMP_STUB=1\nIV_COMP_STUBv2=1\n";

static int parse(const char *s, struct ovpn_peerinfo *pi, const char **why)
{
	return ovpn_peerinfo_parse(s, strlen(s), pi, why);
}

static int test_debian_kat(void)
{
	struct ovpn_peerinfo pi;
	const char *why = NULL;

	CHECK_EQ(parse(debian_pi, &pi, &why), 0);
	CHECK_STR(pi.ver, "2.6.14");
	CHECK_STR(pi.plat, "linux");
	CHECK(pi.tcpnl);
	CHECK_EQ(pi.mtu, 1600);
	CHECK_EQ(pi.ncp, 2);
	CHECK_STR(pi.ciphers, "AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305");
	CHECK_EQ(pi.proto, 990);
	CHECK(pi.lzo_stub && pi.comp_stub && pi.comp_stubv2);
	CHECK(!pi.lzo && !pi.lz4 && !pi.lz4v2);
	CHECK_EQ(pi.n_uv, 0);
	CHECK_EQ(pi.n_unknown, 0);
	CHECK(ovpn_peerinfo_ncp_capable(&pi));
	CHECK(!ovpn_peerinfo_has(&pi, OVPN_PI_GUI_VER));
	return 0;
}

/* 990 = 2+4+8+16+64+128+256+512: every bit but reserved and NCP_P2P. */
static int test_proto_bits(void)
{
	static const struct {
		uint32_t bit;
		bool set;
		const char *name;
	} t[] = {
		{ OVPN_IV_PROTO_DATA_V2, true, "DATA_V2" },
		{ OVPN_IV_PROTO_REQUEST_PUSH, true, "REQUEST_PUSH" },
		{ OVPN_IV_PROTO_TLS_KEY_EXPORT, true, "TLS_KEY_EXPORT" },
		{ OVPN_IV_PROTO_AUTH_PENDING_KW, true, "AUTH_PENDING_KW" },
		{ OVPN_IV_PROTO_NCP_P2P, false, "NCP_P2P" },
		{ OVPN_IV_PROTO_DNS_OPTION, true, "DNS_OPTION" },
		{ OVPN_IV_PROTO_CC_EXIT_NOTIFY, true, "CC_EXIT_NOTIFY" },
		{ OVPN_IV_PROTO_AUTH_FAIL_TEMP, true, "AUTH_FAIL_TEMP" },
		{ OVPN_IV_PROTO_DYN_TLS_CRYPT, true, "DYN_TLS_CRYPT" },
		{ OVPN_IV_PROTO_DATA_EPOCH, false, "DATA_EPOCH" },
		{ OVPN_IV_PROTO_PUSH_UPDATE, false, "PUSH_UPDATE" },
	};
	struct ovpn_peerinfo pi;

	CHECK_EQ(parse(debian_pi, &pi, NULL), 0);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECK_EQ(ovpn_peerinfo_proto(&pi, t[i].bit), t[i].set);
		CHECK_STR(ovpn_peerinfo_proto_name((unsigned)__builtin_ctz(t[i].bit)),
			  t[i].name);
	}
	CHECK(ovpn_peerinfo_proto_name(0) == NULL);
	CHECK(ovpn_peerinfo_proto_name(40) == NULL);
	return 0;
}

/* A capture from tests/unit/data/km/. */
static int read_data(const char *name, char *buf, size_t cap)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "km/%s", name);
	return sl_test_read_data(rel, buf, cap);
}

/* Captured from a real comp-lzo 2.6.14 client (data/km/README). */
static int test_comp_lzo_capture(void)
{
	char buf[1024];
	struct ovpn_peerinfo pi;
	int n = read_data("peerinfo_comp_lzo.txt", buf, sizeof(buf));

	CHECK(n > 0);
	CHECK_EQ(ovpn_peerinfo_parse(buf, (size_t)n, &pi, NULL), 0);
	CHECK(pi.lz4 && pi.lz4v2 && pi.lzo && pi.comp_stub && pi.comp_stubv2);
	CHECK(!pi.lzo_stub);
	CHECK_EQ(pi.proto, 990);
	n = read_data("peerinfo_default.txt", buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_STR(buf, debian_pi);
	return 0;
}

static int test_unknown_and_gui(void)
{
	struct ovpn_peerinfo pi;

	CHECK_EQ(parse("IV_VER=2.5.9\nIV_GUI_VER=OpenVPN_GUI_11\n"
		       "IV_SSO=webauth,crtext\nUV_DEPT=ops x\nUV_B=\n"
		       "IV_FUTURE=7\nIV_PLAT_VER=10.0.19045\nIV_SSL=OpenSSL 3\n"
		       "IV_HWADDR=00:11:22:33:44:55\n", &pi, NULL), 0);
	CHECK_STR(pi.gui_ver, "OpenVPN_GUI_11");
	CHECK_STR(pi.sso, "webauth,crtext");
	CHECK_STR(pi.plat_ver, "10.0.19045");
	CHECK_STR(pi.ssl, "OpenSSL 3");
	CHECK_STR(pi.hwaddr, "00:11:22:33:44:55");
	CHECK_EQ(pi.n_uv, 2);
	CHECK_EQ(pi.n_unknown, 1);
	CHECK_EQ(pi.proto, 0);
	CHECK(!ovpn_peerinfo_ncp_capable(&pi));
	/* IV_NCP=2 alone makes a client NCP capable; so does IV_CIPHERS= */
	CHECK_EQ(parse("IV_NCP=2", &pi, NULL), 0);
	CHECK(ovpn_peerinfo_ncp_capable(&pi));
	CHECK_EQ(parse("IV_CIPHERS=\n", &pi, NULL), 0);
	CHECK(ovpn_peerinfo_ncp_capable(&pi));
	/* empty text, empty lines, no final newline */
	CHECK_EQ(ovpn_peerinfo_parse("", 0, &pi, NULL), 0);
	CHECK_EQ(pi.seen, 0);
	CHECK_EQ(parse("\n\nIV_MTU=1500\n\nIV_TCPNL=0", &pi, NULL), 0);
	CHECK_EQ(pi.mtu, 1500);
	CHECK(!pi.tcpnl && ovpn_peerinfo_has(&pi, OVPN_PI_TCPNL));
	return 0;
}

/* Numbered table of malformed inputs and the reason each must give. */
static int test_malformed(void)
{
	static char long_line[OVPN_PI_LINE_MAX + 8];
	static const struct {
		const char *text;
		int rc;
		const char *why;
	} t[] = {
		/* 1 */ { "IV_VER", -EBADMSG, "line without '='" },
		/* 2 */ { "=2.6\n", -EBADMSG, "bad variable name" },
		/* 3 */ { "IV VER=2\n", -EBADMSG, "bad variable name" },
		/* 4 */ { "IV-VER=2\n", -EBADMSG, "bad variable name" },
		/* 5 */ { "IV_VER=2.6\r\n", -EBADMSG, "control character in value" },
		/* 6 */ { "IV_VER=a\tb\n", -EBADMSG, "control character in value" },
		/* 7 */ { "IV_PROTO=99x\n", -EBADMSG, "bad number" },
		/* 8 */ { "IV_PROTO=\n", -EBADMSG, "bad number" },
		/* 9 */ { "IV_PROTO=-1\n", -EBADMSG, "bad number" },
		/* 10 */ { "IV_PROTO=4294967296\n", -EBADMSG, "bad number" },
		/* 11 */ { "IV_MTU=1500\nIV_MTU=1600\n", -EBADMSG, "duplicate variable" },
		/* 12 */ { "IV_VER=0123456789012345678901234567890123456789"
			   "012345678901234567890123\n", -EMSGSIZE, "value too long" },
		/* 13 */ { "IV_COMP_STUBv2=yes\n", -EBADMSG, "bad number" },
		/* 14 */ { "UV_X=\x01\n", -EBADMSG, "control character in value" },
	};
	struct ovpn_peerinfo pi;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *why = NULL;
		int rc = parse(t[i].text, &pi, &why);

		if (rc != t[i].rc || why == NULL || strcmp(why, t[i].why) != 0) {
			fprintf(stderr, "case %zu: rc %d why %s\n", i + 1, rc,
				why ? why : "(null)");
			return -1;
		}
		CHECK_EQ(pi.seen, 0);	/* zeroed on error */
	}
	CHECK_EQ(parse("IV_PROTO=4294967295\n", &pi, NULL), 0);
	CHECK_EQ(pi.proto, 4294967295u);
	memset(long_line, 'x', sizeof(long_line) - 1);
	memcpy(long_line, "UV_A=", 5);
	CHECK_EQ(parse(long_line, &pi, NULL), -EMSGSIZE);
	CHECK_EQ(ovpn_peerinfo_parse("IV_VER=1\0\n", 10, &pi, NULL), -EBADMSG);
	CHECK_EQ(ovpn_peerinfo_parse(NULL, 3, &pi, NULL), -EINVAL);
	return 0;
}

/*
 * Every prefix of the Debian string: a prefix ending on a line boundary
 * parses and holds exactly the variables of the complete lines; any other
 * prefix either parses (a shorter but valid value) or fails with a reason.
 */
static int test_truncations(void)
{
	size_t n = strlen(debian_pi);
	unsigned lines = 0;

	for (size_t t = 0; t <= n; t++) {
		struct ovpn_peerinfo pi;
		const char *why = NULL;
		int rc = ovpn_peerinfo_parse(debian_pi, t, &pi, &why);

		if (t == 0 || debian_pi[t - 1] == '\n') {
			CHECK_EQ(rc, 0);
			CHECK_EQ(__builtin_popcount(pi.seen), lines);
			lines++;
		} else {
			CHECK(rc == 0 || why != NULL);
		}
	}
	CHECK_EQ(lines, 11);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "Debian 2.6.14 peer-info", test_debian_kat },
	{ "IV_PROTO=990 bits", test_proto_bits },
	{ "captured comp-lzo client peer-info", test_comp_lzo_capture },
	{ "unknown, UV_*, GUI variables", test_unknown_and_gui },
	{ "malformed lines (numbered table)", test_malformed },
	{ "every truncation", test_truncations },
	{ NULL, NULL }
};

int main(void)
{
	return sl_test_run("peerinfo", cases);
}
