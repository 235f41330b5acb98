/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker flow table (dataplane/dp_flow.c): keys both directions
 * share, the TCP state machine, idle timeouts with injected time, eviction
 * of the oldest idle entry, fragments and ICMP errors. The generation
 * re-check against live rules is the rules stage's (test_dp_rules.c).
 */
#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "dp_fixture.h"
#include "dp_flow.h"
#include "sl_test.h"

#define USER	FX_VPN_IP
#define LAN	FX_LAN_IP
#define SYN	RTE_TCP_SYN_FLAG
#define ACK	RTE_TCP_ACK_FLAG
#define FIN	RTE_TCP_FIN_FLAG
#define RST	RTE_TCP_RST_FLAG

static struct dp_flow_table *tab;

/* Parse a packet USER:up -> LAN:lp (to_lan) or back. */
static struct dp_flow_pkt pkt(uint8_t proto, bool from_user, uint16_t up, uint16_t lp,
			      uint8_t flags)
{
	uint8_t b[64];
	struct dp_flow_pkt p;

	if (proto == IPPROTO_ICMP)	/* id up, type lp >> 8 */
		fx_l4_packet(b, sizeof(b), from_user ? USER : LAN, from_user ? LAN : USER,
			     proto, up, lp, 0, 0);
	else if (from_user)
		fx_l4_packet(b, sizeof(b), USER, LAN, proto, up, lp, flags, 0);
	else
		fx_l4_packet(b, sizeof(b), LAN, USER, proto, lp, up, flags, 0);
	dp_flow_parse(b, sizeof(b), from_user, &p);
	return p;
}

static int step(struct dp_flow *f, bool from_user, uint8_t flags, uint32_t now)
{
	struct dp_flow_pkt p = pkt(IPPROTO_TCP, from_user, 40000, 5432, flags);

	return dp_flow_update(tab, f, &p, now) ? f->state : -1;
}

static int test_keys(void)
{
	struct dp_flow_pkt a = pkt(IPPROTO_TCP, true, 40000, 5432, SYN);
	struct dp_flow_pkt b = pkt(IPPROTO_TCP, false, 40000, 5432, SYN | ACK);
	struct dp_flow_pkt c = pkt(IPPROTO_UDP, true, 40000, 5432, 0);

	CHECK_EQ(a.kind, DP_FLOW_PKT_FIRST);
	CHECK_MEM(&a.key, &b.key, sizeof(a.key));
	CHECK(memcmp(&a.key, &c.key, sizeof(a.key)) != 0);
	CHECK_EQ(a.key.user_ip, USER);
	CHECK_EQ(a.key.lan_port, 5432);
	CHECK_EQ(b.tcp_flags, SYN | ACK);
	CHECK(a.from_user && !b.from_user);
	/* Echo request and reply share the identifier. */
	a = pkt(IPPROTO_ICMP, true, 77, 0, 0);
	b = pkt(IPPROTO_ICMP, false, 77, RTE_IP_ICMP_ECHO_REPLY << 8, 0);
	CHECK_MEM(&a.key, &b.key, sizeof(a.key));
	CHECK_EQ(a.key.user_port, 77);
	return 0;
}

static int test_tcp_states(void)
{
	struct dp_flow_pkt p = pkt(IPPROTO_TCP, true, 40000, 5432, SYN);
	struct dp_flow *f;

	dp_flow_clear(tab);
	f = dp_flow_add(tab, &p.key, DP_FLOW_IN, 3, 7, 100);
	CHECK(f != NULL);
	CHECK_EQ(f->gen, 3);
	CHECK_EQ(f->rule, 7);
	CHECK_EQ(f->state, DP_FLOW_SYN_SENT);
	CHECK_EQ(step(f, false, SYN | ACK, 100), DP_FLOW_SYN_RECV);
	CHECK_EQ(step(f, true, ACK, 100), DP_FLOW_ESTABLISHED);
	CHECK_EQ(step(f, false, ACK, 101), DP_FLOW_ESTABLISHED);
	CHECK_EQ(step(f, true, FIN | ACK, 102), DP_FLOW_FIN_WAIT);
	CHECK_EQ(step(f, false, ACK, 102), DP_FLOW_FIN_WAIT);
	CHECK_EQ(step(f, false, FIN | ACK, 102), DP_FLOW_CLOSING);
	CHECK_EQ(dp_flow_timeout(tab, f), dp_flow_timeouts_default.tcp_closing);
	/* The opener reuses the ports: a new handshake on the same entry. */
	CHECK_EQ(step(f, true, SYN, 103), DP_FLOW_SYN_SENT);
	CHECK_EQ(step(f, false, SYN | ACK, 103), DP_FLOW_SYN_RECV);
	CHECK_EQ(step(f, true, ACK, 103), DP_FLOW_ESTABLISHED);
	CHECK_EQ(step(f, false, RST, 104), DP_FLOW_CLOSING);
	/* A SYN from the LAN's end is a new connection, not this flow's. */
	CHECK_EQ(step(f, false, SYN, 105), -1);
	/* Mid-stream pick-up: an ACK first is taken as established. */
	p = pkt(IPPROTO_TCP, true, 40001, 22, ACK);
	f = dp_flow_add(tab, &p.key, DP_FLOW_IN, 3, 0, 100);
	CHECK(f != NULL);
	CHECK(dp_flow_update(tab, f, &p, 100));
	CHECK_EQ(f->state, DP_FLOW_ESTABLISHED);
	CHECK_EQ(dp_flow_count(tab), 2);
	return 0;
}

static int test_timeouts(void)
{
	const struct dp_flow_timeouts *to = &dp_flow_timeouts_default;
	struct dp_flow_pkt syn = pkt(IPPROTO_TCP, true, 40000, 5432, SYN);
	struct dp_flow_pkt udp = pkt(IPPROTO_UDP, true, 5353, 53, 0);
	struct dp_flow_pkt back = pkt(IPPROTO_UDP, false, 5353, 53, 0);
	struct dp_flow_pkt ping = pkt(IPPROTO_ICMP, true, 9, 0, 0);
	struct dp_flow *f;

	CHECK(to->tcp_half_open < to->tcp_established && to->udp_new < to->udp_replied);
	dp_flow_clear(tab);
	/* Half-open: short. */
	CHECK(dp_flow_add(tab, &syn.key, DP_FLOW_IN, 1, 0, 1000) != NULL);
	CHECK(dp_flow_lookup(tab, &syn.key, 1000 + to->tcp_half_open) != NULL);
	CHECK(dp_flow_lookup(tab, &syn.key, 1000 + 2 * to->tcp_half_open + 1) == NULL);
	CHECK_EQ(dp_flow_count(tab), 0);
	/* Established: long, counted from the last packet. */
	f = dp_flow_add(tab, &syn.key, DP_FLOW_IN, 1, 0, 1000);
	CHECK_EQ(step(f, false, SYN | ACK, 1000), DP_FLOW_SYN_RECV);
	CHECK_EQ(step(f, true, ACK, 1010), DP_FLOW_ESTABLISHED);
	CHECK(dp_flow_lookup(tab, &syn.key, 1010 + to->tcp_established) == f);
	CHECK(dp_flow_lookup(tab, &syn.key, 1011 + to->tcp_established) == NULL);
	/* UDP one way short, answered longer. */
	f = dp_flow_add(tab, &udp.key, DP_FLOW_IN, 1, 0, 2000);
	CHECK(dp_flow_lookup(tab, &udp.key, 2000 + to->udp_new) == f);
	CHECK(dp_flow_update(tab, f, &back, 2000 + to->udp_new));
	CHECK_EQ(f->state, DP_FLOW_REPLIED);
	CHECK(dp_flow_lookup(tab, &udp.key, 2000 + to->udp_new + to->udp_replied) == f);
	CHECK(dp_flow_lookup(tab, &udp.key, 2001 + to->udp_new + to->udp_replied) == NULL);
	/* ICMP echo, and the sweep from the idle end. */
	CHECK(dp_flow_add(tab, &ping.key, DP_FLOW_IN, 1, 0, 3000) != NULL);
	CHECK(dp_flow_add(tab, &udp.key, DP_FLOW_IN, 1, 0, 3000 + to->icmp) != NULL);
	CHECK_EQ(dp_flow_count(tab), 2);
	CHECK_EQ(dp_flow_expire(tab, 3001 + to->icmp, 8), 1);
	CHECK(dp_flow_lookup(tab, &ping.key, 3001 + to->icmp) == NULL);
	CHECK(dp_flow_lookup(tab, &udp.key, 3001 + to->icmp) != NULL);
	return 0;
}

/* A full table evicts its oldest idle entry, not one used recently. */
static int test_eviction(void)
{
	struct dp_flow_table *small = dp_flow_create("t_flow_small", 64,
						     &dp_flow_timeouts_default, 0);
	struct dp_flow_pkt p = pkt(IPPROTO_UDP, false, 1000, 53, 0);
	struct dp_flow_key keys[65];
	struct dp_flow *f, *out[4];

	CHECK(small != NULL);
	for (unsigned i = 0; i < 65; i++)
		keys[i] = pkt(IPPROTO_UDP, true, (uint16_t)(1000 + i), 53, 0).key;
	for (unsigned i = 0; i < 64; i++)
		CHECK(dp_flow_add(small, &keys[i], DP_FLOW_IN, 1, i, 100) != NULL);
	CHECK_EQ(dp_flow_count(small), 64);
	/* Key 0 is used again: key 1 is now the oldest idle. */
	f = dp_flow_lookup(small, &keys[0], 110);
	CHECK(f != NULL && dp_flow_update(small, f, &p, 110));
	CHECK(dp_flow_add(small, &keys[64], DP_FLOW_IN, 1, 64, 111) != NULL);
	CHECK_EQ(dp_flow_count(small), 64);
	CHECK(dp_flow_lookup(small, &keys[1], 111) == NULL);
	CHECK(dp_flow_lookup(small, &keys[0], 111) != NULL);
	CHECK(dp_flow_lookup(small, &keys[2], 111) != NULL);
	CHECK_EQ(dp_flow_lookup(small, &keys[64], 111)->rule, 64);
	/* Bulk lookup sees the same. */
	dp_flow_lookup_bulk(small, keys, 4, out, 111);
	CHECK(out[0] != NULL && out[1] == NULL && out[2] != NULL && out[3] != NULL);
	CHECK_EQ(out[3]->rule, 3);
	dp_flow_free(small);
	return 0;
}

/* Non-first fragments: their entry names the first fragment's flow. */
static int test_fragments(void)
{
	uint8_t b[64];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)b;
	struct dp_flow_pkt first, next;
	struct dp_flow_key fk;
	struct dp_flow *f, *fe;

	dp_flow_clear(tab);
	fx_l4_packet(b, sizeof(b), USER, LAN, IPPROTO_UDP, 5000, 53, 0, 0);
	ip->packet_id = rte_cpu_to_be_16(0x1234);
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
	CHECK_EQ(dp_flow_parse(b, sizeof(b), true, &first), DP_FLOW_PKT_FIRST);
	CHECK(first.more_frags);
	CHECK_EQ(first.key.user_port, 5000);
	ip->fragment_offset = rte_cpu_to_be_16(185);	/* 1480 bytes in */
	CHECK_EQ(dp_flow_parse(b, sizeof(b), true, &next), DP_FLOW_PKT_FRAG);
	dp_flow_frag_key(b, true, &fk);
	CHECK_MEM(&fk, &next.key, sizeof(fk));
	CHECK(dp_flow_lookup(tab, &next.key, 10) == NULL);
	f = dp_flow_add(tab, &first.key, DP_FLOW_IN, 1, 0, 10);
	fe = dp_flow_add_frag(tab, &fk, f, 10);
	CHECK(fe != NULL);
	fe = dp_flow_lookup(tab, &next.key, 10 + dp_flow_timeouts_default.frag);
	CHECK(fe != NULL);
	CHECK_MEM(&fe->frag_of, &first.key, sizeof(first.key));
	/* Another datagram's fragments (other id) find nothing. */
	ip->packet_id = rte_cpu_to_be_16(0x1235);
	CHECK_EQ(dp_flow_parse(b, sizeof(b), true, &next), DP_FLOW_PKT_FRAG);
	CHECK(dp_flow_lookup(tab, &next.key, 10) == NULL);
	return 0;
}

/* An ICMP error names the flow of the packet it quotes. */
static int test_icmp_related(void)
{
	uint8_t b[28 + 28], q[40];	/* an ICMP error quotes 28 bytes of q */
	struct dp_flow_pkt p, orig = pkt(IPPROTO_UDP, true, 5000, 53, 0);

	fx_l4_packet(q, sizeof(q), USER, LAN, IPPROTO_UDP, 5000, 53, 0, 0);
	fx_l4_packet(b, sizeof(b), FX_PRIV_IP, USER, IPPROTO_ICMP, 0,
		     3 << 8 /* destination unreachable */, 0, 0);
	memcpy(b + 28, q, 28);
	CHECK_EQ(dp_flow_parse(b, sizeof(b), false, &p), DP_FLOW_PKT_RELATED);
	CHECK_MEM(&p.rel, &orig.key, sizeof(orig.key));
	CHECK_EQ(p.key.proto, IPPROTO_ICMP);
	/* Truncated quote: a plain ICMP packet. */
	CHECK_EQ(dp_flow_parse(b, 40, false, &p), DP_FLOW_PKT_FIRST);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "both directions find one key", test_keys },
	{ "TCP state from SYN, FIN, RST", test_tcp_states },
	{ "idle timeouts by state (injected time)", test_timeouts },
	{ "full table evicts the oldest idle", test_eviction },
	{ "non-first fragments follow the first", test_fragments },
	{ "ICMP errors relate to their flow", test_icmp_related },
	{ NULL, NULL }
};

int main(int argc, char **argv)
{
	int rc;

	(void)argc;
	if (fx_init(argv[0]) != 0 ||
	    (tab = dp_flow_create("t_flow", 1024, &dp_flow_timeouts_default, 0)) == NULL) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	rc = sl_test_run("dp_flow", cases);
	dp_flow_free(tab);
	fx_fini();
	return rc;
}
