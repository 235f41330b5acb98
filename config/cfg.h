/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CFG_H
#define SL_CFG_H

/*
 * The one configuration pipeline of Sluice:
 *
 *   defaults (a column of the schema table, cfg_schema.c)
 *   + libconfig text --(cfg.c walks it against the table)--> struct sl_config
 *                    --(cfg_validate.c: cross-field rules)--> ready
 *
 * Errors are collected by cfg_err.c; value parsers are in cfg_value.c.
 * It serves sluice-dataplane, sluice-controlplane and `sluicectl check`.
 * Every problem is reported as
 *
 *   FILE:LINE: setting: expected ..., found ...
 *
 * and an unknown setting is an error that names it. The loader never prints
 * and never exits: it fills an array of struct cfg_error for the caller.
 * Not thread-safe (one loader per thread); the result is read-only after load.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sl_rule.h"

#define CFG_PATH_MAX		256
#define CFG_NAME_MAX		64
#define CFG_VDEV_MAX		256
#define CFG_MAX_CIPHERS		8
#define CFG_MAX_PUSH		16
#define CFG_MAX_RULES		4096
#define CFG_MAX_LCORES		128

enum cfg_port_id { CFG_PORT_PUBLIC, CFG_PORT_PRIVATE, CFG_PORT_COUNT };

/* An IPv4 prefix in host byte order: addr/len. */
struct cfg_prefix {
	uint32_t addr;
	uint8_t len;
};

struct cfg_port {
	char pci[32];			/* "0000:03:00.0", or "" */
	char vdev[CFG_VDEV_MAX];	/* "net_af_packet0,iface=eth1", or "" */
	struct cfg_prefix address;	/* our address and on-link subnet */
	uint32_t gateway;		/* next hop off the subnet, 0 = none */
	uint16_t mtu;
	bool set;			/* the group appeared in the file */
	int line;			/* where it did, for validate() errors */
};

/* dataplane.crypto: the data channel's crypto backend (lib/ovpn_engine.h). */
enum cfg_crypto { CFG_CRYPTO_AUTO, CFG_CRYPTO_OPENSSL, CFG_CRYPTO_IPSEC_MB };

struct cfg_dataplane {
	char lcores[64];		/* EAL -l list, first = main lcore */
	uint16_t lcore_ids[CFG_MAX_LCORES];
	unsigned n_lcores;		/* main + workers */
	char file_prefix[32];		/* EAL --file-prefix, shared by both processes */
	bool hugepages;
	uint32_t memory_mb;		/* 0 = grow on demand */
	uint32_t mbufs;
	uint32_t mbuf_cache;
	uint16_t rx_desc;
	uint16_t tx_desc;
	uint16_t burst;
	uint32_t ring_size;		/* control-plane rings, power of two */
	int log_level;			/* 0 err .. 3 debug */
	int crypto;			/* enum cfg_crypto */
	uint32_t idle_sleep_us;		/* a worker's nap after an idle spell, 0 = poll only */
};

/* A fixed VPN address for one user (common name or username). */
struct cfg_static {
	char name[CFG_NAME_MAX];
	uint32_t addr;			/* host order, inside vpn.pool */
	int line;
};

#define CFG_MAX_STATICS	65536

struct cfg_vpn {
	uint16_t listen_port;
	uint16_t tcp_port;		/* TCP transport (dp_exc.h), 0 = off */
	struct cfg_prefix pool;
	char data_ciphers[CFG_MAX_CIPHERS][32];
	unsigned n_ciphers;
	char cipher[32];		/* fallback for clients without NCP, "" = none */
	char auth[8];			/* CBC's HMAC digest: SHA1, SHA256, SHA512 */
	bool data_v1;
	uint32_t ping;
	uint32_t ping_restart;
	uint32_t reneg_sec;
	uint64_t reneg_bytes;
	uint64_t reneg_pkts;
	uint32_t hand_window;
	uint32_t tran_window;
	uint32_t replay_window;
	uint32_t max_clients;
	uint16_t tun_mtu;
	uint16_t mssfix;
	struct cfg_static *statics;	/* n_statics fixed addresses, owned */
	unsigned n_statics;
	struct cfg_prefix push_routes[CFG_MAX_PUSH];
	unsigned n_push_routes;
	uint32_t push_dns[CFG_MAX_PUSH];
	unsigned n_push_dns;
	char push_domain[128];
};

struct cfg_pki {
	char ca[CFG_PATH_MAX];
	char cert[CFG_PATH_MAX];
	char key[CFG_PATH_MAX];
	char crl[CFG_PATH_MAX];
	char tls_crypt[CFG_PATH_MAX];
	char tls_crypt_v2[CFG_PATH_MAX];
	char tls_auth[CFG_PATH_MAX];
	int tls_auth_direction;		/* 0, 1, or -1 for bidirectional */
	bool auth_user_pass;
	char ca_key[CFG_PATH_MAX];	/* built-in CA's key; "" = external CA */
	uint32_t cert_days;		/* lifetime of the client certificates it issues */
	bool key_rsa;			/* their keys: RSA-2048, else ECDSA P-256 */
};

/* What client profiles name (sluicectl user profile): the public name and
 * port(s) clients use, which NAT or DNS may make differ from ports.public. */
#define CFG_MAX_REMOTES		8
#define CFG_HOST_MAX		256

struct cfg_remote {
	char host[CFG_HOST_MAX];	/* DNS name or IP address */
	uint16_t port;
	bool tcp;			/* "tcp", else "udp" */
};

struct cfg_profile {
	struct cfg_remote remotes[CFG_MAX_REMOTES];
	unsigned n_remotes;		/* >= 1 once loaded: when the file names none,
					 * ports.public's address and vpn.listen_port, udp */
};

struct cfg_control {
	char socket[108];		/* sun_path */
	uint32_t max_half_open;
	uint32_t connect_rate;		/* new sessions per source per 10 s */
	uint32_t rx_rate;		/* control packets per source address per s */
	uint32_t rx_burst;		/* and in one burst */
	uint32_t rx_rate_total;		/* control packets per s, all sources, per worker */
	uint32_t tls_workers;		/* TLS worker threads */
	char tls_cpus[64];		/* their CPU list, "" = start CPUs less dp workers */
	uint16_t tls_cpu_ids[CFG_MAX_LCORES];
	unsigned n_tls_cpus;
	bool legacy_tls;		/* TLS 1.0+, DHE-RSA/AES-SHA suites (pre-2.4 clients) */
};

struct sl_config {
	char file[CFG_PATH_MAX];	/* as given, for messages */
	char dir[CFG_PATH_MAX];		/* relative paths resolve against it */
	struct cfg_dataplane dp;
	struct cfg_port port[CFG_PORT_COUNT];
	struct cfg_vpn vpn;
	struct cfg_pki pki;
	struct cfg_profile profile;
	struct cfg_control ctl;
	char user_store[CFG_PATH_MAX];	/* the SQLite user database */
	char user_import[CFG_PATH_MAX];	/* a PBKDF2 text file imported at start, or "" */
	uint32_t pbkdf2_iter;		/* iterations of new password hashes */
	/* Access rules (lib/sl_rule.h): the rules list, parsed and checked by
	 * the same code as the API's and sluicectl's, origin "config"; and
	 * rules_default, enum sl_rule_action, for packets no rule matches. */
	struct sl_rule *rules;		/* n_rules entries, owned */
	unsigned n_rules;
	uint8_t rules_default;
};

struct cfg_error {
	char file[CFG_PATH_MAX];
	int line;			/* 0 when the file has no line for it */
	char setting[128];		/* dotted path, e.g. "vpn.keepalive.ping" */
	char msg[256];			/* "expected ..., found ..." */
};

/*
 * Load and validate FILE. Returns 0 with *cfg filled, or the number of
 * errors (> 0) with up to max_err of them in err[]; in that case *cfg holds
 * nothing that needs freeing. -1 with err[0] set if the file can't be read.
 */
int cfg_load(struct sl_config *cfg, const char *file,
	     struct cfg_error *err, int max_err);

/* Same, from a string; NAME is used as the file in messages. */
int cfg_load_string(struct sl_config *cfg, const char *name, const char *text,
		    struct cfg_error *err, int max_err);

void cfg_free(struct sl_config *cfg);

/*
 * For main(): cfg_load(), then every error (up to 32) as one line each on
 * OUT. Returns 0 when the file loaded, -1 otherwise.
 */
int cfg_load_report(struct sl_config *cfg, const char *file, FILE *out);

/* "FILE:LINE: setting: msg" into buf; returns buf. */
const char *cfg_error_str(const struct cfg_error *e, char *buf, unsigned len);

/* What cfg_daemon_args() tells main() to do. */
enum cfg_args_result {
	CFG_ARGS_RUN = 0,	/* go on: *file set, *debug 0/1 */
	CFG_ARGS_EXIT = 1,	/* -h/--help or --version printed on stdout: exit 0 */
	CFG_ARGS_USAGE = 2,	/* bad command line, usage on stderr: exit 2 */
};

/*
 * For the two daemons' main(): parse "-c CONFIG [-d]", "-h", "--help",
 * "--version" ("PROG VERSION", the meson project version). Never exits;
 * returns an enum cfg_args_result.
 */
int cfg_daemon_args(int argc, char **argv, const char *prog, const char **file, int *debug);

/* Helpers shared with the processes (cfg_value.c). */
int cfg_port_is_pci(const struct cfg_port *p);
const char *cfg_port_name(enum cfg_port_id id);
char *cfg_ip_str(uint32_t addr, char *buf, unsigned len);	/* host order */

/* Value parsers (0 ok, -1 bad), host byte order. */
int cfg_parse_ipv4(const char *s, uint32_t *addr);
int cfg_parse_prefix(const char *s, struct cfg_prefix *p);
int cfg_parse_lcores(const char *s, uint16_t *ids, unsigned max, unsigned *n);

#endif
