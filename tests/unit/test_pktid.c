/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet-id sender and replay window. The window is driven by numbered
 * tables of (packet-id, expected result) rows in the manner of WireGuard's
 * counter selftest: rows run in order against one window, a failing row
 * prints its number. A randomised comparison against a naive reference
 * (remembers every id) covers what the tables do not.
 */
#include <stdio.h>

#include "ovpn_pktid.h"
#include "sl_test.h"

#define OK	0
#define ZERO	OVPN_DATA_ERR_PKTID_ZERO
#define REPLAY	OVPN_DATA_ERR_REPLAY
#define OLD	OVPN_DATA_ERR_TOO_OLD
#define RESET	0xFFFFFFFFFFull		/* row marker: start a fresh window */

struct row {
	uint64_t pid;		/* RESET or a 32-bit packet-id */
	int want;
};

static int run_table(const char *name, unsigned int window,
		     const struct row *rows, size_t n)
{
	struct ovpn_pktid_recv w;

	CHECK_EQ(ovpn_pktid_recv_init(&w, window), 0);
	for (size_t i = 0; i < n; i++) {
		int rc;

		if (rows[i].pid == RESET) {
			CHECK_EQ(ovpn_pktid_recv_init(&w, window), 0);
			continue;
		}
		rc = ovpn_pktid_recv_check(&w, (uint32_t)rows[i].pid);
		if (rc != rows[i].want) {
			fprintf(stderr, "%s row %zu: pid %llu: got %s, want %s\n",
				name, i + 1, (unsigned long long)rows[i].pid,
				ovpn_err_name(rc), ovpn_err_name(rows[i].want));
			return -1;
		}
	}
	return 0;
}

#define RUN(name, window, rows) \
	run_table(name, window, rows, sizeof(rows) / sizeof(rows[0]))

/* Window 64: OpenVPN's default --replay-window; rows 8-10 are the lab
 * vectors checked against a real 2.6.14 server (highest 200: 137 accepted,
 * 136 refused; OpenVPN src/openvpn/packet_id.c packet_id_test). */
static const struct row win64[] = {
	/*  1 */ { 0, ZERO },
	/*  2 */ { 1, OK },
	/*  3 */ { 1, REPLAY },
	/*  4 */ { 0, ZERO },
	/*  5 */ { 3, OK },
	/*  6 */ { 2, OK },
	/*  7 */ { 2, REPLAY },
	/*  8 */ { 200, OK },
	/*  9 */ { 136, OLD },
	/* 10 */ { 137, OK },
	/* 11 */ { 137, REPLAY },
	/* 12 */ { 200, REPLAY },
	/* 13 */ { 199, OK },
	/* 14 */ { 3, OLD },
	/* 15 */ { 201, OK },
	/* 16 */ { 137, OLD },		/* window moved past it */
	/* 17 */ { 138, OK },
	/* 18 */ { 255, OK },		/* last id of a word */
	/* 19 */ { 256, OK },		/* first id of the next word */
	/* 20 */ { 192, OLD },		/* 256 - 64 */
	/* 21 */ { 193, OK },
	/* 22 */ { 191, OLD },
	/* 23 */ { 193, REPLAY },
	/* 24 */ { 1000, OK },		/* jump of many words clears the ring */
	/* 25 */ { 255, OLD },
	/* 26 */ { 937, OK },		/* 1000 - 63 */
	/* 27 */ { 936, OLD },		/* 1000 - 64 */
	/* 28 */ { 999, OK },
	/* 29 */ { 998, OK },
	/* 30 */ { 999, REPLAY },
	/* 31 */ { RESET, 0 },
	/* 32 */ { 0xFFFFFFFFu, OK },	/* top of the id space */
	/* 33 */ { 0xFFFFFFFFu, REPLAY },
	/* 34 */ { 0xFFFFFFC0u, OK },	/* top - 63 */
	/* 35 */ { 0xFFFFFFBFu, OLD },	/* top - 64 */
	/* 36 */ { 1, OLD },
	/* 37 */ { 0, ZERO },
	/* 38 */ { RESET, 0 },
	/* 39 */ { 64, OK },		/* highest starts at 64, 1..63 in window */
	/* 40 */ { 1, OK },
	/* 41 */ { 63, OK },
	/* 42 */ { 0, ZERO },
	/* 43 */ { 65, OK },
	/* 44 */ { 1, OLD },
	/* 45 */ { 2, OK },
	/* 46 */ { 2, REPLAY },
};

/* Window 2048 (the default): word-boundary walks and long jumps. */
static const struct row win2048[] = {
	/*  1 */ { 5000, OK },
	/*  2 */ { 2953, OK },		/* 5000 - 2047 */
	/*  3 */ { 2952, OLD },		/* 5000 - 2048 */
	/*  4 */ { 2953, REPLAY },
	/*  5 */ { 4999, OK },
	/*  6 */ { 5001, OK },
	/*  7 */ { 2953, OLD },
	/*  8 */ { 2954, OK },
	/*  9 */ { 7048, OK },		/* 2047 ahead of 5001 */
	/* 10 */ { 5001, REPLAY },	/* distance 2047: bit must survive */
	/* 11 */ { 5000, OLD },
	/* 12 */ { 7049, OK },
	/* 13 */ { 5002, OK },
	/* 14 */ { 5001, OLD },
	/* 15 */ { 0x80000000u, OK },
	/* 16 */ { 0x80000000u - 2047, OK },
	/* 17 */ { 0x80000000u - 2048, OLD },
	/* 18 */ { 7049, OLD },
	/* 19 */ { 0x80000001u, OK },
	/* 20 */ { 0x80000000u, REPLAY },
	/* 21 */ { RESET, 0 },
	/* 22 */ { 1, OK },
	/* 23 */ { 2048, OK },
	/* 24 */ { 1, REPLAY },		/* distance 2047: still remembered */
	/* 25 */ { 2049, OK },
	/* 26 */ { 1, OLD },
	/* 27 */ { 2, OK },
};

/* Window 4096 (the maximum) and an odd size (100). */
static const struct row win4096[] = {
	/*  1 */ { 10000, OK },
	/*  2 */ { 10000 - 4095, OK },
	/*  3 */ { 10000 - 4096, OLD },
	/*  4 */ { 10000 - 4095, REPLAY },
	/*  5 */ { 14095, OK },
	/*  6 */ { 10000, REPLAY },	/* distance 4095, seen in row 1 */
	/*  7 */ { 9999, OLD },
	/*  8 */ { 10001, OK },
};

static const struct row win100[] = {
	/*  1 */ { 1000, OK },
	/*  2 */ { 901, OK },
	/*  3 */ { 900, OLD },
	/*  4 */ { 901, REPLAY },
	/*  5 */ { 1063, OK },
	/*  6 */ { 964, OK },
	/*  7 */ { 963, OLD },
	/*  8 */ { 1000, REPLAY },
};

static const struct row win1[] = {
	/*  1 */ { 1, OK },
	/*  2 */ { 1, REPLAY },
	/*  3 */ { 3, OK },
	/*  4 */ { 2, OLD },
	/*  5 */ { 4, OK },
};

static int test_table64(void)
{
	return RUN("win64", 64, win64);
}

static int test_table2048(void)
{
	return RUN("win2048", OVPN_PKTID_WINDOW_DEFAULT, win2048);
}

static int test_table_other(void)
{
	CHECK_EQ(RUN("win4096", OVPN_PKTID_WINDOW_MAX, win4096), 0);
	CHECK_EQ(RUN("win100", 100, win100), 0);
	CHECK_EQ(RUN("win1", 1, win1), 0);
	return 0;
}

static int test_recv_init(void)
{
	struct ovpn_pktid_recv w;

	CHECK_EQ(ovpn_pktid_recv_init(&w, 0), OVPN_DATA_ERR_INVAL);
	CHECK_EQ(ovpn_pktid_recv_init(&w, OVPN_PKTID_WINDOW_MAX + 1), OVPN_DATA_ERR_INVAL);
	CHECK_EQ(ovpn_pktid_recv_init(&w, 1), 0);
	CHECK_EQ(ovpn_pktid_recv_init(&w, OVPN_PKTID_WINDOW_MAX), 0);
	CHECK(w.mask + 1 <= OVPN_PKTID_RING_WORDS);
	CHECK_EQ(ovpn_pktid_recv_init(&w, OVPN_PKTID_WINDOW_DEFAULT), 0);
	CHECK_EQ(w.mask + 1, 64);
	return 0;
}

/* Reference: remembers every id it accepted, so it cannot alias. */
#define REF_SPACE 20000

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int ref_check(uint8_t *seen, uint32_t *highest, unsigned int window, uint32_t pid)
{
	if (pid == 0)
		return ZERO;
	if (pid <= *highest && *highest - pid >= window)
		return OLD;
	if (seen[pid])
		return REPLAY;
	seen[pid] = 1;
	if (pid > *highest)
		*highest = pid;
	return OK;
}

static int random_run(unsigned int window, uint64_t seed)
{
	static uint8_t seen[REF_SPACE];
	struct ovpn_pktid_recv w;
	uint32_t highest = 0, base = 1;

	memset(seen, 0, sizeof(seen));
	CHECK_EQ(ovpn_pktid_recv_init(&w, window), 0);
	for (int i = 0; i < 20000; i++) {
		uint64_t r = xorshift(&seed);
		/* Mostly near the front, sometimes far back or far ahead. */
		int64_t delta = (int64_t)(r % (3 * window + 130)) - 2 * (int64_t)window - 64;
		int64_t pid = (int64_t)base + delta;
		int want, got;

		if (r % 97 == 0)
			pid = (int64_t)base + (int64_t)(r % 300);
		if (pid < 0 || pid >= REF_SPACE)
			continue;
		want = ref_check(seen, &highest, window, (uint32_t)pid);
		got = ovpn_pktid_recv_check(&w, (uint32_t)pid);
		if (want != got) {
			fprintf(stderr, "window %u step %d pid %lld: got %d want %d\n",
				window, i, (long long)pid, got, want);
			return -1;
		}
		if (base + 4 < REF_SPACE - 400 && r % 3 == 0)
			base += (uint32_t)(r % 5);
	}
	return 0;
}

static int test_random_vs_reference(void)
{
	static const unsigned int windows[] = { 1, 7, 63, 64, 65, 100, 128, 1000, 2048, 4096 };

	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++)
		CHECK_EQ(random_run(windows[i], 0x9E3779B97F4A7C15ull + i), 0);
	return 0;
}

static int test_send(void)
{
	struct ovpn_pktid_send s;
	uint32_t pid = 0;

	ovpn_pktid_send_init(&s);
	CHECK_EQ(ovpn_pktid_send_next(&s, &pid), 0);
	CHECK_EQ(pid, 1);		/* first packet carries 1 */
	CHECK_EQ(ovpn_pktid_send_next(&s, &pid), 0);
	CHECK_EQ(pid, 2);

	s.last = OVPN_PKTID_WRAP_TRIGGER - 2;
	CHECK_EQ(ovpn_pktid_send_next(&s, &pid), 0);
	CHECK_EQ(pid, 0xFEFFFFFFu);
	CHECK_EQ(ovpn_pktid_send_next(&s, &pid), OVPN_PKTID_REKEY);
	CHECK_EQ(pid, 0xFF000000u);
	CHECK_EQ(ovpn_pktid_send_next(&s, &pid), OVPN_PKTID_REKEY);
	CHECK_EQ(pid, 0xFF000001u);

	s.last = 0xFFFFFFFEu;
	CHECK_EQ(ovpn_pktid_send_next(&s, &pid), OVPN_PKTID_REKEY);
	CHECK_EQ(pid, 0xFFFFFFFFu);	/* the last id is still sent */
	pid = 42;
	CHECK_EQ(ovpn_pktid_send_next(&s, &pid), OVPN_DATA_ERR_PKTID_EXHAUSTED);
	CHECK_EQ(pid, 42);		/* untouched: nothing to send */
	CHECK_EQ(ovpn_pktid_send_next(&s, &pid), OVPN_DATA_ERR_PKTID_EXHAUSTED);
	CHECK_EQ(s.last, 0xFFFFFFFFu);	/* never wraps to 0 */
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "replay table, window 64 (46 rows)", test_table64 },
	{ "replay table, window 2048 (27 rows)", test_table2048 },
	{ "replay tables, windows 4096/100/1", test_table_other },
	{ "window size bounds", test_recv_init },
	{ "random sequences vs naive reference", test_random_vs_reference },
	{ "sender: starts at 1, rekey, never wraps", test_send },
	{ NULL, NULL },
};

int main(void)
{
	return sl_test_run("pktid", cases);
}
