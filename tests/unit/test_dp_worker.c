/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's busy/idle cycle accounting (dataplane/dp_cycles.h,
 * dp_worker_iteration): an empty poll is idle however often the loop
 * spins, a poll that found a packet is busy from its call to the end of
 * the work it led to (the gap before it is not; over DP_CLOCK_LOST_US it
 * is lost, the thread preempted in it), and every cycle is counted once;
 * with dataplane.idle_sleep_us the worker sleeps in an idle spell, and the
 * sleeps are idle. The loop runs in process on two net_ring
 * ports (each queue's RX ring is its TX ring, so a frame sent on a port
 * comes back as received), with the fixture's tables and worker 0.
 */
#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>

#include "dp_cycles.h"
#include "dp_fixture.h"
#include "sl_test.h"

/* The accounting itself, with injected time. */
static int test_clock(void)
{
	uint64_t busy = 0, idle = 0, lost = 0;
	struct dp_clock c;

	dp_clock_start(&c, &busy, &idle, &lost, 1000);
	c.lost_limit = 100;
	dp_clock_idle(&c, 1100);		/* empty polls */
	CHECK_EQ(idle, 100);
	CHECK_EQ(busy, 0);
	/* A gap (say, preempted) from 1100 to 1300, then a poll at 1300 that
	 * found packets, done at 1350: only its 50 cycles are busy. */
	dp_clock_work(&c, 1300, 1350);
	CHECK_EQ(busy, 50);
	CHECK_EQ(idle, 300);
	dp_clock_work(&c, 1350, 1360);		/* right after: no gap */
	CHECK_EQ(busy, 60);
	CHECK_EQ(idle, 300);
	dp_clock_idle(&c, 1360);
	CHECK_EQ(idle, 300);
	/* Work that took over the limit: the thread lost its CPU in it. */
	dp_clock_work(&c, 1400, 1600);
	CHECK_EQ(lost, 200);
	CHECK_EQ(busy, 60);
	CHECK_EQ(idle, 340);
	dp_clock_work(&c, 1600, 1700);		/* exactly the limit: busy */
	CHECK_EQ(busy, 160);
	CHECK_EQ(lost, 200);
	CHECK_EQ(busy + idle + lost, c.mark - 1000);
	return 0;
}

/* net_ring0 and net_ring1 as the fixture's ports 0 (public) and 1 (private). */
static int ring_ports(void)
{
	static const char *const names[] = { "net_ring0", "net_ring1" };
	struct rte_eth_conf conf = { 0 };

	for (uint16_t i = 0; i < 2; i++) {
		uint16_t id;

		if (rte_dev_probe(names[i]) != 0 ||
		    rte_eth_dev_get_port_by_name(names[i], &id) != 0 ||
		    id != fx.dp.port[i].port_id ||
		    rte_eth_dev_configure(id, 1, 1, &conf) != 0 ||
		    rte_eth_rx_queue_setup(id, 0, 256, SOCKET_ID_ANY, NULL, fx.dp.pool) != 0 ||
		    rte_eth_tx_queue_setup(id, 0, 256, SOCKET_ID_ANY, NULL) != 0 ||
		    rte_eth_dev_start(id) != 0)
			return -1;
	}
	return 0;
}

/* Put M on the port's receive side (its queue 0 ring). */
static int inject(int port, struct rte_mbuf *m)
{
	return rte_eth_tx_burst(fx.dp.port[port].port_id, 0, &m, 1) == 1 ? 0 : -1;
}

/* Frames the worker sent on the port (they wait on its receive side). */
static uint16_t sent(int port)
{
	struct rte_mbuf *pkts[32];
	uint16_t n = rte_eth_rx_burst(fx.dp.port[port].port_id, 0, pkts, 32);

	rte_pktmbuf_free_bulk(pkts, n);
	return n;
}

/* An ICMP echo request from the LAN host to the private port's address. */
static struct rte_mbuf *lan_echo(void)
{
	uint8_t ip[64];

	fx_l4_packet(ip, sizeof(ip), FX_LAN_IP, FX_PRIV_IP, IPPROTO_ICMP, 7, 0, 0, 0xab);
	return fx_lan_frame_of(ip, sizeof(ip));
}

static void iterate(struct dp_worker *w, struct dp_clock *c, unsigned n)
{
	while (n--) {
		w->now_tsc = c->mark;
		dp_worker_iteration(w, c);
	}
}

static int test_worker_accounting(void)
{
	struct dp_worker *w = &fx.wk[0];
	struct sl_lcore_stats *st = w->stats;
	struct rte_mbuf *m;
	struct dp_clock c;
	uint64_t start, busy, idle;

	CHECK(fx_reset() == 0);
	memset(st, 0, sizeof(*st));
	start = rte_rdtsc();
	dp_clock_start(&c, &st->busy_cycles, &st->idle_cycles, &st->lost_cycles, start);

	/* Nothing to receive: every poll is empty, nothing is busy. */
	iterate(w, &c, 100);
	CHECK_EQ(st->rx_pkts, 0);
	CHECK_EQ(st->busy_cycles, 0);
	CHECK_EQ(st->lost_cycles, 0);
	CHECK(st->idle_cycles > 0);
	CHECK_EQ(st->busy_cycles + st->idle_cycles + st->lost_cycles, c.mark - start);

	/* One echo request: its poll, the reply and the flush are busy; the
	 * same iteration's empty polls (the public port, the rings) are idle. */
	CHECK((m = lan_echo()) != NULL);
	CHECK(inject(CFG_PORT_PRIVATE, m) == 0);
	idle = st->idle_cycles;
	iterate(w, &c, 1);
	CHECK_EQ(st->rx_pkts, 1);
	CHECK_EQ(st->icmp_replies, 1);
	CHECK_EQ(st->tx_pkts, 1);
	CHECK_EQ(sent(CFG_PORT_PRIVATE), 1);
	/* Busy, or lost if this thread was preempted for 1 ms in the middle. */
	CHECK(st->busy_cycles + st->lost_cycles > 0);
	CHECK(st->idle_cycles > idle);
	CHECK_EQ(st->busy_cycles + st->idle_cycles + st->lost_cycles, c.mark - start);

	/* Empty again: busy (and lost) stay where the packet left them. */
	busy = st->busy_cycles + st->lost_cycles;
	iterate(w, &c, 100);
	CHECK_EQ(st->rx_pkts, 1);
	CHECK_EQ(st->busy_cycles + st->lost_cycles, busy);
	CHECK_EQ(st->busy_cycles + st->idle_cycles + st->lost_cycles, c.mark - start);
	return 0;
}

/* dataplane.idle_sleep_us: past DP_IDLE_SPELL empty passes every pass
 * sleeps, the sleeps are idle, and a packet restarts the count. */
static int test_idle_sleep(void)
{
	struct dp_worker *w = &fx.wk[0];
	struct sl_lcore_stats *st = w->stats;
	struct rte_mbuf *m;
	struct dp_clock c;
	uint64_t start, idle;

	CHECK(fx_reset() == 0);
	memset(st, 0, sizeof(*st));
	fx.cfg.dp.idle_sleep_us = 20;
	start = rte_rdtsc();
	dp_clock_start(&c, &st->busy_cycles, &st->idle_cycles, &st->lost_cycles, start);

	iterate(w, &c, DP_IDLE_SPELL - 1);	/* not yet a spell: polling only */
	CHECK_EQ(c.naps, 0);
	CHECK_EQ(c.empty, DP_IDLE_SPELL - 1);
	idle = st->idle_cycles;
	iterate(w, &c, 10);			/* a spell: each pass sleeps */
	CHECK_EQ(c.naps, 10);
	CHECK_EQ(st->busy_cycles, 0);
	CHECK_EQ(st->lost_cycles, 0);
	CHECK(st->idle_cycles > idle);		/* the sleeps among them */
	CHECK_EQ(st->busy_cycles + st->idle_cycles + st->lost_cycles, c.mark - start);

	/* A packet: its pass is busy and the count starts again. */
	CHECK((m = lan_echo()) != NULL);
	CHECK(inject(CFG_PORT_PRIVATE, m) == 0);
	iterate(w, &c, 1);
	CHECK_EQ(st->rx_pkts, 1);
	CHECK_EQ(sent(CFG_PORT_PRIVATE), 1);
	CHECK(st->busy_cycles + st->lost_cycles > 0);
	CHECK_EQ(c.empty, 1);
	CHECK_EQ(c.naps, 10);
	iterate(w, &c, DP_IDLE_SPELL - 2);	/* polling again until the next spell */
	CHECK_EQ(c.naps, 10);
	iterate(w, &c, 1);
	CHECK_EQ(c.naps, 11);
	CHECK_EQ(st->busy_cycles + st->idle_cycles + st->lost_cycles, c.mark - start);

	/* 0: polling only, however long the spell. */
	fx.cfg.dp.idle_sleep_us = 0;
	iterate(w, &c, 2 * DP_IDLE_SPELL);
	CHECK_EQ(c.naps, 11);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "clock: a busy poll's own cycles busy, the gap before it idle, over 1 ms lost, each once", test_clock },
	{ "worker: empty polls idle, a packet's poll and work busy", test_worker_accounting },
	{ "worker: idle_sleep_us sleeps past an idle spell, as idle; a packet restarts the count",
	  test_idle_sleep },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	int rc;

	(void)argc;
	if (fx_init(argv[0]) != 0 || ring_ports() != 0) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	rc = sl_test_run("dp_worker", cases);
	for (int i = 0; i < 2; i++) {
		rte_eth_dev_stop(fx.dp.port[i].port_id);
		rte_eth_dev_close(fx.dp.port[i].port_id);
	}
	fx_fini();
	return rc;
}
