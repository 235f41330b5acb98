/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_API_H
#define SL_API_H

/*
 * The control-plane <-> data-plane API. This header is all that
 * sluice-controlplane knows of the data plane (it never includes dataplane/
 * headers). Both processes share one DPDK hugepage memory (the data plane is
 * the primary process, the control plane a secondary); these named objects
 * live there:
 *
 *   name           kind                 direction  element
 *   sl_cp_rx       rte_ring (MP/SC)     DP -> CP   struct rte_mbuf *: control packets
 *   sl_cp_tx       rte_ring (SP/MC)     CP -> DP   struct rte_mbuf *: control packets to send
 *   sl_cmd         rte_ring elem (SP/SC) CP -> DP  struct sl_cmd
 *   sl_evt         rte_ring elem (MP/SC) DP -> CP  struct sl_event
 *   sl_pkt_pool    rte_mempool                     packet buffers (both allocate)
 *   sl_status      memzone              DP writes  struct sl_status (CP reads)
 *
 * Control packets travel as mbufs whose data starts at the Ethernet header
 * and carry the UDP payload offset in struct sl_cp_meta (the mbuf's private
 * area). Every ring is bounded: a full ring means drop and count, never
 * wait, on both sides.
 *
 * Verbs follow the Linux ovpn netlink family: peer new/set/del, key
 * new/swap/del, rules publish; events come back for command results, idle
 * peers, floats, packet-id exhaustion and exit notifications. Keys are
 * write-only: no event ever carries key material. Ranges: peer-id
 * 0..0xFFFFFE, key-id 0..7, slot 0..1, nonce tail exactly 8 bytes.
 */
#include <stdint.h>

#define SL_API_VERSION		1

#define SL_RING_CP_RX		"sl_cp_rx"
#define SL_RING_CP_TX		"sl_cp_tx"
#define SL_RING_CMD		"sl_cmd"
#define SL_RING_EVT		"sl_evt"
#define SL_POOL_PKT		"sl_pkt_pool"
#define SL_MZ_STATUS		"sl_status"

#define SL_MAX_LCORES		64
#define SL_MAX_PORTS		2
#define SL_PEER_ID_MAX		0xFFFFFEu
#define SL_KEY_ID_MAX		7
#define SL_KEY_LEN_MAX		32
#define SL_NONCE_TAIL_LEN	8

/* Per-packet metadata of a control packet, in the mbuf private area. */
struct sl_cp_meta {
	uint32_t src_ip;	/* client address, host order */
	uint16_t src_port;	/* client UDP port, host order */
	uint16_t payload_off;	/* OpenVPN packet offset from mbuf data start */
	uint16_t payload_len;
	uint16_t port_id;	/* DPDK port it arrived on */
	uint32_t peer_id;	/* for CP -> DP: reserved, 0 */
};

/* ---- commands, CP -> DP ---- */

enum sl_cmd_type {
	SL_CMD_NOP = 1,		/* echo: the data plane answers with SL_EVT_RESULT */
	SL_CMD_PEER_NEW,
	SL_CMD_PEER_SET,
	SL_CMD_PEER_DEL,
	SL_CMD_KEY_NEW,
	SL_CMD_KEY_SWAP,
	SL_CMD_KEY_DEL,
	SL_CMD_RULES_PUBLISH,
	SL_CMD_ROUTE_ADD,	/* iroute: a subnet behind the peer (u.route) */
	SL_CMD_ROUTE_DEL,
	SL_CMD_MAX
};

#define SL_PEER_ROUTES_MAX	8	/* iroutes per peer */

enum sl_cipher { SL_CIPHER_NONE, SL_CIPHER_AES_128_GCM, SL_CIPHER_AES_256_GCM,
		 SL_CIPHER_CHACHA20_POLY1305 };

/* Compression framing the peer uses inside the encryption. */
enum sl_framing { SL_FRAMING_NONE, SL_FRAMING_COMP_LZO, SL_FRAMING_STUB,
		  SL_FRAMING_STUB_V2 };

struct sl_cmd_peer {
	uint32_t remote_ip;		/* host order */
	uint16_t remote_port;
	uint16_t keepalive_interval;	/* s, 0 = no pings */
	uint32_t vpn_ip;		/* host order */
	uint16_t keepalive_timeout;	/* s, 0 = never idle */
	uint8_t framing;		/* enum sl_framing */
	uint8_t data_v1;		/* the peer speaks P_DATA_V1 (pre-2.4): it is
					 * found by remote ip:port, which never floats */
	uint8_t remote_mac[6];		/* next hop toward remote_ip (the control
					 * packets' source MAC); PEER_NEW only */
	uint8_t cipher;			/* enum sl_cipher, for status only */
	uint8_t pad;
	char name[48];			/* user / common name, NUL-terminated; kept
					 * in sl_peer_stats so a restarted control
					 * plane can list and end the session */
};

struct sl_key_dir {
	uint8_t key[SL_KEY_LEN_MAX];		/* first K bytes used */
	uint8_t nonce_tail[SL_NONCE_TAIL_LEN];	/* AEAD implicit IV */
};

struct sl_cmd_key {
	uint8_t slot;		/* 0 primary, 1 secondary */
	uint8_t key_id;		/* 0..7 */
	uint8_t cipher;		/* enum sl_cipher */
	uint8_t pad;
	struct sl_key_dir encrypt;
	struct sl_key_dir decrypt;
};

enum sl_del_reason { SL_DEL_TEARDOWN, SL_DEL_USERSPACE, SL_DEL_EXPIRED, SL_DEL_EXIT };

struct sl_cmd {
	uint16_t type;		/* enum sl_cmd_type */
	uint16_t version;	/* SL_API_VERSION */
	uint32_t seq;		/* echoed in SL_EVT_RESULT */
	uint32_t peer_id;	/* 0..SL_PEER_ID_MAX */
	uint32_t pad;
	union {
		struct sl_cmd_peer peer;	/* PEER_NEW, PEER_SET */
		struct sl_cmd_key key;		/* KEY_NEW, KEY_DEL (slot) */
		uint8_t del_reason;		/* PEER_DEL */
		uint64_t rules;			/* RULES_PUBLISH: rule set handle */
		struct {
			uint32_t prefix;	/* host order, host bits zero */
			uint8_t len;		/* 1..32 */
		} route;			/* ROUTE_ADD, ROUTE_DEL */
		uint8_t raw[112];
	} u;
};

/* rte_ring elements must be multiples of 4 bytes; the union is the limit. */
_Static_assert(sizeof(struct sl_cmd) % 4 == 0, "sl_cmd size");
_Static_assert(sizeof(struct sl_cmd_peer) <= 112 && sizeof(struct sl_cmd_key) <= 112,
	       "sl_cmd payload exceeds the union");

/* ---- events, DP -> CP ---- */

enum sl_event_type {
	SL_EVT_RESULT = 1,	/* seq, result (0 or -errno) of a command */
	SL_EVT_PEER_IDLE,	/* nothing heard past keepalive_timeout */
	SL_EVT_PEER_FLOAT,	/* authenticated packet from a new address */
	SL_EVT_KEY_EXHAUSTED,	/* TX packet-id near its end: rekey */
	SL_EVT_PEER_EXIT,	/* OCC EXIT seen in the data channel */
	SL_EVT_MAX
};

struct sl_event {
	uint16_t type;		/* enum sl_event_type */
	uint16_t cmd_type;	/* for RESULT */
	uint32_t seq;
	uint32_t peer_id;
	int32_t result;
	uint32_t ip;		/* FLOAT: new address, host order */
	uint16_t port;
	uint8_t key_id;
	uint8_t pad;
};

_Static_assert(sizeof(struct sl_event) % 4 == 0, "sl_event size");

/* ---- drop reasons (one table, descriptions in sl_stats.c) ---- */

enum sl_drop {
	SL_DROP_NOT_IP,		/* not IPv4/ARP on a port that only speaks those */
	SL_DROP_BAD_HEADER,	/* truncated or malformed L2/L3/L4 header */
	SL_DROP_NOT_FOR_US,	/* addressed to someone else */
	SL_DROP_UNKNOWN_PEER,	/* data packet for no installed peer */
	SL_DROP_BAD_OPCODE,	/* OpenVPN opcode we never accept */
	SL_DROP_CP_RING_FULL,	/* control plane slow or absent */
	SL_DROP_TX_FULL,	/* NIC TX queue full */
	SL_DROP_NO_MBUF,	/* pool exhausted when building a packet */
	SL_DROP_NO_KEY,		/* no key installed for the packet's key-id */
	SL_DROP_AUTH,		/* tag/HMAC check failed or malformed data packet */
	SL_DROP_REPLAY,		/* packet-id replayed or too old */
	SL_DROP_COMPRESSED,	/* really compressed payload (we never decompress) */
	SL_DROP_BAD_INNER,	/* inner packet not IPv4 or malformed */
	SL_DROP_SPOOFED,	/* inner source is not the peer's address or iroute */
	SL_DROP_NO_ROUTE,	/* no peer for the inner destination */
	SL_DROP_NO_NEIGHBOR,	/* next hop MAC not resolved yet (ARP sent) */
	SL_DROP_PKTID_EXHAUSTED,/* TX packet-id space used up: rekey pending */
	SL_DROP_HANDOFF_FULL,	/* owner lcore's handoff ring full */
	SL_DROP_TOO_BIG,	/* does not fit the tunnel after encapsulation */
	SL_DROP_INNER_IPV6,	/* IPv6 inside the tunnel (not supported yet) */
	SL_DROP_MAX
};

const char *sl_drop_name(enum sl_drop d);
const char *sl_drop_desc(enum sl_drop d);

/*
 * Per-peer counters, written only by the peer's owner lcore (no atomics; a
 * reader may see a torn update of one counter against another, never a
 * torn counter on x86-64). The control plane reads them through
 * sl_status.peers for `sluicectl sessions`.
 */
struct sl_peer_stats {
	uint64_t rx_pkts, rx_bytes;	/* from the peer, after decryption */
	uint64_t tx_pkts, tx_bytes;	/* to the peer, before encryption */
	uint64_t last_rx;		/* time(NULL) of the last authenticated packet */
	uint64_t since;			/* time(NULL) of PEER_NEW */
	uint32_t remote_ip;		/* current (after float), host order */
	uint16_t remote_port;
	uint8_t tx_key_id;
	uint8_t in_use;
	uint32_t vpn_ip;		/* host order */
	uint8_t cipher;			/* enum sl_cipher */
	char name[48];			/* from PEER_NEW */
};

/* ---- shared status, written by the data plane ---- */

#define SL_STATUS_MAGIC 0x534c5543u	/* "SLUC" */
#define SL_QUEUE_STATS	16		/* RTE_ETHDEV_QUEUE_STAT_CNTRS */

struct sl_port_status {
	char role[8];			/* "public" / "private" */
	char device[64];		/* PCI address or vdev name */
	uint8_t mac[6];
	uint8_t link_up;
	uint8_t pad;
	uint32_t speed_mbps;
	uint32_t addr;			/* host order */
	uint8_t prefix_len;
	uint16_t n_queues;
	uint64_t rx_pkts, tx_pkts, rx_bytes, tx_bytes;
	uint64_t rx_missed, rx_errors, tx_errors, rx_nombuf;
	uint64_t q_rx_pkts[SL_QUEUE_STATS];	/* per queue = per worker, where */
	uint64_t q_tx_pkts[SL_QUEUE_STATS];	/* the driver counts per queue */
};

/* One per lcore, written only by that lcore (one cache line pair, no atomics). */
struct sl_lcore_stats {
	uint64_t rx_pkts;
	uint64_t tx_pkts;
	uint64_t rx_bursts;
	uint64_t busy_cycles;		/* iterations that found work */
	uint64_t idle_cycles;
	uint64_t cp_rx;			/* control packets handed to the CP */
	uint64_t cp_tx;			/* control packets sent for the CP */
	uint64_t arp_replies;
	uint64_t icmp_replies;
	uint64_t drop[SL_DROP_MAX];
} __attribute__((aligned(64)));

struct sl_status {
	uint32_t magic;
	uint32_t version;
	int32_t dp_pid;
	uint32_t n_ports;
	uint64_t tsc_hz;
	uint64_t started;		/* time(NULL) */
	uint64_t heartbeat;		/* bumped by the main lcore every poll */
	uint32_t main_lcore;
	uint32_t n_workers;
	uint32_t worker_lcore[SL_MAX_LCORES];
	uint32_t cmds_done;
	uint32_t cmds_bad;
	uint32_t max_peers;		/* size of peers[] */
	uint32_t n_peers;
	struct sl_peer_stats *peers;	/* indexed by peer-id, in shared memory */
	struct sl_port_status port[SL_MAX_PORTS];
	struct sl_lcore_stats lcore[SL_MAX_LCORES];	/* by worker index */
};

#endif
