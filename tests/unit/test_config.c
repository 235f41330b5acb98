/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Config loader tests: the shipped examples load, and a numbered table of
 * bad configurations each fail with the right line, setting and message;
 * the schema's defaults are what config/sluice.conf documents; the list
 * walker names the element and field; the daemons' command line.
 */
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "cfg_eal.h"
#include "cfg_schema.h"
#include "sl_test.h"

/* A minimal valid file; line numbers below count from its first line. */
#define L1 "ports: {\n"
#define L2 "  public: { vdev = \"net_null0\"; address = \"192.0.2.1/24\"; };\n"
#define L3 "  private: { vdev = \"net_null1\"; address = \"10.20.0.1/24\"; };\n"
#define L4 "};\n"
#define L5 "vpn: { pool = \"10.10.0.0/24\"; };\n"
#define L6 "pki: { ca = \"ca.crt\"; cert = \"s.crt\"; key = \"s.key\"; };\n"
#define BASE L1 L2 L3 L4 L5 L6

struct bad_case {
	const char *text;
	int line;
	const char *setting;
	const char *msg_part;
};

static const struct bad_case bad[] = {
	/* 1 */ { BASE "bogus = 5;\n", 7, "bogus", "unknown setting" },
	/* 2 */ { BASE "bogus = ;\n", 7, "bogus", "syntax error" },
	/* 3 */ { BASE "vpn2: { listen_port = 1; };\n", 7, "vpn2", "unknown setting" },
	/* 4 */ { BASE "dataplane: {\n  lcorez = \"0-1\";\n};\n", 8, "dataplane.lcorez",
		  "expected one of: lcores" },
	/* 5 */ { BASE "dataplane: { lcores = \"0-1,1\"; };\n", 7, "dataplane.lcores",
		  "found \"0-1,1\"" },
	/* 6 */ { BASE "dataplane: { lcores = \"0\"; };\n", 7, "dataplane.lcores",
		  "at least 2 lcores" },
	/* 7 */ { BASE "dataplane: { burst = 100; };\n", 7, "dataplane.burst",
		  "expected a burst size 1..64, found 100" },
	/* 8 */ { BASE "dataplane: { ring_size = 1000; };\n", 7, "dataplane.ring_size",
		  "power of two" },
	/* 9 */ { BASE "dataplane: { mbufs = 2000; };\n", 7, "dataplane.mbufs", "at least" },
	/* 10 */ { BASE "dataplane: { hugepages = \"yes\"; };\n", 7, "dataplane.hugepages",
		   "expected true or false, found \"yes\"" },
	/* 11 */ { BASE "control: { socket = \"relative.sock\"; };\n", 7, "control.socket",
		   "absolute path" },
	/* 12 */ { L1 "  public: { vdev = \"x\"; pci = \"0000:01:00.0\"; address = \"192.0.2.1/24\"; };\n"
		   L3 L4 L5 L6, 2, "ports.public", "exactly one of pci or vdev, found both" },
	/* 13 */ { L1 "  public: { address = \"192.0.2.1/24\"; };\n" L3 L4 L5 L6, 2,
		   "ports.public", "found neither" },
	/* 14 */ { L1 "  public: { pci = \"03:00.0\"; address = \"192.0.2.1/24\"; };\n"
		   L3 L4 L5 L6, 2, "ports.public.pci", "PCI address" },
	/* 15 */ { L1 "  public: { vdev = \"net_null0\"; address = \"192.0.2.1\"; };\n"
		   L3 L4 L5 L6, 2, "ports.public.address", "prefix length" },
	/* 16 */ { L1 L2 "  private: { vdev = \"net_null1\"; };\n" L4 L5 L6, 3,
		   "ports.private.address", "found nothing (required)" },
	/* 17 */ { L1 L2 "  private: { vdev = \"net_null1\"; address = \"192.0.2.9/24\"; };\n"
		   L4 L5 L6, 3, "ports.private.address", "apart from ports.public.address" },
	/* 18 */ { L1 L2 L3 L4 "vpn: { pool = \"10.10.0.5/24\"; };\n" L6, 5, "vpn.pool",
		   "host bits zero" },
	/* 19 */ { L1 L2 L3 L4 "vpn: { pool = \"10.20.0.0/24\"; };\n" L6, 5, "vpn.pool",
		   "apart from ports.private.address" },
	/* 20 */ { L1 L2 L3 L4 "vpn: { pool = \"10.10.0.0/24\"; listen_port = 70000; };\n" L6, 5,
		   "vpn.listen_port", "expected a UDP port 1..65535, found 70000" },
	/* 21 */ { L1 L2 L3 L4 "vpn: { pool = \"10.10.0.0/24\";\n"
		   "  data_ciphers = [\"AES-256-GCM\", \"BF-CBC\"]; };\n" L6, 6, "vpn.data_ciphers",
		   "found \"BF-CBC\"" },
	/* 22 */ { L1 L2 L3 L4 "vpn: { pool = \"10.10.0.0/24\";\n"
		   "  keepalive: { ping = 30; ping_restart = 20; }; };\n" L6, 6,
		   "vpn.keepalive.ping_restart", "more than vpn.keepalive.ping" },
	/* 23 */ { L1 L2 L3 L4 L5 "pki: { ca = \"ca.crt\"; cert = \"s.crt\"; };\n", 6, "pki.key",
		   "found nothing (required)" },
	/* 24 */ { L1 L2 L3 L4 L5
		   "pki: { ca = \"a\"; cert = \"b\"; key = \"c\"; tls_crypt = \"d\"; tls_auth = \"e\"; };\n",
		   6, "pki", "at most one of tls_crypt" },
	/* 25 */ { BASE "rules = (\n  { name = \"a\"; dst = \"10.20.0.0/24\"; action = \"permit\"; }\n);\n",
		   8, "rules[0].action", "expected \"allow\" or \"deny\", found \"permit\"" },
	/* 26 */ { BASE "rules = (\n  { name = \"a\"; dst = \"10.20.0.0/24\"; proto = \"tcp\";\n"
		   "    dst_port = \"90-80\"; action = \"allow\"; }\n);\n", 9, "rules[0].dst_port",
		   "found \"90-80\"" },
	/* 27 */ { BASE "rules = (\n  { name = \"a\"; dst = \"10.20.0.0/24\"; dst_port = 22;"
		   " action = \"allow\"; }\n);\n", 8, "rules[0].dst_port",
		   "rule \"a\": expected \"*\" with proto \"any\" (ports need tcp, udp or both)" },
	/* 28 */ { BASE "rules = (\n  { name = \"a\"; dst = \"10.20.0.0/24\"; action = \"allow\"; },\n"
		   "  { name = \"a\"; dst = \"10.20.1.0/24\"; action = \"deny\"; }\n);\n", 9,
		   "rules[1].name", "not used by rules[0]" },
	/* 29 */ { BASE "rules = (\n  { name = \"a\"; dst = \"10.20.0.0/24\"; }\n);\n", 8,
		   "rules[0].action", "found nothing (required)" },
	/* 30 */ { BASE "rules = (\n  { name = \"a\"; dst = \"10.20.0.0/24\"; action = \"allow\";\n"
		   "    colour = \"red\"; }\n);\n", 9, "rules[0].colour", "unknown setting" },
	/* 31 */ { L1 L2 L3 L4 L5 L6 "dataplane: { file_prefix = \"a b\"; };\n", 7,
		   "dataplane.file_prefix", "letters, digits" },
	/* 32 */ { L1 L2 L3 L4 L6, 0, "vpn", "found nothing" },
	/* 33 */ { BASE "control: { tls_workers = 0; };\n", 7, "control.tls_workers",
		   "expected a thread count 1..16, found 0" },
	/* 34 */ { L1 L2 L3 L4 "vpn: { pool = \"10.10.0.0/24\"; static_addresses = (\n"
		   "  { name = \"alice\"; address = \"10.10.1.5\"; } ); };\n" L6, 6,
		   "vpn.static_addresses[0].address", "inside vpn.pool" },
	/* 35 */ { L1 L2 L3 L4 "vpn: { pool = \"10.10.0.0/24\"; static_addresses = (\n"
		   "  { name = \"alice\"; address = \"10.10.0.1\"; } ); };\n" L6, 6,
		   "vpn.static_addresses[0].address", "not its network, gateway .1" },
	/* 36 */ { L1 L2 L3 L4 "vpn: { pool = \"10.10.0.0/24\"; static_addresses = (\n"
		   "  { name = \"alice\"; address = \"10.10.0.5\"; },\n"
		   "  { name = \"bob\"; address = \"10.10.0.5\"; } ); };\n" L6, 7,
		   "vpn.static_addresses[1].address", "not given to \"alice\"" },
	/* 37 */ { L1 L2 L3 L4 "vpn: { pool = \"10.10.0.0/24\"; static_addresses = (\n"
		   "  { name = \"alice\"; addr = \"10.10.0.5\"; } ); };\n" L6, 6,
		   "vpn.static_addresses[0].addr", "expected one of: name, address" },
	/* 38 */ { BASE "dataplane: { crypto = \"aesni\"; };\n", 7, "dataplane.crypto",
		   "expected one of \"auto\", \"openssl\", \"ipsec-mb\", found \"aesni\"" },
	/* 39 */ { L1 L2 L3 L4 "vpn: { pool = \"10.10.0.0/24\"; tran_window = 5; };\n" L6, 5,
		   "vpn.tran_window", "expected seconds 10..604800, found 5" },
	/* 40 */ { L1 L2 L3 L4 "vpn: { pool = \"10.10.0.0/24\";\n"
		   "  hand_window = 120; tran_window = 60; };\n" L6, 6,
		   "vpn.tran_window", "expected at least vpn.hand_window (120), found 60" },
	/* 41 */ { BASE "control: { rx_rate = 0; };\n", 7, "control.rx_rate",
		   "expected control packets per source per second, 1..1000000, found 0" },
	/* 42 */ { BASE "control: { rx_burst = 2000000; };\n", 7, "control.rx_burst",
		   "1..1000000, found 2000000" },
	/* 43 */ { BASE "control: { rx_rate_total = 0; };\n", 7, "control.rx_rate_total",
		   "1..10000000, found 0" },
#define RULE1(fields) BASE "rules = (\n  { name = \"a\"; action = \"allow\"; " fields " }\n);\n"
	/* 44 */ { RULE1("description = \"tab\\there\";"), 8, "rules[0].description",
		   "rule \"a\": expected printable ASCII text" },
	/* 45 */ { RULE1("src = \"role:\";"), 8, "rules[0].src",
		   "rule \"a\": expected a CIDR like \"10.20.0.0/24\", \"*\", \"vpn\", "
		   "\"role:NAME\" or \"user:EMAIL\" (host bits zero), found \"role:\"" },
	/* 46 */ { RULE1("src = \"user:nobody\";"), 8, "rules[0].src", "found \"user:nobody\"" },
	/* 47 */ { RULE1("src = \"10.10.0.5/24\";"), 8, "rules[0].src", "host bits zero" },
	/* 48 */ { RULE1("dst = \"role:dba\";"), 8, "rules[0].dst",
		   "rule \"a\": expected a CIDR or \"*\" (the LAN side of an in rule" },
	/* 49 */ { RULE1("src = \"vpn\"; direction = \"out\";"), 8, "rules[0].src",
		   "the LAN side of an out rule" },
	/* 50 */ { RULE1("proto = \"sctp\";"), 8, "rules[0].proto",
		   "rule \"a\": expected \"tcp\", \"udp\", \"both\", \"icmp\" or \"any\", "
		   "found \"sctp\"" },
	/* 51 */ { RULE1("proto = \"tcp\"; src_port = \"1-70000\";"), 8, "rules[0].src_port",
		   "found \"1-70000\"" },
	/* 52 */ { RULE1("proto = \"icmp\"; src_port = 7;"), 8, "rules[0].src_port",
		   "ports need tcp, udp or both" },
	/* 53 */ { RULE1("priority = 70000;"), 8, "rules[0].priority",
		   "rule \"a\": expected a priority 0..65535 (lower wins), found \"70000\"" },
	/* 54 */ { RULE1("priority = \"high\";"), 8, "rules[0].priority", "found \"high\"" },
	/* 55 */ { RULE1("direction = \"sideways\";"), 8, "rules[0].direction",
		   "found \"sideways\"" },
	/* 56 */ { RULE1("dst = \"2001:db8::/32\";"), 8, "rules[0].dst", "IPv6" },
	/* 57 */ { RULE1("proto = true;"), 8, "rules[0].proto", "rule \"a\": expected one of" },
	/* 58 */ { BASE "rules = (\n  { name = \"a b;c\"; action = \"allow\"; }\n);\n", 8,
		   "rules[0].name", "found \"a b;c\"" },
	/* 59 */ { BASE "rules_default = \"maybe\";\n", 7, "rules_default",
		   "expected \"deny\" or \"allow\", found \"maybe\"" },
	/* 60 */ { BASE "rules = (\n  { name = \"ssh\"; proto = \"tcp\"; dst_port = 22;"
		   " priority = 5; action = \"allow\"; },\n"
		   "  { name = \"ssh-deny\"; src = \"vpn\"; proto = \"both\"; dst_port = \"20-30\";"
		   " priority = 5; action = \"deny\"; }\n);\n", 9, "rules[1].priority",
		   "rule \"ssh-deny\": expected a priority other than 5: rule \"ssh\" has it" },
#undef RULE1
	/* 61 */ { L1 L2 L3 L4 "vpn: { pool = \"10.10.0.0/24\";\n"
		   "  data_ciphers = [\"AES-192-GCM\"]; };\n" L6, 6, "vpn.data_ciphers",
		   "found \"AES-192-GCM\"" },
	/* 62 */ { L1 L2 L3 L4 "vpn: { pool = \"10.10.0.0/24\";\n  cipher = \"BF-CBC\"; };\n" L6,
		   6, "vpn.cipher", "AES-256-CBC, or \"\", found \"BF-CBC\"" },
	/* 63 */ { L1 L2 L3 L4 "vpn: { pool = \"10.10.0.0/24\";\n  auth = \"MD5\"; };\n" L6, 6,
		   "vpn.auth", "expected one of \"SHA1\", \"SHA256\", \"SHA512\", found \"MD5\"" },
	/* 64 */ { L1 L2 L3 L4 "vpn: { pool = \"10.10.0.0/24\"; cipher = \"AES-256-CBC\";\n"
		   "  auth = \"SHA512\"; tun_mtu = 1400; };\n" L6, 6, "vpn.tun_mtu",
		   "expected at most 1370 so a full CBC packet with vpn.auth SHA512 fits "
		   "ports.public.mtu 1500 (1520 bytes at 1400), found 1400" },
	/* 65 */ { BASE "control: { legacy_tls = \"yes\"; };\n", 7, "control.legacy_tls",
		   "expected true or false" },
	/* 66 */ { L1 L2 L3 L4 "vpn: { pool = \"100.64.0.0/11\"; };\n" L6, 5, "vpn.pool",
		   "expected a prefix length 12..29, found 100.64.0.0/11" },
	/* 67 */ { BASE "dataplane: { idle_sleep_us = 1001; };\n", 7, "dataplane.idle_sleep_us",
		   "expected microseconds 0..1000 (0 = busy-poll only), found 1001" },
	/* 68 */ { BASE "control: {\n  tls_cpus = \"0-x\";\n};\n", 8, "control.tls_cpus",
		   "expected a CPU list like \"0-1\" or \"0,2\"" },
	/* 69 */ { BASE "control: { tls_cpus = \"1-0\"; };\n", 7, "control.tls_cpus",
		   "found \"1-0\"" },
	/* 70 */ { BASE "control: { tls_cpus = \"0,127\"; };\n", 7, "control.tls_cpus",
		   "(this machine's), found CPU 127 in \"0,127\"" },
};

static int load_bad(const struct bad_case *c, int idx)
{
	struct cfg_error err[8];
	struct sl_config cfg;
	char line[512];
	int n = cfg_load_string(&cfg, "t.conf", c->text, err, 8);

	if (n <= 0) {
		fprintf(stderr, "case %d: loaded, expected an error\n", idx);
		return -1;
	}
	cfg_error_str(&err[0], line, sizeof(line));
	if ((c->line != 0 && err[0].line != c->line) || strcmp(err[0].setting, c->setting) != 0 ||
	    strstr(err[0].msg, c->msg_part) == NULL || strcmp(err[0].file, "t.conf") != 0) {
		fprintf(stderr, "case %d: got \"%s\", expected line %d, setting %s, \"%s\"\n",
			idx, line, c->line, c->setting, c->msg_part);
		return -1;
	}
	/* The formatted form starts with FILE:LINE: setting: when a line is known. */
	if (err[0].line > 0) {
		char want[256];

		snprintf(want, sizeof(want), "t.conf:%d: %s: ", err[0].line, c->setting);
		CHECK(strncmp(line, want, strlen(want)) == 0);
	}
	return 0;
}

static int test_bad_table(void)
{
	int failed = 0;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (load_bad(&bad[i], (int)i + 1) < 0)
			failed++;
	CHECK_EQ(failed, 0);
	return 0;
}

/* A /12 pool: 2^20 - 2 client addresses, as many as vpn.max_clients allows. */
static int test_pool_12_loads(void)
{
	struct cfg_error err[8];
	struct sl_config cfg;
	int n = cfg_load_string(&cfg, "t.conf", L1 L2 L3 L4
				"vpn: { pool = \"100.64.0.0/12\"; max_clients = 1048576; };\n" L6,
				err, 8);

	CHECK_EQ(n, 0);
	CHECK_EQ(cfg.vpn.pool.addr, 0x64400000);
	CHECK_EQ(cfg.vpn.pool.len, 12);
	cfg_free(&cfg);
	return 0;
}

static int test_base_loads(void)
{
	struct cfg_error err[8];
	struct sl_config cfg;
	int n = cfg_load_string(&cfg, "/etc/x/t.conf", BASE, err, 8);

	CHECK_EQ(n, 0);
	CHECK_EQ(cfg.vpn.listen_port, 1194);
	CHECK_EQ(cfg.vpn.pool.addr, 0x0A0A0000);
	CHECK_EQ(cfg.vpn.pool.len, 24);
	CHECK_STR(cfg.pki.ca, "/etc/x/ca.crt");		/* relative to the file */
	CHECK_STR(cfg.port[CFG_PORT_PUBLIC].vdev, "net_null0");
	CHECK_EQ(cfg.dp.n_lcores, 2);
	CHECK_EQ(cfg.n_rules, 0);
	CHECK_EQ(cfg.dp.crypto, CFG_CRYPTO_AUTO);
	CHECK_EQ(cfg.vpn.tran_window, 3600);	/* OpenVPN's tran-window default */
	cfg_free(&cfg);
	return 0;
}

/* dataplane.crypto: each spelling to its backend (a bad one is in bad[]). */
static int test_crypto_values(void)
{
	static const char *const names[] = { "auto", "openssl", "ipsec-mb" };
	struct cfg_error err[8];
	struct sl_config cfg;
	char text[1024];

	for (int i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), BASE "dataplane: { crypto = \"%s\"; };\n", names[i]);
		CHECK_EQ(cfg_load_string(&cfg, "t.conf", text, err, 8), 0);
		CHECK_EQ(cfg.dp.crypto, i);
		cfg_free(&cfg);
	}
	return 0;
}

static int load_file_ok(const char *rel, unsigned want_rules)
{
	char path[512], line[512];
	struct cfg_error err[8];
	struct sl_config cfg;
	int n;

	snprintf(path, sizeof(path), "%s/%s", SL_SOURCE_ROOT, rel);
	n = cfg_load(&cfg, path, err, 8);
	if (n != 0) {
		fprintf(stderr, "%s\n", cfg_error_str(&err[0], line, sizeof(line)));
		return -1;
	}
	CHECK_EQ(cfg.n_rules, want_rules);
	cfg_free(&cfg);
	return 0;
}

static int test_example_loads(void)
{
	struct cfg_error err[8];
	struct sl_config cfg;
	char path[512];

	CHECK(load_file_ok("config/sluice.conf", 4) == 0);
	snprintf(path, sizeof(path), "%s/config/sluice.conf", SL_SOURCE_ROOT);
	CHECK_EQ(cfg_load(&cfg, path, err, 8), 0);
	CHECK_STR(cfg.port[CFG_PORT_PUBLIC].pci, "0000:03:00.0");
	/* The shipped rules: SSH, RDP, web from the pool to the LAN, else deny. */
	CHECK_EQ(cfg.rules_default, SL_RULE_DENY);
	CHECK_EQ(cfg.rules[0].dport_lo, 22);
	CHECK_EQ(cfg.rules[1].dport_lo, 3389);
	CHECK_EQ(cfg.rules[2].dport_hi, 80);
	CHECK_EQ(cfg.rules[3].dport_lo, 443);
	for (unsigned i = 0; i < 4; i++) {
		CHECK_EQ(cfg.rules[i].src.kind, SL_END_VPN);
		CHECK_EQ(cfg.rules[i].dst.prefix.len, 24);
		CHECK_EQ(cfg.rules[i].proto, SL_RULE_TCP);
		CHECK_EQ(cfg.rules[i].action, SL_RULE_ALLOW);
		CHECK_EQ(cfg.rules[i].direction, SL_RULE_IN);
		CHECK_EQ(cfg.rules[i].origin, SL_RULE_CONFIG);
	}
	CHECK_EQ(cfg.vpn.n_push_routes, 1);
	CHECK_EQ(cfg.vpn.n_statics, 1);
	CHECK_STR(cfg.vpn.statics[0].name, "alice@example.com");
	CHECK_EQ(cfg.vpn.statics[0].addr, 0x0A0A0032);
	CHECK_EQ(cfg.vpn.n_ciphers, 3);
	cfg_free(&cfg);
	return 0;
}

static int test_demo_loads(void)
{
	return load_file_ok("config/demo.conf", 4);
}

static int test_missing_file(void)
{
	struct cfg_error err[2];
	struct sl_config cfg;

	CHECK_EQ(cfg_load(&cfg, "/nonexistent/sluice.conf", err, 2), -1);
	CHECK(strstr(err[0].msg, "No such file") != NULL);
	return 0;
}

static int test_all_errors_reported(void)
{
	struct cfg_error err[8];
	struct sl_config cfg;
	int n = cfg_load_string(&cfg, "t.conf", BASE "a = 1;\nb = 2;\n", err, 8);

	CHECK_EQ(n, 2);
	CHECK_EQ(err[0].line, 7);
	CHECK_EQ(err[1].line, 8);
	CHECK_STR(err[1].setting, "b");
	return 0;
}

static int test_parsers(void)
{
	uint16_t ids[8];
	unsigned n;
	struct cfg_prefix p;

	CHECK_EQ(cfg_parse_lcores("0-2,5", ids, 8, &n), 0);
	CHECK_EQ(n, 4);
	CHECK_EQ(ids[3], 5);
	CHECK_EQ(cfg_parse_lcores("2-1", ids, 8, &n), -1);
	CHECK_EQ(cfg_parse_lcores("", ids, 8, &n), -1);
	CHECK_EQ(cfg_parse_lcores("1,", ids, 8, &n), 0);
	CHECK_EQ(cfg_parse_lcores("200", ids, 8, &n), -1);
	CHECK_EQ(cfg_parse_prefix("10.0.0.0/8", &p), 0);
	CHECK_EQ(p.len, 8);
	CHECK_EQ(cfg_parse_prefix("10.0.0.0/33", &p), -1);
	CHECK_EQ(cfg_parse_prefix("10.0.0.0/", &p), -1);
	CHECK_EQ(cfg_parse_prefix("10.0.0/8", &p), -1);
	return 0;
}

static int argv_has(char **argv, int argc, const char *a, const char *b)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], a) == 0 && (b == NULL || (i + 1 < argc && strcmp(argv[i + 1], b) == 0)))
			return 1;
	return 0;
}

/* vdev-only configs never let DPDK near a PCI device. */
static int test_eal_vdev_no_pci(void)
{
	struct cfg_error err[8];
	struct sl_config cfg;
	char *argv[CFG_EAL_MAX_ARGS], buf[2048];
	int argc;

	CHECK_EQ(cfg_load_string(&cfg, "t.conf", BASE, err, 8), 0);
	argc = cfg_eal_args(&cfg, CFG_EAL_PRIMARY, "dp", argv, CFG_EAL_MAX_ARGS, buf, sizeof(buf));
	CHECK(argc > 0);
	CHECK(argv_has(argv, argc, "--no-pci", NULL));
	CHECK(!argv_has(argv, argc, "-a", NULL));
	CHECK(argv_has(argv, argc, "--vdev", "net_null0"));
	CHECK(argv_has(argv, argc, "--vdev", "net_null1"));
	CHECK(argv_has(argv, argc, "--proc-type=primary", NULL));
	CHECK(argv_has(argv, argc, "--file-prefix=sluice", NULL));
	CHECK(argv[argc] == NULL);
	argc = cfg_eal_args(&cfg, CFG_EAL_SECONDARY, "cp", argv, CFG_EAL_MAX_ARGS, buf, sizeof(buf));
	CHECK(argv_has(argv, argc, "--no-pci", NULL));
	CHECK(!argv_has(argv, argc, "--vdev", NULL));	/* learnt from the primary */
	CHECK(argv_has(argv, argc, "--proc-type=secondary", NULL));
	cfg_free(&cfg);
	return 0;
}

/* A PCI port is passed as an allow-list entry and nothing else is probed. */
static int test_eal_pci_allow_list(void)
{
	struct cfg_error err[8];
	struct sl_config cfg;
	char *argv[CFG_EAL_MAX_ARGS], buf[2048];
	int argc;
	const char *text = L1 "  public: { pci = \"0000:03:00.0\"; address = \"192.0.2.1/24\"; };\n"
			   L3 L4 L5 L6;

	CHECK_EQ(cfg_load_string(&cfg, "t.conf", text, err, 8), 0);
	argc = cfg_eal_args(&cfg, CFG_EAL_PRIMARY, "dp", argv, CFG_EAL_MAX_ARGS, buf, sizeof(buf));
	CHECK(argv_has(argv, argc, "-a", "0000:03:00.0"));
	CHECK(!argv_has(argv, argc, "--no-pci", NULL));
	CHECK(argv_has(argv, argc, "--vdev", "net_null1"));
	argc = cfg_eal_args(&cfg, CFG_EAL_SECONDARY, "cp", argv, CFG_EAL_MAX_ARGS, buf, sizeof(buf));
	CHECK(argv_has(argv, argc, "-a", "0000:03:00.0"));
	CHECK(!argv_has(argv, argc, "--no-pci", NULL));
	/* Too small a buffer is an error, not a cut argument. */
	CHECK_EQ(cfg_eal_args(&cfg, CFG_EAL_PRIMARY, "dp", argv, CFG_EAL_MAX_ARGS, buf, 40), -1);
	cfg_free(&cfg);
	return 0;
}

/* ---- the schema table and its defaults ---- */

static const struct cfg_key *row(const char *path)
{
	int i = cfg_schema_find(path);

	return i < 0 ? NULL : &cfg_schema[i];
}

/* Every row sits in a group or list row, and has what its kind needs. */
static int test_schema_table(void)
{
	CHECK(cfg_schema_len <= CFG_SEEN_MAX);
	for (unsigned i = 0; i < cfg_schema_len; i++) {
		const struct cfg_key *k = &cfg_schema[i];
		const char *dot = strrchr(k->path, '.');
		char parent[128];

		CHECK_EQ(cfg_schema_find(k->path), i);		/* unique */
		CHECK(k->what != NULL);
		if (dot != NULL) {
			const struct cfg_key *p;

			snprintf(parent, sizeof(parent), "%.*s", (int)(dot - k->path), k->path);
			if (strlen(parent) > 2 && strcmp(parent + strlen(parent) - 2, ".*") == 0) {
				parent[strlen(parent) - 2] = '\0';	/* "rules.*" -> "rules" */
				p = row(parent);
				CHECK(p != NULL && p->list != NULL);
			} else {
				p = row(parent);
				CHECK(p != NULL && p->type == CONFIG_TYPE_GROUP);
			}
		}
		if (k->type == CONFIG_TYPE_GROUP) {
			CHECK(k->set == NULL && k->list == NULL && k->def == NULL);
		} else if (k->list != NULL) {
			CHECK(k->set == NULL && k->def == NULL && k->size == sizeof(void *));
			CHECK(k->max > 0);
		} else {
			CHECK(k->set != NULL && k->size > 0);
		}
		CHECK(!(k->required && k->def != NULL));
	}
	return 0;
}

/* libconfig values A and B are equal (ints of either width, arrays element-wise). */
static int same_value(const config_setting_t *a, const config_setting_t *b)
{
	int ta = config_setting_type(a), tb = config_setting_type(b);

	if (ta == CONFIG_TYPE_INT64)
		ta = CONFIG_TYPE_INT;
	if (tb == CONFIG_TYPE_INT64)
		tb = CONFIG_TYPE_INT;
	if (ta != tb)
		return 0;
	switch (ta) {
	case CONFIG_TYPE_INT:
		return config_setting_get_int64(a) == config_setting_get_int64(b);
	case CONFIG_TYPE_BOOL:
		return config_setting_get_bool(a) == config_setting_get_bool(b);
	case CONFIG_TYPE_STRING:
		return strcmp(config_setting_get_string(a), config_setting_get_string(b)) == 0;
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		if (config_setting_length(a) != config_setting_length(b))
			return 0;
		for (int i = 0; i < config_setting_length(a); i++)
			if (!same_value(config_setting_get_elem(a, i), config_setting_get_elem(b, i)))
				return 0;
		return 1;
	}
	return 0;
}

/* Line N (from 1) of TEXT, without its newline, into BUF. */
static const char *text_line(const char *text, int n, char *buf, size_t len)
{
	const char *p = text;

	for (int i = 1; i < n && p != NULL; i++) {
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	snprintf(buf, len, "%.*s", p != NULL ? (int)strcspn(p, "\n") : 0, p != NULL ? p : "");
	return buf;
}

static char conf_text[16384];

static int read_sluice_conf(config_t *doc)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/config/sluice.conf", SL_SOURCE_ROOT);
	f = fopen(path, "r");
	CHECK(f != NULL);
	n = fread(conf_text, 1, sizeof(conf_text) - 1, f);
	fclose(f);
	conf_text[n] = '\0';
	config_init(doc);
	CHECK(config_read_string(doc, conf_text) == CONFIG_TRUE);
	return 0;
}

/*
 * Every default outside lists is the value config/sluice.conf shows for it
 * ("Values shown are the defaults unless the comment says required"), and
 * a minimal config holds exactly what sluice.conf sets there.
 */
static int test_defaults_documented(void)
{
	struct cfg_error err[8];
	struct sl_config min, doc_cfg;
	char path[512], line[256];
	config_t doc, def;
	unsigned checked = 0;

	CHECK(read_sluice_conf(&doc) == 0);
	CHECK_EQ(cfg_load_string(&min, "/etc/x/t.conf", BASE, err, 8), 0);
	snprintf(path, sizeof(path), "%s/config/sluice.conf", SL_SOURCE_ROOT);
	CHECK_EQ(cfg_load(&doc_cfg, path, err, 8), 0);
	for (unsigned i = 0; i < cfg_schema_len; i++) {
		const struct cfg_key *k = &cfg_schema[i];
		const config_setting_t *shown = config_lookup(&doc, k->path);
		char text[256];
		int ok;

		if (strchr(k->path, '*') != NULL || k->type == CONFIG_TYPE_GROUP)
			continue;
		text_line(conf_text, shown ? config_setting_source_line(shown) : 0, line,
			  sizeof(line));
		if (k->required) {
			if (shown == NULL || strstr(line, "required") == NULL)
				fprintf(stderr, "%s: not shown as required in sluice.conf\n", k->path);
			CHECK(shown != NULL && strstr(line, "required") != NULL);
		}
		if (k->def == NULL)
			continue;
		if (shown == NULL)
			fprintf(stderr, "%s: default %s not shown in sluice.conf\n", k->path, k->def);
		CHECK(shown != NULL);
		CHECK(strstr(line, "required") == NULL);
		snprintf(text, sizeof(text), "v = %s;", k->def);
		config_init(&def);
		CHECK(config_read_string(&def, text) == CONFIG_TRUE);
		ok = same_value(config_lookup(&def, "v"), shown);
		config_destroy(&def);
		if (!ok)
			fprintf(stderr, "%s: default %s, sluice.conf shows line %d \"%s\"\n", k->path,
				k->def, config_setting_source_line(shown), line);
		CHECK(ok);
		CHECK_MEM((char *)&min + k->off, (char *)&doc_cfg + k->off, k->size);
		checked++;
	}
	CHECK_EQ(checked, 48);		/* every default outside lists */
	config_destroy(&doc);
	cfg_free(&min);
	cfg_free(&doc_cfg);
	return 0;
}

/*
 * A rule's defaults: the "rules" comment of sluice.conf names a default for
 * each, a minimal rule gets them (any source, any protocol, any ports,
 * priority 1000), and so does every rule of sluice.conf that leaves one out.
 */
static int test_rule_defaults(void)
{
	struct cfg_error err[8];
	struct sl_config min, doc_cfg;
	const struct sl_rule *r;
	char path[512];
	config_t doc;
	const config_setting_t *rules;

	CHECK(read_sluice_conf(&doc) == 0);
	CHECK_EQ(cfg_load_string(&min, "t.conf", BASE "rules = (\n  { name = \"a\"; "
				 "dst = \"10.20.0.0/24\"; action = \"deny\"; } );\n", err, 8), 0);
	snprintf(path, sizeof(path), "%s/config/sluice.conf", SL_SOURCE_ROOT);
	CHECK_EQ(cfg_load(&doc_cfg, path, err, 8), 0);
	r = &min.rules[0];
	CHECK_EQ(r->src.kind, SL_END_CIDR);
	CHECK_EQ(r->src.prefix.addr.family, SL_AF_NONE);
	CHECK_EQ(r->src.prefix.len, 0);
	CHECK_EQ(r->proto, SL_RULE_ANY);
	CHECK_EQ(r->direction, SL_RULE_IN);
	CHECK_EQ(min.rules_default, SL_RULE_DENY);
	CHECK_EQ(r->sport_lo, 0);
	CHECK_EQ(r->sport_hi, 65535);
	CHECK_EQ(r->dport_lo, 0);
	CHECK_EQ(r->dport_hi, 65535);
	CHECK_EQ(r->priority, 1000);
	CHECK_EQ(r->line, 8);
	rules = config_lookup(&doc, "rules");
	CHECK(rules != NULL);
	for (unsigned i = 0; i < cfg_schema_len; i++) {
		const struct cfg_key *k = &cfg_schema[i];
		const char *member = k->path + strlen("rules.*.");
		char comment[64], line[256];
		const char *at;

		if (strncmp(k->path, "rules.*.", 8) != 0 || k->def == NULL)
			continue;
		snprintf(comment, sizeof(comment), "#   %s ", member);
		at = strstr(conf_text, comment);
		CHECK(at != NULL);
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(at, "\n"), at);
		CHECK(strstr(line, "default") != NULL);
		for (int j = 0; j < config_setting_length(rules); j++)
			if (config_setting_get_member(config_setting_get_elem(rules, j), member) == NULL)
				CHECK_MEM((char *)&doc_cfg.rules[j] + k->off, (char *)r + k->off, k->size);
	}
	CHECK(strstr(conf_text, "(default \"any\")") != NULL);
	CHECK(strstr(conf_text, "(default 1000)") != NULL);
	config_destroy(&doc);
	cfg_free(&min);
	cfg_free(&doc_cfg);
	return 0;
}

/* ---- the list walker: the same errors for every list ---- */

struct list_case {
	const char *text;
	int line;
	const char *setting;
	const char *msg;		/* the whole message */
};

#define VPN_LIST(elems) L1 L2 L3 L4 "vpn: { pool = \"10.10.0.0/24\"; static_addresses = (\n" \
	"  { name = \"alice\"; address = \"10.10.0.5\"; },\n" elems " ); };\n" L6
#define RULE_LIST(elems) BASE "rules = (\n" \
	"  { name = \"a\"; dst = \"10.20.0.0/24\"; action = \"allow\"; },\n" elems " );\n"
#define RULES_WHAT "a list of rule groups ( { ... }, ... )"
#define STATICS_WHAT "a list of { name = \"user\"; address = \"10.10.0.50\"; } groups"

static const struct list_case list_bad[] = {
	/* a bad value in the second element */
	{ VPN_LIST("  { name = \"bob\"; address = \"10.10.0.x\"; }"), 7,
	  "vpn.static_addresses[1].address",
	  "expected an IPv4 address inside vpn.pool, found \"10.10.0.x\"" },
	{ RULE_LIST("  { name = \"b\"; dst = \"10.20.0.0/33\"; action = \"allow\"; }"), 9,
	  "rules[1].dst", "rule \"b\": expected a CIDR like \"10.20.0.0/24\", \"*\", \"vpn\", "
	  "\"role:NAME\" or \"user:EMAIL\" (host bits zero), found \"10.20.0.0/33\"" },
	/* a value of the wrong type */
	{ VPN_LIST("  { name = 7; address = \"10.10.0.6\"; }"), 7, "vpn.static_addresses[1].name",
	  "expected a user or common name (1..63 characters), found 7" },
	{ RULE_LIST("  { name = \"b\"; dst = \"10.20.1.0/24\"; action = true; }"), 9,
	  "rules[1].action", "rule \"b\": expected \"allow\" or \"deny\", found true" },
	/* an element that is not a group */
	{ VPN_LIST("  5"), 7, "vpn.static_addresses[1]",
	  "expected " STATICS_WHAT ", found 5" },
	{ RULE_LIST("  \"b\""), 9, "rules[1]", "expected " RULES_WHAT ", found \"b\"" },
	/* an unknown member */
	{ VPN_LIST("  { name = \"bob\"; address = \"10.10.0.6\"; colour = 1; }"), 7,
	  "vpn.static_addresses[1].colour", "unknown setting, expected one of: name, address" },
	{ RULE_LIST("  { name = \"b\"; dst = \"10.20.1.0/24\"; action = \"deny\"; colour = 1; }"), 9,
	  "rules[1].colour", "unknown setting, expected one of: name, description, src, dst, "
	  "proto, src_port, dst_port, priority, action, direction" },
	/* a required member missing */
	{ VPN_LIST("  { name = \"bob\"; }"), 7, "vpn.static_addresses[1].address",
	  "expected a value, found nothing (required)" },
	{ RULE_LIST("  { name = \"b\"; dst = \"10.20.1.0/24\"; }"), 9, "rules[1].action",
	  "expected a value, found nothing (required)" },
	/* the checks after the walk see each element with its line */
	{ VPN_LIST("  { name = \"alice\"; address = \"10.10.0.6\"; }"), 7,
	  "vpn.static_addresses[1].name", "expected a name not listed already (line 6), found \"alice\"" },
};

static int test_list_walker(void)
{
	int failed = 0;

	for (unsigned i = 0; i < sizeof(list_bad) / sizeof(list_bad[0]); i++) {
		const struct list_case *c = &list_bad[i];
		struct cfg_error err[8];
		struct sl_config cfg;
		char line[512];
		int n = cfg_load_string(&cfg, "t.conf", c->text, err, 8);

		if (n != 1 || err[0].line != c->line || strcmp(err[0].setting, c->setting) != 0 ||
		    strcmp(err[0].msg, c->msg) != 0) {
			fprintf(stderr, "list case %u: %d errors, first \"%s\", expected line %d, %s: %s\n",
				i + 1, n, n > 0 ? cfg_error_str(&err[0], line, sizeof(line)) : "",
				c->line, c->setting, c->msg);
			failed++;
		}
	}
	CHECK_EQ(failed, 0);
	return 0;
}

/* Each element gets its own defaults and line; too long a list is refused. */
static int test_list_elements(void)
{
	struct cfg_error err[8];
	struct sl_config cfg;
	size_t len = strlen(BASE) + 4097 * 4 + 32;
	char *text = malloc(len);

	CHECK_EQ(cfg_load_string(&cfg, "t.conf", RULE_LIST("  { name = \"b\"; dst = \"10.20.1.0/24\";"
				 " action = \"deny\"; priority = 5; proto = \"udp\"; dst_port = 53; },\n"
				 "  { name = \"c\"; dst = \"10.20.2.0/24\"; action = \"allow\"; }"),
				 err, 8), 0);
	CHECK_EQ(cfg.n_rules, 3);
	CHECK_EQ(cfg.rules[1].line, 9);
	CHECK_EQ(cfg.rules[1].priority, 5);
	CHECK_EQ(cfg.rules[1].dport_lo, 53);
	CHECK_EQ(cfg.rules[1].dport_hi, 53);
	CHECK_EQ(cfg.rules[2].line, 10);
	CHECK_EQ(cfg.rules[2].priority, 1000);
	CHECK_EQ(cfg.rules[2].proto, SL_RULE_ANY);
	CHECK_EQ(cfg.rules[2].dport_hi, 65535);
	CHECK_EQ(cfg.rules[2].action, SL_RULE_ALLOW);
	cfg_free(&cfg);
	CHECK(cfg.rules == NULL && cfg.n_rules == 0);

	CHECK(text != NULL);
	snprintf(text, len, "%srules = (", BASE);
	for (int i = 0; i < 4097; i++)
		strcat(text, i ? ",{}" : "{}");
	strcat(text, ");\n");
	CHECK_EQ(cfg_load_string(&cfg, "t.conf", text, err, 8), 1);
	free(text);
	CHECK_EQ(err[0].line, 7);
	CHECK_STR(err[0].setting, "rules");
	CHECK_STR(err[0].msg, "expected at most 4096 rules, found 4097");
	return 0;
}

/* ---- the daemons' command line ---- */

/* Run cfg_daemon_args() on ARGV with stdout and stderr caught into OUT and ERR. */
static int run_args(char **argv, const char **file, int *debug, char *out, char *err,
		    size_t len)
{
	FILE *fo = tmpfile(), *fe = tmpfile();
	int so, se, rc, argc = 0;
	size_t n;

	while (argv[argc] != NULL)
		argc++;
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	dup2(fileno(fo), 1);
	dup2(fileno(fe), 2);
	rc = cfg_daemon_args(argc, argv, "sluice-controlplane", file, debug);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	rewind(fo);
	n = fread(out, 1, len - 1, fo);
	out[n] = '\0';
	rewind(fe);
	n = fread(err, 1, len - 1, fe);
	err[n] = '\0';
	fclose(fo);
	fclose(fe);
	return rc;
}

/* The project version from meson.build: "version : '0.1.0'". */
static int meson_version(char *buf, size_t len)
{
	char path[512], text[4096];
	const char *v;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/meson.build", SL_SOURCE_ROOT);
	f = fopen(path, "r");
	CHECK(f != NULL);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	v = strstr(text, "version : '");
	CHECK(v != NULL);
	v += strlen("version : '");
	snprintf(buf, len, "%.*s", (int)strcspn(v, "'"), v);
	return 0;
}

static int test_daemon_args(void)
{
	char out[1024], err[1024], want[128], version[32];
	const char *file;
	int debug;

	CHECK(meson_version(version, sizeof(version)) == 0);
	CHECK_EQ(run_args((char *[]){ "cp", "-c", "x.conf", NULL }, &file, &debug, out, err,
			  sizeof(out)), CFG_ARGS_RUN);
	CHECK_STR(file, "x.conf");
	CHECK_EQ(debug, 0);
	CHECK_EQ(run_args((char *[]){ "cp", "-d", "-c", "y.conf", NULL }, &file, &debug, out, err,
			  sizeof(out)), CFG_ARGS_RUN);
	CHECK_STR(file, "y.conf");
	CHECK_EQ(debug, 1);
	CHECK_STR(out, "");
	CHECK_STR(err, "");

	/* --help and -h: usage on stdout, main exits 0 */
	CHECK_EQ(run_args((char *[]){ "cp", "--help", NULL }, &file, &debug, out, err,
			  sizeof(out)), CFG_ARGS_EXIT);
	CHECK(strncmp(out, "usage: sluice-controlplane -c CONFIG [-d]\n", 42) == 0);
	CHECK(strstr(out, "--version") != NULL);
	CHECK_STR(err, "");
	CHECK_EQ(run_args((char *[]){ "cp", "-c", "x.conf", "-h", NULL }, &file, &debug, out, err,
			  sizeof(out)), CFG_ARGS_EXIT);
	CHECK(strncmp(out, "usage: ", 7) == 0);

	/* --version: "PROG VERSION" with the meson project version */
	snprintf(want, sizeof(want), "sluice-controlplane %s\n", version);
	CHECK_EQ(run_args((char *[]){ "cp", "--version", NULL }, &file, &debug, out, err,
			  sizeof(out)), CFG_ARGS_EXIT);
	CHECK_STR(out, want);
	CHECK_STR(err, "");
	CHECK_EQ(run_args((char *[]){ "cp", "-c", "x.conf", "--version", NULL }, &file, &debug,
			  out, err, sizeof(out)), CFG_ARGS_EXIT);
	CHECK_STR(out, want);

	/* usage errors: usage on stderr, nothing on stdout, main exits 2 */
	CHECK_EQ(run_args((char *[]){ "cp", NULL }, &file, &debug, out, err, sizeof(out)),
		 CFG_ARGS_USAGE);
	CHECK_STR(out, "");
	CHECK(strstr(err, "usage: sluice-controlplane") != NULL);
	CHECK_EQ(run_args((char *[]){ "cp", "-c", "x.conf", "extra", NULL }, &file, &debug, out,
			  err, sizeof(out)), CFG_ARGS_USAGE);
	CHECK_EQ(run_args((char *[]){ "cp", "--bogus", NULL }, &file, &debug, out, err,
			  sizeof(out)), CFG_ARGS_USAGE);
	CHECK_EQ(run_args((char *[]){ "cp", "-c", NULL }, &file, &debug, out, err, sizeof(out)),
		 CFG_ARGS_USAGE);
	CHECK_EQ(run_args((char *[]){ "cp", "--version=1", NULL }, &file, &debug, out, err,
			  sizeof(out)), CFG_ARGS_USAGE);
	CHECK_STR(out, "");
	return 0;
}

/* The built-in CA's settings and profile.remote: values, the default
 * remote, and bad values naming the setting and line. */
static int test_pki_profile(void)
{
	static const struct bad_case bad_pki[] = {
		{ BASE "profile: { remote = [ \"vpn.example.com\" ]; };\n", 7, "profile.remote",
		  "HOST PORT [udp|tcp]" },
		{ BASE "profile: { remote = [ \"a 1194 udp\", \"b 0\" ]; };\n", 7,
		  "profile.remote", "found \"b 0\"" },
		{ BASE "profile: { remote = [ \"a 70000\" ]; };\n", 7, "profile.remote", "70000" },
		{ BASE "profile: { remote = [ \"a 1194 sctp\" ]; };\n", 7, "profile.remote", "sctp" },
		{ BASE "profile: { remote = [ \"a 1194 udp x\" ]; };\n", 7, "profile.remote", "x" },
		{ BASE "profile: { remote = [ \"a\\\"b 1194\" ]; };\n", 7, "profile.remote", "found" },
		{ BASE "profile: { remote = [ 1194 ]; };\n", 7, "profile.remote", "found" },
		{ L1 L2 L3 L4 L5 "pki: { ca = \"ca.crt\"; cert = \"s.crt\"; key = \"s.key\";\n"
		  "  key_type = \"dsa\"; };\n", 7, "pki.key_type", "\"ec\"" },
		{ L1 L2 L3 L4 L5 "pki: { ca = \"ca.crt\"; cert = \"s.crt\"; key = \"s.key\";\n"
		  "  cert_days = 0; };\n", 7, "pki.cert_days", "days 1..36500, found 0" },
	};
	struct cfg_error err[8];
	struct sl_config cfg;

	for (unsigned i = 0; i < sizeof(bad_pki) / sizeof(bad_pki[0]); i++)
		CHECK_EQ(load_bad(&bad_pki[i], (int)i + 1), 0);
	/* Defaults: ECDSA, 825 days, external CA, the public address as remote. */
	CHECK_EQ(cfg_load_string(&cfg, "/etc/x/t.conf", BASE, err, 8), 0);
	CHECK_EQ(cfg.pki.cert_days, 825);
	CHECK(!cfg.pki.key_rsa);
	CHECK_STR(cfg.pki.ca_key, "");
	CHECK_EQ(cfg.profile.n_remotes, 1);
	CHECK_STR(cfg.profile.remotes[0].host, "192.0.2.1");
	CHECK_EQ(cfg.profile.remotes[0].port, 1194);
	CHECK(!cfg.profile.remotes[0].tcp);
	cfg_free(&cfg);
	CHECK_EQ(cfg_load_string(&cfg, "/etc/x/t.conf", L1 L2 L3 L4 L5
				 "pki: { ca = \"ca.crt\"; cert = \"s.crt\"; key = \"s.key\";\n"
				 "  ca_key = \"ca.key\"; key_type = \"rsa\";\n"
				 "  cert_days = 30; };\n"
				 "profile: { remote = [ \"vpn.example.com 1194\",\n"
				 "  \"2001:db8::1 443 tcp\" ]; };\n", err, 8), 0);
	CHECK_STR(cfg.pki.ca_key, "/etc/x/ca.key");
	CHECK_STR(cfg.pki.crl, "/etc/x/crl.pem");
	CHECK(cfg.pki.key_rsa);
	CHECK_EQ(cfg.pki.cert_days, 30);
	CHECK_EQ(cfg.profile.n_remotes, 2);
	CHECK_STR(cfg.profile.remotes[0].host, "vpn.example.com");
	CHECK(!cfg.profile.remotes[0].tcp);
	CHECK_STR(cfg.profile.remotes[1].host, "2001:db8::1");
	CHECK_EQ(cfg.profile.remotes[1].port, 443);
	CHECK(cfg.profile.remotes[1].tcp);
	cfg_free(&cfg);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "EAL args: vdev ports mean --no-pci", test_eal_vdev_no_pci },
	{ "EAL args: PCI ports are an allow-list", test_eal_pci_allow_list },
	{ "minimal config loads with defaults", test_base_loads },
	{ "a /12 pool (2^20 clients) loads", test_pool_12_loads },
	{ "config/sluice.conf loads", test_example_loads },
	{ "dataplane.crypto: auto, openssl, ipsec-mb", test_crypto_values },
	{ "config/demo.conf loads", test_demo_loads },
	{ "bad configs: line, setting, message", test_bad_table },
	{ "every error is reported", test_all_errors_reported },
	{ "missing file", test_missing_file },
	{ "value parsers", test_parsers },
	{ "schema table: every row in a group or list", test_schema_table },
	{ "defaults: what config/sluice.conf shows", test_defaults_documented },
	{ "defaults of a rule: what config/sluice.conf says", test_rule_defaults },
	{ "list walker: every list names element and field", test_list_walker },
	{ "list walker: defaults and line per element, at most", test_list_elements },
	{ "daemon arguments: --help, --version, usage", test_daemon_args },
	{ "built-in CA settings and profile.remote", test_pki_profile },
	{ NULL, NULL },
};

int main(void)
{
	return sl_test_run("config", cases);
}
