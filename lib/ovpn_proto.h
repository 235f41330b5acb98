/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_PROTO_H
#define OVPN_PROTO_H

/*
 * OpenVPN 2.x wire constants shared by every module, and the op|key-id
 * byte and big-endian field helpers every codec uses (OpenVPN
 * src/openvpn/ssl_pkt.h: P_OPCODE_SHIFT, P_KEY_ID_MASK and the opcodes).
 *
 * Every OpenVPN packet (one per UDP datagram) starts with one byte:
 *
 *    7     3 2   0
 *   +-------+-----+
 *   |opcode |keyid|
 *   +-------+-----+
 *
 * P_DATA_V2 adds a 24-bit peer-id:
 *
 *    0                   1                   2                   3
 *   +---------------+-----------------------------------------------+
 *   | 9<<3 | key_id |                 peer-id (24)                  |
 *   +---------------+-----------------------------------------------+
 */
#include <stdint.h>

enum ovpn_opcode {
	OVPN_P_CONTROL_HARD_RESET_CLIENT_V1 = 1,
	OVPN_P_CONTROL_HARD_RESET_SERVER_V1 = 2,
	OVPN_P_CONTROL_SOFT_RESET_V1 = 3,
	OVPN_P_CONTROL_V1 = 4,
	OVPN_P_ACK_V1 = 5,
	OVPN_P_DATA_V1 = 6,
	OVPN_P_CONTROL_HARD_RESET_CLIENT_V2 = 7,
	OVPN_P_CONTROL_HARD_RESET_SERVER_V2 = 8,
	OVPN_P_DATA_V2 = 9,
	OVPN_P_CONTROL_HARD_RESET_CLIENT_V3 = 10,
	OVPN_P_CONTROL_WKC_V1 = 11,
	OVPN_P_OPCODE_MAX = 11,
};

#define OVPN_OPCODE_SHIFT	3
#define OVPN_KEY_ID_MASK	0x07
#define OVPN_KEY_ID_MAX		7
#define OVPN_PEER_ID_MAX	0xFFFFFEu	/* 0xFFFFFF means "undefined" */
#define OVPN_PEER_ID_UNDEF	0xFFFFFFu
#define OVPN_NONCE_TAIL_LEN	8		/* AEAD implicit IV bytes */
#define OVPN_MAX_CONTROL_MSG	2048		/* TLS_CHANNEL_BUF_SIZE */

static inline uint8_t ovpn_op_byte(enum ovpn_opcode op, unsigned key_id)
{
	return (uint8_t)((op << OVPN_OPCODE_SHIFT) | (key_id & OVPN_KEY_ID_MASK));
}

static inline unsigned ovpn_op_opcode(uint8_t b)
{
	return b >> OVPN_OPCODE_SHIFT;
}

static inline unsigned ovpn_op_key_id(uint8_t b)
{
	return b & OVPN_KEY_ID_MASK;
}

/* Every multi-byte field on the wire is big-endian. */
static inline uint32_t ovpn_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void ovpn_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
