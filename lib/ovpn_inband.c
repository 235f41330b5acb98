/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keepalive ping and OCC messages (OpenVPN src/openvpn/ping.c, occ.c); see
 * ovpn_inband.h.
 */
#include <string.h>

#include "ovpn_inband.h"

const uint8_t ovpn_ping_magic[OVPN_PING_LEN] = {
	0x2a, 0x18, 0x7b, 0xf3, 0x64, 0x1e, 0xb4, 0xcb,
	0x07, 0xed, 0x2d, 0x0a, 0x98, 0x1f, 0xc7, 0x48,
};

const uint8_t ovpn_occ_magic[OVPN_OCC_MAGIC_LEN] = {
	0x28, 0x7f, 0x34, 0x6b, 0xd4, 0xef, 0x7a, 0x81,
	0x2d, 0x56, 0xb8, 0xd3, 0xaf, 0xc5, 0x45, 0x9c,
};

enum ovpn_inband_kind ovpn_inband_parse(const uint8_t *p, size_t len,
					struct ovpn_occ_msg *occ)
{
	if (len == OVPN_PING_LEN && p[0] == ovpn_ping_magic[0] &&
	    memcmp(p, ovpn_ping_magic, OVPN_PING_LEN) == 0)
		return OVPN_INBAND_PING;
	if (len >= OVPN_OCC_HDR_LEN && p[0] == ovpn_occ_magic[0] &&
	    memcmp(p, ovpn_occ_magic, OVPN_OCC_MAGIC_LEN) == 0) {
		occ->op = p[OVPN_OCC_MAGIC_LEN];
		occ->body = p + OVPN_OCC_HDR_LEN;
		occ->body_len = len - OVPN_OCC_HDR_LEN;
		return OVPN_INBAND_OCC;
	}
	return OVPN_INBAND_NONE;
}

int ovpn_inband_ping_build(uint8_t *dst, size_t cap)
{
	if (cap < OVPN_PING_LEN)
		return OVPN_DATA_ERR_NOSPACE;
	memcpy(dst, ovpn_ping_magic, OVPN_PING_LEN);
	return OVPN_PING_LEN;
}

int ovpn_inband_occ_build(uint8_t *dst, size_t cap, unsigned int op,
			  const uint8_t *body, size_t body_len)
{
	if (op > UINT8_MAX || (body == NULL && body_len != 0))
		return OVPN_DATA_ERR_INVAL;
	if (body_len > OVPN_DATA_MAX_LEN - OVPN_OCC_HDR_LEN)
		return OVPN_DATA_ERR_TOO_LONG;
	if (cap < OVPN_OCC_HDR_LEN + body_len)
		return OVPN_DATA_ERR_NOSPACE;
	memcpy(dst, ovpn_occ_magic, OVPN_OCC_MAGIC_LEN);
	dst[OVPN_OCC_MAGIC_LEN] = (uint8_t)op;
	if (body_len != 0)
		memcpy(dst + OVPN_OCC_HDR_LEN, body, body_len);
	return (int)(OVPN_OCC_HDR_LEN + body_len);
}
