/* SPDX-License-Identifier: BSD-3-Clause */
/* OpenVPN's 2-byte length framing over TCP (OpenVPN src/openvpn/socket.c). */
#include <string.h>

#include "ovpn_stream.h"

static size_t rec_len(const uint8_t *hdr)
{
	return (size_t)hdr[0] << 8 | hdr[1];
}

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Copy into buf until the header, then the whole record, is there. */
static size_t fill(struct ovpn_stream *s, const uint8_t *d, size_t n, size_t want)
{
	size_t take = min_sz(n, want - s->have);

	memcpy(s->buf + s->have, d, take);
	s->have = (uint16_t)(s->have + take);
	return take;
}

int ovpn_stream_feed(struct ovpn_stream *s, const uint8_t *d, size_t n,
		     ovpn_stream_cb cb, void *arg)
{
	while (n > 0) {
		size_t len, used;
		int rc;

		/* Fast path: a whole record in the input and nothing kept. */
		if (s->have == 0 && n >= OVPN_STREAM_HDR) {
			len = rec_len(d);
			if (len == 0 || len > OVPN_STREAM_MAX)
				return -1;
			if (n >= OVPN_STREAM_HDR + len) {
				if ((rc = cb(arg, d + OVPN_STREAM_HDR, len)) != 0)
					return rc;
				d += OVPN_STREAM_HDR + len;
				n -= OVPN_STREAM_HDR + len;
				continue;
			}
		}
		if (s->have < OVPN_STREAM_HDR) {
			used = fill(s, d, n, OVPN_STREAM_HDR);
			d += used;
			n -= used;
			if (s->have < OVPN_STREAM_HDR)
				return 0;
			len = rec_len(s->buf);
			if (len == 0 || len > OVPN_STREAM_MAX)
				return -1;
		}
		len = rec_len(s->buf);
		used = fill(s, d, n, OVPN_STREAM_HDR + len);
		d += used;
		n -= used;
		if (s->have < OVPN_STREAM_HDR + len)
			return 0;
		s->have = 0;
		if ((rc = cb(arg, s->buf + OVPN_STREAM_HDR, len)) != 0)
			return rc;
	}
	return 0;
}

int ovpn_stream_prefix(size_t len, uint8_t hdr[OVPN_STREAM_HDR])
{
	if (len == 0 || len > OVPN_STREAM_MAX)
		return -1;
	hdr[0] = (uint8_t)(len >> 8);
	hdr[1] = (uint8_t)len;
	return 0;
}
