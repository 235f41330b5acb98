/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_INBAND_H
#define OVPN_INBAND_H

/*
 * In-band messages carried as data-channel payloads (OpenVPN
 * src/openvpn/forward.c process_incoming_link_part2), recognised
 * after decryption, replay check and de-framing, before the payload is
 * treated as IP:
 *
 *   keepalive ping: exactly these 16 bytes (ping.c ping_string)
 *     2a 18 7b f3 64 1e b4 cb 07 ed 2d 0a 98 1f c7 48
 *
 *   OCC message (occ.c occ_magic):
 *   +----------------------------------------+--------+-----------------+
 *   | 28 7f 34 6b d4 ef 7a 81 2d 56 b8 d3    | opcode | body (opcode-   |
 *   | af c5 45 9c  (16 bytes)                | (1 B)  | specific)       |
 *   +----------------------------------------+--------+-----------------+
 *
 * IP packets start 0x4X/0x6X, a ping 0x2A and OCC 0x28, so one byte rules
 * out almost everything. Like OpenVPN, ping is an exact 16-byte match and
 * OCC a prefix match; a 16-byte OCC prefix without an opcode is not OCC
 * (the caller's non-IP check drops it). Pure functions; thread-safe.
 */
#include <stddef.h>
#include <stdint.h>

#include "ovpn_data.h"

#define OVPN_PING_LEN		16
#define OVPN_OCC_MAGIC_LEN	16
#define OVPN_OCC_HDR_LEN	(OVPN_OCC_MAGIC_LEN + 1)

extern const uint8_t ovpn_ping_magic[OVPN_PING_LEN];
extern const uint8_t ovpn_occ_magic[OVPN_OCC_MAGIC_LEN];

enum ovpn_inband_kind {
	OVPN_INBAND_NONE = 0,	/* ordinary payload (IP, or junk to drop) */
	OVPN_INBAND_PING,
	OVPN_INBAND_OCC,
};

enum ovpn_occ_op {
	OVPN_OCC_REQUEST = 0,
	OVPN_OCC_REPLY = 1,		/* NUL-terminated options string */
	OVPN_OCC_MTU_LOAD_REQUEST = 2,
	OVPN_OCC_MTU_LOAD = 3,
	OVPN_OCC_MTU_REQUEST = 4,
	OVPN_OCC_MTU_REPLY = 5,
	OVPN_OCC_EXIT = 6,		/* must be honoured: close the peer */
};

struct ovpn_occ_msg {
	uint8_t op;		/* enum ovpn_occ_op, or any other value seen */
	const uint8_t *body;	/* bytes after the opcode */
	size_t body_len;
};

/* Classify a de-framed payload; fills *occ for OVPN_INBAND_OCC. */
enum ovpn_inband_kind ovpn_inband_parse(const uint8_t *p, size_t len,
					struct ovpn_occ_msg *occ);

/* Write the ping into dst. Returns 16 or OVPN_DATA_ERR_NOSPACE. */
int ovpn_inband_ping_build(uint8_t *dst, size_t cap);

/* Write magic, op and body into dst. Returns the length, or
 * OVPN_DATA_ERR_NOSPACE, _TOO_LONG, or _INVAL (op > 255, or body_len > 0
 * with no body). */
int ovpn_inband_occ_build(uint8_t *dst, size_t cap, unsigned int op,
			  const uint8_t *body, size_t body_len);

#endif
