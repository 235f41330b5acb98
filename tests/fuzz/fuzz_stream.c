/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP stream framing (lib/ovpn_stream.c): the input is cut into reads
 * at lengths taken from its first bytes; every record handed out must be
 * 1..OVPN_STREAM_MAX bytes and lie inside what was fed, and the same bytes
 * fed in one read must give the same records (count and total length).
 */
#include <stdlib.h>
#include <string.h>

#include "ovpn_stream.h"

struct sum {
	size_t n, bytes;
	uint8_t last;
};

static int on_rec(void *arg, const uint8_t *rec, size_t len)
{
	struct sum *s = arg;

	if (len == 0 || len > OVPN_STREAM_MAX)
		abort();
	s->last = rec[len - 1];	/* touches the record's last byte (ASan) */
	s->bytes += len;
	s->n++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ovpn_stream a, b;
	struct sum sa = { 0 }, sb = { 0 };
	size_t cuts = size ? data[0] % 8 + 1 : 1, o = size ? 1 : 0;
	int ra = 0, rb;

	ovpn_stream_init(&a);
	ovpn_stream_init(&b);
	rb = ovpn_stream_feed(&b, data + o, size - o, on_rec, &sb);
	while (o < size && ra == 0) {
		size_t step = (size - o) / cuts + 1;

		if (step > size - o)
			step = size - o;

		ra = ovpn_stream_feed(&a, data + o, step, on_rec, &sa);
		o += step;
	}
	if (ra != rb || sa.n != sb.n || sa.bytes != sb.bytes || a.have > sizeof(a.buf))
		abort();
	return 0;
}
