/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Access-rule classifier benchmark: cycles per packet of dp_acl_classify()
 * (one rte_acl_classify() call per burst of 32, dataplane/dp_acl.h) at 10,
 * 1 000 and 10 000 rules, for each rte_acl algorithm this CPU runs; and
 * the time to turn a rule set into a classifier: the set check
 * (sl_rules_check), the compile to the blob (sl_rules_compile) and the
 * rte_acl build (dp_acl_build), the control plane's and the data plane's
 * shares of a publish (the pointer swap and the grace period that follow
 * cost microseconds, dataplane/dp_rules.c).
 *
 * Rules look like an operator's: 70 % TCP, 15 % UDP, 10 % both, 5 % ICMP;
 * a single destination port (80 %) or a short range; destinations /24 to
 * /32 inside 10.20.0.0/16; sources the pool, a /24../32 of it, a role
 * (30 roles) or a user (2 000 users); 10 % out rules; random priorities
 * (overlaps at one priority allowed: the classifier ranks by list order
 * then, like the reference). Packets: half aimed at a random rule's match
 * (address inside its prefixes, its port, its role or user), half random
 * inside the same networks; keys are built before timing, in an array of
 * 65 536 (a few MB, like a busy worker's working set, not all in L1).
 * Each figure is the best of 5 rounds over the whole array. The verdicts
 * of the first 2 000 packets are checked against the reference
 * classifier (sl_rules_classify()) every run.
 *
 * EAL runs with --no-huge unless --huge (then 2 MB pages, as the data
 * plane has): rte_acl tries of big sets are MBs, so TLB misses show.
 *
 * Usage: bench_acl [--smoke] [--huge]   (--smoke: 10 and 100 rules, few
 * packets, no judgement)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_acl.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_malloc.h>

#include "dp_acl.h"
#include "sl_addr.h"
#include "sl_rule.h"

#define BURST	32
#define REPS	400	/* rounds; the best one counts (the machine is shared) */
#define ROUND	2048	/* packets a round: 64 bursts, well inside one time slice */
#define CHECKED	2000
#define POOL	0x0A0A0000u	/* 10.10.0.0/16 */
#define LAN	0x0A140000u	/* 10.20.0.0/16 */
#define N_ROLES	30
#define N_USERS	2000

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static const struct {
	const char *name;
	enum rte_acl_classify_alg alg;
} algs[] = {
	{ "default", RTE_ACL_CLASSIFY_DEFAULT }, { "scalar", RTE_ACL_CLASSIFY_SCALAR },
	{ "sse", RTE_ACL_CLASSIFY_SSE }, { "avx2", RTE_ACL_CLASSIFY_AVX2 },
	{ "avx512x16", RTE_ACL_CLASSIFY_AVX512X16 }, { "avx512x32", RTE_ACL_CLASSIFY_AVX512X32 },
};

static void set_end(struct sl_rule_end *e)
{
	unsigned k = rnd() % 100;

	if (k < 40) {
		e->kind = SL_END_VPN;
	} else if (k < 60) {
		e->kind = SL_END_CIDR;
		e->prefix.len = (uint8_t)(24 + rnd() % 9);
		e->prefix.addr = sl_addr_v4((POOL | (rnd() & 0xFFFF)) &
					    (~0u << (32 - e->prefix.len)));
	} else if (k < 85) {
		e->kind = SL_END_ROLE;
		snprintf(e->ident, sizeof(e->ident), "role%u", rnd() % N_ROLES);
	} else {
		e->kind = SL_END_USER;
		snprintf(e->ident, sizeof(e->ident), "user%u@example.com", rnd() % N_USERS);
	}
}

/*
 * The "services" shape: what per-user and per-role VPN ports look like at
 * scale, users and roles (a few vpn-wide rules) x a set of services: 50
 * LAN hosts (/32) and 10 LAN subnets (/24), 40 well-known ports.
 */
static void make_service_rule(struct sl_rule *r)
{
	static const uint16_t ports[40] = { 22, 80, 443, 3389, 5432, 3306, 6379, 27017, 9200,
		5601, 8080, 8443, 9090, 3000, 5000, 25, 587, 993, 53, 123, 161, 389, 636, 1433,
		1521, 2049, 111, 445, 139, 5672, 15672, 9092, 2181, 8500, 8200, 4222, 11211,
		5044, 514, 873 };
	unsigned k = rnd() % 100, p = rnd() % 100;
	struct sl_rule_end *vpn = &r->src, *lan = &r->dst;

	if (k < 60) {
		vpn->kind = SL_END_USER;
		snprintf(vpn->ident, sizeof(vpn->ident), "user%u@example.com", rnd() % N_USERS);
	} else if (k < 95) {
		vpn->kind = SL_END_ROLE;
		snprintf(vpn->ident, sizeof(vpn->ident), "role%u", rnd() % N_ROLES);
	} else {
		vpn->kind = SL_END_VPN;
	}
	lan->kind = SL_END_CIDR;
	if (rnd() % 10 < 7) {
		lan->prefix.len = 32;
		lan->prefix.addr = sl_addr_v4(LAN | ((rnd() % 50) * 1237u % 65536));
	} else {
		lan->prefix.len = 24;
		lan->prefix.addr = sl_addr_v4(LAN | (rnd() % 10) << 8);
	}
	r->proto = p < 80 ? SL_RULE_TCP : p < 95 ? SL_RULE_UDP : SL_RULE_BOTH;
	r->dport_lo = r->dport_hi = ports[rnd() % 40];
}

static int services;	/* the rule shape: 0 random, 1 services */

static void make_rule(struct sl_rule *r, unsigned i)
{
	unsigned p = rnd() % 100;
	struct sl_rule_end *vpn, *lan;

	sl_rule_init(r);
	snprintf(r->name, sizeof(r->name), "rule %u", i);
	r->direction = rnd() % 10 == 0 ? SL_RULE_OUT : SL_RULE_IN;
	vpn = r->direction == SL_RULE_IN ? &r->src : &r->dst;
	lan = r->direction == SL_RULE_IN ? &r->dst : &r->src;
	if (services) {
		r->direction = SL_RULE_IN;
		make_service_rule(r);
		r->priority = rnd() % 65536;
		r->action = rnd() % 3 == 0 ? SL_RULE_DENY : SL_RULE_ALLOW;
		return;
	}
	set_end(vpn);
	lan->kind = SL_END_CIDR;
	lan->prefix.len = (uint8_t)(24 + rnd() % 9);
	lan->prefix.addr = sl_addr_v4((LAN | (rnd() & 0xFFFF)) & (~0u << (32 - lan->prefix.len)));
	r->proto = p < 70 ? SL_RULE_TCP : p < 85 ? SL_RULE_UDP : p < 95 ? SL_RULE_BOTH : SL_RULE_ICMP;
	if (r->proto != SL_RULE_ICMP) {
		r->dport_lo = (uint16_t)(1 + rnd() % 10000);
		r->dport_hi = rnd() % 5 == 0 ? (uint16_t)(r->dport_lo + rnd() % 100) : r->dport_lo;
	}
	r->priority = rnd() % 65536;
	r->action = rnd() % 3 == 0 ? SL_RULE_DENY : SL_RULE_ALLOW;
}

static struct sl_addr in_prefix(const struct sl_prefix *p, uint32_t base)
{
	if (p == NULL || p->addr.family == SL_AF_NONE)
		return sl_addr_v4(base | (rnd() & 0xFFFF));
	return sl_addr_v4(p->addr.v4 | (p->len == 32 ? 0 : rnd() & (~0u >> p->len)));
}

/* A packet for rule R (NULL: anywhere in the same networks). */
static void make_key(const struct sl_rule *r, const struct sl_rule_ctx *c, struct sl_rule_key *k)
{
	const struct sl_rule_end *vpn = NULL, *lan = NULL;
	const struct sl_prefix *vp = NULL;

	memset(k, 0, sizeof(*k));
	k->direction = (uint8_t)(r != NULL ? r->direction : services ? SL_RULE_IN : rnd() % 2);
	k->proto = r == NULL ? (rnd() % 2 ? 6 : 17) : r->proto == SL_RULE_UDP ? 17 :
		   r->proto == SL_RULE_ICMP ? 1 : 6;
	k->roles[0] = 1u << (rnd() % N_ROLES);
	k->user_tag = 1 + rnd() % N_USERS;
	if (r != NULL) {
		vpn = r->direction == SL_RULE_IN ? &r->src : &r->dst;
		lan = r->direction == SL_RULE_IN ? &r->dst : &r->src;
		if (vpn->kind == SL_END_CIDR)
			vp = &vpn->prefix;
		else if (vpn->kind == SL_END_VPN)
			vp = &c->pool;
		else if (vpn->kind == SL_END_ROLE)
			k->roles[0] |= 1u << sl_rule_tags_role(c->tags, vpn->ident, false);
		else
			k->user_tag = sl_rule_tags_user(c->tags, vpn->ident, false);
	}
	if (k->proto != 1) {
		k->sport = (uint16_t)(1024 + rnd() % 60000);
		k->dport = r != NULL ? r->dport_lo : (uint16_t)(1 + rnd() % 10000);
	}
	if (k->direction == SL_RULE_IN) {
		k->src = in_prefix(vp, POOL);
		k->dst = in_prefix(lan != NULL ? &lan->prefix : NULL, LAN);
	} else {
		k->src = in_prefix(lan != NULL ? &lan->prefix : NULL, LAN);
		k->dst = in_prefix(vp, POOL);
	}
}

/* CPU time of this thread: what the work costs, whatever else runs. */
static double cpu_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

struct keys {
	unsigned n;
	struct sl_rule_key *ref;
	struct dp_acl_key *acl;
	const struct dp_acl_key **ptr[2];	/* by direction, bursts of one direction */
	unsigned cnt[2];
};

static int keys_make(struct keys *ks, unsigned n, const struct sl_rule *rules, unsigned nr,
		     const struct sl_rule_ctx *c)
{
	ks->n = n;
	ks->ref = calloc(n, sizeof(*ks->ref));
	ks->acl = calloc(n, sizeof(*ks->acl));
	ks->ptr[0] = calloc(n, sizeof(*ks->ptr[0]));
	ks->ptr[1] = calloc(n, sizeof(*ks->ptr[1]));
	ks->cnt[0] = ks->cnt[1] = 0;
	if (ks->ref == NULL || ks->acl == NULL || ks->ptr[0] == NULL || ks->ptr[1] == NULL)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		struct sl_rule_key *k = &ks->ref[i];

		make_key(rnd() % 2 ? &rules[rnd() % nr] : NULL, c, k);
		dp_acl_key_set(&ks->acl[i], k->proto, htonl(k->src.v4), htonl(k->dst.v4),
			       k->sport, k->dport, k->roles, k->user_tag);
		ks->ptr[k->direction][ks->cnt[k->direction]++] = &ks->acl[i];
	}
	return 0;
}

static void keys_free(struct keys *ks)
{
	free(ks->ref);
	free(ks->acl);
	free(ks->ptr[0]);
	free(ks->ptr[1]);
}

/* rte_acl and the reference agree on the first CHECKED keys? */
static int verdicts_agree(const struct dp_acl *a, const struct keys *ks, const struct sl_rule *rules,
			  unsigned nr, const struct sl_rule_ctx *c)
{
	for (unsigned i = 0; i < CHECKED && i < ks->n; i++) {
		const struct dp_acl_key *kp = &ks->acl[i];
		uint32_t res;

		if (dp_acl_classify(a, ks->ref[i].direction, &kp, &res, 1) != 0 ||
		    (int)res - 1 != sl_rules_classify(rules, nr, c, &ks->ref[i])) {
			fprintf(stderr, "bench_acl: packet %u: rte_acl and the reference differ\n", i);
			return -1;
		}
	}
	return 0;
}

/*
 * Best cycles per packet over REPS rounds of ROUND keys (half each
 * direction, bursts of BURST, each round a new window of the key array).
 * A round is far shorter than a time slice, so with many rounds some run
 * undisturbed even on a loaded machine.
 */
static double cycles_per_pkt(const struct dp_acl *a, const struct keys *ks, unsigned *matched)
{
	static uint32_t res[BURST];
	uint64_t best = UINT64_MAX;
	unsigned half = ROUND / 2, win[2] = { 0, 0 }, pkts = 0;

	*matched = 0;
	for (unsigned d = 0; d < 2; d++)
		pkts += ks->cnt[d] >= half ? half : 0;	/* a direction without packets: none */
	for (int rep = 0; rep < REPS; rep++) {
		uint64_t t0, t;

		for (unsigned d = 0; d < 2; d++)
			if (win[d] + half > ks->cnt[d])
				win[d] = 0;
		t0 = rte_rdtsc_precise();
		for (unsigned d = 0; d < 2; d++)
			for (unsigned i = win[d]; i + BURST <= ks->cnt[d] && i < win[d] + half;
			     i += BURST) {
				dp_acl_classify(a, d, &ks->ptr[d][i], res, BURST);
				if (rep == 0)
					for (unsigned j = 0; j < BURST; j++)
						*matched += res[j] != 0;
			}
		t = rte_rdtsc_precise() - t0;
		if (t < best)
			best = t;
		win[0] += half;
		win[1] += half;
	}
	*matched = pkts != 0 ? *matched * 100 / pkts : 0;
	return pkts != 0 ? (double)best / pkts : 0;
}

/* Tries of a context (rte_acl_dump()'s num_tries: the walks per packet).
 * rte_acl_dump() prints on stdout: catch it in a temporary file. */
static unsigned tries(const struct rte_acl_ctx *ctx)
{
	char text[4096] = "", *at;
	FILE *f = ctx != NULL ? tmpfile() : NULL;
	int saved;
	size_t n;

	if (f == NULL)
		return 0;
	fflush(stdout);
	saved = dup(1);
	if (saved >= 0 && dup2(fileno(f), 1) >= 0) {
		rte_acl_dump(ctx);
		fflush(stdout);
		dup2(saved, 1);
	}
	if (saved >= 0)
		close(saved);
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	at = strstr(text, "num_tries=");
	return at != NULL ? (unsigned)atoi(at + 10) : 0;
}

static int run(unsigned nr, unsigned npkts)
{
	struct sl_rule *rules = calloc(nr, sizeof(*rules));
	struct sl_rule_blob *b = rte_malloc("bench_blob", sl_rule_blob_size(nr), 0);
	struct sl_rule_tags tags;
	struct sl_rule_ctx c = { .tags = &tags };
	struct sl_rule_err err;
	double t0, t_check, t_compile, t_build;
	struct dp_acl *a;
	struct keys ks;
	char msg[128];
	unsigned matched = 0;
	int rc;

	if (rules == NULL || b == NULL)
		return -1;
	sl_rule_tags_init(&tags);
	sl_prefix_parse("10.10.0.0/16", &c.pool);
	for (unsigned i = 0; i < nr; i++)
		make_rule(&rules[i], i);
	t0 = cpu_ms();
	/* Overlaps at one priority are refused by the check; the benchmark
	 * times it all the same and builds the set as generated. */
	(void)sl_rules_check(rules, nr, &c.pool, &err);
	t_check = cpu_ms() - t0;
	t0 = cpu_ms();
	if (sl_rules_compile(rules, nr, &c, 1, SL_RULE_DENY, b, &err) != 0) {
		fprintf(stderr, "bench_acl: compile: %s\n", sl_rule_err_str(&err, msg, sizeof(msg)));
		return -1;
	}
	t_compile = cpu_ms() - t0;
	t0 = cpu_ms();
	a = dp_acl_build(b, 0, &rc, msg, sizeof(msg));
	t_build = cpu_ms() - t0;
	if (a == NULL) {
		fprintf(stderr, "bench_acl: %s (%d)\n", msg, rc);
		return -1;
	}
	if (keys_make(&ks, npkts, rules, nr, &c) != 0 || verdicts_agree(a, &ks, rules, nr, &c) != 0)
		return -1;
	printf("| %s | %u | %.1f | %.1f | %.1f | %.1f |", services ? "services" : "random", nr, t_check, t_compile, t_build,
	       t_check + t_compile + t_build);
	for (unsigned i = 0; i < RTE_DIM(algs); i++) {
		int ok = 0;

		for (unsigned d = 0; d < 2; d++)
			if (a->ctx[d] != NULL)
				ok |= rte_acl_set_ctx_classify(a->ctx[d], algs[i].alg);
		if (ok != 0) {
			printf(" - |");
			continue;
		}
		printf(" %.1f |", cycles_per_pkt(a, &ks, &matched));
	}
	printf(" %u %% | %u, %u |\n", matched, tries(a->ctx[0]), tries(a->ctx[1]));
	keys_free(&ks);
	dp_acl_free(a);
	sl_rule_tags_free(&tags);
	free(rules);
	return 0;
}

int main(int argc, char **argv)
{
	static const unsigned full[] = { 10, 1000, 10000 }, smoke[] = { 10, 100 };
	char prefix[64];
	char *eal[] = { argv[0], "--no-huge", "-m", "4096", "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level=error", "-l", "0",
			"--force-max-simd-bitwidth=512", prefix, NULL };
	const unsigned *sets = full;
	unsigned n_sets = RTE_DIM(full), npkts = 65536;
	int huge = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--smoke") == 0) {
			sets = smoke;
			n_sets = RTE_DIM(smoke);
			npkts = 8192;
		} else if (strcmp(argv[i], "--huge") == 0) {
			huge = 1;
		} else {
			fprintf(stderr, "usage: bench_acl [--smoke] [--huge]\n");
			return 2;
		}
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=bench_acl%d", (int)getpid());
	if (huge) {
		eal[1] = "--in-memory";
		eal[3] = "256";
	}
	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "bench_acl: EAL init failed\n");
		return 1;
	}
	printf("bench_acl: %s pages, TSC %.2f GHz, %u keys, best of %d rounds of %d "
	       "packets in bursts of %d\n", huge ? "2 MB" : "4 KB", rte_get_tsc_hz() / 1e9,
	       npkts, REPS, ROUND, BURST);
	printf("| shape | rules | check ms | compile ms | rte_acl build ms | total ms |");
	for (unsigned i = 0; i < RTE_DIM(algs); i++)
		printf(" %s cyc/pkt |", algs[i].name);
	printf(" matched | tries in, out |\n");
	for (services = 0; services < 2; services++)
		for (unsigned i = 0; i < n_sets; i++)
			if (run(sets[i], npkts) != 0)
				return 1;
	rte_eal_cleanup();
	return 0;
}
