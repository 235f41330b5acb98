/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The counter tables (lib/sl_counters.c): one entry per counter of each
 * family, usable names and help, offsets that land on distinct uint64_t
 * counters inside their struct, the per-lcore sum, and the drop names
 * operators and tests already know.
 */
#include <stddef.h>
#include <stdlib.h>

#include "sl_counters.h"
#include "sl_test.h"

/* Names unique and non-empty, help non-empty. */
static int check_names(const struct sl_counter_def *t, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		CHECK(t[i].name != NULL && t[i].name[0] != '\0');
		CHECK(t[i].help != NULL && t[i].help[0] != '\0');
		CHECK(t[i].kind == SL_COUNTER || t[i].kind == SL_GAUGE);
		for (unsigned j = 0; j < i; j++)
			CHECK(strcmp(t[i].name, t[j].name) != 0);
	}
	return 0;
}

/*
 * Offsets of a struct family: aligned uint64_t slots in [first, end),
 * distinct, and together they fill that range, so no field between the
 * first counter and the next non-counter member is left out of the table.
 */
static int check_offsets(const struct sl_counter_def *t, unsigned n, size_t first, size_t end)
{
	CHECK_EQ(end - first, n * sizeof(uint64_t));
	for (unsigned i = 0; i < n; i++) {
		CHECK(t[i].offset >= first && t[i].offset + sizeof(uint64_t) <= end);
		CHECK_EQ(t[i].offset % sizeof(uint64_t), 0);
		for (unsigned j = 0; j < i; j++)
			CHECK(t[i].offset != t[j].offset);
	}
	return 0;
}

#define COUNT_FIELD_(f, k, h) +1

static int test_lcore_table(void)
{
	unsigned n;
	const struct sl_counter_def *t = sl_lcore_defs(&n);

	CHECK_EQ(n, 0 SL_LCORE_COUNTERS(COUNT_FIELD_));
	CHECK_STR(t[0].name, "rx_pkts");
	CHECK_EQ(t[0].offset, offsetof(struct sl_lcore_stats, rx_pkts));
	CHECK_EQ(t[n - 1].offset, offsetof(struct sl_lcore_stats, icmp_replies));
	if (check_names(t, n) != 0)
		return -1;
	/* The counters come first, then the drop array. */
	return check_offsets(t, n, 0, offsetof(struct sl_lcore_stats, drop));
}

static int test_peer_table(void)
{
	unsigned n;
	const struct sl_counter_def *t = sl_peer_defs(&n);

	CHECK_EQ(n, 0 SL_PEER_COUNTERS(COUNT_FIELD_));
	CHECK_STR(t[1].name, "rx_bytes");
	CHECK_EQ(t[1].offset, offsetof(struct sl_peer_stats, rx_bytes));
	if (check_names(t, n) != 0)
		return -1;
	return check_offsets(t, n, 0, offsetof(struct sl_peer_stats, last_rx));
}

static int test_port_table(void)
{
	unsigned n;
	const struct sl_counter_def *t = sl_port_defs(&n);

	CHECK_EQ(n, 0 SL_PORT_COUNTERS(COUNT_FIELD_));
	CHECK_STR(t[n - 1].name, "rx_nombuf");
	CHECK_EQ(t[n - 1].offset, offsetof(struct sl_port_status, rx_nombuf));
	if (check_names(t, n) != 0)
		return -1;
	return check_offsets(t, n, offsetof(struct sl_port_status, rx_pkts),
			     offsetof(struct sl_port_status, q_rx_pkts));
}

/* The names operators, tests and docs use ("drop NAME N" in sluicectl status). */
static const char *const old_drop_names[] = {
	"not-ip", "bad-header", "not-for-us", "unknown-peer", "bad-opcode", "cp-ring-full",
	"tx-full", "no-mbuf", "no-key", "auth", "replay", "compressed", "bad-inner",
	"spoofed", "no-route", "no-neighbor", "pktid-exhausted", "handoff-full", "too-big",
	"inner-ipv6", "cp-rate", "acl-deny", "acl-frag",
};

static int test_drop_table(void)
{
	unsigned n;
	const struct sl_counter_def *t = sl_drop_defs(&n);

	CHECK_EQ(n, SL_DROP_MAX);
	CHECK_EQ(sizeof(old_drop_names) / sizeof(old_drop_names[0]), SL_DROP_MAX);
	if (check_names(t, n) != 0)
		return -1;
	for (unsigned d = 0; d < n; d++) {
		CHECK_STR(sl_drop_name(d), old_drop_names[d]);
		CHECK_STR(sl_drop_name(d), t[d].name);
		CHECK_STR(sl_drop_desc(d), t[d].help);
		CHECK_EQ(t[d].offset, 0);
	}
	CHECK_STR(sl_drop_name(SL_DROP_REPLAY), "replay");
	CHECK_STR(sl_drop_name(SL_DROP_MAX), "?");
	CHECK_STR(sl_drop_desc(SL_DROP_MAX), "?");
	return 0;
}

/* The names of the "control" line of sluicectl status, in enum cp_stat order. */
static const char *const old_cp_names[] = {
	"packets-in", "packets-out", "cookie-replies", "sessions-created", "drop-short",
	"drop-opcode", "drop-wrap", "drop-replay", "drop-cookie", "drop-rate",
	"drop-half-open", "drop-full", "drop-inbox", "drop-sid", "drop-parse", "drop-key-id",
	"drop-ended", "drop-msg-window", "drop-tx-ring", "drop-no-mbuf", "cmd-backlog", "tls-failures", "auth-failures",
	"renegotiations", "tcp-accepted", "tcp-refused", "tcp-garbage", "tcp-drop-full",
	"tcp-drop-noconn",
};

static int test_cp_table(void)
{
	unsigned n;
	const struct sl_counter_def *t = sl_cp_defs(&n);

	CHECK_EQ(n, SL_CP_COUNTERS_N);
	CHECK_EQ(sizeof(old_cp_names) / sizeof(old_cp_names[0]), n);
	if (check_names(t, n) != 0)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		CHECK_STR(t[i].name, old_cp_names[i]);
		CHECK_EQ(t[i].offset, 0);
	}
	return 0;
}

/* Every counter of worker i gets a distinct value; the sum must match. */
static uint64_t fake(unsigned worker, unsigned what)
{
	return 1000003ull * (worker + 1) + 7ull * what + 1;
}

static int test_lcore_sum(void)
{
	struct sl_status *s = calloc(1, sizeof(*s));
	struct sl_lcore_stats sum;
	unsigned n, workers = 3;
	const struct sl_counter_def *t = sl_lcore_defs(&n);

	CHECK(s != NULL);
	s->n_workers = workers;
	for (unsigned w = 0; w < SL_MAX_LCORES; w++) {
		/* Entries past n_workers hold garbage the sum must ignore. */
		uint64_t *l = (uint64_t *)&s->lcore[w];

		for (unsigned c = 0; c < n; c++)
			l[t[c].offset / sizeof(uint64_t)] = fake(w, c);
		for (unsigned d = 0; d < SL_DROP_MAX; d++)
			s->lcore[w].drop[d] = fake(w, 100 + d);
	}
	memset(&sum, 0xa5, sizeof(sum));	/* sl_lcore_sum starts from zero */
	sl_lcore_sum(s, &sum);
	for (unsigned c = 0; c < n; c++) {
		uint64_t want = 0;

		for (unsigned w = 0; w < workers; w++)
			want += fake(w, c);
		if (sl_counter_read(&sum, &t[c]) != want) {
			fprintf(stderr, "lcore sum of %s wrong\n", t[c].name);
			free(s);
			return -1;
		}
	}
	for (unsigned d = 0; d < SL_DROP_MAX; d++) {
		uint64_t want = 0;

		for (unsigned w = 0; w < workers; w++)
			want += fake(w, 100 + d);
		if (sum.drop[d] != want) {
			fprintf(stderr, "lcore sum of drop %s wrong\n", sl_drop_name(d));
			free(s);
			return -1;
		}
	}
	CHECK_EQ(sum.rx_pkts, fake(0, 0) + fake(1, 0) + fake(2, 0));
	/* No workers: all zero. */
	s->n_workers = 0;
	sl_lcore_sum(s, &sum);
	free(s);
	CHECK_EQ(sum.rx_pkts, 0);
	CHECK_EQ(sum.drop[SL_DROP_AUTH], 0);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "lcore table: every counter, distinct offsets", test_lcore_table },
	{ "peer table: every counter, distinct offsets", test_peer_table },
	{ "port table: every counter, distinct offsets", test_port_table },
	{ "drop table: names as before, help", test_drop_table },
	{ "control-plane table: names as before", test_cp_table },
	{ "sl_lcore_sum: each field and drop of n_workers", test_lcore_sum },
	{ NULL, NULL }
};

int main(void)
{
	return sl_test_run("counters", cases);
}
