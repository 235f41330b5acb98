/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DP_FLOW_H
#define SL_DP_FLOW_H

/*
 * The flow table of one worker lcore: which connections the access rules
 * let through, so their replies pass and the rules are classified once per
 * flow, not per packet (dp_rules.c).
 *
 * One table per worker, touched only by that worker: a peer's packets in
 * both directions run on its owner worker (peer_id % workers, the handoff in
 * dp_worker.c), so every flow of a peer lives in its owner's table and no
 * lock or atomic is needed.
 *
 * Key: the 5-tuple normalised by side, the VPN user's end first (address,
 * port) and the LAN's end second, so a packet from the user and its reply
 * from the LAN find the same entry. Ports are the TCP/UDP ports; ICMP echo
 * uses the echo identifier as the user's port (RFC 792: a reply carries
 * the request's identifier); other protocols use 0.
 *
 * Each flow keeps the rule-set generation, the rule that allowed it and
 * the peer's policy tag (roles, user tag) the rules saw. A flow whose
 * generation is not the live one, or whose peer's tag changed since (a role
 * taken away; another user given the same VPN address), is checked again
 * against the live rules at its next packet (dp_rules.c), so a deleted
 * allow rule cuts the flows it allowed at their next packet.
 *
 * Time is in seconds (the worker's now_s), passed in, so tests inject it.
 * Idle timeouts by state (struct dp_flow_timeouts): TCP being opened or
 * closed is short, established long; UDP one way short, answered longer.
 * TCP state follows SYN, FIN and RST (RFC 9293 section 3.3.2, seen from the
 * middle as a stateful firewall does): a flow may also start mid-stream (an
 * ACK with no flow, e.g. after the data plane restarted) if the rules allow
 * its first packet; it is then taken as established.
 *
 * Non-first IPv4 fragments carry no ports (RFC 791). A first fragment (MF
 * set, offset 0) whose flow is allowed leaves a fragment entry keyed by
 * (source, destination, protocol, IP id) that points at its flow; the
 * following fragments of that datagram take their flow's verdict from it.
 * A non-first fragment with no entry (its first fragment not seen first,
 * or the entry timed out) is dropped: `acl-frag`.
 *
 * The table is bounded: when it is full the least recently used entry (the
 * oldest idle one) is evicted. Expired entries are removed when looked up
 * and, a few at a time, from the idle end.
 */
#include <stdbool.h>
#include <stdint.h>

enum dp_flow_kind { DP_FLOW_KIND_FLOW = 0, DP_FLOW_KIND_FRAG = 1 };

/* 16 bytes, all fields set (pad zero) so it can be hashed as bytes. */
struct dp_flow_key {
	uint32_t user_ip;	/* the VPN user's end, host order */
	uint32_t lan_ip;	/* the other end */
	uint16_t user_port;	/* TCP/UDP port, ICMP echo id; FRAG: the IP id */
	uint16_t lan_port;	/* FRAG: source is the user's end (1) or not (0) */
	uint8_t proto;		/* IPPROTO_* */
	uint8_t kind;		/* enum dp_flow_kind */
	uint16_t pad;
} __attribute__((aligned(8)));	/* rte_hash's CRC reads the key 8 bytes at a time */

enum dp_flow_state {
	DP_FLOW_NEW,		/* UDP / ICMP / other: one way so far */
	DP_FLOW_REPLIED,	/* UDP / ICMP / other: both ways */
	DP_FLOW_SYN_SENT,	/* TCP: SYN from the opener */
	DP_FLOW_SYN_RECV,	/* TCP: SYN-ACK back */
	DP_FLOW_ESTABLISHED,	/* TCP: the handshake completed (or picked up) */
	DP_FLOW_FIN_WAIT,	/* TCP: FIN from one side */
	DP_FLOW_CLOSING,	/* TCP: FIN from both sides, or RST */
	DP_FLOW_FRAG,		/* a fragment entry */
	DP_FLOW_STATE_MAX
};

/* Idle timeouts, seconds. */
struct dp_flow_timeouts {
	uint32_t tcp_half_open;		/* SYN_SENT, SYN_RECV */
	uint32_t tcp_established;
	uint32_t tcp_fin_wait;
	uint32_t tcp_closing;		/* both FINs or RST */
	uint32_t udp_new;		/* UDP and other protocols, one way */
	uint32_t udp_replied;
	uint32_t icmp;			/* ICMP echo */
	uint32_t frag;			/* fragment entries */
};

/* The defaults the data plane runs with (dp_flow.c). */
extern const struct dp_flow_timeouts dp_flow_timeouts_default;

/* Which side opened a flow: the rule direction that allowed it. */
enum dp_flow_dir { DP_FLOW_IN = 0 /* VPN user -> LAN */, DP_FLOW_OUT = 1 /* LAN -> user */ };

/* A peer's policy tag (sl_cmd_peer.roles, user_tag) as a flow saw it. */
struct dp_flow_tag {
	uint32_t roles[2];
	uint32_t user_tag;
};

struct dp_flow {
	struct dp_flow_key key;
	union {
		struct dp_flow_key frag_of;	/* FRAG entries: the flow of the first fragment */
		struct dp_flow_tag tag;		/* flows: the peer's tag the rules saw */
	};
	uint32_t last;			/* seconds: the last packet */
	uint32_t gen;			/* rule-set generation that decided */
	uint32_t rule;			/* the deciding rule's index in that set */
	uint32_t lru_prev, lru_next;	/* slot indexes; DP_FLOW_NIL ends */
	uint8_t state;			/* enum dp_flow_state */
	uint8_t opener;			/* enum dp_flow_dir */
	uint8_t fin;			/* TCP: bit DP_FLOW_IN / DP_FLOW_OUT: FIN seen from */
	uint8_t in_use;
	uint32_t pad;
};

#define DP_FLOW_NIL	UINT32_MAX

/* What dp_flow_parse() finds in one inner IPv4 packet. */
enum dp_flow_pkt_kind {
	DP_FLOW_PKT_FIRST,	/* unfragmented, or a first fragment: key is its flow */
	DP_FLOW_PKT_FRAG,	/* non-first fragment: key is its fragment entry */
	DP_FLOW_PKT_RELATED,	/* ICMP error (RFC 792): rel is the flow of the packet
				 * it quotes, key the error itself (ports 0) */
	DP_FLOW_PKT_BAD,	/* too short for what its header says */
};

struct dp_flow_pkt {
	struct dp_flow_key key;
	struct dp_flow_key rel;	/* RELATED only */
	uint8_t kind;		/* enum dp_flow_pkt_kind */
	uint8_t from_user;	/* sent by the VPN user's end */
	uint8_t tcp_flags;	/* TCP only */
	uint8_t more_frags;	/* a first fragment: MF set */
	uint16_t ip_id;
};

struct dp_flow_table;

/* A table of SIZE entries (rte_hash NAME); NULL on failure. */
struct dp_flow_table *dp_flow_create(const char *name, uint32_t size,
				     const struct dp_flow_timeouts *t, int socket);
void dp_flow_free(struct dp_flow_table *t);
/* Entries in use. */
uint32_t dp_flow_count(const struct dp_flow_table *t);
/* Remove every entry. */
void dp_flow_clear(struct dp_flow_table *t);

/*
 * Parse the IPv4 packet at IP (LEN bytes, header checked already) sent by
 * the user's end (FROM_USER) or by the LAN's end. Returns p->kind.
 */
int dp_flow_parse(const uint8_t *ip, unsigned len, bool from_user, struct dp_flow_pkt *p);

/* The key of the fragment entry a first fragment leaves (p: DP_FLOW_PKT_FIRST). */
void dp_flow_frag_key(const uint8_t *ip, bool from_user, struct dp_flow_key *k);

/*
 * The live entries of keys[0..n) into out[] (NULL: none, or expired and
 * removed now). One rte_hash bulk lookup; n <= 64.
 */
void dp_flow_lookup_bulk(struct dp_flow_table *t, const struct dp_flow_key *keys,
			 unsigned n, struct dp_flow **out, uint32_t now);
struct dp_flow *dp_flow_lookup(struct dp_flow_table *t, const struct dp_flow_key *k,
			       uint32_t now);

/*
 * A new flow for key K opened from side OPENER, allowed by RULE of
 * generation GEN; an entry for K that exists is replaced. Evicts the
 * oldest idle entry when the table is full. NULL only if nothing could be
 * evicted.
 */
struct dp_flow *dp_flow_add(struct dp_flow_table *t, const struct dp_flow_key *k,
			    enum dp_flow_dir opener, uint32_t gen, uint32_t rule, uint32_t now);

/* A fragment entry K pointing at flow F. */
struct dp_flow *dp_flow_add_frag(struct dp_flow_table *t, const struct dp_flow_key *k,
				 const struct dp_flow *f, uint32_t now);

/*
 * Packet P passed on flow F at NOW: the TCP state moves, the idle clock
 * restarts, F becomes the most recently used. A SYN (without ACK) from the
 * side that did not open F is a new connection from the other end: returns
 * false, and the caller treats the packet as having no flow (and removes F).
 */
bool dp_flow_update(struct dp_flow_table *t, struct dp_flow *f, const struct dp_flow_pkt *p,
		    uint32_t now);

void dp_flow_del(struct dp_flow_table *t, struct dp_flow *f);

/* Remove up to MAX expired entries from the idle end; returns how many. */
unsigned dp_flow_expire(struct dp_flow_table *t, uint32_t now, unsigned max);

/* The idle timeout of F's state. */
uint32_t dp_flow_timeout(const struct dp_flow_table *t, const struct dp_flow *f);

const char *dp_flow_state_name(unsigned state);

#endif
