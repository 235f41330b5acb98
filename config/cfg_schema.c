/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The schema of sluice.conf: one row per setting (path, type, setter, field,
 * range, default). config/sluice.conf documents every row and shows every
 * default; keep the two in step (the unit tests compare them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg_schema.h"

#define LINE(s) config_setting_source_line(s)

/* ---- setters: one per value kind ---- */

/* Any unsigned field of 2, 4 or 8 bytes, range-checked against min..max. */
static int set_uint(struct cfg_loader *ld, const config_setting_t *s,
		    const struct cfg_key *k, void *f)
{
	long long v = config_setting_get_int64(s);

	if (v < k->min || v > k->max) {
		cfg_errorf(&ld->es, LINE(s), NULL, "expected %s, found %lld", k->what, v);
		return -1;
	}
	switch (k->size) {
	case sizeof(uint16_t):
		*(uint16_t *)f = (uint16_t)v;
		return 0;
	case sizeof(uint32_t):
		*(uint32_t *)f = (uint32_t)v;
		return 0;
	case sizeof(uint64_t):
		*(uint64_t *)f = (uint64_t)v;
		return 0;
	}
	cfg_errorf(&ld->es, LINE(s), NULL, "expected a schema field of 2, 4 or 8 bytes, found %zu",
		   k->size);
	return -1;
}

static int set_bool(struct cfg_loader *ld, const config_setting_t *s,
		    const struct cfg_key *k, void *f)
{
	(void)ld; (void)k;
	*(bool *)f = config_setting_get_bool(s);
	return 0;
}

/* Longer strings than the field holds are refused, never cut. */
static int set_str(struct cfg_loader *ld, const config_setting_t *s,
		   const struct cfg_key *k, void *f)
{
	const char *v = config_setting_get_string(s);

	if (strlen(v) >= k->size || (k->min > 0 && v[0] == '\0')) {
		cfg_errorf(&ld->es, LINE(s), NULL,
			   "expected %s (at most %zu characters), found \"%.60s\"",
			   k->what, k->size - 1, v);
		return -1;
	}
	memcpy(f, v, strlen(v) + 1);
	return 0;
}

/* A user or common name: not empty, WHAT gives the length. */
static int set_name(struct cfg_loader *ld, const config_setting_t *s,
		    const struct cfg_key *k, void *f)
{
	const char *v = config_setting_get_string(s);
	char found[128];

	if (v[0] == '\0' || strlen(v) >= k->size) {
		cfg_errorf(&ld->es, LINE(s), NULL, "expected %s, found %s", k->what,
			   cfg_found(s, found, sizeof(found)));
		return -1;
	}
	memcpy(f, v, strlen(v) + 1);
	return 0;
}

/* A file path; relative ones resolve against the config file's folder. */
static int set_path(struct cfg_loader *ld, const config_setting_t *s,
		    const struct cfg_key *k, void *f)
{
	const char *v = config_setting_get_string(s);
	int n;

	if (v[0] == '/' || v[0] == '\0')
		n = snprintf(f, k->size, "%s", v);
	else
		n = snprintf(f, k->size, "%s/%s", ld->cfg->dir, v);
	if (n >= (int)k->size) {
		cfg_errorf(&ld->es, LINE(s), NULL,
			   "expected %s shorter than %zu characters, found \"%.60s...\"",
			   k->what, k->size, v);
		((char *)f)[0] = '\0';
		return -1;
	}
	return 0;
}

static int set_ipv4(struct cfg_loader *ld, const config_setting_t *s,
		    const struct cfg_key *k, void *f)
{
	const char *v = config_setting_get_string(s);

	if (cfg_parse_ipv4(v, f) < 0) {
		cfg_errorf(&ld->es, LINE(s), NULL, "expected %s, found \"%.60s\"", k->what, v);
		return -1;
	}
	return 0;
}

static int set_prefix(struct cfg_loader *ld, const config_setting_t *s,
		      const struct cfg_key *k, void *f)
{
	const char *v = config_setting_get_string(s);

	if (cfg_parse_prefix(v, f) < 0) {
		cfg_errorf(&ld->es, LINE(s), NULL, "expected %s, found \"%.60s\"", k->what, v);
		return -1;
	}
	return 0;
}

/* The field is dp.lcores; the parsed ids go beside it in struct cfg_dataplane. */
static int set_lcores(struct cfg_loader *ld, const config_setting_t *s,
		      const struct cfg_key *k, void *f)
{
	struct cfg_dataplane *dp = &ld->cfg->dp;
	const char *v = config_setting_get_string(s);

	if (strlen(v) >= k->size ||
	    cfg_parse_lcores(v, dp->lcore_ids, CFG_MAX_LCORES, &dp->n_lcores) < 0) {
		cfg_errorf(&ld->es, LINE(s), NULL, "expected %s, found \"%.60s\"", k->what, v);
		return -1;
	}
	snprintf(f, k->size, "%s", v);
	return 0;
}

/* control.tls_cpus: "" or a list as dataplane.lcores; the ids go beside it
 * (whether the machine has them is cfg_validate.c's check). */
static int set_cpus(struct cfg_loader *ld, const config_setting_t *s,
		    const struct cfg_key *k, void *f)
{
	struct cfg_control *ctl = &ld->cfg->ctl;
	const char *v = config_setting_get_string(s);

	ctl->n_tls_cpus = 0;
	if (strlen(v) >= k->size || (v[0] != '\0' &&
	    cfg_parse_lcores(v, ctl->tls_cpu_ids, CFG_MAX_LCORES, &ctl->n_tls_cpus) < 0)) {
		cfg_errorf(&ld->es, LINE(s), NULL, "expected %s, found \"%.60s\"", k->what, v);
		return -1;
	}
	snprintf(f, k->size, "%s", v);
	return 0;
}

/* Index of V in NAMES[N], or -1 after reporting it. */
static int pick(struct cfg_loader *ld, const config_setting_t *s,
		const struct cfg_key *k, const char *const *names, int n)
{
	const char *v = config_setting_get_string(s);

	for (int i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	cfg_errorf(&ld->es, LINE(s), NULL, "expected %s, found \"%.60s\"", k->what, v);
	return -1;
}

static int set_log_level(struct cfg_loader *ld, const config_setting_t *s,
			 const struct cfg_key *k, void *f)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	int i = pick(ld, s, k, names, 4);

	if (i < 0)
		return -1;
	*(int *)f = i;
	return 0;
}

static int set_crypto(struct cfg_loader *ld, const config_setting_t *s,
		      const struct cfg_key *k, void *f)
{
	static const char *const names[] = { "auto", "openssl", "ipsec-mb" };
	int i = pick(ld, s, k, names, 3);

	if (i < 0)
		return -1;
	*(int *)f = i;
	return 0;
}

/* tls-auth key direction: "0", "1", or "bidirectional" (-1). */
static int set_tls_dir(struct cfg_loader *ld, const config_setting_t *s,
		       const struct cfg_key *k, void *f)
{
	static const char *const names[] = { "0", "1", "bidirectional" };
	int i = pick(ld, s, k, names, 3);

	if (i < 0)
		return -1;
	*(int *)f = i == 2 ? -1 : i;
	return 0;
}

/* Every cipher the data plane runs, and only those: a name accepted here
 * is offered to clients (AES-192-GCM, BF-CBC, ... are refused). */
static const char *const known_ciphers[] = {
	"AES-128-GCM", "AES-256-GCM", "CHACHA20-POLY1305", "AES-128-CBC", "AES-256-CBC",
};

static int known_cipher(const char *v)
{
	for (unsigned j = 0; v != NULL && j < sizeof(known_ciphers) / sizeof(*known_ciphers); j++)
		if (strcasecmp(v, known_ciphers[j]) == 0)
			return (int)j;
	return -1;
}

/* vpn.cipher: one known cipher (stored in OpenVPN's spelling) or "" (none). */
static int set_fallback(struct cfg_loader *ld, const config_setting_t *s,
			const struct cfg_key *k, void *f)
{
	const char *v = config_setting_get_string(s);
	int j = known_cipher(v);

	if (v[0] != '\0' && j < 0) {
		cfg_errorf(&ld->es, LINE(s), NULL, "expected %s, found \"%.60s\"", k->what, v);
		return -1;
	}
	snprintf(f, k->size, "%s", j < 0 ? "" : known_ciphers[j]);
	return 0;
}

static int set_auth(struct cfg_loader *ld, const config_setting_t *s,
		    const struct cfg_key *k, void *f)
{
	static const char *const names[] = { "SHA1", "SHA256", "SHA512" };
	int i = pick(ld, s, k, names, 3);

	if (i < 0)
		return -1;
	snprintf(f, k->size, "%s", names[i]);
	return 0;
}

/* The field is vpn.data_ciphers; the count goes beside it in struct cfg_vpn. */
static int set_ciphers(struct cfg_loader *ld, const config_setting_t *s,
		       const struct cfg_key *k, void *f)
{
	struct cfg_vpn *vpn = &ld->cfg->vpn;
	char (*names)[sizeof(vpn->data_ciphers[0])] = f;
	int n = config_setting_length(s);
	char found[128];

	vpn->n_ciphers = 0;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v = config_setting_get_string(e);
		int j = known_cipher(v);

		if (j < 0 || vpn->n_ciphers >= CFG_MAX_CIPHERS) {
			cfg_errorf(&ld->es, LINE(e), NULL, "expected %s, found %s", k->what,
				   cfg_found(e, found, sizeof(found)));
			return -1;
		}
		snprintf(names[vpn->n_ciphers++], sizeof(names[0]), "%s", known_ciphers[j]);
	}
	if (vpn->n_ciphers == 0) {
		cfg_errorf(&ld->es, LINE(s), NULL, "expected %s, found an empty list", k->what);
		return -1;
	}
	return 0;
}

/* Arrays of prefixes or addresses: parse each element into OUT[i]. */
static int set_array(struct cfg_loader *ld, const config_setting_t *s,
		     const struct cfg_key *k, void *out, size_t esize, unsigned *count,
		     int (*parse)(const char *, void *))
{
	int n = config_setting_length(s);
	char found[128];

	*count = 0;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v = config_setting_get_string(e);

		if (v == NULL || i >= CFG_MAX_PUSH ||
		    parse(v, (char *)out + (size_t)i * esize) < 0) {
			cfg_errorf(&ld->es, LINE(e), NULL, "expected %s, found %s", k->what,
				   i >= CFG_MAX_PUSH ? "too many entries" :
				   cfg_found(e, found, sizeof(found)));
			return -1;
		}
		(*count)++;
	}
	return 0;
}

static int parse_prefix_v(const char *s, void *out) { return cfg_parse_prefix(s, out); }
static int parse_ipv4_v(const char *s, void *out) { return cfg_parse_ipv4(s, out); }

/* The field is vpn.push_routes; the count goes beside it. */
static int set_push_routes(struct cfg_loader *ld, const config_setting_t *s,
			   const struct cfg_key *k, void *f)
{
	return set_array(ld, s, k, f, sizeof(struct cfg_prefix),
			 &ld->cfg->vpn.n_push_routes, parse_prefix_v);
}

/* The field is vpn.push_dns; the count goes beside it. */
static int set_push_dns(struct cfg_loader *ld, const config_setting_t *s,
			const struct cfg_key *k, void *f)
{
	return set_array(ld, s, k, f, sizeof(uint32_t), &ld->cfg->vpn.n_push_dns,
			 parse_ipv4_v);
}

/* pki.key_type: "ec" (ECDSA P-256) or "rsa" (RSA-2048); the field is pki.key_rsa. */
static int set_key_type(struct cfg_loader *ld, const config_setting_t *s,
			const struct cfg_key *k, void *f)
{
	static const char *const names[] = { "ec", "rsa" };
	int i = pick(ld, s, k, names, 2);

	if (i < 0)
		return -1;
	*(bool *)f = i == 1;
	return 0;
}

/*
 * One profile.remote entry, "HOST PORT [udp|tcp]": what a client's
 * "remote" line holds (OpenVPN src/openvpn/options.c), so the host may be
 * neither a second token nor a quote or comment in the profile.
 */
static int parse_remote(const char *v, struct cfg_remote *r)
{
	char host[CFG_HOST_MAX + 1], proto[5] = "udp", extra;
	unsigned port;
	int n = sscanf(v, "%256s %u %4s %c", host, &port, proto, &extra);

	if (n < 2 || n > 3 || strlen(host) >= CFG_HOST_MAX || port < 1 || port > 65535 ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789.-_:") != strlen(host) ||
	    (strcmp(proto, "udp") != 0 && strcmp(proto, "tcp") != 0))
		return -1;
	snprintf(r->host, sizeof(r->host), "%s", host);
	r->port = (uint16_t)port;
	r->tcp = strcmp(proto, "tcp") == 0;
	return 0;
}

/* The field is profile.remotes; the count goes beside it. */
static int set_remotes(struct cfg_loader *ld, const config_setting_t *s,
		       const struct cfg_key *k, void *f)
{
	struct cfg_profile *pr = &ld->cfg->profile;
	int n = config_setting_length(s);
	char found[128];

	(void)f;
	pr->n_remotes = 0;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v = config_setting_get_string(e);

		if (v == NULL || i >= CFG_MAX_REMOTES ||
		    parse_remote(v, &pr->remotes[i]) < 0) {
			cfg_errorf(&ld->es, LINE(e), NULL, "expected %s, found %s", k->what,
				   i >= CFG_MAX_REMOTES ? "more than 8 entries" :
				   cfg_found(e, found, sizeof(found)));
			return -1;
		}
		pr->n_remotes++;
	}
	return 0;
}

_Static_assert(offsetof(struct sl_rule, sport_hi) ==
	       offsetof(struct sl_rule, sport_lo) + sizeof(uint16_t), "src_port is {lo, hi}");
_Static_assert(offsetof(struct sl_rule, dport_hi) ==
	       offsetof(struct sl_rule, dport_lo) + sizeof(uint16_t), "dst_port is {lo, hi}");
_Static_assert(CFG_NAME_MAX == 64, "the static name's WHAT says 1..63 characters");

/*
 * A field of a rule: lib/sl_rule.h parses it, the same code as for the API
 * and sluicectl. Strings as they are, numbers (ports, priority) as their
 * decimal text. F is the field inside the rule, at the row's offset. The
 * message names the rule when its group has a name.
 */
static int set_rule(struct cfg_loader *ld, const config_setting_t *s,
		    const struct cfg_key *k, void *f)
{
	struct sl_rule *r = (struct sl_rule *)((char *)f - k->off);
	const config_setting_t *g = config_setting_parent(s);
	const char *name;
	const char *v;
	struct sl_rule_err err;
	char text[24], found[128], who[96] = "";

	if (g != NULL && config_setting_is_group(g) &&
	    config_setting_lookup_string(g, "name", &name) == CONFIG_TRUE)
		snprintf(who, sizeof(who), "rule \"%.60s\": ", name);
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
		v = config_setting_get_string(s);
		break;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		snprintf(text, sizeof(text), "%lld", config_setting_get_int64(s));
		v = text;
		break;
	default:
		cfg_errorf(&ld->es, LINE(s), NULL, "%sexpected %s, found %s", who, k->what,
			   cfg_found(s, found, sizeof(found)));
		return -1;
	}
	if (sl_rule_set(r, sl_rule_field_find(strrchr(k->path, '.') + 1), v, &err) == 0)
		return 0;
	cfg_errorf(&ld->es, LINE(s), NULL, "%s%s", who, err.msg);
	return -1;
}

static int set_rules_default(struct cfg_loader *ld, const config_setting_t *s,
			     const struct cfg_key *k, void *f)
{
	static const char *const names[] = { [SL_RULE_DENY] = "deny", [SL_RULE_ALLOW] = "allow" };
	int i = pick(ld, s, k, names, 2);

	if (i < 0)
		return -1;
	*(uint8_t *)f = (uint8_t)i;
	return 0;
}

/* ---- the table ---- */

/* Offset and size of a field of struct T. */
#define FIELD_OF(T, f)	offsetof(T, f), sizeof(((T *)0)->f)
#define F(f)		FIELD_OF(struct sl_config, f)		/* outside lists */
#define RF(f)		FIELD_OF(struct sl_rule, f)		/* rules.* */
#define SF(f)		FIELD_OF(struct cfg_static, f)		/* vpn.static_addresses.* */
#define RANGE(lo)	offsetof(struct sl_rule, lo), 2 * sizeof(uint16_t)	/* {lo, hi} */
#define REQUIRED	1

#define INT		CONFIG_TYPE_INT
#define INT64		CONFIG_TYPE_INT64
#define STR		CONFIG_TYPE_STRING
#define BOOL		CONFIG_TYPE_BOOL
#define ARRAY		CONFIG_TYPE_ARRAY

#define GROUP(path, req) { path, CONFIG_TYPE_GROUP, NULL, 0, 0, 0, 0, NULL, "a group { ... }", req }
#define TRUE_FALSE	"true or false"
#define PATH_WHAT	"a file path"
#define PORT_WHAT	"\"*\", a port N or a range \"N-M\""

static const struct cfg_list rules_list = {
	.count = offsetof(struct sl_config, n_rules),
	.esize = sizeof(struct sl_rule),
	.line = offsetof(struct sl_rule, line),
	.noun = "rules",
};

static const struct cfg_list statics_list = {
	.count = offsetof(struct sl_config, vpn.n_statics),
	.esize = sizeof(struct cfg_static),
	.line = offsetof(struct cfg_static, line),
	.noun = "entries",
};

#define PORT_KEYS(p, i)								\
	GROUP("ports." p, REQUIRED),						\
	{ "ports." p ".pci", STR, set_str, F(port[i].pci), 1, 0, NULL,		\
	  "a PCI address like \"0000:03:00.0\"" },				\
	{ "ports." p ".vdev", STR, set_str, F(port[i].vdev), 1, 0, NULL,	\
	  "a DPDK vdev string like \"net_af_packet0,iface=eth1\"" },		\
	{ "ports." p ".address", STR, set_prefix, F(port[i].address), 0, 0, NULL, \
	  "an IPv4 address with prefix length, like \"192.0.2.1/24\"", REQUIRED }, \
	{ "ports." p ".gateway", STR, set_ipv4, F(port[i].gateway), 0, 0, NULL,	\
	  "an IPv4 address" },							\
	{ "ports." p ".mtu", INT, set_uint, F(port[i].mtu), 576, 9000, "1500",	\
	  "an MTU 576..9000" }

const struct cfg_key cfg_schema[] = {
	GROUP("dataplane", 0),
	{ "dataplane.lcores", STR, set_lcores, F(dp.lcores), 0, 0, "\"0-1\"",
	  "an lcore list like \"0-3\" or \"0,2,4\" (ids < 128, first = main lcore)" },
	{ "dataplane.file_prefix", STR, set_str, F(dp.file_prefix), 1, 0, "\"sluice\"",
	  "a DPDK file prefix" },
	{ "dataplane.hugepages", BOOL, set_bool, F(dp.hugepages), 0, 0, "true", TRUE_FALSE },
	{ "dataplane.memory_mb", INT, set_uint, F(dp.memory_mb), 0, 1 << 20, "0",
	  "megabytes 0..1048576 (0 = on demand)" },
	{ "dataplane.mbufs", INT, set_uint, F(dp.mbufs), 1023, 1 << 24, "16383",
	  "a buffer count 1023..16777216" },
	{ "dataplane.mbuf_cache", INT, set_uint, F(dp.mbuf_cache), 0, 512, "256",
	  "a per-lcore cache size 0..512" },
	{ "dataplane.rx_desc", INT, set_uint, F(dp.rx_desc), 64, 16384, "1024",
	  "a descriptor count 64..16384" },
	{ "dataplane.tx_desc", INT, set_uint, F(dp.tx_desc), 64, 16384, "1024",
	  "a descriptor count 64..16384" },
	{ "dataplane.burst", INT, set_uint, F(dp.burst), 1, 64, "32", "a burst size 1..64" },
	{ "dataplane.ring_size", INT, set_uint, F(dp.ring_size), 64, 65536, "1024",
	  "a power of two 64..65536" },
	{ "dataplane.log_level", STR, set_log_level, F(dp.log_level), 0, 0, "\"info\"",
	  "one of \"error\", \"warning\", \"info\", \"debug\"" },
	{ "dataplane.crypto", STR, set_crypto, F(dp.crypto), 0, 0, "\"auto\"",
	  "one of \"auto\", \"openssl\", \"ipsec-mb\"" },
	/* dataplane/dp_worker.c: a worker idle for DP_IDLE_SPELL polls in a
	 * row sleeps this long before the next (docs/operations.md). */
	{ "dataplane.idle_sleep_us", INT, set_uint, F(dp.idle_sleep_us), 0, 1000, "0",
	  "microseconds 0..1000 (0 = busy-poll only)" },

	GROUP("ports", REQUIRED),
	PORT_KEYS("public", CFG_PORT_PUBLIC),
	PORT_KEYS("private", CFG_PORT_PRIVATE),

	GROUP("vpn", REQUIRED),
	{ "vpn.listen_port", INT, set_uint, F(vpn.listen_port), 1, 65535, "1194",
	  "a UDP port 1..65535" },
	{ "vpn.tcp_port", INT, set_uint, F(vpn.tcp_port), 0, 65535, "0",
	  "a TCP port 1..65535, or 0 for no TCP transport" },
	{ "vpn.pool", STR, set_prefix, F(vpn.pool), 0, 0, NULL,
	  "an IPv4 subnet like \"10.10.0.0/24\"", REQUIRED },
	{ "vpn.data_ciphers", ARRAY, set_ciphers, F(vpn.data_ciphers), 0, 0,
	  "[ \"AES-256-GCM\", \"AES-128-GCM\", \"CHACHA20-POLY1305\" ]",
	  "a list of AES-128-GCM, AES-256-GCM, CHACHA20-POLY1305, AES-128-CBC, AES-256-CBC" },
	/* OpenVPN's data-ciphers-fallback: the cipher of clients that announce
	 * no cipher list and no OCC cipher (ssl_ncp.c); "" = refuse them. */
	{ "vpn.cipher", STR, set_fallback, F(vpn.cipher), 0, 0, "\"\"",
	  "one of AES-128-GCM, AES-256-GCM, CHACHA20-POLY1305, AES-128-CBC, AES-256-CBC, or \"\"" },
	/* OpenVPN's --auth, for CBC keys only (AEAD ignores it); default SHA1 as OpenVPN's. */
	{ "vpn.auth", STR, set_auth, F(vpn.auth), 0, 0, "\"SHA1\"",
	  "one of \"SHA1\", \"SHA256\", \"SHA512\"" },
	{ "vpn.data_v1", BOOL, set_bool, F(vpn.data_v1), 0, 0, "false", TRUE_FALSE },
	GROUP("vpn.keepalive", 0),
	{ "vpn.keepalive.ping", INT, set_uint, F(vpn.ping), 1, 3600, "10", "seconds 1..3600" },
	{ "vpn.keepalive.ping_restart", INT, set_uint, F(vpn.ping_restart), 2, 86400, "60",
	  "seconds 2..86400" },
	{ "vpn.reneg_sec", INT, set_uint, F(vpn.reneg_sec), 0, 604800, "3600",
	  "seconds 0..604800 (0 = off)" },
	{ "vpn.reneg_bytes", INT64, set_uint, F(vpn.reneg_bytes), 0, 1LL << 62, "0",
	  "a byte count (0 = off)" },
	{ "vpn.reneg_pkts", INT64, set_uint, F(vpn.reneg_pkts), 0, 1LL << 62, "0",
	  "a packet count (0 = off)" },
	{ "vpn.hand_window", INT, set_uint, F(vpn.hand_window), 5, 3600, "60",
	  "seconds 5..3600" },
	/* OpenVPN's tran-window: a client that does not complete a
	 * renegotiation we asked for keeps its key this long, then loses it. */
	{ "vpn.tran_window", INT, set_uint, F(vpn.tran_window), 10, 604800, "3600",
	  "seconds 10..604800" },
	{ "vpn.replay_window", INT, set_uint, F(vpn.replay_window), 64, 4096, "2048",
	  "a window in packets 64..4096" },
	{ "vpn.max_clients", INT, set_uint, F(vpn.max_clients), 1, 1 << 20, "1024",
	  "a count 1..1048576" },
	/*
	 * 1400 keeps a full inner packet plus the tunnel overhead (52 bytes for
	 * AEAD over UDP/IPv4) under a 1500-byte link, so the outer packets are
	 * never fragmented: the data plane does not reassemble.
	 */
	{ "vpn.tun_mtu", INT, set_uint, F(vpn.tun_mtu), 576, 9000, "1400", "an MTU 576..9000" },
	{ "vpn.mssfix", INT, set_uint, F(vpn.mssfix), 0, 9000, "1400",
	  "bytes 0..9000 (0 = no clamping)" },
	{ "vpn.static_addresses", CONFIG_TYPE_LIST, NULL, F(vpn.statics), 0, CFG_MAX_STATICS, NULL,
	  "a list of { name = \"user\"; address = \"10.10.0.50\"; } groups", 0, &statics_list },
	{ "vpn.static_addresses.*.name", STR, set_name, SF(name), 0, 0, NULL,
	  "a user or common name (1..63 characters)", REQUIRED },
	{ "vpn.static_addresses.*.address", STR, set_ipv4, SF(addr), 0, 0, NULL,
	  "an IPv4 address inside vpn.pool", REQUIRED },
	GROUP("vpn.push", 0),
	{ "vpn.push.routes", ARRAY, set_push_routes, F(vpn.push_routes), 0, 0, NULL,
	  "a list of IPv4 subnets like [\"10.20.0.0/24\"]" },
	{ "vpn.push.dns", ARRAY, set_push_dns, F(vpn.push_dns), 0, 0, NULL,
	  "a list of IPv4 addresses" },
	{ "vpn.push.domain", STR, set_str, F(vpn.push_domain), 0, 0, NULL, "a DNS domain" },

	GROUP("pki", REQUIRED),
	{ "pki.ca", STR, set_path, F(pki.ca), 0, 0, NULL, PATH_WHAT, REQUIRED },
	{ "pki.cert", STR, set_path, F(pki.cert), 0, 0, NULL, PATH_WHAT, REQUIRED },
	{ "pki.key", STR, set_path, F(pki.key), 0, 0, NULL, PATH_WHAT, REQUIRED },
	{ "pki.crl", STR, set_path, F(pki.crl), 0, 0, NULL, PATH_WHAT },
	{ "pki.tls_crypt", STR, set_path, F(pki.tls_crypt), 0, 0, NULL, PATH_WHAT },
	{ "pki.tls_crypt_v2", STR, set_path, F(pki.tls_crypt_v2), 0, 0, NULL, PATH_WHAT },
	{ "pki.tls_auth", STR, set_path, F(pki.tls_auth), 0, 0, NULL, PATH_WHAT },
	{ "pki.tls_auth_direction", STR, set_tls_dir, F(pki.tls_auth_direction), 0, 0, "\"0\"",
	  "\"0\", \"1\" or \"bidirectional\"" },
	{ "pki.auth_user_pass", BOOL, set_bool, F(pki.auth_user_pass), 0, 0, "false",
	  TRUE_FALSE },
	/* The built-in CA (sluicectl pki init); absent: an external CA issues
	 * the certificates and the store holds users only. */
	{ "pki.ca_key", STR, set_path, F(pki.ca_key), 0, 0, NULL, PATH_WHAT },
	{ "pki.cert_days", INT, set_uint, F(pki.cert_days), 1, 36500, "825",
	  "days 1..36500" },
	{ "pki.key_type", STR, set_key_type, F(pki.key_rsa), 0, 0, "\"ec\"",
	  "\"ec\" (ECDSA P-256) or \"rsa\" (RSA-2048)" },

	GROUP("profile", 0),
	{ "profile.remote", ARRAY, set_remotes, F(profile.remotes), 0, 0, NULL,
	  "a list of \"HOST PORT [udp|tcp]\" like [\"vpn.example.com 1194 udp\"] "
	  "(at most 8)" },

	GROUP("users", 0),
	{ "users.store", STR, set_path, F(user_store), 0, 0, "\"/var/lib/sluice/users.db\"",
	  PATH_WHAT },
	{ "users.import", STR, set_path, F(user_import), 0, 0, NULL, PATH_WHAT },
	/* The range controlplane/cp_users.c accepts (CP_USERS_ITER_MIN..MAX). */
	{ "users.pbkdf2_iter", INT, set_uint, F(pbkdf2_iter), 100000, 10000000, "600000",
	  "PBKDF2-SHA256 iterations 100000..10000000" },

	GROUP("control", 0),
	{ "control.socket", STR, set_str, F(ctl.socket), 1, 0, "\"/run/sluice/sluice.sock\"",
	  "an absolute UNIX socket path" },
	{ "control.max_half_open", INT, set_uint, F(ctl.max_half_open), 1, 1 << 20, "1024",
	  "a count 1..1048576" },
	{ "control.connect_rate", INT, set_uint, F(ctl.connect_rate), 1, 100000, "10",
	  "new sessions per source per 10 s, 1..100000" },
	{ "control.rx_rate", INT, set_uint, F(ctl.rx_rate), 1, 1000000, "200",
	  "control packets per source per second, 1..1000000" },
	{ "control.rx_burst", INT, set_uint, F(ctl.rx_burst), 1, 1000000, "400",
	  "control packets per source in one burst, 1..1000000" },
	{ "control.rx_rate_total", INT, set_uint, F(ctl.rx_rate_total), 1, 10000000, "20000",
	  "control packets per second and data-plane worker, 1..10000000" },
	{ "control.tls_workers", INT, set_uint, F(ctl.tls_workers), 1, 16, "2",
	  "a thread count 1..16" },
	{ "control.tls_cpus", STR, set_cpus, F(ctl.tls_cpus), 0, 0, "\"\"",
	  "a CPU list like \"0-1\" or \"0,2\" (\"\" = the start CPUs less the data-plane workers)" },
	/* Pre-2.4 clients speak TLS 1.0 with DHE-RSA-AES256-SHA: opt-in only. */
	{ "control.legacy_tls", BOOL, set_bool, F(ctl.legacy_tls), 0, 0, "false", TRUE_FALSE },

	{ "rules_default", STR, set_rules_default, F(rules_default), 0, 0, "\"deny\"",
	  "\"deny\" or \"allow\"" },
	{ "rules", CONFIG_TYPE_LIST, NULL, F(rules), 0, CFG_MAX_RULES, NULL,
	  "a list of rule groups ( { ... }, ... )", 0, &rules_list },
	{ "rules.*.name", CFG_TYPE_ANY, set_rule, RF(name), 0, 0, NULL,
	  "a rule name (1..63 letters, digits, spaces, -_.:/()@+)", REQUIRED },
	{ "rules.*.description", CFG_TYPE_ANY, set_rule, RF(description), 0, 0, "\"\"",
	  "printable text of at most 255 characters" },
	{ "rules.*.src", CFG_TYPE_ANY, set_rule, RF(src), 0, 0, "\"*\"",
	  "a CIDR, \"*\", \"vpn\", \"role:NAME\" or \"user:EMAIL\"" },
	{ "rules.*.dst", CFG_TYPE_ANY, set_rule, RF(dst), 0, 0, "\"*\"",
	  "a CIDR, \"*\", \"vpn\", \"role:NAME\" or \"user:EMAIL\"" },
	{ "rules.*.proto", CFG_TYPE_ANY, set_rule, RF(proto), 0, 0, "\"any\"",
	  "one of \"tcp\", \"udp\", \"both\", \"icmp\", \"any\"" },
	{ "rules.*.src_port", CFG_TYPE_ANY, set_rule, RANGE(sport_lo), 0, 0, "\"*\"", PORT_WHAT },
	{ "rules.*.dst_port", CFG_TYPE_ANY, set_rule, RANGE(dport_lo), 0, 0, "\"*\"", PORT_WHAT },
	{ "rules.*.priority", CFG_TYPE_ANY, set_rule, RF(priority), 0, 0, "1000",
	  "a priority 0..65535 (lower wins)" },
	{ "rules.*.action", CFG_TYPE_ANY, set_rule, RF(action), 0, 0, NULL,
	  "\"allow\" or \"deny\"", REQUIRED },
	{ "rules.*.direction", CFG_TYPE_ANY, set_rule, RF(direction), 0, 0, "\"in\"",
	  "\"in\" (VPN user -> LAN) or \"out\" (LAN -> VPN user)" },
};
const unsigned cfg_schema_len = sizeof(cfg_schema) / sizeof(cfg_schema[0]);

int cfg_schema_find(const char *path)
{
	for (unsigned i = 0; i < cfg_schema_len; i++)
		if (strcmp(cfg_schema[i].path, path) == 0)
			return (int)i;
	return -1;
}

int cfg_line_of(const struct cfg_loader *ld, const char *path)
{
	int i = cfg_schema_find(path);

	return i >= 0 ? ld->seen_line[i] : 0;
}
