/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iofwd -c FILE [--time S] [--dst MAC] [--rx-only]: the I/O floor of a Sluice
 * configuration's ports. The same EAL arguments (cfg_eal_args: the
 * config's lcores, file prefix and memory, --no-pci unless the config
 * names PCI devices, its vdevs with their options), the same packet pool
 * and the same port setup (dp_shared_create, dp_ports_init: one queue pair
 * per worker lcore, the configured descriptors and MTU) as
 * sluice-dataplane; then each worker lcore forwards what arrives on one
 * port out of the other, with no crypto and no lookup: the Ethernet source
 * becomes the sending port's MAC and, with --dst, the destination of
 * frames leaving the private port becomes MAC (so they reach the LAN
 * host's stack as Sluice's would). --rx-only frees what it receives
 * instead: the receive half of the floor alone, so the transmit half (the
 * TX kick, a sendto() per burst for net_af_packet and for net_af_xdp in
 * copy mode, and the kernel's veth path behind it) is the difference.
 * The port type is the config's: bench/vs_openvpn_load.sh gives it
 * LG_PORT's vdevs (bench/loadgen/lg_lib.sh).
 *
 * Cycles are counted as the worker counts them (dataplane/dp_cycles.h):
 * a poll that returned frames is busy from its call to the end of their
 * transmission (lost if that took over DP_CLOCK_LOST_US: preempted),
 * empty polls and the gaps between polls are idle. Runs S
 * seconds (default 10) or until SIGTERM/SIGINT, then prints one key=value
 * line:
 *   iofwd rx_public= tx_private= rx_private= tx_public= tx_drop=
 *         busy_cycles= idle_cycles= lost_cycles= tsc_hz= cycles_per_pkt=
 * cycles_per_pkt is busy cycles per received frame, as the worker's
 * cycles/pkt in `sluicectl status` (docs/operations.md); lost_cycles are
 * the busy intervals the thread lost its CPU in (not in busy_cycles).
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "cfg.h"
#include "cfg_eal.h"
#include "dp.h"
#include "dp_cycles.h"
#include "sl_log.h"

#define IOFWD_TIME_MAX	600

/* One worker lcore's counters, by the port a frame arrived on. */
struct fwd_stats {
	uint64_t rx[CFG_PORT_COUNT], tx[CFG_PORT_COUNT], drop;
	uint64_t busy, idle, lost;	/* dp_cycles.h */
} __rte_cache_aligned;

struct fwd {
	struct dp dp;
	struct rte_ether_addr dst;	/* frames out of the private port */
	bool set_dst;
	bool rx_only;
	struct fwd_stats st[SL_MAX_LCORES];
	uint16_t queue[RTE_MAX_LCORE];	/* worker lcore -> its queue */
};

static struct fwd the_fwd;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store_explicit(&the_fwd.dp.quit, true, memory_order_relaxed);
}

/* One poll of port IN on queue Q; what it got goes out of the other port.
 * Returns the frames received. */
static uint16_t forward(struct fwd *f, struct fwd_stats *st, int in, uint16_t q)
{
	struct rte_mbuf *pkts[DP_BURST_MAX];
	int out = in == CFG_PORT_PUBLIC ? CFG_PORT_PRIVATE : CFG_PORT_PUBLIC;
	const struct dp_port *po = &f->dp.port[out];
	uint16_t n, sent;

	n = rte_eth_rx_burst(f->dp.port[in].port_id, q, pkts, f->dp.burst);
	if (n == 0)
		return 0;
	st->rx[in] += n;
	if (f->rx_only) {
		rte_pktmbuf_free_bulk(pkts, n);
		return n;
	}
	for (uint16_t i = 0; i < n; i++) {
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);

		eth->src_addr = po->mac;
		if (out == CFG_PORT_PRIVATE && f->set_dst)
			eth->dst_addr = f->dst;
	}
	sent = rte_eth_tx_burst(po->port_id, q, pkts, n);
	if (sent < n)
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	st->tx[out] += sent;
	st->drop += n - sent;
	return n;
}

static int fwd_loop(void *arg)
{
	struct fwd *f = arg;
	uint16_t q = f->queue[rte_lcore_id()];
	struct fwd_stats *st = &f->st[q];
	struct dp_clock c;

	dp_clock_start(&c, &st->busy, &st->idle, &st->lost, rte_rdtsc());
	while (!atomic_load_explicit(&f->dp.quit, memory_order_relaxed)) {
		for (int i = 0; i < CFG_PORT_COUNT; i++) {
			uint64_t t = rte_rdtsc();

			if (forward(f, st, i, q) != 0)
				dp_clock_work_since(&c, t);
		}
		dp_clock_idle(&c, rte_rdtsc());
	}
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: iofwd -c FILE [--time S (1..%d, default 10)] [--dst MAC] [--rx-only]\n",
		IOFWD_TIME_MAX);
}

static int parse_args(int argc, char **argv, const char **file, unsigned *secs)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "time", required_argument, NULL, 't' },
		{ "dst", required_argument, NULL, 'd' },
		{ "rx-only", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int o;

	while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			*file = optarg;
			break;
		case 't':
			*secs = (unsigned)strtoul(optarg, &end, 10);
			if (*end != '\0' || *secs < 1 || *secs > IOFWD_TIME_MAX) {
				fprintf(stderr, "iofwd: --time: 1..%d seconds\n", IOFWD_TIME_MAX);
				return -1;
			}
			break;
		case 'd':
			if (rte_ether_unformat_addr(optarg, &the_fwd.dst) != 0) {
				fprintf(stderr, "iofwd: --dst: not a MAC address\n");
				return -1;
			}
			the_fwd.set_dst = true;
			break;
		case 'r':
			the_fwd.rx_only = true;
			break;
		default:
			usage(o == 'h' ? stdout : stderr);
			return o == 'h' ? 1 : -1;
		}
	}
	if (*file == NULL || optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

/* EAL from the config exactly as the data plane makes it; the arguments
 * and the worker lcores' CPUs are printed, so the run says where it ran. */
static int eal_start(const struct sl_config *cfg)
{
	char *argv[CFG_EAL_MAX_ARGS], buf[2048];
	int argc = cfg_eal_args(cfg, CFG_EAL_PRIMARY, "iofwd", argv, CFG_EAL_MAX_ARGS,
				buf, sizeof(buf));
	unsigned lcore, q = 0;

	if (argc < 0) {
		fprintf(stderr, "iofwd: EAL arguments do not fit\n");
		return -1;
	}
	printf("# iofwd EAL:");
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "iofwd: EAL init failed: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	printf("# iofwd workers:");
	RTE_LCORE_FOREACH_WORKER(lcore) {
		the_fwd.queue[lcore] = (uint16_t)q++;
		printf(" lcore %u on cpu %d (queue %u)", lcore, rte_lcore_to_cpu_id((int)lcore),
		       q - 1);
	}
	printf("\n");
	fflush(stdout);
	return 0;
}

static void report(const struct fwd *f)
{
	struct fwd_stats t = { 0 };
	uint64_t rx;

	for (unsigned i = 0; i < f->dp.n_workers; i++) {
		for (int p = 0; p < CFG_PORT_COUNT; p++) {
			t.rx[p] += f->st[i].rx[p];
			t.tx[p] += f->st[i].tx[p];
		}
		t.drop += f->st[i].drop;
		t.busy += f->st[i].busy;
		t.idle += f->st[i].idle;
		t.lost += f->st[i].lost;
	}
	rx = t.rx[CFG_PORT_PUBLIC] + t.rx[CFG_PORT_PRIVATE];
	printf("iofwd rx_public=%" PRIu64 " tx_private=%" PRIu64 " rx_private=%" PRIu64
	       " tx_public=%" PRIu64 " tx_drop=%" PRIu64 " busy_cycles=%" PRIu64
	       " idle_cycles=%" PRIu64 " lost_cycles=%" PRIu64 " tsc_hz=%" PRIu64
	       " cycles_per_pkt=%" PRIu64 "\n",
	       t.rx[CFG_PORT_PUBLIC], t.tx[CFG_PORT_PRIVATE], t.rx[CFG_PORT_PRIVATE],
	       t.tx[CFG_PORT_PUBLIC], t.drop, t.busy, t.idle, t.lost, rte_get_tsc_hz(),
	       rx ? t.busy / rx : 0);
}

int main(int argc, char **argv)
{
	struct fwd *f = &the_fwd;
	struct dp *dp = &f->dp;
	struct sl_config cfg;
	const char *file = NULL;
	unsigned secs = 10;
	uint64_t end;
	int rc = 1;

	rc = parse_args(argc, argv, &file, &secs);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	rc = 1;
	if (cfg_load_report(&cfg, file, stderr) < 0)
		return 1;
	sl_log_init("iofwd", cfg.dp.log_level);
	if (eal_start(&cfg) < 0)
		goto free_config;
	dp->cfg = &cfg;
	dp->burst = cfg.dp.burst;
	dp->n_workers = rte_lcore_count() - 1;
	if (dp->n_workers == 0 || dp->n_workers > SL_MAX_LCORES) {
		fprintf(stderr, "iofwd: dataplane.lcores: need 1..%d workers besides the main lcore\n",
			SL_MAX_LCORES);
		goto eal_cleanup;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (dp_shared_create(dp) < 0)
		goto eal_cleanup;
	if (dp_ports_init(dp) < 0)
		goto stop;
	if (rte_eal_mp_remote_launch(fwd_loop, f, SKIP_MAIN) != 0)
		goto stop;
	printf("# iofwd forwarding for %u s\n", secs);
	fflush(stdout);
	end = rte_get_tsc_cycles() + secs * rte_get_tsc_hz();
	while (!atomic_load_explicit(&dp->quit, memory_order_relaxed) &&
	       rte_get_tsc_cycles() < end)
		usleep(10000);
	rc = 0;
stop:
	atomic_store_explicit(&dp->quit, true, memory_order_relaxed);
	rte_eal_mp_wait_lcore();
	if (rc == 0)
		report(f);
	dp_ports_stop(dp);
	dp_shared_free(dp);
eal_cleanup:
	rte_eal_cleanup();
	dp_cleanup_files(cfg.dp.file_prefix);
free_config:
	cfg_free(&cfg);
	return rc;
}
