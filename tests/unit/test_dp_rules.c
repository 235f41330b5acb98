/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The access-rules stage in a whole in-process data plane
 * (tests/common/dp_fixture.c): rule sets published with
 * SL_CMD_RULES_PUBLISH as the control plane sends them, packets from the
 * client through decrypt -> rules -> route and from the LAN through
 * check -> rules -> encrypt.
 *
 *   allow / deny per rule and by the default policy, exact acl-deny drops
 *   replies of an allowed flow pass; the LAN opens nothing without an out rule
 *   role and user tags (PEER_SET) select rules
 *   a rule deleted by a new publish cuts its established flow at once
 *   a publish while another thread runs bursts loses no packet (RCU)
 *   hit counters, fragments, the deny log
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_tcp.h>

#include "dp_fixture.h"
#include "dp_flow.h"
#include "sl_rule.h"
#include "sl_test.h"

#define VPN2	0x0A0A0007u	/* 10.10.0.7, peer 2 */
#define SYN	RTE_TCP_SYN_FLAG
#define ACK	RTE_TCP_ACK_FLAG
#define LEN	60		/* inner bytes of every test packet */

static uint32_t pid[3] = { 1, 1, 1 };
static uint64_t gen;

/* ---- rule sets ---- */

static struct sl_rule_entry rule(const char *name, unsigned dir, unsigned proto, uint16_t dport,
				 unsigned action, uint32_t prio, uint32_t slot)
{
	struct sl_rule_entry e;

	memset(&e, 0, sizeof(e));
	snprintf(e.name, sizeof(e.name), "%s", name);
	e.direction = (uint8_t)dir;
	e.proto = (uint8_t)proto;
	e.action = (uint8_t)action;
	e.priority = prio;
	e.slot = slot;
	e.role = SL_RULE_NO_ROLE;
	e.sport_hi = 65535;
	e.dport_lo = dport;
	e.dport_hi = dport ? dport : 65535;
	return e;
}

/* Publish ENTRIES (N) with the default action; the command's result. */
static int publish(const struct sl_rule_entry *entries, unsigned n, unsigned def)
{
	struct sl_rule_blob *b = rte_zmalloc("test_blob", sl_rule_blob_size(n), 0);

	if (b == NULL)
		return -1;
	b->magic = SL_RULE_BLOB_MAGIC;
	b->version = SL_RULE_BLOB_VERSION;
	b->generation = ++gen;
	b->count = n;
	b->default_action = (uint8_t)def;
	memcpy(b->entries, entries, n * sizeof(*entries));
	return fx_publish(b);
}

/* The old set's grace period: the test thread is QSBR thread 0. */
static void reclaim(void)
{
	rte_rcu_qsbr_quiescent(fx.dp.qsbr, 0);
	dp_rules_poll(&fx.dp);
}

/* ---- packets ---- */

/* From peer ID's user (VPN address VPN) to the LAN; frames out on the private port. */
static unsigned user_send(unsigned id, uint32_t vpn, uint8_t proto, uint16_t sport,
			  uint16_t dport, uint8_t flags)
{
	struct rte_mbuf *out[DP_TXQ_MAX], *m;
	uint8_t in[LEN];
	uint16_t n;

	fx_l4_packet(in, LEN, vpn, FX_LAN_IP, proto, sport, dport, flags, 0x5a);
	m = fx_client_packet(&fx.ks[id - 1].client_tx, pid[id]++, in, LEN, FX_CLIENT_PORT);
	if (m == NULL)
		return 0;
	n = fx_run_rx(&m, 1, out);
	rte_pktmbuf_free_bulk(out, n);
	return n;
}

/* From the LAN to VPN address VPN; frames out on the public port. */
static unsigned lan_send(uint32_t vpn, uint8_t proto, uint16_t sport, uint16_t dport,
			 uint8_t flags)
{
	struct rte_mbuf *out[DP_TXQ_MAX], *m;
	uint8_t in[LEN];
	uint16_t n;

	fx_l4_packet(in, LEN, FX_LAN_IP, vpn, proto, sport, dport, flags, 0x5a);
	m = fx_lan_frame_of(in, LEN);
	if (m == NULL)
		return 0;
	n = fx_run_tx(&m, 1, out);
	rte_pktmbuf_free_bulk(out, n);
	return n;
}

static uint64_t drops(enum sl_drop r)
{
	return fx.stats[0].drop[r] + fx.stats[1].drop[r];
}

static uint64_t hits(uint32_t slot)
{
	struct sl_rule_hits h;

	dp_rules_hits(&fx.dp, slot, &h);
	return h.pkts;
}

/* PEER_SET: peer ID's policy tag becomes ROLES0 / TAG. */
static int set_tag(uint32_t id, uint32_t roles0, uint32_t tag)
{
	struct sl_cmd c = { .type = SL_CMD_PEER_SET, .peer_id = id };

	c.u.peer.keepalive_interval = 10;
	c.u.peer.keepalive_timeout = 60;
	c.u.peer.roles[0] = roles0;
	c.u.peer.user_tag = tag;
	return fx_cmd(&c);
}

/* Peer ID at VPN with key ks[ID - 1], policy tag ROLES0 / TAG. */
static int peer(uint32_t id, uint32_t vpn, uint32_t roles0, uint32_t tag)
{
	if (fx_add_peer(id, vpn) != 0 ||
	    fx_add_key(id, 0, 0, SL_CIPHER_AES_256_GCM, &fx.ks[id - 1]) != 0)
		return -1;
	pid[id] = 1;
	return set_tag(id, roles0, tag);
}

static int setup(void)
{
	if (fx_reset() != 0)
		return -1;
	dp_rules_poll(&fx.dp);
	dp_rules_clear(&fx.dp);
	return peer(1, FX_VPN_IP, 0, 0);
}

/* ---- cases ---- */

static int test_unpublished(void)
{
	CHECK(setup() == 0);
	CHECK_EQ(fx.dp.status->rules_generation, 0);
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_TCP, 40000, 5432, SYN), 1);
	CHECK_EQ(lan_send(FX_VPN_IP, IPPROTO_TCP, 40000, 22, SYN), 1);
	CHECK_EQ(dp_rules_flows(&fx.dp, 0), 0);
	return 0;
}

static int test_allow_deny(void)
{
	struct sl_rule_entry r[] = {
		rule("ssh", SL_RULE_IN, SL_RULE_TCP, 22, SL_RULE_ALLOW, 100, 0),
		rule("no redis", SL_RULE_IN, SL_RULE_TCP, 6379, SL_RULE_DENY, 10, 1),
		rule("any tcp", SL_RULE_IN, SL_RULE_TCP, 0, SL_RULE_ALLOW, 200, 2),
		rule("dns", SL_RULE_IN, SL_RULE_UDP, 53, SL_RULE_ALLOW, 100, 3),
	};
	uint64_t d0;

	CHECK(setup() == 0);
	CHECK_EQ(publish(r, 1, SL_RULE_DENY), 0);	/* ssh only */
	CHECK_EQ(fx.dp.status->rules_generation, gen);
	d0 = drops(SL_DROP_ACL_DENY);
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_TCP, 40000, 22, SYN), 1);
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_TCP, 40001, 5432, SYN), 0);	/* default */
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_UDP, 40002, 53, 0), 0);
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_ICMP, 7, 0, 0), 0);
	CHECK_EQ(drops(SL_DROP_ACL_DENY) - d0, 3);
	CHECK_EQ(hits(0), 1);
	/* Priorities: the deny at 10 beats the allow-all at 200. */
	CHECK_EQ(publish(r, 4, SL_RULE_DENY), 0);
	reclaim();
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_TCP, 40003, 6379, SYN), 0);
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_TCP, 40004, 5432, SYN), 1);
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_UDP, 40005, 53, 0), 1);
	CHECK_EQ(drops(SL_DROP_ACL_DENY) - d0, 4);
	/* A default allow lets the rest through. */
	CHECK_EQ(publish(r + 1, 1, SL_RULE_ALLOW), 0);
	reclaim();
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_ICMP, 8, 0, 0), 1);
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_TCP, 40006, 6379, SYN), 0);
	CHECK_EQ(drops(SL_DROP_ACL_DENY) - d0, 5);
	return 0;
}

static int test_return_traffic(void)
{
	struct sl_rule_entry r[] = {
		rule("db", SL_RULE_IN, SL_RULE_TCP, 5432, SL_RULE_ALLOW, 100, 0),
		rule("ping", SL_RULE_IN, SL_RULE_ICMP, 0, SL_RULE_ALLOW, 100, 1),
		rule("monitoring", SL_RULE_OUT, SL_RULE_TCP, 9100, SL_RULE_ALLOW, 100, 2),
	};
	uint64_t d0;

	CHECK(setup() == 0);
	CHECK_EQ(publish(r, 3, SL_RULE_DENY), 0);
	d0 = drops(SL_DROP_ACL_DENY);
	/* The user opens; the server answers; the handshake completes. */
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_TCP, 40000, 5432, SYN), 1);
	CHECK_EQ(lan_send(FX_VPN_IP, IPPROTO_TCP, 5432, 40000, SYN | ACK), 1);
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_TCP, 40000, 5432, ACK), 1);
	CHECK_EQ(lan_send(FX_VPN_IP, IPPROTO_TCP, 5432, 40000, ACK), 1);
	/* Echo: the reply carries the request's id. */
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_ICMP, 99, 0, 0), 1);
	CHECK_EQ(lan_send(FX_VPN_IP, IPPROTO_ICMP, 99, 0, 0), 1);
	CHECK_EQ(drops(SL_DROP_ACL_DENY) - d0, 0);
	/* The LAN cannot open to the user: not to its SSH, not on other ports. */
	CHECK_EQ(lan_send(FX_VPN_IP, IPPROTO_TCP, 50000, 22, SYN), 0);
	CHECK_EQ(lan_send(FX_VPN_IP, IPPROTO_TCP, 5432, 40001, SYN | ACK), 0);
	CHECK_EQ(lan_send(FX_VPN_IP, IPPROTO_UDP, 53, 40000, 0), 0);
	CHECK_EQ(drops(SL_DROP_ACL_DENY) - d0, 3);
	/* ... unless an out rule allows it; then the user's replies pass. */
	CHECK_EQ(lan_send(FX_VPN_IP, IPPROTO_TCP, 50001, 9100, SYN), 1);
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_TCP, 9100, 50001, SYN | ACK), 1);
	CHECK_EQ(hits(2), 2);
	CHECK_EQ(dp_rules_flows(&fx.dp, 0), 3);
	return 0;
}

static int test_tags(void)
{
	struct sl_rule_entry r[] = {
		rule("dba", SL_RULE_IN, SL_RULE_TCP, 5432, SL_RULE_ALLOW, 100, 0),
		rule("alice", SL_RULE_IN, SL_RULE_TCP, 6379, SL_RULE_ALLOW, 100, 1),
	};

	r[0].role = 3;
	r[1].user_tag = 7;
	CHECK(setup() == 0);
	CHECK(set_tag(1, 1u << 3, 0) == 0);		/* role 3 */
	CHECK(peer(2, VPN2, 0, 7) == 0);		/* user tag 7 */
	CHECK_EQ(publish(r, 2, SL_RULE_DENY), 0);
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_TCP, 40000, 5432, SYN), 1);
	CHECK_EQ(user_send(2, VPN2, IPPROTO_TCP, 40000, 5432, SYN), 0);
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_TCP, 40001, 6379, SYN), 0);
	CHECK_EQ(user_send(2, VPN2, IPPROTO_TCP, 40001, 6379, SYN), 1);
	/* Peer 2 gains role 3 live (PEER_SET): no publish needed. */
	CHECK_EQ(set_tag(2, 1u << 3, 7), 0);
	CHECK_EQ(user_send(2, VPN2, IPPROTO_TCP, 40002, 5432, SYN), 1);
	CHECK_EQ(lan_send(VPN2, IPPROTO_TCP, 5432, 40002, SYN | ACK), 1);
	/* The role taken away: its flow is checked again at its next packet
	 * and cut, in either direction; the user-tag flow goes on. */
	CHECK_EQ(set_tag(2, 0, 7), 0);
	CHECK_EQ(lan_send(VPN2, IPPROTO_TCP, 5432, 40002, ACK), 0);
	CHECK_EQ(user_send(2, VPN2, IPPROTO_TCP, 40002, 5432, ACK), 0);
	CHECK_EQ(user_send(2, VPN2, IPPROTO_TCP, 40001, 6379, ACK), 1);
	return 0;
}

static int test_delete_cuts(void)
{
	struct sl_rule_entry r[] = {
		rule("ssh", SL_RULE_IN, SL_RULE_TCP, 22, SL_RULE_ALLOW, 100, 0),
		rule("db", SL_RULE_IN, SL_RULE_TCP, 5432, SL_RULE_ALLOW, 100, 1),
	};
	uint64_t d0;

	CHECK(setup() == 0);
	CHECK_EQ(publish(r, 2, SL_RULE_DENY), 0);
	for (uint16_t port = 22; port; port = port == 22 ? 5432 : 0) {
		CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_TCP, 40000, port, SYN), 1);
		CHECK_EQ(lan_send(FX_VPN_IP, IPPROTO_TCP, port, 40000, SYN | ACK), 1);
		CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_TCP, 40000, port, ACK), 1);
	}
	CHECK_EQ(dp_rules_flows(&fx.dp, 0), 2);
	/* "db" deleted: its flow ends at its next packet, either way; ssh goes on. */
	CHECK_EQ(publish(r, 1, SL_RULE_DENY), 0);
	reclaim();
	d0 = drops(SL_DROP_ACL_DENY);
	CHECK_EQ(lan_send(FX_VPN_IP, IPPROTO_TCP, 5432, 40000, ACK), 0);
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_TCP, 40000, 5432, ACK), 0);
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_TCP, 40000, 22, ACK), 1);
	CHECK_EQ(lan_send(FX_VPN_IP, IPPROTO_TCP, 22, 40000, ACK), 1);
	CHECK_EQ(drops(SL_DROP_ACL_DENY) - d0, 2);
	CHECK_EQ(dp_rules_flows(&fx.dp, 0), 1);
	/* Denied and cut flows reach the main lcore's deny log. */
	CHECK(rte_ring_count(fx.dp.deny_log) >= 2);
	dp_rules_poll(&fx.dp);
	CHECK_EQ(rte_ring_count(fx.dp.deny_log), 0);
	return 0;
}

static int test_counters(void)
{
	struct sl_rule_entry r[] = {
		rule("dns", SL_RULE_IN, SL_RULE_UDP, 53, SL_RULE_ALLOW, 100, 5),
		rule("ntp", SL_RULE_IN, SL_RULE_UDP, 123, SL_RULE_DENY, 100, 9),
	};
	uint64_t d0;
	struct sl_rule_hits h;

	CHECK(setup() == 0);
	CHECK_EQ(publish(r, 2, SL_RULE_DENY), 0);
	d0 = drops(SL_DROP_ACL_DENY);
	for (int i = 0; i < 10; i++) {
		CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_UDP, (uint16_t)(5000 + i % 3), 53, 0), 1);
		CHECK_EQ(lan_send(FX_VPN_IP, IPPROTO_UDP, 53, (uint16_t)(5000 + i % 3), 0), 1);
		CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_UDP, 6000, 123, 0), 0);
	}
	dp_rules_hits(&fx.dp, 5, &h);
	CHECK_EQ(h.pkts, 20);
	CHECK_EQ(h.bytes, 20 * LEN);
	CHECK_EQ(hits(9), 10);
	CHECK_EQ(drops(SL_DROP_ACL_DENY) - d0, 10);
	/* The counters live with the slot: a republish keeps them. */
	CHECK_EQ(publish(r, 2, SL_RULE_DENY), 0);
	reclaim();
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_UDP, 5000, 53, 0), 1);
	CHECK_EQ(hits(5), 21);
	return 0;
}

/* Fragments: the first makes an entry, the rest follow; strays are acl-frag. */
static int test_fragments(void)
{
	struct sl_rule_entry r[] = { rule("dns", SL_RULE_IN, SL_RULE_UDP, 53, SL_RULE_ALLOW,
					  100, 0) };
	struct rte_mbuf *out[DP_TXQ_MAX], *m;
	uint8_t in[LEN];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)in;
	uint64_t f0;
	uint16_t n;

	CHECK(setup() == 0);
	CHECK_EQ(publish(r, 1, SL_RULE_DENY), 0);
	f0 = drops(SL_DROP_ACL_FRAG);
	for (int k = 0; k < 3; k++) {
		fx_l4_packet(in, LEN, FX_VPN_IP, FX_LAN_IP, IPPROTO_UDP, 5000, 53, 0, 1);
		ip->packet_id = rte_cpu_to_be_16((uint16_t)(k == 2 ? 0x4322 : 0x4321));
		/* first (MF), then at offset 8 bytes; the third is another datagram's */
		ip->fragment_offset = rte_cpu_to_be_16(k == 0 ? RTE_IPV4_HDR_MF_FLAG : 1);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		m = fx_client_packet(&fx.ks[0].client_tx, pid[1]++, in, LEN, FX_CLIENT_PORT);
		CHECK(m != NULL);
		n = fx_run_rx(&m, 1, out);
		rte_pktmbuf_free_bulk(out, n);
		CHECK_EQ(n, k < 2 ? 1 : 0);
	}
	CHECK_EQ(drops(SL_DROP_ACL_FRAG) - f0, 1);
	return 0;
}

/* Client packet: UDP SPORT -> 53, IP id ID, fragment field FRAG. */
static struct rte_mbuf *frag_pkt(uint16_t sport, uint16_t id, uint16_t frag)
{
	uint8_t in[LEN];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)in;

	fx_l4_packet(in, LEN, FX_VPN_IP, FX_LAN_IP, IPPROTO_UDP, sport, 53, 0, 1);
	ip->packet_id = rte_cpu_to_be_16(id);
	ip->fragment_offset = rte_cpu_to_be_16(frag);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return fx_client_packet(&fx.ks[0].client_tx, pid[1]++, in, LEN, FX_CLIENT_PORT);
}

/*
 * Both fragments of a datagram in one burst, as a client's tunnel
 * fragments a big packet: the second finds the entry the first left
 * within that burst, for a flow that exists and for one it opens.
 */
static int test_fragments_one_burst(void)
{
	struct sl_rule_entry r[] = { rule("dns", SL_RULE_IN, SL_RULE_UDP, 53, SL_RULE_ALLOW,
					  100, 0) };
	struct rte_mbuf *out[DP_TXQ_MAX], *m[2];
	uint64_t f0;
	uint16_t n;

	CHECK(setup() == 0);
	CHECK_EQ(publish(r, 1, SL_RULE_DENY), 0);
	f0 = drops(SL_DROP_ACL_FRAG);
	/* An established flow first (one whole datagram), then a fragmented one. */
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_UDP, 5100, 53, 0), 1);
	m[0] = frag_pkt(5100, 0x5001, RTE_IPV4_HDR_MF_FLAG);
	m[1] = frag_pkt(5100, 0x5001, 1);
	CHECK(m[0] != NULL && m[1] != NULL);
	n = fx_run_rx(m, 2, out);
	rte_pktmbuf_free_bulk(out, n);
	CHECK_EQ(n, 2);
	/* A flow the fragmented datagram opens. */
	m[0] = frag_pkt(5200, 0x5002, RTE_IPV4_HDR_MF_FLAG);
	m[1] = frag_pkt(5200, 0x5002, 1);
	CHECK(m[0] != NULL && m[1] != NULL);
	n = fx_run_rx(m, 2, out);
	rte_pktmbuf_free_bulk(out, n);
	CHECK_EQ(n, 2);
	CHECK_EQ(drops(SL_DROP_ACL_FRAG) - f0, 0);
	return 0;
}

/*
 * A publish while a burst loop runs on another thread: every packet of a
 * flow the change does not touch gets through, and old sets are freed
 * only after that thread's quiescent reports (run under ASan to see it).
 */
struct loop {
	atomic_bool stop;
	unsigned sent, passed, rounds;
};

static void *burst_loop(void *arg)
{
	struct loop *l = arg;
	struct rte_mbuf *pkts[16], *out[DP_TXQ_MAX];
	uint8_t in[LEN];

	rte_rcu_qsbr_thread_register(fx.dp.qsbr, 1);
	rte_rcu_qsbr_thread_online(fx.dp.qsbr, 1);
	while (!atomic_load(&l->stop) || l->rounds < 200) {
		uint16_t n;

		fx_l4_packet(in, LEN, FX_VPN_IP, FX_LAN_IP, IPPROTO_UDP, 5000, 53, 0, 2);
		for (int i = 0; i < 16; i++)
			pkts[i] = fx_client_packet(&fx.ks[0].client_tx, pid[1]++, in, LEN,
						   FX_CLIENT_PORT);
		n = fx_run_rx(pkts, 16, out);
		rte_pktmbuf_free_bulk(out, n);
		l->sent += 16;
		l->passed += n;
		l->rounds++;
		rte_rcu_qsbr_quiescent(fx.dp.qsbr, 1);
	}
	rte_rcu_qsbr_thread_offline(fx.dp.qsbr, 1);
	rte_rcu_qsbr_thread_unregister(fx.dp.qsbr, 1);
	return NULL;
}

static int test_publish_under_load(void)
{
	struct sl_rule_entry r[] = {
		rule("dns", SL_RULE_IN, SL_RULE_UDP, 53, SL_RULE_ALLOW, 100, 0),
		rule("b", SL_RULE_IN, SL_RULE_TCP, 8080, SL_RULE_ALLOW, 100, 1),
		rule("c", SL_RULE_IN, SL_RULE_TCP, 8443, SL_RULE_DENY, 100, 2),
	};
	struct loop l = { .stop = false };
	uint64_t d0;
	pthread_t t;

	CHECK(setup() == 0);
	CHECK_EQ(publish(r, 1, SL_RULE_DENY), 0);
	d0 = drops(SL_DROP_ACL_DENY);
	rte_rcu_qsbr_thread_offline(fx.dp.qsbr, 0);	/* this thread is the main lcore now */
	CHECK(pthread_create(&t, NULL, burst_loop, &l) == 0);
	for (int i = 0; i < 100; i++) {
		if (publish(r, 2 + (i & 1), SL_RULE_DENY) != 0)
			break;
		dp_rules_poll(&fx.dp);
	}
	atomic_store(&l.stop, true);
	pthread_join(t, NULL);
	rte_rcu_qsbr_thread_online(fx.dp.qsbr, 0);
	CHECK_EQ(fx.dp.status->rules_generation, gen);
	CHECK(l.sent >= 200 * 16);
	CHECK_EQ(l.passed, l.sent);
	CHECK_EQ(drops(SL_DROP_ACL_DENY) - d0, 0);
	CHECK_EQ(hits(0), l.sent);
	reclaim();
	return 0;
}

/*
 * One burst whose first packet removes a flow that a later packet of the
 * same burst had found: the later one must not use the removed entry.
 */
static int test_burst_removes_flow(void)
{
	struct sl_rule_entry r[] = { rule("db", SL_RULE_IN, SL_RULE_TCP, 5432, SL_RULE_ALLOW,
					  100, 0) };
	struct rte_mbuf *pkts[2], *out[DP_TXQ_MAX];
	uint8_t in[LEN];
	uint16_t n;

	CHECK(setup() == 0);
	CHECK_EQ(publish(r, 1, SL_RULE_DENY), 0);
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_TCP, 40000, 5432, SYN), 1);
	CHECK_EQ(dp_rules_flows(&fx.dp, 0), 1);
	/* The LAN end opens on the same ports (SYN), then an ACK: both out, both denied. */
	fx_l4_packet(in, LEN, FX_LAN_IP, FX_VPN_IP, IPPROTO_TCP, 5432, 40000, SYN, 0);
	pkts[0] = fx_lan_frame_of(in, LEN);
	fx_l4_packet(in, LEN, FX_LAN_IP, FX_VPN_IP, IPPROTO_TCP, 5432, 40000, ACK, 0);
	pkts[1] = fx_lan_frame_of(in, LEN);
	n = fx_run_tx(pkts, 2, out);
	rte_pktmbuf_free_bulk(out, n);
	CHECK_EQ(n, 0);
	CHECK_EQ(dp_rules_flows(&fx.dp, 0), 0);
	/* The table still works: a new flow, its reply. */
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_TCP, 40001, 5432, SYN), 1);
	CHECK_EQ(lan_send(FX_VPN_IP, IPPROTO_TCP, 5432, 40001, SYN | ACK), 1);
	CHECK_EQ(dp_rules_flows(&fx.dp, 0), 1);
	return 0;
}

/*
 * Through sl_cmd as the control plane sends it: the publish goes to the
 * builder thread and is answered by a later main-lcore poll, so a command
 * behind it is answered first (dp_cmd_poll itself never answers a publish).
 */
static int test_publish_async(void)
{
	enum { N = 2000 };
	struct sl_rule_blob *b = rte_zmalloc("test_blob", sl_rule_blob_size(N), 0);
	struct sl_cmd c[2] = { { .type = SL_CMD_RULES_PUBLISH, .seq = 71 },
			       { .type = SL_CMD_NOP, .seq = 72 } };
	struct sl_event e;
	uint64_t gen0;

	CHECK(setup() == 0);
	CHECK(b != NULL);
	gen0 = fx.dp.status->rules_generation;
	b->magic = SL_RULE_BLOB_MAGIC;
	b->version = SL_RULE_BLOB_VERSION;
	b->generation = ++gen;
	b->count = N;
	for (unsigned i = 0; i < N; i++)
		b->entries[i] = rule("r", SL_RULE_IN, SL_RULE_TCP, (uint16_t)(1000 + i),
				     SL_RULE_DENY, 100 + i, i);
	c[0].u.rules = (uint64_t)(uintptr_t)b;
	for (int i = 0; i < 2; i++) {
		c[i].version = SL_API_VERSION;
		CHECK(rte_ring_enqueue_elem(fx.dp.cmd, &c[i], sizeof(c[i])) == 0);
	}
	dp_cmd_poll(&fx.dp);
	CHECK(rte_ring_dequeue_elem(fx.dp.evt, &e, sizeof(e)) == 0);
	CHECK(e.type == SL_EVT_RESULT && e.seq == 72 && e.result == 0);
	CHECK(rte_ring_dequeue_elem(fx.dp.evt, &e, sizeof(e)) != 0);
	while (rte_ring_dequeue_elem(fx.dp.evt, &e, sizeof(e)) != 0)
		dp_rules_poll(&fx.dp);
	CHECK(e.type == SL_EVT_RESULT && e.cmd_type == SL_CMD_RULES_PUBLISH && e.seq == 71);
	CHECK_EQ(e.result, 0);
	CHECK(fx.dp.status->rules_generation != gen0);
	CHECK_EQ(fx.dp.status->rules_generation, gen);
	CHECK_EQ(fx.dp.status->rules_count, N);
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_TCP, 40000, 1500, SYN), 0);
	return 0;
}

/* A bad blob is refused (and freed by the data plane); the live set stays. */
static int test_bad_blob(void)
{
	struct sl_rule_entry r[] = { rule("ssh", SL_RULE_IN, SL_RULE_TCP, 22, SL_RULE_ALLOW,
					  100, 0) };
	uint64_t live;

	CHECK(setup() == 0);
	CHECK_EQ(publish(r, 1, SL_RULE_DENY), 0);
	live = gen;
	r[0].slot = SL_RULES_MAX;
	CHECK(publish(r, 1, SL_RULE_DENY) < 0);
	CHECK_EQ(fx.dp.status->rules_generation, live);
	CHECK_EQ(user_send(1, FX_VPN_IP, IPPROTO_TCP, 40000, 22, SYN), 1);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "no rule set published: everything passes", test_unpublished },
	{ "allow and deny by rule, priority, default", test_allow_deny },
	{ "replies pass, the LAN needs an out rule", test_return_traffic },
	{ "role and user tags, changed live, cut when taken", test_tags },
	{ "a deleted rule cuts its established flow", test_delete_cuts },
	{ "hit counters and acl-deny drops exact", test_counters },
	{ "non-first fragments follow their first", test_fragments },
	{ "both fragments in one burst: an existing flow, a new one", test_fragments_one_burst },
	{ "publish under a running burst loop", test_publish_under_load },
	{ "a bad rule blob changes nothing", test_bad_blob },
	{ "publish built off the main lcore, answered later", test_publish_async },
	{ "a burst that removes a flow it holds", test_burst_removes_flow },
	{ NULL, NULL }
};

int main(int argc, char **argv)
{
	int rc;

	(void)argc;
	if (fx_init(argv[0]) != 0) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	rc = sl_test_run("dp_rules", cases);
	dp_rules_clear(&fx.dp);
	fx_fini();
	return rc;
}
