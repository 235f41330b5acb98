/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data-plane stage tests, in process (EAL --no-huge --no-shconf, no ports):
 * packets sealed with the protocol library as a client would go through
 * dp_input_burst() and the decrypt stage; LAN frames go through the encrypt
 * stage and are opened with the client's keys. Every burst size 0..64, the
 * drop reasons, key install/swap/delete under traffic, packet-id
 * exhaustion, owner handoff, the bulk lookups of the input stage, the MSS
 * clamp and control packets from sl_cp_tx, and bursts that mix peers,
 * ciphers, sizes and drops. Each case sets up what it needs (fresh()), so
 * they pass in any order. The whole list runs once per crypto backend
 * (dataplane.crypto "openssl", then "ipsec-mb" where this CPU runs it):
 * the data plane's keys take the backend, the client's stay OpenSSL.
 */
#include <errno.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dp_fixture.h"
#include "dp_neigh.h"
#include "dp_peer.h"
#include "ovpn_engine.h"
#include "ovpn_inband.h"
#include "sl_addr.h"
#include "sl_test.h"

#define PEER		5u		/* owned by worker 1 of 2 */
#define PEER_LOCAL	4u		/* owned by worker 0 */
#define VPN_IP4		0x0A0A0005u

/* An ICMP packet from SRC to the LAN host, sealed with key state KEY. */
static struct rte_mbuf *client_ip(unsigned key, uint32_t pid, uint32_t src, uint8_t tag)
{
	uint8_t in[64];
	size_t len = fx_inner_packet(in, 60, src, FX_LAN_IP, tag);

	return fx_client_packet(&fx.ks[key].client_tx, pid, in, len, FX_CLIENT_PORT);
}

static uint64_t drops(enum sl_drop d)
{
	return fx.stats[0].drop[d] + fx.stats[1].drop[d];
}

static uint32_t next_pid[2];
static enum ovpn_backend backend;	/* what this run's data-plane keys use */

/*
 * Every case starts from here, whatever ran before: PEER with key-id 0 in
 * slot 0 (fx.ks[0]), PEER_LOCAL without keys, nothing else installed.
 */
static int fresh(void)
{
	if (fx_reset() != 0 || fx_add_peer(PEER, FX_VPN_IP) != 0 ||
	    fx_add_key(PEER, 0, 0, SL_CIPHER_AES_256_GCM, &fx.ks[0]) != 0 ||
	    fx_add_peer(PEER_LOCAL, VPN_IP4) != 0)
		return -1;
	next_pid[0] = next_pid[1] = 1;
	return 0;
}

static int check_lan_frame(struct rte_mbuf *m, uint8_t tag)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const uint8_t *ip = (const uint8_t *)(eth + 1);
	uint8_t want[64];

	fx_inner_packet(want, 60, FX_VPN_IP, FX_LAN_IP, tag);
	CHECK_EQ(m->pkt_len, 14 + 60);
	CHECK(rte_is_same_ether_addr(&eth->dst_addr, &fx_lan_mac));
	CHECK(rte_is_same_ether_addr(&eth->src_addr, &fx_priv_mac));
	CHECK_MEM(ip, want, 60);
	return 0;
}

static int test_decrypt_every_burst(void)
{
	struct rte_mbuf *pkts[64], *out[64];

	CHECK(fresh() == 0);
	for (uint16_t n = 0; n <= 64; n++) {
		uint64_t before = fx.dp.peer_stats[PEER].rx_pkts;

		for (uint16_t i = 0; i < n; i++)
			CHECK((pkts[i] = client_ip(0, next_pid[0]++, FX_VPN_IP, (uint8_t)i)) != NULL);
		CHECK_EQ(fx_run_rx(pkts, n, out), n);
		for (uint16_t i = 0; i < n; i++) {
			CHECK(check_lan_frame(out[i], (uint8_t)i) == 0);
			rte_pktmbuf_free(out[i]);
		}
		CHECK_EQ(fx.dp.peer_stats[PEER].rx_pkts - before, n);
	}
	return 0;
}

static int expect_drop(struct rte_mbuf *m, enum sl_drop reason)
{
	struct rte_mbuf *out[1];
	uint64_t before = drops(reason);

	CHECK(m != NULL);
	CHECK_EQ(fx_run_rx(&m, 1, out), 0);
	CHECK_EQ(drops(reason) - before, 1);
	return 0;
}

static int test_replay(void)
{
	struct rte_mbuf *m, *out[1];

	CHECK(fresh() == 0);
	m = client_ip(0, next_pid[0], FX_VPN_IP, 1);

	CHECK_EQ(fx_run_rx(&m, 1, out), 1);
	rte_pktmbuf_free(out[0]);
	CHECK(expect_drop(client_ip(0, next_pid[0]++, FX_VPN_IP, 1), SL_DROP_REPLAY) == 0);
	/* Far behind the window (2048). */
	next_pid[0] += 5000;
	m = client_ip(0, next_pid[0]++, FX_VPN_IP, 1);
	CHECK_EQ(fx_run_rx(&m, 1, out), 1);
	rte_pktmbuf_free(out[0]);
	return expect_drop(client_ip(0, next_pid[0] - 3000, FX_VPN_IP, 1), SL_DROP_REPLAY);
}

/* Every single-bit flip of the tag (bytes 8..23 of the OpenVPN packet). */
static int test_tag_bit_flips(void)
{
	CHECK(fresh() == 0);
	for (unsigned bit = 0; bit < 128; bit++) {
		struct rte_mbuf *m = client_ip(0, next_pid[0]++, FX_VPN_IP, 2);

		CHECK(m != NULL);
		rte_pktmbuf_mtod_offset(m, uint8_t *, 42 + 8)[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK(expect_drop(m, SL_DROP_AUTH) == 0);
	}
	return 0;
}

/* Every truncation of the OpenVPN packet: dropped, nothing forwarded. */
static int test_truncations(void)
{
	struct rte_mbuf *probe, *out[1];
	unsigned full;

	CHECK(fresh() == 0);
	probe = client_ip(0, next_pid[0]++, FX_VPN_IP, 3);
	full = probe->pkt_len - 42;

	rte_pktmbuf_free(probe);
	for (unsigned len = 0; len < full; len++) {
		struct rte_mbuf *m = client_ip(0, next_pid[0]++, FX_VPN_IP, 3);
		struct rte_udp_hdr *udp = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, 34);
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);

		rte_pktmbuf_trim(m, (uint16_t)(full - len));
		udp->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + len));
		ip->total_length = rte_cpu_to_be_16((uint16_t)(28 + len));
		CHECK_EQ(fx_run_rx(&m, 1, out), 0);
	}
	return 0;
}

static int test_no_key_for_key_id(void)
{
	struct rte_mbuf *m;

	CHECK(fresh() == 0);
	m = client_ip(0, next_pid[0]++, FX_VPN_IP, 4);

	CHECK(m != NULL);
	rte_pktmbuf_mtod_offset(m, uint8_t *, 42)[0] = (uint8_t)(OVPN_P_DATA_V2 << 3 | 6);
	return expect_drop(m, SL_DROP_NO_KEY);
}

static int test_spoofed_source(void)
{
	CHECK(fresh() == 0);
	/* Another client's address, and an address outside the pool. */
	CHECK(expect_drop(client_ip(0, next_pid[0]++, VPN_IP4, 5), SL_DROP_SPOOFED) == 0);
	return expect_drop(client_ip(0, next_pid[0]++, 0x0A140063u, 5), SL_DROP_SPOOFED);
}

/* IPv6 inside the tunnel has its own reason (clients send router solicitations). */
static int test_inner_ipv6(void)
{
	uint8_t in[48] = { 0x60 };

	CHECK(fresh() == 0);
	return expect_drop(fx_client_packet(&fx.ks[0].client_tx, next_pid[0]++, in, sizeof(in),
					    FX_CLIENT_PORT), SL_DROP_INNER_IPV6);
}

static int test_unknown_peer(void)
{
	struct rte_mbuf *m;

	CHECK(fresh() == 0);
	m = client_ip(0, next_pid[0]++, FX_VPN_IP, 6);

	CHECK(m != NULL);
	rte_pktmbuf_mtod_offset(m, uint8_t *, 42)[3] = 40;	/* peer-id 40: none */
	return expect_drop(m, SL_DROP_UNKNOWN_PEER);
}

static int pop_event(struct sl_event *e)
{
	return rte_ring_dequeue_elem(fx.dp.evt, e, sizeof(*e));
}

static void flush_events(void)
{
	struct sl_event e;

	while (pop_event(&e) == 0)
		;
}

static int test_ping_and_exit(void)
{
	uint8_t buf[64];
	struct rte_mbuf *m, *out[1];
	struct sl_event e;
	int n;

	CHECK(fresh() == 0);
	n = ovpn_inband_ping_build(buf, sizeof(buf));
	m = fx_client_packet(&fx.ks[0].client_tx, next_pid[0]++, buf, (size_t)n, 40000);
	CHECK_EQ(fx_run_rx(&m, 1, out), 0);	/* consumed, not a drop */
	CHECK(pop_event(&e) != 0);
	n = ovpn_inband_occ_build(buf, sizeof(buf), OVPN_OCC_EXIT, NULL, 0);
	CHECK(n > 0);
	m = fx_client_packet(&fx.ks[0].client_tx, next_pid[0]++, buf, (size_t)n, 40000);
	CHECK_EQ(fx_run_rx(&m, 1, out), 0);
	CHECK_EQ(pop_event(&e), 0);
	CHECK_EQ(e.type, SL_EVT_PEER_EXIT);
	CHECK_EQ(e.peer_id, PEER);
	return 0;
}

static int test_float(void)
{
	uint8_t in[64];
	struct rte_mbuf *m, *out[1];
	struct sl_event e;

	CHECK(fresh() == 0);
	fx_inner_packet(in, 60, FX_VPN_IP, FX_LAN_IP, 7);
	m = fx_client_packet(&fx.ks[0].client_tx, next_pid[0]++, in, 60, 40001);
	CHECK_EQ(fx_run_rx(&m, 1, out), 1);
	rte_pktmbuf_free(out[0]);
	CHECK_EQ(pop_event(&e), 0);
	CHECK_EQ(e.type, SL_EVT_PEER_FLOAT);
	CHECK_EQ(e.remote.port, 40001);
	CHECK_EQ(e.remote.addr.v4, FX_CLIENT_IP);
	CHECK_EQ(fx.dp.peer_stats[PEER].remote.port, 40001);
	/* A forged packet from yet another port does not move the peer. */
	m = fx_client_packet(&fx.ks[0].client_tx, next_pid[0]++, in, 60, 40002);
	rte_pktmbuf_mtod_offset(m, uint8_t *, 60)[0] ^= 1;
	CHECK_EQ(fx_run_rx(&m, 1, out), 0);
	CHECK_EQ(fx.dp.peer_stats[PEER].remote.port, 40001);
	/* Back to the first port. */
	m = fx_client_packet(&fx.ks[0].client_tx, next_pid[0]++, in, 60, 40000);
	CHECK_EQ(fx_run_rx(&m, 1, out), 1);
	rte_pktmbuf_free(out[0]);
	flush_events();
	return 0;
}

/* Fill the event ring with NOP results; returns how many went in. */
static unsigned fill_events(void)
{
	struct sl_event e = { .type = SL_EVT_RESULT, .cmd_type = SL_CMD_NOP };
	unsigned n = 0;

	while (rte_ring_enqueue_elem(fx.dp.evt, &e, sizeof(e)) == 0)
		n++;
	return n;
}

/* PEER's owner runs its keepalive scan SECS seconds after T0, over PEER. */
static void owner_scan(uint64_t t0, unsigned secs)
{
	struct dp_worker *w = &fx.wk[PEER % 2];
	struct dp_peer *p = dp_peer_get(fx.dp.peers, fx.dp.max_peers, PEER);

	w->now_tsc = t0 + secs * fx.dp.tsc_hz + 1;
	p->last_tx_tsc = w->now_tsc;	/* no keepalive ping */
	w->scan_tsc = 0;
	w->scan_next = PEER;
	dp_keepalive_scan(w);
}

static int ack(uint16_t type, uint32_t seq)
{
	struct sl_cmd c = { .type = SL_CMD_EVT_ACK, .peer_id = PEER };

	c.u.ack.type = type;
	c.u.ack.seq = seq;
	return fx_cmd(&c);
}

/* The next event that is not a NOP result, or -1. */
static int pop_critical(struct sl_event *e)
{
	while (pop_event(e) == 0)
		if (e->type != SL_EVT_RESULT)
			return 0;
	return -1;
}

/*
 * A float event lost to a full event ring is raised again by the owner's
 * keepalive scan, every second, until the control plane acknowledges it.
 */
static int test_float_event_reraised(void)
{
	uint8_t in[64];
	struct rte_mbuf *m, *out[1];
	struct sl_event e;
	uint64_t t0;

	CHECK(fresh() == 0);
	t0 = fx.wk[PEER % 2].now_tsc;
	CHECK(fill_events() > 0);
	fx_inner_packet(in, 60, FX_VPN_IP, FX_LAN_IP, 7);
	m = fx_client_packet(&fx.ks[0].client_tx, next_pid[0]++, in, 60, 40001);
	CHECK_EQ(fx_run_rx(&m, 1, out), 1);
	rte_pktmbuf_free(out[0]);
	CHECK_EQ(fx.dp.peer_stats[PEER].remote.port, 40001);
	flush_events();				/* the float event was lost */
	owner_scan(t0, 1);
	CHECK_EQ(pop_critical(&e), 0);
	CHECK_EQ(e.type, SL_EVT_PEER_FLOAT);
	CHECK_EQ(e.peer_id, PEER);
	CHECK_EQ(e.remote.port, 40001);
	owner_scan(t0, 2);			/* not acknowledged: again */
	CHECK_EQ(pop_critical(&e), 0);
	CHECK_EQ(e.type, SL_EVT_PEER_FLOAT);
	CHECK(pop_critical(&e) != 0);
	CHECK_EQ(ack(e.type, e.seq + 1), 0);	/* an ack of another event: no */
	owner_scan(t0, 3);
	CHECK_EQ(pop_critical(&e), 0);
	CHECK_EQ(ack(e.type, e.seq), 0);	/* acknowledged: it stops */
	owner_scan(t0, 4);
	CHECK(pop_critical(&e) != 0);
	CHECK_EQ(ack(SL_EVT_RESULT, 1), -EINVAL);
	CHECK_EQ(ack(SL_EVT_MAX, 1), -EINVAL);
	return 0;
}

/* Neither a forged packet nor a replayed genuine one moves the peer. */
static int test_float_needs_fresh_auth(void)
{
	uint8_t in[64];
	struct rte_mbuf *m, *out[1];
	struct sl_event e;
	uint64_t t0, before = drops(SL_DROP_REPLAY);
	uint32_t pid = next_pid[0];

	CHECK(fresh() == 0);
	t0 = fx.wk[PEER % 2].now_tsc;
	pid = next_pid[0]++;
	fx_inner_packet(in, 60, FX_VPN_IP, FX_LAN_IP, 7);
	m = fx_client_packet(&fx.ks[0].client_tx, pid, in, 60, FX_CLIENT_PORT);
	CHECK_EQ(fx_run_rx(&m, 1, out), 1);
	rte_pktmbuf_free(out[0]);
	/* The same genuine packet again, from a new port: a replay. */
	m = fx_client_packet(&fx.ks[0].client_tx, pid, in, 60, 40005);
	CHECK_EQ(fx_run_rx(&m, 1, out), 0);
	CHECK_EQ(drops(SL_DROP_REPLAY) - before, 1);
	/* A forged one (tag bit flipped) from another port. */
	m = fx_client_packet(&fx.ks[0].client_tx, next_pid[0]++, in, 60, 40006);
	rte_pktmbuf_mtod_offset(m, uint8_t *, 60)[0] ^= 1;
	CHECK_EQ(fx_run_rx(&m, 1, out), 0);
	CHECK_EQ(fx.dp.peer_stats[PEER].remote.port, FX_CLIENT_PORT);
	owner_scan(t0, 1);
	CHECK(pop_critical(&e) != 0);		/* no float, nothing pending */
	return 0;
}

/* A lost KEY_EXHAUSTED is raised again with its key-id. */
static int test_exhausted_event_reraised(void)
{
	struct dp_peer *p;
	struct dp_key *k;
	struct rte_mbuf *m, *out[1];
	struct sl_event e;
	uint64_t t0;

	CHECK(fresh() == 0);
	t0 = fx.wk[PEER % 2].now_tsc;
	p = dp_peer_get(fx.dp.peers, fx.dp.max_peers, PEER);
	k = dp_peer_tx_key(p);
	k->tx_pid.last = 0xFFFFFFFEu;
	CHECK(fill_events() > 0);
	m = fx_lan_frame(FX_VPN_IP, 60, 1);
	CHECK_EQ(fx_run_tx(&m, 1, out), 1);
	rte_pktmbuf_free(out[0]);
	flush_events();				/* lost */
	owner_scan(t0, 1);
	CHECK_EQ(pop_critical(&e), 0);
	CHECK_EQ(e.type, SL_EVT_KEY_EXHAUSTED);
	CHECK_EQ(e.key_id, k->key_id);
	CHECK_EQ(ack(e.type, e.seq), 0);
	owner_scan(t0, 2);
	CHECK(pop_critical(&e) != 0);
	return 0;
}

/* N hard resets from SRC:port, through the input stage at TSC; how many go to the control plane. */
static uint16_t control_burst(uint32_t src, uint16_t n, uint64_t tsc)
{
	struct rte_mbuf *pkts[DP_BURST_MAX];
	struct dp_sorted s;
	uint8_t in[64];
	size_t len = fx_inner_packet(in, 60, FX_VPN_IP, FX_LAN_IP, 1);

	for (uint16_t i = 0; i < n; i++) {
		struct rte_ipv4_hdr *ip;

		pkts[i] = fx_client_packet(&fx.ks[0].client_tx, 1, in, len, (uint16_t)(41000 + i));
		ip = rte_pktmbuf_mtod_offset(pkts[i], struct rte_ipv4_hdr *, 14);
		ip->src_addr = rte_cpu_to_be_32(src);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		rte_pktmbuf_mtod_offset(pkts[i], uint8_t *, 42)[0] =
			OVPN_P_CONTROL_HARD_RESET_CLIENT_V2 << 3;
	}
	fx.wk[0].now_tsc = tsc;
	dp_input_burst(&fx.wk[0], &fx.dp.port[CFG_PORT_PUBLIC], pkts, n, &s);
	rte_pktmbuf_free_bulk(s.cp, s.n_cp);
	return s.n_cp;
}

/*
 * Control packets reach the control plane at control.rx_rate per source
 * address (control.rx_burst at once), and at control.rx_rate_total per
 * worker from all sources; the rest are dropped as cp-rate, before the
 * control plane unwraps anything.
 */
static int test_cp_rate(void)
{
	struct cfg_control saved = fx.cfg.ctl;
	uint64_t hz = fx.dp.tsc_hz, t = rte_rdtsc() + 100 * hz, now = fx.wk[0].now_tsc;
	uint64_t before = drops(SL_DROP_CP_RATE);

	CHECK(fresh() == 0);
	fx.cfg.ctl.rx_rate = 10;
	fx.cfg.ctl.rx_burst = 5;
	fx.cfg.ctl.rx_rate_total = 1000000;
	CHECK_EQ(control_burst(0xC6336401u, 8, t), 5);		/* 198.51.100.1 */
	CHECK_EQ(drops(SL_DROP_CP_RATE) - before, 3);
	CHECK_EQ(control_burst(0xC6336402u, 8, t), 5);		/* another source */
	CHECK_EQ(control_burst(0xC6336401u, 8, t + hz / 10), 1);	/* 100 ms: one more */
	CHECK_EQ(control_burst(0xC6336401u, 8, t + 10 * hz), 5);	/* refilled, to the burst */
	/* All sources together: 30/s on this worker, 3 at once. */
	fx.cfg.ctl.rx_rate_total = 30;
	CHECK_EQ(control_burst(0xC6336403u, 2, t + 20 * hz), 2);
	CHECK_EQ(control_burst(0xC6336404u, 2, t + 20 * hz), 1);
	CHECK_EQ(control_burst(0xC6336405u, 2, t + 21 * hz), 2);
	fx.cfg.ctl = saved;
	fx.wk[0].now_tsc = now;
	return 0;
}

/* Open an encrypted frame as the client; returns the packet-id or 0. */
static uint32_t client_open(struct rte_mbuf *m, unsigned key, uint8_t tag)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *pkt = (uint8_t *)(udp + 1), want[64];
	struct ovpn_data_rx rx;
	int n;

	if (rte_be_to_cpu_32(ip->dst_addr) != FX_CLIENT_IP || rte_be_to_cpu_16(udp->dst_port) != 40000 ||
	    rte_be_to_cpu_16(udp->src_port) != 1194 || rte_ipv4_cksum(ip) != 0)
		return 0;
	n = ovpn_data_open(&fx.ks[key].client_rx, pkt, m->pkt_len - 42, &rx);
	fx_inner_packet(want, 60, FX_LAN_IP, FX_VPN_IP, tag);
	if (n != 60 || memcmp(pkt + rx.off, want, 60) != 0 || rx.peer_id != PEER)
		return 0;
	return rx.pid;
}

static int test_encrypt_every_burst(void)
{
	struct rte_mbuf *pkts[64], *out[64];
	uint32_t last = 0;

	CHECK(fresh() == 0);
	for (uint16_t n = 0; n <= 64; n++) {
		for (uint16_t i = 0; i < n; i++)
			CHECK((pkts[i] = fx_lan_frame(FX_VPN_IP, 60, (uint8_t)i)) != NULL);
		CHECK_EQ(fx_run_tx(pkts, n, out), n);
		for (uint16_t i = 0; i < n; i++) {
			uint32_t pid = client_open(out[i], 0, (uint8_t)i);

			CHECK(pid == last + 1);
			last = pid;
			rte_pktmbuf_free(out[i]);
		}
	}
	return 0;
}

static int test_no_route(void)
{
	struct rte_mbuf *m = fx_lan_frame(0x0A0A0063u, 60, 1), *out[1];	/* 10.10.0.99: nobody */
	uint64_t before = drops(SL_DROP_NO_ROUTE);

	CHECK(fresh() == 0);
	CHECK_EQ(fx_run_tx(&m, 1, out), 0);
	CHECK_EQ(drops(SL_DROP_NO_ROUTE) - before, 1);
	return 0;
}

/* New key in the spare slot, swap, old key still decrypts, then delete it. */
static int test_key_swap_under_traffic(void)
{
	struct rte_mbuf *m, *out[1];
	struct sl_cmd c = { .peer_id = PEER };
	unsigned freed = 0, pending = 0, avail = 0;

	CHECK(fresh() == 0);
	CHECK_EQ(fx_add_key(PEER, 1, 1, SL_CIPHER_AES_256_GCM, &fx.ks[1]), 0);
	/* Before the swap: TX still on key 0, RX on both. */
	m = fx_lan_frame(FX_VPN_IP, 60, 9);
	CHECK_EQ(fx_run_tx(&m, 1, out), 1);
	CHECK_EQ(rte_pktmbuf_mtod_offset(out[0], uint8_t *, 42)[0], OVPN_P_DATA_V2 << 3 | 0);
	rte_pktmbuf_free(out[0]);
	m = client_ip(1, next_pid[1]++, FX_VPN_IP, 9);
	CHECK_EQ(fx_run_rx(&m, 1, out), 1);
	rte_pktmbuf_free(out[0]);
	c.type = SL_CMD_KEY_SWAP;
	CHECK_EQ(fx_cmd(&c), 0);
	m = fx_lan_frame(FX_VPN_IP, 60, 9);
	CHECK_EQ(fx_run_tx(&m, 1, out), 1);
	CHECK_EQ(rte_pktmbuf_mtod_offset(out[0], uint8_t *, 42)[0], OVPN_P_DATA_V2 << 3 | 1);
	CHECK_EQ(client_open(out[0], 1, 9), 1);
	rte_pktmbuf_free(out[0]);
	/* Stragglers on the old key still decrypt. */
	m = client_ip(0, next_pid[0]++, FX_VPN_IP, 9);
	CHECK_EQ(fx_run_rx(&m, 1, out), 1);
	rte_pktmbuf_free(out[0]);
	c.type = SL_CMD_KEY_DEL;
	c.u.key.slot = 0;
	CHECK_EQ(fx_cmd(&c), 0);
	CHECK(expect_drop(client_ip(0, next_pid[0]++, FX_VPN_IP, 9), SL_DROP_NO_KEY) == 0);
	/* The old key is freed once worker 0 passes a quiescent point. */
	rte_rcu_qsbr_quiescent(fx.dp.qsbr, 0);
	CHECK_EQ(rte_rcu_qsbr_dq_reclaim(fx.dp.dq, 16, &freed, &pending, &avail), 0);
	CHECK(freed >= 1);
	return 0;
}

static int test_pktid_exhaustion(void)
{
	struct dp_peer *p;
	struct dp_key *k;
	struct rte_mbuf *m, *out[1];
	struct sl_event e;
	uint64_t before = drops(SL_DROP_PKTID_EXHAUSTED);

	CHECK(fresh() == 0);
	p = dp_peer_get(fx.dp.peers, fx.dp.max_peers, PEER);
	k = dp_peer_tx_key(p);
	k->tx_pid.last = 0xFFFFFFFEu;
	m = fx_lan_frame(FX_VPN_IP, 60, 1);
	CHECK_EQ(fx_run_tx(&m, 1, out), 1);	/* id 0xFFFFFFFF still goes out */
	rte_pktmbuf_free(out[0]);
	CHECK_EQ(pop_event(&e), 0);
	CHECK_EQ(e.type, SL_EVT_KEY_EXHAUSTED);
	CHECK_EQ(e.key_id, k->key_id);
	m = fx_lan_frame(FX_VPN_IP, 60, 1);
	CHECK_EQ(fx_run_tx(&m, 1, out), 0);
	CHECK_EQ(drops(SL_DROP_PKTID_EXHAUSTED) - before, 1);
	CHECK(pop_event(&e) != 0);		/* raised once per key */
	return 0;
}

/* Worker 0 keeps its own peer's packets and hands peer 5's to worker 1. */
static int test_owner_handoff(void)
{
	CHECK(fresh() == 0);
	for (uint16_t n = 0; n <= 64; n++) {
		struct rte_mbuf *pkts[64], *got[64];
		uint16_t mine = 0, kept;
		unsigned handed;

		for (uint16_t i = 0; i < n; i++) {
			bool local = i % 3 == 0;

			pkts[i] = fx_lan_frame(local ? VPN_IP4 : FX_VPN_IP, 60, (uint8_t)i);
			dp_meta(pkts[i])->peer_id = local ? PEER_LOCAL : PEER;
			mine += local;
		}
		kept = dp_handoff_split(&fx.wk[0], pkts, n, fx.dp.handoff_tx);
		CHECK_EQ(kept, mine);
		for (uint16_t i = 0; i < kept; i++)
			CHECK_EQ(dp_meta(pkts[i])->peer_id, PEER_LOCAL);
		handed = rte_ring_dequeue_burst(fx.dp.handoff_tx[1], (void **)got, 64, NULL);
		CHECK_EQ(handed, n - mine);
		for (unsigned i = 0; i < handed; i++)
			CHECK_EQ(dp_meta(got[i])->peer_id, PEER);
		rte_pktmbuf_free_bulk(pkts, kept);
		rte_pktmbuf_free_bulk(got, handed);
	}
	return 0;
}

static int test_mss_clamp(void)
{
	uint8_t buf[64] = { 0 };
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);
	uint8_t *opt = (uint8_t *)(tcp + 1);

	CHECK(fresh() == 0);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(20 + 24);
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(FX_LAN_IP);
	ip->dst_addr = rte_cpu_to_be_32(FX_VPN_IP);
	tcp->data_off = 6 << 4;
	tcp->tcp_flags = RTE_TCP_SYN_FLAG;
	opt[0] = 2; opt[1] = 4; opt[2] = 1460 >> 8; opt[3] = 1460 & 0xff;
	tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
	dp_mss_clamp(ip, 44, 1360);
	CHECK_EQ(opt[2] << 8 | opt[3], 1360);
	CHECK_EQ(rte_ipv4_udptcp_cksum_verify(ip, tcp), 0);
	/* A smaller MSS is left alone; so is a non-SYN. */
	dp_mss_clamp(ip, 44, 1400);
	CHECK_EQ(opt[2] << 8 | opt[3], 1360);
	tcp->tcp_flags = RTE_TCP_ACK_FLAG;
	dp_mss_clamp(ip, 44, 1000);
	CHECK_EQ(opt[2] << 8 | opt[3], 1360);
	return 0;
}

static int test_peer_verbs_refuse(void)
{
	struct sl_cmd c = { .type = SL_CMD_KEY_SWAP, .peer_id = PEER_LOCAL };

	CHECK(fresh() == 0);
	CHECK_EQ(fx_add_peer(PEER, 0x0A0A0042u), -EEXIST);
	CHECK_EQ(fx_add_peer(64, 0x0A0A0042u), -ERANGE);
	CHECK_EQ(fx_add_peer(7, FX_VPN_IP), -EADDRINUSE);
	CHECK_EQ(fx_cmd(&c), -ENOKEY);		/* no key in the other slot */
	c.type = SL_CMD_PEER_DEL;
	c.peer_id = 9;
	CHECK_EQ(fx_cmd(&c), -ENOENT);
	CHECK_EQ(fx_add_peer(9, 0x0A0A0009u), 0);
	CHECK_EQ(fx_cmd(&c), 0);
	CHECK_EQ(fx_cmd(&c), -ENOENT);
	CHECK(dp_peer_get(fx.dp.peers, fx.dp.max_peers, 9) == NULL);
	return 0;
}


/* A frame to a LAN host not resolved yet waits for ARP instead of being lost. */
static int test_held_until_resolved(void)
{
	const struct rte_ether_addr host = { { 2, 0, 0, 0, 0, 0x77 } };
	struct dp_worker *w = &fx.wk[0];
	struct rte_mbuf *m, *out[DP_TXQ_MAX];
	uint64_t arps = fx.arp_sent[CFG_PORT_PRIVATE];
	uint16_t n;
	uint8_t in[64];

	CHECK(fresh() == 0);
	fx_inner_packet(in, 60, FX_VPN_IP, 0x0A14004Du, 8);	/* 10.20.0.77 */
	m = fx_client_packet(&fx.ks[0].client_tx, next_pid[0]++, in, 60, FX_CLIENT_PORT);
	CHECK_EQ(fx_run_rx(&m, 1, out), 0);
	CHECK_EQ(w->n_pending, 1);
	CHECK_EQ(fx.arp_sent[CFG_PORT_PRIVATE] - arps, 1);	/* who has .77? */
	dp_pending_flush(w);
	CHECK_EQ(fx_take(CFG_PORT_PRIVATE, out), 0);		/* still unresolved */
	dp_neigh_learn(fx.dp.port[CFG_PORT_PRIVATE].neigh, 0x0A14004Du, &host);
	dp_pending_flush(w);
	n = fx_take(CFG_PORT_PRIVATE, out);
	CHECK_EQ(n, 1);
	CHECK_EQ(w->n_pending, 0);
	CHECK(rte_is_same_ether_addr(&rte_pktmbuf_mtod(out[0], struct rte_ether_hdr *)->dst_addr,
				     &host));
	rte_pktmbuf_free(out[0]);
	/* Nobody answers for .78: dropped as no-neighbor once the wait is over. */
	fx_inner_packet(in, 60, FX_VPN_IP, 0x0A14004Eu, 8);
	m = fx_client_packet(&fx.ks[0].client_tx, next_pid[0]++, in, 60, FX_CLIENT_PORT);
	CHECK_EQ(fx_run_rx(&m, 1, out), 0);
	uint64_t before = drops(SL_DROP_NO_NEIGHBOR), saved = w->now_tsc;

	w->now_tsc += 2 * fx.dp.tsc_hz;
	dp_pending_flush(w);
	w->now_tsc = saved;
	CHECK_EQ(fx_take(CFG_PORT_PRIVATE, out), 0);
	CHECK_EQ(drops(SL_DROP_NO_NEIGHBOR) - before, 1);
	CHECK_EQ(w->n_pending, 0);
	return 0;
}

/* Over the tunnel MTU without DF: two fragments, both sealed, reassemblable. */
static int test_fragment_inner(void)
{
	struct rte_mbuf *m = fx_lan_frame(FX_VPN_IP, 1472, 0x5a), *out[4];
	struct ovpn_data_rx rx;
	uint8_t whole[1500];
	unsigned got = 0;

	CHECK(fresh() == 0);
	CHECK(m != NULL);
	CHECK_EQ(fx_run_tx(&m, 1, out), 2);
	for (int i = 0; i < 2; i++) {
		uint8_t *pkt = rte_pktmbuf_mtod_offset(out[i], uint8_t *, 42);
		int n = ovpn_data_open(&fx.ks[0].client_rx, pkt, out[i]->pkt_len - 42, &rx);
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(pkt + rx.off);
		uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);

		CHECK(n > 20);
		CHECK(out[i]->pkt_len <= 1500 + 14);
		CHECK_EQ(rte_ipv4_cksum(ip), 0);
		CHECK_EQ(!!(fo & RTE_IPV4_HDR_MF_FLAG), i == 0);
		memcpy(whole + 20 + (fo & RTE_IPV4_HDR_OFFSET_MASK) * 8, (const uint8_t *)(ip + 1),
		       (size_t)n - 20);
		got += (unsigned)n - 20;
		rte_pktmbuf_free(out[i]);
	}
	CHECK_EQ(got, 1472 - 20);
	for (unsigned i = 20; i < 1472; i++)
		CHECK_EQ(whole[i], 0x5a);
	return 0;
}

/* Over the MTU with DF: dropped, and the ICMP for the sender says 1400. */
static int test_frag_needed(void)
{
	struct rte_mbuf *m = fx_lan_frame(FX_VPN_IP, 1472, 1), *out[2], *icmp;
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	uint64_t before = drops(SL_DROP_TOO_BIG), icmps = fx.other_sent[CFG_PORT_PRIVATE];
	const uint8_t *r;

	CHECK(fresh() == 0);
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp = dp_icmp_frag_needed(&fx.wk[0], m, 1400);
	CHECK(icmp != NULL);
	r = rte_pktmbuf_mtod(icmp, const uint8_t *);
	CHECK(rte_is_same_ether_addr((const struct rte_ether_addr *)r, &fx_lan_mac));
	CHECK_EQ(r[14 + 9], IPPROTO_ICMP);
	CHECK_EQ(r[34], 3);				/* destination unreachable */
	CHECK_EQ(r[35], 4);				/* fragmentation needed */
	CHECK_EQ(r[40] << 8 | r[41], 1400);		/* next-hop MTU */
	CHECK_EQ(rte_raw_cksum(r + 34, icmp->pkt_len - 34), 0xffff);
	rte_pktmbuf_free(icmp);
	CHECK_EQ(fx_run_tx(&m, 1, out), 0);
	CHECK_EQ(drops(SL_DROP_TOO_BIG) - before, 1);
	CHECK_EQ(fx.other_sent[CFG_PORT_PRIVATE] - icmps, 1);	/* the ICMP went to the LAN */
	return 0;
}

/* An iroute makes its subnet a legal inner source and a reverse-path target. */
static int test_iroute(void)
{
	struct sl_cmd c = { .type = SL_CMD_ROUTE_ADD, .peer_id = PEER };
	struct rte_mbuf *m, *out[1];

	CHECK(fresh() == 0);
	c.u.route.prefix = sl_addr_v4(0xC0A83200u);	/* 192.168.50.0/24 */
	c.u.route.len = 24;
	CHECK(expect_drop(client_ip(0, next_pid[0]++, 0xC0A83207u, 1), SL_DROP_SPOOFED) == 0);
	CHECK_EQ(fx_cmd(&c), 0);
	CHECK_EQ(fx_cmd(&c), -EADDRINUSE);
	m = client_ip(0, next_pid[0]++, 0xC0A83207u, 1);
	CHECK_EQ(fx_run_rx(&m, 1, out), 1);
	rte_pktmbuf_free(out[0]);
	m = fx_lan_frame(0xC0A83209u, 60, 1);
	CHECK_EQ(fx_run_tx(&m, 1, out), 1);
	rte_pktmbuf_free(out[0]);
	c.u.route.prefix = sl_addr_v4(0xC0A83201u);	/* host bits set */
	CHECK_EQ(fx_cmd(&c), -EINVAL);
	c.type = SL_CMD_ROUTE_DEL;
	c.u.route.prefix = sl_addr_v4(0xC0A83200u);
	CHECK_EQ(fx_cmd(&c), 0);
	CHECK_EQ(fx_cmd(&c), -ENOENT);
	return expect_drop(client_ip(0, next_pid[0]++, 0xC0A83207u, 1), SL_DROP_SPOOFED);
}

/* A P_DATA_V1 peer (pre-2.4 client) sending from FX_CLIENT_IP:sport. */
static int add_v1_peer(uint32_t id, uint32_t vpn_ip, uint16_t sport)
{
	struct sl_cmd c = { .type = SL_CMD_PEER_NEW, .peer_id = id };

	c.u.peer.remote = sl_endpoint_udp4(FX_CLIENT_IP, sport);
	c.u.peer.vpn = sl_addr_v4(vpn_ip);
	c.u.peer.data_v1 = 1;
	memcpy(c.u.peer.remote_mac, fx_client_mac.addr_bytes, 6);
	return fx_cmd(&c);
}

/* A pre-2.4 client: P_DATA_V1, found by its address, answered with V1. */
static int test_data_v1_peer(void)
{
	struct sl_cmd c = { .type = SL_CMD_PEER_DEL, .peer_id = 10 };
	struct fx_keyset *k = &fx.ks[1];
	struct ovpn_data_key_cfg kc = {
		.alg = OVPN_DATA_ALG_AES_256_GCM, .dir = OVPN_DATA_DIR_TX, .key_id = 0,
		.opcode = OVPN_P_DATA_V1, .peer_id = 10,
	};
	struct rte_mbuf *m, *out[1];
	uint8_t in[64];

	CHECK(fresh() == 0);
	CHECK_EQ(add_v1_peer(10, 0x0A0A000Bu, 40100), 0);
	CHECK_EQ(fx_add_key(10, 0, 0, SL_CIPHER_AES_256_GCM, k), 0);
	/* The fixture made a V2 client key; a V1 client seals with opcode 6. */
	ovpn_data_key_free(&k->client_tx);
	kc.cipher_key = k->c2s;
	kc.hmac_key = k->c2s_iv;
	CHECK_EQ(ovpn_data_key_init(&k->client_tx, &kc), 0);
	fx_inner_packet(in, 60, 0x0A0A000Bu, FX_LAN_IP, 3);
	m = fx_client_packet(&k->client_tx, 1, in, 60, 40100);
	CHECK_EQ(rte_pktmbuf_mtod_offset(m, uint8_t *, 42)[0], OVPN_P_DATA_V1 << 3);
	CHECK_EQ(fx_run_rx(&m, 1, out), 1);
	rte_pktmbuf_free(out[0]);
	m = fx_lan_frame(0x0A0A000Bu, 60, 3);
	CHECK_EQ(fx_run_tx(&m, 1, out), 1);
	CHECK_EQ(rte_pktmbuf_mtod_offset(out[0], uint8_t *, 42)[0], OVPN_P_DATA_V1 << 3);
	rte_pktmbuf_free(out[0]);
	/* From another port it is nobody's. */
	CHECK(expect_drop(fx_client_packet(&k->client_tx, 2, in, 60, 40101),
			  SL_DROP_UNKNOWN_PEER) == 0);
	CHECK_EQ(fx_cmd(&c), 0);
	return expect_drop(fx_client_packet(&k->client_tx, 3, in, 60, 40100),
			   SL_DROP_UNKNOWN_PEER);
}

/* One private burst, four kinds of destination, sorted by one LPM bulk lookup. */
static int test_input_lpm_bulk(void)
{
	static const uint32_t dst[8] = {
		FX_VPN_IP, VPN_IP4, 0x0A0A0063u, 0x08080808u,	/* PEER, PEER_LOCAL, */
		FX_VPN_IP, VPN_IP4, 0x0A0A0063u, 0x08080808u,	/* pool: nobody, not ours */
	};
	struct rte_mbuf *pkts[8];
	struct dp_sorted s;
	uint64_t no_route = drops(SL_DROP_NO_ROUTE), not_us = drops(SL_DROP_NOT_FOR_US);

	CHECK(fresh() == 0);
	for (int i = 0; i < 8; i++)
		CHECK((pkts[i] = fx_lan_frame(dst[i], 60, (uint8_t)i)) != NULL);
	dp_input_burst(&fx.wk[0], &fx.dp.port[CFG_PORT_PRIVATE], pkts, 8, &s);
	CHECK_EQ(s.n_fwd, 4);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(dp_meta(s.fwd[i])->peer_id, i % 2 ? PEER_LOCAL : PEER);
	CHECK_EQ(drops(SL_DROP_NO_ROUTE) - no_route, 2);
	CHECK_EQ(drops(SL_DROP_NOT_FOR_US) - not_us, 2);
	rte_pktmbuf_free_bulk(s.fwd, s.n_fwd);
	return 0;
}

/* P_DATA_V1 and V2 in one public burst: the V1 peers by one hash bulk lookup. */
static int test_input_v1_bulk(void)
{
	struct rte_mbuf *pkts[4];
	struct dp_sorted s;
	uint64_t unknown = drops(SL_DROP_UNKNOWN_PEER);
	static const uint16_t sport[4] = { 40100, FX_CLIENT_PORT, 40101, 40100 };

	CHECK(fresh() == 0);
	CHECK_EQ(add_v1_peer(10, 0x0A0A000Bu, 40100), 0);
	for (int i = 0; i < 4; i++) {
		uint8_t in[64];
		size_t len = fx_inner_packet(in, 60, FX_VPN_IP, FX_LAN_IP, 1);

		pkts[i] = fx_client_packet(&fx.ks[0].client_tx, next_pid[0]++, in, len, sport[i]);
		CHECK(pkts[i] != NULL);
		if (i != 1)	/* the input stage reads only the opcode */
			rte_pktmbuf_mtod_offset(pkts[i], uint8_t *, 42)[0] = OVPN_P_DATA_V1 << 3;
	}
	dp_input_burst(&fx.wk[0], &fx.dp.port[CFG_PORT_PUBLIC], pkts, 4, &s);
	CHECK_EQ(s.n_data, 3);
	/* P_DATA_V2 first, the V1 packets after their lookup, each in order. */
	CHECK_EQ(dp_meta(s.data[0])->peer_id, PEER);
	CHECK_EQ(dp_meta(s.data[1])->peer_id, 10);
	CHECK_EQ(dp_meta(s.data[2])->peer_id, 10);
	CHECK_EQ(rte_be_to_cpu_16(rte_pktmbuf_mtod_offset(s.data[1], struct rte_udp_hdr *,
							  34)->src_port), 40100);
	CHECK_EQ(drops(SL_DROP_UNKNOWN_PEER) - unknown, 1);	/* 40101: nobody's */
	rte_pktmbuf_free_bulk(s.data, s.n_data);
	return 0;
}

/*
 * Whatever a stage queued (here an ARP request) and the NIC does not take
 * is a tx-full drop; no device is behind the fixture's ports.
 */
static int test_tx_full_counted(void)
{
	struct dp_worker *w = &fx.wk[0];
	uint64_t before = drops(SL_DROP_TX_FULL);
	struct rte_ether_addr mac;

	CHECK(fresh() == 0);
	CHECK_EQ(dp_neigh_resolve(w, CFG_PORT_PRIVATE, 0x0A140063u, &mac),
		 dp_drop_v(SL_DROP_NO_NEIGHBOR));
	CHECK_EQ(w->tx[CFG_PORT_PRIVATE].n, 1);
	dp_tx_flush(w, CFG_PORT_PRIVATE);
	CHECK_EQ(w->tx[CFG_PORT_PRIVATE].n, 0);
	CHECK_EQ(drops(SL_DROP_TX_FULL) - before, 1);
	return 0;
}

/* What the control plane's own frames had: Ethernet, IPv4 with DF, TTL 64, UDP checksum. */
static int check_cp_frame(struct rte_mbuf *m, const struct rte_ether_addr *mac, uint32_t dst,
			  uint16_t dport, size_t len, uint8_t tag)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(ip + 1);
	uint8_t want[256];

	memset(want, tag, len);
	CHECK_EQ(m->pkt_len, 42 + len);
	CHECK(rte_is_same_ether_addr(&eth->dst_addr, mac));
	CHECK(rte_is_same_ether_addr(&eth->src_addr, &fx_pub_mac));
	CHECK_EQ(rte_be_to_cpu_16(eth->ether_type), RTE_ETHER_TYPE_IPV4);
	CHECK_EQ(ip->version_ihl, RTE_IPV4_VHL_DEF);
	CHECK_EQ(rte_be_to_cpu_16(ip->total_length), 28 + len);
	CHECK_EQ(rte_be_to_cpu_16(ip->fragment_offset), RTE_IPV4_HDR_DF_FLAG);
	CHECK_EQ(ip->time_to_live, 64);
	CHECK_EQ(ip->next_proto_id, IPPROTO_UDP);
	CHECK_EQ(rte_be_to_cpu_32(ip->src_addr), FX_PUB_IP);
	CHECK_EQ(rte_be_to_cpu_32(ip->dst_addr), dst);
	CHECK_EQ(rte_ipv4_cksum(ip), 0);
	CHECK_EQ(rte_be_to_cpu_16(udp->src_port), 1194);
	CHECK_EQ(rte_be_to_cpu_16(udp->dst_port), dport);
	CHECK_EQ(rte_be_to_cpu_16(udp->dgram_len), 8 + len);
	CHECK(udp->dgram_cksum != 0);
	CHECK_EQ(rte_ipv4_udptcp_cksum_verify(ip, udp), 0);
	CHECK_MEM(udp + 1, want, len);
	return 0;
}

/* sl_cp_tx: payload + destination in, a whole frame out of the public port. */
static int test_cp_tx_frame(void)
{
	struct sl_endpoint to = sl_endpoint_udp4(FX_CLIENT_IP, 40123);
	struct rte_mbuf *out[4];
	uint64_t sent = fx.stats[0].cp_tx;

	CHECK(fresh() == 0);
	/* The next hop the control plane names. */
	CHECK_EQ(fx_cp_queue(&to, &fx_client_mac, 101, 0xc1), 0);
	CHECK_EQ(fx_run_cp_tx(out), 1);
	CHECK(check_cp_frame(out[0], &fx_client_mac, FX_CLIENT_IP, 40123, 101, 0xc1) == 0);
	rte_pktmbuf_free(out[0]);
	/* None named: the public port's neighbour table resolves the on-link client. */
	dp_neigh_learn(fx.dp.port[CFG_PORT_PUBLIC].neigh, FX_CLIENT_IP, &fx_client_mac);
	CHECK_EQ(fx_cp_queue(&to, NULL, 60, 0xc2), 0);
	CHECK_EQ(fx_run_cp_tx(out), 1);
	CHECK(check_cp_frame(out[0], &fx_client_mac, FX_CLIENT_IP, 40123, 60, 0xc2) == 0);
	rte_pktmbuf_free(out[0]);
	CHECK_EQ(fx.stats[0].cp_tx - sent, 2);
	return 0;
}

/* Unresolved next hop: no-neighbor drop (an ARP request goes out instead). */
static int test_cp_tx_unresolved(void)
{
	struct sl_endpoint to = sl_endpoint_udp4(0xC0000263u, 40000);	/* 192.0.2.99 */
	struct rte_mbuf *out[4];
	uint64_t before = drops(SL_DROP_NO_NEIGHBOR), arps = fx.arp_sent[CFG_PORT_PUBLIC];

	CHECK(fresh() == 0);
	CHECK_EQ(fx_cp_queue(&to, NULL, 60, 1), 0);
	CHECK_EQ(fx_run_cp_tx(out), 0);
	CHECK_EQ(drops(SL_DROP_NO_NEIGHBOR) - before, 1);
	CHECK_EQ(fx.arp_sent[CFG_PORT_PUBLIC] - arps, 1);
	return 0;
}

/*
 * A destination this data plane cannot build yet is dropped and counted; on
 * sl_cp_tx a TCP endpoint's packet is data read from its connection
 * (dp_exc.h): anything but P_DATA_V2 is a bad-opcode drop.
 */
static int test_cp_tx_unsupported(void)
{
	struct sl_endpoint v6 = { .addr = { .family = SL_AF_INET6 }, .port = 40000 };
	struct sl_endpoint tcp = sl_endpoint_udp4(FX_CLIENT_IP, 40000);
	struct rte_mbuf *out[4];
	uint64_t not_ip = drops(SL_DROP_NOT_IP), bad = drops(SL_DROP_BAD_OPCODE);

	CHECK(fresh() == 0);
	v6.addr.v6[15] = 1;
	tcp.transport = SL_TRANSPORT_TCP;
	CHECK_EQ(fx_cp_queue(&v6, &fx_client_mac, 60, 1), 0);
	CHECK_EQ(fx_cp_queue(&tcp, &fx_client_mac, 60, 1), 0);
	CHECK_EQ(fx_run_cp_tx(out), 0);
	CHECK_EQ(drops(SL_DROP_NOT_IP) - not_ip, 1);
	CHECK_EQ(drops(SL_DROP_BAD_OPCODE) - bad, 1);
	return 0;
}

/*
 * A TCP peer (dp_exc.h): what is encrypted for it goes to the control plane
 * on sl_cp_rx (meta: its endpoint, the OpenVPN packet alone), not out of
 * the public port; its data packet read from the connection comes in on
 * sl_cp_tx and leaves decrypted by the private port.
 */
static int test_tcp_peer(void)
{
	struct dp_peer *p;
	struct rte_mbuf *m, *out[4];
	const struct sl_cp_meta *meta;
	const uint8_t *d;
	uint8_t in[64];
	size_t len;

	CHECK(fresh() == 0);
	CHECK_EQ(fx_add_key(PEER_LOCAL, 0, 0, SL_CIPHER_AES_256_GCM, &fx.ks[1]), 0);
	p = dp_peer_get(fx.dp.peers, fx.dp.max_peers, PEER_LOCAL);
	p->remote.transport = SL_TRANSPORT_TCP;
	p->remote.conn = 77;
	m = fx_lan_frame(VPN_IP4, 60, 0x5a);
	CHECK_EQ(fx_run_tx(&m, 1, out), 0);
	CHECK_EQ(rte_ring_dequeue(fx.dp.cp_rx, (void **)&m), 0);
	meta = dp_meta(m);
	d = rte_pktmbuf_mtod(m, const uint8_t *);
	CHECK_EQ(meta->peer.transport, SL_TRANSPORT_TCP);
	CHECK_EQ(meta->peer.conn, 77);
	CHECK_EQ(meta->payload_off, 0);
	CHECK_EQ(meta->payload_len, m->pkt_len);
	CHECK_EQ(ovpn_op_opcode(d[0]), OVPN_P_DATA_V2);
	CHECK_EQ((uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3], PEER_LOCAL);
	rte_pktmbuf_free(m);
	/* In: the client's packet without outer headers, as cp_tcp.c queues it. */
	len = fx_inner_packet(in, 60, VPN_IP4, FX_LAN_IP, 0x5b);
	m = fx_client_packet(&fx.ks[1].client_tx, 1, in, len, FX_CLIENT_PORT);
	CHECK(m != NULL);
	rte_pktmbuf_adj(m, sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +
		       sizeof(struct rte_udp_hdr));
	memset(dp_meta(m), 0, sizeof(struct sl_cp_meta));
	dp_meta(m)->peer = p->remote;
	CHECK_EQ(rte_ring_enqueue(fx.dp.cp_tx, m), 0);
	CHECK_EQ(dp_cp_poll(&fx.wk[0]), 1);
	CHECK_EQ(fx_take(CFG_PORT_PRIVATE, out), 1);
	CHECK_EQ(out[0]->pkt_len, sizeof(struct rte_ether_hdr) + len);
	CHECK_MEM(rte_pktmbuf_mtod_offset(out[0], const uint8_t *, sizeof(struct rte_ether_hdr)),
		  in, len);
	rte_pktmbuf_free(out[0]);
	return 0;
}

/* Commands naming IPv6 or an unknown transport are refused with a result and counted as bad. */
static int test_cmd_unsupported(void)
{
	struct sl_cmd c[4];
	struct sl_event e;
	uint32_t bad = fx.dp.status->cmds_bad;

	CHECK(fresh() == 0);
	memset(c, 0, sizeof(c));
	for (int i = 0; i < 4; i++) {
		c[i].version = SL_API_VERSION;
		c[i].seq = 100 + (uint32_t)i;
		c[i].peer_id = 20;
		c[i].type = SL_CMD_PEER_NEW;
		c[i].u.peer.remote = sl_endpoint_udp4(FX_CLIENT_IP, 40200);
		c[i].u.peer.vpn = sl_addr_v4(0x0A0A0014u);
	}
	c[0].u.peer.remote.addr.family = SL_AF_INET6;
	c[1].u.peer.remote.transport = SL_TRANSPORT_TCP + 1;	/* TCP is carried (dp_exc.h) */
	c[2].u.peer.vpn.family = SL_AF_INET6;
	c[3].type = SL_CMD_ROUTE_ADD;
	c[3].peer_id = PEER;
	c[3].u.route.prefix.family = SL_AF_INET6;
	c[3].u.route.len = 64;
	for (int i = 0; i < 4; i++)
		CHECK_EQ(rte_ring_enqueue_elem(fx.dp.cmd, &c[i], sizeof(c[i])), 0);
	dp_cmd_poll(&fx.dp);
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(pop_event(&e), 0);
		CHECK_EQ(e.type, SL_EVT_RESULT);
		CHECK_EQ(e.seq, 100 + (uint32_t)i);
		CHECK_EQ(e.result, i == 1 ? -EPROTONOSUPPORT : -EAFNOSUPPORT);
	}
	CHECK_EQ(fx.dp.status->cmds_bad - bad, 4);
	CHECK(dp_peer_get(fx.dp.peers, fx.dp.max_peers, 20) == NULL);
	return 0;
}

/* KEY_NEW hands the configured backend to both directions of the key. */
static int test_key_backend(void)
{
	struct dp_key *k;

	CHECK(fresh() == 0);
	k = dp_peer_tx_key(dp_peer_get(fx.dp.peers, fx.dp.max_peers, PEER));
	CHECK(k != NULL);
	CHECK_EQ(ovpn_data_key_backend(&k->rx), backend);
	CHECK_EQ(ovpn_data_key_backend(&k->tx), backend);
	CHECK_EQ(fx.dp.status->crypto_backend[SL_CIPHER_AES_256_GCM], backend);
	CHECK(fx.dp.status->crypto_arch[0] != '\0');
	return 0;
}

/*
 * A key state is one block (dp_peer.h): both directions' material follows
 * struct dp_key, rx's then tx's. ipsec-mb: AES-GCM's schedules (1 KiB per
 * direction), CBC's (640 bytes); the IV pool only in a CBC TX key, after
 * its schedules; an OpenSSL AEAD key has no material at all.
 */
static int test_key_layout(void)
{
	bool imb = backend == OVPN_BACKEND_IPSEC_MB;
	size_t cbc = imb ? 640 : 0;
	struct fx_keyset ks = { 0 };
	struct dp_peer *p;
	struct dp_key *k;
	int rc;

	CHECK(fresh() == 0);
	p = dp_peer_get(fx.dp.peers, fx.dp.max_peers, PEER);
	k = dp_peer_tx_key(p);
	CHECK((uintptr_t)k % RTE_CACHE_LINE_SIZE == 0);
	CHECK((uint8_t *)&k->tx - (uint8_t *)k == RTE_CACHE_LINE_SIZE);
	CHECK(k->rx.iv_pool == NULL && k->tx.iv_pool == NULL);
	CHECK(k->rx.imb == (imb ? k->mem : NULL));
	CHECK(k->tx.imb == (imb ? k->mem + 1024 : NULL));
	CHECK_EQ(k->rx.mem_len + k->tx.mem_len, imb ? 2048 : 0);
	CHECK(!k->rx.mem_own && !k->tx.mem_own);

	fx.digest = SL_DIGEST_SHA256;
	rc = fx_add_key(PEER, 1, 4, SL_CIPHER_AES_256_CBC, &ks);
	fx.digest = SL_DIGEST_NONE;
	ovpn_data_key_free(&ks.client_tx);
	ovpn_data_key_free(&ks.client_rx);
	CHECK(rc == 0);
	k = dp_peer_rx_key(p, 4);
	CHECK(k != NULL);
	CHECK(k->rx.iv_pool == NULL);
	CHECK(k->rx.imb == (cbc ? k->mem : NULL));
	CHECK(k->tx.imb == (cbc ? k->mem + cbc : NULL));
	CHECK((uint8_t *)k->tx.iv_pool == k->mem + 2 * cbc);
	CHECK_EQ(k->tx.mem_len, cbc + OVPN_CBC_IV_POOL * OVPN_CBC_IV_LEN);
	return 0;
}

/* Three peers, one cipher each, for the mixed bursts: AEAD and CBC+HMAC
 * (AES-128-CBC with SHA1, vpn.auth's default) through the same stages. */
#define MIX_PEERS	3
static const uint32_t mix_id[MIX_PEERS] = { PEER, PEER_LOCAL, 6 };
static const uint32_t mix_ip[MIX_PEERS] = { FX_VPN_IP, VPN_IP4, 0x0A0A0007u };
static const enum sl_cipher mix_cipher[MIX_PEERS] = {
	SL_CIPHER_AES_256_GCM, SL_CIPHER_AES_128_CBC, SL_CIPHER_CHACHA20_POLY1305,
};
static const size_t mix_len[] = { 28, 60, 200, 576, 1000, 1400 };
static struct fx_keyset mix_ks[MIX_PEERS];

static int mix_setup(void)
{
	CHECK(fresh() == 0);
	CHECK_EQ(fx_add_peer(mix_id[2], mix_ip[2]), 0);
	for (int p = 0; p < MIX_PEERS; p++) {
		fx.digest = mix_cipher[p] == SL_CIPHER_AES_128_CBC ? SL_DIGEST_SHA1 : SL_DIGEST_NONE;
		CHECK_EQ(fx_add_key(mix_id[p], 0, 0, mix_cipher[p], &mix_ks[p]), 0);
	}
	fx.digest = SL_DIGEST_NONE;
	return 0;
}

static void mix_free(void)
{
	for (int p = 0; p < MIX_PEERS; p++) {
		ovpn_data_key_free(&mix_ks[p].client_tx);
		ovpn_data_key_free(&mix_ks[p].client_rx);
	}
}

/*
 * One public burst of 48 packets: three peers with three ciphers, six
 * sizes, and among them a forged tag (auth), a packet-id seen earlier in
 * the same burst (replay: authenticated first, then the window, in burst
 * order) and an unknown key-id. The rest come out in order, intact.
 */
static int mix_decrypt(void)
{
	struct rte_mbuf *pkts[48], *out[48];
	uint8_t in[1400], want[48];
	uint32_t pid[MIX_PEERS] = { 1, 1, 1 };
	uint64_t rx_before[MIX_PEERS], auth = drops(SL_DROP_AUTH), replay = drops(SL_DROP_REPLAY);
	uint64_t nokey = drops(SL_DROP_NO_KEY);
	uint16_t n_want = 0, got;

	for (int p = 0; p < MIX_PEERS; p++)
		rx_before[p] = fx.dp.peer_stats[mix_id[p]].rx_pkts;
	for (int i = 0; i < 48; i++) {
		int p = i % MIX_PEERS;
		size_t len = fx_inner_packet(in, mix_len[i % 6], mix_ip[p], FX_LAN_IP, (uint8_t)i);
		/* Packet 20 (peer 2) reuses the packet-id packet 2 had. */
		uint32_t id = i == 20 ? 1 : pid[p]++;

		pkts[i] = fx_client_packet(&mix_ks[p].client_tx, id, in, len, FX_CLIENT_PORT);
		CHECK(pkts[i] != NULL);
		if (i == 7)
			rte_pktmbuf_mtod_offset(pkts[i], uint8_t *, 42 + 8)[3] ^= 0x40;
		else if (i == 31)
			rte_pktmbuf_mtod_offset(pkts[i], uint8_t *, 42)[0] = OVPN_P_DATA_V2 << 3 | 5;
		else if (i != 20)
			want[n_want++] = (uint8_t)i;
	}
	got = fx_run_rx(pkts, 48, out);
	CHECK_EQ(got, n_want);
	for (uint16_t j = 0; j < got; j++) {
		int i = want[j], p = i % MIX_PEERS;
		size_t len = fx_inner_packet(in, mix_len[i % 6], mix_ip[p], FX_LAN_IP, (uint8_t)i);

		CHECK_EQ(out[j]->pkt_len, 14 + len);
		CHECK_MEM(rte_pktmbuf_mtod_offset(out[j], uint8_t *, 14), in, len);
		rte_pktmbuf_free(out[j]);
	}
	CHECK_EQ(drops(SL_DROP_AUTH) - auth, 1);
	CHECK_EQ(drops(SL_DROP_REPLAY) - replay, 1);
	CHECK_EQ(drops(SL_DROP_NO_KEY) - nokey, 1);
	CHECK_EQ(fx.dp.peer_stats[mix_id[0]].rx_pkts - rx_before[0], 16);
	CHECK_EQ(fx.dp.peer_stats[mix_id[1]].rx_pkts - rx_before[1], 14);	/* 7 forged, 31 no key */
	CHECK_EQ(fx.dp.peer_stats[mix_id[2]].rx_pkts - rx_before[2], 15);	/* 20 replayed */
	return 0;
}

/* Open frame m as the client of peer p would: the inner packet into in[], its pid. */
static int mix_open(struct rte_mbuf *m, int *peer, uint8_t *in, int *len, uint32_t *pid)
{
	uint8_t *pkt = rte_pktmbuf_mtod_offset(m, uint8_t *, 42);
	uint32_t id = (uint32_t)pkt[1] << 16 | (uint32_t)pkt[2] << 8 | pkt[3];
	struct ovpn_data_rx rx;
	int p = 0;

	while (p < MIX_PEERS && mix_id[p] != id)
		p++;
	CHECK(p < MIX_PEERS);
	*len = ovpn_data_open(&mix_ks[p].client_rx, pkt, m->pkt_len - 42, &rx);
	CHECK(*len > 0);
	memcpy(in, pkt + rx.off, (size_t)*len);
	*peer = p;
	*pid = rx.pid;
	return 0;
}

/* One private burst of 48 LAN frames to the three peers, six sizes. */
static int mix_encrypt(void)
{
	struct rte_mbuf *pkts[48], *out[48];
	uint32_t last[MIX_PEERS] = { 0, 0, 0 };
	uint8_t in[1400], want[1400];

	for (int i = 0; i < 48; i++)
		CHECK((pkts[i] = fx_lan_frame(mix_ip[i % MIX_PEERS], mix_len[i % 6],
					      (uint8_t)i)) != NULL);
	CHECK_EQ(fx_run_tx(pkts, 48, out), 48);
	for (int i = 0; i < 48; i++) {
		int p, len;
		uint32_t pid;

		CHECK(mix_open(out[i], &p, in, &len, &pid) == 0);
		CHECK_EQ(p, i % MIX_PEERS);
		CHECK_EQ(pid, last[p] + 1);	/* per peer, in burst order */
		last[p] = pid;
		CHECK_EQ(len, fx_inner_packet(want, mix_len[i % 6], FX_LAN_IP, mix_ip[p],
					      (uint8_t)i));
		CHECK_MEM(in, want, (size_t)len);
		rte_pktmbuf_free(out[i]);
	}
	return 0;
}

static int test_mixed_bursts(void)
{
	int rc = mix_setup();

	if (rc == 0)
		rc = mix_decrypt();
	if (rc == 0)
		rc = mix_encrypt();
	mix_free();
	return rc;
}

static const struct sl_test_case cases[] = {
	{ "peer verbs refuse bad requests", test_peer_verbs_refuse },
	{ "decrypt: every burst size 0..64", test_decrypt_every_burst },
	{ "decrypt: replayed and too old", test_replay },
	{ "decrypt: every tag bit flip", test_tag_bit_flips },
	{ "decrypt: every truncation", test_truncations },
	{ "decrypt: no key for key-id", test_no_key_for_key_id },
	{ "decrypt: spoofed inner source", test_spoofed_source },
	{ "decrypt: unknown peer-id", test_unknown_peer },
	{ "decrypt: inner IPv6 counted apart", test_inner_ipv6 },
	{ "decrypt: ping consumed, OCC EXIT raised", test_ping_and_exit },
	{ "decrypt: float moves the peer", test_float },
	{ "float: a lost event is raised again", test_float_event_reraised },
	{ "float: forged or replayed packets do not move", test_float_needs_fresh_auth },
	{ "key exhaustion: a lost event is raised again", test_exhausted_event_reraised },
	{ "control packets: per-source and total rate", test_cp_rate },
	{ "encrypt: every burst size 0..64", test_encrypt_every_burst },
	{ "encrypt: no peer for destination", test_no_route },
	{ "key swap under traffic", test_key_swap_under_traffic },
	{ "packet-id exhaustion: event then drops", test_pktid_exhaustion },
	{ "owner handoff, every burst size", test_owner_handoff },
	{ "MSS clamp", test_mss_clamp },
	{ "iroute: source and reverse path", test_iroute },
	{ "encrypt: fragments over the tunnel MTU", test_fragment_inner },
	{ "encrypt: fragmentation needed with DF", test_frag_needed },
	{ "frame held until its next hop resolves", test_held_until_resolved },
	{ "P_DATA_V1 peer found by address", test_data_v1_peer },
	{ "input: private burst sorted by one LPM lookup", test_input_lpm_bulk },
	{ "input: P_DATA_V1 peers by one hash lookup", test_input_v1_bulk },
	{ "TX list: what the NIC refuses is tx-full", test_tx_full_counted },
	{ "control packet: payload + destination -> frame", test_cp_tx_frame },
	{ "control packet: unresolved next hop", test_cp_tx_unresolved },
	{ "control packet: IPv6 / TCP destination dropped", test_cp_tx_unsupported },
	{ "TCP peer: out to sl_cp_rx, in from sl_cp_tx", test_tcp_peer },
	{ "commands with IPv6 / TCP refused and counted", test_cmd_unsupported },
	{ "keys get the configured crypto backend", test_key_backend },
	{ "a key state and its material are one block", test_key_layout },
	{ "bursts of mixed peers, ciphers, sizes and drops", test_mixed_bursts },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	static const struct {
		enum cfg_crypto crypto;
		enum ovpn_backend backend;
		const char *suite;
	} runs[] = {
		{ CFG_CRYPTO_OPENSSL, OVPN_BACKEND_OPENSSL, "dp_data/openssl" },
		{ CFG_CRYPTO_IPSEC_MB, OVPN_BACKEND_IPSEC_MB, "dp_data/ipsec-mb" },
	};
	int rc = 0;

	(void)argc;
	if (fx_init(argv[0]) != 0) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	for (unsigned r = 0; r < RTE_DIM(runs); r++) {
		char why[64];

		if (ovpn_backend_probe(runs[r].backend, why, sizeof(why)) != 0) {
			printf("%s: skipped, the backend cannot run here: %s\n", runs[r].suite, why);
			continue;
		}
		if (fx_set_crypto(runs[r].crypto) != 0) {
			fprintf(stderr, "%s: setup failed\n", runs[r].suite);
			rc = 1;
			continue;
		}
		backend = runs[r].backend;
		rc |= sl_test_run(runs[r].suite, cases);
	}
	fx_fini();
	return rc;
}
