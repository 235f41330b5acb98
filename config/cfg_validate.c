/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cross-field checks, run once every setting parsed on its own. Each check
 * names the setting that has to change and the line it is on.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "cfg_validate.h"
#include "sl_addr.h"

static uint32_t mask_of(uint8_t len)
{
	return len == 0 ? 0 : ~0u << (32 - len);
}

static int overlap(const struct cfg_prefix *a, const struct cfg_prefix *b)
{
	uint8_t len = a->len < b->len ? a->len : b->len;

	return ((a->addr ^ b->addr) & mask_of(len)) == 0;
}

static const char *pstr(const struct cfg_prefix *p, char *buf, unsigned len)
{
	char ip[16];

	snprintf(buf, len, "%s/%u", cfg_ip_str(p->addr, ip, sizeof(ip)), p->len);
	return buf;
}

static int pci_ok(const char *s)
{
	unsigned d, b, dev, fn;
	char tail;

	return sscanf(s, "%4x:%2x:%2x.%1x%c", &d, &b, &dev, &fn, &tail) == 4;
}

static void check_dataplane(struct cfg_loader *ld)
{
	const struct cfg_dataplane *dp = &ld->cfg->dp;
	unsigned workers = dp->n_lcores - 1, need;

	if (dp->n_lcores < 2)
		cfg_errorf(&ld->es, cfg_line_of(ld, "dataplane.lcores"), "dataplane.lcores",
			   "expected at least 2 lcores (the main lcore and one worker), found \"%s\"",
			   dp->lcores);
	if ((dp->ring_size & (dp->ring_size - 1)) != 0)
		cfg_errorf(&ld->es, cfg_line_of(ld, "dataplane.ring_size"), "dataplane.ring_size",
			   "expected a power of two, found %u", dp->ring_size);
	for (const char *p = dp->file_prefix; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-') {
			cfg_errorf(&ld->es, cfg_line_of(ld, "dataplane.file_prefix"),
				   "dataplane.file_prefix",
				   "expected letters, digits, '_' or '-', found \"%s\"", dp->file_prefix);
			break;
		}
	/* Every RX and TX ring full, plus the per-lcore caches, plus slack. */
	need = CFG_PORT_COUNT * (workers ? workers : 1) * (dp->rx_desc + dp->tx_desc) +
	       dp->n_lcores * dp->mbuf_cache + 2 * dp->ring_size + 1024;
	if (dp->mbufs < need)
		cfg_errorf(&ld->es, cfg_line_of(ld, "dataplane.mbufs"), "dataplane.mbufs",
			   "expected at least %u for %u ports x %u workers x (%u rx + %u tx descriptors) "
			   "+ caches + rings, found %u", need, CFG_PORT_COUNT, workers,
			   dp->rx_desc, dp->tx_desc, dp->mbufs);
}

static void check_port(struct cfg_loader *ld, enum cfg_port_id id)
{
	const struct cfg_port *p = &ld->cfg->port[id];
	const char *name = cfg_port_name(id);
	char path[64], buf[32];
	int line;

	snprintf(path, sizeof(path), "ports.%s", name);
	line = cfg_line_of(ld, path);
	if ((p->pci[0] != '\0') == (p->vdev[0] != '\0'))
		cfg_errorf(&ld->es, line, path, "expected exactly one of pci or vdev, found %s",
			   p->pci[0] != '\0' ? "both" : "neither");
	if (p->pci[0] != '\0' && !pci_ok(p->pci)) {
		snprintf(path, sizeof(path), "ports.%s.pci", name);
		cfg_errorf(&ld->es, cfg_line_of(ld, path), path,
			   "expected a PCI address like \"0000:03:00.0\", found \"%s\"", p->pci);
	}
	snprintf(path, sizeof(path), "ports.%s.address", name);
	if (p->address.len < 8 || p->address.len > 30)
		cfg_errorf(&ld->es, cfg_line_of(ld, path), path,
			   "expected a prefix length 8..30, found %s",
			   pstr(&p->address, buf, sizeof(buf)));
	else if ((p->address.addr & ~mask_of(p->address.len)) == 0)
		cfg_errorf(&ld->es, cfg_line_of(ld, path), path,
			   "expected a host address, found the network address %s",
			   pstr(&p->address, buf, sizeof(buf)));
	snprintf(path, sizeof(path), "ports.%s.gateway", name);
	if (p->gateway != 0 &&
	    ((p->gateway ^ p->address.addr) & mask_of(p->address.len)) != 0)
		cfg_errorf(&ld->es, cfg_line_of(ld, path), path,
			   "expected an address inside %s, found %s",
			   pstr(&p->address, buf, sizeof(buf)),
			   cfg_ip_str(p->gateway, path, sizeof(path)));
}

static void check_subnet(struct cfg_loader *ld, const char *path, int line,
			 const struct cfg_prefix *p)
{
	char buf[32];

	if ((p->addr & ~mask_of(p->len)) != 0)
		cfg_errorf(&ld->es, line, path,
			   "expected a subnet address with its host bits zero, found %s",
			   pstr(p, buf, sizeof(buf)));
}

static void check_vpn(struct cfg_loader *ld)
{
	const struct sl_config *cfg = ld->cfg;
	const struct cfg_vpn *vpn = &cfg->vpn;
	int line = cfg_line_of(ld, "vpn.pool");
	char a[32], b[32];

	/* A /12 holds 2^20 - 2 clients, vpn.max_clients' upper bound. */
	if (vpn->pool.len < 12 || vpn->pool.len > 29)
		cfg_errorf(&ld->es, line, "vpn.pool", "expected a prefix length 12..29, found %s",
			   pstr(&vpn->pool, a, sizeof(a)));
	check_subnet(ld, "vpn.pool", line, &vpn->pool);
	for (int i = 0; i < CFG_PORT_COUNT; i++)
		if (overlap(&vpn->pool, &cfg->port[i].address))
			cfg_errorf(&ld->es, line, "vpn.pool",
				   "expected a subnet apart from ports.%s.address %s, found %s",
				   cfg_port_name(i), pstr(&cfg->port[i].address, a, sizeof(a)),
				   pstr(&vpn->pool, b, sizeof(b)));
	if (vpn->ping_restart <= vpn->ping)
		cfg_errorf(&ld->es, cfg_line_of(ld, "vpn.keepalive.ping_restart"),
			   "vpn.keepalive.ping_restart",
			   "expected more than vpn.keepalive.ping (%u), found %u",
			   vpn->ping, vpn->ping_restart);
	/* A key whose renegotiation could still be under way must not die. */
	if (vpn->tran_window < vpn->hand_window)
		cfg_errorf(&ld->es, cfg_line_of(ld, "vpn.tran_window"), "vpn.tran_window",
			   "expected at least vpn.hand_window (%u), found %u",
			   vpn->hand_window, vpn->tran_window);
	for (unsigned i = 0; i < vpn->n_push_routes; i++)
		check_subnet(ld, "vpn.push.routes", cfg_line_of(ld, "vpn.push.routes"),
			     &vpn->push_routes[i]);
	if (vpn->mssfix != 0 && vpn->mssfix > vpn->tun_mtu)
		cfg_errorf(&ld->es, cfg_line_of(ld, "vpn.mssfix"), "vpn.mssfix",
			   "expected at most vpn.tun_mtu (%u), found %u", vpn->tun_mtu, vpn->mssfix);
}

/* Is a CBC cipher offered, in vpn.data_ciphers or as the fallback? */
static bool cbc_offered(const struct cfg_vpn *vpn)
{
	for (unsigned i = 0; i < vpn->n_ciphers; i++)
		if (strstr(vpn->data_ciphers[i], "-CBC") != NULL)
			return true;
	return strstr(vpn->cipher, "-CBC") != NULL;
}

/*
 * A full tunnel packet with CBC must fit the public link unfragmented
 * (the data plane never reassembles): outer IPv4+UDP 28, P_DATA_V2 header
 * 4, HMAC, IV 16, then packet-id 4 + payload + compression byte 1 padded
 * to whole 16-byte blocks, at least one pad byte (OpenVPN
 * src/openvpn/crypto.c openvpn_encrypt_v1). With SHA512 the default
 * tun_mtu 1400 does not fit 1500 (1520 bytes): refused, not dropped later.
 */
static void check_cbc_mtu(struct cfg_loader *ld)
{
	const struct cfg_vpn *vpn = &ld->cfg->vpn;
	unsigned h = strcmp(vpn->auth, "SHA512") == 0 ? 64 :
		     strcmp(vpn->auth, "SHA256") == 0 ? 32 : 20;
	unsigned ct = (4 + vpn->tun_mtu + 1) / 16 * 16 + 16, outer = 28 + 4 + h + 16 + ct;
	unsigned max = vpn->tun_mtu, link = ld->cfg->port[CFG_PORT_PUBLIC].mtu;

	if (!cbc_offered(vpn) || outer <= link)
		return;
	while (max > 0 && 28 + 4 + h + 16 + (4 + max + 1) / 16 * 16 + 16 > link)
		max--;
	cfg_errorf(&ld->es, cfg_line_of(ld, "vpn.tun_mtu"), "vpn.tun_mtu",
		   "expected at most %u so a full CBC packet with vpn.auth %s fits "
		   "ports.public.mtu %u (%u bytes at %u), found %u", max, vpn->auth, link, outer,
		   vpn->tun_mtu, vpn->tun_mtu);
}

/* Fixed addresses: inside the pool, not its network, gateway or broadcast, unique. */
static void check_statics(struct cfg_loader *ld)
{
	const struct cfg_vpn *vpn = &ld->cfg->vpn;
	uint32_t mask = mask_of(vpn->pool.len), net = vpn->pool.addr & mask;
	char where[64], ip[16];

	for (unsigned i = 0; i < vpn->n_statics; i++) {
		const struct cfg_static *st = &vpn->statics[i];
		uint32_t host = st->addr & ~mask;

		snprintf(where, sizeof(where), "vpn.static_addresses[%u].address", i);
		if ((st->addr & mask) != net || host <= 1 || host == ~mask)
			cfg_errorf(&ld->es, st->line, where, "expected a client address inside vpn.pool "
				   "(not its network, gateway .1 or broadcast), found %s",
				   cfg_ip_str(st->addr, ip, sizeof(ip)));
		for (unsigned j = 0; j < i; j++) {
			if (vpn->statics[j].addr == st->addr)
				cfg_errorf(&ld->es, st->line, where, "expected an address not given to "
					   "\"%s\" already, found %s", vpn->statics[j].name,
					   cfg_ip_str(st->addr, ip, sizeof(ip)));
			if (strcmp(vpn->statics[j].name, st->name) == 0) {
				snprintf(where, sizeof(where), "vpn.static_addresses[%u].name", i);
				cfg_errorf(&ld->es, st->line, where, "expected a name not listed already "
					   "(line %d), found \"%s\"", vpn->statics[j].line, st->name);
			}
		}
	}
}

static void check_ports_apart(struct cfg_loader *ld)
{
	const struct sl_config *cfg = ld->cfg;
	char a[32], b[32];

	if (overlap(&cfg->port[0].address, &cfg->port[1].address))
		cfg_errorf(&ld->es, cfg_line_of(ld, "ports.private.address"), "ports.private.address",
			   "expected a subnet apart from ports.public.address %s, found %s",
			   pstr(&cfg->port[0].address, a, sizeof(a)),
			   pstr(&cfg->port[1].address, b, sizeof(b)));
	if (cfg->port[0].vdev[0] != '\0' && strcmp(cfg->port[0].vdev, cfg->port[1].vdev) == 0)
		cfg_errorf(&ld->es, cfg_line_of(ld, "ports.private.vdev"), "ports.private.vdev",
			   "expected a device other than the public port's, found \"%s\"",
			   cfg->port[1].vdev);
	if (cfg->port[0].pci[0] != '\0' && strcmp(cfg->port[0].pci, cfg->port[1].pci) == 0)
		cfg_errorf(&ld->es, cfg_line_of(ld, "ports.private.pci"), "ports.private.pci",
			   "expected a device other than the public port's, found \"%s\"",
			   cfg->port[1].pci);
}

static void check_pki(struct cfg_loader *ld)
{
	const struct cfg_pki *pki = &ld->cfg->pki;
	int wraps = (pki->tls_crypt[0] != '\0') + (pki->tls_crypt_v2[0] != '\0') +
		    (pki->tls_auth[0] != '\0');

	if (wraps > 1)
		cfg_errorf(&ld->es, cfg_line_of(ld, "pki"), "pki",
			   "expected at most one of tls_crypt, tls_crypt_v2, tls_auth, found %d", wraps);
	if (ld->cfg->ctl.socket[0] != '/')
		cfg_errorf(&ld->es, cfg_line_of(ld, "control.socket"), "control.socket",
			   "expected an absolute path, found \"%s\"", ld->cfg->ctl.socket);
}

/*
 * The built-in CA revokes by rewriting pki.crl, so it needs one: without
 * pki.crl, the crl.pem beside pki.ca_key (where `sluicectl pki init` puts
 * both). Profiles name ports.public's address and vpn.listen_port when
 * profile.remote is not set (right when clients reach that address
 * directly, without NAT).
 */
static void check_builtin_ca(struct cfg_loader *ld)
{
	struct sl_config *cfg = ld->cfg;
	struct cfg_remote *r = &cfg->profile.remotes[0];
	uint32_t a = cfg->port[CFG_PORT_PUBLIC].address.addr;
	const char *slash = strrchr(cfg->pki.ca_key, '/');

	if (cfg->pki.ca_key[0] != '\0' && cfg->pki.crl[0] == '\0' &&
	    snprintf(cfg->pki.crl, sizeof(cfg->pki.crl), "%.*s/crl.pem",
		     slash ? (int)(slash - cfg->pki.ca_key) : 1,
		     slash ? cfg->pki.ca_key : ".") >= (int)sizeof(cfg->pki.crl)) {
		cfg->pki.crl[0] = '\0';
		cfg_errorf(&ld->es, cfg_line_of(ld, "pki.ca_key"), "pki.crl",
			   "expected a CRL path with pki.ca_key (crl.pem beside it is too "
			   "long a path), found none");
	}
	if (cfg->profile.n_remotes == 0) {
		snprintf(r->host, sizeof(r->host), "%u.%u.%u.%u", a >> 24, a >> 16 & 255,
			 a >> 8 & 255, a & 255);
		r->port = cfg->vpn.listen_port;
		r->tcp = false;
		cfg->profile.n_remotes = 1;
	}
}

/* The config file's name of a rule field ("dst_port" for dport). */
static const char *rule_member(int field)
{
	switch (field) {
	case SL_RULE_F_SPORT: return "src_port";
	case SL_RULE_F_DPORT: return "dst_port";
	default: return sl_rule_field_name(field);
	}
}

/*
 * The rules as a set, by the same checks as the API's (lib/sl_rule.h):
 * each rule's fields together, unique names, no two overlapping rules of
 * one priority. The first problem is reported at its rule's line.
 */
static void check_rules(struct cfg_loader *ld)
{
	const struct sl_config *cfg = ld->cfg;
	struct sl_prefix pool = { .addr = sl_addr_v4(cfg->vpn.pool.addr),
				  .len = cfg->vpn.pool.len };
	struct sl_rule_err err;
	char where[64];

	if (sl_rules_check(cfg->rules, cfg->n_rules, &pool, &err) == 0)
		return;
	snprintf(where, sizeof(where), "rules[%u].%s", err.rule, rule_member(err.field));
	cfg_errorf(&ld->es, err.rule < cfg->n_rules ? cfg->rules[err.rule].line : 0, where,
		   "rule \"%s\": %s", err.name, err.msg);
}

/* control.tls_cpus names CPUs of this machine (get_nprocs_conf(): the
 * configured ones, online or not, as sched_setaffinity counts them). */
static void check_tls_cpus(struct cfg_loader *ld)
{
	const struct cfg_control *ctl = &ld->cfg->ctl;
	int have = get_nprocs_conf();

	for (unsigned i = 0; i < ctl->n_tls_cpus; i++)
		if (ctl->tls_cpu_ids[i] >= have) {
			cfg_errorf(&ld->es, cfg_line_of(ld, "control.tls_cpus"), "control.tls_cpus",
				   "expected CPUs 0..%d (this machine's), found CPU %u in \"%s\"",
				   have - 1, ctl->tls_cpu_ids[i], ctl->tls_cpus);
			return;
		}
}

void cfg_validate(struct cfg_loader *ld)
{
	check_dataplane(ld);
	check_tls_cpus(ld);
	for (int i = 0; i < CFG_PORT_COUNT; i++)
		check_port(ld, i);
	check_ports_apart(ld);
	check_vpn(ld);
	check_cbc_mtu(ld);
	check_statics(ld);
	check_pki(ld);
	check_builtin_ca(ld);
	check_rules(ld);
}
