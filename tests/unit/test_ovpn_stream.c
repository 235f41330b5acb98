/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenVPN's TCP stream framing (lib/ovpn_stream.c, as OpenVPN
 * src/openvpn/socket.c's stream_buf): records split over reads at every
 * byte, several records in one read, garbage lengths (0, past the limit)
 * refused wherever they fall, and the prefix writer.
 */
#include <stdlib.h>

#include "ovpn_stream.h"
#include "sl_test.h"

#define N_REC	5

struct got {
	unsigned n;
	size_t len[16];
	uint8_t first[16], last[16];
	int stop_at;		/* callback returns 7 at this record, -1 never */
};

static int on_rec(void *arg, const uint8_t *rec, size_t len)
{
	struct got *g = arg;

	if (g->n < 16) {
		g->len[g->n] = len;
		g->first[g->n] = rec[0];
		g->last[g->n] = rec[len - 1];
	}
	return (int)g->n++ == g->stop_at ? 7 : 0;
}

/* N_REC records of lengths 1, 2, 300, OVPN_STREAM_MAX, 20; returns the stream length. */
static size_t build(uint8_t *s)
{
	static const size_t lens[N_REC] = { 1, 2, 300, OVPN_STREAM_MAX, 20 };
	size_t o = 0;

	for (unsigned i = 0; i < N_REC; i++) {
		if (ovpn_stream_prefix(lens[i], s + o) != 0)
			return 0;
		o += OVPN_STREAM_HDR;
		for (size_t j = 0; j < lens[i]; j++)
			s[o + j] = (uint8_t)(i * 16 + (j == lens[i] - 1 ? 1 : 0));
		o += lens[i];
	}
	return o;
}

static int check_all(const struct got *g)
{
	static const size_t lens[N_REC] = { 1, 2, 300, OVPN_STREAM_MAX, 20 };

	CHECK_EQ(g->n, N_REC);
	for (unsigned i = 0; i < N_REC; i++) {
		CHECK_EQ(g->len[i], lens[i]);
		CHECK_EQ(g->first[i], lens[i] == 1 ? i * 16 + 1 : i * 16);
		CHECK_EQ(g->last[i], i * 16 + 1);
	}
	return 0;
}

static int test_coalesced(void)
{
	static uint8_t s[N_REC * (OVPN_STREAM_HDR + OVPN_STREAM_MAX)];
	struct ovpn_stream st;
	struct got g = { .stop_at = -1 };
	size_t n = build(s);

	CHECK(n > 0);
	ovpn_stream_init(&st);
	CHECK_EQ(ovpn_stream_feed(&st, s, n, on_rec, &g), 0);
	CHECK_EQ(st.have, 0);
	return check_all(&g);
}

/* Every split point of the stream in two reads, then byte by byte. */
static int test_split(void)
{
	static uint8_t s[N_REC * (OVPN_STREAM_HDR + OVPN_STREAM_MAX)];
	size_t n = build(s);

	for (size_t cut = 0; cut <= n; cut++) {
		struct ovpn_stream st;
		struct got g = { .stop_at = -1 };

		ovpn_stream_init(&st);
		CHECK_EQ(ovpn_stream_feed(&st, s, cut, on_rec, &g), 0);
		CHECK_EQ(ovpn_stream_feed(&st, s + cut, n - cut, on_rec, &g), 0);
		if (check_all(&g) != 0) {
			fprintf(stderr, "cut at %zu\n", cut);
			return -1;
		}
	}
	{
		struct ovpn_stream st;
		struct got g = { .stop_at = -1 };

		ovpn_stream_init(&st);
		for (size_t i = 0; i < n; i++)
			CHECK_EQ(ovpn_stream_feed(&st, s + i, 1, on_rec, &g), 0);
		return check_all(&g);
	}
}

/* Length 0 and OVPN_STREAM_MAX + 1, whole or split, after a good record: refused. */
static int test_garbage(void)
{
	static const uint16_t bad[] = { 0, OVPN_STREAM_MAX + 1, 0xffff };

	for (unsigned b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
		uint8_t s[8] = { 0, 1, 0xaa, (uint8_t)(bad[b] >> 8), (uint8_t)bad[b], 1, 2, 3 };

		for (size_t cut = 0; cut <= sizeof(s); cut++) {
			struct ovpn_stream st;
			struct got g = { .stop_at = -1 };
			int r1, r2 = 0;

			ovpn_stream_init(&st);
			r1 = ovpn_stream_feed(&st, s, cut, on_rec, &g);
			if (r1 == 0)
				r2 = ovpn_stream_feed(&st, s + cut, sizeof(s) - cut, on_rec, &g);
			CHECK(r1 == -1 || r2 == -1);
			CHECK_EQ(g.n, 1);	/* the good record before it, only */
			CHECK_EQ(g.len[0], 1);
		}
	}
	return 0;
}

static int test_stop_and_prefix(void)
{
	static uint8_t s[N_REC * (OVPN_STREAM_HDR + OVPN_STREAM_MAX)];
	struct ovpn_stream st;
	struct got g = { .stop_at = 1 };
	uint8_t h[OVPN_STREAM_HDR];
	size_t n = build(s);

	ovpn_stream_init(&st);
	CHECK_EQ(ovpn_stream_feed(&st, s, n, on_rec, &g), 7);
	CHECK_EQ(g.n, 2);
	CHECK_EQ(ovpn_stream_prefix(0, h), -1);
	CHECK_EQ(ovpn_stream_prefix(OVPN_STREAM_MAX + 1, h), -1);
	CHECK_EQ(ovpn_stream_prefix(0x1234 & (OVPN_STREAM_MAX - 1), h), 0);
	CHECK_EQ(h[0], (0x1234 & (OVPN_STREAM_MAX - 1)) >> 8);
	CHECK_EQ(h[1], 0x34);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "coalesced records in one read", test_coalesced },
	{ "records split at every byte", test_split },
	{ "garbage lengths refused wherever they fall", test_garbage },
	{ "callback stop, prefix bounds", test_stop_and_prefix },
	{ NULL, NULL }
};

int main(void)
{
	return sl_test_run("ovpn_stream", cases);
}
