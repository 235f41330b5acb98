/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Config loader tests: the shipped examples load, and a numbered table of
 * bad configurations each fail with the right line, setting and message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		   " action = \"allow\"; }\n);\n", 8, "rules[0].proto", "for a rule with ports" },
	/* 28 */ { BASE "rules = (\n  { name = \"a\"; dst = \"10.20.0.0/24\"; action = \"allow\"; },\n"
		   "  { name = \"a\"; dst = \"10.20.1.0/24\"; action = \"deny\"; }\n);\n", 9,
		   "rules[1].name", "not used by rules[0]" },
	/* 29 */ { BASE "rules = (\n  { name = \"a\"; action = \"allow\"; }\n);\n", 8,
		   "rules[0].dst", "found nothing (required)" },
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
	cfg_free(&cfg);
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
	CHECK_EQ(cfg.rules[3].dport_lo, 5432);
	CHECK_EQ(cfg.rules[3].dport_hi, 5433);
	CHECK_EQ(cfg.rules[1].dport_lo, 53);
	CHECK_EQ(cfg.rules[3].action, CFG_ACTION_DENY);
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
	return load_file_ok("config/demo.conf", 3);
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

static const struct sl_test_case cases[] = {
	{ "EAL args: vdev ports mean --no-pci", test_eal_vdev_no_pci },
	{ "EAL args: PCI ports are an allow-list", test_eal_pci_allow_list },
	{ "minimal config loads with defaults", test_base_loads },
	{ "config/sluice.conf loads", test_example_loads },
	{ "config/demo.conf loads", test_demo_loads },
	{ "bad configs: line, setting, message", test_bad_table },
	{ "every error is reported", test_all_errors_reported },
	{ "missing file", test_missing_file },
	{ "value parsers", test_parsers },
	{ NULL, NULL },
};

int main(void)
{
	return sl_test_run("config", cases);
}
