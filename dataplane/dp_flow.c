/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker's flow table (dp_flow.h): rte_hash (one thread, no locks, the
 * extendable bucket table so an insert fails only when every entry is
 * taken) gives each key a slot; the slots hold the flows and a doubly linked
 * list in use order, most recent at the head, so the tail is the oldest
 * idle entry, the one evicted when the table is full.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dp_flow.h"

const struct dp_flow_timeouts dp_flow_timeouts_default = {
	.tcp_half_open = 30,
	.tcp_established = 7200,
	.tcp_fin_wait = 120,
	.tcp_closing = 10,
	.udp_new = 30,
	.udp_replied = 180,
	.icmp = 30,
	.frag = 10,
};

struct dp_flow_table {
	struct rte_hash *h;
	struct dp_flow_timeouts to;
	uint32_t size;		/* slots */
	uint32_t n;		/* in use */
	uint32_t head, tail;	/* use order: head most recent */
	struct dp_flow *slot;
};

#define TCP_SYN	RTE_TCP_SYN_FLAG
#define TCP_ACK	RTE_TCP_ACK_FLAG
#define TCP_FIN	RTE_TCP_FIN_FLAG
#define TCP_RST	RTE_TCP_RST_FLAG

/* ---- use order ---- */

static uint32_t idx(const struct dp_flow_table *t, const struct dp_flow *f)
{
	return (uint32_t)(f - t->slot);
}

static void lru_unlink(struct dp_flow_table *t, struct dp_flow *f)
{
	if (f->lru_prev != DP_FLOW_NIL)
		t->slot[f->lru_prev].lru_next = f->lru_next;
	else
		t->head = f->lru_next;
	if (f->lru_next != DP_FLOW_NIL)
		t->slot[f->lru_next].lru_prev = f->lru_prev;
	else
		t->tail = f->lru_prev;
}

static void lru_push(struct dp_flow_table *t, struct dp_flow *f)
{
	uint32_t i = idx(t, f);

	f->lru_prev = DP_FLOW_NIL;
	f->lru_next = t->head;
	if (t->head != DP_FLOW_NIL)
		t->slot[t->head].lru_prev = i;
	t->head = i;
	if (t->tail == DP_FLOW_NIL)
		t->tail = i;
}

static void touch(struct dp_flow_table *t, struct dp_flow *f, uint32_t now)
{
	f->last = now;
	if (t->head == idx(t, f))
		return;
	lru_unlink(t, f);
	lru_push(t, f);
}

/* ---- table ---- */

struct dp_flow_table *dp_flow_create(const char *name, uint32_t size,
				     const struct dp_flow_timeouts *to, int socket)
{
	struct rte_hash_parameters hp = {
		.name = name, .entries = size, .key_len = sizeof(struct dp_flow_key),
		.hash_func = rte_hash_crc, .socket_id = socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct dp_flow_table *t = rte_zmalloc_socket(name, sizeof(*t), 0, socket);

	if (t == NULL)
		return NULL;
	t->to = *to;
	t->h = rte_hash_create(&hp);
	/* rte_hash positions run below entries (+1 to be safe with its slot 0). */
	t->size = size + 1;
	t->slot = rte_zmalloc_socket(name, t->size * sizeof(*t->slot), RTE_CACHE_LINE_SIZE,
				     socket);
	if (t->h == NULL || t->slot == NULL) {
		dp_flow_free(t);
		return NULL;
	}
	t->head = t->tail = DP_FLOW_NIL;
	return t;
}

void dp_flow_free(struct dp_flow_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->h);
	rte_free(t->slot);
	rte_free(t);
}

uint32_t dp_flow_count(const struct dp_flow_table *t)
{
	return t->n;
}

void dp_flow_clear(struct dp_flow_table *t)
{
	rte_hash_reset(t->h);
	memset(t->slot, 0, t->size * sizeof(*t->slot));
	t->head = t->tail = DP_FLOW_NIL;
	t->n = 0;
}

void dp_flow_del(struct dp_flow_table *t, struct dp_flow *f)
{
	if (!f->in_use)
		return;
	rte_hash_del_key(t->h, &f->key);
	lru_unlink(t, f);
	f->in_use = 0;
	t->n--;
}

uint32_t dp_flow_timeout(const struct dp_flow_table *t, const struct dp_flow *f)
{
	switch (f->state) {
	case DP_FLOW_SYN_SENT:
	case DP_FLOW_SYN_RECV:
		return t->to.tcp_half_open;
	case DP_FLOW_ESTABLISHED:
		return t->to.tcp_established;
	case DP_FLOW_FIN_WAIT:
		return t->to.tcp_fin_wait;
	case DP_FLOW_CLOSING:
		return t->to.tcp_closing;
	case DP_FLOW_FRAG:
		return t->to.frag;
	default:
		break;
	}
	if (f->key.proto == IPPROTO_ICMP)
		return t->to.icmp;
	return f->state == DP_FLOW_REPLIED ? t->to.udp_replied : t->to.udp_new;
}

static bool expired(const struct dp_flow_table *t, const struct dp_flow *f, uint32_t now)
{
	return now - f->last > dp_flow_timeout(t, f);
}

unsigned dp_flow_expire(struct dp_flow_table *t, uint32_t now, unsigned max)
{
	unsigned done = 0;

	while (done < max && t->tail != DP_FLOW_NIL && expired(t, &t->slot[t->tail], now)) {
		dp_flow_del(t, &t->slot[t->tail]);
		done++;
	}
	return done;
}

/* The entry at rte_hash position POS, or NULL if it has expired (removed). */
static struct dp_flow *live(struct dp_flow_table *t, int32_t pos, uint32_t now)
{
	struct dp_flow *f;

	if (pos < 0)
		return NULL;
	f = &t->slot[pos];
	if (expired(t, f, now)) {
		dp_flow_del(t, f);
		return NULL;
	}
	return f;
}

void dp_flow_lookup_bulk(struct dp_flow_table *t, const struct dp_flow_key *keys,
			 unsigned n, struct dp_flow **out, uint32_t now)
{
	const void *kp[RTE_HASH_LOOKUP_BULK_MAX];
	int32_t pos[RTE_HASH_LOOKUP_BULK_MAX];

	for (unsigned i = 0; i < n; i++)
		kp[i] = &keys[i];
	if (n == 0 || rte_hash_lookup_bulk(t->h, kp, n, pos) != 0) {
		for (unsigned i = 0; i < n; i++)
			out[i] = NULL;
		return;
	}
	for (unsigned i = 0; i < n; i++)
		out[i] = live(t, pos[i], now);
}

struct dp_flow *dp_flow_lookup(struct dp_flow_table *t, const struct dp_flow_key *k,
			       uint32_t now)
{
	return live(t, rte_hash_lookup(t->h, k), now);
}

/* A slot for K, evicting the oldest idle entries while the table is full. */
static struct dp_flow *insert(struct dp_flow_table *t, const struct dp_flow_key *k,
			      uint32_t now)
{
	int32_t pos = rte_hash_lookup(t->h, k);
	struct dp_flow *f;

	if (pos >= 0) {
		f = &t->slot[pos];
		touch(t, f, now);
		return f;
	}
	while ((pos = rte_hash_add_key(t->h, k)) == -ENOSPC && t->tail != DP_FLOW_NIL)
		dp_flow_del(t, &t->slot[t->tail]);
	if (pos < 0 || (uint32_t)pos >= t->size)
		return NULL;
	f = &t->slot[pos];
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->in_use = 1;
	f->last = now;
	t->n++;
	lru_push(t, f);
	return f;
}

struct dp_flow *dp_flow_add(struct dp_flow_table *t, const struct dp_flow_key *k,
			    enum dp_flow_dir opener, uint32_t gen, uint32_t rule, uint32_t now)
{
	struct dp_flow *f = insert(t, k, now);

	if (f == NULL)
		return NULL;
	f->opener = (uint8_t)opener;
	f->gen = gen;
	f->rule = rule;
	f->fin = 0;
	f->state = k->proto == IPPROTO_TCP ? DP_FLOW_SYN_SENT : DP_FLOW_NEW;
	return f;
}

struct dp_flow *dp_flow_add_frag(struct dp_flow_table *t, const struct dp_flow_key *k,
				 const struct dp_flow *of, uint32_t now)
{
	struct dp_flow_key flow_key = of->key;	/* of may be evicted by the insert */
	struct dp_flow *f = insert(t, k, now);

	if (f == NULL)
		return NULL;
	f->frag_of = flow_key;
	f->state = DP_FLOW_FRAG;
	return f;
}

/* ---- TCP state ---- */

static void tcp_update(struct dp_flow *f, const struct dp_flow_pkt *p, enum dp_flow_dir side)
{
	uint8_t fl = p->tcp_flags;

	if (fl & TCP_RST) {
		f->state = DP_FLOW_CLOSING;
		return;
	}
	if (fl & TCP_FIN) {
		f->fin |= (uint8_t)(1u << side);
		f->state = f->fin == 3 ? DP_FLOW_CLOSING : DP_FLOW_FIN_WAIT;
		return;
	}
	switch (f->state) {
	case DP_FLOW_SYN_SENT:
		if (side != f->opener && (fl & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
			f->state = DP_FLOW_SYN_RECV;
		else if (!(fl & TCP_SYN))	/* picked up mid-stream */
			f->state = DP_FLOW_ESTABLISHED;
		break;
	case DP_FLOW_SYN_RECV:
		if (side == f->opener && (fl & TCP_ACK) && !(fl & TCP_SYN))
			f->state = DP_FLOW_ESTABLISHED;
		break;
	case DP_FLOW_CLOSING:
	case DP_FLOW_FIN_WAIT:
		/* The opener reuses the ports for a new connection. */
		if (side == f->opener && (fl & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
			f->state = DP_FLOW_SYN_SENT;
			f->fin = 0;
		}
		break;
	default:
		break;
	}
}

bool dp_flow_update(struct dp_flow_table *t, struct dp_flow *f, const struct dp_flow_pkt *p,
		    uint32_t now)
{
	enum dp_flow_dir side = p->from_user ? DP_FLOW_IN : DP_FLOW_OUT;

	if (f->key.proto == IPPROTO_TCP) {
		/* A connection opened from the other end on the same ports. */
		if (side != f->opener && (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
			return false;
		tcp_update(f, p, side);
	} else if (side != f->opener && f->state == DP_FLOW_NEW) {
		f->state = DP_FLOW_REPLIED;
	}
	touch(t, f, now);
	return true;
}

/* ---- parsing ---- */

static void key_set(struct dp_flow_key *k, uint32_t src, uint32_t dst, uint16_t sport,
		    uint16_t dport, uint8_t proto, bool from_user)
{
	memset(k, 0, sizeof(*k));
	k->proto = proto;
	k->user_ip = from_user ? src : dst;
	k->lan_ip = from_user ? dst : src;
	k->user_port = from_user ? sport : dport;
	k->lan_port = from_user ? dport : sport;
}

/* RFC 792's error messages, which quote the packet they answer. */
static bool icmp_is_error(uint8_t type)
{
	return type == 3 /* destination unreachable */ || type == 4 /* source quench */ ||
	       type == 11 /* time exceeded */ || type == 12 /* parameter problem */;
}

/*
 * The ports of an L4 header of L bytes at L4 (proto PROTO) for key K; ICMP:
 * echo id. *flags gets TCP's flags. -1 if too short.
 */
static int l4_ports(const uint8_t *l4, unsigned l, uint8_t proto, uint16_t *sport,
		    uint16_t *dport, uint8_t *flags)
{
	*sport = *dport = 0;
	*flags = 0;
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		const struct rte_udp_hdr *u = (const struct rte_udp_hdr *)l4;

		if (l < 4)
			return -1;
		*sport = rte_be_to_cpu_16(u->src_port);
		*dport = rte_be_to_cpu_16(u->dst_port);
		if (proto == IPPROTO_TCP) {
			if (l < sizeof(struct rte_tcp_hdr))
				return -1;
			*flags = ((const struct rte_tcp_hdr *)l4)->tcp_flags;
		}
	} else if (proto == IPPROTO_ICMP) {
		const struct rte_icmp_hdr *ic = (const struct rte_icmp_hdr *)l4;

		if (l < 4)
			return -1;
		if (ic->icmp_type == RTE_IP_ICMP_ECHO_REQUEST ||
		    ic->icmp_type == RTE_IP_ICMP_ECHO_REPLY) {
			if (l < sizeof(*ic))
				return -1;
			/* The identifier goes in the user's port whoever sends. */
			*sport = *dport = rte_be_to_cpu_16(ic->icmp_ident);
		}
	}
	return 0;
}

/* The flow of the packet an ICMP error quotes (RFC 792: its IP header + 8 bytes). */
static int related(const uint8_t *q, unsigned l, bool from_user, struct dp_flow_key *k)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)q;
	uint16_t sport, dport;
	uint8_t flags;
	unsigned hl;

	if (l < sizeof(*ip) || (ip->version_ihl >> 4) != 4)
		return -1;
	hl = rte_ipv4_hdr_len(ip);
	if (hl < sizeof(*ip) || l < hl + 8)
		return -1;
	/* Only the 8 bytes RFC 792 promises: the TCP flags are beyond them. */
	if (l4_ports(q + hl, 8, ip->next_proto_id == IPPROTO_TCP ? IPPROTO_UDP :
		     ip->next_proto_id, &sport, &dport, &flags) != 0)
		return -1;
	/* The quoted packet went the other way: its sender is the error's receiver. */
	key_set(k, rte_be_to_cpu_32(ip->src_addr), rte_be_to_cpu_32(ip->dst_addr),
		sport, dport, ip->next_proto_id, !from_user);
	if (ip->next_proto_id == IPPROTO_ICMP)
		k->lan_port = 0;
	return 0;
}

void dp_flow_frag_key(const uint8_t *pkt, bool from_user, struct dp_flow_key *k)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)pkt;

	key_set(k, rte_be_to_cpu_32(ip->src_addr), rte_be_to_cpu_32(ip->dst_addr), 0, 0,
		ip->next_proto_id, from_user);
	k->kind = DP_FLOW_KIND_FRAG;
	k->user_port = rte_be_to_cpu_16(ip->packet_id);
	k->lan_port = from_user;
}

int dp_flow_parse(const uint8_t *pkt, unsigned len, bool from_user, struct dp_flow_pkt *p)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)pkt;
	uint16_t frag = rte_be_to_cpu_16(ip->fragment_offset), sport, dport;
	unsigned hl = rte_ipv4_hdr_len(ip), tot = rte_be_to_cpu_16(ip->total_length);
	uint32_t src = rte_be_to_cpu_32(ip->src_addr), dst = rte_be_to_cpu_32(ip->dst_addr);
	const uint8_t *l4 = pkt + hl;

	p->from_user = from_user;
	p->tcp_flags = 0;
	p->ip_id = rte_be_to_cpu_16(ip->packet_id);
	p->more_frags = (frag & RTE_IPV4_HDR_MF_FLAG) != 0;
	if (tot > len)
		tot = len;
	if ((frag & RTE_IPV4_HDR_OFFSET_MASK) != 0) {
		dp_flow_frag_key(pkt, from_user, &p->key);
		return p->kind = DP_FLOW_PKT_FRAG;
	}
	if (tot < hl || l4_ports(l4, tot - hl, ip->next_proto_id, &sport, &dport,
				 &p->tcp_flags) != 0) {
		memset(&p->key, 0, sizeof(p->key));
		return p->kind = DP_FLOW_PKT_BAD;
	}
	key_set(&p->key, src, dst, sport, dport, ip->next_proto_id, from_user);
	if (ip->next_proto_id == IPPROTO_ICMP) {
		p->key.lan_port = 0;
		if (icmp_is_error(l4[0]) && tot - hl >= 8 &&
		    related(l4 + 8, tot - hl - 8, from_user, &p->rel) == 0)
			return p->kind = DP_FLOW_PKT_RELATED;
	}
	return p->kind = DP_FLOW_PKT_FIRST;
}

const char *dp_flow_state_name(unsigned state)
{
	static const char *const names[DP_FLOW_STATE_MAX] = {
		"new", "replied", "syn-sent", "syn-recv", "established", "fin-wait",
		"closing", "frag",
	};

	return state < DP_FLOW_STATE_MAX ? names[state] : "?";
}
