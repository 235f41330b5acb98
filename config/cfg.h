/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CFG_H
#define SL_CFG_H

/*
 * The one configuration pipeline of Sluice:
 *
 *   libconfig text --(schema table, cfg_schema.c)--> struct sl_config
 *                  --(cfg_validate: cross-field rules)--> ready
 *
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
	struct cfg_prefix pool;
	char data_ciphers[CFG_MAX_CIPHERS][32];
	unsigned n_ciphers;
	bool data_v1;
	uint32_t ping;
	uint32_t ping_restart;
	uint32_t reneg_sec;
	uint64_t reneg_bytes;
	uint64_t reneg_pkts;
	uint32_t hand_window;
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
};

struct cfg_control {
	char socket[108];		/* sun_path */
	uint32_t max_half_open;
	uint32_t connect_rate;		/* new sessions per source per 10 s */
	uint32_t tls_workers;		/* TLS worker threads */
};

enum cfg_proto { CFG_PROTO_ANY, CFG_PROTO_TCP, CFG_PROTO_UDP, CFG_PROTO_ICMP };
enum cfg_action { CFG_ACTION_DENY, CFG_ACTION_ALLOW };

struct cfg_rule {
	char name[CFG_NAME_MAX];
	struct cfg_prefix src;
	struct cfg_prefix dst;
	enum cfg_proto proto;
	uint16_t sport_lo, sport_hi;
	uint16_t dport_lo, dport_hi;
	uint32_t priority;		/* lower wins */
	enum cfg_action action;
	int line;
};

struct sl_config {
	char file[CFG_PATH_MAX];	/* as given, for messages */
	char dir[CFG_PATH_MAX];		/* relative paths resolve against it */
	struct cfg_dataplane dp;
	struct cfg_port port[CFG_PORT_COUNT];
	struct cfg_vpn vpn;
	struct cfg_pki pki;
	struct cfg_control ctl;
	char user_store[CFG_PATH_MAX];
	struct cfg_rule *rules;		/* n_rules entries, owned */
	unsigned n_rules;
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

/*
 * For the two daemons' main(): parse "-c CONFIG [-d] [-h]". Returns 0 to go
 * on (*file set, *debug 0/1), or the exit code: 0 after -h, 2 after a
 * usage error (usage printed on stdout or stderr accordingly).
 */
int cfg_daemon_args(int argc, char **argv, const char *prog, const char **file, int *debug);

/* Helpers shared with the processes. */
int cfg_port_is_pci(const struct cfg_port *p);
const char *cfg_port_name(enum cfg_port_id id);
char *cfg_ip_str(uint32_t addr, char *buf, unsigned len);	/* host order */

#endif
