/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_COMP_H
#define OVPN_COMP_H

/*
 * Compression framing inside the encryption (OpenVPN src/openvpn/comp.h,
 * compstub.c, lzo.c, comp-lz4.c). We never compress
 * and link no decompressor, but must speak the framing the client was told
 * to use ("comp-lzo no", "compress stub", "compress stub-v2"):
 *
 *   mode      TX                               RX
 *   NONE      payload                          payload
 *   LZO       0xFA | payload                   0xFA -> strip; 0x66 -> ERR_LZO
 *   STUB      0xFB | payload[1..] | payload[0] 0xFB -> move last byte back
 *             (v1 "swap": first byte to end)   0x69 (LZ4) -> ERR_COMPRESSED
 *   STUB_V2   payload, except 0x50.. gets      0x50 0x00 -> strip 2;
 *             0x50 0x00 | payload              0x50 0x01/0x03 -> ERR_COMPRESSED,
 *                                              0x50 0x02 -> ERR_LZO; else raw
 *
 * Decision: a payload that really is LZO-compressed (0x66, or v2 code 2) is
 * dropped and counted with OVPN_DATA_ERR_LZO, because liblzo2 is not linked.
 * This happens only with a peer that compresses although we pushed a stub
 * ("allow-compression yes" plus a non-stub algorithm on its side); a 2.6
 * client never does that by default (options.c, comp.c
 * check_compression_settings_valid). LZ4/Snappy get
 * OVPN_DATA_ERR_COMPRESSED; any other framing byte OVPN_DATA_ERR_COMP_FRAMING
 * (OpenVPN also drops those: "Bad compression stub decompression header").
 *
 * IPv4/IPv6 packets never start with 0x50 (IP version 5), so STUB_V2 costs
 * nothing for tun traffic; it is what `compress migrate` pushes (multi.c
 * multi_client_connect_compress_migrate).
 * Pure functions on caller buffers; thread-safe.
 */
#include <stddef.h>
#include <stdint.h>

#include "ovpn_data.h"

enum ovpn_comp_mode {
	OVPN_COMP_NONE = 0,	/* no compression option anywhere */
	OVPN_COMP_LZO,		/* comp-lzo [no|yes|adaptive], v1 0xFA framing */
	OVPN_COMP_STUB,		/* compress / compress stub (v1 swap) */
	OVPN_COMP_STUB_V2,	/* compress stub-v2 */
};

#define OVPN_COMP_NO_COMPRESS		0xFA	/* NO_COMPRESS_BYTE */
#define OVPN_COMP_NO_COMPRESS_SWAP	0xFB	/* NO_COMPRESS_BYTE_SWAP */
#define OVPN_COMP_LZO_BYTE		0x66	/* LZO_COMPRESS_BYTE */
#define OVPN_COMP_LZ4_BYTE		0x69	/* LZ4_COMPRESS_BYTE */
#define OVPN_COMP_V2_INDICATOR		0x50	/* COMP_ALGV2_INDICATOR_BYTE */
#define OVPN_COMP_V2_UNCOMPRESSED	0
#define OVPN_COMP_V2_LZ4		1
#define OVPN_COMP_V2_LZO		2
#define OVPN_COMP_V2_SNAPPY		3

#define OVPN_COMP_HEAD_MAX	2	/* headroom ovpn_comp_frame may use */
#define OVPN_COMP_TAIL_MAX	1	/* tailroom (STUB swap) */

/*
 * RX: remove the framing of a decrypted payload p[0..len) in place. Returns
 * the new length and sets *off to the bytes to skip at the front (the
 * payload is p[*off .. *off + ret)); 0 for an empty input. Errors:
 * OVPN_DATA_ERR_LZO, _COMPRESSED, _COMP_FRAMING, _TOO_LONG, _INVAL (bad mode).
 */
int ovpn_comp_strip(enum ovpn_comp_mode mode, uint8_t *p, size_t len, size_t *off);

/*
 * TX: add framing around payload p[0..len) in place, using up to
 * OVPN_COMP_HEAD_MAX bytes of headroom before p and OVPN_COMP_TAIL_MAX
 * bytes of tailroom after it. Returns the new length and sets *head to the
 * bytes written before p (the framed payload starts at p - *head).
 * Errors: OVPN_DATA_ERR_NOSPACE, _TOO_LONG, _INVAL. Empty stays empty.
 */
int ovpn_comp_frame(enum ovpn_comp_mode mode, uint8_t *p, size_t len,
		    size_t headroom, size_t tailroom, size_t *head);

#endif
