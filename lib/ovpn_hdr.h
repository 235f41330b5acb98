/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_HDR_H
#define OVPN_HDR_H

/*
 * Data packet framing, the part both codecs share: classification on byte
 * 0, the P_DATA_V1/V2 header, the packet-id field and the length and
 * direction checks every seal/open begins with. The AEAD and CBC codecs
 * (ovpn_aead.c, ovpn_cbc.c) call into this file, never the other way.
 *
 *   P_DATA_V1:  | op|kid (1) | packet-id or crypto fields ...
 *   P_DATA_V2:  | op|kid (1) | peer-id (3) | packet-id or crypto fields ...
 *
 * The op|kid byte and the big-endian helpers for the packet-id are in
 * ovpn_proto.h (packet-id 0 is never valid); peer-id 0xFFFFFF means
 * "undefined" (OpenVPN src/openvpn/ssl.c tls_prepend_opcode_v2, MAX_PEER_ID
 * in openvpn.h). The classification, header and length functions are pure.
 */
#include <stddef.h>
#include <stdint.h>

#include "ovpn_err.h"
#include "ovpn_proto.h"

struct ovpn_data_key;
struct ovpn_data_rx;

#define OVPN_DATA_V1_HDR_LEN	1
#define OVPN_DATA_V2_HDR_LEN	4
#define OVPN_DATA_PKTID_LEN	4
/* Longest packet or payload we handle; keeps lengths inside OpenSSL's int. */
#define OVPN_DATA_MAX_LEN	65535

enum ovpn_data_class {
	OVPN_DATA_CLASS_DROP = 0,	/* empty, or opcode 0 / 12..31 */
	OVPN_DATA_CLASS_DATA_V1,
	OVPN_DATA_CLASS_DATA_V2,	/* at least the 4-byte header present */
	OVPN_DATA_CLASS_CONTROL,	/* every other known opcode */
};

/* Split on byte 0: data opcodes stay in the data plane, every other known
 * opcode is the control plane's (OpenVPN src/openvpn/ssl_pkt.h opcodes). A
 * P_DATA_V2 shorter than its 4-byte header is DROP, so DATA_V2 guarantees
 * ovpn_data_peer_id() is safe. */
enum ovpn_data_class ovpn_data_classify(const uint8_t *pkt, size_t len);

/* 24-bit peer-id of a packet classified DATA_V2. */
static inline uint32_t ovpn_data_peer_id(const uint8_t *pkt)
{
	return (uint32_t)pkt[1] << 16 | (uint32_t)pkt[2] << 8 | pkt[3];
}

struct ovpn_data_hdr {
	uint8_t opcode;		/* OVPN_P_DATA_V1 or OVPN_P_DATA_V2 */
	uint8_t key_id;
	uint8_t len;		/* 1 or 4 */
	uint32_t peer_id;	/* OVPN_PEER_ID_UNDEF for V1 */
};

/* Parse a data header. Returns its length (1 or 4), ERR_SHORT or
 * ERR_OPCODE (not a data packet). */
int ovpn_data_hdr_parse(const uint8_t *pkt, size_t len, struct ovpn_data_hdr *h);

/* Write a V1 (peer_id ignored) or V2 header into dst. Returns its length,
 * ERR_NOSPACE if cap is too small, ERR_INVAL for a bad opcode/peer-id. */
int ovpn_data_hdr_build(uint8_t *dst, size_t cap, unsigned int opcode,
			unsigned int key_id, uint32_t peer_id);

/* Bytes the TX path needs in front of the plaintext (header, packet-id,
 * tag or HMAC+IV+packet-id) and at most behind it (CBC padding). */
size_t ovpn_data_head_len(const struct ovpn_data_key *k);
size_t ovpn_data_tail_max(const struct ovpn_data_key *k);

/*
 * The checks and header work both codecs start with. rx_hdr checks the
 * direction, length and key-id and fills rx's opcode, key_id and peer_id;
 * it returns the header length or an error. tx_hdr checks the direction,
 * pid and sizes (tail = padding the codec will add) and writes the
 * opcode/peer-id header, returning its length or an error.
 */
int ovpn_data_rx_hdr(const struct ovpn_data_key *k, const uint8_t *pkt,
		     size_t len, struct ovpn_data_rx *rx);
int ovpn_data_tx_hdr(const struct ovpn_data_key *k, uint8_t *pkt, size_t pt_len,
		     size_t cap, size_t tail, uint32_t pid);

#endif
