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
 * Control packets travel as mbufs with struct sl_cp_meta in the mbuf's
 * private area. DP -> CP: the mbuf holds the whole frame as received and the
 * meta says where the OpenVPN packet starts and who sent it. CP -> DP: the
 * mbuf holds only the OpenVPN packet (payload_off 0) and the meta names the
 * destination (address, port, transport); the data plane builds the outer
 * headers with the same code it uses for data packets. Every ring is
 * bounded: a full ring means drop and count, never wait, on both sides.
 *
 * Addresses are struct sl_addr (family + 16 bytes) and endpoints struct
 * sl_endpoint (address, port, transport) everywhere in this API: peers'
 * remote and VPN addresses, iroutes, control-packet metadata and events.
 *
 * Verbs follow the Linux ovpn netlink family: peer new/set/del, key
 * new/swap/del, rules publish; events come back for command results, idle
 * peers, floats, packet-id exhaustion and exit notifications. Keys are
 * write-only: no event ever carries key material. Ranges: peer-id
 * 0..0xFFFFFE, key-id 0..7, slot 0..1, nonce tail exactly 8 bytes.
 */
#include <stdint.h>

#define SL_API_VERSION		3

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

/* ---- addresses ---- */

enum sl_af { SL_AF_NONE = 0, SL_AF_INET = 4, SL_AF_INET6 = 6 };

/*
 * An IPv4 or IPv6 address. IPv4 is kept in host order in v4 (what rte_lpm
 * and the config use) with the rest of the bytes zero; IPv6 in network order
 * in v6. Compare with sl_addr_eq() (lib/sl_addr.h), never with memcmp on a
 * struct that was not zeroed first.
 */
struct sl_addr {
	uint8_t family;		/* enum sl_af */
	uint8_t pad[3];
	union {
		uint32_t v4;	/* host order */
		uint8_t v6[16];	/* network order */
	};
};

/* How a peer's OpenVPN packets travel. */
enum sl_transport { SL_TRANSPORT_UDP = 0, SL_TRANSPORT_TCP = 1 };

/* The far end of a peer's OpenVPN connection. */
struct sl_endpoint {
	struct sl_addr addr;
	uint16_t port;		/* host order */
	uint8_t transport;	/* enum sl_transport */
	uint8_t pad;
	uint32_t conn;		/* TCP: the control plane's connection id; UDP: 0 */
};

_Static_assert(sizeof(struct sl_addr) == 20, "sl_addr size");
_Static_assert(sizeof(struct sl_endpoint) == 28, "sl_endpoint size");

/*
 * Per-packet metadata of a control packet, in the mbuf private area (the
 * data plane also uses it for its own packets while they cross stages).
 *   DP -> CP: peer = the sender; payload_off/len = the OpenVPN packet inside
 *             the received frame; port_id = the port it came in on; mac =
 *             the frame's source MAC (the next hop back to the sender).
 *   CP -> DP: peer = the destination; the mbuf data is the OpenVPN packet
 *             (payload_off 0, payload_len = its length); mac = the next hop
 *             to use (the mac of the packet being answered), all zero to let
 *             the data plane resolve it; port_id and peer_id are ignored.
 */
struct sl_cp_meta {
	struct sl_endpoint peer;
	uint16_t payload_off;	/* OpenVPN packet offset from mbuf data start */
	uint16_t payload_len;
	uint16_t port_id;	/* DPDK port it arrived on */
	uint8_t mac[6];		/* next hop toward / from the peer */
	uint32_t peer_id;	/* data plane internal; CP -> DP: 0, but for a TCP
				 * P_DATA_V1 its connection's peer (cp_tcp.c) */
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
	SL_CMD_EVT_ACK,		/* the control plane has a critical event (u.ack) */
	SL_CMD_MAX
};

#define SL_PEER_ROUTES_MAX	8	/* iroutes per peer */

enum sl_cipher { SL_CIPHER_NONE, SL_CIPHER_AES_128_GCM, SL_CIPHER_AES_256_GCM,
		 SL_CIPHER_CHACHA20_POLY1305, SL_CIPHER_AES_128_CBC, SL_CIPHER_AES_256_CBC };
#define SL_CIPHER_COUNT	6	/* values of enum sl_cipher */

/* HMAC digest of a CBC key (OpenVPN's --auth); NONE for AEAD ciphers. */
enum sl_digest { SL_DIGEST_NONE, SL_DIGEST_SHA1, SL_DIGEST_SHA256, SL_DIGEST_SHA512 };
#define SL_HMAC_LEN_MAX	64	/* SHA-512 */

/* Compression framing the peer uses inside the encryption. */
enum sl_framing { SL_FRAMING_NONE, SL_FRAMING_COMP_LZO, SL_FRAMING_STUB,
		  SL_FRAMING_STUB_V2 };

struct sl_cmd_peer {
	struct sl_endpoint remote;	/* where the peer's packets come from */
	struct sl_addr vpn;		/* its address inside the tunnel */
	uint16_t keepalive_interval;	/* s, 0 = no pings */
	uint16_t keepalive_timeout;	/* s, 0 = never idle */
	uint8_t framing;		/* enum sl_framing */
	uint8_t data_v1;		/* the peer speaks P_DATA_V1 (pre-2.4): it is
					 * found by its remote endpoint, which never
					 * floats */
	uint8_t remote_mac[6];		/* next hop toward remote.addr (the control
					 * packets' source MAC); PEER_NEW only */
	uint8_t cipher;			/* enum sl_cipher, for status only */
	uint8_t digest;			/* enum sl_digest, for status only */
	char name[48];			/* user / common name, NUL-terminated; kept
					 * in sl_peer_stats so a restarted control
					 * plane can list and end the session */
	/*
	 * Policy tag: what role: and user: rules see of this peer (see
	 * "access rules" below). roles: bit r (roles[r / 32], bit r % 32) set
	 * when the user holds role id r; user_tag: the tag of the user if a
	 * user: rule names them, 0 otherwise. PEER_SET changes them live:
	 * no rule set is rebuilt when a peer connects or its roles change.
	 */
	uint32_t roles[2];
	uint32_t user_tag;
};

/* Both come from the first bytes of the direction's 64-byte hmac slice
 * (OpenVPN src/openvpn/crypto.h struct key), so they share the bytes. */
struct sl_key_dir {
	uint8_t key[SL_KEY_LEN_MAX];		/* first K bytes used */
	union {
		uint8_t nonce_tail[SL_NONCE_TAIL_LEN];	/* AEAD implicit IV */
		uint8_t hmac[SL_HMAC_LEN_MAX];		/* CBC: first H bytes */
	};
};

struct sl_cmd_key {
	uint8_t slot;		/* 0 primary, 1 secondary */
	uint8_t key_id;		/* 0..7 */
	uint8_t cipher;		/* enum sl_cipher */
	uint8_t digest;		/* enum sl_digest: CBC's HMAC, NONE for AEAD */
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
		uint64_t rules;			/* RULES_PUBLISH: struct sl_rule_blob *
						 * (see "access rules" below) */
		struct {
			struct sl_addr prefix;	/* host bits zero */
			uint8_t len;		/* IPv4 1..32 (IPv6 1..128 later) */
		} route;			/* ROUTE_ADD, ROUTE_DEL */
		struct {
			uint32_t seq;		/* the event's seq, 1..UINT32_MAX */
			uint16_t type;		/* its enum sl_event_type */
		} ack;				/* EVT_ACK */
		uint8_t raw[200];
	} u;
};

/* rte_ring elements must be multiples of 4 bytes; the union is the limit. */
_Static_assert(sizeof(struct sl_cmd) % 4 == 0, "sl_cmd size");
_Static_assert(sizeof(struct sl_cmd_peer) <= 200 && sizeof(struct sl_cmd_key) <= 200,
	       "sl_cmd payload exceeds the union");

/*
 * ---- access rules ----
 *
 * The control plane validates rules (lib/sl_rule.h), resolves their names
 * to numbers (the pool for "vpn", role ids, user tags) and hands the data
 * plane one flat, numeric rule set:
 *
 *   struct sl_rule_blob  (rte_malloc'd by the control plane, a secondary
 *   +------------------+  process: the memory is the shared hugepage heap)
 *   | magic, version   |
 *   | count, generation|
 *   | default_action   |
 *   | entries[count]   |  struct sl_rule_entry, any order (priority decides)
 *   +------------------+
 *
 * Ownership: the control plane allocates the blob with rte_malloc() and
 * sends its address in SL_CMD_RULES_PUBLISH's u.rules. From the moment the
 * command is enqueued the blob belongs to the data plane, which builds its
 * classifier from it on the main lcore (never on a worker), keeps it while
 * that rule set is live (rule names for the deny log) and rte_free()s it
 * when the build fails or when a newer set replaced it and the rte_rcu_qsbr
 * grace period ended. If the enqueue fails the control plane frees it. The
 * control plane never reads or writes a blob it has sent.
 *
 * Hit counters live in the memzone SL_MZ_RULE_HITS, made by the data plane:
 * struct sl_rule_hits [n_workers][SL_RULES_MAX] (sl_status.n_workers rows,
 * worker index major), each row written only by its worker. An entry's
 * slot is its counters' column: the control plane gives each rule a slot
 * that stays the same across publishes while the rule exists, so counters
 * survive a publish; it reuses a freed slot only with a baseline (the sum
 * read when the slot was given), since counters are never reset.
 */
#define SL_MZ_RULE_HITS		"sl_rule_hits"
#define SL_RULES_MAX		16384		/* entries of one set, slots */
#define SL_RULE_BLOB_MAGIC	0x534c5242u	/* "SLRB" */
#define SL_RULE_BLOB_VERSION	1
#define SL_RULE_NAME_MAX	64		/* with the NUL */
#define SL_RULE_ROLES_MAX	64		/* role ids 0..63 */
#define SL_RULE_NO_ROLE		0xff		/* sl_rule_entry.role: none */

enum sl_rule_action { SL_RULE_DENY = 0, SL_RULE_ALLOW = 1 };

/* in: a packet from a VPN peer (VPN user -> LAN); out: toward one (LAN -> VPN user). */
enum sl_rule_dir { SL_RULE_IN = 0, SL_RULE_OUT = 1 };

/* IP protocols a rule matches; BOTH is TCP and UDP. */
enum sl_rule_proto { SL_RULE_ANY = 0, SL_RULE_TCP, SL_RULE_UDP, SL_RULE_BOTH, SL_RULE_ICMP };

/*
 * One rule, numeric. A packet matches when its direction is direction, its
 * source is in src/src_len and its destination in dst/dst_len (len 0 =
 * any), its protocol is in proto, its ports are in [lo, hi] (TCP and UDP;
 * a rule with ports other than 0-65535 matches only TCP/UDP), and the VPN
 * peer it comes from (in) or goes to (out) holds role id role (unless
 * SL_RULE_NO_ROLE) and has user tag user_tag (unless 0). Among matching
 * entries the lowest priority wins; the control plane never sends two
 * overlapping entries with the same priority.
 */
struct sl_rule_entry {
	struct sl_addr src;		/* host bits zero */
	struct sl_addr dst;
	uint8_t src_len;		/* 0..32 (IPv4) */
	uint8_t dst_len;
	uint8_t proto;			/* enum sl_rule_proto */
	uint8_t action;			/* enum sl_rule_action */
	uint8_t direction;		/* enum sl_rule_dir */
	uint8_t role;			/* role id 0..63, or SL_RULE_NO_ROLE */
	uint16_t sport_lo, sport_hi;	/* host order, inclusive */
	uint16_t dport_lo, dport_hi;
	uint16_t pad;
	uint32_t user_tag;		/* 0 = any peer */
	uint32_t priority;		/* lower wins */
	uint32_t slot;			/* hit-counter column, < SL_RULES_MAX */
	uint32_t pad2;
	char name[SL_RULE_NAME_MAX];	/* for logs; NUL-terminated */
};

struct sl_rule_blob {
	uint32_t magic;			/* SL_RULE_BLOB_MAGIC */
	uint32_t version;		/* SL_RULE_BLOB_VERSION */
	uint64_t generation;		/* grows with each publish */
	uint32_t count;			/* entries, 0..SL_RULES_MAX */
	uint8_t default_action;		/* enum sl_rule_action: no entry matched */
	uint8_t pad[3];
	struct sl_rule_entry entries[];
};

/* Per worker and rule slot; written by that worker only. */
struct sl_rule_hits {
	uint64_t pkts;
	uint64_t bytes;			/* inner IP bytes */
};

_Static_assert(sizeof(struct sl_rule_entry) % 8 == 0, "sl_rule_entry size");

/* ---- events, DP -> CP ---- */

/*
 * Every event but RESULT is critical: the data plane keeps it pending for
 * its peer and raises it again every second (the peer's owner worker, in
 * its keepalive scan) until the control plane answers SL_CMD_EVT_ACK with
 * the event's type and seq, or deletes the peer. A full event ring then
 * delays an event, it never loses one; the control plane must expect the
 * same event (same seq) more than once. A newer event of the same type
 * (a second float) replaces the pending one: its seq is the one to ack.
 * seq of critical events: 1..UINT32_MAX per peer, never 0.
 */
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
	uint32_t seq;		/* RESULT: the command's; else the event's (EVT_ACK) */
	uint32_t peer_id;
	int32_t result;
	struct sl_endpoint remote;	/* the peer's current endpoint (FLOAT: the new one) */
	uint8_t key_id;
	uint8_t pad[3];
};

_Static_assert(sizeof(struct sl_event) % 4 == 0, "sl_event size");

/*
 * ---- counters ----
 *
 * Every counter family is one X-macro list: X(field, kind, help). The list
 * makes the struct fields here, and lib/sl_counters.c turns the same list
 * into the name/kind/help tables that `sluicectl status`, DPDK telemetry
 * and any exporter walk. Names are the field names; kind is COUNTER (only
 * grows) or GAUGE.
 *
 * Drop reasons: X(ENUM, "name", "help"); the name is what operators see.
 */
#define SL_DROP_LIST(X) \
	X(NOT_IP, "not-ip", "neither IPv4 nor ARP") \
	X(BAD_HEADER, "bad-header", "truncated or malformed Ethernet/IP/UDP header") \
	X(NOT_FOR_US, "not-for-us", "addressed to another host or port") \
	X(UNKNOWN_PEER, "unknown-peer", "data packet for no installed peer") \
	X(BAD_OPCODE, "bad-opcode", "OpenVPN opcode never accepted") \
	X(CP_RING_FULL, "cp-ring-full", "control-plane ring full (control plane slow or down)") \
	X(TX_FULL, "tx-full", "transmit queue full") \
	X(NO_MBUF, "no-mbuf", "packet pool exhausted") \
	X(NO_KEY, "no-key", "no key installed for the packet's key-id") \
	X(AUTH, "auth", "authentication tag or HMAC wrong, or malformed data packet") \
	X(REPLAY, "replay", "packet-id replayed or too old") \
	X(COMPRESSED, "compressed", "compressed payload (Sluice never decompresses)") \
	X(BAD_INNER, "bad-inner", "inner packet not IPv4 or malformed") \
	X(SPOOFED, "spoofed", "inner source is not the peer's VPN address or iroute") \
	X(NO_ROUTE, "no-route", "no VPN peer for the destination") \
	X(NO_NEIGHBOR, "no-neighbor", "next hop not resolved yet (ARP request sent)") \
	X(PKTID_EXHAUSTED, "pktid-exhausted", "packet-id space used up, rekey pending") \
	X(HANDOFF_FULL, "handoff-full", "owner lcore's handoff ring full") \
	X(TOO_BIG, "too-big", "packet too big for the tunnel") \
	X(INNER_IPV6, "inner-ipv6", "IPv6 inside the tunnel (not supported yet)") \
	X(CP_RATE, "cp-rate", "control packet over its source's or the global rate (control.rx_rate)") \
	X(ACL_DENY, "acl-deny", "denied by the access rules (a rule or the default policy)") \
	X(ACL_FRAG, "acl-frag", "non-first IPv4 fragment whose first fragment was not let through")

enum sl_drop {
#define SL_X_(e, name, help) SL_DROP_##e,
	SL_DROP_LIST(SL_X_)
#undef SL_X_
	SL_DROP_MAX
};

/* Per worker lcore (struct sl_lcore_stats). */
#define SL_LCORE_COUNTERS(X) \
	X(rx_pkts, COUNTER, "packets received on both ports") \
	X(tx_pkts, COUNTER, "packets sent on both ports") \
	X(rx_bursts, COUNTER, "non-empty receive bursts") \
	X(busy_cycles, COUNTER, "TSC cycles from polls that found work to the end of that work") \
	X(idle_cycles, COUNTER, "TSC cycles of empty polls and between polls") \
	X(lost_cycles, COUNTER, "TSC cycles of busy intervals over 1 ms: the worker lost its CPU (busy + idle + lost = wall clock)") \
	X(cp_rx, COUNTER, "control packets handed to the control plane") \
	X(cp_tx, COUNTER, "control packets sent for the control plane") \
	X(arp_replies, COUNTER, "ARP requests answered") \
	X(icmp_replies, COUNTER, "ICMP echo requests answered")

/* Per peer (struct sl_peer_stats). */
#define SL_PEER_COUNTERS(X) \
	X(rx_pkts, COUNTER, "packets from the peer, after decryption") \
	X(rx_bytes, COUNTER, "inner bytes from the peer") \
	X(tx_pkts, COUNTER, "packets to the peer, before encryption") \
	X(tx_bytes, COUNTER, "inner bytes to the peer")

/* Per port (struct sl_port_status), read from the NIC. */
#define SL_PORT_COUNTERS(X) \
	X(rx_pkts, COUNTER, "packets received by the NIC") \
	X(tx_pkts, COUNTER, "packets sent by the NIC") \
	X(rx_bytes, COUNTER, "bytes received by the NIC") \
	X(tx_bytes, COUNTER, "bytes sent by the NIC") \
	X(rx_missed, COUNTER, "packets the NIC dropped for lack of RX descriptors") \
	X(rx_errors, COUNTER, "receive errors") \
	X(tx_errors, COUNTER, "transmit errors") \
	X(rx_nombuf, COUNTER, "receive buffer allocation failures")

#define SL_COUNTER_FIELD_(f, kind, help) uint64_t f;

const char *sl_drop_name(enum sl_drop d);
const char *sl_drop_desc(enum sl_drop d);

/*
 * Per-peer counters, written only by the peer's owner lcore (no atomics; a
 * reader may see a torn update of one counter against another, never a
 * torn counter on x86-64). The control plane reads them through
 * sl_status.peers for `sluicectl sessions`.
 */
struct sl_peer_stats {
	SL_PEER_COUNTERS(SL_COUNTER_FIELD_)
	uint64_t last_rx;		/* time(NULL) of the last authenticated packet */
	uint64_t since;			/* time(NULL) of PEER_NEW */
	struct sl_endpoint remote;	/* current (after float) */
	struct sl_addr vpn;
	uint8_t tx_key_id;
	uint8_t in_use;
	uint8_t cipher;			/* enum sl_cipher */
	uint8_t digest;			/* enum sl_digest */
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
	SL_PORT_COUNTERS(SL_COUNTER_FIELD_)
	uint64_t q_rx_pkts[SL_QUEUE_STATS];	/* per queue = per worker, where */
	uint64_t q_tx_pkts[SL_QUEUE_STATS];	/* the driver counts per queue */
};

/* One per lcore, written only by that lcore (one cache line pair, no atomics). */
struct sl_lcore_stats {
	SL_LCORE_COUNTERS(SL_COUNTER_FIELD_)
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
	/* Data-channel crypto, set at start (dataplane.crypto): the backend
	 * the keys of each cipher get, enum ovpn_backend of lib/ovpn_engine.h
	 * (0 openssl, 1 ipsec-mb), indexed by enum sl_cipher (NONE unused);
	 * and what the chosen backend runs on ("avx512", "avx2", "sse"; "evp"
	 * for openssl). */
	uint8_t crypto_backend[SL_CIPHER_COUNT];
	char crypto_arch[16];
	/* The one field the control plane writes: its pid while it uses the
	 * shared objects, 0 once it no longer touches them. A stopping data
	 * plane clears magic first, then waits (bounded) for this to be 0. */
	int32_t cp_pid;
	/* Access rules: the live set's generation (sl_rule_blob.generation,
	 * 0 = none published: every packet passes) and entry count, set by
	 * the main lcore when SL_CMD_RULES_PUBLISH makes a set live, before
	 * its SL_EVT_RESULT. */
	uint64_t rules_generation;
	uint32_t rules_count;
};

#endif
