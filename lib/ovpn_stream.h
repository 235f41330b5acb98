/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_STREAM_H
#define OVPN_STREAM_H

/*
 * OpenVPN's TCP framing (OpenVPN src/openvpn/socket.c, stream_buf): each
 * packet goes on the stream behind its length, 2 bytes big-endian. The
 * reassembler takes whatever the socket read gave (a record split over
 * reads, several records in one read) and hands out whole records. A
 * length of 0 or above OVPN_STREAM_MAX is garbage: the stream cannot be
 * resynchronised, the caller closes the connection (as socket.c's
 * stream_buf_added() does with "packet too large").
 */
#include <stddef.h>
#include <stdint.h>

#define OVPN_STREAM_MAX		2048	/* largest record accepted */
#define OVPN_STREAM_HDR		2

struct ovpn_stream {
	uint16_t have;				/* bytes in buf */
	uint8_t buf[OVPN_STREAM_HDR + OVPN_STREAM_MAX];
};

/* Called with each whole record; a non-zero return stops ovpn_stream_feed(). */
typedef int (*ovpn_stream_cb)(void *arg, const uint8_t *rec, size_t len);

static inline void ovpn_stream_init(struct ovpn_stream *s)
{
	s->have = 0;
}

/*
 * Feed N bytes read from the stream. Returns 0 when all were taken (a
 * partial record is kept for the next call), -1 on a garbage length, or
 * the callback's non-zero value.
 */
int ovpn_stream_feed(struct ovpn_stream *s, const uint8_t *d, size_t n,
		     ovpn_stream_cb cb, void *arg);

/* The 2-byte prefix for a record of LEN bytes (1..OVPN_STREAM_MAX): -1 if out of range. */
int ovpn_stream_prefix(size_t len, uint8_t hdr[OVPN_STREAM_HDR]);

#endif
