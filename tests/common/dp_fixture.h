/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DP_FIXTURE_H
#define SL_DP_FIXTURE_H

/*
 * An in-process data plane without ports, for the stage tests and the stage
 * benchmark: EAL (--no-huge --no-shconf, or hugepages), the shared objects, the peer table,
 * two workers (peer-ids owned by id % 2) with their crypto engines, one
 * neighbour on the LAN, and helpers that build packets as the client and
 * the LAN host would.
 *
 *   client 192.0.2.2:40000 --- public 192.0.2.1:1194 [dp] private 10.20.0.1 --- LAN 10.20.0.2
 */
#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "dp.h"
#include "dp_pkt.h"
#include "ovpn_data.h"

#define FX_VPN_IP	0x0A0A0006u	/* 10.10.0.6 */
#define FX_CLIENT_IP	0xC0000202u	/* 192.0.2.2 */
#define FX_PUB_IP	0xC0000201u
#define FX_PRIV_IP	0x0A140001u	/* 10.20.0.1 */
#define FX_LAN_IP	0x0A140002u
#define FX_CLIENT_PORT	40000

/* One key state as both ends see it. */
struct fx_keyset {
	/* _iv: the hmac slice, AEAD nonce tail (first 8) or CBC HMAC key */
	uint8_t c2s[32], c2s_iv[64], s2c[32], s2c_iv[64];
	struct ovpn_data_key client_tx, client_rx;
};

struct dp_fixture {
	struct sl_config cfg;
	struct dp dp;
	struct sl_lcore_stats stats[2];
	struct dp_worker wk[2];
	struct fx_keyset ks[2];
	unsigned digest;			/* enum sl_digest of CBC keys fx_add_key makes */
	/* Frames the stages sent that fx_take() did not return, per port. */
	uint64_t arp_sent[CFG_PORT_COUNT];	/* ARP requests */
	uint64_t other_sent[CFG_PORT_COUNT];	/* e.g. ICMP errors to the LAN */
};

extern struct dp_fixture fx;
extern const struct rte_ether_addr fx_pub_mac, fx_priv_mac, fx_client_mac, fx_lan_mac;

int fx_init(const char *prog);
/* The same with another configuration (e.g. more clients, a larger pool). */
int fx_init_conf(const char *prog, const char *config);
/* The same in hugepages if HUGE (a deployment's memory: fewer TLB misses
 * over many peers' state), else on 4 KiB pages as above. */
int fx_init_mem(const char *prog, const char *config, bool huge);
void fx_fini(void);

/*
 * dataplane.crypto for the keys installed from now on (fx_add_key): the
 * data plane's keys take its backend, the client's stay OpenSSL. -1 if
 * the backend cannot run here. fx_init() starts with "auto".
 */
int fx_set_crypto(enum cfg_crypto crypto);

/*
 * Back to a known state: no peers (their memory reclaimed), no held or
 * queued frames, no events, the neighbour tables knowing only the LAN host.
 */
int fx_reset(void);

int fx_cmd(struct sl_cmd *c);
/*
 * SL_CMD_RULES_PUBLISH of BLOB (the data plane owns it from here on), then
 * the main lcore's polls until its SL_EVT_RESULT: the result. Other events
 * in sl_evt meanwhile are dropped.
 */
struct sl_rule_blob;
int fx_publish(struct sl_rule_blob *blob);
int fx_add_peer(uint32_t id, uint32_t vpn_ip);
/* KEY_NEW of key_id in slot for peer id with the key material of *k (set
 * here), the client's contexts left alone. */
int fx_key_cmd(uint32_t id, unsigned slot, unsigned key_id, enum sl_cipher cipher,
	       struct fx_keyset *k);
/* Install key_id in slot for peer id; both ends' contexts go into *k. */
int fx_add_key(uint32_t id, unsigned slot, unsigned key_id, enum sl_cipher cipher,
	       struct fx_keyset *k);

/* An inner IPv4/ICMP packet of LEN (>= 28) bytes filled with TAG. */
size_t fx_inner_packet(uint8_t *buf, size_t len, uint32_t src, uint32_t dst, uint8_t tag);
/*
 * An inner IPv4 packet of LEN bytes (>= 40) with a TCP (FLAGS), UDP or ICMP
 * header: ICMP is an echo request with id SPORT (type DPORT >> 8 if DPORT
 * is not 0). The rest is filled with TAG.
 */
size_t fx_l4_packet(uint8_t *buf, size_t len, uint32_t src, uint32_t dst, uint8_t proto,
		    uint16_t sport, uint16_t dport, uint8_t flags, uint8_t tag);
/* Ethernet/IPv4/UDP from the client's SPORT to our port around the LEN
 * bytes already at +42 of M; M is trimmed to the frame. */
void fx_client_outer(struct rte_mbuf *m, size_t len, uint16_t sport);
/* A data packet as the client sends it, sealed with K. */
struct rte_mbuf *fx_client_packet(struct ovpn_data_key *k, uint32_t pid,
				  const uint8_t *pl, size_t len, uint16_t sport);
/* A LAN frame of LEN inner bytes to DST. */
struct rte_mbuf *fx_lan_frame(uint32_t dst, size_t len, uint8_t tag);
/* A LAN frame holding the inner packet IP of LEN bytes. */
struct rte_mbuf *fx_lan_frame_of(const uint8_t *ip, size_t len);

/*
 * A control packet as the control plane queues it on sl_cp_tx: LEN bytes of
 * TAG as the OpenVPN packet, meta naming the destination TO and next hop
 * MAC (NULL: let the data plane resolve it). Returns 0 or -1.
 */
int fx_cp_queue(const struct sl_endpoint *to, const struct rte_ether_addr *mac, size_t len,
		uint8_t tag);
/*
 * Worker 0's TX list for PORT, ARP requests left out, into out[] (room for
 * DP_TXQ_MAX); every other queued frame is freed and counted in
 * fx.arp_sent / fx.other_sent. Returns the count.
 */
uint16_t fx_take(int port, struct rte_mbuf **out);

/* Worker 0 drains sl_cp_tx; returns the frames for the public port. */
uint16_t fx_run_cp_tx(struct rte_mbuf **out);

/*
 * Input + forward path (or reverse path) on worker 0, whoever owns the
 * peer; returns the frames for the private (public) port.
 */
uint16_t fx_run_rx(struct rte_mbuf **pkts, uint16_t n, struct rte_mbuf **out);
uint16_t fx_run_tx(struct rte_mbuf **pkts, uint16_t n, struct rte_mbuf **out);

#endif
