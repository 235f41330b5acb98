/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_WRAP_V2_H
#define OVPN_WRAP_V2_H

/*
 * tls-crypt-v2 (OpenVPN src/openvpn/tls_crypt.c tls_crypt_v2_wrap_client_key,
 * tls_crypt_v2_extract_client_key; ssl_pkt.c tls_reset_standalone for early
 * negotiation).
 *
 * Every client has its own tls-crypt key Kc (256 bytes, static-key layout)
 * and a wrapped copy WKc that only the server can open:
 *
 *   +----------+---------------------------------------------+---------+
 *   | tag (32) | AES-256-CTR(Ke_srv, IV = tag[0..16),        | len (2) |
 *   |          |             Kc (256) | metadata (0..734))   |         |
 *   +----------+---------------------------------------------+---------+
 *   len = total WKc length, tag and len included (<= 1024)
 *   tag = HMAC-SHA256(Ka_srv, len | Kc | metadata)
 *   server key (128 bytes): Ke_srv = bytes 0..31, Ka_srv = bytes 64..95
 *
 * Metadata: type byte, then 0x00 USER: free-form bytes, or
 * 0x01 TIMESTAMP: 8-byte big-endian Unix time (the openvpn default).
 *
 * On the wire, P_CONTROL_HARD_RESET_CLIENT_V3 and P_CONTROL_WKC_V1 are an
 * ordinary tls-crypt packet under Kc (client direction) followed by WKc in
 * clear:
 *
 *   +------------------------------------------+----------------------+
 *   | tls-crypt(Kc) packet, opcode 10 or 11    | WKc (self-protected) |
 *   +------------------------------------------+----------------------+
 *
 * The server reads len from the last two bytes. len is bounded by the
 * packet length minus the opcode byte, so a short packet can never make
 * the opcode part of WKc (the 2.6.14 bug fixed later on release/2.6).
 *
 * Early negotiation: a client that starts its replay counter at
 * 0x0F000000 (first packet 0x0F000001) can resend WKc in P_CONTROL_WKC_V1.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ovpn_wrap.h"

#define OVPN_V2_SERVER_KEY_LEN	128
#define OVPN_V2_CLIENT_KEY_LEN	OVPN_KEY2_LEN
#define OVPN_V2_WKC_LEN_LEN	2
#define OVPN_V2_WKC_MIN		(OVPN_TLS_CRYPT_TAG_LEN + OVPN_V2_CLIENT_KEY_LEN + \
				 OVPN_V2_WKC_LEN_LEN)
#define OVPN_V2_WKC_MAX		1024	/* TLS_CRYPT_V2_MAX_WKC_LEN */
#define OVPN_V2_META_MAX	(OVPN_V2_WKC_MAX - OVPN_V2_WKC_MIN)	/* 734 */
#define OVPN_V2_META_USER	0x00
#define OVPN_V2_META_TIMESTAMP	0x01
#define OVPN_V2_META_TS_LEN	9
#define OVPN_V2_EARLY_NEG_START	0x0F000000u
#define OVPN_V2_EARLY_NEG_MASK	0xFF000000u

struct ovpn_wrap_v2_server;

/* Server-key contexts (AES-CTR + HMAC), made once. NULL + *err on failure. */
struct ovpn_wrap_v2_server *
ovpn_wrap_v2_server_new(const uint8_t key[OVPN_V2_SERVER_KEY_LEN], int *err);
void ovpn_wrap_v2_server_free(struct ovpn_wrap_v2_server *s);

/*
 * Wrap Kc and metadata into WKc (key generation). Returns the WKc length
 * or -OVPN_WRAP_E_META (metadata too long), -E_NOSPACE, -E_CRYPTO.
 */
int ovpn_wrap_v2_wrap_client_key(struct ovpn_wrap_v2_server *s,
				 const uint8_t kc[OVPN_V2_CLIENT_KEY_LEN],
				 const uint8_t *meta, size_t meta_len,
				 uint8_t *wkc, size_t cap);

/*
 * Unwrap a WKc (exactly wkc_len bytes, len field included). On success
 * fills kc and metadata and returns 0; -OVPN_WRAP_E_WKC_LEN if the length
 * field disagrees or is out of bounds, -E_WKC_AUTH on a tag mismatch
 * (wrong server key or tampering), -E_NOSPACE if meta_cap is too small.
 * kc and meta are wiped on failure.
 */
int ovpn_wrap_v2_unwrap_client_key(struct ovpn_wrap_v2_server *s,
				   const uint8_t *wkc, size_t wkc_len,
				   uint8_t kc[OVPN_V2_CLIENT_KEY_LEN],
				   uint8_t *meta, size_t meta_cap,
				   size_t *meta_len);

/*
 * Locate WKc at the end of a V3 / WKC_V1 packet. Returns the WKc length
 * (>= OVPN_V2_WKC_MIN) and sets *wkc_off; the tls-crypt packet is
 * pkt[0..*wkc_off). -OVPN_WRAP_E_SHORT or -E_WKC_LEN otherwise.
 */
int ovpn_wrap_v2_split(const uint8_t *pkt, size_t len, size_t *wkc_off);

/* Append WKc after a wrapped packet of len bytes; returns the new length. */
int ovpn_wrap_v2_append_wkc(uint8_t *buf, size_t len, size_t cap,
			    const uint8_t *wkc, size_t wkc_len);

/*
 * Server side of a V3 / WKC_V1 packet in one call: split, unwrap WKc into
 * kc, load Kc (server direction) into the scratch tls-crypt context tc,
 * unwrap the packet (replay check if replay != NULL). Returns the plain
 * packet length or a negative OVPN_WRAP_E_* code (E_OPCODE for any other
 * opcode). The caller wipes kc.
 */
int ovpn_wrap_v2_server_unwrap(struct ovpn_wrap_v2_server *s,
			       struct ovpn_wrap *tc,
			       struct ovpn_wrap_replay *replay,
			       const uint8_t *wire, size_t len,
			       uint8_t *out, size_t cap,
			       struct ovpn_wrap_rid *rid,
			       uint8_t kc[OVPN_V2_CLIENT_KEY_LEN],
			       uint8_t *meta, size_t meta_cap, size_t *meta_len);

/*
 * Metadata helpers. parse: *type = first byte; for TIMESTAMP requires
 * exactly 8 more bytes and sets *timestamp. -OVPN_WRAP_E_META for an
 * empty block, an unknown type or a bad timestamp length.
 * timestamp() writes 01 | be64(t) into out (9 bytes).
 */
int ovpn_wrap_v2_meta_parse(const uint8_t *meta, size_t len, uint8_t *type,
			    uint64_t *timestamp);
void ovpn_wrap_v2_meta_timestamp(uint64_t t, uint8_t out[OVPN_V2_META_TS_LEN]);

/* True if a client's replay counter signals early negotiation. */
static inline bool ovpn_wrap_v2_early_neg(uint32_t counter)
{
	return (counter & OVPN_V2_EARLY_NEG_START) == OVPN_V2_EARLY_NEG_START;
}

#endif
