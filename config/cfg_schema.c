/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The schema of sluice.conf: one row per setting (path, type, setter, field,
 * range), the defaults, and the cross-field checks of cfg_validate().
 * config/sluice.conf documents every row; keep the two in step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg_int.h"

#define LINE(s) config_setting_source_line(s)

/* ---- setters: one per value kind ---- */

static int get_int(struct cfg_loader *ld, const config_setting_t *s,
		   const struct cfg_key *k, long long *v)
{
	*v = config_setting_get_int64(s);
	if (*v < k->min || *v > k->max) {
		cfg_errorf(ld, LINE(s), NULL, "expected %s, found %lld", k->what, *v);
		return -1;
	}
	return 0;
}

static int set_u16(struct cfg_loader *ld, const config_setting_t *s,
		   const struct cfg_key *k, void *f)
{
	long long v;

	if (get_int(ld, s, k, &v) < 0)
		return -1;
	*(uint16_t *)f = (uint16_t)v;
	return 0;
}

static int set_u32(struct cfg_loader *ld, const config_setting_t *s,
		   const struct cfg_key *k, void *f)
{
	long long v;

	if (get_int(ld, s, k, &v) < 0)
		return -1;
	*(uint32_t *)f = (uint32_t)v;
	return 0;
}

static int set_u64(struct cfg_loader *ld, const config_setting_t *s,
		   const struct cfg_key *k, void *f)
{
	long long v;

	if (get_int(ld, s, k, &v) < 0)
		return -1;
	*(uint64_t *)f = (uint64_t)v;
	return 0;
}

static int set_bool(struct cfg_loader *ld, const config_setting_t *s,
		    const struct cfg_key *k, void *f)
{
	(void)ld; (void)k;
	*(bool *)f = config_setting_get_bool(s);
	return 0;
}

/* k->max is the field size: longer strings are refused, never cut. */
static int set_str(struct cfg_loader *ld, const config_setting_t *s,
		   const struct cfg_key *k, void *f)
{
	const char *v = config_setting_get_string(s);

	if (strlen(v) >= (size_t)k->max || (k->min > 0 && v[0] == '\0')) {
		cfg_errorf(ld, LINE(s), NULL, "expected %s (at most %lld characters), found \"%.60s\"",
			   k->what, k->max - 1, v);
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
		n = snprintf(f, CFG_PATH_MAX, "%s", v);
	else
		n = snprintf(f, CFG_PATH_MAX, "%s/%s", ld->cfg->dir, v);
	if (n >= CFG_PATH_MAX) {
		cfg_errorf(ld, LINE(s), NULL, "expected %s shorter than %d characters, found \"%.60s...\"",
			   k->what, CFG_PATH_MAX, v);
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
		cfg_errorf(ld, LINE(s), NULL, "expected %s, found \"%.60s\"", k->what, v);
		return -1;
	}
	return 0;
}

static int set_prefix(struct cfg_loader *ld, const config_setting_t *s,
		      const struct cfg_key *k, void *f)
{
	const char *v = config_setting_get_string(s);

	if (cfg_parse_prefix(v, f) < 0) {
		cfg_errorf(ld, LINE(s), NULL, "expected %s, found \"%.60s\"", k->what, v);
		return -1;
	}
	return 0;
}

static int set_lcores(struct cfg_loader *ld, const config_setting_t *s,
		      const struct cfg_key *k, void *f)
{
	struct cfg_dataplane *dp = f;
	const char *v = config_setting_get_string(s);

	if (strlen(v) >= sizeof(dp->lcores) ||
	    cfg_parse_lcores(v, dp->lcore_ids, CFG_MAX_LCORES, &dp->n_lcores) < 0) {
		cfg_errorf(ld, LINE(s), NULL, "expected %s, found \"%.60s\"", k->what, v);
		return -1;
	}
	snprintf(dp->lcores, sizeof(dp->lcores), "%s", v);
	return 0;
}

static int set_log_level(struct cfg_loader *ld, const config_setting_t *s,
			 const struct cfg_key *k, void *f)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	const char *v = config_setting_get_string(s);

	for (int i = 0; i < 4; i++)
		if (strcmp(v, names[i]) == 0) {
			*(int *)f = i;
			return 0;
		}
	cfg_errorf(ld, LINE(s), NULL, "expected %s, found \"%.60s\"", k->what, v);
	return -1;
}

static const char *const known_ciphers[] = {
	"AES-128-GCM", "AES-192-GCM", "AES-256-GCM", "CHACHA20-POLY1305",
	"AES-128-CBC", "AES-256-CBC",
};

static int set_ciphers(struct cfg_loader *ld, const config_setting_t *s,
		       const struct cfg_key *k, void *f)
{
	struct cfg_vpn *vpn = f;
	int n = config_setting_length(s);
	char found[128];

	vpn->n_ciphers = 0;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v = config_setting_get_string(e);
		unsigned j;

		for (j = 0; v != NULL && j < sizeof(known_ciphers) / sizeof(*known_ciphers); j++)
			if (strcasecmp(v, known_ciphers[j]) == 0)
				break;
		if (v == NULL || j == sizeof(known_ciphers) / sizeof(*known_ciphers) ||
		    vpn->n_ciphers >= CFG_MAX_CIPHERS) {
			cfg_errorf(ld, LINE(e), NULL, "expected %s, found %s", k->what,
				   cfg_found(e, found, sizeof(found)));
			return -1;
		}
		snprintf(vpn->data_ciphers[vpn->n_ciphers++], 32, "%s", known_ciphers[j]);
	}
	if (vpn->n_ciphers == 0) {
		cfg_errorf(ld, LINE(s), NULL, "expected %s, found an empty list", k->what);
		return -1;
	}
	return 0;
}

/* Arrays of prefixes or addresses: walk the elements with ELEM. */
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
			cfg_errorf(ld, LINE(e), NULL, "expected %s, found %s", k->what,
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

static int set_push_routes(struct cfg_loader *ld, const config_setting_t *s,
			   const struct cfg_key *k, void *f)
{
	struct cfg_vpn *vpn = f;

	return set_array(ld, s, k, vpn->push_routes, sizeof(vpn->push_routes[0]),
			 &vpn->n_push_routes, parse_prefix_v);
}

static int set_push_dns(struct cfg_loader *ld, const config_setting_t *s,
			const struct cfg_key *k, void *f)
{
	struct cfg_vpn *vpn = f;

	return set_array(ld, s, k, vpn->push_dns, sizeof(vpn->push_dns[0]),
			 &vpn->n_push_dns, parse_ipv4_v);
}

static int set_tls_dir(struct cfg_loader *ld, const config_setting_t *s,
		       const struct cfg_key *k, void *f)
{
	const char *v = config_setting_get_string(s);

	if (strcmp(v, "0") == 0 || strcmp(v, "1") == 0)
		*(int *)f = v[0] - '0';
	else if (strcmp(v, "bidirectional") == 0)
		*(int *)f = -1;
	else {
		cfg_errorf(ld, LINE(s), NULL, "expected %s, found \"%.60s\"", k->what, v);
		return -1;
	}
	return 0;
}

/*
 * vpn.static_addresses = ( { name = "alice@example.com"; address = "10.10.0.50"; }, ... )
 * Each element is a group with exactly these two settings.
 */
static int static_elem(struct cfg_loader *ld, const config_setting_t *g, int i,
		       struct cfg_static *st)
{
	const config_setting_t *name = config_setting_get_member(g, "name");
	const config_setting_t *addr = config_setting_get_member(g, "address");
	char where[64], found[128];
	const char *v;

	st->line = LINE(g);
	for (int j = 0; j < config_setting_length(g); j++) {
		const config_setting_t *c = config_setting_get_elem(g, j);

		if (c != name && c != addr) {
			snprintf(where, sizeof(where), "vpn.static_addresses[%d].%.20s", i,
				 config_setting_name(c));
			cfg_errorf(ld, LINE(c), where, "unknown setting, expected one of: name, address");
			return -1;
		}
	}
	snprintf(where, sizeof(where), "vpn.static_addresses[%d].name", i);
	v = name != NULL ? config_setting_get_string(name) : NULL;
	if (v == NULL || v[0] == '\0' || strlen(v) >= sizeof(st->name)) {
		cfg_errorf(ld, name ? LINE(name) : LINE(g), where,
			   "expected a user or common name (1..%zu characters), found %s",
			   sizeof(st->name) - 1, name ? cfg_found(name, found, sizeof(found)) : "nothing");
		return -1;
	}
	snprintf(st->name, sizeof(st->name), "%s", v);
	snprintf(where, sizeof(where), "vpn.static_addresses[%d].address", i);
	v = addr != NULL ? config_setting_get_string(addr) : NULL;
	if (v == NULL || cfg_parse_ipv4(v, &st->addr) < 0) {
		cfg_errorf(ld, addr ? LINE(addr) : LINE(g), where,
			   "expected an IPv4 address inside vpn.pool, found %s",
			   addr ? cfg_found(addr, found, sizeof(found)) : "nothing");
		return -1;
	}
	return 0;
}

static int set_statics(struct cfg_loader *ld, const config_setting_t *s,
		       const struct cfg_key *k, void *f)
{
	struct cfg_vpn *vpn = f;
	int n = config_setting_length(s);
	char found[64];

	if (n > CFG_MAX_STATICS) {
		cfg_errorf(ld, LINE(s), NULL, "expected at most %d entries, found %d",
			   CFG_MAX_STATICS, n);
		return -1;
	}
	free(vpn->statics);
	vpn->statics = calloc(n > 0 ? n : 1, sizeof(*vpn->statics));
	vpn->n_statics = 0;
	if (vpn->statics == NULL) {
		cfg_errorf(ld, LINE(s), NULL, "expected memory for %d entries, found none", n);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(s, i);

		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			cfg_errorf(ld, LINE(g), NULL, "expected %s, found %s", k->what,
				   cfg_found(g, found, sizeof(found)));
			return -1;
		}
		if (static_elem(ld, g, i, &vpn->statics[vpn->n_statics]) == 0)
			vpn->n_statics++;
	}
	return 0;
}

/* "rules" = ( {...}, ... ): size the array, then walk each element. */
static int set_rules(struct cfg_loader *ld, const config_setting_t *s,
		     const struct cfg_key *k, void *f);

static int set_proto(struct cfg_loader *ld, const config_setting_t *s,
		     const struct cfg_key *k, void *f)
{
	static const char *const names[] = { "any", "tcp", "udp", "icmp" };
	const char *v = config_setting_get_string(s);

	for (int i = 0; i < 4; i++)
		if (strcmp(v, names[i]) == 0) {
			*(enum cfg_proto *)f = i;
			return 0;
		}
	cfg_errorf(ld, LINE(s), NULL, "expected %s, found \"%.60s\"", k->what, v);
	return -1;
}

static int set_action(struct cfg_loader *ld, const config_setting_t *s,
		      const struct cfg_key *k, void *f)
{
	const char *v = config_setting_get_string(s);

	if (strcmp(v, "allow") == 0 || strcmp(v, "deny") == 0) {
		*(enum cfg_action *)f = v[0] == 'a' ? CFG_ACTION_ALLOW : CFG_ACTION_DENY;
		return 0;
	}
	cfg_errorf(ld, LINE(s), NULL, "expected %s, found \"%.60s\"", k->what, v);
	return -1;
}

/* A port or a range: 80, "80", "8000-8080". The field is {lo, hi}. */
static int set_port_range(struct cfg_loader *ld, const config_setting_t *s,
			  const struct cfg_key *k, void *f)
{
	uint16_t *lohi = f;
	unsigned long lo, hi;
	char *end, found[128];

	if (config_setting_type(s) == CONFIG_TYPE_INT) {
		lo = hi = (unsigned long)config_setting_get_int(s);
		end = "";
	} else if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		const char *v = config_setting_get_string(s);

		lo = strtoul(v, &end, 10);
		hi = lo;
		if (end != v && *end == '-') {
			const char *p = end + 1;

			hi = strtoul(p, &end, 10);
			if (end == p)
				end = "x";
		} else if (end == v) {
			end = "x";
		}
	} else {
		end = "x";
		lo = hi = 0;
	}
	if (*end != '\0' || lo > hi || hi > 65535) {
		cfg_errorf(ld, LINE(s), NULL, "expected %s, found %s", k->what,
			   cfg_found(s, found, sizeof(found)));
		return -1;
	}
	lohi[0] = (uint16_t)lo;
	lohi[1] = (uint16_t)hi;
	return 0;
}

#define R(field) offsetof(struct sl_config, field)
#define RU(field) offsetof(struct cfg_rule, field)
#define G(path) { path, CONFIG_TYPE_GROUP, NULL, 0, 0, 0, CFG_BASE_ROOT, 0, "a group { ... }" }
#define GREQ(path) { path, CONFIG_TYPE_GROUP, NULL, 0, 0, 0, CFG_BASE_ROOT, 1, "a group { ... }" }
#define STR_WHAT "a string"
#define PORT_WHAT "a port 0..65535 or a range \"lo-hi\""

#define PORT_KEYS(p, i)								\
	GREQ("ports." p),							\
	{ "ports." p ".pci", CONFIG_TYPE_STRING, set_str, R(port[i].pci), 1, 32,	\
	  CFG_BASE_ROOT, 0, "a PCI address like \"0000:03:00.0\"" },		\
	{ "ports." p ".vdev", CONFIG_TYPE_STRING, set_str, R(port[i].vdev), 1,	\
	  CFG_VDEV_MAX, CFG_BASE_ROOT, 0, "a DPDK vdev string like \"net_af_packet0,iface=eth1\"" }, \
	{ "ports." p ".address", CONFIG_TYPE_STRING, set_prefix, R(port[i].address), 0, 0, \
	  CFG_BASE_ROOT, 1, "an IPv4 address with prefix length, like \"192.0.2.1/24\"" }, \
	{ "ports." p ".gateway", CONFIG_TYPE_STRING, set_ipv4, R(port[i].gateway), 0, 0, \
	  CFG_BASE_ROOT, 0, "an IPv4 address" },				\
	{ "ports." p ".mtu", CONFIG_TYPE_INT, set_u16, R(port[i].mtu), 576, 9000, \
	  CFG_BASE_ROOT, 0, "an MTU 576..9000" }

const struct cfg_key cfg_schema[] = {
	G("dataplane"),
	{ "dataplane.lcores", CONFIG_TYPE_STRING, set_lcores, R(dp), 0, 0, CFG_BASE_ROOT, 0,
	  "an lcore list like \"0-3\" or \"0,2,4\" (ids < 128, first = main lcore)" },
	{ "dataplane.file_prefix", CONFIG_TYPE_STRING, set_str, R(dp.file_prefix), 1, 32,
	  CFG_BASE_ROOT, 0, "a DPDK file prefix" },
	{ "dataplane.hugepages", CONFIG_TYPE_BOOL, set_bool, R(dp.hugepages), 0, 0,
	  CFG_BASE_ROOT, 0, "true or false" },
	{ "dataplane.memory_mb", CONFIG_TYPE_INT, set_u32, R(dp.memory_mb), 0, 1 << 20,
	  CFG_BASE_ROOT, 0, "megabytes 0..1048576 (0 = on demand)" },
	{ "dataplane.mbufs", CONFIG_TYPE_INT, set_u32, R(dp.mbufs), 1023, 1 << 24,
	  CFG_BASE_ROOT, 0, "a buffer count 1023..16777216" },
	{ "dataplane.mbuf_cache", CONFIG_TYPE_INT, set_u32, R(dp.mbuf_cache), 0, 512,
	  CFG_BASE_ROOT, 0, "a per-lcore cache size 0..512" },
	{ "dataplane.rx_desc", CONFIG_TYPE_INT, set_u16, R(dp.rx_desc), 64, 16384,
	  CFG_BASE_ROOT, 0, "a descriptor count 64..16384" },
	{ "dataplane.tx_desc", CONFIG_TYPE_INT, set_u16, R(dp.tx_desc), 64, 16384,
	  CFG_BASE_ROOT, 0, "a descriptor count 64..16384" },
	{ "dataplane.burst", CONFIG_TYPE_INT, set_u16, R(dp.burst), 1, 64,
	  CFG_BASE_ROOT, 0, "a burst size 1..64" },
	{ "dataplane.ring_size", CONFIG_TYPE_INT, set_u32, R(dp.ring_size), 64, 65536,
	  CFG_BASE_ROOT, 0, "a power of two 64..65536" },
	{ "dataplane.log_level", CONFIG_TYPE_STRING, set_log_level, R(dp.log_level), 0, 0,
	  CFG_BASE_ROOT, 0, "one of \"error\", \"warning\", \"info\", \"debug\"" },

	GREQ("ports"),
	PORT_KEYS("public", CFG_PORT_PUBLIC),
	PORT_KEYS("private", CFG_PORT_PRIVATE),

	GREQ("vpn"),
	{ "vpn.listen_port", CONFIG_TYPE_INT, set_u16, R(vpn.listen_port), 1, 65535,
	  CFG_BASE_ROOT, 0, "a UDP port 1..65535" },
	{ "vpn.pool", CONFIG_TYPE_STRING, set_prefix, R(vpn.pool), 0, 0, CFG_BASE_ROOT, 1,
	  "an IPv4 subnet like \"10.10.0.0/24\"" },
	{ "vpn.data_ciphers", CONFIG_TYPE_ARRAY, set_ciphers, R(vpn), 0, 0, CFG_BASE_ROOT, 0,
	  "a list of AES-128-GCM, AES-192-GCM, AES-256-GCM, CHACHA20-POLY1305, AES-128-CBC, AES-256-CBC" },
	{ "vpn.data_v1", CONFIG_TYPE_BOOL, set_bool, R(vpn.data_v1), 0, 0, CFG_BASE_ROOT, 0,
	  "true or false" },
	G("vpn.keepalive"),
	{ "vpn.keepalive.ping", CONFIG_TYPE_INT, set_u32, R(vpn.ping), 1, 3600,
	  CFG_BASE_ROOT, 0, "seconds 1..3600" },
	{ "vpn.keepalive.ping_restart", CONFIG_TYPE_INT, set_u32, R(vpn.ping_restart), 2, 86400,
	  CFG_BASE_ROOT, 0, "seconds 2..86400" },
	{ "vpn.reneg_sec", CONFIG_TYPE_INT, set_u32, R(vpn.reneg_sec), 0, 604800,
	  CFG_BASE_ROOT, 0, "seconds 0..604800 (0 = off)" },
	{ "vpn.reneg_bytes", CONFIG_TYPE_INT64, set_u64, R(vpn.reneg_bytes), 0, 1LL << 62,
	  CFG_BASE_ROOT, 0, "a byte count (0 = off)" },
	{ "vpn.reneg_pkts", CONFIG_TYPE_INT64, set_u64, R(vpn.reneg_pkts), 0, 1LL << 62,
	  CFG_BASE_ROOT, 0, "a packet count (0 = off)" },
	{ "vpn.hand_window", CONFIG_TYPE_INT, set_u32, R(vpn.hand_window), 5, 3600,
	  CFG_BASE_ROOT, 0, "seconds 5..3600" },
	{ "vpn.replay_window", CONFIG_TYPE_INT, set_u32, R(vpn.replay_window), 64, 4096,
	  CFG_BASE_ROOT, 0, "a window in packets 64..4096" },
	{ "vpn.max_clients", CONFIG_TYPE_INT, set_u32, R(vpn.max_clients), 1, 1 << 20,
	  CFG_BASE_ROOT, 0, "a count 1..1048576" },
	{ "vpn.tun_mtu", CONFIG_TYPE_INT, set_u16, R(vpn.tun_mtu), 576, 9000,
	  CFG_BASE_ROOT, 0, "an MTU 576..9000" },
	{ "vpn.mssfix", CONFIG_TYPE_INT, set_u16, R(vpn.mssfix), 0, 9000,
	  CFG_BASE_ROOT, 0, "bytes 0..9000 (0 = no clamping)" },
	{ "vpn.static_addresses", CONFIG_TYPE_LIST, set_statics, R(vpn), 0, 0, CFG_BASE_ROOT, 0,
	  "a list of { name = \"user\"; address = \"10.10.0.50\"; } groups" },
	G("vpn.push"),
	{ "vpn.push.routes", CONFIG_TYPE_ARRAY, set_push_routes, R(vpn), 0, 0, CFG_BASE_ROOT, 0,
	  "a list of IPv4 subnets like [\"10.20.0.0/24\"]" },
	{ "vpn.push.dns", CONFIG_TYPE_ARRAY, set_push_dns, R(vpn), 0, 0, CFG_BASE_ROOT, 0,
	  "a list of IPv4 addresses" },
	{ "vpn.push.domain", CONFIG_TYPE_STRING, set_str, R(vpn.push_domain), 0, 128,
	  CFG_BASE_ROOT, 0, "a DNS domain" },

	GREQ("pki"),
	{ "pki.ca", CONFIG_TYPE_STRING, set_path, R(pki.ca), 0, 0, CFG_BASE_ROOT, 1, "a file path" },
	{ "pki.cert", CONFIG_TYPE_STRING, set_path, R(pki.cert), 0, 0, CFG_BASE_ROOT, 1, "a file path" },
	{ "pki.key", CONFIG_TYPE_STRING, set_path, R(pki.key), 0, 0, CFG_BASE_ROOT, 1, "a file path" },
	{ "pki.crl", CONFIG_TYPE_STRING, set_path, R(pki.crl), 0, 0, CFG_BASE_ROOT, 0, "a file path" },
	{ "pki.tls_crypt", CONFIG_TYPE_STRING, set_path, R(pki.tls_crypt), 0, 0, CFG_BASE_ROOT, 0,
	  "a file path" },
	{ "pki.tls_crypt_v2", CONFIG_TYPE_STRING, set_path, R(pki.tls_crypt_v2), 0, 0,
	  CFG_BASE_ROOT, 0, "a file path" },
	{ "pki.tls_auth", CONFIG_TYPE_STRING, set_path, R(pki.tls_auth), 0, 0, CFG_BASE_ROOT, 0,
	  "a file path" },
	{ "pki.tls_auth_direction", CONFIG_TYPE_STRING, set_tls_dir, R(pki.tls_auth_direction),
	  0, 0, CFG_BASE_ROOT, 0, "\"0\", \"1\" or \"bidirectional\"" },
	{ "pki.auth_user_pass", CONFIG_TYPE_BOOL, set_bool, R(pki.auth_user_pass), 0, 0,
	  CFG_BASE_ROOT, 0, "true or false" },

	G("users"),
	{ "users.store", CONFIG_TYPE_STRING, set_path, R(user_store), 0, 0, CFG_BASE_ROOT, 0,
	  "a file path" },

	G("control"),
	{ "control.socket", CONFIG_TYPE_STRING, set_str, R(ctl.socket), 1, 108, CFG_BASE_ROOT, 0,
	  "an absolute UNIX socket path" },
	{ "control.max_half_open", CONFIG_TYPE_INT, set_u32, R(ctl.max_half_open), 1, 1 << 20,
	  CFG_BASE_ROOT, 0, "a count 1..1048576" },
	{ "control.connect_rate", CONFIG_TYPE_INT, set_u32, R(ctl.connect_rate), 1, 100000,
	  CFG_BASE_ROOT, 0, "new sessions per source per 10 s, 1..100000" },
	{ "control.tls_workers", CONFIG_TYPE_INT, set_u32, R(ctl.tls_workers), 1, 16,
	  CFG_BASE_ROOT, 0, "a thread count 1..16" },

	{ "rules", CONFIG_TYPE_LIST, set_rules, 0, 0, 0, CFG_BASE_ROOT, 0,
	  "a list of rule groups ( { ... }, ... )" },
	{ "rules.*", CONFIG_TYPE_GROUP, NULL, 0, 0, 0, CFG_BASE_RULE, 0, "a rule group { ... }" },
	{ "rules.*.name", CONFIG_TYPE_STRING, set_str, RU(name), 1, CFG_NAME_MAX, CFG_BASE_RULE, 1,
	  "a rule name" },
	{ "rules.*.src", CONFIG_TYPE_STRING, set_prefix, RU(src), 0, 0, CFG_BASE_RULE, 0,
	  "an IPv4 subnet like \"10.10.0.0/24\"" },
	{ "rules.*.dst", CONFIG_TYPE_STRING, set_prefix, RU(dst), 0, 0, CFG_BASE_RULE, 1,
	  "an IPv4 subnet like \"10.20.0.10/32\"" },
	{ "rules.*.proto", CONFIG_TYPE_STRING, set_proto, RU(proto), 0, 0, CFG_BASE_RULE, 0,
	  "one of \"any\", \"tcp\", \"udp\", \"icmp\"" },
	{ "rules.*.src_port", CONFIG_TYPE_STRING, set_port_range, RU(sport_lo), 0, 0,
	  CFG_BASE_RULE, 0, PORT_WHAT },
	{ "rules.*.dst_port", CONFIG_TYPE_STRING, set_port_range, RU(dport_lo), 0, 0,
	  CFG_BASE_RULE, 0, PORT_WHAT },
	{ "rules.*.priority", CONFIG_TYPE_INT, set_u32, RU(priority), 0, 65535, CFG_BASE_RULE, 0,
	  "a priority 0..65535 (lower wins)" },
	{ "rules.*.action", CONFIG_TYPE_STRING, set_action, RU(action), 0, 0, CFG_BASE_RULE, 1,
	  "\"allow\" or \"deny\"" },
};
const unsigned cfg_schema_len = sizeof(cfg_schema) / sizeof(cfg_schema[0]);

static void rule_defaults(struct cfg_rule *r, int line)
{
	memset(r, 0, sizeof(*r));
	r->src.addr = 0;
	r->src.len = 0;		/* any VPN source */
	r->proto = CFG_PROTO_ANY;
	r->sport_hi = 65535;
	r->dport_hi = 65535;
	r->priority = 1000;
	r->line = line;
}

/* Names of a rule's required fields, in the order checked below. */
static void rule_required(struct cfg_loader *ld, const config_setting_t *g, int idx)
{
	static const char *const req[] = { "name", "dst", "action" };

	for (unsigned i = 0; i < 3; i++)
		if (config_setting_get_member(g, req[i]) == NULL) {
			char where[64];

			snprintf(where, sizeof(where), "rules[%d].%s", idx, req[i]);
			cfg_errorf(ld, LINE(g), where, "expected a value, found nothing (required)");
		}
}

static int set_rules(struct cfg_loader *ld, const config_setting_t *s,
		     const struct cfg_key *k, void *f)
{
	struct sl_config *cfg = ld->cfg;
	int n = config_setting_length(s);
	char sp[32], dp[32], found[64];

	(void)f;
	if (n > CFG_MAX_RULES) {
		cfg_errorf(ld, LINE(s), NULL, "expected at most %d rules, found %d", CFG_MAX_RULES, n);
		return -1;
	}
	free(cfg->rules);
	cfg->rules = calloc(n > 0 ? n : 1, sizeof(*cfg->rules));
	if (cfg->rules == NULL) {
		cfg_errorf(ld, LINE(s), NULL, "expected memory for %d rules, found none", n);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(s, i);
		int count = config_setting_length(g);

		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			snprintf(dp, sizeof(dp), "rules[%d]", i);
			cfg_errorf(ld, LINE(g), dp, "expected %s, found %s", k->what,
				   cfg_found(g, found, sizeof(found)));
			continue;
		}
		ld->rule = &cfg->rules[cfg->n_rules++];
		rule_defaults(ld->rule, LINE(g));
		for (int j = 0; j < count; j++) {
			const config_setting_t *c = config_setting_get_elem(g, j);
			const struct cfg_key *fk = NULL;

			snprintf(sp, sizeof(sp), "rules.*.%.20s", config_setting_name(c));
			snprintf(ld->where, sizeof(ld->where), "rules[%d].%s", i,
				 config_setting_name(c));
			for (unsigned m = 0; m < cfg_schema_len; m++)
				if (strcmp(cfg_schema[m].path, sp) == 0)
					fk = &cfg_schema[m];
			if (fk == NULL) {
				cfg_errorf(ld, LINE(c), NULL, "unknown setting, expected one of: "
					   "name, src, dst, proto, src_port, dst_port, priority, action");
				continue;
			}
			if (fk->set == set_port_range ||
			    config_setting_type(c) == fk->type)
				fk->set(ld, c, fk, (char *)ld->rule + fk->off);
			else
				cfg_errorf(ld, LINE(c), NULL, "expected %s, found %s", fk->what,
					   cfg_found(c, found, sizeof(found)));
		}
		rule_required(ld, g, i);
	}
	ld->rule = NULL;
	return 0;
}

void cfg_defaults(struct sl_config *cfg)
{
	struct cfg_dataplane *dp = &cfg->dp;
	struct cfg_vpn *vpn = &cfg->vpn;

	snprintf(dp->lcores, sizeof(dp->lcores), "0-1");
	dp->lcore_ids[0] = 0;
	dp->lcore_ids[1] = 1;
	dp->n_lcores = 2;
	snprintf(dp->file_prefix, sizeof(dp->file_prefix), "sluice");
	dp->hugepages = true;
	dp->mbufs = 16383;
	dp->mbuf_cache = 256;
	dp->rx_desc = 1024;
	dp->tx_desc = 1024;
	dp->burst = 32;
	dp->ring_size = 1024;
	dp->log_level = 2;
	for (int i = 0; i < CFG_PORT_COUNT; i++)
		cfg->port[i].mtu = 1500;
	vpn->listen_port = 1194;
	snprintf(vpn->data_ciphers[0], 32, "AES-256-GCM");
	snprintf(vpn->data_ciphers[1], 32, "AES-128-GCM");
	snprintf(vpn->data_ciphers[2], 32, "CHACHA20-POLY1305");
	vpn->n_ciphers = 3;
	vpn->ping = 10;
	vpn->ping_restart = 60;
	vpn->reneg_sec = 3600;
	vpn->hand_window = 60;
	vpn->replay_window = 2048;
	vpn->max_clients = 1024;
	/*
	 * 1400 keeps a full inner packet plus the tunnel overhead (52 bytes for
	 * AEAD over UDP/IPv4) under a 1500-byte link, so the outer packets are
	 * never fragmented: the data plane does not reassemble.
	 */
	vpn->tun_mtu = 1400;
	vpn->mssfix = 1400;
	cfg->pki.tls_auth_direction = 0;
	snprintf(cfg->ctl.socket, sizeof(cfg->ctl.socket), "/run/sluice/sluice.sock");
	cfg->ctl.max_half_open = 1024;
	cfg->ctl.connect_rate = 10;
	cfg->ctl.tls_workers = 2;
	snprintf(cfg->user_store, sizeof(cfg->user_store), "/var/lib/sluice/users");
}
