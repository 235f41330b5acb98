/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pipeline benchmark (bench/run calls it): the worker path with N peers
 * installed through the typed commands the control plane sends
 * (SL_CMD_PEER_NEW and SL_CMD_KEY_NEW executed by dp_cmd_exec, as the main
 * lcore executes them), each burst's packets spread over random peers,
 * with or without an access-rule set, per cipher, size and direction
 * (decrypt: client to LAN; encrypt: LAN to client; mixed: bursts of both in
 * turn). Reported: cycles per packet, Mpps and Gbit/s of inner bytes on
 * this core, and the ratio of the bare crypto ceiling to the pipeline's
 * cycles: the data channel's own burst call on hot buffers of the same size
 * with a key of the same backend the data plane's keys get, in the same
 * run on the same core: ovpn_data_open_burst() of freshly sealed packets
 * for the decrypt rows, ovpn_data_seal_burst() for the encrypt rows, their
 * mean for the mixed rows (half the bursts each way). 1.0 would be a
 * pipeline that costs nothing beyond the crypto.
 *
 * Memory: DPDK heap bytes (rte_malloc_get_socket_stats) and the C heap's
 * (mallinfo2: OpenSSL contexts) before and after the peers and their keys
 * are installed, per peer; plus the tables sized by vpn.max_clients.
 *
 * Accounting: every packet offered is delivered or counted in one of the
 * worker's drop reasons (struct sl_lcore_stats drop[]); a row where the
 * two do not add up fails the run (exit 1), drops themselves do not.
 *
 * In process, no ports (tests/common/dp_fixture.c); packets are built
 * before timing, the timing covers bursts of 32; best of --passes rounds.
 * EAL's memory: hugepages (--huge on), 4 KiB pages (--huge off: runs
 * anywhere, the smoke test's), or hugepages when enough are free (auto,
 * the default); the header line says which. A deployment runs on
 * hugepages: on 4 KiB pages the state of many peers costs TLB misses.
 *
 * Usage: bench_pipe [--peers N] [--rules R] [--cipher NAME]... [--size S]...
 *                   [--dir decrypt|encrypt|mixed]... [--round N] [--passes P]
 *                   [--huge on|off|auto]
 */
#include <malloc.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>

#include "bench_util.h"
#include "dp_fixture.h"
#include "ovpn_engine.h"

#define BURST		32
#define ROUND_MAX	4096
#define POOL_NET	0x0A400000u	/* 10.64.0.0: peers past the /16 pool (vpn.pool is at
				 * most a /16) get addresses beyond it, found by the LPM */
#define LIST_MAX	8

enum dir { DIR_DECRYPT, DIR_ENCRYPT, DIR_MIXED };
static const char *const dir_names[] = { "decrypt", "encrypt", "mixed" };
enum huge { HUGE_AUTO, HUGE_ON, HUGE_OFF };
static const char *const huge_names[] = { "auto", "on", "off" };

static const struct {
	const char *name;
	enum sl_cipher cipher;
	enum sl_digest digest;
} ciphers[] = {
	{ "AES-256-GCM", SL_CIPHER_AES_256_GCM, SL_DIGEST_NONE },
	{ "CHACHA20-POLY1305", SL_CIPHER_CHACHA20_POLY1305, SL_DIGEST_NONE },
	{ "AES-256-CBC", SL_CIPHER_AES_256_CBC, SL_DIGEST_SHA256 },	/* + HMAC-SHA256 */
};

struct opts {
	unsigned peers, rules, round, passes;
	enum huge huge;
	unsigned n_c, n_s, n_d;
	unsigned c[LIST_MAX];
	size_t s[LIST_MAX];
	enum dir d[LIST_MAX];
};

static uint32_t *next_pid;	/* per peer-id, the client's next packet-id */
static unsigned key_gen;

static uint32_t vpn_ip(uint32_t p)
{
	return POOL_NET + p;
}

static uint16_t client_port(uint32_t p)
{
	return (uint16_t)(1024 + p % 64000);
}

static uint32_t random_peer(const struct opts *o)
{
	return 1 + (uint32_t)rte_rand_max(o->peers);
}

/* Peers 1..N through SL_CMD_PEER_NEW, each from its own client port. */
static int install_peers(unsigned n)
{
	for (uint32_t p = 1; p <= n; p++) {
		struct sl_cmd c = { .type = SL_CMD_PEER_NEW, .peer_id = p };
		int rc;

		c.u.peer.remote = sl_endpoint_udp4(FX_CLIENT_IP, client_port(p));
		c.u.peer.vpn = sl_addr_v4(vpn_ip(p));
		memcpy(c.u.peer.remote_mac, fx_client_mac.addr_bytes, 6);
		if ((rc = fx_cmd(&c)) != 0) {
			fprintf(stderr, "bench_pipe: PEER_NEW %u: %d\n", p, rc);
			return -1;
		}
	}
	return 0;
}

/*
 * SL_CMD_KEY_NEW of a new key-id for every peer (the same key material,
 * which costs the data plane what distinct keys would), and the client's
 * sealing context once: its peer-id is set per packet.
 */
static int install_keys(unsigned n, unsigned ci)
{
	unsigned key_id = ++key_gen & 7;

	fx.digest = ciphers[ci].digest;
	for (uint32_t p = 1; p <= n; p++) {
		int rc = fx_key_cmd(p, 0, key_id, ciphers[ci].cipher, &fx.ks[0]);

		if (rc != 0) {
			fprintf(stderr, "bench_pipe: KEY_NEW %u: %d\n", p, rc);
			return -1;
		}
		next_pid[p] = 1;
	}
	return fx_add_key(1, 0, key_id, ciphers[ci].cipher, &fx.ks[0]);
}

/* Client to LAN: UDP from the peer's address, sealed as that peer. */
static struct rte_mbuf *pkt_decrypt(uint32_t p, size_t size)
{
	uint8_t in[2048];

	fx_l4_packet(in, size, vpn_ip(p), FX_LAN_IP, IPPROTO_UDP, 1024, 53, 0, 1);
	fx.ks[0].client_tx.peer_id = p;
	return fx_client_packet(&fx.ks[0].client_tx, next_pid[p]++, in, size, client_port(p));
}

/* LAN to client: the reply of the flow pkt_decrypt opens. */
static struct rte_mbuf *pkt_encrypt(uint32_t p, size_t size)
{
	uint8_t in[2048];

	fx_l4_packet(in, size, FX_LAN_IP, vpn_ip(p), IPPROTO_UDP, 53, 1024, 0, 1);
	return fx_lan_frame_of(in, size);
}

static uint64_t drops(void)
{
	uint64_t d = 0;

	for (unsigned i = 0; i < SL_DROP_MAX; i++)
		d += fx.stats[0].drop[i] + fx.stats[1].drop[i];
	return d;
}

struct tally {
	uint64_t offered, delivered, dropped;
};

/* One round of N packets in bursts; cycles of the stages only. */
static uint64_t round_run(const struct opts *o, size_t size, enum dir d, struct tally *t)
{
	static struct rte_mbuf *pkts[ROUND_MAX];
	struct rte_mbuf *out[DP_TXQ_MAX];
	uint64_t cycles = 0, d0 = drops();

	for (unsigned i = 0; i < o->round; i++) {
		bool enc = d == DIR_ENCRYPT || (d == DIR_MIXED && (i / BURST) % 2 == 1);
		uint32_t p = random_peer(o);

		pkts[i] = enc ? pkt_encrypt(p, size) : pkt_decrypt(p, size);
		if (pkts[i] == NULL)
			return 0;
	}
	for (unsigned i = 0; i < o->round; i += BURST) {
		uint16_t b = (uint16_t)RTE_MIN((unsigned)BURST, o->round - i), got;
		bool enc = d == DIR_ENCRYPT || (d == DIR_MIXED && (i / BURST) % 2 == 1);
		uint64_t t0 = rte_rdtsc();

		got = enc ? fx_run_tx(pkts + i, b, out) : fx_run_rx(pkts + i, b, out);
		cycles += rte_rdtsc() - t0;
		t->delivered += got;
		rte_pktmbuf_free_bulk(out, got);
		rte_rcu_qsbr_quiescent(fx.dp.qsbr, 0);
	}
	t->offered += o->round;
	t->dropped += drops() - d0;
	return cycles;
}

/* Bare crypto cycles per packet, each way. */
struct ceil {
	double seal, open;
};

/* A key of the backend the data plane gives cipher CI, for direction DIR. */
static int ceiling_key(struct ovpn_data_key *k, unsigned ci, enum ovpn_data_dir dir)
{
	struct ovpn_data_key_cfg kc = {
		.dir = dir, .key_id = 1, .opcode = OVPN_P_DATA_V2, .peer_id = 1,
		.cipher_key = fx.ks[0].s2c, .hmac_key = fx.ks[0].s2c_iv,
	};

	dp_crypto_key_cfg(&fx.dp, ciphers[ci].cipher, ciphers[ci].digest, &kc);
	kc.backend = fx.dp.key_backend[ciphers[ci].cipher];
	return ovpn_data_key_init(k, &kc);
}

/*
 * The bare crypto, what bench_crypto measures: bursts of 32 on hot buffers
 * with one hot key, sealed by ovpn_data_seal_burst() then opened by
 * ovpn_data_open_burst() (the packets just sealed, as the pipeline opens
 * packets a client sealed), each timed on its own; best of PASSES passes
 * of N packets each way. -1 if a key, a seal or an open failed.
 */
static int ceiling(unsigned ci, size_t size, unsigned n, unsigned passes, struct ceil *c)
{
	static uint8_t buf[BURST][2048];
	struct ovpn_data_op ops[BURST];
	struct ovpn_engine *e = ovpn_engine_new();
	struct ovpn_data_key tx = { 0 }, rx = { 0 };
	uint64_t best_seal = UINT64_MAX, best_open = UINT64_MAX;
	uint32_t pid = 1;
	int bad = e == NULL || ceiling_key(&tx, ci, OVPN_DATA_DIR_TX) != 0 ||
		  ceiling_key(&rx, ci, OVPN_DATA_DIR_RX) != 0;

	n = n / BURST * BURST;
	for (unsigned r = 0; r < passes && !bad; r++) {
		uint64_t seal = 0, open = 0;

		for (unsigned i = 0; i < n; i += BURST) {
			uint64_t t0, t1, t2;

			for (unsigned j = 0; j < BURST; j++)
				ops[j] = (struct ovpn_data_op){ .k = &tx, .pkt = buf[j], .len = size,
								.cap = sizeof(buf[j]), .pid = pid++ };
			t0 = rte_rdtsc();
			ovpn_data_seal_burst(e, ops, BURST);
			t1 = rte_rdtsc();
			for (unsigned j = 0; j < BURST; j++) {
				bad |= ops[j].result <= 0;
				ops[j] = (struct ovpn_data_op){ .k = &rx, .pkt = buf[j],
								.len = (size_t)ops[j].result };
			}
			t2 = rte_rdtsc();
			ovpn_data_open_burst(e, ops, BURST);
			open += rte_rdtsc() - t2;
			seal += t1 - t0;
			for (unsigned j = 0; j < BURST; j++)
				bad |= ops[j].result != (int)size;
		}
		best_seal = RTE_MIN(best_seal, seal);
		best_open = RTE_MIN(best_open, open);
	}
	ovpn_data_key_free(&tx);
	ovpn_data_key_free(&rx);
	ovpn_engine_free(e);
	c->seal = (double)best_seal / n;
	c->open = (double)best_open / n;
	return bad ? -1 : 0;
}

/* The ceiling of a row: the crypto its packets get. */
static double ceiling_of(const struct ceil *c, enum dir d)
{
	return d == DIR_DECRYPT ? c->open : d == DIR_ENCRYPT ? c->seal : (c->seal + c->open) / 2;
}

/* Rule set of R rules (0: none), and with rules, every peer's flow opened. */
static int rules_and_flows(const struct opts *o)
{
	struct rte_mbuf *out[DP_TXQ_MAX];

	if (o->rules == 0)
		return 0;
	if (fx_publish(bench_rule_set(o->rules - 1, FX_LAN_IP)) != 0)
		return -1;
	for (uint32_t p = 1; p <= o->peers; p++) {
		struct rte_mbuf *m = pkt_decrypt(p, 64);

		rte_pktmbuf_free_bulk(out, fx_run_rx(&m, 1, out));
		rte_rcu_qsbr_quiescent(fx.dp.qsbr, 0);
	}
	return 0;
}

static int row(const struct opts *o, unsigned ci, size_t size, enum dir d)
{
	double hz = (double)rte_get_tsc_hz(), ceil_cyc, cyc;
	struct tally t = { 0 };
	uint64_t best = UINT64_MAX;
	struct ceil c;

	/* Hot buffers vary little: 10 passes at most (a profile's long runs
	 * of the pipeline need not sample as much of the ceiling). */
	if (ceiling(ci, size, RTE_MAX(o->round, 1024u), RTE_MIN(o->passes, 10u), &c) != 0) {
		fprintf(stderr, "bench_pipe: %s/%zu: the ceiling's crypto failed\n",
			ciphers[ci].name, size);
		return -1;
	}
	ceil_cyc = ceiling_of(&c, d);
	for (unsigned r = 0; r < o->passes; r++) {
		uint64_t c = round_run(o, size, d, &t);

		if (c == 0)
			return -1;
		best = RTE_MIN(best, c);
	}
	cyc = (double)best / o->round;
	printf("%-18s %5zu %-8s %7u %6u %-9s %9.0f %7.3f %7.2f %9.0f %6.2f %9lu %9lu %9lu\n",
	       ciphers[ci].name, size, dir_names[d], o->peers, o->rules,
	       ovpn_backend_name(fx.dp.key_backend[ciphers[ci].cipher]), cyc, hz / cyc / 1e6,
	       hz / cyc * (double)size * 8 / 1e9, ceil_cyc, ceil_cyc / cyc,
	       (unsigned long)t.offered, (unsigned long)t.delivered, (unsigned long)t.dropped);
	if (t.offered != t.delivered + t.dropped) {
		fprintf(stderr, "bench_pipe: %s/%zu/%s: offered %lu != delivered %lu + dropped %lu\n",
			ciphers[ci].name, size, dir_names[d], (unsigned long)t.offered,
			(unsigned long)t.delivered, (unsigned long)t.dropped);
		return -1;
	}
	return 0;
}

static size_t heap_used(void)
{
	struct rte_malloc_socket_stats s;

	rte_malloc_get_socket_stats(0, &s);
	return s.heap_allocsz_bytes;
}

static int parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .peers = 1000, .round = 1024, .passes = 3, .huge = HUGE_AUTO };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned k;

		if (v == NULL)
			return -1;
		i++;
		if (strcmp(a, "--peers") == 0) {
			o->peers = (unsigned)atoi(v);
		} else if (strcmp(a, "--rules") == 0) {
			o->rules = (unsigned)atoi(v);
		} else if (strcmp(a, "--round") == 0) {
			o->round = (unsigned)atoi(v);
		} else if (strcmp(a, "--passes") == 0) {
			o->passes = (unsigned)atoi(v);
		} else if (strcmp(a, "--size") == 0 && o->n_s < LIST_MAX) {
			o->s[o->n_s++] = (size_t)atoi(v);
		} else if (strcmp(a, "--cipher") == 0 && o->n_c < LIST_MAX) {
			for (k = 0; k < RTE_DIM(ciphers) && strcmp(v, ciphers[k].name) != 0; k++)
				;
			if (k == RTE_DIM(ciphers))
				return -1;
			o->c[o->n_c++] = k;
		} else if (strcmp(a, "--huge") == 0) {
			for (k = 0; k < RTE_DIM(huge_names) && strcmp(v, huge_names[k]) != 0; k++)
				;
			if (k == RTE_DIM(huge_names))
				return -1;
			o->huge = (enum huge)k;
		} else if (strcmp(a, "--dir") == 0 && o->n_d < LIST_MAX) {
			for (k = 0; k < RTE_DIM(dir_names) && strcmp(v, dir_names[k]) != 0; k++)
				;
			if (k == RTE_DIM(dir_names))
				return -1;
			o->d[o->n_d++] = (enum dir)k;
		} else {
			return -1;
		}
	}
	if (o->peers == 0 || o->peers > 250000 || o->round == 0 || o->round > ROUND_MAX ||
	    o->passes == 0)
		return -1;
	if (o->n_c == 0)
		o->c[o->n_c++] = 0;
	if (o->n_s == 0)
		o->s[o->n_s++] = 1400;
	if (o->n_d == 0)
		o->d[o->n_d++] = DIR_DECRYPT;
	for (unsigned i = 0; i < o->n_s; i++)
		if (o->s[i] < 40 || o->s[i] > 1400)
			return -1;
	return 0;
}

/*
 * Hugepage bytes free now (/proc/meminfo), 0 if none; *page their size.
 */
static uint64_t huge_free(uint64_t *page)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long long v, pages = 0, kb = 0;
	char line[128];

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "HugePages_Free: %llu", &v) == 1)
			pages = v;
		else if (sscanf(line, "Hugepagesize: %llu kB", &v) == 1)
			kb = v;
	if (f != NULL)
		fclose(f);
	*page = kb * 1024;
	return pages * kb * 1024;
}

/*
 * --huge auto: hugepages if those free hold the fixture's start (mbufs,
 * the VPN LPM, tables: about 150 MB) with room to spare plus 4 KiB a peer
 * (the target per peer; today's state is below it). DESC says what was
 * picked.
 */
static bool use_huge(const struct opts *o, char *desc, size_t len)
{
	uint64_t page, avail = huge_free(&page), need = (256ull << 20) + (uint64_t)o->peers * 4096;
	bool on = o->huge == HUGE_ON || (o->huge == HUGE_AUTO && avail >= need);

	if (on)
		snprintf(desc, len, "hugepages of %lu kB (--huge %s, %lu MiB free at start)",
			 (unsigned long)(page >> 10), huge_names[o->huge],
			 (unsigned long)(avail >> 20));
	else
		snprintf(desc, len, "4 KiB pages, EAL --no-huge (--huge %s, %lu MiB of hugepages "
			 "free, %lu MiB wanted)", huge_names[o->huge], (unsigned long)(avail >> 20),
			 (unsigned long)(need >> 20));
	return on;
}

static int run(const struct opts *o, const char *mem)
{
	size_t heap0 = heap_used(), c0 = mallinfo2().uordblks, heap1, c1;
	size_t tables = (o->peers + 1) * (sizeof(*fx.dp.peers) + sizeof(struct sl_peer_stats));
	char cpu[128];

	bench_cpu_model(cpu, sizeof(cpu));
	printf("# bench_pipe: %u peers, %u rules, burst %d, rounds of %u packets over random "
	       "peers, best of %u\n# cpu \"%s\" tsc %lu Hz\n# eal memory: %s\n", o->peers,
	       o->rules, BURST, o->round, o->passes, cpu, (unsigned long)rte_get_tsc_hz(), mem);
	if (install_peers(o->peers) != 0 || install_keys(o->peers, o->c[0]) != 0)
		return -1;
	heap1 = heap_used();
	c1 = mallinfo2().uordblks;
	printf("# memory: peers+keys (%s, %s): dpdk heap %zu B, C heap %zu B: %.0f B/peer; "
	       "tables sized by max_clients (peers[], peer stats): %zu B (%.0f B/peer); "
	       "dpdk heap at start (mbufs, rings, LPM, hashes, those tables): %zu B\n",
	       ciphers[o->c[0]].name, ovpn_backend_name(fx.dp.key_backend[ciphers[o->c[0]].cipher]),
	       heap1 - heap0, c1 - c0, (double)(heap1 - heap0 + c1 - c0) / o->peers,
	       tables, (double)tables / (o->peers + 1), heap0);
	if (rules_and_flows(o) != 0)
		return -1;
	printf("%-18s %5s %-8s %7s %6s %-9s %9s %7s %7s %9s %6s %9s %9s %9s\n", "cipher", "size",
	       "dir", "peers", "rules", "backend", "cyc/pkt", "Mpps", "Gbit/s", "ceil_cyc",
	       "ratio", "offered", "deliv", "dropped");
	for (unsigned c = 0; c < o->n_c; c++) {
		if (c > 0 && install_keys(o->peers, o->c[c]) != 0)
			return -1;
		for (unsigned s = 0; s < o->n_s; s++)
			for (unsigned d = 0; d < o->n_d; d++)
				if (row(o, o->c[c], o->s[s], o->d[d]) != 0)
					return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char conf[512];
	char mem[160];
	cpu_set_t cpus;
	struct opts o;
	int rc;

	if (parse(argc, argv, &o) != 0) {
		fprintf(stderr, "usage: bench_pipe [--peers N] [--rules R] [--cipher "
			"AES-256-GCM|CHACHA20-POLY1305|AES-256-CBC]... [--size 40..1400]... "
			"[--dir decrypt|encrypt|mixed]... [--round 1..%d] [--passes P] "
			"[--huge on|off|auto]\n",
			ROUND_MAX);
		return 2;
	}
	snprintf(conf, sizeof(conf),
		 "dataplane: { mbufs = 16383; ring_size = 256; rx_desc = 256; tx_desc = 256; };\n"
		 "ports: { public: { vdev = \"net_null0\"; address = \"192.0.2.1/24\"; };\n"
		 "         private: { vdev = \"net_null1\"; address = \"10.20.0.1/24\"; }; };\n"
		 "vpn: { pool = \"10.64.0.0/16\"; max_clients = %u; };\n"
		 "pki: { ca = \"a\"; cert = \"b\"; key = \"c\"; };\n", o.peers + 1);
	/* EAL pins this thread to lcore 0 (-l 0): keep the core taskset gave. */
	sched_getaffinity(0, sizeof(cpus), &cpus);
	next_pid = calloc(o.peers + 1, sizeof(*next_pid));
	if (next_pid == NULL || fx_init_mem(argv[0], conf, use_huge(&o, mem, sizeof(mem))) != 0) {
		fprintf(stderr, "bench_pipe: setup failed\n");
		return 1;
	}
	sched_setaffinity(0, sizeof(cpus), &cpus);
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = run(&o, mem) == 0 ? 0 : 1;
	fx_fini();
	free(next_pid);
	return rc;
}
