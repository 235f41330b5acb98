/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_CTRL_H
#define OVPN_CTRL_H

/*
 * Control packet codec: the plain (unwrapped) layout of every control
 * opcode (OpenVPN src/openvpn/ssl_pkt.c tls_wrap_control, write_control_auth;
 * reliable.c reliable_ack_parse for the ack block).
 *
 * The codec always works on the "plain" form below. The wrappers
 * (ovpn_wrap.h) turn a plain packet into its tls-auth / tls-crypt wire form
 * and back, so the same parser serves every wrapping.
 *
 *   0        1                 9          10
 *   +--------+-----------------+----------+-------------+------------+
 *   | op|kid | own sid (8)     | ack_cnt  | ack ids     | peer sid   |
 *   |   1    |                 |    1     | 4 * n       | 8 (if n>0) |
 *   +--------+-----------------+----------+-------------+------------+
 *   | msg-id (4, absent in P_ACK_V1) | payload ...                   |
 *   +--------------------------------+-------------------------------+
 *
 * Everything after the own sid is the "inner" block; tls-crypt encrypts
 * exactly that block. Multi-byte fields are big-endian.
 *
 *   opcode                       msg-id  payload
 *   HARD_RESET_CLIENT_V1 (1)     yes     key-method 1: recognised, refused
 *   HARD_RESET_SERVER_V1 (2)     yes     key-method 1: recognised, refused
 *   SOFT_RESET_V1 (3)            yes     empty
 *   CONTROL_V1 (4)               yes     TLS ciphertext slice
 *   ACK_V1 (5)                   no      none (trailing bytes refused)
 *   HARD_RESET_CLIENT_V2 (7)     yes     empty in 2.6
 *   HARD_RESET_SERVER_V2 (8)     yes     empty or early-negotiation TLVs
 *   HARD_RESET_CLIENT_V3 (10)    yes     empty (WKc stripped by ovpn_wrap_v2)
 *   CONTROL_WKC_V1 (11)          yes     TLS slice (WKc stripped likewise)
 *
 * Parsing never reads outside [buf, buf+len); payload points into buf.
 * All functions are reentrant and keep no state.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ovpn_err.h"
#include "ovpn_proto.h"

#define OVPN_SID_LEN		8
#define OVPN_ACK_MAX		8	/* RELIABLE_ACK_SIZE: receivers refuse more */
#define OVPN_ACK_PIGGY_MAX	4	/* CONTROL_SEND_ACK_MAX on packets with msg-id */
#define OVPN_CTRL_HDR_LEN	(1 + OVPN_SID_LEN)
#define OVPN_CTRL_MSG_ID_LEN	4
/* Largest inner block: full ack block + msg-id + biggest payload. */
#define OVPN_CTRL_INNER_MAX	(1 + 4 * OVPN_ACK_MAX + OVPN_SID_LEN + \
				 OVPN_CTRL_MSG_ID_LEN + OVPN_MAX_CONTROL_MSG)
#define OVPN_CTRL_PLAIN_MAX	(OVPN_CTRL_HDR_LEN + OVPN_CTRL_INNER_MAX)

/* Early-negotiation TLV in a server hard reset payload (OpenVPN
 * src/openvpn/ssl_pkt.c tls_reset_standalone writes it, ssl.c
 * parse_early_negotiation_tlvs reads it). */
#define OVPN_TLV_EARLY_NEG_FLAGS	0x0001
#define OVPN_EARLY_NEG_FLAG_RESEND_WKC	0x0001
#define OVPN_EARLY_NEG_TLV_LEN		6

/* Failures: negative OVPN_CTRL_E_* codes, listed in ovpn_err.h. */

/* One decoded control packet; payload points into the parsed buffer. */
struct ovpn_ctrl_pkt {
	uint8_t opcode;			/* enum ovpn_opcode */
	uint8_t key_id;
	uint8_t sid[OVPN_SID_LEN];	/* the sender's own session id */
	uint8_t n_acks;
	uint32_t acks[OVPN_ACK_MAX];	/* newest first, as OpenVPN sends */
	uint8_t peer_sid[OVPN_SID_LEN];	/* receiver's sid; valid if n_acks */
	bool has_msg_id;		/* false only for P_ACK_V1 */
	uint32_t msg_id;
	const uint8_t *payload;
	size_t payload_len;
};

/* True for opcodes 1..5, 7, 8, 10, 11 (everything but data). */
bool ovpn_ctrl_opcode_valid(unsigned opcode);
/* True if packets of this opcode carry a msg-id (all but P_ACK_V1). */
bool ovpn_ctrl_opcode_has_msg_id(unsigned opcode);
/* Printable name, "?" for unknown values. */
const char *ovpn_ctrl_opcode_name(unsigned opcode);

/*
 * Read op|kid and own sid without touching the rest (the pre-decrypt
 * classification step). Returns 0 or -OVPN_CTRL_E_SHORT/-E_OPCODE.
 */
int ovpn_ctrl_peek(const uint8_t *buf, size_t len, uint8_t *opcode,
		   uint8_t *key_id, uint8_t sid[OVPN_SID_LEN]);

/*
 * Parse the inner block (ack_count .. payload) of a packet whose opcode is
 * already known; fills acks, peer_sid, msg_id, payload of pkt.
 * Returns 0 or a negative OVPN_CTRL_E_* code.
 */
int ovpn_ctrl_parse_inner(unsigned opcode, const uint8_t *buf, size_t len,
			  struct ovpn_ctrl_pkt *pkt);

/*
 * Parse a whole plain packet (op|kid, sid, inner). For V1 hard resets it
 * fills opcode/key_id/sid and returns -OVPN_CTRL_E_KEY_METHOD_1 so the
 * caller can say why it dropped them.
 */
int ovpn_ctrl_parse(const uint8_t *buf, size_t len, struct ovpn_ctrl_pkt *pkt);

/* Bytes the inner block / whole plain packet of pkt needs. */
size_t ovpn_ctrl_inner_len(const struct ovpn_ctrl_pkt *pkt);
size_t ovpn_ctrl_plain_len(const struct ovpn_ctrl_pkt *pkt);

/*
 * Write the inner block / whole plain packet of pkt into out.
 * Returns the length written or a negative OVPN_CTRL_E_* code
 * (E_INVAL for a bad opcode or ack count, E_NOSPACE, E_PAYLOAD_LEN).
 */
int ovpn_ctrl_build_inner(const struct ovpn_ctrl_pkt *pkt, uint8_t *out,
			  size_t cap);
int ovpn_ctrl_build(const struct ovpn_ctrl_pkt *pkt, uint8_t *out, size_t cap);

/*
 * Early-negotiation TLVs (type u16, length u16, value) carried in the
 * payload of a server hard reset. Unknown types are skipped, as the client
 * does. parse: *flags = value of EARLY_NEG_FLAGS or 0 when absent;
 * returns 0 or -OVPN_CTRL_E_TLV. build writes the 6-byte TLV
 * 00 01 00 02 <flags>; returns 6 or -OVPN_CTRL_E_NOSPACE.
 */
int ovpn_ctrl_tlv_parse(const uint8_t *buf, size_t len, uint16_t *flags);
int ovpn_ctrl_tlv_build(uint16_t flags, uint8_t *out, size_t cap);

#endif
